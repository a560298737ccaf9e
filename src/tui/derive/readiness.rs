//! Readiness: people whose shift starts soon without an entitlement a rule
//! will give them then, and where each such gap stands.

use super::super::data::Data;
use super::standing::Standing;
use crate::model::*;
use crate::policy::qualify::{audience_members, qualifies, rule_counts};
use chrono::Duration;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::HashMap;

/// How far ahead "a shift starting soon", readiness and the rotations
/// timeline look (further for a gap whose grant is suggested already).
pub const HORIZON_DAYS: i64 = 14;

/// A training completed this many days ago or less is "newly trained".
pub const NEWLY_TRAINED_DAYS: i64 = 30;

/// One readiness gap: someone whose shift starts without an entitlement a
/// rule will give them then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub rotation: String,
    pub person: String,
    pub entitlement: String,
    pub shift_start: Time,
    pub rule: String,
    /// Its grant suggestion now (index into the suggestions), if any.
    pub suggestion: Option<usize>,
    /// The person's first shift in this rotation (none started before).
    pub first_shift: bool,
    /// A training the rule asks for, completed in the last
    /// [`NEWLY_TRAINED_DAYS`]: the course and when (the latest such).
    pub newly_trained: Option<(String, Time)>,
}

/// Where a readiness gap stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    /// Its grant is suggested and undecided (index into the suggestions):
    /// `a` accepts it from the rotations view.
    Pending(usize),
    /// Its grant suggestion was decided (accepted: in the plan until applied).
    Decided(Verdict),
    /// Not suggested now (the rule gives it only from the shift on, as one
    /// granted only while on call): suggested when the shift starts.
    NotYet,
}

/// People whose next shift starts within the horizon (and not yet on
/// call) without an entitlement a counting rule in scope will give them
/// then, each with its grant suggestion, if any; a next shift beyond the
/// horizon too when its grant is suggested already (a newly trained
/// person's first shift must not hide behind the horizon).
pub fn gaps(data: &Data, now: Time) -> Vec<Readiness> {
    let snap = &data.snap;
    let mut out = Vec::new();
    // Who holds each entitlement, gathered once per entitlement asked about.
    let mut holders: FxHashMap<usize, FxHashSet<&str>> = FxHashMap::default();
    for rule in &snap.org.rules {
        let Audience::Rotation(rid) = &rule.audience else {
            continue;
        };
        if !snap
            .area_idx(&rule.area)
            .is_some_and(|a| data.scope.contains(a))
        {
            continue;
        }
        let Some(rot) = snap.rotation(rid) else {
            continue;
        };
        for (person, start) in next_starts(rot, now) {
            if rule_counts(snap, rule, start).is_err() {
                continue;
            }
            let members = audience_members(snap, &rule.audience, start);
            if qualifies(snap, rule, person, &members, start).is_err() {
                continue;
            }
            for ent in &rule.grant {
                let holds = snap.entitlement_idx(ent).is_some_and(|e| {
                    holders
                        .entry(e)
                        .or_insert_with(|| {
                            snap.grants_of_entitlement(e)
                                .map(|g| g.person.as_str())
                                .collect()
                        })
                        .contains(person)
                });
                if !holds {
                    out.push(Readiness {
                        rotation: rot.id.clone(),
                        person: person.to_string(),
                        entitlement: ent.clone(),
                        shift_start: start,
                        rule: rule.id.clone(),
                        suggestion: None,
                        first_shift: !rot
                            .shifts
                            .iter()
                            .any(|sh| sh.person == person && sh.start <= now),
                        newly_trained: newly_trained(snap, rule, person, now),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        a.shift_start
            .cmp(&b.shift_start)
            .then_with(|| a.person.cmp(&b.person))
            .then_with(|| a.entitlement.cmp(&b.entitlement))
    });
    out.dedup();
    link(data, &mut out);
    out.retain(|r| r.shift_start - now <= Duration::days(HORIZON_DAYS) || r.suggestion.is_some());
    out
}

/// The latest training `rule` asks for that `person` completed within
/// [`NEWLY_TRAINED_DAYS`] before `now`, if any.
fn newly_trained(
    snap: &crate::policy::Snapshot,
    rule: &Rule,
    person: &str,
    now: Time,
) -> Option<(String, Time)> {
    let p = snap.person_idx(person)?;
    snap.trainings_of(p)
        .filter(|t| rule.trained.contains(&t.course))
        .filter(|t| t.completed <= now && now - t.completed <= Duration::days(NEWLY_TRAINED_DAYS))
        .max_by_key(|t| t.completed)
        .map(|t| (t.course.clone(), t.completed))
}

/// Each member's next shift starting after `now`.
fn next_starts(rot: &Rotation, now: Time) -> HashMap<&str, Time> {
    let mut next: HashMap<&str, Time> = HashMap::new();
    for sh in &rot.shifts {
        if sh.start > now {
            let e = next.entry(sh.person.as_str()).or_insert(sh.start);
            if sh.start < *e {
                *e = sh.start;
            }
        }
    }
    next
}

/// Each gap's grant suggestion, looked up in a map built once (thousands
/// of gaps against tens of thousands of suggestions).
fn link(data: &Data, gaps: &mut [Readiness]) {
    if gaps.is_empty() {
        return;
    }
    let mut grant: FxHashMap<(&str, &str), usize> = FxHashMap::default();
    for (i, x) in data.suggestions.iter().enumerate() {
        if x.kind == Kind::Grant {
            grant.entry((&x.person, &x.entitlement)).or_insert(i);
        }
    }
    for r in gaps.iter_mut() {
        r.suggestion = grant
            .get(&(r.person.as_str(), r.entitlement.as_str()))
            .copied();
    }
}

/// Where each gap stands, by its suggestion's standing.
pub fn ready(gaps: &[Readiness], standing: &[Standing]) -> Vec<Ready> {
    gaps.iter()
        .map(|r| match r.suggestion.map(|i| (i, standing[i])) {
            Some((i, Standing::Pending)) => Ready::Pending(i),
            Some((_, Standing::Decided(v))) => Ready::Decided(v),
            None => Ready::NotYet,
        })
        .collect()
}
