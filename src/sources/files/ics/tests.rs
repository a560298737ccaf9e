use super::*;
use crate::model::{Person, Status};

fn people() -> Vec<Person> {
    [
        ("alice", "Alice Test"),
        ("bob", "Bob Jones"),
        ("dan", "Dan Li"),
        ("kim1", "Kim Park"),
        ("kim2", "Kim Park"),
    ]
    .iter()
    .map(|(id, n)| Person {
        id: id.to_string(),
        name: n.to_string(),
        email: format!("{id}@example.com"),
        manager: None,
        status: Status::Active,
        ..Default::default()
    })
    .collect()
}

fn cal(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}END:VCALENDAR\r\n")
        .replace('\n', "\r\n")
        .replace("\r\r\n", "\r\n")
}

fn window() -> FeedOptions {
    FeedOptions {
        window: Some(Window {
            from: t("2026-01-01T00:00:00Z"),
            to: t("2027-01-01T00:00:00Z"),
        }),
        ..FeedOptions::default()
    }
}

fn t(s: &str) -> Time {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn parse(text: &str, opts: &FeedOptions) -> Result<Feed, ParseError> {
    let ps = people();
    let m = PersonMatcher::new(&ps);
    parse_feed(text, Path::new("r.ics"), &m, opts)
}

fn spans(feed: &Feed) -> Vec<(String, String, String)> {
    feed.shifts
        .iter()
        .map(|s| (s.person.clone(), s.start.to_rfc3339(), s.end.to_rfc3339()))
        .collect()
}

const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nX-WR-CALNAME:Primary\r\nX-WR-TIMEZONE:UTC\r\n\
BEGIN:VEVENT\r\nUID:1\r\nDTSTART:20261123T090000Z\r\nDTEND:20261130T090000Z\r\nSUMMARY:On Call - Someone\r\nATTENDEE;CN=Alice:mailto:ALICE@example.com\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:2\r\nDTSTART;VALUE=DATE:20261130\r\nDTEND;VALUE=DATE:20261207\r\nSUMMARY:On Call - Bob Jones - Primary\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

#[test]
fn matches_attendee_email_then_summary_name() {
    let feed = parse(FEED, &window()).unwrap();
    assert_eq!(feed.name.as_deref(), Some("Primary"));
    assert_eq!(
        spans(&feed),
        vec![
            (
                "alice".into(),
                "2026-11-23T09:00:00+00:00".into(),
                "2026-11-30T09:00:00+00:00".into()
            ),
            (
                "bob".into(),
                "2026-11-30T00:00:00+00:00".into(),
                "2026-12-07T00:00:00+00:00".into()
            ),
        ]
    );
}

#[test]
fn a_weekly_rotation_keeps_its_wall_clock_across_dst_with_exceptions() {
    let text = cal(
        "BEGIN:VEVENT\nUID:w\nDTSTART;TZID=America/New_York:20260302T090000\nDTEND;TZID=America/New_York:20260309T090000\n\
RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4\nEXDATE;TZID=America/New_York:20260316T090000\nATTENDEE;ROLE=REQ-PARTICIPANT:mailto:bob@example.com\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:w\nRECURRENCE-ID;TZID=America/New_York:20260330T090000\nDTSTART;TZID=America/New_York:20260330T120000\nDTEND;TZID=America/New_York:20260406T090000\n\
ATTENDEE:mailto:alice@example.com\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:w\nRECURRENCE-ID;TZID=America/New_York:20260413T090000\nDTSTART;TZID=America/New_York:20260413T090000\nDTEND;TZID=America/New_York:20260420T090000\nSTATUS:CANCELLED\nEND:VEVENT\n",
    );
    let feed = parse(&text, &window()).unwrap();
    assert_eq!(
        spans(&feed),
        vec![
            // EST, then (after 2026-03-08) EDT: 09:00 local both times.
            (
                "bob".into(),
                "2026-03-02T14:00:00+00:00".into(),
                "2026-03-09T13:00:00+00:00".into()
            ),
            (
                "alice".into(),
                "2026-03-30T16:00:00+00:00".into(),
                "2026-04-06T13:00:00+00:00".into()
            ),
        ]
    );
    assert!(feed.warnings.is_empty(), "{:?}", feed.warnings);
}

#[test]
fn rdates_periods_durations_and_outlook_zone_names() {
    let text = cal(
        "BEGIN:VTIMEZONE\nTZID:W. Europe Standard Time\nBEGIN:STANDARD\nDTSTART:16010101T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\n\
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\n\
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\n\
BEGIN:VEVENT\nUID:r\nDTSTART;TZID=W. Europe Standard Time:20260601T080000\nDURATION:PT12H\n\
RDATE;TZID=W. Europe Standard Time:20260603T080000,20260605T080000\nRDATE;VALUE=PERIOD:20260610T060000Z/PT2H\n\
SUMMARY:Dan Li\nEND:VEVENT\n",
    );
    let feed = parse(&text, &window()).unwrap();
    assert_eq!(
        spans(&feed),
        vec![
            (
                "dan".into(),
                "2026-06-01T06:00:00+00:00".into(),
                "2026-06-01T18:00:00+00:00".into()
            ),
            (
                "dan".into(),
                "2026-06-03T06:00:00+00:00".into(),
                "2026-06-03T18:00:00+00:00".into()
            ),
            (
                "dan".into(),
                "2026-06-05T06:00:00+00:00".into(),
                "2026-06-05T18:00:00+00:00".into()
            ),
            (
                "dan".into(),
                "2026-06-10T06:00:00+00:00".into(),
                "2026-06-10T08:00:00+00:00".into()
            ),
        ]
    );
}

#[test]
fn all_day_and_floating_times_are_in_the_calendars_zone_or_refused() {
    let body = "BEGIN:VEVENT\nUID:d\nDTSTART;VALUE=DATE:20260601\nDTEND;VALUE=DATE:20260608\nSUMMARY:alice\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:f\nDTSTART:20260608T090000\nDTEND:20260615T090000\nSUMMARY:bob@EXAMPLE.com\nEND:VEVENT\n";
    let feed = parse(
        &cal(&format!("X-WR-TIMEZONE:Europe/Paris\n{body}")),
        &window(),
    )
    .unwrap();
    assert_eq!(
        spans(&feed),
        vec![
            (
                "alice".into(),
                "2026-05-31T22:00:00+00:00".into(),
                "2026-06-07T22:00:00+00:00".into()
            ),
            (
                "bob".into(),
                "2026-06-08T07:00:00+00:00".into(),
                "2026-06-15T07:00:00+00:00".into()
            ),
        ]
    );
    let e = parse(&cal(body), &window()).unwrap_err().to_string();
    assert!(
        e.starts_with("r.ics:4: DTSTART (a date) has no time zone"),
        "{e}"
    );
    assert!(e.contains("X-WR-TIMEZONE") && e.contains("`tz`"), "{e}");
    let opts = FeedOptions {
        tz: Some("Asia/Tokyo".into()),
        ..window()
    };
    let feed = parse(&cal(body), &opts).unwrap();
    assert_eq!(
        feed.shifts[0].start.to_rfc3339(),
        "2026-05-31T15:00:00+00:00"
    );
}

#[test]
fn attendees_count_by_role_and_partstat_and_summaries_only_whole() {
    let text = cal("X-WR-TIMEZONE:UTC\n\
BEGIN:VEVENT\nUID:1\nDTSTART:20260601T090000Z\nDTEND:20260602T090000Z\nORGANIZER:mailto:alice@example.com\n\
ATTENDEE;ROLE=CHAIR:mailto:alice@example.com\nATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:Bob@Example.com\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:2\nDTSTART:20260602T090000Z\nDTEND:20260603T090000Z\n\
ATTENDEE;PARTSTAT=DECLINED:mailto:bob@example.com\nATTENDEE;PARTSTAT=ACCEPTED:mailto:dan@example.com\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:3\nDTSTART:20260603T090000Z\nDTEND:20260604T090000Z\nSUMMARY:On Call - Jordan Lin - Payments primary\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:4\nDTSTART:20260604T090000Z\nDTEND:20260605T090000Z\nSUMMARY:Kim Park\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:5\nDTSTART:20260605T090000Z\nDTEND:20260606T090000Z\nSUMMARY:[L1] dan\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:6\nDTSTART:20260606T090000Z\nDTEND:20260607T090000Z\nATTENDEE:mailto:alice@example.com\nATTENDEE:mailto:bob@example.com\nEND:VEVENT\n");
    let feed = parse(&text, &window()).unwrap();
    let who: Vec<&str> = feed.shifts.iter().map(|s| s.person.as_str()).collect();
    assert_eq!(who, vec!["bob", "dan", "dan"]);
    assert_eq!(feed.warnings.len(), 3, "{:?}", feed.warnings);
    assert!(
        feed.warnings[0].starts_with(
            "r.ics:20: SUMMARY \"On Call - Jordan Lin - Payments primary\" names no one person"
        ),
        "{:?}",
        feed.warnings
    );
    assert!(
        feed.warnings[1]
            .starts_with("r.ics:26: SUMMARY \"Kim Park\": \"Kim Park\" is the name of 2 people"),
        "{:?}",
        feed.warnings
    );
    assert!(
        feed.warnings[2].starts_with("r.ics:38: the event has 2 attendees who are people here"),
        "{:?}",
        feed.warnings
    );
}

#[test]
fn a_bom_and_two_calendars_in_one_file() {
    let one = cal(
        "X-WR-TIMEZONE:UTC\nBEGIN:VEVENT\nUID:a\nDTSTART:20260601T090000Z\nDTEND:20260602T090000Z\nSUMMARY:Alice Test\nEND:VEVENT\n",
    );
    let two = cal(
        "BEGIN:VEVENT\nUID:b\nDTSTART:20260602T090000Z\nDTEND:20260603T090000Z\nSUMMARY:Bob Jones\nEND:VEVENT\n",
    );
    let feed = parse(&format!("\u{feff}{one}{two}"), &window()).unwrap();
    let who: Vec<&str> = feed.shifts.iter().map(|s| s.person.as_str()).collect();
    assert_eq!(who, vec!["alice", "bob"]);
}

#[test]
fn the_window_bounds_an_endless_rule() {
    let text = cal(
        "BEGIN:VEVENT\nUID:d\nDTSTART:20200106T090000Z\nDTEND:20200107T090000Z\nRRULE:FREQ=DAILY\nSUMMARY:alice\nEND:VEVENT\n",
    );
    let feed = parse(&text, &window()).unwrap();
    // Every day of 2026, and the shift that started on 2025-12-31 09:00.
    assert_eq!(feed.shifts.len(), 366);
    assert_eq!(
        feed.shifts[0].start.to_rfc3339(),
        "2025-12-31T09:00:00+00:00"
    );
}

#[test]
fn broken_events_name_their_line() {
    let e = parse(&cal("BEGIN:VEVENT\nUID:1\nDTSTART;TZID=Mars/Olympus:20260601T090000\nDTEND:20260602T090000Z\nEND:VEVENT\n"), &window()).unwrap_err().to_string();
    assert!(
        e.starts_with("r.ics:4: DTSTART: unknown time zone \"Mars/Olympus\""),
        "{e}"
    );
    let e = parse(&cal("BEGIN:VEVENT\nUID:1\nDTSTART:20260601T090000Z\nRRULE:FREQ=SOMETIMES\nDURATION:PT1H\nEND:VEVENT\n"), &window()).unwrap_err().to_string();
    assert!(e.starts_with("r.ics:4: RRULE"), "{e}");
    let e = parse("hello", &window()).unwrap_err().to_string();
    assert!(e.contains("not an iCalendar document"), "{e}");
}

#[test]
fn unmatched_attendees_are_kept_for_check_to_report() {
    let f = FEED.replace("ALICE@example.com", "zoe@example.com");
    let feed = parse(&f, &window()).unwrap();
    assert_eq!(feed.shifts[0].person, "zoe@example.com");
}

#[test]
fn durations_parse() {
    assert_eq!(parse_duration("P1W"), Ok(Duration::weeks(1)));
    assert_eq!(parse_duration("P1DT12H"), Ok(Duration::hours(36)));
    assert_eq!(parse_duration("-PT15M"), Ok(Duration::minutes(-15)));
    assert!(parse_duration("P").is_err());
    assert!(parse_duration("PT1D").is_err());
    assert!(parse_duration("P99999999999999999999D").is_err());
}

#[test]
fn errors_are_typed_and_say_what_they_said() {
    assert_eq!(
        parse_duration("PT1D"),
        Err(IcsError::BadDuration("PT1D".into()))
    );
    assert_eq!(
        IcsError::BadDuration("PT1D".into()).to_string(),
        "DURATION: bad value \"PT1D\""
    );
    // A VTIMEZONE's own problem is said inside its name, at the file.
    let text = cal(
        "BEGIN:VTIMEZONE\nTZID:Custom\nBEGIN:STANDARD\nDTSTART:16010101T020000\n\
TZOFFSETFROM:+1\nTZOFFSETTO:+0100\nEND:STANDARD\nEND:VTIMEZONE\n\
BEGIN:VEVENT\nUID:1\nDTSTART;TZID=Custom:20260601T090000\nDURATION:PT1H\nSUMMARY:alice\nEND:VEVENT\n",
    );
    let e = parse(&text, &window()).unwrap_err();
    assert_eq!(e.line, Some(12));
    assert_eq!(
        e.to_string(),
        "r.ics:12: DTSTART: VTIMEZONE Custom: bad UTC offset \"+1\""
    );
    // Why an event puts nobody on call, as a value: ambiguity is told apart.
    let ps = people();
    let m = PersonMatcher::new(&ps);
    let two =
        "BEGIN:VEVENT\r\nUID:1\r\nDTSTART:20260601T090000Z\r\nSUMMARY:Kim Park\r\nEND:VEVENT\r\n";
    let comps = icalendar::parser::read_components(two).unwrap();
    let why = person::on_call(&comps[0], &m, None).unwrap_err();
    assert!(why.is_ambiguous());
    assert_eq!(
        why,
        NoOne::SummaryAmbiguous {
            summary: "Kim Park".into(),
            name: "Kim Park".into(),
            people: vec!["kim1".into(), "kim2".into()],
        }
    );
    let none = two.replace("Kim Park", "Jordan Lin");
    let comps = icalendar::parser::read_components(&none).unwrap();
    let why = person::on_call(&comps[0], &m, None).unwrap_err();
    assert!(!why.is_ambiguous());
    assert_eq!(
        why.to_string(),
        "SUMMARY \"Jordan Lin\" names no one person (matched as a whole name, id or email)"
    );
}
