//! `steward audit`: list, verify, checkpoint or export the audit log, and
//! show the public half of its signing key.

use super::Ctx;
use super::args::AuditAction;
use super::output::table;
use crate::checkpoint::{self, Log, Signer, schedule};
use crate::config::AuditConfig;
use crate::model::Via;
use crate::store::audit::clock_jumps;
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn audit(ctx: &mut Ctx, action: Option<AuditAction>) -> Result<ExitCode> {
    match action.unwrap_or(AuditAction::List { limit: 50 }) {
        AuditAction::List { limit } => list(ctx, limit),
        AuditAction::Verify {
            checkpoints,
            max_skew_secs,
        } => verify(ctx, checkpoints, max_skew_secs),
        AuditAction::Checkpoint { out } => take_checkpoint(ctx, out),
        AuditAction::Signer => {
            let signer = Signer::open_or_create(&key_dir(ctx))?;
            writeln!(ctx.out, "{}", signer.allowed_signers_line()?)?;
            Ok(ExitCode::SUCCESS)
        }
        AuditAction::Export { jsonl: _ } => {
            let store = ctx.open_store()?;
            for e in store.audit_entries(None)? {
                writeln!(ctx.out, "{}", crate::safe_text::json(&e, false)?)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Where the log's signing key lives: beside the cache, or in the served
/// data directory.
fn key_dir(ctx: &Ctx) -> PathBuf {
    match ctx.served_session() {
        Some(s) => s.data_dir.clone(),
        None => ctx
            .db_path()
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    }
}

/// `[audit]` of the configuration, or its defaults.
fn settings(ctx: &Ctx) -> Result<AuditConfig> {
    match ctx.config.as_deref() {
        None => Ok(AuditConfig::default()),
        Some(c) => c.audit().map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("{}", lines.join("\n"))
        }),
    }
}

fn list(ctx: &mut Ctx, limit: usize) -> Result<ExitCode> {
    let store = ctx.open_store()?;
    let rows: Vec<Vec<String>> = store
        .audit_entries(Some(limit))?
        .into_iter()
        .map(|e| {
            let detail = super::audit_detail::readable(&e.action, &e.detail);
            vec![
                e.seq.to_string(),
                e.at.to_rfc3339(),
                who(&e.actor, e.via.as_ref()),
                e.action,
                detail,
            ]
        })
        .collect();
    writeln!(
        ctx.out,
        "{}",
        table(&["SEQ", "AT", "WHO", "WHAT", "DETAIL"], &rows)
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The actor, and how they proved it when it was more than being at this
/// machine: `priya (key SHA256:...)`, `priya (certificate 42 of CA SHA256:...)`.
fn who(actor: &str, via: Option<&Via>) -> String {
    match via {
        Some(Via::Key { fingerprint }) => format!("{actor} (key {fingerprint})"),
        Some(Via::Certificate { serial, ca, .. }) => {
            format!("{actor} (certificate {serial} of CA {ca})")
        }
        Some(Via::Local) | None => actor.to_string(),
    }
}

fn verify(ctx: &mut Ctx, given: Vec<PathBuf>, max_skew_secs: Option<u64>) -> Result<ExitCode> {
    if ctx.served_session().is_some() && !given.is_empty() {
        bail!(
            "--checkpoint names a file on the server, which is not yours to name over SSH: verify with the checkpoints of [audit] checkpoint_dir, or locally"
        );
    }
    let cfg = settings(ctx)?;
    let store = ctx.open_store()?;
    let log = Log::load(&store, &key_dir(ctx))?;
    let mut intact = true;
    match &log.chain {
        Ok(n) => writeln!(ctx.out, "audit log intact: {n} entries verified")?,
        Err(b) => {
            writeln!(ctx.err, "audit log broken at entry {}: {}", b.seq, b.reason)?;
            intact = false;
        }
    }
    let skew = max_skew_secs.unwrap_or(cfg.max_skew_secs);
    for j in clock_jumps(&log.entries, chrono::Duration::seconds(skew as i64)) {
        writeln!(
            ctx.err,
            "entry {} was written at {}, {} before entry {} ({}): the wall clock went back more than the allowed {skew} s",
            j.seq,
            j.written_at.to_rfc3339(),
            span(j.after_written_at - j.written_at),
            j.after_seq,
            j.after_written_at.to_rfc3339(),
        )?;
        intact = false;
    }
    let mut files = given;
    if let Some(dir) = &cfg.checkpoint_dir
        && dir.is_dir()
    {
        files.extend(schedule::checkpoints_in(dir)?);
    }
    if files.is_empty() {
        writeln!(
            ctx.out,
            "no checkpoint to check against: this proves only that the log is consistent with itself, not that nothing was cut off its end, rewritten whole or swapped for another log (take checkpoints with `steward audit checkpoint`, keep them elsewhere, and pass them with --checkpoint)"
        )?;
    }
    for file in &files {
        match checkpoint::check_file(file, &log) {
            Ok(cp) => writeln!(
                ctx.out,
                "checkpoint {} holds: the log extends its {} entries",
                file.display(),
                cp.size
            )?,
            Err(failure) => {
                writeln!(ctx.err, "{}", failure.sentence(file))?;
                intact = false;
            }
        }
    }
    Ok(if intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `1h 2m 5s`.
fn span(d: chrono::Duration) -> String {
    let s = d.num_seconds();
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    let parts: Vec<String> = [(h, "h"), (m, "m"), (s, "s")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if parts.is_empty() {
        "0s".into()
    } else {
        parts.join(" ")
    }
}

fn take_checkpoint(ctx: &mut Ctx, out: Option<PathBuf>) -> Result<ExitCode> {
    let cfg = settings(ctx)?;
    if ctx.served_session().is_some() && out.is_some() {
        bail!(
            "--out names a file on the server, which is not yours to name over SSH: checkpoints go to [audit] checkpoint_dir"
        );
    }
    let store = ctx.open_store()?;
    let signer = Signer::open_or_create(&key_dir(ctx))?;
    let signed = checkpoint::take(&store, &signer)?;
    let path = match (out, &cfg.checkpoint_dir) {
        (Some(out), _) => out,
        (None, Some(dir)) => {
            crate::paths::create_private_dir(dir)?;
            dir.join(schedule::file_name(signed.checkpoint.size))
        }
        (None, None) => bail!(
            "say where to write the checkpoint: --out FILE, or checkpoint_dir under [audit] in {}",
            ctx.config_path().display()
        ),
    };
    checkpoint::write(&signed, &path)?;
    let sig = checkpoint::sig_path(&path);
    writeln!(
        ctx.out,
        "checkpoint of {} entries (log {}) written to {} and {}",
        signed.checkpoint.size,
        signed.checkpoint.origin,
        path.display(),
        sig.display()
    )?;
    if let Some(hook) = schedule::webhook(&cfg)? {
        let client = ctx.net.client();
        ctx.net
            .block_on(schedule::post(&client, &hook, &signed))??;
        writeln!(ctx.out, "posted to the checkpoint webhook")?;
    }
    Ok(ExitCode::SUCCESS)
}
