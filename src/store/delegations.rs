//! Delegations made in steward itself. They live beside the synced ones, as
//! rows of the `steward` source, so every reader sees them, and no sync of an
//! upstream source replaces them. Each change passes the gate inside the
//! write transaction that records it, and is audited there.

use super::Store;
use super::audit::append;
use super::epoch::{from_secs, secs};
use super::error::{Doing, Error, Result};
use crate::model::{Actor, Delegation, Time};
use crate::policy::Snapshot;
use crate::policy::gate::{self, Action};
use rusqlite::{OptionalExtension, params};

/// The source name of what steward itself records.
pub const LOCAL_SOURCE: &str = "steward";

/// A delegation as steward keeps it, with its row id for revoking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDelegation {
    pub id: i64,
    pub delegation: Delegation,
}

impl Store {
    /// Records `actor`'s delegation of `area` to `to`, from `now` until
    /// `until`, once the gate admits it.
    pub fn add_delegation(
        &mut self,
        actor: &Actor,
        area: &str,
        to: &str,
        until: Option<Time>,
        now: Time,
    ) -> Result<LocalDelegation> {
        let tx = self.conn.transaction()?;
        let snap = Snapshot::new(Store::read_for_gate(&tx)?);
        gate::check(actor, &Action::Delegate { area, to, until }, &snap, now)?;
        let d = Delegation {
            area: area.to_string(),
            to: to.to_string(),
            by: actor.person.clone(),
            since: now,
            until,
        };
        tx.execute(
            "INSERT INTO delegations (source, area, to_person, by_person, since, until) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![LOCAL_SOURCE, d.area, d.to, d.by, secs(d.since), d.until.map(secs)],
        )?;
        let id = tx.last_insert_rowid();
        append(
            &tx,
            now,
            actor,
            "delegate",
            &serde_json::json!({
                "delegation": id,
                "area": d.area,
                "to": d.to,
                "since": d.since.to_rfc3339(),
                "until": d.until.map(|u| u.to_rfc3339()),
            }),
        )
        .map_err(Error::audit)?;
        super::changes::moved(&tx, [super::changes::Change::Org])?;
        tx.commit().doing("cannot record the delegation")?;
        Ok(LocalDelegation { id, delegation: d })
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

    /// Ends delegation `id` at `now` (kept, with its end, for the record),
    /// once the gate admits it.
    pub fn end_delegation(&mut self, actor: &Actor, id: i64, now: Time) -> Result<LocalDelegation> {
        let tx = self.conn.transaction()?;
        let current = local_delegation(&tx, id)?;
        let snap = Snapshot::new(Store::read_for_gate(&tx)?);
        let undelegate = Action::Undelegate {
            delegation: &current.delegation,
        };
        gate::check(actor, &undelegate, &snap, now)?;
        if current.delegation.until.is_some_and(|u| u <= now) {
            return Err(Error::Conflict(format!("delegation {id} already ended")));
        }
        tx.execute(
            "UPDATE delegations SET until = ?2 WHERE rowid = ?1 AND source = ?3",
            params![id, secs(now), LOCAL_SOURCE],
        )?;
        append(
            &tx,
            now,
            actor,
            "undelegate",
            &serde_json::json!({ "delegation": id, "area": current.delegation.area, "to": current.delegation.to }),
        )
        .map_err(Error::audit)?;
        super::changes::moved(&tx, [super::changes::Change::Org])?;
        tx.commit()
            .doing("cannot record the end of the delegation")?;
        Ok(LocalDelegation {
            id,
            delegation: Delegation {
                until: Some(now),
                ..current.delegation
            },
        })
    }
}

/// Delegation `id` as steward recorded it, or [`Error::NotFound`].
fn local_delegation(tx: &rusqlite::Transaction, id: i64) -> Result<LocalDelegation> {
    tx.query_row(
        "SELECT area, to_person, by_person, since, until FROM delegations WHERE rowid = ?1 AND source = ?2",
        params![id, LOCAL_SOURCE],
        |r| {
            Ok(Delegation {
                area: r.get(0)?,
                to: r.get(1)?,
                by: r.get(2)?,
                since: from_secs(r.get(3)?),
                until: r.get::<_, Option<i64>>(4)?.map(from_secs),
            })
        },
    )
    .optional()?
    .map(|delegation| LocalDelegation { id, delegation })
    .ok_or_else(|| {
        Error::NotFound(format!(
            "no delegation {id} made in steward (`steward delegations` lists them)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::gate::Why;
    use crate::store::fixture::{actor, now, org, store, sync};

    #[test]
    fn local_delegations_pass_the_gate_survive_syncs_and_end_when_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store(dir.path());
        let made = store
            .add_delegation(&actor("priya"), "pay", "ana", None, now())
            .unwrap();
        sync(&mut store, dir.path());
        let d = Delegation {
            area: "pay".into(),
            to: "ana".into(),
            by: "priya".into(),
            since: now(),
            until: None,
        };
        assert_eq!(made.delegation, d);
        assert!(store.load_org().unwrap().delegations.contains(&d));
        let later = now() + chrono::Duration::days(1);
        // eve has no authority over pay: refused, nothing written.
        let err = store
            .end_delegation(&actor("eve"), made.id, later)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Refused(r) if matches!(*r.why, Why::NoAuthority { .. })),
            "{err}"
        );
        store
            .end_delegation(&actor("priya"), made.id, later)
            .unwrap();
        let ended = store.local_delegations().unwrap();
        assert_eq!(ended[0].delegation.until, Some(later));
        let again = store.end_delegation(&actor("priya"), made.id, later);
        assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");
        let none = store.end_delegation(&actor("priya"), 99, later);
        assert!(matches!(none, Err(Error::NotFound(_))), "{none:?}");
        assert_eq!(store.verify_audit().unwrap(), Ok(2));
    }

    #[test]
    fn the_gate_refuses_a_delegation_inside_the_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store(dir.path());
        let refused = |store: &mut Store, who: &str, area: &str, to: &str, until| match store
            .add_delegation(&actor(who), area, to, until, now())
        {
            Err(Error::Refused(r)) => *r.why,
            other => panic!("{who} -> {to}: {other:?}"),
        };
        assert!(matches!(
            refused(&mut store, "eve", "pay", "ana", None),
            Why::NoAuthority { .. }
        ));
        assert!(matches!(
            refused(&mut store, "dana", "pay", "dana", None),
            Why::SelfDelegation {
                decides: Some(_),
                ..
            }
        ));
        assert!(matches!(
            refused(&mut store, "priya", "pay", "gone", None),
            Why::PersonLeft { .. }
        ));
        assert!(matches!(
            refused(&mut store, "priya", "pay", "ana", Some(now())),
            Why::EndsBeforeStart { .. }
        ));
        assert!(matches!(
            refused(&mut store, "priya", "nowhere", "ana", None),
            Why::UnknownArea
        ));
        assert!(store.local_delegations().unwrap().is_empty());
        assert_eq!(store.verify_audit().unwrap(), Ok(0));
        // Once priya's delegation to dana is gone from the org, dana's own
        // delegation of pay is refused: the gate reads what the write sees.
        let mut other = Store::open(&dir.path().join("c.db")).unwrap();
        let mut without = org();
        without.delegations.clear();
        other
            .replace_source(&crate::sync::files_source_info(dir.path()), &without, now())
            .unwrap();
        assert!(matches!(
            refused(&mut store, "dana", "pay", "ana", None),
            Why::NoAuthority { .. }
        ));
    }
}
