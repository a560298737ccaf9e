//! References that point nowhere, and other shapes the engine tolerates but
//! an owner should fix. One line each, naming the file the data came from.

use super::snapshot::Snapshot;
use crate::model::*;

/// The record a problem is about: its index in the org's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Person(usize),
    Team(usize),
    Rotation(usize),
    /// A rotation and one of its shifts.
    Shift(usize, usize),
    Training(usize),
    Area(usize),
    Grant(usize),
    Delegation(usize),
    Rule(usize),
}

/// One problem: the file its record comes from, the record, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: &'static str,
    pub subject: Subject,
    pub text: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.text)
    }
}

/// Every problem, one line each.
pub fn problems(snap: &Snapshot) -> Vec<String> {
    located(snap).iter().map(Problem::to_string).collect()
}

/// [`problems`], a problem with an area, team or person named by where that
/// record was read (`origins`: (kind, id) -> `catalog/systems.yaml:12` or a
/// catalog entity's ref) when its source said, instead of the org
/// directory's file.
pub fn problems_at(
    snap: &Snapshot,
    origins: &std::collections::HashMap<(String, String), String>,
) -> Vec<String> {
    let at = |kind: &str, id: Option<&String>| {
        id.and_then(|id| origins.get(&(kind.to_string(), id.clone())))
    };
    located(snap)
        .iter()
        .map(|p| {
            let origin = match p.subject {
                Subject::Area(i) => at("area", snap.org.areas.get(i).map(|a| &a.id)),
                Subject::Team(i) => at("team", snap.org.teams.get(i).map(|t| &t.id)),
                Subject::Person(i) => at("person", snap.org.people.get(i).map(|p| &p.id)),
                _ => None,
            };
            match origin {
                Some(at) => format!("{at}: {}", p.text),
                None => p.to_string(),
            }
        })
        .collect()
}

/// Every problem, with the record it is about.
pub fn located(snap: &Snapshot) -> Vec<Problem> {
    let mut out = unknown_people(snap);
    out.extend(bad_parents(snap));
    out.extend(unknown_references(snap));
    out.extend(rule_problems(snap));
    out
}

fn problem(file: &'static str, subject: Subject, text: String) -> Problem {
    Problem {
        file,
        subject,
        text,
    }
}

/// Every place that names a person who is not on the roster.
fn unknown_people(snap: &Snapshot) -> Vec<Problem> {
    let org = &snap.org;
    let mut out = Vec::new();
    // `what` is said only for a problem: most references are known.
    let mut person = |file: &'static str, subject: Subject, what: &dyn Fn() -> String, id: &str| {
        if snap.person_idx(id).is_none() {
            let text = format!("{}: unknown person {id:?}", what());
            out.push(problem(file, subject, text));
        }
    };
    for (i, p) in org.people.iter().enumerate() {
        if let Some(m) = &p.manager {
            let what = || format!("person {} manager", p.id);
            person("people.csv", Subject::Person(i), &what, m);
        }
    }
    for (i, t) in org.teams.iter().enumerate() {
        if let Some(l) = &t.lead {
            person(
                "teams.toml",
                Subject::Team(i),
                &|| format!("team {} lead", t.id),
                l,
            );
        }
        for m in &t.members {
            let what = || format!("team {} member", t.id);
            person("teams.toml", Subject::Team(i), &what, m);
        }
    }
    for (i, r) in org.rotations.iter().enumerate() {
        for m in &r.members {
            let what = || format!("rotation {} member", r.id);
            person("rotations.toml", Subject::Rotation(i), &what, m);
        }
        for (j, s) in r.shifts.iter().enumerate() {
            let what = || {
                format!(
                    "rotation {} shift starting {}",
                    r.id,
                    super::minute(s.start)
                )
            };
            person("rotations", Subject::Shift(i, j), &what, &s.person);
        }
    }
    for (i, t) in org.trainings.iter().enumerate() {
        let what = || format!("training {}", t.course);
        person("trainings.csv", Subject::Training(i), &what, &t.person);
    }
    for (i, a) in org.areas.iter().enumerate() {
        let what = || format!("area {} owner", a.id);
        person("areas.toml", Subject::Area(i), &what, &a.owner);
    }
    for (i, g) in org.grants.iter().enumerate() {
        let what = || format!("grant of {}", g.entitlement);
        person("grants.csv", Subject::Grant(i), &what, &g.person);
        if let Some(by) = &g.granted_by {
            let what = || format!("grant of {} to {} granted_by", g.entitlement, g.person);
            person("grants.csv", Subject::Grant(i), &what, by);
        }
    }
    for (i, d) in org.delegations.iter().enumerate() {
        let what = || format!("delegation of {} to", d.area);
        person("delegations.toml", Subject::Delegation(i), &what, &d.to);
        let what = || format!("delegation of {} by", d.area);
        person("delegations.toml", Subject::Delegation(i), &what, &d.by);
    }
    for (i, r) in org.rules.iter().enumerate() {
        let what = || format!("rule {} author", r.id);
        person("rules.toml", Subject::Rule(i), &what, &r.author);
    }
    out
}

