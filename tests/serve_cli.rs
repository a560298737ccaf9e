//! The CLI over SSH: the same commands as locally, as the key's person,
//! with output, errors and exit status as locally.

mod serve_support;

use serve_support::*;

#[test]
fn suggest_json_over_ssh_is_the_local_one_for_the_same_person() {
    let s = Setup::new();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let omar = s.key("omar");
    s.register("omar", &omar);
    let server = s.start();
    for (person, key) in [("priya", &priya), ("omar", &omar)] {
        let remote = server.ssh(key, &["suggest", "--json"]);
        assert!(remote.status.success(), "{}", text(&remote.stderr));
        let local = s.local(&["suggest", "--json", "--as", person]);
        assert!(local.status.success());
        assert_eq!(text(&remote.stdout), text(&local.stdout), "{person}");
        let v: Vec<serde_json::Value> = serde_json::from_slice(&remote.stdout).unwrap();
        assert!(!v.is_empty(), "{person} has suggestions");
    }
}

#[test]
fn exit_status_and_stderr_come_back_as_locally_and_separately() {
    let s = Setup::new();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let server = s.start();
    // An error: status 1, the message on stderr only.
    let remote = server.ssh(&priya, &["why", "nobody", "pay-db:read"]);
    let local = s.local(&["why", "nobody", "pay-db:read"]);
    assert_eq!(remote.status.code(), Some(1));
    assert_eq!(remote.status.code(), local.status.code());
    assert!(remote.stdout.is_empty());
    assert_eq!(text(&remote.stderr), text(&local.stderr));
    // A usage error: clap's status 2.
    let remote = server.ssh(&priya, &["suggest", "--bogus"]);
    assert_eq!(remote.status.code(), Some(2));
    assert!(text(&remote.stderr).contains("--bogus"));
    // Output on stdout, a note on stderr, status 0.
    let remote = server.ssh(&priya, &["why", "ana", "pay-db:read"]);
    assert_eq!(remote.status.code(), Some(0), "{}", text(&remote.stderr));
    let local = s.local(&["why", "ana", "pay-db:read"]);
    assert_eq!(text(&remote.stdout), text(&local.stdout));
    // Help goes to stdout.
    let remote = server.ssh(&priya, &["suggest --help"]);
    assert_eq!(remote.status.code(), Some(0));
    assert!(text(&remote.stdout).contains("Usage:"));
}

#[test]
fn words_are_split_as_a_shell_splits_them_and_no_shell_runs() {
    let s = Setup::new();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let server = s.start();
    // One argument with spaces, quoted as a shell would quote it.
    let out = server.ssh(
        &priya,
        &["decide dismiss bo pay-db:read --reason 'covering the Q2 audit'"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let audit = server.ssh(&priya, &["audit", "list"]);
    assert!(
        text(&audit.stdout).contains("covering the Q2 audit"),
        "{}",
        text(&audit.stdout)
    );
    // Shell syntax is not run: `;` and `$(...)` are just text.
    let marker = s.path().join("touched");
    let out = server.ssh(
        &priya,
        &[&format!(
            "status; touch {} $(touch {})",
            marker.display(),
            marker.display()
        )],
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(!marker.exists());
    // An unclosed quote is refused in one line.
    let out = server.ssh(&priya, &["why 'ana"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unclosed quote"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn admins_only_commands_and_local_only_commands_are_refused() {
    let s = Setup::new();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let cto = s.key("cto");
    s.register("cto", &cto);
    let server = s.start();
    let out = server.ssh(&priya, &["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("for the server's admins; priya is not one"));
    let out = server.ssh(&cto, &["config", "check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = server.ssh(&priya, &["serve"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("serve is not available over SSH"));
}

#[test]
fn audit_entries_made_over_ssh_record_the_key_or_the_certificate() {
    let s = Setup::new();
    let ca = s.key("ca");
    s.write_config(&[&ca]);
    let priya = s.key("priya");
    s.register("priya", &priya);
    let omar = s.key("omar");
    s.certify(&ca, &omar, "omar", "-5m:+1h", 77);
    let server = s.start();
    let out = server.ssh(&priya, &["decide", "accept", "bo", "pay-db:read"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = server.ssh_cert(&omar, &["decide", "accept", "cto", "ops:console"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = s.local(&["audit", "export", "--jsonl"]);
    let entries: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|e: &serde_json::Value| e["action"] == "decide")
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0]["actor"], "priya");
    assert_eq!(entries[0]["via"], "key");
    assert_eq!(entries[0]["fingerprint"], fingerprint(&priya).as_str());
    assert_eq!(entries[1]["actor"], "omar");
    assert_eq!(entries[1]["via"], "certificate");
    assert_eq!(entries[1]["serial"], 77);
    assert_eq!(entries[1]["ca"], fingerprint(&ca).as_str());
}

/// apply's warning that a source could not be synced again after it goes
/// to the client's standard error, not the server's.
#[test]
fn a_failed_re_sync_after_apply_is_told_to_the_client() {
    let s = Setup::new();
    std::fs::write(
        s.config(),
        "[[source]]\nkind = \"files\"\ndir = \"org\"\n\n[serve]\nkeys = \"people.keys\"\nadmins = [\"cto\"]\n",
    )
    .unwrap();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let server = Server::start(&s, &[]);
    let out = server.ssh(&priya, &["decide", "accept", "ana", "pay-db:read"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The org directory breaks after the decision: apply writes grants.csv,
    // and the re-sync that follows cannot read teams.toml.
    std::fs::write(s.org().join("teams.toml"), "[[team]\nid = ").unwrap();
    let out = server.ssh(&priya, &["apply"]);
    let err = text(&out.stderr);
    assert!(
        text(&out.stdout).contains("1 applied, 0 failed"),
        "{}{err}",
        text(&out.stdout)
    );
    assert!(
        err.contains("warning: re-sync of files after apply failed: "),
        "{err}"
    );
    assert!(err.contains("teams.toml"), "{err}");
    let grants = std::fs::read_to_string(s.org().join("grants.csv")).unwrap();
    assert!(grants.contains("ana,pay-db:read,priya"), "{grants}");
}
