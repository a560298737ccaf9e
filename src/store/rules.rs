//! Rules written in steward itself (source `steward`): add, edit, remove,
//! each checked against the author's authority and audited.
//!
//! They live beside the synced rules, as rows of the `steward` source, so
//! `load_org` evaluates them with the others and no sync replaces them. Each
//! change checks, at `now`, that the actor has authority over the rule's area
//! (for an edit: over the old and the new area), and appends an audit entry in
//! the same transaction as the change. Rules from other sources are read-only
//! here.

use super::Store;
use super::audit::append;
use super::delegations::LOCAL_SOURCE;
use super::error::{Doing, Error, Result};
use crate::model::{Actor, Audience, Rule, Time};
use crate::policy::Snapshot;
use crate::policy::gate::{self, Action};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn invalid<T>(text: String) -> Result<T> {
    Err(Error::Invalid(text))
}

/// What makes a rule well formed against the organization: an area, a
/// reason, an audience that exists, and grants of entitlements of its area or
/// the area's descendants.
fn check_shape(snap: &Snapshot, rule: &Rule) -> Result<()> {
    if rule.id.trim().is_empty() {
        return invalid("a rule needs an id".into());
    }
    if let Err(e) = crate::ids::check_as(crate::ids::IdKind::Rule, &rule.id) {
        return invalid(e.to_string());
    }
    if rule.why.trim().is_empty() {
        return invalid(format!(
            "rule {} needs --why TEXT: the people it grants to, and those who review it, will want to know",
            rule.id
        ));
    }
    let area = snap
        .area_idx(&rule.area)
        .ok_or_else(|| Error::NotFound(format!("unknown area {:?}", rule.area)))?;
    match &rule.audience {
        Audience::Team(t) if snap.team_idx(t).is_none() => {
            return Err(Error::NotFound(format!("unknown team {t:?}")));
        }
        Audience::Rotation(r) if snap.rotation_idx(r).is_none() => {
            return Err(Error::NotFound(format!("unknown rotation {r:?}")));
        }
        _ => {}
    }
    if rule.lead_secs > 0 && !rule.only_while_oncall {
        return invalid(format!(
            "rule {}: --lead applies to a rule that grants only while on call (--only-while-oncall)",
            rule.id
        ));
    }
    if rule.grace_secs > 0 && !matches!(rule.audience, Audience::Rotation(_)) {
        return invalid(format!(
            "rule {}: --grace applies to a rule on a rotation (--rotation)",
            rule.id
        ));
    }
    if rule.grant.is_empty() {
        return invalid(format!(
            "rule {} grants nothing: give --grant ENT[,ENT]",
            rule.id
        ));
    }
    for g in &rule.grant {
        let ent = snap
            .entitlement_idx(g)
            .ok_or_else(|| Error::NotFound(format!("unknown entitlement {g:?}")))?;
        let within = snap
            .entitlement_area(ent)
            .is_some_and(|a| snap.area_within(a, area));
        if !within {
            return invalid(format!(
                "entitlement {g} belongs to area {}, which is not {} nor below it: a rule grants only entitlements of its area and its descendants",
                snap.org.entitlements[ent].area, rule.area
            ));
        }
    }
    Ok(())
}

/// The gate's answer for a rule change, as the store's error.
fn admit(actor: &Actor, action: Action<'_>, snap: &Snapshot, now: Time) -> Result<()> {
    gate::check(actor, &action, snap, now)?;
    Ok(())
}

