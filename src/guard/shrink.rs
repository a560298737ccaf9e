//! The shrink guard: a sync that would drop more than half of what one
//! source provided of a kind, when that source had at least 10 of them, is
//! held back. A broken export, a truncated answer or an empty schedule must
//! never read as "everyone left".

use crate::model::Org;
use std::fmt;

/// What a source provides, counted for the guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ShrinkKind {
    People,
    Teams,
    /// A person listed as a member of a team (one per team and member).
    Memberships,
    Rotations,
    Shifts,
    Trainings,
    Areas,
    Entitlements,
    Grants,
    Rules,
}

impl ShrinkKind {
    pub const ALL: [ShrinkKind; 10] = [
        ShrinkKind::People,
        ShrinkKind::Teams,
        ShrinkKind::Memberships,
        ShrinkKind::Rotations,
        ShrinkKind::Shifts,
        ShrinkKind::Trainings,
        ShrinkKind::Areas,
        ShrinkKind::Entitlements,
        ShrinkKind::Grants,
        ShrinkKind::Rules,
    ];

    /// The key the cache keeps the count under.
    pub fn key(self) -> &'static str {
        match self {
            ShrinkKind::People => "people",
            ShrinkKind::Teams => "teams",
            ShrinkKind::Memberships => "memberships",
            ShrinkKind::Rotations => "rotations",
            ShrinkKind::Shifts => "shifts",
            ShrinkKind::Trainings => "trainings",
            ShrinkKind::Areas => "areas",
            ShrinkKind::Entitlements => "entitlements",
            ShrinkKind::Grants => "grants",
            ShrinkKind::Rules => "rules",
        }
    }

    pub fn from_key(key: &str) -> Option<ShrinkKind> {
        ShrinkKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// As a sentence says it.
    pub fn as_str(self) -> &'static str {
        match self {
            ShrinkKind::Memberships => "team memberships",
            other => other.key(),
        }
    }
}

/// How many of each kind one source provided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts([u64; 10]);

impl Counts {
    /// What `org` holds of each kind.
    pub fn of(org: &Org) -> Counts {
        let mut c = Counts::default();
        let n = |v: usize| v as u64;
        c.set(ShrinkKind::People, n(org.people.len()));
        c.set(ShrinkKind::Teams, n(org.teams.len()));
        let members = org.teams.iter().map(|t| t.members.len()).sum();
        c.set(ShrinkKind::Memberships, n(members));
        c.set(ShrinkKind::Rotations, n(org.rotations.len()));
        let shifts = org.rotations.iter().map(|r| r.shifts.len()).sum();
        c.set(ShrinkKind::Shifts, n(shifts));
        c.set(ShrinkKind::Trainings, n(org.trainings.len()));
        c.set(ShrinkKind::Areas, n(org.areas.len()));
        c.set(ShrinkKind::Entitlements, n(org.entitlements.len()));
        c.set(ShrinkKind::Grants, n(org.grants.len()));
        c.set(ShrinkKind::Rules, n(org.rules.len()));
        c
    }

    pub fn get(&self, kind: ShrinkKind) -> u64 {
        self.0[kind as usize]
    }

    pub fn set(&mut self, kind: ShrinkKind, n: u64) {
        self.0[kind as usize] = n;
    }

    /// Every kind with its count.
    pub fn iter(&self) -> impl Iterator<Item = (ShrinkKind, u64)> + '_ {
        ShrinkKind::ALL.into_iter().map(|k| (k, self.get(k)))
    }
}

/// When a drop is too much: more than `max_drop_percent` of a kind a source
/// had at least `min_count` of. Configurable per source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    pub max_drop_percent: u8,
    pub min_count: u64,
}

impl Default for Threshold {
    fn default() -> Threshold {
        Threshold {
            max_drop_percent: 50,
            min_count: 10,
        }
    }
}

/// One kind that shrank too much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shrink {
    pub kind: ShrinkKind,
    pub before: u64,
    pub after: u64,
}

