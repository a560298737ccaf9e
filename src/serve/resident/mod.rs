//! The organization `steward serve` keeps evaluated in memory
//! ([`state::State`]), and the task that keeps it current: built once from
//! the store at start, then after every change to the store (a sync, a
//! decision, a rule or delegation written, an apply) only what changed is
//! evaluated again, and at each time an evaluation stops holding, only
//! what it was. A command reads its person's scope from it when it is
//! current for the store it sees, and from the store otherwise.

pub mod state;
pub mod until;

#[cfg(test)]
mod tests;

use super::live::{Marker, marker};
use crate::model::{Suggestion, Time};
use crate::store::Store;
use crate::time::Clock;
use anyhow::Result;
use state::{Redone, State};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// What is kept, and the store's marker it was read at.
struct Kept {
    marker: Marker,
    state: State,
}

/// The resident evaluation, shared by every session.
#[derive(Default)]
pub struct Resident {
    kept: RwLock<Option<Arc<Kept>>>,
    /// The kept snapshot as consoles show it, made once per state.
    shown: crate::tui::data::ShownSnapshot,
}

impl crate::cli::Resident for Resident {
    fn suggestions(&self, store: &Store, person: &str, now: Time) -> Option<Vec<Suggestion>> {
        let kept = self
            .kept
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        if marker(store).ok()? != kept.marker {
            tracing::debug!("suggestions for {person}: the store moved on, read from it");
            return None;
        }
        let list = kept.state.suggestions(person, now)?;
        tracing::debug!("suggestions for {person}: from the resident evaluation");
        Some(list)
    }

    fn console(&self, store: &Store, person: &str, now: Time) -> Option<crate::cli::Evaluated> {
        let kept = self
            .kept
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        if marker(store).ok()? != kept.marker {
            tracing::debug!(
                "console for {person}: the store moved on since the resident evaluation"
            );
            return None;
        }
        let suggestions = kept.state.suggestions(person, now)?;
        let snap = self.shown.of(&kept.state.snap);
        Some(crate::cli::Evaluated { snap, suggestions })
    }
}

impl Resident {
    /// Brings what is kept up to date with the store at `db` at `now`;
    /// when the next evaluation stops holding by the clock, if ever.
    pub fn refresh(&self, db: &std::path::Path, now: Time) -> Result<Option<Time>> {
        let store = Store::open_existing(db)?;
        // Read before the organization: a change in between is seen as a
        // change next time, never missed.
        let seen = marker(&store)?;
        let kept = self.kept.read().unwrap_or_else(|p| p.into_inner()).clone();
        let started = Instant::now();
        let (state, redone) = match kept {
            Some(k) if k.marker == seen => match k.state.refreshed(now) {
                None => return Ok(k.state.next_boundary()),
                Some(r) => r,
            },
            Some(k) => k.state.update(store.load_org()?, now),
            None => (State::build(store.load_org()?, now), Redone::Whole),
        };
        match &redone {
            Redone::Whole => tracing::info!(
                "resident evaluation: the whole organization in {:?}",
                started.elapsed()
            ),
            Redone::Entitlements(e) => tracing::debug!(
                "resident evaluation: {} entitlement(s) again in {:?}",
                e.len(),
                started.elapsed()
            ),
        }
        let next = state.next_boundary();
        *self.kept.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(Kept {
            marker: seen,
            state,
        }));
        Ok(next)
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
