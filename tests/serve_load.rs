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
    assert!(eventually(|| server
        .ssh(&priya, &["status"])
        .status
        .success()));
}
