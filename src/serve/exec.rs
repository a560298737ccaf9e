//! `ssh HOST COMMAND ARGS`: the command line split into words as a POSIX
//! shell splits them (quotes respected; never run through a shell), run
//! as the session's person by the same CLI as locally, its standard
//! output and error on their own streams, its exit status sent back.

use super::ending;
use super::output::{self, Stream};
use super::pty::PtySize;
use super::shared::Shared;
use crate::cli::Served;
use crate::model::Actor;
use russh::server::Msg;
use russh::{ChannelReadHalf, ChannelWriteHalf};
use std::io::Write;
use std::sync::Arc;

/// A longer command line is refused (no steward command needs it).
pub const MAX_COMMAND: usize = 16 * 1024;

/// Why a command line cannot be split into words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadCommand {
    #[error("the command line is {0} bytes long; at most {MAX_COMMAND} are accepted")]
    TooLong(usize),
    #[error("the command line is not UTF-8 text")]
    NotUtf8,
    #[error(
        "the command line has an unclosed quote (it is split as a POSIX shell would, and run by no shell)"
    )]
    UnclosedQuote,
}

/// The words of a command line, or why it cannot be split.
pub fn words(command: &[u8]) -> Result<Vec<String>, BadCommand> {
    if command.len() > MAX_COMMAND {
        return Err(BadCommand::TooLong(command.len()));
    }
    let text = std::str::from_utf8(command).map_err(|_| BadCommand::NotUtf8)?;
    shell_words::split(text).map_err(|_| BadCommand::UnclosedQuote)
}

pub async fn run(
    read: ChannelReadHalf,
    write: ChannelWriteHalf<Msg>,
    command: Vec<u8>,
    actor: Actor,
    pty: Option<PtySize>,
    shared: Arc<Shared>,
) {
    let drained = ending::drain(read);
    let argv = match words(&command) {
        Ok(w) => w,
        Err(why) => {
            ending::refuse(&write, &format!("error: {why}"), pty.is_some()).await;
            drained.abort();
            return;
        }
    };
    tracing::info!("{}: {}", actor.person, shell_words::join(&argv));
    let (out, pump) = output::start(&write, shared.runtime.clone(), shared.stall);
    // The client gone, what is queued for it is dropped and the command's
    // writes fail at once, instead of waiting on a window that never opens.
    let stop_output = pump.abort_handle();
    let (reading, closed) = (drained.abort_handle(), drained);
    let gone = tokio::spawn(async move {
        if closed.await.is_ok() {
            stop_output.abort();
        }
    });
    let served = served(&shared, actor);
    let crlf = pty.is_some();
    let ran = tokio::task::spawn_blocking(move || {
        let mut stdout = out.writer(Stream::Stdout).with_crlf(crlf);
        let mut stderr = out.writer(Stream::Stderr).with_crlf(crlf);
        let status = crate::cli::run_served(&argv, served, &mut stdout, &mut stderr);
        let _ = stdout.flush();
        let _ = stderr.flush();
        drop((stdout, stderr));
        let _ = out.drain();
        u32::from(status)
    })
    .await;
    let status = ran.unwrap_or_else(|e| {
        tracing::error!("a served command panicked: {e}");
        70
    });
    let _ = pump.await;
    ending::finish(&write, status).await;
    reading.abort();
    gone.abort();
}

fn served(shared: &Shared, actor: Actor) -> Served {
    Served {
        admin: shared.admins.contains(&actor.person),
        actor,
        db: shared.db.clone(),
        data_dir: shared.data_dir.clone(),
        config_path: shared.config_path.clone(),
        config: shared.config.clone(),
        clock: shared.clock,
        runtime: shared.runtime.clone(),
        http: shared.http.clone(),
        resident: Some(shared.resident.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_a_shell_does_and_runs_no_shell() {
        assert_eq!(
            words(br#"decide dismiss bo payments-db:admin --reason "covering for Q2 audit""#)
                .unwrap(),
            vec![
                "decide",
                "dismiss",
                "bo",
                "payments-db:admin",
                "--reason",
                "covering for Q2 audit"
            ]
        );
        // Shell syntax is only text: no expansion, no second command.
        assert_eq!(
            words(b"suggest; rm -rf / $(id) `id` *").unwrap(),
            vec!["suggest;", "rm", "-rf", "/", "$(id)", "`id`", "*"]
        );
        assert_eq!(words(b"why 'ana"), Err(BadCommand::UnclosedQuote));
        assert!(
            BadCommand::UnclosedQuote
                .to_string()
                .contains("unclosed quote")
        );
        assert_eq!(words(&[0xff, 0xfe]), Err(BadCommand::NotUtf8));
        assert_eq!(
            words(&vec![b'a'; MAX_COMMAND + 1]).unwrap_err().to_string(),
            format!(
                "the command line is {} bytes long; at most {MAX_COMMAND} are accepted",
                MAX_COMMAND + 1
            )
        );
    }
}
