//! Suggestions: the difference between what counting rules justify and the
//! grants that exist, exactly as DESIGN.md defines it.

use super::authority::{Scope, authority};
use super::qualify::{Qualified, audience_members, qualifies, rule_counts, rule_covers};
use super::snapshot::Snapshot;
use super::{day, minute};
use crate::model::*;
use std::collections::{HashMap, HashSet};

/// Every suggestion within `scope` at `now`, sorted by (area, person, entitlement).
pub fn suggestions(snap: &Snapshot, scope: &Scope, now: Time) -> Vec<Suggestion> {
    let ents: Vec<usize> = scope
        .areas()
        .flat_map(|a| snap.entitlements_of_area[a].iter().copied())
        .collect();

    // Which counting rules justify which (person, entitlement), smallest rule id first.
    let mut audiences: HashMap<&Audience, HashSet<usize>> = HashMap::new();
    let mut counting: HashMap<usize, bool> = HashMap::new();
    let mut justified: HashMap<(usize, usize), &Rule> = HashMap::new();
    let mut qualified_cache: HashMap<(usize, usize), bool> = HashMap::new();
    for &e in &ents {
        for &r in &snap.rules_granting[e] {
            let rule = &snap.org.rules[r];
            let counts = *counting
                .entry(r)
                .or_insert_with(|| rule_counts(snap, rule, now).is_ok());
            if !counts || !rule_covers(snap, rule, e) {
                continue;
            }
            let members = audiences
                .entry(&rule.audience)
                .or_insert_with(|| audience_members(snap, &rule.audience, now));
            for &p in members.iter() {
                let ok = *qualified_cache.entry((r, p)).or_insert_with(|| {
                    qualifies(snap, rule, &snap.org.people[p].id, members, now).is_ok()
                });
                if ok {
                    let slot = justified.entry((p, e)).or_insert(rule);
                    if rule.id < slot.id {
                        *slot = rule;
                    }
                }
            }
        }
    }

    let mut out = Vec::new();
    let mut held_pairs: HashSet<(usize, &str)> = HashSet::new();
    for &e in &ents {
        let ent = &snap.org.entitlements[e];
        // Grants of this entitlement, grouped by person in file order.
        let mut held: Vec<(&str, Vec<&Grant>)> = Vec::new();
        let mut slot: HashMap<&str, usize> = HashMap::new();
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
            held_pairs.insert((e, person));
            let p = snap.person_idx(person);
            let is_justified = p.is_some_and(|p| justified.contains_key(&(p, e)));
            if let Some(s) = held_suggestion(snap, ent, person, grants, is_justified, now) {
                out.push(s);
            }
        }
    }
    for (&(p, e), rule) in &justified {
        let person = &snap.org.people[p].id;
        if held_pairs.contains(&(e, person.as_str())) {
            continue;
        }
        let ent = &snap.org.entitlements[e];
        let members = &audiences[&rule.audience];
        if let Ok(q) = qualifies(snap, rule, person, members, now) {
            out.push(grant_suggestion(rule, ent, person, &q));
        }
    }
    out.sort_by(|a, b| {
        (&a.area, &a.person, &a.entitlement).cmp(&(&b.area, &b.person, &b.entitlement))
    });
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
fn held_suggestion(
    snap: &Snapshot,
    ent: &Entitlement,
    person: &str,
    grants: &[&Grant],
    justified: bool,
    now: Time,
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
                let (reason, evidence) = why_rule_fails(snap, id, ent, person, now);
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
        let unauthorized = match &g.granted_by {
            None => Some(format!(
                "manual grant from {} has no known grantor",
                day(g.granted_at)
            )),
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
fn why_rule_fails(
    snap: &Snapshot,
    rule_id: &str,
    ent: &Entitlement,
    person: &str,
    now: Time,
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
    let members = audience_members(snap, &rule.audience, now);
    match qualifies(snap, rule, person, &members, now) {
        Err(f) => (f.reason(), f.describe(snap, rule, person, now)),
        // Qualifies but not justified cannot happen; say what we know.
        Ok(_) => (
            Reason::RuleGone,
            format!("rule {rule_id} does not justify this grant"),
        ),
    }
}
