//! `steward sync` of a SCIM directory with 10k users, 1k groups and 100k
//! memberships plus PagerDuty schedules, against merely downloading the
//! same pages with the same concurrency. The target: sync <= 1.3 x download.
//!
//! Two servers:
//! - a local fixture server (pre-rendered pages; fast, so steward's own
//!   cost — parsing, matching, SQLite — shows fully): always, with criterion;
//! - the real peers (scim2-server from PyPI, Prism with PagerDuty's spec):
//!   with `STEWARD_BENCH_REAL=1` (seeding scim2-server at full size takes a
//!   minute, and it serves one request at a time, ~0.3 s per page of 100).
//!
//! `cargo bench --bench sync_scim` prints absolute times and the ratio.
//! Sizes: STEWARD_BENCH_USERS, STEWARD_BENCH_GROUPS, STEWARD_BENCH_MEMBERS
//! (members per group).

// The allocator the binary runs with (src/main.rs), so figures are its own.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/peers/mod.rs"]
mod peers;

use criterion::Criterion;
use peers::{FaultServer, Reply};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use steward::config::{self, SourceConfig};
use steward::model::Time;
use steward::sources::http::{Fetcher, Progress, client};
use steward::store::Store;

const CONCURRENCY: usize = 4;
const PAGE: usize = 100;

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn now() -> Time {
    "2026-11-24T12:00:00Z".parse().unwrap()
}

struct Sizes {
    users: usize,
    groups: usize,
    members: usize,
}

fn sizes() -> Sizes {
    Sizes {
        users: env_usize("STEWARD_BENCH_USERS", 10_000),
        groups: env_usize("STEWARD_BENCH_GROUPS", 1_000),
        members: env_usize("STEWARD_BENCH_MEMBERS", 100),
    }
}

fn user_json(i: usize, manager: Option<String>) -> serde_json::Value {
    let mut u = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": format!("{i:08x}-user"),
        "userName": format!("user{i:05}"),
        "displayName": format!("User Number {i}"),
        "name": {"givenName": "User", "familyName": format!("Number {i}")},
        "emails": [{"value": format!("user{i:05}@acme.test"), "primary": true, "type": "work"}],
        "active": !i.is_multiple_of(50),
        "meta": {"resourceType": "User", "version": "W/\"1\""}
    });
    if let Some(m) = manager {
        u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
            serde_json::json!({"manager": {"value": m}});
    }
    u
}

fn group_name(g: usize) -> String {
    if g.is_multiple_of(10) {
        format!("team-t{g:04}")
    } else {
        format!("ent-e{g:04}:read")
    }
}

fn list_page(items: &[serde_json::Value], start: usize, total: usize) -> String {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total, "startIndex": start, "itemsPerPage": items.len(),
        "Resources": items
    })
    .to_string()
}

const SCHEDULES: usize = 20;

fn pd_schedule(s: usize, users: usize) -> String {
    let start: Time = "2026-11-10T00:00:00Z".parse().unwrap();
    let entries: Vec<serde_json::Value> = (0..42 * 2)
        .map(|h| {
            let a = start + chrono::Duration::hours(12 * h as i64);
            let b = a + chrono::Duration::hours(12);
            serde_json::json!({"start": a.to_rfc3339(), "end": b.to_rfc3339(),
                "user": {"id": format!("PU{:05}", (s * 7 + h) % users.min(500)), "type": "user_reference"}})
        })
        .collect();
    serde_json::json!({"schedule": {"id": format!("PS{s:03}"), "name": format!("Schedule {s}"),
        "users": [{"id": format!("PU{:05}", s % users.min(500))}],
        "final_schedule": {"rendered_schedule_entries": entries}}})
    .to_string()
}

