//! Decisions: recorded with their audit entry in one transaction.

use super::Store;
use super::audit::append;
use super::org::{from_secs, secs};
use crate::model::*;
use anyhow::{Context, Result};
use rusqlite::{Row, params};

pub use crate::model::{Decision, DecisionState, Verdict};

/// A decision about to be recorded.
#[derive(Debug, Clone)]
pub struct NewDecision {
    pub decider: String,
    pub verdict: Verdict,
    pub suggestion: Suggestion,
    pub note: Option<String>,
    pub until: Option<Time>,
}

const COLUMNS: &str = "id, at, decider, verdict, kind, person, entitlement, area, rule, reason, evidence, \
                       note, until, state, applied_at, result";

fn decision(r: &Row) -> rusqlite::Result<Decision> {
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown {what} in decisions table").into(),
        )
    };
    let verdict: String = r.get(3)?;
    let kind: String = r.get(4)?;
    let reason: String = r.get(9)?;
    let state: String = r.get(13)?;
    Ok(Decision {
        id: r.get(0)?,
        at: from_secs(r.get(1)?),
        decider: r.get(2)?,
        verdict: Verdict::parse(&verdict).ok_or_else(|| bad(3, "verdict"))?,
        suggestion: Suggestion {
            kind: Kind::parse(&kind).ok_or_else(|| bad(4, "kind"))?,
            person: r.get(5)?,
            entitlement: r.get(6)?,
            area: r.get(7)?,
            rule: r.get(8)?,
            reason: Reason::parse(&reason).ok_or_else(|| bad(9, "reason"))?,
            evidence: r.get(10)?,
        },
        note: r.get(11)?,
        until: r.get::<_, Option<i64>>(12)?.map(from_secs),
        state: DecisionState::parse(&state).ok_or_else(|| bad(13, "state"))?,
        applied_at: r.get::<_, Option<i64>>(14)?.map(from_secs),
        result: r.get(15)?,
    })
}

fn detail(d: &Decision) -> serde_json::Value {
    serde_json::json!({
        "decision": d.id,
        "verdict": d.verdict.as_str(),
        "kind": d.suggestion.kind.as_str(),
        "person": d.suggestion.person,
        "entitlement": d.suggestion.entitlement,
        "area": d.suggestion.area,
        "rule": d.suggestion.rule,
        "reason": d.suggestion.reason.as_str(),
        "evidence": d.suggestion.evidence,
        "note": d.note,
        "until": d.until.map(|u| u.to_rfc3339()),
    })
}

impl Store {
    /// Records a decision and its audit entry together.
    pub fn record_decision(&mut self, new: &NewDecision, now: Time) -> Result<Decision> {
        let state = if new.verdict.changes_upstream() {
            DecisionState::Planned
        } else {
            DecisionState::Held
        };
        let tx = self.conn.transaction()?;
        let s = &new.suggestion;
        tx.execute(
            "INSERT INTO decisions (at, decider, verdict, kind, person, entitlement, area, rule, reason, evidence,
                fingerprint, note, until, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                secs(now),
                new.decider,
                new.verdict.as_str(),
                s.kind.as_str(),
                s.person,
                s.entitlement,
                s.area,
                s.rule,
                s.reason.as_str(),
                s.evidence,
                s.fingerprint(),
                new.note,
                new.until.map(secs),
                state.as_str()
            ],
        )?;
        let d = Decision {
            id: tx.last_insert_rowid(),
            at: now,
            decider: new.decider.clone(),
            verdict: new.verdict,
            suggestion: s.clone(),
            note: new.note.clone(),
            until: new.until,
            state,
            applied_at: None,
            result: None,
        };
        append(&tx, now, &Actor::local(&new.decider), "decide", &detail(&d))?;
        tx.commit().context("cannot record the decision")?;
        Ok(d)
    }

    /// Takes back decision `id`: marked undone, with an `undo` audit entry.
    pub fn undo_decision(&mut self, id: i64, actor: &str, now: Time) -> Result<Decision> {
        let tx = self.conn.transaction()?;
        let d = tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM decisions WHERE id = ?1"),
                [id],
                decision,
            )
            .with_context(|| format!("no decision {id}"))?;
        if !matches!(d.state, DecisionState::Held | DecisionState::Planned) {
            anyhow::bail!(
                "decision {id} is {}; only held or planned decisions can be undone",
                d.state.as_str()
            );
        }
        tx.execute("UPDATE decisions SET state = 'undone' WHERE id = ?1", [id])?;
        append(&tx, now, &Actor::local(actor), "undo", &detail(&d))?;
        tx.commit()?;
        Ok(Decision {
            state: DecisionState::Undone,
            ..d
        })
    }

    /// Records the outcome of applying decision `id`, with its audit entry.
    pub fn finish_decision(
        &mut self,
        id: i64,
        ok: bool,
        result: &str,
        actor: &str,
        now: Time,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let d = tx.query_row(
            &format!("SELECT {COLUMNS} FROM decisions WHERE id = ?1"),
            [id],
            decision,
        )?;
        if d.state != DecisionState::Planned {
            // Already finished by an earlier run: nothing to do twice.
            return Ok(());
        }
        let state = if ok {
            DecisionState::Applied
        } else {
            DecisionState::Failed
        };
        tx.execute(
            "UPDATE decisions SET state = ?2, applied_at = ?3, result = ?4 WHERE id = ?1",
            params![id, state.as_str(), secs(now), result],
        )?;
        let mut det = detail(&d);
        det["result"] = serde_json::Value::String(result.to_string());
        det["ok"] = serde_json::Value::Bool(ok);
        append(&tx, now, &Actor::local(actor), "apply", &det)?;
        tx.commit()?;
        Ok(())
    }

    /// All decisions, oldest first.
    pub fn decisions(&self) -> Result<Vec<Decision>> {
        let mut st = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM decisions ORDER BY id"))?;
        let rows = st.query_map([], decision)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Accepted decisions not yet applied, oldest first.
    pub fn planned(&self) -> Result<Vec<Decision>> {
        Ok(self
            .decisions()?
            .into_iter()
            .filter(|d| d.state == DecisionState::Planned)
            .collect())
    }
}
