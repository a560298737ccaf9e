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

/// How long one uninterrupted `steward args` takes here, in ms: kill delays
/// are spread over it (a fixed range would, on a slow or busy machine, kill
/// every run before it commits anything). Calibration only; no assertion
/// depends on it.
fn duration_ms(env: &Env, args: &[&str]) -> u64 {
    let start = std::time::Instant::now();
    ok(env, args);
    (start.elapsed().as_millis() as u64).max(1)
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

/// What the kill points of one phase hit, printed with `--nocapture`.
#[derive(Default)]
struct KillPoints {
    delays: std::collections::BTreeSet<u64>,
    /// Outcome -> how many runs ended so.
    outcomes: std::collections::BTreeMap<&'static str, usize>,
}

impl KillPoints {
    fn hit(&mut self, ms: u64, outcome: &'static str) {
        self.delays.insert(ms);
        *self.outcomes.entry(outcome).or_insert(0) += 1;
    }

    fn count(&self, outcome: &str) -> usize {
        self.outcomes.get(outcome).copied().unwrap_or(0)
    }

    fn report(&self, phase: &str) {
        let runs: usize = self.outcomes.values().sum();
        let outcomes: Vec<String> = self
            .outcomes
            .iter()
            .map(|(o, n)| format!("{n} {o}"))
            .collect();
        eprintln!(
            "kill points, {phase}: {runs} runs, {} distinct delays ({}..{} ms): {}",
            self.delays.len(),
            self.delays.first().copied().unwrap_or(0),
            self.delays.last().copied().unwrap_or(0),
            outcomes.join(", ")
        );
    }
}

/// The SYNCED time `status` shows for the files source.
fn synced_at(env: &Env) -> String {
    let status = ok(env, &["status"]);
    status
        .lines()
        .find(|l| l.starts_with("files "))
        .and_then(|l| l.split_whitespace().nth(3))
        .unwrap_or_else(|| panic!("no files source in status:\n{status}"))
        .to_string()
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
    let full = duration_ms(&env, &["sync", "--org", &org_arg]);
    let mut delays = Delays(0x5EED_0001);
    let mut points = KillPoints::default();
    let base: chrono::DateTime<chrono::Utc> = NOW.parse().unwrap_or_else(|e| panic!("{e}"));
    for i in 0..25 {
        let ms = delays.next_ms(full * 13 / 10);
        // Each run syncs at its own time: `status` then tells whether its
        // transaction committed (all of it) or not (none of it).
        let before_sync = synced_at(&env);
        let at = (base - chrono::Duration::seconds(25 - i)).to_rfc3339();
        let finished = kill_after(&env, &["sync", "--org", &org_arg, "--now", &at], ms);
        assert_cache_whole(&env);
        let after_sync = synced_at(&env);
        let committed = chrono::DateTime::parse_from_rfc3339(&after_sync).is_ok_and(|t| {
            t.to_rfc3339()
                == chrono::DateTime::parse_from_rfc3339(&at)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default()
        });
        assert!(
            committed || after_sync == before_sync,
            "the cache shows a sync at {after_sync}, neither the one before ({before_sync}) nor the killed one ({at})"
        );
        points.hit(
            ms,
            match (finished, committed) {
                (true, _) => "finished before the kill",
                (false, true) => "killed after its commit",
                (false, false) => "killed before its commit",
            },
        );
        assert_eq!(
            ok(&env, &["suggest", "--json"]),
            before,
            "a killed sync changed what the cache says"
        );
    }
    points.report("sync");
    assert!(
        points.count("killed before its commit") > 0,
        "no sync was interrupted; the kill points are too late"
    );
}

#[test]
fn killed_decisions_are_all_or_nothing() {
    let env = setup(1500);
    let mut targets = grant_suggestions(&env, 31);
    // The first one, decided whole, says how long a decision takes.
    let (person, ent, area) = targets.remove(0);
    let full = duration_ms(
        &env,
        &[
            "decide",
            "accept",
            &person,
            &ent,
            "--as",
            &owner_of(&env.org, &area),
        ],
    );
    assert!(
        targets.len() >= 10,
        "the generated org has too few suggestions: {}",
        targets.len()
    );
    let mut delays = Delays(0x5EED_0002);
    let mut points = KillPoints::default();
    let decides = |env: &Env| -> usize {
        audit_counts(env)
            .iter()
            .filter(|((a, _), _)| a == "decide")
            .map(|(_, n)| n)
            .sum()
    };
    for (person, ent, area) in &targets {
        let owner = owner_of(&env.org, area);
        let before = decides(&env);
        let ms = delays.next_ms(full * 13 / 10);
        let finished = kill_after(&env, &["decide", "accept", person, ent, "--as", &owner], ms);
        assert_cache_whole(&env);
        let landed = decides(&env) - before;
        assert!(landed <= 1, "one decide run wrote {landed} decide entries");
        points.hit(
            ms,
            match (finished, landed) {
                (true, _) => "finished before the kill",
                (false, 1) => "killed after its commit",
                _ => "killed before its commit",
            },
        );
    }
    points.report("decide");
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
        "decide: {} decisions recorded: 1 uninterrupted, {} of {} runs under a kill",
        decided.len(),
        decided.len() - 1,
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
    // Loading and planning is the part of an apply before its first change.
    let load = duration_ms(&env, &["plan", "--as", &owner]);
    let mut delays = Delays(0x5EED_0003);
    let mut points = KillPoints::default();
    let mut kills = 0;
    let applied = |env: &Env| -> usize {
        audit_counts(env)
            .keys()
            .filter(|(a, _)| a == "apply")
            .count()
    };
    for _ in 0..15 {
        let before = applied(&env);
        let ms = load / 2 + delays.next_ms(load * 3);
        if kill_after(&env, &["apply", "--as", &owner], ms) {
            points.hit(ms, "finished before the kill");
            break;
        }
        kills += 1;
        assert_cache_whole(&env);
        let done = applied(&env);
        points.hit(
            ms,
            match (done - before, done) {
                (0, _) => "killed before its first change",
                (_, d) if d == n => "killed after its last change",
                _ => "killed between changes",
            },
        );
    }
    points.report("apply");
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

/// Every rule of `env`'s organization made automatic, and every area given
/// room for all its automatic changes at once; synced again.
fn all_automatic(env: &Env) {
    let edit = |name: &str, header: &str, line: &str| {
        let path = env.org.join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(text.contains(header), "{name} has no {header}");
        std::fs::write(&path, text.replace(header, &format!("{header}{line}")))
            .unwrap_or_else(|e| panic!("{e}"));
    };
    edit("rules.toml", "[[rule]]\n", "apply = \"auto\"\n");
    edit("areas.toml", "[[area]]\n", "max_auto_changes = 100000\n");
    ok(env, &["sync", "--org", &env.org.to_string_lossy()]);
}

/// grants.csv's rows, sorted.
fn grant_rows(env: &Env) -> Vec<String> {
    let text = std::fs::read_to_string(env.org.join("grants.csv")).unwrap_or_default();
    let mut rows: Vec<String> = text.lines().skip(1).map(str::to_string).collect();
    rows.sort();
    rows
}

#[test]
fn an_interrupted_reconcile_completes_on_rerun_doing_each_change_once() {
    // What one uninterrupted run does, on the same organization.
    let reference = setup(2000);
    all_automatic(&reference);
    let dry = ok(&reference, &["reconcile", "--dry-run"]);
    let n = dry.lines().filter(|l| l.starts_with("would: ")).count();
    assert!(n > 50, "{n} automatic changes: too few to test\n{dry}");
    // How long it takes whole: kill delays are spread over it.
    let whole = duration_ms(&reference, &["reconcile"]);
    let expected = grant_rows(&reference);

    let env = setup(2000);
    all_automatic(&env);
    // Evaluating, before the first change, is about what a dry run takes.
    let load = duration_ms(&env, &["reconcile", "--dry-run"]);
    let mut delays = Delays(0x5EED_0004);
    let mut points = KillPoints::default();
    let entries = |env: &Env, action: &str| -> usize {
        audit_counts(env)
            .iter()
            .filter(|((a, _), _)| a == action)
            .map(|(_, c)| c)
            .sum()
    };
    for _ in 0..15 {
        let before = entries(&env, "apply");
        let ms = load / 2 + delays.next_ms(whole.saturating_sub(load / 2) + 1);
        if kill_after(&env, &["reconcile"], ms) {
            points.hit(ms, "finished before the kill");
            break;
        }
        assert_cache_whole(&env);
        let (recorded, applied) = (entries(&env, "auto"), entries(&env, "apply"));
        points.hit(
            ms,
            match (recorded, applied - before, applied) {
                (0, _, _) => "killed before recording its changes",
                (_, 0, a) if a == n => "killed after its last change",
                (_, 0, _) => "killed before carrying out a change",
                _ => "killed while carrying out",
            },
        );
    }
    points.report("reconcile");
    let out = ok(&env, &["reconcile"]);
    assert!(!out.contains("FAILED"), "{out}");
    // Each change recorded once and carried out once, by its rule.
    let counts = audit_counts(&env);
    assert!(
        counts.values().all(|&c| c == 1),
        "duplicated audit entries: {counts:?}"
    );
    assert_eq!(entries(&env, "auto"), n);
    assert_eq!(entries(&env, "apply"), n);
    assert_eq!(
        grant_rows(&env),
        expected,
        "grants.csv differs from one uninterrupted run's"
    );
    // And nothing is left to do.
    let again = ok(&env, &["reconcile"]);
    assert!(again.contains("nothing due"), "{again}");
    assert_eq!(grant_rows(&env), expected);
    assert_cache_whole(&env);
}
