//! A console held open over SSH while the organization directory changes
//! and is synced against the served store, three times: after each sync
//! the open console shows what changed in its owner's scope, and `suggest
//! --json` over SSH is a fresh local evaluation's. No timed assertions:
//! screens and the log are polled, with a generous bound.
//!
//! Which way the server wrote each patch (in place, into a copy, into the
//! spare brought up to date) is printed, not asserted: it is timing. The
//! server's evaluation and the console are told of a sync at the same
//! moment; the patch finds the snapshot still read when it is written
//! before the console has read again, else (the console read the store
//! meanwhile) no one reads it and it is patched in place. Between syncs
//! the console is made to read again from memory (another owner decides,
//! which the console is told of and the evaluation is not changed by), so
//! at each sync it holds the snapshot kept, and the one before, the
//! spare, is read by no one: the spare is used whenever the patch wins
//! that race, as it did in most rounds here (copy, spare, spare).

mod serve_support;

use serve_support::*;

/// The queue on a console's screen: its rows in the order shown (what
/// lies within the focused pane's borders), the title left out.
fn queue_rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .skip_while(|l| !l.contains("┏ Queue"))
        .skip(1)
        .take_while(|l| !l.contains('┗'))
        .filter_map(|l| l.split('┃').nth(1))
        .map(|l| l.trim_end().to_string())
        .collect()
}

/// Whether the queue shows a row for `person` and `entitlement`.
fn shows(screen: &str, person: &str, entitlement: &str) -> bool {
    queue_rows(screen).iter().any(|r| {
        let words: Vec<&str> = r.split_whitespace().collect();
        words.contains(&person) && words.contains(&entitlement)
    })
}

/// A row of the queue (person, entitlement) and whether it is shown.
type Shown<'a> = (&'a str, &'a str, bool);

/// Waits until `console`'s queue agrees with `want`; panics with the
/// screen and the server's log.
fn console_shows(s: &Setup, console: &Console, round: &str, want: &[Shown]) {
    let agrees = |screen: &str| {
        want.iter()
            .all(|&(p, e, shown)| shows(screen, p, e) == shown)
    };
    let showed = eventually(|| agrees(&console.screen()));
    let screen = console.screen();
    assert!(
        showed,
        "{round}: the open console never showed {want:?}; the screen:\n{screen}\nthe server's log:\n{}",
        server_log(s)
    );
}

/// Waits until the resident evaluation has caught up with the store (an
/// answer for `person` read from it), then `suggest --json` over SSH as
/// `person` is the local one for them, read from it.
fn same_as_fresh(s: &Setup, server: &Server, key: &std::path::Path, person: &str) {
    let from = format!("suggestions for {person}: from the resident evaluation");
    assert!(
        eventually(|| {
            let before = log_count(s, &from);
            let _ = server.ssh(key, &["suggest", "--json"]);
            log_count(s, &from) > before
        }),
        "the resident evaluation never caught up; the server's log:\n{}",
        server_log(s)
    );
    let before = log_count(s, &from);
    let remote = server.ssh(key, &["suggest", "--json"]);
    assert!(remote.status.success(), "{}", text(&remote.stderr));
    let local = s.local(&["suggest", "--json", "--as", person]);
    assert!(local.status.success(), "{}", text(&local.stderr));
    assert_eq!(text(&remote.stdout), text(&local.stdout), "{person}");
    // The server's log is written behind: wait for the line.
    assert!(
        eventually(|| log_count(s, &from) > before),
        "not read from memory"
    );
}

/// The grants file of the small organization with these rows after its own.
fn grants_with(rows: &[&str]) -> String {
    let mut text = String::from(
        "person,entitlement,granted_by,granted_at,basis,expires
lee,ops:console,omar,2025-06-01T00:00:00Z,manual,
",
    );
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    text
}

const ANA_READS: &str = "ana,pay-db:read,priya,2026-02-01T00:00:00Z,rule:pay-read,";
const BO_ADMINS: &str = "bo,pay-db:admin,omar,2025-01-01T00:00:00Z,manual,";

/// The lines of the server's log saying how a patch was written.
fn patch_paths(s: &Setup) -> Vec<String> {
    server_log(s)
        .lines()
        .filter(|l| l.contains("resident::state: resident evaluation: patched"))
        .filter_map(|l| l.split("resident evaluation: ").nth(1))
        .map(str::to_string)
        .collect()
}

/// omar decides `decide` in his own area (not in priya's scope): no change
/// to the organization, but priya's console is told of it and reads again,
/// from the resident evaluation, which is current. Waits until it has.
fn console_reads_from_memory(s: &Setup, server: &Server, omar: &std::path::Path, decide: &[&str]) {
    let from = "console for priya: from the resident evaluation";
    let before = log_count(s, from);
    let out = server.ssh(omar, &[&["decide", "accept"], decide].concat());
    assert!(out.status.success(), "{decide:?}: {}", text(&out.stderr));
    assert!(
        eventually(|| log_count(s, from) > before),
        "priya's console did not read again from memory; the server's log:\n{}",
        server_log(s)
    );
}

#[test]
fn an_open_console_shows_each_sync_in_its_owners_scope() {
    assert!(tmux_available(), "tmux is needed (.ci/run installs it)");
    let (s, server, [priya, omar]) = served(["priya", "omar"]);
    assert!(
        eventually(|| log_count(&s, "resident evaluation: the whole organization") > 0),
        "the resident evaluation was never built"
    );
    let console = Console::open(&server, &priya, "priya");
    let at_first = [("ana", "pay-db:read", true), ("bo", "pay-db:admin", false)];
    console_shows(&s, &console, "at first", &at_first);
    same_as_fresh(&s, &server, &priya, "priya");

    // Each sync changes grants in priya's scope: ana gets the read the
    // rule gives her, bo an old manual admin grant, ana's read goes again.
    // Between syncs omar decides in his own area, so that priya's console
    // holds what the server keeps when the next sync comes.
    let mut omars = [["cto", "ops:console"], ["ana", "ops:console"]].into_iter();
    let rounds: [(&str, &[&str], [Shown; 2]); 3] = [
        (
            "ana granted pay-db:read",
            &[ANA_READS],
            [("ana", "pay-db:read", false), ("bo", "pay-db:admin", false)],
        ),
        (
            "bo granted pay-db:admin",
            &[ANA_READS, BO_ADMINS],
            [("ana", "pay-db:read", false), ("bo", "pay-db:admin", true)],
        ),
        (
            "ana's pay-db:read removed",
            &[BO_ADMINS],
            [("ana", "pay-db:read", true), ("bo", "pay-db:admin", true)],
        ),
    ];
    for (round, rows, want) in rounds {
        let before = patch_paths(&s).len();
        std::fs::write(s.org().join("grants.csv"), grants_with(rows)).unwrap();
        let out = s.local(&["sync", "--org", s.org().to_str().unwrap()]);
        assert!(out.status.success(), "{round}: {}", text(&out.stderr));
        console_shows(&s, &console, round, &want);
        same_as_fresh(&s, &server, &priya, "priya");
        // How the server wrote the patch: timing, so said, not asserted.
        let paths = patch_paths(&s);
        eprintln!("{round}: {:?}", &paths[before.min(paths.len())..]);
        if let Some(decide) = omars.next() {
            console_reads_from_memory(&s, &server, &omar, &decide);
        }
    }
}
