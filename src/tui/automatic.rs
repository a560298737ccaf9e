//! What the automatic rules did and hold back in the owner's scope, as the
//! console shows it: the changes they carried out since the owner last
//! looked (the view `U`, and a line under the header), and the areas whose
//! changes a guard holds back (a banner there). Read with the rest of the
//! data; everything after that is plain data.

use crate::model::{Decision, Origin, Time};
use crate::policy::{Scope, Snapshot};
use crate::store::{HeldBack, Store};
use anyhow::Result;

/// How far before the owner last looked the view still lists what was
/// seen then (so it is not empty right after a look).
pub const SEEN_KEPT_DAYS: i64 = 7;

/// The automatic rules' part of the data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Automatic {
    /// When the owner last looked (opened the view), if ever.
    pub seen: Option<Time>,
    /// Changes automatic rules carried out in scope, oldest first: every
    /// one after `seen`, and those of the week before it.
    pub applied: Vec<Decision>,
    /// Areas in scope whose automatic changes the last run held back.
    pub held: Vec<HeldBack>,
}

impl Automatic {
    /// `me`'s part of what the store has, its text as the console may
    /// draw it.
    pub fn load(store: &Store, me: &str, snap: &Snapshot, scope: &Scope) -> Result<Automatic> {
        let seen = store.automatic_seen(me)?;
        let from = seen.map(|t| t - chrono::Duration::days(SEEN_KEPT_DAYS));
        let in_scope = |area: &str| snap.area_idx(area).is_some_and(|a| scope.contains(a));
        let mut applied: Vec<Decision> = store
            .automatic_applied_since(from)?
            .into_iter()
            .filter(|d| matches!(d.origin, Origin::Rule(_)) && in_scope(&d.suggestion.area))
            .collect();
        let mut held: Vec<HeldBack> = store
            .held_back()?
            .into_iter()
            .filter(|h| in_scope(&h.area))
            .collect();
        for d in &mut applied {
            safe(&mut d.suggestion.evidence);
            d.result.iter_mut().for_each(safe);
        }
        for h in &mut held {
            safe(&mut h.reason);
            h.changes.iter_mut().for_each(safe);
        }
        Ok(Automatic {
            seen,
            applied,
            held,
        })
    }

    /// The changes as the view lists them: newest first.
    pub fn shown(&self) -> impl Iterator<Item = &Decision> {
        self.applied.iter().rev()
    }

    /// Whether change `d` was carried out after the owner last looked.
    pub fn is_new(&self, d: &Decision) -> bool {
        new_after(self.seen, d)
    }

    /// How many changes were carried out since the owner last looked.
    pub fn unseen(&self) -> usize {
        self.applied.iter().filter(|d| self.is_new(d)).count()
    }

    /// When the newest change shown was carried out, if it is newer than
    /// the last look: what opening the view marks as seen.
    pub fn newest_unseen(&self) -> Option<Time> {
        self.applied
            .iter()
            .filter(|d| self.is_new(d))
            .filter_map(|d| d.applied_at)
            .max()
    }

