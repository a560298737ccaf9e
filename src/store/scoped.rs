//! Scoped reads: the part of the organization one person's scope needs,
//! read by indexed lookups instead of the whole cache.
//!
//! Evaluating a scope reads its areas and what lies above them (authority
//! runs up the tree), their delegations, the entitlements of the scope and
//! their grants, the rules of those areas and the rules the grants name as
//! their basis, the teams (with every team below) and rotations (with their
//! shifts) of the rules that may grant something in scope, and the people
//! and trainings all those name. Every lookup is by id and takes every row
//! with that id, in the order they were written, so an organization read
//! this way resolves each id to the same row as the whole one does, and
//! the policy engine, run on it, says exactly what it says on the whole
//! organization within the scope.
//!
//! Besides, for the console: the teams the person leads (with every team
//! below) and the rotations of those teams, and the owners and delegates of
//! the areas read.

use super::read::{self, Rows, id_list};
use super::{Result, Store};
use crate::model::*;
use rusqlite::{Connection, ToSql};
use rustc_hash::FxHashSet;

/// The areas below a JSON list of area ids, those included.
const AREAS_BELOW: &str = "
    WITH RECURSIVE below(id) AS (
        SELECT value FROM json_each(?1)
        UNION SELECT a.id FROM areas a JOIN below ON a.parent = below.id
    ) SELECT id FROM below";

/// The areas above a JSON list of area ids, those included.
const AREAS_ABOVE: &str = "
    WITH RECURSIVE above(id) AS (
        SELECT value FROM json_each(?1)
        UNION SELECT a.parent FROM areas a JOIN above ON a.id = above.id
            WHERE a.parent IS NOT NULL
    ) SELECT id FROM above";

/// The teams below a JSON list of team ids, those included.
const TEAMS_BELOW: &str = "
    WITH RECURSIVE below(id) AS (
        SELECT value FROM json_each(?1)
        UNION SELECT t.id FROM teams t JOIN below ON t.parent = below.id
    ) SELECT id FROM below";

/// The text values of a one-column query (NULLs left out).
fn strings(c: &Connection, sql: &str, params: &[&dyn ToSql]) -> Result<Vec<String>> {
    let mut st = c.prepare_cached(sql)?;
    let mut rows = st.query(params)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        if let Some(s) = r.get::<_, Option<String>>(0)? {
            out.push(s);
        }
    }
    Ok(out)
}

impl Store {
    /// The part of the organization that `person`'s scope at `now` needs
    /// (see the module's documentation), read in one transaction.
    /// Evaluated, it gives exactly the suggestions the whole organization
    /// gives within that scope; a person on no roster gets an organization
    /// without them, as the whole one would be.
    pub fn load_scope(&self, person: &str, now: Time) -> Result<Org> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Deferred,
        )?;
        let org = read_scope(&tx, person, now)?;
        tx.finish()?;
        Ok(org)
    }
}

/// The ids of the areas in `person`'s scope at `now` (what they own or
/// hold an active delegation for, and everything below), and of those
/// above it.
fn scope_areas(c: &Connection, person: &str, now: Time) -> Result<(Vec<String>, Vec<String>)> {
    let at = super::epoch::secs(now);
    let granted = strings(
        c,
        "SELECT id FROM areas WHERE owner = ?1
         UNION SELECT area FROM delegations
            WHERE to_person = ?1 AND since <= ?2 AND (until IS NULL OR until > ?2)",
        &[&person, &at],
    )?;
    let granted = id_list(granted.iter().map(String::as_str));
    let below = strings(c, AREAS_BELOW, &[&granted])?;
    let above = strings(c, AREAS_ABOVE, &[&granted])?;
    Ok((below, above))
}

impl Store {
    /// Whether `person`'s scope at `now` is a small part of the
    /// organization (at most an eighth of its areas), best read with
    /// [`Store::load_scope`]; a larger one is best evaluated area by area
    /// ([`Store::evaluate_by_area`]).
    pub fn scope_is_small(&self, person: &str, now: Time) -> Result<bool> {
        let (below, _) = scope_areas(&self.conn, person, now)?;
        let all: i64 = self
            .conn
            .query_row("SELECT count(*) FROM areas", [], |r| r.get(0))?;
        Ok(below.len() as i64 * 8 <= all)
    }
}

impl Store {
    /// What `person`'s scope at `now` needs: only that when it is a small
    /// part of the organization ([`Store::scope_is_small`]), else the
    /// whole organization.
    pub fn load_for(&self, person: &str, now: Time) -> Result<Org> {
        match self.scope_is_small(person, now)? {
            true => self.load_scope(person, now),
            false => self.load_org(),
        }
    }
}

