//! Reading one table of the config (a `[[source]]`, a feed, `[digest.smtp]`,
//! a `[[digest.webhook]]`): typed values by key, and every problem noted
//! with its line and its place, so that one pass reports them all.

use super::{ConfigError, line_of};
use std::collections::BTreeMap;
use std::path::Path;
use toml::{Spanned, Value};

/// A table as parsed with spans: key -> value, each with where it starts.
pub(super) type RawTable = BTreeMap<Spanned<String>, Spanned<Value>>;

pub(super) struct Reader<'a> {
    path: &'a Path,
    /// Each key with its line and value.
    entries: Vec<(&'a str, usize, &'a Value)>,
    /// The table's own line, for problems that belong to no key.
    pub line: usize,
    /// The source the table belongs to, named in each problem.
    source: Option<String>,
    /// Said before each problem (`[digest.smtp]: `, `feed #2: `).
    pub prefix: String,
    pub errors: Vec<ConfigError>,
}

impl<'a> Reader<'a> {
    /// A table parsed with spans: each key has its own line.
    pub fn spanned(path: &'a Path, text: &str, table: &'a RawTable, line: usize) -> Reader<'a> {
        let entries = table
            .iter()
            .map(|(k, v)| {
                (
                    k.get_ref().as_str(),
                    line_of(text, k.span().start),
                    v.get_ref(),
                )
            })
            .collect();
        Reader::new(path, entries, line)
    }

    /// A table nested in another: its keys share the line it starts at.
    pub fn nested(path: &'a Path, table: &'a toml::Table, line: usize) -> Reader<'a> {
        let entries = table.iter().map(|(k, v)| (k.as_str(), line, v)).collect();
        Reader::new(path, entries, line)
    }

    fn new(path: &'a Path, entries: Vec<(&'a str, usize, &'a Value)>, line: usize) -> Reader<'a> {
        Reader {
            path,
            entries,
            line,
            source: None,
            prefix: String::new(),
            errors: Vec::new(),
        }
    }

    /// Problems name this source.
    pub fn in_source(mut self, label: String) -> Reader<'a> {
        self.source = Some(label);
        self
    }

    /// Problems start with this.
    pub fn with_prefix(mut self, prefix: String) -> Reader<'a> {
        self.prefix = prefix;
        self
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, v)| *v)
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn keys(&self) -> impl Iterator<Item = (&'a str, usize)> + '_ {
        self.entries.iter().map(|(k, line, _)| (*k, *line))
    }

    pub fn key_line(&self, key: &str) -> usize {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or(self.line, |(_, line, _)| *line)
    }

    pub fn err_at(&mut self, line: usize, message: String) {
        self.errors.push(ConfigError {
            path: self.path.to_path_buf(),
            line,
            source: self.source.clone(),
            message: format!("{}{message}", self.prefix),
        });
    }

    /// A problem at the table's line.
    pub fn err(&mut self, message: String) {
        self.err_at(self.line, message);
    }

    /// A problem with `key`, at its line.
    pub fn err_key(&mut self, key: &str, message: String) {
        let line = self.key_line(key);
        self.err_at(line, format!("`{key}`: {message}"));
    }

    /// A string, or (noted) none when it is something else.
    pub fn string(&mut self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.err_key(
                    key,
                    format!("expected a string, found {}", other.type_str()),
                );
                None
            }
        }
    }

    /// A string; anything else counts as absent.
    pub fn lenient_string(&self, key: &str) -> Option<String> {
        self.get(key).and_then(Value::as_str).map(str::to_string)
    }

    pub fn uint(&mut self, key: &str) -> Option<u64> {
        match self.get(key)? {
            Value::Integer(i) if *i >= 0 => Some(*i as u64),
            other => {
                self.err_key(
                    key,
                    format!("expected a non-negative integer, found {other}"),
                );
                None
            }
        }
    }

    pub fn strings(&mut self, key: &str) -> Option<Vec<String>> {
        match self.get(key)? {
            Value::Array(items) => {
                let mut out = Vec::new();
                for i in items {
                    match i {
                        Value::String(s) => out.push(s.clone()),
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

    /// Group names by id (`teams`, `entitlements`).
    pub fn string_map(&mut self, key: &str) -> BTreeMap<String, String> {
        let Some(v) = self.get(key) else {
            return BTreeMap::new();
        };
        let Value::Table(t) = v else {
            self.err_key(key, format!("expected a table, found {}", v.type_str()));
            return BTreeMap::new();
        };
        let mut out = BTreeMap::new();
        for (k, v) in t {
            match v {
                Value::String(s) => {
                    out.insert(k.clone(), s.clone());
                }
                other => self.err_key(
                    key,
                    format!("{k}: expected a string (a group displayName or id), found {other}"),
                ),
            }
        }
        out
    }

    /// A literal URL under `key`, noted when it is not http(s) or holds a
    /// password.
    pub fn url(&mut self, key: &str) -> Option<String> {
        let url = self.string(key)?;
        if !is_http_url(&url) {
            self.err_key(key, not_http(&url));
        }
        if has_password(&url) {
            self.err_key(
                key,
                "a password in a URL does not belong in the config file: give the credential with `token_env` or `token_keyring`".into(),
            );
        }
        Some(without_password(&url))
    }
}

/// Whether a URL carries a password (`https://user:secret@host/`).
pub(super) fn has_password(text: &str) -> bool {
    reqwest::Url::parse(text).is_ok_and(|u| u.password().is_some())
}

/// The URL with any password cut out, as a message or the cache may show it.
pub(super) fn without_password(text: &str) -> String {
    match reqwest::Url::parse(text) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => text.to_string(),
    }
}

/// Whether `text` is an absolute http or https URL.
pub(super) fn is_http_url(text: &str) -> bool {
    reqwest::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// The problem with a URL that is not http(s) (its password not shown).
pub(super) fn not_http(text: &str) -> String {
    format!("{:?} is not an http(s) URL", without_password(text))
}

/// Whether `v` can name an environment variable (and so is not a secret
/// pasted where its name belongs).
pub(super) fn is_env_name(v: &str) -> bool {
    !v.is_empty()
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !v.starts_with(|c: char| c.is_ascii_digit())
}
