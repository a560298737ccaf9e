//! The console's state machine, driven by key sequences for each flow, on
//! the demo organization at a fixed instant. The real store sits behind it.

#[path = "tui_support.rs"]
mod support;

use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use steward::model::*;
use steward::tui::derive::Ready;
use steward::tui::keymap::{self, Mode};
use steward::tui::msg::{ApplyStep, Effect};
use steward::tui::state::*;
use steward::tui::ui::*;
use steward::tui::update::Msg;
use support::*;

fn current(d: &Demo) -> Suggestion {
    let i = d.app.state.current().expect("a current suggestion");
    d.app.state.data.suggestions[i].clone()
}

fn flash_of(app: &steward::tui::app::App) -> String {
    app.state
        .status
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default()
}

fn flash(d: &Demo) -> String {
    d.app
        .state
        .status
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default()
}

#[test]
fn the_queue_is_sorted_by_urgency() {
    let d = demo("priya");
    let s = &d.app.state;
    let kinds: Vec<(Kind, Reason)> = s
        .derived
        .queue
        .iter()
        .map(|&i| (s.data.suggestions[i].kind, s.data.suggestions[i].reason))
        .collect();
    assert_eq!(kinds[0].1, Reason::PersonLeft);
    let rank = |(k, r): &(Kind, Reason)| match (k, r) {
        (_, Reason::PersonLeft) => 0,
        (Kind::Revoke, _) => 1,
        (Kind::Grant, _) => 2,
        (Kind::Review, _) => 3,
    };
    let ranks: Vec<u8> = kinds.iter().map(rank).collect();
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(ranks, sorted, "{kinds:?}");
    // On call now comes before other grants.
    let grants: Vec<Reason> = kinds
        .iter()
        .filter(|(k, _)| *k == Kind::Grant)
        .map(|(_, r)| *r)
        .collect();
    assert_eq!(grants.first(), Some(&Reason::OnCall));
}

#[test]
fn accept_shows_the_exact_change_and_asks_before_recording() {
    let mut d = demo("priya");
    let first = current(&d);
    assert_eq!((first.person.as_str(), first.kind), ("greg", Kind::Revoke));
    let before = d.app.state.derived.queue.len();
    keys(&mut d.app, "a");
    let Some(Modal::Confirm(c)) = &d.app.state.ui.modal else {
        panic!("no confirmation")
    };
    assert!(
        c.lines
            .iter()
            .any(|l| l.contains("grants.csv: remove greg -> payments-db:read")),
        "{:?}",
        c.lines
    );
    assert!(
        d.app.state.data.decisions.is_empty(),
        "nothing before confirming"
    );
    keys(&mut d.app, "y");
    assert!(d.app.state.ui.modal.is_none());
    assert_eq!(d.app.state.data.decisions.len(), 1);
    assert_eq!(d.app.state.data.decisions[0].verdict, Verdict::Accept);
    assert_eq!(d.app.state.data.plan.len(), 1);
    assert_eq!(d.app.state.derived.queue.len(), before - 1);
    assert!(flash(&d).contains("recorded 1 decision"));
}

#[test]
fn cancelling_records_nothing() {
    let mut d = demo("priya");
    keys(&mut d.app, "an");
    assert!(d.app.state.ui.modal.is_none());
    assert!(d.app.state.data.decisions.is_empty());
    keys(&mut d.app, "a<Esc>");
    assert!(d.app.state.data.decisions.is_empty());
    assert!(flash(&d).contains("cancelled"));
}

#[test]
fn dismiss_asks_for_a_reason() {
    let mut d = demo("priya");
    let target = current(&d);
    keys(&mut d.app, "x<Enter>");
    let Some(Modal::Prompt(p)) = &d.app.state.ui.modal else {
        panic!("no prompt")
    };
    assert!(
        p.error
            .as_deref()
            .unwrap_or("")
            .contains("reason is required")
    );
    keys(&mut d.app, "offboarding ticket SEC-12 handles it<Enter>");
    let dec = &d.app.state.data.decisions[0];
    assert_eq!(dec.verdict, Verdict::Dismiss);
    assert_eq!(
        dec.note.as_deref(),
        Some("offboarding ticket SEC-12 handles it")
    );
    assert_eq!(dec.suggestion.person, target.person);
    assert!(
        d.app.state.data.plan.is_empty(),
        "a dismissal plans nothing"
    );
}

#[test]
fn snooze_offers_presets_and_a_custom_date() {
    let mut d = demo("priya");
    keys(&mut d.app, "s");
    assert!(matches!(d.app.state.ui.modal, Some(Modal::Snooze(_))));
    keys(&mut d.app, "2");
    let until = d.app.state.data.decisions[0].until.unwrap();
    assert_eq!(until, now() + chrono::Duration::days(7));

    keys(&mut d.app, "s4soon<Enter>");
    let Some(Modal::Prompt(p)) = &d.app.state.ui.modal else {
        panic!("no prompt")
    };
    assert!(p.error.is_some(), "a bad date is refused with the reason");
    keys(&mut d.app, "<BS><BS><BS><BS>3d<Enter>");
    assert_eq!(d.app.state.data.decisions.len(), 2);
    assert_eq!(
        d.app.state.data.decisions[1].until,
        Some(now() + chrono::Duration::days(3))
    );
}

#[test]
fn undo_takes_back_the_last_decision_and_the_audit_keeps_both() {
    let mut d = demo("priya");
    let before = d.app.state.derived.queue.len();
    keys(&mut d.app, "ay");
    assert_eq!(d.app.state.derived.queue.len(), before - 1);
    keys(&mut d.app, "u");
    assert_eq!(d.app.state.derived.queue.len(), before);
    assert!(d.app.state.data.plan.is_empty());
    assert_eq!(d.app.state.data.decisions[0].state, DecisionState::Undone);
    let actions: Vec<&str> = d
        .app
        .state
        .data
        .audit
        .iter()
        .map(|e| e.action.as_str())
        .collect();
    assert!(
        actions.contains(&"decide") && actions.contains(&"undo"),
        "{actions:?}"
    );
    // Nothing left to take back: said so, and nothing runs or is recorded.
    let audit = d.app.store.audit_entries(None).unwrap().len();
    let effects = steward::tui::update::update(&mut d.app.state, key('u'));
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(flash(&d), "nothing to undo");
    assert!(d.app.state.status.flash.as_ref().unwrap().error);
    assert!(d.app.state.status.busy.is_none());
    assert_eq!(d.app.store.audit_entries(None).unwrap().len(), audit);
}

