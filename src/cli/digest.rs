//! `steward digest`: each owner's digest, printed, previewed or sent.

use super::Ctx;
use super::args::AsArg;
use crate::config::DigestConfig;
use crate::digest::Format;
use crate::digest::run::{Composed, Options, Report, Sent, run};
use crate::model::Time;
use anyhow::{Result, bail};
use std::process::ExitCode;

/// What `steward digest` was asked, besides who.
pub struct Asked {
    pub all: bool,
    pub since: Option<String>,
    pub format: String,
    pub send: bool,
    pub dry_run: bool,
}

pub fn digest(ctx: &mut Ctx, who: &AsArg, asked: Asked) -> Result<ExitCode> {
    let now = ctx.now();
    if asked.all && who.as_person.is_some() {
        bail!("give --as PERSON or --all, not both");
    }
    let people = if asked.all {
        None
    } else {
        ctx.optional_person(who).map(|p| vec![p])
    };
    let since = asked.since.map(|s| since(&s, now)).transpose()?;
    let digest_cfg = digest_config(ctx)?;
    let format = Format::parse(&asked.format).unwrap_or(Format::Text);
    let mut store = ctx.open_store()?;
    let options = Options {
        people,
        since,
        format,
        send: asked.send,
        dry_run: asked.dry_run,
    };
    let report = run(&mut store, digest_cfg.as_ref(), &options, &ctx.net, now)?;
    print_skipped(ctx, &report)?;
    for (i, c) in report.composed.iter().enumerate() {
        let sent = report
            .sent
            .iter()
            .find(|s| s.recipient == c.digest.recipient);
        if asked.dry_run {
            print_preview(ctx, i, c, sent)?;
        } else if asked.send {
            if let Some(s) = sent {
                print_sent(ctx, c, s)?;
            }
        } else {
            if i > 0 {
                writeln!(ctx.out)?;
            }
            let d = &c.digest;
            writeln!(ctx.out, "== {} ({}): {}", d.name, d.recipient, c.subject)?;
            writeln!(ctx.out, "{}", c.body.trim_end())?;
        }
    }
    let failed = report.failed();
    if asked.send && !asked.dry_run && failed > 0 {
        writeln!(
            ctx.err,
            "{failed} of {} digest(s) not delivered",
            report.sent.len()
        )?;
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `--since`: a time, or a span back from now (7d, 2w, 12h).
fn since(text: &str, now: Time) -> Result<Time> {
    crate::time::parse_time(text)
        .or_else(|_| crate::time::parse_until(text, now).map(|t| now - (t - now)))
        .map_err(|e| anyhow::anyhow!("--since: {e}"))
}

/// `[digest]` of the config, or every problem in it.
fn digest_config(ctx: &Ctx) -> Result<Option<DigestConfig>> {
    match ctx.config.as_ref().map(|c| c.digest()) {
        None | Some(Ok(None)) => Ok(None),
        Some(Ok(Some(c))) => Ok(Some(c)),
        Some(Err(errors)) => {
            let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            bail!(
                "{} has {} problem(s) in [digest]:\n  {}",
                ctx.config_path().display(),
                errors.len(),
                lines.join("\n  ")
            );
        }
    }
}

/// Who got nothing, and which earlier failures were given up.
fn print_skipped(ctx: &mut Ctx, report: &Report) -> Result<()> {
    for (p, why) in &report.nothing_for {
        match why {
            Some(why) => writeln!(ctx.err, "nothing for {p}: {why}")?,
            None => writeln!(ctx.err, "nothing new for {p}")?,
        }
    }
    for (p, n) in &report.superseded {
        writeln!(
            ctx.err,
            "{p}: the {n} earlier digest(s) that failed have nothing left to say; marked superseded"
        )?;
    }
    Ok(())
}

/// `--dry-run`: where it would go, and what it says.
fn print_preview(ctx: &mut Ctx, i: usize, c: &Composed, sent: Option<&Sent>) -> Result<()> {
    let d = &c.digest;
    if i > 0 {
        writeln!(ctx.out)?;
    }
    match sent.map(|s| (&s.outcome, s)) {
        Some((Ok(()), s)) => writeln!(
            ctx.out,
            "== would send to {} by {} ({}): {}",
            d.recipient, s.channel, s.target, c.subject
        )?,
        Some((Err(e), _)) => writeln!(
            ctx.out,
            "== would NOT be delivered to {}: {e}: {}",
            d.recipient, c.subject
        )?,
        None => writeln!(ctx.out, "== {}: {}", d.recipient, c.subject)?,
    }
    writeln!(ctx.out, "{}", c.body.trim_end())?;
    Ok(())
}

/// `--send`: one line per delivery, failures on stderr.
fn print_sent(ctx: &mut Ctx, c: &Composed, s: &Sent) -> Result<()> {
    let d = &c.digest;
    let retry = if s.attempt > 1 {
        format!(" (attempt {})", s.attempt)
    } else {
        String::new()
    };
    match &s.outcome {
        Ok(()) => writeln!(
            ctx.out,
            "sent {}'s digest by {} to {}: {} item(s){retry}",
            d.recipient, s.channel, s.target, s.items
        )?,
        Err(e) => writeln!(
            ctx.err,
            "FAILED to send {}'s digest by {} to {}{retry}: {e}; recorded, and the next run sends it again",
            d.recipient, s.channel, s.target
        )?,
    }
    Ok(())
}
