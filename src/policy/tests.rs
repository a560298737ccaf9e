//! The semantics of DESIGN.md, one behaviour per test, boundaries included.

use super::*;
use crate::model::*;

pub(super) fn t(s: &str) -> Time {
    s.parse().unwrap()
}

pub(super) const NOW: &str = "2026-03-02T12:00:00Z";

pub(super) fn person(id: &str, status: Status) -> Person {
    Person {
        id: id.into(),
        name: id.to_uppercase(),
        email: format!("{id}@x.io"),
        manager: None,
        status,
        ..Default::default()
    }
}

/// root (owner cto) > pay (owner priya) > pay-db (owner priya); ops (owner omar).
/// Team eng > payments > pay-api. Rotation pay-oncall.
pub(super) fn base() -> Org {
    let mut org = Org::default();
    for id in ["cto", "priya", "omar", "ana", "bo", "cy", "dee"] {
        org.people.push(person(id, Status::Active));
    }
    org.people.push(person("lee", Status::Left));
    org.teams = vec![
        Team {
            id: "eng".into(),
            name: "Eng".into(),
            parent: None,
            lead: Some("cto".into()),
            members: vec!["cto".into()],
        },
        Team {
            id: "payments".into(),
            name: "Pay".into(),
            parent: Some("eng".into()),
            lead: Some("priya".into()),
            members: vec!["priya".into()],
        },
        Team {
            id: "pay-api".into(),
            name: "API".into(),
            parent: Some("payments".into()),
            lead: None,
            members: vec!["ana".into(), "bo".into()],
        },
    ];
    org.rotations = vec![Rotation {
        id: "pay-oncall".into(),
        name: "Pay oncall".into(),
        team: Some("payments".into()),
        members: vec!["ana".into()],
        shifts: vec![],
    }];
    let area = |id: &str, parent: Option<&str>, owner: &str| Area {
        id: id.into(),
        name: id.into(),
        parent: parent.map(Into::into),
        owner: owner.into(),
        tags: vec![],
        notes: String::new(),
        review_days: 90,
        escalate_days: 14,
        max_auto_changes: None,
    };
    org.areas = vec![
        area("root", None, "cto"),
        area("pay", Some("root"), "priya"),
        area("pay-db", Some("pay"), "priya"),
        area("ops", Some("root"), "omar"),
    ];
    let ent = |id: &str, area: &str| Entitlement {
        id: id.into(),
        area: area.into(),
        name: id.into(),
        upstream: None,
    };
    org.entitlements = vec![
        ent("db:read", "pay-db"),
        ent("db:admin", "pay-db"),
        ent("ops:console", "ops"),
    ];
    org
}

pub(super) fn rule(id: &str, area: &str, author: &str, grant: &[&str], audience: Audience) -> Rule {
    Rule {
        id: id.into(),
        area: area.into(),
        author: author.into(),
        why: "because".into(),
        grant: grant.iter().map(|s| s.to_string()).collect(),
        audience,
        trained: vec![],
        only_while_oncall: false,
        apply: ApplyMode::Suggest,
        lead_secs: 0,
        grace_secs: 0,
    }
}

pub(super) fn grant(
    person: &str,
    ent: &str,
    basis: Basis,
    by: Option<&str>,
    at: &str,
    expires: Option<&str>,
) -> Grant {
    Grant {
        person: person.into(),
        entitlement: ent.into(),
        granted_by: by.map(Into::into),
        granted_at: t(at),
        basis,
        expires: expires.map(t),
        through: None,
    }
}

fn run(org: Org, now: &str) -> Vec<Suggestion> {
    let snap = Snapshot::new(org);
    suggestions(&snap, &Scope::everything(&snap), t(now))
}

fn keys(s: &[Suggestion]) -> Vec<(String, String, String, String)> {
    s.iter()
        .map(|s| {
            (
                s.kind.as_str().into(),
                s.person.clone(),
                s.entitlement.clone(),
                s.reason.as_str().into(),
            )
        })
        .collect()
}

fn k(kind: &str, p: &str, e: &str, r: &str) -> (String, String, String, String) {
    (kind.into(), p.into(), e.into(), r.into())
}

