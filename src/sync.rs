//! Pulling sources into the cache. A source's data is replaced only when it
//! was read whole; a failure is recorded and leaves the previous data.
//!
//! Configured sources are pulled concurrently (one HTTP client), then
//! resolved together: people are matched across sources by email
//! (case-insensitively; the first source in the config that provides a
//! person gives its id), SCIM groups become grants once every source's
//! entitlements are known, and iCalendar feeds are parsed once every
//! source's people are known. Each source is then written in its own
//! transaction.

use crate::config::{Provides, SourceConfig, SourceKind, SourceSpec};
use crate::guard::{Counts as Provided, HeldBack, ShrinkKind, Threshold};
use crate::model::{Org, Person, Rotation, Time};
use crate::policy::Snapshot;
use crate::sources::files::ics::{PersonMatcher, parse_feed};
use crate::sources::files::located::{self, Problems};
use crate::sources::http::{ProgressEvent, ProgressSink, SourceFailed};
use crate::sources::{AnySource, Origins, PullError, Pulled, files, ics_feed, scim};
use crate::store::{LOCAL_SOURCE, Retired, SourceInfo, Store, Streamed};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

mod beside;
mod error;
mod one_id;

pub use error::{DirError, SourceError, Twice};

/// The name the org directory source has in the cache.
pub const FILES_SOURCE: &str = "files";

pub fn files_source_info(dir: &Path) -> SourceInfo {
    let location = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    SourceInfo {
        name: FILES_SOURCE.into(),
        kind: "files".into(),
        location: location.display().to_string(),
        synced_at: None,
        attempted_at: None,
        error: None,
        items: 0,
    }
}

/// What a sync of an org directory wrote: how many records of each kind
/// (the org itself is let go of while the write commits), how many grants,
/// the reference problems found (what `steward check` reports), and any
/// shrink that was accepted.
#[derive(Debug)]
pub struct DirSynced {
    /// Of each kind but grants (they went straight from grants.csv into
    /// the cache: counted in `grants`) and delegations.
    pub counts: Provided,
    pub delegations: usize,
    pub grants: usize,
    pub problems: Problems,
    /// `people from files: 88 -> 0 (-100%)`, when `Shrinking::Accept` let it through.
    pub accepted_shrinks: Vec<String>,
    /// What `rotations/*.ics` warned of (file:line: ...).
    pub warnings: Vec<String>,
}

/// What a sync does when a source would shrink past its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shrinking {
    /// Hold the sync back: nothing of it is kept ([`HeldBack`] says why).
    #[default]
    Refuse,
    /// Keep it (`--accept-shrink`, or after steward's own apply).
    Accept,
}

/// How many reference problems a sync shows (the rest: `steward check`).
pub const PROBLEMS_SHOWN: usize = 5;

/// The shrink guard's verdict inside a sync's transaction: `held` notes
/// what shrank (whether refused or accepted).
fn judge_shrink(
    source: &str,
    threshold: Threshold,
    shrinking: Shrinking,
    before: &Provided,
    after: &Provided,
    held: &mut Option<HeldBack>,
) -> std::result::Result<(), HeldBack> {
    let shrinks = crate::guard::shrink::judge(before, after, threshold);
    if shrinks.is_empty() {
        return Ok(());
    }
    let verdict = HeldBack {
        source: source.to_string(),
        threshold,
        shrinks,
    };
    *held = Some(verdict.clone());
    match shrinking {
        Shrinking::Refuse => Err(verdict),
        Shrinking::Accept => {
            tracing::warn!(source, shrinks = ?verdict.lines(), "shrink accepted");
            Ok(())
        }
    }
}

/// Reads `dir` and replaces the cached files source with it, or records why
/// not; a sudden shrink is held back. See [`sync_org_dir_with`].
pub fn sync_org_dir(store: &mut Store, dir: &Path, now: Time) -> Result<DirSynced, DirError> {
    sync_org_dir_with(store, dir, Shrinking::Refuse, now)
}

/// [`sync_org_dir_beside`] with no configured sources to order it against:
/// an id another source's cached rows hold too is refused.
pub fn sync_org_dir_with(
    store: &mut Store,
    dir: &Path,
    shrinking: Shrinking,
    now: Time,
) -> Result<DirSynced, DirError> {
    sync_org_dir_beside(store, dir, shrinking, &[], now)
}

