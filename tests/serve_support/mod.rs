//! What the tests of `steward serve` share: a small organization synced
//! into a server's data directory, keys and a user CA made with
//! `ssh-keygen`, the server itself on 127.0.0.1 (a free port), and the real
//! OpenSSH client to reach it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const NOW: &str = "2026-03-02T12:00:00Z";

pub const PEOPLE: &str = "id,name,email,manager,status
cto,Casey Ortiz,casey@acme.test,,active
priya,Priya Raman,priya@acme.test,cto,active
omar,Omar Haddad,omar@acme.test,cto,active
ana,Ana Lima,ana@acme.test,priya,active
bo,Bo Chen,bo@acme.test,priya,active
lee,Lee Park,lee@acme.test,priya,left
";

pub const TEAMS: &str = r#"
[[team]]
id = "eng"
name = "Engineering"
lead = "cto"
members = ["cto", "omar"]

[[team]]
id = "payments"
name = "Payments"
parent = "eng"
lead = "priya"
members = ["priya", "ana", "bo"]
"#;

const ROTATIONS: &str = r#"
[[rotation]]
id = "pay-primary"
name = "Payments primary"
team = "payments"
members = ["ana"]

[[rotation.shift]]
person = "ana"
start = "2026-03-02T09:00:00Z"
end = "2026-03-09T09:00:00Z"
"#;

const AREAS: &str = r#"
[[area]]
id = "root"
name = "Acme"
owner = "cto"

[[area]]
id = "payments"
name = "Payments"
parent = "root"
owner = "priya"
tags = ["pii"]

[[area.entitlement]]
id = "pay-db:read"
name = "Read the payments database"

[[area.entitlement]]
id = "pay-db:admin"
name = "Administer the payments database"

[[area]]
id = "billing"
name = "Billing"
parent = "payments"
owner = "priya"

[[area.entitlement]]
id = "billing:read"
name = "Read billing"

[[area]]
id = "ops"
name = "Operations"
parent = "root"
owner = "omar"

[[area.entitlement]]
id = "ops:console"
name = "Ops console"
"#;

const RULES: &str = r#"
[[rule]]
id = "pay-read"
area = "payments"
author = "priya"
why = "Payments engineers read the DB to debug."
grant = ["pay-db:read"]
team = "payments"

[[rule]]
id = "billing-read"
area = "billing"
author = "priya"
why = "Engineering reads billing."
grant = ["billing:read"]
team = "eng"

[[rule]]
id = "ops-console"
area = "ops"
author = "omar"
why = "Engineers use the ops console."
grant = ["ops:console"]
team = "eng"
"#;

const GRANTS: &str = "person,entitlement,granted_by,granted_at,basis,expires
lee,ops:console,omar,2025-06-01T00:00:00Z,manual,
";

/// A server's directory: the org it was synced from, its config, its
/// data directory (store, host key), and the keys and CA the test made.
pub struct Setup {
    pub dir: tempfile::TempDir,
    /// Extra lines of `[serve]`.
    pub serve_extra: String,
}

impl Setup {
    /// The small organization above, synced at [`NOW`].
    pub fn new() -> Setup {
        Setup::with_people(PEOPLE, TEAMS)
    }

    pub fn with_people(people: &str, teams: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let s = Setup {
            dir,
            serve_extra: String::new(),
        };
        let org = s.org();
        std::fs::create_dir_all(&org).unwrap();
        for (name, body) in [
            ("people.csv", people),
            ("teams.toml", teams),
            ("rotations.toml", ROTATIONS),
            ("trainings.csv", "person,course,completed,expires\n"),
            ("areas.toml", AREAS),
            ("rules.toml", RULES),
            ("grants.csv", GRANTS),
        ] {
            std::fs::write(org.join(name), body).unwrap();
        }
        std::fs::create_dir_all(s.keys_dir()).unwrap();
        std::fs::write(s.keys_file(), "").unwrap();
        let out = s.local(&["sync", "--org", org.to_str().unwrap()]);
        assert!(out.status.success(), "sync: {}", text(&out.stderr));
        s
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn org(&self) -> PathBuf {
        self.path().join("org")
    }
    pub fn data(&self) -> PathBuf {
        self.path().join("data")
    }
    pub fn db(&self) -> PathBuf {
        self.data().join("steward.db")
    }
    pub fn config(&self) -> PathBuf {
        self.path().join("steward.toml")
    }
    pub fn keys_dir(&self) -> PathBuf {
        self.path().join("keys")
    }
    pub fn keys_file(&self) -> PathBuf {
        self.path().join("people.keys")
    }

    /// `steward` run locally on the server's store, at [`NOW`].
    pub fn local(&self, args: &[&str]) -> Output {
        self.local_cmd().args(args).output().unwrap()
    }

    pub fn local_cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_steward"));
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("STEWARD_NOW", NOW)
            .env("STEWARD_DB", self.db())
            .env("STEWARD_CONFIG", self.path().join("local-none.toml"))
            .env("STEWARD_LOG_DIR", self.path().join("logs-local"));
        c
    }

