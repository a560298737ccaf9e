//! Runs what `update` asks for against the store: on a worker thread with
//! its own connection while the console is live (the loop keeps drawing and
//! reading keys; results and progress come back as messages), or inline for
//! tests (`App::feed`). One job at a time, in the order asked.

use super::data::{Base, Data};
use super::msg::{
    ApplyResult, ApplyStep, Effect, Msg, Refresh, SourceSynced, SyncOutcome, SyncResults,
};
use crate::apply::{ApplyProgress, Outcome};
use crate::config::SourceConfig;
use crate::kept_evaluation::Resident;
use crate::model::{Actor, Delegation, Time};
use crate::policy::Snapshot;
use crate::policy::gate;
use crate::sources::http::ProgressEvent;
use crate::store::Store;
use crate::sync::Shrinking;
use crate::time::Clock;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

/// Where the console's data comes from: the configured sources (empty: the
/// org directory recorded in the cache, as for the demo).
#[derive(Clone, Default)]
pub struct Env {
    pub sources: Vec<SourceConfig>,
    /// The runtime and HTTP client of the front end that opened the console.
    pub net: std::sync::Arc<crate::net::Net>,
    /// Why a sync is refused here, if it is (see `tui::Options`).
    pub sync_refused: Option<String>,
    /// What the server keeps evaluated, read instead of the store when it
    /// is current (see `tui::Options`).
    pub resident: Option<Arc<dyn Resident>>,
}

/// What a job needs of the state it was asked from.
#[derive(Clone)]
pub struct Ctx {
    /// Who asked, and how they proved it: the person whose data it
    /// reads, and the actor its changes are made (and audited) as.
    pub actor: Actor,
    /// Read when the job runs: a decision carries the time it was recorded.
    pub clock: Clock,
    /// The snapshot, scope and suggestions to keep when only decisions
    /// changed (none before the first load).
    pub base: Option<Base>,
}

pub struct Job {
    pub effect: Effect,
    pub ctx: Ctx,
}

/// Where a running job's progress goes, as messages: words for the status
/// bar (`Msg::Progress`), or an apply's finished changes (`Msg::ApplyStep`).
pub type Progress = Arc<dyn Fn(Msg) + Send + Sync>;

/// Progress in words.
fn say(progress: &Progress, text: String) {
    progress(Msg::Progress(text));
}

