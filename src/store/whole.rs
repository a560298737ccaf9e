//! The whole organization (or a large scope) evaluated area by area, its
//! grants read one entitlement at a time: memory follows the largest area,
//! not the number of grants or suggestions.
//!
//! A reader thread, on a connection of its own and in one read
//! transaction, reads everything but the grants, indexes it, then reads
//! each area's grants (areas in id order, each entitlement's grants in the
//! order written) and hands them over as their text in one buffer (no
//! allocation per row: the reader does little but step through SQLite);
//! the calling thread meanwhile works out what the rules justify, then
//! makes each area's grants from their text into grants it uses again,
//! evaluates the areas (a window of them at a time on the machine's
//! cores, see [`areas`]) and hands each area's suggestions, sorted, to the
//! caller. The areas come in id order, so the suggestions come in the
//! order they are listed in (area, person, entitlement), exactly those
//! `policy::suggestions` gives.
//!
//! The people, teams and rotations are read on a second connection
//! meanwhile (see [`second_connection`]).

mod areas;
mod second_connection;

use super::read::GrantText;
use super::{Error, Result, Store};
use crate::model::*;
use crate::policy::{Evaluation, Scope, Snapshot};
use rustc_hash::FxHashMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::time::Instant;

/// What the reader hands over.
enum Read {
    /// The organization without its grants, and the scope to evaluate.
    Start(Arc<Snapshot>, Scope),
    /// The organization without its grants, to evaluate whole (indexed by
    /// the evaluating thread while the reader goes on with the grants).
    Whole(Org),
    /// Areas' entitlements with their grants.
    Areas(Batch),
    Failed(Error),
}

/// Batches read ahead of the evaluation, at most: with [`BATCH_ROWS`],
/// about a million grant rows (some 100 MB), enough for the reader to go
/// on while the evaluation indexes the organization and justifies the
/// rules instead of waiting for it.
const AHEAD: usize = 16;

/// A batch is handed over once it holds this many grant rows or more
/// (whole areas: a larger area makes a larger batch).
const BATCH_ROWS: usize = 65_536;

/// A grant's columns but its entitlement, which the reader asks by (and
/// so knows): the longest string of most rows, read and copied once less.
const COLUMNS: &str = "person, granted_by, granted_at, basis, expires, through";

/// One grant row of a [`Batch`]: where its strings end in the batch's text.
#[derive(Debug, Clone, Copy)]
struct Row {
    /// person, granted_by, basis, through.
    ends: [usize; 4],
    granted_by: bool,
    through: bool,
    granted_at: i64,
    expires: Option<i64>,
}

/// Areas' entitlements (indexes in the snapshot) with their grants, as
/// read: the grants' strings one after another in one buffer.
#[derive(Debug, Default)]
struct Batch {
    /// Each area, as the end of its entitlements in `entitlements`.
    areas: Vec<usize>,
    /// Each entitlement, with the end of its rows in `rows`.
    entitlements: Vec<(usize, usize)>,
    rows: Vec<Row>,
    text: String,
}

impl Batch {
    fn clear(&mut self) {
        self.areas.clear();
        self.entitlements.clear();
        self.rows.clear();
        self.text.clear();
    }

    /// A row read with [`COLUMNS`].
    fn push(&mut self, r: &rusqlite::Row) -> rusqlite::Result<()> {
        let granted_by = r.get_ref(1)?.as_str_or_null()?;
        let through = r.get_ref(5)?.as_str_or_null()?;
        let texts = [
            r.get_ref(0)?.as_str()?,
            granted_by.unwrap_or(""),
            r.get_ref(3)?.as_str()?,
            through.unwrap_or(""),
        ];
        let mut ends = [0; 4];
        for (end, s) in ends.iter_mut().zip(texts) {
            self.text.push_str(s);
            *end = self.text.len();
        }
        self.rows.push(Row {
            ends,
            granted_by: granted_by.is_some(),
            through: through.is_some(),
            granted_at: r.get(2)?,
            expires: r.get(4)?,
        });
        Ok(())
    }

    /// The rows pushed since the last entitlement are `e`'s.
    fn end_entitlement(&mut self, e: usize) {
        self.entitlements.push((e, self.rows.len()));
    }

    /// The entitlements ended since the last area are one area's.
    fn end_area(&mut self) {
        self.areas.push(self.entitlements.len());
    }

