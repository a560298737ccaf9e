//! iCalendar rotation feeds (RFC 5545): each event, or each occurrence of a
//! recurring one, is a shift.
//!
//! Recurrence (RRULE, RDATE with dates and periods, EXDATE, RECURRENCE-ID
//! overrides, `RANGE=THISANDFUTURE`, `STATUS:CANCELLED`) is expanded over a
//! bounded window by the `rrule` crate, on the wall clock of the event's zone
//! (see `zone` for TZID, Windows names and VTIMEZONE). Floating times and
//! all-day dates are read in the calendar's zone: `X-WR-TIMEZONE`, else the
//! feed's configured `tz`, else the event is refused with its line. DURATION
//! may replace DTEND; a UTF-8 BOM and several VCALENDARs in one file are
//! fine. Who is on call is `person`'s job; an event whose person is
//! ambiguous gives no shift and a warning with its file and line.

mod error;
mod expand;
mod person;
mod zone;

pub use error::IcsError;
pub use person::{NoOne, PersonMatcher};
pub use zone::Zone;

use super::ParseError;
use crate::model::{Org, Rotation, Shift, Time};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use icalendar::parser::{Component, Property};
use regex::Regex;
use std::collections::HashMap;
use std::path::Path;

/// The span of time whose shifts a sync keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Time,
    pub to: Time,
}

impl Window {
    /// `days_back` before `now` to `days_ahead` after it.
    pub fn around(now: Time, days_back: i64, days_ahead: i64) -> Window {
        Window {
            from: now - Duration::days(days_back),
            to: now + Duration::days(days_ahead),
        }
    }
}

/// How one feed is read.
#[derive(Debug, Clone, Default)]
pub struct FeedOptions {
    /// The zone of floating times and dates when the calendar names none.
    pub tz: Option<String>,
    /// Without one (an org directory, read without a clock), each series
    /// gives its first [`UNANCHORED_YEARS`] years, at most [`SERIES_CAP`]
    /// occurrences.
    pub window: Option<Window>,
    /// A regex whose `person` group (or first group) takes the person's
    /// name out of a SUMMARY.
    pub summary_pattern: Option<Regex>,
}

/// Occurrences one series may give, in or before the window.
pub const SERIES_CAP: usize = 100_000;
/// Without a window: how far each series is expanded, and how many.
pub const UNANCHORED_YEARS: i64 = 10;
const UNANCHORED_CAP: usize = 5_000;

/// Adds the shifts of every `rotations/ID.ics` file to rotation `ID`, each
/// series expanded over `window` (the sync's, around its clock; without
/// one, each series' first [`UNANCHORED_YEARS`] years). Returns the feeds'
/// warnings, each with its file and line (an event that names nobody, or
/// more than one person).
pub fn add_feeds(
    dir: &Path,
    org: &mut Org,
    window: Option<Window>,
) -> Result<Vec<String>, ParseError> {
    let feeds = dir.join("rotations");
    let mut warnings = Vec::new();
    if !feeds.is_dir() {
        return Ok(warnings);
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
        let Some(text) = super::bounded::read_text(&path)? else {
            continue;
        };
        let opts = FeedOptions {
            window,
            ..FeedOptions::default()
        };
        let feed = parse_feed(&text, &path, &people, &opts)?;
        for w in &feed.warnings {
            tracing::warn!("{w}");
        }
        warnings.extend(feed.warnings);
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
    Ok(warnings)
}

/// What one feed says.
#[derive(Debug, Default)]
pub struct Feed {
    /// `X-WR-CALNAME`, when present.
    pub name: Option<String>,
    /// Sorted by start.
    pub shifts: Vec<Shift>,
    /// Events that gave no shift, with `file:line` and why.
    pub warnings: Vec<String>,
}

/// A date or time as written: its local time, its zone, and whether it was a date.
#[derive(Debug, Clone)]
struct When {
    local: NaiveDateTime,
    zone: Zone,
    date: bool,
}

impl When {
    fn instant(&self) -> Time {
        self.zone.instant(self.local)
    }
}

/// How long each occurrence lasts.
#[derive(Debug, Clone, Copy)]
enum Length {
    /// On the wall clock of the start's zone.
    Nominal(Duration),
    /// Exactly (DTEND in another zone than DTSTART).
    Exact(Duration),
}

/// One VEVENT, its times read.
struct Event<'c> {
    comp: &'c Component<'c>,
    line: u64,
    uid: String,
    start: When,
    length: Length,
    rrules: Vec<String>,
    rdates: Vec<(When, Option<When>)>,
    exdates: Vec<When>,
    recurrence_id: Option<When>,
    this_and_future: bool,
    cancelled: bool,
}