/// Runs one job; the message says how it went (errors included), or
/// nothing for a job the person at the keyboard did not ask for.
pub fn run(store: &mut Store, env: &Env, job: Job, progress: &Progress) -> Option<Msg> {
    let Job { effect, ctx } = job;
    let now = ctx.clock.now();
    let actor = ctx.actor.clone();
    let result = match effect {
        // The loop ends on quit; nothing to run.
        Effect::Quit => return Some(Msg::Failed("error: quit is not a job".into())),
        Effect::KeepPreview(p) => {
            // Best effort: without it the next start shows the loading screen.
            if let Err(e) = keep_preview(store, &p) {
                tracing::warn!("could not keep the console preview: {e:#}");
            }
            return None;
        }
        Effect::Refresh(why) => {
            return Some(match refresh(store, env, &ctx, now, why) {
                Ok(mut data) => {
                    targets(&mut data, env);
                    Msg::Refreshed(data)
                }
                Err(e) => {
                    tracing::error!("{e:#}");
                    Msg::RefreshFailed(format!("{e:#}"))
                }
            });
        }
        Effect::FindPeople { text, query } => {
            let found = store
                .offer_people(&query, super::update::PEOPLE_PAGE)
                .map_err(|e| format!("cannot search the roster: {e}"));
            return Some(Msg::PeopleFound { text, found });
        }
        Effect::Load => load(store, env, &ctx, now, progress),
        Effect::Decide(news) => decide(store, &ctx, &actor, now, &news, progress),
        Effect::Undo(ids) => undo(store, &ctx, &actor, now, ids),
        Effect::Apply(shown) => apply(store, env, &ctx, &actor, now, &shown, progress),
        Effect::Delegate { area, to, until } => (|| {
            let made = store.add_delegation(&actor, &area, &to, until, now)?;
            reloaded(store, env, &ctx, now, delegated(&made.delegation, made.id))
        })(),
        Effect::EndDelegation(id) => (|| {
            let ended = store.end_delegation(&actor, id, now)?;
            let d = &ended.delegation;
            let note = format!("ended delegation {id} of {} to {}", d.area, d.to);
            reloaded(store, env, &ctx, now, note)
        })(),
        Effect::SwitchPersona(p) => (|| {
            let snap = ctx.base.as_ref().map(|b| b.snap.clone());
            let data = Data::load(store, &p, now, snap)?;
            Ok(Msg::Loaded(data))
        })(),
        Effect::SeenAutomatic(at) => {
            return Some(match store.mark_automatic_seen(&ctx.actor.person, at) {
                Ok(()) => Msg::SeenAutomatic(at),
                Err(e) => Msg::Failed(format!("error: {e:#}")),
            });
        }
        Effect::UndoAutomatic { id, reason } => (|| {
            let kept = store.undo_automatic(&actor, id, &reason, now)?;
            let note = match kept.state {
                crate::model::DecisionState::Planned => format!(
                    "automatic change #{id} kept undone; its reversal is planned (A applies it)"
                ),
                _ => format!("automatic change #{id} kept undone before it was carried out"),
            };
            reloaded(store, env, &ctx, now, note)
        })(),
        Effect::RemoveRule { id, reason } => (|| {
            let old = store.remove_rule(&actor, &id, reason.as_deref(), now)?;
            let note = format!(
                "removed rule {} (area {}); the audit log keeps it as it was",
                old.id, old.area
            );
            reloaded(store, env, &ctx, now, note)
        })(),
        Effect::Sync | Effect::SyncAcceptingShrink => (|| {
            if let Some(why) = &env.sync_refused {
                bail!("{why}");
            }
            let shrinking = match effect {
                Effect::SyncAcceptingShrink => Shrinking::Accept,
                _ => Shrinking::Refuse,
            };
            let results = sync(store, env, now, shrinking, progress)?;
            say(progress, "synced; reloading…".into());
            let data = fresh(store, env, &ctx.actor.person, now)?;
            Ok(Msg::Synced { results, data })
        })(),
    };
    let result = result.map(|mut msg| {
        if let Some(data) = data_of(&mut msg) {
            targets(data, env);
        }
        msg
    });
    Some(result.unwrap_or_else(|e: anyhow::Error| {
        tracing::error!("{e:#}");
        // The gate's refusal is said as it is: it names who, where and why.
        match e
            .downcast_ref::<crate::store::Error>()
            .and_then(crate::store::Error::refusal)
        {
            Some(refusal) => Msg::Failed(refusal.to_string()),
            None => Msg::Failed(format!("error: {e:#}")),
        }
    }))
}

/// The plan names where the config sends each change, as `steward plan`
/// does (over SCIM where an entitlement maps to a configured SCIM source).
fn targets(data: &mut Data, env: &Env) {
    crate::apply::name_targets(&mut data.plan, &data.snap, &env.sources);
}

/// The data a message brings, if it brings any.
fn data_of(msg: &mut Msg) -> Option<&mut Data> {
    match msg {
        Msg::Decided { data, .. }
        | Msg::Undone { data, .. }
        | Msg::Applied { data, .. }
        | Msg::Reloaded { data, .. }
        | Msg::Synced { data, .. }
        | Msg::Loaded(data)
        | Msg::Refreshed(data)
        | Msg::Opened(data) => Some(data),
        _ => None,
    }
}

