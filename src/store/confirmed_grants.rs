//! The cache's rows of what an apply wrote to a files source, replaced in
//! the transaction that records the decisions' outcomes.

use super::epoch::secs;
use super::error::Result;
use crate::model::Grant;
use rusqlite::params;

/// The grants a source now holds for some (person, entitlement) pairs.
pub struct GrantsOf<'a> {
    pub source: &'a str,
    pub pairs: &'a [(String, String)],
    /// Every row of the source for those pairs.
    pub rows: &'a [Grant],
}

/// Makes the cache's grants of `of.source` for `of.pairs` exactly `of.rows`,
/// inside `tx`: what an apply wrote, confirmed with its outcomes.
pub(super) fn replace_grants_of(tx: &rusqlite::Transaction, of: &GrantsOf<'_>) -> Result<()> {
    let mut noted = super::changes::Noted::new("grants");
    let mut del = tx.prepare(
        "DELETE FROM grants WHERE source = ?1 AND person = ?2 AND entitlement = ?3
         RETURNING rowid",
    )?;
    for (p, e) in of.pairs {
        let mut gone = del.query(params![of.source, p, e])?;
        while let Some(r) = gone.next()? {
            noted.deleted(Some(e), r.get(0)?);
        }
    }
    let mut ins = tx.prepare(
        "INSERT INTO grants (source, person, entitlement, granted_by, granted_at, basis, expires)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for g in of.rows {
        ins.execute(params![
            of.source,
            g.person,
            g.entitlement,
            g.granted_by,
            secs(g.granted_at),
            g.basis.to_string(),
            g.expires.map(secs)
        ])?;
        noted.inserted(Some(&g.entitlement), tx.last_insert_rowid());
    }
    noted.write(tx)?;
    super::changes::next(tx)?;
    Ok(())
}
