//! The server's host key: made on first start in the data directory,
//! readable by the server's user alone, and the same on every start after.

use anyhow::{Context, Result, bail};
use russh::keys::ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const FILE: &str = "ssh_host_ed25519_key";

pub struct HostKey {
    pub key: PrivateKey,
    pub path: PathBuf,
    /// True when this start made it.
    pub created: bool,
}

impl HostKey {
    /// `SHA256:...`, as `ssh` shows it when it first meets the server.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }
}

/// Reads the host key from `data_dir`, or makes one there (mode 0600).
pub fn load_or_create(data_dir: &Path) -> Result<HostKey> {
    let path = data_dir.join(FILE);
    if path.exists() {
        check_private(&path)?;
        let key = PrivateKey::read_openssh_file(&path)
            .with_context(|| format!("cannot read the host key {}", path.display()))?;
        return Ok(HostKey {
            key,
            path,
            created: false,
        });
    }
    crate::paths::create_private_dir(data_dir)?;
    let key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)
        .context("cannot make a host key")?;
    let text = key
        .to_openssh(LineEnding::LF)
        .context("cannot encode the host key")?;
    let mut file = create_private_file(&path)
        .with_context(|| format!("cannot create the host key {}", path.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write the host key {}", path.display()))?;
    Ok(HostKey {
        key,
        path,
        created: true,
    })
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// A host key others can read is refused, as sshd refuses one.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        bail!(
            "the host key {} is readable by others (mode {:o}); chmod 600 it",
            path.display(),
            mode & 0o777
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_private_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(dir.path()).unwrap();
        assert!(first.created);
        assert!(first.fingerprint().starts_with("SHA256:"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&first.path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = load_or_create(dir.path()).unwrap();
        assert!(!again.created);
        assert_eq!(again.fingerprint(), first.fingerprint());
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key = load_or_create(dir.path()).unwrap();
        std::fs::set_permissions(&key.path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create(dir.path()).err().unwrap().to_string();
        assert!(err.contains("readable by others"), "{err}");
    }
}
