use super::*;
use crate::policy::auto::{AutoChange, Hold};
use crate::policy::gate::Ground;
use crate::store::GrantsOf;
use crate::store::fixture::{actor, grant, now, org, store, t};

/// The fixture's rule `synced` (priya, area pay), made automatic.
fn auto_rule() -> Rule {
    let mut r = org().rules.remove(0);
    r.apply = ApplyMode::Auto;
    r
}

fn change(person: &str) -> AutoChange {
    let mut s = grant(person, "pay:read");
    s.rule = Some("synced".into());
    AutoChange {
        suggestion: s,
        rule: "synced".into(),
        author: "priya".into(),
        ground: Ground::Owner { area: "pay".into() },
    }
}

fn audit_details(store: &Store) -> Vec<(String, String, serde_json::Value)> {
    store
        .audit_entries(None)
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action, serde_json::from_str(&e.detail).unwrap()))
        .collect()
}

#[test]
fn automatic_changes_are_recorded_as_the_rules_with_their_authors_consent() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    let rules = vec![auto_rule()];
    // priya's own access is hers to consent to by her rule, and says so.
    let rec = store
        .record_automatic(&rules, &[change("ana"), change("priya")], now())
        .unwrap();
    assert!(rec.refused.is_empty(), "{:?}", rec.refused);
    assert_eq!(rec.decisions.len(), 2);
    let d = &rec.decisions[0];
    assert_eq!(d.decider, "priya");
    assert_eq!(d.state, DecisionState::Planned);
    assert_eq!(d.origin, Origin::Rule("synced".into()));
    assert_eq!(store.planned_automatic().unwrap().len(), 2);
    let entries = audit_details(&store);
    assert_eq!(entries[0].0, "priya");
    assert_eq!(entries[0].1, "auto");
    assert_eq!(entries[0].2["by_rule"], "synced");
    assert_eq!(entries[0].2["consent_of"], "priya");
    assert_eq!(entries[0].2["authority"], "owner of area pay");
    assert_eq!(entries[0].2["person"], "ana");
    assert!(entries[0].2.get("self").is_none());
    assert_eq!(entries[1].2["self"], true);
    // Read back, the origin is kept.
    let back = store.decisions().unwrap();
    assert_eq!(back[1].origin, Origin::Rule("synced".into()));
}

#[test]
fn the_gate_refuses_what_the_rule_does_not_make() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    // Not automatic.
    let rec = store
        .record_automatic(&org().rules, &[change("ana")], now())
        .unwrap();
    assert_eq!(rec.refused.len(), 1);
    assert!(
        rec.refused[0]
            .1
            .contains("not an automatic change of rule synced")
    );
    // Its author no longer has authority over the area.
    let mut eves = auto_rule();
    eves.author = "eve".into();
    let mut c = change("ana");
    c.author = "eve".into();
    let rec = store.record_automatic(&[eves], &[c], now()).unwrap();
    assert!(
        rec.refused[0].1.contains("no authority over area pay"),
        "{:?}",
        rec.refused
    );
    assert!(store.decisions().unwrap().is_empty());
    assert_eq!(store.audit_len().unwrap(), 0);
}

#[test]
fn undoing_an_automatic_change_keeps_it_undone_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    let rec = store
        .record_automatic(&[auto_rule()], &[change("ana"), change("eve")], now())
        .unwrap();
    let (ana, eve) = (rec.decisions[0].id, rec.decisions[1].id);
    store
        .finish_decision(&actor("priya"), ana, true, "done", now())
        .unwrap();
    let err = store
        .undo_automatic(&actor("dana"), ana, " ", now())
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    let err = store
        .undo_automatic(&actor("eve"), ana, "no", now())
        .unwrap_err();
    assert!(matches!(err, Error::Refused(_)), "{err}");
    // Carried out: a planned dismissal reverses it.
    let kept = store
        .undo_automatic(&actor("dana"), ana, "ana is on leave", now())
        .unwrap();
    assert_eq!(
        (kept.verdict, kept.state, &kept.origin),
        (
            Verdict::Dismiss,
            DecisionState::Planned,
            &Origin::Undoes(ana)
        )
    );
    assert_eq!(kept.note.as_deref(), Some("ana is on leave"));
    let err = store
        .undo_automatic(&actor("dana"), ana, "again", now())
        .unwrap_err();
    assert!(err.to_string().contains("already undone"), "{err}");
    // Not yet carried out: marked undone, and a held dismissal keeps it so.
    let kept = store
        .undo_automatic(&actor("priya"), eve, "eve moves teams", now())
        .unwrap();
    assert_eq!(
        (kept.state, &kept.origin),
        (DecisionState::Held, &Origin::Person)
    );
    let all = store.decisions().unwrap();
    assert_eq!(
        all.iter().find(|d| d.id == eve).unwrap().state,
        DecisionState::Undone
    );
    let undo = audit_details(&store)
        .into_iter()
        .filter(|(_, a, _)| a == "undo")
        .count();
    assert_eq!(undo, 2);
    assert_eq!(
        store.verify_audit().unwrap(),
        Ok(store.audit_len().unwrap() as usize)
    );
}

