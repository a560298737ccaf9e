//! `steward reconcile` on the real binary and a real org directory: what
//! automatic rules carry out by themselves (grants to who qualifies, revokes
//! of their own grants), exactly once, audited as the rule's with its
//! author's consent; the guards (an area over its `max_auto_changes`, a
//! source whose last sync failed) and `--release`; `lead` and `grace` at a
//! shift's edges; undoing an automatic change; writing automatic rules.

#[path = "reconcile/org.rs"]
mod org;

use org::*;
use serde_json::Value;

fn detail(entry: &Value) -> Value {
    serde_json::from_str(entry["detail"].as_str().unwrap_or("{}")).unwrap_or(Value::Null)
}

fn has(rows: &[String], row: &str) -> bool {
    rows.iter().any(|r| r == row)
}

#[test]
fn automatic_rules_grant_and_revoke_their_own_once_each_audited_as_the_rule() {
    let env = Env::new(20);
    let (out, _) = env.exits(0, &["reconcile"]);
    assert!(out.contains("9 applied, 0 failed, 0 held back"), "{out}");
    let g = env.grants();
    let at = "2026-03-02T12:00:00Z";
    for row in [
        // Granted by the rule, its author the grantor.
        format!("bo,pay-db:read,priya,{at},rule:pay-read"),
        format!("ana,pay-db:admin,priya,{at},rule:pay-admin"),
        format!("ana,ops:console,omar,{at},rule:ops-console"),
        format!("bo,ops-tools:read,omar,{at},rule:ops-tools-read"),
        // Untouched: justified, manual, another rule's.
        "ana,pay-db:read,priya,2026-01-05T10:00:00Z,rule:pay-read".into(),
        "dee,pay-db:read,priya,2026-02-20T10:00:00Z,manual".into(),
        "eve,ops:console,omar,2026-01-10T10:00:00Z,rule:old-console".into(),
    ] {
        assert!(has(&g, &row), "{row} missing from\n{}", env.grants_csv());
    }
    // Revoked: left the team, left the organization, off call.
    for gone in ["cy,pay-db:read", "lee,pay-db:read", "bo,pay-db:admin"] {
        assert!(
            !g.iter().any(|r| r.starts_with(&format!("{gone},"))),
            "{gone} still in\n{}",
            env.grants_csv()
        );
    }
    // A suggest rule's grants wait for a person.
    assert!(!g.iter().any(|r| r.contains("pay:wiki")));
    let sugg = env.suggestions(NOW);
    assert!(sugg.contains(&("grant".into(), "ana".into(), "pay:wiki".into())));
    assert!(
        !sugg
            .iter()
            .any(|(k, _, e)| k != "review" && e.starts_with("pay-db")),
        "{sugg:?}"
    );

    // Each change: an `auto` entry (the rule, its author's consent and
    // authority, the evidence) and an `apply` entry.
    let audit = env.audit();
    let autos: Vec<Value> = audit
        .iter()
        .filter(|e| e["action"] == "auto")
        .map(detail)
        .collect();
    assert_eq!(autos.len(), 9);
    let bo = autos
        .iter()
        .find(|d| d["person"] == "bo" && d["entitlement"] == "pay-db:read")
        .unwrap_or_else(|| panic!("{autos:?}"));
    assert_eq!(bo["by_rule"], "pay-read");
    assert_eq!(bo["consent_of"], "priya");
    assert_eq!(bo["authority"], "owner of area pay");
    assert_eq!(bo["kind"], "grant");
    assert_eq!(
        bo["evidence"],
        "member of team pay-api; rule pay-read grants pay-db:read"
    );
    let lee = autos
        .iter()
        .find(|d| d["person"] == "lee")
        .unwrap_or(&Value::Null);
    assert_eq!(lee["reason"], "person_left");
    let applies = audit.iter().filter(|e| e["action"] == "apply").count();
    assert_eq!(applies, 9);
    env.ok(&["audit", "verify"]);

    // Once: a second run changes nothing, and the cache agrees with the file.
    let before = env.grants_csv();
    let entries = audit.len();
    let (out, _) = env.exits(0, &["reconcile"]);
    assert!(out.contains("nothing due"), "{out}");
    env.ok(&["sync", "--org", &env.org_arg()]);
    let (out, _) = env.exits(0, &["reconcile"]);
    assert!(out.contains("nothing due"), "{out}");
    assert_eq!(env.grants_csv(), before);
    assert_eq!(env.audit().len(), entries);
}

