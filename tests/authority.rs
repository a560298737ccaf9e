//! Authority everywhere: one table of every action against every kind of
//! actor, on the real binary and a real org directory.
//!
//! Each cell starts from a fresh organization (synced into a fresh cache),
//! prepares what the action needs (a decision to undo or apply, a delegation
//! to end, a rule to edit), then runs the action as the cell's actor at NOW.
//! An allowed cell succeeds and writes; a refused cell exits non-zero, names
//! the actor and the area, and leaves the decisions, rules, delegations, audit
//! log and grants.csv exactly as they were.

mod support;

use assert_cmd::Command;
use std::path::PathBuf;

const NOW: &str = "2026-03-02T12:00:00Z";
/// After dana's delegation ended (2026-03-12), before anything else changes.
const LATER: &str = "2026-03-20T12:00:00Z";

const PEOPLE: &str = "id,name,email,manager,status
cto,Casey Ortiz,casey@acme.test,,active
priya,Priya Raman,priya@acme.test,cto,active
omar,Omar Haddad,omar@acme.test,cto,active
dana,Dana Scully,dana@acme.test,priya,active
ed,Ed Ames,ed@acme.test,priya,active
sib,Sib Ling,sib@acme.test,omar,active
stan,Stan Ger,stan@acme.test,cto,active
ana,Ana Lima,ana@acme.test,priya,active
bo,Bo Chen,bo@acme.test,priya,active
";

const TEAMS: &str = r#"
[[team]]
id = "payments"
name = "Payments"
lead = "priya"
members = ["priya", "ana"]

[[team]]
id = "dba"
name = "Database administrators"
lead = "priya"
members = ["dana"]

[[team]]
id = "exec"
name = "Executives"
lead = "cto"
members = ["cto"]
"#;

/// `root` (cto) above the area under test, `payments` (priya), and its
/// sibling `ops` (omar).
const AREAS: &str = r#"
[[area]]
id = "root"
name = "Acme"
owner = "cto"

[[area.entitlement]]
id = "acme:admin"
name = "Administer Acme"

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

/// dana: active delegate of payments (until 2026-03-12); ed: a delegation of
/// payments that ended; sib: active delegate of the sibling ops.
const DELEGATIONS: &str = r#"
[[delegation]]
area = "payments"
to = "dana"
by = "priya"
since = "2026-01-01T00:00:00Z"
until = "2026-03-12T00:00:00Z"

[[delegation]]
area = "payments"
to = "ed"
by = "priya"
since = "2025-01-01T00:00:00Z"
until = "2026-01-01T00:00:00Z"

[[delegation]]
area = "ops"
to = "sib"
by = "omar"
since = "2026-01-01T00:00:00Z"
"#;

const RULES: &str = r#"
[[rule]]
id = "pay-read"
area = "payments"
author = "priya"
why = "Payments engineers read the DB."
grant = ["pay-db:read"]
team = "payments"

[[rule]]
id = "dba-admin"
area = "payments"
author = "priya"
why = "Database administrators administer the DB."
grant = ["pay-db:admin"]
team = "dba"

[[rule]]
id = "exec-admin"
area = "root"
author = "cto"
why = "Executives administer Acme."
grant = ["acme:admin"]
team = "exec"
"#;

/// Priya holds pay-db:read already; ana lacks it (a grant suggestion); bo's
/// admin grant rests on a rule that no longer exists (a revoke suggestion);
/// bo's read grant was made by stan, who has no authority (a review). dana
/// (a dba) and cto (an executive) qualify for admin access of their own.
const GRANTS: &str = "person,entitlement,granted_by,granted_at,basis,expires
priya,pay-db:read,priya,2026-01-05T00:00:00Z,rule:pay-read,
bo,pay-db:admin,priya,2026-01-05T00:00:00Z,rule:retired,
bo,pay-db:read,stan,2026-01-05T00:00:00Z,manual,
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Accept,
    Revoke,
    Dismiss,
    Snooze,
    Undo,
    Delegate,
    Undelegate,
    RuleAdd,
    RuleEdit,
    RuleRemove,
    Apply,
}

/// The columns: each kind of actor, and who plays it.
const ACTORS: [(&str, &str); 6] = [
    ("owner of the area", "priya"),
    ("owner of an ancestor area", "cto"),
    ("active delegate", "dana"),
    ("expired delegate", "ed"),
    ("delegate of a sibling subtree", "sib"),
    ("stranger", "stan"),
];

