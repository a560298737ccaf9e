//! `[serve]`: how `steward serve` listens and whom it lets in.
//!
//! ```toml
//! [serve]
//! listen = "127.0.0.1:2222"          # default; production sets 0.0.0.0:2222
//! keys = "people.keys"               # "PERSON KEYTYPE BASE64 [comment]" per line, relative to this file
//! user_ca = ["ssh-ed25519 AAAA..."]  # and/or OpenSSH user certificates signed by these CAs
//! admins = ["david"]                 # may run sync, config check, audit checkpoint over SSH
//! idle_timeout = "30m"               # a connection with no traffic this long is closed
//! sessions_per_person = 8            # open sessions (consoles and commands) per person
//! stall_timeout = "30s"              # a session whose client reads none of its output this long ends
//! ```

use super::{Config, ConfigError, line_of};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:2222";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// The registered keys file, resolved against the config file's directory.
    pub keys: Option<PathBuf>,
    /// The user CAs, as OpenSSH public key lines.
    pub user_ca: Vec<String>,
    pub admins: Vec<String>,
    pub idle_timeout: Duration,
    pub sessions_per_person: usize,
    /// How long a session may wait for its client to read before it ends.
    pub stall_timeout: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: DEFAULT_LISTEN.parse().unwrap_or_else(|_| {
                SocketAddr::from(([127, 0, 0, 1], 2222)) // the same address
            }),
            keys: None,
            user_ca: Vec::new(),
            admins: Vec::new(),
            idle_timeout: Duration::from_secs(30 * 60),
            sessions_per_person: 8,
            stall_timeout: Duration::from_secs(30),
        }
    }
}

/// A value of the `[serve]` or `[digest]` schedule that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("{0:?} is not a span like 15m, 1h, 90s or 2d")]
    Span(String),
    #[error("at = {0:?} is not a time of day like \"07:00\"")]
    TimeOfDay(String),
    #[error("days = {0:?}: expected days like \"mon-fri\", \"mon,wed,fri\" or \"daily\"")]
    Days(String),
    #[error("time_zone = {0:?} is not an IANA time zone like \"Europe/Berlin\"")]
    TimeZone(String),
    /// The first 40 characters of the text, and why.
    #[error("{text:?} is not an OpenSSH public key ({why})")]
    PublicKey { text: String, why: String },
}

/// A span like `15m`, `1h`, `90s`, `2d` (one number, one unit).
pub fn parse_every(text: &str) -> Result<Duration, ValueError> {
    let t = text.trim();
    let unit = t.chars().last().unwrap_or(' ');
    let number = t.strip_suffix(unit).unwrap_or(t);
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(ValueError::Span(text.to_string())),
    };
    match number.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Duration::from_secs(n * secs)),
        _ => Err(ValueError::Span(text.to_string())),
    }
}

/// When scheduled digests go out: `at` on `days`, in `time_zone`
/// (`[digest] at = "07:00"`, `days = "mon-fri"`, `time_zone = "Europe/Berlin"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSchedule {
    pub at: chrono::NaiveTime,
    /// Monday first.
    pub days: [bool; 7],
    pub time_zone: chrono_tz::Tz,
}

impl DigestSchedule {
    /// Parses the three values (`days` default every day, `time_zone`
    /// default UTC).
    pub fn parse(
        at: &str,
        days: Option<&str>,
        tz: Option<&str>,
    ) -> Result<DigestSchedule, ValueError> {
        let at = chrono::NaiveTime::parse_from_str(at.trim(), "%H:%M")
            .map_err(|_| ValueError::TimeOfDay(at.to_string()))?;
        let days = match days {
            None => [true; 7],
            Some(d) => parse_days(d)?,
        };
        let time_zone = match tz {
            None => chrono_tz::UTC,
            Some(t) => t.parse().map_err(|_| ValueError::TimeZone(t.to_string()))?,
        };
        Ok(DigestSchedule {
            at,
            days,
            time_zone,
        })
    }

    /// The first time after `t` when digests are due.
    pub fn next_after(&self, t: crate::model::Time) -> crate::model::Time {
        use chrono::{Datelike, TimeZone};
        let local = t.with_timezone(&self.time_zone).date_naive();
        for offset in 0..15 {
            let day = local + chrono::Duration::days(offset);
            if !self.days[day.weekday().num_days_from_monday() as usize] {
                continue;
            }
            // A time skipped by a clock change runs an hour later; one
            // that happens twice runs the first time.
            let at = day.and_time(self.at);
            let when = self
                .time_zone
                .from_local_datetime(&at)
                .earliest()
                .or_else(|| {
                    self.time_zone
                        .from_local_datetime(&(at + chrono::Duration::hours(1)))
                        .earliest()
                });
            if let Some(when) = when.map(|w| w.to_utc())
                && when > t
            {
                return when;
            }
        }
        t + chrono::Duration::days(1)
    }
}

