//! The spine at realistic scale: sync of an org directory into the cache,
//! snapshot load, org-wide suggestions, and one owner's scoped suggestions,
//! at 10k and 100k people (about 10 grants a person).
//!
//! Run: cargo bench --bench spine

// The allocator the binary runs with (src/main.rs), so figures are its own.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use steward::model::Time;
use steward::policy::{Scope, Snapshot, suggestions};
use steward::sources::files;
use steward::store::Store;
use steward::sync::sync_org_dir;

fn now() -> Time {
    "2026-03-02T12:00:00Z".parse().unwrap_or_default()
}

/// An owner with a middling scope: the owner of the first area two levels down.
fn some_owner(snap: &Snapshot) -> String {
    snap.org
        .areas
        .iter()
        .find(|a| {
            a.parent
                .as_ref()
                .and_then(|p| snap.area(p))
                .is_some_and(|p| p.parent.is_some())
        })
        .or(snap.org.areas.first())
        .map(|a| a.owner.clone())
        .unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    for people in [10_000usize, 100_000] {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let org_dir = dir.path().join("org");
        let org = steward::r#gen::generate(people, 7, now());
        files::write::write_org(&org, &org_dir).unwrap_or_else(|e| panic!("write: {e}"));
        eprintln!(
            "{people} people: {} grants, {} rules, {} areas",
            org.grants.len(),
            org.rules.len(),
            org.areas.len()
        );

        let mut g = c.benchmark_group(format!("spine_{people}"));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(if people > 10_000 { 30 } else { 10 }));

        g.bench_function(BenchmarkId::new("sync", people), |b| {
            b.iter_batched(
                || {
                    let db = dir.path().join(format!("sync-{}.db", rand_suffix()));
                    let store = Store::open(&db).unwrap_or_else(|e| panic!("open: {e}"));
                    (db, store)
                },
                |(db, mut store)| {
                    black_box(
                        sync_org_dir(&mut store, &org_dir, now())
                            .map(|o| o.grants)
                            .ok(),
                    );
                    // Closed and deleted untimed, so one iteration's dirty
                    // pages do not slow the next one down.
                    ScratchDb(db, Some(store))
                },
                BatchSize::PerIteration,
            )
        });

        let db = dir.path().join("cache.db");
        let mut store = Store::open(&db).unwrap_or_else(|e| panic!("open: {e}"));
        sync_org_dir(&mut store, &org_dir, now()).unwrap_or_else(|e| panic!("sync: {e}"));
        g.bench_function(BenchmarkId::new("snapshot_load", people), |b| {
            b.iter(|| {
                black_box(
                    Snapshot::new(store.load_org().unwrap_or_default())
                        .org
                        .grants
                        .len(),
                )
            })
        });

        let snap = Snapshot::new(store.load_org().unwrap_or_default());
        g.bench_function(BenchmarkId::new("suggest_org_wide", people), |b| {
            b.iter(|| black_box(suggestions(&snap, &Scope::everything(&snap), now()).len()))
        });

        let owner = some_owner(&snap);
        let scoped = suggestions(&snap, &Scope::of(&snap, &owner, now()), now()).len();
        eprintln!(
            "scoped owner {owner}: {scoped} suggestions; org-wide: {}",
            suggestions(&snap, &Scope::everything(&snap), now()).len()
        );
        g.bench_function(BenchmarkId::new("suggest_scoped", people), |b| {
            b.iter(|| black_box(suggestions(&snap, &Scope::of(&snap, &owner, now()), now()).len()))
        });
        g.finish();
    }
}

/// A cache written by one iteration, removed when criterion drops it.
struct ScratchDb(std::path::PathBuf, Option<Store>);

impl Drop for ScratchDb {
    fn drop(&mut self) {
        drop(self.1.take());
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

criterion_group!(benches, bench);
criterion_main!(benches);
