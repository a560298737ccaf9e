//! `steward sync` (the org directory or the configured sources into the
//! cache), `steward status` (what is cached) and `steward config check`.

use super::Ctx;
use super::output::table;
use crate::guard::ShrinkKind;
use crate::model::*;
use crate::sources::http::{ProgressEvent, ProgressSink};
use crate::store::Store;
use crate::store::sync_warnings::SourceWarnings;
use crate::store::{Standing, SyncProblems};
use crate::sync::{Shrinking, sync_org_dir_beside};
use anyhow::{Result, bail};
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// Progress for stderr: a line per source at most every half second, every
/// retry, and the end. Lines are sent to the command, which writes them.
fn progress_lines(lines: UnboundedSender<String>) -> ProgressSink {
    let last: Mutex<HashMap<String, Instant>> = Mutex::new(HashMap::new());
    Arc::new(move |e: &ProgressEvent| {
        if let Some(note) = &e.note {
            let _ = lines.send(format!("{}: {note}", e.source));
            return;
        }
        if e.done.is_some() {
            return;
        }
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let due = last
            .get(&e.source)
            .is_none_or(|t| now.duration_since(*t).as_millis() >= 500);
        if due {
            last.insert(e.source.clone(), now);
            let _ = lines.send(format!(
                "{}: {} pages, {} items, {:.0} items/s",
                e.source,
                e.pages,
                e.items,
                e.rate()
            ));
        }
    })
}

pub fn sync(
    ctx: &mut Ctx,
    org: Option<std::path::PathBuf>,
    only: &[String],
    accept_shrink: bool,
) -> Result<ExitCode> {
    let now = ctx.now();
    let shrinking = if accept_shrink {
        Shrinking::Accept
    } else {
        Shrinking::Refuse
    };
    let Some(dir) = org else {
        return sync_configured(ctx, only, shrinking);
    };
    // An org directory of one's own goes into one's own cache, never the demo's.
    let mut store = Store::open(&ctx.own_db_path())?;
    sync_dir(ctx, &mut store, &dir, shrinking, now)
}

/// Reads the org directory `dir` into `store`, and says what it holds.
fn sync_dir(
    ctx: &mut Ctx,
    store: &mut Store,
    dir: &std::path::Path,
    shrinking: Shrinking,
    now: Time,
) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    // Their `precedence` orders the directory against the configured
    // sources' cached rows; a config that does not read orders nothing.
    let sources = ctx.configured_sources().unwrap_or_default();
    let synced = sync_org_dir_beside(store, dir, shrinking, &sources, now)?;
    let n = |kind| synced.counts.get(kind);
    writeln!(
        ctx.out,
        "synced {} into {} in {:.2}s: {} people, {} teams, {} rotations, {} trainings, {} areas, {} entitlements, {} grants, {} delegations, {} rules",
        dir.display(),
        store.path().display(),
        started.elapsed().as_secs_f64(),
        n(ShrinkKind::People),
        n(ShrinkKind::Teams),
        n(ShrinkKind::Rotations),
        n(ShrinkKind::Trainings),
        n(ShrinkKind::Areas),
        n(ShrinkKind::Entitlements),
        synced.grants,
        synced.delegations,
        n(ShrinkKind::Rules)
    )?;
    for line in &synced.accepted_shrinks {
        writeln!(ctx.out, "accepted shrink: {line}")?;
    }
    for w in &synced.warnings {
        writeln!(ctx.err, "warning: {w}")?;
    }
    write_problems(ctx, store.problems()?.as_ref())?;
    Ok(ExitCode::SUCCESS)
}

/// What the last sync found of references to unknown ids: how many, and
/// the first few where they are.
fn write_problems(ctx: &mut Ctx, problems: Option<&SyncProblems>) -> Result<()> {
    let Some(p) = problems else {
        return Ok(());
    };
    if p.count == 0 {
        writeln!(ctx.out, "references: all known")?;
        return Ok(());
    }
    let shown = if p.count > p.first.len() {
        format!(", the first {}", p.first.len())
    } else {
        String::new()
    };
    writeln!(
        ctx.out,
        "references: {} problem(s) (`steward check` lists them{shown}):",
        p.count
    )?;
    for line in &p.first {
        writeln!(ctx.out, "  {line}")?;
    }
    Ok(())
}

/// What each source's last kept sync warned of, the first few of each.
fn write_warnings(ctx: &mut Ctx, warnings: &[SourceWarnings]) -> Result<()> {
    for w in warnings {
        let shown = if w.count > w.first.len() {
            format!(", the first {}", w.first.len())
        } else {
            String::new()
        };
        writeln!(
            ctx.out,
            "{}: {} warning(s) at its last sync{shown}:",
            w.source, w.count
        )?;
        for line in &w.first {
            writeln!(ctx.out, "  {line}")?;
        }
    }
    Ok(())
}

