//! Times people type: `--now`, `--until`, `--since`.

use crate::model::Time;
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// A time a person typed that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error(
        "not a time: {0:?} (expected RFC 3339 like 2026-03-02T12:00:00Z, or a date like 2026-03-02)"
    )]
    NotATime(String),
    /// Neither a time nor a span after now.
    #[error(
        "not a time: {0:?} (expected RFC 3339 like 2026-03-02T12:00:00Z, or a date like 2026-03-02), or a span like 3d, 2w, 12h"
    )]
    NotATimeOrSpan(String),
    /// Not a rule's `lead` or `grace`.
    #[error("{0:?} is not a span like 30m, 1h, 90s or 2d")]
    NotASpan(String),
    /// A `lead` or `grace` longer than a year.
    #[error("{0:?} must be between 0 and a year")]
    SpanTooLong(String),
}

/// An RFC 3339 time (`2026-03-02T12:00:00Z`) or a date (`2026-03-02`, midnight UTC).
pub fn parse_time(text: &str) -> Result<Time, TimeError> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.to_utc());
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    Err(TimeError::NotATime(text.to_string()))
}

/// A time, or a span after `now`: `3d`, `2w`, `12h`.
pub fn parse_until(text: &str, now: Time) -> Result<Time, TimeError> {
    let t = text.trim();
    let span = t
        .strip_suffix('h')
        .map(|n| (n, Duration::hours(1)))
        .or_else(|| t.strip_suffix('d').map(|n| (n, Duration::days(1))))
        .or_else(|| t.strip_suffix('w').map(|n| (n, Duration::weeks(1))));
    if let Some((n, unit)) = span
        && let Ok(n) = n.parse::<i32>()
        && n > 0
    {
        return Ok(now + unit * n);
    }
    parse_time(t).map_err(|_| TimeError::NotATimeOrSpan(t.to_string()))
}

/// A span of time in whole seconds: `30m`, `15m`, `1h`, `90s`, `2d`, or
/// `0` (one number, one unit), as a rule's `lead` and `grace` say it.
pub fn parse_span(text: &str) -> Result<i64, TimeError> {
    let t = text.trim();
    let bad = || TimeError::NotASpan(text.to_string());
    if t == "0" {
        return Ok(0);
    }
    let unit = t.chars().last().ok_or_else(bad)?;
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    let number: i64 = t[..t.len() - 1].parse().map_err(|_| bad())?;
    if !(0..=366 * 86_400).contains(&(number.saturating_mul(secs))) {
        return Err(TimeError::SpanTooLong(text.to_string()));
    }
    Ok(number * secs)
}

/// Where `now` comes from: the system clock, read at the edge when an
/// action happens, or a time fixed by `--now` / `STEWARD_NOW` so that every
/// result is reproducible. Over SSH only the server's clock counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    System,
    Fixed(Time),
}

impl Clock {
    pub fn from_fixed(fixed: Option<Time>) -> Clock {
        fixed.map_or(Clock::System, Clock::Fixed)
    }

    /// The time now, to the whole second.
    pub fn now(&self) -> Time {
        match self {
            Clock::Fixed(t) => *t,
            Clock::System => {
                let now = Utc::now();
                now - Duration::nanoseconds(now.timestamp_subsec_nanos() as i64)
            }
        }
    }

    pub fn is_fixed(&self) -> bool {
        matches!(self, Clock::Fixed(_))
    }
}

/// The clock, read only at the edge (CLI and console), unless fixed.
pub fn now_or(fixed: Option<Time>) -> Time {
    Clock::from_fixed(fixed).now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_rule_timing_read_and_print_back() {
        assert_eq!(parse_span("30m"), Ok(1800));
        assert_eq!(parse_span(" 1h"), Ok(3600));
        assert_eq!(parse_span("90s"), Ok(90));
        assert_eq!(parse_span("0"), Ok(0));
        assert_eq!(parse_span("0m"), Ok(0));
        for bad in ["", "m", "30", "-5m", "1.5h", "30 minutes", "400d"] {
            assert!(parse_span(bad).is_err(), "{bad}");
        }
        for secs in [0, 90, 1800, 3600, 5400, 86_400] {
            assert_eq!(parse_span(&crate::policy::span(secs)), Ok(secs));
        }
    }

    #[test]
    fn parses_times_dates_and_spans() {
        let now = parse_time("2026-03-02T12:00:00Z").unwrap();
        assert_eq!(parse_time("2026-03-02T13:00:00+01:00").unwrap(), now);
        assert_eq!(
            parse_time("2026-03-02").unwrap().to_rfc3339(),
            "2026-03-02T00:00:00+00:00"
        );
        assert_eq!(parse_until("2w", now).unwrap(), now + Duration::weeks(2));
        assert_eq!(parse_until("3d", now).unwrap(), now + Duration::days(3));
        assert!(parse_until("0d", now).is_err());
        assert_eq!(
            parse_time(" tomorrow ").unwrap_err().to_string(),
            "not a time: \"tomorrow\" (expected RFC 3339 like 2026-03-02T12:00:00Z, or a date like 2026-03-02)"
        );
        assert_eq!(
            parse_until("soon", now),
            Err(TimeError::NotATimeOrSpan("soon".into()))
        );
    }

    #[test]
    fn a_fixed_clock_stays_and_the_system_clock_moves_in_whole_seconds() {
        let t = parse_time("2026-03-02T12:00:00Z").unwrap();
        assert_eq!(Clock::from_fixed(Some(t)).now(), t);
        assert!(Clock::from_fixed(Some(t)).is_fixed());
        let system = Clock::from_fixed(None);
        assert!(!system.is_fixed());
        let now = system.now();
        assert_eq!(now.timestamp_subsec_nanos(), 0);
        assert!(now > t);
    }
}
