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
mod first_write;
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
mod settings;
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
pub use schema::ORG_TABLES;
pub use source_guard::{Standing, SyncProblems};
pub use whole::Evaluated;

use error::Doing;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The page size of a new cache, in bytes.
const PAGE_SIZE: i64 = 16 * 1024;

/// How long a connection waits for another's lock before it gives up.
const BUSY: Duration = Duration::from_secs(10);

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
        conn.busy_timeout(BUSY)?;
        // Writes begin IMMEDIATE: a deferred one that reads first and then
        // writes after another process committed fails at once with
        // SQLITE_BUSY_SNAPSHOT (517, "database is locked"), which the busy
        // timeout does not wait out. Read-only transactions say Deferred.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        // A new cache gets 16 KiB pages (a cache made before keeps its own):
        // a sync writes each page to the WAL and then copies it into the
        // database, a syscall each way, so four times fewer pages cut the
        // write's commit by half; a scoped read costs a millisecond more.
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn page_size(store: &Store) -> i64 {
        store
            .conn
            .pragma_query_value(None, "page_size", |r| r.get(0))
            .unwrap()
    }

    /// A new cache has large pages; one made before with SQLite's default
    /// keeps its pages and opens as before.
    #[test]
    fn a_new_cache_has_large_pages_and_an_old_one_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let new = Store::open(&dir.path().join("new.db")).unwrap();
        assert_eq!(page_size(&new), PAGE_SIZE);

        let old_path = dir.path().join("old.db");
        let old = Connection::open(&old_path).unwrap();
        old.execute_batch(
            "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (x);",
        )
        .unwrap();
        drop(old);
        let old = Store::open(&old_path).unwrap();
        assert_eq!(page_size(&old), 4096);
        assert_eq!(old.schema_version().unwrap(), schema::LATEST);
    }
}
