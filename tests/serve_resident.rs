//! The organization the server keeps evaluated: a command reads its
//! scope from it, and after a sync changing a few grants, a rule written,
//! a delegation or a decision, its answer is exactly a fresh evaluation's.

mod serve_support;

use serve_support::*;

/// The server's log, once it says `what`.
fn logged(s: &Setup, what: &str) -> bool {
    eventually(|| {
        std::fs::read_to_string(s.path().join("logs").join("steward.log"))
            .is_ok_and(|t| t.contains(what))
    })
}

/// `suggest --json` over SSH as `person` is the local one for them, read
/// from the resident evaluation.
fn same_as_fresh(s: &Setup, server: &Server, key: &std::path::Path, person: &str) {
    same_as_fresh_with(s, server, key, person, &[]);
}

/// [`same_as_fresh`] for `suggest --json` with `args`.
fn same_as_fresh_with(
    s: &Setup,
    server: &Server,
    key: &std::path::Path,
    person: &str,
    args: &[&str],
) {
    let from = format!("suggestions for {person}: from the resident evaluation");
    let before = log_count(s, &from);
    let remote = server.ssh(key, &[&["suggest", "--json"], args].concat());
    assert!(remote.status.success(), "{}", text(&remote.stderr));
    let local = s.local(&[&["suggest", "--json", "--as", person], args].concat());
    assert!(local.status.success(), "{}", text(&local.stderr));
    assert_eq!(text(&remote.stdout), text(&local.stdout), "{person}");
    // The server's log is written behind: wait for the line.
    assert!(
        eventually(|| log_count(s, &from) > before),
        "not read from memory"
    );
}

/// Waits until the resident evaluation has caught up with the store:
/// an answer read from it.
fn caught_up(s: &Setup, server: &Server, key: &std::path::Path, person: &str) {
    let from = format!("suggestions for {person}: from the resident evaluation");
    assert!(
        eventually(|| {
            let before = log_count(s, &from);
            server.ssh(key, &["status"]);
            let _ = server.ssh(key, &["suggest", "--json"]);
            log_count(s, &from) > before
        }),
        "the resident evaluation never caught up"
    );
}

