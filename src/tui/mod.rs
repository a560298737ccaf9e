//! The console: a terminal UI that walks an owner through their suggestions
//! from their place in the hierarchy.
//!
//! State is plain data ([`state`]); [`update`] is the only place it changes
//! and returns effects; [`app`] runs those against the store; [`view`] draws.

pub mod app;
pub mod counts;
pub mod data;
pub mod derive;
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

use crate::store::Store;
use crate::time::Clock;
use anyhow::Result;
use std::path::PathBuf;

/// What the console opens on.
pub struct Options {
    pub db: PathBuf,
    pub me: String,
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
}

/// Opens the console on a real terminal. The first frame is drawn at
/// once: what was shown last time (kept in the cache), or a loading screen;
/// the organization is loaded and evaluated on a worker thread meanwhile,
/// and replaces it; a start error restores the terminal first, then prints
/// like any other.
pub fn run(opts: Options) -> Result<()> {
    let store = Store::open_existing(&opts.db)?;
    let theme = theme::Theme::from_env();
    let mut tui = terminal::Tui::enter()?;
    let env = worker::Env {
        sources: opts.sources,
        net: opts.net,
    };
    let app = app::App::start(store, &opts.me, opts.clock, opts.personas, theme, env);
    let mut app = match app {
        Ok(app) => app,
        Err(e) => {
            drop(tui);
            return Err(e);
        }
    };
    let result = app.run(&mut tui.terminal);
    drop(tui);
    app.keep_preview();
    result
}
