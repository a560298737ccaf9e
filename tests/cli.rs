//! The real binary on real files: sync, suggest, why, rules, decide, plan,
//! apply, audit, check and bad input, as a user runs them.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

const NOW: &str = "2026-03-02T12:00:00Z";

const PEOPLE: &str = "id,name,email,manager,status
cto,Casey Ortiz,casey@acme.test,,active
priya,Priya Raman,priya@acme.test,cto,active
omar,Omar Haddad,omar@acme.test,cto,active
ana,Ana Lima,ana@acme.test,priya,active
bo,Bo Chen,bo@acme.test,priya,active
lee,Lee Park,lee@acme.test,priya,left
";

const TEAMS: &str = r#"
[[team]]
id = "eng"
name = "Engineering"
lead = "cto"
members = ["cto"]

[[team]]
id = "payments"
name = "Payments"
parent = "eng"
lead = "priya"
members = ["priya", "ana", "bo"]
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

const TRAININGS: &str = "person,course,completed,expires
ana,pci,2026-01-10T00:00:00Z,2027-01-10T00:00:00Z
bo,pci,2025-01-10T00:00:00Z,2026-01-10T00:00:00Z
";

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
tags = ["pii"]
notes = "Card data: PCI scope."

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
id = "pay-read"
area = "payments"
author = "priya"
why = "Payments engineers read the DB to debug."
grant = ["pay-db:read"]
team = "payments"
trained = ["pci"]

[[rule]]
id = "pay-oncall-admin"
area = "payments"
author = "priya"
why = "Primary oncall administers the DB during incidents."
grant = ["pay-db:admin"]
rotation = "pay-primary"
only_while_oncall = true
"#;

const GRANTS: &str = "person,entitlement,granted_by,granted_at,basis,expires
bo,pay-db:read,priya,2025-06-01T00:00:00Z,rule:pay-read,
lee,ops:console,omar,2025-06-01T00:00:00Z,manual,
omar,pay-db:read,,2026-02-20T00:00:00Z,manual,
";

struct Org {
    _dir: tempfile::TempDir,
    org: PathBuf,
    db: PathBuf,
}

fn org() -> Org {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    std::fs::create_dir_all(&org).unwrap();
    for (name, body) in [
        ("people.csv", PEOPLE),
        ("teams.toml", TEAMS),
        ("rotations.toml", ROTATIONS),
        ("trainings.csv", TRAININGS),
        ("areas.toml", AREAS),
        ("rules.toml", RULES),
        ("grants.csv", GRANTS),
    ] {
        std::fs::write(org.join(name), body).unwrap();
    }
    let db = dir.path().join("cache").join("steward.db");
    Org { org, db, _dir: dir }
}

fn steward(o: &Org) -> Command {
    let mut c = Command::cargo_bin("steward").unwrap();
    c.env_remove("STEWARD_AS")
        .env("STEWARD_NOW", NOW)
        .env("STEWARD_DB", &o.db)
        .env("STEWARD_CONFIG", o.org.join("no-config.toml"))
        .env("STEWARD_LOG_DIR", o.org.parent().unwrap().join("logs"));
    c
}

fn synced() -> Org {
    let o = org();
    steward(&o)
        .args(["sync", "--org"])
        .arg(&o.org)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            ": 6 people, 2 teams, 1 rotations, 2 trainings, 3 areas, 3 entitlements, 3 grants, 0 delegations, 2 rules\n",
        ));
    o
}

fn json(out: &[u8]) -> Vec<serde_json::Value> {
    serde_json::from_slice(out).unwrap()
}

fn keys(v: &[serde_json::Value]) -> Vec<String> {
    v.iter()
        .map(|s| {
            format!(
                "{} {} {} {}",
                s["kind"].as_str().unwrap(),
                s["person"].as_str().unwrap(),
                s["entitlement"].as_str().unwrap(),
                s["reason"].as_str().unwrap()
            )
        })
        .collect()
}

fn suggest_json(o: &Org, extra: &[&str]) -> Vec<serde_json::Value> {
    let out = steward(o)
        .args(["suggest", "--json"])
        .args(extra)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    json(&out)
}

