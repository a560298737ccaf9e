//! The `?` overlay: every key of the current view, from the keymap itself.

use crate::tui::keymap;
use crate::tui::layout::popup;
use crate::tui::state::{Modal, State};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    if !matches!(s.modal, Some(Modal::Help)) {
        return;
    }
    let mode = keymap::base_mode(s);
    let mut lines: Vec<Line> = keymap::bindings(mode)
        .map(|b| {
            Line::from(vec![
                Span::styled(format!("{:>12}  ", keymap::keys_label(b)), t.key),
                Span::raw(b.help),
            ])
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "Ctrl-C always quits. Mouse: scroll, click to select.",
        t.dim,
    )));
    let area = popup(r, 72, lines.len() as u16 + 2);
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.border_focus)
                .title(format!(" Keys: {mode:?} (Esc closes) "))
                .title_style(t.title),
        ),
        area,
    );
}
