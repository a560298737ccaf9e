//! The console at scale: the first frame (open the cache, load, evaluate,
//! draw) and one key handled and drawn, on a generated organization of
//! 100k people (the demo when the generator is not there).
//!
//! Targets: first frame < 300 ms (`loading_frame`: what the console draws
//! at once while its worker loads when nothing was kept; `preview_frame`:
//! what a later start draws at once, the queue the last run showed;
//! `first_frame`: the fresh load and evaluation), each key < 16 ms; a
//! decision's result and a minute's tick re-derived on the UI thread.
//! Run: cargo bench --bench tui

// The allocator the binary runs with (src/main.rs), so figures are its own.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;
use steward::model::{Org, Time};
use steward::store::{SourceInfo, Store};
use steward::tui::data::{Data, Revision};
use steward::tui::state::State;
use steward::tui::theme::Theme;
use steward::tui::update::{Msg, update};
use steward::tui::view;
use steward::tui::worker;

const PEOPLE: usize = 100_000;

fn now() -> Time {
    "2026-03-02T12:00:00Z".parse().unwrap_or_default()
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
    /// The root owner: everything in scope, the largest queue.
    me: String,
    label: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let org: Org = steward::r#gen::generate(PEOPLE, 7, now());
    let (db, label) = if org.people.is_empty() {
        let demo = steward::demo::install(&dir.path().join("demo"), now())
            .unwrap_or_else(|e| panic!("demo: {e:#}"));
        (demo.db, "demo".to_string())
    } else {
        let db = dir.path().join("steward.db");
        let mut store = Store::open(&db).unwrap_or_else(|e| panic!("store: {e:#}"));
        let source = SourceInfo {
            name: "files".into(),
            kind: "files".into(),
            location: dir.path().display().to_string(),
            synced_at: Some(now()),
            attempted_at: Some(now()),
            error: None,
            items: 0,
        };
        store
            .replace_source(&source, &org, now())
            .unwrap_or_else(|e| panic!("replace: {e:#}"));
        (
            db,
            format!("{}k people, {} grants", PEOPLE / 1000, org.grants.len()),
        )
    };
    let store = Store::open_existing(&db).unwrap_or_else(|e| panic!("open: {e:#}"));
    let org = store.load_org().unwrap_or_else(|e| panic!("load: {e:#}"));
    let me = org
        .areas
        .iter()
        .find(|a| a.parent.is_none())
        .map(|a| a.owner.clone())
        .unwrap_or_default();
    Fixture {
        _dir: dir,
        db,
        me,
        label,
    }
}

fn first_frame(f: &Fixture, term: &mut Terminal<TestBackend>) -> State {
    let mut store = Store::open_existing(&f.db).unwrap_or_else(|e| panic!("open: {e:#}"));
    let data = Data::load(&mut store, &f.me, now(), None).unwrap_or_else(|e| panic!("{e:#}"));
    let state = State::new(data, now(), Vec::new());
    let theme = Theme::color();
    term.draw(|fr| view::render(&state, &theme, fr))
        .unwrap_or_else(|e| panic!("{e}"));
    state
}