#[test]
fn walkthrough_goes_card_by_card_with_progress() {
    let mut d = demo("priya");
    // To the tree, then Enter on "all in scope".
    keys(&mut d.app, "<Tab><Tab>");
    assert_eq!(keymap::mode(&d.app.state.ui), Mode::Tree);
    keys(&mut d.app, "<Enter>");
    let total = d.app.state.ui.walk.as_ref().unwrap().items.len();
    assert_eq!(total, 10);
    assert_eq!(keymap::mode(&d.app.state.ui), Mode::Walk);
    keys(&mut d.app, "nn");
    assert_eq!(d.app.state.ui.walk.as_ref().unwrap().pos, 2);
    keys(&mut d.app, "p");
    assert_eq!(d.app.state.ui.walk.as_ref().unwrap().pos, 1);
    // Deciding moves on to the next card still pending.
    keys(&mut d.app, "ay");
    assert_eq!(d.app.state.ui.walk.as_ref().unwrap().pos, 2);
    assert_eq!(d.app.state.data.decisions.len(), 1);
    keys(&mut d.app, "s1");
    assert_eq!(d.app.state.ui.walk.as_ref().unwrap().pos, 3);
    keys(&mut d.app, "<Esc>");
    assert!(d.app.state.ui.walk.is_none());
    assert!(flash(&d).contains("2 decided"));
}

#[test]
fn marked_suggestions_are_decided_together_with_one_confirmation() {
    let mut d = demo("priya");
    // Space marks and stays: j moves on.
    keys(&mut d.app, "<Space>j<Space>");
    assert_eq!(d.app.state.ui.marked.len(), 2);
    keys(&mut d.app, "a");
    let Some(Modal::Confirm(c)) = &d.app.state.ui.modal else {
        panic!("no confirmation")
    };
    assert!(c.title.contains("2 suggestions"), "{}", c.title);
    assert_eq!(
        c.lines.iter().filter(|l| l.contains("grants.csv")).count(),
        2
    );
    keys(&mut d.app, "y");
    assert_eq!(d.app.state.data.decisions.len(), 2);
    assert!(d.app.state.ui.marked.is_empty());
}

#[test]
fn filters_by_text_and_kind() {
    let mut d = demo("priya");
    keys(&mut d.app, "/greg");
    assert_eq!(keymap::mode(&d.app.state.ui), Mode::Filter);
    let s = &d.app.state;
    assert!(!s.derived.queue.is_empty());
    assert!(
        s.derived
            .queue
            .iter()
            .all(|&i| s.data.suggestions[i].person == "greg")
    );
    keys(&mut d.app, "<Enter>");
    assert_eq!(d.app.state.ui.filter, "greg");
    keys(&mut d.app, "<Esc>");
    assert_eq!(d.app.state.derived.queue.len(), 10);
    keys(&mut d.app, "1");
    let s = &d.app.state;
    assert!(
        s.derived
            .queue
            .iter()
            .all(|&i| s.data.suggestions[i].kind == Kind::Grant)
    );
    keys(&mut d.app, "3");
    let s = &d.app.state;
    assert!(
        s.derived
            .queue
            .iter()
            .all(|&i| s.data.suggestions[i].kind == Kind::Review)
    );
    keys(&mut d.app, "0");
    assert_eq!(d.app.state.derived.queue.len(), 10);
}

#[test]
fn the_tree_filters_the_queue_to_a_subtree() {
    let mut d = demo("marcus");
    let all = d.app.state.derived.queue.len();
    keys(&mut d.app, "<Tab><Tab>");
    let labels: Vec<String> = d
        .app
        .state
        .derived
        .tree
        .iter()
        .map(|n| n.label.clone())
        .collect();
    let i = labels.iter().position(|l| l == "payments-db").unwrap();
    for _ in 0..i {
        keys(&mut d.app, "j");
    }
    let s = &d.app.state;
    assert!(s.derived.queue.len() < all);
    assert!(
        s.derived
            .queue
            .iter()
            .all(|&i| s.data.suggestions[i].area.starts_with("payments-db"))
    );
    // Expand and collapse.
    keys(&mut d.app, "l");
    let open = d.app.state.derived.tree.len();
    assert!(open > labels.len(), "payments-db has a child area");
    keys(&mut d.app, "h");
    assert_eq!(d.app.state.derived.tree.len(), labels.len());
    // The teams tab.
    keys(&mut d.app, "t");
    assert_eq!(d.app.state.ui.tab, TreeTab::Teams);
    assert!(d.app.state.derived.tree.len() > 1, "marcus leads a team");
}

#[test]
fn no_authority_is_refused_with_the_reason() {
    let mut d = demo("priya");
    d.app.state.data.me = "hana".into();
    keys(&mut d.app, "a");
    assert!(d.app.state.ui.modal.is_none());
    assert!(
        flash(&d).starts_with("refused: hana has no authority"),
        "{}",
        flash(&d)
    );
    assert!(d.app.state.data.decisions.is_empty());
}

#[test]
fn revoke_is_only_for_reviews() {
    let mut d = demo("priya");
    keys(&mut d.app, "r");
    assert!(d.app.state.ui.modal.is_none());
    assert!(
        flash(&d).contains(
            "revoke does not answer a revoke suggestion (a revoke suggestion takes accept, dismiss, snooze)"
        ),
        "{}",
        flash(&d)
    );
    keys(&mut d.app, "3r");
    let Some(Modal::Confirm(c)) = &d.app.state.ui.modal else {
        panic!("no confirmation")
    };
    assert!(
        c.lines.iter().any(|l| l.contains("grants.csv: remove")),
        "{:?}",
        c.lines
    );
}

#[test]
fn apply_lists_every_change_then_reports_each_result() {
    let mut d = demo("priya");
    keys(&mut d.app, "ay");
    keys(&mut d.app, "A");
    assert_eq!(d.app.state.ui.view, View::Plan);
    let Some(Modal::Confirm(c)) = &d.app.state.ui.modal else {
        panic!("no confirmation")
    };
    assert_eq!(c.lines.len(), 1);
    keys(&mut d.app, "y");
    assert_eq!(d.app.state.status.applied.len(), 1);
    assert!(
        d.app.state.status.applied[0].ok,
        "{:?}",
        d.app.state.status.applied
    );
    assert!(d.app.state.data.plan.is_empty());
    let grants =
        std::fs::read_to_string(d.dir.path().join("demo").join("org").join("grants.csv")).unwrap();
    assert!(!grants.contains("greg,payments-db:read,"));
    // Nothing left: A says so.
    keys(&mut d.app, "A");
    assert!(flash(&d).contains("nothing to apply"));
}