/// The first load: from the server's resident evaluation when it is
/// current, else read and evaluated, with progress in words.
fn load(store: &mut Store, env: &Env, ctx: &Ctx, now: Time, progress: &Progress) -> Result<Msg> {
    if let Some(data) = resident(store, env, &ctx.actor.person, now) {
        return data.map(Msg::Opened);
    }
    say(
        progress,
        format!("loading the cache for {}: reading…", ctx.actor.person),
    );
    let org = super::data::shown(store.load_for(&ctx.actor.person, now)?);
    say(
        progress,
        format!(
            "loading the cache for {}: evaluating {} rules over {} grants…",
            ctx.actor.person,
            org.rules.len(),
            org.grants.len()
        ),
    );
    let snap = Arc::new(Snapshot::new(org));
    Data::load(store, &ctx.actor.person, now, Some(snap)).map(Msg::Opened)
}

fn decide(
    store: &mut Store,
    ctx: &Ctx,
    actor: &Actor,
    now: Time,
    news: &[crate::store::NewDecision],
    progress: &Progress,
) -> Result<Msg> {
    let mut ids = Vec::new();
    let n = news.len();
    for (k, new) in news.iter().enumerate() {
        if n > 1 {
            say(progress, format!("recording {}/{n}…", k + 1));
        }
        let d = store.record_decision(actor, new, now)?;
        tracing::info!(id = d.id, verdict = d.verdict.as_str(), "decision recorded");
        ids.push(d.id);
    }
    let data = refreshed(store, ctx, now)?;
    Ok(Msg::Decided { ids, data })
}

fn undo(store: &mut Store, ctx: &Ctx, actor: &Actor, now: Time, ids: Vec<i64>) -> Result<Msg> {
    for (k, &id) in ids.iter().enumerate() {
        store.undo_decision(actor, id, now).with_context(|| {
            format!(
                "undoing decision {id} ({} of {} undone before it)",
                k,
                ids.len()
            )
        })?;
    }
    let data = refreshed(store, ctx, now)?;
    Ok(Msg::Undone { ids, data })
}

#[allow(clippy::too_many_arguments)]
fn apply(
    store: &mut Store,
    env: &Env,
    ctx: &Ctx,
    actor: &Actor,
    now: Time,
    shown: &[i64],
    progress: &Progress,
) -> Result<Msg> {
    let step = &mut |p: ApplyProgress<'_>| {
        progress(Msg::ApplyStep(ApplyStep {
            done: p.done,
            total: p.total,
            decision: p.outcome.change.decision,
            ok: p.outcome.ok,
            what: p.outcome.change.summary(),
            result: result_line(p.outcome),
        }))
    };
    let applied =
        crate::apply::apply_as_configured(store, &env.sources, &env.net, actor, now, false, step)?;
    let outcomes = applied.outcomes;
    let mut results: Vec<ApplyResult> = outcomes
        .iter()
        .map(|o| ApplyResult {
            ok: o.ok,
            line: result_line(o),
        })
        .collect();
    // Shown with the results, not written under the console's screen.
    results.extend(applied.warnings.into_iter().map(|w| ApplyResult {
        ok: false,
        line: format!("warning: {w}"),
    }));
    let done: Vec<i64> = outcomes.iter().map(|o| o.change.decision).collect();
    let passed: Vec<i64> = shown
        .iter()
        .copied()
        .filter(|id| !done.contains(id))
        .collect();
    results.extend(passed_over(store, actor, now, &passed)?);
    say(progress, "applied; reloading…".into());
    let data = fresh(store, env, &ctx.actor.person, now)?;
    Ok(Msg::Applied { results, data })
}

/// The confirmed changes an apply did not carry out because they are no
/// longer the actor's (a delegation ended, the area changed hands since
/// the console loaded): each said as not applied, with the gate's reason,
/// and audited as a refused apply. The decision itself stays planned, for
/// whoever may carry it out now.
fn passed_over(
    store: &mut Store,
    actor: &Actor,
    now: Time,
    ids: &[i64],
) -> Result<Vec<ApplyResult>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let snap = Snapshot::new(store.load_org()?);
    let planned = store.planned()?;
    let mut results = Vec::new();
    for &id in ids {
        let result = match planned.iter().find(|d| d.id == id) {
            Some(d) => match gate::check(actor, &gate::Action::Apply { decision: d }, &snap, now) {
                Err(refusal) => format!("not applied: {refusal}"),
                Ok(_) => "not applied: it is no longer in your plan".to_string(),
            },
            None => {
                "not applied: it is no longer planned (applied or taken back elsewhere)".to_string()
            }
        };
        let detail = serde_json::json!({ "decision": id, "ok": false, "result": result });
        store.audit(now, actor, "apply", &detail)?;
        results.push(ApplyResult {
            ok: false,
            line: format!("#{id} {result}"),
        });
    }
    Ok(results)
}

