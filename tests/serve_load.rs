//! Under load and faults: many sessions deciding at once, clients killed
//! mid-session, the server killed with SIGKILL and started again. Nothing
//! committed is lost, nothing is recorded twice, and the audit log stays
//! intact.

mod serve_support;

use serve_support::*;
use std::collections::BTreeMap;
use std::process::Stdio;

const ENGINEERS: usize = 60;

fn engineer(i: usize) -> String {
    format!("p{i:03}")
}

/// The small organization with sixty more payments engineers: priya gets
/// a grant suggestion for each of them.
fn crowded() -> Setup {
    let mut people = PEOPLE.to_string();
    let mut members = vec!["\"priya\"".to_string(), "\"ana\"".into(), "\"bo\"".into()];
    for i in 0..ENGINEERS {
        let p = engineer(i);
        people.push_str(&format!("{p},Engineer {i},{p}@acme.test,priya,active\n"));
        members.push(format!("{p:?}"));
    }
    let teams = format!(
        "[[team]]\nid = \"eng\"\nname = \"Engineering\"\nlead = \"cto\"\nmembers = [\"cto\", \"omar\"]\n\n[[team]]\nid = \"payments\"\nname = \"Payments\"\nparent = \"eng\"\nlead = \"priya\"\nmembers = [{}]\n",
        members.join(", ")
    );
    let mut s = Setup::with_people(&people, &teams);
    s.serve_extra = "sessions_per_person = 64\n".into();
    s
}

