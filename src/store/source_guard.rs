//! What the guard keeps beside the `sources` rows: the reference problems
//! the last sync found (what `steward check` reports), for `status`.

use super::Result;
use super::Store;
use super::org::{from_secs, secs};
use crate::model::Time;
use rusqlite::{OptionalExtension, params};

/// The reference problems a sync found (what `steward check` reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncProblems {
    pub at: Time,
    pub count: usize,
    /// The first few, each `file:line: ...` where the line is known.
    pub first: Vec<String>,
}

impl Store {
    /// Records the reference problems the sync just made found.
    pub fn record_problems(&mut self, count: usize, first: &[String], now: Time) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sync_problems (id, at, count, first) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET at = ?1, count = ?2, first = ?3",
            params![secs(now), count as i64, serde_json::to_string(first)?],
        )?;
        Ok(())
    }

    /// The reference problems the last sync found, if one looked.
    pub fn problems(&self) -> Result<Option<SyncProblems>> {
        let row: Option<(i64, i64, String)> = self
            .conn
            .query_row(
                "SELECT at, count, first FROM sync_problems WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        Ok(row.map(|(at, count, first)| SyncProblems {
            at: from_secs(at),
            count: count.max(0) as usize,
            first: serde_json::from_str(&first).unwrap_or_default(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Time {
        "2026-03-02T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn problems_are_kept_until_the_next_sync() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        assert_eq!(store.problems().unwrap(), None);
        store
            .record_problems(3, &["people.csv:2: x".into()], now())
            .unwrap();
        let p = store.problems().unwrap().unwrap();
        assert_eq!((p.count, p.first.len()), (3, 1));
        store.record_problems(0, &[], now()).unwrap();
        assert_eq!(store.problems().unwrap().unwrap().count, 0);
    }
}
