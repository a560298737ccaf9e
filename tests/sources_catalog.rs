//! iCalendar feeds over HTTP and the Backstage catalog (served by a small
//! local server), people matched across sources by email, and
//! `steward config check`.

mod peers;
mod support;

use peers::{FaultServer, Reply, write_config};
use std::path::{Path, PathBuf};

const NOW: &str = "2026-11-24T12:00:00Z";

fn steward(dir: &Path, args: &[&str]) -> (i32, String) {
    let run = support::run(
        support::steward_in(dir, NOW)
            .args(args)
            .env_remove("CATALOG_TOKEN"),
    );
    (run.code, run.said())
}

/// An org directory's files beside people.csv and areas.toml.
const ORG_REST: [&str; 5] = [
    "teams.toml",
    "rotations.toml",
    "trainings.csv",
    "grants.csv",
    "rules.toml",
];

const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nX-WR-CALNAME:DB primary\r\n\
BEGIN:VEVENT\r\nUID:1\r\nDTSTART:20261123T090000Z\r\nDTEND:20261130T090000Z\r\nSUMMARY:On call\r\nATTENDEE;CN=Alice:mailto:ALICE@example.com\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:2\r\nDTSTART:20261130T090000Z\r\nDTEND:20261207T090000Z\r\nSUMMARY:On Call - Bob Jones\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

/// The catalog source reading the directory `catalog`.
const CATALOG_DIR: &str =
    "[[source]]\nkind = \"backstage\"\nname = \"catalog\"\npath = \"catalog\"\n";

/// The catalog source reading the Backstage API at `base`.
fn catalog_api(base: &str) -> String {
    format!("[[source]]\nkind = \"backstage\"\nname = \"catalog\"\nurl = \"{base}\"\n")
}

/// A Backstage API serving `entities` (a JSON list) whole, and 404 for
/// anything else.
fn catalog_server(entities: String) -> FaultServer {
    FaultServer::start(move |r, _| {
        if r.path.starts_with("/api/catalog/entities") {
            return Reply::ok(entities.clone());
        }
        Reply::status(404, "{}")
    })
}

/// A Backstage System owned by `owner`, as one YAML document.
fn system(name: &str, owner: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: {name}\nspec:\n  owner: {owner}\n"
    )
}

/// A Backstage User with this email, as one YAML document.
fn user(name: &str, email: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: {name}\nspec:\n  profile:\n    email: {email}\n"
    )
}

/// Writes `docs` as one YAML stream to `catalog/FILE` under `dir` (the
/// directory made if needed); returns the file's path.
fn catalog_file(dir: &Path, file: &str, docs: &[String]) -> PathBuf {
    let catalog = dir.join("catalog");
    std::fs::create_dir_all(&catalog).unwrap();
    let path = catalog.join(file);
    std::fs::write(&path, docs.join("---\n")).unwrap();
    path
}

/// people.csv with janelle.dawe alone, and with omar too.
const JANELLE: &str =
    "id,name,email,manager,status\njanelle.dawe,Janelle Dawe,janelle@example.com,,active\n";
