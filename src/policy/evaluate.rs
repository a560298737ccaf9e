//! Suggestions: the difference between what counting rules justify and the
//! grants that exist, exactly as DESIGN.md defines it.

use super::authority::{Scope, authority};
use super::qualify::{Qualified, audience_members, qualifies, rule_counts, rule_covers};
use super::snapshot::Snapshot;
use super::{day, minute};
use crate::model::*;
use rustc_hash::{FxHashMap, FxHashSet};

/// Below this many entitlements (or rules) in scope, one thread: spawning
/// costs more than it saves on an owner's own subtree.
const PARALLEL_FROM: usize = 4096;

/// Every suggestion within `scope` at `now`, sorted by (area, person, entitlement).
/// On a large scope the work is split across the machine's cores (rules, then
/// entitlements, in contiguous chunks); the result is the same either way.
pub fn suggestions(snap: &Snapshot, scope: &Scope, now: Time) -> Vec<Suggestion> {
    evaluate(snap, scope, now, PARALLEL_FROM)
}

fn evaluate(snap: &Snapshot, scope: &Scope, now: Time, parallel_from: usize) -> Vec<Suggestion> {
    let ents: Vec<usize> = scope
        .areas()
        .flat_map(|a| snap.entitlements_of_area[a].iter().copied())
        .collect();

    // The counting rules that grant something in scope, each evaluated once:
    // who qualifies, and for which of its entitlements.
    let mut rules: Vec<usize> = ents
        .iter()
        .flat_map(|&e| snap.rules_granting[e].iter().copied())
        .collect();
    rules.sort_unstable();
    rules.dedup();
    // entitlement -> (person, rule) pairs that rules justify.
    let mut justified: FxHashMap<usize, Vec<(usize, usize)>> = FxHashMap::default();
    for part in in_parallel(&rules, parallel_from, |chunk| {
        justify(snap, scope, chunk, now)
    }) {
        for (e, pairs) in part {
            justified.entry(e).or_default().extend(pairs);
        }
    }
    // Who is justified, by the rule with the smallest id.
    for just in justified.values_mut() {
        just.sort_unstable_by(|a, b| {
            (a.0, &snap.org.rules[a.1].id).cmp(&(b.0, &snap.org.rules[b.1].id))
        });
        just.dedup_by_key(|x| x.0);
    }

    let mut out: Vec<Suggestion> = in_parallel(&ents, parallel_from, |chunk| {
        held_and_missing(snap, chunk, &justified, now)
    })
    .into_iter()
    .flatten()
    .collect();
    out.sort_by(|a, b| {
        (&a.area, &a.person, &a.entitlement).cmp(&(&b.area, &b.person, &b.entitlement))
    });
    out
}

/// `work` over `items` in small contiguous chunks that each core takes in
/// turn (a few entitlements hold most grants, so equal halves would not be
/// equal work); the results in the items' order.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    from: usize,
    work: impl Fn(&[T]) -> R + Sync,
) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    if items.len() < from {
        return vec![work(items)];
    }
    // At least two workers, so the split itself is tested on any machine.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let chunks: Vec<&[T]> = items.chunks(items.len().div_ceil(cores * 16)).collect();
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cores)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chunk) = chunks.get(k) else {
                            break mine;
                        };
                        mine.push((k, work(chunk)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            // A panic in a chunk is a bug in the engine: raise it here.
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_unstable_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, r)| r).collect()
}

/// For each of `rules` that counts: who qualifies, per entitlement in scope
/// it covers.
fn justify(
    snap: &Snapshot,
    scope: &Scope,
    rules: &[usize],
    now: Time,
) -> Vec<(usize, Vec<(usize, usize)>)> {
    let mut audiences: Audiences = FxHashMap::default();
    let mut out = Vec::new();
    for &r in rules {
        let rule = &snap.org.rules[r];
        if rule_counts(snap, rule, now).is_err() {
            continue;
        }
        let covered: Vec<usize> = rule
            .grant
            .iter()
            .filter_map(|g| snap.entitlement_idx(g))
            .filter(|&e| {
                snap.entitlement_area(e).is_some_and(|a| scope.contains(a))
                    && rule_covers(snap, rule, e)
            })
            .collect();
        if covered.is_empty() {
            continue;
        }
        let members = audiences
            .entry(&rule.audience)
            .or_insert_with(|| audience_members(snap, &rule.audience, now));
        let qualifying: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&p| qualifies(snap, rule, &snap.org.people[p].id, members, now).is_ok())
            .collect();
        for e in covered {
            out.push((e, qualifying.iter().map(|&p| (p, r)).collect()));
        }
    }
    out
}

