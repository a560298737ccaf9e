//! The snapshot a patch is written into while consoles still read the
//! current one. Every open console holds the snapshot it loaded, so the
//! kept one is nearly always read when a sync comes; copying it whole
//! (every grant with its strings, every index) costs far more than the
//! patch. Instead the snapshot before it is kept aside as a spare when it
//! was still read as it was replaced: consoles move to the newest one when
//! they reload after a change, so by the next patch no one reads the spare
//! any more, and it is brought up to date by applying again the patches it
//! missed (patching is deterministic: the same patches give the same
//! slots). One spare copy is held while consoles are open; none when no one
//! reads the kept snapshot (it is patched in place).

use crate::model::{Grant, Rule};
use crate::policy::{Placed, Snapshot};
use std::sync::Arc;

/// Patches a spare may miss before it is dropped rather than brought up
/// to date (it misses one when each console reloads before the next sync).
const MOST_BEHIND: usize = 8;

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

/// An earlier snapshot of this organization, and the patches since, in
/// order: applied to it, they give the current snapshot.
#[derive(Clone)]
pub struct Spare {
    snap: Arc<Snapshot>,
    behind: Vec<Applied>,
}

/// The snapshot to write the next patch into, and the spare to keep once it
/// is applied (to which [`Written::applied`] adds that patch).
pub struct Written {
    pub snap: Snapshot,
    pub spare: Option<Spare>,
    /// How it was had, for the log.
    pub how: &'static str,
}

impl Written {
    /// Keeps `patch`, applied to the written snapshot, for the spare.
    pub fn applied(&mut self, patch: &Applied) {
        if let Some(spare) = &mut self.spare {
            spare.behind.push(patch.clone());
        }
    }
}

/// The snapshot to patch in place of `current`: `current` itself when no
/// one else holds it (and no spare is kept); else `spare` brought up to
/// date when no one holds it either and it is not too far behind, or else
/// a copy of `current`. Then `current`, read as it is replaced, is the
/// spare for the next patch.
pub fn writable(current: Arc<Snapshot>, spare: Option<Spare>) -> Written {
    let shared = match Arc::try_unwrap(current) {
        Ok(snap) => {
            return Written {
                snap,
                spare: None,
                how: "in place",
            };
        }
        Err(shared) => shared,
    };
    let (snap, how) = match spare.map(brought_forward) {
        Some(Ok(snap)) => (snap, "into the spare brought up to date"),
        Some(Err(why)) => {
            tracing::debug!("resident evaluation: the snapshot is still read and {why}, copied");
            (shared.copied(), "into a copy")
        }
        None => {
            tracing::debug!("resident evaluation: the snapshot is still read, copied");
            (shared.copied(), "into a copy")
        }
    };
    Written {
        snap,
        spare: Some(Spare {
            snap: shared,
            behind: Vec::new(),
        }),
        how,
    }
}

/// `spare` with the patches it missed applied; `Err` saying why not when
/// it is still read or too far behind.
fn brought_forward(spare: Spare) -> Result<Snapshot, &'static str> {
    if spare.behind.len() > MOST_BEHIND {
        return Err("the spare is too far behind");
    }
    let mut snap = Arc::try_unwrap(spare.snap).map_err(|_| "so is the spare")?;
    for patch in spare.behind {
        patch.apply(&mut snap);
    }
    Ok(snap)
}

impl Spare {
    /// A copy of this spare brought up to date (for tests: it must be the
    /// current snapshot, slots and indexes included).
    #[cfg(test)]
    pub fn copy_brought_forward(&self) -> Snapshot {
        let mut snap = self.snap.copied();
        for patch in &self.behind {
            patch.clone().apply(&mut snap);
        }
        snap
    }

    /// How many patches it missed.
    #[cfg(test)]
    pub fn behind(&self) -> usize {
        self.behind.len()
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

    /// Writes `patch` as the resident does: into what [`writable`] gives,
    /// kept for the spare.
    fn write(current: Arc<Snapshot>, spare: Option<Spare>, patch: Applied) -> Written {
        let mut w = writable(current, spare);
        w.applied(&patch);
        patch.apply(&mut w.snap);
        w
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
            assert_eq!(s.behind(), 1);
            assert!(s.copy_brought_forward() == plain, "round {round}");
            current = Arc::new(w.snap);
            spare = Some(s);
            drop(reader);
        }
    }

    /// A console still reading the spare, or a spare too far behind: the
    /// current snapshot is copied.
    #[test]
    fn a_spare_still_read_or_too_far_behind_is_not_used() {
        let first = Arc::new(snapshot());
        let never_reloads = first.clone();
        let w = write(first, None, patch(&never_reloads, 1));
        let second = Arc::new(w.snap);
        let reader = second.clone();
        let w = write(second, w.spare, patch(&reader, 2));
        assert_eq!(w.how, "into a copy");
        drop(never_reloads);
        let third = Arc::new(w.snap);
        let reader_of_third = third.clone();
        let mut far = w.spare.unwrap_or_else(|| panic!("no spare kept"));
        drop(reader);
        far.behind = vec![patch(&third, 2); MOST_BEHIND + 1];
        let w = write(third, Some(far), patch(&reader_of_third, 3));
        assert_eq!(w.how, "into a copy");
    }
}
