//! Decisions: each passes the gate inside the write transaction that
//! records it with its audit entry.

use super::Store;
use super::audit::append;
use super::epoch::{from_secs, secs};
use super::error::{Doing, Error, Result};
use crate::model::*;
use crate::policy::Snapshot;
use crate::policy::gate::{self, Action, Permit};
use rusqlite::{OptionalExtension, params};

pub use crate::model::{Decision, DecisionState, Verdict};

/// A decision about to be recorded (the decider is the actor recording it).
#[derive(Debug, Clone)]
pub struct NewDecision {
    pub verdict: Verdict,
    pub suggestion: Suggestion,
    pub note: Option<String>,
    pub until: Option<Time>,
}

pub(super) const COLUMNS: &str = "id, at, decider, verdict, kind, person, entitlement, area, rule, reason, \
                       evidence, note, until, state, applied_at, result, origin";

/// How the `origin` column says where a decision comes from: NULL for its
/// decider, `rule:ID` for an automatic rule, `undoes:N` for the undoing of
/// automatic change N.
pub(super) fn origin_text(o: &Origin) -> Option<String> {
    match o {
        Origin::Person => None,
        Origin::Rule(id) => Some(format!("rule:{id}")),
        Origin::Undoes(n) => Some(format!("undoes:{n}")),
    }
}

fn parse_origin(text: Option<&str>) -> Option<Origin> {
    let Some(text) = text else {
        return Some(Origin::Person);
    };
    if let Some(id) = text.strip_prefix("rule:").filter(|id| !id.is_empty()) {
        return Some(Origin::Rule(id.to_string()));
    }
    text.strip_prefix("undoes:")
        .and_then(|n| n.parse().ok())
        .map(Origin::Undoes)
}

pub(super) fn decision(r: &rusqlite::Row) -> rusqlite::Result<Decision> {
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
    let origin: Option<String> = r.get(16)?;
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
        origin: parse_origin(origin.as_deref()).ok_or_else(|| bad(16, "origin"))?,
    })
}

/// Decision `id`, or [`Error::NotFound`].
pub(super) fn one(tx: &rusqlite::Transaction, id: i64) -> Result<Decision> {
    tx.query_row(
        &format!("SELECT {COLUMNS} FROM decisions WHERE id = ?1"),
        [id],
        decision,
    )
    .optional()?
    .ok_or_else(|| Error::NotFound(format!("no decision {id}")))
}

/// What the audit entry of a decision says; `"self": true` when the root
/// owner decided about their own access.
pub(super) fn detail(d: &Decision, own_access: bool) -> serde_json::Value {
    let mut v = serde_json::json!({
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
    });
    if own_access {
        v["self"] = serde_json::Value::Bool(true);
    }
    match &d.origin {
        Origin::Person => {}
        Origin::Rule(rule) => {
            v["by_rule"] = rule.as_str().into();
            v["consent_of"] = d.decider.as_str().into();
        }
        Origin::Undoes(n) => v["undoes"] = (*n).into(),
    }
    v
}

/// A decision row about to be written.
pub(super) struct Row<'a> {
    pub decider: &'a str,
    pub verdict: Verdict,
    pub suggestion: &'a Suggestion,
    pub note: Option<&'a str>,
    pub until: Option<Time>,
    pub state: DecisionState,
    pub origin: &'a Origin,
}

/// Writes one decision row (no audit entry): the decision as recorded.
pub(super) fn insert_row(tx: &rusqlite::Transaction, row: Row<'_>, now: Time) -> Result<Decision> {
    let s = row.suggestion;
    tx.execute(
        "INSERT INTO decisions (at, decider, verdict, kind, person, entitlement, area, rule, reason, evidence,
            fingerprint, note, until, state, origin)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            secs(now),
            row.decider,
            row.verdict.as_str(),
            s.kind.as_str(),
            s.person,
            s.entitlement,
            s.area,
            s.rule,
            s.reason.as_str(),
            s.evidence,
            s.fingerprint(),
            row.note,
            row.until.map(secs),
            row.state.as_str(),
            origin_text(row.origin)
        ],
    )?;
    Ok(Decision {
        id: tx.last_insert_rowid(),
        at: now,
        decider: row.decider.to_string(),
        verdict: row.verdict,
        suggestion: s.clone(),
        note: row.note.map(str::to_string),
        until: row.until,
        state: row.state,
        applied_at: None,
        result: None,
        origin: row.origin.clone(),
    })
}

