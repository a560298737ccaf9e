//! What every org-file target does with whatever parses: evaluate it all.

use std::collections::HashMap;

/// Parses `body` as the org file `name`; if it parses, the engine, `check`
/// and `rules` must run on it without panicking.
pub fn parse_and_evaluate(name: &str, body: &[u8]) {
    let files = HashMap::from([(name.to_string(), body.to_vec())]);
    if let Ok(org) = steward::sources::files::read::parse_files(&files) {
        let snap = steward::policy::Snapshot::new(org);
        let now = "2026-03-02T12:00:00Z".parse().unwrap_or_default();
        let _ = steward::policy::suggestions(&snap, &steward::policy::Scope::everything(&snap), now);
        let _ = steward::policy::check::problems(&snap);
        let _ = steward::policy::explain::rule_statuses(&snap, now);
    }
}
