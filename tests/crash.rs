//! Crash safety with real processes and real SIGKILLs at many points: a
//! killed sync, decision or apply loses no committed decision, duplicates no
//! audit entry, leaves a cache that opens and verifies, and a rerun of an
//! interrupted apply completes it without doing any change twice.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const NOW: &str = "2026-03-02T12:00:00Z";

struct Env {
    dir: tempfile::TempDir,
    org: PathBuf,
    db: PathBuf,
}

fn steward(env: &Env) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_steward"));
    c.env_remove("STEWARD_AS")
        .env("STEWARD_NOW", NOW)
        .env("STEWARD_DB", &env.db)
        .env("STEWARD_CONFIG", env.dir.path().join("none.toml"))
        .env("STEWARD_LOG_DIR", env.dir.path().join("logs"))
        .stdin(Stdio::null());
    c
}

fn run(env: &Env, args: &[&str]) -> Output {
    steward(env)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("spawn: {e}"))
}

fn ok(env: &Env, args: &[&str]) -> String {
    let out = run(env, args);
    assert!(
        out.status.success(),
        "steward {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn setup(people: usize) -> Env {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let org = dir.path().join("org");
    let db = dir.path().join("steward.db");
    let env = Env { dir, org, db };
    let org_arg = env.org.to_string_lossy().into_owned();
    ok(
        &env,
        &[
            "gen",
            "--people",
            &people.to_string(),
            "--out",
            &org_arg,
            "--seed",
            "11",
        ],
    );
    ok(&env, &["sync", "--org", &org_arg]);
    env
}

/// A small xorshift, seeded per test, for kill delays.
struct Delays(u64);
impl Delays {
    fn next_ms(&mut self, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % max.max(1)
    }
}

/// Starts `steward args`, kills it with SIGKILL after `ms`, and reaps it.
/// Returns whether it had already finished by itself.
fn kill_after(env: &Env, args: &[&str], ms: u64) -> bool {
    let mut child = steward(env)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    std::thread::sleep(Duration::from_millis(ms));
    let finished = matches!(child.try_wait(), Ok(Some(_)));
    let _ = child.kill();
    let _ = child.wait();
    finished
}

fn assert_cache_whole(env: &Env) {
    ok(env, &["status"]);
    let verify = ok(env, &["audit", "verify"]);
    assert!(verify.contains("audit log intact"), "{verify}");
}

/// Audit entries as (action, decision id) counts.
fn audit_counts(env: &Env) -> HashMap<(String, i64), usize> {
    let mut counts = HashMap::new();
    for line in ok(env, &["audit", "export", "--jsonl"]).lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let detail: serde_json::Value =
            serde_json::from_str(v["detail"].as_str().unwrap_or("{}")).unwrap_or_default();
        let id = detail["decision"].as_i64().unwrap_or(-1);
        *counts
            .entry((v["action"].as_str().unwrap_or("").to_string(), id))
            .or_insert(0) += 1;
    }
    counts
}