/// Reads `dir` (every required file must be there) and replaces the cached
/// files source with it, or records why not. grants.csv is parsed on
/// another thread and streamed into the open transaction while the rest is
/// written; any error rolls it all back, as does the shrink guard (unless
/// `shrinking` accepts), which then records the sync as held back. The
/// reference problems found are recorded for `status`. An id the cached
/// rows of another source hold too is refused, unless `precedence` in
/// `sources` (the configured ones) orders the two (see `beside`).
pub fn sync_org_dir_beside(
    store: &mut Store,
    dir: &Path,
    shrinking: Shrinking,
    sources: &[SourceConfig],
    now: Time,
) -> Result<DirSynced, DirError> {
    let mut beside = beside::Beside::read(store, sources)?;
    let info = files_source_info(dir);
    let mut held = None;
    let required = files::Required::org_dir();
    let phase = std::time::Instant::now();
    let window = Some(crate::sources::ics_feed::default_window(now));
    let synced = files::read::read_org_streaming(dir, &required, window, |grants, rest, found| {
        let mut admit = |before: &Provided, after: &Provided| {
            judge_shrink(
                &info.name,
                Threshold::default(),
                shrinking,
                before,
                after,
                &mut held,
            )
        };
        let parts = |wait| {
            let part = rest.next_item(wait)?;
            Some(
                part.map_err(DirItem::Parse)
                    .and_then(|p| beside.admit(p).map_err(DirItem::Beside)),
            )
        };
        let grants = grants.map(|batch| batch.map_err(DirItem::Parse));
        // The references are checked while the write commits.
        let check = |org| {
            let phase = std::time::Instant::now();
            let snap = Snapshot::new(org);
            let problems = match (found.lines.get(), found.grant_refs.get()) {
                (Some(lines), Some(refs)) => {
                    located::problems(dir, &snap, lines, refs, PROBLEMS_SHOWN)
                }
                _ => Problems::default(),
            };
            let (counts, delegations) = (Provided::of(&snap.org), snap.org.delegations.len());
            // Let go of here, beside the write, rather than by the caller.
            drop(snap);
            tracing::debug!(elapsed = ?phase.elapsed(), "sync phase: references");
            (counts, delegations, problems)
        };
        let written = store.replace_source_streaming(&info, grants, parts, &mut admit, now, check);
        match written {
            Ok(((counts, delegations, problems), replaced)) => {
                tracing::debug!(elapsed = ?phase.elapsed(), "sync phase: read, write and references");
                Ok(DirSynced {
                    counts,
                    delegations,
                    grants: replaced.grants,
                    problems,
                    accepted_shrinks: Vec::new(),
                    warnings: found.warnings.get().cloned().unwrap_or_default(),
                })
            }
            // The other files' errors come first, as `read_org` gives them.
            Err(e) => Err(match (rest.error(), e) {
                (Some(first), _) => DirSyncError::Parse(first),
                (None, Streamed::Source(DirItem::Parse(e))) => DirSyncError::Parse(e),
                (None, Streamed::Source(DirItem::Beside(e))) => DirSyncError::Beside(e),
                (None, Streamed::Store(crate::store::Error::HeldBack(h))) => {
                    DirSyncError::HeldBack(h)
                }
                (None, Streamed::Store(e)) => DirSyncError::Store(e),
            }),
        }
    });
    match synced {
        Ok(mut s) => {
            tracing::info!(dir = %dir.display(), people = s.counts.get(ShrinkKind::People), grants = s.grants, problems = s.problems.count, "synced org directory");
            s.accepted_shrinks = held.map(|h| h.lines()).unwrap_or_default();
            if !beside.give_up.is_empty() {
                store.give_up(&beside.give_up)?;
                for (source, kind, id) in &beside.give_up {
                    tracing::info!(
                        "{kind} {id} counts from the org directory, by `precedence`: dropped from the cached {source}"
                    );
                }
            }
            store.record_problems(s.problems.count, &s.problems.first, now)?;
            store.record_warnings(FILES_SOURCE, &s.warnings, now)?;
            Ok(s)
        }
        Err(DirSyncError::Parse(e)) => {
            tracing::warn!(error = %e, "sync failed");
            store.record_sync_failure(&info, &e.to_string(), now)?;
            Err(DirError::Parse(e))
        }
        Err(DirSyncError::Beside(e)) => {
            tracing::warn!(error = %e, "sync failed");
            store.record_sync_failure(&info, &e.to_string(), now)?;
            Err(DirError::Beside(e))
        }
        Err(DirSyncError::HeldBack(h)) => {
            tracing::warn!(source = %info.name, shrinks = ?h.lines(), "sync held back");
            store.record_held_back(&info, &h, now)?;
            Err(DirError::HeldBack(h))
        }
        Err(DirSyncError::Store(e)) => {
            let e = DirError::Store(e);
            tracing::warn!(error = %e, "sync failed");
            store.record_sync_failure(&info, &e.cause(), now)?;
            Err(e)
        }
    }
}

/// What the directory's streams fail with: a file, or an id another
/// source holds.
#[derive(Debug, thiserror::Error)]
enum DirItem {
    #[error(transparent)]
    Parse(files::ParseError),
    #[error(transparent)]
    Beside(SourceError),
}

/// Why a directory sync failed: the files, an id another source holds, the
/// shrink guard, or the cache.
enum DirSyncError {
    Parse(files::ParseError),
    Beside(SourceError),
    HeldBack(HeldBack),
    Store(crate::store::Error),
}

impl From<files::ParseError> for DirSyncError {
    fn from(e: files::ParseError) -> DirSyncError {
        DirSyncError::Parse(e)
    }
}

/// Drops, in one transaction, the cached rows of every source that is no
/// longer configured: all but `sources`, the local `steward` source (rules
/// and delegations written in steward) and the `files` org of `sync --org`.
/// Decisions and the audit log are kept.
pub fn retire_unconfigured(
    store: &mut Store,
    sources: &[SourceConfig],
) -> Result<Vec<Retired>, crate::store::Error> {
    let mut keep: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
    keep.extend([LOCAL_SOURCE, FILES_SOURCE]);
    let retired = store.retire_sources_except(&keep)?;
    for r in &retired {
        tracing::info!(source = %r.name, dropped = %r.describe(), "retired a source no longer configured");
    }
    Ok(retired)
}

