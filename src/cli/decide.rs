//! `steward decide` (accept, revoke, dismiss, snooze a suggestion) and
//! `steward undo` (take a decision back).

use super::Ctx;
use super::args::VerdictArg;
use crate::model::*;
use crate::policy::{self, Scope, Snapshot};
use crate::store::NewDecision;
use anyhow::{Context, Result, bail};
use std::process::ExitCode;

/// What `steward decide` was asked.
pub struct Asked<'a> {
    pub verdict: VerdictArg,
    pub person: &'a str,
    pub entitlement: &'a str,
    pub reason: Option<String>,
    pub until: Option<String>,
}

/// Records `actor`'s decision; the store's gate says whether they may.
pub fn decide(ctx: &mut Ctx, asked: Asked<'_>, actor: &Actor) -> Result<ExitCode> {
    let Asked {
        verdict,
        person,
        entitlement,
        reason,
        until,
    } = asked;
    let decider = actor.person.as_str();
    let now = ctx.now();
    let mut store = ctx.open_store()?;
    let snap = Snapshot::new(store.load_org()?);
    if snap.person(decider).is_none() {
        bail!("unknown decider {decider:?} (not on the roster)");
    }
    if snap.entitlement(entitlement).is_none() {
        bail!("unknown entitlement {entitlement:?}");
    }
    let list = policy::suggestions(&snap, &Scope::everything(&snap), now);
    let Some(suggestion) = list
        .into_iter()
        .find(|s| s.person == person && s.entitlement == entitlement)
    else {
        if snap.person(person).is_none() && !snap.org.grants.iter().any(|g| g.person == person) {
            bail!("unknown person {person:?}");
        }
        bail!(
            "no suggestion for {person} and {entitlement} now (`steward why {person} {entitlement}` explains)"
        );
    };
    let verdict = match verdict {
        VerdictArg::Accept => Verdict::Accept,
        VerdictArg::Dismiss => Verdict::Dismiss,
        VerdictArg::Snooze => Verdict::Snooze,
        VerdictArg::Revoke => Verdict::Revoke,
    };
    if verdict == Verdict::Dismiss && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        bail!("dismissing needs --reason TEXT: the next person to look will want to know why");
    }
    let until = match (verdict, until) {
        (Verdict::Snooze, None) => {
            bail!(
                "snoozing needs --until (a date like {}, or a span like 3d, 2w)",
                (now + chrono::Duration::days(30)).format("%Y-%m-%d")
            )
        }
        (Verdict::Snooze, Some(u)) => {
            let t =
                crate::time::parse_until(&u, now).map_err(|e| anyhow::anyhow!("--until: {e}"))?;
            if t <= now {
                bail!("--until {u} is not after now ({})", now.to_rfc3339());
            }
            Some(t)
        }
        (_, Some(_)) => bail!("--until only goes with snooze"),
        (_, None) => None,
    };
    let d = store.record_decision(
        actor,
        &NewDecision {
            verdict,
            suggestion,
            note: reason,
            until,
        },
        now,
    )?;
    writeln!(
        ctx.out,
        "recorded decision {}: {} {} {} -> {} ({})",
        d.id,
        decider,
        verdict.as_str(),
        d.suggestion.kind.as_str(),
        format_args!("{} {}", d.suggestion.person, d.suggestion.entitlement),
        d.suggestion.evidence
    )?;
    if verdict.changes_upstream() {
        writeln!(
            ctx.out,
            "`steward plan` shows the change; `steward apply --as {decider}` carries it out"
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Takes back decision `id` (or `actor`'s latest that can be); the store's
/// gate says whether they may.
pub fn undo(
    ctx: &mut Ctx,
    id: Option<i64>,
    actor: &Actor,
    reason: Option<&str>,
) -> Result<ExitCode> {
    let now = ctx.now();
    let mut store = ctx.open_store()?;
    let decisions = store.decisions()?;
    let target = match id {
        Some(id) => decisions
            .iter()
            .find(|d| d.id == id)
            .with_context(|| format!("no decision {id}"))?,
        None => decisions
            .iter()
            .rev()
            .find(|d| {
                d.decider == actor.person
                    && d.origin == Origin::Person
                    && matches!(d.state, DecisionState::Held | DecisionState::Planned)
            })
            .with_context(|| format!("{} has no decision that can be undone", actor.person))?,
    };
    if let Origin::Rule(rule) = &target.origin {
        let reason = reason.with_context(|| {
            format!(
                "decision {} is rule {rule}'s automatic change: undoing it keeps it undone until the facts change, so say why (--reason TEXT)",
                target.id
            )
        })?;
        let kept = store.undo_automatic(actor, target.id, reason, now)?;
        let s = &kept.suggestion;
        writeln!(
            ctx.out,
            "undone automatic change {} (rule {rule}: {} {} -> {}): kept undone until the facts change (decision {}, dismissed: {reason})",
            target.id,
            s.kind.as_str(),
            s.person,
            s.entitlement,
            kept.id
        )?;
        if kept.state == DecisionState::Planned {
            writeln!(
                ctx.out,
                "`steward apply --as {}` reverses it upstream",
                actor.person
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let d = store.undo_decision(actor, target.id, now)?;
    writeln!(
        ctx.out,
        "undone decision {}: {} {} {} (the audit log keeps both)",
        d.id,
        d.verdict.as_str(),
        d.suggestion.person,
        d.suggestion.entitlement
    )?;
    Ok(ExitCode::SUCCESS)
}
