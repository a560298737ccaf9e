//! What each write of the organization's rows changed, kept beside the
//! generation it moved the organization to (`org_changes`, migration 15),
//! so that what was evaluated from the rows can read only what changed
//! since instead of every row: the entitlements whose grants changed,
//! whether any rule did, or that something else did (people, teams,
//! rotations, trainings, areas, entitlements, delegations: read it all).
//! Written in the transaction of the write itself; the last [`KEPT`]
//! generations are kept, an older reader reads everything.

use super::read::{self, Rows};
use super::{Result, Store};
use crate::model::{Grant, Org, Rule};
use rusqlite::Connection;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;

/// Generations whose changes are kept.
const KEPT: i64 = 64;

/// Entitlements one write notes by id; past this, it notes that
/// everything changed (reading it all costs less then).
const MOST_ENTITLEMENTS: usize = 2_000;

/// Grant rows one write lists one by one; past this, it notes only their
/// entitlements. A reader patches a listed row in microseconds and reads
/// it by rowid, so a few thousand still cost milliseconds, while a first
/// sync of a million rows writes no million log rows. No more than
/// [`MOST_ENTITLEMENTS`]: each row names one entitlement, so a write that
/// lists its rows always notes its entitlements too, and a reader whose
/// range mixes listed and unlisted writes reads those entitlements whole.
const MOST_ROWS: usize = if cfg!(test) { 8 } else { 2_000 };

/// The setting naming the generation after which every change is kept.
pub(super) const SINCE: &str = "org_changes_since";

/// One change to the organization's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change<'a> {
    /// The grants of this entitlement, the write not listing its rows.
    Grants(&'a str),
    /// The grants of this entitlement, the write listing its rows in
    /// `org_grant_changes`.
    GrantRows(&'a str),
    /// One or more rules.
    Rules,
    /// Anything else, or too much to list.
    Org,
}

/// The generation the write in `tx` moves the organization to.
fn pending(tx: &Connection) -> rusqlite::Result<i64> {
    tx.query_row(
        "SELECT coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'org_generation'), 0) + 1",
        [],
        |r| r.get(0),
    )
}

/// Notes `changes` at the generation the write in `tx` moves to (the
/// caller moves it: [`next`]).
pub(super) fn note<'a>(
    tx: &Connection,
    changes: impl IntoIterator<Item = Change<'a>>,
) -> rusqlite::Result<()> {
    let generation = pending(tx)?;
    let mut st = tx.prepare_cached(
        "INSERT OR IGNORE INTO org_changes (generation, kind, key) VALUES (?1, ?2, ?3)",
    )?;
    for c in changes {
        let (kind, key) = match c {
            Change::Grants(e) => ("grants", e),
            Change::GrantRows(e) => ("grant_rows", e),
            Change::Rules => ("rules", ""),
            Change::Org => ("org", ""),
        };
        st.execute(rusqlite::params![generation, kind, key])?;
    }
    Ok(())
}

/// Notes `changes` and moves the generation on, inside `tx`: for every
/// write of the organization's rows outside a sync.
pub(super) fn moved<'a>(
    tx: &Connection,
    changes: impl IntoIterator<Item = Change<'a>>,
) -> rusqlite::Result<()> {
    note(tx, changes)?;
    next(tx)
}

/// Moves the generation on inside `tx` and forgets what fell out of the
/// log: after [`note`], or for a sync whose table writes noted their own.
pub(super) fn next(tx: &Connection) -> rusqlite::Result<()> {
    let generation = super::generation::next(tx)?;
    trim(tx, generation)
}

/// Forgets the changes of generations before the last [`KEPT`], once
/// `generation` is the latest.
pub(super) fn trim(tx: &Connection, generation: i64) -> rusqlite::Result<()> {
    let from = generation - KEPT;
    if from <= 0 {
        return Ok(());
    }
    tx.execute("DELETE FROM org_changes WHERE generation <= ?1", [from])?;
    tx.execute(
        "DELETE FROM org_grant_changes WHERE generation <= ?1",
        [from],
    )?;
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), ?2)",
        rusqlite::params![SINCE, from],
    )?;
    Ok(())
}

