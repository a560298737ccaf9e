//! The bottom line: a message when there is one, else the keys that matter
//! now, most important first; a key that does not fit is left out whole.

use super::text::width;
use super::widgets::hint;
use crate::tui::keymap::{self, Action, Binding, Mode};
use crate::tui::state::State;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    // What a job or a flash says may carry text from outside (a sync's
    // error body): shown visibly, never raw.
    let safe = crate::safe_text::terminal_line;
    let line = if let Some(b) = &s.status.busy {
        Line::from(Span::styled(safe(&b.text), t.key))
    } else if let Some(fl) = &s.status.flash {
        let style = if fl.error { t.error } else { t.ok };
        let room = r.width as usize;
        let text = safe(&fl.text);
        if width(&text) <= room {
            Line::from(Span::styled(text, style))
        } else {
            // Cut: says where the rest is.
            let more = " m reads all";
            let head = super::text::clip(&text, room.saturating_sub(width(more)));
            Line::from(vec![Span::styled(head, style), Span::styled(more, t.key)])
        }
    } else {
        let mode = keymap::mode(&s.ui);
        let mut spans = Vec::new();
        let mut used = 0;
        if mode == Mode::Filter {
            spans.push(Span::styled("type to filter  ", t.dim));
            used += 16;
        }
        for (key, what) in fitting(mode, (r.width as usize).saturating_sub(used)) {
            spans.extend(hint(key, what, t));
        }
        Line::from(spans)
    };
    f.render_widget(Paragraph::new(line).style(t.bar), r);
}

/// The hints of `mode` that fit in `room` cells, in the order shown: help
/// and quit first (they must survive a narrow terminal), then the way back
/// out (Esc), then the mode's own keys in the keymap's order; whole
/// entries, never half of one.
pub fn fitting(mode: Mode, room: usize) -> Vec<(String, &'static str)> {
    let mut shown: Vec<&Binding> = keymap::bindings(mode)
        .filter(|b| b.bar)
        .filter(|b| !(mode == Mode::Tree && b.action == Action::Accept))
        .collect();
    // A stable sort: the keymap's order within each rank.
    shown.sort_by_key(|b| match b.action {
        Action::Help | Action::Quit => 0,
        Action::Back => 1,
        _ => 2,
    });
    let mut out = Vec::new();
    let mut used = 0;
    for b in shown {
        let (key, what) = (keymap::keys_label(b), short(b));
        // Two spaces between entries; none needed after the last.
        let w = width(&key) + 1 + width(what);
        if used + w <= room {
            used += w + 2;
            out.push((key, what));
        }
    }
    out
}

/// A binding's meaning in a word or two: the start of its help text, or a
/// label of its own where that start would not read (the snooze presets'
/// help begins with a number, as their keys do).
pub fn short(b: &Binding) -> &'static str {
    match b.action {
        Action::Preset(1) => "one day",
        Action::Preset(2) => "one week",
        Action::Preset(3) => "two weeks",
        Action::Preset(_) => "until…",
        Action::SwitchTab => "areas/teams",
        Action::NextPane => "pane",
        _ => b.help.split([' ', ',', '(', ':']).next().unwrap_or(b.help),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(mode: Mode, room: usize) -> String {
        fitting(mode, room)
            .iter()
            .map(|(k, w)| format!("{k} {w}"))
            .collect::<Vec<_>>()
            .join("  ")
    }

    #[test]
    fn snooze_presets_read_as_spans() {
        assert_eq!(
            bar(Mode::Snooze, 80),
            "1 one day  2 one week  3 two weeks  4/c until…  Esc cancel"
        );
    }

    #[test]
    fn entries_that_do_not_fit_are_left_out_whole() {
        let full = bar(Mode::Queue, 500);
        let narrow = bar(Mode::Queue, 80);
        assert!(narrow.starts_with("? help  q quit  Enter walk"), "{narrow}");
        assert!(width(&narrow) <= 80, "{narrow}");
        assert!(narrow.len() < full.len(), "{full}");
        // Every entry shown is one of the full bar's, whole.
        let entries: Vec<&str> = full.split("  ").collect();
        for e in narrow.split("  ") {
            assert!(entries.contains(&e), "{e:?} cut in {narrow:?}");
        }
    }
}