/// What a delegation recorded here gives, in words.
fn delegated(d: &Delegation, id: i64) -> String {
    format!(
        "delegation {id}: {} now decides for {}{}",
        d.to,
        d.area,
        d.until
            .map(|u| format!(" until {}", crate::policy::minute(u)))
            .unwrap_or_default()
    )
}

/// Everything read again after a change to the organization, with `note`.
fn reloaded(store: &mut Store, env: &Env, ctx: &Ctx, now: Time, note: String) -> Result<Msg> {
    let data = fresh(store, env, &ctx.actor.person, now)?;
    Ok(Msg::Reloaded { data, note })
}

/// `me`'s data at `now`, the organization evaluated afresh: from the
/// server's resident evaluation when it is current, else read from the
/// store and evaluated.
fn fresh(store: &mut Store, env: &Env, me: &str, now: Time) -> Result<Data> {
    match resident(store, env, me, now) {
        Some(data) => data,
        None => Data::load(store, me, now, None),
    }
}

/// `me`'s data at `now` around the snapshot and suggestions the server
/// keeps evaluated, when there is a resident evaluation and it is current
/// for `store`; the log says which.
fn resident(store: &mut Store, env: &Env, me: &str, now: Time) -> Option<Result<Data>> {
    let kept = env.resident.as_ref()?.console(store, me, now);
    let Some(kept) = kept else {
        tracing::debug!("console for {me}: read from the store and evaluated");
        return None;
    };
    tracing::debug!("console for {me}: from the resident evaluation");
    let data = Data::evaluated(store, me, now, kept.snap, kept.suggestions);
    Some(data.map(|d| Data {
        tables: Some(kept.tables),
        ..d
    }))
}

/// Evaluated again at `now` (the clock moved: the same snapshot), or
/// everything read again (the store changed elsewhere). When the
/// evaluation comes out as it was, it keeps its base, so the console
/// derives only what decisions and the time change.
fn refresh(store: &mut Store, env: &Env, ctx: &Ctx, now: Time, why: Refresh) -> Result<Data> {
    let mut data = match resident(store, env, &ctx.actor.person, now) {
        Some(data) => data?,
        None => read_again(store, ctx, now, why)?,
    };
    if let Some(b) = &ctx.base
        && data.evaluates_as(b)
    {
        data.revision.base = b.id;
    }
    Ok(data)
}

/// [`refresh`] from the store.
fn read_again(store: &mut Store, ctx: &Ctx, now: Time, why: Refresh) -> Result<Data> {
    let snap = match why {
        Refresh::Time => ctx.base.as_ref().map(|b| b.snap.clone()),
        Refresh::Store => None,
    };
    // A delegation made or ended elsewhere (another console, the command
    // line) changes the scope: the organization is read again for it.
    let snap = match snap {
        Some(s) if delegations_changed(store, &s)? => None,
        kept => kept,
    };
    Data::load(store, &ctx.actor.person, now, snap)
}

/// Whether steward's own delegations differ from those `snap` was read with.
fn delegations_changed(store: &Store, snap: &Snapshot) -> Result<bool> {
    let local = store.local_delegations()?;
    Ok(local
        .iter()
        .any(|l| !snap.org.delegations.contains(&l.delegation)))
}

/// Stores what is shown, for the next start of the console as `p.me`.
pub fn keep_preview(store: &mut Store, p: &crate::tui::preview::Preview) -> Result<()> {
    let body = serde_json::to_string(p)?;
    Ok(store.save_console_preview(&p.me, p.evaluated_at, &body)?)
}

