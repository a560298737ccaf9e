//! iCalendar feeds as tools export them: fixtures in the shapes Google
//! Calendar, Outlook, Grafana OnCall and PagerDuty write, a differential
//! test of steward's recurrence expansion against the independent Python
//! expander `recurring-ical-events`, and an `ics` source whose feeds fail
//! one at a time.

mod peers;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use steward::model::{Person, Status};
use steward::sources::files::ics::{Feed, FeedOptions, PersonMatcher, Window, parse_feed};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ics")).join(name)
}

fn roster(names: &[(&str, &str)]) -> Vec<Person> {
    names
        .iter()
        .map(|(id, name)| Person {
            id: id.to_string(),
            name: name.to_string(),
            email: format!("{id}@example.com"),
            manager: None,
            status: Status::Active,
            ..Default::default()
        })
        .collect()
}

fn team() -> Vec<Person> {
    roster(&[
        ("alice", "Alice Test"),
        ("bob", "Bob Jones"),
        ("carol", "Carol Ng"),
        ("dan", "Dan Li"),
    ])
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn year_2026() -> FeedOptions {
    FeedOptions {
        window: Some(Window {
            from: t("2026-01-01T00:00:00Z"),
            to: t("2027-01-01T00:00:00Z"),
        }),
        ..FeedOptions::default()
    }
}

fn read(path: &Path, people: &[Person], opts: &FeedOptions) -> Feed {
    let text = std::fs::read_to_string(path).unwrap();
    let m = PersonMatcher::new(people);
    parse_feed(&text, path, &m, opts).unwrap_or_else(|e| panic!("{e}"))
}

/// Who steward says is on call at `at`.
fn on_call(feed: &Feed, at: DateTime<Utc>) -> Vec<String> {
    let mut who: Vec<String> = feed
        .shifts
        .iter()
        .filter(|s| s.start <= at && at < s.end)
        .map(|s| s.person.clone())
        .collect();
    who.sort();
    who
}

#[test]
fn google_calendar_rotation_with_a_swap_a_cancellation_and_dst() {
    let feed = read(&fixture("google.ics"), &team(), &year_2026());
    assert_eq!(feed.name.as_deref(), Some("Payments primary on-call"));
    // Hand-off at 09:00 New York time, before and after 2026-03-08.
    assert_eq!(on_call(&feed, t("2026-03-02T13:59:59Z")), vec!["alice"]);
    assert_eq!(on_call(&feed, t("2026-03-02T14:00:00Z")), vec!["bob"]);
    assert_eq!(on_call(&feed, t("2026-03-09T12:59:59Z")), vec!["bob"]);
    assert_eq!(on_call(&feed, t("2026-03-09T13:00:00Z")), vec!["carol"]);
    // Bob's week of 2026-03-23 went to Dan (Bob declined), from 12:00.
    assert_eq!(
        on_call(&feed, t("2026-03-23T14:00:00Z")),
        Vec::<String>::new()
    );
    assert_eq!(on_call(&feed, t("2026-03-23T16:00:00Z")), vec!["dan"]);
    assert_eq!(on_call(&feed, t("2026-03-30T12:59:59Z")), vec!["dan"]);
    assert_eq!(on_call(&feed, t("2026-03-30T13:00:00Z")), vec!["carol"]);
    // Alice's 2026-04-06 week is an EXDATE; Carol's 04-20 week was cancelled.
    assert_eq!(
        on_call(&feed, t("2026-04-07T12:00:00Z")),
        Vec::<String>::new()
    );
    assert_eq!(
        on_call(&feed, t("2026-04-21T12:00:00Z")),
        Vec::<String>::new()
    );
    assert_eq!(on_call(&feed, t("2026-04-14T12:00:00Z")), vec!["bob"]);
    // UNTIL 2026-05-31 23:59:59 New York: the last weeks, then nothing.
    assert_eq!(on_call(&feed, t("2026-05-26T12:00:00Z")), vec!["bob"]);
    assert_eq!(
        on_call(&feed, t("2026-06-02T12:00:00Z")),
        Vec::<String>::new()
    );
    // An all-day event is a New York day (X-WR-TIMEZONE).
    assert_eq!(on_call(&feed, t("2026-05-27T03:59:59Z")), vec!["bob"]);
    assert_eq!(
        on_call(&feed, t("2026-05-27T04:00:00Z")),
        vec!["alice", "bob"]
    );
    assert_eq!(
        on_call(&feed, t("2026-05-28T03:59:59Z")),
        vec!["alice", "bob"]
    );
    assert_eq!(on_call(&feed, t("2026-05-28T04:00:00Z")), vec!["bob"]);
    assert!(feed.warnings.is_empty(), "{:?}", feed.warnings);
}

#[test]
fn outlook_windows_zone_names_custom_zones_and_an_override() {
    let feed = read(&fixture("outlook.ics"), &team(), &year_2026());
    // 20:00-08:00 Berlin: CET (UTC+1) before 2026-03-29, CEST after.
    assert_eq!(on_call(&feed, t("2026-03-04T19:00:00Z")), vec!["bob"]);
    assert_eq!(on_call(&feed, t("2026-03-05T06:59:59Z")), vec!["bob"]);
    assert_eq!(
        on_call(&feed, t("2026-03-05T07:00:00Z")),
        Vec::<String>::new()
    );
    assert_eq!(on_call(&feed, t("2026-03-25T20:00:00Z")), vec!["dan"]);
    assert_eq!(on_call(&feed, t("2026-04-08T18:00:00Z")), vec!["bob"]);
    assert_eq!(
        on_call(&feed, t("2026-04-01T21:00:00Z")),
        Vec::<String>::new()
    );
    // "Pacific Standard Time", and the same rules as "Customized Time
    // Zone": 09:00 is PDT (UTC-7) from 2026-03-08 02:00.
    assert_eq!(
        on_call(&feed, t("2026-03-08T15:59:59Z")),
        Vec::<String>::new()
    );
    assert_eq!(on_call(&feed, t("2026-03-08T16:00:00Z")), vec!["alice"]);
    assert_eq!(on_call(&feed, t("2026-03-15T16:00:00Z")), vec!["alice"]);
    assert_eq!(on_call(&feed, t("2026-03-16T15:59:59Z")), vec!["alice"]);
    assert_eq!(
        on_call(&feed, t("2026-03-16T16:00:00Z")),
        Vec::<String>::new()
    );
    // Ten Wednesdays, one excluded, one moved to Dan.
    assert_eq!(feed.shifts.len(), 9 + 2, "{:?}", feed.shifts);
}

#[test]
fn grafana_oncall_and_pagerduty_summaries() {
    let feed = read(&fixture("grafana-oncall.ics"), &team(), &year_2026());
    assert_eq!(on_call(&feed, t("2026-03-02T08:00:00Z")), vec!["alice"]);
    assert_eq!(on_call(&feed, t("2026-03-03T08:00:00Z")), vec!["bob"]);
    assert_eq!(on_call(&feed, t("2026-03-07T07:59:59Z")), vec!["bob"]);
    assert_eq!(on_call(&feed, t("2026-03-07T08:00:00Z")), vec!["carol"]);
    assert_eq!(on_call(&feed, t("2026-05-31T09:00:00Z")), vec!["alice"]);
    assert_eq!(
        on_call(&feed, t("2026-06-02T09:00:00Z")),
        Vec::<String>::new()
    );
    for name in ["pagerduty.ics", "pagerduty-bom.ics"] {
        let feed = read(&fixture(name), &team(), &year_2026());
        let who: Vec<&str> = feed.shifts.iter().map(|s| s.person.as_str()).collect();
        // Jordan Lin is nobody here: no shift (not "Dan Li"), and a warning.
        assert_eq!(who, vec!["alice", "dan"], "{name}");
        assert_eq!(feed.warnings.len(), 1, "{:?}", feed.warnings);
        assert!(
            feed.warnings[0].contains(&format!(
                "{name}:26: SUMMARY \"On Call - Jordan Lin - Payments Primary\" names no one person"
            )),
            "{:?}",
            feed.warnings
        );
    }
}

#[test]
fn two_calendars_in_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let both = dir.path().join("both.ics");
    let text = std::fs::read_to_string(fixture("pagerduty.ics")).unwrap()
        + &std::fs::read_to_string(fixture("grafana-oncall.ics")).unwrap();
    std::fs::write(&both, text).unwrap();
    let feed = read(&both, &team(), &year_2026());
    assert_eq!(
        on_call(&feed, t("2026-03-03T09:00:00Z")),
        vec!["alice", "bob"]
    );
}