/// The console's messages, fed in order: confirming asks for the apply; the
/// worker's steps then come one per finished change.
fn start_apply(d: &mut Demo) -> usize {
    use steward::tui::update::update;
    update(&mut d.app.state, key('A'));
    let effects = update(&mut d.app.state, key('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::Apply(_)]),
        "{effects:?}"
    );
    d.app.state.data.plan.len()
}

fn step(d: &Demo, k: usize, total: usize, ok: bool, result: &str) -> Msg {
    let c = &d.app.state.data.plan[k];
    Msg::ApplyStep(ApplyStep {
        done: k + 1,
        total,
        decision: c.decision,
        ok,
        what: c.summary(),
        result: format!("#{} {result}", c.decision),
    })
}

#[test]
fn apply_progress_shows_each_change_as_the_worker_finishes_it() {
    use std::sync::{Arc, Mutex};
    use steward::tui::worker::{self, Ctx, Env, Job, Progress};
    let mut d = demo("priya");
    keys(&mut d.app, "ayay");
    let total = start_apply(&mut d);
    assert_eq!(total, 2);
    assert_eq!(
        d.app.state.status.busy.as_ref().map(|b| b.text.as_str()),
        Some("applying 2 changes upstream…")
    );
    let plan = d.app.state.data.plan.clone();

    // The apply itself, run as the worker runs it, its messages kept.
    // Each step comes once its change is done: grants.csv already says so.
    let said: Arc<Mutex<Vec<Msg>>> = Arc::default();
    let held_then: Arc<Mutex<Vec<bool>>> = Arc::default();
    let (into, held) = (said.clone(), held_then.clone());
    let grants_csv = d.dir.path().join("demo").join("org").join("grants.csv");
    let first = format!("{},{},", plan[0].person, plan[0].entitlement);
    let progress: Progress = Arc::new(move |m| {
        if matches!(m, Msg::ApplyStep(_)) {
            let now = std::fs::read_to_string(&grants_csv).unwrap();
            held.lock().unwrap().push(now.contains(&first));
        }
        into.lock().unwrap().push(m)
    });
    let job = Job {
        effect: Effect::Apply(plan.iter().map(|c| c.decision).collect()),
        ctx: Ctx {
            actor: Actor::local("priya"),
            clock: steward::time::Clock::Fixed(now()),
            base: None,
        },
    };
    let result = worker::run(&mut d.app.store, &Env::default(), job, &progress)
        .expect("an apply reports how it went");
    let msgs = std::mem::take(&mut *said.lock().unwrap());

    let mut seen = Vec::new();
    for m in msgs {
        if let Msg::ApplyStep(st) = &m {
            seen.push((st.done, st.total, st.decision, st.ok));
            let at = st.done;
            let what = st.what.clone();
            d.app.feed(m);
            // The status bar names the change just finished and its mark.
            assert_eq!(
                d.app.state.status.busy.as_ref().map(|b| b.text.as_str()),
                Some(format!("applying {at}/2: {what} ✓").as_str())
            );
            let text = screen(&mut d.app, 160, 48);
            assert!(
                text.contains(&format!("applying {at}/2: {what} ✓")),
                "{text}"
            );
            assert!(
                text.contains(&format!("Plan: applying, {at}/2 change(s) finished")),
                "{text}"
            );
            // Finished rows are marked; the rest wait.
            for (k, c) in plan.iter().enumerate() {
                let mark = if k < at { "✓" } else { "·" };
                assert!(
                    text.contains(&format!("{mark} #{:<4} {}", c.decision, c.describe())),
                    "{text}"
                );
            }
        } else {
            d.app.feed(m);
        }
    }
    assert_eq!(
        seen,
        vec![
            (1, 2, plan[0].decision, true),
            (2, 2, plan[1].decision, true)
        ]
    );
    assert_eq!(*held_then.lock().unwrap(), vec![false, false]);
    // Then the result: every change's outcome, the plan emptied.
    d.app.feed(result);
    assert!(d.app.state.status.busy.is_none());
    assert!(d.app.state.status.applying.is_none());
    assert_eq!(d.app.state.status.applied.len(), 2);
    assert!(
        d.app.state.status.applied.iter().all(|r| r.ok),
        "{:?}",
        d.app.state.status.applied
    );
    assert!(d.app.state.data.plan.is_empty());
    assert!(flash(&d).starts_with("applied: 2 ok, 0 not applied"));
    let text = screen(&mut d.app, 160, 48);
    assert!(text.contains("Last apply:"), "{text}");
    for c in &plan {
        assert!(
            text.contains(&format!("ok   #{} {}", c.decision, c.describe())),
            "{text}"
        );
    }
}

#[test]
fn an_apply_that_stops_part_way_keeps_what_finished_and_says_so() {
    let mut d = demo("priya");
    keys(&mut d.app, "ayayay");
    let total = start_apply(&mut d);
    assert_eq!(total, 3);
    let first = step(
        &d,
        0,
        3,
        true,
        "grants.csv: remove greg -> payments-db:read",
    );
    d.app.feed(first);
    let refused = step(
        &d,
        1,
        3,
        false,
        "refused: decider priya no longer has authority over area payments-db",
    );
    let what = d.app.state.data.plan[1].summary();
    d.app.feed(refused);
    assert_eq!(
        d.app.state.status.busy.as_ref().map(|b| b.text.as_str()),
        Some(format!("applying 2/3: {what} ✗ not applied").as_str())
    );
    // Keys that would start another job wait; views still open.
    keys(&mut d.app, "AL");
    assert!(d.app.state.ui.modal.is_none());
    assert_eq!(d.app.state.ui.view, View::Audit);
    keys(&mut d.app, "P");
    d.app.feed(Msg::Failed(
        "error: cannot write /tmp/org/grants.csv: disk full".into(),
    ));
    assert!(d.app.state.status.busy.is_none());
    assert!(d.app.state.status.applying.is_none());
    assert_eq!(
        flash(&d),
        "error: cannot write /tmp/org/grants.csv: disk full (after 2 of 3 changes finished; the plan view lists them)"
    );
    let oks: Vec<bool> = d.app.state.status.applied.iter().map(|r| r.ok).collect();
    assert_eq!(oks, vec![true, false]);
    // Failures first in the list, each with its reason.
    let text = screen(&mut d.app, 160, 48);
    let fail = text.find("FAIL #2 refused: decider priya").expect(&text);
    let ok = text.find("ok   #1 grants.csv: remove greg").expect(&text);
    assert!(fail < ok, "{text}");
}

#[test]
fn the_persona_key_cycles_the_demo_owners() {
    let mut d = demo("priya");
    keys(&mut d.app, "S");
    assert_eq!(d.app.state.data.me, "marcus");
    keys(&mut d.app, "S");
    assert_eq!(d.app.state.data.me, "omar");
    keys(&mut d.app, "S");
    assert_eq!(d.app.state.data.me, "priya");
}

#[test]
fn views_open_and_esc_returns() {
    let mut d = demo("omar");
    keys(&mut d.app, "O");
    assert_eq!(d.app.state.ui.view, View::Rotations);
    assert!(!d.app.state.derived.index.rotations.is_empty());
    keys(&mut d.app, "<Esc>L");
    assert_eq!(d.app.state.ui.view, View::Audit);
    keys(&mut d.app, "<Esc>P");
    assert_eq!(d.app.state.ui.view, View::Plan);
    keys(&mut d.app, "<Esc>");
    assert_eq!(d.app.state.ui.view, View::Main);
}

#[test]
fn help_lists_every_key_of_the_current_view() {
    let mut d = demo("priya");
    keys(&mut d.app, "?");
    assert_eq!(keymap::mode(&d.app.state.ui), Mode::Help);
    let text = screen(&mut d.app, 160, 48);
    for b in keymap::bindings(Mode::Queue) {
        assert!(text.contains(b.help), "help lacks {:?}", b.help);
    }
    keys(&mut d.app, "<Esc>");
    assert!(d.app.state.ui.modal.is_none());
}

#[test]
fn ctrl_c_quits_even_in_a_prompt() {
    let mut d = demo("priya");
    keys(&mut d.app, "x");
    d.app.feed(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(d.app.state.status.quit);
}

#[test]
fn mouse_scrolls_and_clicks() {
    let mut d = demo("priya");
    d.app.feed(Msg::Resize(160, 48));
    let scroll = |kind| {
        Msg::Mouse(MouseEvent {
            kind,
            column: 70,
            row: 10,
            modifiers: KeyModifiers::NONE,
        })
    };
    d.app.feed(scroll(MouseEventKind::ScrollDown));
    assert_eq!(d.app.state.ui.queue_sel, 1);
    d.app.feed(scroll(MouseEventKind::ScrollUp));
    assert_eq!(d.app.state.ui.queue_sel, 0);
    // Click the third queue row: border, tab line, column header, rows.
    d.app.feed(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 70,
        row: 3 + 2 + 2,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(d.app.state.ui.queue_sel, 2);
    // Click in the tree focuses it.
    d.app.feed(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 5,
        row: 6,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(d.app.state.ui.focus, Pane::Tree);
}

#[test]
fn resize_keeps_everything_drawable() {
    let mut d = demo("marcus");
    for (w, h) in [(80, 24), (40, 10), (200, 50), (20, 5), (1, 1)] {
        let text = screen(&mut d.app, w, h);
        assert_eq!(text.lines().count(), h as usize);
    }
}

#[test]
fn delegation_picks_a_person_previews_and_is_revocable() {
    let mut d = demo("marcus");
    keys(&mut d.app, "<Tab><Tab>j");
    let node = d.app.state.selected_node();
    let NodeKey::Area(a) = node else {
        panic!("not an area: {node:?}")
    };
    let area = d.app.state.data.snap.org.areas[a].id.clone();
    keys(&mut d.app, "D");
    assert_eq!(keymap::mode(&d.app.state.ui), Mode::Picker);
    keys(&mut d.app, "hana");
    let Some(Modal::Picker(p)) = &d.app.state.ui.modal else {
        panic!("no picker")
    };
    assert_eq!(picks(&d.app)[p.sel].id, "hana");
    keys(&mut d.app, "<Enter>2w<Enter>");
    let Some(Modal::Confirm(c)) = &d.app.state.ui.modal else {
        panic!("no preview")
    };
    assert!(
        c.title.contains(&format!("Delegate {area} to hana")),
        "{}",
        c.title
    );
    assert!(c.lines[0].contains("gains authority over"), "{:?}", c.lines);
    keys(&mut d.app, "y");
    assert!(flash(&d).contains("hana now decides for"), "{}", flash(&d));
    assert_eq!(d.app.state.data.local_delegations.len(), 1);
    keys(&mut d.app, "V");
    assert_eq!(d.app.state.ui.view, View::Delegations);
    let text = screen(&mut d.app, 120, 30);
    assert!(text.contains("hana"), "{text}");
    keys(&mut d.app, "x");
    assert!(matches!(d.app.state.ui.modal, Some(Modal::Confirm(_))));
    keys(&mut d.app, "y");
    assert!(flash(&d).contains("ended delegation"), "{}", flash(&d));
    let actions: Vec<&str> = d
        .app
        .state
        .data
        .audit
        .iter()
        .map(|e| e.action.as_str())
        .collect();
    assert!(
        actions.contains(&"delegate") && actions.contains(&"undelegate"),
        "{actions:?}"
    );
}

/// The picker finds people as fzf would: letters left out, words in any
/// order, a role; the exact id first.
#[test]
fn the_delegation_picker_finds_people_by_letters_in_order_and_words_in_any_order() {
    let mut d = demo("marcus");
    keys(&mut d.app, "<Tab><Tab>jD");
    let first = |d: &mut Demo, typed: &str| {
        keys(&mut d.app, &"<BS>".repeat(20));
        keys(&mut d.app, typed);
        let Some(Modal::Picker(p)) = &d.app.state.ui.modal else {
            panic!("no picker")
        };
        assert_eq!(p.sel, 0);
        picks(&d.app).first().map(|p| p.id.clone())
    };
    assert_eq!(first(&mut d, "prya").as_deref(), Some("priya"));
    assert_eq!(first(&mut d, "mehta a").as_deref(), Some("arjun"));
    assert_eq!(first(&mut d, "arj clinical").as_deref(), Some("arjun"));
    assert_eq!(first(&mut d, "hana").as_deref(), Some("hana"));
    assert_eq!(first(&mut d, "qqqzzz"), None);
}

#[test]
fn delegation_is_refused_without_authority() {
    let mut d = demo("priya");
    keys(&mut d.app, "<Tab><Tab>D");
    assert!(flash(&d).contains("select an area"), "{}", flash(&d));
    keys(&mut d.app, "j");
    d.app.state.data.me = "hana".into();
    keys(&mut d.app, "D");
    assert!(d.app.state.ui.modal.is_none());
    assert!(
        flash(&d).starts_with("refused: hana has no authority"),
        "{}",
        flash(&d)
    );
}

#[test]
fn undecided_past_escalate_days_reaches_the_parent_owner_marked() {
    // Priya opens the console today: her suggestions are seen from now.
    let d = demo("priya");
    let mine: Vec<Suggestion> = d
        .app
        .state
        .derived
        .queue
        .iter()
        .map(|&i| d.app.state.data.suggestions[i].clone())
        .filter(|s| s.area == "payments-db")
        .collect();
    assert!(!mine.is_empty());
    // The demo's history has the chronic cases (people who left, reviews
    // due) waiting since 16 days before it was installed; the rest is new.
    let chronic = |s: &Suggestion| matches!(s.reason, Reason::PersonLeft | Reason::ReviewDue);
    // 13 days later nothing new has escalated (payments-db: escalate_days 14).
    let early = reopen(&d, "marcus", now() + chrono::Duration::days(13));
    assert!(
        early
            .state
            .data
            .escalations
            .iter()
            .all(|e| chronic(&e.suggestion))
    );
    assert!(early.state.derived.queue.iter().all(|&i| {
        !early.state.escalated_to_me(i) || chronic(&early.state.data.suggestions[i])
    }));

    // 15 days later they reach marcus, who owns payments (its parent).
    let mut m = reopen(&d, "marcus", now() + chrono::Duration::days(15));
    let s = &m.state;
    let escalated: Vec<usize> = s
        .derived
        .queue
        .iter()
        .copied()
        .filter(|&i| s.escalated_to_me(i))
        .collect();
    assert!(
        escalated.iter().any(|&i| !chronic(&s.data.suggestions[i])),
        "nothing new escalated to marcus"
    );
    for &i in &escalated {
        let e = s.escalation(i).unwrap();
        assert_eq!(
            (e.owner.as_str(), e.to_area.as_str()),
            ("priya", "payments")
        );
        let waited = if chronic(&s.data.suggestions[i]) {
            31
        } else {
            15
        };
        assert_eq!(e.age_days, waited);
        assert_eq!(s.data.suggestions[i].area, "payments-db");
    }
    // Sorted: people who left first, then what escalated to him, then the rest.
    let first_other = s
        .derived
        .queue
        .iter()
        .position(|&i| !s.escalated_to_me(i) && s.data.suggestions[i].reason != Reason::PersonLeft)
        .unwrap_or(s.derived.queue.len());
    let last_escalated = s
        .derived
        .queue
        .iter()
        .rposition(|&i| s.escalated_to_me(i) && s.data.suggestions[i].reason != Reason::PersonLeft)
        .unwrap();
    assert!(
        last_escalated < first_other,
        "escalations come before the rest"
    );
    // Counted in the tree: the payments-db node and the whole scope.
    let node = |label: &str| {
        s.derived
            .tree
            .iter()
            .find(|n| n.label == label)
            .map(|n| n.escalated)
    };
    let total = escalated.len();
    assert_eq!(s.derived.tree[0].escalated, total);
    assert_eq!(node("payments"), Some(total));
    let screen_text = screen(&mut m, 160, 48);
    assert!(screen_text.contains(&format!("!{total}")), "{screen_text}");

    // The card says who it escalated from and how long it has waited.
    let at = m
        .state
        .derived
        .queue
        .iter()
        .position(|&i| m.state.escalated_to_me(i) && !chronic(&m.state.data.suggestions[i]))
        .unwrap();
    for _ in 0..at {
        keys(&mut m, "j");
    }
    let i = m.state.current().unwrap();
    let sug = m.state.data.suggestions[i].clone();
    let card = screen(&mut m, 160, 48);
    assert!(card.contains("ESCALATED to you"), "{card}");
    assert!(card.contains("from priya (owner of payments-db)"), "{card}");
    assert!(
        card.contains("undecided 15 days since 2026-03-02"),
        "{card}"
    );

    // Marcus decides it with his own authority (owner of the parent area).
    keys(&mut m, "ay");
    let decided = m
        .store
        .decisions()
        .unwrap()
        .into_iter()
        .find(|d| d.suggestion.person == sug.person && d.suggestion.entitlement == sug.entitlement)
        .expect("recorded");
    assert_eq!(decided.decider, "marcus");
    assert!(!m.state.derived.queue.contains(&i));
    assert_eq!(m.state.derived.tree[0].escalated, total - 1);

    // Priya, the same day, sees the others as hers, overdue and gone above her.
    let mut p = reopen(&d, "priya", now() + chrono::Duration::days(15));
    let overdue = p
        .state
        .derived
        .queue
        .iter()
        .copied()
        .find(|&i| p.state.escalation(i).is_some() && !chronic(&p.state.data.suggestions[i]))
        .expect("an overdue suggestion");
    assert!(!p.state.escalated_to_me(overdue));
    assert_eq!(p.state.escalation(overdue).unwrap().to, "marcus");
    let text = screen(&mut p, 160, 48);
    assert!(text.contains('^'), "{text}");
}

/// The demo's org directory, as recorded in the cache.
fn org_dir(d: &Demo) -> std::path::PathBuf {
    let src = d
        .app
        .store
        .source("files")
        .unwrap()
        .expect("a files source");
    std::path::PathBuf::from(src.location)
}

#[test]
fn sync_key_rereads_the_org_directory_and_reloads() {
    let mut d = demo("priya");
    let dir = org_dir(&d);
    let people = std::fs::read_to_string(dir.join("people.csv")).unwrap();
    let hugo_left = people.replace(
        "hugo,Hugo Laurent,hugo.laurent@larkspurhealth.com,Data Scientist,noor,active",
        "hugo,Hugo Laurent,hugo.laurent@larkspurhealth.com,Data Scientist,noor,left",
    );
    assert_ne!(hugo_left, people);
    std::fs::write(dir.join("people.csv"), hugo_left).unwrap();
    let left = |d: &Demo| {
        d.app.state.derived.queue.iter().any(|&i| {
            let s = &d.app.state.data.suggestions[i];
            s.person == "hugo" && s.reason == Reason::PersonLeft
        })
    };
    assert!(!left(&d), "nothing changes before the sync");
    keys(&mut d.app, "R");
    assert!(left(&d), "hugo's grants are revocations once he has left");
    assert!(flash(&d).starts_with("synced files: "), "{}", flash(&d));
    // Ctrl-R does the same.
    d.app.feed(Msg::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::CONTROL,
    )));
    assert!(flash(&d).starts_with("synced files: "), "{}", flash(&d));
}

#[test]
fn a_failing_sync_names_the_source_keeps_the_data_and_shows_it_stale() {
    let mut d = demo("priya");
    let before = d.app.state.derived.queue.len();
    let dir = org_dir(&d);
    std::fs::write(dir.join("people.csv"), "id,name\nhugo\n").unwrap();
    keys(&mut d.app, "R");
    let text = flash(&d);
    assert!(
        text.starts_with("sync: files FAILED (its previous data kept)"),
        "{text}"
    );
    assert!(
        text.contains("people.csv"),
        "the error names the file: {text}"
    );
    assert!(d.app.state.status.flash.as_ref().unwrap().error);
    assert_eq!(
        d.app.state.derived.queue.len(),
        before,
        "the cached data is kept"
    );
    let screen_text = screen(&mut d.app, 160, 48);
    assert!(
        screen_text.contains("files 0m ago STALE (last sync failed"),
        "{screen_text}"
    );
}

#[test]
fn the_console_loads_in_the_background_with_help_and_quit_live() {
    use steward::tui::app::App;
    let dir = tempfile::tempdir().unwrap();
    let installed = steward::demo::install(&dir.path().join("demo"), now()).unwrap();
    let store = steward::store::Store::open_existing(&installed.db).unwrap();
    let mut app = App::start(
        store,
        "priya",
        steward::time::Clock::Fixed(installed.now),
        Vec::new(),
        steward::tui::theme::Theme::color(),
        Default::default(),
    )
    .unwrap();
    // Until its result is taken in, the console shows it is loading.
    assert!(!app.state.status.loaded);
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("loading the cache for priya"), "{text}");
    keys(&mut app, "?");
    assert!(matches!(app.state.ui.modal, Some(Modal::Help)));
    keys(&mut app, "<Esc>a");
    assert!(
        app.state.ui.modal.is_none(),
        "nothing to accept before the load"
    );
    assert!(app.settle(), "the worker answers");
    assert!(app.state.status.loaded);
    assert!(!app.state.derived.queue.is_empty());

    // A decision runs on the worker; moving around stays live meanwhile.
    let first = app.state.derived.queue[0];
    keys(&mut app, "ay");
    assert_eq!(
        app.state.status.busy.as_ref().map(|b| b.text.as_str()),
        Some("recording…")
    );
    keys(&mut app, "j");
    assert_eq!(
        app.state.ui.queue_sel, 1,
        "keys still move while it records"
    );
    keys(&mut app, "a");
    assert!(
        app.state.ui.modal.is_none(),
        "another decision waits for the first"
    );
    assert!(app.settle());
    assert!(app.state.status.busy.is_none());
    assert!(!app.state.derived.queue.contains(&first));
    assert_eq!(app.store.decisions().unwrap().len(), 1);

    // Apply runs there too, saying how many changes while it works.
    keys(&mut app, "Ay");
    assert_eq!(
        app.state.status.busy.as_ref().map(|b| b.text.as_str()),
        Some("applying 1 change upstream…")
    );
    keys(&mut app, "L");
    assert_eq!(app.state.ui.view, View::Audit, "views open meanwhile");
    assert!(app.settle());
    assert!(
        flash_of(&app).starts_with("applied: 1 ok"),
        "{}",
        flash_of(&app)
    );
    keys(&mut app, "q");
    assert!(app.state.status.quit);
}

#[test]
fn rules_view_lists_rules_in_scope_and_removes_one_written_in_steward() {
    let mut d = demo("priya");
    let rule = Rule {
        id: "payments-api-db-read-local".into(),
        area: "payments-db".into(),
        author: "priya".into(),
        why: "trying a wider read rule".into(),
        grant: vec!["payments-db:read".into()],
        audience: Audience::Team("payments-api".into()),
        trained: vec![],
        only_while_oncall: false,
        apply: ApplyMode::Suggest,
        lead_secs: 0,
        grace_secs: 0,
    };
    d.app
        .store
        .add_rule(&steward::model::Actor::local("priya"), &rule, now())
        .unwrap();
    keys(&mut d.app, "R");
    keys(&mut d.app, "E");
    assert_eq!(keymap::mode(&d.app.state.ui), Mode::Rules);
    let ids: Vec<&str> = d
        .app
        .state
        .derived
        .rules
        .iter()
        .map(|r| r.status.id.as_str())
        .collect();
    assert!(ids.contains(&"payments-api-db-read"), "{ids:?}");
    assert!(ids.contains(&"payments-api-db-read-local"), "{ids:?}");
    assert!(
        !ids.contains(&"infra-primary-access"),
        "outside her scope: {ids:?}"
    );
    let text = screen(&mut d.app, 160, 48);
    assert!(text.contains("Rules in your scope"), "{text}");
    assert!(text.contains("from files"), "{text}");

    // A rule from a source is read-only here.
    let at = |d: &Demo, id: &str| {
        d.app
            .state
            .derived
            .rules
            .iter()
            .position(|r| r.status.id == id)
            .unwrap()
    };
    let from_file = at(&d, "payments-api-db-read");
    for _ in 0..from_file {
        keys(&mut d.app, "j");
    }
    keys(&mut d.app, "x");
    assert!(
        flash(&d).contains("comes from source files"),
        "{}",
        flash(&d)
    );
    assert!(d.app.state.ui.modal.is_none());

    // The one written in steward: a reason, a confirmation, then gone.
    keys(&mut d.app, "g");
    for _ in 0..at(&d, "payments-api-db-read-local") {
        keys(&mut d.app, "j");
    }
    keys(&mut d.app, "xtrial over<Enter>");
    assert!(matches!(d.app.state.ui.modal, Some(Modal::Confirm(_))));
    keys(&mut d.app, "y");
    assert!(
        flash(&d).starts_with("removed rule payments-api-db-read-local"),
        "{}",
        flash(&d)
    );
    assert!(
        !d.app
            .state
            .derived
            .rules
            .iter()
            .any(|r| r.status.id == "payments-api-db-read-local")
    );
    assert!(
        !d.app
            .store
            .rules_with_sources()
            .unwrap()
            .iter()
            .any(|(id, _)| id == "payments-api-db-read-local")
    );
    let audit = d.app.store.audit_entries(Some(5)).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "rule remove" && e.actor == "priya"),
        "{audit:?}"
    );
    keys(&mut d.app, "<Esc>");
    assert_eq!(d.app.state.ui.view, View::Main);
}

