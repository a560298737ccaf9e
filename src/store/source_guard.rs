//! What the guard keeps of each source, beside its `sources` row: how many
//! of each kind it provided at its last kept sync (the shrink guard's
//! baseline), whether its last sync was held back and why, and the
//! reference problems the last sync found. From these, [`Standing`] says
//! whether a source's data may be trusted now.

use super::Result;
use super::Store;
use super::epoch::{from_secs, secs};
use super::error::Doing;
use crate::guard::{Counts, HeldBack, ShrinkKind};
use crate::model::Time;
use rusqlite::{OptionalExtension, params};
use serde_json::{Map, Value};

/// Counts as the cache keeps them: `{"people": 88, ...}`.
fn counts_json(c: &Counts) -> String {
    let map: Map<String, Value> = c
        .iter()
        .map(|(k, n)| (k.key().to_string(), Value::from(n)))
        .collect();
    Value::Object(map).to_string()
}

fn counts_from_json(text: &str) -> Counts {
    let mut c = Counts::default();
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) {
        for (k, v) in map {
            if let (Some(kind), Some(n)) = (ShrinkKind::from_key(&k), v.as_u64()) {
                c.set(kind, n);
            }
        }
    }
    c
}

/// What `source` provided at its last kept sync, read inside `tx`: as
/// recorded then, or, for a source last synced before the guard kept
/// records, counted from its cached rows (nothing for a source the cache
/// does not know: a retired one starts again from nothing).
pub(super) fn provided_in(tx: &rusqlite::Connection, source: &str) -> Result<Counts> {
    let row: Option<Option<String>> = tx
        .query_row(
            "SELECT g.provided FROM sources s LEFT JOIN source_guard g ON g.name = s.name
             WHERE s.name = ?1",
            params![source],
            |r| r.get(0),
        )
        .optional()?;
    match row {
        None => Ok(Counts::default()),
        Some(Some(text)) => Ok(counts_from_json(&text)),
        Some(None) => counted(tx, source),
    }
}

/// What `source` has in the cache, counted row by row.
fn counted(tx: &rusqlite::Connection, source: &str) -> Result<Counts> {
    let mut c = Counts::default();
    for kind in ShrinkKind::ALL {
        let sql = match kind {
            ShrinkKind::Memberships => {
                "SELECT coalesce(sum(json_array_length(members)), 0) FROM teams WHERE source = ?1"
                    .to_string()
            }
            other => format!("SELECT count(*) FROM {} WHERE source = ?1", other.key()),
        };
        let n: i64 = tx.query_row(&sql, params![source], |r| r.get(0))?;
        c.set(kind, n.max(0) as u64);
    }
    Ok(c)
}

/// Notes, inside the transaction that keeps a source's rows, what it
/// provides now; a hold of an earlier sync is over.
pub(super) fn keep_provided(tx: &rusqlite::Connection, source: &str, c: &Counts) -> Result<()> {
    tx.execute(
        "INSERT INTO source_guard (name, provided, held_back) VALUES (?1, ?2, NULL)
         ON CONFLICT(name) DO UPDATE SET provided = ?2, held_back = NULL",
        params![source, counts_json(c)],
    )?;
    Ok(())
}

/// A sync of `source` that ended otherwise (failed): it was not held back.
pub(super) fn clear_hold(conn: &rusqlite::Connection, source: &str) -> Result<()> {
    conn.execute(
        "UPDATE source_guard SET held_back = NULL WHERE name = ?1",
        params![source],
    )?;
    Ok(())
}

/// Whether a source's data may be trusted now, as its last sync left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Never synced: no data.
    Never,
    /// The last sync was kept whole.
    Fresh { synced_at: Time },
    /// The last sync failed; the data (if any) is from `data_from`.
    Failed {
        at: Time,
        error: String,
        data_from: Option<Time>,
    },
    /// The last sync was refused by the shrink guard; the data is older.
    HeldBack {
        at: Time,
        /// One line per kind: `people from files: 88 -> 0 (-100%)`.
        shrinks: Vec<String>,
        data_from: Option<Time>,
    },
}

impl Standing {
    /// True only when the last sync was kept: data from a source whose last
    /// sync failed or was held back must not be acted on by itself.
    pub fn trustworthy(&self) -> bool {
        matches!(self, Standing::Fresh { .. })
    }
}

/// The reference problems a sync found (what `steward check` reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncProblems {
    pub at: Time,
    pub count: usize,
    /// The first few, each `file:line: ...` where the line is known.
    pub first: Vec<String>,
}

impl Store {
    /// What `source` provided at its last kept sync.
    pub fn provided(&self, source: &str) -> Result<Counts> {
        provided_in(&self.conn, source)
    }

