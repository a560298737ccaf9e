//! Who a connection is: the person a registered key belongs to, or the
//! person an OpenSSH user certificate names, signed by a trusted CA and
//! valid now. The SSH user name plays no part. Anything else is refused
//! with one line that names the key and says how to get access.

use super::keys_file::KeysFile;
use crate::model::{Actor, Status, Time, Via};
use russh::keys::ssh_key::{Certificate, Fingerprint, HashAlg, PublicKey, certificate::CertType};
use std::sync::Mutex;

/// The roster as identity needs it: a person by id or email, and whether
/// they are still here. `Err` when the roster cannot be read.
pub trait Roster {
    fn lookup(&self, id_or_email: &str) -> anyhow::Result<Option<(String, Status)>>;
}

/// The outcome of a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Person(Actor),
    /// One line for the client, naming the key and how to get access.
    Refused(String),
}

pub struct Gatekeeper {
    keys: Mutex<KeysFile>,
    /// Trusted user CAs, by fingerprint.
    cas: Vec<Fingerprint>,
    /// Who registers keys, for the refusal.
    admins: Vec<String>,
}

impl Gatekeeper {
    pub fn new(keys: KeysFile, user_ca: &[PublicKey], admins: Vec<String>) -> Gatekeeper {
        Gatekeeper {
            keys: Mutex::new(keys),
            cas: user_ca
                .iter()
                .map(|k| k.fingerprint(HashAlg::Sha256))
                .collect(),
            admins,
        }
    }

    fn how_to_get_access(&self) -> String {
        let who = if self.admins.is_empty() {
            "steward's operator".to_string()
        } else {
            format!("an admin ({})", self.admins.join(", "))
        };
        format!(
            "to get access, send your public key (the .pub file) to {who} to be registered, or log in with a certificate valid now from your organization's SSH CA"
        )
    }

    /// A key whose signature the SSH layer verified.
    pub fn by_key(&self, key: &PublicKey, roster: &dyn Roster) -> Identity {
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let person = {
            let mut keys = match self.keys.lock() {
                Ok(k) => k,
                Err(poisoned) => poisoned.into_inner(),
            };
            keys.refresh().person(&fingerprint).map(str::to_string)
        };
        let Some(person) = person else {
            return Identity::Refused(format!(
                "steward: key {fingerprint} is not registered; {}",
                self.how_to_get_access()
            ));
        };
        let subject = format!("key {fingerprint}");
        match self.on_roster(&subject, &person, roster) {
            Ok(id) => Identity::Person(Actor {
                person: id,
                via: Via::Key { fingerprint },
            }),
            Err(refused) => refused,
        }
    }

    /// A certificate whose key's signature the SSH layer verified: it must
    /// be a user certificate, signed by a listed CA, valid at `now`, with
    /// no critical option steward does not enforce, naming a person.
    pub fn by_certificate(&self, cert: &Certificate, now: Time, roster: &dyn Roster) -> Identity {
        let fingerprint = cert.public_key().fingerprint(HashAlg::Sha256).to_string();
        let subject = format!(
            "certificate for key {fingerprint} (serial {})",
            cert.serial()
        );
        let refuse = |why: String| Identity::Refused(format!("steward: {subject} {why}"));
        if cert.cert_type() != CertType::User {
            return refuse(format!(
                "is not a user certificate; {}",
                self.how_to_get_access()
            ));
        }
        let at = u64::try_from(now.timestamp()).unwrap_or(0);
        // validate_at checks the signature and the CA, then the time: at
        // the certificate's own start it tells an untrusted CA apart.
        if cert.validate_at(cert.valid_after(), &self.cas).is_err() {
            return refuse(format!(
                "is not signed by a CA steward trusts; {}",
                self.how_to_get_access()
            ));
        }
        if cert.validate_at(at, &self.cas).is_err() {
            return refuse(format!(
                "is not valid now ({}); get a new certificate from your CA",
                window(cert)
            ));
        }
        if let Some((name, _)) = cert.critical_options().iter().next() {
            return refuse(format!(
                "carries the critical option {name:?}, which steward does not enforce; ask your CA for one without it"
            ));
        }
        let mut not_here = Vec::new();
        for principal in cert.valid_principals() {
            match roster.lookup(principal) {
                Ok(Some((id, Status::Active))) => {
                    return Identity::Person(Actor {
                        person: id,
                        via: Via::Certificate {
                            fingerprint,
                            serial: cert.serial(),
                            ca: cert
                                .signature_key()
                                .fingerprint(HashAlg::Sha256)
                                .to_string(),
                        },
                    });
                }
                Ok(Some((id, Status::Left))) => not_here.push(format!("{id:?} has left")),
                Ok(None) => not_here.push(format!("{principal:?} is not on the roster")),
                Err(e) => {
                    tracing::error!("cannot read the roster: {e:#}");
                    return refuse(
                        "cannot be checked now: the roster cannot be read; try again shortly"
                            .into(),
                    );
                }
            }
        }
        if not_here.is_empty() {
            not_here.push("it names no principal".into());
        }
        refuse(format!(
            "names no person on the roster ({}); {}",
            not_here.join(", "),
            self.how_to_get_access()
        ))
    }

    /// The id of the active person `person` names, or the refusal.
    fn on_roster(
        &self,
        subject: &str,
        person: &str,
        roster: &dyn Roster,
    ) -> Result<String, Identity> {
        let refuse = |why: String| Err(Identity::Refused(why));
        match roster.lookup(person) {
            Ok(Some((id, Status::Active))) => Ok(id),
            Ok(Some((id, Status::Left))) => refuse(format!(
                "steward: {subject} is registered to {id:?}, who has left the organization; {}",
                self.how_to_get_access()
            )),
            Ok(None) => refuse(format!(
                "steward: {subject} is registered to {person:?}, who is not on the roster; {}",
                self.how_to_get_access()
            )),
            Err(e) => {
                tracing::error!("cannot read the roster: {e:#}");
                refuse(format!(
                    "steward: {subject} cannot be checked now: the roster cannot be read; try again shortly"
                ))
            }
        }
    }
}

fn window(cert: &Certificate) -> String {
    let at = |s: u64| {
        i64::try_from(s)
            .ok()
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            .map_or_else(
                || "forever".to_string(),
                |t| t.format("%Y-%m-%d %H:%MZ").to_string(),
            )
    };
    format!(
        "valid from {} to {}",
        at(cert.valid_after()),
        at(cert.valid_before())
    )
}
