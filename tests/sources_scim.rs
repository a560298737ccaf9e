//! SCIM against a real scim2-server on 127.0.0.1: sync (pagination, teams,
//! managers, dangling members), then decide and apply a grant and a revoke
//! through the CLI, then a fresh sync confirms.

mod peers;
mod support;

use peers::{SCIM_TOKEN, ScimAdmin, scim_server, write_config};
use std::path::Path;
use support::Run;

const NOW: &str = "2026-11-24T12:00:00Z";

fn steward(dir: &Path, args: &[&str]) -> Run {
    support::run(
        support::steward_in(dir, NOW)
            .args(args)
            .env("TEST_SCIM_TOKEN", SCIM_TOKEN),
    )
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let r = steward(dir, args);
    assert_eq!(
        r.code, 0,
        "steward {args:?} failed:\n{}\n{}",
        r.stdout, r.stderr
    );
    r.stdout
}

fn write_org(dir: &Path) {
    let org = dir.join("org");
    std::fs::create_dir_all(&org).unwrap();
    std::fs::write(
        org.join("areas.toml"),
        r#"
[[area]]
id = "payments"
name = "Payments"
owner = "priya"
tags = ["pci"]

[[area.entitlement]]
id = "payments-db:read"
name = "read the payments database"
upstream = "okta:payments-db-read"
"#,
    )
    .unwrap();
    std::fs::write(
        org.join("rules.toml"),
        r#"
[[rule]]
id = "pay-read"
area = "payments"
author = "priya"
why = "payments engineers who did PCI training read the payments db"
grant = ["payments-db:read"]
team = "payments"
trained = ["pci"]
"#,
    )
    .unwrap();
    std::fs::write(
        org.join("trainings.csv"),
        "person,course,completed,expires\nana,pci,2026-01-10T00:00:00Z,\ncy,pci,2026-01-10T00:00:00Z,\n",
    )
    .unwrap();
}

fn config(dir: &Path, base: &str) {
    write_config(
        dir,
        &format!(
            r#"me = "priya"

[[source]]
kind = "files"
dir = "org"
provides = ["areas", "entitlements", "rules", "trainings"]

[[source]]
kind = "scim"
name = "okta"
url = "{base}"
token_env = "TEST_SCIM_TOKEN"
team_prefix = "team-"
page_size = 2
backoff_ms = 50
"#
        ),
    );
}

