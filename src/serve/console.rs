//! `ssh -t HOST`: the console of the session's person, drawn into the SSH
//! channel by the same loop as the local console (`tui::run_on`), as the
//! session's actor: its decisions, delegations, rule changes and applies
//! are audited with the key or certificate that logged in. Keys, mouse and
//! paste are parsed from what the client's terminal sends
//! ([`super::input`]); window changes resize it; a change to the store by
//! anyone wakes it to reload in place. `q`, Ctrl-C or the client going
//! away end this session only.

use super::backend::{ChannelBackend, Window};
use super::ending;
use super::input::{ESC_WAIT, InputParser};
use super::output::{self, Stream};
use super::pty::PtySize;
use super::shared::Shared;
use crate::model::Actor;
use crate::tui::events::{BURST, EventSource, Input};
use anyhow::Result;
use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
};
use ratatui::crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::crossterm::{cursor, execute};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use russh::server::Msg as SshMsg;
use russh::{ChannelMsg, ChannelReadHalf, ChannelWriteHalf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::time::Duration;

/// How long the console's last words may wait for the client's window.
const SAY_LAST: Duration = Duration::from_secs(5);

/// Input waiting for the console; a client sending faster than it draws
/// past this is cut off.
const QUEUE: usize = 4096;

pub async fn run(
    read: ChannelReadHalf,
    write: ChannelWriteHalf<SshMsg>,
    actor: Actor,
    size: PtySize,
    shared: Arc<Shared>,
) {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Input>(QUEUE);
    let ended = Arc::new(AtomicBool::new(false));
    let window = Window::new(size);
    let feed = Feed {
        tx: tx.clone(),
        ended: ended.clone(),
    };
    let (out, pump) = output::start(&write, shared.runtime.clone(), shared.stall);
    let reader = tokio::spawn(read_input(read, feed, window.clone(), pump.abort_handle()));
    let live = tokio::spawn(forward_changes(shared.live.subscribe(), tx));
    let person = actor.person.clone();
    let session_shared = shared.clone();
    let ran = tokio::task::spawn_blocking(move || {
        let mut events = SessionEvents { rx, ended };
        let result = console(&out, actor, window, &mut events, &session_shared);
        let _ = out.drain();
        result
    })
    .await;
    reader.abort();
    live.abort();
    let status = match ran {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            tracing::warn!("{person}'s console ended: {e:#}");
            // Bounded: a client that is gone opens no window for it.
            let said = write.extended_data_bytes(1, format!("\r\nsteward: {e:#}\r\n").into_bytes());
            let _ = tokio::time::timeout(SAY_LAST, said).await;
            1
        }
        Err(e) => {
            tracing::error!("{person}'s console panicked: {e}");
            70
        }
    };
    let _ = pump.await;
    ending::finish(&write, status).await;
}

/// Where the channel's input goes: the console's bounded queue, and a flag
/// that ends the session when the client went away or flooded the queue.
struct Feed {
    tx: SyncSender<Input>,
    ended: Arc<AtomicBool>,
}

impl Feed {
    /// False when the console is gone or cannot keep up (it is then told
    /// to end).
    fn send(&self, input: Input) -> bool {
        match self.tx.try_send(input) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                tracing::warn!("a console's input queue is full: ending it");
                self.end();
                false
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    }

    fn end(&self) {
        self.ended.store(true, Ordering::SeqCst);
        let _ = self.tx.try_send(Input::Stop);
    }
}

/// What the console's loop reads: the queue, until the session ended.
struct SessionEvents {
    rx: Receiver<Input>,
    ended: Arc<AtomicBool>,
}

