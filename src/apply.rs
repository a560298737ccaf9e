//! Plan and apply: accepted decisions become concrete upstream changes,
//! carried out idempotently. The `files` source's write side rewrites
//! `grants.csv` atomically.

use crate::model::*;
use crate::policy::{Scope, Snapshot, authority, suggestions};
use crate::sources::files;
use crate::store::Store;
use crate::sync::{FILES_SOURCE, sync_org_dir};
use anyhow::{Context, Result, bail};
use std::path::PathBuf;

/// What a planned decision will do upstream.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// Add a grant.
    Add,
    /// Remove every grant of the entitlement from the person.
    Remove,
    /// Keep the grant, renewed under the decider's authority.
    Renew,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    pub decision: i64,
    pub decider: String,
    pub op: Op,
    pub person: String,
    pub entitlement: String,
    pub area: String,
    /// The upstream object, when the entitlement is mapped to one.
    pub upstream: Option<String>,
    pub basis: String,
}

impl Change {
    pub fn describe(&self) -> String {
        let target = self
            .upstream
            .as_ref()
            .map(|u| format!(" (upstream {u})"))
            .unwrap_or_default();
        match self.op {
            Op::Add => format!(
                "grants.csv: add {} -> {}{target}, granted by {}, basis {}",
                self.person, self.entitlement, self.decider, self.basis
            ),
            Op::Remove => format!(
                "grants.csv: remove {} -> {}{target}",
                self.person, self.entitlement
            ),
            Op::Renew => format!(
                "grants.csv: renew {} -> {}{target} as manual, granted by {}",
                self.person, self.entitlement, self.decider
            ),
        }
    }
}

pub fn change_of(d: &Decision, snap: &Snapshot) -> Change {
    let s = &d.suggestion;
    let op = match (s.kind, d.verdict) {
        (Kind::Grant, _) => Op::Add,
        (Kind::Revoke, _) | (Kind::Review, Verdict::Revoke) => Op::Remove,
        (Kind::Review, _) => Op::Renew,
    };
    Change {
        decision: d.id,
        decider: d.decider.clone(),
        op,
        person: s.person.clone(),
        entitlement: s.entitlement.clone(),
        area: s.area.clone(),
        upstream: snap
            .entitlement(&s.entitlement)
            .and_then(|e| e.upstream.clone()),
        basis: match (&s.rule, s.kind) {
            (Some(r), Kind::Grant) => format!("rule:{r}"),
            _ => "manual".into(),
        },
    }
}

/// The changes the planned decisions in `scope` imply, oldest first.
pub fn plan(store: &Store, snap: &Snapshot, scope: &Scope) -> Result<Vec<Change>> {
    Ok(store
        .planned()?
        .iter()
        .filter(|d| {
            snap.area_idx(&d.suggestion.area)
                .is_some_and(|a| scope.contains(a))
        })
        .map(|d| change_of(d, snap))
        .collect())
}

/// One change's outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub change: Change,
    pub ok: bool,
    pub result: String,
}

fn files_dir(store: &Store) -> Result<PathBuf> {
    match store.source(FILES_SOURCE)? {
        Some(s) => Ok(PathBuf::from(s.location)),
        None => bail!(
            "nothing to apply to: the cache has no org directory source (run `steward sync --org DIR`)"
        ),
    }
}

/// Applies the planned decisions within `actor`'s scope. Each decision is
/// checked again now: the actor and the decider must both have authority over
/// its area, and the suggestion must still stand (unless the change is
/// already upstream, from an earlier, interrupted run).
pub fn apply(store: &mut Store, actor: &str, now: Time, dry_run: bool) -> Result<Vec<Outcome>> {
    let snap = Snapshot::new(store.load_org()?);
    let scope = Scope::of(&snap, actor, now);
    let changes = plan(store, &snap, &scope)?;
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let dir = files_dir(store)?;
    let upstream =
        files::read_org(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
    let current = suggestions(&snap, &Scope::everything(&snap), now);
    let decisions = store.planned()?;
    let mut grants = upstream.grants.clone();
    let mut outcomes = Vec::new();
    for change in changes {
        let Some(d) = decisions.iter().find(|d| d.id == change.decision) else {
            continue;
        };
        let (ok, result) = apply_one(&snap, &mut grants, &current, d, &change, actor, now);
        outcomes.push(Outcome { change, ok, result });
    }
    if dry_run {
        return Ok(outcomes);
    }
    if grants != upstream.grants {
        files::write::write_grants(&grants, &dir.join("grants.csv"))
            .with_context(|| format!("cannot write {}", dir.join("grants.csv").display()))?;
    }
    for o in &outcomes {
        store.finish_decision(o.change.decision, o.ok, &o.result, actor, now)?;
    }
    sync_org_dir(store, &dir, now)?;
    Ok(outcomes)
}

fn apply_one(
    snap: &Snapshot,
    grants: &mut Vec<Grant>,
    current: &[Suggestion],
    d: &Decision,
    change: &Change,
    actor: &str,
    now: Time,
) -> (bool, String) {
    let holds = |gs: &[Grant]| {
        gs.iter()
            .any(|g| g.person == change.person && g.entitlement == change.entitlement)
    };
    // Already done upstream (an earlier run was interrupted, or someone else did it).
    let done = match change.op {
        Op::Add => holds(grants),
        Op::Remove => !holds(grants),
        Op::Renew => grants.iter().any(|g| {
            g.person == change.person
                && g.entitlement == change.entitlement
                && g.granted_by.as_deref() == Some(&d.decider)
                && g.granted_at >= d.at
        }),
    };
    if done {
        return (true, "already in place upstream; nothing changed".into());
    }
    let Some(area) = snap.area_idx(&change.area) else {
        return (
            false,
            format!("refused: area {} no longer exists", change.area),
        );
    };
    if authority(snap, actor, area, now).is_none() {
        return (
            false,
            format!(
                "refused: {actor} has no authority over area {} now",
                change.area
            ),
        );
    }
    if authority(snap, &d.decider, area, now).is_none() {
        return (
            false,
            format!(
                "refused: decider {} no longer has authority over area {} (delegation ended?)",
                d.decider, change.area
            ),
        );
    }
    let still = current.iter().any(|s| {
        s.person == change.person
            && s.entitlement == change.entitlement
            && s.kind == d.suggestion.kind
    });
    if !still {
        return (
            false,
            "not applied: the suggestion no longer stands (the facts changed since the decision)"
                .into(),
        );
    }
    match change.op {
        Op::Add => grants.push(Grant {
            person: change.person.clone(),
            entitlement: change.entitlement.clone(),
            granted_by: Some(d.decider.clone()),
            granted_at: now,
            basis: Basis::parse(&change.basis).unwrap_or(Basis::Manual),
            expires: None,
        }),
        Op::Remove => {
            grants.retain(|g| !(g.person == change.person && g.entitlement == change.entitlement))
        }
        Op::Renew => {
            let expires = grants
                .iter()
                .find(|g| g.person == change.person && g.entitlement == change.entitlement)
                .and_then(|g| g.expires);
            grants.retain(|g| !(g.person == change.person && g.entitlement == change.entitlement));
            grants.push(Grant {
                person: change.person.clone(),
                entitlement: change.entitlement.clone(),
                granted_by: Some(d.decider.clone()),
                granted_at: now,
                basis: Basis::Manual,
                expires,
            });
        }
    }
    (true, change.describe())
}
