//! Every view rendered into ratatui's `TestBackend` at 80x24 and 160x48,
//! kept as insta snapshots, on the demo at a fixed instant.

#[path = "tui_support.rs"]
mod support;

use steward::tui::theme::Theme;
use support::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn snap_all(name: &str, who: &str, seq: &str) {
    for (w, h) in SIZES {
        let mut d = demo(who);
        keys(&mut d.app, seq);
        let text = screen(&mut d.app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

#[test]
fn main_view() {
    snap_all("main_priya", "priya", "");
}

#[test]
fn main_view_manager() {
    snap_all("main_marcus", "marcus", "");
}

#[test]
fn teams_tab() {
    snap_all("teams_marcus", "marcus", "<Tab><Tab>t");
}

#[test]
fn walkthrough() {
    snap_all("walk_priya", "priya", "<Tab><Tab><Enter>n");
}

#[test]
fn confirm_accept() {
    snap_all("confirm_priya", "priya", "a");
}

#[test]
fn dismiss_prompt() {
    snap_all("dismiss_priya", "priya", "xno longer rel");
}

#[test]
fn snooze_presets() {
    snap_all("snooze_priya", "priya", "s");
}

#[test]
fn filter() {
    snap_all("filter_priya", "priya", "/pay wri");
}

#[test]
fn help_overlay() {
    snap_all("help_priya", "priya", "?");
}

#[test]
fn help_overlay_scrolled() {
    snap_all("help_scrolled_priya", "priya", "?jjjj");
    // Scrolled past the end: the last line stays at the bottom.
    for (w, h) in SIZES {
        let mut d = demo("priya");
        keys(&mut d.app, "?G");
        let text = screen(&mut d.app, w, h);
        assert!(text.contains("Ctrl-C always quits"), "{text}");
        insta::assert_snapshot!(format!("help_end_priya_{w}x{h}"), text);
    }
}

#[test]
fn plan_view() {
    snap_all("plan_priya", "priya", "ay<Space>j<Space>ayP");
}

#[test]
fn applied_view() {
    snap_all("applied_priya", "priya", "ayAy");
}

#[test]
fn audit_view() {
    snap_all("audit_priya", "priya", "ayx dup<Enter>uL");
}

#[test]
fn rotations_view() {
    snap_all("rotations_omar", "omar", "O");
}

#[test]
fn hipaa_card() {
    // Omar's delegated prod-infra is tagged hipaa: the card must shout it.
    for (w, h) in SIZES {
        let mut d = demo("omar");
        keys(&mut d.app, "/aws-prod<Enter>");
        let text = screen(&mut d.app, w, h);
        assert!(text.contains("HIPAA"), "{text}");
        insta::assert_snapshot!(format!("card_omar_{w}x{h}"), text);
    }
}

#[test]
fn monochrome_shows_selection_without_colour() {
    let mut d = demo_with("priya", Theme::detect(Some("1")));
    d.app.feed(steward::tui::update::Msg::Resize(80, 24));
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    term.draw(|f| steward::tui::view::render(&d.app.state, &d.app.theme, f))
        .unwrap();
    let buf = term.backend().buffer();
    let mut coloured = 0;
    let mut reversed = 0;
    for cell in buf.content() {
        if cell.fg != ratatui::style::Color::Reset || cell.bg != ratatui::style::Color::Reset {
            coloured += 1;
        }
        if cell.modifier.contains(ratatui::style::Modifier::REVERSED) {
            reversed += 1;
        }
    }
    assert_eq!(coloured, 0, "NO_COLOR: no colour at all");
    assert!(reversed > 0, "the selection shows reversed");
    insta::assert_snapshot!("mono_priya_80x24", format!("{:?}", term.backend()));
}

#[test]
fn welcome_screen() {
    for (w, h) in SIZES {
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
        term.draw(|f| {
            steward::tui::welcome::render(
                "no cache at ~/.local/share/steward/steward.db",
                &Theme::color(),
                f,
            )
        })
        .unwrap();
        insta::assert_snapshot!(format!("welcome_{w}x{h}"), term.backend());
    }
}

#[test]
fn delegation_picker() {
    snap_all("picker_marcus", "marcus", "<Tab><Tab>jDha");
}

#[test]
fn delegations_view() {
    snap_all(
        "delegations_marcus",
        "marcus",
        "<Tab><Tab>jDhana<Enter><Enter>yV",
    );
}

#[test]
fn escalated_to_the_parent_owner() {
    for (w, h) in SIZES {
        // Priya's suggestions seen today; marcus opens the console 15 days on.
        let d = demo("priya");
        let mut app = reopen(&d, "marcus", now() + chrono::Duration::days(15));
        keys(&mut app, "jj");
        let text = screen(&mut app, w, h);
        insta::assert_snapshot!(format!("escalated_marcus_{w}x{h}"), text);
    }
}

#[test]
fn rules_view() {
    snap_all("rules_marcus", "marcus", "E");
}

#[test]
fn loading_screen_drawn_before_the_cache_is_read() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    for (w, h) in SIZES {
        let mut state = steward::tui::state::State::loading("priya", now(), Vec::new());
        state.ui.width = w;
        state.ui.height = h;
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| steward::tui::view::render(&state, &Theme::color(), f))
            .unwrap();
        let buf = term.backend().buffer().clone();
        let mut text = String::new();
        for y in 0..h {
            let line: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
            text.push_str(line.trim_end());
            text.push('\n');
        }
        insta::assert_snapshot!(format!("loading_priya_{w}x{h}"), text);
    }
}

#[test]
fn plan_view_mid_apply() {
    use steward::tui::msg::ApplyStep;
    use steward::tui::update::{Msg, update};
    for (w, h) in SIZES {
        let mut d = demo("priya");
        keys(&mut d.app, "ay<Space>j<Space>ay");
        // Confirmed: the apply runs elsewhere; two of its three changes
        // have finished, the second refused.
        update(&mut d.app.state, key('A'));
        update(&mut d.app.state, key('y'));
        let plan = d.app.state.data.plan.clone();
        for (k, ok, result) in [
            (0, true, plan[0].describe()),
            (
                1,
                false,
                "refused: decider priya no longer has authority over area payments-db".into(),
            ),
        ] {
            d.app.feed(Msg::ApplyStep(ApplyStep {
                done: k + 1,
                total: plan.len(),
                decision: plan[k].decision,
                ok,
                what: plan[k].summary(),
                result: format!("#{} {result}", plan[k].decision),
            }));
        }
        let text = screen(&mut d.app, w, h);
        insta::assert_snapshot!(format!("applying_priya_{w}x{h}"), text);
    }
}

/// A second start draws what the first showed, marked, while it loads.
#[test]
fn preview_while_loading() {
    for (w, h) in SIZES {
        let mut d = started_again("marcus");
        let text = screen(&mut d.app, w, h);
        insta::assert_snapshot!(format!("preview_marcus_{w}x{h}"), text);
    }
}