/// What `sync` says of a retired source.
pub fn retired_message(r: &Retired) -> String {
    let kind = if r.kind.is_empty() {
        String::new()
    } else {
        format!(" ({})", r.kind)
    };
    format!(
        "source {}{kind} is no longer configured: dropped its cached {}",
        r.name,
        if r.dropped.is_empty() {
            "sync record (it had no data)".to_string()
        } else {
            r.describe()
        }
    )
}

/// How one configured source's sync went.
#[derive(Debug, Clone)]
pub struct SourceOutcome {
    pub name: String,
    pub kind: SourceKind,
    /// What was written, or why nothing was.
    pub result: Result<Counts, SourceError>,
    pub warnings: Vec<String>,
    pub progress: ProgressEvent,
    /// Set when the shrink guard held this source's sync back (`result`
    /// then says so too), or, with `Shrinking::Accept`, let a shrink through.
    pub shrink: Option<HeldBack>,
}

/// What a successful source contributed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub people: usize,
    pub teams: usize,
    pub rotations: usize,
    pub shifts: usize,
    pub areas: usize,
    pub entitlements: usize,
    pub grants: usize,
    pub other: usize,
}

impl Counts {
    fn of(org: &Org) -> Counts {
        Counts {
            people: org.people.len(),
            teams: org.teams.len(),
            rotations: org.rotations.len(),
            shifts: org.rotations.iter().map(|r| r.shifts.len()).sum(),
            areas: org.areas.len(),
            entitlements: org.entitlements.len(),
            grants: org.grants.len(),
            other: org.trainings.len() + org.delegations.len() + org.rules.len(),
        }
    }

    pub fn describe(&self) -> String {
        let parts = [
            (self.people, "people"),
            (self.teams, "teams"),
            (self.rotations, "rotations"),
            (self.shifts, "shifts"),
            (self.areas, "areas"),
            (self.entitlements, "entitlements"),
            (self.grants, "grants"),
            (self.other, "trainings/delegations/rules"),
        ];
        let text: Vec<String> = parts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, w)| format!("{n} {w}"))
            .collect();
        if text.is_empty() {
            "nothing".into()
        } else {
            text.join(", ")
        }
    }
}

pub fn source_info(cfg: &SourceConfig) -> SourceInfo {
    SourceInfo {
        name: cfg.name.clone(),
        kind: cfg.kind.as_str().into(),
        location: cfg.location(),
        synced_at: None,
        attempted_at: None,
        error: None,
        items: 0,
    }
}

/// Pulls `sources` (all of them, or those named in `only`) concurrently and
/// writes each one that succeeded; records each failure. A sudden shrink is
/// held back ([`sync_sources_with`]).
pub async fn sync_sources(
    store: &mut Store,
    sources: &[SourceConfig],
    only: Option<&[String]>,
    client: reqwest::Client,
    sink: Option<ProgressSink>,
    now: Time,
) -> Result<Vec<SourceOutcome>, crate::store::Error> {
    sync_sources_with(store, sources, only, client, sink, Shrinking::Refuse, now).await
}

/// Syncs again the sources an apply changed (`touched`): what the apply
/// removed upstream is no shrink to hold back.
pub async fn resync_after_apply(
    store: &mut Store,
    sources: &[SourceConfig],
    touched: &[String],
    client: reqwest::Client,
    now: Time,
) -> Result<Vec<SourceOutcome>, crate::store::Error> {
    let accept = Shrinking::Accept;
    sync_sources_with(store, sources, Some(touched), client, None, accept, now).await
}