fn read_scope(c: &Connection, person: &str, now: Time) -> Result<Org> {
    let (below, above) = scope_areas(c, person, now)?;
    let mut area_ids: FxHashSet<&str> = below.iter().map(String::as_str).collect();
    area_ids.extend(above.iter().map(String::as_str));
    let area_list = id_list(area_ids.iter().copied());
    let areas = read::areas(c, Rows::Where("id", &area_list))?;
    let delegations = read::delegations(c, Rows::Where("area", &area_list))?;

    let ent_ids = strings(
        c,
        "SELECT DISTINCT id FROM entitlements WHERE area IN (SELECT value FROM json_each(?1))",
        &[&id_list(below.iter().map(String::as_str))],
    )?;
    let ent_list = id_list(ent_ids.iter().map(String::as_str));
    let entitlements = read::entitlements(c, Rows::Where("id", &ent_list))?;
    let grants = read::grants(c, Rows::Where("entitlement", &ent_list))?;

    // The rules of the areas read (one counts within its area's subtree),
    // and those the grants name as their basis.
    let mut rule_ids: FxHashSet<String> = strings(
        c,
        "SELECT DISTINCT id FROM rules WHERE area IN (SELECT value FROM json_each(?1))",
        &[&area_list],
    )?
    .into_iter()
    .collect();
    rule_ids.extend(
        grants
            .iter()
            .filter_map(|g| g.basis.rule())
            .map(str::to_string),
    );
    let rules = read::rules(
        c,
        Rows::Where("id", &id_list(rule_ids.iter().map(String::as_str))),
    )?;

    let (teams, rotations) = audiences(c, person, &rules, &area_ids, &ent_ids)?;
    // People: the person, the owners and delegates of the areas read (the
    // console names them), the grants' holders and the audiences' members.
    let mut people_ids: FxHashSet<&str> = FxHashSet::default();
    people_ids.insert(person);
    people_ids.extend(areas.iter().map(|a| a.owner.as_str()));
    people_ids.extend(
        delegations
            .iter()
            .flat_map(|d| [d.to.as_str(), d.by.as_str()]),
    );
    people_ids.extend(grants.iter().map(|g| g.person.as_str()));
    for t in &teams {
        people_ids.extend(t.members.iter().map(String::as_str));
    }
    for r in &rotations {
        people_ids.extend(r.members.iter().map(String::as_str));
        people_ids.extend(r.shifts.iter().map(|s| s.person.as_str()));
    }
    let people_list = id_list(people_ids.iter().copied());
    let people = read::people(c, Rows::Where("id", &people_list))?;
    let trainings = read::trainings(c, Rows::Where("person", &people_list))?;
    Ok(Org {
        people,
        teams,
        rotations,
        trainings,
        areas,
        entitlements,
        grants,
        delegations,
        rules,
    })
}

/// The teams (each with every team below) and rotations of the rules that
/// may grant an entitlement in scope (a rule of an area read that names
/// one), and the teams `person` leads with their rotations.
fn audiences(
    c: &Connection,
    person: &str,
    rules: &[Rule],
    areas: &FxHashSet<&str>,
    entitlements: &[String],
) -> Result<(Vec<Team>, Vec<Rotation>)> {
    let in_scope: FxHashSet<&str> = entitlements.iter().map(String::as_str).collect();
    let mut team_ids: FxHashSet<&str> = FxHashSet::default();
    let mut rotation_ids: FxHashSet<String> = FxHashSet::default();
    for r in rules {
        if !areas.contains(r.area.as_str())
            || !r.grant.iter().any(|g| in_scope.contains(g.as_str()))
        {
            continue;
        }
        match &r.audience {
            Audience::Team(t) => {
                team_ids.insert(t);
            }
            Audience::Rotation(x) => {
                rotation_ids.insert(x.clone());
            }
        }
    }
    let led = strings(
        c,
        "SELECT DISTINCT id FROM teams WHERE lead = ?1",
        &[&person],
    )?;
    team_ids.extend(led.iter().map(String::as_str));
    rotation_ids.extend(strings(
        c,
        "SELECT DISTINCT id FROM rotations WHERE team IN (SELECT value FROM json_each(?1))",
        &[&id_list(led.iter().map(String::as_str))],
    )?);
    let teams_below = strings(c, TEAMS_BELOW, &[&id_list(team_ids.iter().copied())])?;
    let teams = read::teams(
        c,
        Rows::Where("id", &id_list(teams_below.iter().map(String::as_str))),
    )?;
    let rotations = read::rotations(
        c,
        Rows::Where("id", &id_list(rotation_ids.iter().map(String::as_str))),
    )?;
    Ok((teams, rotations))
}