#[test]
fn suggest_reads_the_directory_directly_and_prints_design_json() {
    let o = org();
    let out = steward(&o)
        .args(["suggest", "--json", "--org"])
        .arg(&o.org)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v = json(&out);
    // Without --as (or `me`): the whole organization, and stderr says so.
    steward(&o)
        .args(["suggest", "--json", "--org"])
        .arg(&o.org)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "no --as and no `me` in the config: every suggestion in the organization",
        ));
    assert_eq!(
        keys(&v),
        vec![
            "revoke lee ops:console person_left",
            "grant ana pay-db:admin on_call",
            "grant ana pay-db:read qualifies",
            "revoke bo pay-db:read training_expired",
            "review omar pay-db:read existing_membership",
        ]
    );
    let first = &v[0];
    for field in [
        "kind",
        "person",
        "entitlement",
        "area",
        "reason",
        "evidence",
        "rule",
    ] {
        assert!(first.get(field).is_some(), "missing {field}");
    }
    assert_eq!(v[1]["rule"], "pay-oncall-admin");
    assert!(v[4]["rule"].is_null());
    // No cache was needed.
    assert!(!o.db.exists());
}

#[test]
fn as_limits_to_scope_and_now_moves_the_clock() {
    let o = synced();
    let omar = suggest_json(&o, &["--as", "omar"]);
    assert_eq!(keys(&omar), vec!["revoke lee ops:console person_left"]);
    // After ana's shift ends, the only-while-oncall grant is no longer suggested.
    let later = suggest_json(&o, &["--as", "priya", "--now", "2026-03-09T09:00:00Z"]);
    assert!(
        !keys(&later).iter().any(|k| k.contains("pay-db:admin")),
        "{later:?}"
    );
    steward(&o)
        .args(["suggest", "--as", "nobody"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown person \"nobody\""));
}

#[test]
fn sync_status_and_a_failed_sync_keeps_the_cache() {
    let o = synced();
    steward(&o)
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains("files").and(predicate::str::contains("6 people")));
    // Break a file: the sync fails naming it, and the cache still answers as before.
    std::fs::write(
        o.org.join("people.csv"),
        "id,name,email,manager,status\nana,Ana,a@x,,sometimes\n",
    )
    .unwrap();
    steward(&o)
        .args(["sync", "--org"])
        .arg(&o.org)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "people.csv:2:5: column `status`: must be `active` or `left`",
        ));
    assert_eq!(suggest_json(&o, &[]).len(), 5);
    steward(&o)
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains("LAST SYNC FAILED"));
}

#[test]
fn a_bad_row_deep_in_grants_csv_rolls_back_rows_already_written() {
    // grants.csv is streamed into the open transaction in batches while it is
    // parsed: rows before the bad one are already inserted when it is found.
    let o = synced();
    let before = suggest_json(&o, &[]);
    let good = std::fs::read_to_string(o.org.join("grants.csv")).unwrap();
    let mut big = good.clone();
    for i in 0..30_000 {
        big.push_str(&format!(
            "ana,pay-db:read,priya,2026-01-0{}T00:00:00Z,manual,\n",
            1 + i % 9
        ));
    }
    let bad_line = big.lines().count() + 1;
    big.push_str("ana,pay-db:read,priya,2026-01-01T00:00:00Z,whenever,\n");
    std::fs::write(o.org.join("grants.csv"), &big).unwrap();
    steward(&o)
        .args(["sync", "--org"])
        .arg(&o.org)
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!(
            "grants.csv:{bad_line}:5: column `basis`: must be `manual` or `rule:<id>`"
        )));
    assert_eq!(
        suggest_json(&o, &[]),
        before,
        "the cache keeps its previous data"
    );
    steward(&o)
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains("LAST SYNC FAILED"));

    // With people.csv broken too, its error comes first, as files are read in order.
    std::fs::write(
        o.org.join("people.csv"),
        "id,name,email,manager,status\nana,Ana,a@x,,sometimes\n",
    )
    .unwrap();
    steward(&o)
        .args(["sync", "--org"])
        .arg(&o.org)
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("people.csv:2:5")
                .and(predicate::str::contains("grants.csv").not()),
        );

    // Mended, the big file syncs whole.
    std::fs::write(o.org.join("people.csv"), PEOPLE).unwrap();
    std::fs::write(
        o.org.join("grants.csv"),
        &big[..big.len() - "ana,pay-db:read,priya,2026-01-01T00:00:00Z,whenever,\n".len()],
    )
    .unwrap();
    steward(&o)
        .args(["sync", "--org"])
        .arg(&o.org)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{} grants",
            good.lines().count() - 1 + 30_000
        )));
}

