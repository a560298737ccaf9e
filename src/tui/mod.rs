//! The console: a terminal UI that walks an owner through their suggestions
//! from their place in the hierarchy.
//!
//! State is plain data ([`state`]); [`update`] is the only place it changes
//! and returns effects; [`app`] runs those against the store; [`view`] draws.

pub mod app;
pub mod data;
pub mod derive;
pub mod keymap;
pub mod layout;
pub mod state;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;
pub mod welcome;

use crate::model::Time;
use crate::store::Store;
use anyhow::Result;
use std::path::PathBuf;

/// What the console opens on.
pub struct Options {
    pub db: PathBuf,
    pub me: String,
    pub now: Time,
    /// The demo's personas, cycled with `S` (empty outside the demo).
    pub personas: Vec<String>,
}

/// Opens the console on a real terminal. Loading happens before the screen
/// switches, so a load error prints like any other.
pub fn run(opts: Options) -> Result<()> {
    let store = Store::open_existing(&opts.db)?;
    let mut app = app::App::new(
        store,
        &opts.me,
        opts.now,
        opts.personas,
        theme::Theme::from_env(),
    )?;
    let mut tui = terminal::Tui::enter()?;
    let result = app.run(&mut tui.terminal);
    drop(tui);
    result
}
