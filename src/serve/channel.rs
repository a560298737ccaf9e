//! One session channel: waits for what the client asks (a pty, then a
//! shell or a command), and runs it as the connection's person. A refused
//! identity gets its one line and the channel closes.

use super::ending::refuse;
use super::identity::Identity;
use super::pty::PtySize;
use super::shared::Shared;
use super::{console, exec};
use russh::server::Msg;
use russh::{Channel, ChannelMsg};
use std::sync::Arc;

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
