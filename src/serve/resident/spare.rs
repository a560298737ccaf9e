//! The snapshot a patch is written into while consoles still read the
//! current one. Every open console holds the snapshot it loaded, so the
//! kept one is nearly always read when a sync comes; copying it whole
//! (every grant with its strings, every index) costs far more than the
//! patch. Instead the snapshot a patch replaces, when it is still read, is
//! kept aside as a spare together with that patch: consoles move to the
//! newest snapshot when they reload after a change, so by the next patch no
//! one reads the spare any more, and it is brought up to date by applying
//! again the one patch it missed (patching is deterministic: the same patch
//! gives the same slots). A spare never misses more than one: the next
//! patch either writes into it (and keeps the snapshot it replaces as the
//! new spare) or drops it. One spare copy is held while consoles are open;
//! none when no one reads the kept snapshot (it is patched in place).

use crate::model::{Grant, Rule};
use crate::policy::{Placed, Snapshot};
use std::sync::Arc;

/// One patch as a snapshot takes it: the grants at slots `removed` go,
/// `added` come (in the order written), then the rules, if given, replace
/// every rule.
#[derive(Debug, Clone)]
pub struct Applied {
    pub removed: Vec<usize>,
    pub added: Vec<Grant>,
    pub rules: Option<Vec<Rule>>,
}

impl Applied {
    /// Applies this to `snap`: where the grants went, and the rules it
    /// replaced, if it did.
    pub fn apply(self, snap: &mut Snapshot) -> (Placed, Option<Vec<Rule>>) {
        let placed = snap.patch_grants(self.removed, self.added);
        let old = self.rules.map(|rules| {
            let old = std::mem::take(&mut snap.org.rules);
            snap.replace_rules(rules);
            old
        });
        (placed, old)
    }
}

/// The snapshot before the current one, and the patch that made the
/// current one from it.
#[derive(Clone)]
pub struct Spare {
    snap: Arc<Snapshot>,
    /// Shared by the states kept for the same snapshot (as the clock
    /// moves), and by no one once one of them writes into the spare.
    missed: Arc<Applied>,
}

impl Spare {
    /// This spare with the patch it missed applied: the current snapshot,
    /// slots and indexes included. `None` when something still reads it.
    fn brought_forward(self) -> Option<Snapshot> {
        let mut snap = Arc::try_unwrap(self.snap).ok()?;
        Arc::unwrap_or_clone(self.missed).apply(&mut snap);
        Some(snap)
    }

    /// A copy of this spare brought up to date (for tests: it must be the
    /// current snapshot, slots and indexes included).
    #[cfg(test)]
    pub fn copy_brought_forward(&self) -> Snapshot {
        let mut snap = self.snap.copied();
        Applied::clone(&self.missed).apply(&mut snap);
        snap
    }
}

/// A patch written: the snapshot it gave, where its grants went, the rules
/// it replaced (if it did), and the spare to keep.
pub struct Written {
    pub snap: Snapshot,
    pub placed: Placed,
    pub old_rules: Option<Vec<Rule>>,
    pub spare: Option<Spare>,
    /// How the snapshot written into was had, for the log.
    pub how: &'static str,
}

/// Writes `patch` in place of `current`: into `current` itself when no one
/// else holds it (and then no spare is kept); else into `spare` brought up
/// to date when no one holds that either, or else into a copy of
/// `current`. Then `current`, read as it is replaced, is the spare, with
/// `patch` as the one it missed.
pub fn write(current: Arc<Snapshot>, spare: Option<Spare>, patch: Applied) -> Written {
    let (mut snap, spare, how) = match Arc::try_unwrap(current) {
        Ok(snap) => (snap, None, "in place"),
        Err(shared) => {
            let (snap, how) = match spare.map(Spare::brought_forward) {
                Some(Some(snap)) => (snap, "into the spare brought up to date"),
                Some(None) => {
                    tracing::debug!(
                        "resident evaluation: the snapshot is still read and so is the spare, copied"
                    );
                    (shared.copied(), "into a copy")
                }
                None => {
                    tracing::debug!("resident evaluation: the snapshot is still read, copied");
                    (shared.copied(), "into a copy")
                }
            };
            let spare = Spare {
                snap: shared,
                missed: Arc::new(patch.clone()),
            };
            (snap, Some(spare), how)
        }
    };
    let (placed, old_rules) = patch.apply(&mut snap);
    Written {
        snap,
        placed,
        old_rules,
        spare,
        how,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Basis, Time};

    fn now() -> Time {
        "2026-03-02T12:00:00Z".parse().unwrap_or_default()
    }

    fn snapshot() -> Snapshot {
        Snapshot::new(crate::r#gen::generate(60, 5, now()))
    }

    /// A patch: the grants at slots `k` and `k + 3` go, one comes for
    /// someone else.
    fn patch(snap: &Snapshot, k: usize) -> Applied {
        let g = snap.org.grants[k].clone();
        let added = Grant {
            person: snap.org.people[k % snap.org.people.len()].id.clone(),
            basis: Basis::Manual,
            ..g
        };
        Applied {
            removed: vec![k, k + 3],
            added: vec![added],
            rules: None,
        }
    }

    #[test]
    fn a_snapshot_no_one_else_reads_is_patched_in_place_and_no_spare_kept() {
        let snap = Arc::new(snapshot());
        let p = patch(&snap, 1);
        let w = write(snap, None, p);
        assert_eq!(w.how, "in place");
        assert!(w.spare.is_none());
    }

    /// A console reads the snapshot at each patch, and reloads the newest
    /// after it: the first patch copies it; each later one writes into the
    /// spare (the snapshot before, read no more) brought up to date, which
    /// is then exactly the snapshot patched as it was, slots and indexes
    /// included.
    #[test]
    fn while_read_each_patch_after_the_first_goes_into_the_spare() {
        let mut current = Arc::new(snapshot());
        let mut plain = snapshot();
        let mut spare = None;
        for round in 0..5 {
            let reader = current.clone();
            let p = patch(&current, 2 + round);
            p.clone().apply(&mut plain);
            let w = write(current, spare, p);
            let want = if round == 0 {
                "into a copy"
            } else {
                "into the spare brought up to date"
            };
            assert_eq!(w.how, want, "round {round}");
            assert!(w.snap == plain, "round {round}");
            let s = w.spare.unwrap_or_else(|| panic!("no spare kept"));
            assert!(s.copy_brought_forward() == plain, "round {round}");
            current = Arc::new(w.snap);
            spare = Some(s);
            drop(reader);
        }
    }

    /// A console still reading the spare (it never reloaded): the current
    /// snapshot is copied, and the snapshot it replaced is the next spare.
    #[test]
    fn a_spare_still_read_is_not_used() {
        let first = Arc::new(snapshot());
        let never_reloads = first.clone();
        let mut plain = snapshot();
        let p = patch(&never_reloads, 1);
        p.clone().apply(&mut plain);
        let w = write(first, None, p);
        let second = Arc::new(w.snap);
        let reader = second.clone();
        let p = patch(&reader, 2);
        p.clone().apply(&mut plain);
        let w = write(second, w.spare, p);
        assert_eq!(w.how, "into a copy");
        assert!(w.snap == plain);
        drop(never_reloads);
        drop(reader);
        let third = Arc::new(w.snap);
        let reader_of_third = third.clone();
        let p = patch(&reader_of_third, 3);
        p.clone().apply(&mut plain);
        let w = write(third, w.spare, p);
        assert_eq!(w.how, "into the spare brought up to date");
        assert!(w.snap == plain);
    }
}
