//! Backstage catalog entity lists: any body parses or fails with an error,
//! never panics. What parses goes through `convert` into people, teams and
//! areas, and the policy engine runs on the result.
#![no_main]
use libfuzzer_sys::fuzz_target;
use steward::sources::backstage::{self, Entity};

fuzz_target!(|data: &[u8]| {
    let Ok(entities) = serde_json::from_slice::<Vec<Entity>>(data) else {
        return;
    };
    let pulled = backstage::convert("catalog", &entities);
    let snap = steward::policy::Snapshot::new(pulled.org);
    let now = "2026-03-02T12:00:00Z".parse().unwrap_or_default();
    let _ = steward::policy::suggestions(&snap, &steward::policy::Scope::everything(&snap), now);
    let _ = steward::policy::check::problems(&snap);
    let _ = steward::policy::explain::rule_statuses(&snap, now);
});
