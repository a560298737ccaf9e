//! Times as the cache keeps them: whole seconds since the Unix epoch.

use crate::model::Time;
use chrono::TimeZone;

pub(crate) fn secs(t: Time) -> i64 {
    t.timestamp()
}

/// The time of `s` seconds; the epoch itself for a value no time has.
pub(crate) fn from_secs(s: i64) -> Time {
    chrono::Utc.timestamp_opt(s, 0).single().unwrap_or_default()
}