/// What a table's write changed, as its rows are inserted and deleted.
/// For grants, each row's rowid, inserted or deleted, in the order
/// written, until there are more than [`MOST_ROWS`]: a reader holding the
/// grants by rowid patches exactly those rows. Each row costs a push.
pub(super) struct Noted {
    /// `None` for a table outside the organization's rows.
    table: Option<&'static str>,
    /// For grants: the entitlements of rows inserted or deleted (`None`
    /// once there are too many to list).
    entitlements: Option<FxHashSet<String>>,
    /// For grants: each row's rowid and whether it was inserted (`None`
    /// once there are more than [`MOST_ROWS`]).
    rows: Option<Vec<(i64, bool)>>,
    changed: bool,
}

impl Noted {
    pub fn new(table: &'static str) -> Noted {
        let grants = table == "grants";
        Noted {
            table: super::schema::ORG_TABLES.contains(&table).then_some(table),
            entitlements: grants.then(FxHashSet::default),
            rows: grants.then(Vec::new),
            changed: false,
        }
    }

    /// A row inserted or deleted; `key` its entitlement, for grants.
    fn row(&mut self, key: Option<&str>, rowid: i64, inserted: bool) {
        self.changed = true;
        if let Some(set) = &mut self.entitlements {
            match key {
                Some(e) if set.contains(e) => {}
                Some(e) if set.len() < MOST_ENTITLEMENTS => {
                    set.insert(e.to_string());
                }
                _ => self.entitlements = None,
            }
        }
        if let Some(rows) = &mut self.rows {
            if rows.len() < MOST_ROWS {
                rows.push((rowid, inserted));
            } else {
                self.rows = None;
            }
        }
    }

    /// Row `rowid` inserted; `entitlement` its entitlement, for grants.
    pub fn inserted(&mut self, entitlement: Option<&str>, rowid: i64) {
        let key = entitlement.filter(|_| self.table == Some("grants"));
        self.row(key, rowid, true);
    }

    /// Row `rowid` deleted; `entitlement` its entitlement, for grants.
    pub fn deleted(&mut self, entitlement: Option<&str>, rowid: i64) {
        let key = entitlement.filter(|_| self.table == Some("grants"));
        self.row(key, rowid, false);
    }

    /// The statement deleting one row of `table` by rowid (`?1`): for
    /// grants, it gives back the row's entitlement, for [`Noted::delete`].
    pub fn delete_sql(table: &str) -> String {
        if table == "grants" {
            "DELETE FROM grants WHERE rowid = ?1 RETURNING entitlement".into()
        } else {
            format!("DELETE FROM {table} WHERE rowid = ?1")
        }
    }

    /// Deletes row `rowid` with `st` (made from [`Noted::delete_sql`]) and
    /// notes it; how many rows it deleted.
    pub fn delete(&mut self, st: &mut rusqlite::Statement, rowid: i64) -> rusqlite::Result<usize> {
        use rusqlite::OptionalExtension;
        if self.table != Some("grants") {
            let n = st.execute([rowid])?;
            if n > 0 {
                self.row(None, rowid, false);
            }
            return Ok(n);
        }
        let key: Option<String> = st.query_row([rowid], |r| r.get(0)).optional()?;
        if let Some(e) = &key {
            self.deleted(Some(e), rowid);
        }
        Ok(usize::from(key.is_some()))
    }

    /// Writes what was noted into the log, inside `tx`.
    pub fn write(self, tx: &Connection) -> rusqlite::Result<()> {
        match (self.table, &self.entitlements, &self.rows) {
            _ if !self.changed => Ok(()),
            (None, ..) => Ok(()),
            (Some("grants"), Some(set), Some(rows)) => {
                note(tx, set.iter().map(|e| Change::GrantRows(e)))?;
                note_rows(tx, rows)
            }
            (Some("grants"), Some(set), None) => note(tx, set.iter().map(|e| Change::Grants(e))),
            (Some("rules"), ..) => note(tx, [Change::Rules]),
            (Some(_), ..) => note(tx, [Change::Org]),
        }
    }
}

