//! `steward rule add|edit|remove` and `steward rules` on the real binary:
//! rules written in steward are evaluated with the synced ones, survive
//! syncs, are refused without authority, and every change is audited.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::PathBuf;

const NOW: &str = "2026-03-02T12:00:00Z";

const PEOPLE: &str = "id,name,email,manager,status
cto,Casey Ortiz,casey@acme.test,,active
priya,Priya Raman,priya@acme.test,cto,active
omar,Omar Haddad,omar@acme.test,cto,active
ana,Ana Lima,ana@acme.test,priya,active
";

const TEAMS: &str = r#"
[[team]]
id = "payments"
name = "Payments"
lead = "priya"
members = ["priya", "ana"]
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

[[area.entitlement]]
id = "pay-db:read"
name = "Read the payments database"

[[area.entitlement]]
id = "pay-db:admin"
name = "Administer the payments database"

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
id = "from-files"
area = "payments"
author = "priya"
why = "Payments engineers read the DB."
grant = ["pay-db:read"]
team = "payments"
"#;

struct Org {
    dir: tempfile::TempDir,
    org: PathBuf,
    db: PathBuf,
}

fn synced() -> Org {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    std::fs::create_dir_all(&org).unwrap();
    for (name, body) in [
        ("people.csv", PEOPLE),
        ("teams.toml", TEAMS),
        ("rotations.toml", ROTATIONS),
        ("areas.toml", AREAS),
        ("rules.toml", RULES),
        (
            "grants.csv",
            "person,entitlement,granted_by,granted_at,basis,expires\n",
        ),
        ("trainings.csv", ""),
    ] {
        std::fs::write(org.join(name), body).unwrap();
    }
    let o = Org {
        db: dir.path().join("steward.db"),
        org,
        dir,
    };
    steward(&o)
        .args(["sync", "--org"])
        .arg(&o.org)
        .assert()
        .success();
    o
}

fn steward(o: &Org) -> Command {
    let mut c = Command::cargo_bin("steward").unwrap();
    c.env_remove("STEWARD_AS")
        .env("STEWARD_NOW", NOW)
        .env("STEWARD_DB", &o.db)
        .env("STEWARD_CONFIG", o.dir.path().join("none.toml"))
        .env("STEWARD_LOG_DIR", o.dir.path().join("logs"));
    c
}

fn out(c: &mut Command) -> String {
    String::from_utf8(c.assert().success().get_output().stdout.clone()).unwrap()
}