    /// A new ed25519 key pair; returns the private key's path.
    pub fn key(&self, name: &str) -> PathBuf {
        let path = self.keys_dir().join(name);
        keygen(&["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"], &path);
        path
    }

    /// Registers `key` for `person` in the keys file.
    pub fn register(&self, person: &str, key: &Path) {
        let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        let mut text = std::fs::read_to_string(self.keys_file()).unwrap();
        text.push_str(&format!("{person} {}", public.trim_end()));
        text.push('\n');
        std::fs::write(self.keys_file(), text).unwrap();
    }

    /// Signs `key` with `ca` for these principals and validity
    /// (`ssh-keygen -V`), with this serial; returns the certificate's path.
    pub fn certify(&self, ca: &Path, key: &Path, principals: &str, validity: &str, serial: u32) {
        let out = Command::new("ssh-keygen")
            .args(["-q", "-s"])
            .arg(ca)
            .args(["-I", "test-cert", "-n", principals, "-V", validity, "-z"])
            .arg(serial.to_string())
            .arg(key.with_extension("pub"))
            .output()
            .unwrap();
        assert!(out.status.success(), "ssh-keygen -s: {}", text(&out.stderr));
    }

    /// Writes steward.toml: the keys file, these CAs, admin cto.
    pub fn write_config(&self, cas: &[&Path]) {
        let cas: Vec<String> = cas
            .iter()
            .map(|c| {
                let line = std::fs::read_to_string(c.with_extension("pub")).unwrap();
                format!("{:?}", line.trim())
            })
            .collect();
        let text = format!(
            "[serve]\nkeys = \"people.keys\"\nuser_ca = [{}]\nadmins = [\"cto\"]\n{}",
            cas.join(", "),
            self.serve_extra
        );
        std::fs::write(self.config(), text).unwrap();
    }

    pub fn start(&self) -> Server {
        if !self.config().exists() {
            self.write_config(&[]);
        }
        Server::start(self, &[])
    }
}

/// The small organization served, with a key made and registered for
/// each of `people` (returned in that order). Keep the `Setup` as long as
/// the server: it holds their directory.
pub fn served<const N: usize>(people: [&str; N]) -> (Setup, Server, [PathBuf; N]) {
    let s = Setup::new();
    let keys = people.map(|person| {
        let key = s.key(person);
        s.register(person, &key);
        key
    });
    let server = s.start();
    (s, server, keys)
}

/// `SHA256:...` of a key (or certificate) file, as ssh-keygen -l says it.
pub fn fingerprint(key: &Path) -> String {
    let with_pub = key.with_extension("pub");
    let pub_path = if with_pub.exists() {
        with_pub
    } else {
        key.to_path_buf()
    };
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(pub_path)
        .output()
        .unwrap();
    assert!(out.status.success());
    text(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string()
}

fn keygen(args: &[&str], path: &Path) {
    let out = Command::new("ssh-keygen")
        .args(args)
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "ssh-keygen: {}", text(&out.stderr));
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A running `steward serve`, stopped when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    /// What it printed before listening (host key line).
    pub banner: Vec<String>,
    pub data: PathBuf,
}

impl Server {
    pub fn start(setup: &Setup, extra: &[&str]) -> Server {
        Server::start_on(setup, "127.0.0.1:0", extra)
    }

