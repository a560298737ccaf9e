//! Automatic rules: what steward carries out by itself, and what holds it
//! back. Pure: a snapshot, the decisions and `now` in, changes out.
//!
//! For each rule with `apply = "auto"` that counts now (its author has
//! authority over its area), the changes are exactly two kinds:
//!
//! - a **grant** of each entitlement it covers to each person who qualifies
//!   for it and holds no grant of that entitlement;
//! - a **revoke** of each grant whose basis is `rule:<that rule>`, of an
//!   entitlement it covers, once nothing justifies the grant any more (the
//!   person does not qualify for any counting rule that grants it).
//!
//! Nothing else: manual grants, grants based on other rules and reviews
//! stay suggestions. A change a person already decided (dismissed,
//! snoozed, accepted and not yet seen upstream) is theirs, not the rule's.
//!
//! Two guards hold changes back, by the area of the entitlement: an area
//! whose changes in one run exceed its `max_auto_changes` (its own, else its
//! nearest ancestor's, else [`DEFAULT_MAX_AUTO_CHANGES`]) gets none of them
//! unless released; and a change resting on a source whose last sync
//! failed or was held back waits (see [`Fact`]).

use super::authority::Authority;
use super::day;
use super::evaluate::{Audiences, grant_suggestion, why_rule_fails};
use super::gate::Ground;
use super::qualify::{Qualified, qualifies, qualifies_at, rule_counts, rule_covers};
use super::snapshot::Snapshot;
use crate::model::*;
use rustc_hash::{FxHashMap, FxHashSet};

/// One automatic change: what rule `rule` carries out, with its author's
/// consent and on the author's authority now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoChange {
    /// The suggestion the change carries out: a grant or a revoke, its
    /// `rule` the automatic rule.
    pub suggestion: Suggestion,
    pub rule: String,
    /// The rule's author: the decider of record.
    pub author: String,
    /// The author's authority over the rule's area now.
    pub ground: Ground,
}

impl AutoChange {
    /// `grant ana -> payments-db:read (rule pay-read)`.
    pub fn summary(&self) -> String {
        format!(
            "{} {} -> {} (rule {})",
            self.suggestion.kind.as_str(),
            self.suggestion.person,
            self.suggestion.entitlement,
            self.rule
        )
    }
}

/// A kind of fact a change rests on, as sources provide them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fact {
    People,
    Teams,
    Rotations,
    Trainings,
    Areas,
    Entitlements,
    Grants,
    Delegations,
    Rules,
}

impl Fact {
    pub const ALL: [Fact; 9] = [
        Fact::People,
        Fact::Teams,
        Fact::Rotations,
        Fact::Trainings,
        Fact::Areas,
        Fact::Entitlements,
        Fact::Grants,
        Fact::Delegations,
        Fact::Rules,
    ];

    /// The facts a change of `rule` rests on: who the people are and
    /// whether they left, the grants, the areas and delegations behind the
    /// author's authority, the rule itself; its team or rotation; and the
    /// trainings when it requires any.
    pub fn rested_on(rule: &Rule) -> Vec<Fact> {
        let mut facts = vec![
            Fact::People,
            Fact::Areas,
            Fact::Entitlements,
            Fact::Grants,
            Fact::Delegations,
            Fact::Rules,
        ];
        facts.push(match rule.audience {
            Audience::Team(_) => Fact::Teams,
            Audience::Rotation(_) => Fact::Rotations,
        });
        if !rule.trained.is_empty() {
            facts.push(Fact::Trainings);
        }
        facts
    }
}

/// A source whose data automatic changes must not rest on now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted {
    pub source: String,
    /// Why, in a few words: `last sync failed at ...: ...`.
    pub why: String,
    /// What it provides.
    pub facts: Vec<Fact>,
}

/// Why an area's automatic changes wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// More than `max` changes at once: all of them wait for a release.
    TooMany { max: i64, count: usize },
    /// They rest on sources whose data is not to be acted on now
    /// (`source: why`).
    Stale { sources: Vec<String> },
}

