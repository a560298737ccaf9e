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

/// The message as it will be sent.
pub fn message(cfg: &SmtpConfig, to: &str, subject: &str, body: &str) -> Result<Message, String> {
    let from: Mailbox = cfg
        .from
        .parse()
        .map_err(|e| format!("`from` {:?} is not a mail address: {e}", cfg.from))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("{to:?} is not a mail address: {e}"))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_string())
        .map_err(|e| format!("cannot build the message: {e}"))
}

/// The login password, from the environment or the keyring; an error names
/// where it was looked for, never a secret.
fn password(cfg: &SmtpConfig) -> Result<Option<String>, String> {
    if let Some(var) = &cfg.password_env {
        // Not trimmed: a password may end in a space.
        return match std::env::var(var) {
            Ok(p) if !p.is_empty() => Ok(Some(p)),
            _ => Err(format!(
                "environment variable {var} (password_env) is not set or empty"
            )),
        };
    }
    match &cfg.password_keyring {
        None => Ok(None),
        Some(name) => crate::credentials::from_keyring(name, "password_keyring")
            .map(Some)
            .map_err(|e| format!("{e:#}")),
    }
}

/// Sends one message; the error names the server and what went wrong.
pub fn send(cfg: &SmtpConfig, to: &str, subject: &str, body: &str) -> Result<(), String> {
    let msg = message(cfg, to, subject, body)?;
    let password = password(cfg)?;
    let builder = match cfg.security {
        SmtpSecurity::StartTls => SmtpTransport::starttls_relay(&cfg.host),
        SmtpSecurity::Tls => SmtpTransport::relay(&cfg.host),
        SmtpSecurity::None => Ok(SmtpTransport::builder_dangerous(&cfg.host)),
    }
    .map_err(|e| format!("{}: {e}", describe(cfg)))?;
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
        text
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
        let err = password(&cfg(None, Some(&name))).unwrap_err();
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
