//! Until when an evaluation holds by the clock alone: the first time at or
//! after it when a suggestion of an entitlement may read differently. The
//! times the engine compares `now` with, and nothing else: a grant's
//! expiry and the end of its area's review interval; a rule's rotation
//! shifts (their start less the rule's lead, their end plus its grace, and
//! both as they are, for the evidence of who is on call); the completion
//! and expiry of a training the rule requires; and, for every scope and
//! every rule's authority, a delegation's start and end.

use crate::model::{Audience, Rule, Time};
use crate::policy::Snapshot;
use rustc_hash::FxHashMap;

/// The boundaries of one snapshot after `from`: those of the trainings
/// and delegations worked out once, a rule's when an entitlement asks.
pub struct Boundaries {
    from: Time,
    /// By course: its first completion or expiry at or after `from`.
    courses: FxHashMap<String, Option<Time>>,
    scopes: Option<Time>,
}

/// The earliest of `a` and `b`.
fn earliest(a: Option<Time>, b: Option<Time>) -> Option<Time> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

impl Boundaries {
    pub fn new(snap: &Snapshot, from: Time) -> Boundaries {
        let ahead = |t: Time| (t >= from).then_some(t);
        let mut courses: FxHashMap<String, Option<Time>> = FxHashMap::default();
        for t in &snap.org.trainings {
            let slot = courses.entry(t.course.clone()).or_default();
            *slot = earliest(*slot, ahead(t.completed));
            *slot = earliest(*slot, t.expires.and_then(ahead));
        }
        let scopes = snap
            .org
            .delegations
            .iter()
            .flat_map(|d| [Some(d.since), d.until])
            .flatten()
            .filter(|&t| t >= from)
            .min();
        Boundaries {
            from,
            courses,
            scopes,
        }
    }

    /// When a delegation next starts or ends.
    pub fn scopes(&self) -> Option<Time> {
        self.scopes
    }

    /// When `rule`'s verdicts may next change: its rotation's shifts, its
    /// trainings.
    fn rule(&self, snap: &Snapshot, rule: &Rule) -> Option<Time> {
        let trained = rule
            .trained
            .iter()
            .filter_map(|c| self.courses.get(c.as_str()).copied().flatten())
            .min();
        earliest(trained, shifts(snap, rule, self.from))
    }

    /// When entitlement `e`'s suggestions may next change by the clock.
    pub fn of_entitlement(&self, snap: &Snapshot, e: usize) -> Option<Time> {
        let from = self.from;
        let review = snap
            .entitlement_area(e)
            .map(|a| chrono::Duration::days(snap.org.areas[a].review_days));
        let mut next: Option<Time> = None;
        for g in snap.grants_of_entitlement(e) {
            next = earliest(next, g.expires.filter(|&t| t >= from));
            if let Some(days) = review {
                next = earliest(next, Some(g.granted_at + days).filter(|&t| t >= from));
            }
            if let Some(rule) = g.basis.rule().and_then(|r| snap.rule(r)) {
                next = earliest(next, self.rule(snap, rule));
            }
        }
        for rule in snap.rules_granting(e) {
            next = earliest(next, self.rule(snap, rule));
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
