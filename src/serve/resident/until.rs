//! Until when an evaluation holds by the clock alone: the first time at or
//! after it when a suggestion of an entitlement may read differently. The
//! times the engine compares `now` with, and nothing else: a grant's
//! expiry and the end of its area's review interval; a rule's rotation
//! shifts (their start less the rule's lead, their end plus its grace, and
//! both as they are, for the evidence of who is on call); the completion
//! and expiry of a training the rule requires; and, for every scope and
//! every rule's authority, a delegation's start and end.

use crate::model::{Audience, Grant, Rule, Time};
use crate::policy::Snapshot;
use rustc_hash::FxHashMap;

/// The times of one organization's trainings, worked out once for as long
/// as its trainings stay as they are; a rule's boundaries when an
/// entitlement asks, from whatever time it asks.
pub struct Boundaries {
    /// By course: every completion and expiry, sorted.
    courses: FxHashMap<String, Vec<Time>>,
}

/// The earliest of `a` and `b`.
fn earliest(a: Option<Time>, b: Option<Time>) -> Option<Time> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// The first of the sorted `times` at or after `from`.
fn first_from(times: &[Time], from: Time) -> Option<Time> {
    times.get(times.partition_point(|&t| t < from)).copied()
}

impl Boundaries {
    pub fn new(snap: &Snapshot) -> Boundaries {
        let mut courses: FxHashMap<String, Vec<Time>> = FxHashMap::default();
        for t in &snap.org.trainings {
            let times = courses.entry(t.course.clone()).or_default();
            times.push(t.completed);
            times.extend(t.expires);
        }
        for times in courses.values_mut() {
            times.sort_unstable();
        }
        Boundaries { courses }
    }

    /// When a delegation of `snap` next starts or ends, at or after `from`.
    pub fn scopes(snap: &Snapshot, from: Time) -> Option<Time> {
        snap.org
            .delegations
            .iter()
            .flat_map(|d| [Some(d.since), d.until])
            .flatten()
            .filter(|&t| t >= from)
            .min()
    }

    /// When `rule`'s verdicts may next change after `from`: its rotation's
    /// shifts, its trainings.
    fn rule(&self, snap: &Snapshot, rule: &Rule, from: Time) -> Option<Time> {
        let trained = rule
            .trained
            .iter()
            .filter_map(|c| first_from(self.courses.get(c.as_str())?, from))
            .min();
        earliest(trained, shifts(snap, rule, from))
    }

    /// When entitlement `e`'s suggestions may next change by the clock.
    pub fn of_entitlement(&self, snap: &Snapshot, e: usize, from: Time) -> Option<Time> {
        let mut next = self.of_grants(snap, e, snap.grants_of_entitlement(e), from);
        for rule in snap.rules_granting(e) {
            next = earliest(next, self.rule(snap, rule, from));
        }
        next
    }

    /// When the suggestions of entitlement `e` may next change by the
    /// clock for its grants `grants` alone (their expiry, their review
    /// falling due, the rules they are based on): with those of the rules
    /// granting `e`, [`Boundaries::of_entitlement`].
    pub fn of_grants<'g>(
        &self,
        snap: &Snapshot,
        e: usize,
        grants: impl IntoIterator<Item = &'g Grant>,
        from: Time,
    ) -> Option<Time> {
        let review = snap
            .entitlement_area(e)
            .map(|a| chrono::Duration::days(snap.org.areas[a].review_days));
        let mut next: Option<Time> = None;
        for g in grants {
            next = earliest(next, g.expires.filter(|&t| t >= from));
            if let Some(days) = review {
                next = earliest(next, Some(g.granted_at + days).filter(|&t| t >= from));
            }
            if let Some(rule) = g.basis.rule().and_then(|r| snap.rule(r)) {
                next = earliest(next, self.rule(snap, rule, from));
            }
        }
        next
    }
}

/// The first shift boundary of `rule`'s rotation at or after `from`.
fn shifts(snap: &Snapshot, rule: &Rule, from: Time) -> Option<Time> {
    let Audience::Rotation(r) = &rule.audience else {
        return None;
    };
    let lead = chrono::Duration::seconds(rule.lead_secs);
    let grace = chrono::Duration::seconds(rule.grace_secs);
    snap.rotation(r)?
        .shifts
        .iter()
        .flat_map(|s| [s.start - lead, s.start, s.end, s.end + grace])
        .filter(|&t| t >= from)
        .min()
}
