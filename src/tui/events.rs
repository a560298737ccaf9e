//! Where the console's input comes from: the process's own terminal
//! ([`TerminalEvents`]), or whoever holds a [`Handle`] (a served session,
//! whose SSH layer parses the channel's bytes into the same events; a test).
//! Either way the loop asks an [`EventSource`] for what arrived.

use anyhow::Result;
use ratatui::crossterm::event::{self, Event};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::time::Duration;

/// The most inputs taken in one turn of the loop (a burst: a held key, a
/// paste, a scroll), drawn once.
pub const BURST: usize = 64;

/// What the console's loop reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A key, mouse, paste or resize event (crossterm's own type; key
    /// releases and repeats are dropped). `Event::Resize(cols, rows)` says
    /// the terminal's size.
    Event(Event),
    /// The data changed elsewhere (another session decided, a scheduled
    /// sync ran): reload in place, keeping the selection.
    Wake,
    /// The session ended: the loop returns.
    Stop,
}

/// A source of input for the console's loop.
pub trait EventSource {
    /// What arrived within `timeout`, at most [`BURST`] inputs: waits for
    /// the first, then takes what is already there. Empty when nothing came.
    fn poll(&mut self, timeout: Duration) -> Result<Vec<Input>>;
}

/// The process's own terminal (crossterm), as the local console reads it.
pub struct TerminalEvents;

impl EventSource for TerminalEvents {
    fn poll(&mut self, timeout: Duration) -> Result<Vec<Input>> {
        let mut got = Vec::new();
        if event::poll(timeout)? {
            got.push(Input::Event(event::read()?));
            while got.len() < BURST && event::poll(Duration::ZERO)? {
                got.push(Input::Event(event::read()?));
            }
        }
        Ok(got)
    }
}

/// What another thread or task sends the console: events, a wake, a stop.
/// Cheap to clone; sending never blocks.
#[derive(Debug, Clone)]
pub struct Handle {
    tx: Sender<Input>,
}

impl Handle {
    /// Sends `input`; false once the console has ended (nothing reads it).
    pub fn send(&self, input: Input) -> bool {
        self.tx.send(input).is_ok()
    }

    pub fn event(&self, ev: Event) -> bool {
        self.send(Input::Event(ev))
    }

    /// The terminal is now `cols` x `rows` (a window change).
    pub fn resize(&self, cols: u16, rows: u16) -> bool {
        self.event(Event::Resize(cols, rows))
    }

    /// The data changed elsewhere: reload in place.
    pub fn wake(&self) -> bool {
        self.send(Input::Wake)
    }

    /// The session ended.
    pub fn stop(&self) -> bool {
        self.send(Input::Stop)
    }
}

/// The console's end of a [`Handle`]: when every handle is gone, it reads
/// as [`Input::Stop`].
pub struct ChannelEvents {
    rx: Receiver<Input>,
}

/// A handle to send input with, and the source the console reads it from.
pub fn channel_events() -> (Handle, ChannelEvents) {
    let (tx, rx) = channel();
    (Handle { tx }, ChannelEvents { rx })
}

impl EventSource for ChannelEvents {
    fn poll(&mut self, timeout: Duration) -> Result<Vec<Input>> {
        let mut got = match self.rx.recv_timeout(timeout) {
            Ok(input) => vec![input],
            Err(RecvTimeoutError::Timeout) => return Ok(Vec::new()),
            Err(RecvTimeoutError::Disconnected) => return Ok(vec![Input::Stop]),
        };
        while got.len() < BURST {
            match self.rx.try_recv() {
                Ok(input) => got.push(input),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    got.push(Input::Stop);
                    break;
                }
            }
        }
        Ok(got)
    }
}
