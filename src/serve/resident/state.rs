//! The evaluated organization `steward serve` keeps in memory: the whole
//! snapshot and every entitlement's suggestions, each with the span of time
//! it holds for. Built once with the engine (`policy::suggestions`), then
//! kept current by re-evaluating only what a change touches: after grant
//! rows changed, the (entitlement, person) pairs whose rows they are
//! ([`suggestions_for`]); after rules changed, the entitlements they bear
//! on ([`Evaluation::entitlement`] per entitlement); and those whose time
//! ran out. Pure: no store, no clock; the caller says what `now` is.

use super::rowids::RowIds;
use super::spare::{Applied, Spare, Written, write};
use super::until::Boundaries;
use crate::model::{Grant, Org, Rule, Suggestion, Time};
use crate::policy::{
    Audiences, Evaluation, Scope, Snapshot, listed_order, suggestions, suggestions_for,
};
use crate::store::GrantChanges;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One entitlement's suggestions, evaluated at `at`, holding until `until`.
#[derive(Debug, Clone)]
struct Evaluated {
    list: Vec<Suggestion>,
    at: Time,
    /// The first time at or after `at` when they may differ (`None`: no
    /// time ahead changes them).
    until: Option<Time>,
}

impl Evaluated {
    fn holds_at(&self, now: Time) -> bool {
        holds(self.at, self.until, now)
    }
}

/// The resident evaluation of one organization.
pub struct State {
    pub snap: Arc<Snapshot>,
    /// The store's rowid of each grant (that of `snap.org.grants[i]` at
    /// slot `i`), and the slot of each: what the store's change log names
    /// rows by.
    rowids: Arc<RowIds>,
    /// The snapshot `snap` was patched from, with that patch, kept while
    /// readers held it, to patch instead of copying `snap` when that is
    /// still read.
    spare: Option<Spare>,
    /// By entitlement (its index in `snap`), shared with the state it was
    /// updated from where it did not change.
    by_entitlement: Vec<Arc<Evaluated>>,
    /// The trainings' times, as they stand until the whole is evaluated
    /// again (a training changed is such a change).
    bounds: Arc<Boundaries>,
    /// Built (or last rebuilt whole) at this time.
    built_at: Time,
    /// When a delegation starts or ends: every scope and every rule's
    /// authority may change then, so the whole is evaluated again.
    scopes_until: Option<Time>,
}

/// What an update re-evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redone {
    /// Everything (something else than grants and rules changed).
    Whole,
    /// These entitlements (by index), the rest kept.
    Entitlements(Vec<usize>),
    /// These entitlements whole, and of others only `pairs` (entitlement,
    /// person) pairs whose grant rows changed; the rest kept.
    Pairs {
        entitlements: Vec<usize>,
        pairs: usize,
    },
}

/// What changed in the organization since a state was made, when only
/// grants and rules did: read from the store's change log.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    /// The grant rows that changed, or the entitlements whose did.
    pub grants: GrantChanges,
    /// Every rule, in the order written, when any changed.
    pub rules: Option<Vec<Rule>>,
}

/// A patch's grants as slots of this state's snapshot: those to remove
/// (each once), those to add (rowid, grant) in the order written, and the
/// entitlements either touches, each with the people whose rows of it
/// changed.
struct RowPatch {
    removed: Vec<usize>,
    added: Vec<(i64, Grant)>,
    touched: Touched,
}

/// Entitlements (by index) with the people whose grants of each changed.
type Touched = FxHashMap<usize, FxHashSet<String>>;

impl State {
    /// The whole organization evaluated at `now`, its grants as a store
    /// holds them written in this order into an empty table (rowids from 1).
    pub fn build(org: Org, now: Time) -> State {
        let rowids = (1..=org.grants.len() as i64).collect();
        State::build_rowed(org, rowids, now)
    }

    /// The whole organization evaluated at `now`, `rowids[i]` the store's
    /// rowid of `org.grants[i]`.
    pub fn build_rowed(org: Org, rowids: Vec<i64>, now: Time) -> State {
        let rowids = Arc::new(RowIds::new(rowids));
        State::evaluate_whole(Arc::new(Snapshot::new(org)), rowids, now)
    }