#[test]
fn why_prints_the_chain_or_the_failing_condition() {
    let o = synced();
    steward(&o)
        .args(["why", "ana", "pay-db:admin"])
        .assert()
        .success()
        .stdout(predicate::str::contains("rule pay-oncall-admin"))
        .stdout(predicate::str::contains("JUSTIFIES it"))
        .stdout(predicate::str::contains(
            "on call now: shift 2026-03-02 09:00Z -> 2026-03-09 09:00Z",
        ))
        .stdout(predicate::str::contains("root owner cto"));
    steward(&o)
        .args(["why", "bo", "pay-db:read"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "training pci expired on 2026-01-10",
        ));
    steward(&o)
        .args(["why", "zed", "pay-db:read"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown person"));
}

#[test]
fn rules_reports_whether_each_counts() {
    let o = org();
    let rules = RULES.to_string()
        + "\n[[rule]]\nid = \"sneaky\"\narea = \"payments\"\nauthor = \"omar\"\ngrant = [\"pay-db:admin\"]\nteam = \"eng\"\n";
    std::fs::write(o.org.join("rules.toml"), rules).unwrap();
    steward(&o)
        .args(["rules", "--org"])
        .arg(&o.org)
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(
                r"sneaky\s+payments\s+omar\s+NO\s+suggest\s+0\s+files\s+its author omar has no authority",
            )
            .unwrap(),
        );
}

#[test]
fn decide_refuses_outside_scope_and_writes_nothing() {
    let o = synced();
    steward(&o)
        .args(["decide", "accept", "ana", "pay-db:read", "--as", "omar"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "refused: omar has no authority over area payments",
        ));
    steward(&o)
        .args(["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 entries"));
    steward(&o)
        .args(["decide", "dismiss", "ana", "pay-db:read", "--as", "priya"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("needs --reason"));
    steward(&o)
        .args(["decide", "accept", "ana", "ops:console", "--as", "omar"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "no suggestion for ana and ops:console",
        ));
    steward(&o)
        .args(["decide", "accept", "ana", "nope", "--as", "priya"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown entitlement \"nope\""));
    steward(&o)
        .args(["decide", "accept", "ana", "pay-db:read"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--as PERSON"));
}

#[test]
fn dismissals_and_snoozes_hold_until_their_end() {
    let o = synced();
    steward(&o)
        .args([
            "decide",
            "dismiss",
            "bo",
            "pay-db:read",
            "--as",
            "priya",
            "--reason",
            "renewing pci this week",
        ])
        .assert()
        .success();
    steward(&o)
        .args([
            "decide",
            "snooze",
            "ana",
            "pay-db:read",
            "--as",
            "priya",
            "--until",
            "3d",
        ])
        .assert()
        .success();
    let now = keys(&suggest_json(&o, &["--as", "priya"]));
    assert_eq!(
        now,
        vec![
            "grant ana pay-db:admin on_call",
            "review omar pay-db:read existing_membership"
        ]
    );
    // Three days later the snooze has ended; the dismissal holds (same facts).
    let later = keys(&suggest_json(
        &o,
        &["--as", "priya", "--now", "2026-03-05T12:00:01Z"],
    ));
    assert!(
        later.contains(&"grant ana pay-db:read qualifies".to_string()),
        "{later:?}"
    );
    assert!(
        !later.iter().any(|k| k.starts_with("revoke bo")),
        "{later:?}"
    );
    // --all shows decided ones too.
    assert_eq!(suggest_json(&o, &["--as", "priya", "--all"]).len(), 4);
}

#[test]
fn accept_plan_apply_is_idempotent_and_audited() {
    let o = synced();
    steward(&o)
        .args(["decide", "accept", "ana", "pay-db:read", "--as", "priya"])
        .assert()
        .success();
    steward(&o)
        .args(["decide", "accept", "bo", "pay-db:read", "--as", "priya"])
        .assert()
        .success();
    steward(&o)
        .args(["decide", "revoke", "omar", "pay-db:read", "--as", "priya"])
        .assert()
        .success();
    steward(&o)
        .args(["plan", "--as", "priya"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "add ana -> pay-db:read, granted by priya, basis rule:pay-read",
        ))
        .stdout(predicate::str::contains("remove bo -> pay-db:read"))
        .stdout(predicate::str::contains("remove omar -> pay-db:read"));
    // Omar cannot apply priya's area.
    steward(&o)
        .args(["apply", "--as", "omar"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "refused: omar has no authority over area payments",
        ));
    let before = std::fs::read_to_string(o.org.join("grants.csv")).unwrap();
    steward(&o)
        .args(["apply", "--as", "priya", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::contains("would: #1"));
    assert_eq!(
        std::fs::read_to_string(o.org.join("grants.csv")).unwrap(),
        before
    );
    steward(&o)
        .args(["apply", "--as", "priya"])
        .assert()
        .success()
        .stdout(predicate::str::contains("3 applied, 0 failed"));
    let grants = std::fs::read_to_string(o.org.join("grants.csv")).unwrap();
    assert!(
        grants.contains("ana,pay-db:read,priya,2026-03-02T12:00:00Z,rule:pay-read,"),
        "{grants}"
    );
    assert!(
        !grants.contains("bo,pay-db:read") && !grants.contains("omar,pay-db:read"),
        "{grants}"
    );
    // Applied suggestions are gone, after apply's own re-sync and after a fresh one.
    let left = keys(&suggest_json(&o, &["--as", "priya", "--all"]));
    assert_eq!(left, vec!["grant ana pay-db:admin on_call"]);
    steward(&o)
        .args(["sync", "--org"])
        .arg(&o.org)
        .assert()
        .success();
    assert_eq!(keys(&suggest_json(&o, &["--as", "priya", "--all"])), left);
    // Running apply again changes nothing.
    steward(&o)
        .args(["apply", "--as", "priya"])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing planned"));
    assert_eq!(
        std::fs::read_to_string(o.org.join("grants.csv")).unwrap(),
        grants
    );
    steward(&o)
        .args(["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("6 entries verified"));
    steward(&o)
        .args(["audit", "export", "--jsonl"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("\"action\":\"apply\"")
                .and(predicate::str::contains("\"prev_hash\"")),
        );
}

#[test]
fn undo_takes_a_decision_back_and_keeps_both_in_the_audit() {
    let o = synced();
    steward(&o)
        .args(["decide", "accept", "ana", "pay-db:read", "--as", "priya"])
        .assert()
        .success();
    steward(&o)
        .args(["undo", "--as", "priya"])
        .assert()
        .success()
        .stdout(predicate::str::contains("undone decision 1"));
    steward(&o)
        .args(["plan"])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing planned"));
    steward(&o)
        .args(["audit"])
        .assert()
        .success()
        .stdout(predicate::str::contains("decide").and(predicate::str::contains("undo")));
    assert!(
        keys(&suggest_json(&o, &["--as", "priya"]))
            .contains(&"grant ana pay-db:read qualifies".to_string())
    );
}

#[test]
fn check_reports_unknown_references_one_line_each() {
    let o = org();
    std::fs::write(o.org.join("grants.csv"), GRANTS.to_string() + "ghost,pay-db:read,priya,2026-01-01T00:00:00Z,manual,\nana,nope:read,priya,2026-01-01T00:00:00Z,rule:missing,\n").unwrap();
    let out = steward(&o)
        .args(["check", "--org"])
        .arg(&o.org)
        .assert()
        .failure()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("grants.csv: grant of pay-db:read: unknown person \"ghost\""),
        "{text}"
    );
    assert!(
        text.contains("grants.csv: grant to ana: unknown entitlement \"nope:read\""),
        "{text}"
    );
    assert!(
        text.contains("basis names unknown rule \"missing\""),
        "{text}"
    );
    assert_eq!(text.lines().count(), 3, "{text}");
    // A clean org passes.
    let clean = org();
    steward(&clean)
        .args(["check", "--org"])
        .arg(&clean.org)
        .assert()
        .success();
    // And suggest still works on the broken one.
    steward(&o)
        .args(["suggest", "--org"])
        .arg(&o.org)
        .assert()
        .success();
}

#[test]
fn bad_input_is_named_with_file_and_line() {
    let o = org();
    std::fs::write(o.org.join("rotations.toml"), "[[rotation]]\nid = \"x\"\n[[rotation.shift]]\nperson = \"ana\"\nstart = \"soon\"\nend = \"2026-01-01T00:00:00Z\"\n").unwrap();
    steward(&o)
        .args(["suggest", "--org"])
        .arg(&o.org)
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("rotations.toml:5").and(predicate::str::contains("\"soon\"")),
        );
    steward(&o)
        .args(["suggest", "--now", "yesterday-ish"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--now / STEWARD_NOW: not a time"));
    steward(&o)
        .arg("status")
        .assert()
        .failure()
        .stderr(predicate::str::contains("no cache at"));
    let missing: &Path = &o.org.join("missing");
    steward(&o)
        .args(["sync", "--org"])
        .arg(missing)
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a directory"));
}

#[test]
fn ics_feeds_add_shifts_matched_by_email() {
    let o = org();
    std::fs::create_dir_all(o.org.join("rotations")).unwrap();
    std::fs::write(
        o.org.join("rotations/pay-primary.ics"),
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260302T090000Z\r\nDTEND:20260309T090000Z\r\nSUMMARY:On call\r\nATTENDEE:mailto:BO@acme.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    let v = steward(&o)
        .args(["suggest", "--json", "--org"])
        .arg(&o.org)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let k = keys(&json(&v));
    assert!(
        k.contains(&"grant bo pay-db:admin on_call".to_string()),
        "{k:?}"
    );
}

#[test]
fn files_steward_creates_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let o = synced();
    let mode = std::fs::metadata(&o.db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(o.db.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700);
}

#[test]
fn help_explains_each_command_with_an_example() {
    let help = |args: &[&str]| {
        let out = Command::cargo_bin("steward")
            .unwrap()
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    // Every subcommand `steward --help` lists, not a list kept here.
    let top = help(&["--help"]);
    let commands: Vec<&str> = top
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    for known in ["suggest", "decide", "delegate", "digest", "audit", "gen"] {
        assert!(commands.contains(&known), "{known} in {commands:?}");
    }
    for cmd in commands {
        let text = help(&[cmd, "--help"]);
        // The example is in the description, before clap's usage line
        // (which names the command too).
        let about = &text[..text.find("\nUsage: ").unwrap_or(text.len())];
        let examples = about
            .find("Example")
            .map(|at| &about[at..])
            .unwrap_or_else(|| panic!("`steward {cmd} --help` gives no example:\n{text}"));
        let names_it = examples
            .match_indices(&format!("steward {cmd}"))
            .any(|(at, m)| {
                examples[at + m.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c.is_whitespace() || c == ';')
            });
        assert!(
            names_it,
            "`steward {cmd} --help`: no example runs `steward {cmd}`:\n{examples}"
        );
    }
    Command::cargo_bin("steward")
        .unwrap()
        .args(["suggest", "--bogus"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--bogus"));
}

#[test]
fn delegation_grants_authority_until_it_is_ended_and_apply_rechecks() {
    let o = synced();
    steward(&o)
        .args(["decide", "accept", "ana", "pay-db:read", "--as", "omar"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("refused"));
    steward(&o)
        .args(["delegate", "payments", "--to", "omar", "--as", "ana"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "refused: ana has no authority over area payments",
        ));
    steward(&o)
        .args([
            "delegate", "payments", "--to", "omar", "--as", "priya", "--until", "4w",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "delegation 1: omar now decides for payments",
        ));
    steward(&o)
        .args(["delegations", "--as", "omar"])
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(
                r"1\s+payments\s+omar\s+priya\s+2026-03-02\s+2026-03-30\s+active",
            )
            .unwrap(),
        );
    // A fresh sync of the org directory keeps delegations made in steward.
    steward(&o)
        .args(["sync", "--org"])
        .arg(&o.org)
        .assert()
        .success();
    steward(&o)
        .args(["decide", "accept", "ana", "pay-db:read", "--as", "omar"])
        .assert()
        .success();
    // The delegation ends before the decision is applied: apply refuses it,
    // says so and records it, whoever runs it (omar himself here).
    steward(&o)
        .args([
            "undelegate",
            "1",
            "--as",
            "priya",
            "--now",
            "2026-03-02T13:00:00Z",
        ])
        .assert()
        .success();
    steward(&o)
        .args(["apply", "--as", "omar", "--now", "2026-03-02T14:00:00Z"])
        .assert()
        .failure()
        .stdout(predicate::str::contains(
            "refused: decider omar no longer has authority over area payments",
        ));
    steward(&o)
        .args(["apply", "--as", "priya", "--now", "2026-03-02T14:00:00Z"])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing planned"));
    assert!(
        !std::fs::read_to_string(o.org.join("grants.csv"))
            .unwrap()
            .contains("ana,pay-db:read")
    );
    steward(&o).args(["audit"]).assert().success().stdout(
        predicate::str::contains("delegate")
            .and(predicate::str::contains("undelegate"))
            .and(predicate::str::contains("no longer has authority")),
    );
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    // `steward suggest | head`: the reader is gone before steward writes.
    let o = org();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("steward"))
        .args(["suggest", "--org"])
        .arg(&o.org)
        .env("STEWARD_NOW", NOW)
        .env("STEWARD_CONFIG", o.org.join("no-config.toml"))
        .env("STEWARD_LOG_DIR", o.org.parent().unwrap().join("logs"))
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