/// A small deterministic generator (no dependency for a dozen lines).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next(items.len())]
    }
}

const NAMES: [&str; 8] = [
    "Ada Quinn",
    "Ben Okafor",
    "Cleo Marsh",
    "Dev Raman",
    "Eve Lund",
    "Finn Holt",
    "Gia Russo",
    "Hal Moreno",
];

const PACIFIC_VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\nBEGIN:STANDARD\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0700\r\nTZOFFSETTO:-0800\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0800\r\nTZOFFSETTO:-0700\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";

const BERLIN_VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16011028T030000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";

/// One generated recurring on-call calendar: time zones, DST hand-offs,
/// every FREQ, exceptions, extra dates, overrides and cancellations.
fn generated_calendar(seed: u64) -> String {
    let mut r = Lcg(seed);
    let zones = [
        ("America/New_York", ""),
        ("Europe/Berlin", ""),
        ("Australia/Sydney", ""),
        ("W. Europe Standard Time", BERLIN_VTIMEZONE),
        ("Customized Time Zone", PACIFIC_VTIMEZONE),
        ("UTC", ""),
    ];
    let (zone, vtimezone) = *r.pick(&zones);
    let tz = |local: &str| match zone {
        "UTC" => format!(":{local}Z"),
        z => format!(";TZID={z}:{local}"),
    };
    let mut out = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//steward tests//generated {seed}//EN\r\n{vtimezone}"
    );
    let rules = [
        "FREQ=DAILY;INTERVAL=3",
        "FREQ=DAILY;COUNT=40",
        "FREQ=WEEKLY;BYDAY=MO,TH",
        "FREQ=WEEKLY;INTERVAL=2;UNTIL=20260601T000000Z",
        "FREQ=WEEKLY;WKST=SU;INTERVAL=3;BYDAY=SU",
        "FREQ=MONTHLY;BYDAY=1MO,3WE",
        "FREQ=MONTHLY;BYMONTHDAY=1,15,-1",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=YEARLY;BYMONTH=3,4,10;BYDAY=1SU,-1SU",
        "FREQ=HOURLY;INTERVAL=19;COUNT=60",
    ];
    let series = 1 + r.next(3);
    for s in 0..series {
        let day = NaiveDate::from_ymd_opt(2026, 2, 20).unwrap() + Duration::days(r.next(50) as i64);
        let mut hour = *r.pick(&[0, 1, 2, 3, 9, 17, 23]);
        if zone == "Customized Time Zone" && hour == 2 {
            // In a spring-forward gap RFC 5545 (3.3.5) takes the offset
            // before the gap, as steward and Python's zoneinfo do; the
            // expander's own VTIMEZONE reader (dateutil) takes the one after.
            hour = 4;
        }
        let minute = *r.pick(&[0, 30]);
        let start = day.and_hms_opt(hour, minute, 0).unwrap();
        let hours = *r.pick(&[8i64, 12, 24, 72, 168]);
        let end = start + Duration::hours(hours);
        let fmt = |d: chrono::NaiveDateTime| d.format("%Y%m%dT%H%M%S").to_string();
        let rule = r.pick(&rules).to_string();
        let name = NAMES[r.next(NAMES.len())];
        let uid = format!("s{seed}-{s}@generated");
        out += &format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART{}\r\n",
            tz(&fmt(start))
        );
        if r.next(2) == 0 {
            out += &format!("DTEND{}\r\n", tz(&fmt(end)));
        } else {
            out += &format!("DURATION:PT{hours}H\r\n");
        }
        out += &format!("RRULE:{rule}\r\nSUMMARY:{name}\r\n");
        // The start is always an occurrence: exclude it, or add dates.
        if r.next(3) == 0 {
            out += &format!("EXDATE{}\r\n", tz(&fmt(start)));
        }
        if r.next(3) == 0 {
            let extra = start + Duration::days(1 + r.next(20) as i64) + Duration::hours(5);
            out += &format!("RDATE{}\r\n", tz(&fmt(extra)));
        }
        out += "END:VEVENT\r\n";
        // An override of an occurrence of a daily or weekly series.
        let step = match rule.as_str() {
            "FREQ=DAILY;INTERVAL=3" => Some(3),
            "FREQ=DAILY;COUNT=40" => Some(1),
            "FREQ=WEEKLY;INTERVAL=2;UNTIL=20260601T000000Z" => Some(14),
            _ => None,
        };
        if let Some(step) = step {
            let k = 1 + r.next(6) as i64;
            let original = start + Duration::days(step * k);
            let moved = original + Duration::hours(*r.pick(&[-3i64, 2, 5]));
            let status = if r.next(3) == 0 {
                "STATUS:CANCELLED\r\n"
            } else {
                ""
            };
            let other = NAMES[r.next(NAMES.len())];
            out += &format!(
                "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID{}\r\nDTSTART{}\r\nDTEND{}\r\nSUMMARY:{other}\r\n{status}END:VEVENT\r\n",
                tz(&fmt(original)),
                tz(&fmt(moved)),
                tz(&fmt(moved + Duration::hours(hours / 2 + 1)))
            );
        }
    }
    out + "END:VCALENDAR\r\n"
}

