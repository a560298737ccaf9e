//! `steward.toml`: who you are, and which sources to pull.
//!
//! A complete example (every key shown; most are optional):
//!
//! ```toml
//! me = "priya"                      # who steward acts as without --as
//!
//! # The org directory: here only what no upstream system has.
//! [[source]]
//! kind = "files"
//! name = "files"                    # default: the kind
//! dir = "org"                       # relative to this file
//! provides = ["trainings", "areas", "entitlements", "delegations", "rules"]
//!
//! # An identity provider over SCIM 2.0 (Okta, Entra ID, OneLogin, JumpCloud...).
//! [[source]]
//! kind = "scim"
//! name = "okta"
//! url = "https://acme.okta.com/scim/v2"
//! token_env = "OKTA_SCIM_TOKEN"     # the NAME of the variable; never the token
//! person_id = "userName"            # or id, externalId, email
//! team_prefix = "team-"             # group "team-payments" -> team "payments"
//! teams = { "platform" = "Platform Engineers" }      # team id -> group displayName or id
//! entitlement_prefix = "steward:"   # group "steward:payments-db:read" -> entitlement "payments-db:read"
//! entitlements = { "ops:console" = "Ops Console Users" }
//! # An entitlement whose `upstream` is "okta:GROUP" (areas.toml) is mapped too.
//! provides = ["people", "teams", "grants"]
//!
//! [[source]]
//! kind = "pagerduty"
//! name = "pd"
//! url = "https://api.pagerduty.com"
//! token_keyring = "pagerduty"      # or: an OS keyring entry, stored by `steward secret set pagerduty`
//! rotations = { "payments-primary" = "PI7DH85" }     # rotation id -> schedule id
//! schedules = ["P0ABCDE"]           # more schedules, rotation id = schedule id
//! days_back = 14
//! days_ahead = 28
//!
//! # iCalendar feeds over HTTP: one per rotation.
//! [[source]]
//! kind = "ics"
//! name = "grafana-oncall"
//! [[source.feed]]
//! rotation = "db-primary"
//! name = "Database primary"
//! team = "databases"
//! url_env = "DB_PRIMARY_ICS_URL"    # feed URLs often carry a secret; or url = "https://..."
//!
//! [[source]]
//! kind = "backstage"
//! name = "catalog"
//! url = "https://backstage.acme.internal"
//! token_env = "BACKSTAGE_TOKEN"
//!
//! # Or the catalog-info.yaml files themselves: every *.yaml/*.yml under
//! # `path` (relative to this file), instead of `url`.
//! [[source]]
//! kind = "backstage"
//! name = "catalog-files"
//! path = "catalog"
//!
//! # Every HTTP source also takes: timeout_secs (30), retries (4),
//! # backoff_ms (500), max_retry_after_secs (120), concurrency (4),
//! # page_size, max_pages (10000).
//! ```
//!
//! Loading is lenient (only TOML syntax must be right, so that every command
//! still runs); [`Config::sources`] validates the `[[source]]` tables and
//! names the file, line and key of every problem. Credentials are never
//! written in the file: `token_env` names an environment variable,
//! `token_keyring` an entry of the OS keyring (see `credentials`), and a
//! `token` key is refused.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

type RawTable = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Debug, Default, Deserialize)]
struct RawConfig {
    me: Option<String>,
    #[serde(default, rename = "source")]
    sources: Vec<Spanned<RawTable>>,
    #[serde(default)]
    digest: Option<Spanned<RawTable>>,
}

#[derive(Debug, Default)]
pub struct Config {
    /// The person steward acts as when `--as` is not given.
    pub me: Option<String>,
    /// Where it was read from.
    pub path: PathBuf,
    text: String,
    raw: Vec<Spanned<RawTable>>,
    raw_digest: Option<Spanned<RawTable>>,
    top_level: Vec<(String, usize)>,
}

/// Reads the config file; `None` when it does not exist.
pub fn load(path: &Path) -> Result<Option<Config>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read config {}", path.display())),
    };
    parse(&text, path).map(Some)
}

/// Parses config text (TOML syntax only; see [`Config::sources`] for the rest).
pub fn parse(text: &str, path: &Path) -> Result<Config> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        anyhow::anyhow!(
            "{}{}: {}",
            path.display(),
            line.map(|l| format!(":{l}")).unwrap_or_default(),
            e.message().trim_end()
        )
    })?;
    let top: BTreeMap<Spanned<String>, toml::Value> = toml::from_str(text).unwrap_or_default();
    let top_level = top
        .keys()
        .map(|k| (k.get_ref().clone(), line_of(text, k.span().start)))
        .collect();
    Ok(Config {
        me: raw.me,
        path: path.to_path_buf(),
        text: text.to_string(),
        raw: raw.sources,
        raw_digest: raw.digest,
        top_level,
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// One problem in the config, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: usize,
    /// The source's name (or `[[source]] #n`), when the problem is in one.
    pub source: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.path.display(), self.line)?;
        if let Some(s) = &self.source {
            write!(f, "source {s}: ")?;
        }
        f.write_str(&self.message)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Files,
    Scim,
    PagerDuty,
    Ics,
    Backstage,
}

impl SourceKind {
    pub const ALL: [SourceKind; 5] = [
        SourceKind::Files,
        SourceKind::Scim,
        SourceKind::PagerDuty,
        SourceKind::Ics,
        SourceKind::Backstage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Files => "files",
            SourceKind::Scim => "scim",
            SourceKind::PagerDuty => "pagerduty",
            SourceKind::Ics => "ics",
            SourceKind::Backstage => "backstage",
        }
    }

    fn parse(s: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What a source of this kind can provide, the first ones by default.
    pub fn can_provide(self) -> &'static [Provides] {
        use Provides::*;
        match self {
            SourceKind::Files => &[
                People,
                Teams,
                Rotations,
                Trainings,
                Areas,
                Entitlements,
                Grants,
                Delegations,
                Rules,
            ],
            SourceKind::Scim => &[People, Teams, Grants],
            SourceKind::PagerDuty => &[Rotations],
            SourceKind::Ics => &[Rotations],
            SourceKind::Backstage => &[People, Teams, Areas],
        }
    }
}

