//! The small key/value table: the organization's generation, how far the
//! change log reaches, the demo's reference time and the like.

use super::{Result, Store};
use rusqlite::{OptionalExtension, params};

/// A value from the settings table as connection `c` sees it, if set.
pub(super) fn setting(c: &rusqlite::Connection, key: &str) -> Result<Option<String>> {
    Ok(
        c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?,
    )
}

impl Store {
    /// A value from the small key/value table, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        setting(&self.conn, key)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
            params![key, value],
        )?;
        Ok(())
    }
}
