//! Suggestions for a few (entitlement, person) pairs, exactly as the whole
//! evaluation gives them, at a cost that grows with the pairs and the rules
//! granting their entitlements rather than with audiences or holders: for
//! the resident evaluation after a change to a few grant rows.
//!
//! A pair's suggestion follows from that person's own grants of the
//! entitlement and from whether a counting rule justifies them holding it
//! ([`Evaluation::entitlement`](super::Evaluation::entitlement) gives each
//! person's from those alone): who a rule justifies does not depend on
//! grants, and no suggestion reads another person's grants or another
//! entitlement's. So each pair is worked out by asking about that one
//! person: their membership of each rule's audience, their qualification.

use super::evaluate::{Audiences, Held, held_suggestion, missing};
use super::qualify::{qualifies_at, rule_counts, rule_covers};
use super::snapshot::Snapshot;
use crate::model::*;
use rustc_hash::{FxHashMap, FxHashSet};

/// The suggestions of `pairs` (an entitlement by its index in `snap`, a
/// person by id, on the roster or not) at `now`, each with its
/// entitlement's index: exactly those the whole evaluation of the
/// entitlement's area gives for that person
/// (`Evaluation::new(snap, &Scope::single(snap, area), now).entitlement(e,
/// snap.grants_of_entitlement(e), ..)` filtered to them). At most one per
/// pair; a pair named twice counts once; in no particular order.
pub fn suggestions_for(
    snap: &Snapshot,
    pairs: &[(usize, &str)],
    now: Time,
) -> Vec<(usize, Suggestion)> {
    let mut pairs = pairs.to_vec();
    pairs.sort_unstable();
    pairs.dedup();
    let held = held_grants(snap, &pairs);
    let mut out = Vec::new();
    for (&(e, person), grants) in pairs.iter().zip(&held) {
        // Someone off the roster is in no rule's audience: no teams asked.
        let listing = snap
            .person_idx(person)
            .map_or(&[][..], |p| snap.teams_of_person[p].as_slice());
        if let Some(s) = pair(snap, e, person, grants, listing, now) {
            out.push((e, s));
        }
    }
    out
}

/// Each pair's grants (pairs sorted by entitlement, each once), in the
/// order written: for someone on the roster, of their own grants; for
/// someone off it, of one pass over the entitlement's.
fn held_grants<'s>(snap: &'s Snapshot, pairs: &[(usize, &str)]) -> Vec<Vec<&'s Grant>> {
    let mut out = vec![Vec::new(); pairs.len()];
    let mut start = 0;
    for group in pairs.chunk_by(|a, b| a.0 == b.0) {
        let e = group[0].0;
        let mut off_roster: FxHashMap<&str, usize> = FxHashMap::default();
        for (k, &(_, person)) in group.iter().enumerate() {
            match snap.person_idx(person) {
                Some(p) => {
                    let of_e = snap
                        .grants_of_person(p)
                        .filter(|g| snap.entitlement_idx(&g.entitlement) == Some(e));
                    out[start + k].extend(of_e);
                }
                None => {
                    off_roster.insert(person, start + k);
                }
            }
        }
        if !off_roster.is_empty() {
            for g in snap.grants_of_entitlement(e) {
                if let Some(&k) = off_roster.get(g.person.as_str()) {
                    out[k].push(g);
                }
            }
        }
        start += group.len();
    }
    out
}

/// Whether someone whose own teams are `listing` is in team `t` or a team
/// below it, as [`rule_members`](super::qualify::rule_members) counts them:
/// `t` is one of their teams or above one (a team's subtree is exactly the
/// teams whose chain of parents reaches it).
fn in_team(snap: &Snapshot, t: &str, listing: &[usize]) -> bool {
    let Some(t) = snap.team_idx(t) else {
        return false;
    };
    listing
        .iter()
        .any(|&team| snap.team_ancestors(team).any(|a| a == t))
}

/// The suggestion for `person` and entitlement `e`, whose grants of it are
/// `grants` (in the order written) and whose own teams are `listing`.
fn pair<'s>(
    snap: &'s Snapshot,
    e: usize,
    person: &str,
    grants: &[&'s Grant],
    listing: &[usize],
    now: Time,
) -> Option<Suggestion> {
    let p = snap.person_idx(person);
    let mut audiences = person_audiences(snap, e, p, grants, listing);
    let ent = &snap.org.entitlements[e];
    let Some(first) = grants.first() else {
        let p = p?;
        let r = justifying(snap, e, p, &mut audiences, now)?;
        let mut out = Vec::new();
        missing(snap, ent, p, r, now, &mut audiences, &mut out);
        return out.pop();
    };
    // Keyed as the whole evaluation keys grants: by index on the roster,
    // after it for someone not on it.
    let key = p.unwrap_or(snap.org.people.len());
    let keyed: Vec<(usize, &Grant)> = grants.iter().map(|&g| (key, g)).collect();
    let held = Held {
        person: &first.person,
        grants: &keyed,
        left: p.is_some_and(|p| snap.org.people[p].status == Status::Left),
        justified: p.is_some_and(|p| justifying(snap, e, p, &mut audiences, now).is_some()),
    };
    held_suggestion(snap, ent, &held, now, &mut audiences)
}

/// Audiences for questions about the one person at `p` (if on the roster)
/// and entitlement `e`: each team audience of a rule granting `e`, or of a
/// rule one of their `grants` is based on, holds that person alone if they
/// are in it, else nobody (nobody else is asked about, so the team is never
/// gathered whole). Rotations, small, are gathered as the engine does.
fn person_audiences<'s>(
    snap: &'s Snapshot,
    e: usize,
    p: Option<usize>,
    grants: &[&Grant],
    listing: &[usize],
) -> Audiences<'s> {
    let mut audiences = Audiences::default();
    let granting = snap.rules_granting[e].iter().map(|&r| &snap.org.rules[r]);
    let based_on = grants
        .iter()
        .filter_map(|g| g.basis.rule())
        .filter_map(|id| snap.rule(id));
    for rule in granting.chain(based_on) {
        if let Audience::Team(t) = &rule.audience {
            let set: FxHashSet<usize> = p
                .filter(|_| in_team(snap, t, listing))
                .into_iter()
                .collect();
            audiences
                .sets
                .insert((&rule.audience, rule.grace_secs), set);
        }
    }
    audiences
}

/// The counting rule that justifies the person at `p` holding `e`, as the
/// whole evaluation names it: of those granting `e` within their area and
/// for whom `p` qualifies at `now`, the smallest id (the first written, if
/// two share it).
fn justifying<'s>(
    snap: &'s Snapshot,
    e: usize,
    p: usize,
    audiences: &mut Audiences<'s>,
    now: Time,
) -> Option<usize> {
    snap.rules_granting[e]
        .iter()
        .copied()
        .filter(|&r| {
            let rule = &snap.org.rules[r];
            rule_counts(snap, rule, now).is_ok()
                && rule_covers(snap, rule, e)
                && qualifies_at(snap, rule, p, audiences.of(snap, rule, now), now).is_ok()
        })
        .min_by(|&a, &b| (&snap.org.rules[a].id, a).cmp(&(&snap.org.rules[b].id, b)))
}

#[cfg(test)]
mod tests;
