//! iCalendar feeds over HTTP and the Backstage catalog (served by a small
//! local server), people matched across sources by email, and
//! `steward config check`.

mod peers;

use peers::{FaultServer, Reply, write_config};
use std::path::Path;
use std::process::Command;

const NOW: &str = "2026-11-24T12:00:00Z";

fn steward(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(args)
        .env("STEWARD_DB", dir.join("steward.db"))
        .env("STEWARD_CONFIG", dir.join("steward.toml"))
        .env("STEWARD_LOG_DIR", dir.join("logs"))
        .env("STEWARD_NOW", NOW)
        .env_remove("CATALOG_TOKEN")
        .output()
        .expect("run steward");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nX-WR-CALNAME:DB primary\r\n\
BEGIN:VEVENT\r\nUID:1\r\nDTSTART:20261123T090000Z\r\nDTEND:20261130T090000Z\r\nSUMMARY:On call\r\nATTENDEE;CN=Alice:mailto:ALICE@example.com\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:2\r\nDTSTART:20261130T090000Z\r\nDTEND:20261207T090000Z\r\nSUMMARY:On Call - Bob Jones\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

fn entities() -> String {
    serde_json::json!([
        {"apiVersion": "backstage.io/v1alpha1", "kind": "User", "metadata": {"name": "alice.b", "namespace": "default"},
         "spec": {"profile": {"displayName": "Alice B", "email": "Alice@Example.com"}, "memberOf": ["group:default/payments"]}},
        {"kind": "User", "metadata": {"name": "carol"}, "spec": {"profile": {"displayName": "Carol", "email": "carol@example.com"}}},
        {"kind": "Group", "metadata": {"name": "payments", "annotations": {"steward.dev/lead": "user:default/carol"}},
         "spec": {"type": "team", "parent": "group:default/engineering", "members": ["carol"], "children": []}},
        {"kind": "Group", "metadata": {"name": "engineering"}, "spec": {"type": "department", "children": ["group:default/payments"]}},
        {"kind": "System", "metadata": {"name": "payments-platform", "description": "Money", "tags": ["pci"]},
         "spec": {"owner": "group:default/payments"}},
        {"kind": "Component", "metadata": {"name": "payments-api"}, "spec": {"type": "service", "owner": "user:alice.b", "system": "payments-platform"}},
        {"kind": "API", "metadata": {"name": "ignored"}, "spec": {"owner": "payments"}}
    ])
    .to_string()
}

#[test]
fn feeds_and_the_catalog_sync_with_people_matched_by_email() {
    let server = FaultServer::start(|r, _| {
        if r.path.starts_with("/feeds/db.ics") {
            return Reply::Json(
                200,
                vec![("X-Kind".into(), "calendar".into())],
                FEED.to_string(),
            );
        }
        if r.path.starts_with("/api/catalog/entities") {
            let all = entities();
            // Pages of 3 by offset.
            let list: Vec<serde_json::Value> = serde_json::from_str(&all).unwrap();
            let offset: usize = r
                .path
                .split("offset=")
                .nth(1)
                .and_then(|x| x.split('&').next())
                .and_then(|x| x.parse().ok())
                .unwrap_or(0);
            let page: Vec<_> = list.into_iter().skip(offset).take(3).collect();
            return Reply::ok(serde_json::to_string(&page).unwrap());
        }
        Reply::status(404, "{}")
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let org = dir.join("org");
    std::fs::create_dir_all(&org).unwrap();
    std::fs::write(
        org.join("people.csv"),
        "id,name,email,manager,status\nalice,Alice Test,alice@example.com,,active\nbob,Bob Jones,bob@example.com,,active\n",
    )
    .unwrap();
    write_config(
        dir,
        &format!(
            r#"me = "alice"

[[source]]
kind = "files"
dir = "org"

[[source]]
kind = "ics"
name = "grafana"
[[source.feed]]
rotation = "db-primary"
team = "payments"
url = "{base}/feeds/db.ics"

[[source]]
kind = "backstage"
name = "catalog"
url = "{base}"
page_size = 3
"#,
            base = server.base
        ),
    );
    let (code, out) = steward(dir, &["config", "check"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("grafana: synced 1 rotations, 2 shifts"),
        "{out}"
    );
    assert!(
        out.contains("catalog: synced 1 people, 2 teams, 2 areas"),
        "{out}"
    );

    let store = steward::store::Store::open(&dir.join("steward.db")).unwrap();
    let org = store.load_org().unwrap();
    let r = org.rotations.iter().find(|r| r.id == "db-primary").unwrap();
    assert_eq!(r.name, "DB primary");
    assert_eq!(r.team.as_deref(), Some("payments"));
    let who: Vec<&str> = r.shifts.iter().map(|s| s.person.as_str()).collect();
    assert_eq!(who, ["alice", "bob"]);
    // alice.b in the catalog is alice of the org directory (same email).
    assert_eq!(
        org.people
            .iter()
            .filter(|p| p.email == "alice@example.com")
            .count(),
        1
    );
    let pay = org.teams.iter().find(|t| t.id == "payments").unwrap();
    assert_eq!(pay.members, ["alice", "carol"]);
    assert_eq!(pay.parent.as_deref(), Some("engineering"));
    assert_eq!(pay.lead.as_deref(), Some("carol"));
    let area = |id: &str| org.areas.iter().find(|a| a.id == id).unwrap();
    assert_eq!(area("payments-platform").owner, "carol");
    assert_eq!(area("payments-platform").tags, ["pci"]);
    assert_eq!(area("payments-api").owner, "alice");
    assert_eq!(
        area("payments-api").parent.as_deref(),
        Some("payments-platform")
    );
    // Syncing one source again keeps one alice.
    let (code, out) = steward(dir, &["sync", "--source", "catalog"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 of 1 source(s) synced"), "{out}");
    let org = store.load_org().unwrap();
    assert_eq!(
        org.people
            .iter()
            .filter(|p| p.email == "alice@example.com")
            .count(),
        1
    );
    let pay = org.teams.iter().find(|t| t.id == "payments").unwrap();
    assert_eq!(pay.members, ["alice", "carol"]);
    let (code, out) = steward(dir, &["sync", "--source", "nope"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no configured source named \"nope\""), "{out}");
    let reqs = server.requests();
    assert!(
        reqs.iter()
            .filter(|r| r.path.starts_with("/api/catalog/entities"))
            .count()
            >= 3
    );
}

#[test]
fn a_bad_feed_fails_its_source_with_where_and_keeps_the_cache() {
    let broken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let b = broken.clone();
    let server = FaultServer::start(move |_, _| {
        if b.load(std::sync::atomic::Ordering::SeqCst) {
            Reply::ok(FEED.replace("UID:2\r\n", "UID:2\r\nRRULE:FREQ=WEEKLY\r\n"))
        } else {
            Reply::ok(FEED)
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_config(
        dir,
        &format!(
            "[[source]]\nkind = \"ics\"\n[[source.feed]]\nrotation = \"db\"\nurl = \"{}/db.ics\"\n",
            server.base
        ),
    );
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");
    broken.store(true, std::sync::atomic::Ordering::SeqCst);
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ics: FAILED"), "{out}");
    assert!(out.contains("feed db"), "{out}");
    assert!(out.contains(":12: recurring event"), "{out}");
    let (_, status) = steward(dir, &["status"]);
    assert!(status.contains("LAST SYNC FAILED"), "{status}");
    assert!(status.contains("2 shifts"), "{status}");
}

#[test]
fn config_check_names_every_problem_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_config(
        dir,
        r#"me = "priya"

[[source]]
kind = "scim"
name = "okta"
url = "https://okta.example/scim/v2"
token = "00abcSECRET"

[[source]]
kind = "pagerduty"
url = "https://api.pagerduty.com"
token_env = "CATALOG_TOKEN"
schedule = ["P1"]
"#,
    );
    let (code, out) = steward(dir, &["config", "check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("steward.toml:7: source okta: `token`: a literal token does not belong"),
        "{out}"
    );
    assert!(
        out.contains("steward.toml:13: source pagerduty: unknown key `schedule`"),
        "{out}"
    );
    assert!(!out.contains("00abcSECRET"), "{out}");
    // sync refuses the same config, naming the problems.
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("steward.toml:7"), "{out}");
    // A valid file whose variable is unset: check says so.
    write_config(
        dir,
        "[[source]]\nkind = \"pagerduty\"\nurl = \"https://api.pagerduty.com\"\ntoken_env = \"CATALOG_TOKEN\"\n",
    );
    let (code, out) = steward(dir, &["config", "check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("steward.toml:1: source pagerduty: token_env: environment variable CATALOG_TOKEN is not set"), "{out}");
}