#[test]
fn an_area_over_its_max_gets_none_until_someone_with_authority_releases_it() {
    let env = Env::new(1);
    let before = env.grants_csv();
    // A dry run says so and changes nothing.
    let (out, _) = env.exits(3, &["reconcile", "--dry-run"]);
    assert!(
        out.contains("would: grant bo -> pay-db:read (rule pay-read)"),
        "{out}"
    );
    assert!(out.contains("nothing changed"), "{out}");
    assert_eq!(env.grants_csv(), before);
    assert!(env.audit().is_empty());

    let (out, _) = env.exits(3, &["reconcile"]);
    // ops says 1 and has 2; ops-tools inherits 1 and has 2.
    assert!(
        out.contains("HELD BACK: area ops: 2 automatic changes in area ops at once, more than its max_auto_changes of 1: none applied (`steward reconcile --release ops` applies them)"),
        "{out}"
    );
    assert!(
        out.contains("HELD BACK: area ops-tools: 2 automatic changes"),
        "{out}"
    );
    assert!(out.contains("  grant ana -> ops:console (rule ops-console) (with the consent of omar, owner of area ops): member of team pay-api"), "{out}");
    assert!(
        out.contains("5 applied, 0 failed, 4 held back (2 area(s) over max_auto_changes)"),
        "{out}"
    );
    let g = env.grants();
    assert!(
        !g.iter().any(|r| r.contains("ops:console,omar,2026-03")),
        "{g:?}"
    );
    assert!(!g.iter().any(|r| r.contains("ops-tools:read")), "{g:?}");
    assert!(g.iter().any(|r| r.starts_with("bo,pay-db:read,")), "{g:?}");
    // Held again next run: still 3.
    env.exits(3, &["reconcile"]);

    // Releasing needs authority over the area.
    let (_, err) = env.exits(1, &["reconcile", "--release", "ops", "--as", "eve"]);
    assert!(
        err.contains("refused: eve has no authority over area ops to release the automatic changes held back in area ops"),
        "{err}"
    );
    let (_, err) = env.exits(1, &["reconcile", "--release", "ops"]);
    assert!(err.contains("--as"), "{err}");
    let (out, _) = env.exits(0, &["reconcile", "--release", "ops", "--as", "omar"]);
    assert!(out.contains("4 applied, 0 failed, 0 held back"), "{out}");
    assert!(out.contains("(area ops released)"), "{out}");
    let g = env.grants();
    for p in ["ana", "bo"] {
        assert!(
            g.iter()
                .any(|r| r.starts_with(&format!("{p},ops:console,omar,")))
        );
        assert!(
            g.iter()
                .any(|r| r.starts_with(&format!("{p},ops-tools:read,omar,")))
        );
    }
    let (out, _) = env.exits(0, &["reconcile"]);
    assert!(out.contains("nothing due"), "{out}");
}