impl Hold {
    /// `too_many` / `stale`, as the cache keeps it.
    pub fn key(&self) -> &'static str {
        match self {
            Hold::TooMany { .. } => "too_many",
            Hold::Stale { .. } => "stale",
        }
    }

    /// The reason, in a sentence.
    pub fn describe(&self, area: &str) -> String {
        match self {
            Hold::TooMany { max, count } => format!(
                "{count} automatic changes in area {area} at once, more than its max_auto_changes of {max}: none applied (`steward reconcile --release {area}` applies them)"
            ),
            Hold::Stale { sources } => format!(
                "waiting: they rest on {} ({})",
                if sources.len() == 1 {
                    "a source that is not current"
                } else {
                    "sources that are not current"
                },
                sources.join("; ")
            ),
        }
    }
}

/// An area's changes held back in one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub area: String,
    pub hold: Hold,
    pub changes: Vec<AutoChange>,
}

/// What one run does: the changes to carry out, those held back, and every
/// change the rules imply now whatever holds it (to check a change recorded
/// earlier still stands).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub due: Vec<AutoChange>,
    pub held: Vec<Held>,
    /// (person, entitlement, kind, rule) of every automatic change the
    /// rules imply now.
    pub standing: FxHashSet<(String, String, Kind, String)>,
}

impl Plan {
    /// Does the change `s` (by `rule`) still follow from the rules now?
    pub fn stands(&self, s: &Suggestion, rule: &str) -> bool {
        self.standing.contains(&(
            s.person.clone(),
            s.entitlement.clone(),
            s.kind,
            rule.to_string(),
        ))
    }
}

/// An area's `max_auto_changes`: its own, else its nearest ancestor's,
/// else the default.
pub fn max_auto_changes(snap: &Snapshot, area: usize) -> i64 {
    snap.area_path(area)
        .into_iter()
        .find_map(|a| snap.org.areas[a].max_auto_changes)
        .unwrap_or(DEFAULT_MAX_AUTO_CHANGES)
}

/// Every automatic change the counting automatic rules imply at `now`,
/// before decisions and guards: grants first, then revokes, each sorted by
/// (area, person, entitlement, rule).
pub fn changes(snap: &Snapshot, now: Time) -> Vec<AutoChange> {
    let mut rules: Vec<(usize, Ground)> = snap
        .org
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.apply == ApplyMode::Auto)
        .filter_map(|(i, r)| {
            rule_counts(snap, r, now)
                .ok()
                .map(|a: Authority| (i, Ground::from(&a)))
        })
        .collect();
    rules.sort_by(|a, b| snap.org.rules[a.0].id.cmp(&snap.org.rules[b.0].id));
    let mut audiences = Audiences::default();
    let mut held: FxHashMap<usize, FxHashSet<&str>> = FxHashMap::default();
    let mut grants: FxHashMap<(usize, usize), AutoChange> = FxHashMap::default();
    let mut revokes: Vec<AutoChange> = Vec::new();
    let mut seen_revokes: FxHashSet<(&str, usize, usize)> = FxHashSet::default();
    for (r, ground) in &rules {
        let rule = &snap.org.rules[*r];
        let covered: Vec<usize> = rule
            .grant
            .iter()
            .filter_map(|g| snap.entitlement_idx(g))
            .filter(|&e| rule_covers(snap, rule, e))
            .collect();
        if covered.is_empty() {
            continue;
        }
        let change = |s: Suggestion| AutoChange {
            suggestion: s,
            rule: rule.id.clone(),
            author: rule.author.clone(),
            ground: ground.clone(),
        };
        let mut qualifying: Vec<(usize, Qualified)> = {
            let members = audiences.of(snap, rule, now);
            members
                .iter()
                .filter_map(|&p| {
                    qualifies_at(snap, rule, p, members, now)
                        .ok()
                        .map(|q| (p, q))
                })
                .collect()
        };
        qualifying.sort_unstable_by_key(|(p, _)| *p);
        for &e in &covered {
            let ent = &snap.org.entitlements[e];
            let holders = held.entry(e).or_insert_with(|| {
                snap.grants_of_entitlement(e)
                    .map(|g| g.person.as_str())
                    .collect()
            });
            for (p, q) in &qualifying {
                let person = &snap.org.people[*p].id;
                if holders.contains(person.as_str()) {
                    continue;
                }
                // Rules go by id: the first automatic rule that grants it.
                grants
                    .entry((*p, e))
                    .or_insert_with(|| change(grant_suggestion(rule, ent, person, q)));
            }
            for g in snap.grants_of_entitlement(e) {
                if g.basis.rule() != Some(rule.id.as_str())
                    || !seen_revokes.insert((g.person.as_str(), e, *r))
                    || justified(snap, e, &g.person, now, &mut audiences)
                {
                    continue;
                }
                revokes.push(change(revoke_suggestion(
                    snap,
                    rule,
                    ent,
                    &g.person,
                    now,
                    &mut audiences,
                )));
            }
        }
    }
    let key = |c: &AutoChange| {
        (
            c.suggestion.area.clone(),
            c.suggestion.person.clone(),
            c.suggestion.entitlement.clone(),
            c.rule.clone(),
        )
    };
    let mut out: Vec<AutoChange> = grants.into_values().collect();
    out.sort_by_cached_key(key);
    revokes.sort_by_cached_key(key);
    out.extend(revokes);
    out
}