/// Audit entries that record a decision, by (person, entitlement).
fn decisions_in_audit(s: &Setup) -> BTreeMap<(String, String), usize> {
    let out = s.local(&["audit", "export", "--jsonl"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut seen = BTreeMap::new();
    for line in text(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let action = v["action"].as_str().unwrap_or_default();
        if action != "decide" {
            continue;
        }
        let detail: serde_json::Value =
            serde_json::from_str(v["detail"].as_str().unwrap()).unwrap();
        let key = (
            detail["person"].as_str().unwrap().to_string(),
            detail["entitlement"].as_str().unwrap().to_string(),
        );
        *seen.entry(key).or_insert(0) += 1;
    }
    seen
}

fn audit_intact(s: &Setup) {
    let out = s.local(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Accepted decisions, as the local CLI sees them in the shared store.
fn accepted(s: &Setup) -> Vec<String> {
    let out = s.local(&["plan", "--json", "--as", "priya"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut people: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["entitlement"] == "pay-db:read")
        .map(|c| c["person"].as_str().unwrap().to_string())
        .collect();
    people.sort();
    people
}

#[test]
fn fifty_sessions_deciding_at_once_record_every_decision_once() {
    let s = crowded();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let omar = s.key("omar");
    s.register("omar", &omar);
    let server = s.start();
    // 50 decisions and, meanwhile, readers; all at once.
    let mut children = Vec::new();
    for i in 0..50 {
        let cmd = format!("decide accept {} pay-db:read", engineer(i));
        let child = server
            .ssh_cmd(&priya, "steward", &[])
            .arg(cmd)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        children.push((i, child));
    }
    let mut readers = Vec::new();
    for _ in 0..5 {
        readers.push(
            server
                .ssh_cmd(&omar, "steward", &[])
                .args(["suggest", "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    for (i, child) in children {
        let out = child.wait_with_output().unwrap();
        let err = text(&out.stderr);
        assert!(out.status.success(), "decision {i}: {err}");
        assert!(!err.to_lowercase().contains("locked"), "{err}");
    }
    for r in readers {
        let out = r.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let want: Vec<String> = (0..50).map(engineer).collect();
    assert_eq!(accepted(&s), want);
    let recorded = decisions_in_audit(&s);
    assert_eq!(recorded.len(), 50, "{recorded:?}");
    assert!(recorded.values().all(|n| *n == 1), "{recorded:?}");
    audit_intact(&s);
}

#[test]
fn a_client_killed_mid_session_loses_nothing_committed() {
    let s = crowded();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let server = s.start();
    // Start decisions and kill their clients at once, some before and
    // some after the server has committed.
    let mut children = Vec::new();
    for i in 0..20 {
        let child = server
            .ssh_cmd(&priya, "steward", &[])
            .arg(format!("decide accept {} pay-db:read", engineer(i)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        children.push(child);
    }
    for (i, mut c) in children.into_iter().enumerate() {
        std::thread::sleep(std::time::Duration::from_millis(10 * i as u64));
        let _ = c.kill();
        let _ = c.wait();
    }
    // Whatever was committed is there, once; the rest can be decided now.
    assert!(eventually(|| server
        .ssh(&priya, &["status"])
        .status
        .success()));
    let done = accepted(&s);
    for i in 0..20 {
        let p = engineer(i);
        if done.contains(&p) {
            continue;
        }
        let out = server.ssh(&priya, &["decide", "accept", &p, "pay-db:read"]);
        assert!(out.status.success(), "{p}: {}", text(&out.stderr));
    }
    assert_eq!(accepted(&s), (0..20).map(engineer).collect::<Vec<_>>());
    let recorded = decisions_in_audit(&s);
    assert_eq!(recorded.len(), 20);
    assert!(recorded.values().all(|n| *n == 1), "{recorded:?}");
    audit_intact(&s);
}

#[test]
fn the_server_killed_with_sigkill_and_restarted_keeps_everything_committed() {
    let s = crowded();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let mut server = s.start();
    let mut children = Vec::new();
    for i in 0..30 {
        let child = server
            .ssh_cmd(&priya, "steward", &[])
            .arg(format!("decide accept {} pay-db:read", engineer(i)))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        children.push((engineer(i), child));
    }
    std::thread::sleep(std::time::Duration::from_millis(400));
    server.kill9();
    let mut confirmed = Vec::new();
    for (p, c) in children {
        let out = c.wait_with_output().unwrap();
        if out.status.success() {
            confirmed.push(p);
        }
    }
    // Started again on the same data directory: same host key, and every
    // decision a client saw succeed is there.
    let again = Server::start(&s, &[]);
    assert!(
        again.banner.join("\n").contains("(kept"),
        "{:?}",
        again.banner
    );
    let done = accepted(&s);
    for p in &confirmed {
        assert!(done.contains(p), "{p} was confirmed and is lost");
    }
    let out = again.ssh(&priya, &["suggest", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let recorded = decisions_in_audit(&s);
    assert_eq!(recorded.len(), done.len());
    assert!(recorded.values().all(|n| *n == 1), "{recorded:?}");
    audit_intact(&s);
}

#[test]
fn malformed_traffic_and_oversized_requests_end_that_connection_only() {
    use std::io::{Read, Write};
    let s = Setup::new();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let server = s.start();
    // Garbage instead of SSH, and a valid banner followed by garbage
    // packets: each such connection is closed by the server.
    for junk in [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        [b"SSH-2.0-junk\r\n".to_vec(), vec![0xff; 64 * 1024]].concat(),
        [
            b"SSH-2.0-junk\r\n".to_vec(),
            vec![0x7f, 0xff, 0xff, 0xff, 7, 1, 2, 3],
        ]
        .concat(),
    ] {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        let _ = c.write_all(&junk);
        let mut buf = Vec::new();
        // The server's banner, then the end of the connection (a reset
        // when the junk it did not read was still queued): not a time-out.
        let ended = c.read_to_end(&mut buf);
        let closed = match &ended {
            Ok(_) => true,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        };
        assert!(closed, "the connection was not closed: {ended:?}");
        assert!(
            buf.is_empty() || text(&buf).starts_with("SSH-2.0-"),
            "{:?}",
            text(&buf)
        );
    }
    // An oversized command line: one line, that session only.
    let long = "a".repeat(20_000);
    let out = server.ssh(&priya, &["why", &long, "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("at most 16384 are accepted"),
        "{}",
        text(&out.stderr)
    );
    // The server goes on serving.
    let out = server.ssh(&priya, &["suggest", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
#[test]
fn a_person_over_the_session_limit_is_told_and_others_are_not_affected() {
    let mut s = Setup::new();
    s.serve_extra = "sessions_per_person = 1\n".into();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let omar = s.key("omar");
    s.register("omar", &omar);
    let server = s.start();
    // A console held open (a pty, no input) takes priya's one place.
    let drawn = s.path().join("held-console");
    let mut held = server
        .ssh_cmd(&priya, "steward", &["-tt"])
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(&drawn).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let open = eventually(|| std::fs::read_to_string(&drawn).is_ok_and(|t| t.contains(" quit")));
    let out = server.ssh(&priya, &["status"]);
    let omar_ok = server.ssh(&omar, &["status"]).status.success();
    let _ = held.kill();
    let _ = held.wait();
    assert!(
        open,
        "the console never drew: {:?}",
        std::fs::read_to_string(&drawn).map(|t| t.chars().rev().take(600).collect::<String>())
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("priya already has 1 sessions open (the limit)"),
        "{}",
        text(&out.stderr)
    );
    assert!(omar_ok);
    assert!(
        eventually(|| refused_in_log(&s, "priya") == 1),
        "the refusal is not in the log:\n{}",
        log_tail(&s)
    );
    assert!(eventually(|| server
        .ssh(&priya, &["status"])
        .status
        .success()));
}

/// Engineers in payments and ten ledger entitlements a rule grants them
/// all: `suggest --json` for priya is some megabytes, more than every
/// buffer between the server and a client that does not read.
fn ledger(engineers: usize) -> Setup {
    let mut people = PEOPLE.to_string();
    let mut members = vec!["\"priya\"".to_string(), "\"ana\"".into(), "\"bo\"".into()];
    for i in 0..engineers {
        let p = format!("e{i:04}");
        people.push_str(&format!("{p},Engineer {i},{p}@acme.test,priya,active\n"));
        members.push(format!("{p:?}"));
    }
    let teams = format!(
        "[[team]]\nid = \"eng\"\nname = \"Engineering\"\nlead = \"cto\"\nmembers = [\"cto\", \"omar\"]\n\n[[team]]\nid = \"payments\"\nname = \"Payments\"\nparent = \"eng\"\nlead = \"priya\"\nmembers = [{}]\n",
        members.join(", ")
    );
    let mut s = Setup::with_people(&people, &teams);
    let ents: Vec<String> = (0..10)
        .map(|i| format!("ledger-reconciliation-replica-{i:02}:read-only-access"))
        .collect();
    let mut areas = std::fs::read_to_string(s.org().join("areas.toml")).unwrap();
    areas.push_str("\n[[area]]\nid = \"ledger\"\nname = \"Ledger\"\nparent = \"payments\"\nowner = \"priya\"\n");
    for e in &ents {
        areas.push_str(&format!(
            "\n[[area.entitlement]]\nid = \"{e}\"\nname = \"Replica\"\n"
        ));
    }
    std::fs::write(s.org().join("areas.toml"), areas).unwrap();
    let mut rules = std::fs::read_to_string(s.org().join("rules.toml")).unwrap();
    rules.push_str(&format!(
        "\n[[rule]]\nid = \"payments-engineers-read-every-ledger-reconciliation-replica\"\narea = \"ledger\"\nauthor = \"priya\"\nwhy = \"Reconciliation.\"\ngrant = {ents:?}\nteam = \"payments\"\n"
    ));
    std::fs::write(s.org().join("rules.toml"), rules).unwrap();
    let out = s.local(&["sync", "--org", s.org().to_str().unwrap()]);
    assert!(out.status.success(), "sync: {}", text(&out.stderr));
    s.serve_extra = "sessions_per_person = 1\nstall_timeout = \"30m\"\n".into();
    s
}

/// A client that stops reading a large output stalls its own session and
/// no other: the server answers everyone else meanwhile, and once the
/// client reads again it gets all of it.
#[test]
fn a_client_that_stops_reading_stalls_only_its_own_session() {
    let s = ledger(2000);
    let priya = s.key("priya");
    s.register("priya", &priya);
    let omar = s.key("omar");
    s.register("omar", &omar);
    let server = s.start();
    // priya's output goes to a pipe nobody reads (yet).
    let mut stalled = server
        .ssh_cmd(&priya, "steward", &[])
        .args(["suggest", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Her answer has begun to arrive; then nobody reads it.
    let mut pipe = stalled.stdout.take().unwrap();
    let mut first = [0u8; 1];
    let begun = std::thread::spawn(move || {
        use std::io::Read;
        pipe.read_exact(&mut first).map(|()| (pipe, first))
    })
    .join()
    .unwrap();
    let (pipe, first) = begun.unwrap_or_else(|e| panic!("no answer began: {e}\n{}", log_tail(&s)));
    // Her session is open on the server (her one place is taken) ...
    assert!(eventually(|| {
        let out = server.ssh(&priya, &["status"]);
        text(&out.stderr).contains("priya already has 1 sessions open")
    }));
    // ... and meanwhile omar is answered, in full and right, and so is
    // his console.
    for _ in 0..3 {
        let out = server.ssh(&omar, &["suggest", "--json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let local = s.local(&["suggest", "--json", "--as", "omar"]);
        assert_eq!(text(&out.stdout), text(&local.stdout));
        assert!(text(&out.stdout).contains("ops:console"));
    }
    let console = Console::open(&server, &omar, "omar");
    console.wait_for("ops:console");
    drop(console);
    // priya's session is still there, waiting for her client.
    assert!(stalled.try_wait().unwrap().is_none());
    let out = server.ssh(&priya, &["status"]);
    assert!(
        text(&out.stderr).contains("priya already has 1 sessions open"),
        "{}",
        text(&out.stderr)
    );
    // Read now: everything arrives, byte for byte what she would get locally.
    let mut rest = Vec::new();
    {
        use std::io::Read;
        let mut pipe = pipe;
        pipe.read_to_end(&mut rest).unwrap();
    }
    let mut out = stalled.wait_with_output().unwrap();
    out.stdout = [first.to_vec(), rest].concat();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let local = s.local(&["suggest", "--json", "--as", "priya"]);
    assert!(
        out.stdout.len() > 6_000_000,
        "only {} bytes: not more than the buffers",
        out.stdout.len()
    );
    assert_eq!(out.stdout, local.stdout);
    assert!(eventually(|| server
        .ssh(&priya, &["status"])
        .status
        .success()));
}

/// A command whose output nobody reads yet (more than every buffer on the
/// way), started at the same moment as another person's session and one
/// more of her own, fifty times: it runs, and all of it arrives when its
/// reader comes late. Her limit is one session: when her other session
/// takes the place first, one of the two is refused with its line, never
/// both, and the server's log says so.
#[test]
fn a_command_nobody_reads_yet_starts_beside_sessions_opened_with_it() {
    let s = ledger(1000);
    let priya = s.key("priya");
    s.register("priya", &priya);
    let omar = s.key("omar");
    s.register("omar", &omar);
    let server = s.start();
    let want = s.local(&["suggest", "--json", "--as", "priya"]).stdout;
    assert!(want.len() > 3_000_000, "only {} bytes", want.len());
    let omar_wants = text(&s.local(&["suggest", "--json", "--as", "omar"]).stdout);
    let full = "priya already has 1 sessions open (the limit)";
    let mut refused = 0;
    for round in 0..50 {
        let spawn = |key: &std::path::Path, args: &[&str]| {
            server
                .ssh_cmd(key, "steward", &[])
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let unread = spawn(&priya, &["suggest", "--json"]);
        let other = spawn(&omar, &["suggest", "--json"]);
        let hers = spawn(&priya, &["status"]);
        let other = other.wait_with_output().unwrap();
        assert!(
            other.status.success(),
            "round {round}: {}",
            text(&other.stderr)
        );
        assert_eq!(text(&other.stdout), omar_wants, "round {round}");
        let hers = hers.wait_with_output().unwrap();
        // Only now is her first session read, all of it.
        let late = read_late(unread).unwrap_or_else(|| {
            panic!(
                "round {round}: priya's first session neither ran nor was refused\n{}",
                log_tail(&s)
            )
        });
        let outcomes = [(&late, "suggest"), (&hers, "status")];
        for (out, what) in outcomes {
            if out.status.success() {
                continue;
            }
            assert!(
                text(&out.stderr).contains(full),
                "round {round}: {what}: {}",
                text(&out.stderr)
            );
            refused += 1;
        }
        assert!(
            late.status.success() || hers.status.success(),
            "round {round}: both refused"
        );
        if late.status.success() {
            assert!(
                late.stdout == want,
                "round {round}: {} bytes",
                late.stdout.len()
            );
        }
        // The log is written by its own thread: give it a moment.
        assert!(
            eventually(|| refused_in_log(&s, "priya") == refused),
            "round {round}: {refused} refused, {} in the log",
            refused_in_log(&s, "priya")
        );
    }
}

/// A child's output read only now, to its end; `None` when it has not
/// ended within two minutes (it is then killed).
fn read_late(mut child: std::process::Child) -> Option<std::process::Output> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (mut stdout, mut stderr) = (child.stdout.take()?, child.stderr.take()?);
    std::thread::spawn(move || {
        use std::io::Read;
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let read = stdout
            .read_to_end(&mut out)
            .and_then(|_| stderr.read_to_end(&mut err));
        let _ = tx.send(read.map(|_| (out, err)));
    });
    match rx.recv_timeout(std::time::Duration::from_secs(120)) {
        Ok(Ok((stdout, stderr))) => {
            let status = child.wait().ok()?;
            Some(std::process::Output {
                status,
                stdout,
                stderr,
            })
        }
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    }
}

/// Sessions of `person` the server's log says it refused at the limit.
fn refused_in_log(s: &Setup, person: &str) -> usize {
    let log =
        std::fs::read_to_string(s.path().join("logs").join("steward.log")).unwrap_or_default();
    let line = format!("{person}: a session refused:");
    log.lines().filter(|l| l.contains(&line)).count()
}

/// A console whose client reads nothing while its keys keep coming (each a
/// new frame) holds its own session only: everyone else is answered.
#[test]
fn a_console_that_is_not_read_holds_up_no_one_else() {
    use std::io::Write;
    let s = ledger(200);
    let priya = s.key("priya");
    s.register("priya", &priya);
    let omar = s.key("omar");
    s.register("omar", &omar);
    let server = s.start();
    let mut unread = server
        .ssh_cmd(&omar, "steward", &["-tt"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut keys = unread.stdin.take().unwrap();
    // Read until the console has drawn, then never again.
    let mut screen = unread.stdout.take().unwrap();
    let (drawn, seen) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&got).contains(" quit") {
            match screen.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        let _ = drawn.send(());
        screen
    });
    assert!(
        seen.recv_timeout(std::time::Duration::from_secs(60))
            .is_ok(),
        "omar's console never drew:\n{}",
        log_tail(&s)
    );
    let screen = reader.join().unwrap();
    // The help opened and closed, again and again: frames nobody reads.
    let typist = std::thread::spawn(move || {
        for _ in 0..1500 {
            if keys.write_all(b"?").and_then(|()| keys.flush()).is_err() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        keys
    });
    let held = eventually(|| {
        let out = server.ssh(&omar, &["status"]);
        text(&out.stderr).contains("omar already has 1 sessions open")
    });
    assert!(held, "omar's console never opened:\n{}", log_tail(&s));
    for _ in 0..3 {
        let out = server.ssh(&priya, &["suggest", "--json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let local = s.local(&["suggest", "--json", "--as", "priya"]);
        assert_eq!(out.stdout, local.stdout);
    }
    let console = Console::open(&server, &priya, "priya");
    console.wait_until("priya's queue", |t| {
        t.contains("scope: payments") && t.contains("Queue 2438")
    });
    drop(console);
    let keys = typist.join().unwrap();
    assert!(unread.try_wait().unwrap().is_none(), "omar's console ended");
    drop((keys, screen));
    let _ = unread.kill();
    let _ = unread.wait();
    // Its place is free again once the client is gone.
    let freed = eventually(|| server.ssh(&omar, &["status"]).status.success());
    assert!(freed, "omar's place was never freed:\n{}", log_tail(&s));
}

/// The server's log (its first lines of note), less what every
/// connection and status check writes.
fn log_tail(s: &Setup) -> String {
    let log =
        std::fs::read_to_string(s.path().join("logs").join("steward.log")).unwrap_or_default();
    let noise = ["russh", "rustls", ": status", "sessions open", "logged in"];
    log.lines()
        .filter(|l| !noise.iter().any(|w| l.contains(w)))
        .take(40)
        .collect::<Vec<_>>()
        .join("\n")
}
