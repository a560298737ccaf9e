//! One cache, several processes at once: a sync loop (as from cron) while
//! readers and deciders work. Nobody sees "database is locked", nothing is
//! corrupted, and every decision lands with its audit entry.

use std::path::PathBuf;
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

/// An organization of `people` generated into `org` in a fresh directory
/// and synced into the cache there: the directory (removed when dropped),
/// its path, the org directory, and that as an argument.
fn synced_org(people: &str) -> (tempfile::TempDir, Arc<PathBuf>, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = Arc::new(tmp.path().to_path_buf());
    let org = dir.join("org");
    let org_arg = org.to_string_lossy().into_owned();
    for args in [
        ["gen", "--people", people, "--out", &org_arg].as_slice(),
        &["sync", "--org", &org_arg],
    ] {
        let out = steward(&dir).args(args).output();
        check(out.unwrap_or_else(|e| panic!("{e}")), args[0]);
    }
    (tmp, dir, org, org_arg)
}

#[test]
fn sync_readers_and_deciders_share_one_cache() {
    let (_tmp, dir, org, org_arg) = synced_org("3000");
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

/// A real console in its own tmux server (the binary in a real terminal,
/// as tests/tui_e2e.rs drives it). Every screen it shows is kept, to be
/// searched for lock errors.
struct Console {
    name: String,
    socket: String,
    screens: Vec<String>,
}

impl Console {
    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    fn open(dir: &std::path::Path, person: &str) -> Console {
        let c = Console {
            name: "console".into(),
            socket: format!("steward-concurrent-{}-{person}", std::process::id()),
            screens: Vec::new(),
        };
        let cmd = format!(
            "env -u STEWARD_AS STEWARD_NOW={NOW} STEWARD_DB={db} STEWARD_CONFIG={cfg} STEWARD_LOG_DIR={logs} {bin} --as {person}; echo EXITED $?; sleep 600",
            db = dir.join("steward.db").display(),
            cfg = dir.join("none.toml").display(),
            logs = dir.join("logs").display(),
            bin = env!("CARGO_BIN_EXE_steward"),
        );
        let status = c
            .tmux()
            .args(["new-session", "-d", "-s", &c.name, "-x", "120", "-y", "40"])
            .arg(cmd)
            .status()
            .unwrap_or_else(|e| panic!("tmux: {e}"));
        assert!(status.success(), "tmux new-session failed");
        c
    }

    fn keys(&self, k: &str) {
        let status = self
            .tmux()
            .args(["send-keys", "-t", &self.name, k])
            .status()
            .unwrap_or_else(|e| panic!("tmux: {e}"));
        assert!(status.success());
    }

    /// Polls until `text` is on screen; panics with the screen after two minutes.
    fn wait_for(&mut self, text: &str) -> String {
        let start = std::time::Instant::now();
        loop {
            let out = self
                .tmux()
                .args(["capture-pane", "-p", "-t", &self.name])
                .output()
                .unwrap_or_else(|e| panic!("tmux: {e}"));
            let screen = String::from_utf8_lossy(&out.stdout).into_owned();
            let lower = screen.to_lowercase();
            assert!(
                !lower.contains("locked") && !lower.contains("busy"),
                "a lock error reached the console:\n{screen}"
            );
            if self.screens.last() != Some(&screen) {
                self.screens.push(screen.clone());
            }
            if screen.contains(text) {
                return screen;
            }
            if start.elapsed() > std::time::Duration::from_secs(120) {
                panic!("{text:?} never showed; the screen:\n{screen}");
            }
            thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// The queue length in the pane title (` Queue N `).
    fn queue(&mut self) -> usize {
        let screen = self.wait_for(" Queue ");
        screen
            .split(" Queue ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no queue length on screen:\n{screen}"))
    }

    /// Accepts the first card `n` times, each confirmed and seen to leave the queue.
    fn accept_first(&mut self, n: usize) {
        let mut queue = self.queue();
        assert!(queue >= n, "only {queue} suggestions to decide");
        for _ in 0..n {
            self.keys("a");
            self.wait_for(" Accept ");
            self.keys("y");
            queue -= 1;
            self.wait_for(&format!(" Queue {queue} "));
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

/// The owner of the top-level area `id` in a generated org.
fn owner_of(org: &std::path::Path, id: &str) -> String {
    let text = std::fs::read_to_string(org.join("areas.toml")).unwrap_or_default();
    let v: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    v["area"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["id"].as_str() == Some(id)))
        .and_then(|a| a["owner"].as_str())
        .unwrap_or_else(|| panic!("no area {id} in the generated org"))
        .to_string()
}

#[test]
fn two_consoles_decide_while_sync_runs_on_one_cache() {
    assert!(
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success()),
        "tmux is required for the terminal end-to-end tests (apt-get install tmux)"
    );
    const EACH: usize = 10;
    let (_tmp, dir, org, org_arg) = synced_org("400");
    // Owners of two sibling subtrees: their queues do not overlap.
    let (eng, product) = (owner_of(&org, "engineering"), owner_of(&org, "product"));

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let syncer = {
        let (dir, stop, org_arg) = (Arc::clone(&dir), Arc::clone(&stop), org_arg.clone());
        thread::spawn(move || {
            let mut runs = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) || runs == 0 {
                check(
                    steward(&dir)
                        .args(["sync", "--org", &org_arg])
                        .output()
                        .unwrap_or_else(|e| panic!("{e}")),
                    &format!("sync {runs}"),
                );
                runs += 1;
            }
            runs
        })
    };
    let consoles: Vec<_> = [eng.clone(), product.clone()]
        .into_iter()
        .map(|person| {
            let dir = Arc::clone(&dir);
            thread::spawn(move || {
                let mut c = Console::open(&dir, &person);
                c.accept_first(EACH);
                c.keys("q");
                c.wait_for("EXITED 0");
                c.screens.len()
            })
        })
        .collect();
    let mut screens = 0;
    for h in consoles {
        match h.join() {
            Ok(n) => screens += n,
            Err(e) => {
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
                std::panic::resume_unwind(e);
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let syncs = syncer
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
    eprintln!("two consoles: {screens} distinct screens checked, {syncs} syncs ran meanwhile");

    // Every decision once, each with exactly one audit entry, the chain intact.
    let store =
        steward::store::Store::open(&dir.join("steward.db")).unwrap_or_else(|e| panic!("{e:#}"));
    let decisions = store.decisions().unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(decisions.len(), 2 * EACH, "{decisions:#?}");
    for who in [&eng, &product] {
        assert_eq!(
            decisions.iter().filter(|d| &d.decider == who).count(),
            EACH,
            "{who}"
        );
    }
    let mut keys: Vec<_> = decisions
        .iter()
        .map(|d| (&d.suggestion.person, &d.suggestion.entitlement))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 2 * EACH, "a suggestion was decided twice");
    let audit = store
        .audit_entries(None)
        .unwrap_or_else(|e| panic!("{e:#}"));
    for d in &decisions {
        let entries = audit
            .iter()
            .filter(|a| a.action == "decide")
            .filter(|a| {
                serde_json::from_str::<serde_json::Value>(&a.detail)
                    .is_ok_and(|v| v["decision"] == d.id)
            })
            .count();
        assert_eq!(entries, 1, "decision {} has {entries} audit entries", d.id);
    }
    assert_eq!(audit.len(), 2 * EACH, "{audit:#?}");
    let verify = check(
        steward(&dir)
            .args(["audit", "verify"])
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
        "verify",
    );
    assert!(
        verify.contains(&format!("{} entries verified", 2 * EACH)),
        "{verify}"
    );
    let log = std::fs::read_to_string(dir.join("logs").join("steward.log")).unwrap_or_default();
    assert!(!log.to_lowercase().contains("locked"), "{log}");
}
