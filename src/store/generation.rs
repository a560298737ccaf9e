//! The organization's generation: a number every write of the
//! organization's rows moves on in its own transaction (every sync that
//! commits, a rule written, a delegation, the grants an apply confirms, a
//! source retired), whatever the clock says (two syncs in the same second,
//! or at a fixed `--now`, are two generations), so that what was evaluated
//! from the rows can tell whether it is still current. What each write
//! changed is noted beside it (`changes`).

use super::{Result, Store};

const KEY: &str = "org_generation";

impl Store {
    /// How many writes of the organization's rows have committed in this
    /// store (0 before the first).
    pub fn org_generation(&self) -> Result<i64> {
        of(&self.conn)
    }
}

/// The organization's generation as connection `c` sees it.
pub(super) fn of(c: &rusqlite::Connection) -> Result<i64> {
    let value = super::settings::setting(c, KEY)?;
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Moves the generation on, inside the writing transaction `tx`; the
/// generation it moved to (`changes::next` also trims the change log).
pub(super) fn next(tx: &rusqlite::Connection) -> rusqlite::Result<i64> {
    tx.query_row(
        "INSERT INTO settings (key, value) VALUES (?1, '1')
         ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)
         RETURNING CAST(value AS INTEGER)",
        [KEY],
        |r| r.get(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Time;

    #[test]
    fn every_sync_moves_the_generation_on_even_at_the_same_time() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        assert_eq!(store.org_generation().unwrap(), 0);
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let org = crate::r#gen::generate(20, 1, now);
        let source = crate::sync::files_source_info(dir.path());
        for n in 1..=2 {
            store.replace_source(&source, &org, now).unwrap();
            assert_eq!(store.org_generation().unwrap(), n);
        }
    }
}
