//! What each source's last sync warned of (an event that names nobody or
//! more than one person, a user kept as `pagerduty:ID`, an area whose
//! owner is a group...), each with its file:line or entity where known, for
//! `status` to show after the sync's own output has gone.

use super::Result;
use super::Store;
use super::epoch::{from_secs, secs};
use crate::model::Time;
use rusqlite::params;

/// How many of a source's warnings are kept (the count says how many more).
pub const WARNINGS_KEPT: usize = 10;

/// One source's warnings at its last sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceWarnings {
    pub source: String,
    pub at: Time,
    pub count: usize,
    /// The first [`WARNINGS_KEPT`].
    pub first: Vec<String>,
}

impl Store {
    /// Records the warnings of `source`'s sync that was just kept, in place
    /// of the last one's (none: the row goes).
    pub fn record_warnings(&mut self, source: &str, warnings: &[String], now: Time) -> Result<()> {
        if warnings.is_empty() {
            self.conn
                .execute("DELETE FROM sync_warnings WHERE source = ?1", [source])?;
            return Ok(());
        }
        let first: Vec<&String> = warnings.iter().take(WARNINGS_KEPT).collect();
        self.conn.execute(
            "INSERT INTO sync_warnings (source, at, count, first) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(source) DO UPDATE SET at = ?2, count = ?3, first = ?4",
            params![
                source,
                secs(now),
                warnings.len() as i64,
                serde_json::to_string(&first)?
            ],
        )?;
        Ok(())
    }

    /// Every source's warnings at its last kept sync, by source name.
    pub fn warnings(&self) -> Result<Vec<SourceWarnings>> {
        let mut st = self
            .conn
            .prepare("SELECT source, at, count, first FROM sync_warnings ORDER BY source")?;
        let rows = st.query_map([], |r| {
            let first: String = r.get(3)?;
            Ok(SourceWarnings {
                source: r.get(0)?,
                at: from_secs(r.get(1)?),
                count: r.get::<_, i64>(2)?.max(0) as usize,
                first: serde_json::from_str(&first).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sources_warnings_are_replaced_by_its_next_kept_sync() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let many: Vec<String> = (1..=12).map(|i| format!("r.ics:{i}: w")).collect();
        store.record_warnings("ics", &many, now).unwrap();
        store.record_warnings("pd", &["x".into()], now).unwrap();
        let w = store.warnings().unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].source.as_str(), w[0].count), ("ics", 12));
        assert_eq!(w[0].first.len(), WARNINGS_KEPT);
        assert_eq!(w[0].first[0], "r.ics:1: w");
        store.record_warnings("ics", &[], now).unwrap();
        let w = store.warnings().unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].source, "pd");
    }
}
