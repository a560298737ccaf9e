//! `steward suggest` (what to decide), `steward why` (one person and
//! entitlement explained) and `steward check` (references that lead nowhere).

use super::Ctx;
use super::args::OrgArg;
use super::output::{suggestion_table, suggestions_json};
use crate::model::*;
use crate::policy::{self, Scope, Snapshot, check, explain};
use anyhow::{Result, bail};
use std::process::ExitCode;

pub fn check(ctx: &mut Ctx, org: &OrgArg) -> Result<ExitCode> {
    let snap = ctx.snapshot(org)?;
    let problems = check::problems(&snap);
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
    let snap = match person {
        // One owner's part of a large organization: read only that part.
        Some(p) if org.org.is_none() => {
            let store = ctx.open_store()?;
            match store.scope_is_small(p, now)? {
                true => Snapshot::new(store.load_scope(p, now)?),
                false => Snapshot::new(store.load_org()?),
            }
        }
        _ => ctx.snapshot(org)?,
    };
    let scope = scope_for(&snap, person, now)?;
    if person.is_none() {
        // Said on stderr: stdout stays the list (or the JSON) alone.
        writeln!(
            ctx.err,
            "no --as and no `me` in the config: every suggestion in the organization, whoever owns it"
        )?;
    }
    let mut list = policy::suggestions(&snap, &scope, now);
    let mut hidden = 0;
    if org.org.is_none() && !all {
        let decisions = ctx.open_store()?.decisions()?;
        let before = list.len();
        list = policy::undecided(list, &decisions, now);
        hidden = before - list.len();
    }
    if json {
        writeln!(ctx.out, "{}", suggestions_json(&list))?;
    } else if list.is_empty() {
        writeln!(
            ctx.out,
            "nothing to decide{}",
            person.map(|p| format!(" for {p}")).unwrap_or_default()
        )?;
    } else {
        writeln!(ctx.out, "{}", suggestion_table(&list))?;
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
