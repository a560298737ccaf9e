//! The audit log: append-only, each entry hash-chained to the one before.
//!
//! Each entry's `hash` is SHA-256 over its fields and the hash of the entry
//! before it (`prev_hash`; the first follows [`GENESIS`]), so any change,
//! removal, insertion or reordering shows. Entries carry their `format`:
//!
//! - format 1 (caches before schema 6): `prev_hash, seq, at, actor, action,
//!   detail`, each followed by a newline;
//! - format 2 (schema 6 on): `2, log, prev_hash, seq, at, written_at, actor,
//!   via, fingerprint, serial, ca, action, detail`, each as its length in
//!   bytes (decimal), `:`, its bytes and a newline, so that no field can
//!   spill into the next. It adds the log's identity, the wall-clock time
//!   the entry was written and how the actor proved who they are.
//!
//! Old entries keep their format and hash as before; new ones are written
//! in the newest format. README.md ("Audit log") spells out the bytes so
//! that another program can recompute the chain from `audit export --jsonl`.

use super::Store;
use super::epoch::{from_secs, secs};
use super::error::Result;
use crate::model::{Actor, Time, Via};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The format new entries are written in.
pub const FORMAT: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// How the entry is hashed: 1 for entries older than schema 6, 2 since.
    pub format: u32,
    pub seq: i64,
    /// The log this entry belongs to (format 2 on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// When the action took effect (`--now` may fix it).
    pub at: Time,
    /// The wall-clock time the entry was written, whatever `--now` said
    /// (format 2 on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written_at: Option<Time>,
    pub actor: String,
    /// How the actor proved who they are (format 2 on): `"via"` and, for
    /// a key or a certificate, `"fingerprint"`, `"serial"` and `"ca"`.
    #[serde(flatten)]
    pub via: Option<Via>,
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

/// An entry written earlier, by the wall clock, than one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockJump {
    pub seq: i64,
    pub written_at: Time,
    /// The entry before it with the latest wall-clock time.
    pub after_seq: i64,
    pub after_written_at: Time,
}

fn field_text(via: &Option<Via>) -> (&str, String, String, String) {
    match via {
        None => ("", String::new(), String::new(), String::new()),
        Some(Via::Local) => ("local", String::new(), String::new(), String::new()),
        Some(Via::Key { fingerprint }) => {
            ("key", fingerprint.clone(), String::new(), String::new())
        }
        Some(Via::Certificate {
            fingerprint,
            serial,
            ca,
        }) => (
            "certificate",
            fingerprint.clone(),
            serial.to_string(),
            ca.clone(),
        ),
    }
}

/// The hash an entry should have, from its fields and `prev_hash`; `None`
/// for a format this steward does not know.
pub fn entry_hash(e: &AuditEntry) -> Option<String> {
    let mut h = Sha256::new();
    match e.format {
        1 => {
            for part in [
                e.prev_hash.as_str(),
                &e.seq.to_string(),
                &secs(e.at).to_string(),
                &e.actor,
                &e.action,
                &e.detail,
            ] {
                h.update(part.as_bytes());
                h.update(b"\n");
            }
        }
        2 => {
            let (via, fingerprint, serial, ca) = field_text(&e.via);
            let written = e
                .written_at
                .map(|t| secs(t).to_string())
                .unwrap_or_default();
            for part in [
                "2",
                e.log.as_deref().unwrap_or(""),
                &e.prev_hash,
                &e.seq.to_string(),
                &secs(e.at).to_string(),
                &written,
                &e.actor,
                via,
                &fingerprint,
                &serial,
                &ca,
                &e.action,
                &e.detail,
            ] {
                h.update(part.len().to_string().as_bytes());
                h.update(b":");
                h.update(part.as_bytes());
                h.update(b"\n");
            }
        }
        _ => return None,
    }
    Some(hex::encode(h.finalize()))
}

const LOG_ID_KEY: &str = "audit_log";

