//! The resident evaluation answers exactly as a fresh one: after grants
//! change, after rules change, after people change, and as the clock moves.

use super::state::{Patch, Redone, State};
use crate::model::*;
use crate::policy::{Scope, Snapshot, suggestions};
use proptest::prelude::*;

fn now() -> Time {
    "2026-03-02T12:00:00Z".parse().unwrap_or_default()
}

fn org() -> Org {
    crate::r#gen::generate(300, 5, now())
}

/// What a fresh evaluation of the whole organization says at `at`.
fn fresh(org: &Org, at: Time) -> Vec<Suggestion> {
    let snap = Snapshot::new(org.clone());
    suggestions(&snap, &Scope::everything(&snap), at)
}

/// What a fresh evaluation of `person`'s scope says at `at`.
fn fresh_for(org: &Org, person: &str, at: Time) -> Vec<Suggestion> {
    let snap = Snapshot::new(org.clone());
    suggestions(&snap, &Scope::of(&snap, person, at), at)
}

/// Owners of areas, the root's first: each asks for their own scope.
fn owners(org: &Org) -> Vec<String> {
    let mut out: Vec<String> = org.areas.iter().map(|a| a.owner.clone()).collect();
    out.dedup();
    out.truncate(12);
    out
}

fn same_for_everyone(state: &State, org: &Org, at: Time) {
    assert_eq!(state.all(), fresh(org, at), "the whole organization");
    for p in owners(org) {
        assert_eq!(
            state.suggestions(&p, at),
            Some(fresh_for(org, &p, at)),
            "{p}"
        );
    }
}

/// One change to the grants: `k` picks the grant, `what` how it changes.
fn change_grant(org: &mut Org, k: usize, what: u8, at: Time) {
    let n = org.grants.len();
    let g = org.grants[k % n].clone();
    match what % 4 {
        0 => {
            org.grants.remove(k % n);
        }
        1 => org.grants[k % n].expires = Some(at - chrono::Duration::days(1)),
        2 => org.grants[k % n].granted_by = None,
        _ => {
            // The same entitlement for someone else, granted by hand.
            let other = &org.people[k % org.people.len()].id;
            org.grants.push(Grant {
                person: other.clone(),
                granted_at: at - chrono::Duration::days(200),
                basis: Basis::Manual,
                ..g
            });
        }
    }
}

/// What the store's change log gives for `old` becoming `new`: the grants
/// of each entitlement whose grants changed, every rule if any changed.
fn patch(old: &Org, new: &Org) -> Patch {
    let of = |org: &Org, e: &str| -> Vec<Grant> {
        org.grants
            .iter()
            .filter(|g| g.entitlement == e)
            .cloned()
            .collect()
    };
    let mut grants = Vec::new();
    for e in &new.entitlements {
        let now = of(new, &e.id);
        if of(old, &e.id) != now {
            grants.push((e.id.clone(), now));
        }
    }
    Patch {
        grants,
        rules: (old.rules != new.rules).then(|| new.rules.clone()),
    }
}

/// The patched state's snapshot holds each entitlement's grants as a
/// fresh one does, and its rules.
fn same_snapshot(state: &State, org: &Org) {
    let fresh = Snapshot::new(org.clone());
    for e in 0..org.entitlements.len() {
        assert!(
            state
                .snap
                .grants_of_entitlement(e)
                .eq(fresh.grants_of_entitlement(e)),
            "{}",
            org.entitlements[e].id
        );
        assert!(state.snap.rules_granting(e).eq(fresh.rules_granting(e)));
    }
    assert_eq!(state.snap.org.rules, org.rules);
    let mut held: Vec<&Grant> = state.snap.org.grants.iter().collect();
    let mut want: Vec<&Grant> = org.grants.iter().collect();
    let key = |g: &&Grant| format!("{g:?}");
    held.sort_by_key(key);
    want.sort_by_key(key);
    assert_eq!(held, want);
}

