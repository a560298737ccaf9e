//! What automatic rules do by themselves, and what holds them back.

use super::*;
use crate::policy::tests::{NOW, t};
use crate::policy::{Scope, suggestions};

fn now() -> Time {
    t(NOW)
}

/// The policy tests' organization (root (cto) > pay (priya) > pay-db
/// (priya); ops (omar); team pay-api: ana, bo), with ops allowing 1
/// automatic change, and rotation pay-oncall: ana on call until 14:00, bo
/// from 14:00; cy's shift ended at 11:50.
fn org() -> Org {
    let mut org = crate::policy::tests::base();
    if let Some(ops) = org.areas.iter_mut().find(|a| a.id == "ops") {
        ops.max_auto_changes = Some(1);
    }
    let shift = |p: &str, s: &str, e: &str| Shift {
        person: p.into(),
        start: t(s),
        end: t(e),
    };
    let oncall = &mut org.rotations[0];
    oncall.members = vec!["ana".into(), "bo".into()];
    oncall.shifts = vec![
        shift("ana", "2026-03-02T02:00:00Z", "2026-03-02T14:00:00Z"),
        shift("bo", "2026-03-02T14:00:00Z", "2026-03-03T02:00:00Z"),
        shift("cy", "2026-03-01T23:50:00Z", "2026-03-02T11:50:00Z"),
    ];
    org
}

/// The policy tests' rule, automatic.
fn rule(id: &str, area: &str, author: &str, grant: &[&str], audience: Audience) -> Rule {
    Rule {
        apply: ApplyMode::Auto,
        ..crate::policy::tests::rule(id, area, author, grant, audience)
    }
}

/// A grant by priya on 2026-01-01, open-ended.
fn grant(person: &str, ent: &str, basis: Basis) -> Grant {
    crate::policy::tests::grant(
        person,
        ent,
        basis,
        Some("priya"),
        "2026-01-01T00:00:00Z",
        None,
    )
}

fn by(id: &str) -> Basis {
    Basis::Rule(id.into())
}

fn team() -> Audience {
    Audience::Team("pay-api".into())
}

fn oncall() -> Audience {
    Audience::Rotation("pay-oncall".into())
}

/// `kind person entitlement rule` of each change.
fn brief(changes: &[AutoChange]) -> Vec<String> {
    changes
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {}",
                c.suggestion.kind.as_str(),
                c.suggestion.person,
                c.suggestion.entitlement,
                c.rule
            )
        })
        .collect()
}

#[test]
fn an_automatic_rule_grants_to_who_qualifies_and_revokes_only_its_own_grants() {
    let mut org = org();
    org.rules = vec![rule("read", "pay", "priya", &["db:read"], team())];
    org.grants = vec![
        grant("ana", "db:read", by("read")),
        // Not in the team any more: its own grant goes.
        grant("cy", "db:read", by("read")),
        // Left: its own grant goes.
        grant("lee", "db:read", by("read")),
        // Manual, or another rule's: a person decides.
        grant("omar", "db:read", Basis::Manual),
        grant("cto", "db:read", by("old-rule")),
    ];
    let snap = Snapshot::new(org);
    let all = changes(&snap, now());
    assert_eq!(
        brief(&all),
        [
            "grant bo db:read read",
            "revoke cy db:read read",
            "revoke lee db:read read"
        ]
    );
    let bo = &all[0];
    assert_eq!(bo.author, "priya");
    assert_eq!(bo.ground.to_string(), "owner of area pay");
    // The changes are the suggestions as `suggest` says them.
    let sugg = suggestions(&snap, &Scope::everything(&snap), now());
    for c in &all {
        assert!(sugg.contains(&c.suggestion), "{:?}", c.suggestion);
    }
    assert!(all[2].suggestion.evidence.contains("has left"));
}

#[test]
fn a_suggest_rule_or_one_that_does_not_count_does_nothing_by_itself() {
    let mut org = org();
    let mut suggest = rule("read", "pay", "priya", &["db:read"], team());
    suggest.apply = ApplyMode::Suggest;
    // omar has no authority over pay: the rule does not count.
    let not_counting = rule("admin", "pay", "omar", &["db:admin"], team());
    org.rules = vec![suggest, not_counting];
    org.grants = vec![grant("cy", "db:admin", by("admin"))];
    let snap = Snapshot::new(org);
    assert!(changes(&snap, now()).is_empty());
}

