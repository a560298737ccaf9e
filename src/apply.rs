//! Plan and apply: accepted decisions become concrete upstream changes,
//! carried out idempotently. The `files` source's write side rewrites
//! `grants.csv` atomically.

use crate::config::{SourceConfig, SourceSpec};
use crate::model::*;
use crate::net::Net;
use crate::policy::gate::{self, Action};
use crate::policy::{Scope, Snapshot, suggestions};
use crate::sources::{files, scim};
use crate::store::Store;

mod grants;
use crate::sync::{FILES_SOURCE, Shrinking, sync_org_dir_with};
use anyhow::{Context, Result, bail};
use grants::{GrantsFile, Which};
use std::collections::HashMap;
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
    /// The SCIM source and group the change goes to, when known.
    pub via: Option<(String, String)>,
    pub basis: String,
}

impl Change {
    pub fn describe(&self) -> String {
        if let Some((src, group)) = &self.via {
            return match self.op {
                Op::Add => format!(
                    "{src}: add {} to group {group} ({}), granted by {}, basis {}",
                    self.person, self.entitlement, self.decider, self.basis
                ),
                Op::Remove => format!(
                    "{src}: remove {} from group {group} ({})",
                    self.person, self.entitlement
                ),
                Op::Renew => format!(
                    "{src}: keep {} in group {group} ({}), renewed by {}",
                    self.person, self.entitlement, self.decider
                ),
            };
        }
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
            Op::Remove if self.basis != "manual" => format!(
                "grants.csv: remove {} -> {}{target} (the grant with basis {})",
                self.person, self.entitlement, self.basis
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

impl Change {
    /// In a few words, for a progress line: `add ana -> payments-db:read`.
    pub fn summary(&self) -> String {
        let verb = match self.op {
            Op::Add => "add",
            Op::Remove => "remove",
            Op::Renew => "renew",
        };
        format!("{verb} {} -> {}", self.person, self.entitlement)
    }

    /// The change as done on SCIM source `src`, group `group`.
    pub fn describe_on(&self, src: &str, group: &str) -> String {
        match self.op {
            Op::Add => format!(
                "{src}: added {} to group {group} ({}), granted by {}, basis {}",
                self.person, self.entitlement, self.decider, self.basis
            ),
            Op::Remove => format!(
                "{src}: removed {} from group {group} ({})",
                self.person, self.entitlement
            ),
            Op::Renew => format!(
                "{src}: renewed {} -> {} (group {group}), granted by {}",
                self.person, self.entitlement, self.decider
            ),
        }
    }
}

pub fn change_of(d: &Decision, snap: &Snapshot) -> Change {
    let s = &d.suggestion;
    let op = match (&d.origin, s.kind, d.verdict) {
        // Undoing an automatic grant removes it; an automatic revoke, puts
        // the grant back.
        (Origin::Undoes(_), Kind::Grant, _) => Op::Remove,
        (Origin::Undoes(_), _, _) => Op::Add,
        (_, Kind::Grant, _) => Op::Add,
        (_, Kind::Revoke, _) | (_, Kind::Review, Verdict::Revoke) => Op::Remove,
        (_, Kind::Review, _) => Op::Renew,
    };
    // An automatic change, and its undoing, touch only the grants based on
    // the rule: a basis of `rule:ID` on a removal says so.
    let automatic = !matches!(d.origin, Origin::Person);
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
        via: None,
        basis: match (&s.rule, s.kind) {
            (Some(r), Kind::Grant) => format!("rule:{r}"),
            (Some(r), Kind::Revoke) if automatic => format!("rule:{r}"),
            _ => "manual".into(),
        },
    }
}

/// The changes the planned decisions in `scope` imply, oldest first.
pub fn plan(store: &Store, snap: &Snapshot, scope: &Scope) -> Result<Vec<Change>> {
    let planned: Vec<Decision> = store
        .planned()?
        .into_iter()
        .filter(|d| {
            snap.area_idx(&d.suggestion.area)
                .is_some_and(|a| scope.contains(a))
        })
        .collect();
    changes_of(store, snap, &planned)
}

/// The changes `decisions` imply, in their order, each naming the cached
/// SCIM source and group it goes to when its entitlement's `upstream`
/// names one.
pub fn changes_of(store: &Store, snap: &Snapshot, decisions: &[Decision]) -> Result<Vec<Change>> {
    let scim_sources: Vec<String> = store
        .sources()?
        .into_iter()
        .filter(|s| s.kind == "scim")
        .map(|s| s.name)
        .collect();
    Ok(decisions
        .iter()
        .map(|d| change_of(d, snap))
        .map(|mut c| {
            // An `upstream` of `SOURCE:GROUP` naming a cached SCIM source.
            c.via = c.upstream.as_deref().and_then(|u| {
                let (src, group) = u.split_once(':')?;
                scim_sources
                    .iter()
                    .any(|s| s == src)
                    .then(|| (src.to_string(), group.to_string()))
            });
            c
        })
        .collect())
}

/// [`plan`], each change naming where the config says it goes: the SCIM
/// source and group when the entitlement maps to one (as `apply` will).
pub fn plan_configured(
    store: &Store,
    snap: &Snapshot,
    scope: &Scope,
    sources: &[SourceConfig],
) -> Result<Vec<Change>> {
    let mut changes = plan(store, snap, scope)?;
    name_targets(&mut changes, snap, sources);
    Ok(changes)
}

/// Names in each change the SCIM source and group the config maps its
/// entitlement to, where it maps to one (as `apply` will write there).
pub fn name_targets(changes: &mut [Change], snap: &Snapshot, sources: &[SourceConfig]) {
    for c in changes {
        if let Some(t) = snap
            .entitlement(&c.entitlement)
            .and_then(|e| scim_target(sources, e))
        {
            c.via = Some(t);
        }
    }
}

/// What `actor` carries out at `now`: the planned decisions in their scope,
/// and their own planned decisions wherever they are (one whose decider lost
/// authority is refused by the gate, and that is recorded).
fn plan_for(store: &Store, snap: &Snapshot, actor: &Actor, now: Time) -> Result<Vec<Change>> {
    let scope = Scope::of(snap, &actor.person, now);
    Ok(plan(store, snap, &Scope::everything(snap))?
        .into_iter()
        .filter(|c| {
            c.decider == actor.person || snap.area_idx(&c.area).is_some_and(|a| scope.contains(a))
        })
        .collect())
}

/// What an apply checks each of its changes against: the cached
/// organization, the suggestions that stand now, and the planned decisions.
struct Standing {
    snap: Snapshot,
    current: Vec<Suggestion>,
    decisions: Vec<Decision>,
}

impl Standing {
    /// The changes `actor` carries out at `now` ([`plan_for`]) and what they
    /// are checked against; `None` when there are none.
    fn read(store: &Store, actor: &Actor, now: Time) -> Result<Option<(Vec<Change>, Standing)>> {
        let snap = Snapshot::new(store.load_org()?);
        let changes = plan_for(store, &snap, actor, now)?;
        if changes.is_empty() {
            return Ok(None);
        }
        let current = suggestions(&snap, &Scope::everything(&snap), now);
        let decisions = store.planned()?;
        let standing = Standing {
            snap,
            current,
            decisions,
        };
        Ok(Some((changes, standing)))
    }

    /// What admits a change `actor` carries out at `now` ([`Decided`]).
    fn admit<'a>(&'a self, actor: &'a Actor, now: Time) -> Decided<'a> {
        Decided {
            snap: &self.snap,
            current: &self.current,
            actor,
            now,
        }
    }
}

/// One change's outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub change: Change,
    pub ok: bool,
    pub result: String,
    /// The upstream write requests, exactly as sent (or, with `--dry-run`,
    /// as they would be sent).
    pub requests: Vec<String>,
}

/// One change finished (done or refused) while `apply` runs.
#[derive(Debug, Clone, Copy)]
pub struct ApplyProgress<'a> {
    /// Changes finished so far, this one included.
    pub done: usize,
    /// Changes this apply carries out.
    pub total: usize,
    pub outcome: &'a Outcome,
}