fn props<'c>(c: &'c Component<'c>, name: &'c str) -> impl Iterator<Item = &'c Property<'c>> {
    c.properties
        .iter()
        .filter(move |p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn prop<'c>(c: &'c Component<'c>, name: &'c str) -> Option<&'c Property<'c>> {
    props(c, name).next()
}

/// The value of `p`'s parameter `key` (any case), unquoted.
fn param<'p>(p: &'p Property, key: &str) -> Option<&'p str> {
    p.params
        .iter()
        .find(|x| x.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|x| x.val.as_ref())
        .map(|v| v.as_str().trim().trim_matches('"'))
}

/// The zones one VCALENDAR reads its times in.
struct Zones {
    /// TZID -> the zone it names or its VTIMEZONE defines (or why not).
    by_id: HashMap<String, Result<Zone, IcsError>>,
    /// For floating times and dates.
    calendar: Option<Zone>,
}

impl Zones {
    fn of(cal: &Component, opts: &FeedOptions, until: NaiveDateTime) -> Result<Zones, IcsError> {
        let mut by_id = HashMap::new();
        for tz in cal
            .components
            .iter()
            .filter(|c| c.name.as_str().eq_ignore_ascii_case("VTIMEZONE"))
        {
            let Some(id) = prop(tz, "TZID").map(|p| p.val.as_str().trim().to_string()) else {
                continue;
            };
            let zone = match Zone::named(&id) {
                Some(z) => Ok(z),
                None => zone::defined(tz, until).map(|(_, z)| z),
            };
            by_id.insert(id, zone);
        }
        let calendar = match prop(cal, "X-WR-TIMEZONE") {
            Some(p) => {
                let name = p.val.as_str().trim();
                let zone = Zone::named(name)
                    .or_else(|| by_id.get(name).and_then(|z| z.as_ref().ok().cloned()))
                    .ok_or_else(|| IcsError::CalendarZone(name.to_string()))?;
                Some(zone)
            }
            None => match &opts.tz {
                Some(name) => {
                    Some(Zone::named(name).ok_or_else(|| IcsError::FeedZone(name.clone()))?)
                }
                None => None,
            },
        };
        Ok(Zones { by_id, calendar })
    }

    fn zone(&self, tzid: &str) -> Result<Zone, IcsError> {
        if let Some(z) = self.by_id.get(tzid.trim()) {
            return z.clone();
        }
        Zone::named(tzid).ok_or_else(|| IcsError::UnknownZone(tzid.to_string()))
    }

    fn floating(&self, what: String) -> Result<Zone, IcsError> {
        self.calendar.clone().ok_or(IcsError::Floating { what })
    }

    /// One date or date-time value of `p`.
    fn when(&self, p: &Property, value: &str) -> Result<When, IcsError> {
        let v = value.trim();
        let name = p.name.as_str();
        if v.len() == 8 || param(p, "VALUE").is_some_and(|x| x.eq_ignore_ascii_case("DATE")) {
            let d = NaiveDate::parse_from_str(v.get(..8).unwrap_or(v), "%Y%m%d").map_err(|_| {
                IcsError::BadDate {
                    property: name.to_string(),
                    value: v.to_string(),
                }
            })?;
            return Ok(When {
                local: d.and_time(NaiveTime::MIN),
                zone: self.floating(format!("{name} (a date)"))?,
                date: true,
            });
        }
        let (text, utc) = match v.strip_suffix('Z').or_else(|| v.strip_suffix('z')) {
            Some(t) => (t, true),
            None => (v, false),
        };
        let local = NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%S").map_err(|_| {
            IcsError::BadDateTime {
                property: name.to_string(),
                value: v.to_string(),
            }
        })?;
        let zone = match (utc, param(p, "TZID")) {
            (true, _) => Zone::Utc,
            (false, Some(tzid)) => self.zone(tzid).map_err(|e| e.in_property(name))?,
            (false, None) => self.floating(format!("{name} {v}"))?,
        };
        Ok(When {
            local,
            zone,
            date: false,
        })
    }

    fn one(&self, c: &Component, name: &str) -> Result<Option<When>, IcsError> {
        prop(c, name)
            .map(|p| self.when(p, p.val.as_str()))
            .transpose()
    }
}

