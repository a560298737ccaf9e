//! Grants seen upstream (DESIGN "Grants seen upstream"): a source like SCIM
//! says only that a person is in a group. When steward applied that grant,
//! its basis, grantor and time come from steward's own record, written by
//! `apply`; otherwise the grant is `manual`, with no grantor, and
//! `granted_at` is the first sync that saw it.

use super::Result;
use super::Store;
use super::epoch::{from_secs, secs};
use crate::model::{Basis, Entitlement, Grant, Person, Rotation, Shift, Status, Time};
use rusqlite::params;
use std::collections::HashMap;

/// People (with their source's name) and entitlements, as cached.
pub type CachedDirectory = (Vec<(String, Person)>, Vec<Entitlement>);

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
        // A merge of two sorted lists (SQLite's BINARY order is Rust's str
        // order): no hashing, one pass, at 100k grants.
        let mut pairs: Vec<(&str, &str)> =
            seen.iter().map(|(p, e)| (p.as_str(), e.as_str())).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let tx = self.conn.transaction()?;
        let mut grants = Vec::with_capacity(pairs.len());
        let mut fresh: Vec<usize> = Vec::new();
        let mut gone: Vec<(String, String)> = Vec::new();
        {
            let mut st = tx.prepare(
                "SELECT person, entitlement, granted_by, basis, granted_at FROM upstream_grants
                 WHERE source = ?1 ORDER BY person, entitlement",
            )?;
            let mut rows = st.query([source])?;
            let mut i = 0;
            let grant = |p: &str, e: &str, by: Option<String>, basis: Basis, at: Time| Grant {
                person: p.to_string(),
                entitlement: e.to_string(),
                granted_by: by,
                granted_at: at,
                basis,
                expires: None,
                through: None,
            };
            while let Some(r) = rows.next()? {
                let person = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
                let entitlement = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
                while i < pairs.len() && pairs[i] < (person, entitlement) {
                    fresh.push(grants.len());
                    grants.push(grant(pairs[i].0, pairs[i].1, None, Basis::Manual, now));
                    i += 1;
                }
                if i < pairs.len() && pairs[i] == (person, entitlement) {
                    let basis: String = r.get(3)?;
                    grants.push(grant(
                        person,
                        entitlement,
                        r.get(2)?,
                        Basis::parse(&basis).unwrap_or(Basis::Manual),
                        from_secs(r.get(4)?),
                    ));
                    i += 1;
                } else {
                    gone.push((person.to_string(), entitlement.to_string()));
                }
            }
            while i < pairs.len() {
                fresh.push(grants.len());
                grants.push(grant(pairs[i].0, pairs[i].1, None, Basis::Manual, now));
                i += 1;
            }
        }
        {
            let mut insert = tx.prepare(
                "INSERT INTO upstream_grants (source, person, entitlement, first_seen, granted_by, basis, granted_at)
                 VALUES (?1, ?2, ?3, ?4, NULL, 'manual', ?4)",
            )?;
            for &k in &fresh {
                let g = &grants[k];
                insert.execute(params![source, g.person, g.entitlement, secs(now)])?;
            }
            let mut delete = tx.prepare(
                "DELETE FROM upstream_grants WHERE source = ?1 AND person = ?2 AND entitlement = ?3",
            )?;
            for (p, e) in &gone {
                delete.execute(params![source, p, e])?;
            }
        }
        tx.commit()?;
        Ok(grants)
    }

    /// The sources whose cached grants include entitlement `id`.
    pub fn grant_sources(&self, id: &str) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT DISTINCT source FROM grants WHERE entitlement = ?1 ORDER BY source")?;
        let rows = st.query_map(params![id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every entitlement with cached grants, and the sources they come from
    /// (one read, for `check`).
    pub fn grant_sources_by_entitlement(&self) -> Result<HashMap<String, Vec<String>>> {
        let mut st = self.conn.prepare(
            "SELECT DISTINCT entitlement, source FROM grants ORDER BY entitlement, source",
        )?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for row in rows {
            let (entitlement, source) = row?;
            out.entry(entitlement).or_default().push(source);
        }
        Ok(out)
    }

    /// The cached rotation `id` of `source`, with its shifts (what a feed
    /// that failed to read keeps).
    pub fn cached_rotation(&self, source: &str, id: &str) -> Result<Option<Rotation>> {
        let mut st = self
            .conn
            .prepare("SELECT name, team, members FROM rotations WHERE source = ?1 AND id = ?2")?;
        let Some((name, team, members)) = st
            .query_map(params![source, id], |r| {
                let members: String = r.get(2)?;
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    members,
                ))
            })?
            .next()
            .transpose()?
        else {
            return Ok(None);
        };
        let mut st = self.conn.prepare(
            "SELECT person, start, end FROM shifts WHERE source = ?1 AND rotation = ?2 ORDER BY rowid",
        )?;
        let shifts = st
            .query_map(params![source, id], |r| {
                Ok(Shift {
                    person: r.get(0)?,
                    start: from_secs(r.get(1)?),
                    end: from_secs(r.get(2)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some(Rotation {
            id: id.to_string(),
            name,
            team,
            members: serde_json::from_str(&members).unwrap_or_default(),
            shifts,
        }))
    }

    /// The cached people (with their source's name) and entitlements of
    /// every source but those in `except` (what a sync needs to match people
    /// by email and map groups to entitlements, besides what it replaces).
    pub fn people_and_entitlements(&self, except: &[String]) -> Result<CachedDirectory> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Deferred,
        )?;
        let people: Vec<(String, Person)> = {
            let mut st = tx.prepare(
                "SELECT id, name, email, manager, status, source, title FROM people ORDER BY rowid",
            )?;
            st.query_map([], |r| {
                let status: String = r.get(4)?;
                let source: String = r.get(5)?;
                Ok((
                    source,
                    Person {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        email: r.get(2)?,
                        manager: r.get(3)?,
                        status: if status == "left" {
                            Status::Left
                        } else {
                            Status::Active
                        },
                        title: r.get(6)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter(|(source, _)| !except.contains(source))
            .collect()
        };
        let entitlements: Vec<Entitlement> = {
            let mut st = tx.prepare(
                "SELECT id, area, name, upstream, source FROM entitlements ORDER BY rowid",
            )?;
            st.query_map([], |r| {
                let source: String = r.get(4)?;
                Ok((
                    source,
                    Entitlement {
                        id: r.get(0)?,
                        area: r.get(1)?,
                        name: r.get(2)?,
                        upstream: r.get(3)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter(|(source, _)| !except.contains(source))
            .map(|(_, e)| e)
            .collect()
        };
        tx.finish()?;
        Ok((people, entitlements))
    }

    /// The team, rotation, area and entitlement ids of every cached source
    /// but those in `except`, as (source, kind, id): what another source
    /// must not provide too.
    pub fn cached_ids(&self, except: &[String]) -> Result<Vec<(String, &'static str, String)>> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Deferred,
        )?;
        let mut out = Vec::new();
        for (kind, table) in ID_TABLES {
            let mut st = tx.prepare(&format!("SELECT source, id FROM {table} ORDER BY rowid"))?;
            let rows =
                st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (source, id) = row?;
                if !except.contains(&source) {
                    out.push((source, kind, id));
                }
            }
        }
        drop(tx);
        Ok(out)
    }

    /// Drops cached rows another source now provides instead (by
    /// `precedence`): each (source, kind, id), kind one of `person` or those
    /// of [`Store::cached_ids`]; a rotation's shifts go with it.
    pub fn give_up(&mut self, rows: &[(String, &'static str, String)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (source, kind, id) in rows {
            let table = match *kind {
                "person" => "people",
                k => match ID_TABLES.iter().find(|(kind, _)| *kind == k) {
                    Some((_, table)) => *table,
                    None => continue,
                },
            };
            tx.execute(
                &format!("DELETE FROM {table} WHERE source = ?1 AND id = ?2"),
                params![source, id],
            )?;
            tx.execute(
                "DELETE FROM origins WHERE source = ?1 AND kind = ?2 AND id = ?3",
                params![source, kind, id],
            )?;
            if *kind == "rotation" {
                tx.execute(
                    "DELETE FROM shifts WHERE source = ?1 AND rotation = ?2",
                    params![source, id],
                )?;
            }
        }
        if !rows.is_empty() {
            super::changes::moved(&tx, [super::changes::Change::Org])?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// The tables of ids one source must not share with another, by kind.
const ID_TABLES: [(&str, &str); 4] = [
    ("team", "teams"),
    ("rotation", "rotations"),
    ("area", "areas"),
    ("entitlement", "entitlements"),
];

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