/// A kind of data a source contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provides {
    People,
    Teams,
    Rotations,
    Trainings,
    Areas,
    Entitlements,
    Grants,
    Delegations,
    Rules,
}

impl Provides {
    pub const ALL: [Provides; 9] = [
        Provides::People,
        Provides::Teams,
        Provides::Rotations,
        Provides::Trainings,
        Provides::Areas,
        Provides::Entitlements,
        Provides::Grants,
        Provides::Delegations,
        Provides::Rules,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provides::People => "people",
            Provides::Teams => "teams",
            Provides::Rotations => "rotations",
            Provides::Trainings => "trainings",
            Provides::Areas => "areas",
            Provides::Entitlements => "entitlements",
            Provides::Grants => "grants",
            Provides::Delegations => "delegations",
            Provides::Rules => "rules",
        }
    }
}

/// Where a source's credential comes from. Never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    None,
    /// The name of an environment variable holding the token.
    Env(String),
    /// The name of an OS keyring entry holding the token.
    Keyring(String),
}

impl Credential {
    /// The token, or an error naming the variable (never its value).
    pub fn token(&self, source: &str) -> Result<Option<String>> {
        match self {
            Credential::None => Ok(None),
            Credential::Env(var) => crate::credentials::from_env(var, "token_env")
                .map(Some)
                .map_err(|e| anyhow::anyhow!("source {source}: {e:#}")),
            Credential::Keyring(name) => crate::credentials::from_keyring(name, "token_keyring")
                .map(|t| Some(t.trim().to_string()))
                .map_err(|e| anyhow::anyhow!("source {source}: {e:#}")),
        }
    }

    /// Where the token comes from, for `config check` (never the token).
    pub fn describe(&self) -> String {
        match self {
            Credential::None => "no token".into(),
            Credential::Env(var) => format!("token from environment variable {var}"),
            Credential::Keyring(name) => format!("token from keyring entry {name}"),
        }
    }
}

/// Whether a keyring entry exists, as `config check` says it: never the secret.
pub fn keyring_entry_state(name: &str) -> std::result::Result<(), String> {
    match crate::credentials::keyring_has(name) {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!(
            "keyring entry {name} does not exist in the {} (store it with `steward secret set {name}`)",
            crate::credentials::keyring_backend()
        )),
        Err(e) => Err(format!("{e:#}")),
    }
}

/// HTTP behaviour shared by every HTTP source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// Per request, in seconds (default 30).
    pub timeout_secs: u64,
    /// Retries after a connection error, a timeout, a 5xx or a 429 (default 4).
    pub retries: u32,
    /// First backoff delay in milliseconds, doubled each retry, with jitter (default 500).
    pub backoff_ms: u64,
    /// The longest `Retry-After` honoured, in seconds (default 120); longer fails.
    pub max_retry_after_secs: u64,
    /// Requests in flight at once for this source (default 4).
    pub concurrency: usize,
    /// Items per page (default 100 for SCIM, 100 for PagerDuty).
    pub page_size: Option<usize>,
    /// Stop after this many pages of one listing: a server that keeps saying
    /// "more" is broken (default 10000).
    pub max_pages: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout_secs: 30,
            retries: 4,
            backoff_ms: 500,
            max_retry_after_secs: 120,
            concurrency: 4,
            page_size: None,
            max_pages: 10_000,
        }
    }
}

/// How a SCIM source's users and groups become people, teams and grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScimSettings {
    /// Which user attribute becomes the person id: `userName` (default), `id`,
    /// `externalId` or `email`. People are matched across sources by email anyway.
    pub person_id: String,
    /// Groups whose displayName starts with this are teams; the rest of the name is the team id.
    pub team_prefix: Option<String>,
    /// Explicit teams: team id -> group displayName or id.
    pub teams: BTreeMap<String, String>,
    /// Groups whose displayName starts with this are entitlements; the rest of
    /// the name is the entitlement id, and their members hold it.
    pub entitlement_prefix: Option<String>,
    /// Explicit entitlements: entitlement id -> group displayName or id.
    /// (An entitlement whose `upstream` is `SOURCE:GROUP` is mapped too.)
    pub entitlements: BTreeMap<String, String>,
}

/// One rotation's iCalendar feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedConfig {
    pub rotation: String,
    pub name: Option<String>,
    pub team: Option<String>,
    /// The feed URL, given literally or through `url_env` (feed URLs often
    /// carry a secret).
    pub url: String,
    pub url_from_env: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    Files {
        dir: PathBuf,
    },
    Scim(ScimSettings),
    PagerDuty {
        /// Schedule ids to read, each becoming a rotation of the same id; all
        /// schedules when both this and `rotations` are empty.
        schedules: Vec<String>,
        /// Rotation id -> schedule id.
        rotations: BTreeMap<String, String>,
        days_back: i64,
        days_ahead: i64,
    },
    Ics {
        feeds: Vec<FeedConfig>,
    },
    Backstage {
        /// A directory of catalog-info.yaml files, read instead of `url`.
        path: Option<PathBuf>,
    },
}

/// A validated `[[source]]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceConfig {
    pub name: String,
    pub kind: SourceKind,
    /// Line of the `[[source]]` table in the config file.
    pub line: usize,
    /// Base URL (HTTP sources other than `ics`).
    pub url: Option<String>,
    pub credential: Credential,
    pub provides: Vec<Provides>,
    pub http: HttpSettings,
    pub spec: SourceSpec,
}