/// The preview kept for `me`, if any and readable (one kept by another
/// version of steward may not be: it is ignored, and replaced later).
pub fn kept_preview(store: &Store, me: &str) -> Option<crate::tui::preview::Preview> {
    let (_, body) = store
        .console_preview(me)
        .map_err(|e| tracing::warn!("cannot read the console preview: {e:#}"))
        .ok()??;
    serde_json::from_str(&body)
        .map_err(|e| tracing::warn!("ignoring an unreadable console preview: {e}"))
        .ok()
}

/// Decisions, plan and audit re-read; snapshot and suggestions kept.
fn refreshed(store: &mut Store, ctx: &Ctx, now: Time) -> Result<Data> {
    match &ctx.base {
        Some(b) => Data::with_base(store, &ctx.actor.person, now, b.clone()),
        None => Data::load(store, &ctx.actor.person, now, None),
    }
}

/// One change's result as the plan view lists it.
fn result_line(o: &Outcome) -> String {
    format!("#{} {}", o.change.decision, o.result)
}

/// Pulls the configured sources (per-source progress), or, with none
/// configured, re-reads the org directory the cache was synced from. As
/// `steward sync` does, first drops the cached rows of sources no longer
/// configured (each listed in the results).
fn sync(
    store: &mut Store,
    env: &Env,
    now: Time,
    shrinking: Shrinking,
    progress: &Progress,
) -> Result<SyncResults> {
    if env.sources.is_empty() {
        let Some(src) = store.source(crate::sync::FILES_SOURCE)? else {
            bail!(
                "nothing to sync: no [[source]] in steward.toml and no org directory in the cache (steward sync --org DIR)"
            );
        };
        let dir = PathBuf::from(&src.location);
        say(
            progress,
            format!("syncing {}: reading {}…", src.name, dir.display()),
        );
        let outcome = match crate::sync::sync_org_dir_with(store, &dir, shrinking, now) {
            Ok(done) => SyncOutcome::Done(format!(
                "{} people, {} areas, {} grants",
                done.counts.get(crate::guard::ShrinkKind::People),
                done.counts.get(crate::guard::ShrinkKind::Areas),
                done.grants
            )),
            Err(crate::sync::DirError::HeldBack(h)) => SyncOutcome::HeldBack(h.lines()),
            Err(e) => SyncOutcome::Failed(e.to_string()),
        };
        return Ok(vec![SourceSynced {
            name: src.name,
            outcome,
        }]);
    }
    let lines: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let said = progress.clone();
    let sink: crate::sources::http::ProgressSink = Arc::new(move |ev: &ProgressEvent| {
        let text = match &ev.done {
            Some(Ok(())) => "done".to_string(),
            Some(Err(_)) => "FAILED".to_string(),
            None => match &ev.note {
                Some(n) => n.clone(),
                None => format!("{} pages, {} items", ev.pages, ev.items),
            },
        };
        let Ok(mut map) = lines.lock() else {
            return;
        };
        map.insert(ev.source.clone(), text);
        let all: Vec<String> = map.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        say(&said, format!("syncing… {}", all.join(" · ")));
    });
    say(
        progress,
        format!(
            "syncing {}…",
            env.sources
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    let retired: SyncResults = crate::sync::retire_unconfigured(store, &env.sources)?
        .iter()
        .map(|r| SourceSynced {
            name: r.name.clone(),
            outcome: SyncOutcome::Done(crate::sync::retired_message(r)),
        })
        .collect();
    let outcomes = env.net.block_on(crate::sync::sync_sources_with(
        store,
        &env.sources,
        None,
        env.net.client(),
        Some(sink),
        shrinking,
        now,
    ))??;
    Ok(retired
        .into_iter()
        .chain(outcomes.into_iter().map(|o| SourceSynced {
            name: o.name,
            outcome: match (o.result, o.shrink) {
                (Ok(c), _) => SyncOutcome::Done(c.describe()),
                (Err(_), Some(h)) => SyncOutcome::HeldBack(h.lines()),
                (Err(e), None) => SyncOutcome::Failed(e.to_string()),
            },
        }))
        .collect())
}

/// The worker thread's name (the panic hook tells it apart by it).
pub const THREAD: &str = "steward-console-worker";

/// A thread with its own connection to the cache, running jobs in order.
pub struct Worker {
    jobs: Sender<Job>,
    pub results: Receiver<Msg>,
}

impl Worker {
    pub fn spawn(db: PathBuf, env: Env) -> Result<Worker> {
        let (jobs, job_rx) = channel::<Job>();
        let (tx, results) = channel::<Msg>();
        std::thread::Builder::new()
            .name(THREAD.into())
            .spawn(move || {
                let mut store = match Store::open_existing(&db) {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = tx.send(Msg::Failed(format!("error: {e:#}")));
                        return;
                    }
                };
                let out = tx.clone();
                let progress: Progress = Arc::new(move |msg| {
                    let _ = out.send(msg);
                });
                let mut waiting = std::collections::VecDeque::new();
                while let Some(job) = next_job(&job_rx, &mut waiting) {
                    let refresh = matches!(job.effect, Effect::Refresh(_));
                    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run(&mut store, &env, job, &progress)
                    }));
                    let msg = ran.unwrap_or_else(|_| Some(panicked(refresh)));
                    if let Some(msg) = msg
                        && tx.send(msg).is_err()
                    {
                        break;
                    }
                }
            })
            .context("cannot start the console's worker thread")?;
        Ok(Worker { jobs, results })
    }

    pub fn send(&self, job: Job) -> Result<()> {
        self.jobs
            .send(job)
            .map_err(|_| anyhow::anyhow!("the console's worker thread stopped"))
    }
}

