//! `steward suggest` (what to decide), `steward why` (one person and
//! entitlement explained) and `steward check` (references that lead nowhere).

use super::Ctx;
use super::args::OrgArg;
use super::output::{JsonArray, suggestion_table, suggestions_json};
use crate::model::*;
use crate::policy::{self, Scope, Snapshot, check, explain};
use crate::store::Store;
use anyhow::{Result, bail};
use std::process::ExitCode;

pub fn check(ctx: &mut Ctx, org: &OrgArg) -> Result<ExitCode> {
    let snap = ctx.snapshot(org)?;
    let problems = match org.org {
        Some(_) => check::problems(&snap),
        None => {
            let sources = ctx.configured_sources()?;
            let store = ctx.open_store()?;
            // An area is named where its source read it (a catalog's file:line).
            let mut found = check::problems_at(&snap, &store.all_origins()?);
            found.extend(crate::apply::unappliable(&store, &snap, &sources)?);
            found
        }
    };
    for p in &problems {
        writeln!(ctx.out, "{p}")?;
    }
    if problems.is_empty() {
        writeln!(ctx.err, "no problems found")?;
        Ok(ExitCode::SUCCESS)
    } else {
        writeln!(ctx.err, "{} problem(s)", problems.len())?;
        Ok(ExitCode::FAILURE)
    }
}

pub fn scope_for(snap: &Snapshot, person: Option<&str>, now: Time) -> Result<Scope> {
    match person {
        None => Ok(Scope::everything(snap)),
        Some(p) => {
            if snap.person(p).is_none() {
                bail!("unknown person {p:?} (not on the roster)");
            }
            Ok(Scope::of(snap, p, now))
        }
    }
}

pub fn suggest(
    ctx: &mut Ctx,
    org: &OrgArg,
    person: Option<&str>,
    json: bool,
    all: bool,
) -> Result<ExitCode> {
    let now = ctx.now();
    if person.is_none() {
        // Said on stderr: stdout stays the list (or the JSON) alone.
        writeln!(
            ctx.err,
            "no --as and no `me` in the config: every suggestion in the organization, whoever owns it"
        )?;
    }
    if org.org.is_some() {
        // An org directory: read whole, nothing decided about it.
        let snap = ctx.snapshot(org)?;
        let scope = scope_for(&snap, person, now)?;
        let list = policy::suggestions(&snap, &scope, now);
        return show(ctx, &list, person, json, 0);
    }
    let store = ctx.open_store()?;
    let decisions = if all { Vec::new() } else { store.decisions()? };
    // Over SSH: what the server keeps evaluated, when it is current.
    let resident = ctx.served_session().and_then(|s| s.resident.clone());
    if let Some((p, r)) = person.zip(resident)
        && let Some(list) = r.suggestions(&store, p, now)
    {
        return show_undecided(ctx, list, person, json, &decisions, now);
    }
    match person {
        // One owner's part of a large organization: read only that part.
        Some(p) if store.scope_is_small(p, now)? => {
            let snap = Snapshot::new(store.load_scope(p, now)?);
            let scope = scope_for(&snap, person, now)?;
            let list = policy::suggestions(&snap, &scope, now);
            show_undecided(ctx, list, person, json, &decisions, now)
        }
        _ => by_area(ctx, &store, person, json, &decisions, now),
    }
}

/// The list less what a decision holds out of the queue.
fn show_undecided(
    ctx: &mut Ctx,
    list: Vec<Suggestion>,
    person: Option<&str>,
    json: bool,
    decisions: &[Decision],
    now: Time,
) -> Result<ExitCode> {
    let before = list.len();
    let list = policy::undecided(list, decisions, now);
    let hidden = before - list.len();
    show(ctx, &list, person, json, hidden)
}

/// The whole organization, or a large scope, evaluated area by area; the
/// JSON array written as each area is evaluated.
fn by_area(
    ctx: &mut Ctx,
    store: &Store,
    person: Option<&str>,
    json: bool,
    decisions: &[Decision],
    now: Time,
) -> Result<ExitCode> {
    let decided = policy::Decided::new(decisions);
    let mut hidden = 0;
    let mut written: std::io::Result<()> = Ok(());
    if json {
        let mut out = JsonArray::start(&mut *ctx.out);
        store.evaluate_by_area(person, now, |_, list| {
            for s in list {
                if decided.holds(s, now) {
                    hidden += 1;
                } else if let Err(e) = out.push(s) {
                    written = Err(e);
                    return false;
                }
            }
            true
        })?;
        written?;
        out.end()?;
        writeln!(ctx.out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut list = Vec::new();
    store.evaluate_by_area(person, now, |_, area| {
        let (held, pending): (Vec<&Suggestion>, Vec<&Suggestion>) =
            area.iter().partition(|s| decided.holds(s, now));
        hidden += held.len();
        list.extend(pending.into_iter().cloned());
        true
    })?;
    show(ctx, &list, person, false, hidden)
}

/// The list as a table (with its counts on stderr), or as JSON.
fn show(
    ctx: &mut Ctx,
    list: &[Suggestion],
    person: Option<&str>,
    json: bool,
    hidden: usize,
) -> Result<ExitCode> {
    if json {
        writeln!(ctx.out, "{}", suggestions_json(list))?;
    } else if list.is_empty() {
        writeln!(
            ctx.out,
            "nothing to decide{}",
            person.map(|p| format!(" for {p}")).unwrap_or_default()
        )?;
    } else {
        writeln!(ctx.out, "{}", suggestion_table(list))?;
        let count = |k: Kind| list.iter().filter(|s| s.kind == k).count();
        writeln!(
            ctx.err,
            "\n{} grant, {} revoke, {} review{}",
            count(Kind::Grant),
            count(Kind::Revoke),
            count(Kind::Review),
            if hidden > 0 {
                format!("; {hidden} already decided (--all shows them)")
            } else {
                String::new()
            }
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn why(ctx: &mut Ctx, person: &str, entitlement: &str, org: &OrgArg) -> Result<ExitCode> {
    let snap = ctx.snapshot(org)?;
    let text = explain::why(&snap, person, entitlement, ctx.now()).map_err(anyhow::Error::msg)?;
    writeln!(ctx.out, "{text}")?;
    Ok(ExitCode::SUCCESS)
}
