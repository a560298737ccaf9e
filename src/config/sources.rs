//! `[[source]]` tables: what each kind of source is, and reading them.

use super::reader::{RawTable, Reader, has_password, is_env_name, is_http_url, not_http};
use super::{Config, ConfigError, line_of};
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

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
    /// The largest response body read, in MiB (default 64): checked while
    /// it streams in, so an answer that never ends stops there.
    pub max_response_mb: u64,
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
            max_response_mb: 64,
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
    /// The zone of floating times and all-day dates when the calendar
    /// names none (no `X-WR-TIMEZONE`).
    pub tz: Option<String>,
    /// A regex whose `person` group (or first group) is the person's name
    /// in a SUMMARY.
    pub summary_pattern: Option<String>,
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
        /// The window feeds are expanded over, around the sync's time.
        days_back: i64,
        days_ahead: i64,
    },
    Backstage {
        /// A directory of catalog-info.yaml files, read instead of `url`.
        path: Option<PathBuf>,
        /// Group -> the person who stands for it as an owner.
        group_owners: BTreeMap<String, String>,
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
    /// Its place in the top-level `precedence` list (0 first), when listed:
    /// the same id from two listed sources is taken from the earlier one.
    pub precedence: Option<usize>,
    /// When a sync of it is held back (`max_shrink_percent`, default 50).
    pub shrink: crate::guard::Threshold,
}

impl SourceConfig {
    /// The URL or directory, for `status`.
    pub fn location(&self) -> String {
        match &self.spec {
            SourceSpec::Files { dir } => std::fs::canonicalize(dir)
                .unwrap_or_else(|_| dir.clone())
                .display()
                .to_string(),
            SourceSpec::Ics { feeds, .. } => {
                let urls: Vec<String> = feeds
                    .iter()
                    .map(|f| match &f.url_from_env {
                        Some(var) => format!("${var}"),
                        None => f.url.clone(),
                    })
                    .collect();
                urls.join(" ")
            }
            SourceSpec::Backstage {
                path: Some(dir), ..
            } => std::fs::canonicalize(dir)
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
    "every",
    "max_response_mb",
    "max_shrink_percent",
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
        SourceKind::Ics => &["feed", "days_back", "days_ahead"],
        SourceKind::Backstage => &["path", "group_owners"],
    }
}

const FEED_KEYS: &[&str] = &[
    "rotation",
    "name",
    "team",
    "url",
    "url_env",
    "tz",
    "summary_pattern",
];

impl Config {
    /// Validates every `[[source]]` table: all of them, or every problem found.
    pub fn sources(&self) -> Result<Vec<SourceConfig>, Vec<ConfigError>> {
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
        for (rank, name) in self.precedence.iter().enumerate() {
            match out.iter_mut().find(|s| s.name == *name) {
                Some(s) => s.precedence = Some(rank),
                None => errors.push(ConfigError {
                    path: self.path.clone(),
                    line: self.key_line("precedence"),
                    source: None,
                    message: format!("precedence names {name:?}, which is no configured source"),
                }),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            errors.sort_by_key(|e| e.line);
            Err(errors)
        }
    }

    /// The directory a path in the file is relative to.
    fn base(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }

    /// One `[[source]]` table, the `n`th: the source, or its problems.
    fn source(
        &self,
        n: usize,
        table: &Spanned<RawTable>,
    ) -> Result<SourceConfig, Vec<ConfigError>> {
        let line = line_of(&self.text, table.span().start);
        let mut r = Reader::spanned(&self.path, &self.text, table.get_ref(), line);
        let label = r
            .lenient_string("name")
            .or_else(|| {
                r.lenient_string("kind")
                    .filter(|k| SourceKind::parse(k).is_some())
            })
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| format!("[[source]] #{}", n + 1));
        r = r.in_source(label);
        let kind = read_kind(&mut r);
        let name = read_name(&mut r, kind);
        let credential = read_credential(&mut r);
        let http = read_http(&mut r);
        let shrink = read_shrink(&mut r);
        let url = r.url("url");
        let provides_list = r.strings("provides");
        let Some(kind) = kind else {
            return Err(r.errors);
        };
        let provides = read_provides(&mut r, kind, provides_list);
        let spec = self.read_spec(&mut r, kind, url.is_some());
        unknown_keys(&mut r, kind);
        if !r.errors.is_empty() {
            return Err(r.errors);
        }
        Ok(SourceConfig {
            name,
            kind,
            line,
            url: url.map(|u| u.trim_end_matches('/').to_string()),
            credential,
            provides,
            http,
            spec,
            precedence: None,
            shrink,
        })
    }

