//! Time zones of an iCalendar document. A TZID names an IANA zone
//! (`Europe/Berlin`, also behind a `/mozilla.org/.../` prefix), a Windows
//! zone as Outlook writes them (`W. Europe Standard Time`, mapped by CLDR's
//! windowsZones table through the `windows-timezones` crate), or else the
//! document's own VTIMEZONE, whose STANDARD/DAYLIGHT rules are expanded.
//! That order is the one other iCalendar readers follow too.
//!
//! Local times that occur twice (the hour after a fall-back) mean the first
//! one; local times that do not occur (a spring-forward gap) are read with
//! the offset before the gap (RFC 5545 3.3.5).

use super::IcsError;
use super::expand::rule_starts;
use crate::model::Time;
use chrono::{Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use icalendar::parser::Component;
use std::str::FromStr;
use std::sync::Arc;

/// A zone local times are read in.
#[derive(Debug, Clone)]
pub enum Zone {
    Utc,
    Iana(chrono_tz::Tz),
    Defined(Arc<Defined>),
}

/// A zone given by a VTIMEZONE: its offset changes, in order.
#[derive(Debug)]
pub struct Defined {
    name: String,
    /// Offset (seconds east of UTC) before the first change.
    initial: i32,
    /// Each change: from this instant on, this offset.
    changes: Vec<(Time, i32)>,
}

impl Zone {
    /// An IANA or Windows zone name, or `None`.
    pub fn named(name: &str) -> Option<Zone> {
        let name = name.trim().trim_matches('"').trim();
        if ["UTC", "Z", "GMT", "Etc/UTC", "Etc/GMT"]
            .iter()
            .any(|u| u.eq_ignore_ascii_case(name))
        {
            return Some(Zone::Utc);
        }
        if let Ok(tz) = chrono_tz::Tz::from_str(name) {
            return Some(Zone::Iana(tz));
        }
        // `/mozilla.org/20070129_1/Europe/Berlin` and the like.
        if name.starts_with('/') {
            let mut rest = name.trim_start_matches('/');
            while let Some((_, tail)) = rest.split_once('/') {
                if let Ok(tz) = chrono_tz::Tz::from_str(tail) {
                    return Some(Zone::Iana(tz));
                }
                rest = tail;
            }
        }
        let windows = windows_timezones::WindowsTimezone::from_str(name).ok()?;
        chrono_tz::Tz::from_str(windows.tzdb_id())
            .ok()
            .map(Zone::Iana)
    }

    pub fn name(&self) -> String {
        match self {
            Zone::Utc => "UTC".into(),
            Zone::Iana(tz) => tz.name().into(),
            Zone::Defined(d) => d.name.clone(),
        }
    }

    /// The instant a local time stands for here.
    pub fn instant(&self, local: NaiveDateTime) -> Time {
        match self {
            Zone::Utc => Utc.from_utc_datetime(&local),
            Zone::Iana(tz) => match tz.from_local_datetime(&local) {
                LocalResult::Single(t) => t.to_utc(),
                LocalResult::Ambiguous(first, _) => first.to_utc(),
                LocalResult::None => {
                    let before = tz
                        .offset_from_utc_datetime(&(local - Duration::days(1)))
                        .fix()
                        .local_minus_utc();
                    Utc.from_utc_datetime(&(local - Duration::seconds(before as i64)))
                }
            },
            Zone::Defined(d) => d.instant(local),
        }
    }

    /// The local time of an instant here.
    pub fn local(&self, t: Time) -> NaiveDateTime {
        match self {
            Zone::Utc => t.naive_utc(),
            Zone::Iana(tz) => t.with_timezone(tz).naive_local(),
            Zone::Defined(d) => t.naive_utc() + Duration::seconds(d.offset_at(t) as i64),
        }
    }

    /// Whether two zones are the same one (durations between their local
    /// times are then counted on the wall clock).
    pub fn same(&self, other: &Zone) -> bool {
        match (self, other) {
            (Zone::Utc, Zone::Utc) => true,
            (Zone::Iana(a), Zone::Iana(b)) => a == b,
            (Zone::Defined(a), Zone::Defined(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Defined {
    fn offset_at(&self, t: Time) -> i32 {
        match self.changes.partition_point(|(at, _)| *at <= t) {
            0 => self.initial,
            n => self.changes[n - 1].1,
        }
    }

    fn instant(&self, local: NaiveDateTime) -> Time {
        let mut offsets: Vec<i32> = self.changes.iter().map(|(_, o)| *o).collect();
        offsets.push(self.initial);
        offsets.sort_unstable();
        offsets.dedup();
        let fits = offsets
            .iter()
            .map(|o| Utc.from_utc_datetime(&(local - Duration::seconds(*o as i64))))
            .filter(|t| self.local_at(*t) == local)
            .min();
        fits.unwrap_or_else(|| {
            let before = self.offset_at(Utc.from_utc_datetime(&(local - Duration::days(1))));
            Utc.from_utc_datetime(&(local - Duration::seconds(before as i64)))
        })
    }

    fn local_at(&self, t: Time) -> NaiveDateTime {
        t.naive_utc() + Duration::seconds(self.offset_at(t) as i64)
    }
}

/// `+0100`, `-0500`, `+053000` -> seconds east of UTC.
fn offset(text: &str) -> Result<i32, IcsError> {
    let t = text.trim();
    let bad = || IcsError::BadOffset(t.to_string());
    let (sign, digits) = match t.split_at_checked(1) {
        Some(("+", d)) => (1, d),
        Some(("-", d)) => (-1, d),
        _ => return Err(bad()),
    };
    let num = |r: std::ops::Range<usize>| -> Result<i32, IcsError> {
        digits
            .get(r)
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<i32>().ok())
            .ok_or_else(bad)
    };
    if digits.len() != 4 && digits.len() != 6 {
        return Err(bad());
    }
    let secs = if digits.len() == 6 { num(4..6)? } else { 0 };
    Ok(sign * (num(0..2)? * 3600 + num(2..4)? * 60 + secs))
}

/// The zone a VTIMEZONE defines, with its changes up to `until` (local).
pub fn defined(vtimezone: &Component, until: NaiveDateTime) -> Result<(String, Zone), IcsError> {
    let prop = |c: &Component, name: &str| -> Option<String> {
        c.properties
            .iter()
            .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
            .map(|p| p.val.as_str().trim().to_string())
    };
    let name = prop(vtimezone, "TZID").ok_or(IcsError::ZoneWithoutTzid)?;
    let mut changes: Vec<(Time, i32, i32)> = Vec::new();
    for part in &vtimezone.components {
        let kind = part.name.as_str();
        if !kind.eq_ignore_ascii_case("STANDARD") && !kind.eq_ignore_ascii_case("DAYLIGHT") {
            continue;
        }
        let need = |key: &'static str| {
            prop(part, key).ok_or_else(|| IcsError::ObservanceWithout {
                zone: name.clone(),
                kind: kind.to_string(),
                key,
            })
        };
        let from = offset(&need("TZOFFSETFROM")?).map_err(|e| e.in_zone(&name))?;
        let to = offset(&need("TZOFFSETTO")?).map_err(|e| e.in_zone(&name))?;
        let start = need("DTSTART")?;
        let start = NaiveDateTime::parse_from_str(start.trim_end_matches('Z'), "%Y%m%dT%H%M%S")
            .map_err(|_| IcsError::ObservanceStart {
                zone: name.clone(),
                value: start.clone(),
            })?;
        let mut onsets = vec![start];
        for p in part
            .properties
            .iter()
            .filter(|p| p.name.as_str().eq_ignore_ascii_case("RRULE"))
        {
            let until_local = |u: &str| -> Result<NaiveDateTime, IcsError> {
                let t = NaiveDateTime::parse_from_str(u.trim_end_matches('Z'), "%Y%m%dT%H%M%S")
                    .or_else(|_| {
                        chrono::NaiveDate::parse_from_str(u, "%Y%m%d")
                            .map(|d| d.and_time(chrono::NaiveTime::MIN))
                    })
                    .map_err(|_| IcsError::BadUntil(u.to_string()))?;
                Ok(if u.ends_with('Z') {
                    t + Duration::seconds(from as i64)
                } else {
                    t
                })
            };
            let (starts, _) = rule_starts(p.val.as_str(), start, &until_local, until, 2_000)
                .map_err(|e| e.in_zone(&name))?;
            onsets.extend(starts);
        }
        for p in part
            .properties
            .iter()
            .filter(|p| p.name.as_str().eq_ignore_ascii_case("RDATE"))
        {
            for v in p.val.as_str().split(',') {
                if let Ok(t) = NaiveDateTime::parse_from_str(v.trim(), "%Y%m%dT%H%M%S") {
                    onsets.push(t);
                }
            }
        }
        for local in onsets {
            let at = Utc.from_utc_datetime(&(local - Duration::seconds(from as i64)));
            changes.push((at, from, to));
        }
    }
    changes.sort_by_key(|(at, _, _)| *at);
    changes.dedup_by_key(|(at, _, _)| *at);
    let Some(first) = changes.first() else {
        return Err(IcsError::NoObservance { zone: name });
    };
    let defined = Defined {
        name: name.clone(),
        initial: first.1,
        changes: changes.iter().map(|(at, _, to)| (*at, *to)).collect(),
    };
    Ok((name, Zone::Defined(Arc::new(defined))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn iana_windows_and_prefixed_names() {
        assert_eq!(
            Zone::named("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(
            Zone::named("W. Europe Standard Time").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(
            Zone::named("Pacific Standard Time").unwrap().name(),
            "America/Los_Angeles"
        );
        assert_eq!(
            Zone::named("/mozilla.org/20070129_1/America/New_York")
                .unwrap()
                .name(),
            "America/New_York"
        );
        assert!(Zone::named("Customized Time Zone").is_none());
    }

    #[test]
    fn gaps_take_the_offset_before_and_repeats_the_first() {
        let ny = Zone::named("America/New_York").unwrap();
        // 2026-03-08 02:30 does not exist in New York: read as EST.
        assert_eq!(
            ny.instant(local("2026-03-08 02:30")).to_rfc3339(),
            "2026-03-08T07:30:00+00:00"
        );
        // 2026-11-01 01:30 happens twice: the first (EDT).
        assert_eq!(
            ny.instant(local("2026-11-01 01:30")).to_rfc3339(),
            "2026-11-01T05:30:00+00:00"
        );
    }

    #[test]
    fn a_vtimezone_is_expanded_and_agrees_with_the_iana_zone() {
        let text = "BEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\n\
BEGIN:STANDARD\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11\r\nEND:STANDARD\r\n\
BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3\r\nEND:DAYLIGHT\r\n\
END:VTIMEZONE\r\n";
        let cs = icalendar::parser::read_components(text).unwrap();
        let c = &cs[0];
        let (name, zone) = defined(c, local("2030-01-01 00:00")).unwrap();
        assert_eq!(name, "Customized Time Zone");
        let ny = Zone::named("America/New_York").unwrap();
        for l in [
            "2026-03-08 01:59",
            "2026-03-08 02:30",
            "2026-03-08 03:00",
            "2026-07-01 12:00",
            "2026-11-01 01:30",
            "2026-11-01 02:00",
            "2027-01-15 09:00",
        ] {
            assert_eq!(zone.instant(local(l)), ny.instant(local(l)), "{l}");
            let t = ny.instant(local(l));
            assert_eq!(zone.local(t), ny.local(t), "{l}");
        }
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(offset("+0100"), Ok(3600));
        assert_eq!(offset("-0530"), Ok(-19800));
        assert_eq!(offset("+053015"), Ok(19815));
        assert!(offset("0100").is_err());
        assert!(offset("+01").is_err());
    }
}