/// `P1W`, `P1DT12H`, `-PT15M` -> a duration.
fn parse_duration(text: &str) -> Result<Duration, IcsError> {
    let t = text.trim();
    let bad = || IcsError::BadDuration(t.to_string());
    let (sign, rest) = match t.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let rest = rest.strip_prefix(['P', 'p']).ok_or_else(bad)?;
    let (mut total, mut number, mut in_time, mut any) = (0i64, String::new(), false, false);
    for ch in rest.chars() {
        let unit = match ch.to_ascii_uppercase() {
            '0'..='9' => {
                number.push(ch);
                continue;
            }
            'T' if number.is_empty() => {
                in_time = true;
                continue;
            }
            'W' if !in_time => 604_800,
            'D' if !in_time => 86_400,
            'H' if in_time => 3_600,
            'M' if in_time => 60,
            'S' if in_time => 1,
            _ => return Err(bad()),
        };
        let n: i64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(bad)?;
        number.clear();
        any = true;
    }
    if !any || !number.is_empty() {
        return Err(bad());
    }
    Duration::try_seconds(sign * total).ok_or_else(bad)
}

/// Reads one VEVENT's times.
fn read_event<'c>(
    comp: &'c Component<'c>,
    line: u64,
    zones: &Zones,
) -> Result<Event<'c>, IcsError> {
    let start = zones.one(comp, "DTSTART")?.ok_or(IcsError::NoStart)?;
    let length = match (zones.one(comp, "DTEND")?, prop(comp, "DURATION")) {
        (Some(end), _) if end.zone.same(&start.zone) => Length::Nominal(end.local - start.local),
        (Some(end), _) => Length::Exact(end.instant() - start.instant()),
        (None, Some(d)) => Length::Nominal(parse_duration(d.val.as_str())?),
        (None, None) if start.date => Length::Nominal(Duration::days(1)),
        (None, None) => Length::Nominal(Duration::zero()),
    };
    let length_of = |l: Length| match l {
        Length::Nominal(d) | Length::Exact(d) => d,
    };
    if length_of(length) < Duration::zero() {
        return Err(IcsError::EndsBeforeStart);
    }
    let mut rdates = Vec::new();
    for p in props(comp, "RDATE") {
        for v in p.val.as_str().split(',').filter(|v| !v.trim().is_empty()) {
            match v.split_once('/') {
                Some((a, b)) => {
                    let from = zones.when(p, a)?;
                    let to = match b.trim().starts_with(['P', 'p', '-', '+']) {
                        true => When {
                            local: from.local + parse_duration(b)?,
                            ..from.clone()
                        },
                        false => zones.when(p, b)?,
                    };
                    rdates.push((from, Some(to)));
                }
                None => rdates.push((zones.when(p, v)?, None)),
            }
        }
    }
    let mut exdates = Vec::new();
    for p in props(comp, "EXDATE") {
        for v in p.val.as_str().split(',').filter(|v| !v.trim().is_empty()) {
            exdates.push(zones.when(p, v)?);
        }
    }
    let rid = prop(comp, "RECURRENCE-ID");
    Ok(Event {
        comp,
        line,
        uid: prop(comp, "UID")
            .map(|p| p.val.as_str().trim().to_string())
            .unwrap_or_default(),
        start,
        length,
        rrules: props(comp, "RRULE")
            .map(|p| p.val.as_str().to_string())
            .collect(),
        rdates,
        exdates,
        recurrence_id: rid.map(|p| zones.when(p, p.val.as_str())).transpose()?,
        this_and_future: rid
            .and_then(|p| param(p, "RANGE"))
            .is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE")),
        cancelled: prop(comp, "STATUS")
            .is_some_and(|p| p.val.as_str().trim().eq_ignore_ascii_case("CANCELLED")),
    })
}

/// One occurrence: when, and which component says who.
struct Occurrence<'e, 'c> {
    start: Time,
    end: Time,
    event: &'e Event<'c>,
}

fn end_of(start: &When, length: Length) -> Time {
    match length {
        Length::Nominal(d) => start.zone.instant(start.local + d),
        Length::Exact(d) => start.instant() + d,
    }
}

