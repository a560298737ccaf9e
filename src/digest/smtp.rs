//! Delivery by mail: one plain-text message per digest, over STARTTLS, TLS,
//! or plain SMTP to localhost, as `[digest.smtp]` says. The password comes
//! from the environment variable `password_env` names, or the OS keyring
//! entry `password_keyring` names, and never appears in an error.

use crate::config::{SmtpConfig, SmtpSecurity};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use std::time::Duration;

/// `host:port (security)`, for messages.
pub fn describe(cfg: &SmtpConfig) -> String {
    format!("{}:{} ({})", cfg.host, cfg.port, cfg.security.as_str())
}

/// Why a mail was not sent; never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    #[error("`from` {from:?} is not a mail address: {reason}")]
    From { from: String, reason: String },
    #[error("{to:?} is not a mail address: {reason}")]
    To { to: String, reason: String },
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("environment variable {0} (password_env) is not set or empty")]
    PasswordUnset(String),
    /// The keyring entry could not be read (the text says which and why).
    #[error("{0}")]
    Keyring(String),
    /// The server refused or could not be reached: `host:port (security):
    /// why`, with the password blanked out.
    #[error("{0}")]
    Transport(String),
}

/// The message as it will be sent.
pub fn message(
    cfg: &SmtpConfig,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<Message, MailError> {
    let from: Mailbox = cfg.from.parse().map_err(|e| MailError::From {
        from: cfg.from.clone(),
        reason: format!("{e}"),
    })?;
    let to: Mailbox = to.parse().map_err(|e| MailError::To {
        to: to.to_string(),
        reason: format!("{e}"),
    })?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(crate::safe_text::terminal_line(subject))
        .header(ContentType::TEXT_PLAIN)
        .body(crate::safe_text::mail(body).into_owned())
        .map_err(|e| MailError::Build(e.to_string()))
}

/// The login password, from the environment or the keyring; an error names
/// where it was looked for, never a secret.
fn password(cfg: &SmtpConfig) -> Result<Option<String>, MailError> {
    if let Some(var) = &cfg.password_env {
        // Not trimmed: a password may end in a space.
        return match std::env::var(var) {
            Ok(p) if !p.is_empty() => Ok(Some(p)),
            _ => Err(MailError::PasswordUnset(var.clone())),
        };
    }
    match &cfg.password_keyring {
        None => Ok(None),
        Some(name) => crate::credentials::from_keyring(name, "password_keyring")
            .map(Some)
            .map_err(|e| MailError::Keyring(format!("{e:#}"))),
    }
}

/// Sends one message; the error names the server and what went wrong.
pub fn send(cfg: &SmtpConfig, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
    let msg = message(cfg, to, subject, body)?;
    let password = password(cfg)?;
    let builder = match cfg.security {
        SmtpSecurity::StartTls => SmtpTransport::starttls_relay(&cfg.host),
        SmtpSecurity::Tls => SmtpTransport::relay(&cfg.host),
        SmtpSecurity::None => Ok(SmtpTransport::builder_dangerous(&cfg.host)),
    }
    .map_err(|e| MailError::Transport(format!("{}: {e}", describe(cfg))))?;
    let mut builder = builder
        .port(cfg.port)
        .timeout(Some(Duration::from_secs(cfg.timeout_secs)));
    if let (Some(user), Some(pass)) = (&cfg.username, &password) {
        builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
    }
    let transport = builder.build();
    transport.send(&msg).map(|_| ()).map_err(|e| {
        let mut text = format!("{}: {e}", describe(cfg));
        if let Some(p) = password.as_deref().filter(|p| p.len() >= 4) {
            text = text.replace(p, "***");
        }
        MailError::Transport(text)
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn cfg(env: Option<&str>, keyring: Option<&str>) -> SmtpConfig {
        SmtpConfig {
            host: "localhost".into(),
            port: 25,
            security: SmtpSecurity::None,
            username: Some("steward".into()),
            password_env: env.map(Into::into),
            password_keyring: keyring.map(Into::into),
            from: "steward@acme.test".into(),
            timeout_secs: 5,
            line: 1,
        }
    }

    #[test]
    fn the_password_comes_from_the_keyring_entry_named() {
        let name = format!("steward-smtp-unit-{}", std::process::id());
        let err = password(&cfg(None, Some(&name))).unwrap_err().to_string();
        assert!(
            err.contains(&name) && err.contains("steward secret set"),
            "{err}"
        );
        crate::credentials::keyring_set(&name, "pass word \n").unwrap();
        let got = password(&cfg(None, Some(&name)));
        crate::credentials::keyring_delete(&name).unwrap();
        assert_eq!(got, Ok(Some("pass word ".to_string())));
        assert_eq!(password(&cfg(None, None)), Ok(None));
    }
}
