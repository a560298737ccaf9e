//! Reading the synced organization's rows back: all of a table, or only the
//! rows whose key is one of a list of ids (an indexed lookup, for scoped
//! reads). Rows come in the order they were written (rowid), whichever way
//! they are selected, so that a part of the organization read by ids keeps
//! the relative order of the whole.

use super::Result;
use super::epoch::from_secs;
use crate::model::*;
use rusqlite::{Connection, Row};
use std::collections::HashMap;

/// Which rows of a table to read.
#[derive(Debug, Clone, Copy)]
pub(super) enum Rows<'a> {
    All,
    /// Rows whose `column` is one of `ids` (a JSON array of strings).
    Where(&'static str, &'a str),
}

impl Rows<'_> {
    /// `SELECT columns FROM table`, filtered, in rowid order.
    fn sql(&self, columns: &str, table: &str) -> String {
        match self {
            Rows::All => format!("SELECT {columns} FROM {table} ORDER BY rowid"),
            Rows::Where(column, _) => format!(
                "SELECT {columns} FROM {table} WHERE {column} IN (SELECT value FROM json_each(?1)) ORDER BY rowid"
            ),
        }
    }

    fn params(&self) -> Vec<&str> {
        match self {
            Rows::All => Vec::new(),
            Rows::Where(_, ids) => vec![ids],
        }
    }

    /// Reads each selected row with `f`.
    fn read<T>(
        &self,
        c: &Connection,
        columns: &str,
        table: &str,
        mut f: impl FnMut(&Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut st = c.prepare_cached(&self.sql(columns, table))?;
        let mut rows = st.query(rusqlite::params_from_iter(self.params()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(f(r)?);
        }
        Ok(out)
    }
}

/// A JSON array of ids, as [`Rows::Where`] takes it.
pub(super) fn id_list<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let ids: Vec<&str> = ids.into_iter().collect();
    serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())
}

pub(super) fn opt_time(v: Option<i64>) -> Option<Time> {
    v.map(from_secs)
}