/// Notes grant rows `rows` (rowid, inserted) at the generation the write
/// in `tx` moves to, in the order given.
fn note_rows(tx: &Connection, rows: &[(i64, bool)]) -> rusqlite::Result<()> {
    let generation = pending(tx)?;
    let mut st = tx.prepare_cached(
        "INSERT INTO org_grant_changes (generation, grant_row, inserted) VALUES (?1, ?2, ?3)",
    )?;
    for &(rowid, inserted) in rows {
        st.execute(rusqlite::params![generation, rowid, inserted])?;
    }
    Ok(())
}

/// What changed in the organization since a generation, read in one
/// transaction with the generation it is current for.
#[derive(Debug)]
pub struct OrgDelta {
    /// The generation the store is at.
    pub generation: i64,
    pub change: Delta,
}

/// What changed.
#[derive(Debug)]
pub enum Delta {
    /// Nothing.
    Same,
    /// Something else than grants and rules, or the log does not reach
    /// back: the whole organization, with each grant's rowid.
    Whole { org: Org, rowids: Vec<i64> },
    /// Grants, perhaps rules.
    Parts {
        grants: GrantChanges,
        /// Every rule, in the order written, when any changed.
        rules: Option<Vec<Rule>>,
    },
}

/// How grants changed.
#[derive(Debug, Clone, PartialEq)]
pub enum GrantChanges {
    /// Each entitlement whose grants changed, with every grant it has now
    /// (rowid, grant), in the order written: a write did not list its rows.
    Entitlements(Vec<(String, Vec<(i64, Grant)>)>),
    /// Exactly the rows that changed: those a reader holds that are gone
    /// (by rowid), and those it lacks (rowid, grant), both in rowid order.
    /// A row inserted and deleted since cancels out; a new row's rowid is
    /// higher than that of every row still there.
    Rows {
        deleted: Vec<i64>,
        inserted: Vec<(i64, Grant)>,
    },
}

impl GrantChanges {
    /// No grant changed.
    pub fn none() -> GrantChanges {
        GrantChanges::Rows {
            deleted: Vec::new(),
            inserted: Vec::new(),
        }
    }
}

impl Store {
    /// What changed in the organization since `generation` (`None`:
    /// everything), and the generation the store is at.
    pub fn org_since(&self, generation: Option<i64>) -> Result<OrgDelta> {
        // One read transaction: the log and the rows as of one commit.
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Deferred,
        )?;
        let now = self.org_generation()?;
        let change = match generation {
            Some(g) if g == now => Delta::Same,
            Some(g) if g < now && logged_since(&tx)? <= g => changed(&tx, g, now)?,
            _ => whole(&tx)?,
        };
        tx.finish()?;
        Ok(OrgDelta {
            generation: now,
            change,
        })
    }

    /// The whole organization, with each grant's rowid (`rowids[i]` is
    /// that of `org.grants[i]`), in one read transaction.
    pub fn load_org_rowed(&self) -> Result<(Org, Vec<i64>)> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Deferred,
        )?;
        let out = whole_rowed(&tx)?;
        tx.finish()?;
        Ok(out)
    }
}

/// The whole organization, each grant with its rowid.
fn whole(c: &Connection) -> Result<Delta> {
    let (org, rowids) = whole_rowed(c)?;
    Ok(Delta::Whole { org, rowids })
}

fn whole_rowed(c: &Connection) -> Result<(Org, Vec<i64>)> {
    let rows = grants_rowed(c, "ORDER BY rowid", None)?;
    let (rowids, grants) = rows.into_iter().unzip();
    let org = Org {
        grants,
        ..read::org_without_grants(c)?
    };
    Ok((org, rowids))
}

