//! Real peers on 127.0.0.1 for the connector tests, installed on first use
//! into `target/peers/` (under a file lock, so parallel test binaries do not
//! race), each on a free port, stopped when dropped. A peer that cannot be
//! installed or started FAILS the test with what went wrong; nothing skips.
//!
//! Also: a tiny scripted HTTP server for faults real servers will not
//! produce on demand, and a minimal HTTP/1.0 client to seed peers.

#![allow(dead_code)]

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const SCIM2_SERVER: &str = "scim2-server==0.8.3";
pub const PRISM: &str = "@stoplight/prism-cli@5.14.2";
/// The independent iCalendar expander the ICS tests compare with.
pub const RECURRING_ICAL_EVENTS: &str = "recurring-ical-events==3.8.2";

pub fn specs_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/specs"))
}

pub fn peers_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/peers"));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Runs `f` holding an exclusive lock on `target/peers/NAME.lock`.
fn locked<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let path = peers_dir().join(format!("{name}.lock"));
    let file =
        File::create(&path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    file.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
    let out = f();
    let _ = file.unlock();
    out
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("peer install: cannot run {what}: {e}"));
    if !out.status.success() {
        panic!(
            "peer install: {what} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A Python venv `target/peers/NAME-venv` with `package` (`name==version`)
/// installed, once, under the peers lock; returns the venv directory.
pub fn python_venv_peer(name: &str, package: &str) -> PathBuf {
    locked(name, || {
        let venv = peers_dir().join(format!("{name}-venv"));
        let version = package.rsplit("==").next().unwrap_or(package);
        let marker = venv.join(format!(".installed-{version}"));
        if !marker.exists() {
            let _ = std::fs::remove_dir_all(&venv);
            run(
                Command::new("python3").arg("-m").arg("venv").arg(&venv),
                "python3 -m venv (is python3 with venv installed?)",
            );
            run(
                Command::new(venv.join("bin/pip")).args([
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    package,
                ]),
                &format!("pip install {package}"),
            );
            File::create(&marker).ok();
        }
        venv
    })
}

/// `target/peers/scim-venv/bin/scim2-server`, installing it if needed.
pub fn scim_server_bin() -> PathBuf {
    let bin = python_venv_peer("scim", SCIM2_SERVER).join("bin/scim2-server");
    assert!(
        bin.exists(),
        "pip installed scim2-server but {} is missing",
        bin.display()
    );
    bin
}

/// `target/peers/ical-venv/bin/python`, with `recurring-ical-events`
/// (and `icalendar`) installed, installing them if needed.
pub fn ical_python() -> PathBuf {
    let python = python_venv_peer("ical", RECURRING_ICAL_EVENTS).join("bin/python");
    assert!(
        python.exists(),
        "pip installed recurring-ical-events but {} is missing",
        python.display()
    );
    python
}

/// `target/peers/prism/node_modules/.bin/prism`, installing it if needed.
pub fn prism_bin() -> PathBuf {
    locked("prism", || {
        let dir = peers_dir().join("prism");
        let bin = dir.join("node_modules/.bin/prism");
        let marker = dir.join(".installed-5.14.2");
        if !marker.exists() {
            std::fs::create_dir_all(&dir).ok();
            if !dir.join("package.json").exists() {
                std::fs::write(
                    dir.join("package.json"),
                    "{\"name\":\"steward-peers\",\"private\":true}\n",
                )
                .unwrap_or_else(|e| panic!("cannot write package.json: {e}"));
            }
            run(
                Command::new("npm").current_dir(&dir).args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    PRISM,
                ]),
                "npm install @stoplight/prism-cli@5.14.2 (are node >= 18.20 and npm installed?)",
            );
            assert!(
                bin.exists(),
                "npm installed prism but {} is missing",
                bin.display()
            );
            File::create(&marker).ok();
        }
        bin
    })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot find a free port: {e}"))
}

/// A started peer process; killed (by its own pid) when dropped.
pub struct Peer {
    child: Child,
    pub port: u16,
    pub base: String,
    log: PathBuf,
}

