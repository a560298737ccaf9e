//! The server's own work: each source pulled on its schedule (`every`,
//! default an hour), the automatic rules reconciled after every sync and at
//! every shift boundary they have, digests sent on theirs (`[digest] at`,
//! `days`, `time_zone`). Upstream credentials are read here, by the server alone.
//! Waiting is by the wall clock; what each run records is at the server's
//! clock (fixed only by `steward serve --now`).

use super::shared::Shared;
use crate::config::serve::DigestSchedule;
use crate::config::{DigestConfig, SourceConfig};
use crate::digest::render::Format;
use crate::store::Store;
use anyhow::Result;
use std::sync::Arc;
use std::time::Duration;

/// Starts one task per configured source and one for digests; says what
/// it scheduled on `out`. A config that does not validate schedules nothing
/// of its part, and says why.
pub fn start(shared: &Arc<Shared>, out: &mut dyn std::io::Write) -> Result<()> {
    let sources = shared
        .config
        .as_ref()
        .and_then(|c| c.sources().ok())
        .unwrap_or_default();
    writeln!(
        out,
        "automatic rules reconciled after each sync and at each shift boundary"
    )?;
    tokio::spawn(reconcile_loop(shared.clone(), sources));
    let Some(config) = shared.config.clone() else {
        return Ok(());
    };
    match (config.sources(), config.sync_every()) {
        (Ok(sources), Ok(every)) => {
            for (name, period) in every {
                if sources.iter().any(|s| s.name == name) {
                    writeln!(out, "sync {name} every {}", span(period))?;
                    tokio::spawn(sync_loop(shared.clone(), sources.clone(), name, period));
                }
            }
        }
        (Err(e), _) | (_, Err(e)) => {
            for line in e {
                writeln!(out, "not syncing on a schedule: {line}")?;
            }
        }
    }
    match (config.digest(), config.digest_schedule()) {
        (Ok(Some(cfg)), Ok(Some(when))) => {
            writeln!(
                out,
                "digests at {} ({}), next {}",
                when.at.format("%H:%M"),
                when.time_zone,
                when.next_after(chrono::Utc::now()).to_rfc3339()
            )?;
            tokio::spawn(digest_loop(shared.clone(), cfg, when));
        }
        (Ok(None), Ok(Some(_))) | (Ok(_), Ok(None)) => {}
        (Err(e), _) | (_, Err(e)) => {
            for line in e {
                writeln!(out, "not sending digests on a schedule: {line}")?;
            }
        }
    }
    Ok(())
}

