//! The log's signing key: ed25519, in OpenSSH's private key format, made on
//! first use in a directory of its own choosing (beside the cache, or the
//! served data directory), readable by the user alone and never shown.

use super::CheckpointError;
use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The SSHSIG namespace of every checkpoint signature.
pub const NAMESPACE: &str = "steward-audit";
/// The principal the `allowed_signers` line names.
pub const PRINCIPAL: &str = "steward";
/// The key's file name in its directory.
pub const KEY_FILE: &str = "audit-signing-key";

pub struct Signer {
    key: PrivateKey,
    path: PathBuf,
}

impl Signer {
    /// The key file in `dir`.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join(KEY_FILE)
    }

    /// The key in `dir`, or `None` when none was made there yet.
    pub fn open(dir: &Path) -> Result<Option<Signer>, CheckpointError> {
        let path = Signer::path_in(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CheckpointError::io(&path, e)),
        };
        refuse_if_shared(&path)?;
        let key = PrivateKey::from_openssh(text.as_bytes()).map_err(|e| CheckpointError::Key {
            path: path.clone(),
            reason: format!("not an OpenSSH private key ({e})"),
        })?;
        if key.algorithm() != Algorithm::Ed25519 || key.is_encrypted() {
            return Err(CheckpointError::Key {
                path,
                reason: "not an unencrypted ed25519 key".into(),
            });
        }
        Ok(Some(Signer { key, path }))
    }

    /// The key in `dir`, made (0600) if there is none yet. Two processes
    /// making it at once end up with the same key: the first one written wins.
    pub fn open_or_create(dir: &Path) -> Result<Signer, CheckpointError> {
        if let Some(signer) = Signer::open(dir)? {
            return Ok(signer);
        }
        crate::paths::create_private_dir(dir).map_err(|e| CheckpointError::Key {
            path: dir.to_path_buf(),
            reason: format!("{e:#}"),
        })?;
        let path = Signer::path_in(dir);
        let key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).map_err(|e| {
            CheckpointError::Key {
                path: path.clone(),
                reason: format!("cannot make a key: {e}"),
            }
        })?;
        let text = key
            .to_openssh(LineEnding::LF)
            .map_err(|e| CheckpointError::Key {
                path: path.clone(),
                reason: format!("cannot encode the key: {e}"),
            })?;
        // Written whole under a temporary name, then linked into place: a
        // reader never sees half a key, and an existing key is never replaced.
        let tmp = dir.join(format!(".{KEY_FILE}.{}", std::process::id()));
        write_private(&tmp, text.as_bytes())?;
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(Signer { key, path }),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Signer::open(dir)?.ok_or_else(|| CheckpointError::io(&path, e))
            }
            Err(e) => Err(CheckpointError::io(&path, e)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }

    /// `SHA256:...`, as `ssh-keygen -l` shows it.
    pub fn fingerprint(&self) -> String {
        self.public_key().fingerprint(HashAlg::Sha256).to_string()
    }

    /// The public half as an OpenSSH `allowed_signers` line:
    /// `steward namespaces="steward-audit" ssh-ed25519 AAAA...`.
    pub fn allowed_signers_line(&self) -> Result<String, CheckpointError> {
        allowed_signers_line(self.public_key()).map_err(|e| CheckpointError::Key {
            path: self.path.clone(),
            reason: format!("cannot encode its public half: {e}"),
        })
    }

    /// An SSHSIG signature of `msg` in the [`NAMESPACE`], armored as
    /// `ssh-keygen -Y sign` writes it.
    pub fn sign(&self, msg: &[u8]) -> Result<String, CheckpointError> {
        let sig = self
            .key
            .sign(NAMESPACE, HashAlg::Sha512, msg)
            .and_then(|s| s.to_pem(LineEnding::LF))
            .map_err(|e| CheckpointError::Key {
                path: self.path.clone(),
                reason: format!("cannot sign: {e}"),
            })?;
        Ok(sig)
    }
}

