//! Composing digests is pure: the same snapshot, decisions, sightings,
//! history and `now` give the same digests.

use steward::digest::compose::{History, Inputs, compose, owners, responsible, upcoming_shifts};
use steward::model::*;
use steward::policy::{Scope, Snapshot, suggestions};
use steward::store::reminders::FirstSeen;

fn t(s: &str) -> Time {
    s.parse().unwrap()
}

fn person(id: &str) -> Person {
    Person {
        id: id.into(),
        name: id.into(),
        email: format!("{id}@acme.test"),
        manager: None,
        status: Status::Active,
        ..Default::default()
    }
}

fn area(id: &str, parent: Option<&str>, owner: &str) -> Area {
    Area {
        id: id.into(),
        name: id.into(),
        parent: parent.map(str::to_string),
        owner: owner.into(),
        tags: vec![],
        notes: String::new(),
        review_days: 90,
        escalate_days: 14,
        max_auto_changes: None,
    }
}

fn org() -> Org {
    Org {
        people: ["cto", "priya", "omar", "ana", "cy"].map(person).to_vec(),
        teams: vec![Team {
            id: "pay".into(),
            name: "Payments".into(),
            parent: None,
            lead: Some("priya".into()),
            members: vec!["ana".into()],
        }],
        rotations: vec![Rotation {
            id: "pay-primary".into(),
            name: "Payments primary".into(),
            team: Some("pay".into()),
            members: vec![],
            shifts: vec![
                Shift {
                    person: "cy".into(),
                    start: t("2026-03-05T09:00:00Z"),
                    end: t("2026-03-06T09:00:00Z"),
                },
                Shift {
                    person: "cy".into(),
                    start: t("2026-03-04T09:00:00Z"),
                    end: t("2026-03-05T09:00:00Z"),
                },
                Shift {
                    person: "ana".into(),
                    start: t("2026-03-20T09:00:00Z"),
                    end: t("2026-03-21T09:00:00Z"),
                },
            ],
        }],
        areas: vec![
            area("root", None, "cto"),
            area("payments", Some("root"), "priya"),
            area("db", Some("payments"), "priya"),
        ],
        entitlements: vec![Entitlement {
            id: "db:admin".into(),
            area: "db".into(),
            name: "admin".into(),
            upstream: None,
        }],
        delegations: vec![Delegation {
            area: "payments".into(),
            to: "omar".into(),
            by: "priya".into(),
            since: t("2026-01-01T00:00:00Z"),
            until: None,
        }],
        rules: vec![
            Rule {
                id: "oncall-admin".into(),
                area: "payments".into(),
                author: "priya".into(),
                why: "incidents".into(),
                grant: vec!["db:admin".into()],
                audience: Audience::Rotation("pay-primary".into()),
                trained: vec![],
                only_while_oncall: true,
                apply: ApplyMode::Suggest,
                lead_secs: 0,
                grace_secs: 0,
            },
            Rule {
                id: "team-admin".into(),
                area: "payments".into(),
                author: "priya".into(),
                why: "team".into(),
                grant: vec!["db:admin".into()],
                audience: Audience::Team("pay".into()),
                trained: vec![],
                only_while_oncall: false,
                apply: ApplyMode::Suggest,
                lead_secs: 0,
                grace_secs: 0,
            },
        ],
        ..Org::default()
    }
}

#[test]
fn the_nearest_delegate_hears_first_and_shifts_ahead_are_told_once_each() {
    let now = t("2026-03-02T12:00:00Z");
    let snap = Snapshot::new(org());
    assert_eq!(owners(&snap, now), vec!["cto", "priya", "omar"]);
    let db = snap.area_idx("db").unwrap();
    assert_eq!(responsible(&snap, db, now), vec!["omar"]);
    assert_eq!(
        responsible(&snap, snap.area_idx("root").unwrap(), now),
        vec!["cto"]
    );

    let up = upcoming_shifts(&snap, now, chrono::Duration::days(7));
    assert_eq!(
        up.len(),
        1,
        "the earliest of cy's shifts; ana's is too far: {up:?}"
    );
    assert_eq!(up[0].start, t("2026-03-04T09:00:00Z"));
    assert!(up[0].only_while_oncall);

    let all = suggestions(&snap, &Scope::everything(&snap), now);
    let seen = FirstSeen::default();
    let history = History::default();
    let inputs = Inputs {
        held: &[],
        snap: &snap,
        suggestions: &all,
        decisions: &[],
        first_seen: &seen,
        history: &history,
        now,
        since: None,
    };
    let people: Vec<String> = ["cto", "priya", "omar"].map(String::from).to_vec();
    let digests = compose(&inputs, &people);
    assert_eq!(digests.len(), 1, "{digests:#?}");
    let d = &digests[0];
    assert_eq!(d.recipient, "omar");
    assert_eq!(d.new.len(), 1);
    assert_eq!(d.new[0].person, "ana");
    assert_eq!(d.upcoming.len(), 1);
    assert_eq!(
        compose(&inputs, &people),
        digests,
        "pure: same inputs, same digests"
    );
    assert!(
        d.subject() == "steward: 1 new to decide; 1 shift soon, nothing to decide yet",
        "{}",
        d.subject()
    );
}

#[test]
fn an_owner_who_left_is_passed_over_for_the_nearest_active_owner_above() {
    let now = t("2026-03-02T12:00:00Z");
    let mut o = org();
    o.delegations.clear();
    o.people[1].status = Status::Left;
    let snap = Snapshot::new(o);
    let db = snap.area_idx("db").unwrap();
    assert_eq!(responsible(&snap, db, now), vec!["cto"]);
    assert_eq!(owners(&snap, now), vec!["cto"]);
}
