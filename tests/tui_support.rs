//! Shared by the console tests: the demo installed at a fixed instant, the
//! real app on a `TestBackend`, keys as messages.
#![allow(dead_code)]

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use steward::model::Time;
use steward::store::Store;
use steward::tui::app::App;
use steward::tui::theme::Theme;
use steward::tui::update::Msg;

pub const NOW: &str = "2026-03-02T12:00:00Z";

pub fn now() -> Time {
    NOW.parse().unwrap()
}

pub struct Demo {
    pub dir: tempfile::TempDir,
    pub app: App,
}

/// The demo org in a tempdir, opened as `who`, with the persona switch.
pub fn demo(who: &str) -> Demo {
    demo_with(who, Theme::color())
}

pub fn demo_with(who: &str, theme: Theme) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let installed = steward::demo::install(&dir.path().join("demo"), now()).unwrap();
    let store = Store::open_existing(&installed.db).unwrap();
    let personas = steward::demo::PERSONAS
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    let app = App::new(store, who, installed.now, personas, theme).unwrap();
    Demo { dir, app }
}

/// A second console on `d`'s demo, as `who`, at the same instant (what
/// `d`'s console recorded is there).
pub fn demo_on(d: Demo, who: &str) -> Demo {
    let db = d.dir.path().join("demo").join("steward.db");
    let store = Store::open_existing(&db).unwrap();
    let personas = steward::demo::PERSONAS
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    let app = App::new(store, who, d.app.state.now, personas, Theme::color()).unwrap();
    Demo { dir: d.dir, app }
}

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// Feeds a key sequence: characters, with `<Enter>`, `<Esc>`, `<Tab>`,
/// `<Down>`, `<Up>`, `<Space>` and `<BS>` spelled out.
pub fn keys(app: &mut App, seq: &str) {
    let mut rest = seq;
    while !rest.is_empty() {
        let named = [
            ("<Enter>", KeyCode::Enter),
            ("<Esc>", KeyCode::Esc),
            ("<Tab>", KeyCode::Tab),
            ("<Down>", KeyCode::Down),
            ("<Up>", KeyCode::Up),
            ("<BS>", KeyCode::Backspace),
            ("<Space>", KeyCode::Char(' ')),
        ];
        if let Some((name, c)) = named.iter().find(|(n, _)| rest.starts_with(n)) {
            app.feed(code(*c));
            rest = &rest[name.len()..];
            continue;
        }
        let c = rest.chars().next().unwrap();
        app.feed(key(c));
        rest = &rest[c.len_utf8()..];
    }
}

/// The screen as text, at `w` x `h`.
pub fn screen(app: &mut App, w: u16, h: u16) -> String {
    app.feed(Msg::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| steward::tui::view::render(&app.state, &app.theme, f))
        .unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The same demo cache opened again as `who` at `at` (a later day, say).
pub fn reopen(d: &Demo, who: &str, at: Time) -> App {
    let db = d.app.db.clone();
    let store = Store::open_existing(&db).unwrap();
    let personas = steward::demo::PERSONAS
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    App::new(store, who, at, personas, Theme::color()).unwrap()
}

/// The demo opened once as `who` (what it showed kept, as on quit), then
/// started again: the second console shows that preview while its worker
/// loads (nothing from the worker is taken in until `settle`).
pub fn started_again(who: &str) -> Demo {
    let first = demo(who);
    let Demo { dir, mut app } = first;
    app.keep_preview();
    let (db, at) = (app.db.clone(), app.state.now);
    drop(app);
    let store = Store::open_existing(&db).unwrap();
    let app = App::start(
        store,
        who,
        steward::time::Clock::Fixed(at),
        Vec::new(),
        Theme::color(),
        Default::default(),
    )
    .unwrap();
    Demo { dir, app }
}

/// The people the open delegation picker offers, in its order.
pub fn picks(app: &App) -> Vec<steward::model::Person> {
    let Some(steward::tui::ui::Modal::Picker(p)) = &app.state.ui.modal else {
        return Vec::new();
    };
    app.state
        .derived
        .picks
        .iter()
        .filter_map(|&i| p.found.get(i))
        .map(|o| o.person.clone())
        .collect()
}
