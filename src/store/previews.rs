//! What the console last showed each person, kept so the next start can
//! draw it at once while the cache loads. The body is opaque here (the
//! console writes and reads it); a missing or unreadable one is no error.

use super::Result;
use super::Store;
use super::epoch::{from_secs, secs};
use crate::model::Time;
use rusqlite::{OptionalExtension, params};

impl Store {
    /// Keeps `body` as what `person` was last shown, at `saved_at`.
    pub fn save_console_preview(&mut self, person: &str, saved_at: Time, body: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO console_previews (person, saved_at, body) VALUES (?1, ?2, ?3)
             ON CONFLICT(person) DO UPDATE SET saved_at = ?2, body = ?3",
            params![person, secs(saved_at), body],
        )?;
        Ok(())
    }

    /// What `person` was last shown, and when, if anything was kept.
    pub fn console_preview(&self, person: &str) -> Result<Option<(Time, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT saved_at, body FROM console_previews WHERE person = ?1",
                [person],
                |r| Ok((from_secs(r.get(0)?), r.get(1)?)),
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_is_kept_per_person_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let t1: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let t2: Time = "2026-03-03T08:30:00Z".parse().unwrap();
        assert_eq!(store.console_preview("ana").unwrap(), None);
        store.save_console_preview("ana", t1, "first").unwrap();
        store.save_console_preview("bo", t1, "bo's").unwrap();
        store.save_console_preview("ana", t2, "second").unwrap();
        assert_eq!(
            store.console_preview("ana").unwrap(),
            Some((t2, "second".to_string()))
        );
        assert_eq!(
            store.console_preview("bo").unwrap(),
            Some((t1, "bo's".to_string()))
        );
    }
}
