//! What can go wrong in the store, by kind: callers (and tests) match the
//! kind, people read the text.

use crate::policy::gate::Refusal;
use std::path::PathBuf;

/// A boxed cause from outside the store (the file system, the audit log, a
/// stream of rows being synced).
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The gate said no; nothing was written.
    #[error("{0}")]
    Refused(Refusal),
    /// What the action names is not there: a decision, a delegation, a
    /// rule, an area, an entitlement.
    #[error("{0}")]
    NotFound(String),
    /// The action contradicts what is recorded: a decision already undone,
    /// a delegation already ended, a rule id taken, a rule only its source
    /// may change.
    #[error("{0}")]
    Conflict(String),
    /// What was asked is malformed (a rule without a reason, say).
    #[error("{0}")]
    Invalid(String),
    /// Other writers kept the cache locked past the busy timeout, or kept
    /// changing it while a change was being checked.
    #[error("the cache is busy: {what}; nothing written, try again")]
    Busy { what: String },
    /// There is no cache at this path.
    #[error("no cache at {} (run `steward sync --org DIR` first, or `steward demo`)", .0.display())]
    NoCache(PathBuf),
    /// The cache file could not be opened, set up or migrated.
    #[error("{what}: {source}")]
    Open {
        what: String,
        #[source]
        source: Cause,
    },
    /// SQLite failed; `what` says at what, when known.
    #[error("{}{source}", what.as_ref().map(|w| format!("{w}: ")).unwrap_or_default())]
    Sqlite {
        what: Option<String>,
        #[source]
        source: rusqlite::Error,
    },
    /// A row that does not read back as it was written.
    #[error("cannot read the cache: {0}")]
    Json(#[from] serde_json::Error),
    /// The audit entry that goes with a change could not be appended.
    #[error("cannot append to the audit log: {0}")]
    Audit(Cause),
    /// A stream of rows being synced failed.
    #[error("{0}")]
    Stream(Cause),
    /// The shrink guard held a sync back: nothing of it was kept.
    #[error("{0}")]
    HeldBack(crate::guard::HeldBack),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Error {
        Error::Refused(r)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(source: rusqlite::Error) -> Error {
        Error::sqlite(None, source)
    }
}

impl Error {
    /// A SQLite failure, told apart: busy (or locked) is [`Error::Busy`].
    fn sqlite(what: Option<String>, source: rusqlite::Error) -> Error {
        let busy = matches!(
            source.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        if busy {
            return Error::Busy {
                what: what.unwrap_or_else(|| "another steward kept it locked".into()),
            };
        }
        Error::Sqlite { what, source }
    }

    /// The audit log's own failure, kept as the cause.
    pub(crate) fn audit(e: impl Into<Cause>) -> Error {
        Error::Audit(e.into())
    }

    /// Was this the gate's refusal?
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Error::Refused(r) => Some(r),
            _ => None,
        }
    }
}

/// Says what a SQLite call was doing when it failed.
pub(crate) trait Doing<T> {
    fn doing(self, what: &str) -> Result<T>;
}

impl<T> Doing<T> for rusqlite::Result<T> {
    fn doing(self, what: &str) -> Result<T> {
        self.map_err(|e| Error::sqlite(Some(what.to_string()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_and_locked_are_told_apart_from_other_failures() {
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        let e: Result<()> = Err::<(), _>(busy).doing("cannot record the decision");
        assert!(
            matches!(&e, Err(Error::Busy { what }) if what == "cannot record the decision"),
            "{e:?}"
        );
        let other = rusqlite::Error::QueryReturnedNoRows;
        let e = Error::from(other);
        assert!(matches!(e, Error::Sqlite { what: None, .. }), "{e:?}");
    }
}