#[test]
fn built_once_it_is_the_fresh_evaluation() {
    let org = org();
    let state = State::build(org.clone(), now());
    assert!(state.all().len() > 50, "{} suggestions", state.all().len());
    same_for_everyone(&state, &org, now());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// After a sync changing a few grants, only their entitlements are
    /// evaluated again, and the answer is a fresh evaluation's.
    #[test]
    fn after_grants_change_it_is_the_fresh_evaluation(
        changes in proptest::collection::vec((0usize..100_000, 0u8..4), 1..12)
    ) {
        let mut org = org();
        let state = State::build(org.clone(), now());
        for (k, what) in changes {
            change_grant(&mut org, k, what, now());
        }
        let (state, redone) = state.update(org.clone(), now());
        match &redone {
            Redone::Entitlements(e) => prop_assert!(e.len() <= 24, "{} redone", e.len()),
            Redone::Whole => prop_assert!(false, "grants alone redo everything"),
        }
        same_for_everyone(&state, &org, now());
    }

    /// The same changes told by the store's change log rather than found by
    /// comparing: the snapshot patched in place (or copied when another
    /// reader still holds it) answers as a fresh evaluation.
    #[test]
    fn patched_with_what_changed_it_is_the_fresh_evaluation(
        changes in proptest::collection::vec((0usize..100_000, 0u8..4), 1..12),
        rule in proptest::option::of(0usize..10_000),
        held in any::<bool>(),
    ) {
        let old = org();
        let mut org = old.clone();
        let state = State::build(org.clone(), now());
        for (k, what) in changes {
            change_grant(&mut org, k, what, now());
        }
        if let Some(k) = rule {
            let n = org.rules.len();
            org.rules[k % n].grant.truncate(1);
            org.rules.remove((k + 1) % n);
        }
        let patch = patch(&old, &org);
        prop_assert!(state.can_patch(&patch));
        let reader = held.then(|| state.snap.clone());
        let (state, redone) = state.patched(patch, now());
        prop_assert_ne!(redone, Redone::Whole);
        drop(reader);
        same_snapshot(&state, &org);
        same_for_everyone(&state, &org, now());
    }

    /// A rule removed, narrowed or added: the answer is a fresh evaluation's.
    #[test]
    fn after_rules_change_it_is_the_fresh_evaluation(k in 0usize..10_000, what in 0u8..3) {
        let mut org = org();
        let state = State::build(org.clone(), now());
        let n = org.rules.len();
        match what {
            0 => {
                org.rules.remove(k % n);
            }
            1 => {
                org.rules[k % n].grant.truncate(1);
                org.rules[k % n].trained.clear();
            }
            _ => {
                let mut r = org.rules[k % n].clone();
                r.id = format!("{}-again", r.id);
                r.audience = org.rules[(k + 1) % n].audience.clone();
                org.rules.push(r);
            }
        }
        let (state, redone) = state.update(org.clone(), now());
        prop_assert_ne!(redone, Redone::Whole);
        same_for_everyone(&state, &org, now());
    }

    /// Later by the clock, with nothing changed: what ran out is evaluated
    /// at the time asked, kept or refreshed.
    #[test]
    fn as_the_clock_moves_it_is_the_fresh_evaluation(hours in 1i64..24 * 200) {
        let org = org();
        let state = State::build(org.clone(), now());
        let later = now() + chrono::Duration::hours(hours);
        let kept_only_where_held = owners(&org)
            .into_iter()
            .all(|p| state.suggestions(&p, later).is_none_or(|l| l == fresh_for(&org, &p, later)));
        prop_assert!(kept_only_where_held);
        let state = match state.refreshed(later) {
            Some((s, _)) => s,
            None => state,
        };
        same_for_everyone(&state, &org, later);
    }
}

#[test]
fn people_changing_redo_the_whole_and_still_answer_as_fresh() {
    let mut org = org();
    let state = State::build(org.clone(), now());
    let p = org.people.len() / 2;
    org.people[p].status = Status::Left;
    let (state, redone) = state.update(org.clone(), now());
    assert_eq!(redone, Redone::Whole);
    same_for_everyone(&state, &org, now());
}

#[test]
fn nothing_changed_redoes_nothing() {
    let org = org();
    let state = State::build(org.clone(), now());
    let (state, redone) = state.update(org.clone(), now());
    assert_eq!(redone, Redone::Entitlements(Vec::new()));
    assert!(state.refreshed(now()).is_none());
    same_for_everyone(&state, &org, now());
}