impl SourceConfig {
    /// The URL or directory, for `status`.
    pub fn location(&self) -> String {
        match &self.spec {
            SourceSpec::Files { dir } => std::fs::canonicalize(dir)
                .unwrap_or_else(|_| dir.clone())
                .display()
                .to_string(),
            SourceSpec::Ics { feeds } => {
                let urls: Vec<String> = feeds
                    .iter()
                    .map(|f| match &f.url_from_env {
                        Some(var) => format!("${var}"),
                        None => f.url.clone(),
                    })
                    .collect();
                urls.join(" ")
            }
            SourceSpec::Backstage { path: Some(dir) } => std::fs::canonicalize(dir)
                .unwrap_or_else(|_| dir.clone())
                .display()
                .to_string(),
            _ => self.url.clone().unwrap_or_default(),
        }
    }

    pub fn provides(&self, p: Provides) -> bool {
        self.provides.contains(&p)
    }
}

impl Config {
    /// Top-level keys other than `me` and `source`, with their lines.
    fn unknown_top_level(&self) -> Vec<ConfigError> {
        self.top_level
            .iter()
            .filter(|(k, _)| k != "me" && k != "source" && k != "digest")
            .map(|(k, line)| ConfigError {
                path: self.path.clone(),
                line: *line,
                source: None,
                message: format!(
                    "unknown key `{k}` (expected `me`, `[[source]]` tables and `[digest]`)"
                ),
            })
            .collect()
    }

