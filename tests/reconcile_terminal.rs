//! The real binary in a real terminal (tmux, 80x24) on a cache where
//! `steward reconcile` ran: the owner is told under the header what their
//! automatic rules applied, `U` lists it and marks it seen (a later start
//! says nothing more), and the owner of an area the guard held back sees
//! the banner. No timed assertions: the screen is polled until the
//! expected text shows, with a generous bound.

#[path = "reconcile/org.rs"]
mod org;
mod tmux;

use org::{Env, NOW};
use tmux::Session;

/// The console as `who` on `env`'s cache, 80x24; the shell says
/// `EXITED n` when it ends.
fn console(env: &Env, who: &str, name: &str) -> Session {
    let d = env.dir.path();
    let cmd = format!(
        "env -u STEWARD_AS STEWARD_DB={db} STEWARD_CONFIG={cfg} STEWARD_DATA_DIR={data} STEWARD_LOG_DIR={logs} STEWARD_NOW={NOW} {bin} --as {who}; echo EXITED $?; sleep 600",
        db = env.db().display(),
        cfg = d.join("none.toml").display(),
        data = d.join("data").display(),
        logs = d.join("logs").display(),
        bin = env!("CARGO_BIN_EXE_steward"),
    );
    Session::start("reconcile", name, d, (80, 24), &cmd)
}

fn quit(s: &Session) {
    s.keys(&["q"]);
    s.wait_for("EXITED 0");
}

#[test]
fn after_reconcile_the_console_says_what_rules_applied_and_what_is_held_back() {
    let env = Env::new(1);
    env.exits(3, &["reconcile"]);

    let s = console(&env, "priya", "first");
    let screen = s.wait_for("5 applied by your rules since you last looked (U shows them)");
    assert!(!screen.contains("HELD BACK"), "{screen}");
    s.keys(&["U"]);
    let screen = s.wait_for("Applied for you by your rules: 5 new (your first look)");
    for row in ["grant  bo -> pay-db:read", "revoke lee -> pay-db:read"] {
        assert!(screen.contains(row), "{row}:\n{screen}");
    }
    assert!(
        screen.contains("by rule pay-read, with the consent of its author priya"),
        "{screen}"
    );
    s.keys(&["Escape"]);
    s.wait_for("Queue 2");
    quit(&s);
    drop(s);

    // Seen: the next start says nothing more (once its data is in).
    let s = console(&env, "priya", "again");
    let screen = s.wait_for("plan 0 (P)");
    assert!(!screen.contains("applied by your rules"), "{screen}");
    quit(&s);
    drop(s);

    // omar's areas were held back: the banner, and how to release them.
    let s = console(&env, "omar", "omar");
    let screen = s.wait_for("HELD BACK  2 in ops, 2 in ops-tools over max_auto_changes");
    assert!(!screen.contains("applied by your rules"), "{screen}");
    s.keys(&["U"]);
    s.wait_for("`steward reconcile --release");
    quit(&s);
}