/// Where the first frame's time goes, printed once.
fn phases(f: &Fixture, term: &mut Terminal<TestBackend>) {
    use std::time::Instant;
    let t = Instant::now();
    let mut store = Store::open_existing(&f.db).unwrap_or_else(|e| panic!("open: {e:#}"));
    let open = t.elapsed();
    let t = Instant::now();
    let org = store.load_org().unwrap_or_else(|e| panic!("{e:#}"));
    let load = t.elapsed();
    let t = Instant::now();
    let snap = std::sync::Arc::new(steward::policy::Snapshot::new(org));
    let index = t.elapsed();
    let t = Instant::now();
    let scope = steward::policy::Scope::of(&snap, &f.me, now());
    let list = steward::policy::suggestions(&snap, &scope, now());
    let evaluate = t.elapsed();
    let t = Instant::now();
    let data = Data::load(&mut store, &f.me, now(), Some(snap)).unwrap_or_else(|e| panic!("{e:#}"));
    let rest = t.elapsed();
    let t = Instant::now();
    let state = State::new(data, now(), Vec::new());
    let derive = t.elapsed();
    let t = Instant::now();
    let theme = Theme::color();
    term.draw(|fr| view::render(&state, &theme, fr))
        .unwrap_or_else(|e| panic!("{e}"));
    let draw = t.elapsed();
    eprintln!(
        "first frame phases: open {open:?}, load_org {load:?}, snapshot {index:?}, evaluate {evaluate:?} ({} suggestions), data (evaluate again + decisions/plan/audit) {rest:?}, console state {derive:?}, draw {draw:?}",
        list.len()
    );
}

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let theme = Theme::color();
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap_or_else(|e| panic!("{e}"));

    phases(&f, &mut term);
    let started = std::time::Instant::now();
    let mut state = first_frame(&f, &mut term);
    eprintln!(
        "tui bench on {} as {}: first frame in {:?} ({} suggestions in scope)",
        f.label,
        f.me,
        started.elapsed(),
        state.data.suggestions.len()
    );

    let mut g = c.benchmark_group(format!("tui/{}", f.label));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    // What the console draws at once, before loading (the loading itself
    // runs on its worker thread meanwhile).
    g.bench_function("loading_frame", |b| {
        b.iter(|| {
            let store = Store::open_existing(&f.db).unwrap_or_else(|e| panic!("open: {e:#}"));
            let state = State::loading(&f.me, now(), Vec::new());
            term.draw(|fr| view::render(&state, &theme, fr))
                .unwrap_or_else(|e| panic!("{e}"));
            black_box(store.path().as_os_str().len())
        })
    });
    g.bench_function("first_frame", |b| {
        b.iter(|| black_box(first_frame(&f, &mut term).derived.queue.len()))
    });
    // What a later start draws at once: the preview the last run kept
    // (read, parsed, made a state, drawn) while the worker loads.
    {
        let t = std::time::Instant::now();
        let p = steward::tui::keep::preview(&state).unwrap_or_else(|| panic!("a preview"));
        let made = t.elapsed();
        let mut store = Store::open_existing(&f.db).unwrap_or_else(|e| panic!("open: {e:#}"));
        let t = std::time::Instant::now();
        worker::keep_preview(&mut store, &p).unwrap_or_else(|e| panic!("keep: {e:#}"));
        let kept = t.elapsed();
        let size = store
            .console_preview(&f.me)
            .ok()
            .flatten()
            .map_or(0, |(_, body)| body.len());
        eprintln!(
            "preview: {} rows, {} people, {} areas; made in {made:?} (UI thread), kept in {kept:?} (worker), {size} bytes",
            p.suggestions.len(),
            p.org.people.len(),
            p.org.areas.len()
        );
    }
    g.bench_function("preview_frame", |b| {
        b.iter(|| {
            let store = Store::open_existing(&f.db).unwrap_or_else(|e| panic!("open: {e:#}"));
            let p = worker::kept_preview(&store, &f.me).unwrap_or_else(|| panic!("kept"));
            let sources = store.sources().unwrap_or_else(|e| panic!("{e:#}"));
            let shown = State::from_preview(p, now(), Vec::new(), sources);
            term.draw(|fr| view::render(&shown, &theme, fr))
                .unwrap_or_else(|e| panic!("{e}"));
            black_box(shown.derived.queue.len())
        })
    });

    update(&mut state, Msg::Resize(160, 48));
    // What the console does with a decision's result: standing, counts,
    // tree, queue and readiness re-derived (on the UI thread), then drawn.
    g.bench_function("decision_result", |b| {
        b.iter(|| {
            // As when the decisions were read again (the records of the
            // same evaluation).
            state.data.revision = Revision::records_of(state.data.revision.base);
            state.derive();
            term.draw(|fr| view::render(&state, &theme, fr))
                .unwrap_or_else(|e| panic!("{e}"));
            black_box(state.derived.queue.len())
        })
    });
    // A tick (a new minute) on the UI thread: the time-dependent part
    // derived again (urgency, order, readiness, standing, counts, tree,
    // queue), the place kept, drawn; the evaluation at the new time runs on
    // the worker and is not measured here.
    let mut minute = 0i64;
    g.bench_function("tick", |b| {
        b.iter(|| {
            minute += 1;
            update(
                &mut state,
                Msg::Tick(now() + chrono::Duration::minutes(minute)),
            );
            term.draw(|fr| view::render(&state, &theme, fr))
                .unwrap_or_else(|e| panic!("{e}"));
            black_box(state.derived.queue.len())
        })
    });
    let mut n = 0u64;
    g.bench_function("key_queue_down_up", |b| {
        b.iter(|| {
            n += 1;
            let k = if n.is_multiple_of(2) { 'j' } else { 'k' };
            update(&mut state, key(KeyCode::Char(k)));
            term.draw(|fr| view::render(&state, &theme, fr))
                .unwrap_or_else(|e| panic!("{e}"));
        })
    });

    // In the tree: each move re-filters the queue to the node's subtree.
    update(&mut state, key(KeyCode::BackTab));
    g.bench_function("key_tree_down_up", |b| {
        b.iter(|| {
            n += 1;
            let k = if n.is_multiple_of(2) { 'j' } else { 'k' };
            update(&mut state, key(KeyCode::Char(k)));
            term.draw(|fr| view::render(&state, &theme, fr))
                .unwrap_or_else(|e| panic!("{e}"));
        })
    });

    // Typing in the fuzzy filter: a four-letter query typed and erased;
    // each key narrows (or reuses) the matches of the one before.
    update(&mut state, key(KeyCode::Char('/')));
    let typing: Vec<KeyCode> = "emma"
        .chars()
        .map(KeyCode::Char)
        .chain(std::iter::repeat_n(KeyCode::Backspace, 4))
        .collect();
    g.bench_function("key_filter_type", |b| {
        b.iter(|| {
            n += 1;
            let k = typing[(n % typing.len() as u64) as usize];
            update(&mut state, key(k));
            term.draw(|fr| view::render(&state, &theme, fr))
                .unwrap_or_else(|e| panic!("{e}"));
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