const JANELLE_AND_OMAR: &str = "id,name,email,manager,status\njanelle.dawe,Janelle Dawe,janelle@example.com,,active\nomar,Omar K,omar@example.com,,active\n";

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
    let tmp = support::with_org(
        "id,name,email,manager,status\nalice,Alice Test,alice@example.com,,active\nbob,Bob Jones,bob@example.com,,active\n",
    );
    let dir = tmp.path();
    write_config(
        dir,
        &support::org_and(
            "alice",
            &format!(
                r#"[[source]]
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
            Reply::ok(FEED.replace(
                "DTSTART:20261130T090000Z",
                "DTSTART;TZID=Mars/Olympus:20261130T090000",
            ))
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
    assert!(
        out.contains(":12: DTSTART: unknown time zone \"Mars/Olympus\""),
        "{out}"
    );
    let (_, status) = steward(dir, &["status"]);
    assert!(status.contains("LAST SYNC FAILED"), "{status}");
    // Alice's shift (her attendee email, kept for `check`); the SUMMARY
    // "On Call - Bob Jones" names nobody here, so no shift.
    assert!(status.contains("1 shifts"), "{status}");
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

/// A Backstage repository layout: nested directories, several files, each a
/// stream of `---`-separated documents, plus YAML that is not catalog data.
fn write_catalog(root: &Path) {
    let files: &[(&str, &str)] = &[
        (
            "org/groups.yaml",
            "apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: engineering
  annotations:
    steward.dev/lead: user:default/cto
spec:
  type: department
  children: [payments]
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
  title: Payments team
  annotations:
    steward.dev/lead: user:priya
spec:
  type: team
  parent: group:default/engineering
  members: [ana, bo]
  children: []
",
        ),
        (
            "org/people/users.yaml",
            "---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: priya
spec:
  profile:
    displayName: Priya Raman
    email: Priya@Example.com
  memberOf: [payments]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: ana
spec:
  profile: {displayName: Ana Lima, email: ana@example.com}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: bo}
spec:
  profile: {email: bo@example.com}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: cto}
spec:
  profile: {displayName: The CTO, email: cto@example.com}
",
        ),
        (
            "services/payments/catalog-info.yaml",
            "apiVersion: backstage.io/v1alpha1
kind: Domain
metadata:
  name: finance
spec:
  owner: group:engineering
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: payments
  title: Payments
  description: Card payments. PCI scope.
  tags: [pci, pii]
spec:
  owner: group:default/payments
  domain: finance
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
spec:
  type: service
  lifecycle: production
  owner: user:default/ana
  system: payments
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-openapi
spec:
  type: openapi
  owner: payments
  definition: |
    openapi: 3.0.0
",
        ),
        ("services/payments/mkdocs.yml", "site_name: Payments docs\n"),
        // Kubernetes manifests: same kind and name in two files, not entities.
        (
            "services/payments/deploy/prod.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: payments-api\nspec:\n  replicas: 3\n",
        ),
        (
            "services/payments/deploy/staging.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: payments-api\nspec:\n  replicas: 1\n",
        ),
        (
            "services/.github/workflows/ci.yaml",
            "name: CI\non: [push\n",
        ),
    ];
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
}

/// The org directory holds what the catalog has not: entitlements, rules,
/// trainings (the areas and people come from the catalog).
fn write_policy(org: &Path) {
    std::fs::create_dir_all(org).unwrap();
    std::fs::write(
        org.join("areas.toml"),
        "[[area]]\nid = \"payments\"\nname = \"Payments\"\nowner = \"nobody\"\n\n[[area.entitlement]]\nid = \"pay-db:read\"\nname = \"Read the payments database\"\n",
    )
    .unwrap();
    std::fs::write(
        org.join("rules.toml"),
        "[[rule]]\nid = \"pay-read\"\narea = \"payments\"\nauthor = \"priya\"\nwhy = \"Payments engineers read the DB to debug.\"\ngrant = [\"pay-db:read\"]\nteam = \"payments\"\ntrained = [\"pci\"]\n",
    )
    .unwrap();
    std::fs::write(
        org.join("trainings.csv"),
        "person,course,completed,expires\nana,pci,2026-01-10T00:00:00Z,2027-01-10T00:00:00Z\n",
    )
    .unwrap();
    std::fs::write(org.join("grants.csv"), "").unwrap();
}

const CATALOG_CONFIG: &str = r#"me = "priya"

[[source]]
kind = "files"
dir = "org"
provides = ["trainings", "entitlements", "rules", "grants"]

[[source]]
kind = "backstage"
name = "catalog"
path = "catalog"
"#;

#[test]
fn a_catalog_directory_syncs_like_the_api_and_suggest_goes_to_its_owners() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_catalog(&dir.join("catalog"));
    write_policy(&dir.join("org"));
    write_config(dir, CATALOG_CONFIG);
    let (code, out) = steward(dir, &["config", "check"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("catalog: synced 4 people, 2 teams, 3 areas"),
        "{out}"
    );
    // mkdocs.yml and the Kubernetes manifests are YAML but no entities: said,
    // not fatal; .github is not read.
    assert!(
        out.contains("3 YAML document(s) are not Backstage entities"),
        "{out}"
    );
    assert!(out.contains("deploy/prod.yaml:1"), "{out}");

    let store = steward::store::Store::open(&dir.join("steward.db")).unwrap();
    let org = store.load_org().unwrap();
    let priya = org.people.iter().find(|p| p.id == "priya").unwrap();
    assert_eq!(
        (priya.name.as_str(), priya.email.as_str()),
        ("Priya Raman", "priya@example.com")
    );
    let pay = org.teams.iter().find(|t| t.id == "payments").unwrap();
    assert_eq!(pay.name, "Payments team");
    assert_eq!(pay.parent.as_deref(), Some("engineering"));
    assert_eq!(pay.members, ["ana", "bo", "priya"]);
    assert_eq!(pay.lead.as_deref(), Some("priya"));
    let area = |id: &str| org.areas.iter().find(|a| a.id == id).unwrap();
    // A group owner stands for its lead; a user owner is that person.
    assert_eq!(area("finance").owner, "cto");
    assert_eq!(area("payments").owner, "priya");
    assert_eq!(area("payments").parent.as_deref(), Some("finance"));
    assert_eq!(area("payments").tags, ["pci", "pii"]);
    assert_eq!(area("payments").notes, "Card payments. PCI scope.");
    assert_eq!(area("payments-api").owner, "ana");
    assert_eq!(area("payments-api").parent.as_deref(), Some("payments"));
    assert!(!org.areas.iter().any(|a| a.id == "payments-openapi"));

    // The owner the catalog names is the one asked to decide.
    let (code, out) = steward(dir, &["suggest", "--as", "priya"]);
    assert_eq!(code, 0, "{out}");
    let row = out
        .lines()
        .find(|l| l.starts_with("grant"))
        .unwrap_or_else(|| panic!("no grant suggested to priya:\n{out}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        &cols[..5],
        ["grant", "ana", "pay-db:read", "payments", "qualifies"],
        "{out}"
    );
    assert!(row.contains("member of team payments"), "{out}");
    let (code, out) = steward(dir, &["suggest", "--as", "ana"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("nothing to decide for ana"), "{out}");
}

#[test]
fn a_broken_catalog_file_names_file_and_line_and_keeps_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let catalog = dir.join("catalog");
    write_catalog(&catalog);
    write_policy(&dir.join("org"));
    write_config(dir, CATALOG_CONFIG);
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");

    // An unclosed flow mapping in the third document of users.yaml.
    let users = catalog.join("org/people/users.yaml");
    let good = std::fs::read_to_string(&users).unwrap();
    std::fs::write(
        &users,
        good.replace("email: ana@example.com}", "email: ana@example.com"),
    )
    .unwrap();
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 1, "{out}");
    let at = format!("{}:18: not valid YAML", users.display());
    assert!(
        out.contains("catalog: FAILED, keeping the previous data"),
        "{out}"
    );
    assert!(out.contains(&at), "{out}");
    let (_, status) = steward(dir, &["status"]);
    assert!(status.contains("LAST SYNC FAILED"), "{status}");
    assert!(status.contains(&at), "{status}");
    assert!(status.contains("4 people, 2 teams"), "{status}");
    let (code, out) = steward(dir, &["suggest", "--as", "priya"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("pay-db:read"), "{out}");

    // A field of the wrong type names the entity, the field and its line.
    std::fs::write(&users, &good).unwrap();
    let info = catalog.join("services/payments/catalog-info.yaml");
    let text = std::fs::read_to_string(&info).unwrap();
    std::fs::write(
        &info,
        text.replace("owner: group:default/payments", "owner: [priya, ana]"),
    )
    .unwrap();
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "{}:16: System payments: `spec.owner` must be a string, not a list",
            info.display()
        )),
        "{out}"
    );
    // The same entity in two files is refused, naming both.
    std::fs::write(&info, &text).unwrap();
    std::fs::write(
        catalog.join("services/payments/more.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: bo\n",
    )
    .unwrap();
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "more.yaml:1: User bo is already defined at {}:19",
            users.display()
        )),
        "{out}"
    );
    let org = steward::store::Store::open(&dir.join("steward.db"))
        .unwrap()
        .load_org()
        .unwrap();
    assert_eq!(org.people.len(), 4);
    assert_eq!(org.areas.len(), 3);
}

