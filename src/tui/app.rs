//! The loop: draws the state, turns terminal events into messages, and runs
//! the effects `update` asks for against the store, feeding results back.
//! Generic over the ratatui backend, so tests drive the real app headless.

use super::data::Data;
use super::state::{Effect, State};
use super::theme::Theme;
use super::update::{Msg, update};
use super::{terminal, view};
use crate::model::Time;
use crate::store::Store;
use anyhow::Result;
use ratatui::backend::Backend;
use ratatui::crossterm::event;
use ratatui::{Terminal, TerminalOptions};
use std::time::Duration;

pub struct App {
    pub state: State,
    pub theme: Theme,
    pub store: Store,
    /// The cache's path (a worker opens its own connection to it).
    pub db: std::path::PathBuf,
}

impl App {
    pub fn new(
        store: Store,
        me: &str,
        now: Time,
        personas: Vec<String>,
        theme: Theme,
    ) -> Result<App> {
        let mut store = store;
        let data = Data::load(&mut store, me, now, None)?;
        Ok(App {
            state: State::new(data, now, personas),
            theme,
            db: store.path().to_path_buf(),
            store,
        })
    }

    /// Feeds one message through `update`, runs the effects it asks for and
    /// every message they lead to. `before` sees the state before each
    /// effect runs (the loop draws there, so "applying…" shows).
    pub fn dispatch(&mut self, msg: Msg, mut before: impl FnMut(&State)) {
        let mut queue = vec![msg];
        while let Some(msg) = queue.pop() {
            let effects = update(&mut self.state, msg);
            for e in effects {
                before(&self.state);
                if let Some(next) = self.run_effect(e) {
                    queue.push(next);
                }
            }
        }
    }

    /// Without a terminal: for tests and benches.
    pub fn feed(&mut self, msg: Msg) {
        self.dispatch(msg, |_| {});
    }

    fn run_effect(&mut self, e: Effect) -> Option<Msg> {
        let me = self.state.data.me.clone();
        let now = self.state.now;
        let result = match e {
            Effect::Quit => return None,
            Effect::Decide(news) => (|| {
                let mut ids = Vec::new();
                for new in &news {
                    let d = self.store.record_decision(new, now)?;
                    tracing::info!(id = d.id, verdict = d.verdict.as_str(), "decision recorded");
                    ids.push(d.id);
                }
                let data = self.reread()?;
                Ok(Msg::Decided { ids, data })
            })(),
            Effect::Undo(id) => (|| {
                self.store.undo_decision(id, &me, now)?;
                let data = self.reread()?;
                Ok(Msg::Undone { id, data })
            })(),
            Effect::Apply => (|| {
                let outcomes = crate::apply::apply(&mut self.store, &me, now, false)?;
                let results = outcomes
                    .into_iter()
                    .map(|o| (o.ok, format!("#{} {}", o.change.decision, o.result)))
                    .collect();
                let data = Data::load(&mut self.store, &me, now, None)?;
                Ok(Msg::Applied { results, data })
            })(),
            Effect::Delegate(d) => (|| {
                let made = self.store.add_delegation(&d, now)?;
                let data = Data::load(&mut self.store, &me, now, None)?;
                let note = format!(
                    "delegation {}: {} now decides for {}{}",
                    made.id,
                    d.to,
                    d.area,
                    d.until
                        .map(|u| format!(" until {}", crate::policy::minute(u)))
                        .unwrap_or_default()
                );
                Ok(Msg::Reloaded { data, note })
            })(),
            Effect::EndDelegation(id) => (|| {
                let ended = self.store.end_delegation(id, &me, now)?;
                let data = Data::load(&mut self.store, &me, now, None)?;
                let note = format!(
                    "ended delegation {id} of {} to {}",
                    ended.delegation.area, ended.delegation.to
                );
                Ok(Msg::Reloaded { data, note })
            })(),
            Effect::SwitchPersona(p) => (|| {
                let data =
                    Data::load(&mut self.store, &p, now, Some(self.state.data.snap.clone()))?;
                Ok(Msg::Loaded(data))
            })(),
        };
        Some(result.unwrap_or_else(|e: anyhow::Error| {
            tracing::error!("{e:#}");
            Msg::Failed(format!("error: {e:#}"))
        }))
    }

    /// Decisions, plan and audit re-read; snapshot and suggestions kept.
    fn reread(&self) -> Result<Data> {
        let d = &self.state.data;
        Data::refreshed(d, &self.store, self.state.now)
    }

    pub fn draw<B: Backend>(&self, term: &mut Terminal<B>) -> Result<()>
    where
        B::Error: Send + Sync + 'static,
    {
        term.draw(|f| view::render(&self.state, &self.theme, f))?;
        Ok(())
    }

    /// The interactive loop on a real terminal: read, coalesce, update, draw.
    pub fn run<B: Backend>(&mut self, term: &mut Terminal<B>) -> Result<()>
    where
        B::Error: Send + Sync + 'static,
    {
        let size = term.size()?;
        self.state.width = size.width;
        self.state.height = size.height;
        self.draw(term)?;
        while !self.state.quit {
            let first = event::read()?;
            let mut events = vec![first];
            // Coalesce a burst (held key, paste, scroll) into one draw.
            while events.len() < 64 && event::poll(Duration::from_millis(0))? {
                events.push(event::read()?);
            }
            for ev in events {
                let Some(msg) = terminal::to_msg(ev) else {
                    continue;
                };
                let mut draw_error = None;
                let theme = self.theme.clone();
                let term_ref = &mut *term;
                let mut before = |s: &State| {
                    if let Err(e) = term_ref.draw(|f| view::render(s, &theme, f)) {
                        draw_error = Some(e);
                    }
                };
                // Split borrows: dispatch needs &mut self, the closure only the terminal.
                let mut queue = vec![msg];
                while let Some(msg) = queue.pop() {
                    let effects = update(&mut self.state, msg);
                    for e in effects {
                        before(&self.state);
                        if let Some(next) = self.run_effect(e) {
                            queue.push(next);
                        }
                    }
                }
                if let Some(e) = draw_error {
                    return Err(e.into());
                }
                if self.state.quit {
                    break;
                }
            }
            if !self.state.quit {
                self.draw(term)?;
            }
        }
        Ok(())
    }
}

/// A terminal of a fixed size for tests (`TestBackend`).
pub fn test_terminal(
    w: u16,
    h: u16,
) -> Result<Terminal<ratatui::backend::TestBackend>, std::convert::Infallible> {
    Terminal::with_options(
        ratatui::backend::TestBackend::new(w, h),
        TerminalOptions::default(),
    )
}