    /// Each area's entitlements, as a range of `entitlements`.
    fn area_ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        let starts = std::iter::once(0).chain(self.areas.iter().copied());
        starts.zip(self.areas.iter().copied()).map(|(a, b)| a..b)
    }

    /// Row `i` as read, a grant of `entitlement`.
    fn grant<'a>(&'a self, i: usize, entitlement: &'a str) -> GrantText<'a> {
        let row = &self.rows[i];
        let start = match i {
            0 => 0,
            _ => self.rows[i - 1].ends[3],
        };
        let [person, by, basis, through] = row.ends;
        GrantText {
            person: &self.text[start..person],
            entitlement,
            granted_by: row.granted_by.then(|| &self.text[person..by]),
            granted_at: row.granted_at,
            basis: &self.text[by..basis],
            expires: row.expires,
            through: row.through.then(|| &self.text[basis..through]),
        }
    }

    /// Each entitlement of `range` (of `entitlements`) with its grants,
    /// made in `grants` (whose strings are overwritten, so that nothing is
    /// allocated once they are long enough); `id` names entitlement `e`,
    /// whose grants were asked for.
    fn each<'a>(
        &self,
        range: std::ops::Range<usize>,
        grants: &mut Vec<Grant>,
        id: impl Fn(usize) -> &'a str,
        mut f: impl FnMut(usize, &[Grant]),
    ) {
        let mut start = match range.start {
            0 => 0,
            k => self.entitlements[k - 1].1,
        };
        for &(e, end) in &self.entitlements[range] {
            if grants.len() < end - start {
                grants.resize_with(end - start, empty_grant);
            }
            let id = id(e);
            for (g, i) in grants.iter_mut().zip(start..end) {
                self.grant(i, id).set(g);
            }
            f(e, &grants[..end - start]);
            start = end;
        }
    }
}

fn empty_grant() -> Grant {
    Grant {
        person: String::new(),
        entitlement: String::new(),
        granted_by: None,
        granted_at: Time::default(),
        basis: Basis::Manual,
        expires: None,
        through: None,
    }
}

/// What an evaluation by areas went through.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Evaluated {
    pub areas: usize,
    pub grants: usize,
    pub suggestions: usize,
}

impl Store {
    /// Evaluates `person`'s scope at `now` (the whole organization when
    /// `None`) area by area, handing each area's suggestions, sorted, to
    /// `each` in the order they are listed in; `each` returns `false` to
    /// stop early. The snapshot `each` gets holds everything but grants.
    /// An unknown person is [`Error::NotFound`].
    pub fn evaluate_by_area(
        &self,
        person: Option<&str>,
        now: Time,
        mut each: impl FnMut(&Snapshot, &[Suggestion]) -> bool,
    ) -> Result<Evaluated> {
        let (tx, rx) = sync_channel(AHEAD);
        // Read areas come back emptied, their buffers used again.
        let (back, spent) = channel();
        let path = self.path.clone();
        let person = person.map(str::to_string);
        let (done, snap) = std::thread::scope(|s| {
            s.spawn(move || {
                if let Err(e) = read_by_area(&path, person.as_deref(), now, &tx, &spent) {
                    let _ = tx.send(Read::Failed(e));
                }
            });
            // The receiver goes with the evaluation, so that a reader
            // ahead of an evaluation stopped early stops too.
            evaluate(rx, &back, now, &mut each)
        })?;
        free_elsewhere(snap);
        Ok(done)
    }
}

/// The snapshot freed on a thread of its own: at 100k people that takes
/// a tenth of a second nobody needs to wait for (a process that ends
/// meanwhile leaves it to the system).
fn free_elsewhere(snap: Arc<Snapshot>) {
    let _ = std::thread::Builder::new()
        .name("free-snapshot".into())
        .spawn(move || drop(snap));
}