/// What a job that panicked answers. A refresh says that it failed, as
/// one that ran into an error does: the console asks for the next one
/// then, where a plain failure would leave it waiting for this one's
/// data and every later change untold.
fn panicked(refresh: bool) -> Msg {
    let text = "error: internal error in the console's worker (the log has it); reload with R";
    match refresh {
        true => Msg::RefreshFailed(text.into()),
        false => Msg::Failed(text.into()),
    }
}

/// The next job to run, in the order asked, passing over a roster search
/// that a later one waiting replaces (typing outruns the searches; the
/// answer to an older query is not shown anyway). `None` once the console
/// has gone.
fn next_job(jobs: &Receiver<Job>, waiting: &mut std::collections::VecDeque<Job>) -> Option<Job> {
    let search = |j: &Job| matches!(j.effect, Effect::FindPeople { .. });
    loop {
        let job = match waiting.pop_front() {
            Some(job) => job,
            None => jobs.recv().ok()?,
        };
        waiting.extend(jobs.try_iter());
        if search(&job) && waiting.iter().any(search) {
            continue;
        }
        return Some(job);
    }
}

#[cfg(test)]
mod queue_tests {
    use super::*;
    use crate::store::PeopleQuery;

    fn job(effect: Effect) -> Job {
        Job {
            effect,
            ctx: Ctx {
                actor: Actor::local("priya"),
                clock: Clock::Fixed(Time::default()),
                base: None,
            },
        }
    }

    fn find(text: &str) -> Effect {
        Effect::FindPeople {
            text: text.into(),
            query: PeopleQuery::Search(text.into()),
        }
    }

    #[test]
    fn a_search_a_later_one_replaces_is_passed_over_and_nothing_else() {
        let (tx, rx) = channel();
        for e in [
            find("a"),
            Effect::Sync,
            find("ar"),
            find("arj"),
            Effect::Load,
        ] {
            tx.send(job(e)).unwrap();
        }
        drop(tx);
        let mut waiting = std::collections::VecDeque::new();
        let mut ran = Vec::new();
        while let Some(j) = next_job(&rx, &mut waiting) {
            ran.push(match j.effect {
                Effect::FindPeople { text, .. } => text,
                Effect::Sync => "sync".into(),
                Effect::Load => "load".into(),
                _ => "other".into(),
            });
        }
        assert_eq!(ran, vec!["sync", "arj", "load"]);
    }
}