#[test]
fn after_a_sync_a_rule_a_delegation_and_a_decision_it_answers_as_fresh() {
    let s = Setup::new();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let omar = s.key("omar");
    s.register("omar", &omar);
    let server = s.start();
    assert!(logged(&s, "resident evaluation: the whole organization"));
    caught_up(&s, &server, &priya, "priya");
    same_as_fresh(&s, &server, &priya, "priya");
    same_as_fresh(&s, &server, &omar, "omar");

    // A sync changing a few grants: ana gets pay-db:read, bo an old
    // manual grant of pay-db:admin from omar, lee's ops grant goes.
    let grants = "person,entitlement,granted_by,granted_at,basis,expires
ana,pay-db:read,priya,2026-02-01T00:00:00Z,rule:pay-read,
bo,pay-db:admin,omar,2025-01-01T00:00:00Z,manual,
";
    std::fs::write(s.org().join("grants.csv"), grants).unwrap();
    // At the same fixed time as the first sync: the sync itself is the news.
    let out = s.local(&["sync", "--org", s.org().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(logged(&s, "entitlement(s) again"));
    // Read from the change log row by row: the rows deleted and inserted.
    assert!(logged(&s, "patched per grant row"));
    caught_up(&s, &server, &priya, "priya");
    same_as_fresh(&s, &server, &priya, "priya");
    same_as_fresh(&s, &server, &omar, "omar");
    let v: serde_json::Value =
        serde_json::from_slice(&server.ssh(&priya, &["suggest", "--json"]).stdout).unwrap();
    let pairs: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["person"].as_str().unwrap().to_string(),
                s["entitlement"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        !pairs.contains(&("ana".into(), "pay-db:read".into())),
        "{pairs:?}"
    );
    assert!(
        pairs.contains(&("bo".into(), "pay-db:admin".into())),
        "{pairs:?}"
    );

    // A rule written over SSH.
    let out = server.ssh(
        &omar,
        &[
            "rule",
            "add",
            "--id",
            "ops-payments",
            "--area",
            "ops",
            "--grant",
            "ops:console",
            "--team",
            "payments",
            "--why",
            "'Payments engineers use the ops console.'",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    caught_up(&s, &server, &omar, "omar");
    same_as_fresh(&s, &server, &omar, "omar");

    // A delegation: billing from priya to omar, in omar's scope at once.
    let out = server.ssh(&priya, &["delegate", "billing", "--to", "omar"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = server.ssh(&omar, &["suggest", "--json"]);
    assert!(
        text(&out.stdout).contains("billing:read"),
        "{}",
        text(&out.stdout)
    );
    caught_up(&s, &server, &omar, "omar");
    same_as_fresh(&s, &server, &omar, "omar");

    // A decision: held out of the queue at once, as locally.
    let out = server.ssh(&priya, &["decide", "accept", "bo", "pay-db:read"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = server.ssh(&priya, &["suggest", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !v.as_array()
            .unwrap()
            .iter()
            .any(|s| s["person"] == "bo" && s["entitlement"] == "pay-db:read"),
        "{v}"
    );
    caught_up(&s, &server, &priya, "priya");
    same_as_fresh(&s, &server, &priya, "priya");
}

/// Every other write of the organization reaches it (a rule edited and
/// removed, a delegation ended, the grant an apply writes), and what
/// writes only decisions does not make it read the organization again.
#[test]
fn edits_undelegations_and_applies_reach_it_and_decisions_leave_it_be() {
    let s = Setup::new();
    std::fs::write(
        s.config(),
        "[[source]]\nkind = \"files\"\ndir = \"org\"\n\n[serve]\nkeys = \"people.keys\"\nadmins = [\"cto\"]\n",
    )
    .unwrap();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let omar = s.key("omar");
    s.register("omar", &omar);
    let server = Server::start(&s, &[]);
    assert!(logged(&s, "resident evaluation: the whole organization"));
    caught_up(&s, &server, &priya, "priya");
    same_as_fresh(&s, &server, &priya, "priya");

    // A decision is no change to the organization: nothing read again,
    // and the next answer comes from memory at once.
    let again = "entitlement(s) again";
    let before = log_count(&s, again);
    let out = server.ssh(&priya, &["decide", "accept", "ana", "pay-db:read"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    same_as_fresh(&s, &server, &priya, "priya");
    // Longer than the store's watcher takes to wake the resident task.
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(log_count(&s, again), before, "read again after a decision");
    same_as_fresh(&s, &server, &priya, "priya");

    // The apply writes ana's grant into the cache itself: the sync that
    // follows it fails here (teams.toml broken), so that write alone
    // tells of it.
    let per_row = "patched per grant row";
    let rows_before = log_count(&s, per_row);
    let teams = std::fs::read_to_string(s.org().join("teams.toml")).unwrap();
    std::fs::write(s.org().join("teams.toml"), "[[team]\nid = ").unwrap();
    let out = server.ssh(&priya, &["apply"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("re-sync of files after apply failed"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(s.org().join("teams.toml"), teams).unwrap();
    assert!(
        text(&out.stdout).contains("1 applied"),
        "{}",
        text(&out.stdout)
    );
    caught_up(&s, &server, &priya, "priya");
    assert!(
        eventually(|| log_count(&s, per_row) > rows_before),
        "the apply's grant not patched by row"
    );
    // Every suggestion, decided or not: ana's grant is no longer one.
    same_as_fresh_with(&s, &server, &priya, "priya", &["--all"]);

    // A rule added, edited, removed: each changes priya's suggestions.
    let mut seen = vec![text(&server.ssh(&priya, &["suggest", "--json"]).stdout)];
    for (verb, team) in [("add", "payments"), ("edit", "eng"), ("remove", "")] {
        let mut args = vec!["rule", verb];
        if verb != "remove" {
            args.extend(["--team", team, "--why", "'Admins of the payments DB.'"]);
        }
        if verb == "add" {
            args.extend(["--area", "payments", "--grant", "pay-db:admin", "--id"]);
        }
        args.push("pay-admin");
        let out = server.ssh(&priya, &args);
        assert!(out.status.success(), "{verb}: {}", text(&out.stderr));
        caught_up(&s, &server, &priya, "priya");
        same_as_fresh(&s, &server, &priya, "priya");
        seen.push(text(&server.ssh(&priya, &["suggest", "--json"]).stdout));
    }
    assert!(
        seen[1].contains("pay-db:admin") && seen[1] != seen[2],
        "{seen:?}"
    );
    assert_eq!(seen[0], seen[3]);

    // A delegation made and ended: billing leaves omar's scope.
    let out = server.ssh(&priya, &["delegate", "billing", "--to", "omar"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    caught_up(&s, &server, &omar, "omar");
    same_as_fresh(&s, &server, &omar, "omar");
    let out = server.ssh(&priya, &["undelegate", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    caught_up(&s, &server, &omar, "omar");
    same_as_fresh(&s, &server, &omar, "omar");
    let out = server.ssh(&omar, &["suggest", "--json"]);
    assert!(
        !text(&out.stdout).contains("billing:read"),
        "{}",
        text(&out.stdout)
    );
}
