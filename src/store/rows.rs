//! Writing one source's rows into one table, touching only what changed.
//!
//! A sync usually brings back what the cache already holds. Rewriting every
//! row would cost as much as the first sync; instead the rows the source has
//! now are indexed by a 128-bit hash of their content, each new row that
//! matches one is kept, the others are inserted, and rows left unmatched are
//! deleted. The table ends up exactly as if it had been replaced whole.
//!
//! A write that inserts many rows (a first sync, a source replaced) drops
//! the table's lookup indexes once it has inserted more than a quarter of
//! what the table held, and builds them again at the end, in the same
//! transaction: building an index from the finished table costs less than
//! keeping it up to date row by row.

use super::Result;
use rusqlite::Transaction;
use rusqlite::types::ValueRef;
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

/// One row the table held for the source before the write: the hash of
/// its content and its rowid (24 bytes).
#[derive(Debug, Clone, Copy)]
struct HeldRow {
    hi: u64,
    lo: u64,
    rowid: i64,
}

/// The rows a source held before the write, found by the hash of their
/// content: one vector ordered by the hash's upper half, and a directory
/// of its top bits (hashes are uniform: a few rows a slot), with a bit a
/// row set once a new row has matched it. At ten million rows: 240 MB,
/// a quarter of a hash map of the same rows.
#[derive(Debug, Default)]
struct Held {
    rows: Vec<HeldRow>,
    /// `rows[slots[s]..slots[s + 1]]` are the rows whose hash starts with `s`.
    slots: Vec<usize>,
    shift: u32,
    matched: Vec<u64>,
    /// Rows no new row has matched yet.
    left: usize,
}

impl Held {
    fn new(mut rows: Vec<HeldRow>) -> Held {
        rows.sort_unstable_by_key(|r| r.hi);
        // About four rows a slot.
        let bits = (usize::BITS - (rows.len() / 4).leading_zeros()).clamp(1, 40);
        let shift = 64 - bits;
        let mut slots = Vec::with_capacity((1 << bits) + 1);
        let mut i = 0;
        for s in 0..=(1u64 << bits) {
            while i < rows.len() && (rows[i].hi >> shift) < s {
                i += 1;
            }
            slots.push(i);
        }
        Held {
            matched: vec![0; rows.len().div_ceil(64)],
            left: rows.len(),
            rows,
            slots,
            shift,
        }
    }

    fn is_matched(&self, i: usize) -> bool {
        self.matched[i / 64] & (1 << (i % 64)) != 0
    }

    /// Matches an unmatched row of hash `h`, if there is one.
    fn take(&mut self, h: u128) -> bool {
        let (hi, lo) = ((h >> 64) as u64, h as u64);
        let s = (hi >> self.shift) as usize;
        let found = (self.slots[s]..self.slots[s + 1]).find(|&i| {
            let r = &self.rows[i];
            r.hi == hi && r.lo == lo && !self.is_matched(i)
        });
        let Some(i) = found else {
            return false;
        };
        self.matched[i / 64] |= 1 << (i % 64);
        self.left -= 1;
        true
    }

    /// The rowids of the rows no new row matched.
    fn unmatched(&self) -> impl Iterator<Item = i64> + '_ {
        self.rows
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.is_matched(*i))
            .map(|(_, r)| r.rowid)
    }
}

/// Inserted rows past which a write drops the table's indexes (when they
/// are also more than a quarter of the rows it held).
const DROP_INDEXES_FROM: usize = if cfg!(test) { 8 } else { 20_000 };

/// Writes a source's new rows into `table`, keeping the identical ones.
pub(super) struct TableWriter<'c> {
    table: &'static str,
    tx: &'c Transaction<'c>,
    insert: rusqlite::Statement<'c>,
    held: Held,
    keys: RandomState,
    /// Inserted rows past which the indexes are dropped.
    drop_indexes_from: usize,
    /// The indexes dropped, to build again (their CREATE statements).
    dropped: Option<Vec<String>>,
    /// Rows the table holds for the source after the write.
    pub rows: usize,
    /// Rows inserted (the others were already there).
    pub inserted: usize,
    /// What the write changed, for the organization's change log.
    noted: super::changes::Noted,
}

impl<'c> TableWriter<'c> {
    /// Reads what `source` has in `table` now; `columns` excludes `source`.
    pub fn new(
        tx: &'c Transaction<'c>,
        table: &'static str,
        columns: usize,
        source: &str,
    ) -> Result<TableWriter<'c>> {
        let keys = RandomState::new();
        // The table's largest rowid: at least as many rows as it holds.
        let held: i64 = tx.query_row(
            &format!("SELECT coalesce(max(rowid), 0) FROM {table}"),
            [],
            |r| r.get(0),
        )?;
        let hint = usize::try_from(held).unwrap_or(0);
        let held_rows = Held::new(read_held(tx, table, columns, source, &keys, hint)?);
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
            held: held_rows,
            keys,
            drop_indexes_from: DROP_INDEXES_FROM.max(usize::try_from(held).unwrap_or(0) / 4),
            dropped: None,
            rows: 0,
            inserted: 0,
            noted: super::changes::Noted::new(table),
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
        if self.held.left > 0 && self.held.take(row_hash(&self.keys, cells.iter().copied())) {
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
        // A grant row's entitlement is its second cell (after `person`).
        let entitlement = match cells.get(1) {
            Some(Cell::Text(e)) => Some(*e),
            _ => None,
        };
        self.noted
            .inserted(entitlement, self.tx.last_insert_rowid());
        if self.inserted == self.drop_indexes_from && self.dropped.is_none() {
            self.dropped = Some(self.drop_indexes()?);
        }
        Ok(())
    }

