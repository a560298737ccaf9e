//! Faults real servers will not produce on demand, from a scripted local
//! server: 429 with Retry-After, 500, timeouts, truncated and malformed JSON,
//! pages that repeat. Each ends in a successful retry or a clear error, and
//! a failed source keeps its previous cache.

mod peers;

use peers::{FaultServer, Reply, Seen};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use steward::config::{self, SourceConfig};
use steward::model::Time;
use steward::sources::PullError;
use steward::store::Store;
use steward::sync::{SourceError, SourceOutcome, sync_sources};

fn now() -> Time {
    "2026-11-24T12:00:00Z".parse().unwrap()
}

const TOKEN: &str = "fault-test-secret-77";

fn sources(text: &str) -> Vec<SourceConfig> {
    // SAFETY: tests in this binary set the same value.
    unsafe { std::env::set_var("FAULT_TOKEN", TOKEN) };
    config::parse(text, Path::new("steward.toml"))
        .unwrap()
        .sources()
        .unwrap_or_else(|e| panic!("{e:?}"))
}

fn scim_config(base: &str, extra: &str) -> Vec<SourceConfig> {
    sources(&format!(
        "[[source]]\nkind = \"scim\"\nname = \"idp\"\nurl = \"{base}/scim/v2\"\ntoken_env = \"FAULT_TOKEN\"\nbackoff_ms = 20\ntimeout_secs = 2\npage_size = 2\n{}{extra}",
        if extra.contains("retries") {
            ""
        } else {
            "retries = 3\n"
        }
    ))
}

fn run(store: &mut Store, srcs: &[SourceConfig]) -> Vec<SourceOutcome> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(sync_sources(
        store,
        srcs,
        None,
        steward::sources::http::client(),
        None,
        now(),
    ))
    .unwrap()
}

fn users_page(start: usize, total: usize, ids: &[&str]) -> String {
    let res: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| {
            serde_json::json!({"id": id, "userName": id, "emails": [{"value": format!("{id}@x.test")}]})
        })
        .collect();
    serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total, "startIndex": start, "itemsPerPage": ids.len(), "Resources": res})
    .to_string()
}

