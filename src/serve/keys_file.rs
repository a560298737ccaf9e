//! The registered keys: `PERSON KEYTYPE BASE64 [comment]`, one a line,
//! read again whenever the file changes (checked at each login, by its
//! modification time, size and inode: a stat, not a read).

use russh::keys::ssh_key::{HashAlg, PublicKey};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What the file said, and what in it was wrong.
#[derive(Debug, Default)]
pub struct Registered {
    /// Key fingerprint (`SHA256:...`) -> person id.
    by_fingerprint: HashMap<String, String>,
    /// Lines skipped, as `FILE:LINE: problem`.
    pub problems: Vec<String>,
}

impl Registered {
    pub fn person(&self, fingerprint: &str) -> Option<&str> {
        self.by_fingerprint.get(fingerprint).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.by_fingerprint.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_fingerprint.is_empty()
    }
}

/// Reads keys text. A bad line is skipped and named; a key given to two
/// different people is given to neither (a key belongs to one person).
pub fn parse(text: &str, path: &Path) -> Registered {
    let mut out = Registered::default();
    let mut owners: HashMap<String, (String, usize)> = HashMap::new();
    let mut shared: Vec<String> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((person, key)) = line.split_once(char::is_whitespace) else {
            out.problems.push(format!(
                "{}:{n}: expected PERSON KEYTYPE BASE64 [comment]",
                path.display()
            ));
            continue;
        };
        let key = match PublicKey::from_openssh(key.trim()) {
            Ok(k) => k,
            Err(e) => {
                out.problems.push(format!(
                    "{}:{n}: not an OpenSSH public key after {:?} ({e})",
                    path.display(),
                    person
                ));
                continue;
            }
        };
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        match owners.get(&fingerprint) {
            Some((other, line)) if other != person => {
                out.problems.push(format!(
                    "{}:{n}: key {fingerprint} is also registered to {other:?} (line {line}); a key belongs to one person, so neither gets it",
                    path.display()
                ));
                shared.push(fingerprint);
            }
            Some(_) => {}
            None => {
                owners.insert(fingerprint, (person.to_string(), n));
            }
        }
    }
    for f in shared {
        owners.remove(&f);
    }
    out.by_fingerprint = owners.into_iter().map(|(f, (p, _))| (f, p)).collect();
    out
}

/// The file, and what was read from it last.
pub struct KeysFile {
    path: Option<PathBuf>,
    stamp: Option<Stamp>,
    current: Registered,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode,
    })
}

impl KeysFile {
    /// No path: no keys are registered (certificates may still be).
    pub fn new(path: Option<PathBuf>) -> KeysFile {
        let mut k = KeysFile {
            path,
            stamp: None,
            current: Registered::default(),
        };
        k.refresh();
        k
    }

    /// Reads the file again if it changed since last time; logs what was
    /// wrong in it. A file that cannot be read keeps what was read before.
    pub fn refresh(&mut self) -> &Registered {
        let Some(path) = &self.path else {
            return &self.current;
        };
        let now = stamp(path);
        if now.is_some() && now == self.stamp {
            return &self.current;
        }
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let read = parse(&text, path);
                for p in &read.problems {
                    tracing::warn!("keys file: {p}");
                }
                tracing::info!("keys file {}: {} keys", path.display(), read.len());
                self.current = read;
                self.stamp = now;
            }
            Err(e) => {
                tracing::warn!("cannot read the keys file {}: {e}", path.display());
            }
        }
        &self.current
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const PRIYA: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1DBFpKtYub3bd/m3H1S3FOSKScCU59UDHYAAjRXv8R";

    fn fingerprint(key: &str) -> String {
        PublicKey::from_openssh(key)
            .unwrap()
            .fingerprint(HashAlg::Sha256)
            .to_string()
    }

    #[test]
    fn maps_each_key_to_its_person_and_names_bad_lines() {
        let text =
            format!("# people\n\npriya {PRIYA} priya@laptop\nmarcus ssh-ed25519 AAAAnope\njunk\n");
        let r = parse(&text, Path::new("people.keys"));
        assert_eq!(r.person(&fingerprint(PRIYA)), Some("priya"));
        assert_eq!(r.len(), 1);
        assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
        assert!(
            r.problems[0].starts_with("people.keys:4: not an OpenSSH public key after \"marcus\"")
        );
        assert!(r.problems[1].starts_with("people.keys:5: expected PERSON"));
    }

    #[test]
    fn a_key_given_to_two_people_belongs_to_neither() {
        let text = format!("priya {PRIYA}\nmarcus {PRIYA}\n");
        let r = parse(&text, Path::new("k"));
        assert!(r.is_empty());
        assert!(r.problems[0].contains("also registered to \"priya\""));
    }

    #[test]
    fn reads_the_file_again_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("people.keys");
        std::fs::write(&path, "").unwrap();
        let mut keys = KeysFile::new(Some(path.clone()));
        assert!(keys.refresh().is_empty());
        std::fs::write(&path, format!("priya {PRIYA}\n")).unwrap();
        assert_eq!(keys.refresh().person(&fingerprint(PRIYA)), Some("priya"));
        std::fs::remove_file(&path).unwrap();
        // Gone for a moment (an editor's rename): what was read stays.
        assert_eq!(keys.refresh().person(&fingerprint(PRIYA)), Some("priya"));
    }
}
