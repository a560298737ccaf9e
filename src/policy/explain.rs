//! Justification chains (`steward why`) and rule status (`steward rules`).

use super::authority::{Authority, authority};
use super::evaluate::suggestions;
use super::qualify::{qualifies, rule_counts, rule_covers, rule_members};
use super::snapshot::Snapshot;
use super::{Scope, day, minute};
use crate::model::*;

/// The chain from `area` up to the root, with owners: `a (owner x) <- b (owner y)`.
pub fn area_chain(snap: &Snapshot, area: usize) -> String {
    let path = snap.area_path(area);
    let parts: Vec<String> = path
        .iter()
        .map(|&a| {
            let node = &snap.org.areas[a];
            format!("{} (owner {})", node.id, node.owner)
        })
        .collect();
    let root = path.last().map(|&a| &snap.org.areas[a]);
    let mut text = parts.join(" <- ");
    if let Some(root) = root {
        text += &format!("; root owner {}", root.owner);
    }
    text
}

fn describe_authority(snap: &Snapshot, who: &str, area: usize, t: Time, at: &str) -> String {
    match authority(snap, who, area, t) {
        Some(Authority::Owner { area: owned }) => format!("{who} {at} owner of area {owned}"),
        Some(a @ Authority::Delegate(_)) => format!("{who} {at} {}", a.describe()),
        None => format!(
            "{who} {at} no authority over area {}",
            snap.org.areas[area].id
        ),
    }
}

/// What `why` cannot explain, because it is not in the organization.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unknown {
    #[error("unknown entitlement {0:?}")]
    Entitlement(String),
    #[error("unknown person {0:?}")]
    Person(String),
    #[error("entitlement {entitlement} belongs to unknown area {area:?}")]
    Area { entitlement: String, area: String },
}

/// Why `person` holds, or should or should not hold, `entitlement` at `now`.
pub fn why(snap: &Snapshot, person: &str, entitlement: &str, now: Time) -> Result<String, Unknown> {
    let e = snap
        .entitlement_idx(entitlement)
        .ok_or_else(|| Unknown::Entitlement(entitlement.to_string()))?;
    let p = snap.person(person);
    if p.is_none() && !snap.org.grants.iter().any(|g| g.person == person) {
        return Err(Unknown::Person(person.to_string()));
    }
    let ent = &snap.org.entitlements[e];
    let area = snap.entitlement_area(e).ok_or_else(|| Unknown::Area {
        entitlement: entitlement.to_string(),
        area: ent.area.clone(),
    })?;
    let mut out = heading(snap, p, person, e, area);
    let grants: Vec<&Grant> = snap
        .grants_of_entitlement(e)
        .filter(|g| g.person == person)
        .collect();
    out.extend(holdings(snap, &grants, area, now));
    let mut justified = false;
    let rules: Vec<&Rule> = snap.rules_granting(e).collect();
    if rules.is_empty() {
        out.push(format!("rules: none grants {}", ent.id));
    }
    for rule in rules {
        justified |= rule_lines(snap, rule, person, e, now, &mut out);
    }
    let scope = Scope::single(snap, area);
    let current = suggestions(snap, &scope, now)
        .into_iter()
        .find(|s| s.person == person && s.entitlement == ent.id);
    match current {
        Some(s) => out.push(format!(
            "suggestion: {} ({}): {}",
            s.kind.as_str(),
            s.reason.as_str(),
            s.evidence
        )),
        None if justified || grants.is_empty() => out.push("suggestion: none".to_string()),
        None => out.push("suggestion: none (a manual grant within its review interval, by someone with authority)".to_string()),
    }
    Ok(out.join("\n"))
}

/// Who, what, and the area it is in: tags, notes, the chain to the root.
fn heading(
    snap: &Snapshot,
    p: Option<&Person>,
    person: &str,
    e: usize,
    area: usize,
) -> Vec<String> {
    let ent = &snap.org.entitlements[e];
    let area_node = &snap.org.areas[area];
    let mut out = Vec::new();
    let who = match p {
        Some(p) => format!("{} ({}, {})", p.id, p.name, p.status.as_str()),
        None => format!("{person} (not on the roster)"),
    };
    out.push(format!(
        "{who} -> {} ({}) in area {} ({})",
        ent.id, ent.name, area_node.id, area_node.name
    ));
    if !area_node.tags.is_empty() {
        out.push(format!("  area tags: {}", area_node.tags.join(", ")));
    }
    if !area_node.notes.is_empty() {
        out.push(format!("  area notes: {}", area_node.notes));
    }
    out.push(format!("  area chain: {}", area_chain(snap, area)));
    out
}

