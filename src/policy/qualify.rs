//! Whether a rule counts, and whether a person qualifies for it, with the
//! exact condition that fails when they do not.

use super::authority::{Authority, authority};
use super::snapshot::Snapshot;
use super::{day, minute};
use crate::model::*;
use rustc_hash::FxHashSet as HashSet;

/// Why a rule does not count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotCounting {
    UnknownArea,
    AuthorHasNoAuthority,
}

/// Whether `rule` counts at `now`, and on what authority.
pub fn rule_counts<'s>(
    snap: &'s Snapshot,
    rule: &Rule,
    now: Time,
) -> Result<Authority<'s>, NotCounting> {
    let area = snap.area_idx(&rule.area).ok_or(NotCounting::UnknownArea)?;
    authority(snap, &rule.author, area, now).ok_or(NotCounting::AuthorHasNoAuthority)
}

impl NotCounting {
    pub fn describe(&self, rule: &Rule) -> String {
        match self {
            NotCounting::UnknownArea => format!("its area {} does not exist", rule.area),
            NotCounting::AuthorHasNoAuthority => format!(
                "its author {} has no authority over area {} (neither owner nor active delegate of it or an ancestor)",
                rule.author, rule.area
            ),
        }
    }
}

/// Does `rule` grant `ent` within its own area's subtree?
pub fn rule_covers(snap: &Snapshot, rule: &Rule, ent: usize) -> bool {
    let Some(rule_area) = snap.area_idx(&rule.area) else {
        return false;
    };
    let ent_id = &snap.org.entitlements[ent].id;
    rule.grant.iter().any(|g| g == ent_id)
        && snap
            .entitlement_area(ent)
            .is_some_and(|a| snap.area_within(a, rule_area))
}

/// The people in a rule's team (with descendant teams) or rotation (members,
/// and anyone with a shift that has not ended).
pub fn audience_members(snap: &Snapshot, audience: &Audience, now: Time) -> HashSet<usize> {
    let mut out = HashSet::default();
    match audience {
        Audience::Team(t) => {
            if let Some(t) = snap.team_idx(t) {
                for team in snap.team_subtree(t) {
                    out.extend(
                        snap.org.teams[team]
                            .members
                            .iter()
                            .filter_map(|m| snap.person_idx(m)),
                    );
                }
            }
        }
        Audience::Rotation(r) => {
            if let Some(r) = snap.rotation(r) {
                out.extend(r.members.iter().filter_map(|m| snap.person_idx(m)));
                out.extend(
                    r.shifts
                        .iter()
                        .filter(|s| s.end > now)
                        .filter_map(|s| snap.person_idx(&s.person)),
                );
            }
        }
    }
    out
}

/// The people a rule's audience holds at `now`, as [`audience_members`]
/// says, but for a rotation with the rule's `grace`: someone whose last
/// shift ended less than `grace` ago is still in it.
pub fn rule_members(snap: &Snapshot, rule: &Rule, now: Time) -> HashSet<usize> {
    audience_members(
        snap,
        &rule.audience,
        now - chrono::Duration::seconds(rule.grace_secs),
    )
}

/// The shift of `rotation` covering `now` for `person`, if any.
pub fn covering_shift<'s>(rotation: &'s Rotation, person: &str, now: Time) -> Option<&'s Shift> {
    covering_shift_of(rotation, person, now, 0, 0)
}

/// The shift of `rotation` for `person` that counts at `now` for a rule
/// with `lead` and `grace` (seconds): `start - lead <= now < end + grace`.
pub fn covering_shift_of<'s>(
    rotation: &'s Rotation,
    person: &str,
    now: Time,
    lead: i64,
    grace: i64,
) -> Option<&'s Shift> {
    let (lead, grace) = (
        chrono::Duration::seconds(lead),
        chrono::Duration::seconds(grace),
    );
    rotation
        .shifts
        .iter()
        .find(|s| s.person == person && s.start - lead <= now && now < s.end + grace)
}

