//! The policy engine: pure functions of a snapshot and `now`. No I/O, no clock.

pub mod authority;
pub mod auto;
pub mod check;
pub mod escalation;
pub mod evaluate;
pub mod explain;
pub mod gate;
pub mod pairs;
pub mod qualify;
pub mod snapshot;

pub use authority::{Authority, Scope, authority};
pub use evaluate::{Audiences, Evaluation, listed_order, suggestions};
pub use pairs::suggestions_for;
pub use snapshot::{Placed, Snapshot};

use crate::model::Time;

/// A day, as evidence sentences print it: `2026-03-02`.
pub fn day(t: Time) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// A minute, as evidence sentences print it: `2026-03-02 09:00Z`.
pub fn minute(t: Time) -> String {
    t.format("%Y-%m-%d %H:%MZ").to_string()
}

/// A span in seconds as a rule's `lead` and `grace` say it: `30m`, `1h`,
/// `90s`, `2d` (`crate::time::parse_span` reads it back).
pub fn span(secs: i64) -> String {
    match secs {
        0 => "0".into(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests;

/// The suggestions no decision holds out of the queue at `now`.
pub fn undecided(
    list: Vec<crate::model::Suggestion>,
    decisions: &[crate::model::Decision],
    now: Time,
) -> Vec<crate::model::Suggestion> {
    let decided = Decided::new(decisions);
    list.into_iter()
        .filter(|s| !decided.holds(s, now))
        .collect()
}

/// Decisions by the (person, entitlement) they are about, to ask of many
/// suggestions whether a decision holds them out of the queue.
pub struct Decided<'d>(rustc_hash::FxHashMap<(&'d str, &'d str), Vec<&'d crate::model::Decision>>);

impl<'d> Decided<'d> {
    pub fn new(decisions: &'d [crate::model::Decision]) -> Decided<'d> {
        let mut by: rustc_hash::FxHashMap<(&str, &str), Vec<&crate::model::Decision>> =
            Default::default();
        for d in decisions {
            by.entry((&d.suggestion.person, &d.suggestion.entitlement))
                .or_default()
                .push(d);
        }
        Decided(by)
    }

    /// Does a decision hold `s` out of the queue at `now`?
    pub fn holds(&self, s: &crate::model::Suggestion, now: Time) -> bool {
        self.0
            .get(&(s.person.as_str(), s.entitlement.as_str()))
            .is_some_and(|ds| ds.iter().any(|d| d.covers(s, now)))
    }
}