fn list(row: &Row, i: usize) -> rusqlite::Result<Vec<String>> {
    let text = row.get_ref(i)?.as_str()?;
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(super) fn people(c: &Connection, rows: Rows) -> Result<Vec<Person>> {
    rows.read(
        c,
        "id, name, email, manager, status, title",
        "people",
        |r| {
            Ok(Person {
                id: r.get(0)?,
                name: r.get(1)?,
                email: r.get(2)?,
                manager: r.get(3)?,
                status: if r.get_ref(4)?.as_str()? == "left" {
                    Status::Left
                } else {
                    Status::Active
                },
                title: r.get(5)?,
            })
        },
    )
}

pub(super) fn teams(c: &Connection, rows: Rows) -> Result<Vec<Team>> {
    rows.read(c, "id, name, parent, lead, members", "teams", |r| {
        Ok(Team {
            id: r.get(0)?,
            name: r.get(1)?,
            parent: r.get(2)?,
            lead: r.get(3)?,
            members: list(r, 4)?,
        })
    })
}

/// Rotations with their shifts (a shift of a rotation no source defines
/// makes one of its own, named by its id). Selected by rotation id: the
/// rotations with those ids and the shifts of those rotations.
pub(super) fn rotations(c: &Connection, rows: Rows) -> Result<Vec<Rotation>> {
    let mut rotations = rows.read(c, "id, name, team, members", "rotations", |r| {
        Ok(Rotation {
            id: r.get(0)?,
            name: r.get(1)?,
            team: r.get(2)?,
            members: list(r, 3)?,
            shifts: Vec::new(),
        })
    })?;
    let shift_rows = match rows {
        Rows::All => Rows::All,
        Rows::Where(_, ids) => Rows::Where("rotation", ids),
    };
    let shifts = shift_rows.read(c, "rotation, person, start, end", "shifts", |r| {
        Ok((
            r.get::<_, String>(0)?,
            Shift {
                person: r.get(1)?,
                start: from_secs(r.get(2)?),
                end: from_secs(r.get(3)?),
            },
        ))
    })?;
    let mut index: HashMap<String, usize> = HashMap::with_capacity(rotations.len());
    for (i, r) in rotations.iter().enumerate() {
        index.entry(r.id.clone()).or_insert(i);
    }
    for (rotation, shift) in shifts {
        match index.get(&rotation) {
            Some(&i) => rotations[i].shifts.push(shift),
            None => {
                index.insert(rotation.clone(), rotations.len());
                rotations.push(Rotation {
                    id: rotation.clone(),
                    name: rotation,
                    team: None,
                    members: Vec::new(),
                    shifts: vec![shift],
                });
            }
        }
    }
    Ok(rotations)
}

pub(super) fn trainings(c: &Connection, rows: Rows) -> Result<Vec<Training>> {
    rows.read(c, "person, course, completed, expires", "trainings", |r| {
        Ok(Training {
            person: r.get(0)?,
            course: r.get(1)?,
            completed: from_secs(r.get(2)?),
            expires: opt_time(r.get(3)?),
        })
    })
}

pub(super) fn areas(c: &Connection, rows: Rows) -> Result<Vec<Area>> {
    let columns =
        "id, name, parent, owner, tags, notes, review_days, escalate_days, max_auto_changes";
    rows.read(c, columns, "areas", |r| {
        Ok(Area {
            id: r.get(0)?,
            name: r.get(1)?,
            parent: r.get(2)?,
            owner: r.get(3)?,
            tags: list(r, 4)?,
            notes: r.get(5)?,
            review_days: r.get(6)?,
            escalate_days: r.get(7)?,
            max_auto_changes: r.get(8)?,
        })
    })
}

pub(super) fn entitlements(c: &Connection, rows: Rows) -> Result<Vec<Entitlement>> {
    rows.read(c, "id, area, name, upstream", "entitlements", |r| {
        Ok(Entitlement {
            id: r.get(0)?,
            area: r.get(1)?,
            name: r.get(2)?,
            upstream: r.get(3)?,
        })
    })
}

pub(super) const GRANT_COLUMNS: &str =
    "person, entitlement, granted_by, granted_at, basis, expires, through";

/// A grant row read with [`GRANT_COLUMNS`].
pub(super) fn grant(r: &Row) -> rusqlite::Result<Grant> {
    Ok(Grant {
        person: r.get(0)?,
        entitlement: r.get(1)?,
        granted_by: r.get(2)?,
        granted_at: from_secs(r.get(3)?),
        basis: Basis::parse(r.get_ref(4)?.as_str()?).unwrap_or(Basis::Manual),
        expires: opt_time(r.get(5)?),
        through: r.get(6)?,
    })
}

/// A grant's columns as [`GRANT_COLUMNS`] reads them, borrowed.
#[derive(Debug, Clone, Copy)]
pub(super) struct GrantText<'a> {
    pub person: &'a str,
    pub entitlement: &'a str,
    pub granted_by: Option<&'a str>,
    pub granted_at: i64,
    pub basis: &'a str,
    pub expires: Option<i64>,
    pub through: Option<&'a str>,
}

impl<'a> GrantText<'a> {
    /// The row read with [`GRANT_COLUMNS`].
    #[cfg(test)]
    pub fn of(r: &'a Row) -> rusqlite::Result<GrantText<'a>> {
        Ok(GrantText {
            person: r.get_ref(0)?.as_str()?,
            entitlement: r.get_ref(1)?.as_str()?,
            granted_by: r.get_ref(2)?.as_str_or_null()?,
            granted_at: r.get(3)?,
            basis: r.get_ref(4)?.as_str()?,
            expires: r.get(5)?,
            through: r.get_ref(6)?.as_str_or_null()?,
        })
    }

    /// Into a grant already there, its strings overwritten in place (no
    /// allocation once they are long enough): the grant [`grant`] reads.
    pub fn set(&self, g: &mut Grant) {
        fn set(to: &mut String, from: &str) {
            to.clear();
            to.push_str(from);
        }
        set(&mut g.person, self.person);
        set(&mut g.entitlement, self.entitlement);
        match (self.granted_by, &mut g.granted_by) {
            (None, by) => *by = None,
            (Some(s), Some(by)) => set(by, s),
            (Some(s), by) => *by = Some(s.to_string()),
        }
        g.granted_at = from_secs(self.granted_at);
        match (self.basis.strip_prefix("rule:"), &mut g.basis) {
            (Some(id), Basis::Rule(old)) if !id.is_empty() => set(old, id),
            (Some(id), basis) if !id.is_empty() => *basis = Basis::Rule(id.to_string()),
            (_, basis) => *basis = Basis::Manual,
        }
        g.expires = opt_time(self.expires);
        match (self.through, &mut g.through) {
            (None, through) => *through = None,
            (Some(s), Some(through)) => set(through, s),
            (Some(s), through) => *through = Some(s.to_string()),
        }
    }
}

pub(super) fn grants(c: &Connection, rows: Rows) -> Result<Vec<Grant>> {
    rows.read(c, GRANT_COLUMNS, "grants", grant)
}

pub(super) fn delegations(c: &Connection, rows: Rows) -> Result<Vec<Delegation>> {
    let columns = "area, to_person, by_person, since, until";
    rows.read(c, columns, "delegations", |r| {
        Ok(Delegation {
            area: r.get(0)?,
            to: r.get(1)?,
            by: r.get(2)?,
            since: from_secs(r.get(3)?),
            until: opt_time(r.get(4)?),
        })
    })
}

pub(super) fn rules(c: &Connection, rows: Rows) -> Result<Vec<Rule>> {
    let columns = "id, area, author, why, grants, team, rotation, trained, only_while_oncall, apply, lead, grace";
    rows.read(c, columns, "rules", |r| {
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
            apply: {
                let text: String = r.get(9)?;
                ApplyMode::parse(&text).ok_or_else(|| {
                    rusqlite::Error::FromSqlConversionFailure(
                        9,
                        rusqlite::types::Type::Text,
                        format!("unknown apply {text:?} in rules table").into(),
                    )
                })?
            },
            lead_secs: r.get(10)?,
            grace_secs: r.get(11)?,
        })
    })
}

