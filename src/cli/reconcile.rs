//! `steward reconcile [--dry-run] [--release AREA]`: carry out what the
//! automatic rules imply, and say what the guards held back.

use super::Ctx;
use super::args::AsArg;
use crate::apply::{ApplyProgress, Outcome};
use crate::policy::auto::{AutoChange, Held, Hold};
use crate::reconcile::{self, Options, Report};
use anyhow::Result;
use std::io::Write;
use std::process::ExitCode;

pub fn reconcile(
    ctx: &mut Ctx,
    dry_run: bool,
    release: Option<&str>,
    who: &AsArg,
) -> Result<ExitCode> {
    let actor = match release {
        Some(_) => Some(ctx.actor(who)?),
        None => None,
    };
    let now = ctx.now();
    let mut store = ctx.open_store()?;
    let sources = ctx.configured_sources()?;
    let options = Options {
        dry_run,
        release: actor.as_ref().zip(release),
    };
    // One line per change as it finishes; the first write that fails
    // stops the writing, not the reconciling.
    let mut written = Ok(());
    let out = &mut *ctx.out;
    let mut print = |p: ApplyProgress<'_>| {
        if written.is_ok() {
            written = print_outcome(out, p.outcome);
        }
    };
    let report = reconcile::run(&mut store, &sources, &ctx.net, now, options, &mut print)?;
    written?;
    for w in &report.warnings {
        writeln!(ctx.err, "warning: {w}")?;
    }
    summarize(ctx.out, &report)?;
    Ok(ExitCode::from(report.exit_code()))
}

fn print_outcome(out: &mut dyn Write, o: &Outcome) -> std::io::Result<()> {
    writeln!(
        out,
        "#{} {}: {}",
        o.change.decision,
        if o.ok { "ok" } else { "FAILED" },
        o.result
    )
}

/// `grant ana -> db:read (rule r, with the consent of priya, owner of area
/// db): member of team ...`.
fn line(c: &AutoChange) -> String {
    format!(
        "{} (with the consent of {}, {}): {}",
        c.summary(),
        c.author,
        c.ground,
        c.suggestion.evidence
    )
}

fn summarize(out: &mut dyn Write, r: &Report) -> Result<()> {
    if r.dry_run {
        for c in &r.due {
            writeln!(out, "would: {}", line(c))?;
        }
    }
    for (c, why) in &r.refused {
        writeln!(out, "refused: {}: {why}", c.summary())?;
    }
    for h in &r.held {
        held(out, h)?;
    }
    let held: usize = r.held.iter().map(|h| h.changes.len()).sum();
    let too_many = r
        .held
        .iter()
        .filter(|h| matches!(h.hold, Hold::TooMany { .. }))
        .count();
    let released = r
        .released
        .as_ref()
        .map(|a| format!(" (area {a} released)"))
        .unwrap_or_default();
    if r.dry_run {
        writeln!(
            out,
            "dry run: {} automatic change(s) due, {held} held back ({too_many} area(s) over max_auto_changes){released}; nothing changed",
            r.due.len()
        )?;
    } else if r.outcomes.is_empty() && r.held.is_empty() && r.refused.is_empty() {
        writeln!(out, "nothing due: the automatic rules' grants are in place")?;
    } else {
        let failed = r.failed();
        writeln!(
            out,
            "{} applied, {failed} failed, {held} held back ({too_many} area(s) over max_auto_changes){released}",
            r.outcomes.iter().filter(|o| o.ok).count()
        )?;
    }
    Ok(())
}

fn held(out: &mut dyn Write, h: &Held) -> Result<()> {
    let what = match h.hold {
        Hold::TooMany { .. } => "HELD BACK",
        Hold::Stale { .. } => "WAITING",
    };
    writeln!(out, "{what}: area {}: {}", h.area, h.hold.describe(&h.area))?;
    for c in &h.changes {
        writeln!(out, "  {}", line(c))?;
    }
    Ok(())
}