    fn evaluate_whole(snap: Arc<Snapshot>, rowids: Arc<RowIds>, now: Time) -> State {
        let bounds = Boundaries::new(&snap);
        let mut lists: Vec<Vec<Suggestion>> = vec![Vec::new(); snap.org.entitlements.len()];
        for s in suggestions(&snap, &Scope::everything(&snap), now) {
            if let Some(e) = snap.entitlement_idx(&s.entitlement) {
                lists[e].push(s);
            }
        }
        let by_entitlement = lists
            .into_iter()
            .enumerate()
            .map(|(e, list)| {
                Arc::new(Evaluated {
                    list,
                    at: now,
                    until: bounds.of_entitlement(&snap, e, now),
                })
            })
            .collect();
        State {
            scopes_until: Boundaries::scopes(&snap, now),
            snap,
            rowids,
            spare: None,
            by_entitlement,
            bounds: Arc::new(bounds),
            built_at: now,
        }
    }

    /// The state for `org` (as the store holds it now) at `now`: the
    /// entitlements whose grants or rules changed, and those whose time ran
    /// out, evaluated again; the rest kept. Anything else changed (people,
    /// teams, rotations, trainings, areas, entitlements, delegations), or a
    /// delegation started or ended: all of it again.
    /// `rowids[i]` is the store's rowid of `org.grants[i]`.
    pub fn update(&self, org: Org, rowids: Vec<i64>, now: Time) -> (State, Redone) {
        let rowids = Arc::new(RowIds::new(rowids));
        self.update_to(Arc::new(Snapshot::new(org)), rowids, now)
    }

    /// [`State::update`] with the new organization's snapshot made: what
    /// changed found by comparing the two (for when the store could not
    /// say; [`State::patched`] when it could).
    pub fn update_to(
        &self,
        snap: Arc<Snapshot>,
        rowids: Arc<RowIds>,
        now: Time,
    ) -> (State, Redone) {
        let (old, org) = (&self.snap.org, &snap.org);
        let same_frame = old.people == org.people
            && old.teams == org.teams
            && old.rotations == org.rotations
            && old.trainings == org.trainings
            && old.areas == org.areas
            && old.entitlements == org.entitlements
            && old.delegations == org.delegations;
        if !same_frame || !self.scopes_hold(now) {
            return (State::evaluate_whole(snap, rowids, now), Redone::Whole);
        }
        let mut changed = changed_rules(&self.snap, &snap);
        changed.extend(changed_grants(&self.snap, &snap));
        self.reevaluated(snap, rowids, changed, now)
    }

    /// The state after `patch` at `now`, this one's snapshot changed in
    /// place (or, when something else still holds it, the spare kept from
    /// before brought up to date, or else a copy): the grant rows removed
    /// and added, then the entitlements whose grants changed, those a
    /// changed rule bears on and those whose time ran out evaluated again.
    /// All of it when a delegation started or ended. `Err` with this state
    /// unchanged when the patch does not fit it: a row to remove it does
    /// not hold, a row to add it holds already, an entitlement it does not
    /// know.
    pub fn patched(self, patch: Patch, now: Time) -> Result<(State, Redone), State> {
        let Some(rows) = self.rows_of(patch.grants) else {
            return Err(self);
        };
        let State {
            snap,
            rowids,
            spare,
            by_entitlement,
            bounds,
            built_at,
            scopes_until,
        } = self;
        let mut rowids = Arc::unwrap_or_clone(rowids);
        let RowPatch {
            removed,
            added,
            touched,
        } = rows;
        let (new_rowids, added): (Vec<i64>, Vec<Grant>) = added.into_iter().unzip();
        let applied = Applied {
            removed: removed.clone(),
            added,
            rules: patch.rules,
        };
        let Written {
            snap,
            placed,
            old_rules,
            spare,
            how,
        } = write(snap, spare, applied);
        rowids.place(&removed, &placed, &new_rowids, snap.org.grants.len());
        let mut changed = FxHashSet::default();
        if let Some(old) = old_rules {
            let (was, is) = (by_id(&old), by_id(&snap.org.rules));
            let ids = changed_ids(&was, &is);
            changed.extend(entitlements_of_rules(&snap, &ids, [&was, &is]));
        }
        tracing::debug!("resident evaluation: patched {how}");
        let (snap, rowids) = (Arc::new(snap), Arc::new(rowids));
        if !holds(built_at, scopes_until, now) {
            return Ok((State::evaluate_whole(snap, rowids, now), Redone::Whole));
        }
        let rows = Rows {
            touched,
            added: &placed.added,
        };
        let (by_entitlement, redone) =
            reevaluate_rows(by_entitlement, &bounds, &snap, rows, changed, now);
        let state = State {
            snap,
            rowids,
            spare,
            by_entitlement,
            bounds,
            built_at,
            scopes_until,
        };
        Ok((state, redone))
    }

