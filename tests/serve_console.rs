//! The console over SSH, in a real terminal (tmux running `ssh -t`): two
//! owners at once, one delegating over SSH while the other's console shows
//! it; resize; `q` and Ctrl-C ending one session only. No timed
//! assertions: screens are polled, with a generous bound, and the time a
//! change took to show is printed.

mod serve_support;

use serve_support::*;
use std::time::Instant;

/// tmux for the consoles, and the small organization served with a key
/// registered for each of `people`.
fn console_served<const N: usize>(people: [&str; N]) -> (Setup, Server, [std::path::PathBuf; N]) {
    assert!(tmux_available(), "tmux is needed (.ci/run installs it)");
    served(people)
}

#[test]
fn a_delegation_over_ssh_reaches_the_delegates_open_console() {
    let (setup, server, [priya, omar]) = console_served(["priya", "omar"]);
    let console = Console::open(&server, &omar, "omar");
    let first = console.wait_for("ops");
    assert!(first.contains("omar"), "{first}");
    assert!(!first.contains("billing"), "{first}");

    let out = server.ssh(&priya, &["delegate", "billing", "--to", "omar"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t0 = Instant::now();
    // When it does not show, the server's log says which step missed it:
    // the watcher telling the change, the console told, its reading again.
    let showed = eventually(|| console.screen().contains("billing"));
    let shown = console.screen();
    assert!(
        showed,
        "billing never showed; the screen:\n{shown}\nthe server's log:\n{}",
        server_log(&setup)
    );
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

/// Waits until the server has evaluated the whole organization in memory.
fn resident_built(s: &Setup) {
    assert!(
        eventually(|| log_count(s, "resident evaluation: the whole organization") > 0),
        "the resident evaluation was never built"
    );
}

/// The local console (`steward --as PERSON` on the server's store, at
/// [`NOW`]) in a terminal of its own, 120x40 as [`Console`]'s.
struct LocalConsole {
    socket: String,
}

impl LocalConsole {
    fn open(s: &Setup, person: &str) -> LocalConsole {
        let c = LocalConsole {
            socket: format!("steward-local-{}-{person}", std::process::id()),
        };
        let cmd = format!(
            "env -i PATH=\"$PATH\" HOME={home} STEWARD_NOW={NOW} STEWARD_DB={db} STEWARD_CONFIG={config} STEWARD_LOG_DIR={logs} {bin} --as {person}; echo EXITED $?; sleep 600",
            home = s.path().display(),
            db = s.db().display(),
            config = s.path().join("local-none.toml").display(),
            logs = s.path().join("logs-local").display(),
            bin = env!("CARGO_BIN_EXE_steward"),
        );
        let status = std::process::Command::new("tmux")
            .args(["-L", &c.socket, "new-session", "-d", "-s", "local"])
            .args(["-x", "120", "-y", "40", &cmd])
            .status()
            .unwrap();
        assert!(status.success(), "tmux new-session failed");
        c
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let status = std::process::Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", "-t", "local", k])
                .status()
                .unwrap();
            assert!(status.success());
        }
    }

    fn screen(&self) -> String {
        let out = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "local"])
            .output()
            .unwrap();
        text(&out.stdout)
    }
}