#[test]
fn config_check_validates_the_catalog_path() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("a-file.yaml"), "kind: User\n").unwrap();
    write_config(
        dir,
        "[[source]]\nkind = \"backstage\"\nname = \"missing\"\npath = \"no/such/dir\"\n\n[[source]]\nkind = \"backstage\"\nname = \"file\"\npath = \"a-file.yaml\"\n",
    );
    let (code, out) = steward(dir, &["config", "check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("steward.toml:1: source missing: path: cannot read"),
        "{out}"
    );
    assert!(out.contains("no/such/dir"), "{out}");
    assert!(
        out.contains("steward.toml:6: source file: path:")
            && out.contains("a-file.yaml is not a directory"),
        "{out}"
    );
    write_config(
        dir,
        "[[source]]\nkind = \"backstage\"\nurl = \"https://backstage.example\"\npath = \"catalog\"\n\n[[source]]\nkind = \"backstage\"\nname = \"neither\"\n",
    );
    let (code, out) = steward(dir, &["config", "check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "steward.toml:4: source backstage: `path`: give either `url` or `path`, not both"
        ),
        "{out}"
    );
    assert!(
        out.contains("steward.toml:6: source neither: a backstage source needs `url` (the Backstage API) or `path`"),
        "{out}"
    );
}

