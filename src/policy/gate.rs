//! The gate: whether an actor may take an action at a moment.
//!
//! One pure function, [`check`], for every decision, undo, delegation,
//! undelegation, rule change and apply. The store runs it inside its write
//! transaction, on what it reads there, so no front end can skip it; the CLI
//! and the console may run it earlier to say so at once, and show its
//! [`Refusal`] as it is.
//!
//! It admits an action when the actor has authority over the area at that
//! moment, the decision fits the suggestion's kind ([`VERDICTS`]), and the
//! action is not about the actor's own access: nobody decides about their
//! own access, nor delegates to themselves. Such a decision belongs to the
//! owner of the nearest area, walking up from the suggestion's area to the
//! root, whose owner is someone else ([`who_decides`]); the root owner
//! deciding about themselves is allowed, and the permit says so
//! ([`Permit::own_access`]) for the audit log.

use super::authority::{Authority, authority};
use super::snapshot::Snapshot;
use crate::model::{Actor, Decision, Delegation, Kind, Rule, Status, Suggestion, Time, Verdict};
use std::fmt;

/// Which verdicts answer which kind of suggestion: the one table every
/// front end and the store go by. `revoke` answers a review only (a revoke
/// suggestion is carried out by accepting it).
pub const VERDICTS: [(Kind, &[Verdict]); 3] = [
    (
        Kind::Grant,
        &[Verdict::Accept, Verdict::Dismiss, Verdict::Snooze],
    ),
    (
        Kind::Revoke,
        &[Verdict::Accept, Verdict::Dismiss, Verdict::Snooze],
    ),
    (
        Kind::Review,
        &[
            Verdict::Accept,
            Verdict::Revoke,
            Verdict::Dismiss,
            Verdict::Snooze,
        ],
    ),
];

/// The verdicts that answer a suggestion of `kind`.
pub fn verdicts_for(kind: Kind) -> &'static [Verdict] {
    VERDICTS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(&[], |(_, v)| v)
}

/// Does `verdict` answer a suggestion of `kind`?
pub fn fits(verdict: Verdict, kind: Kind) -> bool {
    verdicts_for(kind).contains(&verdict)
}

/// What an actor asks to do.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Answer a suggestion: accept, revoke (a review), dismiss (with a
    /// reason) or snooze (until a time after now).
    Decide {
        verdict: Verdict,
        suggestion: &'a Suggestion,
        note: Option<&'a str>,
        until: Option<Time>,
    },
    /// Take back a recorded decision.
    Undo { decision: &'a Decision },
    /// Hand `area` (and its subtree) to `to`, from now until `until`.
    Delegate {
        area: &'a str,
        to: &'a str,
        until: Option<Time>,
    },
    /// End a delegation.
    Undelegate { delegation: &'a Delegation },
    /// Write a new rule.
    RuleAdd { rule: &'a Rule },
    /// Replace rule `before` with `after` (perhaps in another area).
    RuleEdit { before: &'a Rule, after: &'a Rule },
    /// Remove a rule.
    RuleRemove { rule: &'a Rule },
    /// Carry out a decided change upstream.
    Apply { decision: &'a Decision },
    /// Carry out, by itself, what automatic `rule` implies: the grant it
    /// suggests, or the revoke of a grant based on it. The actor is the
    /// rule's author, whose consent the rule is.
    Auto {
        rule: &'a Rule,
        suggestion: &'a Suggestion,
    },
    /// Carry out the automatic changes of `area` (and its subtree) that
    /// `max_auto_changes` held back.
    Release { area: &'a str },
}

impl Action<'_> {
    /// The area the action is about (for an edit, the rule's area before).
    pub fn area(&self) -> &str {
        match self {
            Action::Decide { suggestion, .. } => &suggestion.area,
            Action::Undo { decision } | Action::Apply { decision } => &decision.suggestion.area,
            Action::Delegate { area, .. } => area,
            Action::Undelegate { delegation } => &delegation.area,
            Action::RuleAdd { rule } | Action::RuleRemove { rule } => &rule.area,
            Action::RuleEdit { before, .. } => &before.area,
            Action::Auto { suggestion, .. } => &suggestion.area,
            Action::Release { area } => area,
        }
    }

    /// The action in a few words, as a refusal names it.
    pub fn describe(&self) -> String {
        let about = |s: &Suggestion| format!("{} {} {}", s.kind.as_str(), s.person, s.entitlement);
        match self {
            Action::Decide {
                verdict,
                suggestion,
                ..
            } => format!("{} {}", verdict.as_str(), about(suggestion)),
            Action::Undo { decision } => format!("undo decision {}", decision.id),
            Action::Delegate { area, to, .. } => format!("delegate area {area} to {to}"),
            Action::Undelegate { delegation } => format!(
                "end the delegation of area {} to {}",
                delegation.area, delegation.to
            ),
            Action::RuleAdd { rule } => format!("add rule {}", rule.id),
            Action::RuleEdit { before, .. } => format!("change rule {}", before.id),
            Action::RuleRemove { rule } => format!("remove rule {}", rule.id),
            Action::Apply { decision } => format!(
                "apply decision {} ({})",
                decision.id,
                about(&decision.suggestion)
            ),
            Action::Auto { rule, suggestion } => {
                format!("carry out rule {}'s {}", rule.id, about(suggestion))
            }
            Action::Release { area } => {
                format!("release the automatic changes held back in area {area}")
            }
        }
    }
}

/// The ground of an actor's authority, owned (kept past the snapshot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ground {
    /// Owns `area`, the action's area or one above it.
    Owner { area: String },
    /// Holds a delegation of `area` (the action's area or one above it)
    /// from `by`.
    Delegate { area: String, by: String },
}

impl From<&Authority<'_>> for Ground {
    fn from(a: &Authority<'_>) -> Ground {
        match a {
            Authority::Owner { area } => Ground::Owner {
                area: area.to_string(),
            },
            Authority::Delegate(d) => Ground::Delegate {
                area: d.area.clone(),
                by: d.by.clone(),
            },
        }
    }
}

impl fmt::Display for Ground {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ground::Owner { area } => write!(f, "owner of area {area}"),
            Ground::Delegate { area, by } => {
                write!(f, "delegate for area {area} (delegated by {by})")
            }
        }
    }
}