#[test]
fn the_demo_opens_with_its_chronic_cases_already_escalated() {
    // A fresh demo: marcus (manager) sees what priya left undecided for 16 days.
    let mut m = demo("marcus");
    let s = &m.app.state;
    let escalated: Vec<usize> = s
        .derived
        .queue
        .iter()
        .copied()
        .filter(|&i| s.escalated_to_me(i))
        .collect();
    assert!(!escalated.is_empty());
    for &i in &escalated {
        let sug = &s.data.suggestions[i];
        assert!(
            matches!(sug.reason, Reason::PersonLeft | Reason::ReviewDue),
            "{sug:?}"
        );
        assert_eq!(s.escalation(i).unwrap().age_days, 16);
    }
    let text = screen(&mut m.app, 160, 48);
    assert!(
        text.contains(&format!("!{} escalated to you", escalated.len())),
        "{text}"
    );
}

#[test]
fn a_second_start_shows_the_last_queue_at_once_then_the_fresh_one_in_place() {
    // The queue's suggestions, and the tree's rows with their counts.
    let queue = |s: &State| -> Vec<Suggestion> {
        s.derived
            .queue
            .iter()
            .map(|&i| s.data.suggestions[i].clone())
            .collect()
    };
    let tree = |s: &State| -> Vec<(String, steward::tui::counts::Counts, usize)> {
        s.derived
            .tree
            .iter()
            .map(|n| (n.label.clone(), n.counts, n.escalated))
            .collect()
    };
    let first = demo("marcus");
    let (fresh_queue, fresh_tree) = (queue(&first.app.state), tree(&first.app.state));
    drop(first);

    let mut d = started_again("marcus");
    // Drawn from what was kept: the same rows and counts, marked.
    assert!(d.app.state.status.preview.is_some());
    assert_eq!(queue(&d.app.state), fresh_queue);
    assert_eq!(tree(&d.app.state), fresh_tree);
    let text = screen(&mut d.app, 160, 48);
    assert!(text.contains("(as of "), "{text}");
    assert!(text.contains(&fresh_queue[0].entitlement), "{text}");

    // Looking around works; deciding waits for the fresh evaluation.
    keys(&mut d.app, "jj");
    assert_eq!(d.app.state.ui.queue_sel, 2);
    keys(&mut d.app, "a");
    assert!(
        d.app.state.ui.modal.is_none(),
        "nothing is decided on a preview"
    );
    assert!(flash_of(&d.app).contains("shown while the cache loads"));
    let picked = current(&d);

    assert!(d.app.settle(), "the worker answers");
    assert!(d.app.state.status.preview.is_none());
    assert!(d.app.state.status.loaded);
    // The fresh load keeps the place: same suggestion selected.
    assert_eq!(current(&d), picked);
    assert!(flash_of(&d.app).contains("loaded: evaluated now"));
    let text = screen(&mut d.app, 160, 48);
    assert!(!text.contains("(as of "), "{text}");
    keys(&mut d.app, "a");
    assert!(matches!(d.app.state.ui.modal, Some(Modal::Confirm(_))));
}

