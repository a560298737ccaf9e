//! `ssh -t HOST`: the console of the session's person, drawn into the SSH
//! channel, with keys parsed from what the client's terminal sends.

use super::channel::{self, PtySize};
use super::server::Shared;
use crate::model::Actor;
use russh::server::Msg;
use russh::{ChannelReadHalf, ChannelWriteHalf};
use std::sync::Arc;

pub async fn run(
    read: ChannelReadHalf,
    write: ChannelWriteHalf<Msg>,
    actor: Actor,
    _size: PtySize,
    _shared: Arc<Shared>,
) {
    let drained = channel::drain(read);
    channel::refuse(
        &write,
        &format!(
            "steward: the console is not served yet; {} can run commands: ssh HOST --help",
            actor.person
        ),
        true,
    )
    .await;
    drained.abort();
}
