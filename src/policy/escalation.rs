//! Escalation: a suggestion left undecided longer than its area's
//! `escalate_days` goes to the owner of the parent area, one level further
//! each further `escalate_days`, stopping at the root. Pure: the caller says
//! since when each suggestion has been waiting.

use super::snapshot::Snapshot;
use crate::model::{Decision, DecisionState, Suggestion, Time, Verdict};

/// One suggestion waiting too long, and who it has reached.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Escalation {
    pub suggestion: Suggestion,
    /// Undecided since (first seen, or when a snooze or decision stopped holding it).
    pub waiting_since: Time,
    /// Whole days waited at `now`.
    pub age_days: i64,
    /// The owner of the suggestion's area, who has not decided.
    pub owner: String,
    /// Who it is escalated to now.
    pub to: String,
    /// The ancestor area `to` owns.
    pub to_area: String,
    /// 1: the first owner above; 2: the one above that; ...
    pub level: usize,
    /// The area's `escalate_days`.
    pub escalate_days: i64,
}

/// The owners above `area`, nearest first, each one different from the one
/// before it (an owner of both an area and its parent is one step), with the
/// area each owns. The first entry is the area's own owner.
pub fn owner_chain(snap: &Snapshot, area: usize) -> Vec<(String, String)> {
    let mut chain: Vec<(String, String)> = Vec::new();
    for a in snap.area_path(area) {
        let node = &snap.org.areas[a];
        if chain.last().is_none_or(|(owner, _)| *owner != node.owner) {
            chain.push((node.owner.clone(), node.id.clone()));
        }
    }
    chain
}

/// Since when `s` has been waiting for a decision: its first sighting, or
/// later, when a decision on the same facts stopped holding it (a snooze
/// ended, a decision was undone, an apply failed).
pub fn waiting_since(
    s: &Suggestion,
    first_seen: Option<Time>,
    decisions: &[Decision],
    now: Time,
) -> Option<Time> {
    let first = first_seen?;
    let reopened = decisions
        .iter()
        .filter(|d| {
            d.suggestion.person == s.person
                && d.suggestion.entitlement == s.entitlement
                && d.suggestion.fingerprint() == s.fingerprint()
                && !d.covers(s, now)
        })
        .map(|d| match (d.verdict, d.state) {
            (Verdict::Snooze, _) => d.until.unwrap_or(d.at),
            (_, DecisionState::Failed) => d.applied_at.unwrap_or(d.at),
            _ => d.at,
        })
        .filter(|t| *t <= now)
        .max();
    Some(reopened.map_or(first, |r| r.max(first)))
}

/// The escalations among `undecided` at `now`: each suggestion whose
/// `waiting_since` is at least its area's `escalate_days` ago (0 or less:
/// never), at the level it has reached. A suggestion in a root area, or whose
/// owners above are all the same person, does not escalate.
pub fn escalations(
    snap: &Snapshot,
    undecided: &[Suggestion],
    waiting_since: impl Fn(&Suggestion) -> Option<Time>,
    now: Time,
) -> Vec<Escalation> {
    let mut out = Vec::new();
    for s in undecided {
        let Some(area) = snap.area_idx(&s.area) else {
            continue;
        };
        let days = snap.org.areas[area].escalate_days;
        if days <= 0 {
            continue;
        }
        let Some(since) = waiting_since(s) else {
            continue;
        };
        let age_days = (now - since).num_days();
        let level = (age_days / days) as usize;
        if level == 0 {
            continue;
        }
        // Owners above who have left are passed over.
        let chain: Vec<(String, String)> = owner_chain(snap, area)
            .into_iter()
            .enumerate()
            .filter(|(i, (owner, _))| {
                *i == 0
                    || snap
                        .person(owner)
                        .is_some_and(|p| p.status == crate::model::Status::Active)
            })
            .map(|(_, link)| link)
            .collect();
        if chain.len() < 2 {
            continue;
        }
        let (to, to_area) = chain[level.min(chain.len() - 1)].clone();
        out.push(Escalation {
            suggestion: s.clone(),
            waiting_since: since,
            age_days,
            owner: chain[0].0.clone(),
            to,
            to_area,
            level: level.min(chain.len() - 1),
            escalate_days: days,
        });
    }
    out
}