#[test]
fn an_unreadable_kept_preview_is_ignored() {
    let d = demo("marcus");
    let (db, at) = (d.app.db.clone(), d.app.state.now);
    let mut store = steward::store::Store::open_existing(&db).unwrap();
    store
        .save_console_preview("marcus", at, "{\"me\": \"marcus\", trunc")
        .unwrap();
    let app = steward::tui::app::App::start(
        store,
        "marcus",
        steward::time::Clock::Fixed(at),
        Vec::new(),
        steward::tui::theme::Theme::color(),
        Default::default(),
    )
    .unwrap();
    assert!(app.state.status.preview.is_none());
    assert!(
        !app.state.status.loaded,
        "the loading screen, as without one"
    );
}

#[test]
fn a_sync_keeps_the_place_in_the_tree_and_the_queue() {
    let mut d = demo("marcus");
    // An area below the root, and a suggestion down its queue.
    keys(&mut d.app, "<Tab><Tab>j");
    let node = d.app.state.selected_node();
    assert!(matches!(node, NodeKey::Area(_)), "{node:?}");
    keys(&mut d.app, "<Tab>jj");
    let picked = current(&d);
    let focus = d.app.state.ui.focus;
    keys(&mut d.app, "R");
    assert!(flash(&d).starts_with("synced files: "), "{}", flash(&d));
    assert_eq!(d.app.state.selected_node(), node);
    assert_eq!(d.app.state.ui.focus, focus);
    assert_eq!(current(&d), picked);
}