/// Counts finished changes and tells the caller of each.
pub struct Tally<'a> {
    done: usize,
    total: usize,
    on: &'a mut dyn FnMut(ApplyProgress<'_>),
}

impl<'a> Tally<'a> {
    /// Tells `on` of each of `total` changes as it finishes.
    pub fn new(total: usize, on: &'a mut dyn FnMut(ApplyProgress<'_>)) -> Tally<'a> {
        Tally { done: 0, total, on }
    }

    fn tell(&mut self, outcome: &Outcome) {
        self.done += 1;
        (self.on)(ApplyProgress {
            done: self.done,
            total: self.total,
            outcome,
        });
    }
}

fn files_dir(store: &Store) -> Result<PathBuf> {
    match store.source(FILES_SOURCE)? {
        Some(s) => Ok(PathBuf::from(s.location)),
        None => bail!(
            "nothing to apply to: the cache has no org directory source (run `steward sync --org DIR`)"
        ),
    }
}

/// Applies the planned decisions within `actor`'s scope to the org
/// directory. Each decision is checked again now: the actor and the decider
/// must both have authority over its area, and the suggestion must still
/// stand (unless the change is already upstream, from an earlier,
/// interrupted run). `progress` hears of each change once it is done (or
/// refused), in the order they finish.
pub fn apply(
    store: &mut Store,
    actor: &Actor,
    now: Time,
    dry_run: bool,
    progress: &mut dyn FnMut(ApplyProgress<'_>),
) -> Result<Vec<Outcome>> {
    let Some((changes, standing)) = Standing::read(store, actor, now)? else {
        return Ok(Vec::new());
    };
    let mut tally = Tally::new(changes.len(), progress);
    let admit = standing.admit(actor, now);
    let run = Run {
        sources: &[],
        snap: &standing.snap,
        admit: &admit,
        now,
        dry_run,
    };
    let done = carry_out_files(store, &run, &standing.decisions, changes, &mut tally)?;
    if let Some(dir) = &done.files_dir {
        // What apply removed is no shrink to hold back.
        sync_org_dir_with(store, dir, Shrinking::Accept, now)?;
    }
    Ok(done.outcomes)
}

/// Carries out `changes` (of `decisions`) with no source configured: to the
/// org directory, but for entitlements that live on a cached SCIM source
/// (its URL and credential are in a config there is none of): those are
/// not applied, and stay planned.
pub fn carry_out_files(
    store: &mut Store,
    run: &Run<'_>,
    decisions: &[Decision],
    changes: Vec<Change>,
    tally: &mut Tally<'_>,
) -> Result<CarriedOut> {
    let (scim, changes): (Vec<Change>, Vec<Change>) =
        changes.into_iter().partition(|c| c.via.is_some());
    let mut done = CarriedOut::default();
    for c in scim {
        let src = c.via.as_ref().map(|v| v.0.clone()).unwrap_or_default();
        let outcome = Outcome {
            result: format!(
                "not applied: {} lives on SCIM source {src}, which steward.toml does not configure",
                c.entitlement
            ),
            change: c,
            ok: false,
            requests: Vec::new(),
        };
        tally.tell(&outcome);
        done.outcomes.push(outcome);
    }
    if changes.is_empty() {
        return Ok(done);
    }
    let f = apply_files(
        store,
        run.admit,
        decisions,
        changes,
        run.now,
        run.dry_run,
        tally,
    )?;
    done.outcomes.extend(f.outcomes);
    done.files_dir = f.dir;
    Ok(done)
}

/// What rewriting grants.csv did: each change's outcome, and the directory
/// written (none when dry).
pub struct FilesDone {
    pub outcomes: Vec<Outcome>,
    pub dir: Option<PathBuf>,
}

/// Rewrites `grants.csv` for `changes` (of `decisions`), each admitted by
/// `admit`. The file is written once, so every change is told of after that
/// write (and after its decision is recorded as applied). The decisions'
/// outcomes and the cache's rows of the (person, entitlement) pairs touched
/// are recorded in one transaction: a run killed before it finds the file
/// already written and records each change once, as done.
fn apply_files(
    store: &mut Store,
    admit: &dyn Admit,
    decisions: &[Decision],
    changes: Vec<Change>,
    now: Time,
    dry_run: bool,
    tally: &mut Tally<'_>,
) -> Result<FilesDone> {
    let dir = files_dir(store)?;
    let path = dir.join("grants.csv");
    let base = files::read::read_grants_file(&dir)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut grants = GrantsFile::new(
        base,
        changes
            .iter()
            .map(|c| (c.person.as_str(), c.entitlement.as_str())),
    );
    let by_id: HashMap<i64, &Decision> = decisions.iter().map(|d| (d.id, d)).collect();
    let mut outcomes = Vec::new();
    for change in changes {
        let Some(d) = by_id.get(&change.decision) else {
            continue;
        };
        let (ok, result) = apply_one(&mut grants, admit, d, &change, now);
        outcomes.push(Outcome {
            change,
            ok,
            result,
            requests: Vec::new(),
        });
    }
    if dry_run {
        for o in &outcomes {
            tally.tell(o);
        }
        return Ok(FilesDone {
            outcomes,
            dir: None,
        });
    }
    if grants.changed() {
        files::write::write_grants(&grants.rows(), &path)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let finished: Vec<(Actor, i64, bool, String)> = outcomes
        .iter()
        .filter_map(|o| {
            let d = by_id.get(&o.change.decision)?;
            Some((admit.actor(d), o.change.decision, o.ok, o.result.clone()))
        })
        .collect();
    let (pairs, rows) = grants.touched();
    let confirm = crate::store::GrantsOf {
        source: FILES_SOURCE,
        pairs: &pairs,
        rows: &rows,
    };
    store.finish_decisions(&finished, Some(confirm), now)?;
    for o in &outcomes {
        tally.tell(o);
    }
    Ok(FilesDone {
        outcomes,
        dir: Some(dir),
    })
}

/// Which configured SCIM source, and which of its groups, an entitlement's
/// grants live in: an `upstream` of `SOURCE:GROUP`, the source's explicit
/// `entitlements`, or (when `upstream` names no configured SCIM source) its
/// `entitlement_prefix`: the groups a sync reads the grants from.
pub fn scim_target(sources: &[SourceConfig], e: &Entitlement) -> Option<(String, String)> {
    let scims = sources.iter().filter_map(|s| match &s.spec {
        SourceSpec::Scim(settings) => Some((s, settings)),
        _ => None,
    });
    let scims: Vec<_> = scims.collect();
    let named = scims
        .iter()
        .any(|(s, _)| scim::upstream_group(&s.name, e.upstream.as_deref()).is_some());
    let mut fallback = None;
    for (s, settings) in scims {
        if let Some(g) = scim::upstream_group(&s.name, e.upstream.as_deref()) {
            return Some((s.name.clone(), g.to_string()));
        }
        if let Some(g) = settings.entitlements.get(&e.id) {
            return Some((s.name.clone(), g.clone()));
        }
        if fallback.is_none()
            && !named
            && let Some(p) = &settings.entitlement_prefix
        {
            fallback = Some((s.name.clone(), format!("{p}{}", e.id)));
        }
    }
    fallback
}

/// What an apply came to: each change's outcome, and what went wrong after
/// (a source that could not be synced again), for the caller to say on its
/// own error stream (over SSH, the client's).
#[derive(Debug, Default)]
pub struct Applied {
    pub outcomes: Vec<Outcome>,
    /// `re-sync of SOURCE after apply failed: WHY`, one per source.
    pub warnings: Vec<String>,
}

/// The plan carried out as the config says: over SCIM where an entitlement
/// maps to a configured SCIM source, to the org directory otherwise (with no
/// sources configured, all of it to the org directory). The CLI and the
/// console both apply through here.
pub fn apply_as_configured(
    store: &mut Store,
    sources: &[SourceConfig],
    net: &Net,
    actor: &Actor,
    now: Time,
    dry_run: bool,
    progress: &mut dyn FnMut(ApplyProgress<'_>),
) -> Result<Applied> {
    if sources.is_empty() {
        let outcomes = apply(store, actor, now, dry_run, progress)?;
        return Ok(Applied {
            outcomes,
            warnings: Vec::new(),
        });
    }
    net.block_on(apply_configured(
        store,
        sources,
        net.client(),
        actor,
        now,
        dry_run,
        progress,
    ))?
}

/// Applies the planned decisions within `actor`'s scope to the configured
/// sources: SCIM-mapped entitlements over SCIM (`PATCH /Groups/{id}`), the
/// rest to the org directory. Each touched source is synced again after.
/// `progress` hears of each change once it is done (or refused): the org
/// directory's together after its one write, then each SCIM one in turn.
pub async fn apply_configured(
    store: &mut Store,
    sources: &[SourceConfig],
    client: reqwest::Client,
    actor: &Actor,
    now: Time,
    dry_run: bool,
    progress: &mut dyn FnMut(ApplyProgress<'_>),
) -> Result<Applied> {
    let Some((changes, standing)) = Standing::read(store, actor, now)? else {
        return Ok(Applied::default());
    };
    let mut tally = Tally::new(changes.len(), progress);
    let admit = standing.admit(actor, now);
    let run = Run {
        sources,
        snap: &standing.snap,
        admit: &admit,
        now,
        dry_run,
    };
    let done = carry_out(
        store,
        &run,
        &client,
        &standing.decisions,
        changes,
        &mut tally,
    )
    .await?;
    if dry_run {
        return Ok(Applied {
            outcomes: done.outcomes,
            warnings: Vec::new(),
        });
    }
    let warnings = resync(store, sources, client, done.files_dir, done.touched, now).await?;
    Ok(Applied {
        outcomes: done.outcomes,
        warnings,
    })
}

/// One apply's setting: where changes go, what admits them, when.
pub struct Run<'a> {
    pub sources: &'a [SourceConfig],
    pub snap: &'a Snapshot,
    pub admit: &'a dyn Admit,
    pub now: Time,
    pub dry_run: bool,
}

/// What [`carry_out`] did: each change's outcome (by decision), the org
/// directory written, and the SCIM sources it changed.
#[derive(Default)]
pub struct CarriedOut {
    pub outcomes: Vec<Outcome>,
    pub files_dir: Option<PathBuf>,
    pub touched: Vec<String>,
}

/// Carries out `changes` (of `decisions`) where the config says they go:
/// SCIM-mapped entitlements over SCIM (`PATCH /Groups/{id}`), the rest to
/// the org directory, each admitted by `run.admit` and recorded. Confirming
/// (reading back what changed) is the caller's.
pub async fn carry_out(
    store: &mut Store,
    run: &Run<'_>,
    client: &reqwest::Client,
    decisions: &[Decision],
    changes: Vec<Change>,
    tally: &mut Tally<'_>,
) -> Result<CarriedOut> {
    let (via_scim, via_files, nowhere) = route(store, run.snap, run.sources, changes)?;
    let mut done = CarriedOut::default();
    let by_id: HashMap<i64, &Decision> = decisions.iter().map(|d| (d.id, d)).collect();
    for (change, result) in nowhere {
        if !run.dry_run
            && let Some(d) = by_id.get(&change.decision)
        {
            store.finish_decision(
                &run.admit.actor(d),
                change.decision,
                false,
                &result,
                run.now,
            )?;
        }
        let outcome = Outcome {
            change,
            ok: false,
            result,
            requests: Vec::new(),
        };
        tally.tell(&outcome);
        done.outcomes.push(outcome);
    }
    if !via_files.is_empty() {
        let f = apply_files(
            store,
            run.admit,
            decisions,
            via_files,
            run.now,
            run.dry_run,
            tally,
        )?;
        done.outcomes.extend(f.outcomes);
        done.files_dir = f.dir;
    }
    let mut connectors: HashMap<String, scim::Scim> = HashMap::new();
    for (change, src, group) in via_scim {
        let Some(d) = by_id.get(&change.decision) else {
            continue;
        };
        if !connectors.contains_key(&src) {
            let Some(conn) = scim_connector(run.sources, &src, client)? else {
                continue;
            };
            connectors.insert(src.clone(), conn);
        }
        let conn = &connectors[&src];
        let (ok, result, requests, changed) =
            match apply_scim_one(conn, run, d, &change, &group).await {
                Ok(r) => r,
                Err(e) => (false, format!("failed: {e:#}"), Vec::new(), false),
            };
        if !run.dry_run {
            if ok {
                record_upstream(store, &src, d, &change, run.now)?;
            }
            // The outcome and the cache's grant of the pair, together: a
            // run killed before finds the change in place upstream and
            // records it once; one killed after sees it done.
            let finished = [(run.admit.actor(d), change.decision, ok, result.clone())];
            let (pairs, rows) = scim_confirmed(d, &change, run.now);
            let confirm = (ok && change.op != Op::Renew).then_some(crate::store::GrantsOf {
                source: &src,
                pairs: &pairs,
                rows: &rows,
            });
            store.finish_decisions(&finished, confirm, run.now)?;
            if changed && !done.touched.contains(&src) {
                done.touched.push(src.clone());
            }
        }
        let outcome = Outcome {
            change,
            ok,
            result,
            requests,
        };
        tally.tell(&outcome);
        done.outcomes.push(outcome);
    }
    done.outcomes.sort_by_key(|o| o.change.decision);
    Ok(done)
}

/// Changes by where they go: over SCIM (source, group), to the org
/// directory, or nowhere with why: an entitlement whose grants another
/// source holds that no configured write side reaches (grants.csv would
/// change nothing that source sees, and must not be called done).
#[allow(clippy::type_complexity)]
fn route(
    store: &Store,
    snap: &Snapshot,
    sources: &[SourceConfig],
    changes: Vec<Change>,
) -> Result<(
    Vec<(Change, String, String)>,
    Vec<Change>,
    Vec<(Change, String)>,
)> {
    let kinds: HashMap<String, String> = store
        .sources()?
        .into_iter()
        .map(|s| (s.name, s.kind))
        .collect();
    let (mut via_scim, mut via_files, mut nowhere) = (Vec::new(), Vec::new(), Vec::new());
    for mut c in changes {
        if let Some((src, group)) = snap
            .entitlement(&c.entitlement)
            .and_then(|e| scim_target(sources, e))
        {
            c.via = Some((src.clone(), group.clone()));
            via_scim.push((c, src, group));
            continue;
        }
        let elsewhere: Vec<String> = store
            .grant_sources(&c.entitlement)?
            .into_iter()
            .filter(|s| kinds.get(s).is_some_and(|k| k != "files"))
            .collect();
        match elsewhere.first() {
            None => via_files.push(c),
            Some(src) => {
                let why = format!(
                    "not applied: grants of {} come from source {src}, and {} maps to none of its groups (give it `upstream = \"{src}:GROUP\"` in areas.toml, or map it in the source's `entitlements`); grants.csv would change nothing {src} sees",
                    c.entitlement, c.entitlement
                );
                nowhere.push((c, why));
            }
        }
    }
    Ok((via_scim, via_files, nowhere))
}

/// Entitlements whose grants another source holds that no configured write
/// side reaches (what `route` refuses, found for every entitlement at
/// once): `check` and `config check` name each with that source.
pub fn unappliable(
    store: &Store,
    snap: &Snapshot,
    sources: &[SourceConfig],
) -> Result<Vec<String>> {
    if sources.is_empty() {
        return Ok(Vec::new());
    }
    let kinds: HashMap<String, String> = store
        .sources()?
        .into_iter()
        .map(|s| (s.name, s.kind))
        .collect();
    let held = store.grant_sources_by_entitlement()?;
    let mut out = Vec::new();
    for e in &snap.org.entitlements {
        if scim_target(sources, e).is_some() {
            continue;
        }
        let elsewhere = held
            .get(&e.id)
            .into_iter()
            .flatten()
            .find(|s| kinds.get(*s).is_some_and(|k| k != "files"));
        if let Some(src) = elsewhere {
            out.push(format!(
                "entitlement {}: its grants come from source {src}, and it maps to none of {src}'s groups (give it `upstream = \"{src}:GROUP\"` in areas.toml, or map it in the source's `entitlements`): apply cannot carry out a decision on it",
                e.id
            ));
        }
    }
    Ok(out)
}

/// The SCIM connector of configured source `src` (`None`: not a SCIM source).
fn scim_connector(
    sources: &[SourceConfig],
    src: &str,
    client: &reqwest::Client,
) -> Result<Option<scim::Scim>> {
    let cfg = sources
        .iter()
        .find(|s| s.name == src)
        .context("SCIM source vanished from the config")?;
    let SourceSpec::Scim(settings) = &cfg.spec else {
        return Ok(None);
    };
    let progress = std::sync::Arc::new(crate::sources::http::Progress::new(&cfg.name, None));
    let fetcher =
        crate::sources::http::Fetcher::new(&cfg.name, client.clone(), cfg.http.clone(), progress);
    let token = cfg.credential.token(&cfg.name)?;
    Ok(Some(scim::Scim::new(
        cfg,
        settings.clone(),
        fetcher,
        token.as_deref(),
    )?))
}

/// The next sync confirms: read back what changed (the org directory
/// written, and the SCIM sources `touched`). A source that cannot be
/// synced again is no failure of the apply (its writes are done): it comes
/// back as a warning, `re-sync of SOURCE after apply failed: WHY`, for the
/// caller to say where its user reads.
pub async fn resync(
    store: &mut Store,
    sources: &[SourceConfig],
    client: reqwest::Client,
    resync_dir: Option<PathBuf>,
    mut touched: Vec<String>,
    now: Time,
) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    if let Some(dir) = resync_dir {
        match sources
            .iter()
            .find(|s| matches!(&s.spec, SourceSpec::Files { dir: d } if *d == dir || std::fs::canonicalize(d).ok() == std::fs::canonicalize(&dir).ok()))
        {
            Some(s) => touched.push(s.name.clone()),
            None => {
                crate::sync::sync_org_dir_beside(store, &dir, Shrinking::Accept, sources, now)?;
            }
        }
    }
    if !touched.is_empty() {
        let results =
            crate::sync::resync_after_apply(store, sources, &touched, client, now).await?;
        for r in results {
            if let Err(e) = r.result {
                warnings.push(format!("re-sync of {} after apply failed: {e}", r.name));
            }
        }
    }
    Ok(warnings)
}

/// Remembers what steward did upstream, so later syncs know the grant's
/// basis and grantor (DESIGN: "Grants seen upstream").
fn record_upstream(
    store: &mut Store,
    src: &str,
    d: &Decision,
    change: &Change,
    now: Time,
) -> Result<()> {
    Ok(match change.op {
        Op::Add => store.record_applied_grant(
            src,
            &change.person,
            &change.entitlement,
            &d.decider,
            &Basis::parse(&change.basis).unwrap_or(Basis::Manual),
            now,
        ),
        Op::Renew => store.record_applied_grant(
            src,
            &change.person,
            &change.entitlement,
            &d.decider,
            &Basis::Manual,
            now,
        ),
        Op::Remove => store.forget_upstream_grant(src, &change.person, &change.entitlement),
    }?)
}

/// The (person, entitlement) pair a SCIM change carried out touches, and
/// what the source now holds for it: the grant as the next sync reads it
/// back (with steward's record of who granted it and why), or nothing.
fn scim_confirmed(d: &Decision, change: &Change, now: Time) -> (Vec<(String, String)>, Vec<Grant>) {
    let pair = (change.person.clone(), change.entitlement.clone());
    let rows = match change.op {
        Op::Remove => Vec::new(),
        Op::Add | Op::Renew => vec![Grant {
            person: change.person.clone(),
            entitlement: change.entitlement.clone(),
            granted_by: Some(d.decider.clone()),
            granted_at: now,
            basis: match change.op {
                Op::Add => Basis::parse(&change.basis).unwrap_or(Basis::Manual),
                _ => Basis::Manual,
            },
            expires: None,
            through: None,
        }],
    };
    (vec![pair], rows)
}

/// What a change must still satisfy when it is carried out, and whom the
/// audit log names for it: decided changes ([`Decided`]) and automatic ones
/// (`reconcile`) go through the same write path with their own checks.
pub trait Admit {
    /// Why `d`'s `change` may not be carried out now, whatever the target
    /// (the result recorded), if it may not.
    fn refusal(&self, d: &Decision, change: &Change) -> Option<String>;
    /// Who carries out `d`, as the audit log's `apply` entry names them.
    fn actor(&self, d: &Decision) -> Actor;
}

/// A decided change, carried out by `actor`: the gate must admit it now
/// (the decider still may decide it, the actor may carry it out), and the
/// suggestion must still stand, unless the decision undoes an automatic
/// change (that stands while its decider's authority does).
pub struct Decided<'a> {
    pub snap: &'a Snapshot,
    pub current: &'a [Suggestion],
    pub actor: &'a Actor,
    pub now: Time,
}

impl Admit for Decided<'_> {
    fn refusal(&self, d: &Decision, change: &Change) -> Option<String> {
        not_allowed(self.snap, self.current, d, change, self.actor, self.now)
    }

    fn actor(&self, _: &Decision) -> Actor {
        self.actor.clone()
    }
}

