//! A real terminal for the end-to-end tests: the real binary in a tmux
//! session of its own (its own server socket, killed when dropped), its
//! screen read back as text, keys sent one at a time. No timed assertions:
//! the screen is polled until the expected text shows, with a generous
//! bound, and taken once two reads agree (never half drawn).
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The instant the demo consoles are opened at.
pub const NOW: &str = "2026-03-02T12:00:00Z";

/// How long a screen may take to show what is awaited.
const PATIENCE: Duration = Duration::from_secs(60);

pub struct Session {
    name: String,
    socket: String,
}

impl Session {
    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    /// `cmd` (a shell command line) in a `w` x `h` terminal in `dir`; the
    /// server's socket is named after `suite`, this process and `name`.
    pub fn start(suite: &str, name: &str, dir: &Path, (w, h): (u16, u16), cmd: &str) -> Session {
        assert!(
            Command::new("tmux")
                .arg("-V")
                .output()
                .is_ok_and(|o| o.status.success()),
            "tmux is required for the terminal end-to-end tests (apt-get install tmux)"
        );
        let s = Session {
            name: name.to_string(),
            socket: format!("steward-{suite}-{}-{name}", std::process::id()),
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

    /// The demo console as `who` at [`NOW`], its data under `dir/data`;
    /// the shell says `EXITED n` when it ends.
    pub fn demo(suite: &str, name: &str, dir: &Path, who: &str, size: (u16, u16)) -> Session {
        let cmd = format!(
            "env -u STEWARD_AS STEWARD_LOG_DIR={logs} {bin} --data-dir {data} --now {NOW} demo --as {who}; echo EXITED $?; sleep 600",
            logs = dir.join("logs").display(),
            bin = env!("CARGO_BIN_EXE_steward"),
            data = dir.join("data").display(),
        );
        Session::start(suite, name, dir, size, &cmd)
    }

    pub fn screen(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The pane's title (what an escape sequence may have set).
    pub fn title(&self) -> String {
        let out = self
            .tmux()
            .args(["display-message", "-p", "-t", &self.name, "#{pane_title}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Each key on its own (a loaded machine may join ESC and what follows).
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            let status = self
                .tmux()
                .args(["send-keys", "-t", &self.name, k])
                .status()
                .unwrap();
            assert!(status.success());
        }
    }

    /// Text typed as it is (no key names).
    pub fn type_text(&self, text: &str) {
        let status = self
            .tmux()
            .args(["send-keys", "-l", "-t", &self.name, text])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// A command line typed as it is, then Enter.
    pub fn line(&self, text: &str) {
        self.type_text(text);
        self.keys(&["Enter"]);
    }

    /// The terminal resized to `w` x `h`.
    pub fn resize(&self, w: u16, h: u16) {
        let status = self
            .tmux()
            .args(["resize-window", "-t", &self.name])
            .args(["-x", &w.to_string(), "-y", &h.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "tmux resize-window failed");
    }

    /// Polls until `ok` holds for the screen and a second read agrees
    /// (the frame was drawn whole); panics with the screen after a
    /// minute, saying what was awaited.
    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        let mut last = String::new();
        loop {
            let screen = self.screen();
            if ok(&screen) && screen == last {
                return screen;
            }
            if start.elapsed() > PATIENCE {
                panic!("{what} never showed; the screen:\n{screen}");
            }
            last = screen;
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |s| s.contains(text))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}
