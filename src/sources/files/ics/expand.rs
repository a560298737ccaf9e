//! Recurrence: an RRULE expanded by the `rrule` crate on the wall clock of
//! the event's zone (RFC 5545 computes recurrences in local time), each
//! local start then read in that zone. UNTIL is compared on the same wall
//! clock.

use super::IcsError;
use chrono::{NaiveDateTime, TimeZone};
use rrule::{RRule, Unvalidated};

/// The RRULE without its UNTIL part, and the UNTIL value.
fn split_until(rule: &str) -> (String, Option<String>) {
    let mut until = None;
    let rest: Vec<&str> = rule
        .trim()
        .split(';')
        .filter(|part| match part.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("UNTIL") => {
                until = Some(v.trim().to_string());
                false
            }
            _ => !part.trim().is_empty(),
        })
        .collect();
    (rest.join(";"), until)
}

/// The local starts `rule` gives from `start` (itself included, as RFC 5545
/// counts it first), before `stop`, at most `cap` of them; and whether the
/// cap cut it short. `until_local` reads an UNTIL value as a local time.
pub fn rule_starts(
    rule: &str,
    start: NaiveDateTime,
    until_local: &dyn Fn(&str) -> Result<NaiveDateTime, IcsError>,
    stop: NaiveDateTime,
    cap: usize,
) -> Result<(Vec<NaiveDateTime>, bool), IcsError> {
    let (rest, until) = split_until(rule);
    let bad = |source| IcsError::Rule {
        rule: rule.to_string(),
        source: Box::new(source),
    };
    let mut parsed: RRule<Unvalidated> = rest.parse().map_err(bad)?;
    let floating = |t: NaiveDateTime| rrule::Tz::UTC.from_utc_datetime(&t);
    let until = until.map(|u| until_local(&u)).transpose()?;
    if let Some(u) = until {
        if u < start {
            // Nothing repeats; the event itself still happens.
            return Ok((if start < stop { vec![start] } else { vec![] }, false));
        }
        parsed = parsed.until(floating(u));
    }
    let set = parsed.build(floating(start)).map_err(bad)?.limit();
    let mut out = Vec::new();
    if start < stop {
        out.push(start);
    }
    for t in &set {
        let local = t.naive_utc();
        if local >= stop {
            break;
        }
        if local != start {
            out.push(local);
        }
        if out.len() >= cap {
            return Ok((out, true));
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok((out, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn plain(u: &str) -> Result<NaiveDateTime, IcsError> {
        NaiveDateTime::parse_from_str(u.trim_end_matches('Z'), "%Y%m%dT%H%M%S")
            .map_err(|_| IcsError::RuleUntil(u.to_string()))
    }

    #[test]
    fn weekly_with_until_count_and_setpos() {
        let (s, capped) = rule_starts(
            "FREQ=WEEKLY;UNTIL=20260323T090000Z;BYDAY=MO",
            t("2026-03-02 09:00"),
            &plain,
            t("2027-01-01 00:00"),
            100,
        )
        .unwrap();
        assert!(!capped);
        assert_eq!(
            s,
            vec![
                t("2026-03-02 09:00"),
                t("2026-03-09 09:00"),
                t("2026-03-16 09:00"),
                t("2026-03-23 09:00")
            ]
        );
        // The last weekday of each month, three times.
        let (s, _) = rule_starts(
            "FREQ=MONTHLY;COUNT=3;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            t("2026-01-30 09:00"),
            &plain,
            t("2027-01-01 00:00"),
            100,
        )
        .unwrap();
        assert_eq!(
            s,
            vec![
                t("2026-01-30 09:00"),
                t("2026-02-27 09:00"),
                t("2026-03-31 09:00")
            ]
        );
    }

    #[test]
    fn a_start_off_the_rule_still_counts_and_the_cap_holds() {
        let (s, _) = rule_starts(
            "FREQ=WEEKLY;BYDAY=MO;COUNT=2",
            t("2026-03-03 09:00"),
            &plain,
            t("2027-01-01 00:00"),
            100,
        )
        .unwrap();
        assert_eq!(
            s,
            vec![
                t("2026-03-03 09:00"),
                t("2026-03-09 09:00"),
                t("2026-03-16 09:00")
            ]
        );
        let (s, capped) = rule_starts(
            "FREQ=SECONDLY",
            t("2026-03-03 09:00"),
            &plain,
            t("2027-01-01 00:00"),
            50,
        )
        .unwrap();
        assert!(capped);
        assert_eq!(s.len(), 50);
        assert!(
            rule_starts(
                "FREQ=FORTNIGHTLY",
                t("2026-03-03 09:00"),
                &plain,
                t("2027-01-01 00:00"),
                5
            )
            .unwrap_err()
            .to_string()
            .contains("FORTNIGHTLY")
        );
    }
}
