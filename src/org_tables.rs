//! The console's lookups that depend on the organization alone: each
//! person's shifts, the teams each person belongs to, each team's parent.
//! Nothing here depends on who reads, the time or decisions, so one set is
//! made per snapshot and shared (`Arc`) by every console reading it: the
//! local console makes it once per load, `steward serve` once per kept
//! evaluation for all its consoles ([`SharedTables`]). What depends on the
//! person (their suggestions, the teams they lead, the rotations in view)
//! is the console's `tui::derive::Index`.

use crate::policy::Snapshot;
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex, Weak};

/// One shift of a person, by index: `org.rotations[rotation].shifts[shift]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShiftRef {
    pub rotation: u32,
    pub shift: u32,
}

#[derive(Debug, Default)]
pub struct OrgTables {
    /// Each person's shifts, by person index, in rotation then shift order.
    pub shifts_of: Vec<Vec<ShiftRef>>,
    /// Each team's parent team (none for a root, or a team its own parent).
    pub team_parent: Vec<Option<usize>>,
    /// Which teams each person belongs to directly, in file order.
    pub teams_of_person: FxHashMap<String, Vec<usize>>,
}

impl OrgTables {
    pub fn of(snap: &Snapshot) -> OrgTables {
        let mut shifts_of = vec![Vec::new(); snap.org.people.len()];
        for (r, rot) in snap.org.rotations.iter().enumerate() {
            for (k, sh) in rot.shifts.iter().enumerate() {
                if let Some(p) = snap.person_idx(&sh.person) {
                    shifts_of[p].push(ShiftRef {
                        rotation: r as u32,
                        shift: k as u32,
                    });
                }
            }
        }
        let team_parent = (0..snap.org.teams.len())
            .map(|i| {
                snap.org.teams[i]
                    .parent
                    .as_deref()
                    .and_then(|p| snap.team_idx(p))
                    .filter(|&p| p != i)
            })
            .collect();
        let mut teams_of_person: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        for (i, t) in snap.org.teams.iter().enumerate() {
            for m in &t.members {
                teams_of_person.entry(m.clone()).or_default().push(i);
            }
        }
        OrgTables {
            shifts_of,
            team_parent,
            teams_of_person,
        }
    }
}

/// The tables of the snapshot last asked for, made once for every console
/// that asks for the same snapshot (held by `steward serve` beside its
/// kept evaluation). A console asking for another snapshot replaces them.
#[derive(Default)]
pub struct SharedTables {
    last: Mutex<Option<Last>>,
}

/// The snapshot last asked for (not kept alive by this) and its tables.
struct Last {
    of: Weak<Snapshot>,
    tables: Arc<OrgTables>,
}

impl SharedTables {
    /// `snap`'s tables: made now if they were made for another snapshot
    /// (consoles asking meanwhile wait for them rather than make their own).
    pub fn of(&self, snap: &Arc<Snapshot>) -> Arc<OrgTables> {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = last.as_ref()
            && Weak::ptr_eq(&l.of, &Arc::downgrade(snap))
        {
            return l.tables.clone();
        }
        let tables = Arc::new(OrgTables::of(snap));
        *last = Some(Last {
            of: Arc::downgrade(snap),
            tables: tables.clone(),
        });
        tables
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Time;

    fn snapshot() -> Arc<Snapshot> {
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        Arc::new(Snapshot::new(crate::r#gen::generate(300, 7, now)))
    }

    #[test]
    fn every_person_s_shifts_and_teams_are_read_off_the_organization() {
        let snap = snapshot();
        let t = OrgTables::of(&snap);
        let org = &snap.org;
        let shifts: usize = org.rotations.iter().map(|r| r.shifts.len()).sum();
        assert!(shifts > 0, "no shifts to index");
        assert_eq!(t.shifts_of.iter().map(Vec::len).sum::<usize>(), shifts);
        for (p, mine) in t.shifts_of.iter().enumerate() {
            for s in mine {
                let sh = &org.rotations[s.rotation as usize].shifts[s.shift as usize];
                assert_eq!(sh.person, org.people[p].id);
            }
        }
        for (person, teams) in &t.teams_of_person {
            for &i in teams {
                assert!(org.teams[i].members.contains(person));
            }
        }
        let members: usize = org.teams.iter().map(|t| t.members.len()).sum();
        assert_eq!(
            t.teams_of_person.values().map(Vec::len).sum::<usize>(),
            members
        );
        for (i, parent) in t.team_parent.iter().enumerate() {
            assert_eq!(
                parent.map(|p| org.teams[p].id.as_str()),
                org.teams[i].parent.as_deref()
            );
        }
    }

    #[test]
    fn consoles_on_one_snapshot_share_one_set_of_tables() {
        let shared = SharedTables::default();
        let snap = snapshot();
        let first = shared.of(&snap);
        assert!(Arc::ptr_eq(&first, &shared.of(&snap.clone())));
        // Another snapshot (an organization read again) gets its own.
        let other = snapshot();
        let second = shared.of(&other);
        assert!(!Arc::ptr_eq(&first, &second));
        assert!(Arc::ptr_eq(&second, &shared.of(&other)));
    }
}
