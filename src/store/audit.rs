//! The audit log: append-only, each entry hash-chained to the one before.
//!
//! `hash = SHA-256(prev_hash, seq, at, actor, action, detail)`, each field on
//! its own line, so any change, removal, insertion or reordering shows.

use super::Store;
use super::org::{from_secs, secs};
use crate::model::Time;
use anyhow::Result;
use rusqlite::{Transaction, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: Time,
    pub actor: String,
    pub action: String,
    /// Canonical JSON with what the action concerned.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The first entry that does not verify, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: String,
}

pub fn entry_hash(
    prev: &str,
    seq: i64,
    at: Time,
    actor: &str,
    action: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &seq.to_string(),
        &secs(at).to_string(),
        actor,
        action,
        detail,
    ] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// Appends one entry inside `tx`; the caller commits.
pub(crate) fn append(
    tx: &Transaction,
    at: Time,
    actor: &str,
    action: &str,
    detail: &serde_json::Value,
) -> Result<i64> {
    let (last_seq, prev): (i64, String) = tx
        .query_row(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok((0, GENESIS.to_string())),
            e => Err(e),
        })?;
    let seq = last_seq + 1;
    let detail = serde_json::to_string(detail)?;
    let hash = entry_hash(&prev, seq, at, actor, action, &detail);
    tx.execute(
        "INSERT INTO audit (seq, at, actor, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![seq, secs(at), actor, action, detail, prev, hash],
    )?;
    Ok(seq)
}

impl Store {
    /// Appends one entry on its own.
    pub fn audit(
        &mut self,
        at: Time,
        actor: &str,
        action: &str,
        detail: &serde_json::Value,
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let seq = append(&tx, at, actor, action, detail)?;
        tx.commit()?;
        Ok(seq)
    }

    /// The newest `limit` entries (all when `None`), oldest first.
    pub fn audit_entries(&self, limit: Option<usize>) -> Result<Vec<AuditEntry>> {
        let mut st = self.conn.prepare(
            "SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit ORDER BY seq DESC LIMIT ?1",
        )?;
        let limit = limit.map_or(-1, |l| l as i64);
        let mut rows: Vec<AuditEntry> = st
            .query_map([limit], |r| {
                Ok(AuditEntry {
                    seq: r.get(0)?,
                    at: from_secs(r.get(1)?),
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    detail: r.get(4)?,
                    prev_hash: r.get(5)?,
                    hash: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.reverse();
        Ok(rows)
    }

    /// Checks the whole chain; the first broken entry, if any.
    pub fn verify_audit(&self) -> Result<Result<usize, ChainBreak>> {
        let entries = self.audit_entries(None)?;
        Ok(verify(&entries))
    }
}

/// Checks a chain of entries, oldest first: the number verified, or the first break.
pub fn verify(entries: &[AuditEntry]) -> Result<usize, ChainBreak> {
    let mut prev = GENESIS.to_string();
    for (i, e) in entries.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        if e.seq != expected_seq {
            return Err(ChainBreak {
                seq: e.seq,
                reason: format!(
                    "expected entry {expected_seq} here: an entry was removed or inserted"
                ),
            });
        }
        if e.prev_hash != prev {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "does not follow the entry before it (removed, inserted or reordered)"
                    .into(),
            });
        }
        let h = entry_hash(&e.prev_hash, e.seq, e.at, &e.actor, &e.action, &e.detail);
        if h != e.hash {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "its content was changed after it was written".into(),
            });
        }
        prev = e.hash.clone();
    }
    Ok(entries.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_verifies_and_names_the_first_changed_entry() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        for i in 0..4 {
            store
                .audit(now, "priya", "decide", &serde_json::json!({ "n": i }))
                .unwrap();
        }
        assert_eq!(store.verify_audit().unwrap(), Ok(4));
        let mut entries = store.audit_entries(None).unwrap();
        entries.remove(2);
        assert_eq!(verify(&entries).unwrap_err().seq, 4);
        let mut entries = store.audit_entries(None).unwrap();
        entries.swap(1, 2);
        assert_eq!(verify(&entries).unwrap_err().seq, 3);
        store
            .conn
            .execute("UPDATE audit SET detail = '{\"n\":9}' WHERE seq = 2", [])
            .unwrap();
        assert_eq!(store.verify_audit().unwrap().unwrap_err().seq, 2);
    }
}