/// The same entities served by the API and written as files give the same
/// people, teams and areas: one mapping for both.
#[test]
fn files_and_the_api_map_the_same_entities_the_same_way() {
    let server = catalog_server(entities());
    let list: Vec<serde_json::Value> = serde_json::from_str(&entities()).unwrap();
    let load = |config: &str, setup: &dyn Fn(&Path)| {
        let tmp = tempfile::tempdir().unwrap();
        setup(tmp.path());
        write_config(tmp.path(), config);
        let (code, out) = steward(tmp.path(), &["sync"]);
        assert_eq!(code, 0, "{out}");
        let org = steward::store::Store::open(&tmp.path().join("steward.db"))
            .unwrap()
            .load_org()
            .unwrap();
        (
            format!("{:?}", org.people),
            format!("{:?}", org.teams),
            format!("{:?}", org.areas),
        )
    };
    let from_api = load(&catalog_api(&server.base), &|_| {});
    // JSON is YAML: each entity one flow-style document, over two files.
    let from_files = load(
        "[[source]]\nkind = \"backstage\"\nname = \"catalog\"\npath = \"c\"\n",
        &|dir| {
            let docs: Vec<String> = list.iter().map(|e| e.to_string()).collect();
            std::fs::create_dir_all(dir.join("c/x")).unwrap();
            std::fs::write(dir.join("c/a.yaml"), docs[..3].join("\n---\n")).unwrap();
            std::fs::write(dir.join("c/x/b.yaml"), docs[3..].join("\n---\n")).unwrap();
        },
    );
    assert!(from_api.0.contains("alice@example.com"), "{from_api:?}");
    assert!(from_api.2.contains("payments-platform"), "{from_api:?}");
    assert_eq!(from_files, from_api);
}