#[test]
fn changes_wait_while_a_source_they_rest_on_failed_its_last_sync() {
    let env = Env::new(20);
    let before = env.grants_csv();
    let people = env.org().join("people.csv");
    std::fs::write(&people, format!("{PEOPLE}zed,Zed,zed@acme.test,,maybe\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    env.exits(1, &["sync", "--org", &env.org_arg()]);
    let (out, _) = env.exits(3, &["reconcile"]);
    assert!(
        out.contains("WAITING: area pay-db: waiting: they rest on a source that is not current (files: its last sync failed at 2026-03-02 12:00Z: "),
        "{out}"
    );
    assert!(out.contains("people.csv"), "{out}");
    assert!(out.contains("0 applied, 0 failed, 9 held back"), "{out}");
    assert_eq!(env.grants_csv(), before);
    std::fs::write(&people, PEOPLE).unwrap_or_else(|e| panic!("{e}"));
    env.ok(&["sync", "--org", &env.org_arg()]);
    let (out, _) = env.exits(0, &["reconcile"]);
    assert!(out.contains("9 applied"), "{out}");
}

#[test]
fn changes_wait_while_the_shrink_guard_holds_a_source_back() {
    let env = Env::new(20);
    // Eighteen grants synced, then a grants.csv with a third of them: the
    // shrink guard holds that sync back and the cache keeps the eighteen.
    let grants = env.org().join("grants.csv");
    let mut more = GRANTS.to_string();
    for day in 10..22 {
        more += &format!("dee,pay:wiki,priya,2026-02-{day}T10:00:00Z,manual,\n");
    }
    std::fs::write(&grants, &more).unwrap_or_else(|e| panic!("{e}"));
    env.ok(&["sync", "--org", &env.org_arg()]);
    std::fs::write(&grants, GRANTS).unwrap_or_else(|e| panic!("{e}"));
    env.exits(1, &["sync", "--org", &env.org_arg()]);
    let (out, _) = env.exits(3, &["reconcile"]);
    assert!(
        out.contains("WAITING: area pay-db: waiting: they rest on a source that is not current (files: its last sync was held back by the shrink guard at 2026-03-02 12:00Z (grants from files: 18 -> 6"),
        "{out}"
    );
    assert!(out.contains("0 applied, 0 failed, 9 held back"), "{out}");
    assert_eq!(env.grants_csv(), GRANTS);
    // Keeping the drop makes the source current again.
    env.ok(&["sync", "--org", &env.org_arg(), "--accept-shrink"]);
    let (out, _) = env.exits(0, &["reconcile"]);
    assert!(out.contains("9 applied"), "{out}");
}

#[test]
fn lead_grants_before_a_shift_and_grace_revokes_after_it_as_suggestions_say() {
    let env = Env::new(20);
    let admin = |env: &Env| -> Vec<String> {
        env.grants()
            .into_iter()
            .filter(|r| r.contains(",pay-db:admin,"))
            .map(|r| r.split(',').next().unwrap_or("").to_string())
            .collect()
    };
    env.ok(&["reconcile"]);
    assert_eq!(admin(&env), ["ana"]);
    // bo's shift starts at 16:00; the rule's lead is 30m.
    env.ok(&["reconcile", "--now", "2026-03-02T15:29:59Z"]);
    assert_eq!(admin(&env), ["ana"]);
    let at = "2026-03-02T15:30:00Z";
    assert!(
        env.suggestions(at)
            .contains(&("grant".into(), "bo".into(), "pay-db:admin".into()))
    );
    env.ok(&["reconcile", "--now", at]);
    assert_eq!(admin(&env), ["ana", "bo"]);
    // ana's shift ends at 16:00; the grace is 15m.
    env.ok(&["reconcile", "--now", "2026-03-02T16:14:59Z"]);
    assert_eq!(admin(&env), ["ana", "bo"]);
    let at = "2026-03-02T16:15:00Z";
    assert!(
        env.suggestions(at)
            .contains(&("revoke".into(), "ana".into(), "pay-db:admin".into()))
    );
    env.ok(&["reconcile", "--now", at]);
    assert_eq!(admin(&env), ["bo"]);
}

#[test]
fn an_undone_automatic_change_is_reversed_and_stays_undone_until_the_facts_change() {
    let env = Env::new(20);
    env.ok(&["reconcile"]);
    let id = env
        .audit()
        .iter()
        .filter(|e| e["action"] == "auto")
        .map(detail)
        .find(|d| d["person"] == "bo" && d["entitlement"] == "pay-db:read")
        .and_then(|d| d["decision"].as_i64())
        .unwrap_or_else(|| panic!("no automatic grant to bo"));
    let id = id.to_string();
    let (_, err) = env.exits(1, &["undo", &id, "--as", "priya"]);
    assert!(err.contains("--reason"), "{err}");
    let (_, err) = env.exits(1, &["undo", &id, "--reason", "x", "--as", "eve"]);
    assert!(
        err.contains("refused: eve has no authority over area pay-db"),
        "{err}"
    );
    let out = env.ok(&["undo", &id, "--reason", "bo is on leave", "--as", "priya"]);
    assert!(out.contains("kept undone until the facts change"), "{out}");
    assert!(out.contains("steward apply --as priya"), "{out}");
    env.ok(&["apply", "--as", "priya"]);
    assert!(
        !env.grants()
            .iter()
            .any(|r| r.starts_with("bo,pay-db:read,"))
    );
    // The rule does not grant it again while the facts stand.
    let (out, _) = env.exits(0, &["reconcile"]);
    assert!(out.contains("nothing due"), "{out}");
    assert!(
        !env.grants()
            .iter()
            .any(|r| r.starts_with("bo,pay-db:read,"))
    );
    let undo = env
        .audit()
        .into_iter()
        .find(|e| e["action"] == "undo")
        .map(|e| detail(&e))
        .unwrap_or(Value::Null);
    assert_eq!(undo["undoes"].as_i64().map(|n| n.to_string()), Some(id));
    assert_eq!(undo["note"], "bo is on leave");
}

#[test]
fn rules_are_made_automatic_in_steward_and_listed_so() {
    let env = Env::new(20);
    let rules = env.ok(&["rules"]);
    let line = rules
        .lines()
        .find(|l| l.starts_with("pay-admin "))
        .unwrap_or_else(|| panic!("{rules}"));
    assert!(line.contains("auto lead 30m grace 15m"), "{line}");
    assert!(
        rules
            .lines()
            .any(|l| l.starts_with("pay-wiki ") && l.contains(" suggest "))
    );
    let json: Value = serde_json::from_str(&env.ok(&["rules", "--json"])).unwrap_or(Value::Null);
    let admin = json
        .as_array()
        .and_then(|a| a.iter().find(|r| r["id"] == "pay-admin"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(
        (&admin["apply"], &admin["lead"], &admin["grace"]),
        (
            &Value::from("auto"),
            &Value::from("30m"),
            &Value::from("15m")
        )
    );

    let (_, err) = env.exits(
        1,
        &[
            "rule",
            "add",
            "--id",
            "wiki-oncall",
            "--area",
            "pay",
            "--grant",
            "pay:wiki",
            "--team",
            "pay-api",
            "--lead",
            "30m",
            "--why",
            "x",
            "--as",
            "priya",
        ],
    );
    assert!(
        err.contains("--lead applies to a rule that grants only while on call"),
        "{err}"
    );
    let out = env.ok(&[
        "rule",
        "add",
        "--id",
        "wiki-oncall",
        "--area",
        "pay",
        "--grant",
        "pay:wiki",
        "--rotation",
        "pay-oncall",
        "--only-while-oncall",
        "--auto",
        "--lead",
        "1h",
        "--grace",
        "10m",
        "--why",
        "on call edits the runbooks",
        "--as",
        "priya",
    ]);
    assert!(
        out.contains("only while on call (lead 1h, grace 10m), carried out automatically"),
        "{out}"
    );
    let (out, _) = env.exits(0, &["reconcile"]);
    assert!(
        env.grants()
            .iter()
            .any(|r| r.starts_with("ana,pay:wiki,priya,") && r.ends_with("rule:wiki-oncall")),
        "{out}"
    );
    env.ok(&[
        "rule",
        "edit",
        "wiki-oncall",
        "--auto=false",
        "--as",
        "priya",
    ]);
    let rules = env.ok(&["rules"]);
    assert!(
        rules
            .lines()
            .any(|l| l.starts_with("wiki-oncall ") && l.contains(" suggest lead 1h grace 10m")),
        "{rules}"
    );
    let (_, err) = env.exits(
        1,
        &[
            "rule",
            "edit",
            "wiki-oncall",
            "--grace",
            "soon",
            "--as",
            "priya",
        ],
    );
    assert!(err.contains("--grace: \"soon\" is not a span"), "{err}");
}

#[test]
fn a_bad_apply_lead_or_grace_stops_the_sync_at_its_line() {
    let env = Env::new(20);
    let rules = env.org().join("rules.toml");
    // Each replaces pay-read's `apply = "auto"` (a team rule).
    for (bad, says) in [
        (
            "apply = \"sometimes\"",
            "apply must be \"suggest\" or \"auto\", not \"sometimes\"",
        ),
        (
            "apply = \"auto\"\nlead = \"soon\"",
            "lead: \"soon\" is not a span",
        ),
        (
            "apply = \"auto\"\ngrace = \"15m\"",
            "grace applies to a rule on a rotation",
        ),
    ] {
        let text = RULES.replacen("apply = \"auto\"", bad, 1);
        std::fs::write(&rules, text).unwrap_or_else(|e| panic!("{e}"));
        let (_, err) = env.exits(1, &["sync", "--org", &env.org_arg()]);
        assert!(err.contains("rules.toml:"), "{bad}: {err}");
        assert!(err.contains(says), "{bad}: {err}");
    }
    let areas_file = env.org().join("areas.toml");
    std::fs::write(
        &areas_file,
        areas(20).replace("max_auto_changes = 20", "max_auto_changes = -1"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (_, err) = env.exits(1, &["sync", "--org", &env.org_arg()]);
    assert!(
        err.contains("areas.toml:") && err.contains("max_auto_changes must be zero or more"),
        "{err}"
    );
}

#[test]
fn the_digest_lists_what_rules_applied_and_what_a_guard_holds_back() {
    let env = Env::new(1);
    env.exits(3, &["reconcile"]);
    let priya = env.ok(&["digest", "--as", "priya"]);
    assert!(priya.contains("APPLIED FOR YOU BY YOUR RULES"), "{priya}");
    assert!(
        priya.contains("grant bo pay-db:read by rule pay-read (#"),
        "{priya}"
    );
    assert!(
        priya.contains("revoke lee pay-db:read by rule pay-read"),
        "{priya}"
    );
    assert!(!priya.contains("HELD BACK"), "{priya}");
    let omar = env.ok(&["digest", "--as", "omar"]);
    assert!(omar.contains("AUTOMATIC CHANGES HELD BACK"), "{omar}");
    assert!(
        omar.contains(
            "area ops: 2 automatic changes in area ops at once, more than its max_auto_changes of 1"
        ),
        "{omar}"
    );
    assert!(
        omar.contains("grant ana -> ops:console (rule ops-console)"),
        "{omar}"
    );
    assert!(!omar.contains("APPLIED FOR YOU"), "{omar}");
}
