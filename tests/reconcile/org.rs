//! The organization the reconcile tests run on: priya owns payments (two
//! automatic rules, one only while on call with lead and grace, one that
//! suggests), omar owns operations (its `max_auto_changes` given), grants
//! some justified, some not; synced into a fresh cache, with the real
//! binary at a fixed instant.
#![allow(dead_code)]

#[path = "../support/mod.rs"]
mod support;

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Output, Stdio};

pub const NOW: &str = "2026-03-02T12:00:00Z";

pub const PEOPLE: &str = "id,name,email,manager,status
root,Rhea Root,root@acme.test,,active
priya,Priya Raman,priya@acme.test,root,active
omar,Omar Haddad,omar@acme.test,root,active
ana,Ana Lima,ana@acme.test,priya,active
bo,Bo Chen,bo@acme.test,priya,active
cy,Cy Diaz,cy@acme.test,priya,active
dee,Dee Park,dee@acme.test,priya,active
eve,Eve Stone,eve@acme.test,omar,active
lee,Lee Wong,lee@acme.test,priya,left
";

pub const TEAMS: &str = r#"
[[team]]
id = "pay-api"
name = "Payments API"
lead = "priya"
members = ["ana", "bo"]

[[team]]
id = "ops-team"
name = "Operations"
lead = "omar"
members = ["eve"]
"#;

/// ana on call 08:00-16:00, bo 16:00-24:00.
pub const ROTATIONS: &str = r#"
[[rotation]]
id = "pay-oncall"
name = "Payments on call"
team = "pay-api"
members = ["ana", "bo"]

[[rotation.shift]]
person = "ana"
start = "2026-03-02T08:00:00Z"
end = "2026-03-02T16:00:00Z"

[[rotation.shift]]
person = "bo"
start = "2026-03-02T16:00:00Z"
end = "2026-03-03T00:00:00Z"
"#;

pub fn areas(ops_max: u32) -> String {
    format!(
        r#"
[[area]]
id = "all"
name = "Acme"
owner = "root"

[[area]]
id = "pay"
name = "Payments"
parent = "all"
owner = "priya"

[[area.entitlement]]
id = "pay:wiki"
name = "Payments wiki"

[[area]]
id = "pay-db"
name = "Payments DB"
parent = "pay"
owner = "priya"

[[area.entitlement]]
id = "pay-db:read"
name = "Read"

[[area.entitlement]]
id = "pay-db:admin"
name = "Administer"

[[area]]
id = "ops"
name = "Operations"
parent = "all"
owner = "omar"
max_auto_changes = {ops_max}

[[area.entitlement]]
id = "ops:console"
name = "Ops console"

[[area]]
id = "ops-tools"
name = "Ops tools"
parent = "ops"
owner = "omar"

[[area.entitlement]]
id = "ops-tools:read"
name = "Read ops tools"
"#
    )
}

pub const RULES: &str = r#"
[[rule]]
id = "pay-read"
area = "pay"
author = "priya"
why = "The payments API team reads its database."
grant = ["pay-db:read"]
team = "pay-api"
apply = "auto"

[[rule]]
id = "pay-admin"
area = "pay"
author = "priya"
why = "Whoever holds the pager administers the database."
grant = ["pay-db:admin"]
rotation = "pay-oncall"
only_while_oncall = true
apply = "auto"
lead = "30m"
grace = "15m"

[[rule]]
id = "pay-wiki"
area = "pay"
author = "priya"
why = "The team writes its wiki."
grant = ["pay:wiki"]
team = "pay-api"

[[rule]]
id = "ops-console"
area = "ops"
author = "omar"
why = "Payments engineers watch the ops console."
grant = ["ops:console"]
team = "pay-api"
apply = "auto"

[[rule]]
id = "ops-tools-read"
area = "ops-tools"
author = "omar"
why = "Payments engineers read the ops tools."
grant = ["ops-tools:read"]
team = "pay-api"
apply = "auto"
"#;

pub const GRANTS: &str = "person,entitlement,granted_by,granted_at,basis,expires
ana,pay-db:read,priya,2026-01-05T10:00:00Z,rule:pay-read,
cy,pay-db:read,priya,2025-06-01T10:00:00Z,rule:pay-read,
lee,pay-db:read,priya,2025-02-01T10:00:00Z,rule:pay-read,
dee,pay-db:read,priya,2026-02-20T10:00:00Z,manual,
bo,pay-db:admin,priya,2026-03-01T16:05:00Z,rule:pay-admin,
eve,ops:console,omar,2026-01-10T10:00:00Z,rule:old-console,
";

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new(ops_max: u32) -> Env {
        let areas = areas(ops_max);
        let dir = support::synced_org(
            &[
                ("people.csv", PEOPLE),
                ("teams.toml", TEAMS),
                ("rotations.toml", ROTATIONS),
                ("areas.toml", &areas),
                ("rules.toml", RULES),
                ("grants.csv", GRANTS),
                ("trainings.csv", "person,course,completed,expires\n"),
            ],
            NOW,
        );
        Env { dir }
    }

    /// The cache.
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("steward.db")
    }

    pub fn org(&self) -> PathBuf {
        self.dir.path().join("org")
    }

    pub fn org_arg(&self) -> String {
        self.org().to_string_lossy().into_owned()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        support::steward_in(self.dir.path(), NOW)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run steward: {e}"))
    }

    /// Runs and expects exit `code`; stdout and stderr.
    pub fn exits(&self, code: i32, args: &[&str]) -> (String, String) {
        let out = self.run(args);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert_eq!(
            out.status.code(),
            Some(code),
            "steward {args:?}:\n{stdout}\n{stderr}"
        );
        (stdout, stderr)
    }

    pub fn ok(&self, args: &[&str]) -> String {
        self.exits(0, args).0
    }

    pub fn grants_csv(&self) -> String {
        std::fs::read_to_string(self.org().join("grants.csv")).unwrap_or_default()
    }

    /// `person,entitlement,granted_by,granted_at,basis` of each row.
    pub fn grants(&self) -> Vec<String> {
        let mut rows: Vec<String> = self
            .grants_csv()
            .lines()
            .skip(1)
            .map(|l| l.rsplit_once(',').map_or(l, |(row, _)| row).to_string())
            .collect();
        rows.sort();
        rows
    }

    pub fn audit(&self) -> Vec<Value> {
        self.ok(&["audit", "export", "--jsonl"])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    pub fn suggestions(&self, at: &str) -> Vec<(String, String, String)> {
        let text = self.ok(&["suggest", "--json", "--now", at]);
        let list: Vec<Value> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        list.iter()
            .map(|s| {
                (
                    s["kind"].as_str().unwrap_or("").to_string(),
                    s["person"].as_str().unwrap_or("").to_string(),
                    s["entitlement"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }
}
