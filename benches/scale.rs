//! Issue 17's figures, each beside SQLite's own speed on the same rows in
//! the same run, on the organization `steward gen` writes (100k people by
//! default; `STEWARD_BENCH_PEOPLE=1000000` for a million):
//!
//! - `sqlite_insert_grants`: grants.csv's rows inserted as they are into a
//!   table of the same columns (one transaction, one prepared statement,
//!   no index), and `sqlite_insert_rows`: every row of every organization
//!   table the sync writes, copied from the synced cache into tables of
//!   the same columns (no index, one transaction), both into a database
//!   set up as a fresh cache's first write is (16 KiB pages, a rollback
//!   journal, synchronous FULL); beside `sync`: `steward sync --org` of
//!   the whole directory into a fresh cache (in process).
//! - `sqlite_scan_org`: every row of every organization table read, beside
//!   `suggest_org`: `steward suggest --json` for the whole organization,
//!   the whole process (the release binary), output to /dev/null.
//! - `suggest_leaf`: `steward suggest --as LEAF-OWNER --json`, the whole
//!   process, beside `sqlite_scan_leaf_grants`: the leaf's grants read by
//!   an indexed lookup.
//! - `console_leaf_first_frame`: the console's fresh load for the leaf
//!   owner (open, scoped read, evaluate, console state, draw), no preview.
//! - `console_leaf_preview_frame`: the console's first frame for the leaf
//!   owner from the preview kept when they last quit (open, the preview
//!   read, console state made from it, draw), what shows while the fresh
//!   load runs.
//!
//! Peak memory of `steward sync --org` and `steward suggest --json` (the
//! release binary, run once each) is printed before the benchmarks, unless
//! the benchmarks are filtered (`cargo bench --bench scale -- console`).
//!
//! Run: cargo bench --bench scale. `STEWARD_BENCH_FIXTURE=DIR` uses the
//! org directory `DIR/org` and the cache `DIR/cache.db` already made
//! (`steward gen --people N --out DIR/org`, then `steward --db DIR/cache.db
//! sync --org DIR/org`) instead of making them, and leaves them there; the
//! peak memory line is then left out (a sync of a million people takes
//! minutes: measure it by hand); `STEWARD_BENCH_PEOPLE` still names the
//! group (set it to the fixture's size).

// The allocator the binary runs with (src/main.rs), so figures are its own.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;

use support::*;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use steward::store::Store;
use steward::sync::sync_org_dir;
use steward::tui::data::Data;
use steward::tui::state::State;
use steward::tui::theme::Theme;
use steward::tui::view;

struct Fixture {
    /// Scratch databases and the home steward runs with.
    dir: tempfile::TempDir,
    org_dir: PathBuf,
    /// The cache, synced once.
    db: PathBuf,
    /// The owner of a leaf area whose scope is a small part.
    leaf: String,
    grants: usize,
}

fn fixture(people: usize) -> Fixture {
    let dir = tempfile::tempdir_in(std::env::var_os("STEWARD_BENCH_DIR").unwrap_or(".".into()))
        .unwrap_or_else(|e| panic!("tempdir: {e}"));
    if let Some(made) = std::env::var_os("STEWARD_BENCH_FIXTURE").map(PathBuf::from) {
        let db = made.join("cache.db");
        let store = Store::open_existing(&db).unwrap_or_else(|e| panic!("open: {e}"));
        let grants = store
            .counts()
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .find(|(t, _)| *t == "grants")
            .map_or(0, |(_, n)| n as usize);
        let leaf = leaf_owner(&store);
        return Fixture {
            dir,
            org_dir: made.join("org"),
            db,
            leaf,
            grants,
        };
    }
    let org_dir = dir.path().join("org");
    let mut grants = 0;
    steward::sources::files::write::write_org_streaming(&org_dir, |sink| {
        let (org, made) = steward::r#gen::generate_with(people, 7, now(), sink)?;
        grants = made;
        Ok(org)
    })
    .unwrap_or_else(|e| panic!("gen: {e:#}"));
    let db = dir.path().join("cache.db");
    let mut store = Store::open(&db).unwrap_or_else(|e| panic!("open: {e}"));
    sync_org_dir(&mut store, &org_dir, now()).unwrap_or_else(|e| panic!("sync: {e:#}"));
    let leaf = leaf_owner(&store);
    Fixture {
        dir,
        org_dir,
        db,
        leaf,
        grants,
    }
}

