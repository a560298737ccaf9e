//! One session channel: waits for what the client asks (a pty, then a
//! shell or a command), and runs it as the connection's person. A refused
//! identity gets its one line and the channel closes.

use super::identity::Identity;
use super::server::Shared;
use super::{console, exec};
use russh::server::Msg;
use russh::{Channel, ChannelMsg, ChannelReadHalf, ChannelWriteHalf};
use std::sync::Arc;

/// What `pty-req` said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PtySize {
    pub cols: u16,
    pub rows: u16,
}

impl PtySize {
    pub fn new(cols: u32, rows: u32) -> PtySize {
        let clamp = |n: u32, default: u16| {
            if n == 0 {
                default
            } else {
                u16::try_from(n).unwrap_or(u16::MAX).min(1000)
            }
        };
        PtySize {
            cols: clamp(cols, 80),
            rows: clamp(rows, 24),
        }
    }
}

/// Exit status of a session refused before it ran anything.
pub const REFUSED: u32 = 1;

pub async fn run(channel: Channel<Msg>, identity: Identity, shared: Arc<Shared>) {
    let (mut read, write) = channel.split();
    let mut pty: Option<PtySize> = None;
    while let Some(msg) = read.wait().await {
        match msg {
            ChannelMsg::RequestPty {
                col_width,
                row_height,
                ..
            } => pty = Some(PtySize::new(col_width, row_height)),
            ChannelMsg::Exec { command, .. } => {
                match &identity {
                    Identity::Refused(why) => refuse(&write, why, pty.is_some()).await,
                    Identity::Person(actor) => {
                        let place = match shared.sessions.take(&actor.person) {
                            Some(p) => p,
                            None => {
                                refuse(&write, &too_many(&shared, &actor.person), pty.is_some())
                                    .await;
                                return;
                            }
                        };
                        tracing::debug!("{} sessions open", shared.sessions.total());
                        exec::run(read, write, command, actor.clone(), pty, shared.clone()).await;
                        drop(place);
                    }
                }
                return;
            }
            ChannelMsg::RequestShell { .. } => {
                match (&identity, pty) {
                    (Identity::Refused(why), _) => refuse(&write, why, pty.is_some()).await,
                    (Identity::Person(_), None) => {
                        refuse(
                            &write,
                            "steward: the console needs a terminal: connect with `ssh -t`, or give a command (ssh HOST --help)",
                            false,
                        )
                        .await
                    }
                    (Identity::Person(actor), Some(size)) => {
                        let Some(place) = shared.sessions.take(&actor.person) else {
                            refuse(&write, &too_many(&shared, &actor.person), true).await;
                            return;
                        };
                        console::run(read, write, actor.clone(), size, shared.clone()).await;
                        drop(place);
                    }
                }
                return;
            }
            ChannelMsg::Eof | ChannelMsg::Close => return,
            _ => {}
        }
    }
}

fn too_many(shared: &Shared, person: &str) -> String {
    format!(
        "steward: {person} already has {} sessions open (the limit); close one and try again",
        shared.sessions.limit()
    )
}

/// Says `why` on the client's stderr, and ends the channel with
/// [`REFUSED`].
pub async fn refuse(write: &ChannelWriteHalf<Msg>, why: &str, pty: bool) {
    let end = if pty { "\r\n" } else { "\n" };
    let line = format!("{why}{end}");
    let _ = write.extended_data_bytes(1, line.into_bytes()).await;
    finish(write, REFUSED).await;
}

/// Exit status, end of data, close: how a session ends.
pub async fn finish(write: &ChannelWriteHalf<Msg>, status: u32) {
    let _ = write.exit_status(status).await;
    let _ = write.eof().await;
    let _ = write.close().await;
}

/// Reads and drops whatever the client still sends (standard input of a
/// command, a late window change) until it closes, so that its messages
/// never back up.
pub fn drain(mut read: ChannelReadHalf) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move { while read.wait().await.is_some() {} })
}
