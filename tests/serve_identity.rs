//! Who you are over SSH is your key: a registered key or a certificate
//! from a trusted CA names a person on the roster; everything else gets
//! one line naming the key and how to get access, and nothing else.

mod serve_support;

use serve_support::*;

/// One line on stderr, nothing on stdout, exit status 1.
fn assert_refused(out: &std::process::Output, key: &std::path::Path, says: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.contains(&fingerprint(key)), "names the key: {err}");
    assert!(err.contains(says), "says {says:?}: {err}");
}

#[test]
fn unknown_keys_people_who_left_and_people_off_the_roster_are_refused_in_one_line() {
    let s = Setup::new();
    let stranger = s.key("stranger");
    let lee = s.key("lee");
    let zed = s.key("zed");
    s.register("lee", &lee);
    s.register("zed", &zed);
    let server = s.start();

    let out = server.ssh(&stranger, &["suggest", "--json"]);
    assert_refused(&out, &stranger, "is not registered");
    assert!(text(&out.stderr).contains("to get access"));
    assert!(text(&out.stderr).contains("an admin (cto)"));
    // The console too: the same line, and nothing drawn.
    let out = server.ssh(&stranger, &[]);
    assert_refused(&out, &stranger, "is not registered");

    let out = server.ssh(&lee, &["suggest"]);
    assert_refused(&out, &lee, "\"lee\", who has left the organization");
    let out = server.ssh(&zed, &["status"]);
    assert_refused(&out, &zed, "\"zed\", who is not on the roster");
}

#[test]
fn a_registered_key_is_its_person_whatever_the_ssh_user_name() {
    let s = Setup::new();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let server = s.start();
    // Logging in as "cto" changes nothing: `--as` is refused and names
    // who the key says you are.
    let out = server
        .ssh_cmd(&priya, "cto", &[])
        .args(["suggest", "--as", "cto"])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--as is not accepted over SSH: you are priya"),
        "{err}"
    );
    assert!(err.contains(&fingerprint(&priya)), "{err}");
    let out = server
        .ssh_cmd(&priya, "cto", &[])
        .arg("suggest --json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn the_keys_file_is_read_again_when_it_changes() {
    let s = Setup::new();
    let ana = s.key("ana");
    let server = s.start();
    assert_refused(&server.ssh(&ana, &["status"]), &ana, "is not registered");
    s.register("ana", &ana);
    let out = server.ssh(&ana, &["suggest", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn certificates_from_a_trusted_ca_for_a_person_now_are_accepted_and_others_refused() {
    let s = Setup::new();
    let ca = s.key("ca");
    let rogue = s.key("rogue-ca");
    s.write_config(&[&ca]);
    // Certificates are valid by the real clock (the SSH layer checks it
    // too); `serve --now` fixes only the organization's time.
    let ana = s.key("ana");
    s.certify(&ca, &ana, "ana", "-5m:+1h", 42);
    let bo = s.key("bo");
    s.certify(&ca, &bo, "someone-else,bo@acme.test", "-5m:+1h", 43);
    let expired = s.key("expired");
    s.certify(&ca, &expired, "ana", "20200101:20200201", 44);
    let stranger = s.key("stranger");
    s.certify(&ca, &stranger, "nobody,nobody@acme.test", "-5m:+1h", 45);
    let untrusted = s.key("untrusted");
    s.certify(&rogue, &untrusted, "ana", "-5m:+1h", 46);
    let lee = s.key("lee");
    s.certify(&ca, &lee, "lee", "-5m:+1h", 47);
    let server = s.start();

    for key in [&ana, &bo] {
        let out = server.ssh_cert(key, &["suggest", "--json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = server.ssh_cert(&bo, &["suggest", "--as", "ana"]);
    let err = text(&out.stderr);
    assert!(err.contains("you are bo (certificate"), "{err}");
    assert!(err.contains("serial 43"), "{err}");

    // An expired certificate never passes the SSH layer; the key behind
    // it, offered next, is not registered: refused, by fingerprint.
    let out = server.ssh_cert(&expired, &["status"]);
    assert_refused(&out, &expired, "certificate valid now");
    let out = server.ssh_cert(&stranger, &["status"]);
    assert_refused(&out, &stranger, "names no person on the roster");
    assert!(text(&out.stderr).contains("serial 45"));
    assert!(text(&out.stderr).contains("\"nobody\" is not on the roster"));
    let out = server.ssh_cert(&untrusted, &["status"]);
    assert_refused(&out, &untrusted, "is not signed by a CA steward trusts");
    let out = server.ssh_cert(&lee, &["status"]);
    assert_refused(&out, &lee, "\"lee\" has left");
}

#[test]
fn the_host_key_is_made_once_private_and_its_fingerprint_printed() {
    let s = Setup::new();
    let first = s.start();
    let key = s.data().join("ssh_host_ed25519_key");
    let said = first.banner.join("\n");
    let fp = fingerprint(&key);
    assert!(said.contains(&format!("host key {fp} (made now")), "{said}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    drop(first);
    let again = s.start();
    assert!(
        again
            .banner
            .join("\n")
            .contains(&format!("host key {fp} (kept"))
    );
}

#[test]
fn a_client_may_not_fix_the_clock_the_store_or_the_config() {
    let s = Setup::new();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let server = s.start();
    for (args, says) in [
        (
            vec!["suggest", "--now", "2026-12-10"],
            "--now is not accepted over SSH",
        ),
        (
            vec!["suggest", "--db", "/tmp/x.db"],
            "--db is not accepted over SSH",
        ),
        (
            vec!["status", "--config", "/tmp/x.toml"],
            "--config is not accepted over SSH",
        ),
        (
            vec!["status", "--data-dir", "/tmp"],
            "--data-dir is not accepted over SSH",
        ),
    ] {
        let out = server.ssh(&priya, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(says),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
    // Nor through the environment: ssh's SendEnv is declined.
    let out = server
        .ssh_cmd(&priya, "steward", &["-o", "SendEnv=STEWARD_NOW"])
        .env("STEWARD_NOW", "2026-12-10")
        .args(["suggest", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let local = s.local(&["suggest", "--json", "--as", "priya"]);
    assert_eq!(text(&out.stdout), text(&local.stdout));
}
