//! The whole organization (or a large scope) evaluated area by area, its
//! grants read one entitlement at a time: memory follows the largest area,
//! not the number of grants or suggestions.
//!
//! A reader thread, on a connection of its own and in one read
//! transaction, reads everything but the grants, indexes it, then reads
//! each area's grants (areas in id order, each entitlement's grants in the
//! order written) and hands them over; the calling thread meanwhile works
//! out what the rules justify, then evaluates each area as its grants
//! arrive and hands its suggestions, sorted, to the caller. The areas come
//! in id order, so the suggestions come in the order they are listed in
//! (area, person, entitlement), exactly those `policy::suggestions` gives.

use super::read;
use super::{Error, Result, Store};
use crate::model::*;
use crate::policy::{Audiences, Evaluation, Scope, Snapshot, listed_order};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::time::Instant;

/// What the reader hands over.
enum Read {
    /// The organization without its grants, and the scope to evaluate.
    Start(Arc<Snapshot>, Scope),
    /// One area's entitlements (indexes in the snapshot) with their grants.
    Area(Batch),
    Failed(Error),
}

/// Areas read ahead of the evaluation, at most.
const AHEAD: usize = 256;

/// An area's entitlements with their grants, as read.
type Batch = Vec<(usize, Vec<Grant>)>;

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
        // Read areas come back emptied, their grants' buffers used again.
        let (back, spent) = channel();
        let path = self.path.clone();
        let person = person.map(str::to_string);
        std::thread::scope(|s| {
            s.spawn(move || {
                if let Err(e) = read_by_area(&path, person.as_deref(), now, &tx, &spent) {
                    let _ = tx.send(Read::Failed(e));
                }
            });
            evaluate(&rx, &back, now, &mut each)
        })
    }
}

fn evaluate(
    rx: &Receiver<Read>,
    back: &Sender<Batch>,
    now: Time,
    each: &mut impl FnMut(&Snapshot, &[Suggestion]) -> bool,
) -> Result<Evaluated> {
    let started = Instant::now();
    let (snap, scope) = match rx.recv() {
        Ok(Read::Start(snap, scope)) => (snap, scope),
        Ok(Read::Failed(e)) => return Err(e),
        Ok(Read::Area(_)) | Err(_) => {
            return Err(Error::Invalid("the cache reader stopped".into()));
        }
    };
    let read = started.elapsed();
    let eval = Evaluation::new(&snap, &scope, now);
    let justified = started.elapsed();
    let mut audiences = Audiences::default();
    let mut done = Evaluated::default();
    let mut out = Vec::new();
    for read in rx {
        let area = match read {
            Read::Area(a) => a,
            Read::Failed(e) => return Err(e),
            Read::Start(..) => continue,
        };
        out.clear();
        for (e, grants) in &area {
            done.grants += grants.len();
            eval.entitlement(*e, grants, &mut audiences, &mut out);
        }
        let _ = back.send(area);
        out.sort_by(listed_order);
        done.areas += 1;
        done.suggestions += out.len();
        if !each(&snap, &out) {
            break;
        }
    }
    tracing::debug!(
        areas = done.areas,
        grants = done.grants,
        suggestions = done.suggestions,
        "evaluated by area: all but grants read in {read:?}, rules justified by {justified:?}, done in {:?}",
        started.elapsed()
    );
    Ok(done)
}

/// The reader's side: see the module's documentation. `spent` gives back
/// areas the evaluation is done with, whose grants are overwritten in
/// place rather than allocated again.
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
    let snap = Arc::new(Snapshot::new(read::org_without_grants(&c)?));
    let scope = match person {
        None => Scope::everything(&snap),
        Some(p) if snap.person(p).is_none() => {
            return Err(Error::NotFound(format!(
                "unknown person {p:?} (not on the roster)"
            )));
        }
        Some(p) => Scope::of(&snap, p, now),
    };
    let mut areas: Vec<usize> = scope.areas().collect();
    areas.sort_by(|&a, &b| snap.org.areas[a].id.cmp(&snap.org.areas[b].id));
    if tx.send(Read::Start(snap.clone(), scope)).is_err() {
        return Ok(());
    }
    let mut st = c.prepare(&format!(
        "SELECT {} FROM grants WHERE entitlement = ?1 ORDER BY rowid",
        read::GRANT_COLUMNS
    ))?;
    let mut pool: Vec<Vec<Grant>> = Vec::new();
    for a in areas {
        pool.extend(spent.try_iter().flat_map(|b| b.into_iter().map(|(_, g)| g)));
        let mut batch = Vec::with_capacity(snap.entitlements_of_area[a].len());
        for &e in &snap.entitlements_of_area[a] {
            let id = &snap.org.entitlements[e].id;
            let mut grants = pool.pop().unwrap_or_default();
            let mut n = 0;
            // Grants belong to the first entitlement of an id.
            if snap.entitlement_idx(id) == Some(e) {
                let mut rows = st.query([id])?;
                while let Some(r) = rows.next()? {
                    match grants.get_mut(n) {
                        Some(g) => read::grant_into(r, g)?,
                        None => grants.push(read::grant(r)?),
                    }
                    n += 1;
                }
            }
            grants.truncate(n);
            batch.push((e, grants));
        }
        if tx.send(Read::Area(batch)).is_err() {
            break;
        }
    }
    drop(st);
    c.finish()?;
    Ok(())
}