#[test]
fn undo_takes_back_a_whole_batch_and_names_what_it_undid() {
    let mut d = demo("priya");
    let before = d.app.state.derived.queue.len();
    let first = current(&d);
    keys(&mut d.app, "<Space>j<Space>ay");
    assert_eq!(d.app.state.derived.queue.len(), before - 2);
    keys(&mut d.app, "u");
    assert_eq!(d.app.state.derived.queue.len(), before, "both come back");
    let text = flash(&d);
    assert!(text.starts_with("undid 2 decisions: accept "), "{text}");
    assert!(
        text.contains(&format!("{} {}", first.person, first.entitlement)),
        "{text}"
    );
    assert!(
        d.app
            .state
            .data
            .decisions
            .iter()
            .all(|x| x.state == DecisionState::Undone)
    );
}

#[test]
fn in_the_plan_u_takes_back_the_selected_decision() {
    let mut d = demo("priya");
    keys(&mut d.app, "ayay");
    assert_eq!(d.app.state.data.plan.len(), 2);
    keys(&mut d.app, "Pj");
    let second = d.app.state.data.plan[1].decision;
    keys(&mut d.app, "u");
    assert_eq!(d.app.state.data.plan.len(), 1);
    assert_ne!(d.app.state.data.plan[0].decision, second);
    let undone = d
        .app
        .state
        .data
        .decisions
        .iter()
        .find(|x| x.id == second)
        .unwrap();
    assert_eq!(undone.state, DecisionState::Undone);
    assert_eq!(d.app.state.ui.view, View::Plan);
    assert_eq!(d.app.state.ui.plan_sel, 0);
}