/// Whether `person` qualifies now for any counting rule that grants
/// entitlement `e`, automatic or not.
fn justified<'s>(
    snap: &'s Snapshot,
    e: usize,
    person: &str,
    now: Time,
    audiences: &mut Audiences<'s>,
) -> bool {
    snap.rules_granting[e].iter().any(|&r| {
        let rule = &snap.org.rules[r];
        if !rule_covers(snap, rule, e) || rule_counts(snap, rule, now).is_err() {
            return false;
        }
        let members = audiences.of(snap, rule, now);
        qualifies(snap, rule, person, members, now).is_ok()
    })
}

/// The revoke suggestion for `person`'s grant of `ent` based on `rule`, as
/// the suggestions say it: the person left, or why the rule fails them.
fn revoke_suggestion<'s>(
    snap: &'s Snapshot,
    rule: &Rule,
    ent: &Entitlement,
    person: &str,
    now: Time,
    audiences: &mut Audiences<'s>,
) -> Suggestion {
    let left = snap
        .person(person)
        .is_some_and(|p| p.status == Status::Left);
    let (reason, evidence) = if left {
        let since = snap
            .entitlement_idx(&ent.id)
            .and_then(|e| {
                snap.grants_of_entitlement(e)
                    .filter(|g| g.person == person)
                    .map(|g| g.granted_at)
                    .min()
            })
            .map(day)
            .unwrap_or_default();
        (
            Reason::PersonLeft,
            format!(
                "{person} has left the organization; holds {} since {since}",
                ent.id
            ),
        )
    } else {
        why_rule_fails(snap, &rule.id, ent, person, now, audiences)
    };
    Suggestion {
        kind: Kind::Revoke,
        person: person.to_string(),
        entitlement: ent.id.clone(),
        area: ent.area.clone(),
        reason,
        evidence,
        rule: Some(rule.id.clone()),
    }
}

/// Whether a decision holds an automatic change back: a person's dismissal
/// or snooze, an accepted one not yet carried out or seen, or an automatic
/// change recorded and not yet carried out (a run that stopped midway). An
/// automatic change already carried out (or failed) holds nothing: the
/// rule acts again whenever the facts call for it.
fn holds_back(d: &Decision, s: &Suggestion, now: Time) -> bool {
    if matches!(d.origin, Origin::Rule(_)) && d.state != DecisionState::Planned {
        return false;
    }
    d.covers(s, now)
}

/// What one run at `now` carries out and what it holds back, given the
/// decisions recorded, the sources not to act on, and whether an area's
/// guard is released (`released(area index)`).
pub fn plan(
    snap: &Snapshot,
    now: Time,
    decisions: &[Decision],
    untrusted: &[Untrusted],
    released: &dyn Fn(usize) -> bool,
) -> Plan {
    let all = changes(snap, now);
    let standing = all
        .iter()
        .map(|c| {
            (
                c.suggestion.person.clone(),
                c.suggestion.entitlement.clone(),
                c.suggestion.kind,
                c.rule.clone(),
            )
        })
        .collect();
    let mut by_subject: FxHashMap<(&str, &str), Vec<&Decision>> = FxHashMap::default();
    for d in decisions {
        by_subject
            .entry((&d.suggestion.person, &d.suggestion.entitlement))
            .or_default()
            .push(d);
    }
    let open: Vec<AutoChange> = all
        .into_iter()
        .filter(|c| {
            let s = &c.suggestion;
            by_subject
                .get(&(s.person.as_str(), s.entitlement.as_str()))
                .is_none_or(|ds| !ds.iter().any(|d| holds_back(d, s, now)))
        })
        .collect();
    let (due, held) = guard(snap, open, untrusted, released);
    Plan {
        due,
        held,
        standing,
    }
}