/// The grants held, and for a manual one, its grantor's authority then.
fn holdings(snap: &Snapshot, grants: &[&Grant], area: usize, now: Time) -> Vec<String> {
    let mut out = Vec::new();
    if grants.is_empty() {
        out.push("holds: no grant".to_string());
    }
    for g in grants {
        let expiry = match g.expires {
            None => "no expiry".to_string(),
            Some(x) if x <= now => format!("expired {}", minute(x)),
            Some(x) => format!("expires {}", minute(x)),
        };
        let through = g
            .through
            .as_ref()
            .map(|t| format!(", through {t}"))
            .unwrap_or_default();
        out.push(format!(
            "holds: since {}, granted by {}, basis {}, {expiry}{through}",
            minute(g.granted_at),
            g.granted_by.as_deref().unwrap_or("(unknown)"),
            g.basis
        ));
        if let (Basis::Manual, Some(by)) = (&g.basis, &g.granted_by) {
            out.push(format!(
                "  {}",
                describe_authority(snap, by, area, g.granted_at, "had then:")
            ));
        }
    }
    out
}

/// What `rule` says about `person` and entitlement `e`, pushed to `out`;
/// whether it justifies the grant.
fn rule_lines(
    snap: &Snapshot,
    rule: &Rule,
    person: &str,
    e: usize,
    now: Time,
    out: &mut Vec<String>,
) -> bool {
    let ent = &snap.org.entitlements[e];
    let why_text = if rule.why.is_empty() {
        String::new()
    } else {
        format!(" (\"{}\")", rule.why)
    };
    if !rule_covers(snap, rule, e) {
        out.push(format!(
            "rule {}{why_text}: does not count for {}: rule area {} does not contain area {}",
            rule.id, ent.id, rule.area, ent.area
        ));
        return false;
    }
    let authority = match rule_counts(snap, rule, now) {
        Err(nc) => {
            out.push(format!(
                "rule {}{why_text}: does not count: {}",
                rule.id,
                nc.describe(rule)
            ));
            return false;
        }
        Ok(a) => a,
    };
    let members = rule_members(snap, rule, now);
    let q = match qualifies(snap, rule, person, &members, now) {
        Ok(q) => q,
        Err(f) => {
            out.push(format!(
                "rule {}{why_text}: does not justify it: {}",
                rule.id,
                f.describe(snap, rule, person, now)
            ));
            return false;
        }
    };
    out.push(format!("rule {}{why_text}: JUSTIFIES it", rule.id));
    let audience = match &rule.audience {
        Audience::Team(t) => format!("member of team {t} (or a sub-team)"),
        Audience::Rotation(r) => format!("member of rotation {r}"),
    };
    out.push(format!("  - {audience}"));
    for t in &q.trainings {
        let exp = t
            .expires
            .map(|x| format!(", expires {}", day(x)))
            .unwrap_or_default();
        out.push(format!(
            "  - trained {} (completed {}{exp})",
            t.course,
            day(t.completed)
        ));
    }
    if let Some(s) = q.shift {
        out.push(format!(
            "  - on call now: shift {} -> {}",
            minute(s.start),
            minute(s.end)
        ));
    }
    out.push(format!(
        "  - rule author {}: {}",
        rule.author,
        match &authority {
            Authority::Owner { area } => format!("owner of area {area}"),
            a => a.describe(),
        }
    ));
    if let Some(ra) = snap.area_idx(&rule.area) {
        out.push(format!("  - up to the root: {}", area_chain(snap, ra)));
    }
    true
}

/// One rule as `steward rules` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleStatus {
    pub id: String,
    pub area: String,
    pub author: String,
    pub counts: bool,
    /// Why the rule does not count, or what part of it does not.
    pub problems: Vec<String>,
    /// How many people qualify now.
    pub qualifying: usize,
    /// `suggest`, or `auto`: carried out by steward while it counts.
    pub apply: ApplyMode,
    /// Before a shift starts / after it ends, as `30m` (absent: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace: Option<String>,
}

pub fn rule_statuses(snap: &Snapshot, now: Time) -> Vec<RuleStatus> {
    snap.org
        .rules
        .iter()
        .map(|rule| {
            let mut problems = Vec::new();
            let counts = match rule_counts(snap, rule, now) {
                Ok(_) => true,
                Err(nc) => {
                    problems.push(nc.describe(rule));
                    false
                }
            };
            for g in &rule.grant {
                match snap.entitlement_idx(g) {
                    None => problems.push(format!("grants unknown entitlement {g}")),
                    Some(e) if !rule_covers(snap, rule, e) => problems.push(format!(
                        "grants {g}, which is outside its area {}; that part does not count",
                        rule.area
                    )),
                    Some(_) => {}
                }
            }
            if rule.only_while_oncall && matches!(rule.audience, Audience::Team(_)) {
                problems
                    .push("only_while_oncall with a team: nobody is ever on call for it".into());
            }
            let qualifying = if counts {
                let members = rule_members(snap, rule, now);
                members
                    .iter()
                    .filter(|&&p| {
                        qualifies(snap, rule, &snap.org.people[p].id, &members, now).is_ok()
                    })
                    .count()
            } else {
                0
            };
            RuleStatus {
                id: rule.id.clone(),
                area: rule.area.clone(),
                author: rule.author.clone(),
                counts,
                problems,
                qualifying,
                apply: rule.apply,
                lead: (rule.lead_secs > 0).then(|| super::span(rule.lead_secs)),
                grace: (rule.grace_secs > 0).then(|| super::span(rule.grace_secs)),
            }
        })
        .collect()
}
