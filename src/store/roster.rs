//! Who a served session's key or certificate names: a person on the
//! roster, by id or email, and whether they are still here.

use super::Result;
use super::Store;
use crate::model::Status;
use rusqlite::OptionalExtension;

impl Store {
    /// The person whose id is `name`, else whose email is `name` (any
    /// case), with their status; `None` when nobody on the roster is.
    pub fn person_by_id_or_email(&self, name: &str) -> Result<Option<(String, Status)>> {
        let row = |r: &rusqlite::Row| -> rusqlite::Result<(String, Status)> {
            let status: String = r.get(1)?;
            Ok((
                r.get(0)?,
                if status == "left" {
                    Status::Left
                } else {
                    Status::Active
                },
            ))
        };
        let by_id = self
            .conn
            .query_row(
                "SELECT id, status FROM people WHERE id = ?1 ORDER BY rowid LIMIT 1",
                [name],
                row,
            )
            .optional()?;
        if by_id.is_some() || !name.contains('@') {
            return Ok(by_id);
        }
        Ok(self
            .conn
            .query_row(
                "SELECT id, status FROM people WHERE email = ?1 COLLATE NOCASE ORDER BY rowid LIMIT 1",
                [name],
                row,
            )
            .optional()?)
    }

    /// SQLite's `data_version`: changes when another connection commits
    /// to the cache, so a watcher can tell that something was written.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "data_version", |r| r.get(0))?)
    }
}
