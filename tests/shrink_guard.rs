//! The shrink guard, through the real binary: a sync that would drop more
//! than half of what a source provided of a kind (when it had at least 10)
//! is refused with the counts, exits non-zero and leaves the cache as it
//! was, unless `--accept-shrink`; `status` says the source is held back.

#[path = "tui_support.rs"]
mod support;

use assert_cmd::Command;
use std::path::PathBuf;
use steward::model::Org;
use steward::sources::files::{read_org, write::write_org};

const NOW: &str = "2026-03-02T12:00:00Z";

struct Env {
    dir: tempfile::TempDir,
    org: PathBuf,
    db: PathBuf,
}

fn steward(env: &Env) -> Command {
    let mut c = Command::cargo_bin("steward").unwrap();
    c.env_remove("STEWARD_AS")
        .env("STEWARD_NOW", NOW)
        .env("STEWARD_DB", &env.db)
        .env("STEWARD_CONFIG", env.dir.path().join("none.toml"))
        .env("STEWARD_LOG_DIR", env.dir.path().join("logs"));
    c
}

fn run(env: &Env, args: &[&str]) -> (i32, String, String) {
    let out = steward(env).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sync(env: &Env, extra: &[&str]) -> (i32, String, String) {
    let org = env.org.to_str().unwrap().to_string();
    let mut args = vec!["sync", "--org", org.as_str()];
    args.extend(extra);
    run(env, &args)
}

/// A generated organization of 300 people (at least 10 of every kind),
/// synced once.
fn synced() -> (Env, Org) {
    let dir = tempfile::tempdir().unwrap();
    let org_dir = dir.path().join("org");
    let org = steward::r#gen::generate(300, 7, NOW.parse().unwrap());
    write_org(&org, &org_dir).unwrap();
    let env = Env {
        db: dir.path().join("steward.db"),
        org: org_dir,
        dir,
    };
    let (code, out, err) = sync(&env, &[]);
    assert_eq!(code, 0, "{out}{err}");
    let org = read_org(&env.org).unwrap();
    (env, org)
}

/// What the cache holds, as `status` counts it.
fn cached(env: &Env) -> String {
    let (code, out, _) = run(env, &["status"]);
    assert_eq!(code, 0);
    out.lines()
        .find(|l| l.starts_with("cached:"))
        .unwrap()
        .to_string()
}

/// Makes an org lose most of one kind.
type Shrinker = fn(&mut Org);

/// Each kind, and how to make the org directory lose most of it.
fn shrinkers() -> Vec<(&'static str, Shrinker)> {
    vec![
        ("people", |o| o.people.truncate(o.people.len() / 3)),
        ("teams", |o| o.teams.truncate(o.teams.len() / 3)),
        ("team memberships", |o| {
            for t in &mut o.teams {
                t.members.clear();
            }
        }),
        ("rotations", |o| o.rotations.truncate(o.rotations.len() / 3)),
        ("shifts", |o| {
            for r in &mut o.rotations {
                r.shifts.clear();
            }
        }),
        ("trainings", |o| o.trainings.clear()),
        ("areas", |o| {
            let keep: Vec<String> = o.areas.iter().take(5).map(|a| a.id.clone()).collect();
            o.areas.retain(|a| keep.contains(&a.id));
            o.entitlements.retain(|e| keep.contains(&e.area));
        }),
        ("entitlements", |o| o.entitlements.truncate(3)),
        ("grants", |o| o.grants.truncate(10)),
        ("rules", |o| o.rules.clear()),
    ]
}

#[test]
fn each_kind_shrinking_past_half_is_held_back_and_the_cache_kept() {
    let (env, org) = synced();
    let before = cached(&env);
    for (kind, shrink) in shrinkers() {
        let mut smaller = org.clone();
        shrink(&mut smaller);
        write_org(&smaller, &env.org).unwrap();
        let (code, out, err) = sync(&env, &[]);
        assert_eq!(code, 1, "{kind}: {out}{err}");
        let line = err
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{kind} from files: ")))
            .unwrap_or_else(|| panic!("{kind}: {err}"));
        assert!(line.ends_with("%)") && line.contains(" -> "), "{line}");
        assert!(err.contains("held back"), "{err}");
        assert!(err.contains("--accept-shrink"), "{err}");
        assert_eq!(cached(&env), before, "{kind}: the cache is untouched");
        let (_, status, _) = run(&env, &["status"]);
        assert!(status.contains("HELD BACK"), "{status}");
        assert!(status.contains(&format!("{kind} from files: ")), "{status}");
    }
    // The org as it was syncs again, and the hold is over.
    write_org(&org, &env.org).unwrap();
    let (code, out, err) = sync(&env, &[]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, status, _) = run(&env, &["status"]);
    assert!(!status.contains("HELD BACK"), "{status}");
}

#[test]
fn the_counts_are_exact_and_accept_shrink_keeps_the_drop() {
    let (env, org) = synced();
    let people = org.people.len();
    std::fs::write(env.org.join("people.csv"), "").unwrap();
    let (code, _, err) = sync(&env, &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("people from files: {people} -> 0 (-100%)")),
        "{err}"
    );
    // The digest says its data is older than it looks.
    let owner = org.areas[0].owner.clone();
    let (code, digest, err) = run(&env, &["digest", "--as", &owner]);
    assert_eq!(code, 0, "{digest}{err}");
    assert!(digest.contains("SYNC HELD BACK"), "{digest}");
    assert!(
        digest.contains(&format!("people from files: {people} -> 0 (-100%)")),
        "{digest}"
    );
    let (code, out, err) = sync(&env, &["--accept-shrink"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!(
            "accepted shrink: people from files: {people} -> 0 (-100%)"
        )),
        "{out}"
    );
    assert!(
        cached(&env).starts_with("cached: 0 people"),
        "{}",
        cached(&env)
    );
    // From nothing, anything is growth.
    write_org(&org, &env.org).unwrap();
    let (code, out, err) = sync(&env, &[]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn half_is_allowed_and_fewer_than_ten_are_not_judged() {
    let (env, org) = synced();
    let mut half = org.clone();
    half.grants.truncate(org.grants.len().div_ceil(2));
    write_org(&half, &env.org).unwrap();
    let (code, out, err) = sync(&env, &[]);
    assert_eq!(code, 0, "exactly half may go: {out}{err}");
    let mut few = half.clone();
    few.rules.truncate(9);
    write_org(&few, &env.org).unwrap();
    let (code, _, err) = sync(&env, &[]);
    assert_eq!(code, 1, "{err}");
    let (code, out, err) = sync(&env, &["--accept-shrink"]);
    assert_eq!(code, 0, "{out}{err}");
    few.rules.clear();
    write_org(&few, &env.org).unwrap();
    let (code, out, err) = sync(&env, &[]);
    assert_eq!(code, 0, "9 -> 0: fewer than 10 are not judged: {out}{err}");
}

#[test]
fn a_configured_source_is_held_back_alone_and_recorded_in_the_store() {
    let (env, org) = synced();
    let policy = env.dir.path().join("policy");
    write_org(&org, &policy).unwrap();
    let config = env.dir.path().join("steward.toml");
    std::fs::write(
        &config,
        "[[source]]\nkind = \"files\"\nname = \"policy\"\ndir = \"policy\"\nprovides = [\"trainings\", \"rules\"]\n",
    )
    .unwrap();
    let configured = |args: &[&str]| {
        let out = steward(&env)
            .env("STEWARD_CONFIG", &config)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = configured(&["sync"]);
    assert_eq!(code, 0, "{out}");
    std::fs::write(policy.join("rules.toml"), "").unwrap();
    let (code, out) = configured(&["sync"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("policy: FAILED"), "{out}");
    assert!(
        out.contains(&format!(
            "rules from policy: {} -> 0 (-100%)",
            org.rules.len()
        )),
        "{out}"
    );
    let store = steward::store::Store::open(&env.db).unwrap();
    let standing = store.standing("policy").unwrap();
    assert!(!standing.trustworthy(), "{standing:?}");
    assert!(
        matches!(standing, steward::store::Standing::HeldBack { .. }),
        "{standing:?}"
    );
    assert!(store.standing("files").unwrap().trustworthy());
    let (code, out) = configured(&["sync", "--accept-shrink"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("policy: accepted shrink: rules from policy"),
        "{out}"
    );
}

/// The console's `R`: a held-back sync asks; `y` keeps the drop, any other
/// key keeps the previous data.
#[test]
fn the_console_asks_before_keeping_a_shrink() {
    let mut d = support::demo("priya");
    let flash = |d: &support::Demo| {
        d.app
            .state
            .status
            .flash
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default()
    };
    let src = d.app.store.source("files").unwrap().unwrap();
    let dir = PathBuf::from(src.location);
    // The source's people (the console holds only the part priya's scope
    // needs, so its own count is smaller).
    let csv = std::fs::read_to_string(dir.join("people.csv")).unwrap();
    let in_source = csv.lines().skip(1).filter(|l| !l.is_empty()).count();
    let people = d.app.state.data.snap.org.people.len();
    assert!(people > 0 && in_source >= people, "{people} of {in_source}");
    std::fs::write(dir.join("people.csv"), "").unwrap();
    support::keys(&mut d.app, "R");
    let asked = flash(&d);
    assert!(
        asked.starts_with("sync held back, the previous data kept"),
        "{asked}"
    );
    assert!(
        asked.contains(&format!("people from files: {in_source} -> 0 (-100%)")),
        "{asked}"
    );
    assert_eq!(d.app.state.data.snap.org.people.len(), people);
    // Any other key: kept as it was.
    support::keys(&mut d.app, "j");
    assert!(
        flash(&d).starts_with("kept the previous data"),
        "{}",
        flash(&d)
    );
    assert!(d.app.state.status.held_back.is_none());
    assert_eq!(d.app.state.data.snap.org.people.len(), people);
    // Asked again; `y` keeps the drop.
    support::keys(&mut d.app, "R");
    assert!(d.app.state.status.held_back.is_some());
    support::keys(&mut d.app, "y");
    assert!(
        flash(&d).starts_with("synced files: 0 people"),
        "{}",
        flash(&d)
    );
    assert_eq!(d.app.state.data.snap.org.people.len(), 0);
}
