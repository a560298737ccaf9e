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

#[test]
fn a_delegation_over_ssh_reaches_the_delegates_open_console() {
    assert!(tmux_available(), "tmux is needed (.ci/run installs it)");
    let s = Setup::new();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let omar = s.key("omar");
    s.register("omar", &omar);
    let server = s.start();
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
    assert!(tmux_available(), "tmux is needed (.ci/run installs it)");
    let s = Setup::new();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let omar = s.key("omar");
    s.register("omar", &omar);
    let server = s.start();
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