/// For each of `ents`: the held grants that should go or be reviewed, and
/// the justified grants that are missing.
fn held_and_missing(
    snap: &Snapshot,
    ents: &[usize],
    justified: &FxHashMap<usize, Vec<(usize, usize)>>,
    now: Time,
) -> Vec<Suggestion> {
    let mut audiences: Audiences = FxHashMap::default();
    let mut out = Vec::new();
    for &e in ents {
        let ent = &snap.org.entitlements[e];
        // Who is justified (sorted by person, one rule each).
        let just: &[(usize, usize)] = justified.get(&e).map_or(&[], |v| v.as_slice());
        // Grants of this entitlement, grouped by person in file order.
        let mut held: Vec<(&str, Vec<&Grant>)> = Vec::new();
        let mut slot: FxHashMap<&str, usize> = FxHashMap::default();
        for g in snap.grants_of_entitlement(e) {
            match slot.get(g.person.as_str()) {
                Some(&i) => held[i].1.push(g),
                None => {
                    slot.insert(&g.person, held.len());
                    held.push((&g.person, vec![g]));
                }
            }
        }
        for (person, grants) in &held {
            let is_justified = snap
                .person_idx(person)
                .is_some_and(|p| just.binary_search_by_key(&p, |x| x.0).is_ok());
            if let Some(s) =
                held_suggestion(snap, ent, person, grants, is_justified, now, &mut audiences)
            {
                out.push(s);
            }
        }
        for &(p, r) in just {
            let person = &snap.org.people[p].id;
            if slot.contains_key(person.as_str()) {
                continue;
            }
            let rule = &snap.org.rules[r];
            let members = audiences
                .entry(&rule.audience)
                .or_insert_with(|| audience_members(snap, &rule.audience, now));
            if let Ok(q) = qualifies(snap, rule, person, members, now) {
                out.push(grant_suggestion(rule, ent, person, &q));
            }
        }
    }
    out
}

fn grant_suggestion(rule: &Rule, ent: &Entitlement, person: &str, q: &Qualified) -> Suggestion {
    let trained = if q.trainings.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = q
            .trainings
            .iter()
            .map(|t| format!("{} ({})", t.course, day(t.completed)))
            .collect();
        format!(", trained {}", list.join(", "))
    };
    let (reason, evidence) = match q.shift {
        Some(s) => (
            Reason::OnCall,
            format!(
                "on call in {} until {}{}; rule {} grants {} only while on call",
                rotation_of(rule),
                minute(s.end),
                trained,
                rule.id,
                ent.id
            ),
        ),
        None => {
            let what = match &rule.audience {
                Audience::Team(t) => format!("member of team {t}"),
                Audience::Rotation(r) => format!("member of rotation {r}"),
            };
            (
                Reason::Qualifies,
                format!("{what}{trained}; rule {} grants {}", rule.id, ent.id),
            )
        }
    };
    Suggestion {
        kind: Kind::Grant,
        person: person.to_string(),
        entitlement: ent.id.clone(),
        area: ent.area.clone(),
        reason,
        evidence,
        rule: Some(rule.id.clone()),
    }
}

fn rotation_of(rule: &Rule) -> &str {
    match &rule.audience {
        Audience::Rotation(r) => r,
        Audience::Team(t) => t,
    }
}

/// The revoke or review suggestion for a held (person, entitlement), if any.
/// Audience members, computed once per audience and evaluation.
type Audiences<'s> = FxHashMap<&'s Audience, FxHashSet<usize>>;

