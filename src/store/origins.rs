//! Where each record of a configured source was read (a catalog file and
//! line, or a catalog entity's ref), so that `check` and the problems a
//! sync records name it rather than the org directory's file.

use super::Result;
use super::Store;
use rusqlite::params;
use std::collections::HashMap;

impl Store {
    /// Records where `source`'s records of `kind` were read (id -> origin),
    /// in place of what its last sync recorded.
    pub fn record_origins(
        &mut self,
        source: &str,
        kind: &str,
        origins: &[(&str, &str)],
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM origins WHERE source = ?1 AND kind = ?2",
            params![source, kind],
        )?;
        {
            let mut insert = tx.prepare(
                "INSERT OR REPLACE INTO origins (source, kind, id, origin) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (id, origin) in origins {
                insert.execute(params![source, kind, id, origin])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Where each cached record was read, by (kind, id) (only those whose
    /// source said).
    pub fn all_origins(&self) -> Result<HashMap<(String, String), String>> {
        let mut st = self
            .conn
            .prepare("SELECT kind, id, origin FROM origins ORDER BY rowid")?;
        let rows = st.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[test]
    fn a_sync_records_its_origins_in_place_of_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        store
            .record_origins(
                "catalog",
                "area",
                &[("billing", "c/s.yaml:1"), ("hr", "c/s.yaml:9")],
            )
            .unwrap();
        store
            .record_origins("catalog", "area", &[("billing", "c/s.yaml:4")])
            .unwrap();
        store
            .record_origins("bs", "area", &[("vault", "system:default/vault")])
            .unwrap();
        store
            .record_origins("bs", "team", &[("vault", "group:default/vault")])
            .unwrap();
        let got = store.all_origins().unwrap();
        let at = |kind: &str, id: &str| got.get(&(kind.to_string(), id.to_string())).cloned();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(at("area", "billing").as_deref(), Some("c/s.yaml:4"));
        assert_eq!(at("area", "vault").as_deref(), Some("system:default/vault"));
        // An area and a team may share an id; each keeps its own place.
        assert_eq!(at("team", "vault").as_deref(), Some("group:default/vault"));
        assert_eq!(at("area", "hr"), None);
    }
}
