//! `[audit]`: where signed checkpoints of the audit log are kept, how often
//! `steward serve` writes them (and where it posts them), and how far an
//! entry's wall-clock time may go back before `audit verify` reports it.
//!
//! ```toml
//! [audit]
//! checkpoint_dir = "/var/lib/steward/checkpoints"   # relative to this file
//! checkpoint_every = 100                # entries (default 100)
//! checkpoint_interval_secs = 3600       # default one hour
//! checkpoint_webhook_env = "STEWARD_CHECKPOINT_WEBHOOK"  # or checkpoint_webhook = "https://..."
//! max_skew_secs = 300                   # default five minutes
//! ```

use super::reader::{Reader, is_env_name};
use super::{Config, ConfigError, line_of};
use std::path::PathBuf;

pub const DEFAULT_CHECKPOINT_EVERY: u64 = 100;
pub const DEFAULT_CHECKPOINT_INTERVAL_SECS: u64 = 3600;
pub const DEFAULT_MAX_SKEW_SECS: u64 = 300;

const KEYS: &[&str] = &[
    "checkpoint_dir",
    "checkpoint_every",
    "checkpoint_interval_secs",
    "checkpoint_webhook",
    "checkpoint_webhook_env",
    "max_skew_secs",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// Where checkpoints are written and found (absolute).
    pub checkpoint_dir: Option<PathBuf>,
    pub checkpoint_every: u64,
    pub checkpoint_interval_secs: u64,
    pub checkpoint_webhook: Option<CheckpointWebhook>,
    pub max_skew_secs: u64,
    /// The line of `[audit]` (0 without one).
    pub line: usize,
}

impl Default for AuditConfig {
    fn default() -> AuditConfig {
        AuditConfig {
            checkpoint_dir: None,
            checkpoint_every: DEFAULT_CHECKPOINT_EVERY,
            checkpoint_interval_secs: DEFAULT_CHECKPOINT_INTERVAL_SECS,
            checkpoint_webhook: None,
            max_skew_secs: DEFAULT_MAX_SKEW_SECS,
            line: 0,
        }
    }
}

/// Where checkpoints are posted. The URL usually carries a secret: it is
/// never shown (nor in `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct CheckpointWebhook {
    /// Empty when `url_env` names a variable that is not set.
    pub url: String,
    pub url_env: Option<String>,
}

impl std::fmt::Debug for CheckpointWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointWebhook")
            .field("url", &"(hidden)")
            .field("url_env", &self.url_env)
            .finish()
    }
}

impl CheckpointWebhook {
    /// Why it cannot be used now, if it cannot.
    pub fn problem(&self) -> Option<String> {
        match (&self.url_env, self.url.is_empty()) {
            (Some(var), true) => Some(format!(
                "`checkpoint_webhook_env`: environment variable {var} is not set"
            )),
            _ => None,
        }
    }
}

impl Config {
    /// The validated `[audit]` table (its defaults when there is none), or
    /// every problem with its line.
    pub fn audit(&self) -> Result<AuditConfig, Vec<ConfigError>> {
        let Some(table) = &self.raw_audit else {
            return Ok(AuditConfig::default());
        };
        let line = line_of(&self.text, table.span().start);
        let mut r = Reader::spanned(&self.path, &self.text, table.get_ref(), line)
            .with_prefix("[audit]: ".into());
        for (key, kline) in r.keys().collect::<Vec<_>>() {
            if !KEYS.contains(&key) {
                r.err_at(
                    kline,
                    format!("unknown key `{key}` (known: {})", KEYS.join(", ")),
                );
            }
        }
        let base = self.path.parent().map(PathBuf::from).unwrap_or_default();
        let mut cfg = AuditConfig {
            checkpoint_dir: r.string("checkpoint_dir").map(|d| base.join(d)),
            line,
            ..AuditConfig::default()
        };
        for (key, slot) in [
            ("checkpoint_every", &mut cfg.checkpoint_every),
            (
                "checkpoint_interval_secs",
                &mut cfg.checkpoint_interval_secs,
            ),
        ] {
            match r.uint(key) {
                Some(0) => r.err_key(key, "must be at least 1".into()),
                Some(n) => *slot = n,
                None => {}
            }
        }
        if let Some(n) = r.uint("max_skew_secs") {
            cfg.max_skew_secs = n;
        }
        cfg.checkpoint_webhook = webhook(&mut r);
        if cfg.checkpoint_webhook.is_some() && cfg.checkpoint_dir.is_none() {
            r.err("a checkpoint webhook needs `checkpoint_dir` too (checkpoints are kept there first)".into());
        }
        if r.errors.is_empty() {
            Ok(cfg)
        } else {
            Err(r.errors)
        }
    }