/// `" (lead 30m, grace 15m)"` for a rule with either, else nothing.
pub fn timing_note(rule: &Rule) -> String {
    let mut parts = Vec::new();
    if rule.lead_secs > 0 {
        parts.push(format!("lead {}", crate::policy::span(rule.lead_secs)));
    }
    if rule.grace_secs > 0 {
        parts.push(format!("grace {}", crate::policy::span(rule.grace_secs)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// Why a person does not qualify for a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Left,
    NotOnRoster,
    NotMember,
    TrainingMissing { course: String },
    TrainingExpired { course: String, expired: Time },
    OffCall,
}

impl Failure {
    pub fn reason(&self) -> Reason {
        match self {
            Failure::Left => Reason::PersonLeft,
            Failure::NotOnRoster | Failure::NotMember => Reason::NotMember,
            Failure::TrainingMissing { .. } => Reason::TrainingMissing,
            Failure::TrainingExpired { .. } => Reason::TrainingExpired,
            Failure::OffCall => Reason::OffCall,
        }
    }

    /// One sentence with the evidence.
    pub fn describe(&self, snap: &Snapshot, rule: &Rule, person: &str, now: Time) -> String {
        match self {
            Failure::Left => format!("{person} has left the organization"),
            Failure::NotOnRoster => format!("{person} is not on the roster"),
            Failure::NotMember => match &rule.audience {
                Audience::Team(t) => format!("not a member of team {t} or its sub-teams"),
                Audience::Rotation(r) => {
                    let last = snap.rotation(r).and_then(|rot| {
                        rot.shifts
                            .iter()
                            .filter(|s| s.person == person)
                            .map(|s| s.end)
                            .max()
                    });
                    match last {
                        Some(end) => format!(
                            "no longer in rotation {r}: not a member, no shift after {}",
                            minute(end)
                        ),
                        None => format!("not in rotation {r}: not a member, no shifts"),
                    }
                }
            },
            Failure::TrainingMissing { course } => format!("has not completed training {course}"),
            Failure::TrainingExpired { course, expired } => {
                format!("training {course} expired on {}", day(*expired))
            }
            Failure::OffCall => {
                let Audience::Rotation(r) = &rule.audience else {
                    return format!(
                        "rule {} is only while on call but names team, not a rotation",
                        rule.id
                    );
                };
                let shifts: Vec<&Shift> = snap
                    .rotation(r)
                    .map(|rot| rot.shifts.iter().filter(|s| s.person == person).collect())
                    .unwrap_or_default();
                let last = shifts.iter().filter(|s| s.end <= now).map(|s| s.end).max();
                let next = shifts
                    .iter()
                    .filter(|s| s.start > now)
                    .map(|s| s.start)
                    .min();
                let mut text = format!("not on call in {r} now{}", timing_note(rule));
                if let Some(l) = last {
                    text += &format!(": last shift ended {}", minute(l));
                }
                if let Some(n) = next {
                    text += &format!(
                        "{} next starts {}",
                        if last.is_some() { "," } else { ":" },
                        minute(n)
                    );
                }
                text
            }
        }
    }
}

/// What makes a person qualify, for explanations.
#[derive(Debug, Clone)]
pub struct Qualified<'s> {
    pub shift: Option<&'s Shift>,
    pub trainings: Vec<&'s Training>,
}

/// Does `person` qualify for `rule` at `now`? `members` is the rule's audience.
pub fn qualifies<'s>(
    snap: &'s Snapshot,
    rule: &Rule,
    person: &str,
    members: &HashSet<usize>,
    now: Time,
) -> Result<Qualified<'s>, Failure> {
    let Some(p) = snap.person_idx(person) else {
        return Err(Failure::NotOnRoster);
    };
    qualifies_at(snap, rule, p, members, now)
}

/// [`qualifies`] for the person at index `p` of the snapshot.
pub fn qualifies_at<'s>(
    snap: &'s Snapshot,
    rule: &Rule,
    p: usize,
    members: &HashSet<usize>,
    now: Time,
) -> Result<Qualified<'s>, Failure> {
    let person = snap.org.people[p].id.as_str();
    if snap.org.people[p].status != Status::Active {
        return Err(Failure::Left);
    }
    if !members.contains(&p) {
        return Err(Failure::NotMember);
    }
    let mut trainings = Vec::new();
    for course in &rule.trained {
        let mut expired: Option<Time> = None;
        let valid = snap.trainings_of(p).find(|t| {
            if t.course != *course || t.completed > now {
                return false;
            }
            match t.expires {
                Some(e) if e <= now => {
                    expired = Some(expired.map_or(e, |x| x.max(e)));
                    false
                }
                _ => true,
            }
        });
        match (valid, expired) {
            (Some(t), _) => trainings.push(t),
            (None, Some(e)) => {
                return Err(Failure::TrainingExpired {
                    course: course.clone(),
                    expired: e,
                });
            }
            (None, None) => {
                return Err(Failure::TrainingMissing {
                    course: course.clone(),
                });
            }
        }
    }
    let mut shift = None;
    if rule.only_while_oncall {
        let covering = match &rule.audience {
            Audience::Rotation(r) => snap.rotation(r).and_then(|rot| {
                covering_shift_of(rot, person, now, rule.lead_secs, rule.grace_secs)
            }),
            Audience::Team(_) => None,
        };
        match covering {
            Some(s) => shift = Some(s),
            None => return Err(Failure::OffCall),
        }
    }
    Ok(Qualified { shift, trainings })
}