/// The rules as `steward rules --json` shows them: (id, source, author, counts).
fn rules(o: &Org) -> Vec<(String, String, String, bool)> {
    let text = out(steward(o).args(["rules", "--json"]));
    let v: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    v.iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["source"].as_str().unwrap().to_string(),
                r["author"].as_str().unwrap().to_string(),
                r["counts"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn audit_len(o: &Org) -> usize {
    out(steward(o).args(["audit", "export", "--jsonl"]))
        .lines()
        .count()
}

fn grant_suggestions(o: &Org) -> Vec<String> {
    let text = out(steward(o).args(["suggest", "--json", "--all"]));
    let v: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    v.iter()
        .filter(|s| s["kind"] == "grant")
        .map(|s| {
            format!(
                "{} {} {}",
                s["person"].as_str().unwrap(),
                s["entitlement"].as_str().unwrap(),
                s["rule"].as_str().unwrap_or("-")
            )
        })
        .collect::<std::collections::BTreeSet<String>>()
        .into_iter()
        .collect()
}

const ADD: &[&str] = &[
    "rule",
    "add",
    "--id",
    "oncall-admin",
    "--area",
    "payments",
    "--grant",
    "pay-db:admin",
    "--rotation",
    "pay-primary",
    "--only-while-oncall",
    "--why",
    "Primary oncall administers the DB during incidents",
];

fn refused(o: &Org, args: &[&str], says: &[&str]) {
    let before = (rules(o), audit_len(o));
    let assert = steward(o).args(args).assert().failure();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for s in says {
        assert!(err.contains(s), "{args:?}: expected {s:?} in: {err}");
    }
    assert_eq!((rules(o), audit_len(o)), before, "{args:?} wrote something");
}

#[test]
fn a_rule_written_in_steward_is_evaluated_survives_syncs_and_is_audited() {
    let o = synced();
    assert_eq!(
        grant_suggestions(&o),
        vec!["ana pay-db:read from-files", "priya pay-db:read from-files"]
    );

    let text = out(steward(&o).args(ADD).args(["--as", "priya"]));
    assert!(text.contains("rule oncall-admin added by priya"), "{text}");
    assert_eq!(
        rules(&o),
        vec![
            ("from-files".into(), "files".into(), "priya".into(), true),
            (
                "oncall-admin".into(),
                "steward".into(),
                "priya".into(),
                true
            ),
        ]
    );
    // Ana is on shift now: the new rule suggests the admin grant.
    assert_eq!(
        grant_suggestions(&o),
        vec![
            "ana pay-db:admin oncall-admin",
            "ana pay-db:read from-files",
            "priya pay-db:read from-files"
        ]
    );
    // The table names each rule's source.
    steward(&o).arg("rules").assert().success().stdout(
        predicate::str::is_match(r"oncall-admin\s+payments\s+priya\s+yes\s+suggest\s+1\s+steward")
            .unwrap(),
    );

    // A fresh sync of the org directory keeps it.
    steward(&o)
        .args(["sync", "--org"])
        .arg(&o.org)
        .assert()
        .success();
    assert_eq!(rules(&o).len(), 2);

    // The ancestor owner changes it (and becomes its author).
    let text = out(steward(&o).args([
        "rule",
        "edit",
        "oncall-admin",
        "--grant",
        "pay-db:admin,pay-db:read",
        "--only-while-oncall=false",
        "--as",
        "cto",
    ]));
    assert!(
        text.contains("was: area payments") && text.contains("(author cto;"),
        "{text}"
    );
    assert_eq!(rules(&o)[1].2, "cto");

    let text = out(steward(&o).args([
        "rule",
        "remove",
        "oncall-admin",
        "--as",
        "priya",
        "--reason",
        "covered by from-files",
    ]));
    assert!(
        text.contains("rule oncall-admin removed by priya"),
        "{text}"
    );
    assert_eq!(rules(&o).len(), 1);

    let log = out(steward(&o).args(["audit", "export", "--jsonl"]));
    let entries: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("priya".into(), "rule add".into()),
            ("cto".into(), "rule edit".into()),
            ("priya".into(), "rule remove".into()),
        ]
    );
    assert!(
        entries[2]["detail"]
            .as_str()
            .unwrap()
            .contains("covered by from-files")
    );
    steward(&o)
        .args(["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("3 entries verified"));
}

#[test]
fn bad_rule_changes_are_refused_by_name_and_write_nothing() {
    let o = synced();
    // Authority: omar owns ops, not payments.
    refused(
        &o,
        &[ADD, &["--as", "omar"]].concat(),
        &["refused", "omar", "area payments"],
    );
    // Grants outside the area's subtree.
    let mut outside = ADD.to_vec();
    outside[7] = "ops:console";
    refused(
        &o,
        &[&outside[..], &["--as", "priya"]].concat(),
        &["ops:console", "area ops"],
    );
    // Unknown names.
    let mut unknown = ADD.to_vec();
    unknown[9] = "no-such-rotation";
    refused(
        &o,
        &[&unknown[..], &["--as", "priya"]].concat(),
        &["unknown rotation \"no-such-rotation\""],
    );
    // Ids are unique across sources.
    let mut dup = ADD.to_vec();
    dup[3] = "from-files";
    refused(
        &o,
        &[&dup[..], &["--as", "priya"]].concat(),
        &["from-files", "already exists", "files"],
    );
    // Rules of other sources are read-only here.
    refused(
        &o,
        &["rule", "edit", "from-files", "--why", "x", "--as", "priya"],
        &["from-files", "read-only", "change it at its source"],
    );
    refused(
        &o,
        &["rule", "remove", "from-files", "--as", "priya"],
        &["read-only"],
    );
    refused(
        &o,
        &["rule", "remove", "ghost", "--as", "priya"],
        &["unknown rule \"ghost\""],
    );

    steward(&o)
        .args(ADD)
        .args(["--as", "priya"])
        .assert()
        .success();
    // An edit needs authority over the old area and the new one.
    refused(
        &o,
        &[
            "rule",
            "edit",
            "oncall-admin",
            "--area",
            "ops",
            "--grant",
            "ops:console",
            "--as",
            "priya",
        ],
        &["refused", "priya", "area ops"],
    );
    refused(
        &o,
        &["rule", "remove", "oncall-admin", "--as", "omar"],
        &["refused", "omar", "area payments"],
    );
}
