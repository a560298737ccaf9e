//! Issue 13 item 8 and issue 17 item 4: `steward serve` on the organization
//! `steward gen` writes (100k people by default, `STEWARD_BENCH_PEOPLE`
//! otherwise), reached over real loopback SSH with the OpenSSH client, one
//! ControlMaster connection reused (so a figure is the command, not the
//! key exchange):
//!
//! - `ssh_suggest_leaf`: `ssh HOST suggest --json` as the owner of a leaf
//!   area, end to end (the client started, the answer read whole).
//! - `ssh_console_first_frame`: `ssh -tt HOST` as that owner until the
//!   console's first frame (its key bar) has arrived.
//! - `ssh_console_unkept_first_frame`: the same with no preview kept for
//!   the owner, so the first frame with their header is the loaded one
//!   (the organization and their suggestions from the resident evaluation
//!   when it is current, else read from the store and evaluated).
//! - `ssh_console_first_frame_after_change`: the same right after a rule
//!   in the owner's area was added or removed over SSH (the resident
//!   evaluation may still be catching up: then the store is read).
//! - `ssh_console_key_to_frame`: in an open console, a key sent until its
//!   frame arrives (measured at the client, so an upper bound of the
//!   server's part).
//! - `resident_update_100_grants`: the resident evaluation brought up to
//!   date after a sync changing 100 grants, the new snapshot made
//!   (`State::update_to`: the rows diffed, the entitlements they touch
//!   evaluated again); `resident_snapshot`: making that snapshot
//!   (`Snapshot::new`), which the server does after reading the store
//!   whole; `resident_patch_100_grants`: the same change as the store's
//!   change log tells it, row by row (`State::patched`: 100 rows removed
//!   from the snapshot in place, 100 added, the people whose rows they
//!   are evaluated again for those entitlements);
//!   `resident_patch_100_grants_while_read`: the same while another
//!   reader (a console) still holds the snapshot, letting it go after (as
//!   a console reloading): the spare kept from the patch before, read by
//!   no one, is brought up to date and patched (the first round, in the
//!   warm-up, has no spare yet and copies the snapshot).
//! - `resident_refresh_after_sync_100_grants` (printed, timed by hand: each
//!   round needs a real sync first): `Resident::refresh` after a sync that
//!   changed 100 grants, end to end (the change log and the changed rows
//!   read from the store by rowid, the state patched row by row, those
//!   entitlements evaluated again), beside plain SQLite reading the same
//!   rows by rowid.
//!
//! - `pairs_100`: the suggestions of the (entitlement, person) pairs that
//!   sync changes, worked out for those people alone
//!   (`policy::suggestions_for`), on the snapshot after it.
//!
//! Run: cargo bench --bench serve (STEWARD_BENCH_DIR for the scratch
//! directory, /tmp otherwise).

// The allocator the binary runs with (src/main.rs), so figures are its own.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;

use support::*;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use steward::model::{Basis, Grant, Org};
use steward::policy::Snapshot;
use steward::serve::resident::rowids::RowIds;
use steward::serve::resident::state::{Patch, State};
use steward::store::{GrantChanges, Store};
use steward::sync::sync_org_dir;

struct Fixture {
    dir: tempfile::TempDir,
    db: PathBuf,
    /// The owner of a leaf area, and their key.
    leaf: String,
    key: PathBuf,
}