#[test]
fn team_rule_grants_members_of_descendant_teams_only_when_active() {
    let mut org = base();
    org.rules.push(rule(
        "r1",
        "pay",
        "priya",
        &["db:read"],
        Audience::Team("payments".into()),
    ));
    org.teams[2].members.push("lee".into());
    let s = run(org, NOW);
    assert_eq!(
        keys(&s),
        vec![
            k("grant", "ana", "db:read", "qualifies"),
            k("grant", "bo", "db:read", "qualifies"),
            k("grant", "priya", "db:read", "qualifies")
        ]
    );
    assert_eq!(s[0].rule.as_deref(), Some("r1"));
    assert_eq!(s[0].area, "pay-db");
    assert!(
        s[0].evidence.contains("member of team payments"),
        "{}",
        s[0].evidence
    );
}

#[test]
fn holding_a_grant_even_expired_means_no_grant_suggestion() {
    let mut org = base();
    org.rules.push(rule(
        "r1",
        "pay",
        "priya",
        &["db:read"],
        Audience::Team("pay-api".into()),
    ));
    org.grants.push(grant(
        "ana",
        "db:read",
        Basis::Rule("r1".into()),
        Some("priya"),
        "2026-01-01T00:00:00Z",
        Some("2026-02-01T00:00:00Z"),
    ));
    let s = run(org, NOW);
    assert_eq!(keys(&s), vec![k("grant", "bo", "db:read", "qualifies")]);
}

#[test]
fn rule_counts_only_inside_its_area_and_with_author_authority() {
    let mut org = base();
    // priya owns pay, not ops: her rule's ops entitlement does not count.
    org.rules.push(rule(
        "r1",
        "pay",
        "priya",
        &["db:read", "ops:console"],
        Audience::Team("pay-api".into()),
    ));
    // omar has no authority over pay-db: his rule does not count at all.
    org.rules.push(rule(
        "r2",
        "pay-db",
        "omar",
        &["db:admin"],
        Audience::Team("pay-api".into()),
    ));
    let snap = Snapshot::new(org);
    let s = suggestions(&snap, &Scope::everything(&snap), t(NOW));
    assert_eq!(
        keys(&s),
        vec![
            k("grant", "ana", "db:read", "qualifies"),
            k("grant", "bo", "db:read", "qualifies")
        ]
    );
    let statuses = explain::rule_statuses(&snap, t(NOW));
    assert!(statuses[0].counts && statuses[0].problems[0].contains("outside its area"));
    assert!(!statuses[1].counts && statuses[1].problems[0].contains("no authority"));
}

#[test]
fn delegation_gives_authority_until_its_end_exclusive() {
    let mut org = base();
    org.delegations.push(Delegation {
        area: "pay".into(),
        to: "omar".into(),
        by: "priya".into(),
        since: t("2026-03-01T00:00:00Z"),
        until: Some(t(NOW)),
    });
    org.rules.push(rule(
        "r2",
        "pay-db",
        "omar",
        &["db:admin"],
        Audience::Team("pay-api".into()),
    ));
    // At `until` exactly the delegation has ended: nothing counts.
    assert!(run(org.clone(), NOW).is_empty());
    // A second earlier it counts.
    assert_eq!(run(org.clone(), "2026-03-02T11:59:59Z").len(), 2);
    // Before `since` it does not.
    assert!(run(org, "2026-02-28T23:59:59Z").is_empty());
}

#[test]
fn rotation_members_include_future_shifts_but_not_ended_ones() {
    let mut org = base();
    org.rules.push(rule(
        "r1",
        "pay",
        "priya",
        &["db:read"],
        Audience::Rotation("pay-oncall".into()),
    ));
    org.rotations[0].shifts = vec![
        Shift {
            person: "bo".into(),
            start: t("2026-03-09T09:00:00Z"),
            end: t("2026-03-16T09:00:00Z"),
        },
        // Ends exactly at now: over.
        Shift {
            person: "cy".into(),
            start: t("2026-02-23T12:00:00Z"),
            end: t(NOW),
        },
    ];
    let s = run(org, NOW);
    assert_eq!(
        keys(&s),
        vec![
            k("grant", "ana", "db:read", "qualifies"),
            k("grant", "bo", "db:read", "qualifies")
        ]
    );
}

