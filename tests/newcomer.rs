//! The demo and the command line as a newcomer finds them: the real binary
//! in a fresh data directory with no configuration, following the README
//! and the advice steward prints.

mod tmux;

use std::path::{Path, PathBuf};
use std::process::Command;

const NOW: &str = "2026-03-02T12:00:00Z";

struct Home {
    dir: tempfile::TempDir,
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config").join("steward.toml")
    }

    fn demo_db(&self) -> PathBuf {
        self.data().join("demo").join("steward.db")
    }

    /// steward with nothing set up: no config file, a data directory of
    /// its own, no --db, no --as from the environment.
    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_steward"))
            .env_remove("STEWARD_AS")
            .env_remove("STEWARD_DB")
            .env("STEWARD_NOW", NOW)
            .env("STEWARD_CONFIG", self.config())
            .env("STEWARD_DATA_DIR", self.data())
            .env("STEWARD_LOG_DIR", self.dir.path().join("logs"))
            .args(args)
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&out.stdout).into_owned(),
            err: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "steward {args:?} failed:\n{}\n{}", r.out, r.err);
        r
    }
}

fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn after_the_demo_the_plain_commands_work_on_it_and_say_so_once() {
    let h = Home::new();
    // Before the demo: the advice names something that works.
    let before = h.run(&["suggest", "--as", "priya"]);
    assert_eq!(before.code, 1);
    assert!(before.err.contains("`steward demo`"), "{}", before.err);

    let demo = h.ok(&["demo", "--print"]);
    assert!(demo.out.contains("installed the demo in"), "{}", demo.out);
    // The printed hints need no --db: the plain commands reach the demo.
    assert!(
        demo.out.contains("Try: steward suggest --as omar"),
        "{}",
        demo.out
    );

    // The advice followed: the same command now works, on the demo.
    let suggest = h.ok(&["suggest", "--as", "priya"]);
    assert!(
        suggest.out.contains("greg    payments-db:read"),
        "{}",
        suggest.out
    );
    assert!(
        !suggest.out.contains("payments-api:deploy"),
        "priya's scope only"
    );
    assert_eq!(
        lines_with(&suggest.err, "using the demo").len(),
        1,
        "said once: {}",
        suggest.err
    );
    assert!(
        suggest.err.contains(&h.demo_db().display().to_string()),
        "{}",
        suggest.err
    );

    let why = h.ok(&["why", "greg", "payments-db:read"]);
    assert!(
        why.out.contains("greg (Greg Thompson, left)"),
        "{}",
        why.out
    );
    let decided = h.ok(&[
        "decide",
        "accept",
        "greg",
        "payments-db:read",
        "--as",
        "priya",
    ]);
    assert!(
        decided.out.contains("recorded decision 1"),
        "{}",
        decided.out
    );
    let plan = h.ok(&["plan", "--as", "priya"]);
    assert!(
        plan.out
            .contains("grants.csv: remove greg -> payments-db:read"),
        "{}",
        plan.out
    );
    let applied = h.ok(&["apply", "--as", "priya"]);
    assert!(
        applied.out.contains("1 applied, 0 failed"),
        "{}",
        applied.out
    );
    let grants = std::fs::read_to_string(h.data().join("demo/org/grants.csv")).unwrap();
    assert!(
        !grants.contains("greg,payments-db:read,"),
        "applied to the demo's org"
    );

    // sync with no configuration reads the demo's org directory again.
    let sync = h.ok(&["sync"]);
    assert!(sync.out.contains("synced "), "{}", sync.out);
    assert!(sync.out.contains("demo"), "{}", sync.out);
    assert!(
        sync.err.contains("reading again the org directory"),
        "{}",
        sync.err
    );

    for args in [
        &["status", "--as", "priya"][..],
        &["--as", "priya", "status"][..],
    ] {
        let status = h.ok(args);
        assert!(
            status.out.contains("as priya: scope payments-db;"),
            "{args:?}: {}",
            status.out
        );
        assert!(status.out.contains("1 recorded"), "{}", status.out);
    }
    // --as before the command counts for it, as after.
    let top = h.ok(&["--as", "priya", "suggest"]);
    assert_eq!(top.out, h.ok(&["suggest", "--as", "priya"]).out);
    assert!(!top.err.contains("every suggestion in the organization"));

    // Without --as, the advice names the demo's owners.
    let who = h.run(&["decide", "accept", "carlos", "payments-db:write"]);
    assert_eq!(who.code, 1);
    assert!(
        who.err.contains("--as priya, marcus or omar"),
        "{}",
        who.err
    );
}