    /// What only this kind of source says; a missing `url`, `dir` or
    /// `path` is noted.
    fn read_spec(&self, r: &mut Reader, kind: SourceKind, has_url: bool) -> SourceSpec {
        let catalog_dir = match kind {
            SourceKind::Backstage => r.string("path"),
            _ => None,
        };
        if kind == SourceKind::Backstage {
            match (has_url, &catalog_dir) {
                (false, None) => r.err(
                    "a backstage source needs `url` (the Backstage API) or `path` (a directory of catalog-info.yaml files)".into(),
                ),
                (true, Some(_)) => r.err_key("path", "give either `url` or `path`, not both".into()),
                _ => {}
            }
        }
        if matches!(kind, SourceKind::Scim | SourceKind::PagerDuty) && !has_url {
            r.err(format!("a {} source needs `url`", kind.as_str()));
        }
        match kind {
            SourceKind::Files => {
                let dir = r.string("dir");
                if dir.is_none() {
                    r.err("a files source needs `dir` (the org directory)".into());
                }
                SourceSpec::Files {
                    dir: dir.map_or_else(PathBuf::new, |d| self.base().join(d)),
                }
            }
            SourceKind::Scim => SourceSpec::Scim(read_scim(r)),
            SourceKind::PagerDuty => SourceSpec::PagerDuty {
                days_back: r.uint("days_back").unwrap_or(14) as i64,
                days_ahead: r.uint("days_ahead").unwrap_or(28) as i64,
                schedules: r.strings("schedules").unwrap_or_default(),
                rotations: r.string_map("rotations"),
            },
            SourceKind::Ics => SourceSpec::Ics {
                feeds: feeds(r),
                days_back: r.uint("days_back").unwrap_or(90) as i64,
                days_ahead: r.uint("days_ahead").unwrap_or(400) as i64,
            },
            SourceKind::Backstage => SourceSpec::Backstage {
                path: catalog_dir.map(|d| self.base().join(d)),
                group_owners: r.string_map("group_owners"),
            },
        }
    }
}

fn kinds() -> String {
    SourceKind::ALL.map(|k| k.as_str()).join(", ")
}

fn read_kind(r: &mut Reader) -> Option<SourceKind> {
    let Some(text) = r.string("kind") else {
        r.err(format!("missing `kind` (one of {})", kinds()));
        return None;
    };
    let kind = SourceKind::parse(&text);
    if kind.is_none() {
        r.err_key(
            "kind",
            format!("unknown kind {text:?} (one of {})", kinds()),
        );
    }
    kind
}

fn read_name(r: &mut Reader, kind: Option<SourceKind>) -> String {
    match r.string("name") {
        Some(n) if !n.trim().is_empty() && !n.contains(':') => n,
        Some(_) => {
            r.err_key("name", "must be non-empty and contain no `:`".into());
            String::new()
        }
        None => kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
    }
}

fn read_credential(r: &mut Reader) -> Credential {
    if r.has("token") {
        r.err_key(
            "token",
            "a literal token does not belong in the config file: put it in an environment variable and write `token_env = \"VAR\"`".into(),
        );
    }
    match (r.string("token_env"), r.string("token_keyring")) {
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
                r.err_key("token_keyring", e.to_string());
                Credential::None
            }
        },
        (None, None) => Credential::None,
    }
}

fn read_http(r: &mut Reader) -> HttpSettings {
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
    if let Some(v) = r.uint("max_response_mb") {
        http.max_response_mb = v.clamp(1, 1 << 20);
    }
    http
}

/// The shrink guard's threshold: a sync may drop at most
/// `max_shrink_percent` of any kind the source provided (100: never held back).
fn read_shrink(r: &mut Reader) -> crate::guard::Threshold {
    let mut t = crate::guard::Threshold::default();
    if let Some(v) = r.uint("max_shrink_percent") {
        if v > 100 {
            r.err_key(
                "max_shrink_percent",
                format!("{v} is not a percentage (0 to 100)"),
            );
        }
        t.max_drop_percent = v.min(100) as u8;
    }
    t
}

