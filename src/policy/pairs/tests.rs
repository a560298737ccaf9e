//! Each pair's suggestion is the whole evaluation's for that person and
//! entitlement, case by case and on generated organizations.

use super::suggestions_for;
use crate::model::*;
use crate::policy::tests::{NOW, base, grant, rule, t};
use crate::policy::{Audiences, Evaluation, Scope, Snapshot, listed_order};
use std::collections::BTreeSet;

/// What the whole evaluation of each pair's entitlement (its area's, as the
/// resident evaluates it) gives for the pairs, sorted as listed.
fn whole(snap: &Snapshot, pairs: &[(usize, &str)], now: Time) -> Vec<Suggestion> {
    let ents: BTreeSet<usize> = pairs.iter().map(|&(e, _)| e).collect();
    let mut out = Vec::new();
    for e in ents {
        let scope = match snap.entitlement_area(e) {
            Some(area) => Scope::single(snap, area),
            None => Scope::everything(snap),
        };
        let eval = Evaluation::new(snap, &scope, now);
        let mut list = Vec::new();
        let mut audiences = Audiences::default();
        eval.entitlement(e, snap.grants_of_entitlement(e), &mut audiences, &mut list);
        out.extend(
            list.into_iter()
                .filter(|s| pairs.contains(&(e, s.person.as_str()))),
        );
    }
    out.sort_by(listed_order);
    out
}

/// `suggestions_for` the pairs, each under the entitlement asked about,
/// sorted as listed, after checking it equals the whole evaluation's.
fn checked(snap: &Snapshot, pairs: &[(usize, &str)], now: Time) -> Vec<Suggestion> {
    let mut mine: Vec<Suggestion> = suggestions_for(snap, pairs, now)
        .into_iter()
        .map(|(e, s)| {
            assert_eq!(s.entitlement, snap.org.entitlements[e].id);
            assert!(pairs.contains(&(e, s.person.as_str())), "{s:?}");
            s
        })
        .collect();
    mine.sort_by(listed_order);
    assert_eq!(mine, whole(snap, pairs, now));
    mine
}

/// [`checked`] for pairs named by (entitlement id, person id), at [`NOW`]:
/// (kind, person, entitlement, reason, rule) of each.
fn run(org: Org, pairs: &[(&str, &str)]) -> Vec<(Kind, String, String, Reason, Option<String>)> {
    let snap = Snapshot::new(org);
    let pairs: Vec<(usize, &str)> = pairs
        .iter()
        .map(|&(e, p)| (snap.entitlement_idx(e).unwrap(), p))
        .collect();
    checked(&snap, &pairs, t(NOW))
        .into_iter()
        .map(|s| (s.kind, s.person, s.entitlement, s.reason, s.rule))
        .collect()
}

fn row(
    kind: Kind,
    p: &str,
    e: &str,
    reason: Reason,
    rule: Option<&str>,
) -> (Kind, String, String, Reason, Option<String>) {
    (kind, p.into(), e.into(), reason, rule.map(Into::into))
}

/// Rule r1: area pay, by its owner, grants db:read to team payments (and
/// so to pay-api below it).
fn with_r1() -> Org {
    let mut org = base();
    org.rules.push(rule(
        "r1",
        "pay",
        "priya",
        &["db:read"],
        Audience::Team("payments".into()),
    ));
    org
}

fn by_rule(p: &str, e: &str, r: &str) -> Grant {
    grant(
        p,
        e,
        Basis::Rule(r.into()),
        Some("priya"),
        "2026-02-01T00:00:00Z",
        None,
    )
}

#[test]
fn justified_people_without_it_get_it_and_the_rest_nothing() {
    let mut org = with_r1();
    org.grants.push(by_rule("bo", "db:read", "r1"));
    let got = run(
        org,
        &[
            ("db:read", "ana"),
            ("db:read", "bo"),
            ("db:read", "omar"),
            ("db:admin", "ana"),
        ],
    );
    assert_eq!(
        got,
        vec![row(
            Kind::Grant,
            "ana",
            "db:read",
            Reason::Qualifies,
            Some("r1")
        )]
    );
}

#[test]
fn a_person_who_left_loses_what_they_hold() {
    let mut org = with_r1();
    org.teams[2].members.push("lee".into());
    org.grants.push(by_rule("lee", "db:read", "r1"));
    let got = run(org, &[("db:read", "lee")]);
    assert_eq!(
        got,
        vec![row(
            Kind::Revoke,
            "lee",
            "db:read",
            Reason::PersonLeft,
            Some("r1")
        )]
    );
}

#[test]
fn a_holder_off_the_roster_loses_rule_grants_and_expired_ones() {
    let mut org = with_r1();
    org.teams[2].members.push("ghost".into());
    org.grants.push(by_rule("ghost", "db:read", "r1"));
    org.grants.push(grant(
        "ghost",
        "db:admin",
        Basis::Manual,
        Some("priya"),
        "2026-02-01T00:00:00Z",
        Some("2026-03-01T00:00:00Z"),
    ));
    let got = run(
        org,
        &[
            ("db:read", "ghost"),
            ("db:admin", "ghost"),
            ("ops:console", "ghost"),
        ],
    );
    assert_eq!(
        got,
        vec![
            row(
                Kind::Revoke,
                "ghost",
                "db:admin",
                Reason::GrantExpired,
                None
            ),
            row(
                Kind::Revoke,
                "ghost",
                "db:read",
                Reason::NotMember,
                Some("r1")
            ),
        ]
    );
}