/// `steward namespaces="steward-audit" ssh-ed25519 AAAA...` for `key`.
pub fn allowed_signers_line(key: &PublicKey) -> Result<String, ssh_key::Error> {
    let mut key = key.clone();
    key.set_comment("");
    let openssh = key.to_openssh()?;
    Ok(format!(
        "{PRINCIPAL} namespaces=\"{NAMESPACE}\" {}",
        openssh.trim_end()
    ))
}

/// Why a signature does not hold for a message under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureProblem {
    /// Not an armored SSH signature at all.
    Unreadable(String),
    /// Made for another purpose than checkpoints.
    Namespace(String),
    /// Made by another key (its fingerprint).
    OtherKey(String),
    /// The right key, but not over this message.
    Mismatch,
}

/// Checks an armored SSHSIG signature of `msg` against `key`.
pub fn check_signature(key: &PublicKey, msg: &[u8], pem: &str) -> Result<(), SignatureProblem> {
    let sig = SshSig::from_pem(pem.trim().as_bytes())
        .map_err(|e| SignatureProblem::Unreadable(e.to_string()))?;
    if sig.namespace() != NAMESPACE {
        return Err(SignatureProblem::Namespace(sig.namespace().to_string()));
    }
    if sig.public_key() != key.key_data() {
        let theirs = PublicKey::from(sig.public_key().clone());
        return Err(SignatureProblem::OtherKey(
            theirs.fingerprint(HashAlg::Sha256).to_string(),
        ));
    }
    key.verify(NAMESPACE, msg, &sig)
        .map_err(|_| SignatureProblem::Mismatch)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| CheckpointError::io(path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| CheckpointError::io(path, e))
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| CheckpointError::io(path, e))?;
    f.write_all(bytes).map_err(|e| CheckpointError::io(path, e))
}

/// A key others can read is no secret: refuse it, as ssh does.
#[cfg(unix)]
fn refuse_if_shared(path: &Path) -> Result<(), CheckpointError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| CheckpointError::io(path, e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(CheckpointError::Key {
            path: path.to_path_buf(),
            reason: format!(
                "others may read it (mode {:o}); `chmod 600` it if it was never exposed",
                mode & 0o777
            ),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_if_shared(_path: &Path) -> Result<(), CheckpointError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_private_and_signs_what_it_verifies() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Signer::open(dir.path()).unwrap().is_none());
        let signer = Signer::open_or_create(dir.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(signer.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = Signer::open_or_create(dir.path()).unwrap();
        assert_eq!(again.fingerprint(), signer.fingerprint());
        let line = signer.allowed_signers_line().unwrap();
        assert!(
            line.starts_with("steward namespaces=\"steward-audit\" ssh-ed25519 AAAA"),
            "{line}"
        );
        assert_eq!(line.split(' ').count(), 4, "{line}");
        let sig = signer.sign(b"hello\n").unwrap();
        assert!(sig.starts_with("-----BEGIN SSH SIGNATURE-----"));
        let key = signer.public_key();
        assert_eq!(check_signature(key, b"hello\n", &sig), Ok(()));
        assert_eq!(
            check_signature(key, b"hello!\n", &sig),
            Err(SignatureProblem::Mismatch)
        );
        let other = tempfile::tempdir().unwrap();
        let other = Signer::open_or_create(other.path()).unwrap();
        assert_eq!(
            check_signature(other.public_key(), b"hello\n", &sig),
            Err(SignatureProblem::OtherKey(signer.fingerprint()))
        );
        assert!(matches!(
            check_signature(key, b"hello\n", "not a signature"),
            Err(SignatureProblem::Unreadable(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let signer = Signer::open_or_create(dir.path()).unwrap();
        std::fs::set_permissions(signer.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Signer::open(dir.path()).err().unwrap().to_string();
        assert!(err.contains("others may read it"), "{err}");
        assert!(err.contains(KEY_FILE), "{err}");
    }
}