    /// `[audit]` problems, and a webhook variable not set here, for `config check`.
    pub(super) fn check_audit(&self) -> Vec<ConfigError> {
        match self.audit() {
            Err(e) => e,
            Ok(cfg) => cfg
                .checkpoint_webhook
                .and_then(|w| w.problem())
                .map(|message| ConfigError {
                    path: self.path.clone(),
                    line: cfg.line,
                    source: None,
                    message: format!("[audit]: {message}"),
                })
                .into_iter()
                .collect(),
        }
    }
}

/// `checkpoint_webhook` or `checkpoint_webhook_env` (at most one).
fn webhook(r: &mut Reader) -> Option<CheckpointWebhook> {
    let url = r.url("checkpoint_webhook");
    let var = r.string("checkpoint_webhook_env");
    match (url, var) {
        (None, None) => None,
        (Some(url), None) => Some(CheckpointWebhook { url, url_env: None }),
        (None, Some(var)) if is_env_name(&var) => Some(CheckpointWebhook {
            url: std::env::var(&var).unwrap_or_default(),
            url_env: Some(var),
        }),
        (None, Some(var)) => {
            r.err_key(
                "checkpoint_webhook_env",
                format!("{var:?} is not an environment variable name"),
            );
            None
        }
        (Some(_), Some(_)) => {
            r.err("give one of `checkpoint_webhook` or `checkpoint_webhook_env`, not both".into());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse;
    use std::path::Path;

    #[test]
    fn audit_settings_are_read_with_their_defaults() {
        let c = parse("me = \"x\"\n", Path::new("/etc/steward/steward.toml")).unwrap();
        let a = c.audit().unwrap();
        assert_eq!((a.checkpoint_every, a.max_skew_secs), (100, 300));
        assert!(a.checkpoint_dir.is_none());
        let c = parse(
            "[audit]\ncheckpoint_dir = \"cps\"\ncheckpoint_every = 5\ncheckpoint_interval_secs = 60\ncheckpoint_webhook = \"https://hooks.example/T0/secret\"\nmax_skew_secs = 10\n",
            Path::new("/etc/steward/steward.toml"),
        )
        .unwrap();
        let a = c.audit().unwrap();
        assert_eq!(a.checkpoint_dir, Some("/etc/steward/cps".into()));
        assert_eq!(
            (
                a.checkpoint_every,
                a.checkpoint_interval_secs,
                a.max_skew_secs
            ),
            (5, 60, 10)
        );
        let hook = a.checkpoint_webhook.unwrap();
        assert!(!format!("{hook:?}").contains("secret"));
        assert!(c.check().is_empty(), "{:?}", c.check());
    }

    #[test]
    fn audit_problems_name_their_line() {
        let c = parse(
            "me = \"x\"\n[audit]\ncheckpoint_every = 0\nmax_skew = 3\ncheckpoint_webhook = \"ftp://x\"\ncheckpoint_dir = \"d\"\n",
            Path::new("s.toml"),
        )
        .unwrap();
        let all: Vec<String> = c
            .audit()
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect();
        let all = all.join("\n");
        assert!(
            all.contains("s.toml:3: [audit]: `checkpoint_every`: must be at least 1"),
            "{all}"
        );
        assert!(
            all.contains("s.toml:4: [audit]: unknown key `max_skew`"),
            "{all}"
        );
        assert!(
            all.contains("s.toml:5: [audit]: `checkpoint_webhook`"),
            "{all}"
        );
        assert!(c.sources().is_ok(), "[audit] is a known table");

        let c = parse(
            "[audit]\ncheckpoint_dir = \"d\"\ncheckpoint_webhook_env = \"STEWARD_TEST_UNSET_CHECKPOINT_HOOK\"\n",
            Path::new("s.toml"),
        )
        .unwrap();
        let problems = c.check();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].to_string().contains("is not set"));
    }
}
