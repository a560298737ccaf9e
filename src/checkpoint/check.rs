//! Checking a checkpoint against the log: its signature is this log's, the
//! log still has at least that many entries, and the chain at that size
//! still ends in the head the checkpoint signed. Each way it can fail is
//! named, so that a reader knows what happened to the log.

use super::CheckpointError;
use super::signer::{SignatureProblem, Signer, check_signature};
use super::text::{Checkpoint, Malformed};
use crate::store::audit::{ChainBreak, head_at, verify};
use crate::store::{AuditEntry, Store};
use ssh_key::PublicKey;
use std::path::{Path, PathBuf};

/// What a checkpoint is checked against: the log as it is now.
pub struct Log {
    pub entries: Vec<AuditEntry>,
    /// The cache's log identity.
    pub id: Option<String>,
    /// The log's signing key (`None`: none was made yet).
    pub key: Option<PublicKey>,
    /// Where the key lives (or would).
    pub key_path: PathBuf,
    /// The chain checked on its own ([`crate::store::audit::verify`]).
    pub chain: Result<usize, ChainBreak>,
}

impl Log {
    /// The log in `store`, with the signing key kept in `key_dir`.
    pub fn load(store: &Store, key_dir: &Path) -> Result<Log, CheckpointError> {
        let entries = store.audit_entries(None).map_err(CheckpointError::Store)?;
        let id = store.audit_log_id().map_err(CheckpointError::Store)?;
        let chain = verify(&entries, id.as_deref());
        let key = Signer::open(key_dir)?.map(|s| s.public_key().clone());
        Ok(Log {
            entries,
            id,
            key,
            key_path: Signer::path_in(key_dir),
            chain,
        })
    }
}

/// Why a checkpoint does not hold for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The checkpoint or its signature cannot be read.
    Unreadable(String),
    /// The signature is not an SSH signature.
    SignatureUnreadable(String),
    /// The signature is for another namespace than `steward-audit`.
    Namespace(String),
    /// This log has no signing key, so it never made a checkpoint.
    NoKey(PathBuf),
    /// Signed by another key than this log's.
    OtherKey { theirs: String, ours: String },
    /// The signature does not match the checkpoint's text.
    Altered,
    /// Signed, but not a checkpoint's text.
    NotACheckpoint(Malformed),
    /// A checkpoint of another log than the one in this cache.
    OtherLog { theirs: String, ours: String },
    /// The log has fewer entries than the checkpoint vouches for.
    Truncated { size: u64, len: usize },
    /// An entry the checkpoint covers no longer verifies.
    Broken(ChainBreak),
    /// The chain up to the checkpoint's size ends in another head.
    Rewritten { size: u64 },
}

impl Failure {
    /// One sentence saying what happened, naming the checkpoint file.
    pub fn sentence(&self, file: &Path) -> String {
        let f = file.display();
        match self {
            Failure::Unreadable(e) => format!("cannot read checkpoint {f}: {e}"),
            Failure::SignatureUnreadable(e) => format!(
                "the signature of checkpoint {f} is not an SSH signature ({e}): the signature file was altered"
            ),
            Failure::Namespace(ns) => format!(
                "checkpoint {f} is signed for {ns:?}, not \"steward-audit\": it is no checkpoint of this log"
            ),
            Failure::NoKey(path) => format!(
                "checkpoint {f} cannot be of this log: it has no signing key ({} is missing), so it never signed one; the key was removed or the log was swapped for another",
                path.display()
            ),
            Failure::OtherKey { theirs, ours } => format!(
                "checkpoint {f} was signed by key {theirs}, not by this log's key {ours}: the log (with its key) was swapped for another, or the checkpoint is another log's"
            ),
            Failure::Altered => format!(
                "checkpoint {f} does not match its signature: the checkpoint (or its signature) was altered"
            ),
            Failure::NotACheckpoint(e) => {
                format!("checkpoint {f} is signed but is not a checkpoint: {e}")
            }
            Failure::OtherLog { theirs, ours } => format!(
                "checkpoint {f} is of log {theirs}, but this cache holds log {ours}: the log was swapped for another"
            ),
            Failure::Truncated { size, len } => format!(
                "the log has {len} entries, fewer than the {size} that checkpoint {f} vouches for: entries were cut off its end"
            ),
            Failure::Broken(b) => format!(
                "entry {} is covered by checkpoint {f} but no longer verifies ({}): the log was edited",
                b.seq, b.reason
            ),
            Failure::Rewritten { size } => format!(
                "the log's first {size} entries no longer end in the head that checkpoint {f} signed: the chain was rewritten (entries changed and their hashes recomputed)"
            ),
        }
    }
}