/// Inserts one admitted decision and its `decide` audit entry.
fn insert(
    tx: &rusqlite::Transaction,
    actor: &Actor,
    new: &NewDecision,
    permit: &Permit,
    now: Time,
) -> Result<Decision> {
    let state = if new.verdict.changes_upstream() {
        DecisionState::Planned
    } else {
        DecisionState::Held
    };
    let row = Row {
        decider: &actor.person,
        verdict: new.verdict,
        suggestion: &new.suggestion,
        note: new.note.as_deref(),
        until: new.until,
        state,
        origin: &Origin::Person,
    };
    let d = insert_row(tx, row, now)?;
    append(tx, now, actor, "decide", &detail(&d, permit.own_access)).map_err(Error::audit)?;
    Ok(d)
}

/// Records, inside `tx`, the outcome of applying decision `id` with its
/// `apply` audit entry; nothing when an earlier run already finished it.
fn finish(
    tx: &rusqlite::Transaction,
    actor: &Actor,
    id: i64,
    ok: bool,
    result: &str,
    now: Time,
) -> Result<()> {
    let d = one(tx, id)?;
    if d.state != DecisionState::Planned {
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
    let mut det = detail(&d, false);
    det["result"] = serde_json::Value::String(result.to_string());
    det["ok"] = serde_json::Value::Bool(ok);
    append(tx, now, actor, "apply", &det).map_err(Error::audit)?;
    Ok(())
}

impl Store {
    /// Records `actor`'s decision and its audit entry together, once the
    /// gate admits it on the organization as the transaction sees it.
    pub fn record_decision(
        &mut self,
        actor: &Actor,
        new: &NewDecision,
        now: Time,
    ) -> Result<Decision> {
        let mut made = self.record_decisions(actor, std::slice::from_ref(new), now)?;
        made.pop()
            .ok_or_else(|| Error::NotFound("no decision was recorded".into()))
    }

    /// Records `actor`'s decisions in one transaction: each passes the gate,
    /// and one refusal records none of them.
    pub fn record_decisions(
        &mut self,
        actor: &Actor,
        news: &[NewDecision],
        now: Time,
    ) -> Result<Vec<Decision>> {
        let tx = self.conn.transaction()?;
        let snap = Snapshot::new(Store::read_for_gate(&tx)?);
        let mut made = Vec::with_capacity(news.len());
        for new in news {
            let decide = Action::Decide {
                verdict: new.verdict,
                suggestion: &new.suggestion,
                note: new.note.as_deref(),
                until: new.until,
            };
            let permit = gate::check(actor, &decide, &snap, now)?;
            made.push(insert(&tx, actor, new, &permit, now)?);
        }
        tx.commit().doing("cannot record the decision")?;
        Ok(made)
    }

    /// Takes back decision `id`: marked undone, with an `undo` audit entry,
    /// once the gate admits it.
    pub fn undo_decision(&mut self, actor: &Actor, id: i64, now: Time) -> Result<Decision> {
        let tx = self.conn.transaction()?;
        let d = one(&tx, id)?;
        let snap = Snapshot::new(Store::read_for_gate(&tx)?);
        let permit = gate::check(actor, &Action::Undo { decision: &d }, &snap, now)?;
        if let Origin::Rule(rule) = &d.origin {
            return Err(Error::Conflict(format!(
                "decision {id} is rule {rule}'s automatic change: undo it with a reason (`steward undo {id} --reason TEXT`), and it stays undone until the facts change"
            )));
        }
        if !matches!(d.state, DecisionState::Held | DecisionState::Planned) {
            return Err(Error::Conflict(format!(
                "decision {id} is {}; only held or planned decisions can be undone",
                d.state.as_str()
            )));
        }
        tx.execute("UPDATE decisions SET state = 'undone' WHERE id = ?1", [id])?;
        append(&tx, now, actor, "undo", &detail(&d, permit.own_access)).map_err(Error::audit)?;
        tx.commit().doing("cannot record the undo")?;
        Ok(Decision {
            state: DecisionState::Undone,
            ..d
        })
    }

    /// Records the outcome of applying decision `id` (by `actor`), with its
    /// audit entry. The gate ran before the change went upstream
    /// (`Action::Apply`); a refusal is recorded here as a failure, its text
    /// the result.
    pub fn finish_decision(
        &mut self,
        actor: &Actor,
        id: i64,
        ok: bool,
        result: &str,
        now: Time,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        finish(&tx, actor, id, ok, result, now)?;
        tx.commit().doing("cannot record the apply")?;
        Ok(())
    }

    /// [`Store::finish_decision`] for many, in one transaction: each
    /// `(actor, id, ok, result)` still planned is recorded with its audit
    /// entry; with `confirm`, the cache's grants of the pairs it names
    /// become the rows it gives (what the source now holds), in the same
    /// transaction.
    pub fn finish_decisions(
        &mut self,
        finished: &[(Actor, i64, bool, String)],
        confirm: Option<super::GrantsOf<'_>>,
        now: Time,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (actor, id, ok, result) in finished {
            finish(&tx, actor, *id, *ok, result, now)?;
        }
        if let Some(c) = confirm {
            super::confirmed_grants::replace_grants_of(&tx, &c)?;
        }
        tx.commit().doing("cannot record the apply")?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::gate::Why;
    use crate::store::fixture::{actor, grant, now, org, store};

    fn accept(s: Suggestion) -> NewDecision {
        NewDecision {
            verdict: Verdict::Accept,
            suggestion: s,
            note: None,
            until: None,
        }
    }

    fn refused(e: Error) -> Why {
        match e {
            Error::Refused(r) => *r.why,
            other => panic!("not a refusal: {other}"),
        }
    }

    #[test]
    fn a_decision_passes_the_gate_in_its_transaction_and_is_audited_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store(dir.path());
        let err = store
            .record_decision(&actor("eve"), &accept(grant("ana", "pay:read")), now())
            .unwrap_err();
        assert!(matches!(refused(err), Why::NoAuthority { .. }));
        // A revoke answers a review only.
        let mut revoke = accept(grant("ana", "pay:read"));
        revoke.verdict = Verdict::Revoke;
        let err = store
            .record_decision(&actor("priya"), &revoke, now())
            .unwrap_err();
        assert!(matches!(refused(err), Why::DoesNotFit { .. }));
        // dana, a delegate, about her own access: priya decides it.
        let err = store
            .record_decision(&actor("dana"), &accept(grant("dana", "pay:admin")), now())
            .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("priya (owner of area pay) decides it"),
            "{err}"
        );
        assert!(store.decisions().unwrap().is_empty());
        assert_eq!(store.verify_audit().unwrap(), Ok(0));

        let d = store
            .record_decision(&actor("dana"), &accept(grant("ana", "pay:read")), now())
            .unwrap();
        assert_eq!(
            (d.decider.as_str(), d.state),
            ("dana", DecisionState::Planned)
        );
        let entries = store.audit_entries(None).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].actor, "dana");
        assert!(
            !entries[0].detail.contains("\"self\""),
            "{}",
            entries[0].detail
        );
    }

    #[test]
    fn a_batch_is_recorded_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store(dir.path());
        let batch = [
            accept(grant("ana", "pay:read")),
            accept(grant("priya", "pay:admin")),
        ];
        let err = store
            .record_decisions(&actor("priya"), &batch, now())
            .unwrap_err();
        assert!(matches!(refused(err), Why::OwnAccess { .. }));
        assert!(store.decisions().unwrap().is_empty());
        let made = store
            .record_decisions(&actor("root"), &batch, now())
            .unwrap();
        assert_eq!(made.len(), 2);
        assert_eq!(store.verify_audit().unwrap(), Ok(2));
    }

    #[test]
    fn the_root_owner_about_themselves_is_recorded_as_self() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store(dir.path());
        let mut own = grant("root", "web:read");
        own.area = "web".into();
        store
            .record_decision(&actor("root"), &accept(own), now())
            .unwrap();
        let entries = store.audit_entries(None).unwrap();
        let detail: serde_json::Value = serde_json::from_str(&entries[0].detail).unwrap();
        assert_eq!(detail["self"], serde_json::Value::Bool(true));
    }

    #[test]
    fn undo_passes_the_gate_and_needs_a_decision_that_can_be_undone() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store(dir.path());
        let d = store
            .record_decision(&actor("priya"), &accept(grant("ana", "pay:read")), now())
            .unwrap();
        let err = store.undo_decision(&actor("eve"), d.id, now()).unwrap_err();
        assert!(matches!(refused(err), Why::NoAuthority { .. }));
        let err = store.undo_decision(&actor("priya"), 99, now()).unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err}");
        let undone = store.undo_decision(&actor("dana"), d.id, now()).unwrap();
        assert_eq!(undone.state, DecisionState::Undone);
        let err = store
            .undo_decision(&actor("priya"), d.id, now())
            .unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err}");
        assert_eq!(store.verify_audit().unwrap(), Ok(2));
    }

    #[test]
    fn a_delegation_ended_by_another_connection_is_seen_by_the_next_decision() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store(dir.path());
        // Another connection (a sync) drops dana's delegation.
        let mut other = Store::open(&dir.path().join("c.db")).unwrap();
        let mut without = org();
        without.delegations.clear();
        other
            .replace_source(&crate::sync::files_source_info(dir.path()), &without, now())
            .unwrap();
        let err = store
            .record_decision(&actor("dana"), &accept(grant("ana", "pay:read")), now())
            .unwrap_err();
        assert!(matches!(refused(err), Why::NoAuthority { .. }));
    }
}
