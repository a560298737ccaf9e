//! One cache, several processes at once: a sync loop (as from cron) while
//! readers and deciders work. Nobody sees "database is locked", nothing is
//! corrupted, and every decision lands with its audit entry.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;

const NOW: &str = "2026-03-02T12:00:00Z";

fn steward(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_steward"));
    c.env_remove("STEWARD_AS")
        .env("STEWARD_NOW", NOW)
        .env("STEWARD_DB", dir.join("steward.db"))
        .env("STEWARD_CONFIG", dir.join("none.toml"))
        .env("STEWARD_LOG_DIR", dir.join("logs"))
        .stdin(Stdio::null());
    c
}

fn check(out: std::process::Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("locked"), "{what}: {stderr}");
    assert!(out.status.success(), "{what} failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn sync_readers_and_deciders_share_one_cache() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = Arc::new(tmp.path().to_path_buf());
    let org = dir.join("org");
    let org_arg = org.to_string_lossy().into_owned();
    check(
        steward(&dir)
            .args(["gen", "--people", "3000", "--out", &org_arg])
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
        "gen",
    );
    check(
        steward(&dir)
            .args(["sync", "--org", &org_arg])
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
        "sync",
    );
    let list: Vec<serde_json::Value> = serde_json::from_str(&check(
        steward(&dir)
            .args(["suggest", "--json"])
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
        "suggest",
    ))
    .unwrap_or_default();
    let root_owner = {
        let text = std::fs::read_to_string(org.join("areas.toml")).unwrap_or_default();
        let v: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        v["area"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a.get("parent").is_none()))
            .and_then(|a| a["owner"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let targets: Vec<(String, String)> = list
        .iter()
        .filter(|s| s["kind"] == "grant")
        .take(40)
        .map(|s| {
            (
                s["person"].as_str().unwrap_or("").into(),
                s["entitlement"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert!(
        targets.len() >= 20,
        "too few grant suggestions: {}",
        targets.len()
    );

    let syncer = {
        let dir = Arc::clone(&dir);
        let org_arg = org_arg.clone();
        thread::spawn(move || {
            for i in 0..6 {
                check(
                    steward(&dir)
                        .args(["sync", "--org", &org_arg])
                        .output()
                        .unwrap_or_else(|e| panic!("{e}")),
                    &format!("sync {i}"),
                );
            }
        })
    };
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let dir = Arc::clone(&dir);
            thread::spawn(move || {
                for i in 0..8 {
                    check(
                        steward(&dir)
                            .args(["suggest", "--json"])
                            .output()
                            .unwrap_or_else(|e| panic!("{e}")),
                        &format!("reader {r} run {i}"),
                    );
                    check(
                        steward(&dir)
                            .args(["status"])
                            .output()
                            .unwrap_or_else(|e| panic!("{e}")),
                        &format!("status {r} {i}"),
                    );
                }
            })
        })
        .collect();
    let decider = {
        let dir = Arc::clone(&dir);
        let targets = targets.clone();
        thread::spawn(move || {
            for (p, e) in &targets {
                check(
                    steward(&dir)
                        .args(["decide", "accept", p, e, "--as", &root_owner])
                        .output()
                        .unwrap_or_else(|e| panic!("{e}")),
                    &format!("decide {p} {e}"),
                );
            }
        })
    };
    for h in readers.into_iter().chain([syncer, decider]) {
        if let Err(e) = h.join() {
            std::panic::resume_unwind(e);
        }
    }
    let verify = check(
        steward(&dir)
            .args(["audit", "verify"])
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
        "verify",
    );
    assert!(
        verify.contains(&format!("{} entries verified", targets.len())),
        "{verify}"
    );
    let plan: Vec<serde_json::Value> = serde_json::from_str(&check(
        steward(&dir)
            .args(["plan", "--json"])
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
        "plan",
    ))
    .unwrap_or_default();
    assert_eq!(plan.len(), targets.len());
}
