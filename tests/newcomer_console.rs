//! The console as a newcomer finds it (issue 18), on the demo at a fixed
//! instant: `update` driven by keys and the screen rendered into ratatui's
//! `TestBackend`, at 80x24 and 160x48 (insta snapshots) and where an item
//! is about a size, at that size.

#[path = "tui_support.rs"]
mod support;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use steward::store::Store;
use steward::tui::app::App;
use steward::tui::update::Msg;
use support::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// The demo as `who`, sized `w` x `h` before any key.
fn sized(who: &str, w: u16, h: u16) -> Demo {
    let mut d = demo(who);
    d.app.feed(Msg::Resize(w, h));
    d
}

#[allow(dead_code)]
fn ctrl(app: &mut App, c: char) {
    app.feed(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )));
}

fn snap_all(name: &str, who: &str, seq: &str) {
    for (w, h) in SIZES {
        let mut d = sized(who, w, h);
        keys(&mut d.app, seq);
        let text = screen(&mut d.app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

// Item 10: below about 60x20 the console says the terminal is too small.

#[test]
fn a_terminal_below_60x20_is_told_it_is_too_small() {
    for (w, h) in [(59, 20), (60, 19), (40, 12)] {
        let mut d = sized("priya", w, h);
        let text = screen(&mut d.app, w, h);
        assert!(text.contains("too small"), "{w}x{h}:\n{text}");
        assert!(text.contains(&format!("It is {w}x{h}")), "{text}");
        assert!(!text.contains("Queue"), "{text}");
    }
    let mut d = sized("priya", 60, 20);
    let text = screen(&mut d.app, 60, 20);
    assert!(text.contains("Queue 10"), "{text}");
    insta::assert_snapshot!(
        "too_small_50x15",
        screen(&mut sized("priya", 50, 15).app, 50, 15)
    );
    // q still quits.
    let mut d = sized("priya", 40, 12);
    keys(&mut d.app, "q");
    assert!(d.app.state.status.quit);
}

// Item 10: at 200 columns the queue keeps age beside the entitlement.

#[test]
fn a_wide_queue_keeps_age_beside_the_entitlement_and_uses_the_rest() {
    let mut d = sized("priya", 200, 60);
    let text = screen(&mut d.app, 200, 60);
    let row = text
        .lines()
        .find(|l| l.contains("greg   payments-db:read"))
        .unwrap_or_else(|| panic!("{text}"));
    let after = row.split("payments-db:read").nth(1).unwrap();
    let gap = after.len() - after.trim_start().len();
    assert!(gap <= 8, "{gap} empty columns before the age: {row:?}");
    assert!(after.trim_start().starts_with("22mo"), "{row:?}");
    assert!(row.contains("greg has left the organization"), "{row:?}");
}

// Item 4: `w` shows the chain where the user is looking; area notes once.

#[test]
fn w_in_the_queue_shows_the_chain_at_the_top_of_the_card() {
    for (w, h) in SIZES.into_iter().chain([(120, 40)]) {
        let mut d = sized("priya", w, h);
        keys(&mut d.app, "w");
        let text = screen(&mut d.app, w, h);
        assert!(
            text.contains("justification chain"),
            "{w}x{h}: the chain is on screen:\n{text}"
        );
        assert!(
            text.contains("area chain: payments-db (owner priya)"),
            "{text}"
        );
        // The notes once (the card's), not again in the chain.
        let notes = text.matches("notes:").count();
        assert!(notes <= 1, "{notes} times:\n{text}");
        keys(&mut d.app, "w");
        let text = screen(&mut d.app, w, h);
        assert!(!text.contains("justification chain (steward why"), "{text}");
    }
    snap_all("why_open_priya", "priya", "w");
}

// Item 4: every pane's scrolling stops at its content.

#[test]
fn the_card_scrolls_to_its_last_line_and_no_further() {
    // (size, whether the card is longer than its pane there)
    for ((w, h), longer) in [((80, 24), true), ((120, 40), true), ((160, 48), false)] {
        let mut d = sized("priya", w, h);
        keys(&mut d.app, "<Tab>G");
        let text = screen(&mut d.app, w, h);
        // The card's last line is at the pane's bottom, not a blank pane.
        assert!(text.contains("w: the full chain"), "{w}x{h}:\n{text}");
        assert!(text.contains("you (priya) own area payments-db"), "{text}");
        let bottom = d.app.state.ui.card_scroll;
        assert_eq!(bottom > 0, longer, "at {w}x{h}");
        for _ in 0..50 {
            keys(&mut d.app, "j");
        }
        assert_eq!(d.app.state.ui.card_scroll, bottom, "j stops at the end");
        if longer {
            keys(&mut d.app, "k");
            assert_eq!(
                d.app.state.ui.card_scroll,
                bottom - 1,
                "one k is one line up"
            );
        }
        keys(&mut d.app, "g");
        assert_eq!(d.app.state.ui.card_scroll, 0);
    }
    snap_all("card_bottom_priya", "priya", "<Tab>G");
}

#[test]
fn a_walkthrough_card_stops_at_its_end_too() {
    let mut d = sized("priya", 80, 24);
    keys(&mut d.app, "<Enter>");
    for _ in 0..80 {
        keys(&mut d.app, "j");
    }
    let text = screen(&mut d.app, 80, 24);
    assert!(text.contains("w: the full chain"), "{text}");
}

// Item 5: `?` has a legend for every mark and colour the view uses.

/// The help overlay's whole text in the view `seq` leads to.
fn help_text(who: &str, seq: &str) -> String {
    let (w, h) = (160, 48);
    let mut d = sized(who, w, h);
    keys(&mut d.app, seq);
    keys(&mut d.app, "?");
    // The top, then the end: together every line at this size.
    let mut all = screen(&mut d.app, w, h);
    keys(&mut d.app, "G");
    all.push_str(&screen(&mut d.app, w, h));
    all
}

#[test]
fn help_explains_every_mark_of_the_queue_tree_and_card() {
    let text = help_text("marcus", "");
    for needle in [
        "Marks and colours",
        "+  grant: qualifies under a rule",
        "-  revoke: a grant nothing justifies",
        "?  review: manual, past its interval",
        "!  escalated to you",
        "^  yours, overdue",
        "●  marked (Space)",
        "2/6/2  pending grants/revokes/reviews",
        "PII  a sensitive tag",
        "OVERDUE",
        "STALE  that source's last sync failed",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
}

#[test]
fn help_in_the_rotations_view_explains_its_marks() {
    let text = help_text("omar", "O");
    for needle in [
        "█  on call then",
        "+  its grant is suggested now",
        "✓  its grant is accepted",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    assert!(
        !text.contains("escalated to you"),
        "the queue's marks are not this view's"
    );
}

#[test]
fn help_scrolling_stops_at_its_last_line() {
    let mut d = sized("priya", 80, 24);
    keys(&mut d.app, "?G");
    let end = d.app.state.ui.help_scroll;
    keys(&mut d.app, "jjjj");
    assert_eq!(d.app.state.ui.help_scroll, end);
    let text = screen(&mut d.app, 80, 24);
    assert!(text.contains("Ctrl-C always quits"), "{text}");
    snap_all("help_legend_end_priya", "priya", "?G");
}

// Item 8: Space marks without moving, and works in the readiness list.

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
fn space_marks_the_row_it_is_on_and_says_so() {
    let mut d = sized("priya", 120, 40);
    let first = d.app.state.derived.queue[0];
    keys(&mut d.app, "<Space>");
    assert_eq!(d.app.state.ui.queue_sel, 0, "the selection stays");
    assert!(d.app.state.ui.marked.contains(&first));
    let text = flash(&d);
    assert!(
        text.starts_with("marked revoke greg payments-db:read; 1 marked:"),
        "{text}"
    );
    // Space j Space marks two rows; nothing is skipped.
    keys(&mut d.app, "j<Space>");
    assert_eq!(d.app.state.ui.marked.len(), 2);
    let screen_text = screen(&mut d.app, 120, 40);
    assert!(screen_text.contains("2 marked"), "{screen_text}");
    // Space again unmarks.
    keys(&mut d.app, "<Space>");
    assert_eq!(d.app.state.ui.marked.len(), 1);
    assert!(flash(&d).starts_with("unmarked "), "{}", flash(&d));
}

#[test]
fn space_in_the_readiness_list_marks_gaps_and_a_accepts_them_together() {
    let mut d = sized("omar", 160, 48);
    keys(&mut d.app, "O");
    let pending: Vec<usize> = d
        .app
        .state
        .derived
        .ready
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r, steward::tui::derive::Ready::Pending(_)))
        .map(|(i, _)| i)
        .collect();
    assert!(pending.len() >= 2, "the demo has gaps to accept for omar");
    let not_yet = d
        .app
        .state
        .derived
        .ready
        .iter()
        .position(|r| matches!(r, steward::tui::derive::Ready::NotYet))
        .expect("a gap suggested only when its shift starts");
    // A gap suggested only later cannot be marked, and says why.
    d.app.state.ui.rot_sel = not_yet;
    keys(&mut d.app, "<Space>");
    assert!(d.app.state.ui.marked.is_empty());
    assert!(
        flash(&d).starts_with("nothing to mark yet"),
        "{}",
        flash(&d)
    );
    for &i in &pending[..2] {
        d.app.state.ui.rot_sel = i;
        keys(&mut d.app, "<Space>");
    }
    assert_eq!(d.app.state.ui.marked.len(), 2);
    let text = screen(&mut d.app, 160, 48);
    assert_eq!(text.matches("●+").count(), 2, "{text}");
    keys(&mut d.app, "a");
    let Some(steward::tui::ui::Modal::Confirm(c)) = &d.app.state.ui.modal else {
        panic!("no confirmation: {}", flash(&d));
    };
    assert_eq!(c.title, "Accept 2 suggestions?");
}

// Item 8: text fields edit as a shell's line editor, with a visible cursor.

/// The column of the cursor cell (drawn reversed) on the row holding `text`.
fn cursor_column(d: &mut Demo, w: u16, h: u16, row_text: &str) -> Option<u16> {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::style::Modifier;
    d.app.feed(Msg::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| steward::tui::view::render(&d.app.state, &d.app.theme, f))
        .unwrap();
    let buf = term.backend().buffer().clone();
    let y = (0..h).find(|&y| {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
        line.contains(row_text)
    })?;
    (0..w).find(|&x| buf[(x, y)].modifier.contains(Modifier::REVERSED))
}

fn prompt_input(d: &Demo) -> String {
    match &d.app.state.ui.modal {
        Some(steward::tui::ui::Modal::Prompt(p)) => p.input.value().to_string(),
        _ => panic!("no prompt open"),
    }
}

#[test]
fn a_text_field_edits_like_a_shell_line() {
    let mut d = sized("priya", 80, 24);
    keys(&mut d.app, "xno longer needed");
    assert_eq!(prompt_input(&d), "no longer needed");
    let end = cursor_column(&mut d, 80, 24, "> no longer needed").expect("a cursor");
    ctrl(&mut d.app, 'w');
    assert_eq!(prompt_input(&d), "no longer ");
    ctrl(&mut d.app, 'u');
    assert_eq!(prompt_input(&d), "", "Ctrl-U clears");
    keys(&mut d.app, "pairing");
    ctrl(&mut d.app, 'a');
    keys(&mut d.app, "Q3 ");
    assert_eq!(prompt_input(&d), "Q3 pairing");
    ctrl(&mut d.app, 'e');
    d.app
        .feed(Msg::Key(KeyEvent::new(KeyCode::Left, KeyModifiers::NONE)));
    d.app
        .feed(Msg::Key(KeyEvent::new(KeyCode::Left, KeyModifiers::NONE)));
    keys(&mut d.app, "X");
    assert_eq!(prompt_input(&d), "Q3 pairiXng");
    // The cursor is drawn where it is: on the `n`, after the X.
    let col = cursor_column(&mut d, 80, 24, "> Q3 pairiXng").expect("a cursor");
    let start = end - "no longer needed".len() as u16;
    assert_eq!(col, start + "Q3 pairiX".len() as u16);
    keys(&mut d.app, "<Enter>");
    assert_eq!(
        d.app.state.data.decisions[0].note.as_deref(),
        Some("Q3 pairiXng")
    );
}

#[test]
fn the_filter_and_the_picker_edit_the_same_way() {
    let mut d = sized("priya", 120, 40);
    keys(&mut d.app, "/greg");
    assert_eq!(d.app.state.derived.queue.len(), 2);
    assert!(
        cursor_column(&mut d, 120, 40, "/greg").is_some(),
        "a cursor in the filter"
    );
    ctrl(&mut d.app, 'u');
    assert_eq!(d.app.state.ui.filter, "");
    assert_eq!(d.app.state.derived.queue.len(), 10);
    keys(&mut d.app, "<Esc>");

    let mut d = sized("marcus", 120, 40);
    keys(&mut d.app, "<Tab><Tab>jDhana lee");
    ctrl(&mut d.app, 'w');
    let Some(steward::tui::ui::Modal::Picker(p)) = &d.app.state.ui.modal else {
        panic!("no picker");
    };
    assert_eq!(p.query, "hana ");
    snap_all("dismiss_editing_priya", "priya", "xno longer needed");
}

// Item 3: a delegation ended elsewhere while the delegate's console is open.

/// omar's console, opened while marcus's delegation of billing to omar
/// stood, with a grant in billing accepted by marcus in omar's plan; then
/// marcus ends the delegation from elsewhere. The store marcus used, and
/// the delegation's id.
fn ex_delegate() -> (Demo, Store, i64) {
    use steward::model::Actor;
    let mut d = sized("marcus", 120, 40);
    let db = d.dir.path().join("demo").join("steward.db");
    let mut elsewhere = Store::open_existing(&db).unwrap();
    let marcus = Actor::local("marcus");
    let made = elsewhere
        .add_delegation(
            &marcus,
            "billing",
            "omar",
            None,
            now() - chrono::Duration::hours(1),
        )
        .unwrap();
    keys(&mut d.app, "/billing-admin<Enter>ay");
    assert_eq!(d.app.state.data.plan.len(), 1, "{}", flash(&d));
    let mut omar = demo_on(d, "omar");
    omar.app.feed(Msg::Resize(120, 40));
    assert!(
        omar.app
            .state
            .data
            .plan
            .iter()
            .any(|c| c.area == "billing-admin"),
        "{:?}",
        omar.app.state.data.plan
    );
    assert!(screen(&mut omar.app, 120, 40).contains("billing"));
    elsewhere.end_delegation(&marcus, made.id, now()).unwrap();
    (omar, elsewhere, made.id)
}

#[test]
fn an_ex_delegates_apply_says_why_nothing_was_applied_and_audits_it() {
    let (mut d, elsewhere, _) = ex_delegate();
    let audit_before = elsewhere.audit_len().unwrap();
    let decision = d.app.state.data.plan[0].decision;
    keys(&mut d.app, "Ay");
    let text = flash(&d);
    assert_eq!(text, "applied: 0 ok, 1 not applied", "{text}");
    let results = &d.app.state.status.applied;
    assert_eq!(results.len(), 1);
    let line = &results[0].line;
    assert!(
        line.starts_with(&format!("#{decision} not applied: refused: "))
            && line.contains("omar")
            && line.contains("billing"),
        "{line}"
    );
    let shown = screen(&mut d.app, 120, 40);
    assert!(shown.contains("not applied: refused"), "{shown}");
    // Audited, as a refused apply; the decision stays for marcus to apply.
    assert_eq!(elsewhere.audit_len().unwrap(), audit_before + 1);
    let last = elsewhere.audit_entries(Some(1)).unwrap().remove(0);
    assert_eq!(
        (last.actor.as_str(), last.action.as_str()),
        ("omar", "apply")
    );
    assert!(
        last.detail.contains("not applied: refused"),
        "{}",
        last.detail
    );
    assert!(
        elsewhere
            .planned()
            .unwrap()
            .iter()
            .any(|p| p.id == decision)
    );
    // And the console's scope is the fresh one now.
    assert!(d.app.state.data.plan.is_empty());
}

#[test]
fn a_delegation_ended_elsewhere_leaves_the_scope_at_the_next_minute() {
    let (mut d, _, _) = ex_delegate();
    let header = |d: &mut Demo| {
        screen(&mut d.app, 120, 40)
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    assert!(header(&mut d).contains("billing"), "{}", header(&mut d));
    d.app.feed(Msg::Tick(now() + chrono::Duration::minutes(1)));
    assert!(!header(&mut d).contains("billing"), "{}", header(&mut d));
    assert!(d.app.state.data.plan.is_empty());
}

// Item 6: the rotations timeline uses the width, labels its days, shows
// whole names, and reaches the first shift of every readiness gap, which
// says "first shift" and "newly trained".

/// The rows of the timelines' strips: `(name, strip)`.
fn strips(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start_matches('│');
            let cells = l.find(['█', '·'])?;
            let (name, rest) = l.split_at(cells);
            let strip: String = rest
                .chars()
                .take_while(|c| matches!(c, '█' | '·'))
                .collect();
            (strip.chars().count() > 3 && name.starts_with("  "))
                .then(|| (name.trim().to_string(), strip))
        })
        .collect()
}

#[test]
fn the_timeline_uses_the_width_and_labels_its_days() {
    for (w, h) in [(120, 40), (80, 24), (200, 60)] {
        let mut d = sized("omar", w, h);
        keys(&mut d.app, "O");
        let text = screen(&mut d.app, w, h);
        let rows = strips(&text);
        assert!(!rows.is_empty(), "{text}");
        for (name, strip) in &rows {
            let cells = strip.chars().count();
            assert!(
                cells + name.len() + 8 >= w as usize * 4 / 5,
                "{w}x{h}: {name}'s strip is {cells} cells:\n{text}"
            );
            assert!(!name.contains('…'), "{name}");
        }
        let ruler = text
            .lines()
            .find(|l| l.contains("Mar 2"))
            .unwrap_or_else(|| panic!("no ruler at {w}x{h}:\n{text}"));
        assert!(ruler.contains(" 9") || ruler.contains("Mon 9"), "{ruler}");
    }
    let mut d = sized("omar", 120, 40);
    keys(&mut d.app, "O");
    let text = screen(&mut d.app, 120, 40);
    assert!(
        text.contains("Tue 3"),
        "days named when there is room:\n{text}"
    );
}

#[test]
fn a_newly_trained_first_shift_past_fourteen_days_shows_and_the_window_reaches_it() {
    let mut d = sized("omar", 160, 48);
    keys(&mut d.app, "O");
    let felix = d
        .app
        .state
        .derived
        .readiness
        .iter()
        .find(|g| g.person == "felix")
        .expect("felix's first shift, 14 days and 5 hours away, is a readiness gap");
    assert!(felix.shift_start - now() > chrono::Duration::days(14));
    assert!(felix.first_shift);
    assert!(felix.newly_trained.is_some());
    let text = screen(&mut d.app, 160, 48);
    assert!(text.contains("the next 15 days"), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("felix") && l.contains("03-16"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("first shift, newly trained 02-"), "{row}");
    // The timeline has felix's row, his shift at its end.
    let (_, strip) = strips(&text)
        .into_iter()
        .find(|(n, _)| n == "felix")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(strip.ends_with('█') && strip.starts_with('·'), "{strip}");
    // ? says what the tags mean.
    keys(&mut d.app, "?");
    let help = screen(&mut d.app, 160, 48);
    assert!(
        help.contains("first shift") && help.contains("newly trained"),
        "{help}"
    );
}

// Item 9: nothing is cut mid-sentence without a way to read the whole: a
// cut message says `m`, and m shows everything said, and why a source is
// stale, in full.

#[test]
fn a_cut_message_says_m_and_m_reads_it_whole() {
    let mut d = sized("omar", 80, 24);
    keys(&mut d.app, "O");
    let not_yet = d
        .app
        .state
        .derived
        .ready
        .iter()
        .position(|r| matches!(r, steward::tui::derive::Ready::NotYet))
        .unwrap();
    d.app.state.ui.rot_sel = not_yet;
    keys(&mut d.app, "a");
    let said = flash(&d);
    assert!(said.ends_with("; it will appear then"), "{said}");
    let text = screen(&mut d.app, 80, 24);
    let bar = text.lines().last().unwrap();
    assert!(bar.ends_with("… m reads all"), "{bar}");
    keys(&mut d.app, "m");
    let text = screen(&mut d.app, 80, 24);
    let inside: String = text
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(inside.contains("Messages, newest first"), "{text}");
    assert!(inside.contains("it will appear then"), "{text}");
    insta::assert_snapshot!("messages_omar_80x24", text);
    keys(&mut d.app, "<Esc>");
    assert!(d.app.state.ui.modal.is_none());
}

#[test]
fn a_stale_sources_reason_is_cut_in_the_header_and_read_whole_with_m() {
    for (w, h) in SIZES {
        let mut d = sized("priya", w, h);
        let org = d.dir.path().join("demo").join("org");
        let mut grants = std::fs::read_to_string(org.join("grants.csv")).unwrap();
        grants.push_str("greg,payments-db:read,priya,not-a-time,manual,\n");
        std::fs::write(org.join("grants.csv"), grants).unwrap();
        keys(&mut d.app, "R");
        let reason = d.app.state.data.sources[0].error.clone().expect("stale");
        assert!(reason.contains("grants.csv:"), "{reason}");
        let text = screen(&mut d.app, w, h);
        let header = text.lines().nth(1).unwrap();
        assert!(header.contains("STALE (last sync failed"), "{header}");
        assert!(header.trim_end().ends_with("… m: why)"), "{header}");
        keys(&mut d.app, "m");
        let text = screen(&mut d.app, w, h);
        let inside: String = text
            .lines()
            .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
            .collect::<Vec<_>>()
            .join("");
        let tail: String = reason
            .chars()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        assert!(
            inside.replace(' ', "").contains(&tail.replace(' ', "")),
            "the reason's end ({tail:?}) is shown:\n{text}"
        );
        assert!(
            inside.contains("files STALE: its last sync failed"),
            "{text}"
        );
    }
}

// Item 7: the delegation picker lists the people nearest the work first,
// with team and manager, and says who already has authority before the
// pick; the tree shows what was delegated away.

#[test]
fn the_picker_lists_reports_first_with_team_and_says_who_already_decides() {
    let mut d = sized("marcus", 160, 48);
    // payments-db, selected in the tree, then D.
    keys(&mut d.app, "<Tab><Tab>jD");
    let picks = picks(&d.app);
    let reports = picks
        .iter()
        .take_while(|p| p.manager.as_deref() == Some("marcus"))
        .count();
    assert!(reports >= 2, "marcus's reports first: {:?}", &picks[..5]);
    assert!(
        picks[reports..]
            .iter()
            .all(|p| p.manager.as_deref() != Some("marcus")),
        "every report comes before anyone else"
    );
    let names: Vec<&str> = picks[..reports].iter().map(|p| p.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by name");
    let text = screen(&mut d.app, 160, 48);
    assert!(
        text.contains("Delegate payments (and everything below it)"),
        "{text}"
    );
    let row = text
        .lines()
        .find(|l| l.contains("priya") && l.contains("Priya Raman"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        row.contains("Tech Lead, Payments API · team payments-api · reports to marcus"),
        "{row}"
    );
    assert!(!row.contains("already decides"), "{row}");
    insta::assert_snapshot!("picker_nearest_marcus_160x48", text.clone());
    // david owns the root: said on his row, before he is picked.
    keys(&mut d.app, "david");
    let text = screen(&mut d.app, 160, 48);
    let row = text
        .lines()
        .find(|l| l.contains("David "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("already decides it: owner of area"), "{row}");
    let after = text
        .split("already decides it: owner of area")
        .nth(1)
        .unwrap();
    assert!(
        after
            .trim_start_matches(['│', ' ', '\n'])
            .starts_with("larkspur"),
        "{text}"
    );
}

#[test]
fn the_tree_shows_what_was_delegated_away() {
    let mut d = sized("marcus", 120, 40);
    let text = screen(&mut d.app, 120, 40);
    let row = text
        .lines()
        .find(|l| l.contains("billing "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("(to lena)"), "{row}");
    let text = screen(&mut d.app, 200, 60);
    assert!(
        text.contains("billing 1/2/2 PII (delegated to lena)"),
        "{text}"
    );
}

// The picker searches the whole organization, not the part of it a leaf
// owner's console holds (scoped reads): priya delegates to someone in
// another division, whom her console never read.

#[test]
fn a_leaf_owner_delegates_to_someone_outside_the_part_of_the_organization_read() {
    let mut d = sized("priya", 160, 48);
    let held = d.app.state.data.snap.org.people.len();
    assert!(
        d.app.state.data.snap.person("arjun").is_none(),
        "arjun is outside priya's part of the organization"
    );
    keys(&mut d.app, "<Tab><Tab>jD");
    // Nothing typed: the whole roster (88 people but priya), reports first.
    let offered = picks(&d.app);
    assert!(
        offered.len() > held,
        "{} offered, {held} held",
        offered.len()
    );
    assert!(offered.iter().any(|p| p.id == "arjun"));
    assert!(offered.iter().all(|p| p.id != "priya"));
    keys(&mut d.app, "arju");
    assert_eq!(picks(&d.app)[0].id, "arjun");
    let text = screen(&mut d.app, 160, 48);
    let row = text
        .lines()
        .find(|l| l.contains("arjun") && l.contains("Arjun"))
        .unwrap_or_else(|| panic!("{text}"));
    let arjun = d
        .app
        .store
        .offer_people(&steward::store::PeopleQuery::Search("arjun".into()), 5)
        .unwrap();
    let title = arjun[0].person.title.clone().unwrap();
    assert!(row.contains(&title), "his role: {row}");
    assert!(row.contains("reports to grace"), "{row}");
    keys(&mut d.app, "<Enter>2w<Enter>");
    let Some(steward::tui::ui::Modal::Confirm(c)) = &d.app.state.ui.modal else {
        panic!("no preview: {}", screen(&mut d.app, 160, 48))
    };
    assert!(
        c.title.contains("Delegate payments-db to arjun"),
        "{}",
        c.title
    );
    assert!(c.lines[0].starts_with("Arjun "), "{:?}", c.lines);
    keys(&mut d.app, "y");
    let given: Vec<&str> = d
        .app
        .state
        .data
        .local_delegations
        .iter()
        .map(|l| l.delegation.to.as_str())
        .collect();
    assert_eq!(given, vec!["arjun"]);
}

#[test]
fn the_picker_cuts_a_long_line_with_an_ellipsis_when_narrow() {
    let mut d = sized("priya", 80, 24);
    keys(&mut d.app, "<Tab><Tab>jDarjun");
    let text = screen(&mut d.app, 80, 24);
    let row = text
        .lines()
        .find(|l| l.contains("arjun") && l.contains("Arjun"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains('…'), "{row}");
    assert!(!row.contains("reports to grace"), "{row}");
}

#[test]
fn the_picker_offers_those_whose_name_begins_with_the_query_first() {
    let mut d = sized("priya", 160, 48);
    keys(&mut d.app, "<Tab><Tab>jDma");
    let offered = picks(&d.app);
    let begins = |p: &steward::model::Person| {
        [&p.id, &p.name, &p.email]
            .iter()
            .any(|f| f.to_lowercase().starts_with("ma"))
    };
    let first = offered.iter().take_while(|p| begins(p)).count();
    assert!(first >= 4, "{:?}", &offered[..first]);
    assert!(
        offered[first..].iter().all(|p| !begins(p)),
        "chloe martin after marcus, marta, mateo and maya"
    );
    assert!(offered[first..].iter().any(|p| p.id == "chloe"));
}
