//! `steward plan` (accepted decisions as concrete changes) and `steward
//! apply` (carry them out upstream).

use super::Ctx;
use super::suggest::scope_for;
use crate::apply;
use crate::model::Actor;
use crate::policy::{Scope, Snapshot};
use crate::store::Store;
use anyhow::{Result, bail};
use std::io::Write;
use std::process::ExitCode;

pub fn plan(ctx: &mut Ctx, person: Option<&str>, json: bool) -> Result<ExitCode> {
    let now = ctx.now();
    let store = ctx.open_store()?;
    let snap = Snapshot::new(store.load_org()?);
    let scope = scope_for(&snap, person, now)?;
    let sources = ctx.configured_sources()?;
    let changes = apply::plan_configured(&store, &snap, &scope, &sources)?;
    if json {
        writeln!(ctx.out, "{}", crate::safe_text::json(&changes, true)?)?;
    } else if changes.is_empty() {
        writeln!(ctx.out, "nothing planned")?;
    } else {
        for c in &changes {
            writeln!(ctx.out, "#{:<4} {}", c.decision, c.describe())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn apply(ctx: &mut Ctx, actor: &Actor, dry_run: bool) -> Result<ExitCode> {
    let now = ctx.now();
    let mut store = ctx.open_store()?;
    let sources = ctx.configured_sources()?;
    // One line per change as soon as it is done (or refused); the first
    // write that fails stops the writing, not the applying.
    let mut written = Ok(());
    let out = &mut *ctx.out;
    let mut print = |p: apply::ApplyProgress<'_>| {
        if written.is_ok() {
            written = print_outcome(out, p.outcome, dry_run);
        }
    };
    let applied = apply::apply_as_configured(
        &mut store, &sources, &ctx.net, actor, now, dry_run, &mut print,
    )?;
    written?;
    for w in &applied.warnings {
        writeln!(ctx.err, "warning: {w}")?;
    }
    let outcomes = applied.outcomes;
    if outcomes.is_empty() {
        return nothing_to_apply(ctx, &store, &actor.person);
    }
    let failed = outcomes.iter().filter(|o| !o.ok).count();
    if !dry_run {
        writeln!(
            ctx.out,
            "{} applied, {failed} failed; the cache was re-synced",
            outcomes.len() - failed
        )?;
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print_outcome(out: &mut dyn Write, o: &apply::Outcome, dry_run: bool) -> std::io::Result<()> {
    if dry_run {
        writeln!(out, "would: #{} {}", o.change.decision, o.result)?;
        for r in &o.requests {
            writeln!(out, "  {r}")?;
        }
    } else {
        writeln!(
            out,
            "#{} {}: {}",
            o.change.decision,
            if o.ok { "ok" } else { "FAILED" },
            o.result
        )?;
        for r in &o.requests {
            writeln!(out, "  sent {r}")?;
        }
    }
    Ok(())
}

/// Nothing in `actor`'s scope was planned: fine if nothing is planned at
/// all, refused (naming the areas) when changes wait in areas `actor` has no
/// authority over now.
fn nothing_to_apply(ctx: &mut Ctx, store: &Store, actor: &str) -> Result<ExitCode> {
    let snap = Snapshot::new(store.load_org()?);
    let waiting = apply::plan(store, &snap, &Scope::everything(&snap))?;
    if waiting.is_empty() {
        writeln!(ctx.out, "nothing planned")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut areas: Vec<&str> = waiting.iter().map(|c| c.area.as_str()).collect();
    areas.sort_unstable();
    areas.dedup();
    bail!(
        "refused: {actor} has no authority over area {} now, where {} change(s) are planned; nothing applied",
        areas.join(", area "),
        waiting.len()
    )
}