#[test]
fn only_while_oncall_needs_a_shift_covering_now_half_open() {
    let mut org = base();
    let mut r = rule(
        "r1",
        "pay",
        "priya",
        &["db:admin"],
        Audience::Rotation("pay-oncall".into()),
    );
    r.only_while_oncall = true;
    org.rules.push(r);
    org.rotations[0].members.push("cy".into());
    org.rotations[0].shifts = vec![
        Shift {
            person: "bo".into(),
            start: t(NOW),
            end: t("2026-03-09T12:00:00Z"),
        },
        Shift {
            person: "cy".into(),
            start: t("2026-02-23T12:00:00Z"),
            end: t(NOW),
        },
    ];
    org.grants.push(grant(
        "cy",
        "db:admin",
        Basis::Rule("r1".into()),
        Some("priya"),
        "2026-02-23T12:00:00Z",
        None,
    ));
    let s = run(org, NOW);
    assert_eq!(
        keys(&s),
        vec![
            k("grant", "bo", "db:admin", "on_call"),
            k("revoke", "cy", "db:admin", "off_call")
        ]
    );
    assert!(
        s[0].evidence.contains("until 2026-03-09 12:00Z"),
        "{}",
        s[0].evidence
    );
    assert!(
        s[1].evidence.contains("last shift ended 2026-03-02 12:00Z"),
        "{}",
        s[1].evidence
    );
}

#[test]
fn trainings_must_be_completed_and_unexpired_at_now() {
    let mut org = base();
    let mut r = rule(
        "r1",
        "pay",
        "priya",
        &["db:read"],
        Audience::Team("pay-api".into()),
    );
    r.trained = vec!["pci".into()];
    org.rules.push(r);
    org.trainings = vec![
        // Expires exactly now: expired.
        Training {
            person: "ana".into(),
            course: "pci".into(),
            completed: t("2025-03-02T12:00:00Z"),
            expires: Some(t(NOW)),
        },
        // Completed exactly now: counts.
        Training {
            person: "bo".into(),
            course: "pci".into(),
            completed: t(NOW),
            expires: None,
        },
    ];
    org.grants.push(grant(
        "ana",
        "db:read",
        Basis::Rule("r1".into()),
        Some("priya"),
        "2025-06-01T00:00:00Z",
        None,
    ));
    org.teams[2].members.push("cy".into());
    org.grants.push(grant(
        "cy",
        "db:read",
        Basis::Rule("r1".into()),
        Some("priya"),
        "2025-06-01T00:00:00Z",
        None,
    ));
    let s = run(org, NOW);
    assert_eq!(
        keys(&s),
        vec![
            k("revoke", "ana", "db:read", "training_expired"),
            k("grant", "bo", "db:read", "qualifies"),
            k("revoke", "cy", "db:read", "training_missing")
        ]
    );
    assert!(s[0].evidence.contains("expired on 2026-03-02"));
}

#[test]
fn revoke_reasons_for_rule_based_grants() {
    let mut org = base();
    org.rules.push(rule(
        "r1",
        "pay",
        "priya",
        &["db:read"],
        Audience::Team("pay-api".into()),
    ));
    org.rules.push(rule(
        "bad",
        "pay",
        "omar",
        &["db:admin"],
        Audience::Team("pay-api".into()),
    ));
    org.grants = vec![
        grant(
            "dee",
            "db:read",
            Basis::Rule("r1".into()),
            Some("priya"),
            "2026-01-01T00:00:00Z",
            None,
        ),
        grant(
            "ana",
            "db:admin",
            Basis::Rule("bad".into()),
            Some("omar"),
            "2026-01-01T00:00:00Z",
            None,
        ),
        grant(
            "bo",
            "db:admin",
            Basis::Rule("gone".into()),
            Some("priya"),
            "2026-01-01T00:00:00Z",
            None,
        ),
        grant(
            "cy",
            "db:admin",
            Basis::Rule("r1".into()),
            Some("priya"),
            "2026-01-01T00:00:00Z",
            None,
        ),
    ];
    let s = run(org, NOW);
    let got: Vec<_> = keys(&s).into_iter().filter(|x| x.0 == "revoke").collect();
    assert_eq!(
        got,
        vec![
            k("revoke", "ana", "db:admin", "rule_not_counting"),
            k("revoke", "bo", "db:admin", "rule_gone"),
            k("revoke", "cy", "db:admin", "rule_gone"),
            k("revoke", "dee", "db:read", "not_member"),
        ]
    );
}