/// Pre-rendered pages, by path and query, as steward will ask for them.
fn fixture(sz: &Sizes) -> HashMap<String, Arc<String>> {
    let mut pages = HashMap::new();
    let users: Vec<serde_json::Value> = (0..sz.users)
        .map(|i| user_json(i, (i > 0).then(|| format!("{:08x}-user", i / 10))))
        .collect();
    for (k, chunk) in users.chunks(PAGE).enumerate() {
        let start = 1 + k * PAGE;
        pages.insert(
            format!("/scim/v2/Users?startIndex={start}&count={PAGE}"),
            Arc::new(list_page(chunk, start, sz.users)),
        );
    }
    let groups: Vec<serde_json::Value> = (0..sz.groups)
        .map(|g| {
            let members: Vec<serde_json::Value> = (0..sz.members)
                .map(|m| serde_json::json!({"value": format!("{:08x}-user", (g * 37 + m * 101) % sz.users)}))
                .collect();
            serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "id": format!("{g:08x}-group"), "displayName": group_name(g), "members": members})
        })
        .collect();
    for (k, chunk) in groups.chunks(PAGE).enumerate() {
        let start = 1 + k * PAGE;
        pages.insert(
            format!("/scim/v2/Groups?startIndex={start}&count={PAGE}"),
            Arc::new(list_page(chunk, start, sz.groups)),
        );
    }
    let pd_users: Vec<serde_json::Value> = (0..sz.users.min(500))
        .map(|i| serde_json::json!({"id": format!("PU{i:05}"), "email": format!("USER{i:05}@acme.test"), "name": format!("User {i}")}))
        .collect();
    let n = pd_users.len();
    for (k, chunk) in pd_users.chunks(PAGE).enumerate() {
        let offset = k * PAGE;
        pages.insert(
            format!("/pd/users?limit={PAGE}&offset={offset}"),
            Arc::new(
                serde_json::json!({"users": chunk, "limit": PAGE, "offset": offset, "more": offset + PAGE < n})
                    .to_string(),
            ),
        );
    }
    let since = "2026-11-10T12%3A00%3A00Z";
    let until = "2026-12-22T12%3A00%3A00Z";
    for s in 0..SCHEDULES {
        pages.insert(
            format!("/pd/schedules/PS{s:03}?since={since}&until={until}&time_zone=UTC"),
            Arc::new(pd_schedule(s, sz.users)),
        );
    }
    pages
}

fn config_text(scim: &str, pd: &str, pd_token: bool) -> String {
    let schedules: Vec<String> = (0..SCHEDULES).map(|s| format!("\"PS{s:03}\"")).collect();
    format!(
        r#"[[source]]
kind = "scim"
name = "idp"
url = "{scim}"
team_prefix = "team-"
entitlement_prefix = "ent-"
page_size = {PAGE}
concurrency = {CONCURRENCY}
timeout_secs = 120

[[source]]
kind = "pagerduty"
name = "pd"
url = "{pd}"
{}
schedules = [{}]
page_size = {PAGE}
concurrency = {CONCURRENCY}
timeout_secs = 120
"#,
        if pd_token {
            "token_env = \"BENCH_PD_TOKEN\""
        } else {
            ""
        },
        schedules.join(", ")
    )
}

fn sources(text: &str) -> Vec<SourceConfig> {
    config::parse(text, Path::new("bench.toml"))
        .unwrap()
        .sources()
        .unwrap_or_else(|e| panic!("{e:?}"))
}

/// One full sync into `store`; panics unless every source succeeded.
fn sync_once(rt: &tokio::runtime::Runtime, store: &mut Store, srcs: &[SourceConfig]) {
    let out = rt
        .block_on(steward::sync::sync_sources(
            store,
            srcs,
            None,
            client(),
            None,
            now(),
        ))
        .unwrap();
    for o in out {
        if let Err(e) = o.result {
            panic!("sync of {} failed: {e}", o.name);
        }
    }
}

