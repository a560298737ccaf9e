//! The bottom line: a message when there is one, else the keys that matter now.

use super::hint;
use crate::tui::keymap::{self, Mode};
use crate::tui::state::State;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let line = if let Some(b) = &s.busy {
        Line::from(Span::styled(b.as_str(), t.key))
    } else if let Some(fl) = &s.flash {
        Line::from(Span::styled(
            fl.text.as_str(),
            if fl.error { t.error } else { t.ok },
        ))
    } else {
        let mode = keymap::mode(s);
        let mut spans = Vec::new();
        if mode == Mode::Filter {
            spans.push(Span::styled("type to filter  ", t.dim));
        }
        // Help and quit first: they must survive a narrow terminal.
        let (first, rest): (Vec<_>, Vec<_>) = keymap::bindings(mode)
            .filter(|b| b.bar)
            .partition(|b| matches!(b.action, keymap::Action::Help | keymap::Action::Quit));
        for b in first.into_iter().chain(rest) {
            if mode == Mode::Tree && b.action == keymap::Action::Accept {
                continue;
            }
            let short = b.help.split([' ', ',', '(', ':']).next().unwrap_or(b.help);
            spans.extend(hint(keymap::keys_label(b), short, t));
        }
        Line::from(spans)
    };
    f.render_widget(Paragraph::new(line).style(t.bar), r);
}