fn fixture(people: usize) -> Fixture {
    let base = std::env::var_os("STEWARD_BENCH_DIR").unwrap_or("/tmp".into());
    let dir = tempfile::tempdir_in(base).unwrap_or_else(|e| panic!("tempdir: {e}"));
    let org_dir = dir.path().join("org");
    steward::sources::files::write::write_org_streaming(&org_dir, |sink| {
        Ok(steward::r#gen::generate_with(people, 7, now(), sink)?.0)
    })
    .unwrap_or_else(|e| panic!("gen: {e:#}"));
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap_or_else(|e| panic!("{e}"));
    let db = data.join("steward.db");
    let mut store = Store::open(&db).unwrap_or_else(|e| panic!("open: {e}"));
    sync_org_dir(&mut store, &org_dir, now()).unwrap_or_else(|e| panic!("sync: {e:#}"));
    let leaf = leaf_owner(&store);
    let key = dir.path().join("key");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap_or_else(|e| panic!("ssh-keygen: {e}"));
    assert!(made.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap_or_default();
    std::fs::write(dir.path().join("people.keys"), format!("{leaf} {public}"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("steward.toml"),
        "[serve]\nkeys = \"people.keys\"\nstall_timeout = \"10m\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Fixture { dir, db, leaf, key }
}

/// `steward serve` on the fixture, and the ControlMaster connection to it.
struct Served {
    server: Child,
    master: Child,
    port: u16,
    socket: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.master.kill();
        let _ = self.master.wait();
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn serve(f: &Fixture) -> Served {
    let logs = f.dir.path().join("logs");
    let mut server = Command::new(env!("CARGO_BIN_EXE_steward"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", f.dir.path())
        .env("STEWARD_LOG_DIR", &logs)
        // Says where each console's data came from.
        .env("STEWARD_LOG", "info,steward::tui::worker=debug")
        .args(["serve", "--listen", "127.0.0.1:0", "--now", NOW, "--config"])
        .arg(f.dir.path().join("steward.toml"))
        .arg("--data-dir")
        .arg(f.db.parent().unwrap_or(f.dir.path()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("steward serve: {e}"));
    let stdout = server.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = BufReader::new(stdout).lines();
    let port = loop {
        match lines.next() {
            Some(Ok(l)) => {
                if let Some(addr) = l.strip_prefix("listening on ") {
                    break addr.rsplit(':').next().and_then(|p| p.parse().ok());
                }
            }
            _ => break None,
        }
    }
    .unwrap_or_else(|| panic!("steward serve never listened"));
    std::thread::spawn(move || for _ in lines {});
    // The resident evaluation is built in the background: wait for it.
    let log = logs.join("steward.log");
    let start = Instant::now();
    while !std::fs::read_to_string(&log)
        .is_ok_and(|t| t.contains("resident evaluation: the whole organization"))
    {
        assert!(start.elapsed() < Duration::from_secs(600), "never resident");
        std::thread::sleep(Duration::from_millis(200));
    }
    let socket = f.dir.path().join("control");
    let master = ssh_base(f, port, &socket)
        .args(["-M", "-N", "steward@127.0.0.1"])
        .spawn()
        .unwrap_or_else(|e| panic!("ssh -M: {e}"));
    let start = Instant::now();
    while !socket.exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "no master");
        std::thread::sleep(Duration::from_millis(20));
    }
    Served {
        server,
        master,
        port,
        socket,
    }
}

fn ssh_base(f: &Fixture, port: u16, socket: &Path) -> Command {
    let mut c = Command::new("ssh");
    c.args(["-p", &port.to_string(), "-i"])
        .arg(&f.key)
        .args([
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-F",
            "/dev/null",
            "-S",
        ])
        .arg(socket)
        .stdin(Stdio::null());
    c
}

fn ssh(f: &Fixture, s: &Served, opts: &[&str]) -> Command {
    let mut c = ssh_base(f, s.port, &s.socket);
    c.args(opts).arg("steward@127.0.0.1");
    c
}

/// Reads `r` until `needle` has arrived.
fn read_until(r: &mut impl Read, needle: &[u8]) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let n = r.read(&mut buf).unwrap_or(0);
        assert!(n > 0, "the console ended before {needle:?}");
        seen.extend_from_slice(&buf[..n]);
        if seen.windows(needle.len()).any(|w| w == needle) {
            return;
        }
    }
}

fn over_ssh(c: &mut Criterion, f: &Fixture) {
    let s = serve(f);
    let mut g = c.benchmark_group("serve");
    g.sample_size(20).measurement_time(Duration::from_secs(20));
    g.bench_function("ssh_suggest_leaf", |b| {
        b.iter(|| {
            let out = ssh(f, &s, &[])
                .args(["suggest", "--json"])
                .output()
                .unwrap_or_else(|e| panic!("ssh: {e}"));
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        })
    });
    g.bench_function("ssh_console_first_frame", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let mut child = console(f, &s);
                let mut out = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
                read_until(&mut out, b"scope:");
                total += start.elapsed();
                close(child, out);
            }
            total
        })
    });
    g.bench_function("ssh_console_unkept_first_frame", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                forget_preview(f);
                total += first_frame(f, &s);
            }
            total
        })
    });
    said_where_from(f, "ssh_console_unkept_first_frame");
    let change = leaf_change(f);
    let mut added = false;
    g.bench_function("ssh_console_first_frame_after_change", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let out = ssh(f, &s, &[]).args(change.args(added)).output();
                let out = out.unwrap_or_else(|e| panic!("ssh: {e}"));
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                added = !added;
                forget_preview(f);
                total += first_frame(f, &s);
            }
            total
        })
    });
    said_where_from(f, "ssh_console_first_frame_after_change");
    g.bench_function("ssh_console_key_to_frame", |b| {
        let mut child = console(f, &s);
        let mut out = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let mut input = child.stdin.take().unwrap_or_else(|| panic!("no stdin"));
        read_until(&mut out, b"scope:");
        // What arrives, as it arrives, read on a thread of its own.
        let (tx, rx) = std::sync::mpsc::channel::<usize>();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 || tx.send(n).is_err() {
                    break;
                }
            }
        });
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                while rx.try_recv().is_ok() {}
                // The help overlay opened or closed: each key a new frame.
                let start = Instant::now();
                input.write_all(b"?").unwrap_or_else(|e| panic!("{e}"));
                input.flush().unwrap_or_else(|e| panic!("{e}"));
                let got = rx.recv_timeout(Duration::from_secs(60));
                total += start.elapsed();
                assert!(got.is_ok(), "no frame after a key");
                // The rest of the frame, if it came in pieces.
                std::thread::sleep(Duration::from_millis(30));
            }
            total
        });
        // Help closed if open, then quit.
        let _ = input.write_all(b"qq");
        drop(input);
        let _ = child.kill();
        let _ = child.wait();
    });
    g.finish();
}