fn span(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Pulls `name` now if it is due (never pulled, or last tried `period`
/// ago), then every `period`.
async fn sync_loop(
    shared: Arc<Shared>,
    sources: Vec<SourceConfig>,
    name: String,
    period: Duration,
) {
    let first = {
        let (shared, name) = (shared.clone(), name.clone());
        tokio::task::spawn_blocking(move || wait_before_first(&shared, &name, period))
            .await
            .unwrap_or(Duration::ZERO)
    };
    tokio::time::sleep(first).await;
    loop {
        let (shared2, sources2, name2) = (shared.clone(), sources.clone(), name.clone());
        let done = tokio::task::spawn_blocking(move || sync_one(&shared2, &sources2, &name2)).await;
        match done {
            Ok(Ok(said)) => tracing::info!("scheduled sync of {name}: {said}"),
            Ok(Err(e)) => tracing::warn!("scheduled sync of {name} failed: {e:#}"),
            Err(e) => tracing::error!("scheduled sync of {name} stopped: {e}"),
        }
        tokio::time::sleep(period).await;
    }
}

/// How long until `name` is due, by what the store says of its last try.
fn wait_before_first(shared: &Shared, name: &str, period: Duration) -> Duration {
    let last = Store::open_existing(&shared.db)
        .and_then(|s| s.source(name))
        .ok()
        .flatten()
        .and_then(|info| info.attempted_at.or(info.synced_at));
    let Some(last) = last else {
        return Duration::ZERO;
    };
    let since = (shared.clock.now() - last)
        .to_std()
        .unwrap_or(Duration::ZERO);
    period.saturating_sub(since)
}

fn sync_one(shared: &Shared, sources: &[SourceConfig], name: &str) -> Result<String> {
    let mut store = Store::open(&shared.db)?;
    let now = shared.clock.now();
    let only = [name.to_string()];
    let outcomes = shared.runtime.block_on(crate::sync::sync_sources(
        &mut store,
        sources,
        Some(&only),
        shared.http.clone(),
        None,
        now,
    ))?;
    drop(store);
    let reconciled = reconcile(shared, sources)?;
    Ok(format!("{outcomes:?}; {reconciled}"))
}

/// One reconcile at most at a time in this server (after a sync, at a
/// boundary): two at once would both record the same change.
static RECONCILING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Carries out what the automatic rules imply now (`reconcile::run`).
fn reconcile(shared: &Shared, sources: &[SourceConfig]) -> Result<String> {
    let _one = RECONCILING.lock().unwrap_or_else(|e| e.into_inner());
    let mut store = Store::open(&shared.db)?;
    let net = crate::net::Net::borrowed(shared.runtime.clone(), shared.http.clone());
    let report = crate::reconcile::run(
        &mut store,
        sources,
        &net,
        shared.clock.now(),
        crate::reconcile::Options::default(),
        &mut |_| {},
    )?;
    for w in &report.warnings {
        tracing::warn!("reconcile: {w}");
    }
    let held: usize = report.held.iter().map(|h| h.changes.len()).sum();
    Ok(format!(
        "reconcile: {} carried out, {} failed, {held} held back",
        report.outcomes.iter().filter(|o| o.ok).count(),
        report.failed()
    ))
}

/// The longest the boundary loop sleeps before looking again: a sync may
/// have brought a nearer boundary.
const RECHECK: Duration = Duration::from_secs(300);

/// Reconciles at each shift boundary of the automatic rules
/// (`reconcile::next_boundary`: a shift starting less the rule's lead or
/// ending plus its grace, a required training or a delegation starting or
/// ending), by the server's clock.
async fn reconcile_loop(shared: Arc<Shared>, sources: Vec<SourceConfig>) {
    loop {
        let s2 = shared.clone();
        let next = tokio::task::spawn_blocking(move || {
            let store = Store::open_existing(&s2.db).ok()?;
            crate::reconcile::next_boundary(&store, s2.clock.now())
                .ok()
                .flatten()
        })
        .await
        .ok()
        .flatten();
        let wait = next.map_or(RECHECK, |t| {
            (t - shared.clock.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(RECHECK)
        });
        tokio::time::sleep(wait).await;
        if next.is_none_or(|t| shared.clock.now() < t) {
            continue;
        }
        let (s2, sources2) = (shared.clone(), sources.clone());
        match tokio::task::spawn_blocking(move || reconcile(&s2, &sources2)).await {
            Ok(Ok(said)) => tracing::info!("at a shift boundary: {said}"),
            Ok(Err(e)) => tracing::warn!("reconcile at a shift boundary failed: {e:#}"),
            Err(e) => tracing::error!("reconcile at a shift boundary stopped: {e}"),
        }
    }
}

async fn digest_loop(shared: Arc<Shared>, cfg: DigestConfig, when: DigestSchedule) {
    loop {
        let now = chrono::Utc::now();
        let next = when.next_after(now);
        let wait = (next - now).to_std().unwrap_or(Duration::ZERO);
        tokio::time::sleep(wait).await;
        let (shared2, cfg2) = (shared.clone(), cfg.clone());
        match tokio::task::spawn_blocking(move || send_digests(&shared2, &cfg2)).await {
            Ok(Ok(said)) => tracing::info!("scheduled digests: {said}"),
            Ok(Err(e)) => tracing::warn!("scheduled digests failed: {e:#}"),
            Err(e) => tracing::error!("scheduled digests stopped: {e}"),
        }
        // Never twice for one due time.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn send_digests(shared: &Shared, cfg: &DigestConfig) -> Result<String> {
    let mut store = Store::open(&shared.db)?;
    let opts = crate::digest::run::Options {
        people: None,
        since: None,
        format: Format::Text,
        send: true,
        dry_run: false,
    };
    let net = crate::net::Net::borrowed(shared.runtime.clone(), shared.http.clone());
    let report = crate::digest::run::run(&mut store, Some(cfg), &opts, &net, shared.clock.now())?;
    Ok(format!("{} digests", report.sent.len()))
}
