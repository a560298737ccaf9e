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
use rustc_hash::FxHashSet;
use std::collections::BTreeMap;

/// Generations whose changes are kept.
const KEPT: i64 = 64;

/// Entitlements one write notes by id; past this, it notes that
/// everything changed (reading it all costs less then).
const MOST_ENTITLEMENTS: usize = 2_000;

/// The setting naming the generation after which every change is kept.
pub(super) const SINCE: &str = "org_changes_since";

/// One change to the organization's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change<'a> {
    /// The grants of this entitlement.
    Grants(&'a str),
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
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), ?2)",
        rusqlite::params![SINCE, from],
    )?;
    Ok(())
}

/// What a table's write changed, as its rows are inserted and deleted.
pub(super) struct Noted {
    /// `None` for a table outside the organization's rows.
    table: Option<&'static str>,
    /// For grants: the entitlements of rows inserted or deleted (`None`
    /// once there are too many to list).
    entitlements: Option<FxHashSet<String>>,
    changed: bool,
}

impl Noted {
    pub fn new(table: &'static str) -> Noted {
        Noted {
            table: super::org::TABLES.contains(&table).then_some(table),
            entitlements: (table == "grants").then(FxHashSet::default),
            changed: false,
        }
    }

    /// A row inserted or deleted; `key` its entitlement, for grants.
    fn row(&mut self, key: Option<&str>) {
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
    }

    /// A row inserted; `entitlement` its entitlement, for grants.
    pub fn inserted(&mut self, entitlement: Option<&str>) {
        let key = entitlement.filter(|_| self.table == Some("grants"));
        self.row(key);
    }

    /// Row `rowid` about to be deleted from the table, inside `tx`.
    pub fn deleting(&mut self, tx: &Connection, rowid: i64) -> rusqlite::Result<()> {
        use rusqlite::OptionalExtension;
        let key: Option<String> = if self.entitlements.is_some() {
            tx.prepare_cached("SELECT entitlement FROM grants WHERE rowid = ?1")?
                .query_row([rowid], |r| r.get(0))
                .optional()?
        } else {
            None
        };
        self.row(key.as_deref());
        Ok(())
    }

    /// Writes what was noted into the log, inside `tx`.
    pub fn write(self, tx: &Connection) -> rusqlite::Result<()> {
        match (self.table, &self.entitlements) {
            _ if !self.changed => Ok(()),
            (None, _) => Ok(()),
            (Some("grants"), Some(set)) => note(tx, set.iter().map(|e| Change::Grants(e))),
            (Some("rules"), _) => note(tx, [Change::Rules]),
            (Some(_), _) => note(tx, [Change::Org]),
        }
    }
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
    /// back: the whole organization.
    Whole(Org),
    /// Grants of some entitlements, perhaps rules.
    Parts {
        /// Each entitlement whose grants changed, with every grant it has
        /// now, in the order written.
        grants: Vec<(String, Vec<Grant>)>,
        /// Every rule, in the order written, when any changed.
        rules: Option<Vec<Rule>>,
    },
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
            _ => Delta::Whole(read::org(&tx)?),
        };
        tx.finish()?;
        Ok(OrgDelta {
            generation: now,
            change,
        })
    }
}

/// The generation after which every change is in the log.
fn logged_since(c: &Connection) -> Result<i64> {
    let v: Option<String> = c
        .query_row("SELECT value FROM settings WHERE key = ?1", [SINCE], |r| {
            r.get(0)
        })
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(i64::MAX))
}

/// The rows that changed after generation `from` up to `to`.
fn changed(c: &Connection, from: i64, to: i64) -> Result<Delta> {
    let mut st = c.prepare_cached(
        "SELECT DISTINCT kind, key FROM org_changes WHERE generation > ?1 AND generation <= ?2",
    )?;
    let mut rows = st.query([from, to])?;
    let (mut grants, mut rules) = (Vec::new(), false);
    while let Some(r) = rows.next()? {
        let kind: String = r.get(0)?;
        match kind.as_str() {
            "grants" => grants.push(r.get::<_, String>(1)?),
            "rules" => rules = true,
            _ => return Ok(Delta::Whole(read::org(c)?)),
        }
    }
    grants.sort_unstable();
    grants.dedup();
    let mut by_entitlement: BTreeMap<String, Vec<Grant>> =
        grants.iter().map(|e| (e.clone(), Vec::new())).collect();
    let ids = read::id_list(grants.iter().map(String::as_str));
    for g in read::grants(c, Rows::Where("entitlement", &ids))? {
        if let Some(list) = by_entitlement.get_mut(&g.entitlement) {
            list.push(g);
        }
    }
    Ok(Delta::Parts {
        grants: by_entitlement.into_iter().collect(),
        rules: if rules {
            Some(read::rules(c, Rows::All)?)
        } else {
            None
        },
    })
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

    /// The store's grants of `e`, in the order written.
    fn grants_of(store: &Store, e: &str) -> Vec<Grant> {
        let org = store.load_org().unwrap();
        org.grants
            .into_iter()
            .filter(|g| g.entitlement == e)
            .collect()
    }

    fn since(store: &Store, g: i64) -> Delta {
        let d = store.org_since(Some(g)).unwrap();
        assert_eq!(d.generation, store.org_generation().unwrap());
        d.change
    }

    fn is_whole(d: &Delta) -> bool {
        matches!(d, Delta::Whole(_))
    }

    fn sync_with(store: &mut Store, dir: &std::path::Path, org: &crate::model::Org, at: Time) {
        let source = crate::sync::files_source_info(dir);
        store.replace_source(&source, org, at).unwrap();
    }

    /// A sync changing grants notes their entitlements, and only their
    /// rows are read back, as a whole read gives them.
    #[test]
    fn a_sync_of_grants_reads_back_only_their_entitlements() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = fixture::store(dir.path());
        let mut org = fixture::org();
        org.grants = vec![grant("ana", "pay:read"), grant("eve", "web:read")];
        sync_with(&mut store, dir.path(), &org, now());
        let g = store.org_generation().unwrap();
        assert!(matches!(since(&store, g), Delta::Same));

        org.grants = vec![grant("eve", "web:read"), grant("dana", "pay:admin")];
        sync_with(&mut store, dir.path(), &org, now());
        match since(&store, g) {
            Delta::Parts { grants, rules } => {
                assert_eq!(rules, None);
                let want: Vec<(String, Vec<Grant>)> = ["pay:admin", "pay:read"]
                    .into_iter()
                    .map(|e| (e.to_string(), grants_of(&store, e)))
                    .collect();
                assert_eq!(grants, want);
                assert!(want[1].1.is_empty(), "ana's grant went");
            }
            other => panic!("{other:?}"),
        }
        // Anything else in the same sync: read it all.
        org.people[3].name = "Eve Again".into();
        sync_with(&mut store, dir.path(), &org, now());
        assert!(is_whole(&since(&store, g)));
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
                assert!(grants.is_empty());
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