fn sync_configured(ctx: &mut Ctx, only: &[String], shrinking: Shrinking) -> Result<ExitCode> {
    let now = ctx.now();
    let sources = ctx.configured_sources()?;
    if sources.is_empty() {
        return sync_cached_dir(ctx, only, shrinking);
    }
    for name in only {
        if !sources.iter().any(|s| &s.name == name) {
            let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
            bail!(
                "no configured source named {name:?} (configured: {})",
                names.join(", ")
            );
        }
    }
    let mut store = Store::open(&ctx.db_path())?;
    for r in crate::sync::retire_unconfigured(&mut store, &sources)? {
        writeln!(ctx.out, "{}", crate::sync::retired_message(&r))?;
    }
    let started = std::time::Instant::now();
    let (progress, mut lines) = unbounded_channel();
    let sync = crate::sync::sync_sources_with(
        &mut store,
        &sources,
        (!only.is_empty()).then_some(only),
        ctx.net.client(),
        Some(progress_lines(progress)),
        shrinking,
        now,
    );
    // Progress is written here, on this thread, while the sources are pulled.
    let err = &mut *ctx.err;
    let outcomes = ctx.net.block_on(async {
        tokio::pin!(sync);
        loop {
            tokio::select! {
                done = &mut sync => break done,
                Some(line) = lines.recv() => { let _ = writeln!(err, "{line}"); }
            }
        }
    })??;
    while let Ok(line) = lines.try_recv() {
        writeln!(ctx.err, "{line}")?;
    }
    let mut failed = 0;
    for o in &outcomes {
        match (&o.result, &o.shrink) {
            (Ok(counts), shrink) => {
                writeln!(
                    ctx.out,
                    "{}: synced {} ({} pages, {:.2}s)",
                    o.name,
                    counts.describe(),
                    o.progress.pages,
                    o.progress.elapsed.as_secs_f64()
                )?;
                for line in shrink.iter().flat_map(|h| h.lines()) {
                    writeln!(ctx.out, "{}: accepted shrink: {line}", o.name)?;
                }
            }
            (Err(e), _) => {
                failed += 1;
                writeln!(
                    ctx.out,
                    "{}: FAILED, keeping the previous data: {e}",
                    o.name
                )?;
            }
        }
        for w in &o.warnings {
            writeln!(ctx.err, "{}: warning: {w}", o.name)?;
        }
    }
    writeln!(
        ctx.out,
        "{} of {} source(s) synced into {} in {:.2}s",
        outcomes.len() - failed,
        outcomes.len(),
        store.path().display(),
        started.elapsed().as_secs_f64()
    )?;
    write_problems(ctx, store.problems()?.as_ref())?;
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// No source configured: the org directory the cache was synced from (the
/// demo's, or the last `sync --org`) is read again, as the console's `R`
/// does.
fn sync_cached_dir(ctx: &mut Ctx, only: &[String], shrinking: Shrinking) -> Result<ExitCode> {
    let now = ctx.now();
    let config = match ctx.config {
        Some(_) => format!("{} configures no [[source]]", ctx.config_path().display()),
        None => format!("there is no config at {}", ctx.config_path().display()),
    };
    if !only.is_empty() {
        bail!("--source: {config} (see README: configuration)");
    }
    let db = ctx.db_path();
    let cached = match db.exists() {
        true => {
            let store = Store::open_existing(&db)?;
            let src = store.source(crate::sync::FILES_SOURCE)?;
            src.map(|s| (store, std::path::PathBuf::from(s.location)))
        }
        false => None,
    };
    let Some((mut store, dir)) = cached else {
        bail!(
            "nothing to sync: {config}, and no org directory was synced before; `steward sync --org DIR` reads yours (see README: the org directory), `steward demo` installs the bundled one"
        );
    };
    writeln!(
        ctx.err,
        "{config}: reading again the org directory the cache was synced from, {}",
        dir.display()
    )?;
    sync_dir(ctx, &mut store, &dir, shrinking, now)
}

pub fn config_check(ctx: &mut Ctx) -> Result<ExitCode> {
    let path = ctx.config_path();
    let Some(cfg) = ctx.config.as_deref() else {
        writeln!(
            ctx.err,
            "no config at {} (steward works without one: give --as and sync --org DIR)",
            path.display()
        )?;
        return Ok(ExitCode::FAILURE);
    };
    let mut problems: Vec<String> = cfg.check().iter().map(|p| p.to_string()).collect();
    let db = ctx.db_path();
    if problems.is_empty() && db.exists() {
        // What the cache holds against this config: decisions it cannot apply.
        let store = Store::open_existing(&db)?;
        let snap = crate::policy::Snapshot::new(store.load_org()?);
        let sources = cfg.sources().unwrap_or_default();
        problems.extend(crate::apply::unappliable(&store, &snap, &sources)?);
    }
    for p in &problems {
        writeln!(ctx.out, "{p}")?;
    }
    if !problems.is_empty() {
        writeln!(
            ctx.err,
            "{} problem(s) in {}",
            problems.len(),
            path.display()
        )?;
        return Ok(ExitCode::FAILURE);
    }
    let sources = cfg.sources().unwrap_or_default();
    writeln!(
        ctx.out,
        "{}: ok: me = {}, {} source(s)",
        path.display(),
        cfg.me.as_deref().unwrap_or("(not set)"),
        sources.len()
    )?;
    for s in &sources {
        let provides: Vec<&str> = s.provides.iter().map(|p| p.as_str()).collect();
        writeln!(
            ctx.out,
            "  {} ({}) {} provides {}; {}",
            s.name,
            s.kind.as_str(),
            s.location(),
            provides.join(", "),
            super::secret::credential_state(&s.credential)
        )?;
    }
    if let Ok(Some(d)) = cfg.digest()
        && let Some(smtp) = &d.smtp
        && let Some(name) = &smtp.password_keyring
    {
        writeln!(
            ctx.out,
            "  [digest.smtp] password from keyring entry {name}: present"
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn age(now: Time, t: Time) -> String {
    let mins = (now - t).num_minutes();
    match mins {
        m if m < 0 => "in the future".into(),
        m if m < 60 => format!("{m} min ago"),
        m if m < 60 * 48 => format!("{} h ago", m / 60),
        m => format!("{} days ago", m / 60 / 24),
    }
}

pub fn status(ctx: &mut Ctx, person: Option<&str>) -> Result<ExitCode> {
    let now = ctx.now();
    let store = ctx.open_store()?;
    writeln!(
        ctx.out,
        "cache: {} (schema {})",
        store.path().display(),
        store.schema_version()?
    )?;
    writeln!(ctx.out, "now:   {}", now.to_rfc3339())?;
    let standings: HashMap<String, Standing> = store.standings()?.into_iter().collect();
    let rows: Vec<Vec<String>> = store
        .sources()?
        .into_iter()
        .map(|s| {
            let state = match standings.get(&s.name) {
                Some(Standing::HeldBack { shrinks, .. }) => format!(
                    "HELD BACK, keeping the previous data (sync --accept-shrink if the drop is real): {}",
                    shrinks.join("; ")
                ),
                _ => s
                    .error
                    .map(|e| format!("LAST SYNC FAILED: {e}"))
                    .unwrap_or_else(|| "ok".into()),
            };
            vec![
                s.name,
                s.kind,
                s.location,
                s.synced_at
                    .map(|t| format!("{} ({})", t.to_rfc3339(), age(now, t)))
                    .unwrap_or_else(|| "never".into()),
                state,
            ]
        })
        .collect();
    writeln!(
        ctx.out,
        "\n{}",
        table(&["SOURCE", "KIND", "FROM", "SYNCED", "STATE"], &rows)
    )?;
    let counts: Vec<String> = store
        .counts()?
        .iter()
        .map(|(t, n)| format!("{n} {t}"))
        .collect();
    writeln!(ctx.out, "\ncached: {}", counts.join(", "))?;
    let decisions = store.decisions()?;
    let planned = decisions
        .iter()
        .filter(|d| d.state == DecisionState::Planned)
        .count();
    writeln!(
        ctx.out,
        "decisions: {} recorded, {planned} planned (not yet applied)",
        decisions.len()
    )?;
    write_problems(ctx, store.problems()?.as_ref())?;
    write_warnings(ctx, &store.warnings()?)?;
    if let Some(person) = person {
        let snap = crate::policy::Snapshot::new(store.load_org()?);
        let line = person_status(&store, &snap, person, now)?;
        writeln!(ctx.out, "{line}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One line on `person`: their scope, what waits for their decision, what
/// they have planned.
fn person_status(
    store: &Store,
    snap: &crate::policy::Snapshot,
    person: &str,
    now: Time,
) -> Result<String> {
    if snap.person(person).is_none() {
        // status says what is wrong rather than failing on it.
        return Ok(format!(
            "as {person}: not on the roster of this cache (check --as, or `me` in steward.toml)"
        ));
    }
    let scope = super::suggest::scope_for(snap, Some(person), now)?;
    if scope.is_empty() {
        return Ok(format!(
            "as {person}: no area in scope (owns none, holds no delegation now)"
        ));
    }
    let roots: Vec<&str> = scope
        .roots
        .iter()
        .map(|&a| snap.org.areas[a].id.as_str())
        .collect();
    let decisions = store.decisions()?;
    let waiting = crate::policy::undecided(
        crate::policy::suggestions(snap, &scope, now),
        &decisions,
        now,
    );
    let planned = crate::apply::plan(store, snap, &scope)?.len();
    Ok(format!(
        "as {person}: scope {}; {} suggestion(s) to decide (`steward suggest --as {person}`), {planned} change(s) planned (`steward plan --as {person}`)",
        roots.join(", "),
        waiting.len()
    ))
}