/// [`sync_sources`], with what to do when a source would shrink past its
/// threshold. Each source's ids must follow the id grammar and its trees
/// hold no cycle, or that source fails. Afterwards the whole cache is
/// checked for references to unknown ids, as `steward check` does, and what
/// is found is recorded for `status`.
pub async fn sync_sources_with(
    store: &mut Store,
    sources: &[SourceConfig],
    only: Option<&[String]>,
    client: reqwest::Client,
    sink: Option<ProgressSink>,
    shrinking: Shrinking,
    now: Time,
) -> Result<Vec<SourceOutcome>, crate::store::Error> {
    let selected: Vec<&SourceConfig> = sources
        .iter()
        .filter(|s| only.is_none_or(|o| o.contains(&s.name)))
        .collect();
    // Open every connector (a missing credential fails that source only).
    let mut opened = Vec::new();
    let mut failed: Vec<(usize, SourceError)> = Vec::new();
    for (i, cfg) in selected.iter().enumerate() {
        match AnySource::open(cfg, client.clone(), sink.clone()) {
            Ok(pair) => opened.push((i, pair)),
            Err(e) => failed.push((i, SourceError::Pull(e))),
        }
    }
    let pulls = opened.iter().map(|(i, (src, _))| async move {
        let r = tokio::time::timeout(Duration::from_secs(3600), src.pull(now)).await;
        let r = match r {
            Ok(r) => r,
            Err(_) => Err(PullError::Stopped(format!(
                "source {}: gave up after an hour",
                src.name()
            ))),
        };
        (*i, r)
    });
    let phase = std::time::Instant::now();
    let results = futures_util::future::join_all(pulls).await;
    tracing::debug!(elapsed = ?phase.elapsed(), "sync phase: pull");
    let progress_of: HashMap<usize, &std::sync::Arc<crate::sources::http::Progress>> =
        opened.iter().map(|(i, (_, p))| (*i, p)).collect();

    let mut pulled: Vec<(usize, Pulled)> = Vec::new();
    for (i, r) in results {
        match r {
            Ok(p) => pulled.push((i, p)),
            Err(e) => failed.push((i, SourceError::Pull(e))),
        }
    }
    pulled.sort_by_key(|(i, _)| *i);

    // Resolve across sources.
    let phase = std::time::Instant::now();
    let replacing: Vec<String> = pulled
        .iter()
        .map(|(i, _)| selected[*i].name.clone())
        .collect();
    let (cached_people, entitlements) = store.people_and_entitlements(&replacing)?;
    let cached_ids = store.cached_ids(&replacing)?;
    tracing::debug!(elapsed = ?phase.elapsed(), "sync phase: load cache");
    let phase = std::time::Instant::now();
    let resolved = resolve(
        sources,
        &selected,
        pulled,
        Cached {
            people: &cached_people,
            entitlements,
            ids: &cached_ids,
        },
        now,
    );
    tracing::debug!(elapsed = ?phase.elapsed(), "sync phase: resolve");
    let mut outcomes: Vec<SourceOutcome> = Vec::new();
    for (i, r) in resolved {
        let cfg = selected[i];
        let written = r.and_then(|r| write_resolved(store, cfg, r, shrinking, now));
        match written {
            Ok((counts, warnings, held)) => {
                let progress = progress_of
                    .get(&i)
                    .map(|p| p.finish(Ok(())))
                    .unwrap_or_else(|| empty_event(&cfg.name));
                outcomes.push(SourceOutcome {
                    name: cfg.name.clone(),
                    kind: cfg.kind,
                    result: Ok(counts),
                    warnings,
                    progress,
                    shrink: held,
                });
            }
            Err(why) => failed.push((i, why)),
        }
    }
    for (i, why) in failed {
        let cfg = selected[i];
        outcomes.push(not_kept(
            store,
            cfg,
            progress_of.get(&i).copied(),
            why,
            now,
        )?);
    }
    if outcomes.iter().any(|o| o.result.is_ok()) {
        record_problems(store, now)?;
    }
    let order: HashMap<&str, usize> = selected
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    outcomes.sort_by_key(|o| order.get(o.name.as_str()).copied().unwrap_or(usize::MAX));
    Ok(outcomes)
}

/// Records that `cfg`'s sync failed or was held back (its data stays), and
/// says so.
fn not_kept(
    store: &mut Store,
    cfg: &SourceConfig,
    progress: Option<&std::sync::Arc<crate::sources::http::Progress>>,
    why: SourceError,
    now: Time,
) -> Result<SourceOutcome, crate::store::Error> {
    let shrink = match &why {
        SourceError::HeldBack(h) => {
            tracing::warn!(source = %cfg.name, shrinks = ?h.lines(), "sync held back");
            store.record_held_back(&source_info(cfg), h, now)?;
            Some(h.clone())
        }
        e => {
            tracing::warn!(source = %cfg.name, error = %e, "sync failed");
            store.record_sync_failure(&source_info(cfg), &e.to_string(), now)?;
            None
        }
    };
    let progress = progress
        .map(|p| p.finish(Err(SourceFailed::new(why.to_string()))))
        .unwrap_or_else(|| empty_event(&cfg.name));
    Ok(SourceOutcome {
        name: cfg.name.clone(),
        kind: cfg.kind,
        result: Err(why),
        warnings: Vec::new(),
        progress,
        shrink,
    })
}