/// Checks checkpoint `text` with signature `sig` (armored SSHSIG) against `log`.
pub fn check(text: &[u8], sig: &str, log: &Log) -> Result<Checkpoint, Failure> {
    let Some(key) = &log.key else {
        return Err(match ssh_key::SshSig::from_pem(sig.trim().as_bytes()) {
            Err(e) => Failure::SignatureUnreadable(e.to_string()),
            Ok(_) => Failure::NoKey(log.key_path.to_path_buf()),
        });
    };
    check_signature(key, text, sig).map_err(|p| match p {
        SignatureProblem::Unreadable(e) => Failure::SignatureUnreadable(e),
        SignatureProblem::Namespace(ns) => Failure::Namespace(ns),
        SignatureProblem::OtherKey(theirs) => Failure::OtherKey {
            theirs,
            ours: key.fingerprint(ssh_key::HashAlg::Sha256).to_string(),
        },
        SignatureProblem::Mismatch => Failure::Altered,
    })?;
    let text =
        std::str::from_utf8(text).map_err(|_| Failure::NotACheckpoint(Malformed::NotUtf8))?;
    let cp = Checkpoint::parse(text).map_err(Failure::NotACheckpoint)?;
    let ours = log.id.as_deref().unwrap_or("(none)");
    if cp.log_id() != log.id.as_deref() {
        return Err(Failure::OtherLog {
            theirs: cp.log_id().unwrap_or(&cp.origin).to_string(),
            ours: ours.to_string(),
        });
    }
    let len = log.entries.len();
    if cp.size > len as u64 {
        return Err(Failure::Truncated { size: cp.size, len });
    }
    if let Err(b) = &log.chain
        && b.seq as u64 <= cp.size
    {
        return Err(Failure::Broken(b.clone()));
    }
    let head = head_at(&log.entries, cp.size as usize)
        .map_err(|_| Failure::Rewritten { size: cp.size })?;
    if head != cp.head {
        return Err(Failure::Rewritten { size: cp.size });
    }
    Ok(cp)
}

/// The signature file of checkpoint `file`: `FILE.sig`.
pub fn sig_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".sig");
    PathBuf::from(s)
}

