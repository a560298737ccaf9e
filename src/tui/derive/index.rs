//! Lookups made once per load for the person at the keyboard: what each
//! suggestion rests on (its area, the grants behind it, its filter fields),
//! the teams led, the rotations in view, and what of the organization
//! their cards list ([`Within`]). Those that depend on the organization
//! alone (each person's shifts and teams, team parents) are
//! [`OrgTables`], made once per snapshot and shared. Nothing here depends
//! on the time or on decisions.

use super::super::data::Data;
use super::within::Within;
use crate::model::*;
pub use crate::org_tables::{OrgTables, ShiftRef};
use crate::policy::Snapshot;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeSet;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Since when the person holds the entitlement, per suggestion.
    pub held_since: Vec<Option<Time>>,
    /// The grants behind each suggestion (indices into `org.grants`), so
    /// the card need not scan an entitlement's hundred thousand grants.
    pub held_grants: Vec<Vec<usize>>,
    /// The filter's fields per suggestion (person, entitlement, area,
    /// reason) as indices into `filter_strings`: each distinct string is
    /// scored once per key, without hashing.
    pub filter_fields: Vec<[u32; 4]>,
    pub filter_strings: Vec<String>,
    /// The area index of each suggestion.
    pub sug_area: Vec<Option<usize>>,
    /// Teams `me` leads (roots of the teams tab).
    pub led_teams: Vec<usize>,
    /// Rotations shown in the rotations view (indices into org.rotations).
    pub rotations: Vec<usize>,
    /// The organization's own lookups (shared by every console on the
    /// same snapshot).
    pub org: Arc<OrgTables>,
    /// The teams and rotations a card lists, when not all of them.
    pub within: Option<Within>,
}

impl Index {
    /// The lookups for `data`, around its snapshot's tables when it
    /// brings them, else made here.
    pub fn of(data: &Data) -> Index {
        let snap = &data.snap;
        let (held_since, held_grants) = held_since(snap, &data.suggestions);
        let (filter_fields, filter_strings) = intern_fields(&data.suggestions);
        let org = match &data.tables {
            Some(t) => t.clone(),
            None => Arc::new(OrgTables::of(snap)),
        };
        Index {
            held_since,
            held_grants,
            filter_fields,
            filter_strings,
            sug_area: data
                .suggestions
                .iter()
                .map(|s| snap.area_idx(&s.area))
                .collect(),
            led_teams: led_teams(snap, &data.me),
            rotations: rotations_in_view(data),
            org,
            within: Within::of(snap, &data.scope, &data.me),
        }
    }

    /// Is `person` a member of `team` or of a team below it?
    pub fn person_in_team(&self, snap: &Snapshot, person: &str, team: usize) -> bool {
        self.org.teams_of_person.get(person).is_some_and(|ts| {
            ts.iter()
                .any(|&t| snap.team_ancestors(t).any(|c| c == team))
        })
    }

    /// The teams `person` belongs to directly, as their card lists them.
    pub fn teams_listed(&self, person: &str) -> impl Iterator<Item = usize> + '_ {
        let teams = self.org.teams_of_person.get(person).map_or(&[][..], |v| v);
        teams
            .iter()
            .copied()
            .filter(|&t| self.within.as_ref().is_none_or(|w| w.team(t)))
    }

    /// The shifts of the person at `person` (an index into
    /// `org.people`), as their card lists them.
    pub fn shifts_listed(&self, person: usize) -> impl Iterator<Item = ShiftRef> + '_ {
        let shifts = self.org.shifts_of.get(person).map_or(&[][..], |v| v);
        shifts.iter().copied().filter(|s| {
            self.within
                .as_ref()
                .is_none_or(|w| w.rotation(s.rotation as usize))
        })
    }
}

/// The earliest grant of each suggestion's (person, entitlement), in one
/// pass over the grants of the entitlements suggested (an entitlement may
/// have a hundred thousand; the whole organization, ten times that).
/// Also the grants themselves (indices into `org.grants`, in its order),
/// per suggestion.
pub fn held_since(snap: &Snapshot, list: &[Suggestion]) -> (Vec<Option<Time>>, Vec<Vec<usize>>) {
    type Held = (Option<Time>, Vec<usize>);
    let mut wanted: FxHashMap<(&str, &str), Held> = list
        .iter()
        .map(|s| {
            (
                (s.person.as_str(), s.entitlement.as_str()),
                (None, Vec::new()),
            )
        })
        .collect();
    if !wanted.is_empty() {
        for i in grants_of(snap, list) {
            let g = &snap.org.grants[i];
            if let Some(slot) = wanted.get_mut(&(g.person.as_str(), g.entitlement.as_str())) {
                slot.0 = Some(slot.0.map_or(g.granted_at, |t: Time| t.min(g.granted_at)));
                slot.1.push(i);
            }
        }
    }
    list.iter()
        .map(|s| {
            wanted
                .get(&(s.person.as_str(), s.entitlement.as_str()))
                .map_or((None, Vec::new()), |(t, gs)| (*t, gs.clone()))
        })
        .unzip()
}