/// Every table, all rows.
pub(super) fn org(c: &Connection) -> Result<Org> {
    Ok(Org {
        grants: grants(c, Rows::All)?,
        ..org_without_grants(c)?
    })
}

/// Every table but grants, all rows.
pub(super) fn org_without_grants(c: &Connection) -> Result<Org> {
    let (people, teams, rotations) = people_teams_rotations(c)?;
    Ok(Org {
        people,
        teams,
        rotations,
        ..org_but_people_and_grants(c)?
    })
}

/// People, teams and rotations (with their shifts), all rows: the part of
/// [`org_without_grants`] that [`org_but_people_and_grants`] leaves out.
pub(super) fn people_teams_rotations(
    c: &Connection,
) -> Result<(Vec<Person>, Vec<Team>, Vec<Rotation>)> {
    Ok((
        people(c, Rows::All)?,
        teams(c, Rows::All)?,
        rotations(c, Rows::All)?,
    ))
}

/// Every table but grants, people, teams, rotations and shifts, all rows.
pub(super) fn org_but_people_and_grants(c: &Connection) -> Result<Org> {
    Ok(Org {
        people: Vec::new(),
        teams: Vec::new(),
        rotations: Vec::new(),
        trainings: trainings(c, Rows::All)?,
        areas: areas(c, Rows::All)?,
        entitlements: entitlements(c, Rows::All)?,
        grants: Vec::new(),
        delegations: delegations(c, Rows::All)?,
        rules: rules(c, Rows::All)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A grant read into one that held something else is the grant read
    /// afresh, whatever each held before.
    #[test]
    fn a_grant_read_in_place_is_the_grant_read_afresh() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE grants (person, entitlement, granted_by, granted_at, basis, expires, through);
             INSERT INTO grants VALUES
                ('ana', 'db:read', 'bo', 10, 'rule:r1', NULL, NULL),
                ('bo', 'db:write', NULL, 20, 'manual', 30, 'team-a -> db-writers'),
                ('cy', 'db:read', 'ana', 40, 'rule:', NULL, NULL),
                ('dee', 'db:admin', 'bo', 50, 'rule:a-much-longer-rule-id', 60, NULL),
                ('e', 'x', NULL, 0, 'odd', NULL, 'x -> y');",
        )
        .unwrap();
        let fresh = grants(&c, Rows::All).unwrap();
        assert_eq!(fresh.len(), 5);
        for start in &fresh {
            for want in &fresh {
                let mut g = start.clone();
                let mut st = c
                    .prepare(&format!(
                        "SELECT {GRANT_COLUMNS} FROM grants WHERE person = ?1"
                    ))
                    .unwrap();
                let mut rows = st.query([&want.person]).unwrap();
                GrantText::of(rows.next().unwrap().unwrap())
                    .unwrap()
                    .set(&mut g);
                assert_eq!(&g, want);
            }
        }
    }
}
