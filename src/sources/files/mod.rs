//! The `files` source: an org directory as DESIGN.md specifies it.
//!
//! `read` parses the CSV and TOML files (opened through `bounded`: regular
//! files only, no endless line), `ics` the `rotations/*.ics` feeds, `write`
//! writes an org directory back (for `gen` and for `apply`); `located`
//! says where a record is, for problems found at sync.

pub mod bounded;
mod csv_table;
mod feed;
pub mod ics;
pub mod located;
pub mod read;
mod time_field;
pub mod write;

pub use read::{Required, read_org, read_org_over, read_org_with};

/// The files an org directory may hold.
pub const ORG_FILES: [&str; 9] = [
    "people.csv",
    "teams.toml",
    "rotations.toml",
    "trainings.csv",
    "areas.toml",
    "grants.csv",
    "delegations.toml",
    "rules.toml",
    "rotations",
];

/// The columns of grants.csv, in the order they are written; each one must
/// be there when it is read.
pub(crate) const GRANT_COLUMNS: [&str; 6] = [
    "person",
    "entitlement",
    "granted_by",
    "granted_at",
    "basis",
    "expires",
];

/// The files an org directory must hold (`delegations.toml` and
/// `rotations/` are optional).
pub const REQUIRED_FILES: [&str; 7] = [
    "people.csv",
    "teams.toml",
    "rotations.toml",
    "trainings.csv",
    "areas.toml",
    "grants.csv",
    "rules.toml",
];

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem in an org directory, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// 1-based column number and its name (CSV) or key (TOML), when known.
    pub column: Option<(usize, String)>,
    pub reason: String,
}

impl ParseError {
    pub fn file(file: &Path, reason: impl Into<String>) -> ParseError {
        ParseError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            reason: reason.into(),
        }
    }

    pub fn at_line(file: &Path, line: u64, reason: impl Into<String>) -> ParseError {
        ParseError {
            line: Some(line),
            ..ParseError::file(file, reason)
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some((n, _)) = &self.column {
                write!(f, ":{n}")?;
            }
        }
        if let Some((_, name)) = &self.column {
            write!(f, ": column `{name}`")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for ParseError {}
