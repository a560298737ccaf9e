//! How a session ends: a refusal's line, the exit status, end of data,
//! close; and what the client still sends, read and dropped.

use russh::server::Msg;
use russh::{ChannelReadHalf, ChannelWriteHalf};

/// Exit status of a session refused before it ran anything.
pub const REFUSED: u32 = 1;

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
