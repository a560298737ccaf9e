//! What a session writes, on its way to the SSH channel: a blocking
//! `Write` for the code that runs the session (a command, the console)
//! feeding a bounded queue that one task empties into the channel as the
//! client's window allows. A client that stops reading fills its own
//! queue and stalls its own session only; past `stall` the session's
//! writes fail, and it ends.

use russh::ChannelWriteHalf;
use russh::server::Msg;
use std::io::{self, Write};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// At most this many chunks wait for one client (each at most `CHUNK`).
const QUEUE: usize = 16;
const CHUNK: usize = 32 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

enum Piece {
    Bytes(Stream, Vec<u8>),
    /// Answered once everything before it has reached the channel.
    Flushed(tokio::sync::oneshot::Sender<()>),
}

/// The sending side: cheap to clone, one per stream.
#[derive(Clone)]
pub struct Output {
    tx: mpsc::Sender<Piece>,
    rt: tokio::runtime::Handle,
    stall: Duration,
}

/// Starts the task that writes to `channel`; it ends when every `Output`
/// is dropped or the channel closes.
pub fn start(
    channel: &ChannelWriteHalf<Msg>,
    rt: tokio::runtime::Handle,
    stall: Duration,
) -> (Output, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Piece>(QUEUE);
    let mut out = channel.make_writer();
    let mut err = channel.make_writer_ext(Some(1));
    let task = rt.spawn(async move {
        while let Some(piece) = rx.recv().await {
            match piece {
                Piece::Bytes(stream, bytes) => {
                    let w = match stream {
                        Stream::Stdout => out.write_all(&bytes).await,
                        Stream::Stderr => err.write_all(&bytes).await,
                    };
                    if w.is_err() {
                        break;
                    }
                }
                Piece::Flushed(done) => {
                    let _ = out.flush().await;
                    let _ = err.flush().await;
                    let _ = done.send(());
                }
            }
        }
    });
    (Output { tx, rt, stall }, task)
}

impl Output {
    fn send(&self, piece: Piece) -> io::Result<()> {
        let sent = self
            .rt
            .block_on(async { tokio::time::timeout(self.stall, self.tx.send(piece)).await });
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the client has gone",
            )),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            )),
        }
    }

    /// Waits until everything written so far has been handed to the channel.
    pub fn drain(&self) -> io::Result<()> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.send(Piece::Flushed(done))?;
        self.rt
            .block_on(async { tokio::time::timeout(self.stall, wait).await })
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading"))?
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client has gone"))
    }

    /// A blocking writer for one stream, buffering up to a chunk.
    pub fn writer(&self, stream: Stream) -> StreamWriter {
        StreamWriter {
            output: self.clone(),
            stream,
            buf: Vec::new(),
            crlf: false,
        }
    }
}

/// `Write` for one stream of a session. Call from a thread outside the
/// async runtime (it blocks while the client's queue is full).
pub struct StreamWriter {
    output: Output,
    stream: Stream,
    buf: Vec<u8>,
    /// Turn `\n` into `\r\n`, as a terminal's line discipline does for a
    /// command run with a pty (`ssh -t HOST COMMAND`).
    crlf: bool,
}

impl StreamWriter {
    pub fn with_crlf(mut self, crlf: bool) -> StreamWriter {
        self.crlf = crlf;
        self
    }

    fn push(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::take(&mut self.buf);
        self.output.send(Piece::Bytes(self.stream, bytes))
    }
}

impl Write for StreamWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.crlf {
            for &b in data {
                if b == b'\n' && self.buf.last() != Some(&b'\r') {
                    self.buf.push(b'\r');
                }
                self.buf.push(b);
            }
        } else {
            self.buf.extend_from_slice(data);
        }
        if self.buf.len() >= CHUNK {
            self.push()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.push()
    }
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        let _ = self.push();
    }
}