impl EventSource for SessionEvents {
    fn poll(&mut self, timeout: Duration) -> Result<Vec<Input>> {
        if self.ended.load(Ordering::SeqCst) {
            return Ok(vec![Input::Stop]);
        }
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

/// Keys from the channel, parsed; a lone ESC becomes the Esc key when
/// nothing follows it in [`ESC_WAIT`]. A window change sets the window's
/// size before the console hears of it. When the channel closes (the
/// client went away) the output still queued for it is dropped
/// (`output`), so the console's writes fail and the session ends at once
/// instead of waiting on a window that will never open.
async fn read_input(
    mut read: ChannelReadHalf,
    feed: Feed,
    window: Window,
    output: tokio::task::AbortHandle,
) {
    let mut parser = InputParser::default();
    'feeding: loop {
        let msg = if parser.pending_escape() {
            match tokio::time::timeout(ESC_WAIT, read.wait()).await {
                Ok(m) => m,
                Err(_) => {
                    for e in parser.flush() {
                        if !feed.send(Input::Event(e)) {
                            break 'feeding;
                        }
                    }
                    continue;
                }
            }
        } else {
            read.wait().await
        };
        let input: Vec<Input> = match msg {
            Some(ChannelMsg::Data { data }) => {
                parser.feed(&data).into_iter().map(Input::Event).collect()
            }
            Some(ChannelMsg::WindowChange {
                col_width,
                row_height,
                ..
            }) => {
                let size = PtySize::new(col_width, row_height);
                window.set(size);
                vec![Input::Event(Event::Resize(size.cols, size.rows))]
            }
            Some(ChannelMsg::Eof) => break 'feeding,
            Some(ChannelMsg::Close) | None => {
                feed.end();
                output.abort();
                return;
            }
            Some(_) => Vec::new(),
        };
        for i in input {
            if !feed.send(i) {
                break 'feeding;
            }
        }
    }
    // The console ends; the client may still be reading what it draws
    // last, until it closes the channel.
    feed.end();
    while let Some(msg) = read.wait().await {
        if matches!(msg, ChannelMsg::Close) {
            break;
        }
    }
    output.abort();
}

async fn forward_changes(mut changes: tokio::sync::watch::Receiver<u64>, tx: SyncSender<Input>) {
    while changes.changed().await.is_ok() {
        // One pending wake is enough.
        if let Err(TrySendError::Disconnected(_)) = tx.try_send(Input::Wake) {
            return;
        }
    }
}

fn console(
    out: &output::Output,
    actor: Actor,
    window: Window,
    events: &mut SessionEvents,
    shared: &Shared,
) -> Result<()> {
    let mut writer = out.writer(Stream::Stdout);
    execute!(
        writer,
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    let size = window.size();
    let mut term = Terminal::with_options(
        ChannelBackend::new(writer, window),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, size.width, size.height)),
        },
    )?;
    term.clear()?;
    let opts = options(actor, shared);
    let theme = crate::tui::theme::Theme::color();
    let result = crate::tui::run_on(opts, theme, &mut term, events);
    drop(term);
    let _ = execute!(
        out.writer(Stream::Stdout),
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    result
}

/// The console of `actor` on the server's store, clock and sources; `R`
/// as the command line has it over SSH: the server's admins only.
fn options(actor: Actor, shared: &Shared) -> crate::tui::Options {
    let admin = shared.admins.contains(&actor.person);
    let (sources, sync_refused) = match (&shared.config, admin) {
        (_, false) => (
            Vec::new(),
            Some(crate::cli::admins_only("sync", &actor.person)),
        ),
        (None, true) => (Vec::new(), None),
        (Some(config), true) => match config.sources() {
            Ok(s) => (s, None),
            Err(errors) => (
                Vec::new(),
                Some(format!(
                    "the server's configuration does not validate: {}",
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
            ),
        },
    };
    crate::tui::Options {
        db: shared.db.clone(),
        actor,
        clock: shared.clock,
        personas: Vec::new(),
        sources,
        net: Arc::new(crate::net::Net::borrowed(
            shared.runtime.clone(),
            shared.http.clone(),
        )),
        sync_refused,
        resident: Some(shared.resident.clone()),
    }
}
