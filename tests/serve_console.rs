//! The console over SSH, in a real terminal (tmux running `ssh -t`): two
//! owners at once, one delegating over SSH while the other's console shows
//! it; resize; `q` and Ctrl-C ending one session only. No timed
//! assertions: screens are polled, with a generous bound, and the time a
//! change took to show is printed.

mod serve_support;

use serve_support::*;
use std::time::Instant;

fn tmux_available() -> bool {
    std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// tmux for the consoles, and the small organization served with a key
/// registered for each of `people`.
fn console_served<const N: usize>(people: [&str; N]) -> (Setup, Server, [std::path::PathBuf; N]) {
    assert!(tmux_available(), "tmux is needed (.ci/run installs it)");
    served(people)
}

#[test]
fn a_delegation_over_ssh_reaches_the_delegates_open_console() {
    let (_dir, server, [priya, omar]) = console_served(["priya", "omar"]);
    let console = Console::open(&server, &omar, "omar");
    let first = console.wait_for("ops");
    assert!(first.contains("omar"), "{first}");
    assert!(!first.contains("billing"), "{first}");

    let out = server.ssh(&priya, &["delegate", "billing", "--to", "omar"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t0 = Instant::now();
    let shown = console.wait_for("billing");
    eprintln!(
        "the delegation showed in omar's console after {:?}",
        t0.elapsed()
    );
    assert!(shown.contains("ops"), "what was shown stays: {shown}");
    // And omar decides there over SSH, as the delegate.
    let out = server.ssh(&omar, &["decide", "accept", "cto", "billing:read"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn resize_q_and_ctrl_c_end_only_their_own_session() {
    let (_dir, server, [priya, omar]) = console_served(["priya", "omar"]);
    let a = Console::open(&server, &priya, "priya");
    let b = Console::open(&server, &omar, "omar");
    a.wait_for("q quit");
    b.wait_for("q quit");

    // A window change redraws at the new size: the panes' top border
    // spans the new width.
    a.resize(100, 30);
    let spans = |screen: &str, w: usize| {
        screen
            .lines()
            .any(|l| l.chars().count() == w && l.ends_with('┐'))
    };
    let shown = a.wait_until("a 100-column frame", |s| {
        spans(s, 100) && s.contains("q quit")
    });
    assert!(shown.lines().count() <= 30);

    // q ends priya's session; omar's goes on.
    a.keys(&["q"]);
    a.wait_for("ssh-exited-0");
    b.keys(&["?"]);
    b.wait_for("help");
    // Ctrl-C ends omar's; the server still serves.
    b.keys(&["Escape", "C-c"]);
    b.wait_for("ssh-exited-0");
    let out = server.ssh(&priya, &["status"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// The audit log as `audit export --jsonl` says it, oldest first.
fn exported(s: &Setup) -> Vec<serde_json::Value> {
    let out = s.local(&["audit", "export", "--jsonl"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Accepts the first suggestion the filter `who` leaves in the queue.
fn accept_first(console: &Console, who: &str) {
    console.keys(&["/"]);
    console.keys(&[who]);
    console.keys(&["Enter"]);
    console.keys(&["a"]);
    console.wait_for("Recorded now as planned");
    console.keys(&["y"]);
}

#[test]
fn a_decision_in_the_console_is_audited_with_the_key_or_the_certificate() {
    assert!(tmux_available(), "tmux is needed (.ci/run installs it)");
    let s = Setup::new();
    let ca = s.key("ca");
    s.write_config(&[&ca]);
    let priya = s.key("priya");
    s.register("priya", &priya);
    let laptop = s.key("cto-laptop");
    s.certify(&ca, &laptop, "cto", "-5m:+1h", 77);
    let server = s.start();

    let a = Console::open(&server, &priya, "priya");
    a.wait_for("q quit");
    accept_first(&a, "ana");
    assert!(eventually(|| exported(&s).len() == 1), "{}", a.screen());
    let e = &exported(&s)[0];
    assert_eq!(e["action"], "decide", "{e}");
    assert_eq!(e["actor"], "priya", "{e}");
    assert_eq!(e["via"], "key", "{e}");
    assert_eq!(e["fingerprint"], fingerprint(&priya), "{e}");

    let b = Console::open_cert(&server, &laptop, "cto");
    b.wait_for("q quit");
    accept_first(&b, "omar");
    assert!(eventually(|| exported(&s).len() == 2), "{}", b.screen());
    let e = &exported(&s)[1];
    assert_eq!(e["action"], "decide", "{e}");
    assert_eq!(e["actor"], "cto", "{e}");
    assert_eq!(e["via"], "certificate", "{e}");
    assert_eq!(e["fingerprint"], fingerprint(&laptop), "{e}");
    assert_eq!(e["serial"], 77, "{e}");
    assert_eq!(e["ca"], fingerprint(&ca), "{e}");

    // `audit list` says who, with how they proved it.
    let out = s.local(&["audit", "list"]);
    let list = text(&out.stdout);
    assert!(
        list.contains(&format!("priya (key {})", fingerprint(&priya))),
        "{list}"
    );
    assert!(
        list.contains(&format!("cto (certificate 77 of CA {})", fingerprint(&ca))),
        "{list}"
    );
}

#[test]
fn only_the_servers_admins_sync_from_the_console() {
    let (s, server, [priya, cto]) = console_served(["priya", "cto"]);
    let people = || {
        let out = s.local(&["status"]);
        let said = text(&out.stdout);
        said.lines()
            .find_map(|l| l.strip_prefix("cached: "))
            .and_then(|l| l.split(' ').next())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no count of people in: {said}"))
    };
    assert_eq!(people(), "6");
    // zoe joins in the org directory: a sync would bring her in.
    let mut with_zoe = PEOPLE.to_string();
    with_zoe.push_str("zoe,Zoe Quinn,zoe@acme.test,priya,active\n");
    std::fs::write(s.org().join("people.csv"), with_zoe).unwrap();

    let a = Console::open(&server, &priya, "priya");
    a.wait_for("q quit");
    a.keys(&["R"]);
    a.wait_for("sync is for the server's admins; priya is not one");
    // As on the command line.
    let out = server.ssh(&priya, &["sync"]);
    assert!(text(&out.stderr).contains("sync is for the server's admins; priya is not one"));
    assert_eq!(people(), "6", "nothing was pulled");

    let b = Console::open(&server, &cto, "cto");
    b.wait_for("q quit");
    b.keys(&["R"]);
    b.wait_for("synced files");
    assert_eq!(people(), "7");
}

#[test]
fn a_row_someone_else_decides_stays_in_place_marked_with_who_and_when() {
    let (_dir, server, [priya, cto]) = console_served(["priya", "cto"]);
    let console = Console::open(&server, &priya, "priya");
    console.wait_for("q quit");
    // Priya's queue narrowed to bo's rows; his pay-db:read selected.
    console.keys(&["/"]);
    console.keys(&["bo"]);
    console.keys(&["Enter"]);
    console.wait_for("/bo ");
    let mut before = console.screen();
    for _ in 0..5 {
        if before.contains("GRANT bo -> pay-db:read") {
            break;
        }
        console.keys(&["j"]);
        std::thread::sleep(std::time::Duration::from_millis(300));
        before = console.screen();
    }
    assert!(before.contains("GRANT bo -> pay-db:read"), "{before}");
    assert!(!before.contains("decided"), "{before}");

    // cto, who owns everything above payments, decides it over SSH.
    let out = server.ssh(&cto, &["decide", "accept", "bo", "pay-db:read"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = console.wait_for("decided: accept by cto at 2026-03-02 12:00Z");
    // Same row, same card, still selected; the row marked `=`.
    assert!(shown.contains("GRANT bo -> pay-db:read"), "{shown}");
    let row = shown
        .lines()
        .find(|l| l.contains("bo") && l.contains("pay-db:read") && !l.contains("GRANT"))
        .unwrap_or_else(|| panic!("bo's row is gone: {shown}"));
    assert!(row.contains("┃="), "{row}\n{shown}");
    // No other row is marked.
    let marked = shown.lines().filter(|l| l.contains("┃=")).count();
    assert_eq!(marked, 1, "{shown}");
    // Decided already: a key to decide it again does nothing.
    console.keys(&["a"]);
    console.wait_for("nothing selected to decide");
}