    /// `grants` as slots of this state's snapshot; `None` when they do
    /// not fit it.
    fn rows_of(&self, grants: GrantChanges) -> Option<RowPatch> {
        let snap = &self.snap;
        let mut touched = Touched::default();
        let (removed, added) = match grants {
            GrantChanges::Rows { deleted, inserted } => {
                let removed = self.slots_of(&deleted, &inserted)?;
                (removed, inserted)
            }
            GrantChanges::Entitlements(lists) => {
                let (mut removed, mut added) = (Vec::new(), Vec::new());
                for (id, list) in lists {
                    let e = snap.entitlement_idx(&id)?;
                    let mut old: FxHashMap<i64, usize> = snap.grants_of_entitlement[e]
                        .iter()
                        .map(|&s| (self.rowids.rowid(s), s))
                        .collect();
                    for (rowid, g) in list {
                        match old.get(&rowid) {
                            Some(&s) if snap.org.grants[s] == g => {
                                old.remove(&rowid);
                            }
                            _ => added.push((rowid, g)),
                        }
                    }
                    removed.extend(old.into_values());
                }
                added.sort_unstable_by_key(|(rowid, _)| *rowid);
                (removed, added)
            }
        };
        let rows = removed.iter().map(|&s| &snap.org.grants[s]);
        for g in rows.chain(added.iter().map(|(_, g)| g)) {
            if let Some(e) = snap.entitlement_idx(&g.entitlement) {
                touched.entry(e).or_default().insert(g.person.clone());
            }
        }
        Some(RowPatch {
            removed,
            added,
            touched,
        })
    }

    /// The slots of the grants with rowids `deleted`; `None` unless each is
    /// held once and no rowid of `inserted` is held but among `deleted`.
    fn slots_of(&self, deleted: &[i64], inserted: &[(i64, Grant)]) -> Option<Vec<usize>> {
        let gone: FxHashSet<i64> = deleted.iter().copied().collect();
        if gone.len() != deleted.len() {
            return None;
        }
        let held_again = inserted
            .iter()
            .any(|(r, _)| !gone.contains(r) && self.rowids.slot(*r).is_some());
        if held_again {
            return None;
        }
        deleted.iter().map(|&r| self.rowids.slot(r)).collect()
    }

    /// The state for `snap` (this one's frame, other grants or rules) at
    /// `now`: entitlements `changed` and those whose time ran out
    /// evaluated again, the rest kept.
    fn reevaluated(
        &self,
        snap: Arc<Snapshot>,
        rowids: Arc<RowIds>,
        changed: FxHashSet<usize>,
        now: Time,
    ) -> (State, Redone) {
        let kept = self.by_entitlement.clone();
        let (by_entitlement, redone) = reevaluate(kept, &self.bounds, &snap, changed, now);
        // The spare stays one for this snapshot, not another.
        let spare = Arc::ptr_eq(&snap, &self.snap)
            .then(|| self.spare.clone())
            .flatten();
        let state = State {
            snap,
            rowids,
            spare,
            by_entitlement,
            bounds: self.bounds.clone(),
            built_at: self.built_at,
            scopes_until: self.scopes_until,
        };
        (state, redone)
    }

    /// The state at `now` for the same organization: `None` when all of it
    /// still holds; else what ran out evaluated again (all of it, when a
    /// delegation started or ended).
    pub fn refreshed(&self, now: Time) -> Option<(State, Redone)> {
        let stale =
            !self.scopes_hold(now) || self.by_entitlement.iter().any(|ev| !ev.holds_at(now));
        stale.then(|| self.update_to(self.snap.clone(), self.rowids.clone(), now))
    }

    /// Whether every scope is as it was built (no delegation started or
    /// ended since).
    fn scopes_hold(&self, now: Time) -> bool {
        holds(self.built_at, self.scopes_until, now)
    }

    /// `person`'s suggestions at `now`, sorted as listed, as a fresh
    /// evaluation of their scope gives them: kept ones where they still
    /// hold, the others evaluated now. `None` when a delegation started or
    /// ended since (the state must be rebuilt first).
    pub fn suggestions(&self, person: &str, now: Time) -> Option<Vec<Suggestion>> {
        if !self.scopes_hold(now) {
            return None;
        }
        let snap = &self.snap;
        let scope = Scope::of(snap, person, now);
        let mut out = Vec::new();
        let mut stale = Vec::new();
        for a in scope.areas() {
            for &e in &snap.entitlements_of_area[a] {
                let ev = &self.by_entitlement[e];
                if ev.holds_at(now) {
                    out.extend(ev.list.iter().cloned());
                } else {
                    stale.push(e);
                }
            }
        }
        for (_, list) in evaluate(snap, &stale, now) {
            out.extend(list);
        }
        out.sort_by(listed_order);
        Some(out)
    }