#[test]
fn left_people_lose_everything_justified_or_not() {
    let mut org = base();
    org.grants = vec![
        grant(
            "lee",
            "db:read",
            Basis::Manual,
            Some("priya"),
            "2026-03-01T00:00:00Z",
            None,
        ),
        grant(
            "lee",
            "ops:console",
            Basis::Rule("x".into()),
            Some("omar"),
            "2026-01-01T00:00:00Z",
            None,
        ),
    ];
    let s = run(org, NOW);
    // Sorted by area: ops before pay-db.
    assert_eq!(
        keys(&s),
        vec![
            k("revoke", "lee", "ops:console", "person_left"),
            k("revoke", "lee", "db:read", "person_left")
        ]
    );
    assert_eq!(s[0].rule.as_deref(), Some("x"));
}

#[test]
fn manual_grants_expire_or_come_up_for_review() {
    let mut org = base();
    org.grants = vec![
        // Expired exactly now: revoke.
        grant(
            "ana",
            "db:read",
            Basis::Manual,
            Some("priya"),
            "2026-02-01T00:00:00Z",
            Some(NOW),
        ),
        // Granted exactly review_days ago: not yet due (strictly older is due).
        grant(
            "bo",
            "db:read",
            Basis::Manual,
            Some("priya"),
            "2025-12-02T12:00:00Z",
            None,
        ),
        // One second older: due.
        grant(
            "cy",
            "db:read",
            Basis::Manual,
            Some("priya"),
            "2025-12-02T11:59:59Z",
            Some("2026-12-01T00:00:00Z"),
        ),
        // By someone without authority over pay-db.
        grant(
            "dee",
            "db:read",
            Basis::Manual,
            Some("omar"),
            "2026-03-01T00:00:00Z",
            None,
        ),
        // With no known grantor.
        grant(
            "omar",
            "db:read",
            Basis::Manual,
            None,
            "2026-03-01T00:00:00Z",
            None,
        ),
        // Young, authorized: fine.
        grant(
            "priya",
            "db:read",
            Basis::Manual,
            Some("cto"),
            "2026-03-01T00:00:00Z",
            None,
        ),
    ];
    let s = run(org, NOW);
    assert_eq!(
        keys(&s),
        vec![
            k("revoke", "ana", "db:read", "grant_expired"),
            k("review", "cy", "db:read", "review_due"),
            k("review", "dee", "db:read", "grantor_no_authority"),
            // No grantor named: an existing membership, still a review.
            k("review", "omar", "db:read", "existing_membership"),
        ]
    );
}

#[test]
fn grantor_authority_is_judged_at_grant_time() {
    let mut org = base();
    org.delegations.push(Delegation {
        area: "pay-db".into(),
        to: "omar".into(),
        by: "priya".into(),
        since: t("2026-01-01T00:00:00Z"),
        until: Some(t("2026-02-01T00:00:00Z")),
    });
    org.grants = vec![
        grant(
            "ana",
            "db:read",
            Basis::Manual,
            Some("omar"),
            "2026-01-15T00:00:00Z",
            None,
        ),
        grant(
            "bo",
            "db:read",
            Basis::Manual,
            Some("omar"),
            "2026-02-01T00:00:00Z",
            None,
        ),
    ];
    let s = run(org, NOW);
    assert_eq!(
        keys(&s),
        vec![k("review", "bo", "db:read", "grantor_no_authority")]
    );
}

#[test]
fn justified_manual_grants_are_left_alone() {
    let mut org = base();
    org.rules.push(rule(
        "r1",
        "pay",
        "priya",
        &["db:read"],
        Audience::Team("pay-api".into()),
    ));
    org.grants = vec![
        grant(
            "ana",
            "db:read",
            Basis::Manual,
            None,
            "2020-01-01T00:00:00Z",
            Some("2021-01-01T00:00:00Z"),
        ),
        grant(
            "bo",
            "db:read",
            Basis::Rule("other".into()),
            None,
            "2020-01-01T00:00:00Z",
            None,
        ),
    ];
    assert!(run(org, NOW).is_empty());
}

