//! The whole organization's grants read in one pass over the table, in the
//! order written (its pages one after another, where a query per
//! entitlement jumps from page to page: the grants are written by person),
//! grouped by entitlement as they come, then put in the areas' order once
//! the rest of the organization says what that is.
//!
//! The pass runs on a connection of its own, in a read transaction begun
//! before the rest of the organization is read on the first connection.
//! The two transactions see the same organization when they see the same
//! generation (every write of the organization's rows moves it on, in its
//! own transaction); when they do not, the grants are read again on the
//! first connection, as they are when there are too many to hold at once.

use super::{Batch, COLUMNS, Plan};
use crate::store::{Result, Store};
use rustc_hash::FxHashMap;
use std::path::Path;

/// The most grant rows read in one pass and held at once (some 100 bytes
/// each); beyond, one indexed query per entitlement, a batch of areas at a
/// time.
const SCAN_ROWS: i64 = 3_000_000;

/// Every grant, as read, grouped by entitlement id.
pub(super) struct Scan {
    /// The organization's generation the grants were read at.
    pub generation: i64,
    batch: Batch,
    /// Each entitlement id read, with its group.
    ids: FxHashMap<String, u32>,
    /// Each row's group.
    groups: Vec<u32>,
}

/// Whether the grants table is small enough to be read in one pass (its
/// rowids span at most [`SCAN_ROWS`]: both ends are one step down the
/// table each, where a count would read it all).
pub(super) fn fits(c: &rusqlite::Connection) -> Result<bool> {
    let span: Option<i64> =
        c.query_row("SELECT max(rowid) - min(rowid) + 1 FROM grants", [], |r| {
            r.get(0)
        })?;
    Ok(span.is_none_or(|n| n <= SCAN_ROWS))
}

/// Every grant of the cache at `path`, on a connection of its own, with
/// the generation it was read at; `None` when there are more than
/// [`SCAN_ROWS`] after all (the table grew meanwhile).
pub(super) fn read(path: &Path) -> Result<Option<Scan>> {
    let store = Store::open_existing(path)?;
    let c =
        rusqlite::Transaction::new_unchecked(&store.conn, rusqlite::TransactionBehavior::Deferred)?;
    // The first read: the transaction sees the cache as it is now.
    let generation = store.org_generation()?;
    let scan = Scan::read(&c, generation)?;
    c.finish()?;
    Ok(scan)
}

impl Scan {
    fn read(c: &rusqlite::Connection, generation: i64) -> Result<Option<Scan>> {
        let mut scan = Scan {
            generation,
            batch: Batch::default(),
            ids: FxHashMap::default(),
            groups: Vec::new(),
        };
        let mut st = c.prepare(&format!(
            "SELECT {COLUMNS}, entitlement FROM grants ORDER BY rowid"
        ))?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            if scan.groups.len() as i64 >= SCAN_ROWS {
                return Ok(None);
            }
            let id = r.get_ref(6)?.as_str().map_err(rusqlite::Error::from)?;
            let group = match scan.ids.get(id) {
                Some(&g) => g,
                None => {
                    let g = scan.ids.len() as u32;
                    scan.ids.insert(id.to_string(), g);
                    g
                }
            };
            scan.batch.push(r)?;
            scan.groups.push(group);
        }
        Ok(Some(scan))
    }

    /// The grants of `plan`'s entitlements in its order, each
    /// entitlement's in the order written: one batch of every area (the
    /// grants of an entitlement in no area left out).
    pub(super) fn arrange(self, plan: &Plan) -> Batch {
        let Scan {
            mut batch,
            ids,
            groups,
            ..
        } = self;
        // Each group's place in the plan (its entitlements one after
        // another), if it has one.
        let mut slot_of = vec![None; ids.len()];
        let mut slots = 0;
        for (_, id) in plan.iter().flatten() {
            if let Some(&g) = id.as_deref().and_then(|id| ids.get(id)) {
                slot_of[g as usize] = Some(slots);
            }
            slots += 1;
        }
        // Counted per place, then each row put in its place.
        let mut ends = vec![0; slots + 1];
        for &g in &groups {
            if let Some(k) = slot_of[g as usize] {
                ends[k + 1] += 1;
            }
        }
        for k in 1..ends.len() {
            ends[k] += ends[k - 1];
        }
        let mut next = ends.clone();
        let mut order = vec![0; ends[slots]];
        for (i, &g) in groups.iter().enumerate() {
            if let Some(k) = slot_of[g as usize] {
                order[next[k]] = i as u32;
                next[k] += 1;
            }
        }
        batch.order = Some(order);
        let mut k = 1;
        for area in plan {
            for &(e, _) in area {
                batch.entitlements.push((e, ends[k]));
                k += 1;
            }
            batch.end_area();
        }
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Grant;
    use crate::store::read;

    /// Grants read in one pass over the table come out entitlement by
    /// entitlement in the plan's order, each entitlement's in the order
    /// written, as one indexed query per entitlement gives them; grants of
    /// an entitlement outside the plan are left out, and a later
    /// entitlement of an id read before has none.
    #[test]
    fn a_scan_gives_the_grants_each_query_gives() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE grants (person, entitlement, granted_by, granted_at, basis, expires, through);
             INSERT INTO grants VALUES
                ('ana', 'db:write', 'bo', 10, 'rule:r1', NULL, NULL),
                ('ana', 'db:read', NULL, 20, 'manual', 30, 'team-a -> db-readers'),
                ('bo', 'elsewhere', NULL, 25, 'manual', NULL, NULL),
                ('bo', 'db:read', '', 40, 'rule:', NULL, ''),
                ('cy', 'db:admin', 'bo', 50, 'rule:a-much-longer-rule-id', 60, NULL),
                ('cy', 'db:write', NULL, 0, 'odd', NULL, 'x -> y'),
                ('dee', 'db:read', NULL, 70, 'manual', NULL, NULL);",
        )
        .unwrap();
        let all = read::grants(&c, read::Rows::All).unwrap();
        let ids = ["db:read", "none", "db:write", "db:admin", "db:read"];
        let id = |k: usize| Some(ids[k].to_string());
        // Entitlement indexes apart from their places in the plan.
        let plan: Plan = vec![
            vec![(10, id(0)), (11, id(1))],
            vec![(12, id(2)), (13, id(3)), (14, None)],
        ];
        let scan = Scan::read(&c, 7).unwrap().unwrap();
        assert_eq!(scan.generation, 7);
        let batch = scan.arrange(&plan);
        let ranges: Vec<_> = batch.area_ranges().collect();
        assert_eq!(ranges, [0..2, 2..5]);
        let mut seen = Vec::new();
        let mut grants = vec![all[4].clone(); 2];
        for range in ranges {
            let add = |e, gs: &[Grant]| seen.push((e, gs.to_vec()));
            batch.each(range, &mut grants, |e| ids[e - 10], add);
        }
        let want: Vec<(usize, Vec<Grant>)> = (0..5)
            .map(|k| {
                let gs = all.iter().filter(|g| k < 4 && g.entitlement == ids[k]);
                (k + 10, gs.cloned().collect())
            })
            .collect();
        assert_eq!(seen, want);
        assert_eq!(want[0].1.len(), 3);
    }
}