    /// Validates every `[[source]]` table: all of them, or every problem found.
    pub fn sources(&self) -> std::result::Result<Vec<SourceConfig>, Vec<ConfigError>> {
        let mut errors = self.unknown_top_level();
        let mut out = Vec::new();
        for (n, table) in self.raw.iter().enumerate() {
            match self.source(n, table) {
                Ok(s) => {
                    if out.iter().any(|o: &SourceConfig| o.name == s.name) {
                        errors.push(ConfigError {
                            path: self.path.clone(),
                            line: s.line,
                            source: Some(s.name.clone()),
                            message: "another source has the same name; names must be unique"
                                .into(),
                        });
                    }
                    out.push(s);
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            errors.sort_by_key(|e| e.line);
            Err(errors)
        }
    }

    /// Every problem in the file, for `steward config check`: also
    /// credentials that are not available in this environment.
    pub fn check(&self) -> Vec<ConfigError> {
        let mut problems = self.check_sources();
        problems.extend(self.check_digest());
        problems
    }

    fn check_sources(&self) -> Vec<ConfigError> {
        match self.sources() {
            Err(e) => e,
            Ok(sources) => sources
                .iter()
                .filter_map(|s| {
                    let missing = match &s.credential {
                        Credential::Env(var) => std::env::var(var)
                            .map(|v| v.trim().is_empty())
                            .unwrap_or(true)
                            .then(|| format!("token_env: environment variable {var} is not set")),
                        Credential::Keyring(name) => keyring_entry_state(name)
                            .err()
                            .map(|e| format!("token_keyring: {e}")),
                        Credential::None => None,
                    };
                    let feed_missing = match &s.spec {
                        SourceSpec::Ics { feeds } => feeds
                            .iter()
                            .filter_map(|f| f.url_from_env.as_ref())
                            .find(|v| std::env::var(v).is_err())
                            .map(|v| format!("url_env: environment variable {v} is not set")),
                        SourceSpec::Backstage { path: Some(dir) } => match std::fs::metadata(dir) {
                            Ok(m) if m.is_dir() => None,
                            Ok(_) => Some(format!("path: {} is not a directory", dir.display())),
                            Err(e) => Some(format!("path: cannot read {}: {e}", dir.display())),
                        },
                        _ => None,
                    };
                    missing.or(feed_missing).map(|message| ConfigError {
                        path: self.path.clone(),
                        line: s.line,
                        source: Some(s.name.clone()),
                        message,
                    })
                })
                .collect(),
        }
    }

    fn source(
        &self,
        n: usize,
        table: &Spanned<RawTable>,
    ) -> std::result::Result<SourceConfig, Vec<ConfigError>> {
        let t = table.get_ref();
        let line = line_of(&self.text, table.span().start);
        let text_of = |key: &str| {
            t.iter()
                .find(|(k, _)| k.get_ref() == key)
                .and_then(|(_, v)| v.get_ref().as_str().map(str::to_string))
        };
        let name = text_of("name")
            .or_else(|| text_of("kind").filter(|k| SourceKind::parse(k).is_some()))
            .unwrap_or_default();
        let mut r = Reader {
            cfg: self,
            t,
            line,
            label: if name.is_empty() {
                format!("[[source]] #{}", n + 1)
            } else {
                name.clone()
            },
            errors: Vec::new(),
            used: Vec::new(),
        };
        let kind_text = r.string("kind");
        let kind = match kind_text.as_deref() {
            None => {
                r.err_at(
                    line,
                    format!(
                        "missing `kind` (one of {})",
                        SourceKind::ALL.map(|k| k.as_str()).join(", ")
                    ),
                );
                None
            }
            Some(k) => match SourceKind::parse(k) {
                Some(k) => Some(k),
                None => {
                    r.err_key(
                        "kind",
                        format!(
                            "unknown kind {k:?} (one of {})",
                            SourceKind::ALL.map(|k| k.as_str()).join(", ")
                        ),
                    );
                    None
                }
            },
        };
        let name = match r.string("name") {
            Some(n) if !n.trim().is_empty() && !n.contains(':') => n,
            Some(_) => {
                r.err_key("name", "must be non-empty and contain no `:`".into());
                String::new()
            }
            None => kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
        };
        if r.has("token") {
            r.err_key(
                "token",
                "a literal token does not belong in the config file: put it in an environment variable and write `token_env = \"VAR\"`".into(),
            );
        }
        let credential = match (r.string("token_env"), r.string("token_keyring")) {
            (Some(_), Some(_)) => {
                r.err_key(
                    "token_keyring",
                    "give `token_env` or `token_keyring`, not both".into(),
                );
                Credential::None
            }
            (Some(v), None) if is_env_name(&v) => Credential::Env(v),
            (Some(v), None) => {
                r.err_key(
                    "token_env",
                    format!("{v:?} is not an environment variable name (it should name the variable, not hold the token)"),
                );
                Credential::None
            }
            (None, Some(v)) => match crate::credentials::check_name(&v) {
                Ok(()) => Credential::Keyring(v),
                Err(e) => {
                    r.err_key("token_keyring", e);
                    Credential::None
                }
            },
            (None, None) => Credential::None,
        };
        let mut http = HttpSettings::default();
        if let Some(v) = r.uint("timeout_secs") {
            http.timeout_secs = v.max(1);
        }
        if let Some(v) = r.uint("retries") {
            http.retries = v.min(20) as u32;
        }
        if let Some(v) = r.uint("backoff_ms") {
            http.backoff_ms = v;
        }
        if let Some(v) = r.uint("max_retry_after_secs") {
            http.max_retry_after_secs = v;
        }
        if let Some(v) = r.uint("concurrency") {
            http.concurrency = (v as usize).clamp(1, 64);
        }
        if let Some(v) = r.uint("page_size") {
            http.page_size = Some((v as usize).clamp(1, 10_000));
        }
        if let Some(v) = r.uint("max_pages") {
            http.max_pages = (v as usize).max(1);
        }
        let url = r.string("url");
        if let Some(u) = &url
            && reqwest::Url::parse(u)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .is_none()
        {
            r.err_key("url", format!("{u:?} is not an http(s) URL"));
        }
        let provides_list = r.strings("provides");
        let Some(kind) = kind else {
            return Err(r.errors);
        };
        let provides = match provides_list {
            None => kind.can_provide().to_vec(),
            Some(list) => {
                let mut out = Vec::new();
                for p in list {
                    match Provides::ALL.into_iter().find(|x| x.as_str() == p) {
                        Some(x) if kind.can_provide().contains(&x) => out.push(x),
                        _ => r.err_key(
                            "provides",
                            format!(
                                "a {} source cannot provide {p:?} (it can provide {})",
                                kind.as_str(),
                                kind.can_provide()
                                    .iter()
                                    .map(|x| x.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ),
                    }
                }
                out
            }
        };
        let needs_url = matches!(kind, SourceKind::Scim | SourceKind::PagerDuty);
        let catalog_dir = match kind {
            SourceKind::Backstage => r.string("path"),
            _ => None,
        };
        if kind == SourceKind::Backstage {
            match (&url, &catalog_dir) {
                (None, None) => r.err_at(
                    line,
                    "a backstage source needs `url` (the Backstage API) or `path` (a directory of catalog-info.yaml files)".into(),
                ),
                (Some(_), Some(_)) => r.err_key(
                    "path",
                    "give either `url` or `path`, not both".into(),
                ),
                _ => {}
            }
        }
        if needs_url && url.is_none() {
            r.err_at(line, format!("a {} source needs `url`", kind.as_str()));
        }
        let spec = match kind {
            SourceKind::Files => match r.string("dir") {
                Some(d) => {
                    let base = self.path.parent().unwrap_or(Path::new(""));
                    SourceSpec::Files { dir: base.join(d) }
                }
                None => {
                    r.err_at(
                        line,
                        "a files source needs `dir` (the org directory)".into(),
                    );
                    SourceSpec::Files {
                        dir: PathBuf::new(),
                    }
                }
            },
            SourceKind::Scim => {
                let person_id = r.string("person_id").unwrap_or_else(|| "userName".into());
                if !["userName", "id", "externalId", "email"].contains(&person_id.as_str()) {
                    r.err_key(
                        "person_id",
                        format!("{person_id:?}: expected userName, id, externalId or email"),
                    );
                }
                SourceSpec::Scim(ScimSettings {
                    person_id,
                    team_prefix: r.string("team_prefix"),
                    teams: r.string_map("teams"),
                    entitlement_prefix: r.string("entitlement_prefix"),
                    entitlements: r.string_map("entitlements"),
                })
            }
            SourceKind::PagerDuty => {
                let days_back = r.uint("days_back").unwrap_or(14) as i64;
                let days_ahead = r.uint("days_ahead").unwrap_or(28) as i64;
                SourceSpec::PagerDuty {
                    schedules: r.strings("schedules").unwrap_or_default(),
                    rotations: r.string_map("rotations"),
                    days_back,
                    days_ahead,
                }
            }
            SourceKind::Ics => SourceSpec::Ics { feeds: r.feeds() },
            SourceKind::Backstage => SourceSpec::Backstage {
                path: catalog_dir.map(|d| self.path.parent().unwrap_or(Path::new("")).join(d)),
            },
        };
        r.unknown_keys(kind);
        if r.errors.is_empty() {
            Ok(SourceConfig {
                name,
                kind,
                line,
                url: url.map(|u| u.trim_end_matches('/').to_string()),
                credential,
                provides,
                http,
                spec,
            })
        } else {
            Err(r.errors)
        }
    }
}

fn is_env_name(v: &str) -> bool {
    !v.is_empty()
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !v.starts_with(|c: char| c.is_ascii_digit())
}

const COMMON_KEYS: &[&str] = &[
    "kind",
    "name",
    "url",
    "token",
    "token_env",
    "token_keyring",
    "provides",
    "timeout_secs",
    "retries",
    "backoff_ms",
    "max_retry_after_secs",
    "concurrency",
    "page_size",
    "max_pages",
];

fn kind_keys(kind: SourceKind) -> &'static [&'static str] {
    match kind {
        SourceKind::Files => &["dir"],
        SourceKind::Scim => &[
            "person_id",
            "team_prefix",
            "teams",
            "entitlement_prefix",
            "entitlements",
        ],
        SourceKind::PagerDuty => &["schedules", "rotations", "days_back", "days_ahead"],
        SourceKind::Ics => &["feed"],
        SourceKind::Backstage => &["path"],
    }
}

struct Reader<'a> {
    cfg: &'a Config,
    t: &'a RawTable,
    line: usize,
    label: String,
    errors: Vec<ConfigError>,
    used: Vec<&'static str>,
}

impl Reader<'_> {
    fn get(&self, key: &str) -> Option<(&Spanned<String>, &Spanned<toml::Value>)> {
        self.t.iter().find(|(k, _)| k.get_ref() == key)
    }

    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn key_line(&self, key: &str) -> usize {
        self.get(key)
            .map(|(k, _)| line_of(&self.cfg.text, k.span().start))
            .unwrap_or(self.line)
    }

    fn err_at(&mut self, line: usize, message: String) {
        self.errors.push(ConfigError {
            path: self.cfg.path.clone(),
            line,
            source: Some(self.label.clone()),
            message,
        });
    }

    fn err_key(&mut self, key: &str, message: String) {
        let line = self.key_line(key);
        self.err_at(line, format!("`{key}`: {message}"));
    }

    fn string(&mut self, key: &str) -> Option<String> {
        let v = self.get(key)?.1.get_ref().clone();
        match v {
            toml::Value::String(s) => Some(s),
            other => {
                self.err_key(
                    key,
                    format!("expected a string, found {}", other.type_str()),
                );
                None
            }
        }
    }

    fn uint(&mut self, key: &str) -> Option<u64> {
        let v = self.get(key)?.1.get_ref().clone();
        match v {
            toml::Value::Integer(i) if i >= 0 => Some(i as u64),
            other => {
                self.err_key(
                    key,
                    format!("expected a non-negative integer, found {other}"),
                );
                None
            }
        }
    }

    fn strings(&mut self, key: &str) -> Option<Vec<String>> {
        let v = self.get(key)?.1.get_ref().clone();
        match v {
            toml::Value::Array(items) => {
                let mut out = Vec::new();
                for i in items {
                    match i {
                        toml::Value::String(s) => out.push(s),
                        other => {
                            self.err_key(key, format!("expected strings, found {other}"));
                            return None;
                        }
                    }
                }
                Some(out)
            }
            other => {
                self.err_key(
                    key,
                    format!("expected a list of strings, found {}", other.type_str()),
                );
                None
            }
        }
    }

    fn string_map(&mut self, key: &str) -> BTreeMap<String, String> {
        let Some((_, v)) = self.get(key) else {
            return BTreeMap::new();
        };
        match v.get_ref().clone() {
            toml::Value::Table(t) => {
                let mut out = BTreeMap::new();
                for (k, v) in t {
                    match v {
                        toml::Value::String(s) => {
                            out.insert(k, s);
                        }
                        other => self.err_key(
                            key,
                            format!(
                                "{k}: expected a string (a group displayName or id), found {other}"
                            ),
                        ),
                    }
                }
                out
            }
            other => {
                self.err_key(key, format!("expected a table, found {}", other.type_str()));
                BTreeMap::new()
            }
        }
    }

    fn feeds(&mut self) -> Vec<FeedConfig> {
        let Some((_, v)) = self.get("feed") else {
            self.err_at(
                self.line,
                "an ics source needs `[[source.feed]]` tables (rotation, url or url_env)".into(),
            );
            return Vec::new();
        };
        let line = self.key_line("feed");
        let toml::Value::Array(items) = v.get_ref().clone() else {
            self.err_key("feed", "expected `[[source.feed]]` tables".into());
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let n = i + 1;
            let toml::Value::Table(t) = item else {
                self.err_at(line, format!("feed #{n}: expected a table"));
                continue;
            };
            let s = |k: &str| t.get(k).and_then(|v| v.as_str()).map(str::to_string);
            for k in t.keys() {
                if !["rotation", "name", "team", "url", "url_env"].contains(&k.as_str()) {
                    self.err_at(
                        line,
                        format!(
                            "feed #{n}: unknown key `{k}` (rotation, name, team, url, url_env)"
                        ),
                    );
                }
            }
            let Some(rotation) = s("rotation") else {
                self.err_at(
                    line,
                    format!("feed #{n}: missing `rotation` (the rotation id)"),
                );
                continue;
            };
            let (url, url_from_env) = match (s("url"), s("url_env")) {
                (Some(u), None) => (u, None),
                (None, Some(var)) => (std::env::var(&var).unwrap_or_default(), Some(var)),
                _ => {
                    self.err_at(
                        line,
                        format!("feed {rotation}: give exactly one of `url` or `url_env`"),
                    );
                    continue;
                }
            };
            if url_from_env.is_none()
                && reqwest::Url::parse(&url)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .is_none()
            {
                self.err_at(
                    line,
                    format!("feed {rotation}: {url:?} is not an http(s) URL"),
                );
            }
            out.push(FeedConfig {
                rotation,
                name: s("name"),
                team: s("team"),
                url,
                url_from_env,
            });
        }
        out
    }

    fn unknown_keys(&mut self, kind: SourceKind) {
        let allowed: Vec<&str> = COMMON_KEYS.iter().chain(kind_keys(kind)).copied().collect();
        let unknown: Vec<(String, usize)> = self
            .t
            .keys()
            .filter(|k| !allowed.contains(&k.get_ref().as_str()))
            .map(|k| (k.get_ref().clone(), line_of(&self.cfg.text, k.span().start)))
            .collect();
        for (k, line) in unknown {
            self.err_at(
                line,
                format!(
                    "unknown key `{k}` for a {} source (known: {})",
                    kind.as_str(),
                    allowed.join(", ")
                ),
            );
        }
        let _ = &self.used;
    }
}

/// How digests leave: `[digest.smtp]` mails each owner at their roster
/// address; a `[[digest.webhook]]` posts `{"text": ...}` (Slack-compatible)
/// for the people it names (`"*"`: everyone not named by another webhook).
/// A person named by a webhook gets it there; everyone else by mail.
///
/// ```toml
/// [digest.smtp]
/// host = "smtp.acme.test"
/// port = 587                   # default: 587 starttls, 465 tls, 25 none
/// security = "starttls"        # starttls (default), tls, or none (localhost only)
/// username = "steward"
/// password_env = "STEWARD_SMTP_PASSWORD"   # or password_keyring = "smtp" (`steward secret set smtp`)
/// from = "steward <steward@acme.test>"
///
/// [[digest.webhook]]
/// name = "oncall-slack"
/// url_env = "ONCALL_SLACK_WEBHOOK"   # or url = "https://..."
/// people = ["omar"]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DigestConfig {
    pub smtp: Option<SmtpConfig>,
    pub webhooks: Vec<WebhookConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    StartTls,
    Tls,
    /// Plain SMTP: only to localhost.
    None,
}