/// This cache's log identity, made on first need.
fn log_id(conn: &rusqlite::Connection) -> Result<String> {
    conn.execute(
        "INSERT OR IGNORE INTO settings (key, value) VALUES (?1, lower(hex(randomblob(8))))",
        [LOG_ID_KEY],
    )?;
    Ok(conn.query_row(
        "SELECT value FROM settings WHERE key = ?1",
        [LOG_ID_KEY],
        |r| r.get(0),
    )?)
}

/// Appends one entry inside `tx`; the caller commits. The entry records
/// the wall-clock time it is written besides `at`, and how `actor` proved
/// who they are.
pub(crate) fn append(
    tx: &Transaction,
    at: Time,
    actor: &Actor,
    action: &str,
    detail: &serde_json::Value,
) -> Result<i64> {
    let (last_seq, prev): (i64, String) = tx
        .query_row(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, GENESIS.to_string()));
    let mut e = AuditEntry {
        format: FORMAT,
        seq: last_seq + 1,
        log: Some(log_id(tx)?),
        at,
        // The wall clock, read as the entry is written (inside the write
        // lock, so entries are in the order of their writing).
        written_at: Some(crate::time::Clock::System.now()),
        actor: actor.person.clone(),
        via: Some(actor.via.clone()),
        action: action.to_string(),
        detail: serde_json::to_string(detail)?,
        prev_hash: prev,
        hash: String::new(),
    };
    e.hash = entry_hash(&e).unwrap_or_default();
    let (via, fingerprint, serial, ca) = field_text(&e.via);
    tx.execute(
        "INSERT INTO audit (seq, at, actor, action, detail, prev_hash, hash, format, log, written_at, \
         via, via_fingerprint, via_serial, via_ca) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            e.seq,
            secs(at),
            e.actor,
            e.action,
            e.detail,
            e.prev_hash,
            e.hash,
            e.format,
            e.log,
            e.written_at.map(secs),
            via,
            fingerprint,
            serial,
            ca
        ],
    )?;
    Ok(e.seq)
}

const ENTRY_COLUMNS: &str = "seq, at, actor, action, detail, prev_hash, hash, format, log, written_at, \
                             via, via_fingerprint, via_serial, via_ca";

fn entry(r: &Row) -> rusqlite::Result<AuditEntry> {
    let via: Option<String> = r.get(10)?;
    let fingerprint =
        || -> rusqlite::Result<String> { Ok(r.get::<_, Option<String>>(11)?.unwrap_or_default()) };
    let via = match via.as_deref() {
        None | Some("") => None,
        Some("local") => Some(Via::Local),
        Some("key") => Some(Via::Key {
            fingerprint: fingerprint()?,
        }),
        Some("certificate") => {
            let serial: Option<String> = r.get(12)?;
            Some(Via::Certificate {
                fingerprint: fingerprint()?,
                serial: serial.as_deref().unwrap_or("").parse().map_err(|_| {
                    rusqlite::Error::FromSqlConversionFailure(
                        12,
                        rusqlite::types::Type::Text,
                        format!("certificate serial {serial:?} in the audit table").into(),
                    )
                })?,
                ca: r.get::<_, Option<String>>(13)?.unwrap_or_default(),
            })
        }
        Some(other) => {
            return Err(rusqlite::Error::FromSqlConversionFailure(
                10,
                rusqlite::types::Type::Text,
                format!("unknown way of proof {other:?} in the audit table").into(),
            ));
        }
    };
    Ok(AuditEntry {
        seq: r.get(0)?,
        at: from_secs(r.get(1)?),
        actor: r.get(2)?,
        action: r.get(3)?,
        detail: r.get(4)?,
        prev_hash: r.get(5)?,
        hash: r.get(6)?,
        format: r.get(7)?,
        log: r.get(8)?,
        written_at: r.get::<_, Option<i64>>(9)?.map(from_secs),
        via,
    })
}