#[test]
fn scim_sync_then_grant_and_revoke_through_the_cli_then_a_fresh_sync_confirms() {
    let server = scim_server();
    let admin = ScimAdmin {
        base: server.base.clone(),
    };
    let priya = admin.user("priya", "Priya Raman", "Priya@Acme.test", None);
    let ana = admin.user("ana", "Ana Lima", "ana@acme.test", Some(&priya));
    let bo = admin.user("bo", "Bo Chen", "bo@acme.test", Some(&priya));
    let cy = admin.user("cy", "Cy Diaz", "cy@acme.test", Some(&priya));
    let gone = admin.user("gone", "Gone Person", "gone@acme.test", None);
    admin.group("team-payments", &[&ana, &bo, &cy]);
    let db = admin.group("payments-db-read", &[&bo, &gone]);
    admin.delete_user(&gone); // leaves a dangling member id in the group
    admin.group("unrelated", &[&priya]);

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_org(dir);
    config(dir, &server.base);

    let check = ok(dir, &["config", "check"]);
    assert!(check.contains("okta (scim)"), "{check}");

    let out = steward(dir, &["sync"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // 4 users in pages of 2, 3 groups in pages of 2.
    assert!(
        out.stdout
            .contains("okta: synced 4 people, 1 teams, 1 grants"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("match no user"), "{}", out.stderr);
    assert!(!out.stderr.contains(SCIM_TOKEN) && !out.stdout.contains(SCIM_TOKEN));

    let list: serde_json::Value =
        serde_json::from_str(&ok(dir, &["suggest", "--json", "--as", "priya"])).unwrap();
    let kinds: Vec<(String, String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_string(),
                s["person"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("grant".into(), "ana".into(), "qualifies".into()),
            ("review".into(), "bo".into(), "existing_membership".into()),
            ("grant".into(), "cy".into(), "qualifies".into()),
        ],
        "{list:#}"
    );
    // Bo's membership was there before steward: said as such.
    assert_eq!(
        list[1]["evidence"].as_str(),
        Some("existing membership, first seen 2026-11-24, grantor unknown"),
        "{list:#}"
    );

    ok(
        dir,
        &[
            "decide",
            "accept",
            "ana",
            "payments-db:read",
            "--as",
            "priya",
        ],
    );
    ok(
        dir,
        &[
            "decide",
            "accept",
            "cy",
            "payments-db:read",
            "--as",
            "priya",
        ],
    );
    ok(
        dir,
        &[
            "decide",
            "revoke",
            "bo",
            "payments-db:read",
            "--as",
            "priya",
        ],
    );

    let plan = ok(dir, &["plan", "--as", "priya"]);
    assert!(
        plan.contains("okta: add ana to group payments-db-read (payments-db:read), granted by priya, basis rule:pay-read"),
        "{plan}"
    );
    assert!(
        plan.contains("okta: remove bo from group payments-db-read"),
        "{plan}"
    );

    // Dry run: the exact requests, nothing sent.
    let dry = ok(dir, &["apply", "--as", "priya", "--dry-run"]);
    let patch = format!("PATCH {}/Groups/{db}", server.base);
    assert!(dry.contains(&patch), "{dry}");
    assert!(dry.contains(&format!("\"value\":\"{ana}\"")), "{dry}");
    assert!(
        dry.contains(&format!("members[value eq \\\"{bo}\\\"]")),
        "{dry}"
    );
    assert_eq!(admin.members(&db), {
        let mut v = vec![bo.clone(), gone.clone()];
        v.sort();
        v
    });

    // As if an earlier apply crashed right after adding cy: already upstream.
    peers::request(
        "PATCH",
        &format!("{}/Groups/{db}", server.base),
        &[
            ("Authorization", &format!("Bearer {SCIM_TOKEN}")),
            ("Content-Type", "application/scim+json"),
        ],
        Some(
            &serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": cy}]}]})
            .to_string(),
        ),
    )
    .unwrap();

    let applied = ok(dir, &["apply", "--as", "priya"]);
    assert!(
        applied.contains("okta: added ana to group payments-db-read"),
        "{applied}"
    );
    assert!(applied.contains("already in place upstream"), "{applied}");
    assert!(
        applied.contains("okta: removed bo from group payments-db-read"),
        "{applied}"
    );
    assert!(applied.contains("3 applied, 0 failed"), "{applied}");
    let mut want = vec![ana.clone(), cy.clone(), gone.clone()];
    want.sort();
    assert_eq!(admin.members(&db), want);

    // Applying again changes nothing and fails nothing.
    assert!(ok(dir, &["apply", "--as", "priya"]).contains("nothing planned"));

    // A fresh sync confirms: the grants steward made carry its record.
    ok(dir, &["sync"]);
    let list: serde_json::Value =
        serde_json::from_str(&ok(dir, &["suggest", "--json", "--as", "priya", "--all"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 0, "{list:#}");
    let why = ok(dir, &["why", "ana", "payments-db:read"]);
    assert!(why.contains("pay-read"), "{why}");
    let audit = ok(dir, &["audit", "export", "--jsonl"]);
    assert_eq!(audit.matches("\"action\":\"apply\"").count(), 3, "{audit}");
    assert!(ok(dir, &["audit", "verify"]).contains("intact"));
    let status = ok(dir, &["status"]);
    assert!(
        status.contains("okta") && status.contains(&server.base),
        "{status}"
    );
}

#[test]
fn a_wrong_token_fails_the_source_clearly_and_keeps_the_cache() {
    let server = scim_server();
    let admin = ScimAdmin {
        base: server.base.clone(),
    };
    admin.user("ana", "Ana Lima", "ana@acme.test", None);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_org(dir);
    config(dir, &server.base);
    ok(dir, &["sync"]);
    let run = support::run(
        support::steward_in(dir, NOW)
            .arg("sync")
            .env("TEST_SCIM_TOKEN", "not-the-token-XYZ"),
    );
    let text = run.said();
    assert_eq!(run.code, 1, "{text}");
    assert!(text.contains("okta: FAILED"), "{text}");
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(text.contains(&format!("{}/Users", server.base)), "{text}");
    assert!(!text.contains("not-the-token-XYZ"), "{text}");
    let status = ok(dir, &["status"]);
    assert!(status.contains("LAST SYNC FAILED"), "{status}");
    assert!(status.contains("1 people"), "{status}");
}

/// Accounts whose emails differ only by case stay two people; members of a
/// group nested in an entitlement's group hold it; apply removes exactly the
/// SCIM user decided about, and refuses a removal that nested groups undo.
#[test]
fn case_twins_stay_apart_and_nested_groups_hold_what_their_parent_grants() {
    let server = scim_server();
    let admin = ScimAdmin {
        base: server.base.clone(),
    };
    admin.user("priya", "Priya Raman", "priya@acme.test", None);
    admin.user("jdoe", "J. Doe", "JDoe@Acme.test", None);
    let jdoe_admin = admin.user("jdoe-admin", "J. Doe (admin)", "jdoe@acme.test", None);
    let ana = admin.user("ana", "Ana Lima", "ana@acme.test", None);
    let cy = admin.create(
        "Users",
        serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "cy", "displayName": "Cy Diaz",
            "emails": [{"value": "cy@acme.test", "primary": true}], "active": false
        }),
    );
    let sre = admin.group("sre", &[&ana]);
    let platform = admin.group("team-platform", &[&sre, &cy]);
    let db = admin.group("payments-db-read", &[&platform, &jdoe_admin]);
    // A cycle: the entitlement's group inside the team's.
    let _ = admin.members(&db);
    admin.create(
        "Groups",
        serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "loop", "members": [{"value": db}, {"value": platform}]
        }),
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_org(dir);
    std::fs::write(
        dir.join("org/rules.toml"),
        "[[rule]]\nid = \"platform-read\"\narea = \"payments\"\nauthor = \"priya\"\nwhy = \"the platform team reads the payments db\"\ngrant = [\"payments-db:read\"]\nteam = \"platform\"\n",
    )
    .unwrap();
    config(dir, &server.base);
    let sync = steward(dir, &["sync"]);
    let said = sync.stdout.clone() + &sync.stderr;
    assert_eq!(sync.code, 0, "{said}");
    let twins = said
        .lines()
        .find(|l| l.contains("email jdoe@acme.test (compared case-insensitively) belongs to"))
        .unwrap_or_else(|| panic!("no warning about the twins:\n{said}"));
    assert!(
        twins.contains("jdoe (okta)") && twins.contains("jdoe-admin (okta)"),
        "{twins}"
    );
    let store = steward::store::Store::open(&dir.join("steward.db")).unwrap();
    let org = store.load_org().unwrap();
    let ids: Vec<&str> = org.people.iter().map(|p| p.id.as_str()).collect();
    for id in ["jdoe", "jdoe-admin", "ana", "cy", "priya"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    let holders: Vec<&str> = org
        .grants
        .iter()
        .filter(|g| g.entitlement == "payments-db:read")
        .map(|g| g.person.as_str())
        .collect();
    assert_eq!(holders.len(), 3, "{holders:?}");
    for p in ["ana", "cy", "jdoe-admin"] {
        assert!(holders.contains(&p), "{holders:?}");
    }
    drop(store);
    let list: Vec<serde_json::Value> =
        serde_json::from_str(&ok(dir, &["suggest", "--json", "--as", "priya"])).unwrap();
    let keys: Vec<String> = list
        .iter()
        .map(|s| {
            format!(
                "{} {} {}",
                s["kind"].as_str().unwrap(),
                s["person"].as_str().unwrap(),
                s["reason"].as_str().unwrap()
            )
        })
        .collect();
    // `why` names the groups a nested membership comes through, the
    // person's own first; a direct one names none.
    let why = |person: &str| ok(dir, &["why", person, "payments-db:read"]);
    let ana_why = why("ana");
    assert!(
        ana_why.contains(", through sre -> team-platform -> payments-db-read\n"),
        "{ana_why}"
    );
    let cy_why = why("cy");
    assert!(
        cy_why.contains(", through team-platform -> payments-db-read\n"),
        "{cy_why}"
    );
    let direct = why("jdoe-admin");
    assert!(
        direct.contains("holds: since") && !direct.contains("through"),
        "{direct}"
    );
    // Ana holds it through sre > team-platform and qualifies: nothing to do.
    // Cy left: revoke. jdoe-admin's membership: a review. jdoe: nothing.
    assert!(
        keys.contains(&"revoke cy person_left".to_string()),
        "{keys:?}"
    );
    assert!(
        keys.iter().any(|k| k.starts_with("review jdoe-admin ")),
        "{keys:?}"
    );
    assert!(
        !keys
            .iter()
            .any(|k| k.contains(" ana ") || k.contains(" jdoe ")),
        "{keys:?}"
    );

    ok(
        dir,
        &[
            "decide",
            "revoke",
            "jdoe-admin",
            "payments-db:read",
            "--as",
            "priya",
        ],
    );
    ok(
        dir,
        &[
            "decide",
            "accept",
            "cy",
            "payments-db:read",
            "--as",
            "priya",
        ],
    );
    let r = steward(dir, &["apply", "--as", "priya"]);
    let out = r.stdout.clone() + &r.stderr;
    assert!(
        out.contains("removed jdoe-admin from group payments-db-read"),
        "{out}"
    );
    assert!(
        out.contains("not applied: cy (SCIM user") && out.contains("through team-platform"),
        "{out}"
    );
    let mut want = vec![platform.clone()];
    want.sort();
    assert_eq!(
        admin.members(&db),
        want,
        "only jdoe-admin's own membership went"
    );
}

/// Plan names the group a prefix maps an entitlement to, and apply refuses
/// (rather than writing grants.csv and calling it done) when the config no
/// longer maps an entitlement whose grants come from SCIM.
#[test]
fn plan_names_the_real_target_and_apply_refuses_what_no_upstream_would_see() {
    let server = scim_server();
    let admin = ScimAdmin {
        base: server.base.clone(),
    };
    admin.user("priya", "Priya Raman", "priya@acme.test", None);
    let bo = admin.user("bo", "Bo Chen", "bo@acme.test", None);
    let db = admin.group("steward:payments-db:read", &[&bo]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_org(dir);
    let areas = dir.join("org/areas.toml");
    let text = std::fs::read_to_string(&areas).unwrap();
    std::fs::write(
        &areas,
        text.replace("upstream = \"okta:payments-db-read\"\n", ""),
    )
    .unwrap();
    std::fs::write(
        dir.join("org/grants.csv"),
        "person,entitlement,granted_by,granted_at,basis,expires\n",
    )
    .unwrap();
    let with_prefix = |prefix: bool| {
        config(dir, &server.base);
        if prefix {
            let p = dir.join("steward.toml");
            let t = std::fs::read_to_string(&p).unwrap();
            std::fs::write(
                &p,
                t.replace(
                    "team_prefix = \"team-\"",
                    "team_prefix = \"team-\"\nentitlement_prefix = \"steward:\"",
                ),
            )
            .unwrap();
        }
    };
    with_prefix(true);
    ok(dir, &["sync"]);
    ok(
        dir,
        &[
            "decide",
            "revoke",
            "bo",
            "payments-db:read",
            "--as",
            "priya",
        ],
    );
    let plan = ok(dir, &["plan", "--as", "priya"]);
    assert!(
        plan.contains("okta: remove bo from group steward:payments-db:read"),
        "{plan}"
    );
    // The mapping is gone from the config: grants.csv is no target for it.
    with_prefix(false);
    let r = steward(dir, &["apply", "--as", "priya"]);
    let out = r.stdout.clone() + &r.stderr;
    assert_eq!(r.code, 1, "{out}");
    assert!(
        out.contains("not applied: grants of payments-db:read come from source okta"),
        "{out}"
    );
    assert!(!out.contains("ok: "), "{out}");
    assert_eq!(admin.members(&db), vec![bo.clone()]);
    // Mapped again, apply removes bo upstream.
    with_prefix(true);
    ok(
        dir,
        &[
            "decide",
            "revoke",
            "bo",
            "payments-db:read",
            "--as",
            "priya",
        ],
    );
    let applied = ok(dir, &["apply", "--as", "priya"]);
    assert!(
        applied.contains("removed bo from group steward:payments-db:read"),
        "{applied}"
    );
    assert!(admin.members(&db).is_empty());
}

/// An entitlement whose grants come from SCIM but which maps to none of its
/// groups any more (areas.toml now names another system) cannot have a
/// decision carried out: `check` and `config check` refuse it, naming the
/// entitlement and the source, before anyone decides on it.
#[test]
fn check_and_config_check_refuse_an_entitlement_no_write_side_reaches() {
    let server = scim_server();
    let admin = ScimAdmin {
        base: server.base.clone(),
    };
    let priya = admin.user("priya", "Priya Raman", "priya@acme.test", None);
    let bo = admin.user("bo", "Bo Chen", "bo@acme.test", Some(&priya));
    admin.group("payments-db-read", &[&bo]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_org(dir);
    config(dir, &server.base);
    ok(dir, &["sync"]);
    let refused = "entitlement payments-db:read: its grants come from source okta, and it maps to none of okta's groups";
    assert!(!ok(dir, &["config", "check"]).contains(refused));
    let r = steward(dir, &["check"]);
    assert!(!r.stdout.contains(refused), "{}", r.stdout);

    // areas.toml now says the entitlement lives in another system; okta's
    // cached grants of it stay until okta is synced again.
    let areas = dir.join("org/areas.toml");
    let text = std::fs::read_to_string(&areas).unwrap();
    std::fs::write(
        &areas,
        text.replace("okta:payments-db-read", "vault:payments-db-read"),
    )
    .unwrap();
    ok(dir, &["sync", "--source", "files"]);
    for args in [&["config", "check"][..], &["check"][..]] {
        let r = steward(dir, args);
        assert_eq!(r.code, 1, "{args:?}: {}\n{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains(&format!("{refused} (give it `upstream = \"okta:GROUP\"` in areas.toml, or map it in the source's `entitlements`): apply cannot carry out a decision on it")),
            "{args:?}: {}",
            r.stdout
        );
    }
}