/// Why a change may not be carried out now, whatever the target, if it
/// may not: the gate's refusal (the decider no longer may decide it, or the
/// actor may not carry it out), or the suggestion no longer stands. The
/// text is the result recorded.
fn not_allowed(
    snap: &Snapshot,
    current: &[Suggestion],
    d: &Decision,
    change: &Change,
    actor: &Actor,
    now: Time,
) -> Option<String> {
    if let Err(refusal) = gate::check(actor, &Action::Apply { decision: d }, snap, now) {
        return Some(refusal.to_string());
    }
    if matches!(d.origin, Origin::Undoes(_)) {
        return None;
    }
    let still = current.iter().any(|s| {
        s.person == change.person
            && s.entitlement == change.entitlement
            && s.kind == d.suggestion.kind
    });
    (!still).then(|| {
        "not applied: the suggestion no longer stands (the facts changed since the decision)"
            .to_string()
    })
}

/// What one SCIM change came to: ok, the result, the requests, and whether
/// anything changed upstream.
type ScimDone = (bool, String, Vec<String>, bool);

/// When `user` is in the group only through nested groups: adding them is
/// already done, removing them here cannot be (they stay through the others).
async fn nested(
    conn: &scim::Scim,
    state: &scim::GroupState,
    user: &str,
    change: &Change,
    add: bool,
) -> Result<Option<ScimDone>> {
    if state.members.contains(user) {
        return Ok(None);
    }
    let Some(path) = conn.nested_path(&state.id, user).await? else {
        return Ok(None);
    };
    Ok(Some(if add {
        (
            true,
            format!("already in place upstream (through {path}); nothing changed"),
            Vec::new(),
            false,
        )
    } else {
        (
            false,
            format!(
                "not applied: {} (SCIM user {user}) is in group {} through {path}, not directly; remove them from {} upstream",
                change.person,
                state.display_name,
                path.split(" > ").next().unwrap_or(&path)
            ),
            Vec::new(),
            false,
        )
    }))
}