/// A catalog whose tree is written only with `spec.children`, groups whose
/// owner is a person by the config's `group_owners` or by another source's
/// team lead, and one area id from two sources.
#[test]
fn children_group_owners_leads_from_other_sources_and_one_id_one_source() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let catalog = dir.join("catalog");
    std::fs::create_dir_all(&catalog).unwrap();
    std::fs::write(
        catalog.join("groups.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: eng\nspec:\n  type: org\n  children: [team-a, group:default/team-b, team-c]\n---\n\
apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n---\n\
apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-b\nspec:\n  type: team\n  children: []\n---\n\
apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-c\nspec:\n  type: team\n  children: []\n",
    )
    .unwrap();
    catalog_file(
        dir,
        "systems.yaml",
        &[
            system("billing", "group:team-a"),
            system("ledger", "team-b"),
            system("vault", "team-c"),
        ],
    );
    let org = dir.join("org");
    support::people_csv(&org, JANELLE_AND_OMAR);
    // team-b's lead comes from the org directory (teams.toml).
    std::fs::write(
        org.join("teams.toml"),
        "[[team]]\nid = \"platform\"\nname = \"Platform\"\nlead = \"omar\"\nmembers = [\"omar\"]\n",
    )
    .unwrap();
    let config = |extra: &str, areas: &str| {
        std::fs::write(org.join("areas.toml"), areas).unwrap();
        write_config(
            dir,
            &format!(
                "{extra}\n[[source]]\nkind = \"files\"\ndir = \"org\"\nprovides = [\"people\", \"areas\"]\n\n\
[[source]]\nkind = \"files\"\nname = \"teams\"\ndir = \"org\"\nprovides = [\"teams\"]\n\n\
[[source]]\nkind = \"backstage\"\nname = \"catalog\"\npath = \"catalog\"\ngroup_owners = {{ \"team-a\" = \"janelle.dawe\" }}\n"
            ),
        );
    };
    std::fs::write(
        org.join("teams.toml"),
        "[[team]]\nid = \"team-b\"\nname = \"Team B\"\nlead = \"omar\"\nmembers = [\"omar\"]\n",
    )
    .unwrap();
    config(
        "",
        "[[area]]\nid = \"hr\"\nname = \"HR\"\nowner = \"omar\"\n",
    );
    let (code, out) = steward(dir, &["sync"]);
    // team-b is in the catalog and in teams.toml: one id, two sources.
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("team team-b is provided by both teams and catalog"),
        "{out}"
    );
    config(
        "precedence = [\"teams\", \"catalog\"]",
        "[[area]]\nid = \"hr\"\nname = \"HR\"\nowner = \"omar\"\n",
    );
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("systems.yaml:15: area vault is owned by group team-c, which has no `steward.dev/lead` annotation, no `group_owners` entry and no team lead in any source"),
        "{out}"
    );
    let store = steward::store::Store::open(&dir.join("steward.db")).unwrap();
    let org_now = store.load_org().unwrap();
    let owner = |id: &str| {
        org_now
            .areas
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.owner.clone())
            .unwrap()
    };
    assert_eq!(owner("billing"), "janelle.dawe");
    assert_eq!(owner("ledger"), "omar");
    assert_eq!(owner("vault"), "group:team-c");
    let parent = |id: &str| {
        org_now
            .teams
            .iter()
            .find(|t| t.id == id)
            .and_then(|t| t.parent.clone())
    };
    assert_eq!(parent("team-a").as_deref(), Some("eng"));
    assert_eq!(parent("team-c").as_deref(), Some("eng"));
    drop(store);
    // The same area id from the catalog and areas.toml.
    config(
        "precedence = [\"teams\", \"catalog\"]",
        "[[area]]\nid = \"billing\"\nname = \"Billing\"\nowner = \"omar\"\n",
    );
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("area billing is provided by both files and catalog (")
            && out.contains("systems.yaml:1)"),
        "{out}"
    );
}