impl Shrink {
    /// The drop in whole percent, rounded.
    pub fn percent(&self) -> u64 {
        let dropped = self.before.saturating_sub(self.after);
        (dropped * 100 + self.before / 2) / self.before.max(1)
    }
}

/// The kinds that shrank past `threshold` from `before` to `after`.
pub fn judge(before: &Counts, after: &Counts, threshold: Threshold) -> Vec<Shrink> {
    ShrinkKind::ALL
        .into_iter()
        .map(|kind| Shrink {
            kind,
            before: before.get(kind),
            after: after.get(kind),
        })
        .filter(|s| {
            s.before >= threshold.min_count.max(1)
                && s.after < s.before
                && (s.before - s.after) * 100 > s.before * u64::from(threshold.max_drop_percent)
        })
        .collect()
}

/// A sync refused by the guard: nothing of it was kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBack {
    pub source: String,
    pub threshold: Threshold,
    pub shrinks: Vec<Shrink>,
}

impl HeldBack {
    /// One line per kind: `people from files: 88 -> 0 (-100%)`.
    pub fn lines(&self) -> Vec<String> {
        self.shrinks
            .iter()
            .map(|s| {
                format!(
                    "{} from {}: {} -> {} (-{}%)",
                    s.kind.as_str(),
                    self.source,
                    s.before,
                    s.after,
                    s.percent()
                )
            })
            .collect()
    }
}

impl fmt::Display for HeldBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "sync of {} held back: it would drop more than {}% of what the source provided",
            self.source, self.threshold.max_drop_percent,
        )?;
        for line in self.lines() {
            writeln!(f, "  {line}")?;
        }
        write!(
            f,
            "the cache keeps its previous data; if the drop is real, sync again with --accept-shrink"
        )
    }
}

impl std::error::Error for HeldBack {}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(ShrinkKind, u64)]) -> Counts {
        let mut c = Counts::default();
        for (k, n) in pairs {
            c.set(*k, *n);
        }
        c
    }

    #[test]
    fn more_than_half_of_ten_or_more_is_held_back() {
        let t = Threshold::default();
        let before = counts(&[
            (ShrinkKind::People, 88),
            (ShrinkKind::Teams, 9),
            (ShrinkKind::Grants, 100),
        ]);
        let after = counts(&[(ShrinkKind::Teams, 0), (ShrinkKind::Grants, 50)]);
        let s = judge(&before, &after, t);
        assert_eq!(
            s,
            vec![Shrink {
                kind: ShrinkKind::People,
                before: 88,
                after: 0
            }],
            "9 teams are too few to judge; exactly half is allowed"
        );
        let held = HeldBack {
            source: "files".into(),
            threshold: t,
            shrinks: s,
        };
        assert_eq!(held.lines(), vec!["people from files: 88 -> 0 (-100%)"]);
        assert!(held.to_string().contains("--accept-shrink"));
        let after = counts(&[(ShrinkKind::Grants, 49), (ShrinkKind::People, 88)]);
        assert_eq!(judge(&before, &after, t).len(), 1);
        assert!(judge(&before, &before, t).is_empty());
        assert!(
            judge(&Counts::default(), &after, t).is_empty(),
            "growth is fine"
        );
    }

    #[test]
    fn the_threshold_is_per_source() {
        let before = counts(&[(ShrinkKind::Memberships, 20)]);
        let after = counts(&[(ShrinkKind::Memberships, 15)]);
        let strict = Threshold {
            max_drop_percent: 20,
            min_count: 10,
        };
        assert_eq!(judge(&before, &after, strict).len(), 1);
        assert!(judge(&before, &after, Threshold::default()).is_empty());
        let off = Threshold {
            max_drop_percent: 100,
            min_count: 10,
        };
        assert!(judge(&before, &Counts::default(), off).is_empty());
        let s = Shrink {
            kind: ShrinkKind::Memberships,
            before: 88,
            after: 40,
        };
        assert_eq!(s.percent(), 55);
        assert_eq!(s.kind.as_str(), "team memberships");
    }
}
