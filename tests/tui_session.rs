//! The console driven as `steward serve` drives it: the real loop on a
//! backend of the caller's, its input from a channel (keys, resizes, a wake
//! when the data changed elsewhere, a stop when the session ended).

#[path = "tui_support.rs"]
mod support;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use steward::model::*;
use steward::tui::app::App;
use steward::tui::events::{EventSource, Handle, Input, channel_events};
use steward::tui::ui::SuggestionKey;
use support::*;

fn press(h: &Handle, c: char) {
    assert!(h.event(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE
    ))));
}

/// The screen's text, as the terminal shows it now.
fn shown(term: &Terminal<TestBackend>) -> String {
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn selected(app: &App) -> Option<SuggestionKey> {
    app.state
        .current()
        .map(|i| SuggestionKey::of(&app.state.data.suggestions[i]))
}

/// Runs the loop until it stops, every input already sent (jobs run inline
/// in a test app, so each is done before the next input).
fn run(app: &mut App, term: &mut Terminal<TestBackend>, events: &mut dyn EventSource) {
    app.run(term, events).expect("the loop ends cleanly");
}

/// Input one at a time, each taken in and drawn before the next (as when
/// a person types), then stop.
struct Script(std::collections::VecDeque<Input>);

impl EventSource for Script {
    fn poll(&mut self, _: std::time::Duration) -> anyhow::Result<Vec<Input>> {
        Ok(vec![self.0.pop_front().unwrap_or(Input::Stop)])
    }
}

fn key_input(c: char) -> Input {
    Input::Event(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

#[test]
fn keys_and_a_resize_drive_the_console_and_it_draws_at_the_size_said() {
    let mut d = demo("priya");
    // As a served terminal is: a fixed viewport, resized when the client says.
    let mut term = Terminal::with_options(
        TestBackend::new(200, 60),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 80, 24)),
        },
    )
    .unwrap();
    let mut events = Script(
        [
            key_input('j'),
            Input::Event(Event::Resize(120, 40)),
            key_input('a'),
            key_input('y'),
        ]
        .into(),
    );
    run(&mut d.app, &mut term, &mut events);
    assert!(d.app.state.status.quit, "stopped");
    assert_eq!((d.app.state.ui.width, d.app.state.ui.height), (120, 40));
    let decided = d.app.store.decisions().unwrap();
    assert_eq!(decided.len(), 1, "j moved, a and y decided the second row");
    // Drawn at the new size: 120 columns and 40 rows, nothing beyond.
    let screen = shown(&term);
    let rows: Vec<&str> = screen.lines().collect();
    let used = |row: &str| row.trim_end().chars().count();
    assert_eq!(rows.iter().map(|r| used(r)).max(), Some(120), "{screen}");
    assert!(
        used(rows[39]) > 0 && rows[40..].iter().all(|r| used(r) == 0),
        "{screen}"
    );
    assert!(screen.contains("recorded 1 decision"), "{screen}");
    assert!(screen.contains("Queue 9"), "{screen}");
}

#[test]
fn a_handle_sends_input_and_a_stop_and_then_finds_the_console_gone() {
    let mut d = demo("priya");
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let (h, mut events) = channel_events();
    press(&h, 'j');
    press(&h, 'j');
    assert!(h.resize(100, 30));
    assert!(h.stop());
    press(&h, 'j');
    run(&mut d.app, &mut term, &mut events);
    assert!(d.app.state.status.quit);
    assert_eq!(d.app.state.ui.queue_sel, 2, "nothing after the stop");
    assert_eq!(d.app.state.ui.width, 100);
    drop(events);
    assert!(!h.wake(), "the console has ended");
}

#[test]
fn every_handle_gone_ends_the_session() {
    let mut d = demo("priya");
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let (h, mut events) = channel_events();
    press(&h, 'j');
    drop(h);
    run(&mut d.app, &mut term, &mut events);
    assert!(d.app.state.status.quit);
    assert_eq!(d.app.state.ui.queue_sel, 1);
}

