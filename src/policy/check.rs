//! References that point nowhere, and other shapes the engine tolerates but
//! an owner should fix. One line each, naming the file the data came from.

use super::snapshot::Snapshot;
use crate::model::*;

pub fn problems(snap: &Snapshot) -> Vec<String> {
    let mut out = unknown_people(snap);
    out.extend(bad_parents(snap));
    out.extend(unknown_references(snap));
    out.extend(rule_problems(snap));
    out
}

/// Every place that names a person who is not on the roster.
fn unknown_people(snap: &Snapshot) -> Vec<String> {
    let org = &snap.org;
    let mut out = Vec::new();
    let mut person = |file: &str, what: String, id: &str| {
        if snap.person_idx(id).is_none() {
            out.push(format!("{file}: {what}: unknown person {id:?}"));
        }
    };
    for p in &org.people {
        if let Some(m) = &p.manager {
            person("people.csv", format!("person {} manager", p.id), m);
        }
    }
    for t in &org.teams {
        if let Some(l) = &t.lead {
            person("teams.toml", format!("team {} lead", t.id), l);
        }
        for m in &t.members {
            person("teams.toml", format!("team {} member", t.id), m);
        }
    }
    for r in &org.rotations {
        for m in &r.members {
            person("rotations.toml", format!("rotation {} member", r.id), m);
        }
        for s in &r.shifts {
            person(
                "rotations",
                format!(
                    "rotation {} shift starting {}",
                    r.id,
                    super::minute(s.start)
                ),
                &s.person,
            );
        }
    }
    for t in &org.trainings {
        person("trainings.csv", format!("training {}", t.course), &t.person);
    }
    for a in &org.areas {
        person("areas.toml", format!("area {} owner", a.id), &a.owner);
    }
    for g in &org.grants {
        person(
            "grants.csv",
            format!("grant of {}", g.entitlement),
            &g.person,
        );
        if let Some(by) = &g.granted_by {
            person(
                "grants.csv",
                format!("grant of {} to {} granted_by", g.entitlement, g.person),
                by,
            );
        }
    }
    for d in &org.delegations {
        person(
            "delegations.toml",
            format!("delegation of {} to", d.area),
            &d.to,
        );
        person(
            "delegations.toml",
            format!("delegation of {} by", d.area),
            &d.by,
        );
    }
    for r in &org.rules {
        person("rules.toml", format!("rule {} author", r.id), &r.author);
    }
    out
}

/// Parents that point nowhere, and parents that form a cycle.
fn bad_parents(snap: &Snapshot) -> Vec<String> {
    let org = &snap.org;
    let mut out = Vec::new();
    for t in &org.teams {
        if let Some(p) = &t.parent
            && snap.team_idx(p).is_none()
        {
            out.push(format!(
                "teams.toml: team {} parent: unknown team {p:?}",
                t.id
            ));
        }
    }
    for r in &org.rotations {
        if let Some(t) = &r.team
            && snap.team_idx(t).is_none()
        {
            out.push(format!(
                "rotations.toml: rotation {} team: unknown team {t:?}",
                r.id
            ));
        }
    }
    for a in &org.areas {
        if let Some(p) = &a.parent
            && snap.area_idx(p).is_none()
        {
            out.push(format!(
                "areas.toml: area {} parent: unknown area {p:?}",
                a.id
            ));
        }
    }
    for (i, a) in org.areas.iter().enumerate() {
        let path = snap.area_path(i);
        let last = path.last().copied().unwrap_or(i);
        if snap.area_parent[last].is_some() {
            out.push(format!(
                "areas.toml: area {}: its parents form a cycle",
                a.id
            ));
        }
    }
    for (i, t) in org.teams.iter().enumerate() {
        let mut cur = i;
        let mut steps = 0;
        while let Some(p) = org.teams[cur]
            .parent
            .as_ref()
            .and_then(|p| snap.team_idx(p))
        {
            steps += 1;
            if p == i || steps > org.teams.len() {
                out.push(format!(
                    "teams.toml: team {}: its parents form a cycle",
                    t.id
                ));
                break;
            }
            cur = p;
        }
    }
    out
}

/// Grants and delegations naming what does not exist.
fn unknown_references(snap: &Snapshot) -> Vec<String> {
    let org = &snap.org;
    let mut out = Vec::new();
    for g in &org.grants {
        if snap.entitlement_idx(&g.entitlement).is_none() {
            out.push(format!(
                "grants.csv: grant to {}: unknown entitlement {:?}",
                g.person, g.entitlement
            ));
        }
        if let Basis::Rule(r) = &g.basis
            && snap.rule_idx(r).is_none()
        {
            out.push(format!(
                "grants.csv: grant of {} to {}: basis names unknown rule {r:?}",
                g.entitlement, g.person
            ));
        }
    }
    for d in &org.delegations {
        if snap.area_idx(&d.area).is_none() {
            out.push(format!(
                "delegations.toml: delegation to {}: unknown area {:?}",
                d.to, d.area
            ));
        }
    }
    out
}

/// Rules naming what does not exist, or asking what cannot be.
fn rule_problems(snap: &Snapshot) -> Vec<String> {
    let org = &snap.org;
    let mut out = Vec::new();
    let courses: std::collections::HashSet<&str> =
        org.trainings.iter().map(|t| t.course.as_str()).collect();
    for r in &org.rules {
        if snap.area_idx(&r.area).is_none() {
            out.push(format!(
                "rules.toml: rule {}: unknown area {:?}",
                r.id, r.area
            ));
        }
        for e in &r.grant {
            if snap.entitlement_idx(e).is_none() {
                out.push(format!(
                    "rules.toml: rule {}: grants unknown entitlement {e:?}",
                    r.id
                ));
            }
        }
        for c in &r.trained {
            if !courses.contains(c.as_str()) {
                out.push(format!(
                    "rules.toml: rule {}: unknown course {c:?} (nobody has completed it)",
                    r.id
                ));
            }
        }
        match &r.audience {
            Audience::Team(t) => {
                if snap.team_idx(t).is_none() {
                    out.push(format!("rules.toml: rule {}: unknown team {t:?}", r.id));
                }
                if r.only_while_oncall {
                    out.push(format!(
                        "rules.toml: rule {}: only_while_oncall needs a rotation; with a team nobody qualifies",
                        r.id
                    ));
                }
            }
            Audience::Rotation(x) => {
                if snap.rotation_idx(x).is_none() {
                    out.push(format!("rules.toml: rule {}: unknown rotation {x:?}", r.id));
                }
            }
        }
    }
    out
}
