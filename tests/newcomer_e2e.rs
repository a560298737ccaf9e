//! Issue 18 in a real terminal (tmux): the demo console as a newcomer uses
//! it, at 120x40 and 80x24: the rotations view, a cut message read whole
//! with m, Space that marks without moving, and a text field that Ctrl-U
//! clears. No timed assertions: the screen is polled until the expected
//! text shows, with a generous bound.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const NOW: &str = "2026-03-02T12:00:00Z";

struct Session {
    name: String,
    socket: String,
}

impl Session {
    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    /// The demo console as `who` in a `w` x `h` terminal.
    fn demo(name: &str, dir: &Path, who: &str, w: u16, h: u16) -> Session {
        assert!(
            Command::new("tmux")
                .arg("-V")
                .output()
                .is_ok_and(|o| o.status.success()),
            "tmux is required for the terminal end-to-end tests (apt-get install tmux)"
        );
        let cmd = format!(
            "env -u STEWARD_AS STEWARD_LOG_DIR={logs} {bin} --data-dir {data} --now {NOW} demo --as {who}; echo EXITED $?; sleep 600",
            logs = dir.join("logs").display(),
            bin = env!("CARGO_BIN_EXE_steward"),
            data = dir.join("data").display(),
        );
        let s = Session {
            name: name.to_string(),
            socket: format!("steward-newcomer-{}-{name}", std::process::id()),
        };
        let (w, h) = (w.to_string(), h.to_string());
        let status = s
            .tmux()
            .args(["new-session", "-d", "-s", name, "-x", &w, "-y", &h])
            .arg("-c")
            .arg(dir)
            .arg(cmd)
            .status()
            .unwrap();
        assert!(status.success(), "tmux new-session failed");
        s
    }

    fn screen(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Each key on its own (a loaded machine may join ESC and what follows).
    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let status = self
                .tmux()
                .args(["send-keys", "-t", &self.name, k])
                .status()
                .unwrap();
            assert!(status.success());
        }
    }

    /// Polls until `ok` holds for the screen; panics with the screen after
    /// a minute, saying what was awaited.
    fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(60) {
                panic!("{what} never showed; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |s| s.contains(text))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

/// The longest run of timeline cells (█ and ·) on any line.
fn widest_strip(screen: &str) -> usize {
    screen
        .lines()
        .map(|l| {
            l.split(|c| c != '█' && c != '·')
                .map(|run| run.chars().count())
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn rotations_and_messages_in_a_real_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Session::demo("rot", tmp.path(), "omar", 120, 40);
    s.wait_for("Omar Haddad (omar)");
    s.keys(&["O"]);
    // Item 6: the timeline across the width, days labelled, felix's first
    // shift (14 days and 5 hours away) in view and marked.
    let screen = s.wait_for("the next 15 days");
    assert!(widest_strip(&screen) >= 100, "{screen}");
    assert!(
        screen.contains("Mar 2") && screen.contains("Tue 3"),
        "{screen}"
    );
    assert!(screen.contains("  felix "), "{screen}");
    assert!(
        screen
            .lines()
            .any(|l| l.contains("felix") && l.contains("first shift, newly trained")),
        "{screen}"
    );
    // Item 9: the first gap is suggested only once its shift starts; a says
    // so, longer than the bar: cut, with m to read it whole.
    s.keys(&["a"]);
    let screen = s.wait_for("m reads all");
    assert!(!screen.contains("it will appear then"), "{screen}");
    s.keys(&["m"]);
    let screen = s.wait_for("Messages, newest first");
    assert!(screen.contains("it will appear then"), "{screen}");
    s.keys(&["Escape"]);
    s.wait_until("the messages closed", |sc| !sc.contains("Messages, newest"));
    // Item 8: Space marks the gap it is on, and says so.
    s.keys(&["j", "Space"]);
    let screen = s.wait_for("1 marked");
    assert!(screen.contains("marked grant nina"), "{screen}");
    s.keys(&["q"]);
    s.wait_for("EXITED 0");
}

#[test]
fn space_and_a_text_field_in_a_small_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Session::demo("small", tmp.path(), "priya", 80, 24);
    s.wait_for("Queue 10");
    // Item 8: Space j Space marks two rows; none is skipped.
    s.keys(&["Space"]);
    s.wait_for("1 marked");
    s.keys(&["j", "Space"]);
    s.wait_for("2 marked");
    // The filter edits as a shell line: Ctrl-W a word, Ctrl-U all.
    s.keys(&["Escape"]);
    s.wait_until("the marks cleared", |sc| !sc.contains("2 marked"));
    s.keys(&["/", "g", "r", "e", "g", " ", "x"]);
    s.wait_for("/greg x");
    s.keys(&["C-w"]);
    let screen = s.wait_until("the word deleted", |sc| !sc.contains("/greg x"));
    assert!(screen.contains("/greg"), "{screen}");
    s.keys(&["C-u"]);
    s.wait_until("the filter cleared", |sc| {
        sc.contains("Queue 10") && !sc.contains("/greg")
    });
    s.keys(&["Escape"]);
    s.wait_until("the filter closed", |sc| !sc.contains("type to filter"));
    s.keys(&["q"]);
    s.wait_for("EXITED 0");
}