/// The occurrences of `master` (with its overrides) that end after
/// `from`, computed up to `stop` (in any zone's local time, with a day's
/// margin); and whether the series was cut at its cap.
fn occurrences<'e, 'c>(
    master: &'e Event<'c>,
    overrides: &[&'e Event<'c>],
    stop: Time,
    cap: usize,
) -> Result<(Vec<Occurrence<'e, 'c>>, bool), IcsError> {
    let zone = &master.start.zone;
    let stop_local = zone.local(stop) + Duration::days(1);
    let until_local = |u: &str| -> Result<NaiveDateTime, IcsError> {
        let utc = u.ends_with(['Z', 'z']);
        let t = u.trim_end_matches(['Z', 'z']);
        let local = NaiveDateTime::parse_from_str(t, "%Y%m%dT%H%M%S")
            .or_else(|_| NaiveDate::parse_from_str(t, "%Y%m%d").map(|d| d.and_time(NaiveTime::MIN)))
            .map_err(|_| IcsError::RuleUntil(u.to_string()))?;
        Ok(match utc {
            true => zone.local(chrono::Utc.from_utc_datetime(&local)),
            false => local,
        })
    };
    let mut starts: Vec<(NaiveDateTime, Option<Time>)> = vec![(master.start.local, None)];
    let mut capped = false;
    for rule in &master.rrules {
        let (s, c) = expand::rule_starts(rule, master.start.local, &until_local, stop_local, cap)?;
        capped |= c;
        starts.extend(s.into_iter().map(|l| (l, None)));
    }
    for (at, period_end) in &master.rdates {
        starts.push((
            zone.local(at.instant()),
            period_end.as_ref().map(When::instant),
        ));
    }
    starts.sort_by_key(|(l, _)| *l);
    starts.dedup_by_key(|(l, _)| *l);
    let excluded = |local: NaiveDateTime, instant: Time| {
        master.exdates.iter().any(|x| match x.date {
            true => x.local.date() == local.date(),
            false => x.instant() == instant,
        })
    };
    let overridden = |instant: Time, local: NaiveDateTime| {
        overrides.iter().any(|o| {
            o.recurrence_id
                .as_ref()
                .is_some_and(|r| r.instant() == instant || (r.date && r.local == local))
        })
    };
    let mut future: Vec<&Event> = overrides
        .iter()
        .copied()
        .filter(|o| o.this_and_future)
        .collect();
    future.sort_by_key(|o| o.recurrence_id.as_ref().map(When::instant));
    let mut out = Vec::new();
    for (local, period_end) in starts {
        let instant = zone.instant(local);
        if excluded(local, instant) || overridden(instant, local) {
            continue;
        }
        // A THISANDFUTURE override moves and changes every later occurrence.
        let base = future.iter().rev().find(|o| {
            o.recurrence_id
                .as_ref()
                .is_some_and(|r| r.instant() <= instant)
        });
        let (event, start) = match base {
            Some(o) => {
                let moved = o.start.local
                    - o.recurrence_id
                        .as_ref()
                        .map_or(o.start.local, |r| zone.local(r.instant()));
                (
                    *o,
                    When {
                        local: local + moved,
                        zone: zone.clone(),
                        date: master.start.date,
                    },
                )
            }
            None => (
                master,
                When {
                    local,
                    zone: zone.clone(),
                    date: master.start.date,
                },
            ),
        };
        let end = match period_end {
            Some(e) if base.is_none() => e,
            _ => end_of(&start, event.length),
        };
        out.push(Occurrence {
            start: start.instant(),
            end,
            event,
        });
    }
    for o in overrides {
        let excluded = o
            .recurrence_id
            .as_ref()
            .is_some_and(|r| excluded(r.local, r.instant()));
        if !excluded {
            out.push(Occurrence {
                start: o.start.instant(),
                end: end_of(&o.start, o.length),
                event: o,
            });
        }
    }
    Ok((out, capped))
}

