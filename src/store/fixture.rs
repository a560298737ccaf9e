//! A small organization in a fresh cache, for the store's own tests.
//!
//! `all` (root) > `pay` (priya) and `web` (root); dana holds a delegation of
//! `pay` from priya; eve is on team `ops` and decides nothing; gone has left.

use super::Store;
use crate::model::*;

pub const NOW: &str = "2026-03-02T12:00:00Z";

pub fn t(s: &str) -> Time {
    s.parse().unwrap()
}

pub fn now() -> Time {
    t(NOW)
}

pub fn org() -> Org {
    let area = |id: &str, parent: Option<&str>, owner: &str| Area {
        id: id.into(),
        name: id.into(),
        parent: parent.map(Into::into),
        owner: owner.into(),
        tags: vec![],
        notes: String::new(),
        review_days: DEFAULT_REVIEW_DAYS,
        escalate_days: DEFAULT_ESCALATE_DAYS,
        max_auto_changes: None,
    };
    let ent = |id: &str, area: &str| Entitlement {
        id: id.into(),
        area: area.into(),
        name: id.into(),
        upstream: None,
    };
    let person = |id: &str| Person {
        id: id.into(),
        name: id.into(),
        email: format!("{id}@x.test"),
        manager: None,
        status: if id == "gone" {
            Status::Left
        } else {
            Status::Active
        },
        ..Default::default()
    };
    Org {
        people: ["root", "priya", "dana", "eve", "ana", "gone"]
            .into_iter()
            .map(person)
            .collect(),
        teams: vec![Team {
            id: "ops".into(),
            name: "Ops".into(),
            parent: None,
            lead: None,
            members: vec!["eve".into()],
        }],
        areas: vec![
            area("all", None, "root"),
            area("pay", Some("all"), "priya"),
            area("web", Some("all"), "root"),
        ],
        entitlements: vec![
            ent("pay:read", "pay"),
            ent("pay:admin", "pay"),
            ent("web:read", "web"),
        ],
        delegations: vec![Delegation {
            area: "pay".into(),
            to: "dana".into(),
            by: "priya".into(),
            since: t("2026-01-01T00:00:00Z"),
            until: None,
        }],
        rules: vec![Rule {
            id: "synced".into(),
            area: "pay".into(),
            author: "priya".into(),
            why: "from files".into(),
            grant: vec!["pay:read".into()],
            audience: Audience::Team("ops".into()),
            trained: vec![],
            only_while_oncall: false,
            apply: ApplyMode::Suggest,
            lead_secs: 0,
            grace_secs: 0,
        }],
        ..Org::default()
    }
}

/// A fresh cache in `dir` holding [`org`] as the files source.
pub fn store(dir: &std::path::Path) -> Store {
    let mut store = Store::open(&dir.join("c.db")).unwrap();
    sync(&mut store, dir);
    store
}

/// Syncs [`org`] again, as the files source of `dir`.
pub fn sync(store: &mut Store, dir: &std::path::Path) {
    store
        .replace_source(&crate::sync::files_source_info(dir), &org(), now())
        .unwrap();
}

pub fn actor(who: &str) -> Actor {
    Actor::local(who)
}

/// A grant suggestion for `person` of `entitlement` in area `pay`.
pub fn grant(person: &str, entitlement: &str) -> Suggestion {
    Suggestion {
        kind: Kind::Grant,
        person: person.into(),
        entitlement: entitlement.into(),
        area: "pay".into(),
        reason: Reason::Qualifies,
        evidence: "member of team ops".into(),
        rule: Some("synced".into()),
    }
}