/// A renewal over SCIM: nothing changes upstream, the grant stays, now
/// under the decider.
fn renew_scim(
    src: &str,
    state: &scim::GroupState,
    user: &str,
    change: &Change,
    d: &Decision,
    refused: Option<String>,
) -> ScimDone {
    if !state.members.contains(user) {
        return (
            false,
            format!(
                "not applied: {} is no longer in group {}",
                change.person, state.display_name
            ),
            Vec::new(),
            false,
        );
    }
    if let Some(why) = refused {
        return (false, why, Vec::new(), false);
    }
    (
        true,
        format!(
            "{src}: renewed {} -> {} (group {}) as manual, granted by {}",
            change.person, change.entitlement, state.display_name, d.decider
        ),
        Vec::new(),
        false,
    )
}

/// One change over SCIM: re-reads the group, does nothing if the membership
/// is already as decided, else PATCHes it (guarded by the group's ETag; on a
/// concurrent change, re-reads once and tries again).
async fn apply_scim_one(
    conn: &scim::Scim,
    run: &Run<'_>,
    d: &Decision,
    change: &Change,
    group: &str,
) -> Result<ScimDone> {
    let (snap, dry_run) = (run.snap, run.dry_run);
    let src = conn.source_name();
    let email = snap
        .person(&change.person)
        .map(|p| p.email.clone())
        .filter(|e| !e.is_empty());
    let Some(mut state) = conn.group(group).await? else {
        return Ok((
            false,
            format!(
                "failed: source {src} has no group {group:?} (entitlement {})",
                change.entitlement
            ),
            Vec::new(),
            false,
        ));
    };
    let Some(user) = conn.find_user(&change.person, email.as_deref()).await? else {
        return Ok((
            false,
            format!(
                "failed: source {src} has no user for person {}{}",
                change.person,
                email.map(|e| format!(" ({e})")).unwrap_or_default()
            ),
            Vec::new(),
            false,
        ));
    };
    let add = match change.op {
        Op::Add => true,
        Op::Remove => false,
        Op::Renew => {
            let refused = run.admit.refusal(d, change);
            return Ok(renew_scim(src, &state, &user, change, d, refused));
        }
    };
    if let Some(done) = nested(conn, &state, &user, change, add).await? {
        return Ok(done);
    }
    for attempt in 0..2 {
        if state.members.contains(&user) == add {
            return Ok((
                true,
                "already in place upstream; nothing changed".into(),
                Vec::new(),
                false,
            ));
        }
        if let Some(why) = run.admit.refusal(d, change) {
            return Ok((false, why, Vec::new(), false));
        }
        let req = conn.member_patch(&state.id, &user, add)?;
        let shown = req.to_string();
        if dry_run {
            return Ok((
                true,
                change.describe_on(src, &state.display_name),
                vec![shown],
                false,
            ));
        }
        if conn.send_patch(&req, state.etag.as_deref()).await? {
            return Ok((
                true,
                change.describe_on(src, &state.display_name),
                vec![shown],
                true,
            ));
        }
        if attempt == 0 {
            // 412: the group changed meanwhile; look again.
            match conn.group(&state.id).await? {
                Some(s) => state = s,
                None => break,
            }
        }
    }
    Ok((
        false,
        format!(
            "failed: group {} kept changing under us (HTTP 412 twice); try again",
            state.display_name
        ),
        Vec::new(),
        false,
    ))
}