/// The escalations that have reached `person`.
pub fn escalated_to<'e>(
    list: &'e [Escalation],
    person: &'e str,
) -> impl Iterator<Item = &'e Escalation> + 'e {
    list.iter().filter(move |e| e.to == person)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn area(id: &str, parent: Option<&str>, owner: &str, days: i64) -> Area {
        Area {
            id: id.into(),
            name: id.into(),
            parent: parent.map(str::to_string),
            owner: owner.into(),
            tags: vec![],
            notes: String::new(),
            review_days: 90,
            escalate_days: days,
            max_auto_changes: None,
        }
    }

    fn sug(area: &str) -> Suggestion {
        Suggestion {
            kind: Kind::Revoke,
            person: "bo".into(),
            entitlement: format!("{area}:read"),
            area: area.into(),
            reason: Reason::NotMember,
            evidence: "not a member".into(),
            rule: None,
        }
    }

    fn t(s: &str) -> Time {
        s.parse().unwrap()
    }

    fn snap() -> Snapshot {
        Snapshot::new(Org {
            areas: vec![
                area("root", None, "cto", 14),
                area("pay", Some("root"), "priya", 14),
                area("pay-db", Some("pay"), "omar", 7),
                area("pay-cache", Some("pay"), "priya", 7),
                area("quiet", Some("root"), "lee", 0),
                area("legacy", Some("root"), "gone", 7),
                area("legacy-db", Some("legacy"), "omar", 7),
            ],
            people: ["cto", "priya", "omar", "lee", "gone"]
                .map(|id| Person {
                    id: id.into(),
                    name: id.into(),
                    email: String::new(),
                    manager: None,
                    status: if id == "gone" {
                        Status::Left
                    } else {
                        Status::Active
                    },
                    ..Default::default()
                })
                .to_vec(),
            ..Org::default()
        })
    }

    #[test]
    fn moves_one_owner_up_per_period_and_stops_at_the_root() {
        let snap = snap();
        let since = t("2026-03-01T00:00:00Z");
        let at = |days: i64| since + chrono::Duration::days(days);
        let list = [sug("pay-db")];
        let esc = |now| escalations(&snap, &list, |_| Some(since), now);
        assert!(esc(at(6)).is_empty());
        let e = esc(at(7));
        assert_eq!(
            (e[0].to.as_str(), e[0].level, e[0].owner.as_str()),
            ("priya", 1, "omar")
        );
        assert_eq!(e[0].age_days, 7);
        assert_eq!(esc(at(14))[0].to, "cto");
        assert_eq!(esc(at(14))[0].to_area, "root");
        assert_eq!(esc(at(70))[0].to, "cto");
        assert_eq!(esc(at(70))[0].level, 2);
    }

    #[test]
    fn same_owner_steps_are_skipped_and_roots_and_zero_days_never_escalate() {
        let snap = snap();
        let since = t("2026-03-01T00:00:00Z");
        let now = since + chrono::Duration::days(8);
        let list = [sug("pay-cache"), sug("root"), sug("quiet")];
        let e = escalations(&snap, &list, |_| Some(since), now);
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].to.as_str(), e[0].to_area.as_str()), ("cto", "root"));
        assert!(escalations(&snap, &list, |_| None, now).is_empty());
        assert_eq!(escalated_to(&e, "cto").count(), 1);
        let e = escalations(&snap, &[sug("legacy-db")], |_| Some(since), now);
        assert_eq!(
            (e[0].to.as_str(), e[0].owner.as_str()),
            ("cto", "omar"),
            "an owner above who has left is passed over"
        );
    }

    #[test]
    fn a_snooze_that_ended_restarts_the_wait() {
        let s = sug("pay-db");
        let first = t("2026-03-01T00:00:00Z");
        let until = t("2026-03-10T00:00:00Z");
        let d = Decision {
            id: 1,
            at: t("2026-03-02T00:00:00Z"),
            decider: "omar".into(),
            verdict: Verdict::Snooze,
            suggestion: s.clone(),
            note: None,
            until: Some(until),
            state: DecisionState::Held,
            applied_at: None,
            result: None,
            origin: Origin::Person,
        };
        let now = t("2026-03-12T00:00:00Z");
        assert_eq!(
            waiting_since(&s, Some(first), std::slice::from_ref(&d), now),
            Some(until)
        );
        assert_eq!(waiting_since(&s, Some(first), &[], now), Some(first));
        assert_eq!(waiting_since(&s, None, &[d], now), None);
    }
}