    /// The lines under the header: how many changes were applied since the
    /// last look, and the guard's banner. Each `(text, alarm)`.
    pub fn notices(&self) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let n = self.unseen();
        if n > 0 {
            out.push((
                format!("{n} applied by your rules since you last looked (U shows them)"),
                false,
            ));
        }
        if let Some(banner) = self.banner() {
            out.push((banner, true));
        }
        out
    }

    /// The guard's banner: how many changes are held in which area of
    /// scope, and how they go ahead (`U` has each change and the reasons).
    pub fn banner(&self) -> Option<String> {
        if self.held.is_empty() {
            return None;
        }
        let list = |why: &str| -> Vec<(String, usize)> {
            self.held
                .iter()
                .filter(|h| (h.why == "too_many") == (why == "too_many"))
                .map(|h| (h.area.clone(), h.changes.len()))
                .collect()
        };
        let counts = |l: &[(String, usize)]| {
            l.iter()
                .map(|(a, n)| format!("{n} in {a}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        let over = list("too_many");
        if let Some((area, _)) = over.first() {
            let area = if over.len() == 1 {
                area.as_str()
            } else {
                "AREA"
            };
            parts.push(format!(
                "{} over max_auto_changes: steward reconcile --release {area}",
                counts(&over)
            ));
        }
        let stale = list("stale");
        if !stale.is_empty() {
            parts.push(format!("{} wait on a source not current", counts(&stale)));
        }
        Some(format!("{} (U: details)", parts.join("; ")))
    }
}

/// Whether `d` was carried out after `seen` (everything is, never seen).
pub fn new_after(seen: Option<Time>, d: &Decision) -> bool {
    match (seen, d.applied_at) {
        (None, _) => true,
        (Some(s), Some(at)) => at > s,
        (Some(_), None) => false,
    }
}

fn safe(t: &mut String) {
    if let std::borrow::Cow::Owned(s) = crate::safe_text::terminal_line(t) {
        *t = s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Reason, Suggestion};

    fn at(s: &str) -> Time {
        s.parse().unwrap()
    }

    fn applied(id: i64, when: &str) -> Decision {
        Decision {
            id,
            at: at(when),
            decider: "priya".into(),
            verdict: crate::model::Verdict::Accept,
            suggestion: Suggestion {
                kind: Kind::Grant,
                person: "ana".into(),
                entitlement: "db:read".into(),
                area: "db".into(),
                reason: Reason::Qualifies,
                evidence: "member of team api".into(),
                rule: Some("r".into()),
            },
            note: None,
            until: None,
            state: crate::model::DecisionState::Applied,
            applied_at: Some(at(when)),
            result: None,
            origin: Origin::Rule("r".into()),
        }
    }

    fn held(area: &str, why: &str, n: usize) -> HeldBack {
        HeldBack {
            area: area.into(),
            why: why.into(),
            reason: String::new(),
            since: at("2026-03-01T00:00:00Z"),
            at: at("2026-03-01T00:00:00Z"),
            changes: vec!["grant ana -> db:read (rule r)".into(); n],
        }
    }

    /// Only what came after the last look counts, and the look moves to
    /// the newest of them.
    #[test]
    fn new_is_what_came_after_the_last_look() {
        let mut a = Automatic {
            seen: Some(at("2026-03-02T10:00:00Z")),
            applied: vec![
                applied(1, "2026-03-02T09:00:00Z"),
                applied(2, "2026-03-02T11:00:00Z"),
                applied(3, "2026-03-02T12:00:00Z"),
            ],
            held: Vec::new(),
        };
        assert_eq!(a.unseen(), 2);
        assert_eq!(a.newest_unseen(), Some(at("2026-03-02T12:00:00Z")));
        assert_eq!(
            a.notices(),
            [(
                "2 applied by your rules since you last looked (U shows them)".to_string(),
                false
            )]
        );
        assert_eq!(a.shown().map(|d| d.id).collect::<Vec<_>>(), [3, 2, 1]);
        a.seen = None;
        assert_eq!(a.unseen(), 3, "never looked: everything is new");
        a.seen = Some(at("2026-03-02T12:00:00Z"));
        assert_eq!(a.unseen(), 0);
        assert!(a.notices().is_empty(), "nothing to say");
    }

    /// The banner names each held area and how many, how one area over
    /// its max is released, and what waits on a source.
    #[test]
    fn the_banner_says_where_how_many_and_how_to_release() {
        let mut a = Automatic {
            held: vec![held("ops", "too_many", 25)],
            ..Automatic::default()
        };
        assert_eq!(
            a.banner().unwrap(),
            "25 in ops over max_auto_changes: steward reconcile --release ops (U: details)"
        );
        a.held.push(held("db", "too_many", 21));
        a.held.push(held("web", "stale", 3));
        assert_eq!(
            a.banner().unwrap(),
            "25 in ops, 21 in db over max_auto_changes: steward reconcile --release AREA; 3 in web wait on a source not current (U: details)"
        );
        assert_eq!(a.notices().len(), 1);
        assert!(a.notices()[0].1, "the banner is an alarm");
    }
}