impl Store {
    /// Every rule with the source it comes from, in load order.
    pub fn rules_with_sources(&self) -> Result<Vec<(String, String)>> {
        let mut st = self
            .conn
            .prepare("SELECT id, source FROM rules ORDER BY rowid")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn rule_source(tx: &rusqlite::Transaction, id: &str) -> Result<Option<String>> {
        Ok(tx
            .query_row(
                "SELECT source FROM rules WHERE id = ?1 ORDER BY rowid LIMIT 1",
                [id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Runs `check` on the organization as it is, then `write` in one
    /// IMMEDIATE transaction, but only if no other connection committed in
    /// between (`PRAGMA data_version`): a sync or a delegation ending
    /// meanwhile means checking again, so the gate judges what the write
    /// sees.
    fn checked<P, R>(
        &mut self,
        check: impl Fn(&Store, &Snapshot) -> Result<P>,
        write: impl FnOnce(&rusqlite::Transaction, P) -> Result<R>,
    ) -> Result<R> {
        let mut write = Some(write);
        for _ in 0..5 {
            let before = data_version(&self.conn)?;
            let snap = Snapshot::new(self.load_org()?);
            let prepared = check(self, &snap)?;
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            if data_version(&tx)? != before {
                continue;
            }
            if let Some(write) = write.take() {
                let out = write(&tx, prepared)?;
                super::changes::moved(&tx, [super::changes::Change::Rules])?;
                tx.commit().doing("cannot record the rule change")?;
                return Ok(out);
            }
        }
        Err(Error::Busy {
            what: "it kept changing while the rule change was checked".into(),
        })
    }

    /// Adds `rule` as written by `actor` (who becomes its author) at `now`.
    pub fn add_rule(&mut self, actor: &Actor, rule: &Rule, now: Time) -> Result<Rule> {
        let rule = Rule {
            author: actor.person.clone(),
            ..rule.clone()
        };
        self.checked(
            |_, snap| {
                admit(actor, Action::RuleAdd { rule: &rule }, snap, now)?;
                check_shape(snap, &rule)
            },
            |tx, ()| {
                if let Some(source) = Self::rule_source(tx, &rule.id)? {
                    return Err(Error::Conflict(format!(
                        "a rule {} already exists (from source {source}); rule ids are unique across sources",
                        rule.id
                    )));
                }
                insert(tx, &rule)?;
                append(
                    tx,
                    now,
                    actor,
                    "rule add",
                    &serde_json::json!({ "rule": rule.id, "area": rule.area, "after": rule }),
                )
                .map_err(Error::audit)?;
                Ok(rule.clone())
            },
        )
    }

    /// Replaces the steward-made rule `rule.id` with `rule`, written by
    /// `actor` (who becomes its author). Returns the rule as it was.
    pub fn edit_rule(&mut self, actor: &Actor, rule: &Rule, now: Time) -> Result<Rule> {
        let rule = Rule {
            author: actor.person.clone(),
            ..rule.clone()
        };
        self.checked(
            |store, snap| {
                let old = store.local_rule(snap, &rule.id)?;
                let edit = Action::RuleEdit {
                    before: &old,
                    after: &rule,
                };
                admit(actor, edit, snap, now)?;
                check_shape(snap, &rule)?;
                if rule == old {
                    return Err(Error::Conflict(format!(
                        "rule {} already reads so; nothing changed",
                        rule.id
                    )));
                }
                Ok(old)
            },
            |tx, old| {
                let n = tx.execute(
                    "DELETE FROM rules WHERE id = ?1 AND source = ?2",
                    params![rule.id, LOCAL_SOURCE],
                )?;
                if n != 1 {
                    return Err(Error::Conflict(format!(
                        "rule {} changed while it was being edited; try again",
                        rule.id
                    )));
                }
                insert(tx, &rule)?;
                append(
                    tx,
                    now,
                    actor,
                    "rule edit",
                    &serde_json::json!({ "rule": rule.id, "area": rule.area, "before": old, "after": rule }),
                )
                .map_err(Error::audit)?;
                Ok(old)
            },
        )
    }

    /// Removes the steward-made rule `id`, by `actor`, with an optional reason.
    /// Returns the removed rule.
    pub fn remove_rule(
        &mut self,
        actor: &Actor,
        id: &str,
        reason: Option<&str>,
        now: Time,
    ) -> Result<Rule> {
        self.checked(
            |store, snap| {
                let old = store.local_rule(snap, id)?;
                admit(actor, Action::RuleRemove { rule: &old }, snap, now)?;
                Ok(old)
            },
            |tx, old| {
                let n = tx.execute(
                    "DELETE FROM rules WHERE id = ?1 AND source = ?2",
                    params![id, LOCAL_SOURCE],
                )?;
                if n != 1 {
                    return Err(Error::Conflict(format!(
                        "rule {id} changed while it was being removed; try again"
                    )));
                }
                append(
                    tx,
                    now,
                    actor,
                    "rule remove",
                    &serde_json::json!({ "rule": id, "area": old.area, "before": old, "reason": reason }),
                )
                .map_err(Error::audit)?;
                Ok(old)
            },
        )
    }

    /// The rule `id` if steward wrote it; a clear error if it is unknown or
    /// comes from another source.
    fn local_rule(&self, snap: &Snapshot, id: &str) -> Result<Rule> {
        let source = self
            .rules_with_sources()?
            .into_iter()
            .find(|(r, _)| r == id)
            .map(|(_, s)| s);
        let unknown =
            || Error::NotFound(format!("unknown rule {id:?} (`steward rules` lists them)"));
        match source.as_deref() {
            None => Err(unknown()),
            Some(LOCAL_SOURCE) => snap.rule(id).cloned().ok_or_else(unknown),
            Some(other) => Err(Error::Conflict(format!(
                "rule {id} comes from source {other}: it is read-only here; change it at its source and sync"
            ))),
        }
    }
}

/// Changes each time another connection commits to the cache.
fn data_version(conn: &rusqlite::Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "data_version", |r| r.get(0))?)
}

fn insert(tx: &rusqlite::Transaction, r: &Rule) -> Result<()> {
    let (team, rotation) = match &r.audience {
        Audience::Team(t) => (Some(t), None),
        Audience::Rotation(x) => (None, Some(x)),
    };
    tx.execute(
        "INSERT INTO rules (source, id, area, author, why, grants, team, rotation, trained, only_while_oncall,
            apply, lead, grace) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            LOCAL_SOURCE,
            r.id,
            r.area,
            r.author,
            r.why,
            json_list(&r.grant),
            team,
            rotation,
            json_list(&r.trained),
            r.only_while_oncall,
            r.apply.as_str(),
            r.lead_secs,
            r.grace_secs
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::policy::gate::Why;
    use crate::store::fixture::{actor, now, store, sync};

    fn rule(id: &str, area: &str, grant: &str) -> Rule {
        Rule {
            id: id.into(),
            area: area.into(),
            author: String::new(),
            why: "ops read payments".into(),
            grant: vec![grant.into()],
            audience: Audience::Team("ops".into()),
            trained: vec![],
            only_while_oncall: false,
            apply: ApplyMode::Suggest,
            lead_secs: 0,
            grace_secs: 0,
        }
    }

    fn refused(e: Error) -> Why {
        match e {
            Error::Refused(r) => *r.why,
            other => panic!("not a refusal: {other}"),
        }
    }

    #[test]
    fn local_rules_pass_the_gate_are_audited_and_survive_syncs() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store(dir.path());
        let (eve, priya, root) = (actor("eve"), actor("priya"), actor("root"));
        let now = now();

        let err = store
            .add_rule(&eve, &rule("r1", "pay", "pay:read"), now)
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("refused: eve has no authority over area pay to add rule r1"),
            "{err}"
        );
        assert!(matches!(refused(err), Why::NoAuthority { .. }));
        let err = store
            .add_rule(&priya, &rule("r1", "pay", "web:read"), now)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(t) if t.contains("web:read")),
            "{err}"
        );
        let err = store
            .add_rule(&priya, &rule("synced", "pay", "pay:read"), now)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Conflict(t) if t.contains("already exists")),
            "{err}"
        );
        let err = store
            .add_rule(&priya, &rule("r1", "pay", "pay:nope"), now)
            .unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err}");
        assert_eq!(store.audit_entries(None).unwrap().len(), 0);

        let made = store
            .add_rule(&priya, &rule("r1", "pay", "pay:read"), now)
            .unwrap();
        assert_eq!(made.author, "priya");
        // A fresh sync of the files source keeps the local rule.
        sync(&mut store, dir.path());
        assert!(store.load_org().unwrap().rules.contains(&made));

        // The ancestor owner may move it to a sibling area; priya may not.
        let moved = rule("r1", "web", "web:read");
        let err = store.edit_rule(&priya, &moved, now).unwrap_err();
        assert!(err.to_string().contains("area web"), "{err}");
        assert!(matches!(refused(err), Why::NoAuthority { .. }));
        let before = store.edit_rule(&root, &moved, now).unwrap();
        assert_eq!(before, made);
        let err = store
            .edit_rule(&priya, &rule("synced", "pay", "pay:read"), now)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Conflict(t) if t.contains("read-only")),
            "{err}"
        );
        let err = store.remove_rule(&root, "nope", None, now).unwrap_err();
        assert!(
            matches!(&err, Error::NotFound(t) if t.contains("unknown rule")),
            "{err}"
        );
        store.remove_rule(&root, "r1", Some("done"), now).unwrap();
        let ids: Vec<String> = store
            .load_org()
            .unwrap()
            .rules
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, vec!["synced".to_string()]);
        let actions: Vec<String> = store
            .audit_entries(None)
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, vec!["rule add", "rule edit", "rule remove"]);
        assert_eq!(store.verify_audit().unwrap(), Ok(3));
    }

    #[test]
    fn a_commit_by_another_connection_between_check_and_write_means_checking_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mut store = Store::open(&path).unwrap();
        let other = Store::open(&path).unwrap();
        let checks = std::cell::Cell::new(0);
        let written = store
            .checked(
                |_, _| {
                    checks.set(checks.get() + 1);
                    if checks.get() == 1 {
                        // Another process commits after this check.
                        other
                            .conn
                            .execute("INSERT INTO settings VALUES ('k', 'v')", [])
                            .unwrap();
                    }
                    Ok(checks.get())
                },
                |_, seen| Ok(seen),
            )
            .unwrap();
        assert_eq!((checks.get(), written), (2, 2));
    }
}
