//! The synced organization: each source's rows replaced whole, in one transaction.

use super::Store;
use crate::model::*;
use anyhow::{Context, Result};
use chrono::TimeZone;
use rusqlite::{OptionalExtension, Row, params};

/// One configured source and what the cache knows of its last sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    pub name: String,
    pub kind: String,
    /// Where it reads from: a directory or a URL.
    pub location: String,
    /// When its data was last replaced successfully.
    pub synced_at: Option<Time>,
    /// When a sync was last attempted.
    pub attempted_at: Option<Time>,
    /// The last attempt's error, if it failed.
    pub error: Option<String>,
    pub items: i64,
}

pub(crate) fn secs(t: Time) -> i64 {
    t.timestamp()
}

pub(crate) fn from_secs(s: i64) -> Time {
    chrono::Utc.timestamp_opt(s, 0).single().unwrap_or_default()
}

fn opt_time(v: Option<i64>) -> Option<Time> {
    v.map(from_secs)
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn list(row: &Row, i: usize) -> rusqlite::Result<Vec<String>> {
    let text: String = row.get(i)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

const TABLES: [&str; 10] = [
    "people",
    "teams",
    "rotations",
    "shifts",
    "trainings",
    "areas",
    "entitlements",
    "grants",
    "delegations",
    "rules",
];

/// Inserts grant rows, the largest table: the source is bound once and one
/// buffer serves every basis, so a row costs no allocation.
struct GrantInserter<'c> {
    st: rusqlite::Statement<'c>,
    basis: String,
}

impl<'c> GrantInserter<'c> {
    fn new(tx: &'c rusqlite::Transaction, source: &str) -> Result<GrantInserter<'c>> {
        let mut st = tx.prepare("INSERT INTO grants VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
        st.raw_bind_parameter(1, source)?;
        Ok(GrantInserter {
            st,
            basis: String::new(),
        })
    }

    fn insert(&mut self, grants: &[Grant]) -> Result<()> {
        let st = &mut self.st;
        for g in grants {
            self.basis.clear();
            match &g.basis {
                Basis::Manual => self.basis.push_str("manual"),
                Basis::Rule(id) => {
                    self.basis.push_str("rule:");
                    self.basis.push_str(id);
                }
            }
            st.raw_bind_parameter(2, &g.person)?;
            st.raw_bind_parameter(3, &g.entitlement)?;
            st.raw_bind_parameter(4, &g.granted_by)?;
            st.raw_bind_parameter(5, secs(g.granted_at))?;
            st.raw_bind_parameter(6, &self.basis)?;
            st.raw_bind_parameter(7, g.expires.map(secs))?;
            st.raw_execute()?;
        }
        Ok(())
    }
}

impl Store {
    /// Replaces everything `source` contributed with `org`, in one transaction.
    pub fn replace_source(&mut self, source: &SourceInfo, org: &Org, now: Time) -> Result<()> {
        self.replace_source_streaming(
            source,
            std::iter::empty::<Result<Vec<Grant>, std::convert::Infallible>>(),
            || Ok::<_, std::convert::Infallible>(org),
            now,
        )
        .map(|_| ())
    }

    /// Like [`Store::replace_source`], for a source that produces its grants
    /// while the rest is still being read: the files source streams
    /// grants.csv's rows in `grants` while another thread parses the other
    /// files, which `rest` waits for once the grants are written. An error
    /// from either rolls everything back. Returns the rest of the org and the
    /// number of grants written.
    pub fn replace_source_streaming<E, O>(
        &mut self,
        source: &SourceInfo,
        grants: impl IntoIterator<Item = Result<Vec<Grant>, E>>,
        rest: impl FnOnce() -> std::result::Result<O, E>,
        now: Time,
    ) -> Result<(O, usize)>
    where
        E: std::error::Error + Send + Sync + 'static,
        O: std::borrow::Borrow<Org>,
    {
        let tx = self.conn.transaction()?;
        let name = source.name.as_str();
        for table in TABLES {
            tx.execute(&format!("DELETE FROM {table} WHERE source = ?1"), [name])?;
        }
        let mut grants_written = 0;
        let rest = {
            let mut inserter = GrantInserter::new(&tx, name)?;
            for batch in grants {
                let batch = batch?;
                inserter.insert(&batch)?;
                grants_written += batch.len();
            }
            let rest = rest()?;
            let org: &Org = rest.borrow();
            inserter.insert(&org.grants)?;
            grants_written += org.grants.len();
            rest
        };
        let org: &Org = rest.borrow();
        {
            let mut st = tx.prepare("INSERT INTO people VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            for p in &org.people {
                st.execute(params![
                    name,
                    p.id,
                    p.name,
                    p.email,
                    p.manager,
                    p.status.as_str()
                ])?;
            }
            let mut st = tx.prepare("INSERT INTO teams VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            for t in &org.teams {
                st.execute(params![
                    name,
                    t.id,
                    t.name,
                    t.parent,
                    t.lead,
                    json_list(&t.members)
                ])?;
            }
            let mut st = tx.prepare("INSERT INTO rotations VALUES (?1, ?2, ?3, ?4, ?5)")?;
            let mut sh = tx.prepare("INSERT INTO shifts VALUES (?1, ?2, ?3, ?4, ?5)")?;
            for r in &org.rotations {
                st.execute(params![name, r.id, r.name, r.team, json_list(&r.members)])?;
                for s in &r.shifts {
                    sh.execute(params![name, r.id, s.person, secs(s.start), secs(s.end)])?;
                }
            }
            let mut st = tx.prepare("INSERT INTO trainings VALUES (?1, ?2, ?3, ?4, ?5)")?;
            for t in &org.trainings {
                st.execute(params![
                    name,
                    t.person,
                    t.course,
                    secs(t.completed),
                    t.expires.map(secs)
                ])?;
            }
            let mut st =
                tx.prepare("INSERT INTO areas VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?;
            for a in &org.areas {
                st.execute(params![
                    name,
                    a.id,
                    a.name,
                    a.parent,
                    a.owner,
                    json_list(&a.tags),
                    a.notes,
                    a.review_days,
                    a.escalate_days
                ])?;
            }
            let mut st = tx.prepare("INSERT INTO entitlements VALUES (?1, ?2, ?3, ?4, ?5)")?;
            for e in &org.entitlements {
                st.execute(params![name, e.id, e.area, e.name, e.upstream])?;
            }
            // The largest table: bind the source once and reuse one buffer
            // for the basis, so a row costs no allocation.
            let mut st = tx.prepare("INSERT INTO delegations VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            for d in &org.delegations {
                st.execute(params![
                    name,
                    d.area,
                    d.to,
                    d.by,
                    secs(d.since),
                    d.until.map(secs)
                ])?;
            }
            let mut st =
                tx.prepare("INSERT INTO rules VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?;
            for r in &org.rules {
                let (team, rotation) = match &r.audience {
                    Audience::Team(t) => (Some(t), None),
                    Audience::Rotation(x) => (None, Some(x)),
                };
                st.execute(params![
                    name,
                    r.id,
                    r.area,
                    r.author,
                    r.why,
                    json_list(&r.grant),
                    team,
                    rotation,
                    json_list(&r.trained),
                    r.only_while_oncall
                ])?;
            }
        }
        let items = (org.people.len()
            + org.teams.len()
            + org.rotations.len()
            + org.trainings.len()
            + org.areas.len()
            + org.entitlements.len()
            + grants_written
            + org.delegations.len()
            + org.rules.len()) as i64;
        tx.execute(
            "INSERT INTO sources (name, kind, location, synced_at, attempted_at, error, items)
             VALUES (?1, ?2, ?3, ?4, ?4, NULL, ?5)
             ON CONFLICT(name) DO UPDATE SET kind = ?2, location = ?3, synced_at = ?4,
                attempted_at = ?4, error = NULL, items = ?5",
            params![name, source.kind, source.location, secs(now), items],
        )?;
        tx.commit().context("cannot commit the sync")?;
        Ok((rest, grants_written))
    }

    /// Notes a failed sync of `source` without touching its data.
    pub fn record_sync_failure(
        &mut self,
        source: &SourceInfo,
        error: &str,
        now: Time,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sources (name, kind, location, synced_at, attempted_at, error, items)
             VALUES (?1, ?2, ?3, NULL, ?4, ?5, 0)
             ON CONFLICT(name) DO UPDATE SET attempted_at = ?4, error = ?5",
            params![source.name, source.kind, source.location, secs(now), error],
        )?;
        Ok(())
    }

    pub fn sources(&self) -> Result<Vec<SourceInfo>> {
        let mut st = self.conn.prepare(
            "SELECT name, kind, location, synced_at, attempted_at, error, items FROM sources ORDER BY name",
        )?;
        let rows = st.query_map([], |r| {
            Ok(SourceInfo {
                name: r.get(0)?,
                kind: r.get(1)?,
                location: r.get(2)?,
                synced_at: opt_time(r.get(3)?),
                attempted_at: opt_time(r.get(4)?),
                error: r.get(5)?,
                items: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn source(&self, name: &str) -> Result<Option<SourceInfo>> {
        Ok(self.sources()?.into_iter().find(|s| s.name == name))
    }

    /// Row counts per table, for `status`.
    pub fn counts(&self) -> Result<Vec<(&'static str, i64)>> {
        TABLES
            .iter()
            .map(|t| {
                let n: i64 =
                    self.conn
                        .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?;
                Ok((*t, n))
            })
            .collect()
    }

    /// Everything every source contributed, merged.
    pub fn load_org(&self) -> Result<Org> {
        // One read transaction: every table from the same committed state,
        // even while a sync replaces them from another process.
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Deferred,
        )?;
        let org = Self::read_org(&tx)?;
        tx.finish()?;
        Ok(org)
    }

    fn read_org(c: &rusqlite::Connection) -> Result<Org> {
        let mut org = Org::default();
        let mut st =
            c.prepare("SELECT id, name, email, manager, status FROM people ORDER BY rowid")?;
        org.people = st
            .query_map([], |r| {
                let status: String = r.get(4)?;
                Ok(Person {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    email: r.get(2)?,
                    manager: r.get(3)?,
                    status: if status == "left" {
                        Status::Left
                    } else {
                        Status::Active
                    },
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st =
            c.prepare("SELECT id, name, parent, lead, members FROM teams ORDER BY rowid")?;
        org.teams = st
            .query_map([], |r| {
                Ok(Team {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    parent: r.get(2)?,
                    lead: r.get(3)?,
                    members: list(r, 4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = c.prepare("SELECT id, name, team, members FROM rotations ORDER BY rowid")?;
        org.rotations = st
            .query_map([], |r| {
                Ok(Rotation {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    team: r.get(2)?,
                    members: list(r, 3)?,
                    shifts: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let index: std::collections::HashMap<String, usize> = org
            .rotations
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        let mut st = c.prepare("SELECT rotation, person, start, end FROM shifts ORDER BY rowid")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let rotation: String = r.get(0)?;
            let shift = Shift {
                person: r.get(1)?,
                start: from_secs(r.get(2)?),
                end: from_secs(r.get(3)?),
            };
            match index.get(&rotation) {
                Some(&i) => org.rotations[i].shifts.push(shift),
                None => org.rotations.push(Rotation {
                    id: rotation.clone(),
                    name: rotation,
                    team: None,
                    members: Vec::new(),
                    shifts: vec![shift],
                }),
            }
        }
        let mut st =
            c.prepare("SELECT person, course, completed, expires FROM trainings ORDER BY rowid")?;
        org.trainings = st
            .query_map([], |r| {
                Ok(Training {
                    person: r.get(0)?,
                    course: r.get(1)?,
                    completed: from_secs(r.get(2)?),
                    expires: opt_time(r.get(3)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = c.prepare(
            "SELECT id, name, parent, owner, tags, notes, review_days, escalate_days FROM areas ORDER BY rowid",
        )?;
        org.areas = st
            .query_map([], |r| {
                Ok(Area {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    parent: r.get(2)?,
                    owner: r.get(3)?,
                    tags: list(r, 4)?,
                    notes: r.get(5)?,
                    review_days: r.get(6)?,
                    escalate_days: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st =
            c.prepare("SELECT id, area, name, upstream FROM entitlements ORDER BY rowid")?;
        org.entitlements = st
            .query_map([], |r| {
                Ok(Entitlement {
                    id: r.get(0)?,
                    area: r.get(1)?,
                    name: r.get(2)?,
                    upstream: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = c.prepare(
            "SELECT person, entitlement, granted_by, granted_at, basis, expires FROM grants ORDER BY rowid",
        )?;
        let mut grants = Vec::new();
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let basis: String = r.get(4)?;
            grants.push(Grant {
                person: r.get(0)?,
                entitlement: r.get(1)?,
                granted_by: r.get(2)?,
                granted_at: from_secs(r.get(3)?),
                basis: Basis::parse(&basis).unwrap_or(Basis::Manual),
                expires: opt_time(r.get(5)?),
            });
        }
        org.grants = grants;
        let mut st = c.prepare(
            "SELECT area, to_person, by_person, since, until FROM delegations ORDER BY rowid",
        )?;
        org.delegations = st
            .query_map([], |r| {
                Ok(Delegation {
                    area: r.get(0)?,
                    to: r.get(1)?,
                    by: r.get(2)?,
                    since: from_secs(r.get(3)?),
                    until: opt_time(r.get(4)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = c.prepare(
            "SELECT id, area, author, why, grants, team, rotation, trained, only_while_oncall FROM rules ORDER BY rowid",
        )?;
        org.rules = st
            .query_map([], |r| {
                let team: Option<String> = r.get(5)?;
                let rotation: Option<String> = r.get(6)?;
                Ok(Rule {
                    id: r.get(0)?,
                    area: r.get(1)?,
                    author: r.get(2)?,
                    why: r.get(3)?,
                    grant: list(r, 4)?,
                    audience: match (team, rotation) {
                        (Some(t), _) => Audience::Team(t),
                        (None, r) => Audience::Rotation(r.unwrap_or_default()),
                    },
                    trained: list(r, 7)?,
                    only_while_oncall: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(org)
    }

    /// A value from the small key/value table, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
            params![key, value],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Org {
        let t = |s: &str| s.parse::<Time>().unwrap();
        Org {
            people: vec![Person {
                id: "a".into(),
                name: "A".into(),
                email: "a@x".into(),
                manager: None,
                status: Status::Left,
            }],
            teams: vec![Team {
                id: "t".into(),
                name: "T".into(),
                parent: None,
                lead: Some("a".into()),
                members: vec!["a".into()],
            }],
            rotations: vec![Rotation {
                id: "r".into(),
                name: "R".into(),
                team: Some("t".into()),
                members: vec![],
                shifts: vec![Shift {
                    person: "a".into(),
                    start: t("2026-01-01T00:00:00Z"),
                    end: t("2026-01-08T00:00:00Z"),
                }],
            }],
            trainings: vec![Training {
                person: "a".into(),
                course: "c".into(),
                completed: t("2026-01-01T00:00:00Z"),
                expires: None,
            }],
            areas: vec![Area {
                id: "x".into(),
                name: "X".into(),
                parent: None,
                owner: "a".into(),
                tags: vec!["pii".into()],
                notes: "n".into(),
                review_days: 30,
                escalate_days: 7,
            }],
            entitlements: vec![Entitlement {
                id: "x:r".into(),
                area: "x".into(),
                name: "read".into(),
                upstream: Some("g".into()),
            }],
            grants: vec![Grant {
                person: "a".into(),
                entitlement: "x:r".into(),
                granted_by: None,
                granted_at: t("2026-01-01T00:00:00Z"),
                basis: Basis::Rule("q".into()),
                expires: Some(t("2027-01-01T00:00:00Z")),
            }],
            delegations: vec![Delegation {
                area: "x".into(),
                to: "a".into(),
                by: "a".into(),
                since: t("2026-01-01T00:00:00Z"),
                until: None,
            }],
            rules: vec![Rule {
                id: "q".into(),
                area: "x".into(),
                author: "a".into(),
                why: "w".into(),
                grant: vec!["x:r".into()],
                audience: Audience::Rotation("r".into()),
                trained: vec!["c".into()],
                only_while_oncall: true,
            }],
        }
    }

    fn info(name: &str) -> SourceInfo {
        SourceInfo {
            name: name.into(),
            kind: "files".into(),
            location: "/tmp/x".into(),
            synced_at: None,
            attempted_at: None,
            error: None,
            items: 0,
        }
    }

    #[test]
    fn an_org_round_trips_through_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        store
            .replace_source(&info("files"), &sample(), now)
            .unwrap();
        assert_eq!(store.load_org().unwrap(), sample());
        // Replacing again does not duplicate.
        store
            .replace_source(&info("files"), &sample(), now)
            .unwrap();
        assert_eq!(store.load_org().unwrap(), sample());
        let s = &store.sources().unwrap()[0];
        assert_eq!(s.synced_at, Some(now));
        assert_eq!(s.items, 9);
    }

    #[test]
    fn a_failure_is_noted_and_leaves_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        store
            .replace_source(&info("files"), &sample(), now)
            .unwrap();
        store
            .record_sync_failure(&info("files"), "boom", now + chrono::Duration::hours(1))
            .unwrap();
        assert_eq!(store.load_org().unwrap(), sample());
        let s = &store.sources().unwrap()[0];
        assert_eq!(s.synced_at, Some(now));
        assert_eq!(s.error.as_deref(), Some("boom"));
    }
}