#[test]
fn a_grant_another_rule_still_justifies_stays() {
    let mut org = org();
    org.rules = vec![
        rule("read", "pay", "priya", &["db:read"], team()),
        rule("oncall-read", "pay", "priya", &["db:read"], oncall()),
    ];
    // cy's last shift ended at 11:50, and cy is no rotation member: neither
    // rule justifies cy; ana is justified by both.
    org.grants = vec![
        grant("ana", "db:read", by("oncall-read")),
        grant("cy", "db:read", by("oncall-read")),
    ];
    let snap = Snapshot::new(org);
    assert_eq!(
        brief(&changes(&snap, now())),
        [
            "grant bo db:read oncall-read",
            "revoke cy db:read oncall-read"
        ]
    );
}

#[test]
fn only_while_oncall_with_lead_and_grace_widens_the_shift_the_same_for_suggestions() {
    let mut org = org();
    let mut admin = rule("admin", "pay", "priya", &["db:admin"], oncall());
    admin.only_while_oncall = true;
    org.rules = vec![admin.clone()];
    org.grants = vec![grant("cy", "db:admin", by("admin"))];
    let snap = Snapshot::new(org.clone());
    // Without lead or grace: ana now; cy's shift ended, so it goes.
    assert_eq!(
        brief(&changes(&snap, now())),
        ["grant ana db:admin admin", "revoke cy db:admin admin"]
    );
    // A lead of 2h reaches bo's 14:00 shift at 12:00; a grace of 15m keeps
    // cy until 12:05 (and cy in the rotation as long).
    admin.lead_secs = 2 * 3600;
    admin.grace_secs = 15 * 60;
    org.rules = vec![admin];
    let snap = Snapshot::new(org);
    let at = |s: &str| brief(&changes(&snap, t(s)));
    assert_eq!(
        at(NOW),
        ["grant ana db:admin admin", "grant bo db:admin admin"]
    );
    assert_eq!(
        at("2026-03-02T12:05:00Z"),
        [
            "grant ana db:admin admin",
            "grant bo db:admin admin",
            "revoke cy db:admin admin"
        ]
    );
    assert_eq!(at("2026-03-02T11:59:59Z").len(), 1);
    // Suggestions agree at each moment.
    for moment in [NOW, "2026-03-02T12:05:00Z", "2026-03-02T16:14:59Z"] {
        let sugg = suggestions(&snap, &Scope::everything(&snap), t(moment));
        for c in changes(&snap, t(moment)) {
            assert!(sugg.contains(&c.suggestion), "{moment}: {:?}", c.suggestion);
        }
    }
    let bo = changes(&snap, t(NOW))
        .into_iter()
        .find(|c| c.suggestion.person == "bo")
        .unwrap();
    assert_eq!(
        bo.suggestion.evidence,
        "on call in pay-oncall from 2026-03-02 14:00Z until 2026-03-03 02:00Z (lead 2h, grace 15m); rule admin grants db:admin only while on call"
    );
}

#[test]
fn decisions_hold_changes_back_but_carried_out_ones_do_not() {
    let mut org = org();
    org.rules = vec![rule("read", "pay", "priya", &["db:read"], team())];
    let snap = Snapshot::new(org);
    let all = changes(&snap, now());
    assert_eq!(
        brief(&all),
        ["grant ana db:read read", "grant bo db:read read"]
    );
    let decision = |s: &Suggestion, verdict, state, origin| Decision {
        id: 1,
        at: now(),
        decider: "priya".into(),
        verdict,
        suggestion: s.clone(),
        note: Some("no".into()),
        until: None,
        state,
        applied_at: None,
        result: None,
        origin,
    };
    let rule_made = Origin::Rule("read".into());
    let cases = [
        (Verdict::Dismiss, DecisionState::Held, Origin::Person, true),
        (
            Verdict::Accept,
            DecisionState::Planned,
            Origin::Person,
            true,
        ),
        (
            Verdict::Accept,
            DecisionState::Planned,
            rule_made.clone(),
            true,
        ),
        (
            Verdict::Accept,
            DecisionState::Applied,
            rule_made.clone(),
            false,
        ),
        (Verdict::Accept, DecisionState::Failed, rule_made, false),
        (
            Verdict::Dismiss,
            DecisionState::Undone,
            Origin::Person,
            false,
        ),
    ];
    for (verdict, state, origin, held) in cases {
        let d = decision(&all[0].suggestion, verdict, state, origin.clone());
        let p = plan(&snap, now(), &[d], &[], &|_| false);
        assert_eq!(
            p.due.len(),
            if held { 1 } else { 2 },
            "{verdict:?} {state:?} {origin:?}"
        );
        assert!(p.stands(&all[0].suggestion, "read"));
    }
}

