//! Issue 18 in a real terminal (tmux): the demo console as a newcomer uses
//! it, at 120x40 and 80x24: the rotations view, a cut message read whole
//! with m, Space that marks without moving, and a text field that Ctrl-U
//! clears. No timed assertions: the screen is polled until the expected
//! text shows, with a generous bound.

mod tmux;

use std::path::Path;
use tmux::Session;

/// The demo console as `who` in a `w` x `h` terminal.
fn demo(name: &str, dir: &Path, who: &str, w: u16, h: u16) -> Session {
    Session::demo("newcomer", name, dir, who, (w, h))
}

/// The longest run of timeline cells (█ and ·) on any line.
fn widest_strip(screen: &str) -> usize {
    screen
        .lines()
        .map(|l| {
            l.split(|c| c != '█' && c != '·')
                .map(|run| run.chars().count())
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn rotations_and_messages_in_a_real_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let s = demo("rot", tmp.path(), "omar", 120, 40);
    s.wait_for("Omar Haddad (omar)");
    s.keys(&["O"]);
    // Item 6: the timeline across the width, days labelled, felix's first
    // shift (14 days and 5 hours away) in view and marked.
    let screen = s.wait_for("the next 15 days");
    assert!(widest_strip(&screen) >= 100, "{screen}");
    assert!(
        screen.contains("Mar 2") && screen.contains("Tue 3"),
        "{screen}"
    );
    assert!(screen.contains("  felix "), "{screen}");
    assert!(
        screen
            .lines()
            .any(|l| l.contains("felix") && l.contains("first shift, newly trained")),
        "{screen}"
    );
    // Item 9: the first gap is suggested only once its shift starts; a says
    // so, longer than the bar: cut, with m to read it whole.
    s.keys(&["a"]);
    let screen = s.wait_for("m reads all");
    assert!(!screen.contains("it will appear then"), "{screen}");
    s.keys(&["m"]);
    let screen = s.wait_for("Messages, newest first");
    assert!(screen.contains("it will appear then"), "{screen}");
    s.keys(&["Escape"]);
    s.wait_until("the messages closed", |sc| !sc.contains("Messages, newest"));
    // Item 8: Space marks the gap it is on, and says so.
    s.keys(&["j", "Space"]);
    let screen = s.wait_for("1 marked");
    assert!(screen.contains("marked grant nina"), "{screen}");
    s.keys(&["q"]);
    s.wait_for("EXITED 0");
}

#[test]
fn space_and_a_text_field_in_a_small_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let s = demo("small", tmp.path(), "priya", 80, 24);
    s.wait_for("Queue 10");
    // Item 8: Space j Space marks two rows; none is skipped.
    s.keys(&["Space"]);
    s.wait_for("1 marked");
    s.keys(&["j", "Space"]);
    s.wait_for("2 marked");
    // The filter edits as a shell line: Ctrl-W a word, Ctrl-U all.
    s.keys(&["Escape"]);
    s.wait_until("the marks cleared", |sc| !sc.contains("2 marked"));
    s.keys(&["/", "g", "r", "e", "g", " ", "x"]);
    s.wait_for("/greg x");
    s.keys(&["C-w"]);
    let screen = s.wait_until("the word deleted", |sc| !sc.contains("/greg x"));
    assert!(screen.contains("/greg"), "{screen}");
    s.keys(&["C-u"]);
    s.wait_until("the filter cleared", |sc| {
        sc.contains("Queue 10") && !sc.contains("/greg")
    });
    s.keys(&["Escape"]);
    s.wait_until("the filter closed", |sc| !sc.contains("type to filter"));
    s.keys(&["q"]);
    s.wait_for("EXITED 0");
}

// Item 7 and scoped reads: priya (a leaf owner, whose console holds only
// her part of the organization) delegates to someone in another division,
// found by a part of his name with his role, team and manager.
#[test]
fn a_leaf_owner_delegates_outside_her_part_of_the_organization() {
    let tmp = tempfile::tempdir().unwrap();
    let s = demo("deleg", tmp.path(), "priya", 120, 40);
    s.wait_for("Priya Raman (priya)");
    s.keys(&["Tab", "Tab", "j", "D"]);
    s.wait_for("Delegate payments-db (and everything below it) to whom?");
    s.type_text("mehta");
    let screen = s.wait_for("Tech Lead, Clinical Data");
    let row = screen
        .lines()
        .find(|l| l.contains("Arjun Mehta"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(
        row.contains("team clinical-data") && row.contains("reports to grace"),
        "{row}"
    );
    // Narrow, the line is cut with an ellipsis; wide, it is whole again.
    s.resize(80, 24);
    let screen = s.wait_until("arjun's line cut", |sc| {
        sc.lines()
            .any(|l| l.contains("Arjun Mehta") && l.contains('…'))
    });
    assert!(!screen.contains("reports to grace"), "{screen}");
    s.resize(200, 60);
    s.wait_until("arjun's line whole at 200x60", |sc| {
        sc.lines().any(|l| {
            l.contains(
                "Arjun Mehta  Tech Lead, Clinical Data · team clinical-data · reports to grace",
            )
        })
    });
    s.keys(&["Enter"]);
    s.wait_for("Delegate payments-db to arjun until");
    s.type_text("2w");
    s.keys(&["Enter"]);
    let screen = s.wait_for("Delegate payments-db to arjun?");
    assert!(
        screen.contains("Arjun Mehta (arjun) gains authority over 2 area(s)"),
        "{screen}"
    );
    s.keys(&["y"]);
    s.wait_for("arjun now decides for");
    s.keys(&["V"]);
    s.wait_for("arjun");
}