/// Grant rows with their rowids: `tail` after `FROM grants`, binding `ids`
/// (a JSON array) as `?1` if given.
fn grants_rowed(c: &Connection, tail: &str, ids: Option<&str>) -> Result<Vec<(i64, Grant)>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {}, rowid FROM grants {tail}",
        read::GRANT_COLUMNS
    ))?;
    let mut rows = match ids {
        Some(ids) => st.query([ids])?,
        None => st.query([])?,
    };
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push((r.get(7)?, read::grant(r)?));
    }
    Ok(out)
}

/// The generation after which every change is in the log.
fn logged_since(c: &Connection) -> Result<i64> {
    let v = super::settings::setting(c, SINCE)?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(i64::MAX))
}

/// The rows that changed after generation `from` up to `to`: grant rows
/// one by one when every write of grants in the range listed its rows,
/// else every grant of each entitlement some write changed.
fn changed(c: &Connection, from: i64, to: i64) -> Result<Delta> {
    let mut st = c.prepare_cached(
        "SELECT DISTINCT kind, key FROM org_changes WHERE generation > ?1 AND generation <= ?2",
    )?;
    let mut rows = st.query([from, to])?;
    let (mut entitlements, mut unlisted, mut rules) = (Vec::new(), false, false);
    while let Some(r) = rows.next()? {
        let kind: String = r.get(0)?;
        match kind.as_str() {
            "grants" => {
                unlisted = true;
                entitlements.push(r.get::<_, String>(1)?);
            }
            "grant_rows" => entitlements.push(r.get::<_, String>(1)?),
            "rules" => rules = true,
            _ => return whole(c),
        }
    }
    let grants = if unlisted {
        of_entitlements(c, entitlements)?
    } else {
        match listed_rows(c, from, to)? {
            Some(rows) => rows,
            None => return whole(c),
        }
    };
    Ok(Delta::Parts {
        grants,
        rules: if rules {
            Some(read::rules(c, Rows::All)?)
        } else {
            None
        },
    })
}

/// Every grant of each of `entitlements` (rowid, grant), in the order written.
fn of_entitlements(c: &Connection, mut entitlements: Vec<String>) -> Result<GrantChanges> {
    entitlements.sort_unstable();
    entitlements.dedup();
    let mut by_entitlement: BTreeMap<String, Vec<(i64, Grant)>> = entitlements
        .iter()
        .map(|e| (e.clone(), Vec::new()))
        .collect();
    let ids = read::id_list(entitlements.iter().map(String::as_str));
    let tail = "WHERE entitlement IN (SELECT value FROM json_each(?1)) ORDER BY rowid";
    for (rowid, g) in grants_rowed(c, tail, Some(&ids))? {
        if let Some(list) = by_entitlement.get_mut(&g.entitlement) {
            list.push((rowid, g));
        }
    }
    Ok(GrantChanges::Entitlements(
        by_entitlement.into_iter().collect(),
    ))
}

