//! The audit log's checkpoints, taken by the server as the log grows
//! (`[audit] checkpoint_dir`, `checkpoint_every`, `checkpoint_interval_secs`):
//! looked at after every change to the store and at least every minute,
//! written into the directory when due, signed with the log's key in the
//! data directory, and posted to the webhook when one is configured. A post
//! that fails is tried again until it goes through or a newer checkpoint
//! replaces it. Due-ness is by the wall clock, as the files' times are.

use super::shared::Shared;
use crate::checkpoint::schedule::{Schedule, Written};
use crate::checkpoint::{CheckpointError, Checkpointer};
use crate::store::Store;
use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::Duration;

/// The longest the server goes without looking (the interval may be due).
const LOOK_AT_LEAST_EVERY: Duration = Duration::from_secs(60);

/// Starts the checkpoint task when `[audit] checkpoint_dir` is set, and
/// says so on `out`. An `[audit]` table that does not validate, or a
/// webhook whose variable is not set, stops the server from starting: it
/// would otherwise run without the checkpoints its operator counts on.
pub fn start(shared: &Arc<Shared>, out: &mut dyn std::io::Write) -> Result<()> {
    let Some(config) = shared.config.clone() else {
        return Ok(());
    };
    let audit = config.audit().map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{}", lines.join("\n"))
    })?;
    let Some(schedule) = Schedule::from_config(&audit).context("[audit]")? else {
        return Ok(());
    };
    writeln!(
        out,
        "audit checkpoints into {} every {} entries or {}s{}",
        schedule.dir.display(),
        schedule.every,
        schedule.interval.num_seconds(),
        if schedule.webhook.is_some() {
            ", each posted to the webhook"
        } else {
            ""
        }
    )?;
    let look = schedule
        .interval
        .to_std()
        .unwrap_or(LOOK_AT_LEAST_EVERY)
        .clamp(Duration::from_secs(1), LOOK_AT_LEAST_EVERY);
    let checkpointer = Checkpointer::new(schedule, &shared.data_dir)
        .with_context(|| format!("audit checkpoints in {}", shared.data_dir.display()))?;
    tokio::spawn(run(shared.clone(), checkpointer, look));
    Ok(())
}

/// What the blocking side hands back: the checkpointer and its store
/// connection (kept across turns), and what this turn wrote.
type Turn = (Checkpointer, Option<Store>, Result<Option<Written>>);

async fn run(shared: Arc<Shared>, checkpointer: Checkpointer, look: Duration) {
    let mut changes = shared.live.subscribe();
    let mut state = (checkpointer, None::<Store>);
    let mut unposted: Option<Written> = None;
    loop {
        let (checkpointer, store) = state;
        let db = shared.db.clone();
        let turn = tokio::task::spawn_blocking(move || look_once(checkpointer, store, &db)).await;
        let (checkpointer, store, written) = match turn {
            Ok(t) => t,
            Err(e) => {
                tracing::error!("audit checkpoints stopped: {e}");
                return;
            }
        };
        match written {
            Ok(Some(w)) => {
                tracing::info!(
                    "audit checkpoint of {} entries written to {}",
                    w.signed.checkpoint.size,
                    w.path.display()
                );
                unposted = Some(w);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!("audit checkpoint not written: {e:#}"),
        }
        if let Some(w) = unposted.take() {
            match checkpointer.post(&shared.http, &w).await {
                Ok(()) => tracing::info!(
                    "audit checkpoint of {} entries posted",
                    w.signed.checkpoint.size
                ),
                Err(e) => {
                    tracing::warn!("audit checkpoint not posted (tried again later): {e}");
                    unposted = Some(w);
                }
            }
        }
        state = (checkpointer, store);
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return },
            () = tokio::time::sleep(look) => {}
        }
    }
}

/// Writes a checkpoint if one is due now.
fn look_once(mut checkpointer: Checkpointer, store: Option<Store>, db: &std::path::Path) -> Turn {
    let store = match store {
        Some(s) => s,
        None => match Store::open_existing(db) {
            Ok(s) => s,
            Err(e) => return (checkpointer, None, Err(e.into())),
        },
    };
    let written = checkpointer
        .checkpoint_if_due(&store, chrono::Utc::now())
        .map_err(|e: CheckpointError| anyhow::Error::new(e));
    (checkpointer, Some(store), written)
}