fn grant_suggestions(env: &Env, limit: usize) -> Vec<(String, String, String)> {
    let out = ok(env, &["suggest", "--json"]);
    let list: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap_or_default();
    list.iter()
        .filter(|s| s["kind"] == "grant" || s["kind"] == "revoke")
        .take(limit)
        .map(|s| {
            (
                s["person"].as_str().unwrap_or("").to_string(),
                s["entitlement"].as_str().unwrap_or("").to_string(),
                s["area"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn owner_of(org: &Path, area: &str) -> String {
    let text = std::fs::read_to_string(org.join("areas.toml")).unwrap_or_default();
    let value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    value["area"]
        .as_array()
        .and_then(|areas| areas.iter().find(|a| a["id"].as_str() == Some(area)))
        .and_then(|a| a["owner"].as_str())
        .unwrap_or_else(|| panic!("no owner for {area}"))
        .to_string()
}

#[test]
fn killed_syncs_leave_the_previous_cache_whole() {
    let env = setup(4000);
    let before = ok(&env, &["suggest", "--json"]);
    let org_arg = env.org.to_string_lossy().into_owned();
    let mut delays = Delays(0x5EED_0001);
    let mut killed = 0;
    for _ in 0..25 {
        let ms = delays.next_ms(400);
        if !kill_after(&env, &["sync", "--org", &org_arg], ms) {
            killed += 1;
        }
        assert_cache_whole(&env);
        assert_eq!(
            ok(&env, &["suggest", "--json"]),
            before,
            "a killed sync changed what the cache says"
        );
    }
    eprintln!("sync: {killed} of 25 runs killed mid-way");
    assert!(
        killed > 0,
        "no sync was interrupted; the kill points are too late"
    );
}

#[test]
fn killed_decisions_are_all_or_nothing() {
    let env = setup(1500);
    let targets = grant_suggestions(&env, 30);
    assert!(
        targets.len() >= 10,
        "the generated org has too few suggestions: {}",
        targets.len()
    );
    let mut delays = Delays(0x5EED_0002);
    for (person, ent, area) in &targets {
        let owner = owner_of(&env.org, area);
        kill_after(
            &env,
            &["decide", "accept", person, ent, "--as", &owner],
            delays.next_ms(120),
        );
        assert_cache_whole(&env);
    }
    // Every recorded decision has exactly one `decide` entry, and no entry lacks its decision.
    let counts = audit_counts(&env);
    let decided: Vec<i64> = counts
        .keys()
        .filter(|(a, _)| a == "decide")
        .map(|(_, id)| *id)
        .collect();
    let planned = ok(&env, &["plan", "--json"]);
    let plan: Vec<serde_json::Value> = serde_json::from_str(&planned).unwrap_or_default();
    assert_eq!(
        plan.len(),
        decided.len(),
        "decisions and their audit entries disagree"
    );
    assert!(
        counts.values().all(|&n| n == 1),
        "an audit entry was duplicated: {counts:?}"
    );
    eprintln!(
        "decide: {} of {} decisions survived their kills",
        decided.len(),
        targets.len()
    );
}

#[test]
fn an_interrupted_apply_completes_on_rerun_without_doing_anything_twice() {
    let env = setup(2000);
    let targets = grant_suggestions(&env, 150);
    let owner = {
        // The root owner has authority everywhere: one actor applies all.
        let text = std::fs::read_to_string(env.org.join("areas.toml")).unwrap_or_default();
        let value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        value["area"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a.get("parent").is_none()))
            .and_then(|a| a["owner"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    for (person, ent, _) in &targets {
        ok(&env, &["decide", "accept", person, ent, "--as", &owner]);
    }
    let n = targets.len();
    let mut delays = Delays(0x5EED_0003);
    let mut kills = 0;
    for _ in 0..15 {
        if kill_after(&env, &["apply", "--as", &owner], delays.next_ms(600)) {
            break;
        }
        kills += 1;
        assert_cache_whole(&env);
    }
    // Finish it.
    let out = run(&env, &["apply", "--as", &owner]);
    assert!(
        out.status.success(),
        "final apply failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ok(&env, &["plan"]).contains("nothing planned"));
    // Exactly one apply entry per decision, and grants.csv has no duplicate rows.
    let counts = audit_counts(&env);
    let applies = counts.iter().filter(|((a, _), _)| a == "apply").count();
    assert_eq!(applies, n, "apply entries: {applies}, decisions: {n}");
    assert!(
        counts.values().all(|&c| c == 1),
        "duplicated audit entries: {counts:?}"
    );
    let grants = std::fs::read_to_string(env.org.join("grants.csv")).unwrap_or_default();
    let mut pairs: Vec<(String, String)> = grants
        .lines()
        .skip(1)
        .map(|l| {
            let mut f = l.split(',');
            (
                f.next().unwrap_or("").to_string(),
                f.next().unwrap_or("").to_string(),
            )
        })
        .collect();
    let total = pairs.len();
    pairs.sort();
    pairs.dedup();
    let generated_dupes = total - pairs.len();
    for (person, ent, _) in &targets {
        let rows = grants
            .lines()
            .filter(|l| l.starts_with(&format!("{person},{ent},")))
            .count();
        assert!(
            rows <= 1 + generated_dupes,
            "{person} {ent} appears {rows} times"
        );
    }
    let after = grant_suggestions(&env, usize::MAX);
    for t in &targets {
        assert!(!after.contains(t), "{t:?} still suggested after apply");
    }
    assert_cache_whole(&env);
    eprintln!("apply: {kills} interrupted runs before completion, {n} decisions");
}