#[test]
fn more_changes_than_an_areas_max_hold_all_of_them_until_released() {
    let mut org = org();
    org.rules = vec![
        rule("read", "pay", "priya", &["db:read"], team()),
        rule("console", "ops", "omar", &["ops:console"], team()),
    ];
    let snap = Snapshot::new(org.clone());
    let p = plan(&snap, now(), &[], &[], &|_| false);
    // pay-db inherits 20; ops says 1 and has 2.
    assert_eq!(
        brief(&p.due),
        ["grant ana db:read read", "grant bo db:read read"]
    );
    assert_eq!(p.held.len(), 1);
    assert_eq!(p.held[0].area, "ops");
    assert_eq!(p.held[0].hold, Hold::TooMany { max: 1, count: 2 });
    assert_eq!(p.held[0].changes.len(), 2);
    let ops = snap.area_idx("ops").unwrap();
    let released = plan(&snap, now(), &[], &[], &|a| a == ops);
    assert_eq!(released.due.len(), 4);
    assert!(released.held.is_empty());
    // Inherited: pay says 1, so pay-db's two changes are too many.
    org.areas[1].max_auto_changes = Some(1);
    let snap = Snapshot::new(org);
    let p = plan(&snap, now(), &[], &[], &|_| false);
    assert!(p.due.is_empty());
    assert_eq!(p.held.len(), 2);
    assert_eq!(max_auto_changes(&snap, snap.area_idx("pay-db").unwrap()), 1);
    assert_eq!(max_auto_changes(&snap, snap.area_idx("root").unwrap()), 20);
}

#[test]
fn changes_resting_on_a_source_that_is_not_current_wait() {
    let mut org = org();
    org.rules = vec![
        rule("read", "pay", "priya", &["db:read"], team()),
        rule("oncall-read", "ops", "omar", &["ops:console"], oncall()),
    ];
    let snap = Snapshot::new(org);
    let pd = Untrusted {
        source: "pd".into(),
        why: "its last sync failed".into(),
        facts: vec![Fact::Rotations],
    };
    let p = plan(&snap, now(), &[], &[pd], &|_| false);
    // The team rule does not rest on rotations; the rotation rule does.
    assert_eq!(
        brief(&p.due),
        ["grant ana db:read read", "grant bo db:read read"]
    );
    assert_eq!(p.held.len(), 1);
    assert_eq!(
        p.held[0].hold,
        Hold::Stale {
            sources: vec!["pd: its last sync failed".into()]
        }
    );
    assert_eq!(
        brief(&p.held[0].changes),
        [
            "grant ana ops:console oncall-read",
            "grant bo ops:console oncall-read"
        ]
    );
}

#[test]
fn the_next_boundary_is_the_nearest_moment_an_automatic_rule_can_change() {
    let mut org = org();
    let mut admin = rule("admin", "pay", "priya", &["db:admin"], oncall());
    admin.only_while_oncall = true;
    admin.apply = ApplyMode::Suggest;
    org.rules = vec![admin.clone()];
    assert_eq!(next_boundary(&Snapshot::new(org.clone()), now()), None);
    admin.apply = ApplyMode::Auto;
    admin.lead_secs = 30 * 60;
    admin.grace_secs = 15 * 60;
    org.rules = vec![admin];
    let snap = Snapshot::new(org);
    // cy's end + 15m = 12:05.
    assert_eq!(next_boundary(&snap, now()), Some(t("2026-03-02T12:05:00Z")));
    // Then bo's start - 30m = 13:30.
    assert_eq!(
        next_boundary(&snap, t("2026-03-02T12:05:00Z")),
        Some(t("2026-03-02T13:30:00Z"))
    );
}