/// Parents that point nowhere, and parents that form a cycle.
fn bad_parents(snap: &Snapshot) -> Vec<Problem> {
    let org = &snap.org;
    let mut out = Vec::new();
    for (i, t) in org.teams.iter().enumerate() {
        if let Some(p) = &t.parent
            && snap.team_idx(p).is_none()
        {
            let text = format!("team {} parent: unknown team {p:?}", t.id);
            out.push(problem("teams.toml", Subject::Team(i), text));
        }
    }
    for (i, r) in org.rotations.iter().enumerate() {
        if let Some(t) = &r.team
            && snap.team_idx(t).is_none()
        {
            let text = format!("rotation {} team: unknown team {t:?}", r.id);
            out.push(problem("rotations.toml", Subject::Rotation(i), text));
        }
    }
    for (i, a) in org.areas.iter().enumerate() {
        if let Some(p) = &a.parent
            && snap.area_idx(p).is_none()
        {
            let text = format!("area {} parent: unknown area {p:?}", a.id);
            out.push(problem("areas.toml", Subject::Area(i), text));
        }
    }
    for (i, a) in org.areas.iter().enumerate() {
        let path = snap.area_path(i);
        let last = path.last().copied().unwrap_or(i);
        if snap.area_parent[last].is_some() {
            let text = format!("area {}: its parents form a cycle", a.id);
            out.push(problem("areas.toml", Subject::Area(i), text));
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
                let text = format!("team {}: its parents form a cycle", t.id);
                out.push(problem("teams.toml", Subject::Team(i), text));
                break;
            }
            cur = p;
        }
    }
    out
}

/// Grants and delegations naming what does not exist.
fn unknown_references(snap: &Snapshot) -> Vec<Problem> {
    let org = &snap.org;
    let mut out = Vec::new();
    for (i, g) in org.grants.iter().enumerate() {
        if snap.entitlement_idx(&g.entitlement).is_none() {
            let text = format!(
                "grant to {}: unknown entitlement {:?}",
                g.person, g.entitlement
            );
            out.push(problem("grants.csv", Subject::Grant(i), text));
        }
        if let Basis::Rule(r) = &g.basis
            && snap.rule_idx(r).is_none()
        {
            let text = format!(
                "grant of {} to {}: basis names unknown rule {r:?}",
                g.entitlement, g.person
            );
            out.push(problem("grants.csv", Subject::Grant(i), text));
        }
    }
    for (i, d) in org.delegations.iter().enumerate() {
        if snap.area_idx(&d.area).is_none() {
            let text = format!("delegation to {}: unknown area {:?}", d.to, d.area);
            out.push(problem("delegations.toml", Subject::Delegation(i), text));
        }
    }
    out
}

/// Rules naming what does not exist, or asking what cannot be.
fn rule_problems(snap: &Snapshot) -> Vec<Problem> {
    let org = &snap.org;
    let mut out = Vec::new();
    let courses: std::collections::HashSet<&str> =
        org.trainings.iter().map(|t| t.course.as_str()).collect();
    for (i, r) in org.rules.iter().enumerate() {
        let mut rule = |text: String| out.push(problem("rules.toml", Subject::Rule(i), text));
        if snap.area_idx(&r.area).is_none() {
            rule(format!("rule {}: unknown area {:?}", r.id, r.area));
        }
        for e in &r.grant {
            if snap.entitlement_idx(e).is_none() {
                rule(format!("rule {}: grants unknown entitlement {e:?}", r.id));
            }
        }
        for c in &r.trained {
            if !courses.contains(c.as_str()) {
                rule(format!(
                    "rule {}: unknown course {c:?} (nobody has completed it)",
                    r.id
                ));
            }
        }
        match &r.audience {
            Audience::Team(t) => {
                if snap.team_idx(t).is_none() {
                    rule(format!("rule {}: unknown team {t:?}", r.id));
                }
                if r.only_while_oncall {
                    rule(format!(
                        "rule {}: only_while_oncall needs a rotation; with a team nobody qualifies",
                        r.id
                    ));
                }
            }
            Audience::Rotation(x) => {
                if snap.rotation_idx(x).is_none() {
                    rule(format!("rule {}: unknown rotation {x:?}", r.id));
                }
            }
        }
    }
    out
}