    /// Records that a sync of `source` was held back: its data stays as it
    /// was; `sources` notes the attempt, with the refusal as its error.
    pub fn record_held_back(
        &mut self,
        source: &super::SourceInfo,
        held: &HeldBack,
        now: Time,
    ) -> Result<()> {
        let lines = serde_json::to_string(&held.lines())?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO sources (name, kind, location, synced_at, attempted_at, error, items)
             VALUES (?1, ?2, ?3, NULL, ?4, ?5, 0)
             ON CONFLICT(name) DO UPDATE SET attempted_at = ?4, error = ?5",
            params![
                source.name,
                source.kind,
                source.location,
                secs(now),
                held.to_string()
            ],
        )?;
        tx.execute(
            "INSERT INTO source_guard (name, provided, held_back) VALUES (?1, NULL, ?2)
             ON CONFLICT(name) DO UPDATE SET held_back = ?2",
            params![source.name, lines],
        )?;
        tx.commit().doing("cannot record the held-back sync")?;
        Ok(())
    }

    /// Where each source stands, by name.
    pub fn standings(&self) -> Result<Vec<(String, Standing)>> {
        let mut st = self.conn.prepare(
            "SELECT s.name, s.synced_at, s.attempted_at, s.error, g.held_back
             FROM sources s LEFT JOIN source_guard g ON g.name = s.name ORDER BY s.name",
        )?;
        let rows = st.query_map([], |r| {
            let name: String = r.get(0)?;
            let synced: Option<i64> = r.get(1)?;
            let attempted: Option<i64> = r.get(2)?;
            let error: Option<String> = r.get(3)?;
            let held: Option<String> = r.get(4)?;
            Ok((name, synced, attempted, error, held))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (name, synced, attempted, error, held) = row?;
            let data_from = synced.map(from_secs);
            let at = from_secs(attempted.or(synced).unwrap_or(0));
            let standing = match (held, error, data_from) {
                (Some(h), _, _) => Standing::HeldBack {
                    at,
                    shrinks: serde_json::from_str(&h).unwrap_or_default(),
                    data_from,
                },
                (None, Some(error), _) => Standing::Failed {
                    at,
                    error,
                    data_from,
                },
                (None, None, Some(t)) => Standing::Fresh { synced_at: t },
                (None, None, None) => Standing::Never,
            };
            out.push((name, standing));
        }
        Ok(out)
    }

    /// Where `source` stands ([`Standing::Never`] when the cache has no record of it).
    pub fn standing(&self, source: &str) -> Result<Standing> {
        Ok(self
            .standings()?
            .into_iter()
            .find(|(n, _)| n == source)
            .map_or(Standing::Never, |(_, s)| s))
    }

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
    use crate::guard::Threshold;
    use crate::guard::shrink::Shrink;
    use crate::model::{Org, Person, Status};
    use crate::store::SourceInfo;

    fn now() -> Time {
        "2026-03-02T12:00:00Z".parse().unwrap()
    }

    fn info() -> SourceInfo {
        SourceInfo {
            name: "idp".into(),
            kind: "scim".into(),
            location: "https://idp.test".into(),
            synced_at: None,
            attempted_at: None,
            error: None,
            items: 0,
        }
    }

    fn org(n: usize) -> Org {
        Org {
            people: (0..n)
                .map(|i| Person {
                    id: format!("p{i}"),
                    name: format!("P {i}"),
                    email: format!("p{i}@x.test"),
                    manager: None,
                    status: Status::Active,
                    ..Default::default()
                })
                .collect(),
            ..Org::default()
        }
    }

    #[test]
    fn a_kept_sync_is_the_baseline_and_a_hold_is_a_standing_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        assert_eq!(store.standing("idp").unwrap(), Standing::Never);
        store.replace_source(&info(), &org(12), now()).unwrap();
        assert_eq!(store.provided("idp").unwrap().get(ShrinkKind::People), 12);
        // Synced before the guard kept records: its cached rows count.
        store.conn.execute("DELETE FROM source_guard", []).unwrap();
        assert_eq!(store.provided("idp").unwrap().get(ShrinkKind::People), 12);
        assert!(store.standing("idp").unwrap().trustworthy());
        let held = HeldBack {
            source: "idp".into(),
            threshold: Threshold::default(),
            shrinks: vec![Shrink {
                kind: ShrinkKind::People,
                before: 12,
                after: 0,
            }],
        };
        store.record_held_back(&info(), &held, now()).unwrap();
        let s = store.standing("idp").unwrap();
        assert!(!s.trustworthy());
        assert_eq!(
            s,
            Standing::HeldBack {
                at: now(),
                shrinks: vec!["people from idp: 12 -> 0 (-100%)".into()],
                data_from: Some(now()),
            }
        );
        assert_eq!(store.load_org().unwrap().people.len(), 12, "data kept");
        store.record_sync_failure(&info(), "boom", now()).unwrap();
        assert!(matches!(
            store.standing("idp").unwrap(),
            Standing::Failed { .. }
        ));
        store.replace_source(&info(), &org(11), now()).unwrap();
        assert!(store.standing("idp").unwrap().trustworthy());
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