impl SmtpSecurity {
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpSecurity::StartTls => "starttls",
            SmtpSecurity::Tls => "tls",
            SmtpSecurity::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    /// The environment variable holding the password (never the password).
    pub password_env: Option<String>,
    /// Or the OS keyring entry holding it.
    pub password_keyring: Option<String>,
    /// The sender, as a mailbox: `steward <steward@acme.test>`.
    pub from: String,
    pub timeout_secs: u64,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    pub name: String,
    /// The URL, given literally or through `url_env` (webhook URLs carry a secret).
    pub url: String,
    pub url_from_env: Option<String>,
    /// Person ids; `"*"` for everyone no other webhook names.
    pub people: Vec<String>,
    pub timeout_secs: u64,
    pub line: usize,
}

/// Where one person's digest goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestRoute<'a> {
    Email(&'a SmtpConfig),
    Webhook(&'a WebhookConfig),
}

impl DigestConfig {
    /// The channel for `person`: a webhook naming them, else a `"*"` webhook,
    /// else mail when SMTP is configured.
    pub fn route(&self, person: &str) -> Option<DigestRoute<'_>> {
        self.webhooks
            .iter()
            .find(|w| w.people.iter().any(|p| p == person))
            .or_else(|| {
                self.webhooks
                    .iter()
                    .find(|w| w.people.iter().any(|p| p == "*"))
            })
            .map(DigestRoute::Webhook)
            .or_else(|| self.smtp.as_ref().map(DigestRoute::Email))
    }
}