/// Downloads `listings` (each: first URL, then the rest `CONCURRENCY` at a
/// time; `sequential` ones one by one), all listings at once, as sync does.
async fn download(srcs: &[SourceConfig], listings: &[(usize, Vec<String>, bool)]) -> usize {
    let c = client();
    let fetchers: Vec<Arc<Fetcher>> = srcs
        .iter()
        .map(|s| {
            let mut f = Fetcher::new(
                &s.name,
                c.clone(),
                s.http.clone(),
                Arc::new(Progress::new(&s.name, None)),
            )
            .header("accept", "application/json", false)
            .header("content-type", "application/json", false);
            if s.kind == config::SourceKind::PagerDuty {
                f = f.header("authorization", "Token token=bench", true);
            } else {
                f = f.header(
                    "authorization",
                    &format!("Bearer {}", peers::SCIM_TOKEN),
                    true,
                );
            }
            Arc::new(f)
        })
        .collect();
    let jobs = listings.iter().map(|(src, urls, sequential)| {
        let f = fetchers[*src].clone();
        async move {
            let mut bytes = 0;
            let first = reqwest::Url::parse(&urls[0]).unwrap();
            bytes += f.get(&first).await.unwrap().body.len();
            if *sequential {
                for u in &urls[1..] {
                    bytes += f
                        .get(&reqwest::Url::parse(u).unwrap())
                        .await
                        .unwrap()
                        .body
                        .len();
                }
                return bytes;
            }
            let sem = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
            let mut set = tokio::task::JoinSet::new();
            for u in &urls[1..] {
                let u = u.clone();
                let f = f.clone();
                let sem = sem.clone();
                set.spawn(async move {
                    let _p = sem.acquire_owned().await;
                    f.get(&reqwest::Url::parse(&u).unwrap())
                        .await
                        .unwrap()
                        .body
                        .len()
                });
            }
            while let Some(n) = set.join_next().await {
                bytes += n.unwrap();
            }
            bytes
        }
    });
    futures_util::future::join_all(jobs).await.into_iter().sum()
}

/// The URLs a sync requested, grouped into listings as `download` wants them.
fn listings(seen: &[String], scim_base: &str, pd_base: &str) -> Vec<(usize, Vec<String>, bool)> {
    let mut users = Vec::new();
    let mut groups = Vec::new();
    let mut pd_users = Vec::new();
    let mut schedules = Vec::new();
    for u in seen {
        if u.contains("/Users?") {
            users.push(u.clone());
        } else if u.contains("/Groups?") {
            groups.push(u.clone());
        } else if u.contains("/users?") {
            pd_users.push(u.clone());
        } else if u.contains("/schedules/") {
            schedules.push(u.clone());
        }
    }
    let _ = (scim_base, pd_base);
    let key = |u: &String| {
        u.split(['=', '&'])
            .filter_map(|x| x.parse::<usize>().ok())
            .next()
            .unwrap_or(0)
    };
    users.sort_by_key(key);
    groups.sort_by_key(key);
    pd_users.sort_by_key(key);
    users.dedup();
    groups.dedup();
    pd_users.dedup();
    schedules.sort();
    schedules.dedup();
    vec![
        (0, users, false),
        (0, groups, false),
        (1, pd_users, true),
        (1, schedules, false),
    ]
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Alternates download and sync `rounds` times; prints both and the ratio.
fn compare(
    label: &str,
    rt: &tokio::runtime::Runtime,
    srcs: &[SourceConfig],
    lists: &[(usize, Vec<String>, bool)],
    rounds: usize,
) -> (Duration, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("bench.db")).unwrap();
    let first = Instant::now();
    sync_once(rt, &mut store, srcs);
    let first = first.elapsed();
    let mut dl = Vec::new();
    let mut sy = Vec::new();
    let mut bytes = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        bytes = rt.block_on(download(srcs, lists));
        dl.push(t.elapsed());
        let t = Instant::now();
        sync_once(rt, &mut store, srcs);
        sy.push(t.elapsed());
    }
    let (d, s) = (median(dl), median(sy));
    let org = store.load_org().unwrap();
    let pages: usize = lists.iter().map(|l| l.1.len()).sum();
    println!(
        "{label}: {pages} pages, {:.1} MB; cache: {} people, {} teams, {} grants, {} rotations, {} shifts",
        bytes as f64 / 1e6,
        org.people.len(),
        org.teams.len(),
        org.grants.len(),
        org.rotations.len(),
        org.rotations.iter().map(|r| r.shifts.len()).sum::<usize>()
    );
    println!(
        "{label}: download {:.3}s, sync {:.3}s (first sync into an empty cache {:.3}s), ratio {:.2} (median of {rounds})",
        d.as_secs_f64(),
        s.as_secs_f64(),
        first.as_secs_f64(),
        s.as_secs_f64() / d.as_secs_f64()
    );
    (d, s)
}