const Y: bool = true;
const N: bool = false;

/// The table: may each actor (columns as in ACTORS) do each action on area
/// payments at NOW?
const TABLE: [(Action, [bool; 6]); 11] = [
    //                      owner anc  active expired sibling stranger
    (Action::Accept, /*      */ [Y, Y, Y, N, N, N]),
    (Action::Revoke, /*      */ [Y, Y, Y, N, N, N]),
    (Action::Dismiss, /*     */ [Y, Y, Y, N, N, N]),
    (Action::Snooze, /*      */ [Y, Y, Y, N, N, N]),
    (Action::Undo, /*        */ [Y, Y, Y, N, N, N]),
    (Action::Delegate, /*    */ [Y, Y, Y, N, N, N]),
    (Action::Undelegate, /*  */ [Y, Y, Y, N, N, N]),
    (Action::RuleAdd, /*     */ [Y, Y, Y, N, N, N]),
    (Action::RuleEdit, /*    */ [Y, Y, Y, N, N, N]),
    (Action::RuleRemove, /*  */ [Y, Y, Y, N, N, N]),
    (Action::Apply, /*       */ [Y, Y, Y, N, N, N]),
];

struct Org {
    dir: tempfile::TempDir,
    org: PathBuf,
    db: PathBuf,
}

fn fresh() -> Org {
    let dir = support::synced_org(
        &[
            ("people.csv", PEOPLE),
            ("teams.toml", TEAMS),
            ("areas.toml", AREAS),
            ("delegations.toml", DELEGATIONS),
            ("rules.toml", RULES),
            ("grants.csv", GRANTS),
            ("rotations.toml", ""),
            ("trainings.csv", ""),
        ],
        NOW,
    );
    Org {
        db: dir.path().join("steward.db"),
        org: dir.path().join("org"),
        dir,
    }
}

fn steward(o: &Org, now: &str) -> std::process::Command {
    support::steward_in(o.dir.path(), now)
}

