//! One session channel: waits for what the client asks (a pty, then a
//! shell or a command), and runs it as the connection's person. A refused
//! identity gets its one line and the channel closes.

use super::ending::refuse;
use super::identity::Identity;
use super::pty::PtySize;
use super::sessions::Place;
use super::shared::Shared;
use super::{console, exec};
use russh::server::Msg;
use russh::{Channel, ChannelMsg, ChannelWriteHalf};
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
                        let Some(place) = place(&shared, &actor.person, &write, pty).await else {
                            return;
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
                    (Identity::Person(actor), None) => {
                        tracing::info!("{}: a console refused: no terminal", actor.person);
                        refuse(
                            &write,
                            "steward: the console needs a terminal: connect with `ssh -t`, or give a command (ssh HOST --help)",
                            false,
                        )
                        .await
                    }
                    (Identity::Person(actor), Some(size)) => {
                        let Some(place) = place(&shared, &actor.person, &write, pty).await else {
                            return;
                        };
                        tracing::info!("{}: console", actor.person);
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

/// A place among `person`'s sessions, or `None` when they have as many
/// open as the limit: the client is told so and the channel closes. The
/// server's log says so too: a session refused this way otherwise leaves
/// no trace there but the SSH request it answered.
async fn place(
    shared: &Shared,
    person: &str,
    write: &ChannelWriteHalf<Msg>,
    pty: Option<PtySize>,
) -> Option<Place> {
    let place = shared.sessions.take(person);
    if place.is_none() {
        let limit = shared.sessions.limit();
        tracing::warn!("{person}: a session refused: {limit} open already (the limit)");
        let why = format!(
            "steward: {person} already has {limit} sessions open (the limit); close one and try again"
        );
        refuse(write, &why, pty.is_some()).await;
    }
    place
}
