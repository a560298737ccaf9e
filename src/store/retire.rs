//! Retiring a source: dropping the cached rows of a source no longer configured.
//!
//! Every table with a `source` column holds rows of some source (the synced
//! organization, and the grants seen upstream); they are found from the
//! schema itself, so a table added later is retired too. Decisions, the audit
//! log and digest deliveries have no `source` and are never touched.

use super::Result;
use super::Store;
use super::error::Doing;
use rusqlite::{OptionalExtension, params};

/// What retiring one source dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retired {
    pub name: String,
    /// Its kind, as the cache recorded it (empty when it had no `sources` row).
    pub kind: String,
    /// (table, rows dropped), tables without rows of it left out, in schema order.
    pub dropped: Vec<(String, usize)>,
}

impl Retired {
    /// "3 people, 2 teams, 1 grants seen upstream", or "nothing".
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .dropped
            .iter()
            .map(|(table, n)| {
                let what = match table.as_str() {
                    "upstream_grants" => "grants seen upstream",
                    "sync_warnings" => "sync warnings",
                    t => t,
                };
                format!("{n} {what}")
            })
            .collect();
        if parts.is_empty() {
            "nothing".into()
        } else {
            parts.join(", ")
        }
    }
}

impl Store {
    /// The tables whose rows belong to a source, in the order they were created.
    fn source_tables(conn: &rusqlite::Connection) -> Result<Vec<String>> {
        let mut st = conn.prepare(
            "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND p.name = 'source' ORDER BY m.rowid",
        )?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Drops every cached row of every source not named in `keep`, and its
    /// `sources` row, in one transaction; returns what went, by source name.
    pub fn retire_sources_except(&mut self, keep: &[&str]) -> Result<Vec<Retired>> {
        let tx = self.conn.transaction().doing("cannot retire sources")?;
        let tables = Store::source_tables(&tx)?;
        let mut names: Vec<String> = {
            let mut st = tx.prepare("SELECT name FROM sources")?;
            let rows = st.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for table in &tables {
            let mut st = tx.prepare(&format!("SELECT DISTINCT source FROM {table}"))?;
            let rows = st.query_map([], |r| r.get::<_, String>(0))?;
            for name in rows {
                names.push(name?);
            }
        }
        names.sort();
        names.dedup();
        names.retain(|n| !keep.contains(&n.as_str()));
        let mut out = Vec::new();
        for name in names {
            let kind: Option<String> = tx
                .query_row(
                    "SELECT kind FROM sources WHERE name = ?1",
                    params![name],
                    |r| r.get(0),
                )
                .optional()?;
            let mut dropped = Vec::new();
            for table in &tables {
                let n = tx.execute(&format!("DELETE FROM {table} WHERE source = ?1"), [&name])?;
                if n > 0 {
                    dropped.push((table.clone(), n));
                }
            }
            tx.execute("DELETE FROM sources WHERE name = ?1", [&name])?;
            out.push(Retired {
                name,
                kind: kind.unwrap_or_default(),
                dropped,
            });
        }
        if out.iter().any(|r| !r.dropped.is_empty()) {
            super::changes::moved(&tx, [super::changes::Change::Org])?;
        }
        tx.commit().doing("cannot commit retiring sources")?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Org, Person, Status, Team};
    use crate::store::SourceInfo;

    fn info(name: &str) -> SourceInfo {
        SourceInfo {
            name: name.into(),
            kind: "scim".into(),
            location: "https://x".into(),
            synced_at: None,
            attempted_at: None,
            error: None,
            items: 0,
        }
    }

    fn org(id: &str) -> Org {
        Org {
            people: vec![Person {
                id: id.into(),
                name: id.into(),
                email: format!("{id}@example.com"),
                manager: None,
                status: Status::Active,
                ..Default::default()
            }],
            teams: vec![Team {
                id: format!("t-{id}"),
                name: "T".into(),
                parent: None,
                lead: None,
                members: vec![id.into()],
            }],
            ..Org::default()
        }
    }

    #[test]
    fn drops_only_the_sources_not_kept_and_leaves_the_audit() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
            .unwrap()
            .to_utc();
        store
            .replace_source(&info("okta"), &org("ana"), now)
            .unwrap();
        store.replace_source(&info("old"), &org("bo"), now).unwrap();
        store
            .record_sync_failure(&info("gone"), "boom", now)
            .unwrap();
        store
            .audit(
                now,
                &crate::model::Actor::local("priya"),
                "test",
                &serde_json::json!({"kept": true}),
            )
            .unwrap();
        let audit_before = store.audit_entries(None).unwrap().len();
        let retired = store.retire_sources_except(&["okta", "steward"]).unwrap();
        assert_eq!(
            retired,
            vec![
                Retired {
                    name: "gone".into(),
                    kind: "scim".into(),
                    dropped: vec![]
                },
                Retired {
                    name: "old".into(),
                    kind: "scim".into(),
                    dropped: vec![("people".into(), 1), ("teams".into(), 1)]
                },
            ]
        );
        assert_eq!(retired[1].describe(), "1 people, 1 teams");
        let names: Vec<String> = store
            .sources()
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["okta"]);
        let left = store.load_org().unwrap();
        assert_eq!(left.people.len(), 1);
        assert_eq!(left.people[0].id, "ana");
        assert_eq!(store.audit_entries(None).unwrap().len(), audit_before);
        // Nothing left to retire: a second run drops nothing.
        assert!(store.retire_sources_except(&["okta"]).unwrap().is_empty());
    }
}