/// Checks checkpoint `file` and its `FILE.sig` against `log`.
pub fn check_file(file: &Path, log: &Log) -> Result<Checkpoint, Failure> {
    let text = std::fs::read(file).map_err(|e| Failure::Unreadable(e.to_string()))?;
    let sig_file = sig_path(file);
    let sig = std::fs::read(&sig_file)
        .map_err(|e| Failure::Unreadable(format!("its signature {}: {e}", sig_file.display())))?;
    let sig = String::from_utf8_lossy(&sig);
    check(&text, &sig, log)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{take, write};
    use crate::model::Actor;

    fn store_with(dir: &Path, name: &str, n: usize) -> Store {
        let mut store = Store::open(&dir.join(name)).unwrap();
        for i in 0..n {
            let now = "2026-03-02T12:00:00Z".parse().unwrap();
            let detail = serde_json::json!({ "n": i });
            store
                .audit(now, &Actor::local("priya"), "decide", &detail)
                .unwrap();
        }
        store
    }

    /// A checkpoint of a 3-entry log, and the log grown to 5.
    fn setup() -> (tempfile::TempDir, Store, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store_with(dir.path(), "c.db", 3);
        let signer = Signer::open_or_create(dir.path()).unwrap();
        let file = dir.path().join("cp");
        write(&take(&store, &signer).unwrap(), &file).unwrap();
        for _ in 0..2 {
            let now = "2026-03-02T13:00:00Z".parse().unwrap();
            store
                .audit(now, &Actor::local("omar"), "undo", &serde_json::json!({}))
                .unwrap();
        }
        (dir, store, file)
    }

    fn failure(store: &Store, dir: &Path, file: &Path) -> Failure {
        check_file(file, &Log::load(store, dir).unwrap()).unwrap_err()
    }

    #[test]
    fn a_checkpoint_holds_for_the_log_grown_past_it() {
        let (dir, store, file) = setup();
        let cp = check_file(&file, &Log::load(&store, dir.path()).unwrap()).unwrap();
        assert_eq!(cp.size, 3);
    }

    #[test]
    fn truncation_rewriting_and_alteration_each_fail_by_name() {
        let (dir, store, file) = setup();
        let exec = |sql: &str| {
            let conn = rusqlite::Connection::open(dir.path().join("c.db")).unwrap();
            conn.execute_batch(sql).unwrap();
        };
        exec("DELETE FROM audit WHERE seq >= 3");
        assert_eq!(
            failure(&store, dir.path(), &file),
            Failure::Truncated { size: 3, len: 2 }
        );

        let (dir, store, file) = setup();
        let conn = rusqlite::Connection::open(dir.path().join("c.db")).unwrap();
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2", [])
            .unwrap();
        assert!(matches!(
            failure(&store, dir.path(), &file),
            Failure::Broken(ChainBreak { seq: 2, .. })
        ));
        // The same edit with every hash after it recomputed.
        let mut entries = store.audit_entries(None).unwrap();
        let mut prev = entries[0].hash.clone();
        for e in entries.iter_mut().skip(1) {
            e.prev_hash = prev;
            e.hash = crate::store::audit::entry_hash(e).unwrap();
            prev = e.hash.clone();
            conn.execute(
                "UPDATE audit SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
                rusqlite::params![e.prev_hash, e.hash, e.seq],
            )
            .unwrap();
        }
        assert_eq!(store.verify_audit().unwrap(), Ok(5));
        assert_eq!(
            failure(&store, dir.path(), &file),
            Failure::Rewritten { size: 3 }
        );

        let (dir, store, file) = setup();
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, text.replace("\n3\n", "\n2\n")).unwrap();
        assert_eq!(failure(&store, dir.path(), &file), Failure::Altered);
        std::fs::write(sig_path(&file), "garbage").unwrap();
        assert!(matches!(
            failure(&store, dir.path(), &file),
            Failure::SignatureUnreadable(_)
        ));
    }

    #[test]
    fn another_log_or_another_key_fails_by_name() {
        let (dir, store, file) = setup();
        // Another cache in the same place, with the same key beside it.
        let other = store_with(dir.path(), "other.db", 5);
        assert!(matches!(
            failure(&other, dir.path(), &file),
            Failure::OtherLog { .. }
        ));
        // The same log, judged by another key.
        let elsewhere = tempfile::tempdir().unwrap();
        Signer::open_or_create(elsewhere.path()).unwrap();
        assert!(matches!(
            failure(&store, elsewhere.path(), &file),
            Failure::OtherKey { .. }
        ));
        let keyless = tempfile::tempdir().unwrap();
        assert!(matches!(
            failure(&store, keyless.path(), &file),
            Failure::NoKey(_)
        ));
        let sentence = failure(&other, dir.path(), &file).sentence(&file);
        assert!(sentence.contains("swapped for another"), "{sentence}");
    }
}