/// What the gate admitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    /// Why the actor may: their nearest ground of authority over the area.
    pub ground: Ground,
    /// The decision is about the decider's own access, allowed because
    /// nobody above owns the area but them (the root owner): audited as
    /// `self`.
    pub own_access: bool,
}

/// Who decides what someone may not decide about themselves: the owner of
/// an area on the way up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decider {
    pub person: String,
    pub area: String,
}

impl fmt::Display for Decider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (owner of area {})", self.person, self.area)
    }
}

/// Who decides about `person`'s own access in `area`: the owner of the
/// nearest area, walking up from `area` to the root, whose owner is someone
/// else. `None` when `person` owns the whole way up (the root owner).
pub fn who_decides(snap: &Snapshot, person: &str, area: usize) -> Option<Decider> {
    snap.area_path(area).into_iter().find_map(|a| {
        let node = &snap.org.areas[a];
        (node.owner != person).then(|| Decider {
            person: node.owner.clone(),
            area: node.id.clone(),
        })
    })
}

/// Why the gate said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The area is not (or no longer) in the organization.
    UnknownArea,
    /// Neither owner nor active delegate of the area or an area above it.
    NoAuthority { owner: String },
    /// The verdict does not answer this kind of suggestion ([`VERDICTS`]).
    DoesNotFit { verdict: Verdict, kind: Kind },
    /// A dismissal without a reason.
    NeedsReason,
    /// A snooze without an end after now.
    NeedsEnd { until: Option<Time>, now: Time },
    /// The suggestion is about the actor's own access; `decides` may.
    OwnAccess {
        entitlement: String,
        decides: Decider,
    },
    /// A delegation to the actor themselves; `decides` may delegate it
    /// (none: the actor already owns it all the way up, as `ground`).
    SelfDelegation {
        decides: Option<Decider>,
        ground: Ground,
    },
    /// A delegation to someone not on the roster.
    UnknownPerson { person: String },
    /// A delegation to someone who has left.
    PersonLeft { person: String },
    /// A delegation that would end before it starts (now).
    EndsBeforeStart { until: Time, now: Time },
    /// The decision being applied was taken by someone who no longer has
    /// authority over its area (a delegation ended, the area changed hands).
    DeciderLostAuthority { decider: String },
    /// The decision being applied is its decider's about their own access
    /// (recorded before the gate said no to that); `decides` may.
    DeciderOwnAccess {
        decider: String,
        entitlement: String,
        decides: Decider,
    },
    /// An automatic change that `rule` does not make: the rule is not
    /// automatic, the actor is not its author, or the change is not its own
    /// grant or the revoke of a grant based on it, in its area.
    NotTheRules { rule: String },
}

/// The gate's no: who, where, what they asked, and why not. Its text is
/// what every front end shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub actor: String,
    pub area: String,
    /// The action in a few words (`accept grant ana pay-db:read`).
    pub action: String,
    pub why: Box<Why>,
}

