//! Authority and scope: who may decide what, at a given time.

use super::snapshot::Snapshot;
use crate::model::{Delegation, Time};

/// Why a person has authority over an area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authority<'a> {
    /// Owns `area` (the area itself or an ancestor).
    Owner { area: &'a str },
    /// Holds an active delegation of `area` (the area itself or an ancestor).
    Delegate(&'a Delegation),
}

impl Authority<'_> {
    pub fn describe(&self) -> String {
        match self {
            Authority::Owner { area } => format!("owner of area {area}"),
            Authority::Delegate(d) => format!(
                "delegate for area {} (delegated by {} since {}{})",
                d.area,
                d.by,
                super::day(d.since),
                d.until
                    .map(|u| format!(", until {}", super::day(u)))
                    .unwrap_or_default()
            ),
        }
    }
}

/// The nearest ground of `person`'s authority over `area` at `t`, if any.
pub fn authority<'s>(
    snap: &'s Snapshot,
    person: &str,
    area: usize,
    t: Time,
) -> Option<Authority<'s>> {
    for a in snap.area_path(area) {
        let node = &snap.org.areas[a];
        if node.owner == person {
            return Some(Authority::Owner { area: &node.id });
        }
        if let Some(d) = snap
            .delegations_of_area(a)
            .find(|d| d.to == person && d.active_at(t))
        {
            return Some(Authority::Delegate(d));
        }
    }
    None
}

/// The areas a person may decide for at `t`: what they own or hold an active
/// delegation for, with everything below.
#[derive(Debug, Clone)]
pub struct Scope {
    in_scope: Vec<bool>,
    /// The topmost areas of the scope (owned or delegated), in file order.
    pub roots: Vec<usize>,
}

impl Scope {
    pub fn of(snap: &Snapshot, person: &str, t: Time) -> Scope {
        let n = snap.org.areas.len();
        let mut in_scope = vec![false; n];
        let mut granted: Vec<usize> = Vec::new();
        for (i, a) in snap.org.areas.iter().enumerate() {
            if a.owner == person
                || snap
                    .delegations_of_area(i)
                    .any(|d| d.to == person && d.active_at(t))
            {
                granted.push(i);
            }
        }
        for &g in &granted {
            for a in snap.area_subtree(g) {
                in_scope[a] = true;
            }
        }
        let roots = granted
            .into_iter()
            .filter(|&g| !snap.area_path(g).iter().skip(1).any(|&p| in_scope[p]))
            .collect();
        Scope { in_scope, roots }
    }

    /// Everything: for org-wide views.
    pub fn everything(snap: &Snapshot) -> Scope {
        Scope {
            in_scope: vec![true; snap.org.areas.len()],
            roots: (0..snap.org.areas.len())
                .filter(|&a| snap.area_parent[a].is_none())
                .collect(),
        }
    }

    /// One area alone (not its subtree): to evaluate just its entitlements.
    pub fn single(snap: &Snapshot, area: usize) -> Scope {
        let mut in_scope = vec![false; snap.org.areas.len()];
        if let Some(slot) = in_scope.get_mut(area) {
            *slot = true;
        }
        Scope {
            in_scope,
            roots: vec![area],
        }
    }

    pub fn contains(&self, area: usize) -> bool {
        self.in_scope.get(area).copied().unwrap_or(false)
    }

    pub fn is_empty(&self) -> bool {
        !self.in_scope.iter().any(|&b| b)
    }

    pub fn areas(&self) -> impl Iterator<Item = usize> + '_ {
        self.in_scope
            .iter()
            .enumerate()
            .filter(|(_, b)| **b)
            .map(|(i, _)| i)
    }
}