#[test]
fn scope_limits_to_owned_and_delegated_subtrees() {
    let mut org = base();
    org.rules.push(rule(
        "r1",
        "pay",
        "priya",
        &["db:read"],
        Audience::Team("pay-api".into()),
    ));
    org.rules.push(rule(
        "r2",
        "ops",
        "omar",
        &["ops:console"],
        Audience::Team("pay-api".into()),
    ));
    org.delegations.push(Delegation {
        area: "pay-db".into(),
        to: "dee".into(),
        by: "priya".into(),
        since: t("2026-01-01T00:00:00Z"),
        until: None,
    });
    let snap = Snapshot::new(org);
    let now = t(NOW);
    let for_person = |p: &str| keys(&suggestions(&snap, &Scope::of(&snap, p, now), now));
    assert_eq!(
        for_person("omar"),
        vec![
            k("grant", "ana", "ops:console", "qualifies"),
            k("grant", "bo", "ops:console", "qualifies")
        ]
    );
    assert_eq!(
        for_person("dee"),
        vec![
            k("grant", "ana", "db:read", "qualifies"),
            k("grant", "bo", "db:read", "qualifies")
        ]
    );
    assert_eq!(for_person("cto").len(), 4);
    assert!(for_person("ana").is_empty());
    assert_eq!(Scope::of(&snap, "dee", now).roots, vec![2]);
}

#[test]
fn at_most_one_suggestion_per_person_and_entitlement() {
    let mut org = base();
    org.grants = vec![
        grant(
            "ana",
            "db:read",
            Basis::Manual,
            None,
            "2020-01-01T00:00:00Z",
            None,
        ),
        grant(
            "ana",
            "db:read",
            Basis::Rule("gone".into()),
            None,
            "2020-01-01T00:00:00Z",
            None,
        ),
    ];
    let s = run(org, NOW);
    assert_eq!(keys(&s), vec![k("revoke", "ana", "db:read", "rule_gone")]);
}

#[test]
fn lowest_rule_id_is_named_when_several_justify() {
    let mut org = base();
    org.rules.push(rule(
        "zeta",
        "pay",
        "priya",
        &["db:read"],
        Audience::Team("pay-api".into()),
    ));
    org.rules.push(rule(
        "alpha",
        "pay-db",
        "priya",
        &["db:read"],
        Audience::Team("pay-api".into()),
    ));
    let s = run(org, NOW);
    assert!(s.iter().all(|s| s.rule.as_deref() == Some("alpha")));
}

#[test]
fn cycles_and_dangling_references_do_not_crash_and_are_reported() {
    let mut org = base();
    org.areas[0].parent = Some("ops".into());
    org.teams[0].parent = Some("pay-api".into());
    org.rules.push(rule(
        "r1",
        "nowhere",
        "priya",
        &["nope"],
        Audience::Team("ghost".into()),
    ));
    org.grants.push(grant(
        "ghost",
        "db:read",
        Basis::Manual,
        Some("nobody"),
        "2026-01-01T00:00:00Z",
        None,
    ));
    let snap = Snapshot::new(org);
    let s = suggestions(&snap, &Scope::everything(&snap), t(NOW));
    assert_eq!(
        keys(&s),
        vec![k("review", "ghost", "db:read", "grantor_no_authority")]
    );
    let problems = check::problems(&snap);
    for needle in [
        "area root: its parents form a cycle",
        "team eng: its parents form a cycle",
        "unknown area \"nowhere\"",
        "unknown entitlement \"nope\"",
        "unknown team \"ghost\"",
        "unknown person \"ghost\"",
        "unknown person \"nobody\"",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "missing {needle}: {problems:#?}"
        );
    }
}