impl Store {
    /// Appends one entry on its own.
    pub fn audit(
        &mut self,
        at: Time,
        actor: &Actor,
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
        let mut st = self.conn.prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM audit ORDER BY seq DESC LIMIT ?1"
        ))?;
        let limit = limit.map_or(-1, |l| l as i64);
        let mut rows: Vec<AuditEntry> = st
            .query_map([limit], entry)?
            .collect::<rusqlite::Result<_>>()?;
        rows.reverse();
        Ok(rows)
    }

    /// This cache's log identity (`None` when the log was never written
    /// and the identity was removed).
    pub fn audit_log_id(&self) -> Result<Option<String>> {
        self.setting(LOG_ID_KEY)
    }

    /// This cache's log identity, made if it has none yet.
    pub fn audit_log_id_or_new(&self) -> Result<String> {
        log_id(&self.conn)
    }

    /// How many entries the log has.
    pub fn audit_len(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM audit", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Checks the whole chain; the first broken entry, if any.
    pub fn verify_audit(&self) -> Result<Result<usize, ChainBreak>> {
        let entries = self.audit_entries(None)?;
        Ok(verify(&entries, self.audit_log_id()?.as_deref()))
    }
}

/// Checks a chain of entries, oldest first, of the log `log` (when known):
/// the number verified, or the first break.
pub fn verify(entries: &[AuditEntry], log: Option<&str>) -> Result<usize, ChainBreak> {
    let mut prev = GENESIS;
    let mut newest_format = 1;
    for (i, e) in entries.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        let broken = |reason: String| ChainBreak { seq: e.seq, reason };
        if e.seq != expected_seq {
            return Err(broken(format!(
                "expected entry {expected_seq} here: an entry was removed or inserted"
            )));
        }
        if e.prev_hash != prev {
            return Err(broken(
                "does not follow the entry before it (removed, inserted or reordered)".into(),
            ));
        }
        if e.format < newest_format {
            return Err(broken(format!(
                "it is in format {} after an entry in format {newest_format}: it was rewritten in an older form",
                e.format
            )));
        }
        newest_format = e.format;
        if e.format >= 2
            && let Some(log) = log
            && e.log.as_deref() != Some(log)
        {
            return Err(broken(format!(
                "it belongs to log {}, not to this cache's log {log}: entries were copied in from another log",
                e.log.as_deref().unwrap_or("(none)")
            )));
        }
        match entry_hash(e) {
            None => {
                return Err(broken(format!(
                    "it is in format {}, which this steward does not know (upgrade steward)",
                    e.format
                )));
            }
            Some(h) if h != e.hash => {
                return Err(broken(
                    "its content was changed after it was written".into(),
                ));
            }
            Some(_) => {}
        }
        prev = &e.hash;
    }
    Ok(entries.len())
}

/// Entries written, by the wall clock, more than `max_skew` before an
/// entry ahead of them in the chain: the clock went back, or entries were
/// inserted out of order. Entries without a wall-clock time are skipped.
pub fn clock_jumps(entries: &[AuditEntry], max_skew: chrono::Duration) -> Vec<ClockJump> {
    let mut latest: Option<(i64, Time)> = None;
    let mut jumps = Vec::new();
    for e in entries {
        let Some(t) = e.written_at else { continue };
        match latest {
            Some((seq, before)) if t + max_skew < before => jumps.push(ClockJump {
                seq: e.seq,
                written_at: t,
                after_seq: seq,
                after_written_at: before,
            }),
            Some((_, before)) if t < before => {}
            _ => latest = Some((e.seq, t)),
        }
    }
    jumps
}

/// The chain's head after its first `size` entries: the hash of entry
/// `size` (the genesis hash for 0), as 32 bytes.
pub fn head_at(entries: &[AuditEntry], size: usize) -> Result<[u8; 32], HeadError> {
    let hex_hash = match size {
        0 => GENESIS,
        n => match entries.get(n - 1) {
            Some(e) => e.hash.as_str(),
            None => {
                return Err(HeadError::Short {
                    len: entries.len(),
                    size,
                });
            }
        },
    };
    let mut head = [0u8; 32];
    hex::decode_to_slice(hex_hash, &mut head).map_err(|source| HeadError::Malformed {
        size,
        hash: hex_hash.to_string(),
        source,
    })?;
    Ok(head)
}

