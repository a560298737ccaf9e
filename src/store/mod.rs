//! The SQLite cache: the only place with SQL.
//!
//! One file holds the synced organization (per source, replaced whole in one
//! transaction), the decisions and the hash-chained audit log.

pub mod audit;
mod automatic;
mod changes;
mod confirmed_grants;
pub mod decisions;
pub mod delegations;
mod epoch;
mod error;
#[cfg(test)]
mod fixture;
pub(crate) mod generation;
mod org;
mod origins;
mod people_match;
mod people_search;
pub mod previews;
mod read;
pub mod reminders;
mod retire;
mod roster;
mod rows;
pub mod rules;
mod schema;
mod scoped;
mod source_guard;
pub mod sync_warnings;
mod upstream;
mod whole;

pub use audit::{AuditEntry, ChainBreak};
pub use automatic::{HeldBack, Recorded};
pub use changes::{Delta, GrantChanges, OrgDelta};
pub use confirmed_grants::GrantsOf;
pub use decisions::{Decision, DecisionState, NewDecision, Verdict};
pub use delegations::{LOCAL_SOURCE, LocalDelegation};
pub use error::{Cause, Error, Result};
pub use org::{Replaced, SourceInfo, Streamed};
pub use people_match::{PeopleMatch, Rank};
pub use people_search::{Offered, PeopleQuery};
pub use retire::Retired;
pub use source_guard::{Standing, SyncProblems};
pub use whole::Evaluated;

use error::Doing;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The roster as the delegation picker searches it, kept while the
    /// organization's generation stays the same.
    roster: std::cell::RefCell<Option<people_search::Roster>>,
}

impl Store {
    /// Opens (creating if needed) the cache at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Store> {
        let open = |e: Cause| Error::Open {
            what: format!("cannot open cache {}", path.display()),
            source: e,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::paths::create_private_dir(dir).map_err(|e| open(e.into()))?;
        }
        let conn = Connection::open(path).map_err(|e| open(e.into()))?;
        crate::paths::restrict_file(path).map_err(|e| open(e.into()))?;
        Store::setup(conn, path)
    }

    /// Opens an existing cache; a clear error when there is none.
    pub fn open_existing(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(Error::NoCache(path.to_path_buf()));
        }
        Store::open(path)
    }

    fn setup(mut conn: Connection, path: &Path) -> Result<Store> {
        conn.busy_timeout(Duration::from_secs(10))?;
        // Writes begin IMMEDIATE: a deferred one that reads first and then
        // writes after another process committed fails at once with
        // SQLITE_BUSY_SNAPSHOT (517, "database is locked"), which the busy
        // timeout does not wait out. Read-only transactions say Deferred.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        conn.pragma_update(None, "journal_mode", "WAL")
            .doing(&format!("cannot use {} as a cache", path.display()))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A sync writes a whole source in one transaction: a 64 MiB page
        // cache keeps it from spilling to the WAL midway.
        conn.pragma_update(None, "cache_size", -65536)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            roster: Default::default(),
        };
        schema::migrate(&mut store.conn).map_err(|e| Error::Open {
            what: format!("cannot migrate cache {}", path.display()),
            source: e.into(),
        })?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}