/// One id, one source holds against what the cache keeps from an earlier
/// sync too: a source synced alone (`--source`) is checked against the
/// others' cached rows, and the org directory against configured sources.
/// `precedence` decides instead of an error, and the source that gives the
/// id up loses its cached row.
#[test]
fn one_id_one_source_holds_against_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let catalog = dir.join("catalog");
    catalog_file(
        dir,
        "systems.yaml",
        &[system("billing", "user:janelle.dawe")],
    );
    let org = dir.join("org");
    support::people_csv(&org, JANELLE_AND_OMAR);
    let areas = |ids: &[&str]| {
        let text: String = ids
            .iter()
            .map(|id| format!("[[area]]\nid = \"{id}\"\nname = \"{id}\"\nowner = \"omar\"\n"))
            .collect();
        std::fs::write(org.join("areas.toml"), text).unwrap();
    };
    let config = |precedence: &str| {
        write_config(
            dir,
            &format!(
                "{precedence}\n[[source]]\nkind = \"files\"\ndir = \"org\"\nprovides = [\"people\", \"areas\"]\n\n{CATALOG_DIR}"
            ),
        );
    };
    let owners = |id: &str| -> Vec<String> {
        let store = steward::store::Store::open(&dir.join("steward.db")).unwrap();
        let org = store.load_org().unwrap();
        org.areas
            .iter()
            .filter(|a| a.id == id)
            .map(|a| a.owner.clone())
            .collect()
    };
    areas(&["hr"]);
    config("");
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(owners("billing"), ["janelle.dawe"]);

    // areas.toml gains billing; the catalog is not synced now, only cached.
    areas(&["hr", "billing"]);
    let (code, out) = steward(dir, &["sync", "--source", "files"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("files: FAILED, keeping the previous data: area billing is provided by both catalog and files: list both in `precedence`"),
        "{out}"
    );
    assert_eq!(owners("billing"), ["janelle.dawe"], "nothing kept of files");
    assert_eq!(owners("hr"), ["omar"]);

    // Ordered: files counts, and the cached catalog row gives billing up.
    config("precedence = [\"files\", \"catalog\"]");
    let (code, out) = steward(dir, &["sync", "--source", "files"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(owners("billing"), ["omar"]);
    // The catalog synced alone now gives billing up to the cached files.
    let (code, out) = steward(dir, &["sync", "--source", "catalog"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(owners("billing"), ["omar"]);
    // The other order: the catalog counts, the cached files row goes.
    config("precedence = [\"catalog\", \"files\"]");
    let (code, out) = steward(dir, &["sync", "--source", "catalog"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(owners("billing"), ["janelle.dawe"]);

    // A person: omar of the catalog is not omar of people.csv (another
    // email). Ordered, the catalog's counts and the cached one goes.
    catalog_file(dir, "users.yaml", &[user("omar", "omar@elsewhere.example")]);
    let (code, out) = steward(dir, &["sync", "--source", "catalog"]);
    assert_eq!(code, 0, "{out}");
    let emails = || -> Vec<String> {
        let store = steward::store::Store::open(&dir.join("steward.db")).unwrap();
        let org = store.load_org().unwrap();
        org.people
            .iter()
            .filter(|p| p.id == "omar")
            .map(|p| p.email.clone())
            .collect()
    };
    assert_eq!(emails(), ["omar@elsewhere.example"]);
    // Unordered, the files source synced alone is refused, naming both.
    config("");
    let (code, out) = steward(dir, &["sync", "--source", "files"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("files: FAILED, keeping the previous data: person omar is provided by both catalog (omar@elsewhere.example) and files (omar@example.com): two people cannot share an id"),
        "{out}"
    );
    assert_eq!(emails(), ["omar@elsewhere.example"]);

    // The org directory (`sync --org`) beside a configured catalog.
    let other = dir.join("other");
    let other_org = other.join("org");
    std::fs::create_dir_all(&other_org).unwrap();
    for f in ["people.csv", "areas.toml"] {
        std::fs::copy(org.join(f), other_org.join(f)).unwrap();
    }
    support::empty_files(&other_org, &ORG_REST);
    let (code, out) = steward(&other, &["sync", "--org", other_org.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    std::fs::create_dir_all(other.join("catalog")).unwrap();
    std::fs::copy(
        catalog.join("systems.yaml"),
        other.join("catalog/systems.yaml"),
    )
    .unwrap();
    write_config(&other, CATALOG_DIR);
    let (code, out) = steward(&other, &["sync"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("catalog: FAILED, keeping the previous data: area billing is provided by both files and catalog (")
            && out.contains("systems.yaml:1)"),
        "{out}"
    );
}

/// `sync --org DIR` after a configured source put the same ids in the
/// cache: refused naming both (the cache keeps what it had), unless
/// `precedence` orders the two; then the one listed later gives it up.
#[test]
fn the_org_directory_is_refused_an_id_a_configured_source_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let omar = user("omar", "omar@elsewhere.example");
    catalog_file(
        dir,
        "systems.yaml",
        &[system("billing", "user:omar"), omar.clone()],
    );
    let org = dir.join("org");
    support::people_csv(&org, JANELLE);
    std::fs::write(
        org.join("areas.toml"),
        "[[area]]\nid = \"hr\"\nname = \"HR\"\nowner = \"janelle.dawe\"\n\n\
[[area]]\nid = \"billing\"\nname = \"Billing\"\nowner = \"janelle.dawe\"\n",
    )
    .unwrap();
    support::empty_files(&org, &ORG_REST);
    let catalog_source = CATALOG_DIR;
    let files_source =
        "[[source]]\nkind = \"files\"\ndir = \"org\"\nprovides = [\"people\", \"areas\"]\n";
    write_config(dir, catalog_source);
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");
    let areas = || -> Vec<(String, String)> {
        let store = steward::store::Store::open(&dir.join("steward.db")).unwrap();
        let mut v: Vec<(String, String)> = store
            .load_org()
            .unwrap()
            .areas
            .iter()
            .map(|a| (a.id.clone(), a.owner.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(areas(), [("billing".to_string(), "omar".to_string())]);
    let org_arg = org.to_str().unwrap();

    // Nothing orders the two: refused, naming both; nothing of it kept.
    let (code, out) = steward(dir, &["sync", "--org", org_arg]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "area billing is provided by both catalog and files: list both in `precedence`"
        ),
        "{out}"
    );
    assert_eq!(areas(), [("billing".to_string(), "omar".to_string())]);

    // The catalog first: the directory gives billing up and keeps hr.
    write_config(
        dir,
        &format!("precedence = [\"catalog\", \"files\"]\n{catalog_source}\n{files_source}"),
    );
    let (code, out) = steward(dir, &["sync", "--org", org_arg]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        areas(),
        [
            ("billing".to_string(), "omar".to_string()),
            ("hr".to_string(), "janelle.dawe".to_string())
        ]
    );

    // The directory first: the catalog's cached billing goes.
    write_config(
        dir,
        &format!("precedence = [\"files\", \"catalog\"]\n{catalog_source}\n{files_source}"),
    );
    let (code, out) = steward(dir, &["sync", "--org", org_arg]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        areas(),
        [
            ("billing".to_string(), "janelle.dawe".to_string()),
            ("hr".to_string(), "janelle.dawe".to_string())
        ]
    );

    // A person: omar of the catalog is not the directory's omar (another
    // email), and nothing orders them.
    write_config(dir, catalog_source);
    catalog_file(dir, "systems.yaml", &[system("ledger", "user:omar"), omar]);
    support::people_csv(&org, JANELLE_AND_OMAR);
    std::fs::write(
        org.join("areas.toml"),
        "[[area]]\nid = \"hr\"\nname = \"HR\"\nowner = \"janelle.dawe\"\n",
    )
    .unwrap();
    let (code, out) = steward(dir, &["sync", "--source", "catalog"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = steward(dir, &["sync", "--org", org_arg]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("person omar is provided by both catalog (omar@elsewhere.example) and files (omar@example.com): two people cannot share an id"),
        "{out}"
    );
}

/// A problem with an area read from the catalog names where it was read:
/// the catalog file and line for a catalog directory, the entity's ref for
/// the API; never `areas.toml`, which does not hold it. Both in what `sync`
/// reports and in `check`.
#[test]
fn check_and_sync_name_the_catalog_file_line_or_entity_ref_of_an_area() {
    // A catalog directory.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let catalog = dir.join("catalog");
    let nobodys = |name: &str| system(name, "user:nobody");
    let file = catalog_file(dir, "systems.yaml", &[nobodys("ledger"), nobodys("vault")]);
    // A group whose lead no source knows: a team's problem, named where
    // the catalog has the group too.
    let groups = catalog.join("groups.yaml");
    std::fs::write(
        &groups,
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: platform\n  annotations:\n    steward.dev/lead: user:ghost\nspec:\n  type: team\n  children: []\n",
    )
    .unwrap();
    write_config(dir, CATALOG_DIR);
    let want = format!(
        "{}:8: area vault owner: unknown person \"nobody\"",
        file.display()
    );
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&want), "{out}");
    assert!(!out.contains("areas.toml"), "{out}");
    let (code, out) = steward(dir, &["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&want), "{out}");
    assert!(
        out.contains(&format!("{}:1: area ledger owner", file.display())),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{}:1: team platform lead: unknown person \"ghost\"",
            groups.display()
        )),
        "{out}"
    );
    assert!(!out.contains("areas.toml"), "{out}");
    assert!(!out.contains("teams.toml"), "{out}");
    // An id outside the grammar refuses the source, naming where it is.
    catalog_file(
        dir,
        "systems.yaml",
        &[nobodys("ledger"), nobodys("the vault")],
    );
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "catalog: FAILED, keeping the previous data: refused: {}:8: area id \"the vault\" holds U+0020",
            file.display()
        )),
        "{out}"
    );

    // The API: the entity's ref.
    let entities = serde_json::json!([
        {"apiVersion": "backstage.io/v1alpha1", "kind": "System", "metadata": {"name": "vault"},
         "spec": {"owner": "user:nobody"}}
    ])
    .to_string();
    let server = catalog_server(entities);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_config(dir, &catalog_api(&server.base));
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");
    let want = "system:vault: area vault owner: unknown person \"nobody\"";
    assert!(out.contains(want), "{out}");
    let (code, out) = steward(dir, &["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(want), "{out}");
    assert!(!out.contains("areas.toml"), "{out}");
}