/// Writes one resolved source to the cache, if it is admissible and the
/// shrink guard agrees: its observed memberships as grants, the cached
/// rotations of feeds that failed, and a failed feed's error on the source
/// (shown stale) once the rest is written; then drops the cached rows of
/// other sources that gave up an id to it. With it, a shrink that
/// `Shrinking::Accept` let through.
fn write_resolved(
    store: &mut Store,
    cfg: &SourceConfig,
    r: ResolvedSource,
    shrinking: Shrinking,
    now: Time,
) -> Result<(Counts, Vec<String>, Option<HeldBack>), SourceError> {
    let ResolvedSource {
        mut org,
        mut warnings,
        seen_pairs,
        stale_feeds,
        cached_give_up,
        origins,
        ..
    } = r;
    let fail = |e: crate::store::Error| SourceError::Cache(format!("{e:#}"));
    for (rotation, _) in &stale_feeds {
        if let Some(cached) = store.cached_rotation(&cfg.name, rotation).map_err(fail)? {
            org.rotations.push(cached);
        }
    }
    if let Some(seen) = seen_pairs {
        let phase = std::time::Instant::now();
        let (pairs, mut through) = split_through(seen);
        org.grants = store.observe_grants(&cfg.name, &pairs, now).map_err(fail)?;
        if !through.is_empty() {
            for g in &mut org.grants {
                g.through = through
                    .get_mut(g.person.as_str())
                    .and_then(|m| m.remove(g.entitlement.as_str()));
            }
        }
        tracing::debug!(elapsed = ?phase.elapsed(), source = %cfg.name, "sync phase: observe grants");
    }
    admissible(&org, &origins)?;
    let counts = Counts::of(&org);
    let phase = std::time::Instant::now();
    let mut held = None;
    let mut admit = |before: &Provided, after: &Provided| {
        judge_shrink(&cfg.name, cfg.shrink, shrinking, before, after, &mut held)
    };
    let written = store.replace_source_admitted(&source_info(cfg), &org, &mut admit, now);
    match written {
        Err(crate::store::Error::HeldBack(h)) => return Err(SourceError::HeldBack(h)),
        Err(e) => return Err(SourceError::Write(format!("{e:#}"))),
        Ok(()) => {}
    }
    tracing::debug!(elapsed = ?phase.elapsed(), source = %cfg.name, "sync phase: write");
    for kind in ["area", "team", "person"] {
        let read_at: Vec<(&str, &str)> = origins
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, id), at)| (id.as_str(), at.as_str()))
            .collect();
        store
            .record_origins(&cfg.name, kind, &read_at)
            .map_err(fail)?;
    }
    if !cached_give_up.is_empty() {
        store.give_up(&cached_give_up).map_err(fail)?;
        for (source, kind, id) in &cached_give_up {
            tracing::info!(source = %cfg.name, "{kind} {id} counts from here, by `precedence`: dropped from the cached {source}");
        }
    }
    if !stale_feeds.is_empty() {
        let text: Vec<String> = stale_feeds
            .iter()
            .map(|(r, e)| format!("feed {r} failed, its previous shifts are kept: {e}"))
            .collect();
        store
            .record_sync_failure(&source_info(cfg), &text.join("; "), now)
            .map_err(fail)?;
        warnings.extend(text);
    }
    for w in &warnings {
        tracing::warn!(source = %cfg.name, "{w}");
    }
    store
        .record_warnings(&cfg.name, &warnings, now)
        .map_err(fail)?;
    tracing::info!(source = %cfg.name, counts = %counts.describe(), "synced");
    Ok((counts, warnings, held))
}

/// Memberships seen upstream: the (person, entitlement) pairs, and for
/// those held only through nested groups, the groups (person ->
/// entitlement -> path). A direct membership needs no path, whatever other
/// groups also give it.
#[allow(clippy::type_complexity)]
fn split_through(
    seen: Vec<(String, String, Option<String>)>,
) -> (
    Vec<(String, String)>,
    HashMap<String, HashMap<String, String>>,
) {
    let mut through: HashMap<String, HashMap<String, String>> = HashMap::new();
    for (person, entitlement, path) in &seen {
        if let Some(path) = path {
            through
                .entry(person.clone())
                .or_default()
                .entry(entitlement.clone())
                .or_insert_with(|| path.clone());
        }
    }
    let mut pairs = Vec::with_capacity(seen.len());
    for (person, entitlement, path) in seen {
        if path.is_none()
            && let Some(m) = through.get_mut(&person)
        {
            m.remove(&entitlement);
        }
        pairs.push((person, entitlement));
    }
    (pairs, through)
}

/// What a source read must be before it is kept: every id it defines in
/// the grammar, and no cycle in its areas, teams or managers. A refusal
/// names where the source read the area, when it says (`origins`).
fn admissible(org: &Org, origins: &Origins) -> Result<(), SourceError> {
    if let Some(bad) = crate::ids::first_bad(org) {
        let at = origins.get(&(bad.kind.as_str(), bad.id.clone())).cloned();
        return Err(SourceError::BadId(bad, at));
    }
    if let Some(cycle) = crate::guard::cycles::find(org) {
        let kind = match cycle.tree {
            crate::guard::cycles::Tree::Areas => "area",
            crate::guard::cycles::Tree::Teams => "team",
            crate::guard::cycles::Tree::Managers => "person",
        };
        let at = cycle
            .ids
            .first()
            .and_then(|id| origins.get(&(kind, id.clone())))
            .cloned();
        return Err(SourceError::Cycle(cycle, at));
    }
    Ok(())
}

/// Checks the whole cache for references to unknown ids (as `steward check`
/// does) and records what it found.
fn record_problems(store: &mut Store, now: Time) -> Result<(), crate::store::Error> {
    let snap = Snapshot::new(store.load_org()?);
    let found = crate::policy::check::problems_at(&snap, &store.all_origins()?);
    let first: Vec<String> = found.iter().take(PROBLEMS_SHOWN).cloned().collect();
    store.record_problems(found.len(), &first, now)
}

fn empty_event(source: &str) -> ProgressEvent {
    ProgressEvent {
        source: source.to_string(),
        pages: 0,
        items: 0,
        bytes: 0,
        elapsed: Duration::ZERO,
        done: None,
        note: None,
    }
}