#[test]
fn a_rule_that_stopped_counting_justifies_nobody() {
    let mut org = base();
    // omar owns ops, not pay-db: his rule there does not count.
    org.rules.push(rule(
        "r2",
        "pay-db",
        "omar",
        &["db:admin"],
        Audience::Team("pay-api".into()),
    ));
    org.grants.push(by_rule("ana", "db:admin", "r2"));
    let got = run(org, &[("db:admin", "ana"), ("db:admin", "bo")]);
    assert_eq!(
        got,
        vec![row(
            Kind::Revoke,
            "ana",
            "db:admin",
            Reason::RuleNotCounting,
            Some("r2")
        )]
    );
}

#[test]
fn a_grant_based_on_a_removed_rule_goes() {
    let mut org = with_r1();
    org.grants.push(by_rule("ana", "db:admin", "r9"));
    org.grants.push(by_rule("ana", "db:read", "r9"));
    let got = run(org, &[("db:admin", "ana"), ("db:read", "ana")]);
    // db:read is justified by r1 whatever the grant names.
    assert_eq!(
        got,
        vec![row(
            Kind::Revoke,
            "ana",
            "db:admin",
            Reason::RuleGone,
            Some("r9")
        )]
    );
}

#[test]
fn the_smallest_rule_id_is_named_and_teams_count_their_subteams() {
    let mut org = base();
    org.rules.push(rule(
        "r-b",
        "pay",
        "priya",
        &["db:read"],
        Audience::Team("pay-api".into()),
    ));
    org.rules.push(rule(
        "r-a",
        "root",
        "cto",
        &["db:read"],
        Audience::Team("eng".into()),
    ));
    let got = run(
        org,
        &[("db:read", "ana"), ("db:read", "cto"), ("db:read", "omar")],
    );
    assert_eq!(
        got,
        vec![
            row(
                Kind::Grant,
                "ana",
                "db:read",
                Reason::Qualifies,
                Some("r-a")
            ),
            row(
                Kind::Grant,
                "cto",
                "db:read",
                Reason::Qualifies,
                Some("r-a")
            ),
        ]
    );
}

#[test]
fn on_call_rules_count_their_lead_and_grace() {
    let mut org = base();
    let shift = |p: &str, start: &str, end: &str| Shift {
        person: p.into(),
        start: t(start),
        end: t(end),
    };
    org.rotations[0].shifts = vec![
        // Starts in 20 minutes: within the 30-minute lead.
        shift("bo", "2026-03-02T12:20:00Z", "2026-03-02T14:00:00Z"),
        // Ended 10 minutes ago: within the 15-minute grace.
        shift("cy", "2026-03-02T08:00:00Z", "2026-03-02T11:50:00Z"),
        // Ended 20 minutes ago: past it.
        shift("dee", "2026-03-02T08:00:00Z", "2026-03-02T11:40:00Z"),
    ];
    org.rotations[0].members.push("dee".into());
    let mut oncall = rule(
        "oncall",
        "pay-db",
        "priya",
        &["db:admin"],
        Audience::Rotation("pay-oncall".into()),
    );
    oncall.only_while_oncall = true;
    oncall.lead_secs = 30 * 60;
    oncall.grace_secs = 15 * 60;
    org.rules.push(oncall);
    org.grants.push(by_rule("dee", "db:admin", "oncall"));
    let got = run(
        org,
        &[
            ("db:admin", "bo"),
            ("db:admin", "cy"),
            ("db:admin", "dee"),
            ("db:admin", "ana"),
        ],
    );
    assert_eq!(
        got,
        vec![
            row(
                Kind::Grant,
                "bo",
                "db:admin",
                Reason::OnCall,
                Some("oncall")
            ),
            row(
                Kind::Grant,
                "cy",
                "db:admin",
                Reason::OnCall,
                Some("oncall")
            ),
            row(
                Kind::Revoke,
                "dee",
                "db:admin",
                Reason::OffCall,
                Some("oncall")
            ),
        ]
    );
}

#[test]
fn a_pair_named_twice_counts_once() {
    let org = with_r1();
    let got = run(org, &[("db:read", "ana"), ("db:read", "ana")]);
    assert_eq!(got.len(), 1);
}

/// On generated organizations (teams nested, rotations with shifts,
/// trainings, manual and rule grants), every person on the roster and one
/// off it, with every entitlement, at several times.
#[test]
fn every_pair_of_a_generated_organization_is_the_whole_evaluations() {
    let now = t(NOW);
    for seed in [3, 11] {
        let snap = Snapshot::new(crate::r#gen::generate(200, seed, now));
        let mut people: Vec<&str> = snap.org.people.iter().map(|p| p.id.as_str()).collect();
        people.push("nobody-on-the-roster");
        let pairs: Vec<(usize, &str)> = (0..snap.org.entitlements.len())
            .flat_map(|e| people.iter().map(move |&p| (e, p)))
            .collect();
        for hours in [0, 5, 24 * 40] {
            let at = now + chrono::Duration::hours(hours);
            let got = checked(&snap, &pairs, at);
            let kinds: BTreeSet<String> = got.iter().map(|s| format!("{:?}", s.kind)).collect();
            assert!(
                got.len() > 20 && kinds.len() == 3,
                "{} suggestions, {kinds:?}",
                got.len()
            );
        }
    }
}