fn empty_groups() -> String {
    serde_json::json!({"totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []})
        .to_string()
}

/// A healthy SCIM server with users a, b, c (pages of 2) and no groups.
fn healthy(req: &Seen) -> Reply {
    if req.path.contains("/Groups") {
        Reply::ok(empty_groups())
    } else if req.path.contains("startIndex=3") {
        Reply::ok(users_page(3, 3, &["c"]))
    } else {
        Reply::ok(users_page(1, 3, &["a", "b"]))
    }
}

fn people(store: &Store) -> Vec<String> {
    let mut p: Vec<String> = store
        .load_org()
        .unwrap()
        .people
        .into_iter()
        .map(|p| p.id)
        .collect();
    p.sort();
    p
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.db")).unwrap();
    (dir, store)
}

/// Syncs once from a healthy server so that there is a cache to keep.
fn seeded() -> (tempfile::TempDir, Store) {
    let (d, mut s) = store();
    let server = FaultServer::start(|r, _| healthy(r));
    let out = run(&mut s, &scim_config(&server.base, ""));
    assert!(out[0].result.is_ok(), "{:?}", out[0].result);
    assert_eq!(people(&s), ["a", "b", "c"]);
    (d, s)
}

fn error_of(out: &[SourceOutcome]) -> String {
    match &out[0].result {
        Err(e) => e.to_string(),
        Ok(c) => panic!("expected a failure, got {c:?}"),
    }
}

/// Why the first source's pull failed, as its kind.
fn pull_error_of(out: &[SourceOutcome]) -> PullError {
    match &out[0].result {
        Err(SourceError::Pull(e)) => e.clone(),
        other => panic!("expected a failed pull, got {other:?}"),
    }
}

#[test]
fn a_429_with_retry_after_is_honoured_then_the_sync_succeeds() {
    let (_d, mut s) = store();
    let limited = Arc::new(AtomicBool::new(false));
    let l = limited.clone();
    let server = FaultServer::start(move |r, _| {
        if r.path.contains("/Users") && !l.swap(true, Ordering::SeqCst) {
            return Reply::status(429, r#"{"detail":"slow down"}"#).with_header("Retry-After", "1");
        }
        healthy(r)
    });
    let started = Instant::now();
    let out = run(&mut s, &scim_config(&server.base, ""));
    assert!(out[0].result.is_ok(), "{:?}", out[0].result);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "did not wait for Retry-After"
    );
    assert_eq!(people(&s), ["a", "b", "c"]);
    let users: Vec<Seen> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/Users") && r.path.contains("startIndex=1&"))
        .collect();
    assert_eq!(users.len(), 2);
    assert!(users[1].at.duration_since(users[0].at) >= Duration::from_millis(950));
    assert_eq!(
        users[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[test]
fn a_retry_after_longer_than_allowed_fails_clearly() {
    let (_d, mut s) = seeded();
    let server = FaultServer::start(|r, _| {
        if r.path.contains("/Users") {
            return Reply::status(429, "{}").with_header("Retry-After", "3600");
        }
        healthy(r)
    });
    let out = run(&mut s, &scim_config(&server.base, ""));
    let e = error_of(&out);
    assert!(
        e.contains("HTTP 429") && e.contains("Retry-After asks for 3600s"),
        "{e}"
    );
    assert_eq!(people(&s), ["a", "b", "c"]);
}

#[test]
fn a_500_is_retried_with_backoff_then_succeeds() {
    let (_d, mut s) = store();
    let server = FaultServer::start(|r, n| {
        if n < 2 {
            return Reply::status(500, "oops");
        }
        healthy(r)
    });
    let out = run(&mut s, &scim_config(&server.base, ""));
    assert!(out[0].result.is_ok(), "{:?}", out[0].result);
    assert_eq!(people(&s), ["a", "b", "c"]);
}

#[test]
fn a_persistent_500_fails_naming_source_url_status_and_body_and_keeps_the_cache() {
    let (_d, mut s) = seeded();
    let server = FaultServer::start(|r, _| {
        if r.path.contains("/Users") {
            return Reply::status(503, r#"{"detail":"maintenance window"}"#);
        }
        healthy(r)
    });
    let out = run(&mut s, &scim_config(&server.base, ""));
    assert!(
        matches!(pull_error_of(&out), PullError::Fetch(f) if f.status == Some(503) && f.source == "idp"),
        "{:?}",
        out[0].result
    );
    let e = error_of(&out);
    assert!(e.contains("source idp"), "{e}");
    assert!(
        e.contains(&format!(
            "GET {}/scim/v2/Users?startIndex=1&count=2",
            server.base
        )),
        "{e}"
    );
    assert!(e.contains("HTTP 503"), "{e}");
    assert!(e.contains("maintenance window"), "{e}");
    assert!(e.contains("gave up after 4 attempts"), "{e}");
    assert!(!e.contains(TOKEN));
    assert_eq!(people(&s), ["a", "b", "c"]);
    let info = s.source("idp").unwrap().unwrap();
    assert!(info.error.is_some_and(|x| x.contains("HTTP 503")));
    assert!(info.synced_at.is_some());
}

#[test]
fn a_timeout_is_retried_then_fails_clearly() {
    let (_d, mut s) = seeded();
    let server = FaultServer::start(|r, _| {
        if r.path.contains("/Users") {
            return Reply::Slow(Duration::from_secs(4), Box::new(healthy(r)));
        }
        healthy(r)
    });
    let out = run(&mut s, &scim_config(&server.base, "retries = 1\n"));
    let e = error_of(&out);
    assert!(e.contains("timed out after 2s"), "{e}");
    assert!(e.contains("gave up after 2 attempts"), "{e}");
    assert_eq!(people(&s), ["a", "b", "c"]);
}

#[test]
fn a_body_cut_off_in_transfer_is_retried() {
    let (_d, mut s) = store();
    let cut = Arc::new(AtomicBool::new(false));
    let c = cut.clone();
    let server = FaultServer::start(move |r, _| {
        if r.path.contains("startIndex=3") && !c.swap(true, Ordering::SeqCst) {
            let full = users_page(3, 3, &["c"]);
            return Reply::Truncated(full.len(), full[..full.len() / 2].to_string());
        }
        healthy(r)
    });
    let out = run(&mut s, &scim_config(&server.base, ""));
    assert!(out[0].result.is_ok(), "{:?}", out[0].result);
    assert_eq!(people(&s), ["a", "b", "c"]);
}

#[test]
fn truncated_or_malformed_json_fails_clearly_and_keeps_the_cache() {
    let (_d, mut s) = seeded();
    let server = FaultServer::start(|r, _| {
        if r.path.contains("startIndex=3") {
            let full = users_page(3, 3, &["c"]);
            return Reply::ok(full[..full.len() - 7].to_string());
        }
        healthy(r)
    });
    let e = error_of(&run(&mut s, &scim_config(&server.base, "")));
    assert!(e.contains("truncated"), "{e}");
    assert!(e.contains("startIndex=3"), "{e}");
    assert_eq!(people(&s), ["a", "b", "c"]);

    let server = FaultServer::start(|r, _| {
        if r.path.contains("/Users") {
            return Reply::ok("<html>proxy error</html>");
        }
        healthy(r)
    });
    let e = error_of(&run(&mut s, &scim_config(&server.base, "")));
    assert!(
        e.contains("malformed JSON") && e.contains("proxy error"),
        "{e}"
    );

    let server = FaultServer::start(|r, _| {
        if r.path.contains("/Users") {
            return Reply::ok(r#"{"totalResults": 1, "Resources": [{"userName": "no-id"}]}"#);
        }
        healthy(r)
    });
    let out = run(&mut s, &scim_config(&server.base, ""));
    assert!(
        matches!(pull_error_of(&out), PullError::Fetch(_)),
        "{:?}",
        out[0].result
    );
    let e = error_of(&out);
    assert!(e.contains("missing field `id`"), "{e}");
    assert_eq!(people(&s), ["a", "b", "c"]);
}

#[test]
fn a_server_that_repeats_pages_is_refused() {
    let (_d, mut s) = seeded();
    // Ignores startIndex: every page is the first one.
    let server = FaultServer::start(|r, _| {
        if r.path.contains("/Users") {
            return Reply::ok(users_page(1, 3, &["a", "b"]).replace("\"startIndex\":1,", ""));
        }
        healthy(r)
    });
    let out = run(&mut s, &scim_config(&server.base, ""));
    assert!(
        matches!(pull_error_of(&out), PullError::Refused { name, .. } if name == "idp"),
        "{:?}",
        out[0].result
    );
    let e = error_of(&out);
    assert!(e.contains("repeats"), "{e}");
    assert_eq!(people(&s), ["a", "b", "c"]);
}

fn pd_config(base: &str, extra: &str) -> Vec<SourceConfig> {
    sources(&format!(
        "[[source]]\nkind = \"pagerduty\"\nurl = \"{base}\"\ntoken_env = \"FAULT_TOKEN\"\nbackoff_ms = 20\npage_size = 1\n{extra}"
    ))
}

fn pd_schedule() -> String {
    serde_json::json!({"schedule": {"id": "S1", "name": "Primary", "users": [{"id": "U1"}],
        "final_schedule": {"rendered_schedule_entries": [
            {"start": "2026-11-23T09:00:00Z", "end": "2026-11-30T09:00:00Z", "user": {"id": "U1", "summary": "Ana"}},
            {"start": "2026-11-30T09:00:00-05:00", "end": "2026-12-07T09:00:00-05:00", "user": {"id": "U2"}}
        ]}}})
    .to_string()
}

#[test]
fn pagerduty_pages_by_offset_and_sends_its_headers() {
    let (_d, mut s) = store();
    let server = FaultServer::start(|r, _| {
        if r.path.starts_with("/schedules/S1") {
            return Reply::ok(pd_schedule());
        }
        if r.path.starts_with("/users") {
            let (id, more) = if r.path.contains("offset=0") {
                ("U1", true)
            } else {
                ("U2", false)
            };
            return Reply::ok(
                serde_json::json!({"users": [{"id": id, "email": format!("{id}@X.test")}], "limit": 1, "more": more})
                    .to_string(),
            );
        }
        Reply::status(404, "{}")
    });
    let out = run(&mut s, &pd_config(&server.base, "schedules = [\"S1\"]\n"));
    assert!(out[0].result.is_ok(), "{:?}", out[0].result);
    let org = s.load_org().unwrap();
    let r = &org.rotations[0];
    assert_eq!((r.id.as_str(), r.name.as_str()), ("S1", "Primary"));
    assert_eq!(r.shifts.len(), 2);
    assert_eq!(r.shifts[0].person, "u1@x.test");
    assert_eq!(r.shifts[1].person, "u2@x.test");
    assert_eq!(r.shifts[1].start.to_rfc3339(), "2026-11-30T14:00:00+00:00");
    let reqs = server.requests();
    let sched = reqs
        .iter()
        .find(|r| r.path.starts_with("/schedules/S1"))
        .unwrap();
    assert!(
        sched.path.contains("since=2026-11-10T12%3A00%3A00Z"),
        "{}",
        sched.path
    );
    assert!(
        sched.path.contains("until=2026-12-22T12%3A00%3A00Z"),
        "{}",
        sched.path
    );
    assert_eq!(
        sched.header("authorization"),
        Some(format!("Token token={TOKEN}").as_str())
    );
    assert_eq!(
        sched.header("accept"),
        Some("application/vnd.pagerduty+json;version=2, application/json")
    );
    assert_eq!(sched.header("content-type"), Some("application/json"));
}

#[test]
fn pagerduty_more_forever_is_capped_and_a_repeated_page_refused() {
    let (_d, mut s) = store();
    // Always "more", same page: refused as a repeat.
    let server = FaultServer::start(|r, _| {
        if r.path.starts_with("/schedules?") {
            return Reply::ok(r#"{"schedules": [{"id": "S1"}], "more": true}"#);
        }
        Reply::status(404, "{}")
    });
    let out = run(&mut s, &pd_config(&server.base, ""));
    assert!(
        matches!(pull_error_of(&out), PullError::Refused { .. }),
        "{:?}",
        out[0].result
    );
    let e = error_of(&out);
    assert!(e.contains("repeats the page before it"), "{e}");
    // Always "more", new ids each time: stopped by max_pages.
    let server = FaultServer::start(|r, n| {
        if r.path.starts_with("/schedules?") {
            return Reply::ok(format!(
                r#"{{"schedules": [{{"id": "S{n}"}}], "more": true}}"#
            ));
        }
        Reply::status(404, "{}")
    });
    let e = error_of(&run(&mut s, &pd_config(&server.base, "max_pages = 5\n")));
    assert!(e.contains("max_pages (5)"), "{e}");
    assert!(server.requests().len() <= 6);
}

#[test]
fn a_failing_source_does_not_stop_the_others() {
    let (_d, mut s) = store();
    let good = FaultServer::start(|r, _| healthy(r));
    let bad = FaultServer::start(|_, _| Reply::status(500, "down"));
    let mut srcs = scim_config(&good.base, "");
    let mut other = pd_config(&bad.base, "retries = 0\n");
    srcs.append(&mut other);
    let out = run(&mut s, &srcs);
    assert!(out[0].result.is_ok());
    assert!(error_of(&out[1..]).contains("HTTP 500"));
    assert_eq!(people(&s), ["a", "b", "c"]);
}

#[test]
fn short_pages_are_filled_in_so_nothing_is_missed() {
    let (_d, mut s) = store();
    let ids = ["a", "b", "c", "d", "e"];
    let server = FaultServer::start(move |r, _| {
        if r.path.contains("/Groups") {
            return Reply::ok(empty_groups());
        }
        let num = |k: &str| -> usize {
            r.path
                .split(&format!("{k}="))
                .nth(1)
                .and_then(|x| x.split('&').next())
                .and_then(|x| x.parse().ok())
                .unwrap_or(1)
        };
        let (start, count) = (num("startIndex"), num("count"));
        // The server answers startIndex=3 with one item only.
        let count = if start == 3 { 1 } else { count };
        let end = (start - 1 + count).min(ids.len());
        Reply::ok(users_page(start, ids.len(), &ids[start - 1..end]))
    });
    let out = run(&mut s, &scim_config(&server.base, ""));
    assert!(out[0].result.is_ok(), "{:?}", out[0].result);
    assert_eq!(people(&s), ["a", "b", "c", "d", "e"]);
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path.contains("startIndex=4&count=1"))
    );
}

#[test]
fn a_feed_url_from_the_environment_is_never_shown() {
    let (_d, mut s) = store();
    let server = FaultServer::start(|_, _| Reply::status(500, "feed backend down"));
    let url = format!("{}/private/SECRETFEEDKEY/feed.ics", server.base);
    // SAFETY: only this test reads this variable.
    unsafe { std::env::set_var("FAULT_FEED_URL", &url) };
    let srcs = sources(
        "[[source]]\nkind = \"ics\"\nretries = 1\nbackoff_ms = 10\n[[source.feed]]\nrotation = \"db\"\nurl_env = \"FAULT_FEED_URL\"\n",
    );
    let e = error_of(&run(&mut s, &srcs));
    assert!(
        e.contains("$FAULT_FEED_URL") && e.contains("HTTP 500"),
        "{e}"
    );
    assert!(!e.contains("SECRETFEEDKEY"), "{e}");
    assert_eq!(srcs[0].location(), "$FAULT_FEED_URL");
}

#[test]
fn an_answer_that_never_ends_stops_at_max_response_mb_naming_url_and_limit() {
    let (_d, mut s) = seeded();
    let server = FaultServer::start(|r, _| {
        if r.path.contains("/Users") {
            Reply::Endless(
                r#"{"totalResults": 1000000000, "Resources": ["#.into(),
                r#"{"id": "x", "userName": "x"},"#.into(),
            )
        } else {
            healthy(r)
        }
    });
    let out = run(&mut s, &scim_config(&server.base, "max_response_mb = 1\n"));
    let e = error_of(&out);
    assert!(
        e.contains("larger than max_response_mb (1 MiB)") && e.contains("/scim/v2/Users"),
        "{e}"
    );
    assert!(e.contains("source idp"), "{e}");
    assert_eq!(people(&s), ["a", "b", "c"], "the cache keeps its data");
    // Not retried: the limit is no accident.
    let users = server
        .requests()
        .iter()
        .filter(|r| r.path.contains("/Users"))
        .count();
    assert_eq!(users, 1);
}

#[test]
fn a_declared_length_over_the_limit_is_refused_before_reading() {
    let (_d, mut s) = seeded();
    let server = FaultServer::start(|r, _| {
        if r.path.contains("/Users") {
            Reply::Truncated(2 << 20, "{".into())
        } else {
            healthy(r)
        }
    });
    let e = error_of(&run(
        &mut s,
        &scim_config(&server.base, "max_response_mb = 1\n"),
    ));
    assert!(e.contains("larger than max_response_mb (1 MiB)"), "{e}");
}

#[test]
fn the_response_limit_defaults_to_64_mib() {
    let srcs = scim_config("http://127.0.0.1:9", "");
    assert_eq!(srcs[0].http.max_response_mb, 64);
}