/// Why there is no head at a size.
#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    #[error("the log has {len} entries, not {size}")]
    Short { len: usize, size: usize },
    #[error("entry {size} has a malformed hash {hash:?}: {source}")]
    Malformed {
        size: usize,
        hash: String,
        #[source]
        source: hex::FromHexError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Time {
        "2026-03-02T12:00:00Z".parse().unwrap()
    }

    fn store_with(n: usize) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        for i in 0..n {
            store
                .audit(
                    now(),
                    &Actor::local("priya"),
                    "decide",
                    &serde_json::json!({ "n": i }),
                )
                .unwrap();
        }
        (dir, store)
    }

    fn log(store: &Store) -> Option<String> {
        store.audit_log_id().unwrap()
    }

    #[test]
    fn the_chain_verifies_and_names_the_first_changed_entry() {
        let (_dir, store) = store_with(4);
        assert_eq!(store.verify_audit().unwrap(), Ok(4));
        let id = log(&store);
        let mut entries = store.audit_entries(None).unwrap();
        entries.remove(2);
        assert_eq!(verify(&entries, id.as_deref()).unwrap_err().seq, 4);
        let mut entries = store.audit_entries(None).unwrap();
        entries.swap(1, 2);
        assert_eq!(verify(&entries, id.as_deref()).unwrap_err().seq, 3);
        store
            .conn
            .execute("UPDATE audit SET detail = '{\"n\":9}' WHERE seq = 2", [])
            .unwrap();
        assert_eq!(store.verify_audit().unwrap().unwrap_err().seq, 2);
    }

    #[test]
    fn entries_record_the_wall_clock_the_log_and_how_the_actor_proved_it() {
        let (_dir, mut store) = store_with(0);
        let cert = Actor {
            person: "priya".into(),
            via: Via::Certificate {
                fingerprint: "SHA256:key".into(),
                serial: u64::MAX,
                ca: "SHA256:ca".into(),
            },
        };
        let before = crate::time::Clock::System.now();
        store
            .audit(now(), &cert, "decide", &serde_json::json!({}))
            .unwrap();
        let e = &store.audit_entries(None).unwrap()[0];
        assert_eq!(e.format, FORMAT);
        assert_eq!(e.via, Some(cert.via.clone()));
        assert_eq!(e.at, now());
        assert!(e.written_at.unwrap() >= before);
        assert_eq!(e.log, log(&store));
        let json = serde_json::to_value(e).unwrap();
        assert_eq!(json["via"], "certificate");
        assert_eq!(json["serial"], u64::MAX);
        assert_eq!(json["ca"], "SHA256:ca");
        assert_eq!(store.verify_audit().unwrap(), Ok(1));
    }

    #[test]
    fn a_changed_proof_or_wall_clock_breaks_the_chain() {
        let (_dir, store) = store_with(2);
        store
            .conn
            .execute(
                "UPDATE audit SET via = 'key', via_fingerprint = 'SHA256:x' WHERE seq = 1",
                [],
            )
            .unwrap();
        assert_eq!(store.verify_audit().unwrap().unwrap_err().seq, 1);
        let (_dir, store) = store_with(2);
        store
            .conn
            .execute(
                "UPDATE audit SET written_at = written_at - 1 WHERE seq = 2",
                [],
            )
            .unwrap();
        assert_eq!(store.verify_audit().unwrap().unwrap_err().seq, 2);
    }

    #[test]
    fn entries_of_another_log_or_downgraded_to_format_1_do_not_verify() {
        let (_dir, store) = store_with(2);
        let entries = store.audit_entries(None).unwrap();
        let err = verify(&entries, Some("0123456789abcdef")).unwrap_err();
        assert_eq!(err.seq, 1);
        assert!(err.reason.contains("another log"), "{}", err.reason);
        let mut entries = store.audit_entries(None).unwrap();
        entries[1].format = 1;
        entries[1].hash = entry_hash(&entries[1]).unwrap();
        let err = verify(&entries, log(&store).as_deref()).unwrap_err();
        assert!(err.reason.contains("older form"), "{}", err.reason);
    }

    #[test]
    fn format_1_entries_hash_as_before() {
        // An entry written by steward before schema 6, hash as it stored it.
        let e = AuditEntry {
            format: 1,
            seq: 1,
            log: None,
            at: now(),
            written_at: None,
            actor: "priya".into(),
            via: None,
            action: "decide".into(),
            detail: "{\"n\":0}".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        let mut h = Sha256::new();
        h.update(format!(
            "{GENESIS}\n1\n{}\npriya\ndecide\n{{\"n\":0}}\n",
            secs(now())
        ));
        assert_eq!(entry_hash(&e).unwrap(), hex::encode(h.finalize()));
        let json = serde_json::to_value(&e).unwrap();
        assert!(json.get("via").is_none() && json.get("written_at").is_none());
    }

    #[test]
    fn a_log_written_before_schema_6_verifies_after_the_migration_and_grows_in_format_2() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            // A cache as schema 5 left it, two entries hashed the old way.
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            super::super::schema::migrate_to(&mut conn, 5).unwrap();
            let mut prev = GENESIS.to_string();
            for seq in 1..=2 {
                let line = format!("{prev}\n{seq}\n{}\npriya\ndecide\n{{}}\n", secs(now()));
                let hash = hex::encode(Sha256::digest(line.as_bytes()));
                conn.execute(
                    "INSERT INTO audit VALUES (?1, ?2, 'priya', 'decide', '{}', ?3, ?4)",
                    params![seq, secs(now()), prev, hash],
                )
                .unwrap();
                prev = hash;
            }
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.verify_audit().unwrap(), Ok(2));
        store
            .audit(now(), &Actor::local("omar"), "undo", &serde_json::json!({}))
            .unwrap();
        let entries = store.audit_entries(None).unwrap();
        let formats: Vec<u32> = entries.iter().map(|e| e.format).collect();
        assert_eq!(formats, vec![1, 1, 2]);
        assert_eq!(store.verify_audit().unwrap(), Ok(3));
    }

    #[test]
    fn clock_jumps_name_entries_written_before_an_earlier_one() {
        let (_dir, store) = store_with(5);
        let mut entries = store.audit_entries(None).unwrap();
        let t0 = now();
        let minutes = [0, 10, 4, 11, 9];
        for (e, m) in entries.iter_mut().zip(minutes) {
            e.written_at = Some(t0 + chrono::Duration::minutes(m));
        }
        let jumps = clock_jumps(&entries, chrono::Duration::minutes(5));
        assert_eq!(jumps.len(), 1);
        assert_eq!((jumps[0].seq, jumps[0].after_seq), (3, 2));
        assert!(clock_jumps(&entries, chrono::Duration::minutes(6)).is_empty());
        let jumps = clock_jumps(&entries, chrono::Duration::minutes(1));
        assert_eq!(
            jumps
                .iter()
                .map(|j| (j.seq, j.after_seq))
                .collect::<Vec<_>>(),
            vec![(3, 2), (5, 4)]
        );
    }

    #[test]
    fn the_head_at_a_size_is_that_entrys_hash() {
        let (_dir, store) = store_with(3);
        let entries = store.audit_entries(None).unwrap();
        assert_eq!(head_at(&entries, 0).unwrap(), [0u8; 32]);
        assert_eq!(hex::encode(head_at(&entries, 2).unwrap()), entries[1].hash);
        assert!(head_at(&entries, 4).is_err());
    }
}
