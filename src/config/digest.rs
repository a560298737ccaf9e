//! `[digest]`: how digests leave (mail, webhooks), and reading it.

use super::reader::{Reader, has_password, is_env_name, is_http_url, not_http};
use super::{Config, ConfigError, line_of};

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

const SMTP_KEYS: &[&str] = &[
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

const WEBHOOK_KEYS: &[&str] = &["name", "url", "url_env", "people", "timeout_secs"];

impl Config {
    /// The validated `[digest]` table (`None` when there is none), or every
    /// problem with its line.
    pub fn digest(&self) -> Result<Option<DigestConfig>, Vec<ConfigError>> {
        let Some(table) = &self.raw_digest else {
            return Ok(None);
        };
        let line = line_of(&self.text, table.span().start);
        let mut r = Reader::spanned(&self.path, &self.text, table.get_ref(), line)
            .with_prefix("[digest]: ".into());
        let mut out = DigestConfig::default();
        for (key, kline) in r.keys().collect::<Vec<_>>() {
            let value = r.get(key);
            match (key, value) {
                ("smtp", Some(toml::Value::Table(t))) => {
                    let (smtp, mut errors) = self.smtp_config(t, kline);
                    out.smtp = smtp;
                    r.errors.append(&mut errors);
                }
                ("webhook", Some(toml::Value::Array(items))) => {
                    self.webhooks(&mut r, items, kline, &mut out.webhooks);
                }
                ("smtp", _) => r.err_at(kline, "expected a `[digest.smtp]` table".into()),
                ("webhook", _) => r.err_at(kline, "expected `[[digest.webhook]]` tables".into()),
                // When `steward serve` sends them: `Config::digest_schedule`.
                ("at" | "days" | "time_zone", _) => {}
                (other, _) => r.err_at(
                    kline,
                    format!("unknown key `{other}` (known: smtp, webhook, at, days, time_zone)"),
                ),
            }
        }
        if out.smtp.is_none() && out.webhooks.is_empty() && r.errors.is_empty() {
            let line = r.key_line("smtp");
            r.err_at(
                line,
                "configures no channel: add `[digest.smtp]` or a `[[digest.webhook]]`".into(),
            );
        }
        let mut errors = r.errors;
        if errors.is_empty() {
            Ok(Some(out))
        } else {
            errors.sort_by_key(|e| e.line);
            Err(errors)
        }
    }

    /// Each `[[digest.webhook]]` table, added to `out`; names must differ.
    fn webhooks(
        &self,
        r: &mut Reader,
        items: &[toml::Value],
        line: usize,
        out: &mut Vec<WebhookConfig>,
    ) {
        for (i, item) in items.iter().enumerate() {
            let toml::Value::Table(t) = item else {
                r.err_at(line, "expected `[[digest.webhook]]` tables".into());
                continue;
            };
            let (webhook, mut errors) = self.webhook_config(t, i + 1, line);
            r.errors.append(&mut errors);
            if let Some(w) = webhook {
                if out.iter().any(|o| o.name == w.name) {
                    r.err_at(line, format!("two webhooks are named {:?}", w.name));
                }
                out.push(w);
            }
        }
    }

    /// `[digest.smtp]` (its problems all at the line of `smtp`).
    fn smtp_config(&self, t: &toml::Table, line: usize) -> (Option<SmtpConfig>, Vec<ConfigError>) {
        let mut r = Reader::nested(&self.path, t, line).with_prefix("[digest.smtp]: ".into());
        for k in t.keys() {
            if !SMTP_KEYS.contains(&k.as_str()) {
                let known: Vec<&str> = SMTP_KEYS
                    .iter()
                    .copied()
                    .filter(|k| *k != "password")
                    .collect();
                r.err(format!("unknown key `{k}` (known: {})", known.join(", ")));
            }
        }
        if t.contains_key("password") {
            r.err("a literal password does not belong in the config file: put it in an environment variable and write `password_env = \"VAR\"`".into());
        }
        let host = r.string("host").filter(|h| !h.trim().is_empty());
        if host.is_none() {
            r.err("needs `host` (the mail server)".into());
        }
        let security = smtp_security(&mut r, host.as_deref());
        let port = match r.get("port") {
            None => security.default_port(),
            Some(toml::Value::Integer(p)) if (1..=65535).contains(p) => *p as u16,
            Some(other) => {
                r.err(format!("`port`: expected a port number, found {other}"));
                0
            }
        };
        let (username, password_env, password_keyring) = smtp_login(&mut r);
        let from = r.string("from");
        match &from {
            None => r.err("needs `from` (the sender, like \"steward <steward@acme.test>\")".into()),
            Some(f) if f.parse::<lettre::message::Mailbox>().is_err() => {
                r.err(format!("`from`: {f:?} is not a mail address"))
            }
            Some(_) => {}
        }
        let timeout_secs = match r.get("timeout_secs") {
            None => 30,
            Some(toml::Value::Integer(n)) if *n > 0 => *n as u64,
            Some(other) => {
                r.err(format!(
                    "`timeout_secs`: expected a positive integer, found {other}"
                ));
                30
            }
        };
        let smtp = r.errors.is_empty().then(|| SmtpConfig {
            host: host.unwrap_or_default(),
            port,
            security,
            username,
            password_env,
            password_keyring,
            from: from.unwrap_or_default(),
            timeout_secs,
            line,
        });
        (smtp, r.errors)
    }

    /// One `[[digest.webhook]]` table, the `n`th.
    fn webhook_config(
        &self,
        t: &toml::Table,
        n: usize,
        line: usize,
    ) -> (Option<WebhookConfig>, Vec<ConfigError>) {
        let mut r = Reader::nested(&self.path, t, line);
        let label = r.lenient_string("name").unwrap_or_else(|| format!("#{n}"));
        r.prefix = format!("[[digest.webhook]] {label}: ");
        for k in t.keys() {
            if !WEBHOOK_KEYS.contains(&k.as_str()) {
                r.err(format!(
                    "unknown key `{k}` (known: {})",
                    WEBHOOK_KEYS.join(", ")
                ));
            }
        }
        let name = r.lenient_string("name").filter(|n| !n.trim().is_empty());
        if name.is_none() {
            r.err("needs `name`".into());
        }
        let (url, url_from_env) = webhook_url(&mut r);
        let people: Vec<String> = match r.get("people") {
            Some(toml::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        if people.is_empty() {
            r.err(
                "needs `people`: the person ids whose digest goes here, or [\"*\"] for everyone"
                    .into(),
            );
        }
        let timeout_secs = r
            .get("timeout_secs")
            .and_then(|v| v.as_integer())
            .filter(|n| *n > 0)
            .map_or(30, |n| n as u64);
        let webhook = r.errors.is_empty().then(|| WebhookConfig {
            name: name.unwrap_or_default(),
            url,
            url_from_env,
            people,
            timeout_secs,
            line,
        });
        (webhook, r.errors)
    }
}

impl SmtpSecurity {
    fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        }
    }
}

/// `security`, refused as `none` to anything but localhost.
fn smtp_security(r: &mut Reader, host: Option<&str>) -> SmtpSecurity {
    let security = match r.string("security").as_deref() {
        None | Some("starttls") => SmtpSecurity::StartTls,
        Some("tls") => SmtpSecurity::Tls,
        Some("none") => SmtpSecurity::None,
        Some(other) => {
            r.err(format!(
                "`security`: {other:?}: expected starttls, tls or none"
            ));
            SmtpSecurity::StartTls
        }
    };
    if security == SmtpSecurity::None
        && let Some(h) = host
        && !is_localhost(h)
    {
        r.err(format!(
            "`security = \"none\"` sends mail and credentials unencrypted; it is allowed only to localhost, not {h:?} (use starttls or tls)"
        ));
    }
    security
}

/// `username` with `password_env` or `password_keyring`, or none of them.
fn smtp_login(r: &mut Reader) -> (Option<String>, Option<String>, Option<String>) {
    let username = r.string("username");
    let password_env = r.string("password_env");
    if let Some(v) = &password_env
        && !is_env_name(v)
    {
        r.err(format!(
            "`password_env`: {v:?} is not an environment variable name (it should name the variable, not hold the password)"
        ));
    }
    let password_keyring = r.string("password_keyring");
    if let Some(v) = &password_keyring
        && let Err(e) = crate::credentials::check_name(v)
    {
        r.err(format!("`password_keyring`: {e}"));
    }
    if password_env.is_some() && password_keyring.is_some() {
        r.err("give `password_env` or `password_keyring`, not both".into());
    }
    if username.is_some() != (password_env.is_some() || password_keyring.is_some()) {
        r.err("give `username` and `password_env` together (or `username` and `password_keyring`; or none, for a server without login)".into());
    }
    (username, password_env, password_keyring)
}

/// A webhook's `url` or `url_env` (exactly one).
fn webhook_url(r: &mut Reader) -> (String, Option<String>) {
    match (r.lenient_string("url"), r.lenient_string("url_env")) {
        (Some(u), None) => {
            if !is_http_url(&u) {
                r.err(format!("`url`: {}", not_http(&u)));
            }
            if has_password(&u) {
                r.err("`url`: a password in a URL does not belong in the config file: put the URL in an environment variable named by `url_env`".into());
            }
            (u, None)
        }
        (None, Some(var)) if is_env_name(&var) => {
            (std::env::var(&var).unwrap_or_default(), Some(var))
        }
        (None, Some(var)) => {
            r.err(format!(
                "`url_env`: {var:?} is not an environment variable name"
            ));
            (String::new(), None)
        }
        _ => {
            r.err("give exactly one of `url` or `url_env`".into());
            (String::new(), None)
        }
    }
}
