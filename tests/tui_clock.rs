//! The console's clock moves while it stays open: each minute the state
//! takes the time (a tick), derives again what depends on it and
//! evaluates the organization again, keeping the place; decisions carry
//! the time they were made, not the time the console opened.

#[path = "tui_support.rs"]
mod support;

use chrono::Duration;
use steward::model::*;
use steward::time::Clock;
use steward::tui::app::App;
use steward::tui::derive::Ready;
use steward::tui::ui::SuggestionKey;
use support::*;

/// Moves the app's clock to `at` and lets it tick, as the loop does.
fn move_clock(app: &mut App, at: Time) -> bool {
    app.clock = Clock::Fixed(at);
    app.tick()
}

fn selected(app: &App) -> Option<SuggestionKey> {
    app.state
        .current()
        .map(|i| SuggestionKey::of(&app.state.data.suggestions[i]))
}

fn marked(app: &App) -> Vec<SuggestionKey> {
    app.state
        .ui
        .marked
        .iter()
        .map(|&i| SuggestionKey::of(&app.state.data.suggestions[i]))
        .collect()
}

/// A pending grant of `entitlement` to `person` given only while on call.
fn on_call_grant(app: &App, person: &str, entitlement: &str) -> Option<usize> {
    let s = &app.state;
    s.derived.queue.iter().copied().find(|&i| {
        let x = &s.data.suggestions[i];
        x.kind == Kind::Grant
            && x.reason == Reason::OnCall
            && x.person == person
            && x.entitlement == entitlement
    })
}

#[test]
fn a_tick_that_crosses_a_shift_start_changes_who_is_on_call() {
    let mut d = demo("omar");
    // A gap granted only from the shift on: nina's break-glass admin.
    let at = d
        .app
        .state
        .derived
        .ready
        .iter()
        .position(|r| *r == Ready::NotYet)
        .expect("a gap suggested only once its shift starts");
    let gap = d.app.state.derived.readiness[at].clone();
    assert_eq!(on_call_grant(&d.app, &gap.person, &gap.entitlement), None);
    keys(&mut d.app, "O");
    let before = screen(&mut d.app, 160, 48);
    assert!(
        !before.contains(&format!("on call now: {}", gap.person)),
        "{before}"
    );
    // Two rows marked, the third selected.
    keys(&mut d.app, "<Esc><Space>j<Space>j");
    let picked = selected(&d.app);
    let was_marked = marked(&d.app);
    assert_eq!(was_marked.len(), 2);

    // A minute after the shift starts.
    assert!(move_clock(
        &mut d.app,
        gap.shift_start + Duration::minutes(1)
    ));
    assert_eq!(d.app.state.now, gap.shift_start + Duration::minutes(1));
    let i = on_call_grant(&d.app, &gap.person, &gap.entitlement)
        .expect("the grant is suggested once the shift has started");
    assert_eq!(
        steward::tui::view::queue::age_of(&d.app.state, i),
        "on call"
    );
    assert!(
        !d.app
            .state
            .derived
            .readiness
            .iter()
            .any(|r| r.person == gap.person && r.entitlement == gap.entitlement),
        "no longer a gap before a shift: the shift is on"
    );
    // Evaluated afresh (the suggestions changed): the same rows marked
    // and selected.
    assert_eq!(selected(&d.app), picked, "the selection stays");
    assert_eq!(marked(&d.app), was_marked, "the marks stay");
    let header = screen(&mut d.app, 160, 48);
    assert!(
        header.contains(&format!(
            "now {}",
            steward::policy::minute(gap.shift_start + Duration::minutes(1))
        )),
        "{header}"
    );
    keys(&mut d.app, "O");
    let after = screen(&mut d.app, 160, 48);
    assert!(
        after.contains(&format!("on call now: {}", gap.person)),
        "{after}"
    );
}

