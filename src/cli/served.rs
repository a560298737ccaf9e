//! A command run for a session of `steward serve`: who acts, which store,
//! which configuration and which clock are the server's, and what a
//! client may not say or run.

use super::args::Command;
use crate::config::Config;
use crate::kept_evaluation::Resident;
use crate::model::{Actor, Via};
use crate::time::Clock;
use clap::ArgMatches;
use std::path::PathBuf;
use std::sync::Arc;

/// What the server fixes for one command of one session.
pub struct Served {
    /// The person the session authenticated as, and how.
    pub actor: Actor,
    /// May run the server's own chores (`sync`, `config check`).
    pub admin: bool,
    /// The server's store.
    pub db: PathBuf,
    /// The server's data directory.
    pub data_dir: PathBuf,
    /// The server's configuration file (named in messages) and its
    /// contents (`None`: there is no file).
    pub config_path: PathBuf,
    pub config: Option<Arc<Config>>,
    /// The server's clock (fixed only by `steward serve --now`).
    pub clock: Clock,
    /// The server's runtime: async work of the command runs there (the
    /// command itself runs on a blocking thread, e.g. in `spawn_blocking`).
    pub runtime: tokio::runtime::Handle,
    /// The server's HTTP client for upstream sources and webhooks.
    pub http: reqwest::Client,
    /// The organization the server keeps evaluated in memory, if it does.
    pub resident: Option<Arc<dyn Resident>>,
}

/// Options a client may not give: each names something the server fixes.
const FIXED_BY_SERVER: &[(&str, &str, &str)] = &[
    ("as_person", "--as", ""),
    ("now", "--now", "the server's clock is the only clock"),
    ("db", "--db", "the server's store is the only store"),
    ("config", "--config", "the server's configuration counts"),
    ("data_dir", "--data-dir", "the server keeps its own data"),
    ("log_dir", "--log-dir", "the server keeps its own logs"),
    ("org", "--org", "the server reads only its own store"),
];

/// How the session proved who it is, for messages.
pub fn identity(actor: &Actor) -> String {
    match &actor.via {
        Via::Local => "local".to_string(),
        Via::Key { fingerprint } => format!("key {fingerprint}"),
        Via::Certificate {
            fingerprint,
            serial,
            ca,
        } => format!("certificate {fingerprint}, serial {serial}, CA {ca}"),
    }
}

/// The first option the client gave that the server fixes, as a one-line
/// refusal.
pub fn refused_option(matches: &ArgMatches, served: &Served) -> Option<String> {
    let (_, flag, why) = FIXED_BY_SERVER
        .iter()
        .find(|(id, _, _)| given(matches, id))?;
    Some(if flag == &"--as" {
        format!(
            "--as is not accepted over SSH: you are {} ({})",
            served.actor.person,
            identity(&served.actor)
        )
    } else {
        format!("{flag} is not accepted over SSH: {why}")
    })
}

/// Whether `id` was given in `matches` or in its subcommand's.
fn given(matches: &ArgMatches, id: &str) -> bool {
    matches!(matches.try_get_raw(id), Ok(Some(_)))
        || matches.subcommand().is_some_and(|(_, sub)| given(sub, id))
}

/// The refusal of `what` (a command, the console's sync) to `person`, who
/// is not one of the server's admins.
pub fn admins_only(what: &str, person: &str) -> String {
    format!("{what} is for the server's admins; {person} is not one")
}

/// A one-line refusal when the command makes no sense over SSH, or is the
/// server's admins' and the session's person is not one of them.
pub fn refused_command(command: Option<&Command>, served: &Served) -> Option<String> {
    let admins_only = |what: &str| (!served.admin).then(|| admins_only(what, &served.actor.person));
    let Some(command) = command else {
        return Some(
            "the console needs a terminal: connect with `ssh -t`, or give a command (help: --help)"
                .to_string(),
        );
    };
    match command {
        Command::Demo { .. } => Some("demo is not available over SSH: run it locally".into()),
        Command::Gen { .. } => Some("gen is not available over SSH: run it locally".into()),
        Command::Serve { .. } => Some("serve is not available over SSH: this is the server".into()),
        Command::Secret { .. } => {
            Some("secret is not available over SSH: the server's keyring is its operator's".into())
        }
        Command::Sync { .. } => admins_only("sync"),
        Command::Config { .. } => admins_only("config check"),
        // The server reconciles on its own; anyone may release what the
        // guard held in their areas (the gate says whether they may).
        Command::Reconcile { release: None, .. } => admins_only("reconcile"),
        Command::Reconcile { .. } => None,
        Command::Status { .. }
        | Command::Check(_)
        | Command::Suggest { .. }
        | Command::Why { .. }
        | Command::Rules { .. }
        | Command::Rule { .. }
        | Command::Decide { .. }
        | Command::Undo { .. }
        | Command::Plan { .. }
        | Command::Apply { .. }
        | Command::Audit { .. }
        | Command::Delegate { .. }
        | Command::Delegations { .. }
        | Command::Undelegate { .. }
        | Command::Digest { .. } => None,
    }
}

/// The command line as a served session parses it: options read no
/// environment variables (the server's own environment is not the
/// client's word).
pub fn command() -> clap::Command {
    without_env(<super::args::Cli as clap::CommandFactory>::command())
}

fn without_env(cmd: clap::Command) -> clap::Command {
    cmd.mut_args(|a| a.env(None::<&'static str>))
        .mut_subcommands(without_env)
}
