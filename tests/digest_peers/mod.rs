//! Peers for the digest tests: a real SMTP server (aiosmtpd from PyPI,
//! installed on first use into `target/peers/aiosmtpd-venv` under a file
//! lock) that writes each message it receives to a directory (plain, with
//! STARTTLS, or implicit TLS, optionally requiring a login), and a local
//! webhook receiver. A peer that cannot be installed or started FAILS the
//! test; nothing skips. Ports and the peers directory come from the shared
//! `tests/peers` helpers.

#![allow(dead_code)]

#[path = "../peers/mod.rs"]
mod peers;

pub use peers::{free_port, peers_dir};

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const AIOSMTPD: &str = "aiosmtpd==1.4.6";

/// `target/peers/aiosmtpd-venv/bin/python`, with aiosmtpd installed.
pub fn aiosmtpd_python() -> PathBuf {
    peers::python_venv_peer("aiosmtpd", AIOSMTPD).join("bin/python")
}

/// A running aiosmtpd on 127.0.0.1 that writes what it receives to `dir`.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
    log: PathBuf,
}

impl SmtpSink {
    /// Starts on `port` (a fresh one when `None`), writing messages to `dir`.
    pub fn start(port: Option<u16>, dir: &Path) -> SmtpSink {
        SmtpSink::start_with(port, dir, &[])
    }

    /// Requiring STARTTLS with this certificate and key (PEM).
    pub fn start_tls(dir: &Path, cert: &Path, key: &Path) -> SmtpSink {
        let args = [
            "--tlscert".to_string(),
            cert.display().to_string(),
            "--tlskey".to_string(),
            key.display().to_string(),
        ];
        SmtpSink::start_with(None, dir, &args)
    }

    fn start_with(port: Option<u16>, dir: &Path, options: &[String]) -> SmtpSink {
        let python = aiosmtpd_python();
        let port = port.unwrap_or_else(free_port);
        std::fs::create_dir_all(dir).unwrap();
        let log = peers_dir().join(format!("aiosmtpd-{port}.log"));
        let out = File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let handlers = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/digest_peers"));
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n"])
            .args(options)
            .arg("-l")
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "mail_sink.Sink"])
            .arg(dir)
            .env("PYTHONPATH", &handlers)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start aiosmtpd: {e}"));
        let mut sink = SmtpSink {
            child,
            port,
            dir: dir.to_path_buf(),
            log,
        };
        let start = Instant::now();
        loop {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let mut banner = [0u8; 3];
                if s.read_exact(&mut banner).is_ok() && &banner == b"220" {
                    let _ = s.write_all(b"QUIT\r\n");
                    break;
                }
            }
            if let Ok(Some(status)) = sink.child.try_wait() {
                panic!(
                    "aiosmtpd exited ({status}) before answering:\n{}",
                    sink.log()
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "aiosmtpd did not answer on port {port} within 30s:\n{}",
                sink.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        sink
    }

    /// Requiring STARTTLS (this certificate and key) and then a login as
    /// `user` with `password` (anything else is refused with 535).
    pub fn start_starttls_login(
        dir: &Path,
        cert: &Path,
        key: &Path,
        user: &str,
        password: &str,
    ) -> SmtpSink {
        SmtpSink::start_server(dir, cert, key, "starttls", Some((user, password)))
    }

    /// Implicit TLS (port 465 style: TLS from the first byte), with an
    /// optional required login.
    pub fn start_implicit_tls(
        dir: &Path,
        cert: &Path,
        key: &Path,
        login: Option<(&str, &str)>,
    ) -> SmtpSink {
        SmtpSink::start_server(dir, cert, key, "tls", login)
    }

    /// What the aiosmtpd command line cannot do: mail_sink.py's own main
    /// starts a Controller, and says when it answers.
    fn start_server(
        dir: &Path,
        cert: &Path,
        key: &Path,
        mode: &str,
        login: Option<(&str, &str)>,
    ) -> SmtpSink {
        const READY: &str = "mail_sink: ready";
        let python = aiosmtpd_python();
        let port = free_port();
        std::fs::create_dir_all(dir).unwrap();
        let log = peers_dir().join(format!("aiosmtpd-{port}.log"));
        let out = File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/digest_peers/mail_sink.py"
        );
        let mut cmd = Command::new(&python);
        cmd.arg(script)
            .args(["--port", &port.to_string()])
            .arg("--dir")
            .arg(dir)
            .arg("--tlscert")
            .arg(cert)
            .arg("--tlskey")
            .arg(key)
            .args(["--mode", mode]);
        if let Some((user, password)) = login {
            // The password goes through the environment, not the command line.
            cmd.args(["--user", user, "--password-env", "MAIL_SINK_PASSWORD"])
                .env("MAIL_SINK_PASSWORD", password);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {script}: {e}"));
        let mut sink = SmtpSink {
            child,
            port,
            dir: dir.to_path_buf(),
            log,
        };
        let start = Instant::now();
        while !sink.log().lines().any(|l| l == READY) {
            if let Ok(Some(status)) = sink.child.try_wait() {
                panic!(
                    "{script} exited ({status}) before answering:\n{}",
                    sink.log()
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{script} did not answer on port {port} within 30s:\n{}",
                sink.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        sink
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<String> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .collect()
    }
}

/// A throwaway CA and a certificate it signed for 127.0.0.1, made with the
/// `openssl` command: (ca.pem, cert.pem, key.pem) in `dir`.
pub fn test_certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let p = |n: &str| dir.join(n);
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run openssl (is it installed?): {e}"));
        assert!(
            out.status.success(),
            "openssl {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=steward test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "key.pem",
        "-out",
        "cert.csr",
    ]);
    std::fs::write(
        p("ext.cnf"),
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "cert.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        "cert.pem",
        "-extfile",
        "ext.cnf",
    ]);
    (p("ca.pem"), p("cert.pem"), p("key.pem"))
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A local webhook receiver: answers every POST with `status` and keeps the bodies.
pub struct Hook {
    pub url: String,
    pub bodies: Arc<Mutex<Vec<String>>>,
    pub status: Arc<AtomicU16>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl Hook {
    pub fn start() -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (bodies, status, stop) = (bodies.clone(), status.clone(), stop.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut line = String::new();
                    let _ = reader.read_line(&mut line);
                    let mut length = 0usize;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 {
                            break;
                        }
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':')
                            && k.eq_ignore_ascii_case("content-length")
                        {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0u8; length];
                    let _ = reader.read_exact(&mut body);
                    bodies
                        .lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&body).to_string());
                    let code = status.load(Ordering::SeqCst);
                    let mut conn = conn;
                    let _ = conn.write_all(
                        format!(
                            "HTTP/1.1 {code} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                        )
                        .as_bytes(),
                    );
                }
            });
        }
        Hook {
            url: format!("http://127.0.0.1:{port}/hooks/T000/B000/secret-part"),
            bodies,
            status,
            stop,
            port,
        }
    }

    /// The `text` of every payload received, oldest first.
    pub fn texts(&self) -> Vec<String> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .map(|b| {
                let v: serde_json::Value = serde_json::from_str(b)
                    .unwrap_or_else(|e| panic!("webhook body is not JSON ({e}): {b}"));
                v["text"]
                    .as_str()
                    .unwrap_or_else(|| panic!("webhook body has no text: {b}"))
                    .to_string()
            })
            .collect()
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}
