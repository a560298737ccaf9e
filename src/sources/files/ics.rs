//! iCalendar rotation feeds (RFC 5545): one VEVENT per shift.
//!
//! The person is matched by ATTENDEE email, else by SUMMARY (a person's id,
//! email or name, or text containing exactly one person's name). Times must be
//! UTC (`...Z`) or dates; recurring events must be exported expanded.

use super::ParseError;
use crate::model::{Org, Person, Rotation, Shift, Time};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use std::collections::HashMap;
use std::path::Path;

/// Adds the shifts of every `rotations/ID.ics` file to rotation `ID`.
pub fn add_feeds(dir: &Path, org: &mut Org) -> Result<(), ParseError> {
    let feeds = dir.join("rotations");
    if !feeds.is_dir() {
        return Ok(());
    }
    let mut files: Vec<_> = std::fs::read_dir(&feeds)
        .map_err(|e| ParseError::file(&feeds, format!("cannot list: {e}")))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("ics")))
        .collect();
    files.sort();
    let people = PersonMatcher::new(&org.people);
    for path in files {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ParseError::file(&path, format!("cannot read: {e}")))?;
        let feed = parse_feed(&text, &path, &people)?;
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match org.rotations.iter_mut().find(|r| r.id == id) {
            Some(r) => r.shifts.extend(feed.shifts),
            None => org.rotations.push(Rotation {
                name: feed.name.unwrap_or_else(|| id.clone()),
                id,
                team: None,
                members: Vec::new(),
                shifts: feed.shifts,
            }),
        }
    }
    Ok(())
}

/// What one feed says.
#[derive(Debug, Default)]
pub struct Feed {
    /// `X-WR-CALNAME`, when present.
    pub name: Option<String>,
    pub shifts: Vec<Shift>,
}

/// Finds people by email (case-insensitive), id or name.
pub struct PersonMatcher<'a> {
    by_email: HashMap<String, &'a str>,
    by_key: HashMap<String, &'a str>,
    names: Vec<(String, &'a str)>,
}

impl<'a> PersonMatcher<'a> {
    pub fn new(people: &'a [Person]) -> PersonMatcher<'a> {
        let mut m = PersonMatcher {
            by_email: HashMap::new(),
            by_key: HashMap::new(),
            names: Vec::new(),
        };
        for p in people {
            if !p.email.is_empty() {
                m.by_email.insert(p.email.to_lowercase(), &p.id);
            }
            m.by_key.insert(p.id.to_lowercase(), &p.id);
            if !p.name.is_empty() {
                m.by_key.insert(p.name.to_lowercase(), &p.id);
                m.names.push((p.name.to_lowercase(), &p.id));
            }
        }
        m
    }

    pub fn by_email(&self, email: &str) -> Option<&'a str> {
        self.by_email.get(&email.trim().to_lowercase()).copied()
    }

    fn by_summary(&self, summary: &str) -> Option<&'a str> {
        let s = summary.trim().to_lowercase();
        if let Some(id) = self.by_email.get(&s).or_else(|| self.by_key.get(&s)) {
            return Some(id);
        }
        let mut found = self
            .names
            .iter()
            .filter(|(name, _)| s.contains(name.as_str()));
        match (found.next(), found.next()) {
            (Some((_, id)), None) => Some(id),
            _ => None,
        }
    }
}

/// Parses one iCalendar document into shifts.
pub fn parse_feed(text: &str, path: &Path, people: &PersonMatcher) -> Result<Feed, ParseError> {
    let unfolded = icalendar::parser::unfold(text);
    let cal = icalendar::parser::read_calendar(&unfolded).map_err(|e| {
        ParseError::file(
            path,
            format!("not an iCalendar document: {}", first_line(&e)),
        )
    })?;
    // Line of each BEGIN:VEVENT in the original text, to point at events.
    let event_lines: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_end().eq_ignore_ascii_case("BEGIN:VEVENT"))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    let mut feed = Feed {
        name: cal
            .properties
            .iter()
            .find(|p| p.name.as_str().eq_ignore_ascii_case("X-WR-CALNAME"))
            .map(|p| p.val.as_str().to_string()),
        shifts: Vec::new(),
    };
    let events = cal
        .components
        .iter()
        .filter(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT"));
    for (n, event) in events.enumerate() {
        let line = event_lines.get(n).copied().unwrap_or(0);
        let err = |reason: String| ParseError::at_line(path, line, reason);
        let prop = |name: &str| {
            event
                .properties
                .iter()
                .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
        };
        if prop("RRULE").is_some() {
            return Err(err(
                "recurring event (RRULE): export the schedule with one event per shift".into(),
            ));
        }
        if prop("STATUS").is_some_and(|p| p.val.as_str().eq_ignore_ascii_case("CANCELLED")) {
            continue;
        }
        let time_of = |name: &str| -> Result<Time, ParseError> {
            let p = prop(name).ok_or_else(|| err(format!("event has no {name}")))?;
            let tzid = p
                .params
                .iter()
                .find(|x| x.key.as_str().eq_ignore_ascii_case("TZID"))
                .and_then(|x| x.val.as_ref().map(|v| v.as_str().to_string()));
            parse_ics_time(p.val.as_str(), tzid.as_deref()).map_err(|e| err(format!("{name}: {e}")))
        };
        let start = time_of("DTSTART")?;
        let end = time_of("DTEND")?;
        if end <= start {
            return Err(err(format!(
                "event ends ({end}) before it starts ({start})"
            )));
        }
        let attendee = event
            .properties
            .iter()
            .filter(|p| p.name.as_str().eq_ignore_ascii_case("ATTENDEE"))
            .map(|p| p.val.as_str().trim())
            .map(|v| {
                v.get(..7)
                    .filter(|m| m.eq_ignore_ascii_case("mailto:"))
                    .map_or(v, |_| &v[7..])
            })
            .find(|v| !v.is_empty());
        let summary = prop("SUMMARY")
            .map(|p| p.val.as_str().trim())
            .filter(|s| !s.is_empty());
        let person = attendee
            .and_then(|a| people.by_email(a))
            .or_else(|| summary.and_then(|s| people.by_summary(s)))
            .or(attendee)
            .or(summary)
            .ok_or_else(|| err("event has neither ATTENDEE nor SUMMARY".into()))?
            .to_string();
        feed.shifts.push(Shift { person, start, end });
    }
    Ok(feed)
}

fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or(s).trim()
}

/// `20260302T090000Z`, `20260302` (a date: midnight UTC); local times only with TZID=UTC.
fn parse_ics_time(value: &str, tzid: Option<&str>) -> Result<Time, String> {
    let v = value.trim();
    if let Some(utc) = v.strip_suffix('Z') {
        return NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
            .map(|t| Utc.from_utc_datetime(&t))
            .map_err(|e| format!("bad UTC time {v:?}: {e}"));
    }
    if v.len() == 8 {
        return NaiveDate::parse_from_str(v, "%Y%m%d")
            .map(|d| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
            .map_err(|e| format!("bad date {v:?}: {e}"));
    }
    match tzid {
        Some(z)
            if matches!(
                z.to_ascii_uppercase().as_str(),
                "UTC" | "ETC/UTC" | "GMT" | "Z"
            ) =>
        {
            NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S")
                .map(|t| Utc.from_utc_datetime(&t))
                .map_err(|e| format!("bad time {v:?}: {e}"))
        }
        Some(z) => Err(format!(
            "time {v:?} in zone {z}: only UTC times are supported; export the feed in UTC"
        )),
        None => Err(format!(
            "floating local time {v:?}: only UTC times (ending in Z) are supported"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    fn people() -> Vec<Person> {
        ["Alice Test", "Bob Jones"]
            .iter()
            .map(|n| Person {
                id: n.split(' ').next().unwrap_or("").to_lowercase(),
                name: n.to_string(),
                email: format!(
                    "{}@example.com",
                    n.split(' ').next().unwrap_or("").to_lowercase()
                ),
                manager: None,
                status: Status::Active,
            })
            .collect()
    }

    const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nX-WR-CALNAME:Primary\r\n\
BEGIN:VEVENT\r\nUID:1\r\nDTSTART:20261123T090000Z\r\nDTEND:20261130T090000Z\r\nSUMMARY:On Call - Someone\r\nATTENDEE;CN=Alice:mailto:ALICE@example.com\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:2\r\nDTSTART;VALUE=DATE:20261130\r\nDTEND;VALUE=DATE:20261207\r\nSUMMARY:On Call - Bob Jones - Primary\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

    #[test]
    fn matches_attendee_email_then_summary_name() {
        let ps = people();
        let m = PersonMatcher::new(&ps);
        let feed = parse_feed(FEED, Path::new("r.ics"), &m).unwrap();
        assert_eq!(feed.name.as_deref(), Some("Primary"));
        assert_eq!(feed.shifts.len(), 2);
        assert_eq!(feed.shifts[0].person, "alice");
        assert_eq!(
            feed.shifts[0].start.to_rfc3339(),
            "2026-11-23T09:00:00+00:00"
        );
        assert_eq!(feed.shifts[1].person, "bob");
        assert_eq!(feed.shifts[1].end.to_rfc3339(), "2026-12-07T00:00:00+00:00");
    }

    #[test]
    fn rejects_rrule_and_local_times_with_line() {
        let ps = people();
        let m = PersonMatcher::new(&ps);
        let rr = FEED.replace("UID:2\r\n", "UID:2\r\nRRULE:FREQ=WEEKLY\r\n");
        let e = parse_feed(&rr, Path::new("r.ics"), &m)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("r.ics:12: recurring event"), "{e}");
        let local = FEED.replace(
            "DTSTART:20261123T090000Z",
            "DTSTART;TZID=Europe/Paris:20261123T090000",
        );
        let e = parse_feed(&local, Path::new("r.ics"), &m)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("r.ics:5: DTSTART") && e.contains("Europe/Paris"),
            "{e}"
        );
        let e = parse_feed("hello", Path::new("r.ics"), &m)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not an iCalendar document"), "{e}");
    }

    #[test]
    fn unmatched_people_are_kept_for_check_to_report() {
        let ps = people();
        let m = PersonMatcher::new(&ps);
        let f = FEED.replace("ALICE@example.com", "zoe@example.com");
        let feed = parse_feed(&f, Path::new("r.ics"), &m).unwrap();
        assert_eq!(feed.shifts[0].person, "zoe@example.com");
    }
}
