//! The pieces every region draws with: a bordered block, key hints, the
//! pane that shows a cut row in full.

use super::text::wrap;
use crate::tui::field::Field;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::ui::Pane;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

/// A bordered block, highlighted when focused.
pub fn block<'a>(title: impl Into<Line<'a>>, focused: bool, t: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(if focused { t.border_focus } else { t.border })
        .title(title)
        .title_style(t.title)
}

pub fn focused(s: &State, p: Pane) -> bool {
    s.ui.modal.is_none() && s.ui.focus == p
}

/// A key hint: the key in the key style, then its meaning.
pub fn hint<'a>(key: String, what: &'a str, t: &Theme) -> Vec<Span<'a>> {
    vec![
        Span::styled(key, t.key),
        Span::raw(" "),
        Span::styled(what, Style::default()),
        Span::raw("  "),
    ]
}

/// The selected row in full, wrapped, in a pane at the bottom of `r` (at
/// most half of it) under a rule; returns what is left above for the list.
/// Nothing is drawn when `text` is empty (the row fits on its line).
pub fn detail_pane(f: &mut Frame, t: &Theme, r: Rect, text: &[String]) -> Rect {
    if text.is_empty() || r.height < 4 {
        return r;
    }
    let w = r.width as usize;
    let lines: Vec<String> = text.iter().flat_map(|x| wrap(x, w)).collect();
    let h = (lines.len() as u16 + 1).min(r.height / 2);
    let pane = Rect {
        y: r.y + r.height - h,
        height: h,
        ..r
    };
    f.render_widget(
        ratatui::widgets::Paragraph::new(lines.into_iter().map(Line::from).collect::<Vec<_>>())
            .block(
                Block::default()
                    .borders(Borders::TOP)
                    .border_style(t.border)
                    .title(Span::styled(" selected, in full ", t.dim)),
            ),
        pane,
    );
    Rect {
        height: r.height - h,
        ..r
    }
}

/// A text field on one line of `w` cells after `lead`: the cursor drawn
/// as a reversed cell where it is, the text scrolled to keep it in view.
pub fn field_line<'a>(lead: &'a str, f: &Field, w: usize, t: &Theme) -> Line<'a> {
    let (before, at, after) = f.shown(w.saturating_sub(super::text::width(lead)));
    Line::from(vec![
        Span::styled(lead, t.key),
        Span::raw(before),
        Span::styled(at, Style::default().add_modifier(Modifier::REVERSED)),
        Span::raw(after),
    ])
}

/// A rect shrunk by one cell on every side (inside a border).
pub fn inner(r: Rect) -> Rect {
    Block::default().borders(Borders::ALL).inner(r)
}