impl Drop for LocalConsole {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

/// The screen once `ok` holds for it and a second read agrees (the frame
/// drawn whole); panics with the screen after a minute.
fn settled(screen: impl Fn() -> String, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    let mut last = String::new();
    loop {
        let now = screen();
        if ok(&now) && now == last {
            return now;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "{what} never showed; the screen:\n{now}"
        );
        last = now;
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// The queue on a console's screen: its title, then its rows in the
/// order shown (what lies within the focused pane's borders).
fn queue_rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .skip_while(|l| !l.contains("┏ Queue"))
        .take_while(|l| !l.contains('┗'))
        .filter_map(|l| l.split(['┃', '┏', '┓']).nth(1))
        .map(|l| l.trim_end().to_string())
        .collect()
}

/// Areas nobody in the small organization owns a part of: with them, a
/// leaf owner's scope is a small part of the organization, and the local
/// console reads only that part (a scoped read), while the server keeps
/// the whole evaluated.
fn with_more_areas(s: &Setup) {
    let mut areas = std::fs::read_to_string(s.org().join("areas.toml")).unwrap();
    for k in 0..12 {
        areas.push_str(&format!(
            "\n[[area]]\nid = \"spare-{k}\"\nname = \"Spare {k}\"\nparent = \"root\"\nowner = \"cto\"\n"
        ));
    }
    std::fs::write(s.org().join("areas.toml"), areas).unwrap();
    let out = s.local(&["sync", "--org", s.org().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A team outside Engineering with ana in it: no rule of omar's area
/// names it, so omar's scoped read does not hold it (nor ana's rotation,
/// whose team omar does not lead).
fn with_a_guild(s: &Setup) {
    let mut teams = std::fs::read_to_string(s.org().join("teams.toml")).unwrap();
    teams.push_str(
        "\n[[team]]\nid = \"guild\"\nname = \"Guild\"\nlead = \"bo\"\nmembers = [\"ana\"]\n",
    );
    std::fs::write(s.org().join("teams.toml"), teams).unwrap();
}

#[test]
fn a_served_console_shows_the_queue_the_local_one_does_from_the_resident_evaluation() {
    assert!(tmux_available(), "tmux is needed (.ci/run installs it)");
    let s = Setup::new();
    with_a_guild(&s);
    with_more_areas(&s);
    let omar = s.key("omar");
    s.register("omar", &omar);
    let server = s.start();
    resident_built(&s);
    let from = "console for omar: from the resident evaluation";

    let served = Console::open(&server, &omar, "omar");
    let loaded = |sc: &str| sc.contains("Queue") && sc.contains("lee    ops:console");
    let remote = settled(|| served.screen(), "omar's served queue", loaded);
    assert_eq!(log_count(&s, from), 1, "not read from memory:\n{remote}");
    let local = LocalConsole::open(&s, "omar");
    let here = settled(|| local.screen(), "omar's local queue", loaded);
    let rows = queue_rows(&remote);
    assert!(rows.iter().any(|r| r.contains("lee")), "{remote}");
    assert_eq!(rows, queue_rows(&here), "served:\n{remote}\nlocal:\n{here}");
    // The header, tree and the first row's card too: all but the status line.
    let drawn = |sc: &str| sc.lines().take(39).collect::<Vec<_>>().join("\n");
    assert_eq!(drawn(&remote), drawn(&here));

    // ana's card: her teams and shifts as omar's scope reads them (not
    // the guild, not her rotation), on both.
    let at = |who: &str| rows.iter().position(|r| r.contains(who)).unwrap();
    let down = at("ana") - at("lee");
    for _ in 0..down {
        served.keys(&["j"]);
        local.keys(&["j"]);
    }
    let card = |sc: &str| sc.contains("Ana Lima (ana)") && sc.contains("teams:");
    let remote = settled(|| served.screen(), "ana's served card", card);
    let here = settled(|| local.screen(), "ana's local card", card);
    assert!(here.contains("teams: payments "), "{here}");
    assert!(here.contains("shifts: none recent or upcoming"), "{here}");
    assert_eq!(drawn(&remote), drawn(&here));
}

/// Text from outside carrying every trick: colours (CSI), a title change
/// (OSC), a hyperlink (OSC 8), a one-byte C1 CSI, a bidi override.
const HOSTILE: &str = "\u{1b}[31mRED\u{1b}[0m \u{1b}]0;pwned\u{7} \u{1b}]8;;http://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\ \u{9b}2J \u{202e}txet\u{202c}";

#[test]
fn a_served_console_draws_hostile_names_visibly_from_the_resident_evaluation() {
    assert!(tmux_available(), "tmux is needed (.ci/run installs it)");
    let hostile = |name: &str| format!("\"{name} {}\"", HOSTILE.replace('"', "\"\""));
    let mut people = String::from("id,name,email,manager,status\n");
    for (id, name, manager, status) in [
        ("cto", "Casey", "", "active"),
        ("priya", "Priya", "cto", "active"),
        ("omar", "Omar", "cto", "active"),
        ("ana", "Ana", "priya", "active"),
        ("bo", "Bo", "priya", "active"),
        ("lee", "Lee", "priya", "left"),
    ] {
        people.push_str(&format!(
            "{id},{},{id}@acme.test,{manager},{status}\n",
            hostile(name)
        ));
    }
    let s = Setup::with_people(&people, TEAMS);
    let priya = s.key("priya");
    s.register("priya", &priya);
    let server = s.start();
    resident_built(&s);

    let console = Console::open(&server, &priya, "priya");
    let screen = settled(
        || console.screen(),
        "priya's console with ana's name",
        |sc| sc.contains("Queue") && sc.contains("[31mRED"),
    );
    let red = screen.matches("[31mRED").count();
    assert_eq!(
        screen.matches("\\u{1b}[31mRED").count(),
        red,
        "leftovers of an escape sequence:\n{screen}"
    );
    assert!(screen.contains("\\u{202e}txet"), "{screen}");
    let title = std::process::Command::new("tmux")
        .args(["-L", &console_socket(&server, "priya")])
        .args(["display-message", "-p", "-t", "priya", "#{pane_title}"])
        .output()
        .unwrap();
    assert!(
        !text(&title.stdout).contains("pwned"),
        "the title was changed"
    );
    assert_eq!(
        log_count(&s, "console for priya: from the resident evaluation"),
        1,
        "not read from memory"
    );
    assert_eq!(
        log_count(&s, "a copy made for consoles"),
        1,
        "the resident snapshot's text was not made safe"
    );
}

/// The tmux socket [`Console::open`] names for `name` on `server`.
fn console_socket(server: &Server, name: &str) -> String {
    format!(
        "steward-serve-{}-{}-{name}",
        std::process::id(),
        server.port
    )
}
