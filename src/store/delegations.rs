//! Delegations made in steward itself. They live beside the synced ones, as
//! rows of the `steward` source, so every reader sees them, and no sync of an
//! upstream source replaces them. Each change is audited.

use super::Store;
use super::audit::append;
use super::org::{from_secs, secs};
use crate::model::{Delegation, Time};
use anyhow::{Context, Result, bail};
use rusqlite::params;

/// The source name of what steward itself records.
pub const LOCAL_SOURCE: &str = "steward";

/// A delegation as steward keeps it, with its row id for revoking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDelegation {
    pub id: i64,
    pub delegation: Delegation,
}

impl Store {
    /// Records a delegation; the caller has checked the actor's authority.
    pub fn add_delegation(&mut self, d: &Delegation, now: Time) -> Result<LocalDelegation> {
        if let Some(u) = d.until
            && u <= d.since
        {
            bail!(
                "a delegation must end after it starts ({} is not after {})",
                u.to_rfc3339(),
                d.since.to_rfc3339()
            );
        }
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO delegations (source, area, to_person, by_person, since, until) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![LOCAL_SOURCE, d.area, d.to, d.by, secs(d.since), d.until.map(secs)],
        )?;
        let id = tx.last_insert_rowid();
        append(
            &tx,
            now,
            &crate::model::Actor::local(&d.by),
            "delegate",
            &serde_json::json!({
                "delegation": id,
                "area": d.area,
                "to": d.to,
                "since": d.since.to_rfc3339(),
                "until": d.until.map(|u| u.to_rfc3339()),
            }),
        )?;
        tx.commit().context("cannot record the delegation")?;
        Ok(LocalDelegation {
            id,
            delegation: d.clone(),
        })
    }

    /// Delegations made in steward, oldest first.
    pub fn local_delegations(&self) -> Result<Vec<LocalDelegation>> {
        let mut st = self.conn.prepare(
            "SELECT rowid, area, to_person, by_person, since, until FROM delegations WHERE source = ?1 ORDER BY rowid",
        )?;
        let rows = st.query_map([LOCAL_SOURCE], |r| {
            Ok(LocalDelegation {
                id: r.get(0)?,
                delegation: Delegation {
                    area: r.get(1)?,
                    to: r.get(2)?,
                    by: r.get(3)?,
                    since: from_secs(r.get(4)?),
                    until: r.get::<_, Option<i64>>(5)?.map(from_secs),
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ends delegation `id` at `now` (kept, with its end, for the record).
    pub fn end_delegation(&mut self, id: i64, actor: &str, now: Time) -> Result<LocalDelegation> {
        let current = self
            .local_delegations()?
            .into_iter()
            .find(|d| d.id == id)
            .with_context(|| format!("no delegation {id} made in steward"))?;
        if !current.delegation.active_at(now) && current.delegation.until.is_some_and(|u| u <= now)
        {
            bail!("delegation {id} already ended");
        }
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE delegations SET until = ?2 WHERE rowid = ?1 AND source = ?3",
            params![id, secs(now), LOCAL_SOURCE],
        )?;
        append(
            &tx,
            now,
            &crate::model::Actor::local(actor),
            "undelegate",
            &serde_json::json!({ "delegation": id, "area": current.delegation.area, "to": current.delegation.to }),
        )?;
        tx.commit()?;
        Ok(LocalDelegation {
            id,
            delegation: Delegation {
                until: Some(now),
                ..current.delegation
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Org;

    #[test]
    fn local_delegations_survive_syncs_and_end_when_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let d = Delegation {
            area: "pay".into(),
            to: "omar".into(),
            by: "priya".into(),
            since: now,
            until: None,
        };
        let made = store.add_delegation(&d, now).unwrap();
        store
            .replace_source(
                &crate::sync::files_source_info(dir.path()),
                &Org::default(),
                now,
            )
            .unwrap();
        assert_eq!(store.load_org().unwrap().delegations, vec![d.clone()]);
        let later = now + chrono::Duration::days(1);
        store.end_delegation(made.id, "priya", later).unwrap();
        assert_eq!(store.load_org().unwrap().delegations[0].until, Some(later));
        assert!(store.end_delegation(made.id, "priya", later).is_err());
        assert_eq!(store.verify_audit().unwrap(), Ok(2));
        let bad = Delegation {
            until: Some(now),
            ..d
        };
        assert!(store.add_delegation(&bad, now).is_err());
    }
}
