//! The first write of an organization into a cache no one else has open.
//!
//! The cache runs in WAL mode: a write appends each page to the log, and
//! SQLite copies the log into the database once it commits. For a first
//! sync that doubles the bytes written (1.7 GB twice at a million people)
//! for nothing: there is no earlier state a reader could be looking at.
//! So when the cache holds no organization rows yet and this connection is
//! the only one open on it, the write runs with a rollback journal (which,
//! for pages that held nothing, journals next to nothing) and the cache
//! goes back to WAL mode right after. Leaving WAL mode needs the cache to
//! itself: with any other connection open the switch fails at once (no
//! busy wait) and the write goes through the log as any other.

use super::schema::ORG_TABLES;
use super::{BUSY, Result};
use rusqlite::Connection;
use std::time::Duration;

/// How a write's journal was set up, to undo with [`end`].
#[must_use]
pub(super) enum Journal {
    /// The usual WAL write.
    Wal,
    /// A rollback journal for this write, WAL mode again after.
    Rollback,
}

/// Holds `conn`'s cache without a WAL for the coming write, if the cache
/// has no organization rows and no other connection has it open.
pub(super) fn begin(conn: &Connection) -> Result<Journal> {
    if !holds_no_org(conn)? {
        return Ok(Journal::Wal);
    }
    // Another connection open makes the switch fail: at once, not after
    // the usual wait for a lock.
    conn.busy_timeout(Duration::ZERO)?;
    let switched =
        conn.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0));
    conn.busy_timeout(BUSY)?;
    match switched {
        Ok(mode) if mode.eq_ignore_ascii_case("delete") => {
            // Every sync of the rollback journal as in FULL: it costs one
            // small file's flush, and the database's is made either way.
            conn.pragma_update(None, "synchronous", "FULL")?;
            tracing::debug!("first write into an empty cache, with a rollback journal");
            Ok(Journal::Rollback)
        }
        Ok(mode) => {
            tracing::debug!(mode, "cache kept its journal mode");
            Ok(Journal::Wal)
        }
        Err(e) if is_busy(&e) => Ok(Journal::Wal),
        Err(e) => Err(e.into()),
    }
}

/// Puts the cache back in WAL mode after a write [`begin`] set up with a
/// rollback journal. Should another connection hold a lock just now, the
/// next one to open the cache (each open asks for WAL) does it.
pub(super) fn end(conn: &Connection, journal: Journal) -> Result<()> {
    if let Journal::Wal = journal {
        return Ok(());
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)) {
        Ok(_) => Ok(()),
        Err(e) if is_busy(&e) => {
            tracing::debug!("cache left in rollback mode: another connection holds a lock");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

fn holds_no_org(conn: &Connection) -> Result<bool> {
    for table in ORG_TABLES {
        let any: bool =
            conn.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), [], |r| {
                r.get(0)
            })?;
        if any {
            return Ok(false);
        }
    }
    Ok(true)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

#[cfg(test)]
mod tests {
    use super::super::{Error, Store, fixture};
    use super::*;

    fn journal_mode(c: &Connection) -> String {
        c.pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap()
    }

    fn open(dir: &std::path::Path) -> Store {
        Store::open(&dir.join("c.db")).unwrap()
    }

    /// The first write into an empty cache opened by no one else goes
    /// without the WAL; the cache is in WAL mode again after, holding the
    /// rows; a later write, with rows there, goes through the WAL.
    #[test]
    fn the_first_write_of_a_cache_alone_skips_the_wal_and_leaves_it_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        assert!(matches!(begin(&store.conn).unwrap(), Journal::Rollback));
        assert_eq!(journal_mode(&store.conn), "delete");
        end(&store.conn, Journal::Rollback).unwrap();
        assert_eq!(journal_mode(&store.conn), "wal");
        // The first sync's own write, with no other connection open.
        drop(store);
        let mut store = fixture::store(dir.path());
        assert_eq!(journal_mode(&store.conn), "wal");
        assert_eq!(store.load_org().unwrap(), fixture::org());
        assert!(matches!(begin(&store.conn).unwrap(), Journal::Wal));
        fixture::sync(&mut store, dir.path());
        assert_eq!(store.load_org().unwrap(), fixture::org());
        assert_eq!(journal_mode(&store.conn), "wal");
    }

    /// With another connection open (a console, `steward serve`), the
    /// first write keeps the WAL, and the other connection reads what it
    /// wrote.
    #[test]
    fn another_connection_open_keeps_the_wal() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(dir.path());
        let other = open(dir.path());
        assert!(matches!(begin(&store.conn).unwrap(), Journal::Wal));
        assert_eq!(journal_mode(&store.conn), "wal");
        fixture::sync(&mut store, dir.path());
        assert_eq!(other.load_org().unwrap(), fixture::org());
        assert_eq!(journal_mode(&other.conn), "wal");
    }

    /// A first write undone (here held back) leaves the cache empty and in
    /// WAL mode.
    #[test]
    fn a_first_write_undone_leaves_an_empty_cache_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(dir.path());
        let source = crate::sync::files_source_info(dir.path());
        let refused = store.replace_source_admitted(
            &source,
            &fixture::org(),
            &mut |_, _| {
                Err(crate::guard::HeldBack {
                    source: "files".into(),
                    threshold: Default::default(),
                    shrinks: vec![],
                })
            },
            fixture::now(),
        );
        assert!(matches!(refused, Err(Error::HeldBack(_))), "{refused:?}");
        assert_eq!(journal_mode(&store.conn), "wal");
        assert!(holds_no_org(&store.conn).unwrap());
    }
}