impl std::error::Error for Refusal {}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Refusal {
            actor,
            area,
            action,
            why,
        } = self;
        match &**why {
            Why::UnknownArea => write!(
                f,
                "refused: {actor} cannot {action}: area {area} is not in the organization"
            ),
            Why::NoAuthority { owner } => write!(
                f,
                "refused: {actor} has no authority over area {area} to {action} (owner: {owner}; \
                 {actor} is neither its owner nor a delegate of it, nor of an area above it)"
            ),
            Why::DoesNotFit { verdict, kind } => write!(
                f,
                "refused: {actor} cannot {action} in area {area}: {} does not answer a {} suggestion \
                 (a {} suggestion takes {})",
                verdict.as_str(),
                kind.as_str(),
                kind.as_str(),
                verdicts_for(*kind)
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Why::NeedsReason => write!(
                f,
                "refused: {actor} cannot {action} in area {area} without a reason: the next person \
                 to look will want to know why"
            ),
            Why::NeedsEnd { until, now } => write!(
                f,
                "refused: {actor} cannot {action} in area {area}: a snooze needs an end after now \
                 ({}){}",
                now.to_rfc3339(),
                until
                    .map(|u| format!(", and {} is not", u.to_rfc3339()))
                    .unwrap_or_default()
            ),
            Why::OwnAccess {
                entitlement,
                decides,
            } => write!(
                f,
                "refused: {actor} cannot {action}: it is about {actor}'s own access \
                 ({entitlement}, area {area}), and nobody decides about their own access; \
                 {decides} decides it"
            ),
            Why::SelfDelegation { decides, ground } => {
                write!(
                    f,
                    "refused: {actor} cannot {action}: nobody delegates to themselves; "
                )?;
                match decides {
                    Some(d) => write!(f, "{d} decides who else decides for area {area}"),
                    None => write!(f, "{actor} already decides for area {area} as {ground}"),
                }
            }
            Why::UnknownPerson { person } => write!(
                f,
                "refused: {actor} cannot {action}: {person} is not on the roster (area {area})"
            ),
            Why::PersonLeft { person } => write!(
                f,
                "refused: {actor} cannot {action}: {person} has left the organization (area {area})"
            ),
            Why::EndsBeforeStart { until, now } => write!(
                f,
                "refused: {actor} cannot {action}: a delegation must end after it starts \
                 ({} is not after {}; area {area})",
                until.to_rfc3339(),
                now.to_rfc3339()
            ),
            Why::DeciderLostAuthority { decider } => write!(
                f,
                "refused: decider {decider} no longer has authority over area {area} (a delegation \
                 ended, or the area changed hands), so {actor} cannot {action}"
            ),
            Why::NotTheRules { rule } => write!(
                f,
                "refused: {actor} cannot {action} in area {area}: it is not an automatic change \
                 of rule {rule} (only an automatic rule's author consents to its grants, and to \
                 the revokes of the grants based on it, in its area)"
            ),
            Why::DeciderOwnAccess {
                decider,
                entitlement,
                decides,
            } => write!(
                f,
                "refused: decider {decider} decided about their own access ({entitlement}, area \
                 {area}), so {actor} cannot {action}; nobody decides about their own access: \
                 {decides} decides it"
            ),
        }
    }
}

/// Whether `actor` may take `action` at `now`, judged on `snap`: the permit
/// (with the ground of the actor's authority), or the refusal.
pub fn check(
    actor: &Actor,
    action: &Action<'_>,
    snap: &Snapshot,
    now: Time,
) -> Result<Permit, Refusal> {
    let gate = Gate {
        actor: &actor.person,
        action,
        snap,
        now,
    };
    match *action {
        Action::Decide {
            verdict,
            suggestion,
            note,
            until,
        } => gate.decide(verdict, suggestion, note, until),
        Action::Undo { decision } => {
            let area = gate.area(&decision.suggestion.area)?;
            let ground = gate.authority(area)?;
            gate.about_own_access(area, &decision.suggestion, ground)
        }
        Action::Delegate { area, to, until } => gate.delegate(area, to, until),
        Action::Undelegate { delegation } => {
            let area = gate.area(&delegation.area)?;
            gate.authority(area).map(Permit::of)
        }
        Action::RuleAdd { rule } | Action::RuleRemove { rule } => {
            let area = gate.area(&rule.area)?;
            gate.authority(area).map(Permit::of)
        }
        Action::RuleEdit { before, after } => {
            let ground = gate.authority(gate.area(&before.area)?)?;
            if after.area != before.area {
                gate.authority(gate.area(&after.area)?)?;
            }
            Ok(Permit::of(ground))
        }
        Action::Apply { decision } => gate.apply(decision),
        Action::Auto { rule, suggestion } => gate.auto(rule, suggestion),
        Action::Release { area } => gate.authority(gate.area(area)?).map(Permit::of),
    }
}

