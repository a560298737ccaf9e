//! The console after `steward reconcile` ran on a real cache: a line under
//! the header counts what the owner's automatic rules applied since they
//! last looked, `U` lists each change (who, what, which rule, when, the
//! evidence) and marks them seen, a banner tells the owner of an area whose
//! changes a guard holds back how to release them, and `u` in the view
//! keeps a change undone. Drawn into ratatui's `TestBackend` at 80x24 and
//! 160x48, kept as insta snapshots.

#[path = "reconcile/org.rs"]
mod org;
#[path = "tui_support.rs"]
mod support;

use org::{Env, NOW};
use steward::model::{DecisionState, Origin, Time};
use steward::store::Store;
use steward::tui::app::App;
use steward::tui::theme::Theme;
use steward::tui::ui::View;
use support::{keys, screen};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn now() -> Time {
    NOW.parse().unwrap_or_else(|e| panic!("{e}"))
}

/// The console on `env`'s cache as `who`, loaded.
fn console(env: &Env, who: &str) -> App {
    let store = Store::open_existing(&env.db()).unwrap_or_else(|e| panic!("{e}"));
    App::new(store, who, now(), Vec::new(), Theme::color()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_header_counts_what_rules_applied_and_u_lists_them_once() {
    // ops over its max: held back, which is omar's, not priya's.
    let env = Env::new(1);
    env.exits(3, &["reconcile"]);
    for (w, h) in SIZES {
        let text = screen(&mut console(&env, "priya"), w, h);
        assert!(
            text.contains("5 applied by your rules since you last looked (U shows them)"),
            "{text}"
        );
        assert!(!text.contains("HELD BACK"), "not priya's area:\n{text}");
        insta::assert_snapshot!(format!("header_priya_{w}x{h}"), text);
    }
    // The view: each change, newest first, the selected one in full.
    let mut app = console(&env, "priya");
    keys(&mut app, "U");
    assert_eq!(app.state.ui.view, View::Automatic);
    for (w, h) in SIZES {
        let text = screen(&mut app, w, h);
        assert!(text.contains("5 new (your first look)"), "{text}");
        for row in [
            "grant  bo -> pay-db:read",
            "grant  ana -> pay-db:admin",
            "revoke cy -> pay-db:read",
            "revoke lee -> pay-db:read",
            "revoke bo -> pay-db:admin",
        ] {
            assert!(text.contains(row), "{row} missing:\n{text}");
        }
        assert!(
            text.contains("with the consent of its author priya"),
            "{text}"
        );
        assert!(text.contains("evidence: "), "{text}");
        assert!(
            !text.contains("applied by your rules since you last looked"),
            "opening the view marks them seen:\n{text}"
        );
        insta::assert_snapshot!(format!("view_priya_{w}x{h}"), text);
    }
    // Seen: a fresh console says nothing, and lists them as seen.
    let mut again = console(&env, "priya");
    let text = screen(&mut again, 80, 24);
    assert!(!text.contains("applied by your rules"), "{text}");
    keys(&mut again, "U");
    let text = screen(&mut again, 80, 24);
    assert!(
        text.contains(" 0 new since you last looked, 2026-03-02 12:00Z"),
        "{text}"
    );
    assert!(text.contains("grant  bo -> pay-db:read"), "{text}");
    // omar's changes were held: nothing applied in his scope, nothing new.
    let text = screen(&mut console(&env, "omar"), 80, 24);
    assert!(!text.contains("applied by your rules"), "{text}");
}

#[test]
fn the_owner_of_a_held_area_sees_a_banner_saying_how_to_release_it() {
    let env = Env::new(1);
    env.exits(3, &["reconcile"]);
    for (w, h) in SIZES {
        let text = screen(&mut console(&env, "omar"), w, h);
        assert!(
            text.contains("HELD BACK  2 in ops, 2 in ops-tools over max_auto_changes: steward"),
            "{text}"
        );
        if w >= 120 {
            assert!(
                text.contains("max_auto_changes: steward reconcile --release AREA (U: details)"),
                "{text}"
            );
        }
        insta::assert_snapshot!(format!("banner_omar_{w}x{h}"), text);
        let mut app = console(&env, "omar");
        keys(&mut app, "U");
        let text = screen(&mut app, w, h);
        assert!(
            text.contains("area ops: 2 automatic changes in area ops at once,"),
            "{text}"
        );
        assert!(
            text.contains("grant ana -> ops:console (rule ops-console)"),
            "{text}"
        );
        insta::assert_snapshot!(format!("held_view_omar_{w}x{h}"), text);
    }
    // priya owns none of it.
    let text = screen(&mut console(&env, "priya"), 160, 48);
    assert!(!text.contains("HELD BACK"), "{text}");

    // Released: the banner goes, and what was applied is counted instead.
    env.ok(&["reconcile", "--release", "ops", "--as", "omar"]);
    let text = screen(&mut console(&env, "omar"), 160, 48);
    assert!(!text.contains("HELD BACK"), "{text}");
    assert!(
        text.contains("4 applied by your rules since you last looked"),
        "{text}"
    );
}

#[test]
fn a_source_that_failed_holds_changes_back_and_the_banner_says_they_wait() {
    let env = Env::new(20);
    // people.csv broken: the org directory's sync fails, and every
    // automatic change rests on it.
    std::fs::write(env.org().join("people.csv"), "id,name\n\"broken")
        .unwrap_or_else(|e| panic!("{e}"));
    env.exits(1, &["sync", "--org", &env.org_arg()]);
    env.exits(3, &["reconcile"]);
    let text = screen(&mut console(&env, "priya"), 160, 48);
    assert!(
        text.contains("HELD BACK  5 in pay-db wait on a source not current (U: details)"),
        "{text}"
    );
    let mut app = console(&env, "priya");
    keys(&mut app, "U");
    let text = screen(&mut app, 160, 48);
    assert!(
        text.contains("waiting: they rest on a source that is not current"),
        "{text}"
    );
}

#[test]
fn u_in_the_view_keeps_an_automatic_change_undone() {
    let env = Env::new(20);
    env.ok(&["reconcile"]);
    let mut app = console(&env, "priya");
    // Newest first: find bo's automatic grant of pay-db:read.
    keys(&mut app, "U");
    let pos = app
        .state
        .data
        .automatic
        .shown()
        .position(|d| d.suggestion.person == "bo" && d.suggestion.entitlement == "pay-db:read")
        .unwrap_or_else(|| panic!("bo's grant is not listed"));
    let id = app.state.data.automatic.shown().nth(pos).map(|d| d.id);
    for _ in 0..pos {
        keys(&mut app, "j");
    }
    // A reason is required.
    keys(&mut app, "u<Enter>");
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("say why"), "{text}");
    keys(&mut app, "bo moved to the mobile team");
    keys(&mut app, "<Enter>");
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("bo loses pay-db:read: planned"), "{text}");
    keys(&mut app, "y");
    let text = screen(&mut app, 160, 48);
    assert!(
        text.contains("kept undone; its reversal is planned"),
        "{text}"
    );

    let store = Store::open_existing(&env.db()).unwrap_or_else(|e| panic!("{e}"));
    let kept: Vec<_> = store
        .decisions()
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|d| Some(d.origin.clone()) == id.map(Origin::Undoes))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].state, DecisionState::Planned);
    assert_eq!(kept[0].note.as_deref(), Some("bo moved to the mobile team"));
    assert_eq!(kept[0].decider, "priya");
    // Twice is refused, saying so.
    keys(&mut app, "U");
    for _ in 0..pos {
        keys(&mut app, "j");
    }
    keys(&mut app, "u");
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("is already undone"), "{text}");
    // Applied, and the rule does not redo it.
    env.ok(&["apply", "--as", "priya"]);
    env.ok(&["reconcile"]);
    assert!(
        !env.grants()
            .iter()
            .any(|r| r.starts_with("bo,pay-db:read,")),
        "{:?}",
        env.grants()
    );
}