#[test]
fn what_a_run_held_back_is_kept_with_since_when() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    let held = |hold: Hold| Held {
        area: "pay".into(),
        hold,
        changes: vec![change("ana")],
    };
    let too_many = Hold::TooMany { max: 0, count: 1 };
    store.record_held(&[held(too_many.clone())], now()).unwrap();
    let later = t("2026-03-02T13:00:00Z");
    store.record_held(&[held(too_many)], later).unwrap();
    let back = store.held_back().unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!((back[0].since, back[0].at), (now(), later));
    assert_eq!(back[0].why, "too_many");
    assert_eq!(back[0].changes, ["grant ana -> pay:read (rule synced)"]);
    assert!(
        back[0].reason.contains("--release pay"),
        "{}",
        back[0].reason
    );
    store.record_held(&[], later).unwrap();
    assert!(store.held_back().unwrap().is_empty());
}

#[test]
fn a_source_whose_last_sync_failed_is_not_to_be_acted_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    assert!(store.untrusted_sources().unwrap().is_empty());
    let info = crate::sync::files_source_info(dir.path());
    store
        .record_sync_failure(&info, "people.csv:3: bad status", now())
        .unwrap();
    let u = store.untrusted_sources().unwrap();
    assert_eq!(u.len(), 1);
    assert!(
        u[0].why.contains("people.csv:3: bad status"),
        "{}",
        u[0].why
    );
    for f in [Fact::People, Fact::Teams, Fact::Areas, Fact::Rules] {
        assert!(u[0].facts.contains(&f), "{f:?}");
    }
    // It has no trainings: nothing resting on trainings rests on it.
    assert!(!u[0].facts.contains(&Fact::Trainings));
}

#[test]
fn an_applys_outcomes_and_the_grants_it_wrote_are_confirmed_together() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    let g = |p: &str, basis: Basis| Grant {
        person: p.into(),
        entitlement: "pay:read".into(),
        granted_by: Some("priya".into()),
        granted_at: now(),
        basis,
        expires: None,
        through: None,
    };
    let rule = Basis::Rule("synced".into());
    let rec = store
        .record_automatic(&[auto_rule()], &[change("ana")], now())
        .unwrap();
    let id = rec.decisions[0].id;
    let ana = |store: &Store| -> Vec<Grant> {
        let mut v: Vec<Grant> = store
            .load_org()
            .unwrap()
            .grants
            .into_iter()
            .filter(|g| g.person == "ana" && g.entitlement == "pay:read")
            .collect();
        v.sort_by_key(|g| g.basis.to_string());
        v
    };
    let pairs = [("ana".to_string(), "pay:read".to_string())];
    let rows = [g("ana", Basis::Manual), g("ana", rule.clone())];
    let confirm = GrantsOf {
        source: "files",
        pairs: &pairs,
        rows: &rows,
    };
    store
        .finish_decisions(
            &[(actor("priya"), id, true, "added".into())],
            Some(confirm),
            now(),
        )
        .unwrap();
    assert_eq!(ana(&store), rows.to_vec());
    assert_eq!(store.planned_automatic().unwrap().len(), 0);
    // Again (a rerun): the same rows, not twice.
    let confirm = GrantsOf {
        source: "files",
        pairs: &pairs,
        rows: &rows[1..],
    };
    store
        .finish_decisions(
            &[(actor("priya"), id, true, "again".into())],
            Some(confirm),
            now(),
        )
        .unwrap();
    assert_eq!(ana(&store), vec![g("ana", rule)]);
    let applies = audit_details(&store)
        .into_iter()
        .filter(|(_, a, _)| a == "apply")
        .count();
    assert_eq!(applies, 1);
}