impl Peer {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_until(peer: &mut Peer, what: &str, timeout: Duration, ready: impl Fn(&Peer) -> bool) {
    let start = Instant::now();
    loop {
        if ready(peer) {
            return;
        }
        if let Ok(Some(status)) = peer.child.try_wait() {
            panic!("{what} exited ({status}) before answering:\n{}", peer.log());
        }
        if start.elapsed() > timeout {
            panic!(
                "{what} did not answer within {}s:\n{}",
                timeout.as_secs(),
                peer.log()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn spawn(cmd: &mut Command, name: &str, port: u16, base: String) -> Peer {
    let log = peers_dir().join(format!("{name}-{port}.log"));
    let out = File::create(&log).unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
    let err = out.try_clone().unwrap_or_else(|e| panic!("{e}"));
    let child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    Peer {
        child,
        port,
        base,
        log,
    }
}

pub const SCIM_TOKEN: &str = "scim-test-token-Zq8";

/// A fresh scim2-server (real, in memory) with bearer token [`SCIM_TOKEN`].
pub fn scim_server() -> Peer {
    let bin = scim_server_bin();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/v2");
    let mut peer = spawn(
        Command::new(&bin).args([
            "--hostname",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--bearer-token",
            SCIM_TOKEN,
        ]),
        "scim2-server",
        port,
        base.clone(),
    );
    let probe = format!("{base}/ServiceProviderConfig");
    wait_until(&mut peer, "scim2-server", Duration::from_secs(30), |_| {
        request(
            "GET",
            &probe,
            &[("Authorization", &format!("Bearer {SCIM_TOKEN}"))],
            None,
        )
        .is_ok_and(|r| r.status == 200)
    });
    peer
}

/// Prism mocking PagerDuty's REST API from `../shared/specs`.
pub fn pagerduty_mock() -> Peer {
    let spec = specs_dir().join("pagerduty-rest-openapiv3.json");
    assert!(
        spec.exists(),
        "{} is missing: the tests need ../shared/specs beside the repository",
        spec.display()
    );
    let bin = prism_bin();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut peer = spawn(
        Command::new(&bin)
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(&spec),
        "prism",
        port,
        base,
    );
    wait_until(&mut peer, "prism", Duration::from_secs(60), |p| {
        p.log().contains("Prism is listening")
    });
    peer
}

/// A response read whole.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A minimal HTTP/1.0 client (the peers close after each answer).
pub fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Response> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other("only http:// URLs"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut s = TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} /{path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() || method != "GET" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad response: {head}")))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Response {
        status,
        headers,
        body: body.to_string(),
    })
}

/// Talks to a scim2-server as an admin would, to seed and inspect it.
pub struct ScimAdmin {
    pub base: String,
}

impl ScimAdmin {
    fn call(&self, method: &str, path: &str, body: Option<serde_json::Value>) -> Response {
        let url = format!("{}/{}", self.base, path);
        let body = body.map(|b| b.to_string());
        let auth = format!("Bearer {SCIM_TOKEN}");
        let r = request(
            method,
            &url,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/scim+json"),
            ],
            body.as_deref(),
        )
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        assert!(
            r.status < 300,
            "{method} {url}: HTTP {}: {}",
            r.status,
            r.body
        );
        r
    }

    /// Creates a user; returns its SCIM id.
    pub fn user(
        &self,
        user_name: &str,
        display: &str,
        email: &str,
        manager: Option<&str>,
    ) -> String {
        let mut body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "displayName": display,
            "emails": [{"value": email, "primary": true}],
            "active": true
        });
        if let Some(m) = manager {
            if let Some(a) = body["schemas"].as_array_mut() {
                a.push("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".into());
            }
            body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
                serde_json::json!({"manager": {"value": m}});
        }
        self.call("POST", "Users", Some(body)).json()["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Creates any resource (`Users`, `Groups`) from its JSON; returns its id.
    pub fn create(&self, resource: &str, body: serde_json::Value) -> String {
        self.call("POST", resource, Some(body)).json()["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Creates a group with these member ids; returns its SCIM id.
    pub fn group(&self, name: &str, members: &[&str]) -> String {
        let members: Vec<serde_json::Value> = members
            .iter()
            .map(|m| serde_json::json!({"value": m}))
            .collect();
        self.call(
            "POST",
            "Groups",
            Some(serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": name,
                "members": members
            })),
        )
        .json()["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn members(&self, group_id: &str) -> Vec<String> {
        let mut m: Vec<String> =
            self.call("GET", &format!("Groups/{group_id}"), None).json()["members"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x["value"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
        m.sort();
        m
    }

    pub fn delete_user(&self, id: &str) {
        self.call("DELETE", &format!("Users/{id}"), None);
    }
}

/// A request the fault server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub at: Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the fault server answers.
pub enum Reply {
    Json(u16, Vec<(String, String)>, String),
    /// Sends `Content-Length: declared` and then only `body`, and closes.
    Truncated(usize, String),
    /// Waits this long, then answers.
    Slow(Duration, Box<Reply>),
    /// A chunked 200 answer that starts with the first string and then
    /// repeats the second until the client hangs up.
    Endless(String, String),
}

impl Reply {
    pub fn ok(body: impl Into<String>) -> Reply {
        Reply::Json(200, Vec::new(), body.into())
    }

    pub fn status(code: u16, body: impl Into<String>) -> Reply {
        Reply::Json(code, Vec::new(), body.into())
    }

    pub fn with_header(self, k: &str, v: &str) -> Reply {
        match self {
            Reply::Json(c, mut h, b) => {
                h.push((k.to_string(), v.to_string()));
                Reply::Json(c, h, b)
            }
            other => other,
        }
    }
}

type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

/// A scripted HTTP server on 127.0.0.1: `handler(request, n)` answers the
/// n-th request (from 0). Stops when dropped.
pub struct FaultServer {
    pub base: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl FaultServer {
    pub fn start(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let count = Arc::new(AtomicUsize::new(0));
        {
            let seen = seen.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let seen = seen.clone();
                    let handler = handler.clone();
                    let count = count.clone();
                    std::thread::spawn(move || serve(conn, &seen, &*handler, &count));
                }
            });
        }
        FaultServer {
            base: format!("http://127.0.0.1:{port}"),
            seen,
            stop,
            port,
        }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(conn: TcpStream, seen: &Mutex<Vec<Seen>>, handler: &Handler, count: &AtomicUsize) {
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut conn = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let req = Seen {
            method,
            path,
            headers,
            at: Instant::now(),
        };
        if let Ok(mut s) = seen.lock() {
            s.push(req.clone());
        }
        let n = count.fetch_add(1, Ordering::SeqCst);
        let mut reply = handler(&req, n);
        while let Reply::Slow(d, inner) = reply {
            std::thread::sleep(d);
            reply = *inner;
        }
        match reply {
            Reply::Json(code, extra, body) => {
                let mut head = format!(
                    "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                    body.len()
                );
                for (k, v) in extra {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                if conn.write_all(head.as_bytes()).is_err()
                    || conn.write_all(body.as_bytes()).is_err()
                {
                    return;
                }
            }
            Reply::Truncated(declared, body) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
                );
                let _ = conn.write_all(head.as_bytes());
                let _ = conn.write_all(body.as_bytes());
                let _ = conn.flush();
                return;
            }
            Reply::Endless(start, again) => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
                let chunk = |t: &str| format!("{:x}\r\n{t}\r\n", t.len());
                let again = chunk(&again.repeat(64));
                if conn.write_all(head.as_bytes()).is_err()
                    || conn.write_all(chunk(&start).as_bytes()).is_err()
                {
                    return;
                }
                while conn.write_all(again.as_bytes()).is_ok() {}
                return;
            }
            Reply::Slow(..) => unreachable!(),
        }
    }
}

/// Writes `text` as a steward.toml in `dir`; returns its path.
pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("steward.toml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}