    /// The spare snapshot kept, if one is (for tests).
    #[cfg(test)]
    pub(super) fn spare(&self) -> Option<&Spare> {
        self.spare.as_ref()
    }

    /// Every grant with its rowid, in rowid order (for tests).
    #[cfg(test)]
    pub(super) fn rows(&self) -> Vec<(i64, &Grant)> {
        let mut out: Vec<(i64, &Grant)> = self
            .rowids
            .as_slice()
            .iter()
            .copied()
            .zip(&self.snap.org.grants)
            .collect();
        out.sort_by_key(|(r, _)| *r);
        out
    }

    /// The soonest time some kept evaluation stops holding, if any.
    pub fn next_boundary(&self) -> Option<Time> {
        self.by_entitlement
            .iter()
            .filter_map(|ev| ev.until)
            .chain(self.scopes_until)
            .min()
    }

    /// Every suggestion kept, sorted as listed (for tests and the bench).
    pub fn all(&self) -> Vec<Suggestion> {
        let mut out: Vec<Suggestion> = self
            .by_entitlement
            .iter()
            .flat_map(|ev| ev.list.iter().cloned())
            .collect();
        out.sort_by(listed_order);
        out
    }
}

/// Whether what was evaluated at `at`, holding until `until`, holds at `now`.
fn holds(at: Time, until: Option<Time>, now: Time) -> bool {
    now == at || (at <= now && until.is_none_or(|u| now < u))
}

/// `kept` for `snap` at `now`: entitlements `changed` and those whose time
/// ran out evaluated again, the rest shared.
fn reevaluate(
    mut by_entitlement: Vec<Arc<Evaluated>>,
    bounds: &Boundaries,
    snap: &Snapshot,
    mut changed: FxHashSet<usize>,
    now: Time,
) -> (Vec<Arc<Evaluated>>, Redone) {
    changed.extend(
        by_entitlement
            .iter()
            .enumerate()
            .filter(|(_, ev)| !ev.holds_at(now))
            .map(|(e, _)| e),
    );
    let mut changed: Vec<usize> = changed.into_iter().collect();
    changed.sort_unstable();
    for (e, list) in evaluate(snap, &changed, now) {
        by_entitlement[e] = Arc::new(Evaluated {
            list,
            at: now,
            until: bounds.of_entitlement(snap, e, now),
        });
    }
    (by_entitlement, Redone::Entitlements(changed))
}

/// The grant rows a patch changed, as [`reevaluate_rows`] takes them.
struct Rows<'p> {
    touched: Touched,
    /// The slots of the grants added.
    added: &'p [usize],
}

