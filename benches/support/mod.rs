//! What the benches at scale share: the fixed clock, the organization's
//! size, the leaf owner they time, the steward binary run on a cache, and
//! the machine's load said beside the figures.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};
use steward::model::Time;
use steward::store::Store;

pub const NOW: &str = "2026-03-02T12:00:00Z";

pub fn now() -> Time {
    NOW.parse().unwrap_or_default()
}

/// People in the generated organization: `STEWARD_BENCH_PEOPLE`, else 100k.
pub fn people() -> usize {
    std::env::var("STEWARD_BENCH_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// The owner of the first leaf area (no area below it) with a small
/// scope, among the first hundred such.
pub fn leaf_owner(store: &Store) -> String {
    let c = rusqlite::Connection::open(store.path()).unwrap_or_else(|e| panic!("{e}"));
    let mut st = c
        .prepare(
            "SELECT a.owner FROM areas a
             WHERE NOT EXISTS (SELECT 1 FROM areas c WHERE c.parent = a.id)
             ORDER BY a.rowid LIMIT 100",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let owners: Vec<String> = st
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("{e}"));
    owners
        .into_iter()
        .find(|o| store.scope_is_small(o, now()).unwrap_or(false))
        .unwrap_or_else(|| panic!("no leaf owner with a small scope"))
}

/// `steward` (the binary built for this bench) on cache `db` at [`NOW`],
/// with no config of its own (its home under `dir`), output discarded.
pub fn steward<A: AsRef<OsStr>>(dir: &Path, db: &Path, args: &[A]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_steward"));
    let home = dir.join("home");
    cmd.env_clear()
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .arg("--db")
        .arg(db)
        .arg("--now")
        .arg(NOW)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Runs `cmd`, which must succeed.
pub fn run(mut cmd: Command) {
    let status = cmd.status().unwrap_or_else(|e| panic!("steward: {e}"));
    assert!(status.success(), "steward failed: {status}");
}

/// The load average, as /proc/loadavg says it.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