#[test]
fn why_explains_justification_and_failure() {
    let mut org = base();
    let mut r = rule(
        "r1",
        "pay",
        "priya",
        &["db:read"],
        Audience::Rotation("pay-oncall".into()),
    );
    r.trained = vec!["pci".into()];
    org.rules.push(r);
    org.trainings.push(Training {
        person: "ana".into(),
        course: "pci".into(),
        completed: t("2026-01-05T00:00:00Z"),
        expires: None,
    });
    org.grants.push(grant(
        "ana",
        "db:read",
        Basis::Rule("r1".into()),
        Some("priya"),
        "2026-01-06T00:00:00Z",
        None,
    ));
    org.areas[2].tags = vec!["pii".into()];
    let snap = Snapshot::new(org);
    let text = explain::why(&snap, "ana", "db:read", t(NOW)).unwrap();
    assert!(
        text.contains("rule r1 (\"because\"): JUSTIFIES it"),
        "{text}"
    );
    assert!(
        text.contains("trained pci (completed 2026-01-05)"),
        "{text}"
    );
    assert!(
        text.contains("rule author priya: owner of area pay"),
        "{text}"
    );
    assert!(
        text.contains(
            "pay-db (owner priya) <- pay (owner priya) <- root (owner cto); root owner cto"
        ),
        "{text}"
    );
    assert!(text.contains("area tags: pii"), "{text}");
    let text = explain::why(&snap, "bo", "db:read", t(NOW)).unwrap();
    assert!(
        text.contains("does not justify it: not in rotation pay-oncall"),
        "{text}"
    );
    assert!(text.contains("holds: no grant"), "{text}");
    assert!(
        explain::why(&snap, "zed", "db:read", t(NOW)).unwrap_err()
            == explain::Unknown::Person("zed".into())
    );
    assert!(
        explain::why(&snap, "ana", "db:zz", t(NOW)).unwrap_err()
            == explain::Unknown::Entitlement("db:zz".into())
    );
}

#[test]
fn team_ancestors_walk_up_and_stop_on_cycles() {
    let mut org = base();
    let snap = Snapshot::new(org.clone());
    let api = snap.team_idx("pay-api").unwrap();
    let names: Vec<&str> = snap
        .team_ancestors(api)
        .map(|t| snap.org.teams[t].id.as_str())
        .collect();
    assert_eq!(names, ["pay-api", "payments", "eng"]);
    org.teams[0].parent = Some("pay-api".into());
    let snap = Snapshot::new(org);
    assert_eq!(snap.team_ancestors(api).count(), snap.org.teams.len());
}

#[test]
fn subtrees_hold_each_team_and_area_below_once_and_stop_on_cycles() {
    let mut org = base();
    let snap = Snapshot::new(org.clone());
    let names = |snap: &Snapshot, list: Vec<usize>| -> Vec<String> {
        let mut ids: Vec<String> = list.iter().map(|&t| snap.org.teams[t].id.clone()).collect();
        ids.sort();
        ids
    };
    let eng = snap.team_idx("eng").unwrap();
    let pay = snap.team_idx("payments").unwrap();
    assert_eq!(
        names(&snap, snap.team_subtree(eng)),
        ["eng", "pay-api", "payments"]
    );
    assert_eq!(
        names(&snap, snap.team_subtree(pay)),
        ["pay-api", "payments"]
    );
    // eng under pay-api: eng, payments and pay-api form a cycle.
    org.teams[0].parent = Some("pay-api".into());
    let snap = Snapshot::new(org.clone());
    for t in [eng, pay] {
        assert_eq!(
            names(&snap, snap.team_subtree(t)),
            ["eng", "pay-api", "payments"]
        );
    }
    let root = snap.area_idx("root").unwrap();
    let areas = |snap: &Snapshot, a: usize| {
        let mut ids: Vec<String> = snap
            .area_subtree(a)
            .iter()
            .map(|&a| snap.org.areas[a].id.clone())
            .collect();
        ids.sort();
        ids
    };
    let all = areas(&snap, root);
    assert_eq!(all.len(), snap.org.areas.len());
    // root under pay-db: root, pay and pay-db form a cycle, ops hangs off it.
    let r = org.areas.iter().position(|a| a.id == "root").unwrap();
    org.areas[r].parent = Some("pay-db".into());
    let snap = Snapshot::new(org);
    let pay_db = snap.area_idx("pay-db").unwrap();
    assert_eq!(areas(&snap, pay_db), all);
}
