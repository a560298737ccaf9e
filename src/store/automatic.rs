//! Automatic rules in the cache: the changes they carry out (decisions whose
//! origin is the rule, with its author as decider), their undoing, what a
//! run held back and why, and which sources they must not rest on now.

use super::audit::append;
use super::decisions::{self, COLUMNS, Row, detail, insert_row, one};
use super::epoch::{from_secs, secs};
use super::error::{Doing, Error, Result};
use super::{Standing, Store};
use crate::model::*;
use crate::policy::auto::{AutoChange, Fact, Held, Untrusted};
use crate::policy::gate::{self, Action};
use crate::policy::{Snapshot, minute};
use rusqlite::params;

/// What recording a run's automatic changes came to.
#[derive(Debug, Default)]
pub struct Recorded {
    /// The decisions recorded, planned, in the order given.
    pub decisions: Vec<Decision>,
    /// Changes the gate refused inside the transaction (the rule stopped
    /// counting meanwhile), each with the refusal.
    pub refused: Vec<(AutoChange, String)>,
}

/// One area's automatic changes held back, as the last run left them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HeldBack {
    pub area: String,
    /// `too_many` or `stale`.
    pub why: String,
    /// The reason in a sentence.
    pub reason: String,
    /// Since when the area's changes have been held back for this reason.
    pub since: Time,
    /// When the last run held them back.
    pub at: Time,
    /// One line per change (`grant ana -> db:read (rule r)`).
    pub changes: Vec<String>,
}

/// The cache's table a fact lives in.
fn table_of(f: Fact) -> &'static [&'static str] {
    match f {
        Fact::People => &["people"],
        Fact::Teams => &["teams"],
        Fact::Rotations => &["rotations", "shifts"],
        Fact::Trainings => &["trainings"],
        Fact::Areas => &["areas"],
        Fact::Entitlements => &["entitlements"],
        Fact::Grants => &["grants"],
        Fact::Delegations => &["delegations"],
        Fact::Rules => &["rules"],
    }
}

impl Store {
    /// Records automatic `changes` as planned decisions of their rules, each
    /// with an `auto` audit entry (the rule, its author's consent and
    /// authority, the evidence), in one transaction. The gate admits each
    /// on the organization as the transaction sees it; what it refuses is
    /// returned, not recorded.
    pub fn record_automatic(
        &mut self,
        rules: &[Rule],
        changes: &[AutoChange],
        now: Time,
    ) -> Result<Recorded> {
        let tx = self.conn.transaction()?;
        let snap = Snapshot::new(Store::read_for_gate(&tx)?);
        let mut out = Recorded::default();
        for c in changes {
            let Some(rule) = rules.iter().find(|r| r.id == c.rule) else {
                out.refused
                    .push((c.clone(), format!("rule {} is gone", c.rule)));
                continue;
            };
            let actor = Actor::local(&rule.author);
            let action = Action::Auto {
                rule,
                suggestion: &c.suggestion,
            };
            let permit = match gate::check(&actor, &action, &snap, now) {
                Ok(p) => p,
                Err(refusal) => {
                    out.refused.push((c.clone(), refusal.to_string()));
                    continue;
                }
            };
            let row = Row {
                decider: &rule.author,
                verdict: Verdict::Accept,
                suggestion: &c.suggestion,
                note: None,
                until: None,
                state: DecisionState::Planned,
                origin: &Origin::Rule(rule.id.clone()),
            };
            let d = insert_row(&tx, row, now)?;
            let mut det = detail(&d, permit.own_access);
            det["authority"] = permit.ground.to_string().into();
            append(&tx, now, &actor, "auto", &det).map_err(Error::audit)?;
            out.decisions.push(d);
        }
        tx.commit().doing("cannot record the automatic changes")?;
        Ok(out)
    }