/// The grant rows the writes after `from` up to `to` listed, netted: a
/// row's first event says whether a reader at `from` holds it, its last
/// whether it is there now. `None` when a row listed as there is not (the
/// log and the rows disagree: read it all).
fn listed_rows(c: &Connection, from: i64, to: i64) -> Result<Option<GrantChanges>> {
    let mut st = c.prepare_cached(
        "SELECT grant_row, inserted FROM org_grant_changes
         WHERE generation > ?1 AND generation <= ?2 ORDER BY rowid",
    )?;
    let mut rows = st.query([from, to])?;
    // By rowid: (first event an insert, last event an insert).
    let mut events: FxHashMap<i64, (bool, bool)> = FxHashMap::default();
    while let Some(r) = rows.next()? {
        let (rowid, inserted): (i64, bool) = (r.get(0)?, r.get(1)?);
        events
            .entry(rowid)
            .and_modify(|e| e.1 = inserted)
            .or_insert((inserted, inserted));
    }
    let mut deleted: Vec<i64> = events
        .iter()
        .filter(|(_, (first, _))| !first)
        .map(|(&r, _)| r)
        .collect();
    let mut there: Vec<i64> = events
        .iter()
        .filter(|(_, (_, last))| *last)
        .map(|(&r, _)| r)
        .collect();
    deleted.sort_unstable();
    there.sort_unstable();
    let ids = serde_json::to_string(&there).unwrap_or_else(|_| "[]".into());
    let tail = "WHERE rowid IN (SELECT value FROM json_each(?1)) ORDER BY rowid";
    let inserted = grants_rowed(c, tail, Some(&ids))?;
    if inserted.len() != there.len() {
        tracing::warn!(
            "the change log lists {} grant row(s) as written, {} are there: reading it all",
            there.len(),
            inserted.len()
        );
        return Ok(None);
    }
    Ok(Some(GrantChanges::Rows { deleted, inserted }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Audience, Basis, Grant, Time};
    use crate::store::fixture::{self, actor, now};

    fn grant(person: &str, entitlement: &str) -> Grant {
        Grant {
            person: person.into(),
            entitlement: entitlement.into(),
            granted_by: Some("priya".into()),
            granted_at: fixture::t("2026-02-01T00:00:00Z"),
            basis: Basis::Manual,
            expires: None,
            through: None,
        }
    }

    fn since(store: &Store, g: i64) -> Delta {
        let d = store.org_since(Some(g)).unwrap();
        assert_eq!(d.generation, store.org_generation().unwrap());
        d.change
    }

    fn is_whole(d: &Delta) -> bool {
        matches!(d, Delta::Whole { .. })
    }

    /// Every grant row the store holds now, by rowid.
    fn rows_now(store: &Store) -> Vec<(i64, Grant)> {
        let (org, rowids) = store.load_org_rowed().unwrap();
        rowids.into_iter().zip(org.grants).collect()
    }

    /// The rows of `now` not among `before`.
    fn new_rows(before: &[(i64, Grant)], now: &[(i64, Grant)]) -> Vec<(i64, Grant)> {
        now.iter()
            .filter(|r| !before.contains(r))
            .cloned()
            .collect()
    }

    /// The rowids of `before` not among `now`.
    fn gone_rows(before: &[(i64, Grant)], now: &[(i64, Grant)]) -> Vec<i64> {
        before
            .iter()
            .filter(|r| !now.contains(r))
            .map(|(r, _)| *r)
            .collect()
    }

    fn rows_delta(d: Delta) -> (Vec<i64>, Vec<(i64, Grant)>) {
        match d {
            Delta::Parts {
                grants: GrantChanges::Rows { deleted, inserted },
                rules: None,
            } => (deleted, inserted),
            other => panic!("{other:?}"),
        }
    }

    fn sync_with(store: &mut Store, dir: &std::path::Path, org: &crate::model::Org, at: Time) {
        let source = crate::sync::files_source_info(dir);
        store.replace_source(&source, org, at).unwrap();
    }

    /// A sync changing a few grants lists their rows: exactly the rows
    /// deleted and the rows inserted (as a fresh read gives them).
    #[test]
    fn a_sync_of_grants_reads_back_only_their_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = fixture::store(dir.path());
        let mut org = fixture::org();
        org.grants = vec![
            grant("ana", "pay:read"),
            grant("eve", "web:read"),
            grant("dana", "web:read"),
        ];
        sync_with(&mut store, dir.path(), &org, now());
        let g = store.org_generation().unwrap();
        assert!(matches!(since(&store, g), Delta::Same));
        let before = rows_now(&store);

        org.grants = vec![
            grant("eve", "web:read"),
            grant("dana", "pay:admin"),
            grant("dana", "web:read"),
        ];
        sync_with(&mut store, dir.path(), &org, now());
        let now_rows = rows_now(&store);
        let (deleted, inserted) = rows_delta(since(&store, g));
        assert_eq!(deleted, gone_rows(&before, &now_rows));
        assert_eq!(deleted.len(), 1, "ana's grant went");
        assert_eq!(inserted, new_rows(&before, &now_rows));
        assert_eq!(inserted.len(), 1, "dana's pay:admin came");
        assert_eq!(inserted[0].1, grant("dana", "pay:admin"));

        // Anything else in the same sync: read it all.
        org.people[3].name = "Eve Again".into();
        sync_with(&mut store, dir.path(), &org, now());
        assert!(is_whole(&since(&store, g)));
    }

    /// A row inserted by one sync and deleted by the next is nothing to a
    /// reader from before both; to a reader between them, a row deleted.
    #[test]
    fn a_row_inserted_then_deleted_cancels() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = fixture::store(dir.path());
        let mut org = fixture::org();
        org.grants = vec![grant("ana", "pay:read")];
        sync_with(&mut store, dir.path(), &org, now());
        let g = store.org_generation().unwrap();
        org.grants = vec![grant("ana", "pay:read"), grant("eve", "web:read")];
        sync_with(&mut store, dir.path(), &org, now());
        let between = rows_now(&store);
        org.grants = vec![grant("ana", "pay:read"), grant("dana", "web:read")];
        sync_with(&mut store, dir.path(), &org, now());
        let now_rows = rows_now(&store);

        let (deleted, inserted) = rows_delta(since(&store, g));
        assert_eq!(deleted, Vec::<i64>::new(), "eve's row came and went");
        assert_eq!(inserted.len(), 1);
        assert_eq!(inserted[0].1, grant("dana", "web:read"));
        assert_eq!(inserted, new_rows(&between, &now_rows));
        let (deleted, inserted) = rows_delta(since(&store, g + 1));
        assert_eq!(deleted, gone_rows(&between, &now_rows));
        assert_eq!(inserted, new_rows(&between, &now_rows));
    }

    /// Past [`MOST_ROWS`] in one write, only the entitlements are noted:
    /// a reader gets every grant of each (rowid and all), also for a range
    /// where other writes listed their rows.
    #[test]
    fn past_the_cap_a_write_notes_its_entitlements() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = fixture::store(dir.path());
        let mut org = fixture::org();
        org.grants = vec![grant("ana", "pay:read")];
        sync_with(&mut store, dir.path(), &org, now());
        let g = store.org_generation().unwrap();
        org.grants.push(grant("eve", "pay:read"));
        sync_with(&mut store, dir.path(), &org, now());
        let people = ["root", "priya", "dana", "eve", "ana"];
        org.grants.extend(
            people
                .iter()
                .flat_map(|p| ["web:read", "pay:admin"].map(|e| grant(p, e))),
        );
        assert!(org.grants.len() - 2 > MOST_ROWS);
        sync_with(&mut store, dir.path(), &org, now());
        let now_rows = rows_now(&store);
        for from in [g, g + 1] {
            match since(&store, from) {
                Delta::Parts {
                    grants: GrantChanges::Entitlements(lists),
                    rules: None,
                } => {
                    let ids: Vec<&str> = lists.iter().map(|(e, _)| e.as_str()).collect();
                    let want: &[&str] = if from == g {
                        &["pay:admin", "pay:read", "web:read"]
                    } else {
                        &["pay:admin", "web:read"]
                    };
                    assert_eq!(ids, want);
                    for (e, rows) in lists {
                        let of_e: Vec<(i64, Grant)> = now_rows
                            .iter()
                            .filter(|(_, g)| g.entitlement == e)
                            .cloned()
                            .collect();
                        assert_eq!(rows, of_e, "{e}");
                    }
                }
                other => panic!("{other:?}"),
            }
        }
    }

    /// The grants an apply confirms are listed by row too.
    #[test]
    fn an_applys_grants_are_listed_by_row() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = fixture::store(dir.path());
        let mut org = fixture::org();
        org.grants = vec![grant("ana", "pay:read"), grant("eve", "web:read")];
        sync_with(&mut store, dir.path(), &org, now());
        let g = store.org_generation().unwrap();
        let before = rows_now(&store);
        let source = crate::sync::files_source_info(dir.path()).name;
        let pairs = [
            ("ana".to_string(), "pay:read".to_string()),
            ("dana".to_string(), "pay:read".to_string()),
        ];
        let rows = [grant("dana", "pay:read")];
        let of = crate::store::GrantsOf {
            source: &source,
            pairs: &pairs,
            rows: &rows,
        };
        let tx = store.conn.transaction().unwrap();
        super::super::confirmed_grants::replace_grants_of(&tx, &of).unwrap();
        tx.commit().unwrap();
        assert_eq!(store.org_generation().unwrap(), g + 1);
        let now_rows = rows_now(&store);
        let (deleted, inserted) = rows_delta(since(&store, g));
        assert_eq!(deleted, gone_rows(&before, &now_rows));
        assert_eq!(deleted.len(), 1);
        assert_eq!(inserted, new_rows(&before, &now_rows));
        assert_eq!(inserted.len(), 1);
    }

    /// Every write of the organization's rows outside a sync moves the
    /// generation and says what it changed.
    #[test]
    fn rules_delegations_and_retiring_move_the_generation() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = fixture::store(dir.path());
        let mut g = store.org_generation().unwrap();
        let mut next = |store: &Store| {
            let now = store.org_generation().unwrap();
            assert_eq!(now, g + 1, "the generation moved once");
            std::mem::replace(&mut g, now)
        };
        let rule = crate::model::Rule {
            id: "ops-web".into(),
            area: "web".into(),
            author: String::new(),
            why: "ops read the web".into(),
            grant: vec!["web:read".into()],
            audience: Audience::Team("ops".into()),
            trained: vec![],
            only_while_oncall: false,
            apply: crate::model::ApplyMode::Suggest,
            lead_secs: 0,
            grace_secs: 0,
        };
        let root = actor("root");
        store.add_rule(&root, &rule, now()).unwrap();
        let rules_now = |store: &Store, from| match since(store, from) {
            Delta::Parts { grants, rules } => {
                assert_eq!(grants, GrantChanges::none());
                assert_eq!(rules, Some(store.load_org().unwrap().rules));
            }
            other => panic!("{other:?}"),
        };
        let from = next(&store);
        rules_now(&store, from);
        let edited = crate::model::Rule {
            why: "ops read the web, still".into(),
            ..rule.clone()
        };
        store.edit_rule(&root, &edited, now()).unwrap();
        let from = next(&store);
        rules_now(&store, from);
        store.remove_rule(&root, "ops-web", None, now()).unwrap();
        let from = next(&store);
        rules_now(&store, from);

        let d = store
            .add_delegation(&root, "web", "eve", None, now())
            .unwrap();
        let from = next(&store);
        assert!(is_whole(&since(&store, from)));
        store.end_delegation(&root, d.id, now()).unwrap();
        let from = next(&store);
        assert!(is_whole(&since(&store, from)));

        store.retire_sources_except(&[]).unwrap();
        let from = next(&store);
        assert!(is_whole(&since(&store, from)));
    }

    /// A reader further behind than the log reaches reads it all.
    #[test]
    fn a_reader_behind_the_log_reads_the_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = fixture::store(dir.path());
        let first = store.org_generation().unwrap();
        let mut org = fixture::org();
        for k in 0..=KEPT {
            org.grants = vec![grant(if k % 2 == 0 { "ana" } else { "eve" }, "pay:read")];
            sync_with(&mut store, dir.path(), &org, now());
        }
        assert!(is_whole(&since(&store, first)));
        let recent = store.org_generation().unwrap() - 2;
        assert!(matches!(since(&store, recent), Delta::Parts { .. }));
        assert!(is_whole(&store.org_since(None).unwrap().change));
    }
}