fn fixture_bench(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let sz = sizes();
    let pages = Arc::new(fixture(&sz));
    let p = pages.clone();
    let server = FaultServer::start(move |r, _| match p.get(&r.path) {
        Some(body) => Reply::ok(body.as_str()),
        None => Reply::status(404, format!("{{\"detail\":\"no fixture for {}\"}}", r.path)),
    });
    let srcs = sources(&config_text(
        &format!("{}/scim/v2", server.base),
        &format!("{}/pd", server.base),
        false,
    ));
    // Warm up, and learn which URLs a sync asks for.
    {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("w.db")).unwrap();
        sync_once(rt, &mut store, &srcs);
    }
    let seen: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("{}{}", server.base, r.path))
        .collect();
    let lists = listings(&seen, &server.base, &server.base);
    println!(
        "fixture: {} users, {} groups x {} members = {} memberships, {SCHEDULES} PagerDuty schedules",
        sz.users,
        sz.groups,
        sz.members,
        sz.groups * sz.members
    );
    compare("fixture", rt, &srcs, &lists, 5);
    if std::env::var("STEWARD_BENCH_QUICK").is_ok() {
        return;
    }

    let mut g = c.benchmark_group("sync_scim_fixture");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("download", |b| {
        b.iter(|| rt.block_on(download(&srcs, &lists)))
    });
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("bench.db")).unwrap();
    g.bench_function("sync", |b| b.iter(|| sync_once(rt, &mut store, &srcs)));
    g.finish();
}

/// Seeds scim2-server with /Bulk (1000 operations a request).
fn seed_scim(base: &str, sz: &Sizes) {
    let auth = format!("Bearer {}", peers::SCIM_TOKEN);
    let bulk = |ops: Vec<serde_json::Value>| -> serde_json::Value {
        let body = serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops})
            .to_string();
        let r = peers::request(
            "POST",
            &format!("{base}/Bulk"),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/scim+json"),
            ],
            Some(&body),
        )
        .unwrap();
        assert_eq!(
            r.status,
            200,
            "{}",
            r.body.chars().take(300).collect::<String>()
        );
        r.json()
    };
    let t = Instant::now();
    let mut ids: Vec<String> = Vec::with_capacity(sz.users);
    for chunk in (0..sz.users).collect::<Vec<_>>().chunks(1000) {
        let ops = chunk
            .iter()
            .map(|&i| {
                let mut u = user_json(i, None);
                u.as_object_mut().map(|o| o.remove("id"));
                u.as_object_mut().map(|o| o.remove("meta"));
                serde_json::json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"), "data": u})
            })
            .collect();
        let out = bulk(ops);
        for op in out["Operations"].as_array().unwrap() {
            let loc = op["location"].as_str().unwrap_or_default();
            ids.push(loc.rsplit('/').next().unwrap_or_default().to_string());
        }
    }
    println!(
        "real: seeded {} users in {:.1}s",
        ids.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    for chunk in (0..sz.groups).collect::<Vec<_>>().chunks(50) {
        let ops = chunk
            .iter()
            .map(|&g| {
                let members: Vec<serde_json::Value> = (0..sz.members)
                    .map(|m| serde_json::json!({"value": ids[(g * 37 + m * 101) % ids.len()]}))
                    .collect();
                serde_json::json!({"method": "POST", "path": "/Groups", "bulkId": format!("g{g}"),
                    "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": group_name(g), "members": members}})
            })
            .collect();
        bulk(ops);
    }
    println!(
        "real: seeded {} groups with {} memberships in {:.1}s",
        sz.groups,
        sz.groups * sz.members,
        t.elapsed().as_secs_f64()
    );
}

