//! Issue 14's figure: `steward reconcile` at 100k people (the organization
//! `steward gen` writes; `STEWARD_BENCH_PEOPLE` for another size) with
//! about 1,000 automatic changes due, beside `steward suggest` on the same
//! cache. The target: reconcile takes at most twice what suggest does.
//!
//! - `suggest_org`: `steward suggest --json` for the whole organization,
//!   the whole process (the release binary), output to /dev/null.
//! - `reconcile_dry_run`: `steward reconcile --dry-run`: evaluate, plan,
//!   guard, and say what would happen.
//! - `reconcile`: `steward reconcile` carrying the changes out to the org
//!   directory's grants.csv (a files source: no upstream latency), each run
//!   from the same cache and grants.csv (restored before it, untimed).
//!
//! Which rules are automatic: generated rules, in order, whose changes come
//! to about 1,000 (counted by `policy::auto` on the synced cache);
//! every area has room for them all (`max_auto_changes`). The number due
//! and the machine's load are printed beside the figures.
//!
//! Run: STEWARD_BENCH_DIR=/tmp cargo bench --bench reconcile

// The allocator the binary runs with (src/main.rs), so figures are its own.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;

use support::*;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use steward::model::ApplyMode;
use steward::policy::Snapshot;
use steward::policy::auto;
use steward::store::Store;
use steward::sync::sync_org_dir;

/// About how many automatic changes are due.
const DUE: usize = 1_000;

struct Fixture {
    dir: tempfile::TempDir,
    /// The cache as synced, and grants.csv as generated: each real
    /// reconcile starts from copies of them.
    db: PathBuf,
    grants_csv: PathBuf,
    /// The cache a run works on, and the org directory it writes.
    work_db: PathBuf,
    org_grants: PathBuf,
    due: usize,
}

/// The generated organization in `org_dir`, the rules in `auto` made
/// automatic and every area given room for all their changes; synced into
/// a fresh cache at `db`.
fn generate(org_dir: &Path, db: &Path, people: usize, auto: &BTreeSet<String>) {
    steward::sources::files::write::write_org_streaming(org_dir, |sink| {
        let (mut org, _) = steward::r#gen::generate_with(people, 7, now(), sink)?;
        for r in org.rules.iter_mut().filter(|r| auto.contains(&r.id)) {
            r.apply = ApplyMode::Auto;
        }
        for a in org.areas.iter_mut().filter(|_| !auto.is_empty()) {
            a.max_auto_changes = Some(1_000_000);
        }
        Ok(org)
    })
    .unwrap_or_else(|e| panic!("gen: {e:#}"));
    let mut store = Store::open(db).unwrap_or_else(|e| panic!("open: {e}"));
    sync_org_dir(&mut store, org_dir, now()).unwrap_or_else(|e| panic!("sync: {e:#}"));
}

/// Rules, in the order generated, whose automatic changes come to within a
/// tenth of [`DUE`] in all (a rule that would overshoot is passed over).
fn rules_for_due(db: &Path) -> BTreeSet<String> {
    let store = Store::open_existing(db).unwrap_or_else(|e| panic!("{e}"));
    let mut org = store.load_org().unwrap_or_else(|e| panic!("{e}"));
    let order: Vec<String> = org.rules.iter().map(|r| r.id.clone()).collect();
    for r in &mut org.rules {
        r.apply = ApplyMode::Auto;
    }
    let snap = Snapshot::new(org);
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    for c in auto::changes(&snap, now()) {
        *per_rule.entry(c.rule).or_insert(0) += 1;
    }
    let (mut chosen, mut sum) = (BTreeSet::new(), 0);
    for id in order {
        if sum >= DUE - DUE / 10 {
            break;
        }
        if let Some(&n) = per_rule.get(&id)
            && sum + n <= DUE + DUE / 10
        {
            sum += n;
            chosen.insert(id);
        }
    }
    chosen
}

fn fixture(people: usize) -> Fixture {
    let dir = tempfile::tempdir_in(std::env::var_os("STEWARD_BENCH_DIR").unwrap_or(".".into()))
        .unwrap_or_else(|e| panic!("tempdir: {e}"));
    let probe = dir.path().join("probe");
    generate(
        &probe.join("org"),
        &probe.join("cache.db"),
        people,
        &BTreeSet::new(),
    );
    let auto = rules_for_due(&probe.join("cache.db"));
    std::fs::remove_dir_all(&probe).unwrap_or_else(|e| panic!("{e}"));
    let org_dir = dir.path().join("org");
    let db = dir.path().join("cache.db");
    generate(&org_dir, &db, people, &auto);
    let store = Store::open_existing(&db).unwrap_or_else(|e| panic!("{e}"));
    let snap = Snapshot::new(store.load_org().unwrap_or_else(|e| panic!("{e}")));
    let decisions = store.decisions().unwrap_or_else(|e| panic!("{e}"));
    let due = auto::plan(&snap, now(), &decisions, &[], &|_| false)
        .due
        .len();
    drop(store);
    let grants_csv = dir.path().join("grants.csv.generated");
    let org_grants = org_dir.join("grants.csv");
    std::fs::copy(&org_grants, &grants_csv).unwrap_or_else(|e| panic!("{e}"));
    Fixture {
        work_db: dir.path().join("work.db"),
        dir,
        db,
        grants_csv,
        org_grants,
        due,
    }
}

/// The cache and grants.csv as generated, for a real reconcile.
fn restore(f: &Fixture) {
    std::fs::copy(&f.db, &f.work_db).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(&f.grants_csv, &f.org_grants).unwrap_or_else(|e| panic!("{e}"));
}

fn bench(c: &mut Criterion) {
    let n = people();
    let f = fixture(n);
    // Once, outside the timing: a real run carries every change out.
    restore(&f);
    let out = steward(f.dir.path(), &f.work_db, &["reconcile"])
        .stdout(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let summary = text.lines().last().unwrap_or_default().to_string();
    assert!(out.status.success(), "reconcile failed:\n{text}");
    assert!(
        summary.starts_with(&format!("{} applied, 0 failed", f.due)),
        "{summary}"
    );
    eprintln!(
        "reconcile bench: {n} people, {} automatic changes due ({summary}); load average before: {}",
        f.due,
        load()
    );
    let mut g = c.benchmark_group(format!("reconcile_{n}_people_{}_due", f.due));
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.bench_function("suggest_org", |b| {
        b.iter(|| run(steward(f.dir.path(), &f.db, &["suggest", "--json"])))
    });
    g.bench_function("reconcile_dry_run", |b| {
        b.iter(|| run(steward(f.dir.path(), &f.db, &["reconcile", "--dry-run"])))
    });
    g.bench_function("reconcile", |b| {
        b.iter_batched(
            || restore(&f),
            |()| run(steward(f.dir.path(), &f.work_db, &["reconcile"])),
            BatchSize::PerIteration,
        )
    });
    g.finish();
    eprintln!("reconcile bench: load average after: {}", load());
}

criterion_group!(benches, bench);
criterion_main!(benches);
