//! The loop: draws the state, turns input into messages, and runs the
//! effects `update` asks for against the store, feeding results back.
//! Generic over the ratatui backend and over where input comes from (see
//! [`super::events`]), so the same loop runs on the local terminal, over an
//! SSH channel, and headless in tests.

use super::data::Data;
use super::events::{EventSource, Input};
use super::msg::{Effect, Msg};
use super::state::State;
use super::theme::Theme;
use super::update::update;
use super::worker::{self, Ctx, Env, Job, Progress, Worker};
use super::{terminal, view};
use crate::model::{Actor, Time, Via};
use crate::store::Store;
use crate::time::Clock;
use anyhow::Result;
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::Event;
use ratatui::layout::Rect;
use std::time::Duration;

/// How long the loop waits for input before it looks at the worker's
/// results and the clock again.
const IDLE: Duration = Duration::from_millis(30);

pub struct App {
    pub state: State,
    pub theme: Theme,
    /// The connection effects run on inline (`feed`); the live loop's
    /// worker has its own.
    pub store: Store,
    /// The cache's path (a worker opens its own connection to it).
    pub db: std::path::PathBuf,
    pub env: Env,
    /// Read by each job when it runs.
    pub clock: Clock,
    /// How the person at the keyboard proved who they are (`Via::Local`
    /// locally, their key over SSH): their jobs act as that actor.
    pub via: Via,
    worker: Option<Worker>,
}

