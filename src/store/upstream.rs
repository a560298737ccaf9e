//! Grants seen upstream (DESIGN "Grants seen upstream"): a source like SCIM
//! says only that a person is in a group. When steward applied that grant,
//! its basis, grantor and time come from steward's own record, written by
//! `apply`; otherwise the grant is `manual`, with no grantor, and
//! `granted_at` is the first sync that saw it.

use super::Store;
use super::org::{from_secs, secs};
use crate::model::{Basis, Grant, Time};
use anyhow::Result;
use rusqlite::params;
use std::collections::{HashMap, HashSet};

impl Store {
    /// Records that steward itself granted `entitlement` to `person` on `source`.
    pub fn record_applied_grant(
        &mut self,
        source: &str,
        person: &str,
        entitlement: &str,
        granted_by: &str,
        basis: &Basis,
        at: Time,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO upstream_grants (source, person, entitlement, first_seen, granted_by, basis, granted_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?4)
             ON CONFLICT(source, person, entitlement) DO UPDATE SET granted_by = ?5, basis = ?6, granted_at = ?4",
            params![source, person, entitlement, secs(at), granted_by, basis.to_string()],
        )?;
        Ok(())
    }

    /// Forgets the record of a grant steward removed upstream.
    pub fn forget_upstream_grant(
        &mut self,
        source: &str,
        person: &str,
        entitlement: &str,
    ) -> Result<()> {
        self.conn.execute(
            "DELETE FROM upstream_grants WHERE source = ?1 AND person = ?2 AND entitlement = ?3",
            params![source, person, entitlement],
        )?;
        Ok(())
    }

    /// Turns the (person, entitlement) pairs a sync of `source` saw into
    /// grants: steward's own record when it has one, else `manual` since the
    /// first sync that saw it. Pairs no longer seen are forgotten, so a grant
    /// removed and later re-added upstream counts from its return.
    pub fn observe_grants(
        &mut self,
        source: &str,
        seen: &[(String, String)],
        now: Time,
    ) -> Result<Vec<Grant>> {
        let tx = self.conn.transaction()?;
        let mut known: HashMap<(String, String), (Option<String>, String, i64)> = HashMap::new();
        {
            let mut st = tx.prepare(
                "SELECT person, entitlement, granted_by, basis, granted_at FROM upstream_grants WHERE source = ?1",
            )?;
            let mut rows = st.query([source])?;
            while let Some(r) = rows.next()? {
                known.insert((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?, r.get(4)?));
            }
        }
        let mut grants = Vec::with_capacity(seen.len());
        let mut kept: HashSet<(&str, &str)> = HashSet::with_capacity(seen.len());
        {
            let mut insert = tx.prepare(
                "INSERT INTO upstream_grants (source, person, entitlement, first_seen, granted_by, basis, granted_at)
                 VALUES (?1, ?2, ?3, ?4, NULL, 'manual', ?4)",
            )?;
            for (person, entitlement) in seen {
                if !kept.insert((person, entitlement)) {
                    continue;
                }
                let key = (person.clone(), entitlement.clone());
                let (granted_by, basis, granted_at) = match known.get(&key) {
                    Some((by, basis, at)) => (
                        by.clone(),
                        Basis::parse(basis).unwrap_or(Basis::Manual),
                        from_secs(*at),
                    ),
                    None => {
                        insert.execute(params![source, person, entitlement, secs(now)])?;
                        (None, Basis::Manual, now)
                    }
                };
                grants.push(Grant {
                    person: person.clone(),
                    entitlement: entitlement.clone(),
                    granted_by,
                    granted_at,
                    basis,
                    expires: None,
                });
            }
            let mut delete = tx.prepare(
                "DELETE FROM upstream_grants WHERE source = ?1 AND person = ?2 AND entitlement = ?3",
            )?;
            for (p, e) in known.keys() {
                if !kept.contains(&(p.as_str(), e.as_str())) {
                    delete.execute(params![source, p, e])?;
                }
            }
        }
        tx.commit()?;
        Ok(grants)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_keep_stewards_record_or_their_first_sighting() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let t0: Time = "2026-03-01T00:00:00Z".parse().unwrap();
        let t1: Time = "2026-03-02T00:00:00Z".parse().unwrap();
        let pair = |p: &str, e: &str| (p.to_string(), e.to_string());
        let g = store
            .observe_grants("okta", &[pair("ana", "db:read")], t0)
            .unwrap();
        assert_eq!(
            (g[0].basis.clone(), g[0].granted_at, g[0].granted_by.clone()),
            (Basis::Manual, t0, None)
        );
        store
            .record_applied_grant(
                "okta",
                "bo",
                "db:read",
                "priya",
                &Basis::Rule("r1".into()),
                t1,
            )
            .unwrap();
        let g = store
            .observe_grants("okta", &[pair("ana", "db:read"), pair("bo", "db:read")], t1)
            .unwrap();
        assert_eq!(g[0].granted_at, t0);
        assert_eq!(g[1].basis, Basis::Rule("r1".into()));
        assert_eq!(g[1].granted_by.as_deref(), Some("priya"));
        // Gone, then back: counts from its return.
        store.observe_grants("okta", &[], t1).unwrap();
        let g = store
            .observe_grants("okta", &[pair("ana", "db:read")], t1)
            .unwrap();
        assert_eq!(g[0].granted_at, t1);
    }
}
