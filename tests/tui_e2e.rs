//! The real binary in a real terminal (tmux): open the demo console, walk a
//! revocation through accept and apply, check the screen, then the cache
//! and the org directory after. No timed assertions: the screen is polled
//! until the expected text shows, with a generous bound.

mod tmux;

use std::path::Path;
use std::process::Command;
use tmux::{NOW, Session};

/// `cmd` in a 120x40 terminal.
fn start(name: &str, dir: &Path, cmd: &str) -> Session {
    Session::start("e2e", name, dir, (120, 40), cmd)
}

fn steward(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_steward"));
    c.env_remove("STEWARD_AS")
        .env("STEWARD_NOW", NOW)
        .env("STEWARD_LOG_DIR", data.join("logs"))
        .env("STEWARD_DB", data.join("demo").join("steward.db"));
    c
}

#[test]
fn a_revocation_walks_through_accept_and_apply_in_the_real_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let cmd = format!(
        "env -u STEWARD_AS STEWARD_LOG_DIR={logs} {bin} --data-dir {data} --now {NOW} demo --as priya; echo EXITED $?; sleep 600",
        logs = tmp.path().join("logs").display(),
        bin = env!("CARGO_BIN_EXE_steward"),
        data = data.display(),
    );
    let s = start("demo", tmp.path(), &cmd);

    let screen = s.wait_for("Queue 10");
    assert!(screen.contains("Priya Raman (priya)"), "{screen}");
    assert!(
        screen.contains("REVOKE greg -> payments-db:read"),
        "{screen}"
    );

    // Accept the first card: the exact upstream change, then confirm.
    s.keys(&["a"]);
    let screen = s.wait_for("Accept revoke greg payments-db:read?");
    assert!(
        screen.contains("grants.csv: remove greg -> payments-db:read"),
        "{screen}"
    );
    s.keys(&["y"]);
    s.wait_for("recorded 1 decision");
    s.wait_for("Queue 9");

    // Apply: every operation listed, then per-change results.
    s.keys(&["A"]);
    s.wait_for("Apply 1 change upstream?");
    s.keys(&["y"]);
    let screen = s.wait_for("applied: 1 ok, 0 not applied");
    assert!(
        screen.contains("ok   #1 grants.csv: remove greg"),
        "{screen}"
    );

    // Sync again from the console (the demo's org directory), in the
    // background. Esc first, on its own: sent together, a terminal reads
    // ESC R as Alt-R.
    s.keys(&["Escape"]);
    s.wait_for("Queue 9");
    s.keys(&["R"]);
    let screen = s.wait_for("synced files: ");
    assert!(screen.contains("Queue 9"), "{screen}");

    s.keys(&["q"]);
    s.wait_for("EXITED 0");

    // The cache and the org directory agree.
    let plan = steward(&data)
        .args(["plan", "--as", "priya"])
        .output()
        .unwrap();
    let plan = String::from_utf8_lossy(&plan.stdout);
    assert!(!plan.contains("greg"), "{plan}");
    let audit = steward(&data).arg("audit").output().unwrap();
    let audit = String::from_utf8_lossy(&audit.stdout);
    assert!(
        audit.contains("decide") && audit.contains("apply"),
        "{audit}"
    );
    assert!(audit.contains("greg"), "{audit}");
    let grants = std::fs::read_to_string(data.join("demo").join("org").join("grants.csv")).unwrap();
    assert!(!grants.contains("greg,payments-db:read,"), "{grants}");
    assert!(grants.contains("greg,payments-db:write,"), "{grants}");
}

#[test]
fn with_no_cache_the_console_explains_how_to_configure_and_offers_the_demo() {
    let tmp = tempfile::tempdir().unwrap();
    let cmd = format!(
        "env -u STEWARD_AS -u STEWARD_DB STEWARD_LOG_DIR={logs} {bin} --data-dir {data} --config {cfg} --now {NOW}; echo EXITED $?; sleep 600",
        logs = tmp.path().join("logs").display(),
        bin = env!("CARGO_BIN_EXE_steward"),
        data = tmp.path().join("data").display(),
        cfg = tmp.path().join("none.toml").display(),
    );
    let s = start("welcome", tmp.path(), &cmd);
    let screen = s.wait_for("open the demo");
    assert!(screen.contains("steward sync --org DIR"), "{screen}");
    s.keys(&["d"]);
    s.wait_for("Priya Raman (priya)");
    s.keys(&["S"]);
    s.wait_for("Marcus Bell (marcus)");
    s.keys(&["C-c"]);
    s.wait_for("EXITED 0");
}

#[test]
fn an_unknown_person_is_refused_before_the_console_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // Installs the demo's cache (no terminal: it prints instead of opening).
    let out = Command::new(env!("CARGO_BIN_EXE_steward"))
        .env_remove("STEWARD_AS")
        .env("STEWARD_LOG_DIR", tmp.path().join("logs"))
        .args(["--data-dir", data.to_str().unwrap(), "--now", NOW, "demo"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let cmd = format!(
        "env -u STEWARD_AS STEWARD_LOG_DIR={logs} {bin} --db {db} --now {NOW} --as nobody.here; echo EXITED $?; sleep 600",
        logs = tmp.path().join("logs").display(),
        bin = env!("CARGO_BIN_EXE_steward"),
        db = data.join("demo").join("steward.db").display(),
    );
    let s = start("unknown", tmp.path(), &cmd);
    let screen = s.wait_for("EXITED 1");
    assert!(
        screen.contains("unknown person \"nobody.here\": not on the roster"),
        "{screen}"
    );
    // The terminal was never taken: no console frame was drawn.
    assert!(!screen.contains("Queue"), "{screen}");
}