fn evaluate(
    rx: Receiver<Read>,
    back: &Sender<Batch>,
    now: Time,
    each: &mut impl FnMut(&Snapshot, &[Suggestion]) -> bool,
) -> Result<(Evaluated, Arc<Snapshot>)> {
    let started = Instant::now();
    let (snap, scope) = match rx.recv() {
        Ok(Read::Start(snap, scope)) => (snap, scope),
        Ok(Read::Whole(org)) => {
            let snap = Arc::new(Snapshot::new(org));
            let scope = Scope::everything(&snap);
            (snap, scope)
        }
        Ok(Read::Failed(e)) => return Err(e),
        Ok(Read::Areas(_)) | Err(_) => {
            return Err(Error::Invalid("the cache reader stopped".into()));
        }
    };
    let read = started.elapsed();
    let eval = Evaluation::new(&snap, &scope, now);
    let justified = started.elapsed();
    let mut done = Evaluated::default();
    let mut areas = areas::Areas::new();
    for read in rx {
        let batch = match read {
            Read::Areas(b) => b,
            Read::Failed(e) => return Err(e),
            Read::Start(..) | Read::Whole(_) => continue,
        };
        let go_on = areas.evaluate(&eval, &snap, &batch, |area| {
            done.areas += 1;
            done.grants += area.grants;
            done.suggestions += area.suggestions.len();
            each(&snap, &area.suggestions)
        });
        if !go_on {
            break;
        }
        let _ = back.send(batch);
    }
    tracing::debug!(
        areas = done.areas,
        grants = done.grants,
        suggestions = done.suggestions,
        "evaluated by area: all but grants read in {read:?}, rules justified by {justified:?}, done in {:?}",
        started.elapsed()
    );
    drop(eval);
    Ok((done, snap))
}

/// Which grants to read, area by area in the order the areas are
/// evaluated: each of the area's entitlements (an index in the snapshot)
/// with the id whose grants it has (`None` for a later entitlement of an
/// id: grants belong to the first).
type Plan = Vec<Vec<(usize, Option<String>)>>;

/// The reader's side: see the module's documentation. `spent` gives back
/// areas the evaluation is done with, whose buffers are used again.
fn read_by_area(
    path: &std::path::Path,
    person: Option<&str>,
    now: Time,
    tx: &SyncSender<Read>,
    spent: &Receiver<Batch>,
) -> Result<()> {
    let store = Store::open_existing(path)?;
    let c =
        rusqlite::Transaction::new_unchecked(&store.conn, rusqlite::TransactionBehavior::Deferred)?;
    let org = second_connection::org_without_grants(&store, path)?;
    let (plan, start) = start(org, person, now)?;
    if tx.send(start).is_ok() {
        read_areas(&c, plan, tx, spent)?;
    }
    c.finish()?;
    Ok(())
}

/// The organization without its grants, to evaluate for `person` (the
/// whole of it when `None`): what to hand the evaluation first, and the
/// plan of the grants to read.
fn start(org: Org, person: Option<&str>, now: Time) -> Result<(Plan, Read)> {
    Ok(match person {
        None => (plan_of_org(&org), Read::Whole(org)),
        Some(p) => {
            let snap = Snapshot::new(org);
            if snap.person(p).is_none() {
                return Err(Error::NotFound(format!(
                    "unknown person {p:?} (not on the roster)"
                )));
            }
            let scope = Scope::of(&snap, p, now);
            (
                plan_of_scope(&snap, &scope),
                Read::Start(Arc::new(snap), scope),
            )
        }
    })
}

/// The grants of `plan`, one indexed query per entitlement on `c`, handed
/// over a batch of areas at a time.
fn read_areas(
    c: &rusqlite::Connection,
    plan: Plan,
    tx: &SyncSender<Read>,
    spent: &Receiver<Batch>,
) -> Result<()> {
    let mut st = c.prepare(&format!(
        "SELECT {COLUMNS} FROM grants WHERE entitlement = ?1 ORDER BY rowid"
    ))?;
    let fresh = || {
        let mut batch = spent.try_recv().unwrap_or_default();
        batch.clear();
        batch
    };
    let mut batch = fresh();
    let areas = plan.len();
    for (k, area) in plan.into_iter().enumerate() {
        for (e, id) in area {
            if let Some(id) = id {
                let mut rows = st.query([id])?;
                while let Some(r) = rows.next()? {
                    batch.push(r)?;
                }
            }
            batch.end_entitlement(e);
        }
        batch.end_area();
        if (batch.rows.len() >= BATCH_ROWS || k + 1 == areas)
            && tx
                .send(Read::Areas(std::mem::replace(&mut batch, fresh())))
                .is_err()
        {
            break;
        }
    }
    Ok(())
}

/// The plan for `scope`: its areas in id order.
fn plan_of_scope(snap: &Snapshot, scope: &Scope) -> Plan {
    let mut areas: Vec<usize> = scope.areas().collect();
    areas.sort_by(|&a, &b| snap.org.areas[a].id.cmp(&snap.org.areas[b].id));
    let ents = |a: usize| {
        let ids = snap.entitlements_of_area[a].iter().map(|&e| {
            let id = &snap.org.entitlements[e].id;
            (e, (snap.entitlement_idx(id) == Some(e)).then(|| id.clone()))
        });
        ids.collect()
    };
    areas.into_iter().map(ents).collect()
}