#[test]
fn a_wake_reloads_what_another_session_decided_keeping_the_place() {
    let mut d = demo("priya");
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    // Priya's place: the third row selected, the first two marked.
    keys(&mut d.app, "<Space>j<Space>j");
    let picked = selected(&d.app).unwrap();
    let marked: Vec<SuggestionKey> = d
        .app
        .state
        .ui
        .marked
        .iter()
        .map(|&i| SuggestionKey::of(&d.app.state.data.suggestions[i]))
        .collect();
    // Another session (marcus, owner above) decides a fourth row.
    let other = d.app.state.derived.queue[3];
    let theirs = d.app.state.data.suggestions[other].clone();
    let mut store = steward::store::Store::open_existing(&d.app.db).unwrap();
    let new = steward::store::NewDecision {
        verdict: Verdict::Dismiss,
        suggestion: theirs.clone(),
        note: Some("handled in SEC-9".into()),
        until: None,
    };
    store
        .record_decision(&Actor::local("marcus"), &new, now())
        .unwrap();
    let in_queue = |app: &App, key: &SuggestionKey| {
        app.state
            .derived
            .queue
            .iter()
            .any(|&i| SuggestionKey::of(&app.state.data.suggestions[i]) == *key)
    };
    let key = SuggestionKey::of(&theirs);
    assert!(in_queue(&d.app, &key), "not seen before the wake");
    let (h, mut events) = channel_events();
    assert!(h.wake());
    assert!(h.stop());
    run(&mut d.app, &mut term, &mut events);
    // Decided elsewhere: kept in place, marked, the decision at hand.
    let state = &d.app.state;
    let at = state
        .derived
        .queue
        .iter()
        .copied()
        .find(|&i| SuggestionKey::of(&state.data.suggestions[i]) == key)
        .expect("decided elsewhere: kept in the queue");
    assert!(state.ui.decided_elsewhere.contains(&at));
    let decided = state.decision(at).expect("its decision");
    assert_eq!(
        (decided.decider.as_str(), decided.verdict),
        ("marcus", Verdict::Dismiss)
    );
    assert_eq!(selected(&d.app), Some(picked), "the selection stays");
    let now_marked: Vec<SuggestionKey> = d
        .app
        .state
        .ui
        .marked
        .iter()
        .map(|&i| SuggestionKey::of(&d.app.state.data.suggestions[i]))
        .collect();
    assert_eq!(now_marked, marked, "the marks stay");
    assert!(
        d.app.state.status.flash.is_none(),
        "taken in without a word"
    );
}

#[test]
fn a_wake_after_a_sync_elsewhere_finds_the_marks_again_by_what_they_are_about() {
    let mut d = demo("priya");
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    // Mark the suggestions listed last (their numbers shift when the sync
    // adds some before them) and select another.
    let queue = d.app.state.derived.queue.clone();
    let mut late: Vec<usize> = (0..queue.len()).collect();
    late.sort_by_key(|&row| std::cmp::Reverse(queue[row]));
    let to_row = |app: &mut App, row: usize| {
        keys(app, "g");
        for _ in 0..row {
            keys(app, "j");
        }
    };
    for &row in &late[..2] {
        to_row(&mut d.app, row);
        keys(&mut d.app, "<Space>");
    }
    to_row(&mut d.app, late[2]);
    let picked = selected(&d.app).unwrap();
    let marked = |app: &App| -> Vec<SuggestionKey> {
        app.state
            .ui
            .marked
            .iter()
            .map(|&i| SuggestionKey::of(&app.state.data.suggestions[i]))
            .collect()
    };
    let was_marked = marked(&d.app);
    let before = d.app.state.data.suggestions.clone();

    // A sync elsewhere: aisha and ben have left, so revocations of their
    // grants come before the marked suggestions.
    let src = d.app.store.source("files").unwrap().unwrap();
    let dir = std::path::PathBuf::from(&src.location);
    let people = std::fs::read_to_string(dir.join("people.csv")).unwrap();
    let left: String = people
        .lines()
        .map(|l| match l.starts_with("aisha,") || l.starts_with("ben,") {
            true => l.replace(",active", ",left"),
            false => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(left.trim(), people.trim());
    std::fs::write(dir.join("people.csv"), left + "\n").unwrap();
    let mut store = steward::store::Store::open_existing(&d.app.db).unwrap();
    steward::sync::sync_org_dir(&mut store, &dir, now()).unwrap();

    let (h, mut events) = channel_events();
    assert!(h.wake());
    assert!(h.stop());
    run(&mut d.app, &mut term, &mut events);
    let after = &d.app.state.data.suggestions;
    assert_ne!(*after, before, "evaluated afresh");
    let at = |list: &[Suggestion], k: &SuggestionKey| {
        list.iter().position(|x| SuggestionKey::of(x) == *k)
    };
    for k in &was_marked {
        let (was, now_at) = (at(&before, k), at(after, k));
        assert!(now_at.is_some(), "{k:?} is still suggested");
        assert_ne!(was, now_at, "{k:?} was numbered anew");
    }
    assert_eq!(marked(&d.app), was_marked, "the marks stay");
    assert_eq!(selected(&d.app), Some(picked), "the selection stays");
}

#[test]
fn a_served_console_decides_as_the_key_the_session_proved() {
    let mut d = demo("priya");
    let via = Via::Key {
        fingerprint: "SHA256:4lnd0t6lY0cU3r0mXGq0Hh2bqvQ0Qd5m9m1w0a5JmXo".into(),
    };
    d.app.via = via.clone();
    keys(&mut d.app, "ay");
    let decided = d.app.store.decisions().unwrap();
    assert_eq!(decided.len(), 1);
    let entry = d
        .app
        .store
        .audit_entries(Some(1))
        .unwrap()
        .pop()
        .expect("an audit entry");
    assert_eq!(entry.action, "decide");
    assert_eq!(entry.actor, "priya");
    assert_eq!(entry.via, Some(via), "audited with the session's key");
}