fn held_suggestion<'s>(
    snap: &'s Snapshot,
    ent: &Entitlement,
    person: &str,
    grants: &[&Grant],
    justified: bool,
    now: Time,
    audiences: &mut Audiences<'s>,
) -> Option<Suggestion> {
    let make = |kind, reason, evidence: String, rule: Option<&str>| Suggestion {
        kind,
        person: person.to_string(),
        entitlement: ent.id.clone(),
        area: ent.area.clone(),
        reason,
        evidence,
        rule: rule.map(str::to_string),
    };
    let left = snap
        .person(person)
        .is_some_and(|p| p.status == Status::Left);
    if left {
        let since = grants
            .iter()
            .map(|g| g.granted_at)
            .min()
            .map(day)
            .unwrap_or_default();
        return Some(make(
            Kind::Revoke,
            Reason::PersonLeft,
            format!(
                "{person} has left the organization; holds {} since {since}",
                ent.id
            ),
            grants.iter().find_map(|g| g.basis.rule()),
        ));
    }
    if justified {
        return None;
    }
    // Revocations first: any rule-based grant, or an expired manual one.
    for g in grants {
        match &g.basis {
            Basis::Rule(id) => {
                let (reason, evidence) = why_rule_fails(snap, id, ent, person, now, audiences);
                return Some(make(Kind::Revoke, reason, evidence, Some(id)));
            }
            Basis::Manual => {
                if let Some(exp) = g.expires.filter(|&x| x <= now) {
                    return Some(make(
                        Kind::Revoke,
                        Reason::GrantExpired,
                        format!(
                            "manual grant expired on {}; no rule justifies it",
                            minute(exp)
                        ),
                        None,
                    ));
                }
            }
        }
    }
    let area = snap.area_idx(&ent.area)?;
    let review_days = snap.org.areas[area].review_days;
    for g in grants {
        if g.granted_by.is_none() {
            // Seen upstream (or written) with nobody named as its grantor.
            return Some(make(
                Kind::Review,
                Reason::ExistingMembership,
                format!(
                    "existing membership, first seen {}, grantor unknown",
                    day(g.granted_at)
                ),
                None,
            ));
        }
        let unauthorized = match &g.granted_by {
            None => None,
            Some(by) if authority(snap, by, area, g.granted_at).is_none() => Some(format!(
                "granted manually by {by} on {}, who had no authority over area {} then",
                day(g.granted_at),
                ent.area
            )),
            Some(_) => None,
        };
        if let Some(evidence) = unauthorized {
            return Some(make(
                Kind::Review,
                Reason::GrantorNoAuthority,
                evidence,
                None,
            ));
        }
        if g.granted_at < now - chrono::Duration::days(review_days) {
            return Some(make(
                Kind::Review,
                Reason::ReviewDue,
                format!(
                    "manual grant by {} from {}, older than area {}'s review interval of {review_days} days",
                    g.granted_by.as_deref().unwrap_or("?"),
                    day(g.granted_at),
                    ent.area
                ),
                None,
            ));
        }
    }
    None
}

/// Why the rule a grant was based on no longer justifies it.
fn why_rule_fails<'s>(
    snap: &'s Snapshot,
    rule_id: &str,
    ent: &Entitlement,
    person: &str,
    now: Time,
    audiences: &mut Audiences<'s>,
) -> (Reason, String) {
    let Some(rule) = snap.rule(rule_id) else {
        return (Reason::RuleGone, format!("rule {rule_id} no longer exists"));
    };
    let covers = snap
        .entitlement_idx(&ent.id)
        .is_some_and(|e| rule_covers(snap, rule, e));
    if !covers {
        return (
            Reason::RuleGone,
            if rule.grant.contains(&ent.id) {
                format!(
                    "rule {rule_id} of area {} cannot grant {} outside its area",
                    rule.area, ent.id
                )
            } else {
                format!("rule {rule_id} no longer grants {}", ent.id)
            },
        );
    }
    if let Err(nc) = rule_counts(snap, rule, now) {
        return (
            Reason::RuleNotCounting,
            format!("rule {rule_id} no longer counts: {}", nc.describe(rule)),
        );
    }
    let members = audiences
        .entry(&rule.audience)
        .or_insert_with(|| audience_members(snap, &rule.audience, now));
    match qualifies(snap, rule, person, members, now) {
        Err(f) => (f.reason(), f.describe(snap, rule, person, now)),
        // Qualifies but not justified cannot happen; say what we know.
        Ok(_) => (
            Reason::RuleGone,
            format!("rule {rule_id} does not justify this grant"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Split across threads in many chunks, the suggestions are exactly
    /// those of one thread, in the same order.
    #[test]
    fn the_parallel_evaluation_equals_the_sequential_one() {
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let snap = Snapshot::new(crate::r#gen::generate(2000, 11, now));
        let root = snap
            .org
            .areas
            .iter()
            .find(|a| a.parent.is_none())
            .map(|a| a.owner.clone())
            .unwrap();
        let scope = Scope::of(&snap, &root, now);
        let one = evaluate(&snap, &scope, now, usize::MAX);
        let split = evaluate(&snap, &scope, now, 1);
        assert!(one.len() > 100, "{} suggestions", one.len());
        assert_eq!(split, one);
    }
}