/// One source's pull, resolved against the others.
struct ResolvedSource {
    org: Org,
    warnings: Vec<String>,
    /// (person, entitlement) memberships seen upstream, for a source that
    /// provides grants through groups.
    seen_pairs: Option<Vec<(String, String, Option<String>)>>,
    /// Feeds that failed (rotation id, why): their rotations keep the cache's.
    stale_feeds: Vec<(String, PullError)>,
    /// Where each area, team and person was read.
    origins: Origins,
    /// (source, kind, id): cached rows of sources not pulled now that give
    /// up an id to this one (by `precedence`) once it is written.
    cached_give_up: Vec<(String, &'static str, String)>,
    /// (source, id): people of sources pulled now that give theirs up to
    /// this one (by `precedence`).
    taken_people: Vec<(String, String)>,
}

type Resolved = Result<ResolvedSource, SourceError>;

/// What the cache holds of the sources not pulled now.
struct Cached<'c> {
    /// (source, person).
    people: &'c [(String, Person)],
    /// Every source's entitlements but those pulled now.
    entitlements: Vec<crate::model::Entitlement>,
    /// (source, kind, id) of their teams, rotations, areas and entitlements.
    ids: &'c [(String, &'static str, String)],
}

/// Matches people across sources, maps groups to grants, parses feeds.
fn resolve(
    all: &[SourceConfig],
    selected: &[&SourceConfig],
    pulled: Vec<(usize, Pulled)>,
    cached: Cached,
    now: Time,
) -> Vec<(usize, Resolved)> {
    let cached_people = cached.people;
    // Each person's canonical id: from the first source in the config that
    // has their email (its fresh data when pulled now, else its cached rows),
    // then sources no longer configured (such as `sync --org`).
    let fresh_of = |name: &str| {
        pulled
            .iter()
            .find(|(i, _)| selected[*i].name == name)
            .map(|(i, p)| (selected[*i], p))
    };
    let mut ordered: Vec<(&str, &Person)> = Vec::new();
    for cfg in all {
        match fresh_of(&cfg.name) {
            Some((c, p)) => {
                if c.provides(Provides::People) {
                    ordered.extend(p.org.people.iter().map(|p| (c.name.as_str(), p)));
                }
            }
            None => ordered.extend(
                cached_people
                    .iter()
                    .filter(|(s, _)| *s == cfg.name)
                    .map(|(s, p)| (s.as_str(), p)),
            ),
        }
    }
    ordered.extend(
        cached_people
            .iter()
            .filter(|(s, _)| !all.iter().any(|c| c.name == *s))
            .map(|(s, p)| (s.as_str(), p)),
    );
    let (by_email, ambiguous) = email_index(&ordered);
    let ordered: Vec<&Person> = ordered.into_iter().map(|(_, p)| p).collect();
    // Everyone, for feeds, once each.
    let mut everyone: Vec<Person> = Vec::new();
    let mut known_ids: std::collections::HashSet<String> = std::collections::HashSet::new();
    for person in &ordered {
        let e = person.email.trim().to_lowercase();
        let id = by_email
            .get(&e)
            .cloned()
            .unwrap_or_else(|| person.id.clone());
        if known_ids.insert(id.clone()) {
            everyone.push(Person {
                id,
                ..(*person).clone()
            });
        }
    }
    let mut entitlements = cached.entitlements;
    for (i, p) in &pulled {
        if selected[*i].provides(Provides::Entitlements) {
            entitlements.extend(p.org.entitlements.iter().cloned());
        }
    }
    let matcher = PersonMatcher::new(&everyone);

    let mut out = Vec::new();
    // Which source first provided each canonical person (to drop duplicates).
    // Cached people of sources not replaced now keep theirs too.
    let mut provided: HashMap<String, Provider> = cached_people
        .iter()
        .map(|(s, p)| {
            let email = p.email.trim().to_lowercase();
            (p.id.clone(), (s.clone(), email, true))
        })
        .collect();
    for (i, p) in pulled {
        let cfg = selected[i];
        let mut resolved = resolve_one(
            cfg,
            p,
            all,
            &by_email,
            &matcher,
            &entitlements,
            &mut provided,
            now,
        );
        if let Ok(r) = &mut resolved {
            r.warnings.extend(
                ambiguous
                    .iter()
                    .filter(|(source, _)| *source == cfg.name)
                    .map(|(_, w)| w.clone()),
            );
        }
        out.push((i, resolved));
    }
    let taken: Vec<(String, String)> = out
        .iter_mut()
        .filter_map(|(_, r)| r.as_mut().ok())
        .flat_map(|r| std::mem::take(&mut r.taken_people))
        .collect();
    for (source, id) in taken {
        for (i, r) in out.iter_mut() {
            if let Ok(r) = r
                && selected[*i].name == source
            {
                r.org.people.retain(|p| p.id != id);
            }
        }
    }
    across_sources(&mut out, selected, all, cached.ids);
    out
}

/// Who first provided a person: the source, their email (lowercase), and
/// whether it is cached (not pulled now).
type Provider = (String, String, bool);