/// The grants (indices into `org.grants`) of the entitlements `list`
/// names: every grant when one is not in `snap`.
fn grants_of(snap: &Snapshot, list: &[Suggestion]) -> Vec<usize> {
    let ents: Option<FxHashSet<usize>> = list
        .iter()
        .map(|s| snap.entitlement_idx(&s.entitlement))
        .collect();
    let Some(ents) = ents else {
        return (0..snap.org.grants.len()).collect();
    };
    // Each entitlement's in order: a (person, entitlement)'s grants are
    // all of one entitlement.
    ents.into_iter()
        .flat_map(|e| snap.grants_of_entitlement[e].iter().copied())
        .collect()
}

/// Each suggestion's filter fields as indices into one list of distinct strings.
fn intern_fields(list: &[Suggestion]) -> (Vec<[u32; 4]>, Vec<String>) {
    let mut ids: FxHashMap<&str, u32> = FxHashMap::default();
    let mut strings: Vec<String> = Vec::new();
    let mut fields = Vec::with_capacity(list.len());
    for s in list {
        let mut f = [0u32; 4];
        let texts = [
            s.person.as_str(),
            s.entitlement.as_str(),
            s.area.as_str(),
            s.reason.as_str(),
        ];
        for (slot, text) in f.iter_mut().zip(texts) {
            *slot = *ids.entry(text).or_insert_with(|| {
                strings.push(text.to_string());
                (strings.len() - 1) as u32
            });
        }
        fields.push(f);
    }
    (fields, strings)
}

/// The teams `me` leads, only the topmost: a led team under another led
/// team shows as its child.
pub fn led_teams(snap: &Snapshot, me: &str) -> Vec<usize> {
    let leads: Vec<usize> = (0..snap.org.teams.len())
        .filter(|&i| snap.org.teams[i].lead.as_deref() == Some(me))
        .collect();
    leads
        .iter()
        .copied()
        .filter(|&t| !snap.team_ancestors(t).skip(1).any(|c| leads.contains(&c)))
        .collect()
}

/// Rotations whose rules grant something in scope, or whose team `me` leads.
fn rotations_in_view(data: &Data) -> Vec<usize> {
    let snap = &data.snap;
    let mut out: BTreeSet<usize> = BTreeSet::new();
    for rule in &snap.org.rules {
        if let Audience::Rotation(r) = &rule.audience
            && snap
                .area_idx(&rule.area)
                .is_some_and(|a| data.scope.contains(a))
            && let Some(ri) = snap.rotation_idx(r)
        {
            out.insert(ri);
        }
    }
    for (i, r) in snap.org.rotations.iter().enumerate() {
        if r.team
            .as_deref()
            .and_then(|t| snap.team(t))
            .is_some_and(|t| t.lead.as_deref() == Some(data.me.as_str()))
        {
            out.insert(i);
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Scope, suggestions};

    /// Read off every grant of the organization, one by one.
    fn by_every_grant(snap: &Snapshot, list: &[Suggestion]) -> Vec<(Option<Time>, Vec<usize>)> {
        list.iter()
            .map(|s| {
                let held: Vec<usize> = (0..snap.org.grants.len())
                    .filter(|&i| {
                        let g = &snap.org.grants[i];
                        g.person == s.person && g.entitlement == s.entitlement
                    })
                    .collect();
                let since = held.iter().map(|&i| snap.org.grants[i].granted_at).min();
                (since, held)
            })
            .collect()
    }

    #[test]
    fn what_each_suggestion_holds_is_read_off_its_entitlements_grants_alone() {
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let mut org = crate::r#gen::generate(300, 7, now);
        // Some of them held twice, the second grant the older.
        for k in (0..org.grants.len()).step_by(7) {
            let mut again = org.grants[k].clone();
            again.granted_at -= chrono::Duration::days(30);
            org.grants.push(again);
        }
        let snap = Snapshot::new(org);
        let mut list = suggestions(&snap, &Scope::everything(&snap), now);
        assert!(list.iter().any(|s| s.kind != Kind::Grant), "nothing held");
        let (since, held) = held_since(&snap, &list);
        assert!(held.iter().any(|h| h.len() > 1), "no one holds twice");
        let got: Vec<_> = since.into_iter().zip(held).collect();
        assert_eq!(got, by_every_grant(&snap, &list));
        // Grants of an entitlement the snapshot does not define (a preview
        // names what it showed): every grant looked at.
        let held = list.iter().position(|s| s.kind != Kind::Grant).unwrap();
        let gone = list[held].entitlement.clone();
        let mut org = snap.org.clone();
        org.entitlements.retain(|e| e.id != gone);
        let snap = Snapshot::new(org);
        let (since, held) = held_since(&snap, &list);
        let got: Vec<_> = since.into_iter().zip(held).collect();
        assert_eq!(got, by_every_grant(&snap, &list));
        list.retain(|s| s.entitlement == gone);
        assert!(
            by_every_grant(&snap, &list)
                .iter()
                .any(|(t, _)| t.is_some())
        );
    }
}