fn run_ok(o: &Org, now: &str, args: &[&str]) -> String {
    let out = steward(o, now).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "steward {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Everything an action could write: the rows of decisions, rules,
/// delegations and audit, and grants.csv.
#[derive(Debug, PartialEq, Eq)]
struct Written {
    decisions: Vec<String>,
    rules: Vec<String>,
    delegations: Vec<String>,
    audit: Vec<String>,
    grants_csv: String,
}

fn rows(conn: &rusqlite::Connection, table: &str) -> Vec<String> {
    let mut st = conn
        .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
        .unwrap();
    let n = st.column_count();
    st.query_map([], |r| {
        let cells: Vec<String> = (0..n)
            .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
            .collect();
        Ok(cells.join("|"))
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

fn written(o: &Org) -> Written {
    let conn =
        rusqlite::Connection::open_with_flags(&o.db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    Written {
        decisions: rows(&conn, "decisions"),
        rules: rows(&conn, "rules"),
        delegations: rows(&conn, "delegations"),
        audit: rows(&conn, "audit"),
        grants_csv: std::fs::read_to_string(o.org.join("grants.csv")).unwrap(),
    }
}

/// The number in "decision N" / "delegation N" of a command's output.
fn id_after(text: &str, word: &str) -> String {
    let rest = text
        .split(word)
        .nth(1)
        .unwrap_or_else(|| panic!("no {word:?} in {text}"));
    rest.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect()
}

/// Prepares what `action` needs in `o` (as priya, who may), and returns the
/// action's arguments, without `--as`.
fn prepare(o: &Org, action: Action) -> Vec<String> {
    let args: &[&str] = match action {
        Action::Accept => &["decide", "accept", "ana", "pay-db:read"],
        Action::Revoke => &["decide", "revoke", "bo", "pay-db:read"],
        Action::Dismiss => &[
            "decide",
            "dismiss",
            "ana",
            "pay-db:read",
            "--reason",
            "she moves team next week",
        ],
        Action::Snooze => &["decide", "snooze", "ana", "pay-db:read", "--until", "2w"],
        Action::Undo => {
            let out = run_ok(
                o,
                NOW,
                &["decide", "accept", "ana", "pay-db:read", "--as", "priya"],
            );
            return vec!["undo".into(), id_after(&out, "recorded decision")];
        }
        Action::Delegate => &["delegate", "payments", "--to", "ana"],
        Action::Undelegate => {
            let out = run_ok(
                o,
                NOW,
                &["delegate", "payments", "--to", "bo", "--as", "priya"],
            );
            return vec!["undelegate".into(), id_after(&out, "delegation")];
        }
        Action::RuleAdd => &[
            "rule",
            "add",
            "--id",
            "oncall-admin",
            "--area",
            "payments",
            "--grant",
            "pay-db:admin",
            "--team",
            "payments",
            "--why",
            "admins of the ledger",
        ],
        Action::RuleEdit | Action::RuleRemove => {
            run_ok(
                o,
                NOW,
                &[
                    "rule",
                    "add",
                    "--id",
                    "local",
                    "--area",
                    "payments",
                    "--grant",
                    "pay-db:admin",
                    "--team",
                    "payments",
                    "--why",
                    "admins of the ledger",
                    "--as",
                    "priya",
                ],
            );
            if action == Action::RuleEdit {
                &["rule", "edit", "local", "--why", "ledger admins, reviewed"]
            } else {
                &["rule", "remove", "local", "--reason", "no longer needed"]
            }
        }
        Action::Apply => {
            run_ok(
                o,
                NOW,
                &["decide", "accept", "ana", "pay-db:read", "--as", "priya"],
            );
            &["apply"]
        }
    };
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_action_checks_the_actors_authority_over_the_area_at_that_moment() {
    let mut failures = Vec::new();
    for (action, row) in TABLE {
        for ((kind, actor), allowed) in ACTORS.iter().zip(row) {
            let o = fresh();
            let args = prepare(&o, action);
            let before = written(&o);
            let out = steward(&o, NOW)
                .args(&args)
                .args(["--as", actor])
                .output()
                .unwrap();
            let after = written(&o);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let cell = format!("{action:?} by {kind} ({actor})");
            if allowed {
                if !out.status.success() {
                    failures.push(format!("{cell}: refused but should be allowed: {stderr}"));
                } else if after.audit.len() <= before.audit.len() {
                    failures.push(format!("{cell}: allowed but audited nothing"));
                } else if action == Action::Apply && after.grants_csv == before.grants_csv {
                    failures.push(format!("{cell}: apply left grants.csv unchanged"));
                }
            } else if out.status.success() {
                failures.push(format!("{cell}: allowed but should be refused"));
            } else if !(stderr.contains(actor) && stderr.contains("area payments")) {
                failures.push(format!(
                    "{cell}: the error does not name the actor and area payments: {stderr}"
                ));
            } else if after != before {
                failures.push(format!(
                    "{cell}: refused but wrote something:\n  before {before:?}\n  after  {after:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A decision taken under a delegation that ended before apply is not
/// applied, and the audit log says why.
#[test]
fn apply_refuses_a_decision_whose_delegate_lost_authority_before_apply() {
    let o = fresh();
    run_ok(
        &o,
        NOW,
        &["decide", "accept", "ana", "pay-db:read", "--as", "dana"],
    );
    let before = written(&o);
    let out = steward(&o, LATER)
        .args(["apply", "--as", "priya"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "applied: {stdout}");
    assert!(
        stdout.contains("decider dana no longer has authority over area payments"),
        "{stdout}"
    );
    let after = written(&o);
    assert_eq!(after.grants_csv, before.grants_csv);
    let last = after.audit.last().unwrap();
    assert!(
        last.contains("apply") && last.contains("no longer has authority"),
        "{last}"
    );
    assert_eq!(after.audit.len(), before.audit.len() + 1);
    // dana herself, once her delegation ended: not applied, said and audited
    // (her decision is outside her scope now, but it is hers).
    let o = fresh();
    run_ok(
        &o,
        NOW,
        &["decide", "accept", "ana", "pay-db:read", "--as", "dana"],
    );
    let before = written(&o);
    let out = steward(&o, LATER)
        .args(["apply", "--as", "dana"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "applied: {stdout}");
    assert!(
        stdout.contains("FAILED: refused: decider dana no longer has authority over area payments"),
        "{stdout}"
    );
    let after = written(&o);
    assert_eq!(after.grants_csv, before.grants_csv);
    assert_eq!(after.audit.len(), before.audit.len() + 1);
    assert!(
        after
            .audit
            .last()
            .unwrap()
            .contains("no longer has authority")
    );
    // The same decision, applied while dana still had authority, goes through.
    let o = fresh();
    run_ok(
        &o,
        NOW,
        &["decide", "accept", "ana", "pay-db:read", "--as", "dana"],
    );
    run_ok(&o, "2026-03-05T12:00:00Z", &["apply", "--as", "priya"]);
    assert!(
        std::fs::read_to_string(o.org.join("grants.csv"))
            .unwrap()
            .contains("ana,pay-db:read,dana")
    );
}

/// Runs an action that must be refused; its stderr.
fn refused(o: &Org, args: &[&str]) -> String {
    let out = steward(o, NOW).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{args:?} was allowed");
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    // The gate's refusal, as it is.
    assert!(stderr.starts_with("refused: "), "{args:?}: {stderr}");
    stderr
}

/// Nobody decides about their own access, nor delegates to themselves: the
/// refusal names who decides instead, and nothing is written. The root
/// owner about themselves is allowed, and audited as `self`.
#[test]
fn nobody_decides_about_their_own_access_and_the_refusal_names_who_does() {
    let o = fresh();
    // What dana is shown does not change: her own admin grant is suggested.
    let listed = run_ok(&o, NOW, &["suggest", "--as", "dana"]);
    assert!(
        listed
            .lines()
            .any(|l| l.contains("dana") && l.contains("pay-db:admin")),
        "{listed}"
    );
    let before = written(&o);
    let err = refused(
        &o,
        &["decide", "accept", "dana", "pay-db:admin", "--as", "dana"],
    );
    assert!(
        err.contains(
            "refused: dana cannot accept grant dana pay-db:admin: it is about dana's own access \
             (pay-db:admin, area payments), and nobody decides about their own access; \
             priya (owner of area payments) decides it"
        ),
        "{err}"
    );
    let err = refused(
        &o,
        &["delegate", "payments", "--to", "dana", "--as", "dana"],
    );
    assert!(
        err.contains(
            "refused: dana cannot delegate area payments to dana: nobody delegates to themselves; \
             priya (owner of area payments) decides who else decides for area payments"
        ),
        "{err}"
    );
    // The owner of payments delegating to herself: the root owner decides.
    let err = refused(
        &o,
        &["delegate", "payments", "--to", "priya", "--as", "priya"],
    );
    assert!(
        err.contains("cto (owner of area root) decides who else decides for area payments"),
        "{err}"
    );
    assert_eq!(written(&o), before);

    // priya decides dana's; cto, who owns the root, his own (audited as self).
    run_ok(
        &o,
        NOW,
        &["decide", "accept", "dana", "pay-db:admin", "--as", "priya"],
    );
    run_ok(
        &o,
        NOW,
        &["decide", "accept", "cto", "acme:admin", "--as", "cto"],
    );
    let audit = written(&o).audit;
    let (priyas, ctos) = (&audit[audit.len() - 2], &audit[audit.len() - 1]);
    assert!(!priyas.contains("\\\"self\\\""), "{priyas}");
    assert!(ctos.contains("\\\"self\\\":true"), "{ctos}");
}

/// The demo's manager delegating part of what he owns to himself.
#[test]
fn delegating_to_oneself_in_the_demo_is_refused_naming_who_decides() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut demo = Command::cargo_bin("steward").unwrap();
    demo.env_remove("STEWARD_AS")
        .env("STEWARD_CONFIG", dir.path().join("none.toml"))
        .env("STEWARD_LOG_DIR", dir.path().join("logs"))
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "--now",
            NOW,
            "demo",
            "--print",
        ]);
    assert!(demo.output().unwrap().status.success());
    let out = Command::cargo_bin("steward")
        .unwrap()
        .env_remove("STEWARD_AS")
        .env("STEWARD_CONFIG", dir.path().join("none.toml"))
        .env("STEWARD_LOG_DIR", dir.path().join("logs"))
        .env("STEWARD_DB", data.join("demo").join("steward.db"))
        .env("STEWARD_NOW", NOW)
        .args(["delegate", "stripe", "--to", "marcus", "--as", "marcus"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "refused: marcus cannot delegate area stripe to marcus: nobody delegates to themselves; \
             david (owner of area larkspur) decides who else decides for area stripe"
        ),
        "{err}"
    );
}
