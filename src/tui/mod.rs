//! The console: a terminal UI that walks an owner through their suggestions
//! from their place in the hierarchy.
//!
//! State is plain data ([`state`]); [`update`] is the only place it changes
//! and returns effects; [`app`] runs those against the store; [`view`] draws.
//!
//! # Entry points
//!
//! - [`run`]: the local console on the process's terminal (raw mode, the
//!   alternate screen, crossterm's events), as `steward` and `steward demo`
//!   open it.
//! - [`run_on`]: the same console on any ratatui backend, reading input
//!   from any [`events::EventSource`]: what `steward serve` runs for
//!   `ssh -t`. Make a [`events::Handle`] and its source with
//!   [`events::channel_events`], hand the source to `run_on` on a thread
//!   of its own (the loop blocks), and from the SSH side send:
//!   - `handle.event(ev)` for each key, mouse or paste event parsed from
//!     the channel's bytes (crossterm's `Event`);
//!   - `handle.resize(cols, rows)` for the pty's size, first and on each
//!     window change (with `Viewport::Fixed` the loop resizes the
//!     terminal itself; a full-screen backend's `size()` must agree);
//!   - `handle.wake()` when the data changed elsewhere (another session
//!     decided, a scheduled sync ran): the console reloads in place,
//!     keeping its selection, marks and walkthrough;
//!   - `handle.stop()` when the session ended (dropping every handle
//!     does the same).
//!
//!   `run_on` returns when the person quits (`q`, Ctrl-C) or on stop. The
//!   session's actor (`Options::actor`, its `via` the key or certificate)
//!   is who every decision, delegation and apply is made and audited as;
//!   its clock is `Options::clock`. Nothing is written to the terminal
//!   but frames: logs go through `tracing`.

pub mod app;
pub mod automatic;
pub mod counts;
pub mod data;
pub mod derive;
pub mod events;
pub mod field;
pub mod keep;
pub mod keymap;
pub mod layout;
pub mod msg;
pub mod preview;
pub mod state;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod update;
pub mod view;
pub mod welcome;
pub mod worker;

use crate::model::Actor;
use crate::store::Store;
use crate::time::Clock;
use anyhow::Result;
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::path::PathBuf;

/// What the console opens on.
pub struct Options {
    pub db: PathBuf,
    /// Whose console it is, and how they proved it (`Actor::local` for the
    /// local console).
    pub actor: Actor,
    /// Read when the console opens, each minute after (a tick), and by
    /// each job when it runs; `Clock::Fixed` (`--now`) stays where it is.
    pub clock: Clock,
    /// The demo's personas, cycled with `S` (empty outside the demo).
    pub personas: Vec<String>,
    /// The configured sources, pulled again by `R` (none: the org
    /// directory the cache was synced from is read again).
    pub sources: Vec<crate::config::SourceConfig>,
    /// The runtime and HTTP client for syncing and applying.
    pub net: std::sync::Arc<crate::net::Net>,
    /// Why `R` is refused to this person, if it is (over SSH only the
    /// server's admins sync, as on the command line).
    pub sync_refused: Option<String>,
    /// What `steward serve` keeps evaluated in memory: the console reads
    /// its organization and suggestions from it when it is current, and
    /// from the store otherwise (none locally).
    pub resident: Option<std::sync::Arc<dyn crate::kept_evaluation::Resident>>,
}

/// Opens the console on the process's terminal. The first frame is drawn
/// at once: what was shown last time (kept in the cache), or a loading
/// screen; the organization is loaded and evaluated on a worker thread
/// meanwhile, and replaces it; a start error restores the terminal first,
/// then prints like any other.
pub fn run(opts: Options) -> Result<()> {
    let store = Store::open_existing(&opts.db)?;
    let theme = theme::Theme::from_env();
    let mut tui = terminal::Tui::enter()?;
    let mut app = match open(store, opts, theme) {
        Ok(app) => app,
        Err(e) => {
            drop(tui);
            return Err(e);
        }
    };
    let result = app.run(&mut tui.terminal, &mut events::TerminalEvents);
    drop(tui);
    app.keep_preview();
    result
}

/// Runs the console on `term`, reading `events`, until the person quits or
/// the events say stop (see the module's docs). `theme` is the session's
/// (`Theme::detect` with the client's `NO_COLOR`).
pub fn run_on<B: Backend>(
    opts: Options,
    theme: theme::Theme,
    term: &mut Terminal<B>,
    events: &mut dyn events::EventSource,
) -> Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let store = Store::open_existing(&opts.db)?;
    let mut app = open(store, opts, theme)?;
    let result = app.run(term, events);
    app.keep_preview();
    result
}

/// The console started: drawn from what was kept, loading meanwhile.
fn open(store: Store, opts: Options, theme: theme::Theme) -> Result<app::App> {
    let env = worker::Env {
        sources: opts.sources,
        net: opts.net,
        sync_refused: opts.sync_refused,
        resident: opts.resident,
    };
    let Actor { person, via } = opts.actor;
    let mut app = app::App::start(store, &person, opts.clock, opts.personas, theme, env)?;
    app.via = via;
    Ok(app)
}
