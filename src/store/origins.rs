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

    /// Where each cached record of `kind` was read, by id (only those whose
    /// source said).
    pub fn origins(&self, kind: &str) -> Result<HashMap<String, String>> {
        let mut st = self
            .conn
            .prepare("SELECT id, origin FROM origins WHERE kind = ?1 ORDER BY rowid")?;
        let rows = st.query_map([kind], |r| Ok((r.get(0)?, r.get(1)?)))?;
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
        let got = store.origins("area").unwrap();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got["billing"], "c/s.yaml:4");
        assert_eq!(got["vault"], "system:default/vault");
        assert!(store.origins("team").unwrap().is_empty());
    }
}