#[test]
fn keys_that_cannot_act_say_why() {
    let mut d = demo("marcus");
    // D from the queue, with "all in scope" selected in the tree.
    assert_eq!(d.app.state.ui.focus, Pane::Queue);
    keys(&mut d.app, "D");
    assert!(d.app.state.ui.modal.is_none());
    assert!(
        flash(&d).contains("select an area in the tree"),
        "{}",
        flash(&d)
    );
    // With an area selected in the tree, D works from the queue too.
    keys(&mut d.app, "<Tab><Tab>j<Tab>D");
    assert!(matches!(d.app.state.ui.modal, Some(Modal::Picker(_))));
    keys(&mut d.app, "<Esc>");
    // The last card of a walkthrough.
    keys(&mut d.app, "<Enter>");
    let n = d.app.state.ui.walk.as_ref().unwrap().items.len();
    for _ in 0..n + 2 {
        keys(&mut d.app, "n");
    }
    assert!(
        flash(&d).starts_with(&format!("last card ({n}/{n})")),
        "{}",
        flash(&d)
    );
}

#[test]
fn the_delegation_preview_says_who_already_has_authority_and_who_would_decide_for_themselves() {
    // david owns the root: delegating payments to him changes nothing today.
    let mut d = demo("marcus");
    keys(&mut d.app, "<Tab><Tab>jDdavid<Enter><Enter>");
    let Some(Modal::Confirm(c)) = &d.app.state.ui.modal else {
        panic!("no preview")
    };
    assert!(
        c.lines[0].contains("already has authority over payments as owner of area larkspur"),
        "{:?}",
        c.lines
    );
    keys(&mut d.app, "n");
    // hana has pending grants of her own under payments.
    let about_hana = d
        .app
        .state
        .derived
        .queue
        .iter()
        .filter(|&&i| d.app.state.data.suggestions[i].person == "hana")
        .count();
    assert!(about_hana > 0);
    keys(&mut d.app, "Dhana<Enter><Enter>");
    let Some(Modal::Confirm(c)) = &d.app.state.ui.modal else {
        panic!("no preview")
    };
    assert!(c.lines[0].contains("gains authority"), "{:?}", c.lines);
    assert!(
        c.lines
            .iter()
            .any(|l| l.contains(&format!("{about_hana} of them are about hana's own access"))),
        "{:?}",
        c.lines
    );
}

