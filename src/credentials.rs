//! Secrets, from where steward may read them: environment variables and the
//! OS keyring. Never from a file, never into a message.
//!
//! The keyring entries are named by the config (`token_keyring = "NAME"`,
//! `password_keyring = "NAME"`) and written by `steward secret set NAME`. On
//! Linux the store is the kernel's key retention service (keyutils): the
//! user's persistent keyring, readable by that user's processes only, which
//! needs no daemon and works headless. It lives in memory: it is gone after a
//! reboot, or after `/proc/sys/kernel/keys/persistent_keyring_expiry` (3 days
//! by default) without any use, and must be set again then.

use anyhow::{Result, bail};

/// The keyring "service" every steward entry is filed under; the entry's
/// name is the "user".
pub const SERVICE: &str = "steward";

/// A keyring entry name: short, printable, no spaces (it is also a key in
/// the config file).
pub fn check_name(name: &str) -> Result<(), BadEntryName> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(BadEntryName(name.to_string()))
    }
}

/// A name that cannot be a keyring entry's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a keyring entry name (letters, digits, `-`, `_`, `.`; at most 128)")]
pub struct BadEntryName(pub String);

/// The value of environment variable `var`, trimmed; an error naming the
/// variable (and what it is for) when unset or empty.
pub fn from_env(var: &str, what: &str) -> Result<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => bail!("environment variable {var} ({what}) is not set or empty"),
    }
}

/// The secret stored under `name`; an error naming the entry (never a
/// secret) when there is none or the keyring cannot be read.
pub fn from_keyring(name: &str, what: &str) -> Result<String> {
    match keyring::get(name)? {
        Some(v) if !v.trim().is_empty() => Ok(v),
        Some(_) => bail!("keyring entry {name} ({what}) is empty"),
        None => bail!(
            "keyring entry {name} ({what}) does not exist in the {}: store it with `steward secret set {name}`",
            keyring::BACKEND
        ),
    }
}

/// Whether the keyring holds an entry `name`.
pub fn keyring_has(name: &str) -> Result<bool> {
    Ok(keyring::get(name)?.is_some())
}

/// Stores `secret` under `name`, replacing any earlier one. One line end
/// (as `echo` and a terminal leave) is dropped; other spaces are kept.
pub fn keyring_set(name: &str, secret: &str) -> Result<()> {
    check_name(name)?;
    let secret = secret
        .strip_suffix('\n')
        .map(|s| s.strip_suffix('\r').unwrap_or(s))
        .unwrap_or(secret);
    if secret.trim().is_empty() {
        bail!("refusing to store an empty secret under {name}");
    }
    keyring::set(name, secret)
}

/// Deletes the entry `name`; false when there was none.
pub fn keyring_delete(name: &str) -> Result<bool> {
    check_name(name)?;
    keyring::delete(name)
}

/// Where the keyring is, for messages.
pub fn keyring_backend() -> &'static str {
    keyring::BACKEND
}

#[cfg(target_os = "linux")]
mod keyring {
    use anyhow::{Result, anyhow};
    use keyring_core::{CredentialStore, Entry, Error};
    use std::sync::Arc;

    pub const BACKEND: &str = "kernel keyring (keyutils, the user's persistent keyring)";

    fn entry(name: &str) -> Result<Entry> {
        // Keys are linked into the user's persistent keyring, which only a
        // process with a session keyring of its own may do (cron, CI and
        // containers often give none): make one when there is none.
        linux_keyutils::KeyRing::from_special_id(linux_keyutils::KeyRingIdentifier::Session, true)
            .map_err(|e| anyhow!("cannot open a session keyring for the {BACKEND}: {e:?}"))?;
        let store: Arc<CredentialStore> = linux_keyutils_keyring_store::Store::new()
            .map_err(|e| anyhow!("cannot open the {BACKEND}: {}", describe(&e)))?;
        Entry::new_in_store(&store, super::SERVICE, name)
            .map_err(|e| anyhow!("keyring entry {name}: {}", describe(&e)))
    }

    /// An error's description, without any payload that could hold a secret.
    fn describe(e: &Error) -> String {
        match e {
            Error::BadEncoding(_) => "the stored secret is not UTF-8 text".into(),
            Error::BadDataFormat(_, _) => "the stored secret is not in the expected format".into(),
            Error::Ambiguous(v) => format!("{} entries match", v.len()),
            other => other.to_string(),
        }
    }

    pub fn get(name: &str) -> Result<Option<String>> {
        match entry(name)?.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(anyhow!(
                "cannot read keyring entry {name} from the {BACKEND}: {}",
                describe(&e)
            )),
        }
    }

    pub fn set(name: &str, secret: &str) -> Result<()> {
        entry(name)?.set_password(secret).map_err(|e| {
            anyhow!(
                "cannot store keyring entry {name} in the {BACKEND}: {}",
                describe(&e)
            )
        })
    }

    pub fn delete(name: &str) -> Result<bool> {
        match entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(anyhow!(
                "cannot delete keyring entry {name} from the {BACKEND}: {}",
                describe(&e)
            )),
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod keyring {
    use anyhow::{Result, bail};

    pub const BACKEND: &str = "OS keyring";

    const UNSUPPORTED: &str = "this build of steward reads the keyring on Linux only; use an environment variable (token_env, password_env)";

    pub fn get(_: &str) -> Result<Option<String>> {
        bail!(UNSUPPORTED)
    }
    pub fn set(_: &str, _: &str) -> Result<()> {
        bail!(UNSUPPORTED)
    }
    pub fn delete(_: &str) -> Result<bool> {
        bail!(UNSUPPORTED)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_secret_set_is_read_back_then_deleted() {
        let name = format!("steward-unit-{}", std::process::id());
        keyring_set(&name, " s3cret unit \r\n").unwrap();
        assert!(keyring_has(&name).unwrap());
        assert_eq!(from_keyring(&name, "test").unwrap(), " s3cret unit ");
        assert!(keyring_delete(&name).unwrap());
        assert!(!keyring_delete(&name).unwrap());
        let err = from_keyring(&name, "token_keyring of source x")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&name) && err.contains("steward secret set"),
            "{err}"
        );
        assert!(keyring_set("bad name", "x").is_err());
        assert!(keyring_set(&name, "  ").is_err());
    }
}

#[cfg(test)]
mod name_tests {
    use super::*;

    #[test]
    fn an_entry_name_is_checked_and_a_bad_one_named() {
        assert_eq!(check_name("pagerduty.prod-1_a"), Ok(()));
        let e = check_name("has space").unwrap_err();
        assert_eq!(e, BadEntryName("has space".into()));
        assert_eq!(
            e.to_string(),
            "\"has space\" is not a keyring entry name (letters, digits, `-`, `_`, `.`; at most 128)"
        );
        assert!(check_name("").is_err());
        assert!(check_name(&"a".repeat(129)).is_err());
    }
}
