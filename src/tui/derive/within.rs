//! What of the organization a person's cards list: the teams and rotations
//! the local console's scoped read (`Store::load_for`, `store::scoped`)
//! holds for them, so a console drawn from the whole organization (the
//! server's) lists a person's teams and shifts as the local one does.
//!
//! The scoped read is taken when the scope is a small part of the
//! organization (at most an eighth of its areas, `Store::scope_is_small`);
//! it holds the teams, each with every team below, and the rotations that
//! the rules of the areas read (the scope and every area above it) name as
//! the audience of an entitlement in scope, and the teams the person leads
//! (with every team below) and those teams' rotations. A larger scope reads
//! the whole organization: then every team and rotation is listed.

use crate::model::Audience;
use crate::policy::{Scope, Snapshot};

/// The teams and rotations listed, by index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Within {
    teams: Vec<bool>,
    rotations: Vec<bool>,
}

impl Within {
    /// What `me`'s scoped read holds; `None` when their scope reads the
    /// whole organization.
    pub fn of(snap: &Snapshot, scope: &Scope, me: &str) -> Option<Within> {
        let below: Vec<usize> = scope.areas().collect();
        if below.len() * 8 > snap.org.areas.len() {
            return None;
        }
        let mut read = vec![false; snap.org.areas.len()];
        for &a in &below {
            read[a] = true;
        }
        for &root in &scope.roots {
            for a in snap.area_path(root) {
                read[a] = true;
            }
        }
        let mut w = Within {
            teams: vec![false; snap.org.teams.len()],
            rotations: vec![false; snap.org.rotations.len()],
        };
        let mut tops: Vec<usize> = Vec::new();
        for &a in &below {
            for &e in &snap.entitlements_of_area[a] {
                for rule in snap.rules_granting(e) {
                    if !snap.area_idx(&rule.area).is_some_and(|r| read[r]) {
                        continue;
                    }
                    match &rule.audience {
                        Audience::Team(t) => tops.extend(snap.team_idx(t)),
                        Audience::Rotation(r) => {
                            if let Some(r) = snap.rotation_idx(r) {
                                w.rotations[r] = true;
                            }
                        }
                    }
                }
            }
        }
        let led = |t: &str| snap.team(t).is_some_and(|t| t.lead.as_deref() == Some(me));
        tops.extend(
            (0..snap.org.teams.len()).filter(|&t| snap.org.teams[t].lead.as_deref() == Some(me)),
        );
        for (i, r) in snap.org.rotations.iter().enumerate() {
            if r.team.as_deref().is_some_and(led) {
                w.rotations[i] = true;
            }
        }
        for t in tops {
            if !w.teams[t] {
                for below in snap.team_subtree(t) {
                    w.teams[below] = true;
                }
            }
        }
        Some(w)
    }

    /// Is team `t` listed?
    pub fn team(&self, t: usize) -> bool {
        self.teams.get(t).copied().unwrap_or(false)
    }

    /// Is rotation `r` listed?
    pub fn rotation(&self, r: usize) -> bool {
        self.rotations.get(r).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Time;
    use crate::store::{SourceInfo, Store};
    use std::collections::BTreeSet;

    /// For everyone whose scope is read scoped: the teams and rotations
    /// listed from the whole organization are exactly those the scoped
    /// read holds.
    #[test]
    fn what_is_listed_is_what_the_scoped_read_holds() {
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let source = SourceInfo {
            name: "org".into(),
            kind: "files".into(),
            location: String::new(),
            synced_at: None,
            attempted_at: None,
            error: None,
            items: 0,
        };
        let mut org = crate::r#gen::generate(300, 7, now);
        // Owners of areas with nothing below lead the teams of a few
        // rotations too (teams whose rules need not reach their area).
        let leaves: Vec<String> = org
            .areas
            .iter()
            .filter(|a| !org.areas.iter().any(|b| b.parent.as_ref() == Some(&a.id)))
            .map(|a| a.owner.clone())
            .collect();
        let led: Vec<String> = org
            .rotations
            .iter()
            .filter_map(|r| r.team.clone())
            .collect();
        assert!(
            leaves.len() >= 3 && led.len() >= 3,
            "no leaves or no teams on call"
        );
        for (owner, team) in leaves.iter().zip(&led).take(3) {
            for t in org.teams.iter_mut().filter(|t| &t.id == team) {
                t.lead = Some(owner.clone());
            }
        }
        store.replace_source(&source, &org, now).unwrap();
        let whole = Snapshot::new(store.load_org().unwrap());
        let (mut scoped, mut fewer) = (0, 0);
        for p in whole.org.people.iter().map(|p| p.id.as_str()) {
            let scope = Scope::of(&whole, p, now);
            let within = Within::of(&whole, &scope, p);
            assert_eq!(
                within.is_some(),
                store.scope_is_small(p, now).unwrap(),
                "{p}"
            );
            let Some(within) = within else { continue };
            scoped += 1;
            let part = store.load_scope(p, now).unwrap();
            let teams: BTreeSet<&str> = (0..whole.org.teams.len())
                .filter(|&t| within.team(t))
                .map(|t| whole.org.teams[t].id.as_str())
                .collect();
            let read: BTreeSet<&str> = part.teams.iter().map(|t| t.id.as_str()).collect();
            assert_eq!(teams, read, "teams of {p}");
            let rotations: BTreeSet<&str> = (0..whole.org.rotations.len())
                .filter(|&r| within.rotation(r))
                .map(|r| whole.org.rotations[r].id.as_str())
                .collect();
            let read: BTreeSet<&str> = part.rotations.iter().map(|r| r.id.as_str()).collect();
            assert_eq!(rotations, read, "rotations of {p}");
            fewer += usize::from(
                teams.len() < whole.org.teams.len() || rotations.len() < whole.org.rotations.len(),
            );
        }
        assert!(
            scoped > 10 && fewer > 0,
            "{scoped} scoped, {fewer} with fewer"
        );
    }
}