/// Parses one iCalendar document into shifts.
pub fn parse_feed(
    text: &str,
    path: &Path,
    people: &PersonMatcher,
    opts: &FeedOptions,
) -> Result<Feed, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Each VCALENDAR of the file on its own (the parser reads one).
    let mut blocks: Vec<(u64, String)> = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim().eq_ignore_ascii_case("BEGIN:VCALENDAR") {
            blocks.push((i as u64 + 1, String::new()));
        }
        if let Some((_, b)) = blocks.last_mut() {
            b.push_str(l.trim_end_matches('\r'));
            b.push_str("\r\n");
        }
    }
    if blocks.is_empty() {
        return Err(ParseError::file(
            path,
            "not an iCalendar document: no BEGIN:VCALENDAR",
        ));
    }
    let unfolded: Vec<(u64, String)> = blocks
        .iter()
        .map(|(l, b)| (*l, icalendar::parser::unfold(b)))
        .collect();
    let mut roots = Vec::new();
    for (line, block) in &unfolded {
        let parsed = icalendar::parser::read_components(block).map_err(|e| {
            ParseError::at_line(
                path,
                *line,
                format!("not an iCalendar document: {}", first_line(&e)),
            )
        })?;
        roots.extend(parsed);
    }
    let calendars: Vec<&Component> = roots
        .iter()
        .filter(|c| c.name.as_str().eq_ignore_ascii_case("VCALENDAR"))
        .collect();
    // Line of each BEGIN:VEVENT in the original text, to point at events.
    let lines: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim().eq_ignore_ascii_case("BEGIN:VEVENT"))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    let (stop, cap) = match opts.window {
        Some(w) => (Some(w.to), SERIES_CAP),
        None => (None, UNANCHORED_CAP),
    };
    // How far a VTIMEZONE's own rules are expanded.
    let until = stop.map_or_else(
        || {
            NaiveDate::from_ymd_opt(2200, 1, 1)
                .map_or(NaiveDateTime::MAX, |d| d.and_time(NaiveTime::MIN))
        },
        |s| s.naive_utc() + Duration::days(800),
    );
    let mut feed = Feed::default();
    let mut events = Vec::new();
    let mut n = 0;
    for cal in calendars {
        let zones =
            Zones::of(cal, opts, until).map_err(|e| ParseError::file(path, e.to_string()))?;
        if feed.name.is_none() {
            feed.name = prop(cal, "X-WR-CALNAME").map(|p| p.val.as_str().trim().to_string());
        }
        for comp in cal
            .components
            .iter()
            .filter(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT"))
        {
            let line = lines.get(n).copied().unwrap_or(0);
            n += 1;
            let event = read_event(comp, line, &zones)
                .map_err(|e| ParseError::at_line(path, line, e.to_string()))?;
            events.push(event);
        }
    }
    shifts(&events, path, people, opts, stop, cap, &mut feed)?;
    Ok(feed)
}

/// Expands every series and names who is on call in each occurrence.
fn shifts(
    events: &[Event],
    path: &Path,
    people: &PersonMatcher,
    opts: &FeedOptions,
    stop: Option<Time>,
    cap: usize,
    feed: &mut Feed,
) -> Result<(), ParseError> {
    let mut overrides: HashMap<&str, Vec<&Event>> = HashMap::new();
    for e in events.iter().filter(|e| e.recurrence_id.is_some()) {
        overrides.entry(e.uid.as_str()).or_default().push(e);
    }
    let has_master: std::collections::HashSet<&str> = events
        .iter()
        .filter(|e| e.recurrence_id.is_none())
        .map(|e| e.uid.as_str())
        .collect();
    let mut all = Vec::new();
    for e in events {
        let (master, mine): (&Event, Vec<&Event>) = match &e.recurrence_id {
            None => (
                e,
                overrides.get(e.uid.as_str()).cloned().unwrap_or_default(),
            ),
            // An override whose series is not here stands alone.
            Some(_) if !has_master.contains(e.uid.as_str()) || e.uid.is_empty() => (e, Vec::new()),
            Some(_) => continue,
        };
        let series_stop =
            stop.unwrap_or_else(|| master.start.instant() + Duration::days(365 * UNANCHORED_YEARS));
        let (occ, capped) = occurrences(master, &mine, series_stop, cap)
            .map_err(|e| ParseError::at_line(path, master.line, e.to_string()))?;
        if capped {
            feed.warnings.push(format!(
                "{}:{}: the series repeats more than {cap} times before the end of the window; only the first {cap} were read",
                path.display(),
                master.line
            ));
        }
        all.extend(occ.into_iter().filter(|o| !o.event.cancelled));
    }
    let from = opts.window.map(|w| w.from);
    all.retain(|o| {
        o.end > o.start && from.is_none_or(|f| o.end > f) && stop.is_none_or(|s| o.start < s)
    });
    let mut who: HashMap<u64, Option<String>> = HashMap::new();
    for o in &all {
        let line = o.event.line;
        let person = who.entry(line).or_insert_with(|| {
            match person::on_call(o.event.comp, people, opts.summary_pattern.as_ref()) {
                Ok(p) => Some(p),
                Err(why) => {
                    feed.warnings
                        .push(format!("{}:{line}: {why}; no shift", path.display()));
                    None
                }
            }
        });
        if let Some(p) = person {
            feed.shifts.push(Shift {
                person: p.clone(),
                start: o.start,
                end: o.end,
            });
        }
    }
    feed.shifts
        .sort_by(|a, b| (a.start, a.end, &a.person).cmp(&(b.start, b.end, &b.person)));
    feed.shifts.dedup();
    Ok(())
}

fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or(s).trim()
}

#[cfg(test)]
mod tests;