fn real_bench(rt: &tokio::runtime::Runtime) {
    let sz = sizes();
    let scim = peers::scim_server();
    let prism = peers::pagerduty_mock();
    seed_scim(&scim.base, &sz);
    // SAFETY: set before any thread reads it.
    unsafe {
        std::env::set_var("BENCH_PD_TOKEN", "bench");
        std::env::set_var("BENCH_SCIM_TOKEN", peers::SCIM_TOKEN);
    }
    let text = config_text(&scim.base, &prism.base, true).replace(
        "name = \"idp\"\n",
        "name = \"idp\"\ntoken_env = \"BENCH_SCIM_TOKEN\"\n",
    );
    // Prism knows one schedule (PI7DH85).
    let text = text
        .lines()
        .map(|l| {
            if l.starts_with("schedules = ") {
                "schedules = [\"PI7DH85\"]".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let srcs = sources(&text);
    let scim_base = scim.base.clone();
    let prism_base = prism.base.clone();
    // The URLs: what the sync asks for, from its own request pattern.
    let users: Vec<String> = (0..sz.users.div_ceil(PAGE))
        .map(|k| format!("{scim_base}/Users?startIndex={}&count={PAGE}", 1 + k * PAGE))
        .collect();
    let groups: Vec<String> = (0..sz.groups.div_ceil(PAGE))
        .map(|k| {
            format!(
                "{scim_base}/Groups?startIndex={}&count={PAGE}",
                1 + k * PAGE
            )
        })
        .collect();
    let lists = vec![
        (0, users, false),
        (0, groups, false),
        (
            1,
            vec![format!("{prism_base}/users?limit={PAGE}&offset=0")],
            true,
        ),
        (
            1,
            vec![format!(
                "{prism_base}/schedules/PI7DH85?since=2026-11-10T12%3A00%3A00Z&until=2026-12-22T12%3A00%3A00Z&time_zone=UTC"
            )],
            false,
        ),
    ];
    println!(
        "real: scim2-server {} users, {} groups x {} members; Prism PagerDuty",
        sz.users, sz.groups, sz.members
    );
    let rounds = env_usize("STEWARD_BENCH_REAL_ROUNDS", 3);
    compare("real", rt, &srcs, &lists, rounds);
}

fn main() {
    if let Ok(filter) = std::env::var("STEWARD_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if std::env::var("STEWARD_BENCH_STORE").is_ok() {
        store_phases();
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    fixture_bench(&mut c, &rt);
    if std::env::var("STEWARD_BENCH_REAL").is_ok_and(|v| v == "1") {
        real_bench(&rt);
    } else {
        println!(
            "real peers: skipped (STEWARD_BENCH_REAL=1 runs scim2-server and Prism at full size)"
        );
    }
    c.final_summary();
}

/// Times the cache writes alone (observe + replace) at full size.
fn store_phases() {
    use steward::model::*;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    let pairs: Vec<(String, String)> = (0..90_000)
        .map(|i| {
            (
                format!("user{:05}", i % 10_000),
                format!("e{:04}:read", i / 100),
            )
        })
        .collect();
    let info = steward::store::SourceInfo {
        name: "idp".into(),
        kind: "scim".into(),
        location: "x".into(),
        synced_at: None,
        attempted_at: None,
        error: None,
        items: 0,
    };
    let people: Vec<Person> = (0..10_000)
        .map(|i| Person {
            id: format!("user{i:05}"),
            name: format!("User {i}"),
            email: format!("user{i:05}@acme.test"),
            manager: None,
            status: Status::Active,
            ..Default::default()
        })
        .collect();
    for round in 0..3 {
        let t = Instant::now();
        let grants = store.observe_grants("idp", &pairs, now()).unwrap();
        let o = t.elapsed();
        let org = Org {
            people: people.clone(),
            grants,
            ..Org::default()
        };
        let t = Instant::now();
        store.replace_source(&info, &org, now()).unwrap();
        let w = t.elapsed();
        let t = Instant::now();
        let _ = store.load_org().unwrap();
        let l = t.elapsed();
        println!("store round {round}: observe {o:?}, replace {w:?}, load {l:?}");
    }
}