#[test]
fn a_second_demo_reopens_what_was_decided_and_reset_says_what_it_discards() {
    let h = Home::new();
    h.ok(&["demo", "--print"]);
    h.ok(&[
        "decide",
        "accept",
        "greg",
        "payments-db:read",
        "--as",
        "priya",
    ]);
    h.ok(&[
        "decide",
        "dismiss",
        "sarah",
        "payments-db:read",
        "--as",
        "priya",
        "--reason",
        "pairing",
    ]);
    h.ok(&["apply", "--as", "priya"]);
    h.ok(&[
        "delegate",
        "payments-db-backups",
        "--to",
        "omar",
        "--as",
        "priya",
    ]);

    // Neither `demo` nor `demo --print` installs over it.
    for args in [&["demo"][..], &["demo", "--print"][..]] {
        let again = h.ok(args);
        assert!(
            again.out.contains(
                "reopened the demo in",
            ) && again.out.contains(
                "2 decisions, 1 delegation, 1 applied change, 4 audit entries; `steward demo --reset` starts afresh"
            ),
            "{}",
            again.out
        );
        let priya = again.out.split("== Marcus").next().unwrap();
        assert!(
            !priya.contains("greg    payments-db:read"),
            "decided: {priya}"
        );
        // greg's revocation was applied (the suggestion is gone); sarah's
        // review was dismissed.
        assert!(priya.contains("(1 already decided"), "{priya}");
        assert!(!priya.contains("sarah"), "{priya}");
    }
    let all = h.ok(&["suggest", "--as", "priya", "--all"]);
    assert!(all.out.contains("sarah"), "{}", all.out);
    let audit = h.ok(&["audit"]);
    assert_eq!(audit.out.lines().count(), 5, "{}", audit.out);

    let reset = h.ok(&["demo", "--reset", "--print"]);
    assert!(
        reset.out.contains(
            "reset the demo in",
        ) && reset.out.contains(
            "discarded 2 decisions, 1 delegation, 1 applied change, 4 audit entries; installed a fresh one"
        ),
        "{}",
        reset.out
    );
    let audit = h.ok(&["audit"]);
    assert_eq!(
        audit.out.lines().count(),
        1,
        "only the header: {}",
        audit.out
    );
    let suggest = h.ok(&["suggest", "--as", "priya"]);
    assert!(
        suggest.out.contains("greg    payments-db:read"),
        "{}",
        suggest.out
    );
    let grants = std::fs::read_to_string(h.data().join("demo/org/grants.csv")).unwrap();
    assert!(
        grants.contains("greg,payments-db:read,"),
        "the org is fresh too"
    );

    // A reset with nothing done says so.
    let empty = h.ok(&["demo", "--reset", "--print"]);
    assert!(
        empty.out.contains("nothing had been decided in it"),
        "{}",
        empty.out
    );
}

#[test]
fn a_demo_opened_days_later_says_it_has_aged() {
    let h = Home::new();
    h.ok(&["demo", "--print"]);
    let later = h.ok(&["--now", "2026-03-07T12:00:00Z", "demo", "--print"]);
    assert!(
        later
            .out
            .contains("(installed 5 days ago, so its shifts and trainings have moved on since)"),
        "{}",
        later.out
    );
}

#[test]
fn a_cache_or_config_of_ones_own_takes_over_from_the_demo() {
    let h = Home::new();
    h.ok(&["demo", "--print"]);
    // An org directory of one's own goes into one's own cache, not the demo's.
    let org = h.data().join("demo").join("org");
    let own = h.dir.path().join("acme");
    copy_dir(&org, &own);
    let sync = h.ok(&["sync", "--org", own.to_str().unwrap()]);
    assert!(
        sync.out
            .contains(&h.data().join("steward.db").display().to_string()),
        "{}",
        sync.out
    );
    let suggest = h.ok(&["suggest", "--as", "priya"]);
    assert!(!suggest.err.contains("using the demo"), "{}", suggest.err);
    std::fs::remove_file(h.data().join("steward.db")).unwrap();

    // A config of one's own (not synced yet): the advice says how to reach
    // each, and following it works.
    std::fs::create_dir_all(h.config().parent().unwrap()).unwrap();
    std::fs::write(h.config(), "me = \"priya\"\n").unwrap();
    let err = h.run(&["suggest"]);
    assert_eq!(err.code, 1);
    assert!(err.err.contains("`steward sync --org DIR`"), "{}", err.err);
    let db = h.demo_db().display().to_string();
    assert!(
        err.err.contains(&format!("`steward --db {db} COMMAND`")),
        "{}",
        err.err
    );
    let via_db = h.ok(&["--db", &db, "suggest"]);
    assert!(via_db.out.contains("greg"), "{}", via_db.out);
    let nothing = h.run(&["sync"]);
    assert_eq!(nothing.code, 1);
    assert!(
        nothing.err.contains("configures no [[source]]"),
        "{}",
        nothing.err
    );
    assert!(
        nothing.err.contains("`steward sync --org DIR`"),
        "{}",
        nothing.err
    );
}