fn apply_one(
    grants: &mut GrantsFile,
    admit: &dyn Admit,
    d: &Decision,
    change: &Change,
    now: Time,
) -> (bool, String) {
    let (person, ent) = (change.person.as_str(), change.entitlement.as_str());
    let basis = Basis::parse(&change.basis).unwrap_or(Basis::Manual);
    // A removal with a rule's basis takes only the grants based on it.
    let which = match (&change.op, &basis) {
        (Op::Remove, Basis::Rule(_)) => Which::Basis(&basis),
        _ => Which::All,
    };
    // Already done upstream (an earlier run was interrupted, or someone else did it).
    let done = match change.op {
        Op::Add => grants.of(person, ent).next().is_some(),
        Op::Remove => !grants.of(person, ent).any(|g| which.takes(g)),
        Op::Renew => grants
            .of(person, ent)
            .any(|g| g.granted_by.as_deref() == Some(&d.decider) && g.granted_at >= d.at),
    };
    if done {
        return (true, "already in place upstream; nothing changed".into());
    }
    if let Some(why) = admit.refusal(d, change) {
        return (false, why);
    }
    match change.op {
        Op::Add => grants.push(Grant {
            person: change.person.clone(),
            entitlement: change.entitlement.clone(),
            granted_by: Some(d.decider.clone()),
            granted_at: now,
            basis,
            expires: None,
            through: None,
        }),
        Op::Remove => grants.remove(person, ent, which),
        Op::Renew => {
            let expires = grants.of(person, ent).next().and_then(|g| g.expires);
            grants.remove(person, ent, Which::All);
            grants.push(Grant {
                person: change.person.clone(),
                entitlement: change.entitlement.clone(),
                granted_by: Some(d.decider.clone()),
                granted_at: now,
                basis: Basis::Manual,
                expires,
                through: None,
            });
        }
    }
    (true, change.describe())
}