/// `mon-fri`, `mon,wed,fri`, `sat-sun`, `daily`.
fn parse_days(text: &str) -> Result<[bool; 7], ValueError> {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let day = |d: &str| {
        let d = d.trim().to_ascii_lowercase();
        NAMES
            .iter()
            .position(|n| d.starts_with(n) && n.len() <= d.len())
    };
    let bad = || ValueError::Days(text.to_string());
    let t = text.trim().to_ascii_lowercase();
    if t == "daily" || t == "every day" {
        return Ok([true; 7]);
    }
    let mut out = [false; 7];
    for part in t.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a).ok_or_else(bad)?, day(b).ok_or_else(bad)?);
                let mut i = a;
                loop {
                    out[i] = true;
                    if i == b {
                        break;
                    }
                    i = (i + 1) % 7;
                }
            }
            None => out[day(part).ok_or_else(bad)?] = true,
        }
    }
    Ok(out)
}

impl Config {
    /// The validated `[serve]` table (defaults when there is none), or every
    /// problem with its line.
    pub fn serve(&self) -> Result<ServeConfig, Vec<ConfigError>> {
        let mut out = ServeConfig::default();
        let Some(table) = &self.raw_serve else {
            return Ok(out);
        };
        let mut errors = Vec::new();
        for (k, v) in table.get_ref() {
            let line = line_of(&self.text, k.span().start);
            let mut err = |message: String| {
                errors.push(ConfigError {
                    path: self.path.clone(),
                    line,
                    source: None,
                    message: format!("[serve]: {message}"),
                })
            };
            match (k.get_ref().as_str(), v.get_ref()) {
                ("listen", toml::Value::String(s)) => match s.parse() {
                    Ok(a) => out.listen = a,
                    Err(_) => err(format!(
                        "listen = {s:?} is not an address and port like 127.0.0.1:2222"
                    )),
                },
                ("keys", toml::Value::String(s)) => {
                    let dir = self.path.parent().unwrap_or(std::path::Path::new(""));
                    out.keys = Some(dir.join(s));
                }
                ("user_ca", toml::Value::Array(items)) => {
                    for item in items {
                        match item.as_str().map(check_public_key) {
                            Some(Ok(line)) => out.user_ca.push(line),
                            Some(Err(e)) => err(format!("user_ca: {e}")),
                            None => err("user_ca: expected strings (OpenSSH public keys)".into()),
                        }
                    }
                }
                ("admins", toml::Value::Array(items)) => {
                    for item in items {
                        match item.as_str() {
                            Some(p) => out.admins.push(p.to_string()),
                            None => err("admins: expected person ids (strings)".into()),
                        }
                    }
                }
                ("idle_timeout", toml::Value::String(s)) => match parse_every(s) {
                    Ok(d) => out.idle_timeout = d,
                    Err(e) => err(format!("idle_timeout: {e}")),
                },
                ("stall_timeout", toml::Value::String(s)) => match parse_every(s) {
                    Ok(d) => out.stall_timeout = d,
                    Err(e) => err(format!("stall_timeout: {e}")),
                },
                ("sessions_per_person", toml::Value::Integer(n)) if *n > 0 => {
                    out.sessions_per_person = *n as usize
                }
                (
                    key @ ("listen"
                    | "keys"
                    | "user_ca"
                    | "admins"
                    | "idle_timeout"
                    | "stall_timeout"
                    | "sessions_per_person"),
                    _,
                ) => err(format!("`{key}` has the wrong type (see README: [serve])")),
                (other, _) => err(format!(
                    "unknown key `{other}` (known: listen, keys, user_ca, admins, idle_timeout, stall_timeout, sessions_per_person)"
                )),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

/// How often `steward serve` pulls a source that does not say (`every`).
pub const DEFAULT_EVERY: Duration = Duration::from_secs(3600);

impl Config {
    /// Each `[[source]]`'s name and how often the server pulls it
    /// (`every = "15m"`; [`DEFAULT_EVERY`] when not given).
    pub fn sync_every(&self) -> Result<Vec<(String, Duration)>, Vec<ConfigError>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for table in &self.raw {
            let get = |key: &str| table.get_ref().iter().find(|(k, _)| k.get_ref() == key);
            let text =
                |key: &str| get(key).and_then(|(_, v)| v.get_ref().as_str().map(str::to_string));
            let Some(name) = text("name").or_else(|| text("kind")) else {
                continue;
            };
            let every = match get("every") {
                None => DEFAULT_EVERY,
                Some((k, v)) => match v.get_ref().as_str().map(parse_every) {
                    Some(Ok(d)) => d,
                    Some(Err(e)) => {
                        errors.push(
                            self.error_at(k.span().start, format!("source {name}: every: {e}")),
                        );
                        continue;
                    }
                    None => {
                        errors.push(self.error_at(
                            k.span().start,
                            format!("source {name}: every: expected a span like \"15m\""),
                        ));
                        continue;
                    }
                },
            };
            out.push((name, every));
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// When `steward serve` sends digests: `[digest] at` (with `days` and
    /// `time_zone`); `None` when `at` is not given.
    pub fn digest_schedule(&self) -> Result<Option<DigestSchedule>, Vec<ConfigError>> {
        let Some(table) = &self.raw_digest else {
            return Ok(None);
        };
        let get = |key: &str| table.get_ref().iter().find(|(k, _)| k.get_ref() == key);
        let mut errors = Vec::new();
        let mut text = |key: &str| match get(key) {
            None => None,
            Some((k, v)) => match v.get_ref().as_str() {
                Some(s) => Some(s.to_string()),
                None => {
                    errors.push(self.error_at(
                        k.span().start,
                        format!("[digest]: `{key}` must be a string"),
                    ));
                    None
                }
            },
        };
        let (at, days, tz) = (text("at"), text("days"), text("time_zone"));
        if !errors.is_empty() {
            return Err(errors);
        }
        let Some(at) = at else {
            if let Some((k, _)) = get("days").or_else(|| get("time_zone")) {
                return Err(vec![self.error_at(
                    k.span().start,
                    "[digest]: `days` and `time_zone` need `at` (the time digests go out)".into(),
                )]);
            }
            return Ok(None);
        };
        let line = get("at").map_or(table.span().start, |(k, _)| k.span().start);
        DigestSchedule::parse(&at, days.as_deref(), tz.as_deref())
            .map(Some)
            .map_err(|e| vec![self.error_at(line, format!("[digest]: {e}"))])
    }

    fn error_at(&self, offset: usize, message: String) -> ConfigError {
        ConfigError {
            path: self.path.clone(),
            line: line_of(&self.text, offset),
            source: None,
            message,
        }
    }
}

/// An OpenSSH public key line (`ssh-ed25519 AAAA... comment`), checked.
fn check_public_key(text: &str) -> Result<String, ValueError> {
    russh::keys::PublicKey::from_openssh(text.trim())
        .map(|_| text.trim().to_string())
        .map_err(|e| ValueError::PublicKey {
            text: cut(text),
            why: e.to_string(),
        })
}

fn cut(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const CA: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1DBFpKtYub3bd/m3H1S3FOSKScCU59UDHYAAjRXv8R ca";

    fn serve(text: &str) -> Result<ServeConfig, Vec<ConfigError>> {
        super::super::parse(text, Path::new("/etc/steward/steward.toml"))
            .expect("toml")
            .serve()
    }

    #[test]
    fn defaults_without_a_serve_table() {
        let s = serve("me = \"priya\"\n").unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:2222");
        assert!(s.keys.is_none() && s.user_ca.is_empty() && s.admins.is_empty());
    }

    #[test]
    fn reads_every_key_and_resolves_keys_next_to_the_config() {
        let s = serve(&format!(
            "[serve]\nlisten = \"0.0.0.0:2200\"\nkeys = \"people.keys\"\nuser_ca = [\"{CA}\"]\nadmins = [\"david\"]\nidle_timeout = \"5m\"\nsessions_per_person = 3\n"
        ))
        .unwrap();
        assert_eq!(s.listen.to_string(), "0.0.0.0:2200");
        assert_eq!(s.keys.unwrap(), Path::new("/etc/steward/people.keys"));
        assert_eq!(s.user_ca, vec![CA.to_string()]);
        assert_eq!(s.admins, vec!["david".to_string()]);
        assert_eq!(s.idle_timeout, Duration::from_secs(300));
        assert_eq!(s.sessions_per_person, 3);
    }

    #[test]
    fn names_each_problem_with_its_line() {
        let errs = serve(
            "[serve]\nlisten = \"nowhere\"\nuser_ca = [\"ssh-ed25519 AAAAnope\"]\ncolour = 3\n",
        )
        .unwrap_err();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(text[0].starts_with("/etc/steward/steward.toml:4: [serve]: unknown key `colour`"));
        assert!(
            text[1].contains(":2: [serve]: listen = \"nowhere\""),
            "{text:?}"
        );
        assert!(text[2].contains(":3: [serve]: user_ca: \"ssh-ed25519 AAAAnope\" is not"));
    }

    #[test]
    fn digests_are_due_at_the_hour_on_the_days_in_the_zone() {
        let t = |s: &str| crate::time::parse_time(s).unwrap();
        let s = DigestSchedule::parse("07:00", Some("mon-fri"), Some("Europe/Berlin")).unwrap();
        // Friday 2026-03-06 10:00Z: past 07:00 Berlin; next is Monday 06:00Z.
        assert_eq!(
            s.next_after(t("2026-03-06T10:00:00Z")),
            t("2026-03-09T06:00:00Z")
        );
        // Monday 05:00Z is before 07:00 Berlin (06:00Z) that day.
        assert_eq!(
            s.next_after(t("2026-03-09T05:00:00Z")),
            t("2026-03-09T06:00:00Z")
        );
        // Summer time: 07:00 Berlin is 05:00Z.
        assert_eq!(
            s.next_after(t("2026-06-01T00:00:00Z")),
            t("2026-06-01T05:00:00Z")
        );
        let weekend = DigestSchedule::parse("09:30", Some("sat,sun"), None).unwrap();
        assert_eq!(
            weekend.next_after(t("2026-03-02T12:00:00Z")),
            t("2026-03-07T09:30:00Z")
        );
        let wraps = DigestSchedule::parse("09:30", Some("fri-mon"), None).unwrap();
        assert_eq!(wraps.days, [true, false, false, false, true, true, true]);
        assert!(
            DigestSchedule::parse("7am", None, None)
                .unwrap_err()
                .to_string()
                .contains("time of day")
        );
        assert!(
            DigestSchedule::parse("07:00", Some("weekdays"), None)
                .unwrap_err()
                .to_string()
                .contains("mon-fri")
        );
        assert!(
            DigestSchedule::parse("07:00", None, Some("Mars/Olympus"))
                .unwrap_err()
                .to_string()
                .contains("IANA")
        );
    }

    #[test]
    fn sources_say_how_often_and_digests_when() {
        let cfg = super::super::parse(
            "[[source]]\nkind = \"files\"\ndir = \"org\"\nevery = \"15m\"\n\n[[source]]\nkind = \"scim\"\nname = \"okta\"\nurl = \"https://x.test/scim/v2\"\ntoken_env = \"T\"\n\n[digest]\nat = \"07:00\"\ndays = \"mon-fri\"\ntime_zone = \"Europe/Berlin\"\n[digest.smtp]\nhost = \"localhost\"\nfrom = \"steward <s@x.test>\"\n",
            Path::new("s.toml"),
        )
        .unwrap();
        assert_eq!(
            cfg.sync_every().unwrap(),
            vec![
                ("files".to_string(), Duration::from_secs(900)),
                ("okta".to_string(), DEFAULT_EVERY)
            ]
        );
        assert!(cfg.sources().is_ok(), "`every` is a known key");
        assert!(cfg.digest().is_ok(), "`at` is a known key");
        let s = cfg.digest_schedule().unwrap().unwrap();
        assert_eq!(s.days, [true, true, true, true, true, false, false]);
        let bad = super::super::parse(
            "[[source]]\nkind = \"files\"\ndir = \"org\"\nevery = \"often\"\n[digest]\nat = \"7\"\n",
            Path::new("s.toml"),
        )
        .unwrap();
        let e = bad.sync_every().unwrap_err();
        assert!(
            e[0].to_string()
                .starts_with("s.toml:4: source files: every:"),
            "{e:?}"
        );
        let e = bad.digest_schedule().unwrap_err();
        assert!(
            e[0].to_string()
                .starts_with("s.toml:6: [digest]: at = \"7\""),
            "{e:?}"
        );
    }

    #[test]
    fn spans() {
        assert_eq!(parse_every("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_every("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_every("0m").is_err());
        assert!(parse_every("soon").is_err());
        assert!(parse_every("").is_err());
    }
}