fn is_localhost(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1" | "[::1]") || host.starts_with("127.")
}

impl Config {
    /// The validated `[digest]` table (`None` when there is none), or every
    /// problem with its line.
    pub fn digest(&self) -> std::result::Result<Option<DigestConfig>, Vec<ConfigError>> {
        let Some(table) = &self.raw_digest else {
            return Ok(None);
        };
        let line = line_of(&self.text, table.span().start);
        let mut errors = Vec::new();
        let err = |errors: &mut Vec<ConfigError>, line: usize, message: String| {
            errors.push(ConfigError {
                path: self.path.clone(),
                line,
                source: None,
                message: format!("[digest]: {message}"),
            })
        };
        let key_line = |key: &str| {
            table
                .get_ref()
                .keys()
                .find(|k| k.get_ref() == key)
                .map_or(line, |k| line_of(&self.text, k.span().start))
        };
        let mut out = DigestConfig::default();
        for (k, v) in table.get_ref() {
            let kline = line_of(&self.text, k.span().start);
            match (k.get_ref().as_str(), v.get_ref()) {
                ("smtp", toml::Value::Table(t)) => {
                    out.smtp = self.smtp_config(t, kline, &mut errors);
                }
                ("webhook", toml::Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        match item {
                            toml::Value::Table(t) => {
                                if let Some(w) = self.webhook_config(t, i + 1, kline, &mut errors) {
                                    if out.webhooks.iter().any(|o| o.name == w.name) {
                                        err(
                                            &mut errors,
                                            kline,
                                            format!("two webhooks are named {:?}", w.name),
                                        );
                                    }
                                    out.webhooks.push(w);
                                }
                            }
                            _ => err(
                                &mut errors,
                                kline,
                                "expected `[[digest.webhook]]` tables".into(),
                            ),
                        }
                    }
                }
                ("smtp", _) => err(
                    &mut errors,
                    kline,
                    "expected a `[digest.smtp]` table".into(),
                ),
                ("webhook", _) => err(
                    &mut errors,
                    kline,
                    "expected `[[digest.webhook]]` tables".into(),
                ),
                (other, _) => err(
                    &mut errors,
                    kline,
                    format!("unknown key `{other}` (known: smtp, webhook)"),
                ),
            }
        }
        if out.smtp.is_none() && out.webhooks.is_empty() && errors.is_empty() {
            err(
                &mut errors,
                key_line("smtp"),
                "configures no channel: add `[digest.smtp]` or a `[[digest.webhook]]`".into(),
            );
        }
        if errors.is_empty() {
            Ok(Some(out))
        } else {
            errors.sort_by_key(|e| e.line);
            Err(errors)
        }
    }

    /// `[digest]` problems, and credentials not available here.
    fn check_digest(&self) -> Vec<ConfigError> {
        let cfg = match self.digest() {
            Err(e) => return e,
            Ok(None) => return Vec::new(),
            Ok(Some(c)) => c,
        };
        let unset = |v: &str| std::env::var(v).map(|x| x.is_empty()).unwrap_or(true);
        let mut out = Vec::new();
        if let Some(s) = &cfg.smtp
            && let Some(var) = s.password_env.as_deref().filter(|v| unset(v))
        {
            out.push(ConfigError {
                path: self.path.clone(),
                line: s.line,
                source: None,
                message: format!(
                    "[digest.smtp]: `password_env`: environment variable {var} is not set"
                ),
            });
        }
        if let Some(s) = &cfg.smtp
            && let Some(Err(e)) = s.password_keyring.as_deref().map(keyring_entry_state)
        {
            out.push(ConfigError {
                path: self.path.clone(),
                line: s.line,
                source: None,
                message: format!("[digest.smtp]: `password_keyring`: {e}"),
            });
        }
        for w in &cfg.webhooks {
            if let Some(var) = w.url_from_env.as_deref().filter(|v| unset(v)) {
                out.push(ConfigError {
                    path: self.path.clone(),
                    line: w.line,
                    source: None,
                    message: format!(
                        "[[digest.webhook]] {}: `url_env`: environment variable {var} is not set",
                        w.name
                    ),
                });
            }
        }
        out
    }

    fn smtp_config(
        &self,
        t: &toml::Table,
        line: usize,
        errors: &mut Vec<ConfigError>,
    ) -> Option<SmtpConfig> {
        let before = errors.len();
        let mut err = |message: String| {
            errors.push(ConfigError {
                path: self.path.clone(),
                line,
                source: None,
                message: format!("[digest.smtp]: {message}"),
            })
        };
        const KEYS: &[&str] = &[
            "host",
            "port",
            "security",
            "username",
            "password_env",
            "password_keyring",
            "password",
            "from",
            "timeout_secs",
        ];
        for k in t.keys() {
            if !KEYS.contains(&k.as_str()) {
                let known: Vec<&str> = KEYS.iter().copied().filter(|k| *k != "password").collect();
                err(format!("unknown key `{k}` (known: {})", known.join(", ")));
            }
        }
        if t.contains_key("password") {
            err("a literal password does not belong in the config file: put it in an environment variable and write `password_env = \"VAR\"`".into());
        }
        let text = |k: &str, err: &mut dyn FnMut(String)| match t.get(k) {
            None => None,
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(other) => {
                err(format!(
                    "`{k}`: expected a string, found {}",
                    other.type_str()
                ));
                None
            }
        };
        let host = text("host", &mut err).filter(|h| !h.trim().is_empty());
        if host.is_none() {
            err("needs `host` (the mail server)".into());
        }
        let security = match text("security", &mut err).as_deref() {
            None | Some("starttls") => SmtpSecurity::StartTls,
            Some("tls") => SmtpSecurity::Tls,
            Some("none") => SmtpSecurity::None,
            Some(other) => {
                err(format!(
                    "`security`: {other:?}: expected starttls, tls or none"
                ));
                SmtpSecurity::StartTls
            }
        };
        if security == SmtpSecurity::None
            && let Some(h) = &host
            && !is_localhost(h)
        {
            err(format!(
                "`security = \"none\"` sends mail and credentials unencrypted; it is allowed only to localhost, not {h:?} (use starttls or tls)"
            ));
        }
        let port = match t.get("port") {
            None => match security {
                SmtpSecurity::StartTls => 587,
                SmtpSecurity::Tls => 465,
                SmtpSecurity::None => 25,
            },
            Some(toml::Value::Integer(p)) if (1..=65535).contains(p) => *p as u16,
            Some(other) => {
                err(format!("`port`: expected a port number, found {other}"));
                0
            }
        };
        let username = text("username", &mut err);
        let password_env = text("password_env", &mut err);
        if let Some(v) = &password_env
            && !is_env_name(v)
        {
            err(format!(
                "`password_env`: {v:?} is not an environment variable name (it should name the variable, not hold the password)"
            ));
        }
        let password_keyring = text("password_keyring", &mut err);
        if let Some(v) = &password_keyring
            && let Err(e) = crate::credentials::check_name(v)
        {
            err(format!("`password_keyring`: {e}"));
        }
        if password_env.is_some() && password_keyring.is_some() {
            err("give `password_env` or `password_keyring`, not both".into());
        }
        if username.is_some() != (password_env.is_some() || password_keyring.is_some()) {
            err("give `username` and `password_env` together (or `username` and `password_keyring`; or none, for a server without login)".into());
        }
        let from = text("from", &mut err);
        match &from {
            None => err("needs `from` (the sender, like \"steward <steward@acme.test>\")".into()),
            Some(f) if f.parse::<lettre::message::Mailbox>().is_err() => {
                err(format!("`from`: {f:?} is not a mail address"))
            }
            Some(_) => {}
        }
        let timeout_secs = match t.get("timeout_secs") {
            None => 30,
            Some(toml::Value::Integer(n)) if *n > 0 => *n as u64,
            Some(other) => {
                err(format!(
                    "`timeout_secs`: expected a positive integer, found {other}"
                ));
                30
            }
        };
        (errors.len() == before).then(|| SmtpConfig {
            host: host.unwrap_or_default(),
            port,
            security,
            username,
            password_env,
            password_keyring,
            from: from.unwrap_or_default(),
            timeout_secs,
            line,
        })
    }

    fn webhook_config(
        &self,
        t: &toml::Table,
        n: usize,
        line: usize,
        errors: &mut Vec<ConfigError>,
    ) -> Option<WebhookConfig> {
        let before = errors.len();
        let label = t
            .get("name")
            .and_then(|v| v.as_str())
            .map_or(format!("#{n}"), str::to_string);
        let mut err = |message: String| {
            errors.push(ConfigError {
                path: self.path.clone(),
                line,
                source: None,
                message: format!("[[digest.webhook]] {label}: {message}"),
            })
        };
        const KEYS: &[&str] = &["name", "url", "url_env", "people", "timeout_secs"];
        for k in t.keys() {
            if !KEYS.contains(&k.as_str()) {
                err(format!("unknown key `{k}` (known: {})", KEYS.join(", ")));
            }
        }
        let s = |k: &str| t.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let name = s("name").filter(|n| !n.trim().is_empty());
        if name.is_none() {
            err("needs `name`".into());
        }
        let (url, url_from_env) = match (s("url"), s("url_env")) {
            (Some(u), None) => {
                if reqwest::Url::parse(&u)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .is_none()
                {
                    err(format!("`url`: {u:?} is not an http(s) URL"));
                }
                (u, None)
            }
            (None, Some(var)) if is_env_name(&var) => {
                (std::env::var(&var).unwrap_or_default(), Some(var))
            }
            (None, Some(var)) => {
                err(format!(
                    "`url_env`: {var:?} is not an environment variable name"
                ));
                (String::new(), None)
            }
            _ => {
                err("give exactly one of `url` or `url_env`".into());
                (String::new(), None)
            }
        };
        let people: Vec<String> = match t.get("people") {
            Some(toml::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        if people.is_empty() {
            err(
                "needs `people`: the person ids whose digest goes here, or [\"*\"] for everyone"
                    .into(),
            );
        }
        let timeout_secs = t
            .get("timeout_secs")
            .and_then(|v| v.as_integer())
            .filter(|n| *n > 0)
            .map_or(30, |n| n as u64);
        (errors.len() == before).then(|| WebhookConfig {
            name: name.unwrap_or_default(),
            url,
            url_from_env,
            people,
            timeout_secs,
            line,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Config {
        parse(text, Path::new("/etc/steward.toml")).unwrap()
    }

    #[test]
    fn a_complete_config_validates() {
        let c = cfg(r#"
me = "priya"

[[source]]
kind = "files"
dir = "org"
provides = ["trainings", "rules", "areas", "entitlements", "delegations"]

[[source]]
kind = "scim"
name = "okta"
url = "https://acme.okta.com/scim/v2/"
token_env = "OKTA_TOKEN"
team_prefix = "team-"
entitlements = { "payments-db:read" = "payments-db-read" }

[[source]]
kind = "pagerduty"
url = "https://api.pagerduty.com"
token_env = "PD_TOKEN"
schedules = ["PI7DH85"]

[[source]]
kind = "ics"
name = "grafana"
[[source.feed]]
rotation = "db-primary"
url = "https://oncall.example/feed.ics"

[[source]]
kind = "backstage"
url = "https://backstage.example"
"#);
        assert_eq!(c.me.as_deref(), Some("priya"));
        let s = c.sources().unwrap();
        assert_eq!(s.len(), 5);
        assert_eq!(s[0].name, "files");
        assert_eq!(
            s[0].spec,
            SourceSpec::Files {
                dir: PathBuf::from("/etc/org")
            }
        );
        assert_eq!(s[1].url.as_deref(), Some("https://acme.okta.com/scim/v2"));
        assert_eq!(s[1].credential, Credential::Env("OKTA_TOKEN".into()));
        assert_eq!(s[1].line, 9);
        assert_eq!(s[2].name, "pagerduty");
        assert!(s[2].provides(Provides::Rotations));
    }

    #[test]
    fn the_documented_example_is_valid() {
        let src = include_str!("config.rs");
        let start = src.find("//! ```toml\n").unwrap() + "//! ```toml\n".len();
        let end = start + src[start..].find("//! ```\n").unwrap();
        let text: String = src[start..end]
            .lines()
            .map(|l| {
                l.strip_prefix("//! ")
                    .or(l.strip_prefix("//!"))
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = cfg(&text);
        let s = c.sources().unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.len(), 6);
        assert_eq!(
            s[1].provides,
            vec![Provides::People, Provides::Teams, Provides::Grants]
        );
        assert_eq!(s[2].credential, Credential::Keyring("pagerduty".into()));
    }

    #[test]
    fn a_literal_token_is_refused_with_its_line() {
        let c = cfg(
            "me = \"x\"\n[[source]]\nkind = \"scim\"\nname = \"okta\"\nurl = \"https://x\"\ntoken = \"s3cret\"\n",
        );
        let e = c.sources().unwrap_err();
        assert_eq!(e.len(), 1);
        let text = e[0].to_string();
        assert!(
            text.starts_with("/etc/steward.toml:6: source okta: `token`"),
            "{text}"
        );
        assert!(text.contains("token_env"));
        assert!(!text.contains("s3cret"));
    }

    #[test]
    fn every_problem_is_named_with_its_line() {
        let c = cfg(
            "[[source]]\nkind = \"scim\"\n\n[[source]]\nkind = \"ldap\"\n\n[[source]]\nkind = \"pagerduty\"\nurl = \"ftp://x\"\ntoken_env = \"abc def\"\nschedule = [\"P1\"]\nprovides = [\"grants\"]\n",
        );
        let e: Vec<String> = c
            .sources()
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect();
        let all = e.join("\n");
        assert!(
            all.contains(":1: source scim: a scim source needs `url`"),
            "{all}"
        );
        assert!(
            all.contains(":5: source [[source]] #2: `kind`: unknown kind \"ldap\""),
            "{all}"
        );
        assert!(all.contains(":9: source pagerduty: `url`"), "{all}");
        assert!(all.contains(":10: source pagerduty: `token_env`"), "{all}");
        assert!(
            all.contains(":11: source pagerduty: unknown key `schedule`"),
            "{all}"
        );
        assert!(
            all.contains(
                ":12: source pagerduty: `provides`: a pagerduty source cannot provide \"grants\""
            ),
            "{all}"
        );
    }

    #[test]
    fn syntax_errors_have_a_line_and_the_minimal_config_still_loads() {
        let e = parse("me = \"x\"\n[[source]\n", Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.toml:2:"), "{e}");
        let c = cfg("me = \"x\"\n");
        assert!(c.sources().unwrap().is_empty());
        let c = cfg("me = \"x\"\nnme = 1\n");
        assert!(
            c.sources().unwrap_err()[0]
                .to_string()
                .contains(":2: unknown key `nme`")
        );
    }
}
