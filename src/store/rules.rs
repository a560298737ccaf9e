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
use crate::model::{Audience, Rule, Time};
use crate::policy::{Snapshot, authority};
use anyhow::{Context, Result, bail};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// Refuses unless `actor` has authority over `area` at `now`.
fn require_authority(
    snap: &Snapshot,
    actor: &str,
    area: &str,
    now: Time,
    what: &str,
) -> Result<()> {
    let idx = snap
        .area_idx(area)
        .with_context(|| format!("unknown area {area:?}; nothing written"))?;
    if authority(snap, actor, idx, now).is_none() {
        bail!(
            "refused: {actor} has no authority over area {area} (owner: {}) to {what}; nothing written",
            snap.org.areas[idx].owner
        );
    }
    Ok(())
}

/// What makes a rule well formed against the organization: an area, a
/// reason, an audience that exists, and grants of entitlements of its area or
/// the area's descendants.
fn check_shape(snap: &Snapshot, rule: &Rule) -> Result<()> {
    if rule.id.trim().is_empty() {
        bail!("a rule needs an id");
    }
    if rule.id.contains(char::is_whitespace) {
        bail!("rule id {:?} must not contain spaces", rule.id);
    }
    if rule.why.trim().is_empty() {
        bail!(
            "rule {} needs --why TEXT: the people it grants to, and those who review it, will want to know",
            rule.id
        );
    }
    let area = snap
        .area_idx(&rule.area)
        .with_context(|| format!("unknown area {:?}", rule.area))?;
    match &rule.audience {
        Audience::Team(t) if snap.team_idx(t).is_none() => bail!("unknown team {t:?}"),
        Audience::Rotation(r) if snap.rotation_idx(r).is_none() => {
            bail!("unknown rotation {r:?}")
        }
        _ => {}
    }
    if rule.grant.is_empty() {
        bail!("rule {} grants nothing: give --grant ENT[,ENT]", rule.id);
    }
    for g in &rule.grant {
        let ent = snap
            .entitlement_idx(g)
            .with_context(|| format!("unknown entitlement {g:?}"))?;
        let within = snap
            .entitlement_area(ent)
            .is_some_and(|a| snap.area_within(a, area));
        if !within {
            bail!(
                "entitlement {g} belongs to area {}, which is not {} nor below it: a rule grants only entitlements of its area and its descendants",
                snap.org.entitlements[ent].area,
                rule.area
            );
        }
    }
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
    /// meanwhile means checking again, so authority is judged on what the
    /// write sees.
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
                tx.commit().context("cannot record the rule change")?;
                return Ok(out);
            }
        }
        bail!(
            "the cache kept changing while the rule change was checked; nothing written, try again"
        )
    }

    /// Adds `rule` as written by `actor` (who becomes its author) at `now`.
    pub fn add_rule(&mut self, rule: &Rule, actor: &str, now: Time) -> Result<Rule> {
        let rule = Rule {
            author: actor.to_string(),
            ..rule.clone()
        };
        self.checked(
            |_, snap| {
                require_authority(snap, actor, &rule.area, now, "write rules for it")?;
                check_shape(snap, &rule)
            },
            |tx, ()| {
                if let Some(source) = Self::rule_source(tx, &rule.id)? {
                    bail!(
                        "a rule {} already exists (from source {source}); rule ids are unique across sources",
                        rule.id
                    );
                }
                insert(tx, &rule)?;
                append(
                    tx,
                    now,
                    &crate::model::Actor::local(actor),
                    "rule add",
                    &serde_json::json!({ "rule": rule.id, "area": rule.area, "after": rule }),
                )?;
                Ok(rule.clone())
            },
        )
    }

    /// Replaces the steward-made rule `rule.id` with `rule`, written by
    /// `actor` (who becomes its author). Returns the rule as it was.
    pub fn edit_rule(&mut self, rule: &Rule, actor: &str, now: Time) -> Result<Rule> {
        let rule = Rule {
            author: actor.to_string(),
            ..rule.clone()
        };
        self.checked(
            |store, snap| {
                let old = store.local_rule(snap, &rule.id)?;
                require_authority(snap, actor, &old.area, now, "change its rules")?;
                if rule.area != old.area {
                    require_authority(snap, actor, &rule.area, now, "move rules into it")?;
                }
                check_shape(snap, &rule)?;
                if rule == old {
                    bail!("rule {} already reads so; nothing changed", rule.id);
                }
                Ok(old)
            },
            |tx, old| {
                let n = tx.execute(
                    "DELETE FROM rules WHERE id = ?1 AND source = ?2",
                    params![rule.id, LOCAL_SOURCE],
                )?;
                if n != 1 {
                    bail!("rule {} changed while it was being edited; try again", rule.id);
                }
                insert(tx, &rule)?;
                append(
                    tx,
                    now,
                    &crate::model::Actor::local(actor),
                    "rule edit",
                    &serde_json::json!({ "rule": rule.id, "area": rule.area, "before": old, "after": rule }),
                )?;
                Ok(old)
            },
        )
    }

    /// Removes the steward-made rule `id`, by `actor`, with an optional reason.
    /// Returns the removed rule.
    pub fn remove_rule(
        &mut self,
        id: &str,
        actor: &str,
        now: Time,
        reason: Option<&str>,
    ) -> Result<Rule> {
        self.checked(
            |store, snap| {
                let old = store.local_rule(snap, id)?;
                require_authority(snap, actor, &old.area, now, "remove its rules")?;
                Ok(old)
            },
            |tx, old| {
                let n = tx.execute(
                    "DELETE FROM rules WHERE id = ?1 AND source = ?2",
                    params![id, LOCAL_SOURCE],
                )?;
                if n != 1 {
                    bail!("rule {id} changed while it was being removed; try again");
                }
                append(
                    tx,
                    now,
                    &crate::model::Actor::local(actor),
                    "rule remove",
                    &serde_json::json!({ "rule": id, "area": old.area, "before": old, "reason": reason }),
                )?;
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
        match source.as_deref() {
            None => bail!("unknown rule {id:?} (`steward rules` lists them)"),
            Some(LOCAL_SOURCE) => snap
                .rule(id)
                .cloned()
                .with_context(|| format!("unknown rule {id:?}")),
            Some(other) => bail!(
                "rule {id} comes from source {other}: it is read-only here; change it at its source and sync"
            ),
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
        "INSERT INTO rules (source, id, area, author, why, grants, team, rotation, trained, only_while_oncall) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
            r.only_while_oncall
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn t(s: &str) -> Time {
        s.parse().unwrap()
    }

    fn org() -> Org {
        let area = |id: &str, parent: Option<&str>, owner: &str| Area {
            id: id.into(),
            name: id.into(),
            parent: parent.map(Into::into),
            owner: owner.into(),
            tags: vec![],
            notes: String::new(),
            review_days: DEFAULT_REVIEW_DAYS,
            escalate_days: DEFAULT_ESCALATE_DAYS,
        };
        let ent = |id: &str, area: &str| Entitlement {
            id: id.into(),
            area: area.into(),
            name: id.into(),
            upstream: None,
        };
        let person = |id: &str| Person {
            id: id.into(),
            name: id.into(),
            email: format!("{id}@x.test"),
            manager: None,
            status: Status::Active,
        };
        Org {
            people: vec![person("root"), person("priya"), person("eve")],
            teams: vec![Team {
                id: "ops".into(),
                name: "Ops".into(),
                parent: None,
                lead: None,
                members: vec!["eve".into()],
            }],
            areas: vec![
                area("all", None, "root"),
                area("pay", Some("all"), "priya"),
                area("web", Some("all"), "root"),
            ],
            entitlements: vec![ent("pay:read", "pay"), ent("web:read", "web")],
            rules: vec![Rule {
                id: "synced".into(),
                area: "pay".into(),
                author: "priya".into(),
                why: "from files".into(),
                grant: vec!["pay:read".into()],
                audience: Audience::Team("ops".into()),
                trained: vec![],
                only_while_oncall: false,
            }],
            ..Org::default()
        }
    }

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
        }
    }

    #[test]
    fn local_rules_are_checked_audited_and_survive_syncs() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let now = t("2026-03-02T12:00:00Z");
        store
            .replace_source(&crate::sync::files_source_info(dir.path()), &org(), now)
            .unwrap();

        let err = store
            .add_rule(&rule("r1", "pay", "pay:read"), "eve", now)
            .unwrap_err()
            .to_string();
        assert!(err.contains("eve") && err.contains("area pay"), "{err}");
        let err = store
            .add_rule(&rule("r1", "pay", "web:read"), "priya", now)
            .unwrap_err()
            .to_string();
        assert!(err.contains("web:read"), "{err}");
        let err = store
            .add_rule(&rule("synced", "pay", "pay:read"), "priya", now)
            .unwrap_err()
            .to_string();
        assert!(err.contains("already exists"), "{err}");
        assert_eq!(store.audit_entries(None).unwrap().len(), 0);

        let made = store
            .add_rule(&rule("r1", "pay", "pay:read"), "priya", now)
            .unwrap();
        assert_eq!(made.author, "priya");
        // A fresh sync of the files source keeps the local rule.
        store
            .replace_source(&crate::sync::files_source_info(dir.path()), &org(), now)
            .unwrap();
        assert!(store.load_org().unwrap().rules.contains(&made));

        // The ancestor owner may move it to a sibling area; priya may not.
        let moved = rule("r1", "web", "web:read");
        let err = store.edit_rule(&moved, "priya", now).unwrap_err();
        assert!(err.to_string().contains("area web"), "{err}");
        let before = store.edit_rule(&moved, "root", now).unwrap();
        assert_eq!(before, made);
        assert!(
            store
                .edit_rule(&rule("synced", "pay", "pay:read"), "priya", now)
                .unwrap_err()
                .to_string()
                .contains("read-only")
        );
        assert!(
            store
                .remove_rule("nope", "root", now, None)
                .unwrap_err()
                .to_string()
                .contains("unknown rule")
        );
        store.remove_rule("r1", "root", now, Some("done")).unwrap();
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
