//! PagerDuty against Prism serving PagerDuty's own OpenAPI description
//! (`../shared/specs/pagerduty-rest-openapiv3.json`): Prism rejects requests
//! that break the spec (missing headers, bad parameters), so a sync that
//! succeeds here sends what the real API expects.

mod peers;
mod support;

use peers::{pagerduty_mock, write_config};

const NOW: &str = "2026-11-24T12:00:00Z";

fn steward(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let run = support::run(
        support::steward_in(dir, NOW)
            .args(args)
            .env("TEST_PD_TOKEN", "pd-test-token-Q1"),
    );
    (run.code, run.said())
}

#[test]
fn pagerduty_schedules_become_rotations_with_shifts_matched_by_email() {
    let prism = pagerduty_mock();
    // The spec's example user PXPGF42 has this email (in another case).
    let tmp = support::with_org(
        "id,name,email,manager,status\nearline,Earline Greenholt,125.Greenholt.Earline@graham.name,,active\n",
    );
    let dir = tmp.path();
    write_config(
        dir,
        &support::org_and(
            "earline",
            &format!(
                r#"[[source]]
kind = "pagerduty"
name = "pd"
url = "{}"
token_env = "TEST_PD_TOKEN"
rotations = {{ "eng-daily" = "PI7DH85" }}
backoff_ms = 50
"#,
                prism.base
            ),
        ),
    );
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}\n--- prism log:\n{}", prism.log());
    assert!(out.contains("pd: synced 1 rotations, 1 shifts"), "{out}");
    assert!(!out.contains("pd-test-token-Q1"));

    let store = steward::store::Store::open(&dir.join("steward.db")).unwrap();
    let org = store.load_org().unwrap();
    let r = org
        .rotations
        .iter()
        .find(|r| r.id == "eng-daily")
        .expect("rotation eng-daily");
    assert_eq!(r.name, "Daily Engineering Rotation");
    assert_eq!(r.shifts.len(), 1);
    assert_eq!(
        r.shifts[0].person, "earline",
        "matched by email, case-insensitively"
    );
    assert_eq!(r.shifts[0].start.to_rfc3339(), "2015-11-10T13:00:00+00:00");
    assert_eq!(r.members, vec!["earline".to_string()]);

    // Every schedule when none is named: the list, then each schedule.
    write_config(
        dir,
        &format!(
            "[[source]]\nkind = \"pagerduty\"\nname = \"pd\"\nurl = \"{}\"\ntoken_env = \"TEST_PD_TOKEN\"\n",
            prism.base
        ),
    );
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}\n--- prism log:\n{}", prism.log());
    assert!(out.contains("pd: synced 1 rotations"), "{out}");
}

#[test]
fn pagerduty_without_a_token_is_refused_by_the_api_and_named() {
    let prism = pagerduty_mock();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_config(
        dir,
        &format!(
            "[[source]]\nkind = \"pagerduty\"\nname = \"pd\"\nurl = \"{}\"\nretries = 0\n",
            prism.base
        ),
    );
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("pd: FAILED") && out.contains("HTTP 401"),
        "{out}"
    );
    assert!(
        out.contains(&format!("{}/users", prism.base))
            || out.contains(&format!("{}/schedules", prism.base)),
        "{out}"
    );
}

/// A deleted PagerDuty user stays in the schedules that named them, but the
/// users list no longer has them: no real mock serves that state, so a
/// scripted server does. Sync says they were deleted (and, apart, who has
/// no email), and keeps their shift as `pagerduty:ID`.
#[test]
fn a_schedule_naming_a_deleted_user_is_said_to_be_deleted() {
    use peers::{FaultServer, Reply};
    let server = FaultServer::start(|req, _| {
        if req.path.starts_with("/users") {
            return Reply::ok(
                r#"{"users":[{"id":"PKEPT","email":"Kept@Example.com"},{"id":"PNOMAIL"}],"more":false}"#,
            );
        }
        let entry = |user: &str, day: u32| {
            format!(
                r#"{{"start":"2026-11-{day}T09:00:00Z","end":"2026-11-{}T09:00:00Z","user":{{"id":"{user}","summary":"{user}"}}}}"#,
                day + 1
            )
        };
        Reply::ok(format!(
            r#"{{"schedule":{{"id":"PSCHED","name":"Payments primary","users":[{{"id":"PKEPT"}},{{"id":"PNOMAIL"}},{{"id":"PGONE"}}],"final_schedule":{{"rendered_schedule_entries":[{},{},{}]}}}}}}"#,
            entry("PKEPT", 20),
            entry("PNOMAIL", 21),
            entry("PGONE", 22)
        ))
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    support::people_csv(
        &dir.join("org"),
        "id,name,email,manager,status\nkept,Kept Person,kept@example.com,,active\n",
    );
    write_config(
        dir,
        &format!(
            "[[source]]\nkind = \"files\"\ndir = \"org\"\nprovides = [\"people\"]\n\n[[source]]\nkind = \"pagerduty\"\nname = \"pd\"\nurl = \"{}\"\ntoken_env = \"TEST_PD_TOKEN\"\nrotations = {{ \"payments\" = \"PSCHED\" }}\nretries = 0\n",
            server.base
        ),
    );
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("pd: warning: source pd: 1 schedule user(s) are users PagerDuty no longer lists, deleted there (PGONE); kept as pagerduty:ID"),
        "{out}"
    );
    assert!(
        out.contains("pd: warning: source pd: 1 schedule user(s) have no email in PagerDuty (PNOMAIL); kept as pagerduty:ID"),
        "{out}"
    );

    let store = steward::store::Store::open(&dir.join("steward.db")).unwrap();
    let org = store.load_org().unwrap();
    let r = org.rotations.iter().find(|r| r.id == "payments").unwrap();
    let who: Vec<&str> = r.shifts.iter().map(|s| s.person.as_str()).collect();
    assert_eq!(who, ["kept", "pagerduty:PNOMAIL", "pagerduty:PGONE"]);
}