/// After every pulled source is resolved: an area owned by a group gets
/// that team's lead from any source (or a warning where it was read); then
/// one id, one source (see [`one_id`]), against the cached sources too.
fn across_sources(
    out: &mut [(usize, Resolved)],
    selected: &[&SourceConfig],
    all: &[SourceConfig],
    cached_ids: &[(String, &'static str, String)],
) {
    let leads: HashMap<String, String> = out
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .flat_map(|r| r.org.teams.iter())
        .filter_map(|t| t.lead.clone().map(|l| (t.id.clone(), l)))
        .collect();
    for (_, r) in out.iter_mut() {
        let Ok(r) = r else { continue };
        for a in &mut r.org.areas {
            let Some(group) = a.owner.strip_prefix("group:") else {
                continue;
            };
            match leads.get(group) {
                Some(lead) => a.owner = lead.clone(),
                None => r.warnings.push(format!(
                    "{}: area {} is owned by group {group}, which has no `steward.dev/lead` annotation, no `group_owners` entry and no team lead in any source; `steward check` reports it",
                    r.origins
                        .get(&("area", a.id.clone()))
                        .map_or("catalog", String::as_str),
                    a.id
                )),
            }
        }
    }
    one_id::one_id_one_source(out, selected, all, cached_ids);
}

/// Emails that name one person: each email (case-insensitively) and the id
/// of the first source's person who has it. An email two people of one
/// source share matches nobody (they stay apart); each source involved gets
/// a warning naming them.
fn email_index(ordered: &[(&str, &Person)]) -> (HashMap<String, String>, Vec<(String, String)>) {
    let mut holders: HashMap<String, Vec<(&str, &str)>> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for (source, person) in ordered {
        let e = person.email.trim().to_lowercase();
        if e.is_empty() {
            continue;
        }
        let h = holders.entry(e.clone()).or_insert_with(|| {
            order.push(e);
            Vec::new()
        });
        if !h.contains(&(source, person.id.as_str())) {
            h.push((source, person.id.as_str()));
        }
    }
    let mut by_email = HashMap::new();
    let mut warnings = Vec::new();
    for email in order {
        let h = &holders[&email];
        let shared = h
            .iter()
            .any(|(s, id)| h.iter().any(|(s2, id2)| s == s2 && id != id2));
        if !shared {
            by_email.insert(email, h[0].1.to_string());
            continue;
        }
        let named: Vec<String> = h.iter().map(|(s, id)| format!("{id} ({s})")).collect();
        let mut sources: Vec<&str> = h.iter().map(|(s, _)| *s).collect();
        sources.dedup();
        for s in sources {
            warnings.push((
                s.to_string(),
                format!(
                    "email {email} (compared case-insensitively) belongs to {}: they are kept apart, and nothing is matched to them by this email",
                    named.join(" and ")
                ),
            ));
        }
    }
    (by_email, warnings)
}

#[allow(clippy::too_many_arguments)]
fn resolve_one(
    cfg: &SourceConfig,
    p: Pulled,
    all: &[SourceConfig],
    by_email: &HashMap<String, String>,
    matcher: &PersonMatcher,
    entitlements: &[crate::model::Entitlement],
    provided: &mut HashMap<String, Provider>,
    now: Time,
) -> Resolved {
    let Pulled {
        mut org,
        groups,
        feeds,
        mut warnings,
        failed_feeds,
        origins,
    } = p;
    // This source's ids -> canonical ids, by email.
    let mut rename: HashMap<String, String> = HashMap::new();
    for person in &org.people {
        let e = person.email.trim().to_lowercase();
        if let Some(id) = by_email.get(&e)
            && *id != person.id
        {
            rename.insert(person.id.clone(), id.clone());
        }
    }
    let map = |r: &str| -> String {
        if let Some(id) = rename.get(r) {
            return id.clone();
        }
        if r.contains('@')
            && let Some(id) = by_email.get(&r.trim().to_lowercase())
        {
            return id.clone();
        }
        r.to_string()
    };
    rename_people(&mut org, &map);
    // People another source already provided are theirs.
    let (mut cached_give_up, mut taken_people) = (Vec::new(), Vec::new());
    if cfg.provides(Provides::People) {
        let mine = std::mem::take(&mut org.people);
        let given_up = (&mut cached_give_up, &mut taken_people);
        org.people = own_people(cfg, all, mine, &map, provided, given_up)?;
    } else {
        org.people.clear();
    }

    let seen_pairs = group_pairs(cfg, &groups, entitlements, &map);
    let mut stale_feeds = failed_feeds;
    let window = ics_feed::window(cfg, now);
    for feed in feeds {
        let opts = ics_feed::options(cfg, &feed.rotation, window);
        match parse_feed(&feed.text, Path::new(&feed.origin), matcher, &opts) {
            Ok(parsed) => {
                warnings.extend(parsed.warnings);
                let mut shifts = parsed.shifts;
                for s in &mut shifts {
                    s.person = map(&s.person);
                }
                org.rotations.push(Rotation {
                    id: feed.rotation.clone(),
                    name: feed
                        .name
                        .or(parsed.name)
                        .unwrap_or_else(|| feed.rotation.clone()),
                    team: feed.team,
                    members: Vec::new(),
                    shifts,
                });
            }
            Err(e) => stale_feeds.push((feed.rotation, PullError::Parse(e))),
        }
    }
    if org.rotations.is_empty()
        && let Some((_, e)) = stale_feeds.first()
        && matches!(cfg.spec, SourceSpec::Ics { .. })
    {
        return Err(SourceError::Feeds(e.clone()));
    }
    keep_provided(cfg, &mut org);
    warnings.sort();
    warnings.dedup();
    Ok(ResolvedSource {
        org,
        warnings,
        seen_pairs,
        stale_feeds,
        origins,
        cached_give_up,
        taken_people,
    })
}

/// The people of `cfg` that are its own: each renamed by `map`, and not one
/// another source provided first. One id for two people (their emails
/// differ) is an error naming both, unless `precedence` orders the two
/// sources: then the later gives the person up (noted in `given_up`: a
/// cached source's row, or a source pulled now).
#[allow(clippy::type_complexity)]
fn own_people(
    cfg: &SourceConfig,
    all: &[SourceConfig],
    people: Vec<Person>,
    map: &impl Fn(&str) -> String,
    provided: &mut HashMap<String, Provider>,
    given_up: (
        &mut Vec<(String, &'static str, String)>,
        &mut Vec<(String, String)>,
    ),
) -> Result<Vec<Person>, SourceError> {
    let (cached_give_up, taken_people) = given_up;
    let mut out = Vec::new();
    for mut person in people {
        person.id = map(&person.id);
        let email = person.email.trim().to_lowercase();
        let mine = (cfg.name.clone(), email.clone(), false);
        match provided.get(&person.id) {
            None => {
                provided.insert(person.id.clone(), mine);
                out.push(person);
            }
            Some((other, theirs, cached))
                if *other != cfg.name
                    && !email.is_empty()
                    && !theirs.is_empty()
                    && *theirs != email =>
            {
                match (one_id::rank(all, &cfg.name), one_id::rank(all, other)) {
                    (Some(a), Some(b)) if a < b => {
                        match cached {
                            true => {
                                cached_give_up.push((other.clone(), "person", person.id.clone()))
                            }
                            false => taken_people.push((other.clone(), person.id.clone())),
                        }
                        provided.insert(person.id.clone(), mine);
                        out.push(person);
                    }
                    (Some(_), Some(_)) => {}
                    _ => {
                        return Err(SourceError::SharedPerson {
                            id: person.id,
                            other: other.clone(),
                            theirs: theirs.clone(),
                            mine: cfg.name.clone(),
                            email,
                        });
                    }
                }
            }
            Some(_) => {}
        }
    }
    Ok(out)
}

/// The (person, entitlement) memberships a SCIM source's groups give, when
/// it provides grants, each with the nested groups it comes through.
#[allow(clippy::type_complexity)]
fn group_pairs(
    cfg: &SourceConfig,
    groups: &[crate::sources::UpstreamGroup],
    entitlements: &[crate::model::Entitlement],
    map: &impl Fn(&str) -> String,
) -> Option<Vec<(String, String, Option<String>)>> {
    let SourceSpec::Scim(settings) = &cfg.spec else {
        return None;
    };
    let mut pairs = Vec::new();
    let mut unmapped = 0;
    for g in groups {
        let ents = scim::group_entitlements(&cfg.name, settings, entitlements, g);
        if ents.is_empty() {
            unmapped += 1;
        }
        let through: HashMap<&str, &str> = g
            .through
            .iter()
            .map(|(p, path)| (p.as_str(), path.as_str()))
            .collect();
        for e in ents {
            for m in &g.members {
                let path = through.get(m.as_str()).map(|p| p.to_string());
                pairs.push((map(m), e.clone(), path));
            }
        }
    }
    if unmapped > 0 {
        tracing::info!(source = %cfg.name, unmapped, "groups mapped to neither a team nor an entitlement");
    }
    cfg.provides(Provides::Grants).then_some(pairs)
}

/// Drops what `cfg` does not provide.
fn keep_provided(cfg: &SourceConfig, org: &mut Org) {
    let keep = |x: Provides| cfg.provides(x);
    if !keep(Provides::People) {
        org.people.clear();
    }
    if !keep(Provides::Teams) {
        org.teams.clear();
    }
    if !keep(Provides::Rotations) {
        org.rotations.clear();
    }
    if !keep(Provides::Trainings) {
        org.trainings.clear();
    }
    if !keep(Provides::Areas) {
        org.areas.clear();
    }
    if !keep(Provides::Entitlements) {
        org.entitlements.clear();
    }
    if !keep(Provides::Grants) {
        org.grants.clear();
    }
    if !keep(Provides::Delegations) {
        org.delegations.clear();
    }
    if !keep(Provides::Rules) {
        org.rules.clear();
    }
}

/// Applies `map` to every person reference in `org` (not to people's own ids).
fn rename_people(org: &mut Org, map: &impl Fn(&str) -> String) {
    let opt = |v: &mut Option<String>| {
        if let Some(x) = v {
            *x = map(x);
        }
    };
    for p in &mut org.people {
        opt(&mut p.manager);
    }
    for t in &mut org.teams {
        opt(&mut t.lead);
        for m in &mut t.members {
            *m = map(m);
        }
    }
    for r in &mut org.rotations {
        for m in &mut r.members {
            *m = map(m);
        }
        for s in &mut r.shifts {
            s.person = map(&s.person);
        }
    }
    for t in &mut org.trainings {
        t.person = map(&t.person);
    }
    for a in &mut org.areas {
        a.owner = map(&a.owner);
    }
    for g in &mut org.grants {
        g.person = map(&g.person);
        opt(&mut g.granted_by);
    }
    for d in &mut org.delegations {
        d.to = map(&d.to);
        d.by = map(&d.by);
    }
    for r in &mut org.rules {
        r.author = map(&r.author);
    }
}