    /// Automatic changes recorded and not yet carried out (a run that
    /// stopped midway), oldest first.
    pub fn planned_automatic(&self) -> Result<Vec<Decision>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM decisions WHERE state = 'planned' AND origin LIKE 'rule:%' ORDER BY id"
        ))?;
        let rows = st.query_map([], decisions::decision)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Automatic changes carried out after `since`, oldest first.
    pub fn automatic_applied_since(&self, since: Option<Time>) -> Result<Vec<Decision>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM decisions WHERE state = 'applied' AND origin LIKE 'rule:%'
             AND applied_at > ?1 ORDER BY id"
        ))?;
        let rows = st.query_map([since.map_or(i64::MIN, secs)], decisions::decision)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Takes back automatic change `id` for good: `actor` (through the
    /// gate, as any undo) records a dismissal of the rule's suggestion with
    /// `reason`, which holds until the facts change. A change not yet
    /// carried out is marked undone; one carried out is reversed by the
    /// dismissal, planned (`apply` carries it out). Returns the dismissal.
    pub fn undo_automatic(
        &mut self,
        actor: &Actor,
        id: i64,
        reason: &str,
        now: Time,
    ) -> Result<Decision> {
        if reason.trim().is_empty() {
            return Err(Error::Invalid(format!(
                "undoing automatic change {id} keeps it undone until the facts change: say why (--reason TEXT)"
            )));
        }
        let tx = self.conn.transaction()?;
        let d = one(&tx, id)?;
        let Origin::Rule(rule) = &d.origin else {
            return Err(Error::Conflict(format!(
                "decision {id} was not made by an automatic rule"
            )));
        };
        let snap = Snapshot::new(Store::read_for_gate(&tx)?);
        let permit = gate::check(actor, &Action::Undo { decision: &d }, &snap, now)?;
        let (state, origin) = match d.state {
            DecisionState::Planned => {
                tx.execute("UPDATE decisions SET state = 'undone' WHERE id = ?1", [id])?;
                (DecisionState::Held, Origin::Person)
            }
            DecisionState::Applied if undone_already(&tx, id)? => {
                return Err(Error::Conflict(format!(
                    "automatic change {id} (rule {rule}) is already undone"
                )));
            }
            DecisionState::Applied => (DecisionState::Planned, Origin::Undoes(id)),
            other => {
                return Err(Error::Conflict(format!(
                    "automatic change {id} is {}; nothing to undo",
                    other.as_str()
                )));
            }
        };
        let row = Row {
            decider: &actor.person,
            verdict: Verdict::Dismiss,
            suggestion: &d.suggestion,
            note: Some(reason),
            until: None,
            state,
            origin: &origin,
        };
        let kept = insert_row(&tx, row, now)?;
        let mut det = detail(&kept, permit.own_access);
        det["undoes"] = id.into();
        det["rule"] = rule.as_str().into();
        append(&tx, now, actor, "undo", &det).map_err(Error::audit)?;
        tx.commit().doing("cannot record the undo")?;
        Ok(kept)
    }

    /// The sources whose data automatic changes must not rest on now: each
    /// whose last sync failed or was held back by the shrink guard (its
    /// [`super::Standing`] is not trustworthy), with what it provides (the
    /// tables it has rows in; all of them when it has none, since what it
    /// would provide is then unknown).
    pub fn untrusted_sources(&self) -> Result<Vec<Untrusted>> {
        let mut out = Vec::new();
        for (name, standing) in self.standings()? {
            let why = match standing {
                Standing::Never | Standing::Fresh { .. } => continue,
                Standing::Failed { at, error, .. } => {
                    let error: String = error.chars().take(200).collect();
                    format!("its last sync failed at {}: {error}", minute(at))
                }
                Standing::HeldBack { at, shrinks, .. } => format!(
                    "its last sync was held back by the shrink guard at {} ({}; `steward sync --accept-shrink` keeps it)",
                    minute(at),
                    shrinks.join("; ")
                ),
            };
            let mut facts = Vec::new();
            for f in Fact::ALL {
                for table in table_of(f) {
                    let has: bool = self.conn.query_row(
                        &format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE source = ?1)"),
                        [&name],
                        |r| r.get(0),
                    )?;
                    if has && !facts.contains(&f) {
                        facts.push(f);
                    }
                }
            }
            if facts.is_empty() {
                facts = Fact::ALL.to_vec();
            }
            out.push(Untrusted {
                source: name,
                why,
                facts,
            });
        }
        Ok(out)
    }

    /// Records what a run held back, replacing what the last run held (an
    /// area held for the same reason keeps its `since`).
    pub fn record_held(&mut self, held: &[Held], now: Time) -> Result<()> {
        let tx = self.conn.transaction()?;
        let mut kept: Vec<(String, String, i64)> = Vec::new();
        {
            let mut st = tx.prepare("SELECT area, why, since FROM auto_held")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            for row in rows {
                kept.push(row?);
            }
        }
        tx.execute("DELETE FROM auto_held", [])?;
        for h in held {
            let why = h.hold.key();
            let since = kept
                .iter()
                .find(|(a, w, _)| *a == h.area && w == why)
                .map_or(secs(now), |k| k.2);
            let body = serde_json::json!({
                "reason": h.hold.describe(&h.area),
                "changes": h.changes.iter().map(AutoChange::summary).collect::<Vec<_>>(),
            });
            tx.execute(
                "INSERT INTO auto_held (area, why, since, at, changes) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![h.area, why, since, secs(now), body.to_string()],
            )?;
        }
        tx.commit()
            .doing("cannot record what the guard held back")?;
        Ok(())
    }

    /// What the last run held back, by area.
    pub fn held_back(&self) -> Result<Vec<HeldBack>> {
        let mut st = self
            .conn
            .prepare("SELECT area, why, since, at, changes FROM auto_held ORDER BY area, why")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (area, why, since, at, body) = row?;
            let body: serde_json::Value = serde_json::from_str(&body)?;
            out.push(HeldBack {
                area,
                why,
                reason: body["reason"].as_str().unwrap_or_default().to_string(),
                since: from_secs(since),
                at: from_secs(at),
                changes: body["changes"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|c| c.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// When `person` last looked at what rules applied for them.
    pub fn automatic_seen(&self, person: &str) -> Result<Option<Time>> {
        Ok(self
            .setting(&format!("auto_seen:{person}"))?
            .and_then(|v| v.parse().ok())
            .map(from_secs))
    }

    /// Notes that `person` looked at what rules applied for them at `now`.
    pub fn mark_automatic_seen(&mut self, person: &str, now: Time) -> Result<()> {
        self.set_setting(&format!("auto_seen:{person}"), &secs(now).to_string())
    }
}

/// Whether carried-out automatic change `id` was undone already (a
/// dismissal that reverses it, not itself undone).
fn undone_already(tx: &rusqlite::Transaction, id: i64) -> Result<bool> {
    let n: i64 = tx.query_row(
        "SELECT count(*) FROM decisions WHERE origin = ?1 AND state != 'undone'",
        [format!("undoes:{id}")],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

#[cfg(test)]
mod tests;