const EXPANDER: &str = r#"
import datetime as dt, json, sys
import icalendar, recurring_ical_events
out = []
for job in json.load(sys.stdin):
    with open(job["file"], "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    query = recurring_ical_events.of(cal)
    found = []
    for t in job["instants"]:
        at = dt.datetime.fromtimestamp(t, dt.timezone.utc)
        # A wide query, then the instant: the expander's own narrow query
        # misses an occurrence made an hour longer by a DST change.
        names = sorted(
            str(e.get("SUMMARY"))
            for e in query.between(at - dt.timedelta(days=10), at + dt.timedelta(seconds=1))
            if str(e.get("STATUS", "")).upper() != "CANCELLED"
            and e["DTSTART"].dt <= at < e["DTEND"].dt
        )
        found.append(names)
    out.append(found)
json.dump(out, sys.stdout)
"#;

/// Who the independent expander says is on call at each instant of each file.
fn expander(jobs: &[(PathBuf, Vec<i64>)]) -> Vec<Vec<Vec<String>>> {
    let python = peers::ical_python();
    let input: Vec<serde_json::Value> = jobs
        .iter()
        .map(|(f, i)| serde_json::json!({"file": f, "instants": i}))
        .collect();
    let mut child = Command::new(python)
        .args(["-c", EXPANDER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::Value::Array(input).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "recurring-ical-events failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn recurrence_agrees_with_an_independent_expander() {
    let dir = tempfile::tempdir().unwrap();
    let people: Vec<Person> = NAMES
        .iter()
        .map(|n| Person {
            id: n.to_string(),
            name: n.to_string(),
            email: String::new(),
            manager: None,
            status: Status::Active,
            ..Default::default()
        })
        .collect();
    let opts = year_2026();
    let mut jobs = Vec::new();
    let mut feeds = Vec::new();
    for seed in 0..40u64 {
        let path = dir.path().join(format!("gen-{seed}.ics"));
        std::fs::write(&path, generated_calendar(seed)).unwrap();
        let feed = read(&path, &people, &opts);
        assert!(feed.warnings.is_empty(), "{:?}", feed.warnings);
        let mut r = Lcg(seed + 1000);
        let base = Utc.with_ymd_and_hms(2026, 2, 15, 0, 0, 0).unwrap();
        let mut instants: Vec<i64> = (0..120)
            .map(|_| (base + Duration::minutes(r.next(60 * 24 * 140) as i64)).timestamp())
            .collect();
        // Every hand-off, a second either side, and DST changes' hours.
        for s in feed
            .shifts
            .iter()
            .filter(|s| s.start < t("2026-07-01T00:00:00Z"))
            .take(60)
        {
            for e in [s.start, s.end] {
                instants.extend([e.timestamp() - 1, e.timestamp()]);
            }
        }
        for dst in [
            "2026-03-08T05:00:00Z",
            "2026-03-29T00:00:00Z",
            "2026-04-04T14:00:00Z",
            "2026-10-25T00:00:00Z",
        ] {
            for h in 0..6 {
                instants.push((t(dst) + Duration::minutes(30 * h)).timestamp());
            }
        }
        jobs.push((path, instants));
        feeds.push(feed);
    }
    let theirs = expander(&jobs);
    let mut compared = 0;
    for ((job, feed), theirs) in jobs.iter().zip(&feeds).zip(theirs) {
        for (at, expected) in job.1.iter().zip(theirs) {
            let at = Utc.timestamp_opt(*at, 0).unwrap();
            assert_eq!(
                on_call(feed, at),
                expected,
                "{} at {at}:\n{}",
                job.0.display(),
                std::fs::read_to_string(&job.0).unwrap()
            );
            compared += 1;
        }
    }
    assert!(compared > 40 * 150, "{compared}");
}

fn steward(dir: &Path, now: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(args)
        .env("STEWARD_DB", dir.join("steward.db"))
        .env("STEWARD_CONFIG", dir.join("steward.toml"))
        .env("STEWARD_LOG_DIR", dir.join("logs"))
        .env("STEWARD_NOW", now)
        .output()
        .expect("run steward");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn one_feed_failing_keeps_its_shifts_and_the_others_update() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let fail = Arc::new(AtomicBool::new(false));
    let google = std::fs::read_to_string(fixture("google.ics")).unwrap();
    let grafana = std::fs::read_to_string(fixture("grafana-oncall.ics")).unwrap();
    let server = {
        let fail = fail.clone();
        peers::FaultServer::start(move |req, _| match req.path.as_str() {
            "/payments.ics" => peers::Reply::ok(google.clone()),
            "/platform.ics" if fail.load(Ordering::SeqCst) => peers::Reply::status(503, "down"),
            "/platform.ics" => peers::Reply::ok(grafana.clone()),
            _ => peers::Reply::status(404, "no"),
        })
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("org")).unwrap();
    let people: String = team()
        .iter()
        .map(|p| format!("{},{},{},,active\n", p.id, p.name, p.email.to_uppercase()))
        .collect();
    std::fs::write(
        dir.join("org/people.csv"),
        format!("id,name,email,manager,status\n{people}"),
    )
    .unwrap();
    // A files source provides everything by default: every file is there.
    for name in [
        "teams.toml",
        "rotations.toml",
        "trainings.csv",
        "areas.toml",
        "grants.csv",
        "rules.toml",
    ] {
        std::fs::write(dir.join("org").join(name), "").unwrap();
    }
    peers::write_config(
        dir,
        &format!(
            r#"[[source]]
kind = "files"
dir = "org"

[[source]]
kind = "ics"
name = "cal"
retries = 0
[[source.feed]]
rotation = "payments-primary"
url = "{base}/payments.ics"
[[source.feed]]
rotation = "platform-primary"
url = "{base}/platform.ics"
"#,
            base = server.base
        ),
    );
    let load = || {
        let store = steward::store::Store::open(&dir.join("steward.db")).unwrap();
        store.load_org().unwrap()
    };
    let (code, out) = steward(dir, "2026-03-10T12:00:00Z", &["sync"]);
    assert_eq!(code, 0, "{out}");
    let before = load();
    let shifts = |org: &steward::model::Org, id: &str| {
        org.rotations
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.shifts.clone())
            .unwrap_or_default()
    };
    let platform = shifts(&before, "platform-primary");
    assert!(platform.len() > 20, "{platform:?}");
    assert!(platform.iter().any(|s| s.person == "carol"));
    // Later, the platform feed is down: its shifts stay, payments' update
    // (the window moved: shifts that ended long ago are gone).
    fail.store(true, Ordering::SeqCst);
    let (code, out) = steward(dir, "2026-07-10T12:00:00Z", &["sync"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("feed platform-primary failed, its previous shifts are kept"),
        "{out}"
    );
    let after = load();
    assert_eq!(shifts(&after, "platform-primary"), platform);
    assert_ne!(
        shifts(&after, "payments-primary"),
        shifts(&before, "payments-primary")
    );
    let (_, status) = steward(dir, "2026-07-10T12:00:00Z", &["status"]);
    assert!(
        status.contains("LAST SYNC FAILED: feed platform-primary failed"),
        "{status}"
    );
}

/// The org directory's `rotations/ID.ics` are expanded over the sync's
/// window around the sync's clock, as configured feeds are: a series begun
/// years ago still gives this week's shift. An event that names nobody is a
/// warning with its file and line in sync's output, for `sync --org` and for
/// a configured files source alike.
#[test]
fn org_directory_feeds_follow_the_syncs_clock_and_say_what_they_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let org = dir.join("org");
    std::fs::create_dir_all(org.join("rotations")).unwrap();
    std::fs::write(
        org.join("people.csv"),
        "id,name,email,manager,status\nalice,Alice Ames,alice@example.com,,active\nbob,Bob Jones,bob@example.com,,active\n",
    )
    .unwrap();
    for f in [
        "teams.toml",
        "rotations.toml",
        "trainings.csv",
        "areas.toml",
        "grants.csv",
        "rules.toml",
    ] {
        std::fs::write(org.join(f), "").unwrap();
    }
    // Fortnightly turns since January 2012; a stray event in November 2026.
    std::fs::write(
        org.join("rotations/db-primary.ics"),
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n\
BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20120102T090000Z\r\nDTEND:20120109T090000Z\r\nRRULE:FREQ=WEEKLY;INTERVAL=2\r\nATTENDEE:mailto:alice@example.com\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20120109T090000Z\r\nDTEND:20120116T090000Z\r\nRRULE:FREQ=WEEKLY;INTERVAL=2\r\nATTENDEE:mailto:bob@example.com\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20261120T090000Z\r\nDTEND:20261121T090000Z\r\nSUMMARY:On Call - Jordan Lin - DB\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n",
    )
    .unwrap();
    let now = "2026-11-24T12:00:00Z";
    let (code, out) = steward(dir, now, &["sync", "--org", org.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("warning: ")
            && out.contains(
                "db-primary.ics:18: SUMMARY \"On Call - Jordan Lin - DB\" names no one person"
            )
            && out.contains("; no shift"),
        "{out}"
    );
    // status says it too, after the sync's output has gone.
    let (code, out) = steward(dir, now, &["status"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("files: 1 warning(s) at its last sync:")
            && out.contains(
                "db-primary.ics:18: SUMMARY \"On Call - Jordan Lin - DB\" names no one person"
            ),
        "{out}"
    );
    let shifts = || {
        let store = steward::store::Store::open(&dir.join("steward.db")).unwrap();
        let org = store.load_org().unwrap();
        let r = org.rotations.into_iter().find(|r| r.id == "db-primary");
        r.expect("rotation db-primary").shifts
    };
    let at = t(now);
    let s = shifts();
    // 2026-11-23 is 777 weeks after 2012-01-02: bob's turn.
    let current: Vec<&str> = s
        .iter()
        .filter(|x| x.start <= at && at < x.end)
        .map(|x| x.person.as_str())
        .collect();
    assert_eq!(current, ["bob"], "{} shifts", s.len());
    // Only the window: 90 days back, 400 ahead.
    assert!(s.iter().all(|x| x.end > at - Duration::days(90)));
    assert!(s.iter().all(|x| x.start < at + Duration::days(400)));
    assert!((68..=72).contains(&s.len()), "{}", s.len());

    // A configured files source reads them the same way, and says so.
    std::fs::write(
        dir.join("steward.toml"),
        "[[source]]\nkind = \"files\"\ndir = \"org\"\n",
    )
    .unwrap();
    let (code, out) = steward(dir, "2026-12-01T12:00:00Z", &["sync"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("files: warning: ") && out.contains("db-primary.ics:18: SUMMARY"),
        "{out}"
    );
    let at = t("2026-12-01T12:00:00Z");
    let current: Vec<String> = shifts()
        .into_iter()
        .filter(|x| x.start <= at && at < x.end)
        .map(|x| x.person)
        .collect();
    assert_eq!(current, ["alice"]);
}