/// Splits `open` into what is carried out and what waits, by area: changes
/// resting on an untrusted source wait; an area with more changes than its
/// `max_auto_changes` (and not released) gets none of the others.
fn guard(
    snap: &Snapshot,
    open: Vec<AutoChange>,
    untrusted: &[Untrusted],
    released: &dyn Fn(usize) -> bool,
) -> (Vec<AutoChange>, Vec<Held>) {
    let mut areas: Vec<String> = Vec::new();
    let mut per_area: FxHashMap<String, Vec<AutoChange>> = FxHashMap::default();
    for c in open {
        let list = per_area
            .entry(c.suggestion.area.clone())
            .or_insert_with(|| {
                areas.push(c.suggestion.area.clone());
                Vec::new()
            });
        list.push(c);
    }
    areas.sort();
    let mut due = Vec::new();
    let mut held = Vec::new();
    for area in areas {
        let list = per_area.remove(&area).unwrap_or_default();
        let count = list.len();
        let (stale, fresh): (Vec<AutoChange>, Vec<AutoChange>) = list
            .into_iter()
            .partition(|c| !stale_sources(snap, c, untrusted).is_empty());
        if !stale.is_empty() {
            let mut sources: Vec<String> = stale
                .iter()
                .flat_map(|c| stale_sources(snap, c, untrusted))
                .collect();
            sources.sort();
            sources.dedup();
            held.push(Held {
                area: area.clone(),
                hold: Hold::Stale { sources },
                changes: stale,
            });
        }
        if fresh.is_empty() {
            continue;
        }
        let idx = snap.area_idx(&area);
        let max = idx.map_or(DEFAULT_MAX_AUTO_CHANGES, |a| max_auto_changes(snap, a));
        if count as i64 > max && !idx.is_some_and(released) {
            held.push(Held {
                area,
                hold: Hold::TooMany { max, count },
                changes: fresh,
            });
        } else {
            due.extend(fresh);
        }
    }
    (due, held)
}

/// The untrusted sources (`name: why`) change `c` rests on.
fn stale_sources(snap: &Snapshot, c: &AutoChange, untrusted: &[Untrusted]) -> Vec<String> {
    if untrusted.is_empty() {
        return Vec::new();
    }
    let facts = snap
        .rule(&c.rule)
        .map(Fact::rested_on)
        .unwrap_or_else(|| Fact::ALL.to_vec());
    untrusted
        .iter()
        .filter(|u| u.facts.iter().any(|f| facts.contains(f)))
        .map(|u| format!("{}: {}", u.source, u.why))
        .collect()
}

/// The next moment after `now` at which what an automatic rule implies can
/// change by the clock alone: a shift starting (less the rule's lead) or
/// ending (plus its grace) in an automatic rule's rotation, a required
/// training completed or expiring, a delegation starting or ending. `None`
/// when there is no automatic rule or nothing ahead.
pub fn next_boundary(snap: &Snapshot, now: Time) -> Option<Time> {
    let autos: Vec<&Rule> = snap
        .org
        .rules
        .iter()
        .filter(|r| r.apply == ApplyMode::Auto)
        .collect();
    if autos.is_empty() {
        return None;
    }
    let mut next: Option<Time> = None;
    let mut consider = |t: Time| {
        if t > now && next.is_none_or(|n| t < n) {
            next = Some(t);
        }
    };
    let mut courses: FxHashSet<&str> = FxHashSet::default();
    for rule in &autos {
        courses.extend(rule.trained.iter().map(String::as_str));
        let Audience::Rotation(r) = &rule.audience else {
            continue;
        };
        let Some(rot) = snap.rotation(r) else {
            continue;
        };
        let lead = chrono::Duration::seconds(if rule.only_while_oncall {
            rule.lead_secs
        } else {
            0
        });
        let grace = chrono::Duration::seconds(rule.grace_secs);
        for s in &rot.shifts {
            consider(s.start - lead);
            consider(s.end + grace);
        }
    }
    for t in &snap.org.trainings {
        if courses.contains(t.course.as_str()) {
            consider(t.completed);
            if let Some(e) = t.expires {
                consider(e);
            }
        }
    }
    for d in &snap.org.delegations {
        consider(d.since);
        if let Some(u) = d.until {
            consider(u);
        }
    }
    next
}

#[cfg(test)]
mod tests;
