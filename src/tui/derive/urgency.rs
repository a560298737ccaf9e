//! How urgent each suggestion is, and the order the queues show them in.

use super::super::data::Data;
use super::index::Index;
use super::readiness::HORIZON_DAYS;
use crate::model::*;
use crate::policy::Snapshot;
use chrono::Duration;
use rustc_hash::FxHashMap;

/// A suggestion's place in the queue: its class first (smaller is more
/// urgent), then a time that orders it within the class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Urgency {
    pub class: u8,
    /// Seconds since the epoch (a grant's start, a shift's start, when
    /// escalation began), or 0.
    pub at: i64,
}

impl Urgency {
    const fn new(class: u8, at: i64) -> Urgency {
        Urgency { class, at }
    }
}

/// Smaller is more urgent: people who left, other revocations, grants for
/// someone on call now or whose shift starts soon (sooner first), other
/// grants, reviews. The second part orders within a class. Class 1 is left
/// for suggestions escalated to the person at the keyboard (see `all`).
pub fn urgency(snap: &Snapshot, s: &Suggestion, held: Option<Time>, now: Time) -> Urgency {
    let held_since = || held.map_or(0, |t| t.timestamp());
    match (s.kind, s.reason) {
        (_, Reason::PersonLeft) => Urgency::new(0, held_since()),
        (Kind::Revoke, _) => Urgency::new(2, held_since()),
        (Kind::Grant, Reason::OnCall) => Urgency::new(3, 0),
        (Kind::Grant, _) => match next_shift_for_rule(snap, s, now) {
            Some(start) if start - now <= Duration::days(HORIZON_DAYS) => {
                Urgency::new(4, start.timestamp())
            }
            _ => Urgency::new(5, 0),
        },
        (Kind::Review, _) => Urgency::new(6, held_since()),
    }
}

/// Every suggestion's urgency at `now`; escalated to `me` comes right after
/// people who left, the longest waiting first.
pub fn all(data: &Data, index: &Index, esc_of: &[Option<usize>], now: Time) -> Vec<Urgency> {
    data.suggestions
        .iter()
        .zip(&index.held_since)
        .zip(esc_of)
        .map(|((s, held), esc)| {
            let to_me = esc
                .map(|e| &data.escalations[e])
                .filter(|e| e.to == data.me);
            match to_me {
                Some(e) if s.reason != Reason::PersonLeft => {
                    Urgency::new(1, e.waiting_since.timestamp())
                }
                _ => urgency(&data.snap, s, *held, now),
            }
        })
        .collect()
}

/// Every suggestion, most urgent first (ties by person, then entitlement).
pub fn order(data: &Data, urgency: &[Urgency]) -> Vec<usize> {
    let sug = &data.suggestions;
    let mut v: Vec<usize> = (0..sug.len()).collect();
    v.sort_by(|&a, &b| {
        urgency[a]
            .cmp(&urgency[b])
            .then_with(|| sug[a].person.cmp(&sug[b].person))
            .then_with(|| sug[a].entitlement.cmp(&sug[b].entitlement))
    });
    v
}

/// When the person's next shift in the suggestion's rule's rotation starts.
pub fn next_shift_for_rule(snap: &Snapshot, s: &Suggestion, now: Time) -> Option<Time> {
    let rule = snap.rule(s.rule.as_deref()?)?;
    let Audience::Rotation(r) = &rule.audience else {
        return None;
    };
    snap.rotation(r)?
        .shifts
        .iter()
        .filter(|sh| sh.person == s.person && sh.end > now)
        .map(|sh| sh.start)
        .min()
}

/// Each suggestion's escalation (index into `data.escalations`), by
/// (person, entitlement, fingerprint).
pub fn escalation_index(data: &Data) -> Vec<Option<usize>> {
    let by_key: FxHashMap<(&str, &str, String), usize> = data
        .escalations
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let s = &e.suggestion;
            (
                (s.person.as_str(), s.entitlement.as_str(), s.fingerprint()),
                i,
            )
        })
        .collect();
    if by_key.is_empty() {
        return vec![None; data.suggestions.len()];
    }
    data.suggestions
        .iter()
        .map(|s| {
            by_key
                .get(&(s.person.as_str(), s.entitlement.as_str(), s.fingerprint()))
                .copied()
        })
        .collect()
}