    pub fn start_on(setup: &Setup, listen: &str, extra: &[&str]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_steward"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", setup.path())
            .env("STEWARD_LOG_DIR", setup.path().join("logs"))
            .env("STEWARD_LOG", "debug")
            .args(["serve", "--listen", listen, "--now", NOW, "--config"])
            .arg(setup.config())
            .arg("--data-dir")
            .arg(setup.data())
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut banner = Vec::new();
        let port = loop {
            let line = match lines.next() {
                Some(Ok(l)) => l,
                _ => {
                    let _ = child.kill();
                    panic!("steward serve stopped before listening: {banner:?}");
                }
            };
            if let Some(addr) = line.strip_prefix("listening on ") {
                break addr.rsplit(':').next().unwrap().parse().unwrap();
            }
            banner.push(line);
        };
        // Keep reading its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            port,
            banner,
            data: setup.data(),
        }
    }

    /// `ssh` with only this key (or its certificate beside it), trusting
    /// whatever host key it meets; the remote user name is `user`.
    /// `opts` go before the destination (`-t`, `-o SendEnv=...`).
    pub fn ssh_cmd(&self, key: &Path, user: &str, opts: &[&str]) -> Command {
        let mut c = Command::new("ssh");
        c.args(["-p", &self.port.to_string(), "-i"])
            .arg(key)
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
                "-o",
                "ConnectTimeout=20",
                "-F",
                "/dev/null",
            ])
            .args(opts)
            .arg(format!("{user}@127.0.0.1"))
            .stdin(Stdio::null());
        c
    }

    /// `ssh` offering `key`'s certificate (`KEY-cert.pub`) first, as
    /// `CertificateFile` makes it, then the key itself.
    pub fn ssh_cert(&self, key: &Path, args: &[&str]) -> Output {
        let cert = format!("CertificateFile={}-cert.pub", key.display());
        self.ssh_cmd(key, "steward", &["-o", &cert])
            .args(args)
            .output()
            .unwrap()
    }

    pub fn ssh(&self, key: &Path, args: &[&str]) -> Output {
        self.ssh_cmd(key, "steward", &[])
            .args(args)
            .output()
            .unwrap()
    }

    /// Stops it as `kill -9` would.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (at most a minute) until `f` says yes; false if it never did.
pub fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(60);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Whether tmux runs here (the consoles' tests need it: .ci/run installs it).
pub fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What the server logged, its own lines (not the SSH library's).
pub fn server_log(s: &Setup) -> String {
    let log = std::fs::read_to_string(s.path().join("logs").join("steward.log"));
    log.unwrap_or_default()
        .lines()
        .filter(|l| l.contains(" steward::"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// How many times the server's log says `what`.
pub fn log_count(s: &Setup, what: &str) -> usize {
    std::fs::read_to_string(s.path().join("logs").join("steward.log"))
        .map(|t| t.matches(what).count())
        .unwrap_or(0)
}

/// A terminal (tmux, on its own socket) running `ssh -t` into a server.
pub struct Console {
    pub name: String,
    socket: String,
}

impl Console {
    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    /// `ssh -t` with `key` in a new 120x40 terminal.
    pub fn open(server: &Server, key: &Path, name: &str) -> Console {
        Console::open_with(server, key, name, "")
    }

    /// `ssh -t` offering `key`'s certificate (`KEY-cert.pub`) first.
    pub fn open_cert(server: &Server, key: &Path, name: &str) -> Console {
        let opt = format!("-o CertificateFile={}-cert.pub", key.display());
        Console::open_with(server, key, name, &opt)
    }

    /// `ssh -t` with `key` and these further options, in a 120x40 terminal.
    pub fn open_with(server: &Server, key: &Path, name: &str, opts: &str) -> Console {
        let c = Console {
            name: name.to_string(),
            socket: format!(
                "steward-serve-{}-{}-{name}",
                std::process::id(),
                server.port
            ),
        };
        let ssh = format!(
            "ssh -t -p {} -i {} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -F /dev/null {opts} steward@127.0.0.1; echo ssh-exited-$?; sleep 600",
            server.port,
            key.display()
        );
        let status = c
            .tmux()
            .args(["new-session", "-d", "-s", name, "-x", "120", "-y", "40"])
            .arg(ssh)
            .status()
            .unwrap();
        assert!(status.success(), "tmux new-session failed");
        c
    }

    pub fn screen(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        text(&out.stdout)
    }

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

    pub fn resize(&self, w: u16, h: u16) {
        let status = self
            .tmux()
            .args([
                "resize-window",
                "-t",
                &self.name,
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Polls until `f` holds for the screen; panics with the screen after a minute.
    pub fn wait_until(&self, what: &str, f: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if f(&screen) {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(60) {
                panic!("{what} never showed; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_until(needle, |s| s.contains(needle))
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}
