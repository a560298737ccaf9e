//! Crash safety of an apply over SCIM, with a real scim2-server and real
//! SIGKILLs: an apply PATCHes one group membership per decision and records
//! each result in the audit log, so a kill can land before the first change,
//! between two changes, between a change upstream and its record, or after
//! the last. Whatever it hit, no committed decision is lost, no audit entry
//! is duplicated, the cache opens and verifies, and a rerun completes the
//! apply without doing any change twice.

mod peers;

use peers::{Peer, SCIM_TOKEN, ScimAdmin, scim_server, write_config};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-24T12:00:00Z";
const OWNER: &str = "priya";
/// Entitlement groups upstream, each mapped to one entitlement.
const GROUPS: usize = 4;
/// Active engineers who qualify for every entitlement.
const ENGINEERS: usize = 12;
/// People who left but are still in every entitlement group.
const LEAVERS: usize = 4;

fn ent(k: usize) -> String {
    format!("payments-{k}:read")
}

fn group_name(k: usize) -> String {
    format!("payments-{k}-read")
}

fn steward(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_steward"));
    c.env("STEWARD_DB", dir.join("steward.db"))
        .env("STEWARD_CONFIG", dir.join("steward.toml"))
        .env("STEWARD_DATA_DIR", dir.join("data"))
        .env("STEWARD_LOG_DIR", dir.join("logs"))
        .env("STEWARD_NOW", NOW)
        .env("TEST_SCIM_TOKEN", SCIM_TOKEN)
        .env_remove("STEWARD_AS")
        .stdin(Stdio::null());
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    steward(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run steward {args:?}: {e}"))
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "steward {args:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A seeded scim2-server and a cache synced from it, with every grant and
/// revoke suggestion accepted by the owner.
struct Scenario {
    server: Peer,
    admin: ScimAdmin,
    tmp: tempfile::TempDir,
    /// Entitlement id -> SCIM group id.
    groups: BTreeMap<String, String>,
    /// Person -> SCIM user id.
    users: HashMap<String, String>,
    /// Group id -> the member ids it had when seeded.
    seeded: BTreeMap<String, BTreeSet<String>>,
    /// (person, entitlement) of each accepted grant.
    grants: BTreeSet<(String, String)>,
    /// (person, entitlement) of each accepted revoke.
    revokes: BTreeSet<(String, String)>,
}

impl Scenario {
    fn dir(&self) -> &Path {
        self.tmp.path()
    }

    fn decisions(&self) -> usize {
        self.grants.len() + self.revokes.len()
    }

    /// The member ids of a group on the server, as listed (sorted, not deduplicated).
    fn members(&self, group: &str) -> Vec<String> {
        self.admin.members(group)
    }

    /// The accepted (person, entitlement) changes in effect on the server now.
    fn done_upstream(&self) -> BTreeSet<(String, String)> {
        let mut done = BTreeSet::new();
        for (e, g) in &self.groups {
            let members: BTreeSet<String> = self.members(g).into_iter().collect();
            for (p, pe) in &self.grants {
                if pe == e && members.contains(&self.users[p]) {
                    done.insert((p.clone(), e.clone()));
                }
            }
            for (p, pe) in &self.revokes {
                if pe == e && !members.contains(&self.users[p]) {
                    done.insert((p.clone(), e.clone()));
                }
            }
        }
        done
    }

    /// The (person, entitlement) of each decision still planned in the cache.
    fn planned(&self) -> BTreeSet<(String, String)> {
        let out = ok(self.dir(), &["plan", "--json", "--as", OWNER]);
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("plan --json: {e}: {out}"));
        list.iter()
            .map(|c| {
                (
                    c["person"].as_str().unwrap_or_default().to_string(),
                    c["entitlement"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// The PATCH requests the server answered with a 2xx, from its log.
    fn patches_done(&self) -> usize {
        self.server
            .log()
            .lines()
            .filter(|l| l.contains("\"PATCH /v2/Groups/"))
            .filter(|l| {
                l.rsplit('"')
                    .next()
                    .and_then(|rest| rest.split_whitespace().next())
                    .is_some_and(|code| code.starts_with('2'))
            })
            .count()
    }
}

/// Creates a user directly (the admin helper always makes active users).
fn user(base: &str, name: &str, active: bool) -> String {
    let body = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "displayName": name,
        "emails": [{"value": format!("{name}@acme.test"), "primary": true}],
        "active": active
    })
    .to_string();
    let auth = format!("Bearer {SCIM_TOKEN}");
    let r = peers::request(
        "POST",
        &format!("{base}/Users"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/scim+json"),
        ],
        Some(&body),
    )
    .unwrap_or_else(|e| panic!("POST {base}/Users: {e}"));
    assert_eq!(r.status, 201, "POST {base}/Users {name}: {}", r.body);
    r.json()["id"].as_str().unwrap_or_default().to_string()
}

/// The org directory; with `auto`, the rule is automatic and the area has
/// room for all its changes at once.
fn write_org(dir: &Path, auto: bool) {
    let org = dir.join("org");
    std::fs::create_dir_all(&org).unwrap_or_else(|e| panic!("{e}"));
    let mut areas = format!(
        "[[area]]\nid = \"payments\"\nname = \"Payments\"\nowner = \"{OWNER}\"\ntags = [\"pci\"]\n"
    );
    if auto {
        areas.push_str("max_auto_changes = 1000\n");
    }
    for k in 0..GROUPS {
        areas.push_str(&format!(
            "\n[[area.entitlement]]\nid = \"{}\"\nname = \"read payments store {k}\"\nupstream = \"okta:{}\"\n",
            ent(k),
            group_name(k)
        ));
    }
    std::fs::write(org.join("areas.toml"), areas).unwrap_or_else(|e| panic!("{e}"));
    let grants: Vec<String> = (0..GROUPS).map(|k| format!("\"{}\"", ent(k))).collect();
    std::fs::write(
        org.join("rules.toml"),
        format!(
            "[[rule]]\nid = \"pay-read\"\narea = \"payments\"\nauthor = \"{OWNER}\"\n\
             why = \"payments engineers with PCI training read the payments stores\"\n\
             grant = [{}]\nteam = \"payments\"\ntrained = [\"pci\"]\n{}",
            grants.join(", "),
            if auto { "apply = \"auto\"\n" } else { "" }
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    write_trainings(dir, &[]);
}

/// Every engineer trained, but those `lapsed`.
fn write_trainings(dir: &Path, lapsed: &[String]) {
    let mut trainings = String::from("person,course,completed,expires\n");
    for i in 0..ENGINEERS {
        let p = format!("eng{i:02}");
        if !lapsed.contains(&p) {
            trainings.push_str(&format!("{p},pci,2026-01-10T00:00:00Z,\n"));
        }
    }
    std::fs::write(dir.join("org").join("trainings.csv"), trainings)
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Seeds a fresh server, syncs a fresh cache from it, and accepts every
/// grant and revoke suggestion.
fn scenario() -> Scenario {
    scenario_with(false)
}

/// Seeds a fresh server and syncs a fresh cache from it; with `auto` the
/// rule is automatic (nothing decided), else every grant and revoke
/// suggestion is accepted.
fn scenario_with(auto: bool) -> Scenario {
    let server = scim_server();
    let admin = ScimAdmin {
        base: server.base.clone(),
    };
    let mut users = HashMap::new();
    users.insert(OWNER.to_string(), user(&server.base, OWNER, true));
    let engineers: Vec<String> = (0..ENGINEERS).map(|i| format!("eng{i:02}")).collect();
    let leavers: Vec<String> = (0..LEAVERS).map(|i| format!("left{i}")).collect();
    for p in &engineers {
        users.insert(p.clone(), user(&server.base, p, true));
    }
    for p in &leavers {
        users.insert(p.clone(), user(&server.base, p, false));
    }
    // Someone outside the team holding every entitlement: a review, not
    // decided, so the apply must leave them in place.
    users.insert("olga".into(), user(&server.base, "olga", true));
    let team: Vec<&str> = engineers.iter().map(|p| users[p].as_str()).collect();
    admin.group("team-payments", &team);
    let mut groups = BTreeMap::new();
    let mut seeded = BTreeMap::new();
    let mut grants = BTreeSet::new();
    let mut revokes = BTreeSet::new();
    for k in 0..GROUPS {
        let mut members: Vec<String> = vec![users["olga"].clone()];
        for (i, p) in engineers.iter().enumerate() {
            // Every fourth engineer already holds it; the rest are grants.
            if (i + k) % 4 == 0 {
                members.push(users[p].clone());
            } else {
                grants.insert((p.clone(), ent(k)));
            }
        }
        for p in &leavers {
            members.push(users[p].clone());
            revokes.insert((p.clone(), ent(k)));
        }
        let refs: Vec<&str> = members.iter().map(String::as_str).collect();
        let id = admin.group(&group_name(k), &refs);
        seeded.insert(id.clone(), members.into_iter().collect());
        groups.insert(ent(k), id);
    }

    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path();
    write_org(dir, auto);
    write_config(
        dir,
        &format!(
            r#"me = "{OWNER}"

[[source]]
kind = "files"
dir = "org"
provides = ["areas", "entitlements", "rules", "trainings"]

[[source]]
kind = "scim"
name = "okta"
url = "{}"
token_env = "TEST_SCIM_TOKEN"
team_prefix = "team-"
backoff_ms = 50
"#,
            server.base
        ),
    );
    ok(dir, &["sync"]);

    let out = ok(dir, &["suggest", "--json", "--as", OWNER]);
    let list: Vec<serde_json::Value> =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("suggest --json: {e}: {out}"));
    let of_kind = |kind: &str| -> BTreeSet<(String, String)> {
        list.iter()
            .filter(|s| s["kind"] == kind)
            .map(|s| {
                (
                    s["person"].as_str().unwrap_or_default().to_string(),
                    s["entitlement"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(of_kind("grant"), grants, "grant suggestions:\n{out}");
    assert_eq!(of_kind("revoke"), revokes, "revoke suggestions:\n{out}");
    assert_eq!(of_kind("review").len(), GROUPS, "olga's reviews:\n{out}");
    for (p, e) in grants.iter().chain(&revokes).filter(|_| !auto) {
        ok(
            dir,
            &["decide", "accept", p.as_str(), e.as_str(), "--as", OWNER],
        );
    }
    let s = Scenario {
        server,
        admin,
        tmp,
        groups,
        users,
        seeded,
        grants,
        revokes,
    };
    if !auto {
        assert_eq!(s.planned().len(), s.decisions());
    }
    s
}

/// A small xorshift with a fixed seed, for kill delays.
struct Delays(u64);
impl Delays {
    fn next_ms(&mut self, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % max.max(1)
    }
}

fn elapsed_ms(start: Instant) -> u64 {
    (start.elapsed().as_millis() as u64).max(1)
}

/// When an uninterrupted apply reaches its first and last change and ends, in ms.
struct Calibration {
    first: u64,
    last: u64,
    full: u64,
    per_change: u64,
}

/// Runs `steward apply` to its end, timing the lines it prints per change.
fn calibrate(dir: &Path, n: usize) -> Calibration {
    let start = Instant::now();
    let mut child = steward(dir)
        .args(["apply", "--as", OWNER])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start steward apply: {e}"));
    let mut seen = Vec::new();
    let mut text = String::new();
    if let Some(out) = child.stdout.take() {
        for line in std::io::BufRead::lines(std::io::BufReader::new(out)).map_while(Result::ok) {
            if line.starts_with('#') {
                seen.push(elapsed_ms(start));
            }
            text.push_str(&line);
            text.push('\n');
        }
    }
    let status = child
        .wait()
        .unwrap_or_else(|e| panic!("steward apply: {e}"));
    let full = elapsed_ms(start);
    assert!(status.success(), "uninterrupted apply failed:\n{text}");
    assert!(
        text.contains(&format!("{n} applied, 0 failed")),
        "uninterrupted apply:\n{text}"
    );
    let first = seen.first().copied().unwrap_or(full);
    let last = seen.last().copied().unwrap_or(full);
    Calibration {
        first,
        last,
        full,
        per_change: ((last - first) / (n as u64 - 1).max(1)).max(1),
    }
}

/// Starts `steward apply`, SIGKILLs it after `ms`, and reaps it. Returns
/// its output if it had already finished by itself.
fn kill_apply_after(dir: &Path, ms: u64) -> Option<String> {
    let path = dir.join("apply.out");
    let file = std::fs::File::create(&path)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    let mut child = steward(dir)
        .args(["apply", "--as", OWNER])
        .stdout(file)
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start steward apply: {e}"));
    std::thread::sleep(Duration::from_millis(ms));
    let finished = child.try_wait().ok().flatten();
    let _ = child.kill();
    let _ = child.wait();
    let status = finished?;
    let out = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(status.success(), "apply ended with {status}:\n{out}");
    Some(out)
}

/// An apply that ran to its end after kills: it applied every remaining
/// decision, and found in place exactly those whose change an earlier run
/// made upstream but could not record.
fn assert_completes(out: &str, remaining: usize, unrecorded: usize) {
    assert!(
        out.contains(&format!("{remaining} applied, 0 failed")),
        "{out}"
    );
    assert_eq!(
        out.matches("already in place upstream").count(),
        unrecorded,
        "the rerun should find exactly the {unrecorded} changes the last kill left unrecorded in place:\n{out}"
    );
}

/// Audit entries as (action, decision id) -> how many, plus the `ok` of
/// each apply entry.
fn audit(dir: &Path) -> (HashMap<(String, i64), usize>, Vec<bool>) {
    let mut counts = HashMap::new();
    let mut oks = Vec::new();
    for line in ok(dir, &["audit", "export", "--jsonl"]).lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let detail: serde_json::Value = match &v["detail"] {
            serde_json::Value::String(s) => serde_json::from_str(s).unwrap_or_default(),
            other => other.clone(),
        };
        let action = v["action"].as_str().unwrap_or_default().to_string();
        if action == "apply" {
            oks.push(detail["ok"].as_bool().unwrap_or(false));
        }
        let id = detail["decision"].as_i64().unwrap_or(-1);
        *counts.entry((action, id)).or_insert(0) += 1;
    }
    (counts, oks)
}

fn assert_cache_whole(dir: &Path) {
    ok(dir, &["status"]);
    let verify = ok(dir, &["audit", "verify"]);
    assert!(verify.contains("audit log intact"), "{verify}");
    let (counts, _) = audit(dir);
    let dupes: Vec<_> = counts
        .iter()
        .filter(|((a, id), n)| (a == "decide" || a == "apply") && *id >= 0 && **n > 1)
        .collect();
    assert!(dupes.is_empty(), "duplicated audit entries: {dupes:?}");
}

#[test]
fn a_scim_apply_killed_at_random_points_completes_on_rerun_without_doing_anything_twice() {
    let started = Instant::now();

    // Calibration on a twin: when one uninterrupted apply of every decision
    // here reports its first change, its last, and when it ends (it prints
    // a line per change as it goes). Kill delays are spread over these; no
    // assertion depends on them.
    let twin = scenario();
    let cal = calibrate(twin.dir(), twin.decisions());
    drop(twin);
    let s = scenario();
    let dir = s.dir();
    let n = s.decisions();
    eprintln!(
        "apply over SCIM: {n} decisions ({} grants, {} revokes) on {GROUPS} groups; \
         uninterrupted apply: first change at {} ms, last at {} ms, done at {} ms",
        s.grants.len(),
        s.revokes.len(),
        cal.first,
        cal.last,
        cal.full
    );

    let mut delays = Delays(0x5C1A_0005);
    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut unrecorded_kills = 0;
    let mut kills = 0;
    let mut last_unrecorded = BTreeSet::new();
    // Twelve kills, or fewer if a run finishes the apply (or is killed
    // after its last change) first.
    const KILLS: u64 = 12;
    let mut run = 0;
    while kills < KILLS {
        let planned_before = s.planned();
        if planned_before.is_empty() {
            break;
        }
        run += 1;
        let done_before = s.done_upstream();
        // Spread this run's kill over its start and a share of the changes
        // still to do (twice the share that is left per remaining kill: a
        // uniform delay gets through half of it), so that the kills reach
        // across the whole apply on a fast or a slow machine alike; the last
        // runs' windows also take in the re-sync after the last change.
        let remaining = planned_before.len() as u64;
        let share = (2 * remaining).div_ceil(KILLS - kills);
        let window = if share >= remaining {
            cal.first + cal.per_change * remaining + (cal.full - cal.last)
        } else {
            cal.first + cal.per_change * share
        };
        let ms = delays.next_ms(window);
        let unrecorded_before = last_unrecorded.len();
        let completed = kill_apply_after(dir, ms);
        let finished = completed.is_some();
        if let Some(out) = &completed {
            assert_completes(out, planned_before.len(), unrecorded_before);
        }
        assert_cache_whole(dir);
        let done = s.done_upstream();
        assert!(
            done.is_superset(&done_before),
            "run {run}: changes undone upstream: {:?}",
            done_before.difference(&done).collect::<Vec<_>>()
        );
        let planned = s.planned();
        // No committed decision lost: what left the plan was applied.
        assert!(
            planned.is_subset(&planned_before),
            "run {run}: decisions appeared in the plan: {:?}",
            planned.difference(&planned_before).collect::<Vec<_>>()
        );
        for p in planned_before.difference(&planned) {
            assert!(
                done.contains(p),
                "run {run}: {p:?} left the plan but is not in effect upstream"
            );
        }
        // Changes made upstream whose record the kill cut off.
        last_unrecorded = done.intersection(&planned).cloned().collect();
        let outcome = if finished {
            "finished before the kill"
        } else if done.len() == n {
            "killed after the last change"
        } else if done.len() == done_before.len() {
            "killed before its first change"
        } else {
            "killed between changes"
        };
        eprintln!(
            "  run {run:2}: kill at {ms:4} ms: {outcome}; {}/{n} changes done on the server \
             ({} by this run), {} decisions still planned, {} of them already done upstream",
            done.len(),
            done.len() - done_before.len(),
            planned.len(),
            last_unrecorded.len()
        );
        *outcomes.entry(outcome).or_insert(0) += 1;
        if !finished {
            kills += 1;
        }
        if !finished && !last_unrecorded.is_empty() {
            unrecorded_kills += 1;
        }
    }
    let summary: Vec<String> = outcomes.iter().map(|(o, c)| format!("{c} {o}")).collect();
    eprintln!(
        "kill points, apply over SCIM: {run} runs, {kills} killed: {}; \
         {unrecorded_kills} kills landed between a change upstream and its record",
        summary.join(", ")
    );

    // The rerun completes it; what an earlier run already did is found in
    // place, not done again.
    let remaining = s.planned();
    let out = ok(dir, &["apply", "--as", OWNER]);
    if !remaining.is_empty() {
        assert_completes(&out, remaining.len(), last_unrecorded.len());
    }
    assert!(ok(dir, &["plan", "--as", OWNER]).contains("nothing planned"));

    // The server holds exactly the decided memberships, each once.
    for (e, g) in &s.groups {
        let members = s.members(g);
        let mut unique = members.clone();
        unique.dedup();
        assert_eq!(unique, members, "group {g} ({e}) lists a member twice");
        let mut want = s.seeded[g].clone();
        for (p, pe) in &s.grants {
            if pe == e {
                want.insert(s.users[p].clone());
            }
        }
        for (p, pe) in &s.revokes {
            if pe == e {
                want.remove(&s.users[p]);
            }
        }
        assert_eq!(
            members.into_iter().collect::<BTreeSet<_>>(),
            want,
            "group {g} ({e}) after the apply"
        );
    }
    // No change was sent twice: at most one PATCH per decision. A PATCH the
    // server carried out while its client was being killed goes unlogged
    // (the server cannot write its answer), and leaves that change upstream
    // without its record: at most one per such kill.
    let patches = s.patches_done();
    eprintln!("PATCH requests the server carried out and logged: {patches} for {n} changes");
    assert!(patches <= n, "{patches} PATCHes for {n} changes");
    assert!(
        patches + unrecorded_kills >= n,
        "{patches} PATCHes logged for {n} changes, with {unrecorded_kills} kills between a change and its record"
    );

    // The audit log: intact; every decision decided once and applied once, successfully.
    assert_cache_whole(dir);
    let (counts, oks) = audit(dir);
    let decided: BTreeSet<i64> = counts
        .keys()
        .filter(|(a, _)| a == "decide")
        .map(|(_, id)| *id)
        .collect();
    let applied: BTreeSet<i64> = counts
        .keys()
        .filter(|(a, _)| a == "apply")
        .map(|(_, id)| *id)
        .collect();
    assert_eq!(decided.len(), n, "decide entries: {counts:?}");
    assert_eq!(applied, decided, "apply entries vs decisions: {counts:?}");
    assert_eq!(oks.len(), n, "apply entries: {oks:?}");
    assert!(oks.iter().all(|&o| o), "an apply entry failed: {oks:?}");

    // A fresh sync sees the changes, and none of them is suggested again.
    ok(dir, &["sync"]);
    let out = ok(dir, &["suggest", "--json", "--as", OWNER]);
    let list: Vec<serde_json::Value> =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("suggest --json: {e}: {out}"));
    for sug in &list {
        let pair = (
            sug["person"].as_str().unwrap_or_default().to_string(),
            sug["entitlement"].as_str().unwrap_or_default().to_string(),
        );
        assert!(
            !s.grants.contains(&pair) && !s.revokes.contains(&pair),
            "{pair:?} is suggested again after its apply: {sug}"
        );
    }
    assert_eq!(
        list.len(),
        GROUPS,
        "only olga's reviews should remain:\n{out}"
    );
    // Every grant steward made carries its record, even those whose record
    // a kill cut off and the rerun wrote.
    for (p, e) in &s.grants {
        let why = ok(dir, &["why", p.as_str(), e.as_str()]);
        assert!(
            why.contains(&format!("granted by {OWNER}, basis rule:pay-read")),
            "{p} {e}:\n{why}"
        );
    }
    assert_cache_whole(dir);
    eprintln!("crash_scim total: {} ms", elapsed_ms(started));
}

/// How long `steward ARGS` takes to its end, in ms.
fn timed(dir: &Path, args: &[&str]) -> u64 {
    let start = Instant::now();
    ok(dir, args);
    elapsed_ms(start)
}

/// Starts `steward ARGS`, SIGKILLs it after `ms`, and reaps it: true if it
/// had already finished by itself (successfully).
fn kill_after(dir: &Path, args: &[&str], ms: u64) -> bool {
    let mut child = steward(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start steward {args:?}: {e}"));
    std::thread::sleep(Duration::from_millis(ms));
    let finished = child.try_wait().ok().flatten();
    let _ = child.kill();
    let _ = child.wait();
    finished.is_some_and(|s| s.success())
}

/// Audit entries of `action`, in all.
fn entries(dir: &Path, action: &str) -> usize {
    audit(dir)
        .0
        .iter()
        .filter(|((a, _), _)| a == action)
        .map(|(_, n)| n)
        .sum()
}

/// Runs `steward reconcile` on `s`, SIGKILLed at points spread from its
/// evaluation to its end (`whole` ms, as one uninterrupted run on a twin
/// took), until a run finishes or `KILLS` were killed; then once more to
/// its end. Its `n` automatic changes are each recorded once and carried
/// out once, at most one PATCH each; nothing is left due. The kills made.
fn reconcile_through_kills(s: &Scenario, delays: &mut Delays, phase: &str, n: usize, whole: u64) {
    const KILLS: usize = 6;
    let dir = s.dir();
    let dry = ok(dir, &["reconcile", "--dry-run"]);
    let due = dry.lines().filter(|l| l.starts_with("would: ")).count();
    assert_eq!(due, n, "{phase}: changes due:\n{dry}");
    let load = timed(dir, &["reconcile", "--dry-run"]);
    let (auto0, apply0, patches0) = (
        entries(dir, "auto"),
        entries(dir, "apply"),
        s.patches_done(),
    );
    let mut points: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut kills = 0;
    while kills < KILLS {
        // Over the evaluation's second half and the changes left to do.
        let before = entries(dir, "apply");
        let left = (n - (before - apply0)) as u64;
        let work = whole.saturating_sub(load) * left / n.max(1) as u64;
        let ms = load / 2 + delays.next_ms(load / 2 + work + 1);
        if kill_after(dir, &["reconcile"], ms) {
            *points.entry("finished before the kill").or_insert(0) += 1;
            break;
        }
        kills += 1;
        assert_cache_whole(dir);
        let (recorded, applied) = (entries(dir, "auto") - auto0, entries(dir, "apply"));
        let point = match (recorded, applied - before, applied - apply0) {
            (0, _, _) => "killed before recording its changes",
            (_, 0, a) if a == n => "killed after its last change",
            (_, 0, _) => "killed before carrying out a change",
            _ => "killed while carrying out",
        };
        *points.entry(point).or_insert(0) += 1;
    }
    eprintln!("reconcile over SCIM, {phase} ({n} changes, whole run {whole} ms): {points:?}");
    let out = ok(dir, &["reconcile"]);
    assert!(!out.contains("FAILED"), "{phase}:\n{out}");
    // Each change recorded once, by its rule, and carried out once.
    assert_cache_whole(dir);
    let (counts, oks) = audit(dir);
    let twice: Vec<_> = counts
        .iter()
        .filter(|((a, _), c)| (a == "auto" || a == "apply") && **c > 1)
        .collect();
    assert!(twice.is_empty(), "{phase}: audited twice: {twice:?}");
    assert_eq!(entries(dir, "auto") - auto0, n, "{phase}: auto entries");
    assert_eq!(entries(dir, "apply") - apply0, n, "{phase}: apply entries");
    assert!(oks.iter().all(|&o| o), "{phase}: an apply entry failed");
    // No change sent twice. A PATCH the server carried out as its client
    // was killed may go unlogged: at most one per kill.
    let patches = s.patches_done() - patches0;
    assert!(patches <= n, "{phase}: {patches} PATCHes for {n} changes");
    assert!(
        patches + kills >= n,
        "{phase}: {patches} PATCHes logged for {n} changes with {kills} kills"
    );
    let again = ok(dir, &["reconcile"]);
    assert!(again.contains("nothing due"), "{phase}:\n{again}");
}

/// Each entitlement group holds its seeded members, plus `granted`, less
/// `revoked`, each once.
fn assert_groups(
    s: &Scenario,
    granted: &BTreeSet<(String, String)>,
    revoked: &BTreeSet<(String, String)>,
) {
    for (e, g) in &s.groups {
        let members = s.members(g);
        let mut unique = members.clone();
        unique.dedup();
        assert_eq!(unique, members, "group {g} ({e}) lists a member twice");
        let mut want = s.seeded[g].clone();
        for (p, pe) in granted {
            if pe == e {
                want.insert(s.users[p].clone());
            }
        }
        for (p, pe) in revoked {
            if pe == e {
                want.remove(&s.users[p]);
            }
        }
        assert_eq!(
            members.into_iter().collect::<BTreeSet<_>>(),
            want,
            "group {g} ({e})"
        );
    }
}

/// `steward reconcile` over SCIM, killed at points spread over its run and
/// run again: first the automatic grants of who qualifies, then, when some
/// engineers' training lapsed, the automatic revokes of what it granted
/// them. Each change is carried out once upstream and audited once, and the
/// groups end as the rule says.
#[test]
fn a_scim_reconcile_killed_at_random_points_carries_out_each_change_once() {
    let lapsed: Vec<String> = (0..4).map(|i| format!("eng{:02}", i * 3 + 1)).collect();
    let revokes_of = |s: &Scenario| -> BTreeSet<(String, String)> {
        s.grants
            .iter()
            .filter(|(p, _)| lapsed.contains(p))
            .cloned()
            .collect()
    };
    // How long uninterrupted runs take, on a twin: kill delays are spread
    // over them; no assertion depends on them.
    let twin = scenario_with(true);
    let whole_grants = timed(twin.dir(), &["reconcile"]);
    write_trainings(twin.dir(), &lapsed);
    ok(twin.dir(), &["sync"]);
    let whole_revokes = timed(twin.dir(), &["reconcile"]);
    drop(twin);

    let s = scenario_with(true);
    let none = BTreeSet::new();
    let mut delays = Delays(0x5C1A_0014);
    reconcile_through_kills(&s, &mut delays, "grants", s.grants.len(), whole_grants);
    assert_groups(&s, &s.grants, &none);
    // Granted by the rule, as the next sync reads it back.
    ok(s.dir(), &["sync"]);
    for (p, e) in &s.grants {
        let why = ok(s.dir(), &["why", p.as_str(), e.as_str()]);
        assert!(
            why.contains(&format!("granted by {OWNER}, basis rule:pay-read")),
            "{p} {e}:\n{why}"
        );
    }

    write_trainings(s.dir(), &lapsed);
    ok(s.dir(), &["sync"]);
    let revokes = revokes_of(&s);
    assert!(revokes.len() >= 8, "{revokes:?}");
    reconcile_through_kills(&s, &mut delays, "revokes", revokes.len(), whole_revokes);
    assert_groups(&s, &s.grants, &revokes);
    ok(s.dir(), &["sync"]);
    let again = ok(s.dir(), &["reconcile", "--dry-run"]);
    assert!(again.contains(" 0 automatic change(s) due"), "{again}");
}