/// A console opened until its first frame with the header has arrived;
/// how long that took.
fn first_frame(f: &Fixture, s: &Served) -> Duration {
    let start = Instant::now();
    let mut child = console(f, s);
    let mut out = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    read_until(&mut out, b"scope:");
    let took = start.elapsed();
    close(child, out);
    took
}

/// No preview kept for the leaf owner: their console's next start shows
/// the loading screen until their data is loaded.
fn forget_preview(f: &Fixture) {
    let c = rusqlite::Connection::open(&f.db).unwrap_or_else(|e| panic!("{e}"));
    c.busy_timeout(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    c.execute(
        "DELETE FROM console_previews WHERE person = ?1",
        [f.leaf.as_str()],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

/// How many consoles the server's log says read from the resident
/// evaluation and from the store so far, after `bench`.
fn said_where_from(f: &Fixture, bench: &str) {
    let log =
        std::fs::read_to_string(f.dir.path().join("logs").join("steward.log")).unwrap_or_default();
    let count = |what: &str| {
        log.matches(&format!("console for {}: {what}", f.leaf))
            .count()
    };
    eprintln!(
        "after {bench}: consoles so far from the resident evaluation {}, from the store {}",
        count("from the resident evaluation"),
        count("read from the store")
    );
}

/// A rule the leaf owner adds to their area and removes again, for the
/// members of a team with none below it (a few suggestions more).
struct LeafChange {
    area: String,
    entitlement: String,
    team: String,
}

impl LeafChange {
    fn args(&self, added: bool) -> Vec<String> {
        let id = "bench-console-change".to_string();
        match added {
            true => vec!["rule".into(), "remove".into(), id],
            false => [
                "rule",
                "add",
                "--id",
                &id,
                "--area",
                &self.area,
                "--grant",
                &self.entitlement,
                "--team",
                &self.team,
                "--why",
                "bench",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

fn leaf_change(f: &Fixture) -> LeafChange {
    let c = rusqlite::Connection::open(&f.db).unwrap_or_else(|e| panic!("{e}"));
    let (area, entitlement): (String, String) = c
        .query_row(
            "SELECT a.id, e.id FROM areas a JOIN entitlements e ON e.area = a.id
             WHERE a.owner = ?1 ORDER BY a.rowid, e.rowid LIMIT 1",
            [f.leaf.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap_or_else(|e| panic!("the leaf owner's area: {e}"));
    let team: String = c
        .query_row(
            "SELECT t.id FROM teams t
             WHERE NOT EXISTS (SELECT 1 FROM teams c WHERE c.parent = t.id)
             ORDER BY t.rowid LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("a team: {e}"));
    LeafChange {
        area,
        entitlement,
        team,
    }
}

fn console(f: &Fixture, s: &Served) -> Child {
    ssh(f, s, &["-tt"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("ssh -tt: {e}"))
}

fn close(mut child: Child, out: impl Read + Send + 'static) {
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(b"q");
    }
    // Drain what is left so the session can end, then reap it.
    std::thread::spawn(move || {
        let mut out = out;
        let _ = std::io::copy(&mut out, &mut std::io::sink());
    });
    let _ = child.wait();
}

/// The organization with 100 grants changed as a sync brings them: some
/// removed, some granted to someone else, some expired.
fn changed_100(org: &Org) -> Org {
    let mut org = org.clone();
    let n = org.grants.len();
    let step = n / 101;
    for k in 1..=100 {
        let i = k * step;
        match k % 3 {
            0 => org.grants[i].expires = Some(now() - chrono::Duration::days(1)),
            1 => org.grants[i].granted_by = None,
            _ => {
                let other = org.people[(i * 7) % org.people.len()].id.clone();
                let g = org.grants[i].clone();
                org.grants[i] = Grant {
                    person: other,
                    basis: Basis::Manual,
                    ..g
                };
            }
        }
    }
    org
}

/// The 100 rows `changed_100` changes, before and after: each round of
/// `resident_patch_100_grants` deletes the rows of one version and
/// inserts those of the other with new rowids, as a sync writes them.
struct Rounds {
    /// The rows the state holds now (rowid, grant).
    held: Vec<(i64, Grant)>,
    /// The other version's grants.
    other: Vec<Grant>,
    next: i64,
}

impl Rounds {
    fn new(org: &Org, rowids: &[i64], changed: &Org) -> Rounds {
        let (mut held, mut other) = (Vec::new(), Vec::new());
        for (i, (was, is)) in org.grants.iter().zip(&changed.grants).enumerate() {
            if was != is {
                held.push((rowids[i], was.clone()));
                other.push(is.clone());
            }
        }
        Rounds {
            held,
            other,
            next: rowids.iter().max().copied().unwrap_or(0) + 1,
        }
    }

    /// The next sync's patch.
    fn patch(&mut self) -> Patch {
        let deleted = self.held.iter().map(|(r, _)| *r).collect();
        let inserted: Vec<(i64, Grant)> = self
            .other
            .iter()
            .map(|g| {
                self.next += 1;
                (self.next, g.clone())
            })
            .collect();
        self.other = self.held.drain(..).map(|(_, g)| g).collect();
        self.held = inserted.clone();
        Patch {
            grants: GrantChanges::Rows { deleted, inserted },
            rules: None,
        }
    }
}

fn resident(c: &mut Criterion, f: &Fixture) {
    let store = Store::open_existing(&f.db).unwrap_or_else(|e| panic!("{e}"));
    let (org, rowids) = store.load_org_rowed().unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let state = State::build_rowed(org.clone(), rowids.clone(), now());
    eprintln!(
        "resident build (whole organization, {} suggestions): {:?}",
        state.all().len(),
        started.elapsed()
    );
    let changed = changed_100(&org);
    let mut g = c.benchmark_group("serve");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.bench_function("resident_snapshot", |b| {
        b.iter_batched(|| changed.clone(), Snapshot::new, BatchSize::PerIteration)
    });
    let mut rounds = Rounds::new(&org, &rowids, &changed);
    let snap = Arc::new(Snapshot::new(changed));
    let same_rowids = Arc::new(RowIds::new(rowids));
    g.bench_function("resident_update_100_grants", |b| {
        b.iter(|| {
            let (next, redone) = state.update_to(snap.clone(), same_rowids.clone(), now());
            std::hint::black_box((next, redone))
        })
    });
    // Patched in place, row by row, there and back: each round one
    // sync's worth (100 rows deleted, 100 inserted).
    let mut kept = Some(state);
    g.bench_function("resident_patch_100_grants", |b| {
        b.iter_custom(|iters| {
            let mut took = Duration::ZERO;
            for _ in 0..iters {
                let Some(state) = kept.take() else { break };
                let patch = rounds.patch();
                let started = Instant::now();
                let patched = state.patched(patch, now());
                took += started.elapsed();
                let (next, redone) = patched.unwrap_or_else(|_| panic!("the patch did not fit"));
                std::hint::black_box(redone);
                kept = Some(next);
            }
            took
        })
    });
    // The same while a console still holds the kept snapshot: the spare
    // patched instead (copied first when there is none yet).
    g.bench_function("resident_patch_100_grants_while_read", |b| {
        b.iter_custom(|iters| {
            let mut took = Duration::ZERO;
            for _ in 0..iters {
                let Some(state) = kept.take() else { break };
                let patch = rounds.patch();
                let reader = state.snap.clone();
                let started = Instant::now();
                let patched = state.patched(patch, now());
                took += started.elapsed();
                drop(reader);
                let (next, redone) = patched.unwrap_or_else(|_| panic!("the patch did not fit"));
                std::hint::black_box(redone);
                kept = Some(next);
            }
            took
        })
    });
    g.finish();
    refresh_after_sync(f, &org);
}

/// Reads the grant rows `rowids` with plain SQLite (one statement, the
/// rowids inlined), returning how many there were: the floor under the
/// resident's read of a sync's rows.
fn raw_read_by_rowid(db: &Path, rowids: &[i64]) -> usize {
    let c = rusqlite::Connection::open(db).unwrap_or_else(|e| panic!("{e}"));
    let list: Vec<String> = rowids.iter().map(i64::to_string).collect();
    let sql = format!(
        "SELECT person, entitlement, granted_by, granted_at, basis, expires, through
         FROM grants WHERE rowid IN ({})",
        list.join(",")
    );
    let mut st = c.prepare(&sql).unwrap_or_else(|e| panic!("{e}"));
    let mut rows = st.query([]).unwrap_or_else(|e| panic!("{e}"));
    let mut n = 0;
    while let Ok(Some(r)) = rows.next() {
        let person: String = r.get(0).unwrap_or_default();
        std::hint::black_box(person);
        n += 1;
    }
    n
}

fn min_median_max(mut v: Vec<Duration>) -> String {
    v.sort();
    format!(
        "min {:?} median {:?} max {:?}",
        v[0],
        v[v.len() / 2],
        v[v.len() - 1]
    )
}

/// The whole refresh of a running server's resident evaluation after a
/// sync that changes 100 grants: the change log and the changed rows read,
/// the kept state patched row by row, those entitlements evaluated again;
/// beside plain SQLite reading the same rows by rowid. Each round needs a
/// real sync first (seconds at 100k), so this is timed by hand over a few
/// rounds rather than by criterion's sampling.
fn refresh_after_sync(f: &Fixture, org: &Org) {
    let resident = steward::serve::resident::Resident::default();
    let started = Instant::now();
    resident
        .refresh(&f.db, now())
        .unwrap_or_else(|e| panic!("{e:#}"));
    eprintln!("resident refresh, first (whole): {:?}", started.elapsed());
    let mut store = Store::open_existing(&f.db).unwrap_or_else(|e| panic!("{e}"));
    let source = steward::sync::files_source_info(&f.dir.path().join("org"));
    let versions = [changed_100(org), org.clone()];
    let (mut took, mut reads, mut raw) = (Vec::new(), Vec::new(), Vec::new());
    let mut rows = 0;
    for round in 0..9 {
        let before = store.org_generation().unwrap_or_else(|e| panic!("{e}"));
        store
            .replace_source(&source, &versions[round % 2], now())
            .unwrap_or_else(|e| panic!("sync: {e}"));
        // What the refresh reads, alone (and how many grant rows that is).
        let started = Instant::now();
        let delta = store
            .org_since(Some(before))
            .unwrap_or_else(|e| panic!("{e}"));
        let read = started.elapsed();
        let inserted: Vec<i64> = match &delta.change {
            steward::store::Delta::Parts {
                grants: GrantChanges::Rows { inserted, .. },
                ..
            } => inserted.iter().map(|(r, _)| *r).collect(),
            other => panic!("not read row by row: {other:?}"),
        };
        let started = Instant::now();
        let n = raw_read_by_rowid(&f.db, &inserted);
        let raw_read = started.elapsed();
        assert_eq!(n, inserted.len());
        let started = Instant::now();
        resident
            .refresh(&f.db, now())
            .unwrap_or_else(|e| panic!("{e:#}"));
        // The first round may rewrite rows the files sync wrote otherwise.
        if round > 0 {
            took.push(started.elapsed());
            reads.push(read);
            raw.push(raw_read);
            rows = inserted.len();
        }
    }
    eprintln!(
        "resident_refresh_after_sync_100_grants ({} rounds): {}; \
         of which the change log and the {rows} rows inserted read: {}; \
         plain SQLite reading those rows by rowid: {}; load: {}",
        took.len(),
        min_median_max(took),
        min_median_max(reads),
        min_median_max(raw),
        load()
    );
}

/// `policy::suggestions_for` the (entitlement, person) pairs the 100-grant
/// sync of `changed_100` changes (each changed row's pair before and after
/// it), on the snapshot after the sync: what the resident evaluates again
/// per changed row instead of those entitlements whole.
fn pairs_100(c: &mut Criterion, f: &Fixture) {
    let store = Store::open_existing(&f.db).unwrap_or_else(|e| panic!("{e}"));
    let org = store.load_org().unwrap_or_else(|e| panic!("{e}"));
    let snap = Snapshot::new(changed_100(&org));
    let mut pairs: Vec<(usize, &str)> = org
        .grants
        .iter()
        .zip(&snap.org.grants)
        .filter(|(was, is)| was != is)
        .flat_map(|(was, is)| [was, is])
        .filter_map(|g| Some((snap.entitlement_idx(&g.entitlement)?, g.person.as_str())))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut ents: Vec<usize> = pairs.iter().map(|&(e, _)| e).collect();
    ents.dedup();
    let holders: usize = ents
        .iter()
        .map(|&e| snap.grants_of_entitlement(e).count())
        .sum();
    let found = steward::policy::suggestions_for(&snap, &pairs, now()).len();
    eprintln!(
        "pairs_100: {} pairs over {} entitlements holding {holders} grants; {found} suggestions",
        pairs.len(),
        ents.len()
    );
    let mut g = c.benchmark_group("serve");
    g.sample_size(50);
    g.bench_function("pairs_100", |b| {
        b.iter(|| steward::policy::suggestions_for(&snap, &pairs, now()))
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let f = fixture(people());
    eprintln!(
        "{} people; leaf owner {}; load: {}",
        people(),
        f.leaf,
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    pairs_100(c, &f);
    resident(c, &f);
    over_ssh(c, &f);
}

criterion_group!(serve_benches, benches);
criterion_main!(serve_benches);
