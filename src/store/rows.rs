//! Writing one source's rows into one table, touching only what changed.
//!
//! A sync usually brings back what the cache already holds. Rewriting every
//! row would cost as much as the first sync; instead the rows the source has
//! now are indexed by a 128-bit hash of their content, each new row that
//! matches one is kept, the others are inserted, and rows left unmatched are
//! deleted. The table ends up exactly as if it had been replaced whole.

use super::Result;
use rusqlite::Transaction;
use rusqlite::types::ValueRef;
use rustc_hash::FxHashMap;
use std::hash::{BuildHasher, Hasher, RandomState};

/// One column value, as bound and as read back.
#[derive(Debug, Clone, Copy)]
pub(super) enum Cell<'a> {
    Null,
    Int(i64),
    Text(&'a str),
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(s: &'a str) -> Cell<'a> {
        Cell::Text(s)
    }
}

impl<'a> From<&'a String> for Cell<'a> {
    fn from(s: &'a String) -> Cell<'a> {
        Cell::Text(s)
    }
}

impl<'a> From<&'a Option<String>> for Cell<'a> {
    fn from(s: &'a Option<String>) -> Cell<'a> {
        s.as_deref().map_or(Cell::Null, Cell::Text)
    }
}

impl From<i64> for Cell<'_> {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}

impl From<Option<i64>> for Cell<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Cell::Null, Cell::Int)
    }
}

impl From<bool> for Cell<'_> {
    fn from(v: bool) -> Self {
        Cell::Int(i64::from(v))
    }
}

/// Two independent 64-bit hashes of a row's cells, FxHash and SipHash with
/// keys drawn for this write: an accidental collision between two different
/// rows is not a practical concern at 2^-128, and upstream data cannot be
/// crafted to collide under keys it never sees.
fn row_hash<'a>(keys: &RandomState, cells: impl Iterator<Item = Cell<'a>> + Clone) -> u128 {
    fn feed<'a>(h: &mut impl Hasher, cells: impl Iterator<Item = Cell<'a>>) {
        for c in cells {
            match c {
                Cell::Null => h.write_u8(0),
                Cell::Int(v) => {
                    h.write_u8(1);
                    h.write_i64(v);
                }
                Cell::Text(s) => {
                    h.write_u8(2);
                    h.write_usize(s.len());
                    h.write(s.as_bytes());
                }
            }
        }
    }
    let mut fx = rustc_hash::FxBuildHasher.build_hasher();
    feed(&mut fx, cells.clone());
    let mut sip = keys.build_hasher();
    feed(&mut sip, cells);
    (u128::from(fx.finish()) << 64) | u128::from(sip.finish())
}

/// Rowids of the rows with one content (nearly always one).
enum RowIds {
    One(i64),
    Many(Vec<i64>),
}

/// Writes a source's new rows into `table`, keeping the identical ones.
pub(super) struct TableWriter<'c> {
    table: &'static str,
    tx: &'c Transaction<'c>,
    insert: rusqlite::Statement<'c>,
    existing: FxHashMap<u128, RowIds>,
    keys: RandomState,
    /// Rows the table holds for the source after the write.
    pub rows: usize,
    /// Rows inserted (the others were already there).
    pub inserted: usize,
}

impl<'c> TableWriter<'c> {
    /// Reads what `source` has in `table` now; `columns` excludes `source`.
    pub fn new(
        tx: &'c Transaction<'c>,
        table: &'static str,
        columns: usize,
        source: &str,
    ) -> Result<TableWriter<'c>> {
        let mut existing: FxHashMap<u128, RowIds> = FxHashMap::default();
        let keys = RandomState::new();
        {
            let mut st = tx.prepare(&format!("SELECT rowid, * FROM {table} WHERE source = ?1"))?;
            let mut rows = st.query([source])?;
            while let Some(row) = rows.next()? {
                let rowid: i64 = row.get(0)?;
                let mut cells = [Cell::Null; 16];
                for (i, cell) in cells.iter_mut().enumerate().take(columns) {
                    *cell = match row.get_ref(i + 2)? {
                        ValueRef::Null => Cell::Null,
                        ValueRef::Integer(v) => Cell::Int(v),
                        ValueRef::Text(t) => {
                            Cell::Text(std::str::from_utf8(t).map_err(rusqlite::Error::from)?)
                        }
                        // Nothing steward writes; such a row never matches, so it is replaced.
                        ValueRef::Real(_) | ValueRef::Blob(_) => Cell::Text("\u{0}unexpected"),
                    };
                }
                let h = row_hash(&keys, cells[..columns].iter().copied());
                match existing.get_mut(&h) {
                    None => {
                        existing.insert(h, RowIds::One(rowid));
                    }
                    Some(ids) => match ids {
                        RowIds::One(first) => *ids = RowIds::Many(vec![*first, rowid]),
                        RowIds::Many(v) => v.push(rowid),
                    },
                }
            }
        }
        let marks: Vec<String> = (1..=columns + 1).map(|i| format!("?{i}")).collect();
        let mut insert = tx.prepare(&format!(
            "INSERT INTO {table} VALUES ({})",
            marks.join(", ")
        ))?;
        insert.raw_bind_parameter(1, source)?;
        Ok(TableWriter {
            table,
            tx,
            insert,
            existing,
            keys,
            rows: 0,
            inserted: 0,
        })
    }

    pub fn table(&self) -> &'static str {
        self.table
    }

    /// One row of the source's new data, its cells in column order.
    pub fn row(&mut self, cells: &[Cell]) -> Result<()> {
        self.rows += 1;
        // Into an empty table (a first sync), or once every old row has
        // been matched, each row is new: no need to hash it.
        if !self.existing.is_empty() && self.keep(cells) {
            return Ok(());
        }
        for (i, c) in cells.iter().enumerate() {
            match *c {
                Cell::Null => self
                    .insert
                    .raw_bind_parameter(i + 2, rusqlite::types::Null)?,
                Cell::Int(v) => self.insert.raw_bind_parameter(i + 2, v)?,
                Cell::Text(s) => self.insert.raw_bind_parameter(i + 2, s)?,
            }
        }
        self.insert.raw_execute()?;
        self.inserted += 1;
        Ok(())
    }

    /// Whether an old row has these cells; if so it stays, matched once.
    fn keep(&mut self, cells: &[Cell]) -> bool {
        let h = row_hash(&self.keys, cells.iter().copied());
        match self.existing.get_mut(&h) {
            None => false,
            Some(RowIds::One(_)) => {
                self.existing.remove(&h);
                true
            }
            Some(RowIds::Many(v)) => {
                v.pop();
                if v.is_empty() {
                    self.existing.remove(&h);
                }
                true
            }
        }
    }

    /// Deletes the rows no new row matched; returns how many.
    pub fn finish(self) -> Result<usize> {
        let mut st = self
            .tx
            .prepare(&format!("DELETE FROM {} WHERE rowid = ?1", self.table))?;
        let mut deleted = 0;
        for ids in self.existing.into_values() {
            match ids {
                RowIds::One(id) => deleted += st.execute([id])?,
                RowIds::Many(v) => {
                    for id in v {
                        deleted += st.execute([id])?;
                    }
                }
            }
        }
        Ok(deleted)
    }
}