/// `kept` for `snap` at `now` after grant rows changed: of each
/// entitlement `rows` touched that still holds and is not among
/// `changed`, only the suggestions of the people whose rows changed
/// evaluated again, holding until it held or a time of the grants added
/// comes, whichever is first (a grant removed only takes a time away);
/// entitlements `changed` and those whose time ran out whole.
fn reevaluate_rows(
    kept: Vec<Arc<Evaluated>>,
    bounds: &Boundaries,
    snap: &Snapshot,
    rows: Rows,
    mut changed: FxHashSet<usize>,
    now: Time,
) -> (Vec<Arc<Evaluated>>, Redone) {
    let Rows { touched, added } = rows;
    let mut by_pairs: Vec<(usize, &FxHashSet<String>)> = Vec::new();
    for (&e, people) in &touched {
        if changed.contains(&e) || !kept[e].holds_at(now) {
            changed.insert(e);
        } else {
            by_pairs.push((e, people));
        }
    }
    let (mut by_entitlement, redone) = reevaluate(kept, bounds, snap, changed, now);
    let Redone::Entitlements(whole) = redone else {
        return (by_entitlement, redone);
    };
    let pairs: Vec<(usize, &str)> = by_pairs
        .iter()
        .flat_map(|&(e, people)| people.iter().map(move |p| (e, p.as_str())))
        .collect();
    let mut fresh: FxHashMap<usize, Vec<Suggestion>> = FxHashMap::default();
    for (e, s) in suggestions_for(snap, &pairs, now) {
        fresh.entry(e).or_default().push(s);
    }
    let mut added_of: FxHashMap<usize, Vec<&Grant>> = FxHashMap::default();
    for g in added.iter().map(|&s| &snap.org.grants[s]) {
        if let Some(e) = snap.entitlement_idx(&g.entitlement) {
            added_of.entry(e).or_default().push(g);
        }
    }
    for (e, people) in by_pairs {
        let old = &by_entitlement[e];
        let mut list: Vec<Suggestion> = old
            .list
            .iter()
            .filter(|s| !people.contains(&s.person))
            .cloned()
            .collect();
        list.extend(fresh.remove(&e).unwrap_or_default());
        let new_grants = added_of.remove(&e).unwrap_or_default();
        let until = match (old.until, bounds.of_grants(snap, e, new_grants, now)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        by_entitlement[e] = Arc::new(Evaluated {
            list,
            at: now,
            until,
        });
    }
    let redone = Redone::Pairs {
        entitlements: whole,
        pairs: pairs.len(),
    };
    (by_entitlement, redone)
}

/// The suggestions of entitlements `ents` at `now`, each area's evaluated
/// once (its rules' justification) and then entitlement by entitlement.
fn evaluate(snap: &Snapshot, ents: &[usize], now: Time) -> Vec<(usize, Vec<Suggestion>)> {
    let mut by_area: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &e in ents {
        if let Some(a) = snap.entitlement_area(e) {
            by_area.entry(a).or_default().push(e);
        }
    }
    let mut out = Vec::new();
    for (area, ents) in by_area {
        let eval = Evaluation::new(snap, &Scope::single(snap, area), now);
        let mut audiences = Audiences::default();
        for e in ents {
            let mut list = Vec::new();
            eval.entitlement(e, snap.grants_of_entitlement(e), &mut audiences, &mut list);
            out.push((e, list));
        }
    }
    out
}

/// Entitlements whose grants differ between `old` and `new` (same
/// entitlements, in the same order): the rows of every source diffed.
fn changed_grants(old: &Snapshot, new: &Snapshot) -> Vec<usize> {
    (0..new.org.entitlements.len())
        .filter(|&e| {
            !old.grants_of_entitlement(e)
                .eq(new.grants_of_entitlement(e))
        })
        .collect()
}

/// Entitlements a changed rule (added, removed, edited) bears on: those it
/// granted or grants, and those with a grant based on it.
fn changed_rules(old: &Snapshot, new: &Snapshot) -> FxHashSet<usize> {
    if old.org.rules == new.org.rules {
        return FxHashSet::default();
    }
    let (before, after) = (by_id(&old.org.rules), by_id(&new.org.rules));
    let ids = changed_ids(&before, &after);
    entitlements_of_rules(new, &ids, [&before, &after])
}

type RulesById<'r> = FxHashMap<&'r str, Vec<&'r Rule>>;

/// The ids whose rules differ between `before` and `after`.
fn changed_ids<'r>(before: &RulesById<'r>, after: &RulesById<'r>) -> FxHashSet<String> {
    let mut ids: FxHashSet<String> = FxHashSet::default();
    for (id, rules) in before {
        if after.get(id) != Some(rules) {
            ids.insert(id.to_string());
        }
    }
    for id in after.keys() {
        if !before.contains_key(id) {
            ids.insert(id.to_string());
        }
    }
    ids
}

/// Entitlements rules `ids` bear on in `snap`: those their versions in
/// `versions` grant, and those with a grant based on one of them.
fn entitlements_of_rules(
    snap: &Snapshot,
    ids: &FxHashSet<String>,
    versions: [&RulesById; 2],
) -> FxHashSet<usize> {
    let mut ents = FxHashSet::default();
    if ids.is_empty() {
        return ents;
    }
    for rules in ids
        .iter()
        .flat_map(|id| versions.map(|v| v.get(id.as_str())))
    {
        for rule in rules.into_iter().flatten() {
            ents.extend(rule.grant.iter().filter_map(|g| snap.entitlement_idx(g)));
        }
    }
    for g in &snap.org.grants {
        if g.basis.rule().is_some_and(|r| ids.contains(r))
            && let Some(e) = snap.entitlement_idx(&g.entitlement)
        {
            ents.insert(e);
        }
    }
    ents
}

fn by_id(rules: &[Rule]) -> RulesById<'_> {
    let mut out: RulesById = FxHashMap::default();
    for r in rules {
        out.entry(r.id.as_str()).or_default().push(r);
    }
    out
}
