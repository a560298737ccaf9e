//! The resident evaluation answers exactly as a fresh one: after grants
//! change, after rules change, after people change, and as the clock moves.

use super::state::{Patch, Redone, State};
use crate::model::*;
use crate::policy::{Scope, Snapshot, suggestions};
use crate::store::GrantChanges;
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

/// The grants as the store holds them: (rowid, grant), in rowid order.
type Rows = Vec<(i64, Grant)>;

/// `org`'s grants written into an empty table.
fn rows_of(org: &Org) -> Rows {
    (1..).zip(org.grants.iter().cloned()).collect()
}

/// The rowids of `rows`.
fn rowids(rows: &Rows) -> Vec<i64> {
    rows.iter().map(|(r, _)| *r).collect()
}

/// One change to the grant rows, as a sync writes it: `k` picks the row,
/// `what` how it changes. A row changed is deleted and written again; a
/// new row takes the highest rowid plus one (as SQLite gives it, so the
/// rowid of a deleted last row comes again).
fn change_row(rows: &mut Rows, people: &[Person], k: usize, what: u8, at: Time) {
    let i = k % rows.len();
    let g = rows[i].1.clone();
    let next = |rows: &Rows| rows.last().map_or(1, |(r, _)| r + 1);
    let changed = match what % 4 {
        0 => None,
        1 => Some(Grant {
            expires: Some(at - chrono::Duration::days(1)),
            ..g
        }),
        2 => Some(Grant {
            granted_by: None,
            ..g
        }),
        _ => {
            // The same entitlement for someone else, granted by hand.
            let row = Grant {
                person: people[k % people.len()].id.clone(),
                granted_at: at - chrono::Duration::days(200),
                basis: Basis::Manual,
                ..g
            };
            rows.push((next(rows), row));
            return;
        }
    };
    rows.remove(i);
    if let Some(g) = changed {
        rows.push((next(rows), g));
    }
}