#[test]
fn a_readiness_gap_is_accepted_from_the_rotations_view_and_then_shows_as_planned() {
    let mut d = demo("omar");
    keys(&mut d.app, "O");
    assert_eq!(d.app.state.ui.view, View::Rotations);
    let row = d
        .app
        .state
        .derived
        .ready
        .iter()
        .position(|r| matches!(r, Ready::Pending(_)))
        .expect("a gap that can be accepted now");
    let gap = d.app.state.derived.readiness[row].clone();
    for _ in 0..row {
        keys(&mut d.app, "j");
    }
    keys(&mut d.app, "a");
    let Some(Modal::Confirm(c)) = &d.app.state.ui.modal else {
        panic!("no confirmation")
    };
    assert!(
        c.lines
            .iter()
            .any(|l| l.contains(&gap.person) && l.contains(&gap.entitlement)),
        "{:?}",
        c.lines
    );
    keys(&mut d.app, "y");
    assert_eq!(
        d.app.state.derived.ready[row],
        Ready::Decided(Verdict::Accept)
    );
    assert!(
        d.app
            .state
            .data
            .plan
            .iter()
            .any(|ch| ch.person == gap.person && ch.entitlement == gap.entitlement)
    );
    keys(&mut d.app, "a");
    assert!(d.app.state.ui.modal.is_none());
    assert!(flash(&d).starts_with("already accepted"), "{}", flash(&d));
    // Undone, it can be accepted again.
    keys(&mut d.app, "<Esc>u");
    assert!(matches!(d.app.state.derived.ready[row], Ready::Pending(_)));
}

#[test]
fn the_help_overlay_scrolls_and_stops_at_its_end() {
    let mut d = demo("priya");
    d.app.feed(Msg::Resize(80, 24));
    keys(&mut d.app, "?G");
    let end = d.app.state.ui.help_scroll;
    assert!(end > 0, "longer than 24 rows at the main view");
    let text = screen(&mut d.app, 80, 24);
    assert!(text.contains("Mouse: scroll, click to select."), "{text}");
    // One line back up from the end moves at once (no dead keys past it).
    keys(&mut d.app, "k");
    assert_eq!(d.app.state.ui.help_scroll, end - 1);
    keys(&mut d.app, "jjjj");
    assert_eq!(d.app.state.ui.help_scroll, end);
    keys(&mut d.app, "g");
    assert_eq!(d.app.state.ui.help_scroll, 0);
}

#[test]
fn a_preview_whose_load_fails_says_so_and_stays_for_reading() {
    let mut d = started_again("priya");
    d.app
        .feed(Msg::Failed("error: cache schema version 9 is newer".into()));
    assert!(d.app.state.status.preview.is_some());
    keys(&mut d.app, "a");
    assert!(d.app.state.ui.modal.is_none());
    assert!(
        flash_of(&d.app).starts_with("the cache did not load"),
        "{}",
        flash_of(&d.app)
    );
    keys(&mut d.app, "j");
    assert_eq!(d.app.state.ui.queue_sel, 1);
}

#[test]
fn a_row_about_your_own_access_is_marked_says_who_decides_and_is_refused() {
    // helen owns k8s-prod up to infrastructure; david owns the root.
    let mut d = demo("helen");
    let own = d
        .app
        .state
        .derived
        .queue
        .iter()
        .position(|&i| d.app.state.data.suggestions[i].person == "helen")
        .expect("a suggestion about helen's own access");
    for _ in 0..own {
        keys(&mut d.app, "j");
    }
    let sug = current(&d);
    assert_eq!(sug.person, "helen");
    let text = screen(&mut d.app, 160, 48);
    assert!(text.contains("?*helen"), "{text}");
    assert!(
        text.contains("YOUR OWN ACCESS")
            && text.contains("david (owner of area larkspur) decides this one"),
        "{text}"
    );
    // Others' rows carry no such mark.
    assert_eq!(text.matches("*helen").count(), 1, "{text}");
    for k in ["a", "r", "x", "s"] {
        keys(&mut d.app, k);
        assert!(d.app.state.ui.modal.is_none(), "{k}");
        assert!(
            flash(&d).starts_with(&format!(
                "refused: helen cannot {} review helen {}: it is about helen's own access",
                match k {
                    "a" => "accept",
                    "r" => "revoke",
                    "x" => "dismiss",
                    _ => "snooze",
                },
                sug.entitlement
            )),
            "{k}: {}",
            flash(&d)
        );
    }
    assert!(d.app.state.data.decisions.is_empty());
}