#[test]
fn a_decision_after_a_tick_carries_the_later_time() {
    let mut d = demo("priya");
    let later = now() + Duration::hours(3) + Duration::minutes(7);
    assert!(move_clock(&mut d.app, later));
    keys(&mut d.app, "ay");
    let decided = &d.app.store.decisions().unwrap()[0];
    assert_eq!(decided.at, later, "recorded when it was made");
    // A snooze preset counts from the tick, not from when the console opened.
    keys(&mut d.app, "s2");
    let snoozed = d
        .app
        .store
        .decisions()
        .unwrap()
        .into_iter()
        .find(|x| x.verdict == Verdict::Snooze)
        .unwrap();
    assert_eq!(snoozed.until, Some(later + Duration::days(7)));
}

#[test]
fn a_decision_is_recorded_when_made_even_before_the_next_tick() {
    let mut d = demo("priya");
    // The clock moved, but not yet to a new minute's tick in the state.
    let later = now() + Duration::seconds(40);
    d.app.clock = Clock::Fixed(later);
    assert!(!d.app.tick(), "still the same minute");
    keys(&mut d.app, "ay");
    assert_eq!(d.app.store.decisions().unwrap()[0].at, later);
}

#[test]
fn a_fixed_clock_stays_fixed() {
    let mut d = demo("priya");
    let before = d.app.state.derived.generation;
    for _ in 0..3 {
        assert!(!d.app.tick());
    }
    assert_eq!(d.app.state.now, now());
    assert_eq!(
        d.app.state.derived.generation, before,
        "nothing derived again"
    );
}

#[test]
fn a_snooze_that_ended_brings_its_suggestion_back_at_the_tick() {
    let mut d = demo("priya");
    let first = d.app.state.current().unwrap();
    let key = SuggestionKey::of(&d.app.state.data.suggestions[first]);
    let pending = |app: &App| {
        app.state
            .derived
            .queue
            .iter()
            .any(|&i| SuggestionKey::of(&app.state.data.suggestions[i]) == key)
    };
    keys(&mut d.app, "s1");
    assert!(!pending(&d.app), "snoozed for a day");
    assert!(move_clock(&mut d.app, now() + Duration::hours(23)));
    assert!(!pending(&d.app), "still snoozed");
    assert!(move_clock(
        &mut d.app,
        now() + Duration::hours(24) + Duration::minutes(1)
    ));
    assert!(pending(&d.app), "back once the snooze ended");
}

#[test]
fn escalations_age_while_the_console_stays_open() {
    // Priya's console saw her suggestions today; marcus's stays open 15 days.
    let d = demo("priya");
    let mut m = reopen(&d, "marcus", now());
    let escalated = |app: &App| {
        app.state
            .derived
            .queue
            .iter()
            .filter(|&&i| app.state.escalated_to_me(i))
            .count()
    };
    let at_first = escalated(&m);
    keys(&mut m, "jj");
    let picked = selected(&m);
    assert!(move_clock(&mut m, now() + Duration::days(15)));
    assert!(
        escalated(&m) > at_first,
        "{} escalated to marcus after 15 days, {at_first} at first",
        escalated(&m)
    );
    assert_eq!(selected(&m), picked, "the selection stays");
}

#[test]
fn marks_and_the_walkthrough_survive_a_tick() {
    let mut d = demo("priya");
    keys(&mut d.app, "<Space>j<Space>j");
    let before = marked(&d.app);
    assert_eq!(before.len(), 2);
    assert!(move_clock(&mut d.app, now() + Duration::minutes(5)));
    assert_eq!(marked(&d.app), before);
    keys(&mut d.app, "<Tab><Tab><Enter>n");
    let card = selected(&d.app);
    assert!(move_clock(&mut d.app, now() + Duration::minutes(9)));
    assert_eq!(d.app.state.ui.walk.as_ref().map(|w| w.pos), Some(1));
    assert_eq!(selected(&d.app), card);
}
