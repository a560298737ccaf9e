//! `steward reconcile` against an independent implementation: on generated
//! organizations with every rule made automatic (and some areas given a
//! small `max_auto_changes`), the resulting grants.csv must be exactly what
//! `tests/reconcile/oracle.py` (DESIGN.md's semantics, written again in
//! Python) says: every grant the rules justify there, every rule-based grant
//! they no longer justify gone, nothing else changed, each change audited,
//! an area over its max given nothing and the run exiting 3, and a second
//! run changing nothing.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const NOW: &str = "2026-03-02T12:00:00Z";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn org(&self) -> PathBuf {
        self.dir.path().join("org")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_steward"))
            .args(args)
            .env("STEWARD_DB", self.dir.path().join("steward.db"))
            .env("STEWARD_CONFIG", self.dir.path().join("none.toml"))
            .env("STEWARD_DATA_DIR", self.dir.path().join("data"))
            .env("STEWARD_LOG_DIR", self.dir.path().join("logs"))
            .env("STEWARD_NOW", NOW)
            .env_remove("STEWARD_AS")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run steward: {e}"))
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "steward {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// A generated organization of `people`, every rule automatic, every
/// `every`-th area (if any) with `max_auto_changes = max`.
fn setup(people: usize, seed: u64, every: Option<(usize, u32)>) -> Env {
    let env = Env {
        dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
    };
    let org = env.org().to_string_lossy().into_owned();
    env.ok(&[
        "gen",
        "--people",
        &people.to_string(),
        "--out",
        &org,
        "--seed",
        &seed.to_string(),
    ]);
    let rules = env.org().join("rules.toml");
    let text = std::fs::read_to_string(&rules).unwrap_or_default();
    assert!(text.contains("[[rule]]"));
    std::fs::write(
        &rules,
        text.replace("[[rule]]\n", "[[rule]]\napply = \"auto\"\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    if let Some((every, max)) = every {
        let areas = env.org().join("areas.toml");
        let text = std::fs::read_to_string(&areas).unwrap_or_default();
        let mut out = String::new();
        let mut n = 0;
        for line in text.lines() {
            out.push_str(line);
            out.push('\n');
            if line == "[[area]]" {
                n += 1;
                if n % every == 0 {
                    out.push_str(&format!("max_auto_changes = {max}\n"));
                }
            }
        }
        std::fs::write(&areas, out).unwrap_or_else(|e| panic!("{e}"));
    }
    env.ok(&["sync", "--org", &org]);
    env
}

fn oracle(org: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reconcile/oracle.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(org)
        .arg(NOW)
        .output()
        .unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(
        out.status.success(),
        "oracle: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("oracle output: {e}"))
}

/// A grants.csv row with its times as instants: (person, entitlement,
/// granted_by, granted_at, basis, expires).
type Row = (String, String, String, i64, String, Option<i64>);

fn instant(text: &str) -> Option<i64> {
    (!text.is_empty()).then(|| {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .timestamp()
    })
}

fn row(f: &[&str]) -> Row {
    (
        f[0].to_string(),
        f[1].to_string(),
        f[2].to_string(),
        instant(f[3]).unwrap_or(0),
        f[4].to_string(),
        instant(f[5]),
    )
}

/// grants.csv as a multiset of rows.
fn grants_file(org: &Path) -> BTreeMap<Row, usize> {
    let text = std::fs::read_to_string(org.join("grants.csv")).unwrap_or_default();
    let mut out = BTreeMap::new();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    for rec in rdr.records() {
        let rec = rec.unwrap_or_else(|e| panic!("{e}"));
        let f: Vec<&str> = rec.iter().collect();
        *out.entry(row(&f)).or_insert(0) += 1;
    }
    out
}

fn expected_grants(o: &Value) -> BTreeMap<Row, usize> {
    let mut out = BTreeMap::new();
    for g in o["grants"].as_array().into_iter().flatten() {
        let f: Vec<&str> = g
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap_or(""))
            .collect();
        *out.entry(row(&f)).or_insert(0) += 1;
    }
    out
}

/// (kind, person, entitlement, rule) of the changes the oracle carries out.
fn expected_changes(o: &Value) -> BTreeSet<(String, String, String, String)> {
    let held = o["held"].as_object().cloned().unwrap_or_default();
    o["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let f: Vec<String> = c
                .as_array()?
                .iter()
                .map(|v| v.as_str().unwrap_or("").to_string())
                .collect();
            (!held.contains_key(&f[4]))
                .then(|| (f[0].clone(), f[1].clone(), f[2].clone(), f[3].clone()))
        })
        .collect()
}

