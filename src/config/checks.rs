//! What `steward config check` adds to reading the file: whether the
//! credentials and paths it names are there, in this environment.

use super::{Config, ConfigError, Credential, SourceConfig, SourceSpec};

impl Config {
    /// Every problem in the file, for `steward config check`: also
    /// credentials that are not available in this environment.
    pub fn check(&self) -> Vec<ConfigError> {
        let mut problems = self.check_sources();
        problems.extend(self.check_digest());
        problems.extend(self.check_audit());
        problems.extend(self.serve().err().unwrap_or_default());
        problems.extend(self.sync_every().err().unwrap_or_default());
        problems.extend(self.digest_schedule().err().unwrap_or_default());
        problems
    }

    fn check_sources(&self) -> Vec<ConfigError> {
        match self.sources() {
            Err(e) => e,
            Ok(sources) => sources
                .iter()
                .filter_map(|s| {
                    let message = credential_problem(&s.credential).or_else(|| spec_problem(s))?;
                    Some(ConfigError {
                        path: self.path.clone(),
                        line: s.line,
                        source: Some(s.name.clone()),
                        message,
                    })
                })
                .collect(),
        }
    }

    /// `[digest]` problems, and credentials not available here.
    fn check_digest(&self) -> Vec<ConfigError> {
        let cfg = match self.digest() {
            Err(e) => return e,
            Ok(None) => return Vec::new(),
            Ok(Some(c)) => c,
        };
        let problem = |line: usize, message: String| ConfigError {
            path: self.path.clone(),
            line,
            source: None,
            message,
        };
        let mut out = Vec::new();
        if let Some(s) = &cfg.smtp
            && let Some(var) = s.password_env.as_deref().filter(|v| unset(v))
        {
            out.push(problem(
                s.line,
                format!("[digest.smtp]: `password_env`: environment variable {var} is not set"),
            ));
        }
        if let Some(s) = &cfg.smtp
            && let Some(e) = s
                .password_keyring
                .as_deref()
                .and_then(keyring_entry_problem)
        {
            out.push(problem(
                s.line,
                format!("[digest.smtp]: `password_keyring`: {e}"),
            ));
        }
        for w in &cfg.webhooks {
            if let Some(var) = w.url_from_env.as_deref().filter(|v| unset(v)) {
                out.push(problem(
                    w.line,
                    format!(
                        "[[digest.webhook]] {}: `url_env`: environment variable {var} is not set",
                        w.name
                    ),
                ));
            }
        }
        out
    }
}

fn unset(var: &str) -> bool {
    std::env::var(var).map(|x| x.is_empty()).unwrap_or(true)
}

/// A source's token that is not there.
fn credential_problem(c: &Credential) -> Option<String> {
    match c {
        Credential::Env(var) => std::env::var(var)
            .map(|v| v.trim().is_empty())
            .unwrap_or(true)
            .then(|| format!("token_env: environment variable {var} is not set")),
        Credential::Keyring(name) => {
            keyring_entry_problem(name).map(|e| format!("token_keyring: {e}"))
        }
        Credential::None => None,
    }
}

/// A feed URL's variable that is not set, or a catalog directory that is not one.
fn spec_problem(s: &SourceConfig) -> Option<String> {
    match &s.spec {
        SourceSpec::Ics { feeds, .. } => feeds
            .iter()
            .filter_map(|f| f.url_from_env.as_ref())
            .find(|v| std::env::var(v).is_err())
            .map(|v| format!("url_env: environment variable {v} is not set")),
        SourceSpec::Backstage {
            path: Some(dir), ..
        } => match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => None,
            Ok(_) => Some(format!("path: {} is not a directory", dir.display())),
            Err(e) => Some(format!("path: cannot read {}: {e}", dir.display())),
        },
        _ => None,
    }
}

/// Why a keyring entry cannot be read, as `config check` says it (never
/// the secret); `None` when it is there.
fn keyring_entry_problem(name: &str) -> Option<String> {
    match crate::credentials::keyring_has(name) {
        Ok(true) => None,
        Ok(false) => Some(format!(
            "keyring entry {name} does not exist in the {} (store it with `steward secret set {name}`)",
            crate::credentials::keyring_backend()
        )),
        Err(e) => Some(format!("{e:#}")),
    }
}