#[cfg(test)]
mod panic_tests {
    use super::*;
    use crate::kept_evaluation::Evaluated;
    use crate::model::Suggestion;
    use crate::tui::msg::Refresh;

    /// A resident evaluation that panics whenever it is read.
    struct Broken;

    impl Resident for Broken {
        fn suggestions(&self, _: &Store, _: &str, _: Time) -> Option<Vec<Suggestion>> {
            panic!("broken on purpose")
        }
        fn console(&self, _: &Store, _: &str, _: Time) -> Option<Evaluated> {
            panic!("broken on purpose")
        }
    }

    /// A refresh that panics is answered as a failed refresh, which lets
    /// the console ask for the next one: a plain failure left it waiting
    /// for this one's data for good, every later change untold.
    #[test]
    fn a_refresh_that_panics_is_answered_as_a_failed_refresh() {
        let dir = tempfile::tempdir().unwrap();
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let installed = crate::demo::install(&dir.path().join("demo"), now).unwrap();
        let env = Env {
            resident: Some(Arc::new(Broken)),
            ..Env::default()
        };
        let worker = Worker::spawn(installed.db, env).unwrap();
        let ctx = Ctx {
            actor: Actor::local("priya"),
            clock: Clock::Fixed(installed.now),
            base: None,
        };
        for effect in [Effect::Refresh(Refresh::Store), Effect::Load] {
            let refresh = matches!(effect, Effect::Refresh(_));
            worker
                .send(Job {
                    effect,
                    ctx: ctx.clone(),
                })
                .unwrap();
            let answer = worker
                .results
                .recv_timeout(std::time::Duration::from_secs(60))
                .unwrap();
            match answer {
                Msg::RefreshFailed(e) if refresh => assert!(e.contains("internal error"), "{e}"),
                Msg::Failed(e) if !refresh => assert!(e.contains("internal error"), "{e}"),
                _ => panic!("not the answer expected (refresh: {refresh})"),
            }
        }
    }
}

#[cfg(test)]
mod targets_tests {
    use super::*;
    use crate::apply::{Change, Op};
    use crate::model::{Entitlement, Org};

    /// The console's plan names the SCIM group the config maps an
    /// entitlement to, as `steward plan` does, whatever message brings it.
    #[test]
    fn the_plan_a_job_brings_names_the_configured_target() {
        let cfg = crate::config::parse(
            "[[source]]\nkind = \"scim\"\nname = \"okta\"\nurl = \"https://idp.example/scim/v2\"\ntoken_env = \"T\"\nentitlement_prefix = \"steward:\"\n",
            std::path::Path::new("steward.toml"),
        )
        .unwrap();
        let env = Env {
            sources: cfg.sources().unwrap(),
            ..Env::default()
        };
        let org = Org {
            entitlements: vec![Entitlement {
                id: "db:read".into(),
                area: "payments".into(),
                name: "read".into(),
                upstream: None,
            }],
            ..Org::default()
        };
        let mut data = Data::from_org(org, "priya", Time::default());
        data.plan = vec![Change {
            decision: 1,
            decider: "priya".into(),
            op: Op::Add,
            person: "bo".into(),
            entitlement: "db:read".into(),
            area: "payments".into(),
            upstream: None,
            via: None,
            basis: "rule".into(),
        }];
        let mut msg = Msg::Loaded(data);
        if let Some(d) = data_of(&mut msg) {
            targets(d, &env);
        }
        let Msg::Loaded(data) = msg else {
            panic!("not the message it was")
        };
        assert_eq!(
            data.plan[0].via,
            Some(("okta".to_string(), "steward:db:read".to_string()))
        );
        assert!(
            data.plan[0]
                .describe()
                .starts_with("okta: add bo to group steward:db:read"),
            "{}",
            data.plan[0].describe()
        );
    }
}