/// Peak resident memory of one run of `cmd`, through /usr/bin/time.
fn peak_mb(cmd: &Command) -> Option<f64> {
    let mut timed = Command::new("/usr/bin/time");
    timed.arg("-f").arg("%M").arg(cmd.get_program());
    timed.args(cmd.get_args());
    timed.env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            timed.env(k, v);
        }
    }
    timed.stdin(Stdio::null()).stdout(Stdio::null());
    let out = timed.output().ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let kb: f64 = text.lines().last()?.trim().parse().ok()?;
    Some(kb / 1024.0)
}

/// Every column of every row of `tables`, read as SQLite gives them.
fn scan(c: &rusqlite::Connection, sql: &str, params: &[&dyn rusqlite::ToSql]) -> usize {
    let mut st = c.prepare_cached(sql).unwrap_or_else(|e| panic!("{e}"));
    let n = st.column_count();
    let mut rows = st.query(params).unwrap_or_else(|e| panic!("{e}"));
    let mut bytes = 0;
    while let Some(r) = rows.next().unwrap_or_else(|e| panic!("{e}")) {
        for i in 0..n {
            bytes += match r.get_ref(i) {
                Ok(rusqlite::types::ValueRef::Text(t)) => t.len(),
                Ok(_) => 1,
                Err(e) => panic!("{e}"),
            };
        }
    }
    bytes
}

/// An RFC 3339 time as the Unix seconds the cache keeps.
fn secs(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text).map_or(0, |t| t.timestamp())
}

