//! The policy engine: pure functions of a snapshot and `now`. No I/O, no clock.

pub mod authority;
pub mod check;
pub mod escalation;
pub mod evaluate;
pub mod explain;
pub mod gate;
pub mod qualify;
pub mod snapshot;

pub use authority::{Authority, Scope, authority};
pub use evaluate::suggestions;
pub use snapshot::Snapshot;

use crate::model::Time;

/// A day, as evidence sentences print it: `2026-03-02`.
pub fn day(t: Time) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// A minute, as evidence sentences print it: `2026-03-02 09:00Z`.
pub fn minute(t: Time) -> String {
    t.format("%Y-%m-%d %H:%MZ").to_string()
}

#[cfg(test)]
mod tests;

/// The suggestions no decision holds out of the queue at `now`.
pub fn undecided(
    list: Vec<crate::model::Suggestion>,
    decisions: &[crate::model::Decision],
    now: Time,
) -> Vec<crate::model::Suggestion> {
    list.into_iter()
        .filter(|s| !decisions.iter().any(|d| d.covers(s, now)))
        .collect()
}
