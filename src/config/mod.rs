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
//! # page_size, max_pages (10000), max_response_mb (64). Every source takes
//! # max_shrink_percent (50): a sync dropping more of a kind it provided
//! # (when it had at least 10) is held back.
//! ```
//!
//! Loading is lenient (only TOML syntax must be right, so that every command
//! still runs); [`Config::sources`] validates the `[[source]]` tables and
//! names the file, line and key of every problem. Credentials are never
//! written in the file: `token_env` names an environment variable,
//! `token_keyring` an entry of the OS keyring (see `credentials`), and a
//! `token` key is refused.
//!
//! One file per concern: `sources` (the `[[source]]` tables), `digest`
//! (`[digest]`), `audit` (`[audit]`: checkpoints of the audit log),
//! `checks` (what `config check` adds: credentials present in this
//! environment), `reader` (reading one table, noting every problem).

mod audit;
mod checks;
mod digest;
mod reader;
pub mod serve;
mod sources;

pub use audit::{AuditConfig, CheckpointWebhook};
pub use digest::{DigestConfig, DigestRoute, SmtpConfig, SmtpSecurity, WebhookConfig};
pub use sources::{
    Credential, FeedConfig, HttpSettings, Provides, ScimSettings, SourceConfig, SourceKind,
    SourceSpec,
};

use reader::RawTable;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
struct RawConfig {
    me: Option<String>,
    #[serde(default)]
    precedence: Vec<String>,
    #[serde(default, rename = "source")]
    sources: Vec<Spanned<RawTable>>,
    #[serde(default)]
    digest: Option<Spanned<RawTable>>,
    #[serde(default)]
    audit: Option<Spanned<RawTable>>,
    serve: Option<Spanned<RawTable>>,
}

#[derive(Debug, Default)]
pub struct Config {
    /// The person steward acts as when `--as` is not given.
    pub me: Option<String>,
    /// Source names, first first: which one's person, team, rotation, area
    /// or entitlement counts when two provide the same id.
    pub precedence: Vec<String>,
    /// Where it was read from.
    pub path: PathBuf,
    text: String,
    raw: Vec<Spanned<RawTable>>,
    raw_digest: Option<Spanned<RawTable>>,
    raw_audit: Option<Spanned<RawTable>>,
    raw_serve: Option<Spanned<RawTable>>,
    top_level: Vec<(String, usize)>,
}

/// Why the config file could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read config {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not TOML: where, and what the TOML parser says.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Syntax {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
}

/// Reads the config file; `None` when it does not exist.
pub fn load(path: &Path) -> Result<Option<Config>, LoadError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(LoadError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    parse(&text, path).map(Some)
}

/// Parses config text (TOML syntax only; see [`Config::sources`] for the rest).
pub fn parse(text: &str, path: &Path) -> Result<Config, LoadError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| LoadError::Syntax {
        path: path.to_path_buf(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().trim_end().to_string(),
    })?;
    let top: BTreeMap<Spanned<String>, toml::Value> = toml::from_str(text).unwrap_or_default();
    let top_level = top
        .keys()
        .map(|k| (k.get_ref().clone(), line_of(text, k.span().start)))
        .collect();
    Ok(Config {
        me: raw.me,
        precedence: raw.precedence,
        path: path.to_path_buf(),
        text: text.to_string(),
        raw: raw.sources,
        raw_digest: raw.digest,
        raw_audit: raw.audit,
        raw_serve: raw.serve,
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

impl std::error::Error for ConfigError {}

impl Config {
    /// The line of a top-level key (1 when absent).
    fn key_line(&self, key: &str) -> usize {
        self.top_level
            .iter()
            .find(|(k, _)| k == key)
            .map_or(1, |(_, l)| *l)
    }

    /// Top-level keys other than `me`, `precedence`, `source`, `digest`,
    /// `audit` and `serve`, with their lines.
    fn unknown_top_level(&self) -> Vec<ConfigError> {
        self.top_level
            .iter()
            .filter(|(k, _)| {
                !["me", "precedence", "source", "digest", "audit", "serve"].contains(&k.as_str())
            })
            .map(|(k, line)| ConfigError {
                path: self.path.clone(),
                line: *line,
                source: None,
                message: format!(
                    "unknown key `{k}` (expected `me`, `precedence`, `[[source]]` tables, `[digest]`, `[audit]` and `[serve]`)"
                ),
            })
            .collect()
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
        let src = include_str!("mod.rs");
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
