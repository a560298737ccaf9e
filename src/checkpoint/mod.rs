//! Checkpoints of the audit log: a small statement of the log's size and
//! head hash, signed with the log's own ed25519 key (SSHSIG, namespace
//! `steward-audit`), so that anyone holding one can later prove, with
//! OpenSSH alone or with `steward audit verify`, that the log they are shown
//! still extends it: nothing cut off the end, nothing rewritten, not
//! another log in its place.
//!
//! [`signer`] keeps the key, [`text`] is the checkpoint's C2SP form,
//! [`check`] checks one against the log, [`schedule`] writes them for
//! `steward serve` into a directory (and to a webhook) as the log grows.

pub mod check;
pub mod schedule;
pub mod signer;
pub mod text;

pub use check::{Failure, Log, check_file, sig_path};
pub use schedule::Checkpointer;
pub use signer::Signer;
pub use text::Checkpoint;

use crate::store::Store;
use crate::store::audit::{head_at, verify};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("audit signing key {path}: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the audit log is broken at entry {seq} ({reason}); no checkpoint is signed for a broken log (see `steward audit verify`)"
    )]
    Broken { seq: i64, reason: String },
    #[error("cannot read the audit log: {0:#}")]
    Store(#[from] crate::store::Error),
    #[error("{0}")]
    Head(#[from] crate::store::audit::HeadError),
    #[error("checkpoint webhook: {0}")]
    Webhook(String),
}

impl CheckpointError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> CheckpointError {
        CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A checkpoint just taken: its text and its armored signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub checkpoint: Checkpoint,
    pub text: String,
    pub signature: String,
}

/// Takes a checkpoint of the log in `store` as it is now, signed by
/// `signer`. A broken chain is refused: signing it would vouch for it.
pub fn take(store: &Store, signer: &Signer) -> Result<Signed, CheckpointError> {
    let entries = store.audit_entries(None).map_err(CheckpointError::Store)?;
    let id = store
        .audit_log_id_or_new()
        .map_err(CheckpointError::Store)?;
    verify(&entries, Some(&id)).map_err(|b| CheckpointError::Broken {
        seq: b.seq,
        reason: b.reason,
    })?;
    let head = head_at(&entries, entries.len())?;
    let checkpoint = Checkpoint::of_log(&id, entries.len() as u64, head);
    let text = checkpoint.to_text();
    let signature = signer.sign(text.as_bytes())?;
    Ok(Signed {
        checkpoint,
        text,
        signature,
    })
}

/// Writes `signed` to `out` and its signature to `out.sig`, each whole
/// (written aside, then renamed into place).
pub fn write(signed: &Signed, out: &Path) -> Result<(), CheckpointError> {
    write_whole(&sig_path(out), signed.signature.as_bytes())?;
    write_whole(out, signed.text.as_bytes())
}

fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(CheckpointError::io(path, e));
    }
    Ok(())
}
