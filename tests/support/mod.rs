//! What the connector tests share: the steward binary run against a
//! temporary directory (its cache, config, data and logs there, the clock
//! fixed), and the files of an org directory written empty.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// What one run of steward did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Its output and its errors, in that order.
    pub fn said(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// The steward binary with everything it keeps under `dir`, the clock at
/// `now`, and no `STEWARD_AS` from the environment; add the arguments.
pub fn steward_in(dir: &Path, now: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_steward"));
    cmd.env("STEWARD_DB", dir.join("steward.db"))
        .env("STEWARD_CONFIG", dir.join("steward.toml"))
        .env("STEWARD_DATA_DIR", dir.join("data"))
        .env("STEWARD_LOG_DIR", dir.join("logs"))
        .env("STEWARD_NOW", now)
        .env_remove("STEWARD_AS");
    cmd
}

/// Runs `cmd` to its end.
pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("run steward");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// Writes each of `names` empty in `org` (created if needed): a files
/// source needs every file of the kinds it provides, even with no rows.
pub fn empty_files(org: &Path, names: &[&str]) {
    std::fs::create_dir_all(org).unwrap_or_else(|e| panic!("{}: {e}", org.display()));
    for name in names {
        let path = org.join(name);
        std::fs::write(&path, "").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// Writes `people` as people.csv in `org` (created if needed).
pub fn people_csv(org: &Path, people: &str) {
    std::fs::create_dir_all(org).unwrap_or_else(|e| panic!("{}: {e}", org.display()));
    let path = org.join("people.csv");
    std::fs::write(&path, people).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// A temporary directory holding `org`, an org directory with `people` as
/// its people.csv and every other file there, empty: a files source
/// provides everything by default, so it reads them all.
pub fn with_org(people: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let org = tmp.path().join("org");
    people_csv(&org, people);
    // Every file but people.csv (and the `rotations` folder, which may be
    // missing).
    let rest: Vec<&str> = steward::sources::files::ORG_FILES
        .into_iter()
        .filter(|f| f.contains('.') && *f != "people.csv")
        .collect();
    empty_files(&org, &rest);
    tmp
}

/// steward.toml for [`with_org`]: `me`, the files source reading `org`,
/// then `sources` (further `[[source]]` tables).
pub fn org_and(me: &str, sources: &str) -> String {
    format!("me = \"{me}\"\n\n[[source]]\nkind = \"files\"\ndir = \"org\"\n\n{sources}")
}

/// A temporary directory holding `org`, an org directory of these files
/// (name, text), synced into the cache there at `now` (as [`steward_in`]
/// runs steward).
pub fn synced_org(files: &[(&str, &str)], now: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let org = tmp.path().join("org");
    std::fs::create_dir_all(&org).unwrap_or_else(|e| panic!("{}: {e}", org.display()));
    for (name, body) in files {
        let path = org.join(name);
        std::fs::write(&path, body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let synced = run(steward_in(tmp.path(), now)
        .arg("sync")
        .arg("--org")
        .arg(&org));
    assert_eq!(synced.code, 0, "sync --org: {}", synced.said());
    tmp
}