/// What the store's change log gives for `old` rows becoming `new`: the
/// rows themselves, or (`by_entitlement`) every row of each entitlement
/// whose rows changed; every rule if any changed.
fn patch(old: &Rows, new: &Rows, rules: (&[Rule], &[Rule]), by_entitlement: bool) -> Patch {
    let rules = (rules.0 != rules.1).then(|| rules.1.to_vec());
    if by_entitlement {
        let of = |rows: &Rows, e: &str| -> Rows {
            rows.iter()
                .filter(|(_, g)| g.entitlement == e)
                .cloned()
                .collect()
        };
        let mut ids: Vec<&str> = old
            .iter()
            .chain(new)
            .map(|(_, g)| g.entitlement.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let grants = ids
            .into_iter()
            .filter(|e| of(old, e) != of(new, e))
            .map(|e| (e.to_string(), of(new, e)))
            .collect();
        return Patch {
            grants: GrantChanges::Entitlements(grants),
            rules,
        };
    }
    let deleted = old
        .iter()
        .filter(|row| !new.contains(row))
        .map(|(r, _)| *r)
        .collect();
    let inserted = new
        .iter()
        .filter(|row| !old.contains(row))
        .cloned()
        .collect();
    Patch {
        grants: GrantChanges::Rows { deleted, inserted },
        rules,
    }
}

/// The patched state's snapshot holds each entitlement's grants and each
/// person's as a fresh one does, and its rules.
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
    for p in 0..org.people.len() {
        assert!(
            state.snap.grants_of_person(p).eq(fresh.grants_of_person(p)),
            "{}",
            org.people[p].id
        );
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
        let mut rows = rows_of(&org);
        for (k, what) in changes {
            change_row(&mut rows, &org.people, k, what, now());
        }
        org.grants = rows.iter().map(|(_, g)| g.clone()).collect();
        let (state, redone) = state.update(org.clone(), rowids(&rows), now());
        match &redone {
            Redone::Entitlements(e) => prop_assert!(e.len() <= 24, "{} redone", e.len()),
            other => prop_assert!(false, "grants alone, compared: {other:?}"),
        }
        same_for_everyone(&state, &org, now());
    }

    /// The same changes told by the store's change log rather than found by
    /// comparing, row by row or entitlement by entitlement, over a few
    /// syncs in a row: the snapshot patched in place, or when consoles
    /// still read it, the spare brought up to date or a copy, holds each
    /// row by its rowid and answers as a fresh evaluation. Consoles
    /// (`readers`): none; one reading at each patch and reloading after it
    /// (the spare is written from the second patch on); one reading at the
    /// first only; one reading at each patch and another never reloading
    /// (the spare still read: copied each time). The spare kept, brought
    /// up to date, is the current snapshot, slots and indexes included.
    #[test]
    fn patched_with_what_changed_it_is_the_fresh_evaluation(
        syncs in proptest::collection::vec(
            proptest::collection::vec((0usize..100_000, 0u8..4), 1..12),
            1..4,
        ),
        rule in proptest::option::of(0usize..10_000),
        readers in 0u8..4,
        by_entitlement in any::<bool>(),
    ) {
        let mut org = org();
        let mut state = State::build(org.clone(), now());
        let mut rows = rows_of(&org);
        let never_reloads = (readers == 3).then(|| state.snap.clone());
        for (round, changes) in syncs.into_iter().enumerate() {
            let (old_rows, old_rules) = (rows.clone(), org.rules.clone());
            for (k, what) in changes {
                change_row(&mut rows, &org.people, k, what, now());
            }
            org.grants = rows.iter().map(|(_, g)| g.clone()).collect();
            if let Some(k) = rule.filter(|_| round == 0) {
                let n = org.rules.len();
                org.rules[k % n].grant.truncate(1);
                org.rules.remove((k + 1) % n);
            }
            let patch = patch(&old_rows, &rows, (&old_rules, &org.rules), by_entitlement);
            let reading = (readers == 1 || readers == 3 || (readers == 2 && round == 0))
                .then(|| state.snap.clone());
            let (next, redone) = match state.patched(patch, now()) {
                Ok(done) => done,
                Err(_) => return Err(TestCaseError::fail("the patch did not fit")),
            };
            prop_assert_ne!(redone, Redone::Whole);
            prop_assert_eq!(next.spare().is_some(), reading.is_some());
            if let Some(spare) = next.spare() {
                prop_assert!(spare.copy_brought_forward() == *next.snap, "the spare differs");
            }
            drop(reading);
            let held: Vec<(i64, &Grant)> = rows.iter().map(|(r, g)| (*r, g)).collect();
            prop_assert_eq!(next.rows(), held);
            same_snapshot(&next, &org);
            same_for_everyone(&next, &org, now());
            state = next;
        }
        drop(never_reloads);
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
        let (state, redone) = state.update(org.clone(), rowids(&rows_of(&org)), now());
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
    let (state, redone) = state.update(org.clone(), rowids(&rows_of(&org)), now());
    assert_eq!(redone, Redone::Whole);
    same_for_everyone(&state, &org, now());
}

#[test]
fn nothing_changed_redoes_nothing() {
    let org = org();
    let state = State::build(org.clone(), now());
    let (state, redone) = state.update(org.clone(), rowids(&rows_of(&org)), now());
    assert_eq!(redone, Redone::Entitlements(Vec::new()));
    assert!(state.refreshed(now()).is_none());
    same_for_everyone(&state, &org, now());
}

/// A patch naming a row the state does not hold, or adding one it holds,
/// does not fit: the state comes back as it was.
#[test]
fn a_patch_that_does_not_fit_gives_the_state_back() {
    let org = org();
    let rows = rows_of(&org);
    let last = rows.len() as i64;
    for (deleted, inserted) in [
        (vec![last + 7], Vec::new()),
        (Vec::new(), vec![rows[3].clone()]),
    ] {
        let state = State::build(org.clone(), now());
        let patch = Patch {
            grants: GrantChanges::Rows { deleted, inserted },
            rules: None,
        };
        match state.patched(patch, now()) {
            Ok(_) => panic!("patched"),
            Err(state) => same_for_everyone(&state, &org, now()),
        }
    }
}

/// A row deleted and another written in its rowid (the last row, whose
/// rowid SQLite gives again): the old one goes, the new one comes.
#[test]
fn a_rowid_given_again_replaces_its_row() {
    let mut org = org();
    let state = State::build(org.clone(), now());
    let mut rows = rows_of(&org);
    let (rowid, g) = rows.pop().unwrap_or_else(|| panic!("no grants"));
    let other = Grant {
        person: org.people[1].id.clone(),
        basis: Basis::Manual,
        ..g.clone()
    };
    rows.push((rowid, other.clone()));
    org.grants = rows.iter().map(|(_, g)| g.clone()).collect();
    let patch = Patch {
        grants: GrantChanges::Rows {
            deleted: vec![rowid],
            inserted: vec![(rowid, other)],
        },
        rules: None,
    };
    let Ok((state, _)) = state.patched(patch, now()) else {
        panic!("did not fit")
    };
    same_snapshot(&state, &org);
    same_for_everyone(&state, &org, now());
}

/// Grants added that expire within the hour, each an expiry that changes
/// a suggestion: the entitlements patched for those people hold only until
/// then, and later by the clock the answer is a fresh evaluation's.
#[test]
fn grants_added_that_expire_soon_bring_their_entitlements_time_forward() {
    let mut org = org();
    let state = State::build(org.clone(), now());
    let mut rows = rows_of(&org);
    let soon = now() + chrono::Duration::hours(1);
    let later = now() + chrono::Duration::hours(2);
    let active = org.people.iter().filter(|p| p.status == Status::Active);
    let mut inserted = Vec::new();
    for (k, p) in active.take(20).enumerate() {
        let e = &org.entitlements[(k * 7) % org.entitlements.len()];
        let owner = org.areas.iter().find(|a| a.id == e.area);
        let g = Grant {
            person: p.id.clone(),
            entitlement: e.id.clone(),
            granted_by: owner.map(|a| a.owner.clone()),
            granted_at: now() - chrono::Duration::days(1),
            basis: Basis::Manual,
            expires: Some(soon),
            through: None,
        };
        let rowid = rows.last().map_or(1, |(r, _)| r + 1);
        rows.push((rowid, g.clone()));
        inserted.push((rowid, g));
    }
    org.grants = rows.iter().map(|(_, g)| g.clone()).collect();
    assert_ne!(
        fresh(&org, now()),
        fresh(&org, later),
        "no expiry that matters"
    );
    let patch = Patch {
        grants: GrantChanges::Rows {
            deleted: Vec::new(),
            inserted,
        },
        rules: None,
    };
    let Ok((state, redone)) = state.patched(patch, now()) else {
        panic!("did not fit")
    };
    assert!(
        matches!(redone, Redone::Pairs { pairs: 20, .. }),
        "{redone:?}"
    );
    same_for_everyone(&state, &org, now());
    assert!(state.next_boundary().is_some_and(|t| t <= soon));
    for p in owners(&org) {
        let kept = state.suggestions(&p, later);
        assert!(kept.is_none_or(|l| l == fresh_for(&org, &p, later)), "{p}");
    }
    let state = match state.refreshed(later) {
        Some((s, _)) => s,
        None => state,
    };
    same_for_everyone(&state, &org, later);
}
