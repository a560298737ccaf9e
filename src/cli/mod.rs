//! The command line: parses arguments, reads the clock (the only place, with
//! the console, that does), and runs one command.

pub mod args;
mod commands;
mod output;
mod rules;
mod secret;

use crate::config::{self, Config};
use crate::model::Time;
use crate::paths;
use crate::policy::Snapshot;
use crate::sources::files;
use crate::store::Store;
use anyhow::{Context, Result};
use args::{AsArg, Cli, Global, OrgArg};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// What every command needs: when, where, and who.
pub struct Ctx {
    pub global: Global,
    pub now: Time,
    pub config: Option<Config>,
}

impl Ctx {
    pub fn new(global: Global) -> Result<Ctx> {
        let fixed = global
            .now
            .as_deref()
            .map(crate::time::parse_time)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--now / STEWARD_NOW: {e}"))?;
        let config_path = global
            .config
            .clone()
            .unwrap_or_else(paths::default_config_file);
        let config = config::load(&config_path)?;
        Ok(Ctx {
            now: crate::time::now_or(fixed),
            global,
            config,
        })
    }

    pub fn data_dir(&self) -> PathBuf {
        self.global.data_dir.clone().unwrap_or_else(paths::data_dir)
    }

    pub fn db_path(&self) -> PathBuf {
        self.global
            .db
            .clone()
            .unwrap_or_else(|| self.data_dir().join("steward.db"))
    }

    /// The person to act as: `--as`, else `me` from the config.
    pub fn person(&self, who: &AsArg) -> Result<String> {
        who.as_person
            .clone()
            .or_else(|| self.config.as_ref().and_then(|c| c.me.clone()))
            .context("say who you are: --as PERSON (or STEWARD_AS), or `me = \"PERSON\"` in steward.toml")
    }

    /// Like `person`, but none means "everything".
    pub fn optional_person(&self, who: &AsArg) -> Option<String> {
        who.as_person
            .clone()
            .or_else(|| self.config.as_ref().and_then(|c| c.me.clone()))
    }

    pub fn open_store(&self) -> Result<Store> {
        Store::open_existing(&self.db_path())
    }

    /// The organization from `--org DIR` when given, else from the cache.
    pub fn snapshot(&self, org: &OrgArg) -> Result<Snapshot> {
        let org = match &org.org {
            Some(dir) => files::read_org(dir)?,
            None => self.open_store()?.load_org()?,
        };
        Ok(Snapshot::new(org))
    }
}

fn init_logging(global: &Global) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = global
        .log_dir
        .clone()
        .unwrap_or_else(paths::default_log_dir);
    paths::create_private_dir(&dir).ok()?;
    let file = dir.join("steward.log");
    let writer = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .ok()?;
    paths::restrict_file(&file).ok()?;
    let (writer, guard) = tracing_appender::non_blocking(writer);
    let filter = tracing_subscriber::EnvFilter::try_from_env("STEWARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}

/// `steward suggest | head`: when the reader of standard output goes away,
/// end quietly with the shell's SIGPIPE status, as other command-line tools
/// do, not with `println!`'s panic. (Restoring SIGPIPE itself would also
/// kill steward when an upstream server closes a socket mid-write.)
fn quiet_on_broken_pipe() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        previous(info);
    }));
}

/// Runs steward with the process's arguments; the exit code says how it went.
pub fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    let _guard = init_logging(&cli.global);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let ctx = Ctx::new(cli.global)?;
    commands::run(&ctx, cli.command)
}