/// grants.csv's rows inserted into a plain table of the same columns (the
/// file read and its times parsed, as any insert of them must).
fn sqlite_insert_grants(csv_path: &Path, db: &Path) -> usize {
    let mut c = rusqlite::Connection::open(db).unwrap_or_else(|e| panic!("{e}"));
    c.execute_batch(FIRST_WRITE)
        .unwrap_or_else(|e| panic!("{e}"));
    c.execute_batch(
        "CREATE TABLE grants (person TEXT NOT NULL, entitlement TEXT NOT NULL,
            granted_by TEXT, granted_at INTEGER NOT NULL, basis TEXT NOT NULL,
            expires INTEGER, source TEXT NOT NULL);",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let tx = c.transaction().unwrap_or_else(|e| panic!("{e}"));
    let mut n = 0;
    {
        let mut st = tx
            .prepare("INSERT INTO grants VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'files')")
            .unwrap_or_else(|e| panic!("{e}"));
        let mut rd = csv::Reader::from_path(csv_path).unwrap_or_else(|e| panic!("{e}"));
        let mut rec = csv::ByteRecord::new();
        while rd
            .read_byte_record(&mut rec)
            .unwrap_or_else(|e| panic!("{e}"))
        {
            let text = |i: usize| std::str::from_utf8(&rec[i]).unwrap_or("");
            let opt = |i: usize| Some(text(i)).filter(|s| !s.is_empty());
            st.execute(rusqlite::params![
                text(0),
                text(1),
                opt(2),
                secs(text(3)),
                text(4),
                opt(5).map(secs),
            ])
            .unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    tx.commit().unwrap_or_else(|e| panic!("{e}"));
    n
}

/// A fresh database set up as steward's cache is for its first write
/// (src/store/mod.rs, src/store/first_write.rs).
const FIRST_WRITE: &str = "PRAGMA page_size = 16384; PRAGMA journal_mode = DELETE;
    PRAGMA synchronous = FULL;";

/// Every row of every organization table in the cache `from`, copied into
/// tables of the same columns in `db` (no index), one transaction, one
/// prepared statement a table, each value bound as read.
fn sqlite_insert_rows(from: &rusqlite::Connection, db: &Path) -> usize {
    let mut c = rusqlite::Connection::open(db).unwrap_or_else(|e| panic!("{e}"));
    c.execute_batch(FIRST_WRITE)
        .unwrap_or_else(|e| panic!("{e}"));
    let tx = c.transaction().unwrap_or_else(|e| panic!("{e}"));
    let mut n = 0;
    for table in steward::store::ORG_TABLES {
        let mut read = from
            .prepare(&format!("SELECT * FROM {table}"))
            .unwrap_or_else(|e| panic!("{e}"));
        let columns = read.column_names().collect::<Vec<_>>().join(", ");
        let marks = vec!["?"; read.column_count()].join(", ");
        tx.execute_batch(&format!("CREATE TABLE {table} ({columns})"))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut insert = tx
            .prepare(&format!("INSERT INTO {table} VALUES ({marks})"))
            .unwrap_or_else(|e| panic!("{e}"));
        let width = read.column_count();
        let mut rows = read.query([]).unwrap_or_else(|e| panic!("{e}"));
        while let Some(r) = rows.next().unwrap_or_else(|e| panic!("{e}")) {
            for i in 0..width {
                let v = r.get_ref(i).unwrap_or_else(|e| panic!("{e}"));
                insert
                    .raw_bind_parameter(i + 1, rusqlite::types::ToSqlOutput::Borrowed(v))
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            insert.raw_execute().unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    tx.commit().unwrap_or_else(|e| panic!("{e}"));
    n
}

/// A database written by one iteration, removed (untimed) when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

fn scratch(f: &Fixture) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    f.dir
        .path()
        .join(format!("scratch-{}.db", N.fetch_add(1, Ordering::Relaxed)))
}

fn console_first_frame(f: &Fixture, term: &mut Terminal<TestBackend>) -> usize {
    let mut store = Store::open_existing(&f.db).unwrap_or_else(|e| panic!("open: {e:#}"));
    let org = store
        .load_for(&f.leaf, now())
        .unwrap_or_else(|e| panic!("{e:#}"));
    let snap = std::sync::Arc::new(steward::policy::Snapshot::new(org));
    let data =
        Data::load(&mut store, &f.leaf, now(), Some(snap)).unwrap_or_else(|e| panic!("{e:#}"));
    let state = State::new(data, now(), Vec::new());
    term.draw(|fr| view::render(&state, &Theme::color(), fr))
        .unwrap_or_else(|e| panic!("{e}"));
    state.derived.queue.len()
}

/// The leaf owner's console as `App::start` draws it before its load
/// arrives: from the preview kept for them.
fn console_preview_frame(f: &Fixture, term: &mut Terminal<TestBackend>) -> usize {
    let store = Store::open_existing(&f.db).unwrap_or_else(|e| panic!("open: {e:#}"));
    let kept = steward::tui::worker::kept_preview(&store, &f.leaf);
    let p = kept.unwrap_or_else(|| panic!("no preview kept for {}", f.leaf));
    let sources = store.sources().unwrap_or_else(|e| panic!("{e:#}"));
    let state = State::from_preview(p, now(), Vec::new(), sources);
    term.draw(|fr| view::render(&state, &Theme::color(), fr))
        .unwrap_or_else(|e| panic!("{e}"));
    state.derived.queue.len()
}

/// Keeps the leaf owner's preview, as their console does when they quit.
fn keep_leaf_preview(f: &Fixture) {
    let store = Store::open_existing(&f.db).unwrap_or_else(|e| panic!("open: {e:#}"));
    let app = steward::tui::app::App::new(store, &f.leaf, now(), Vec::new(), Theme::color());
    app.unwrap_or_else(|e| panic!("{e:#}")).keep_preview();
}

/// Whether the run names benchmarks (`cargo bench --bench scale -- NAME`):
/// then the set-up measures nothing else.
fn filtered() -> bool {
    std::env::args().skip(1).any(|a| !a.starts_with('-'))
}

fn leaf_grants_sql(c: &rusqlite::Connection, leaf: &str) -> String {
    let ents: Vec<String> = c
        .prepare("SELECT e.id FROM entitlements e JOIN areas a ON e.area = a.id WHERE a.owner = ?1")
        .and_then(|mut st| {
            st.query_map([leaf], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::to_string(&ents).unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let people = people();
    let f = fixture(people);
    let os = std::ffi::OsStr::new;
    let whole = steward(f.dir.path(), &f.db, &[os("suggest"), os("--json")]);
    let leaf = steward(
        f.dir.path(),
        &f.db,
        &[os("suggest"), os("--as"), os(&f.leaf), os("--json")],
    );
    let sync_db = Scratch(scratch(&f));
    let sync_fresh = steward(
        f.dir.path(),
        &sync_db.0,
        &[os("sync"), os("--org"), f.org_dir.as_os_str()],
    );
    if std::env::var_os("STEWARD_BENCH_FIXTURE").is_some() || filtered() {
        eprintln!(
            "scale bench: {} grants; leaf owner {} (peak memory not measured: a fixture made before, or benchmarks named)",
            f.grants, f.leaf
        );
    } else {
        eprintln!(
            "scale bench: {people} people, {} grants; leaf owner {}; peak memory: sync {:.0} MB, suggest --json {:.0} MB, suggest --as leaf {:.0} MB",
            f.grants,
            f.leaf,
            peak_mb(&sync_fresh).unwrap_or(f64::NAN),
            peak_mb(&whole).unwrap_or(f64::NAN),
            peak_mb(&leaf).unwrap_or(f64::NAN),
        );
    }
    drop(sync_db);

    let large = people > 200_000;
    let mut g = c.benchmark_group(format!("scale_{people}"));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(if large { 60 } else { 20 }));

    let csv_path = f.org_dir.join("grants.csv");
    g.bench_function("sqlite_insert_grants", |b| {
        b.iter_batched(
            || Scratch(scratch(&f)),
            |db| {
                black_box(sqlite_insert_grants(&csv_path, &db.0));
                db
            },
            BatchSize::PerIteration,
        )
    });
    let cache = rusqlite::Connection::open(&f.db).unwrap_or_else(|e| panic!("{e}"));
    g.bench_function("sqlite_insert_rows", |b| {
        b.iter_batched(
            || Scratch(scratch(&f)),
            |db| {
                black_box(sqlite_insert_rows(&cache, &db.0));
                db
            },
            BatchSize::PerIteration,
        )
    });
    drop(cache);
    g.bench_function("sync", |b| {
        b.iter_batched(
            || {
                let db = Scratch(scratch(&f));
                let store = Store::open(&db.0).unwrap_or_else(|e| panic!("open: {e}"));
                (db, store)
            },
            |(db, mut store)| {
                let synced = sync_org_dir(&mut store, &f.org_dir, now());
                black_box(synced.map(|o| o.grants).ok());
                // Closed and removed untimed.
                (store, db)
            },
            BatchSize::PerIteration,
        )
    });

    let conn = rusqlite::Connection::open(&f.db).unwrap_or_else(|e| panic!("{e}"));
    g.bench_function("sqlite_scan_org", |b| {
        b.iter(|| {
            let bytes: usize = steward::store::ORG_TABLES
                .iter()
                .map(|t| scan(&conn, &format!("SELECT * FROM {t}"), &[]))
                .sum();
            black_box(bytes)
        })
    });
    g.bench_function("suggest_org", |b| b.iter(|| run(clone(&whole))));

    let leaf_ents = leaf_grants_sql(&conn, &f.leaf);
    g.bench_function("sqlite_scan_leaf_grants", |b| {
        b.iter(|| {
            black_box(scan(
                &conn,
                "SELECT * FROM grants WHERE entitlement IN (SELECT value FROM json_each(?1))",
                &[&leaf_ents],
            ))
        })
    });
    g.bench_function("suggest_leaf", |b| b.iter(|| run(clone(&leaf))));

    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap_or_else(|e| panic!("{e}"));
    g.bench_function("console_leaf_first_frame", |b| {
        b.iter(|| black_box(console_first_frame(&f, &mut term)))
    });
    keep_leaf_preview(&f);
    g.bench_function("console_leaf_preview_frame", |b| {
        b.iter(|| black_box(console_preview_frame(&f, &mut term)))
    });
    g.finish();
}

/// A command run again (std's Command is not Clone).
fn clone(cmd: &Command) -> Command {
    let mut c = Command::new(cmd.get_program());
    c.args(cmd.get_args());
    c.env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    c.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

criterion_group!(benches, bench);
criterion_main!(benches);