/// The plan for the whole of `org`, without indexing it all: the same as
/// [`plan_of_scope`] gives for the snapshot of `org` and every area (an
/// id names its first area or entitlement, as in the snapshot).
fn plan_of_org(org: &Org) -> Plan {
    let mut area_idx: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, a) in org.areas.iter().enumerate() {
        area_idx.entry(&a.id).or_insert(i);
    }
    let mut first: FxHashMap<&str, usize> = FxHashMap::default();
    let mut plan: Plan = vec![Vec::new(); org.areas.len()];
    for (i, e) in org.entitlements.iter().enumerate() {
        let reads = *first.entry(&e.id).or_insert(i) == i;
        if let Some(&a) = area_idx.get(e.area.as_str()) {
            plan[a].push((i, reads.then(|| e.id.clone())));
        }
    }
    let mut order: Vec<usize> = (0..org.areas.len()).collect();
    order.sort_by(|&a, &b| org.areas[a].id.cmp(&org.areas[b].id));
    order
        .into_iter()
        .map(|a| std::mem::take(&mut plan[a]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::read;

    /// Grants made from a batch's text are the grants read afresh, whatever
    /// the grants they are made in held before, entitlement by entitlement
    /// and area by area.
    #[test]
    fn a_batch_gives_back_the_grants_read() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE grants (person, entitlement, granted_by, granted_at, basis, expires, through);
             INSERT INTO grants VALUES
                ('ana', 'db:read', 'bo', 10, 'rule:r1', NULL, NULL),
                ('bo', 'db:read', NULL, 20, 'manual', 30, 'team-a -> db-readers'),
                ('cy', 'db:write', '', 40, 'rule:', NULL, ''),
                ('dee', 'db:admin', 'bo', 50, 'rule:a-much-longer-rule-id', 60, NULL),
                ('', 'db:admin', NULL, 0, 'odd', NULL, 'x -> y');",
        )
        .unwrap();
        let all = read::grants(&c, read::Rows::All).unwrap();
        let mut st = c
            .prepare(&format!(
                "SELECT {COLUMNS} FROM grants WHERE entitlement = ?1 ORDER BY rowid"
            ))
            .unwrap();
        let ids = ["db:read", "none", "db:write", "db:admin"];
        let mut batch = Batch::default();
        for round in 0..2 {
            batch.clear();
            for (e, id) in ids.iter().enumerate() {
                let mut rows = st.query([id]).unwrap();
                while let Some(r) = rows.next().unwrap() {
                    batch.push(r).unwrap();
                }
                batch.end_entitlement(e);
                if e % 2 == 1 {
                    batch.end_area();
                }
            }
            let mut grants = vec![all[3].clone(); round * 3];
            let mut seen = Vec::new();
            let ranges: Vec<_> = batch.area_ranges().collect();
            assert_eq!(ranges, [0..2, 2..4]);
            for range in ranges {
                let add = |e, gs: &[Grant]| seen.push((e, gs.to_vec()));
                batch.each(range, &mut grants, |e| ids[e], add);
            }
            let want: Vec<(usize, Vec<Grant>)> = ids
                .iter()
                .enumerate()
                .map(|(e, id)| {
                    let gs = all.iter().filter(|g| g.entitlement == *id).cloned();
                    (e, gs.collect())
                })
                .collect();
            assert_eq!(seen, want);
        }
    }

    /// The plan made from the organization alone is the one its snapshot
    /// gives for every area, ids defined twice included.
    #[test]
    fn the_whole_plan_is_the_snapshots() {
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let mut org = crate::r#gen::generate(400, 5, now);
        org.grants.clear();
        let (a, e) = (org.areas[3].clone(), org.entitlements[7].clone());
        org.areas.push(a);
        org.entitlements.push(e);
        let mut moved = org.entitlements[2].clone();
        moved.area = org.areas[5].id.clone();
        org.entitlements.push(moved);
        let plan = plan_of_org(&org);
        let snap = Snapshot::new(org);
        assert_eq!(plan, plan_of_scope(&snap, &Scope::everything(&snap)));
        assert!(plan.iter().flatten().any(|(_, id)| id.is_none()));
    }
}
