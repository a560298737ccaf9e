//! The organization `steward serve` keeps evaluated in memory
//! ([`state::State`]), and the task that keeps it current: built once from
//! the store at start, then after every write of the organization's rows
//! (a sync, a rule or delegation written, the grants an apply confirms)
//! only the rows that changed are read and only what they touch is
//! evaluated again, and at each time an evaluation stops holding, only
//! what it was. A command reads its person's scope from it when it is
//! current for the store it sees, and from the store otherwise.

pub mod rowids;
mod spare;
pub mod state;
pub mod until;

#[cfg(test)]
mod tests;

use crate::model::{Suggestion, Time};
use crate::store::{Delta, GrantChanges, Store};
use crate::time::Clock;
use anyhow::Result;
use state::{Patch, Redone, State};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// What is kept, and the organization's generation it was read at (moved
/// only by writes of the organization's rows: a decision, an undo or a
/// digest leaves it, and what is kept, as it is).
struct Kept {
    generation: i64,
    state: State,
}

/// The resident evaluation, shared by every session.
#[derive(Default)]
pub struct Resident {
    kept: RwLock<Option<Arc<Kept>>>,
    /// The kept snapshot as consoles show it, made once per state.
    shown: crate::tui::data::ShownSnapshot,
    /// Its lookups, made once per state for every console.
    tables: crate::org_tables::SharedTables,
}

impl crate::kept_evaluation::Resident for Resident {
    fn suggestions(&self, store: &Store, person: &str, now: Time) -> Option<Vec<Suggestion>> {
        let kept = self.kept()?;
        if store.org_generation().ok()? != kept.generation {
            tracing::debug!("suggestions for {person}: the store moved on, read from it");
            return None;
        }
        let list = kept.state.suggestions(person, now)?;
        tracing::debug!("suggestions for {person}: from the resident evaluation");
        Some(list)
    }

    fn console(
        &self,
        store: &Store,
        person: &str,
        now: Time,
    ) -> Option<crate::kept_evaluation::Evaluated> {
        let kept = self.kept()?;
        if store.org_generation().ok()? != kept.generation {
            tracing::debug!(
                "console for {person}: the store moved on since the resident evaluation"
            );
            return None;
        }
        let suggestions = kept.state.suggestions(person, now)?;
        let snap = self.shown.of(&kept.state.snap);
        let tables = self.tables.of(&snap);
        Some(crate::kept_evaluation::Evaluated {
            snap,
            tables,
            suggestions,
        })
    }
}

impl Resident {
    fn kept(&self) -> Option<Arc<Kept>> {
        self.kept.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Brings what is kept up to date with the store at `db` at `now`;
    /// when the next evaluation stops holding by the clock, if ever. Reads
    /// only what changed since (the store's change log), and patches what
    /// is kept in place; reads the organization whole when something else
    /// than grants and rules changed.
    pub fn refresh(&self, db: &std::path::Path, now: Time) -> Result<Option<Time>> {
        let store = Store::open_existing(db)?;
        let kept = self.kept();
        let started = Instant::now();
        let delta = store.org_since(kept.as_ref().map(|k| k.generation))?;
        let read = started.elapsed();
        let mut how = "whole";
        let (state, redone) = match (delta.change, kept) {
            (Delta::Same, Some(k)) => match k.state.refreshed(now) {
                None => return Ok(k.state.next_boundary()),
                Some(r) => r,
            },
            (Delta::Whole { org, rowids }, Some(k)) => k.state.update(org, rowids, now),
            (Delta::Parts { grants, rules }, Some(k)) => {
                how = match &grants {
                    GrantChanges::Rows { deleted, inserted } => {
                        tracing::debug!(
                            "resident evaluation: {} grant row(s) deleted, {} inserted",
                            deleted.len(),
                            inserted.len()
                        );
                        "per grant row"
                    }
                    GrantChanges::Entitlements(_) => "per entitlement",
                };
                let patch = Patch { grants, rules };
                match self.take(k) {
                    Ok(state) => match state.patched(patch, now) {
                        Ok(done) => done,
                        Err(state) => {
                            how = "by comparing, the patch did not fit";
                            let (org, rowids) = store.load_org_rowed()?;
                            state.update(org, rowids, now)
                        }
                    },
                    Err(k) => {
                        how = "by comparing, the state was still read";
                        let (org, rowids) = store.load_org_rowed()?;
                        k.state.update(org, rowids, now)
                    }
                }
            }
            (Delta::Whole { org, rowids }, None) => {
                (State::build_rowed(org, rowids, now), Redone::Whole)
            }
            (_, None) => {
                let (org, rowids) = store.load_org_rowed()?;
                (State::build_rowed(org, rowids, now), Redone::Whole)
            }
        };
        match &redone {
            Redone::Whole => tracing::info!(
                "resident evaluation: the whole organization in {:?}",
                started.elapsed()
            ),
            Redone::Pairs {
                entitlements,
                pairs,
            } => tracing::debug!(
                "resident evaluation: patched {how}, {pairs} (entitlement, person) pair(s) and {} entitlement(s) again in {:?} (read in {read:?})",
                entitlements.len(),
                started.elapsed()
            ),
            Redone::Entitlements(e) => tracing::debug!(
                "resident evaluation: patched {how}, {} entitlement(s) again in {:?} (read in {read:?})",
                e.len(),
                started.elapsed()
            ),
        }
        let next = state.next_boundary();
        *self.kept.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(Kept {
            generation: delta.generation,
            state,
        }));
        Ok(next)
    }

    /// What is kept, taken out to be changed in place: no session reads it
    /// meanwhile (they read the store, which has moved on anyway). `Err`
    /// with it when a session still holds it after a while.
    fn take(&self, mine: Arc<Kept>) -> std::result::Result<State, Arc<Kept>> {
        let mut k = mine;
        {
            let mut slot = self.kept.write().unwrap_or_else(|p| p.into_inner());
            if slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, &k)) {
                *slot = None;
            }
        }
        for _ in 0..50 {
            match Arc::try_unwrap(k) {
                Ok(kept) => return Ok(kept.state),
                Err(shared) => k = shared,
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Err(k)
    }
}

/// The longest the task waits before looking at the clock again.
const RECHECK: Duration = Duration::from_secs(300);

/// Keeps `resident` current with the store at `db`: at start, after each
/// change `changes` tells of, and when an evaluation's time runs out.
pub async fn keep(
    resident: Arc<Resident>,
    db: PathBuf,
    clock: Clock,
    mut changes: tokio::sync::watch::Receiver<u64>,
) {
    loop {
        changes.borrow_and_update();
        let (r, d) = (resident.clone(), db.clone());
        let done = tokio::task::spawn_blocking(move || r.refresh(&d, clock.now())).await;
        let wait = match done {
            // At least a second: a boundary at this very time holds until
            // the clock moves on.
            Ok(Ok(next)) => next.map_or(RECHECK, |t| {
                (t - clock.now())
                    .to_std()
                    .unwrap_or_default()
                    .clamp(Duration::from_secs(1), RECHECK)
            }),
            Ok(Err(e)) => {
                tracing::warn!("resident evaluation: {e:#}");
                Duration::from_secs(5)
            }
            Err(e) => {
                tracing::error!("resident evaluation stopped: {e}");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return },
            () = tokio::time::sleep(wait) => {}
        }
    }
}
