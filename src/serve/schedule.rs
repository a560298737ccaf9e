//! The server's own work: each source pulled on its schedule (`every`,
//! default an hour), digests sent on theirs (`[digest] at`, `days`,
//! `time_zone`). Upstream credentials are read here, by the server alone.
//! Waiting is by the wall clock; what each run records is at the server's
//! clock (fixed only by `steward serve --now`).

use super::server::Shared;
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
    Ok(format!("{outcomes:?}"))
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
