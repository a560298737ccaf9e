//! `steward delegate`, `delegations` and `undelegate`: authority over an
//! area's subtree, handed to someone nearer the work and taken back.

use super::Ctx;
use super::output::table;
use super::suggest::scope_for;
use crate::model::*;
use crate::policy::{self, Snapshot};
use anyhow::Result;
use std::process::ExitCode;

/// Records `actor`'s delegation; the store's gate says whether they may.
pub fn delegate(
    ctx: &mut Ctx,
    area_id: &str,
    to: &str,
    actor: &Actor,
    until: Option<String>,
) -> Result<ExitCode> {
    let now = ctx.now();
    let mut store = ctx.open_store()?;
    let until = until
        .map(|u| crate::time::parse_until(&u, now).map_err(|e| anyhow::anyhow!("--until: {e}")))
        .transpose()?;
    let made = store.add_delegation(actor, area_id, to, until, now)?;
    let snap = Snapshot::new(store.load_org()?);
    let gained: Vec<&str> = snap
        .area_idx(area_id)
        .map(|a| snap.area_subtree(a))
        .unwrap_or_default()
        .iter()
        .map(|&a| snap.org.areas[a].id.as_str())
        .collect();
    writeln!(
        ctx.out,
        "delegation {}: {to} now decides for {} ({} area(s): {}){}",
        made.id,
        area_id,
        gained.len(),
        gained.join(", "),
        until
            .map(|u| format!(" until {}", u.to_rfc3339()))
            .unwrap_or_default()
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn delegations(ctx: &mut Ctx, person: Option<&str>) -> Result<ExitCode> {
    let now = ctx.now();
    let store = ctx.open_store()?;
    let snap = Snapshot::new(store.load_org()?);
    let scope = scope_for(&snap, person, now)?;
    let local = store.local_delegations()?;
    let rows: Vec<Vec<String>> = snap
        .org
        .delegations
        .iter()
        .filter(|d| {
            snap.area_idx(&d.area).is_some_and(|a| scope.contains(a))
                || person.is_some_and(|p| d.to == p)
        })
        .map(|d| {
            let id = local
                .iter()
                .find(|l| &l.delegation == d)
                .map_or("-".to_string(), |l| l.id.to_string());
            let state = if d.active_at(now) {
                "active"
            } else if d.since > now {
                "future"
            } else {
                "ended"
            };
            vec![
                id,
                d.area.clone(),
                d.to.clone(),
                d.by.clone(),
                policy::day(d.since),
                d.until.map(policy::day).unwrap_or_else(|| "-".into()),
                state.into(),
            ]
        })
        .collect();
    if rows.is_empty() {
        writeln!(ctx.out, "no delegations")?;
    } else {
        writeln!(
            ctx.out,
            "{}",
            table(
                &["ID", "AREA", "TO", "BY", "SINCE", "UNTIL", "STATE"],
                &rows
            )
        )?;
        writeln!(ctx.err, "ID - : from the org directory; change it there")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Ends delegation `id`; the store's gate says whether `actor` may.
pub fn undelegate(ctx: &mut Ctx, id: i64, actor: &Actor) -> Result<ExitCode> {
    let now = ctx.now();
    let mut store = ctx.open_store()?;
    let ended = store.end_delegation(actor, id, now)?;
    writeln!(
        ctx.out,
        "delegation {id} of {} to {} ended at {}",
        ended.delegation.area,
        ended.delegation.to,
        now.to_rfc3339()
    )?;
    Ok(ExitCode::SUCCESS)
}