impl App {
    /// Loaded before it returns, with a clock fixed at `now` (move it by
    /// setting `clock`, then `tick`): for tests and benches.
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
            env: Env::default(),
            clock: Clock::Fixed(now),
            via: Via::Local,
            worker: None,
        })
    }

    /// Not loaded yet: a worker thread loads the cache while the loop
    /// draws and reads keys, and runs every later effect too. Meanwhile it
    /// shows what `me` was last shown, if that was kept (see `preview`).
    pub fn start(
        store: Store,
        me: &str,
        clock: Clock,
        personas: Vec<String>,
        theme: Theme,
        env: Env,
    ) -> Result<App> {
        let db = store.path().to_path_buf();
        let worker = Worker::spawn(db.clone(), env.clone())?;
        let now = clock.now();
        let state = match worker::kept_preview(&store, me) {
            Some(p) if p.me == me => {
                let sources = store.sources().unwrap_or_default();
                State::from_preview(p, now, personas, sources)
            }
            _ => State::loading(me, now, personas),
        };
        let mut app = App {
            state,
            theme,
            db,
            store,
            env,
            clock,
            via: Via::Local,
            worker: Some(worker),
        };
        app.submit(Effect::Load);
        Ok(app)
    }

    /// Reads the clock; when a new minute has begun since the state's
    /// `now`, the state takes it (`Msg::Tick`): what depends on the time
    /// is derived again, and evaluated again in the background. True if
    /// it ticked. A fixed clock never does.
    pub fn tick(&mut self) -> bool {
        let now = self.clock.now();
        let minute = |t: Time| t.timestamp().div_euclid(60);
        if minute(now) == minute(self.state.now) {
            return false;
        }
        self.feed(Msg::Tick(now));
        true
    }

    fn ctx(&self) -> Ctx {
        let d = &self.state.data;
        Ctx {
            actor: Actor {
                person: d.me.clone(),
                via: self.via.clone(),
            },
            clock: self.clock,
            base: self.state.status.loaded.then(|| d.base()),
        }
    }

    /// Hands an effect to the worker; without one, runs it now and feeds
    /// the result back.
    fn submit(&mut self, effect: Effect) {
        if matches!(effect, Effect::Quit) {
            return;
        }
        let job = Job {
            effect,
            ctx: self.ctx(),
        };
        match &self.worker {
            Some(w) => {
                if let Err(e) = w.send(job) {
                    self.feed(Msg::Failed(format!("error: {e:#}")));
                }
            }
            None => {
                // Progress arrives, in order, before the result, as from a worker.
                let said: std::sync::Arc<std::sync::Mutex<Vec<Msg>>> = Default::default();
                let into = said.clone();
                let progress: Progress = std::sync::Arc::new(move |m| {
                    if let Ok(mut v) = into.lock() {
                        v.push(m);
                    }
                });
                let msg = worker::run(&mut self.store, &self.env, job, &progress);
                let said = said.lock().map(|mut v| std::mem::take(&mut *v));
                for m in said.unwrap_or_default() {
                    self.feed(m);
                }
                if let Some(msg) = msg {
                    self.feed(msg);
                }
            }
        }
    }

    /// Feeds one message through `update` and submits the effects it asks
    /// for (inline without a worker, so tests see the result at once).
    pub fn feed(&mut self, msg: Msg) {
        for e in update(&mut self.state, msg) {
            self.submit(e);
        }
    }

    /// Keeps what is shown for the next start (when the console quits).
    pub fn keep_preview(&mut self) {
        if let Some(p) = super::keep::preview(&self.state)
            && let Err(e) = worker::keep_preview(&mut self.store, &p)
        {
            tracing::warn!("could not keep the console preview: {e:#}");
        }
    }

    /// Waits for the worker's messages until nothing runs (tests; a minute
    /// at most per message). False if the worker went quiet or stopped.
    pub fn settle(&mut self) -> bool {
        while self.state.status.busy.is_some() {
            let Some(w) = &self.worker else {
                return true;
            };
            match w.results.recv_timeout(Duration::from_secs(60)) {
                Ok(m) => self.feed(m),
                Err(_) => return false,
            }
        }
        true
    }

    /// Messages from the worker that have arrived; true if any did.
    fn drain(&mut self) -> bool {
        let mut got = Vec::new();
        let mut stopped = false;
        if let Some(w) = &self.worker {
            loop {
                match w.results.try_recv() {
                    Ok(m) => got.push(m),
                    Err(std::sync::mpsc::TryRecvError::Empty) => break,
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                        stopped = true;
                        break;
                    }
                }
            }
        }
        if stopped {
            // It panicked (the log says where): say so once, keep what is shown.
            self.worker = None;
            got.push(Msg::Failed(
                "error: the console's worker thread stopped (see the log); what is shown stays, changes now run in the foreground".into(),
            ));
        }
        let any = !got.is_empty();
        for m in got {
            self.feed(m);
        }
        any
    }

    pub fn draw<B: Backend>(&self, term: &mut Terminal<B>) -> Result<()>
    where
        B::Error: Send + Sync + 'static,
    {
        term.draw(|f| view::render(&self.state, &self.theme, f))?;
        Ok(())
    }

    /// The interactive loop: read a burst of input, update, draw (only
    /// when something changed); the worker's results and the clock's ticks
    /// arrive between bursts. Returns on `q`/Ctrl-C or [`Input::Stop`]. The
    /// size is the terminal's at the start, then each `Event::Resize`.
    pub fn run<B: Backend>(
        &mut self,
        term: &mut Terminal<B>,
        events: &mut dyn EventSource,
    ) -> Result<()>
    where
        B::Error: Send + Sync + 'static,
    {
        let size = term.size()?;
        self.state.ui.width = size.width;
        self.state.ui.height = size.height;
        self.draw(term)?;
        while !self.state.status.quit {
            let mut dirty = self.drain();
            dirty |= self.tick();
            for input in events.poll(IDLE)? {
                dirty |= self.take(term, input)?;
                if self.state.status.quit {
                    break;
                }
            }
            if dirty && !self.state.status.quit {
                self.draw(term)?;
            }
        }
        Ok(())
    }

    /// One input; true if it may have changed what is shown.
    fn take<B: Backend>(&mut self, term: &mut Terminal<B>, input: Input) -> Result<bool>
    where
        B::Error: Send + Sync + 'static,
    {
        match input {
            Input::Stop => self.state.status.quit = true,
            Input::Wake => {
                tracing::debug!("console for {}: told of a change", self.state.data.me);
                self.feed(Msg::Wake);
            }
            Input::Event(Event::Resize(w, h)) => {
                // A fixed viewport (a served terminal) is not resized by
                // drawing; a full screen one would be, the same way.
                if (w, h) != (self.state.ui.width, self.state.ui.height) {
                    term.resize(Rect::new(0, 0, w, h))?;
                }
                self.feed(Msg::Resize(w, h));
            }
            Input::Event(ev) => match terminal::to_msg(ev) {
                Some(msg) => self.feed(msg),
                None => return Ok(false),
            },
        }
        Ok(true)
    }
}
