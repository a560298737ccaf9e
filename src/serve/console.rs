//! `ssh -t HOST`: the console of the session's person, drawn into the SSH
//! channel. Keys, mouse and paste are parsed from what the client's
//! terminal sends ([`super::input`]); window changes resize it; a change
//! to the store by anyone reloads it in place. `q`, Ctrl-C or the client
//! going away end this session only.

use super::backend::ChannelBackend;
use super::channel::{self, PtySize};
use super::input::{ESC_WAIT, InputParser};
use super::output::{self, Stream};
use super::server::Shared;
use crate::model::Actor;
use crate::store::Store;
use crate::tui::app::App;
use crate::tui::data::Data;
use crate::tui::terminal::to_msg;
use crate::tui::update::Msg;
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
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::Duration;

/// What reaches a console session's thread.
pub enum Input {
    Event(Event),
    Resize(PtySize),
    /// The store changed: reload in place.
    Changed,
    /// The client went away.
    Closed,
}

/// Keys waiting for the console; a client sending faster than it draws
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
    let reader = tokio::spawn(read_input(read, tx.clone()));
    let live = tokio::spawn(forward_changes(shared.live.subscribe(), tx));
    let (out, pump) = output::start(&write, shared.runtime.clone(), shared.stall);
    let person = actor.person.clone();
    let session_shared = shared.clone();
    let ran = tokio::task::spawn_blocking(move || {
        let result = console(&out, &actor, size, &rx, &session_shared);
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
            let _ = write
                .extended_data_bytes(1, format!("\r\nsteward: {e:#}\r\n").into_bytes())
                .await;
            1
        }
        Err(e) => {
            tracing::error!("{person}'s console panicked: {e}");
            70
        }
    };
    let _ = pump.await;
    channel::finish(&write, status).await;
}

/// Keys from the channel, parsed; a lone ESC becomes the Esc key when
/// nothing follows it in [`ESC_WAIT`].
async fn read_input(mut read: ChannelReadHalf, tx: SyncSender<Input>) {
    let mut parser = InputParser::default();
    loop {
        let msg = if parser.pending_escape() {
            match tokio::time::timeout(ESC_WAIT, read.wait()).await {
                Ok(m) => m,
                Err(_) => {
                    for e in parser.flush() {
                        if !send(&tx, Input::Event(e)) {
                            return;
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
            }) => vec![Input::Resize(PtySize::new(col_width, row_height))],
            Some(ChannelMsg::Eof | ChannelMsg::Close) | None => {
                let _ = tx.try_send(Input::Closed);
                return;
            }
            Some(_) => Vec::new(),
        };
        for i in input {
            if !send(&tx, i) {
                return;
            }
        }
    }
}

/// False when the console is gone or cannot keep up (it is then told to end).
fn send(tx: &SyncSender<Input>, input: Input) -> bool {
    match tx.try_send(input) {
        Ok(()) => true,
        Err(TrySendError::Full(_)) => {
            tracing::warn!("a console's input queue is full: ending it");
            false
        }
        Err(TrySendError::Disconnected(_)) => false,
    }
}

async fn forward_changes(mut changes: tokio::sync::watch::Receiver<u64>, tx: SyncSender<Input>) {
    while changes.changed().await.is_ok() {
        // One pending reload is enough.
        if let Err(TrySendError::Disconnected(_)) = tx.try_send(Input::Changed) {
            return;
        }
    }
}

type SshTerminal = Terminal<ChannelBackend>;

fn console(
    out: &output::Output,
    actor: &Actor,
    size: PtySize,
    rx: &Receiver<Input>,
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
    let store = Store::open_existing(&shared.db)?;
    let theme = crate::tui::theme::Theme::color();
    let mut app = App::new(store, &actor.person, shared.clock.now(), Vec::new(), theme)?;
    let mut term = Terminal::with_options(
        ChannelBackend::new(writer, rect(size).as_size()),
        TerminalOptions {
            viewport: Viewport::Fixed(rect(size)),
        },
    )?;
    term.clear()?;
    app.feed(Msg::Resize(size.cols, size.rows));
    let result = event_loop(&mut app, &mut term, actor, rx, shared);
    app.keep_preview();
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

fn rect(size: PtySize) -> Rect {
    Rect::new(0, 0, size.cols, size.rows)
}

fn event_loop(
    app: &mut App,
    term: &mut SshTerminal,
    actor: &Actor,
    rx: &Receiver<Input>,
    shared: &Shared,
) -> Result<()> {
    app.draw(term)?;
    // Commits by other connections (other sessions, the scheduled sync);
    // this console's own decisions reload it already.
    let mut seen = app.store.data_version()?;
    loop {
        let first = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(i) => i,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        // A burst (held key, paste, resize drag) is drawn once.
        let mut batch = vec![first];
        while batch.len() < 64 {
            match rx.try_recv() {
                Ok(i) => batch.push(i),
                Err(_) => break,
            }
        }
        let mut reload = false;
        for input in batch {
            match input {
                Input::Event(ev) => {
                    if let Some(msg) = to_msg(ev) {
                        app.feed(msg);
                    }
                }
                Input::Resize(size) => {
                    term.backend_mut().set_size(rect(size).as_size());
                    term.resize(rect(size))?;
                    app.feed(Msg::Resize(size.cols, size.rows));
                }
                Input::Changed => reload = true,
                Input::Closed => return Ok(()),
            }
            if app.state.status.quit {
                return Ok(());
            }
        }
        if reload && app.store.data_version()? != seen {
            seen = app.store.data_version()?;
            let data = Data::load(&mut app.store, &actor.person, shared.clock.now(), None)?;
            app.feed(Msg::Reloaded {
                data,
                note: "updated: changed elsewhere".into(),
            });
        }
        app.draw(term)?;
    }
}
