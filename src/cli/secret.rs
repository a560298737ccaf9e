//! `steward secret set|delete NAME`: secrets into and out of the OS keyring,
//! read from standard input (no echo on a terminal), never printed.

use super::Ctx;
use super::args::SecretAction;
use crate::config::Credential;
use crate::credentials;
use anyhow::{Context, Result};
use std::io::{IsTerminal, Read};
use std::process::ExitCode;

pub fn run(ctx: &mut Ctx, action: SecretAction) -> Result<ExitCode> {
    match action {
        SecretAction::Set { name } => {
            credentials::check_name(&name)?;
            let secret = if std::io::stdin().is_terminal() {
                rpassword::prompt_password(format!("secret for {name} (not shown): "))
                    .context("cannot read the secret from the terminal")?
            } else {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text).context(
                    "cannot read the secret from standard input (it must be UTF-8 text)",
                )?;
                text
            };
            credentials::keyring_set(&name, &secret)?;
            writeln!(
                ctx.out,
                "stored keyring entry {name} in the {}",
                credentials::keyring_backend()
            )?;
        }
        SecretAction::Delete { name } => {
            if credentials::keyring_delete(&name)? {
                writeln!(ctx.out, "deleted keyring entry {name}")?;
            } else {
                writeln!(ctx.err, "no keyring entry {name}; nothing deleted")?;
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a source's token comes from and whether it is there, for
/// `config check`: never the token.
pub fn credential_state(c: &Credential) -> String {
    match c {
        Credential::None => c.describe(),
        Credential::Env(_) => format!("{}: set", c.describe()),
        Credential::Keyring(_) => format!("{}: present", c.describe()),
    }
}