/// (kind, person, entitlement, rule) of each `auto` audit entry.
fn audited(env: &Env) -> BTreeSet<(String, String, String, String)> {
    let mut out = BTreeSet::new();
    for line in env.ok(&["audit", "export", "--jsonl"]).lines() {
        let e: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
        if e["action"] != "auto" {
            continue;
        }
        let d: Value =
            serde_json::from_str(e["detail"].as_str().unwrap_or("{}")).unwrap_or(Value::Null);
        let s = |k: &str| d[k].as_str().unwrap_or("").to_string();
        assert_eq!(s("consent_of"), e["actor"].as_str().unwrap_or(""));
        assert!(
            !s("evidence").is_empty() && !s("authority").is_empty(),
            "{d}"
        );
        out.insert((s("kind"), s("person"), s("entitlement"), s("by_rule")));
    }
    out
}

fn check(people: usize, seed: u64, every: Option<(usize, u32)>) {
    let env = setup(people, seed, every);
    let o = oracle(&env.org());
    let held = o["held"].as_object().cloned().unwrap_or_default();
    let due = expected_changes(&o);
    let before = grants_file(&env.org());
    let out = env.run(&["reconcile"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let code = if held.is_empty() { 0 } else { 3 };
    assert_eq!(
        out.status.code(),
        Some(code),
        "{people} people, seed {seed}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (area, n) in &held {
        let line = format!("HELD BACK: area {area}: {n} automatic changes in area {area}");
        assert!(stdout.contains(&line), "{line} not in:\n{stdout}");
    }
    let after = grants_file(&env.org());
    let expected = expected_grants(&o);
    if after != expected {
        let missing: Vec<_> = expected
            .keys()
            .filter(|r| !after.contains_key(*r))
            .collect();
        let extra: Vec<_> = after
            .keys()
            .filter(|r| !expected.contains_key(*r))
            .collect();
        panic!(
            "{people} people, seed {seed}: grants.csv differs from the oracle's\nmissing: {missing:?}\nextra: {extra:?}"
        );
    }
    assert_ne!(before, after, "nothing changed: the case tests nothing");
    assert!(due.len() > 10, "{} changes: too few to test", due.len());
    assert_eq!(
        audited(&env),
        due,
        "audited changes differ from the oracle's"
    );
    // A second run changes nothing.
    let text = std::fs::read_to_string(env.org().join("grants.csv")).unwrap_or_default();
    let again = env.run(&["reconcile"]);
    assert_eq!(again.status.code(), Some(code));
    assert_eq!(
        std::fs::read_to_string(env.org().join("grants.csv")).unwrap_or_default(),
        text
    );
    assert_eq!(audited(&env), due);
    eprintln!(
        "{people} people, seed {seed}: {} changes carried out, {} area(s) held back",
        due.len(),
        held.len()
    );
}

#[test]
fn generated_organizations_reconcile_as_the_oracle_says() {
    check(300, 3, None);
    check(500, 11, Some((3, 2)));
    check(900, 29, Some((5, 4)));
}

#[test]
fn at_the_default_max_the_root_area_of_a_larger_organization_is_held() {
    // 1500 people: more than 20 of company:sso and company:chat change.
    let env = setup(1500, 5, None);
    let o = oracle(&env.org());
    assert!(
        o["held"].get("company").is_some(),
        "the oracle holds nothing at the root: {}",
        o["held"]
    );
    drop(env);
    check(1500, 5, None);
}