/// Whether `actor` may answer `suggestion` with `verdict` at all, at
/// `now`: authority, fit and not their own access. What a front end asks
/// before it asks for a dismissal's reason or a snooze's end; [`check`]
/// (which the store runs) asks those too.
pub fn may_decide(
    actor: &Actor,
    verdict: Verdict,
    suggestion: &Suggestion,
    snap: &Snapshot,
    now: Time,
) -> Result<Permit, Refusal> {
    let action = Action::Decide {
        verdict,
        suggestion,
        note: None,
        until: None,
    };
    let gate = Gate {
        actor: &actor.person,
        action: &action,
        snap,
        now,
    };
    gate.may_decide(verdict, suggestion)
}

impl Permit {
    fn of(ground: Ground) -> Permit {
        Permit {
            ground,
            own_access: false,
        }
    }
}

/// One check in progress.
struct Gate<'a> {
    actor: &'a str,
    action: &'a Action<'a>,
    snap: &'a Snapshot,
    now: Time,
}

impl Gate<'_> {
    fn refuse(&self, area: &str, why: Why) -> Refusal {
        Refusal {
            actor: self.actor.to_string(),
            area: area.to_string(),
            action: self.action.describe(),
            why: Box::new(why),
        }
    }

    fn area(&self, id: &str) -> Result<usize, Refusal> {
        self.snap
            .area_idx(id)
            .ok_or_else(|| self.refuse(id, Why::UnknownArea))
    }

    fn id(&self, area: usize) -> &str {
        &self.snap.org.areas[area].id
    }

    /// `person`'s nearest ground of authority over `area` now.
    fn ground_of(&self, person: &str, area: usize) -> Option<Ground> {
        authority(self.snap, person, area, self.now).map(|a| Ground::from(&a))
    }

    fn authority(&self, area: usize) -> Result<Ground, Refusal> {
        self.ground_of(self.actor, area).ok_or_else(|| {
            let owner = self.snap.org.areas[area].owner.clone();
            self.refuse(self.id(area), Why::NoAuthority { owner })
        })
    }

    /// Refuses a decision about the actor's own access unless nobody above
    /// owns the area but them.
    fn about_own_access(
        &self,
        area: usize,
        s: &Suggestion,
        ground: Ground,
    ) -> Result<Permit, Refusal> {
        if s.person != self.actor {
            return Ok(Permit::of(ground));
        }
        match who_decides(self.snap, self.actor, area) {
            Some(decides) => Err(self.refuse(
                self.id(area),
                Why::OwnAccess {
                    entitlement: s.entitlement.clone(),
                    decides,
                },
            )),
            None => Ok(Permit {
                ground,
                own_access: true,
            }),
        }
    }

    fn decide(
        &self,
        verdict: Verdict,
        s: &Suggestion,
        note: Option<&str>,
        until: Option<Time>,
    ) -> Result<Permit, Refusal> {
        let permit = self.may_decide(verdict, s)?;
        let here = &s.area;
        match verdict {
            Verdict::Dismiss if note.is_none_or(|n| n.trim().is_empty()) => {
                Err(self.refuse(here, Why::NeedsReason))
            }
            Verdict::Snooze if until.is_none_or(|u| u <= self.now) => Err(self.refuse(
                here,
                Why::NeedsEnd {
                    until,
                    now: self.now,
                },
            )),
            _ => Ok(permit),
        }
    }

    /// Authority, fit, and not one's own access: all but a dismissal's
    /// reason and a snooze's end.
    fn may_decide(&self, verdict: Verdict, s: &Suggestion) -> Result<Permit, Refusal> {
        let area = self.area(&s.area)?;
        let ground = self.authority(area)?;
        if !fits(verdict, s.kind) {
            return Err(self.refuse(
                self.id(area),
                Why::DoesNotFit {
                    verdict,
                    kind: s.kind,
                },
            ));
        }
        self.about_own_access(area, s, ground)
    }

    fn delegate(&self, area: &str, to: &str, until: Option<Time>) -> Result<Permit, Refusal> {
        let area = self.area(area)?;
        let ground = self.authority(area)?;
        let here = self.id(area);
        if to == self.actor {
            let decides = who_decides(self.snap, self.actor, area);
            return Err(self.refuse(here, Why::SelfDelegation { decides, ground }));
        }
        let person = to.to_string();
        match self.snap.person(to) {
            None => return Err(self.refuse(here, Why::UnknownPerson { person })),
            Some(p) if p.status == Status::Left => {
                return Err(self.refuse(here, Why::PersonLeft { person }));
            }
            Some(_) => {}
        }
        if let Some(u) = until.filter(|&u| u <= self.now) {
            return Err(self.refuse(
                here,
                Why::EndsBeforeStart {
                    until: u,
                    now: self.now,
                },
            ));
        }
        Ok(Permit::of(ground))
    }

    /// An automatic change counts while its rule does: the actor is the
    /// author of an automatic rule, with authority over the rule's area now,
    /// and the change is the rule's own (its grant, or the revoke of a
    /// grant based on it) within that area. The rule is the consent, so a
    /// grant to its author is theirs too, audited as `self`.
    fn auto(&self, rule: &Rule, s: &Suggestion) -> Result<Permit, Refusal> {
        let area = self.area(&rule.area)?;
        let not_the_rules = || {
            self.refuse(
                &s.area,
                Why::NotTheRules {
                    rule: rule.id.clone(),
                },
            )
        };
        let own = rule.apply == crate::model::ApplyMode::Auto
            && rule.author == self.actor
            && s.rule.as_deref() == Some(rule.id.as_str())
            && matches!(s.kind, Kind::Grant | Kind::Revoke)
            && self
                .snap
                .area_idx(&s.area)
                .is_some_and(|a| self.snap.area_within(a, area));
        if !own {
            return Err(not_the_rules());
        }
        let ground = self.authority(area)?;
        Ok(Permit {
            ground,
            own_access: s.person == self.actor,
        })
    }

    /// A decided change is carried out only while its decider still may
    /// decide it (authority, not about their own access) and the actor has
    /// authority over its area.
    fn apply(&self, d: &Decision) -> Result<Permit, Refusal> {
        let s = &d.suggestion;
        let area = self.area(&s.area)?;
        let here = self.id(area);
        if self.ground_of(&d.decider, area).is_none() {
            let decider = d.decider.clone();
            return Err(self.refuse(here, Why::DeciderLostAuthority { decider }));
        }
        let mut own_access = false;
        if s.person == d.decider {
            match who_decides(self.snap, &d.decider, area) {
                Some(decides) => {
                    return Err(self.refuse(
                        here,
                        Why::DeciderOwnAccess {
                            decider: d.decider.clone(),
                            entitlement: s.entitlement.clone(),
                            decides,
                        },
                    ));
                }
                None => own_access = true,
            }
        }
        let ground = self.authority(area)?;
        Ok(Permit { ground, own_access })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    const NOW: &str = "2026-03-02T12:00:00Z";

    fn t(s: &str) -> Time {
        s.parse().unwrap()
    }

    fn now() -> Time {
        t(NOW)
    }

    /// root (cto) > payments (priya) > ledger (priya), root > ops (omar);
    /// dana delegate of payments, ed's delegation of payments ended, sib
    /// delegate of ops; cto owns `lab` all the way up (lab > lab-db).
    fn snap() -> Snapshot {
        let area = |id: &str, parent: Option<&str>, owner: &str| Area {
            id: id.into(),
            name: id.into(),
            parent: parent.map(Into::into),
            owner: owner.into(),
            tags: vec![],
            notes: String::new(),
            review_days: DEFAULT_REVIEW_DAYS,
            escalate_days: DEFAULT_ESCALATE_DAYS,
            max_auto_changes: None,
        };
        let person = |id: &str, status: Status| Person {
            id: id.into(),
            name: id.into(),
            email: format!("{id}@x.test"),
            manager: None,
            status,
            ..Default::default()
        };
        let delegation =
            |area: &str, to: &str, by: &str, since: &str, until: Option<&str>| Delegation {
                area: area.into(),
                to: to.into(),
                by: by.into(),
                since: t(since),
                until: until.map(t),
            };
        let people = ["cto", "priya", "omar", "dana", "ed", "sib", "stan", "ana"];
        let mut people: Vec<Person> = people.iter().map(|p| person(p, Status::Active)).collect();
        people.push(person("gone", Status::Left));
        Snapshot::new(Org {
            people,
            areas: vec![
                area("root", None, "cto"),
                area("payments", Some("root"), "priya"),
                area("ledger", Some("payments"), "priya"),
                area("ops", Some("root"), "omar"),
                area("lab", None, "cto"),
                area("lab-db", Some("lab"), "cto"),
            ],
            delegations: vec![
                delegation("payments", "dana", "priya", "2026-01-01T00:00:00Z", None),
                delegation(
                    "payments",
                    "ed",
                    "priya",
                    "2025-01-01T00:00:00Z",
                    Some("2026-01-01T00:00:00Z"),
                ),
                delegation("ops", "sib", "omar", "2026-01-01T00:00:00Z", None),
            ],
            ..Org::default()
        })
    }

    fn sug(kind: Kind, person: &str, area: &str) -> Suggestion {
        let reason = match kind {
            Kind::Grant => Reason::Qualifies,
            Kind::Revoke => Reason::RuleGone,
            Kind::Review => Reason::ReviewDue,
        };
        Suggestion {
            kind,
            person: person.into(),
            entitlement: format!("{area}:admin"),
            area: area.into(),
            reason,
            evidence: String::new(),
            rule: None,
        }
    }

    fn decision(decider: &str, verdict: Verdict, s: Suggestion) -> Decision {
        Decision {
            id: 7,
            at: now(),
            decider: decider.into(),
            verdict,
            suggestion: s,
            note: None,
            until: None,
            state: DecisionState::Planned,
            applied_at: None,
            result: None,
            origin: Origin::Person,
        }
    }

    fn rule(id: &str, area: &str) -> Rule {
        Rule {
            id: id.into(),
            area: area.into(),
            author: "priya".into(),
            why: "x".into(),
            grant: vec![],
            audience: Audience::Team("t".into()),
            trained: vec![],
            only_while_oncall: false,
            apply: ApplyMode::Suggest,
            lead_secs: 0,
            grace_secs: 0,
        }
    }

    fn gate(who: &str, action: Action<'_>) -> Result<Permit, Refusal> {
        check(&Actor::local(who), &action, &snap(), now())
    }

    fn accept(s: &Suggestion) -> Action<'_> {
        Action::Decide {
            verdict: Verdict::Accept,
            suggestion: s,
            note: None,
            until: None,
        }
    }

    /// Every action, by each kind of actor, on area payments.
    #[test]
    fn every_action_needs_authority_over_the_area_now() {
        let grant = sug(Kind::Grant, "ana", "payments");
        let review = sug(Kind::Review, "ana", "payments");
        let planned = decision("priya", Verdict::Accept, grant.clone());
        let delegation = snap().org.delegations[0].clone();
        let (r, moved) = (rule("r", "payments"), rule("r", "ledger"));
        let later = Some(now() + chrono::Duration::days(3));
        let actions = [
            accept(&grant),
            Action::Decide {
                verdict: Verdict::Revoke,
                suggestion: &review,
                note: None,
                until: None,
            },
            Action::Decide {
                verdict: Verdict::Dismiss,
                suggestion: &grant,
                note: Some("moves team"),
                until: None,
            },
            Action::Decide {
                verdict: Verdict::Snooze,
                suggestion: &grant,
                note: None,
                until: later,
            },
            Action::Undo { decision: &planned },
            Action::Delegate {
                area: "payments",
                to: "ana",
                until: later,
            },
            Action::Undelegate {
                delegation: &delegation,
            },
            Action::RuleAdd { rule: &r },
            Action::RuleEdit {
                before: &r,
                after: &moved,
            },
            Action::RuleRemove { rule: &r },
            Action::Apply { decision: &planned },
        ];
        let grounds = [
            ("priya", Some("owner of area payments")),
            ("cto", Some("owner of area root")),
            (
                "dana",
                Some("delegate for area payments (delegated by priya)"),
            ),
            ("ed", None),
            ("sib", None),
            ("stan", None),
        ];
        for action in &actions {
            for (who, ground) in grounds {
                let got = gate(who, *action);
                match ground {
                    Some(g) => {
                        let permit = got.unwrap_or_else(|r| panic!("{who}: {r}"));
                        assert_eq!(permit.ground.to_string(), g);
                        assert!(!permit.own_access);
                    }
                    None => {
                        let r = got.expect_err(who);
                        assert_eq!(
                            *r.why,
                            Why::NoAuthority {
                                owner: "priya".into()
                            },
                            "{who}"
                        );
                        let text = r.to_string();
                        assert!(
                            text.starts_with(&format!(
                                "refused: {who} has no authority over area payments to {}",
                                action.describe()
                            )),
                            "{text}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn one_table_says_which_verdict_answers_which_kind() {
        use Verdict::*;
        for kind in [Kind::Grant, Kind::Revoke, Kind::Review] {
            for verdict in [Accept, Revoke, Dismiss, Snooze] {
                let s = sug(kind, "ana", "payments");
                let action = Action::Decide {
                    verdict,
                    suggestion: &s,
                    note: Some("why"),
                    until: Some(now() + chrono::Duration::hours(1)),
                };
                let expected = verdict != Revoke || kind == Kind::Review;
                assert_eq!(fits(verdict, kind), expected);
                match gate("priya", action) {
                    Ok(_) => assert!(expected, "{verdict:?} on {kind:?} admitted"),
                    Err(r) => {
                        assert!(!expected, "{r}");
                        assert_eq!(*r.why, Why::DoesNotFit { verdict, kind });
                        assert_eq!(
                            r.to_string(),
                            format!(
                                "refused: priya cannot revoke {} ana payments:admin in area payments: \
                                 revoke does not answer a {} suggestion (a {} suggestion takes accept, \
                                 dismiss, snooze)",
                                kind.as_str(),
                                kind.as_str(),
                                kind.as_str()
                            )
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_dismissal_needs_a_reason_and_a_snooze_an_end_after_now() {
        let s = sug(Kind::Grant, "ana", "payments");
        for note in [None, Some("  ")] {
            let r = gate(
                "priya",
                Action::Decide {
                    verdict: Verdict::Dismiss,
                    suggestion: &s,
                    note,
                    until: None,
                },
            )
            .unwrap_err();
            assert_eq!(*r.why, Why::NeedsReason);
            assert!(r.to_string().contains("without a reason"), "{r}");
        }
        for until in [None, Some(now())] {
            let r = gate(
                "priya",
                Action::Decide {
                    verdict: Verdict::Snooze,
                    suggestion: &s,
                    note: None,
                    until,
                },
            )
            .unwrap_err();
            assert_eq!(*r.why, Why::NeedsEnd { until, now: now() });
            assert!(r.to_string().contains("needs an end after now"), "{r}");
        }
    }

    #[test]
    fn nobody_decides_about_their_own_access() {
        // dana, delegate of payments, about her own admin access to the ledger.
        let mine = sug(Kind::Grant, "dana", "ledger");
        let r = gate("dana", accept(&mine)).unwrap_err();
        let priya = Decider {
            person: "priya".into(),
            area: "ledger".into(),
        };
        assert_eq!(
            *r.why,
            Why::OwnAccess {
                entitlement: "ledger:admin".into(),
                decides: priya.clone(),
            }
        );
        assert_eq!(
            r.to_string(),
            "refused: dana cannot accept grant dana ledger:admin: it is about dana's own access \
             (ledger:admin, area ledger), and nobody decides about their own access; \
             priya (owner of area ledger) decides it"
        );
        // So is the owner of the area, when someone above owns more: priya
        // about herself goes to the root owner.
        let hers = sug(Kind::Review, "priya", "ledger");
        let r = gate("priya", accept(&hers)).unwrap_err();
        assert!(
            r.to_string()
                .ends_with("cto (owner of area root) decides it"),
            "{r}"
        );
        // Undoing a decision about oneself is deciding about it too.
        let d = decision("priya", Verdict::Accept, hers.clone());
        assert!(matches!(
            *gate("priya", Action::Undo { decision: &d })
                .unwrap_err()
                .why,
            Why::OwnAccess { .. }
        ));
        // Anyone else with authority may: priya and cto decide about dana.
        for who in ["priya", "cto"] {
            assert!(gate(who, accept(&mine)).is_ok(), "{who}");
        }
        assert!(gate("cto", accept(&hers)).is_ok());
    }

    #[test]
    fn the_root_owner_deciding_about_themselves_is_allowed_and_marked() {
        let s = sug(Kind::Grant, "cto", "lab-db");
        let p = gate("cto", accept(&s)).unwrap();
        assert!(p.own_access);
        assert_eq!(who_decides(&snap(), "cto", 5), None);
        // Below an area someone else owns, the root owner is refused too.
        let s = sug(Kind::Grant, "cto", "payments");
        let r = gate("cto", accept(&s)).unwrap_err();
        assert!(
            r.to_string()
                .ends_with("priya (owner of area payments) decides it"),
            "{r}"
        );
        // Applying a root owner's decision about themselves: allowed, marked.
        let d = decision("cto", Verdict::Accept, sug(Kind::Grant, "cto", "lab"));
        assert!(
            gate("cto", Action::Apply { decision: &d })
                .unwrap()
                .own_access
        );
    }

    #[test]
    fn may_decide_asks_all_but_the_reason_and_the_end() {
        let s = sug(Kind::Grant, "ana", "payments");
        let may = |who: &str, verdict| may_decide(&Actor::local(who), verdict, &s, &snap(), now());
        for verdict in [Verdict::Accept, Verdict::Dismiss, Verdict::Snooze] {
            assert!(may("dana", verdict).is_ok(), "{verdict:?}");
            assert!(matches!(
                *may("sib", verdict).unwrap_err().why,
                Why::NoAuthority { .. }
            ));
        }
        assert!(matches!(
            *may("priya", Verdict::Revoke).unwrap_err().why,
            Why::DoesNotFit { .. }
        ));
        let mine = sug(Kind::Grant, "dana", "payments");
        let r = may_decide(
            &Actor::local("dana"),
            Verdict::Dismiss,
            &mine,
            &snap(),
            now(),
        );
        assert!(matches!(*r.unwrap_err().why, Why::OwnAccess { .. }));
    }

    #[test]
    fn nobody_delegates_to_themselves() {
        let to_self = |who: &'static str, area: &'static str| Action::Delegate {
            area,
            to: who,
            until: None,
        };
        let r = gate("dana", to_self("dana", "payments")).unwrap_err();
        assert_eq!(
            r.to_string(),
            "refused: dana cannot delegate area payments to dana: nobody delegates to themselves; \
             priya (owner of area payments) decides who else decides for area payments"
        );
        let r = gate("priya", to_self("priya", "ledger")).unwrap_err();
        assert!(
            r.to_string()
                .ends_with("cto (owner of area root) decides who else decides for area ledger"),
            "{r}"
        );
        let r = gate("cto", to_self("cto", "lab")).unwrap_err();
        assert!(
            r.to_string()
                .ends_with("cto already decides for area lab as owner of area lab"),
            "{r}"
        );
        // Without authority, that is the reason given.
        let r = gate("stan", to_self("stan", "payments")).unwrap_err();
        assert!(matches!(*r.why, Why::NoAuthority { .. }), "{r}");
    }

    #[test]
    fn a_delegation_goes_to_someone_active_on_the_roster_and_ends_after_now() {
        let to = |to: &'static str, until: Option<Time>| Action::Delegate {
            area: "payments",
            to,
            until,
        };
        assert_eq!(
            *gate("priya", to("nobody", None)).unwrap_err().why,
            Why::UnknownPerson {
                person: "nobody".into()
            }
        );
        let r = gate("priya", to("gone", None)).unwrap_err();
        assert_eq!(
            r.to_string(),
            "refused: priya cannot delegate area payments to gone: gone has left the organization \
             (area payments)"
        );
        let r = gate("priya", to("ana", Some(now()))).unwrap_err();
        assert_eq!(
            *r.why,
            Why::EndsBeforeStart {
                until: now(),
                now: now()
            }
        );
        assert!(gate("priya", to("ana", None)).is_ok());
    }

    #[test]
    fn an_unknown_area_is_refused_by_name() {
        let s = sug(Kind::Grant, "ana", "nowhere");
        let r = gate("cto", accept(&s)).unwrap_err();
        assert_eq!(*r.why, Why::UnknownArea);
        assert_eq!(
            r.to_string(),
            "refused: cto cannot accept grant ana nowhere:admin: area nowhere is not in the organization"
        );
    }

    #[test]
    fn a_rule_edit_needs_authority_over_both_areas() {
        let (before, after) = (rule("r", "payments"), rule("r", "ops"));
        let edit = Action::RuleEdit {
            before: &before,
            after: &after,
        };
        let r = gate("priya", edit).unwrap_err();
        assert_eq!(r.area, "ops");
        assert!(
            r.to_string()
                .starts_with("refused: priya has no authority over area ops to change rule r"),
            "{r}"
        );
        assert!(gate("cto", edit).is_ok());
        assert!(gate("omar", edit).is_err());
    }

    #[test]
    fn apply_rechecks_the_decider_then_the_actor() {
        let s = sug(Kind::Grant, "ana", "payments");
        // ed's delegation ended: his decision is not carried out, by anyone.
        let d = decision("ed", Verdict::Accept, s.clone());
        for who in ["priya", "ed"] {
            let r = gate(who, Action::Apply { decision: &d }).unwrap_err();
            assert_eq!(
                *r.why,
                Why::DeciderLostAuthority {
                    decider: "ed".into()
                }
            );
            assert!(
                r.to_string()
                    .starts_with("refused: decider ed no longer has authority over area payments"),
                "{r}"
            );
        }
        // dana's decision stands; sib may not carry it out.
        let d = decision("dana", Verdict::Accept, s);
        assert!(gate("priya", Action::Apply { decision: &d }).is_ok());
        let r = gate("sib", Action::Apply { decision: &d }).unwrap_err();
        assert!(matches!(*r.why, Why::NoAuthority { .. }), "{r}");
        // A decision about the decider's own access, recorded before the
        // gate refused those, is not carried out.
        let d = decision(
            "dana",
            Verdict::Accept,
            sug(Kind::Grant, "dana", "payments"),
        );
        let r = gate("priya", Action::Apply { decision: &d }).unwrap_err();
        assert!(
            r.to_string().starts_with(
                "refused: decider dana decided about their own access (payments:admin, area payments)"
            ),
            "{r}"
        );
        assert!(
            r.to_string()
                .ends_with("priya (owner of area payments) decides it"),
            "{r}"
        );
    }
}
