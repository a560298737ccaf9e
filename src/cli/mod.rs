//! The command line: parses arguments and runs one command, writing through
//! the writers it is given. Two edges reach it: the local process
//! ([`main`]) and a session of `steward serve` ([`run_served`]).

pub mod args;
mod audit;
mod audit_detail;
mod console;
mod ctx;
mod decide;
mod delegate;
mod demo;
mod digest;
mod dispatch;
mod r#gen;
mod output;
mod plan;
mod reconcile;
mod rules;
mod secret;
mod serve;
mod served;
mod suggest;
mod sync;

pub use ctx::{Ctx, Edge};
pub use served::{Served, admins_only};

use crate::paths;
use args::{Cli, Global};
use clap::{FromArgMatches, Parser};
use std::io::Write;
use std::process::ExitCode;

/// Runs steward with the process's arguments, on its stdout and stderr;
/// the exit code says how it went.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help, version and usage errors as clap prints them (styled on a
        // terminal), with clap's exit codes.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    let _guard = init_logging(&cli.global);
    // Text from outside never reaches the terminal raw: every byte steward
    // prints goes through these.
    let mut out = crate::safe_text::TerminalWriter::new(std::io::stdout());
    let mut err = crate::safe_text::TerminalWriter::new(std::io::stderr());
    run_local(cli, &mut out, &mut err)
}

/// A parsed command line, run locally with these writers.
fn run_local(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let settings = match ctx::local_settings(&cli.global) {
        Ok(s) => s,
        Err(e) => return ExitCode::from(failed(&e, err)),
    };
    let mut ctx = Ctx::local(cli.global, cli.who, settings, out, err);
    let result = dispatch::run(&mut ctx, cli.command);
    ExitCode::from(finish(result, ctx.err))
}

/// Runs one command for a session of `steward serve`.
///
/// `argv` is the command line the client asked for, split into words,
/// without the program name (`["suggest", "--json"]`). Who acts, the store,
/// the configuration, the clock, the runtime and the HTTP client come from
/// `edge`; `--as`, `--now`, `--db`, `--config`, `--data-dir`, `--log-dir`
/// and `--org` are refused with one line on `err`, as are the console
/// without a command, `demo`, `gen` and `secret`, and `sync` and
/// `config check` unless `edge.admin`. Environment variables are not read.
///
/// Output goes to `out`, errors (and clap's usage errors) to `err`, help
/// and version to `out`, all unstyled; the exit code is what the local
/// command returns (clap's: 0 for help, 2 for a usage error; 2 for a
/// refusal; 141 when a writer reports a broken pipe). It never touches the
/// process's stdio and never exits the process. It blocks: call it from a
/// blocking thread (`tokio::task::spawn_blocking`), never from an async
/// task, since its async work runs on `edge.runtime`.
pub fn run_served(argv: &[String], edge: Served, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    // A session's terminal gets text from outside only in a visible form.
    let mut out = crate::safe_text::TerminalWriter::new(out);
    let mut err = crate::safe_text::TerminalWriter::new(err);
    let (out, err): (&mut dyn Write, &mut dyn Write) = (&mut out, &mut err);
    let mut command = served::command();
    let words = std::iter::once("steward").chain(argv.iter().map(String::as_str));
    let parsed = command
        .try_get_matches_from_mut(words)
        .and_then(|m| Ok((Cli::from_arg_matches(&m)?, m)))
        .map_err(|e| e.format(&mut command));
    let (cli, matches) = match parsed {
        Ok(p) => p,
        Err(e) => {
            let to: &mut dyn Write = if e.use_stderr() { err } else { out };
            let _ = write!(to, "{}", e.render());
            let _ = to.flush();
            return u8::try_from(e.exit_code()).unwrap_or(FAILED);
        }
    };
    let refusal = served::refused_option(&matches, &edge)
        .or_else(|| served::refused_command(cli.command.as_ref(), &edge));
    if let Some(refusal) = refusal {
        let _ = writeln!(err, "error: {refusal}");
        let _ = err.flush();
        return REFUSED;
    }
    let mut ctx = Ctx::served(edge, out, err);
    let result = dispatch::run(&mut ctx, cli.command);
    let _ = ctx.out.flush();
    finish(result, ctx.err)
}

/// The exit status of a command that failed.
const FAILED: u8 = 1;
/// The exit status of a command refused over SSH (as clap's usage errors).
const REFUSED: u8 = 2;
/// The exit status of a run whose changes a guard held back (`reconcile`).
pub const HELD_BACK: u8 = 3;
/// The exit status when the reader went away: the shell's for SIGPIPE.
const BROKEN_PIPE: u8 = 128 + 13;

/// The exit status of a command's result, its error said on `err`. A
/// command itself says only whether it succeeded (`ExitCode::SUCCESS` or
/// `ExitCode::FAILURE`), or that a guard held changes back ([`HELD_BACK`]).
fn finish(result: anyhow::Result<ExitCode>, err: &mut dyn Write) -> u8 {
    let status = match result {
        Ok(code) if code == ExitCode::SUCCESS => 0,
        Ok(code) if code == ExitCode::from(HELD_BACK) => HELD_BACK,
        Ok(_) => FAILED,
        // `steward suggest | head`: the reader went away; end quietly with
        // the shell's SIGPIPE status, as other command-line tools do.
        Err(e) if broken_pipe(&e) => BROKEN_PIPE,
        Err(e) => failed(&e, err),
    };
    let _ = err.flush();
    status
}

fn failed(e: &anyhow::Error, err: &mut dyn Write) -> u8 {
    tracing::error!("{e:#}");
    // The gate's refusal is said as it is: it names who, where and why.
    match e
        .downcast_ref::<crate::store::Error>()
        .and_then(crate::store::Error::refusal)
    {
        Some(refusal) => writeln!(err, "{refusal}"),
        None => writeln!(err, "error: {e:#}"),
    }
    .ok();
    FAILED
}

/// Whether the error is a write to a reader that went away.
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
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

#[cfg(test)]
mod tests;