#[test]
fn the_audit_list_reads_as_sentences() {
    let h = Home::new();
    h.ok(&["demo", "--print"]);
    h.ok(&[
        "decide",
        "dismiss",
        "sarah",
        "payments-db:read",
        "--as",
        "priya",
        "--reason",
        "pairing",
    ]);
    h.ok(&[
        "decide",
        "accept",
        "greg",
        "payments-db:read",
        "--as",
        "priya",
    ]);
    h.ok(&["apply", "--as", "priya"]);
    let audit = h.ok(&["audit", "list"]);
    assert!(!audit.out.contains('{'), "no JSON: {}", audit.out);
    assert!(
        audit.out.contains(
            "decide  #1 dismiss review sarah payments-db:read (area payments-db) because: pairing"
        ),
        "{}",
        audit.out
    );
    assert!(
        audit
            .out
            .contains("apply   #2 ok: grants.csv: remove greg -> payments-db:read"),
        "{}",
        audit.out
    );
    // The export keeps the JSON for machines.
    let export = h.ok(&["audit", "export", "--jsonl"]);
    assert!(
        export.out.contains(r#"\"verdict\":\"dismiss\""#),
        "{}",
        export.out
    );
}

#[test]
fn the_digest_does_not_count_what_cannot_be_decided_yet() {
    let h = Home::new();
    h.ok(&["demo", "--print"]);
    let digest = h.ok(&["digest", "--as", "priya"]);
    let head = digest.out.lines().next().unwrap_or_default();
    assert!(
        head.contains(" to decide; 1 shift soon, nothing to decide yet"),
        "{head}"
    );
    assert!(
        digest.out.contains(
            "it is granted only while on call: steward will suggest it when the shift starts"
        ),
        "{}",
        digest.out
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// The real binary in tmux: the console on the demo, a decision, quit,
/// and `steward demo` again shows it kept.
mod terminal {
    use super::NOW;
    use std::path::Path;

    /// The shell command that runs steward with nothing set up; it ends
    /// by printing `{tag} EXITED` and the exit code.
    pub fn steward(dir: &Path, args: &str, tag: &str) -> String {
        format!(
            "clear; env -u STEWARD_AS -u STEWARD_DB STEWARD_NOW={NOW} STEWARD_CONFIG={cfg} STEWARD_DATA_DIR={data} STEWARD_LOG_DIR={logs} {bin} {args}; echo {tag} EXITED $?",
            cfg = dir.join("none.toml").display(),
            data = dir.join("data").display(),
            logs = dir.join("logs").display(),
            bin = env!("CARGO_BIN_EXE_steward"),
        )
    }
}

#[test]
fn the_console_demo_keeps_a_decision_when_opened_again() {
    let tmp = tempfile::tempdir().unwrap();
    let s = tmux::Session::start("newcomer", "reopen", tmp.path(), (120, 40), "sh");
    s.line(&terminal::steward(tmp.path(), "demo", "first"));
    s.wait_for("Queue 10");
    s.keys(&["a"]);
    s.wait_for("Accept revoke greg payments-db:read?");
    s.keys(&["y"]);
    s.wait_for("Queue 9");
    s.keys(&["q"]);
    let after = s.wait_for("first EXITED 0");
    assert!(
        after.contains("`steward demo` reopens it") && after.contains("use it too"),
        "{after}"
    );

    s.line(&terminal::steward(tmp.path(), "demo", "second"));
    let screen = s.wait_for("Queue 9");
    assert!(
        !screen.contains("REVOKE greg -> payments-db:read"),
        "{screen}"
    );
    s.keys(&["q"]);
    let after = s.wait_for("second EXITED 0");
    assert!(
        after.contains("reopened the demo in") && after.contains("1 decision, 0 delegations"),
        "{after}"
    );

    // The plain CLI sees the same decision.
    s.line(&terminal::steward(tmp.path(), "plan --as priya", "plan"));
    let plan = s.wait_for("plan EXITED 0");
    assert!(plan.contains("remove greg -> payments-db:read"), "{plan}");
}