fn read_provides(r: &mut Reader, kind: SourceKind, list: Option<Vec<String>>) -> Vec<Provides> {
    let Some(list) = list else {
        return kind.can_provide().to_vec();
    };
    let mut out = Vec::new();
    for p in list {
        match Provides::ALL.into_iter().find(|x| x.as_str() == p) {
            Some(x) if kind.can_provide().contains(&x) => out.push(x),
            _ => {
                let can: Vec<&str> = kind.can_provide().iter().map(|x| x.as_str()).collect();
                r.err_key(
                    "provides",
                    format!(
                        "a {} source cannot provide {p:?} (it can provide {})",
                        kind.as_str(),
                        can.join(", ")
                    ),
                )
            }
        }
    }
    out
}

fn read_scim(r: &mut Reader) -> ScimSettings {
    let person_id = r.string("person_id").unwrap_or_else(|| "userName".into());
    if !["userName", "id", "externalId", "email"].contains(&person_id.as_str()) {
        r.err_key(
            "person_id",
            format!("{person_id:?}: expected userName, id, externalId or email"),
        );
    }
    ScimSettings {
        person_id,
        team_prefix: r.string("team_prefix"),
        teams: r.string_map("teams"),
        entitlement_prefix: r.string("entitlement_prefix"),
        entitlements: r.string_map("entitlements"),
    }
}

/// An ics source's `[[source.feed]]` tables (problems at the `feed` line).
fn feeds(r: &mut Reader) -> Vec<FeedConfig> {
    let Some(v) = r.get("feed") else {
        r.err("an ics source needs `[[source.feed]]` tables (rotation, url or url_env)".into());
        return Vec::new();
    };
    let line = r.key_line("feed");
    let toml::Value::Array(items) = v else {
        r.err_key("feed", "expected `[[source.feed]]` tables".into());
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let n = i + 1;
        let toml::Value::Table(t) = item else {
            r.err_at(line, format!("feed #{n}: expected a table"));
            continue;
        };
        for k in t.keys() {
            if !FEED_KEYS.contains(&k.as_str()) {
                r.err_at(
                    line,
                    format!(
                        "feed #{n}: unknown key `{k}` (rotation, name, team, url, url_env, tz, summary_pattern)"
                    ),
                );
            }
        }
        let s = |k: &str| t.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let Some(rotation) = s("rotation") else {
            r.err_at(
                line,
                format!("feed #{n}: missing `rotation` (the rotation id)"),
            );
            continue;
        };
        let (url, url_from_env) = match (s("url"), s("url_env")) {
            (Some(u), None) => (u, None),
            (None, Some(var)) => (std::env::var(&var).unwrap_or_default(), Some(var)),
            _ => {
                r.err_at(
                    line,
                    format!("feed {rotation}: give exactly one of `url` or `url_env`"),
                );
                continue;
            }
        };
        if url_from_env.is_none() && !is_http_url(&url) {
            r.err_at(line, format!("feed {rotation}: {}", not_http(&url)));
        }
        let tz = s("tz");
        if let Some(z) = &tz
            && crate::sources::files::ics::Zone::named(z).is_none()
        {
            r.err_at(
                line,
                format!("feed {rotation}: tz {z:?} is not an IANA or Windows time zone name"),
            );
        }
        let summary_pattern = s("summary_pattern");
        if let Some(p) = &summary_pattern
            && let Err(e) = regex::Regex::new(p)
        {
            r.err_at(line, format!("feed {rotation}: summary_pattern: {e}"));
        }
        if url_from_env.is_none() && has_password(&url) {
            r.err_at(
                line,
                format!("feed {rotation}: a password in a URL does not belong in the config file: put the URL in an environment variable named by `url_env`"),
            );
        }
        out.push(FeedConfig {
            rotation,
            name: s("name"),
            team: s("team"),
            url,
            url_from_env,
            tz,
            summary_pattern,
        });
    }
    out
}

fn unknown_keys(r: &mut Reader, kind: SourceKind) {
    let allowed: Vec<&str> = COMMON_KEYS.iter().chain(kind_keys(kind)).copied().collect();
    let unknown: Vec<(String, usize)> = r
        .keys()
        .filter(|(k, _)| !allowed.contains(k))
        .map(|(k, line)| (k.to_string(), line))
        .collect();
    for (k, line) in unknown {
        r.err_at(
            line,
            format!(
                "unknown key `{k}` for a {} source (known: {})",
                kind.as_str(),
                allowed.join(", ")
            ),
        );
    }
}