    /// Drops the table's own indexes (not those of its constraints),
    /// returning the statements that create them.
    fn drop_indexes(&self) -> Result<Vec<String>> {
        let mut st = self.tx.prepare(
            "SELECT name, sql FROM sqlite_master
             WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL",
        )?;
        let indexes: Vec<(String, String)> = st
            .query_map([self.table], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (name, _) in &indexes {
            self.tx
                .execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
        }
        tracing::debug!(
            table = self.table,
            dropped = indexes.len(),
            "indexes dropped for a large write"
        );
        Ok(indexes.into_iter().map(|(_, sql)| sql).collect())
    }

    /// Deletes the rows no new row matched, and builds again the indexes
    /// a large write dropped; returns how many rows were deleted.
    pub fn finish(mut self) -> Result<usize> {
        let mut st = self
            .tx
            .prepare(&super::changes::Noted::delete_sql(self.table))?;
        let mut deleted = 0;
        for id in self.held.unmatched() {
            deleted += self.noted.delete(&mut st, id)?;
        }
        self.noted.write(self.tx)?;
        if let Some(dropped) = &self.dropped {
            build_indexes(self.tx, self.table, dropped)?;
        }
        Ok(deleted)
    }
}

/// The page cache, in KiB, while indexes are built. SQLite sorts an
/// index's keys in runs as large as the page cache, merged at the end:
/// runs of a few MiB sort within the processor's caches, and build the
/// indexes of a million rows in half the time 64 MiB runs take.
const SORT_RUN_KIB: i64 = 4096;

/// Builds again the indexes a large write dropped (their CREATE
/// statements), with a small page cache while it sorts.
fn build_indexes(tx: &Transaction, table: &str, creates: &[String]) -> Result<()> {
    let started = std::time::Instant::now();
    let cache: i64 = tx.pragma_query_value(None, "cache_size", |r| r.get(0))?;
    tx.pragma_update(None, "cache_size", -SORT_RUN_KIB)?;
    let built = creates.iter().try_for_each(|sql| tx.execute_batch(sql));
    tx.pragma_update(None, "cache_size", cache)?;
    built?;
    tracing::debug!(
        table,
        indexes = creates.len(),
        elapsed = ?started.elapsed(),
        "indexes built again"
    );
    Ok(())
}

/// The hash and rowid of each row `source` has in `table`.
fn read_held(
    tx: &Transaction,
    table: &str,
    columns: usize,
    source: &str,
    keys: &RandomState,
    hint: usize,
) -> Result<Vec<HeldRow>> {
    // At most the table's largest rowid: no vector grown twice its size.
    let mut out = Vec::with_capacity(hint);
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
        let h = row_hash(keys, cells[..columns].iter().copied());
        out.push(HeldRow {
            hi: (h >> 64) as u64,
            lo: h as u64,
            rowid,
        });
    }
    if out.capacity() > out.len() + out.len() / 4 {
        out.shrink_to_fit();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn indexes(c: &Connection) -> Vec<(String, String)> {
        let mut st = c
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
            .unwrap();
        st.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    }

    /// Every old row is matched at most once, twins as many times as
    /// there are, and the rows left unmatched are exactly the others.
    #[test]
    fn held_rows_match_once_each() {
        let keys = RandomState::new();
        let hash = |i: i64| row_hash(&keys, [Cell::Int(i % 700)].into_iter());
        // 1,000 rows of 700 contents: 300 twins.
        let rows = (0..1000)
            .map(|rowid| {
                let h = hash(rowid);
                HeldRow {
                    hi: (h >> 64) as u64,
                    lo: h as u64,
                    rowid,
                }
            })
            .collect();
        let mut held = Held::new(rows);
        for i in 0..500 {
            assert!(held.take(hash(i)), "{i}");
        }
        for i in 0..300 {
            assert!(held.take(hash(i)), "twin {i}");
            assert!(!held.take(hash(i)), "no third {i}");
        }
        assert!(!held.take(hash(-1)));
        let mut left: Vec<i64> = held.unmatched().map(|id| id % 700).collect();
        left.sort_unstable();
        assert_eq!(left, (500..700).collect::<Vec<_>>());
        assert_eq!(held.left, 200);
    }

    /// A write of many rows, dropping the table's indexes while it writes,
    /// leaves them as they were (and used by lookups), the table holding
    /// exactly the new rows; a small write keeps them all along.
    #[test]
    fn a_large_write_leaves_the_indexes_as_they_were() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t (source TEXT NOT NULL, k TEXT, v INTEGER UNIQUE);
             CREATE INDEX t_k ON t(k);
             CREATE INDEX \"t k v\" ON t(k, v);",
        )
        .unwrap();
        let before = indexes(&c);
        assert_eq!(before.len(), 3, "{before:?}");
        for (rows, large) in [(0..100, true), (50..300, true), (50..302, false)] {
            let tx = c.transaction().unwrap();
            let mut w = TableWriter::new(&tx, "t", 2, "s").unwrap();
            for i in rows.clone() {
                let k = format!("k{}", i % 7);
                w.row(&[Cell::Text(&k), Cell::Int(i)]).unwrap();
            }
            assert_eq!(w.dropped.is_some(), large);
            w.finish().unwrap();
            tx.commit().unwrap();
            assert_eq!(indexes(&c), before);
            let held: Vec<i64> = c
                .prepare("SELECT v FROM t ORDER BY v")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            assert_eq!(held, rows.collect::<Vec<i64>>());
            let plan: String = c
                .query_row(
                    "EXPLAIN QUERY PLAN SELECT v FROM t WHERE k = 'k1'",
                    [],
                    |r| r.get(3),
                )
                .unwrap();
            assert!(plan.contains("USING") && plan.contains("INDEX"), "{plan}");
        }
    }
}
