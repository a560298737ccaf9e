//! The `?` overlay: every key of the current view, from the keymap itself.
//! Longer than a small terminal: it scrolls (`help_scroll`) and says so.

use crate::tui::keymap;
use crate::tui::layout::popup;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::ui::Modal;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    if !matches!(s.ui.modal, Some(Modal::Help)) {
        return;
    }
    let mode = keymap::base_mode(&s.ui);
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
    let total = lines.len();
    let area = popup(r, 72, total as u16 + 2);
    let rows = area.height.saturating_sub(2) as usize;
    let scroll = clamp_scroll(s.ui.help_scroll, total, rows);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(format!(" Keys: {mode:?} (Esc closes) "))
        .title_style(t.title);
    if total > rows {
        let last = (scroll + rows).min(total);
        let more = if last < total { "↓ more, " } else { "" };
        block = block.title_bottom(
            Line::from(Span::styled(
                format!(" {more}j/k scroll  {}-{last}/{total} ", scroll + 1),
                t.key,
            ))
            .right_aligned(),
        );
    }
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll as u16, 0)),
        area,
    );
}

/// The first line shown: the scroll asked for, stopped where the last line
/// reaches the bottom.
pub fn clamp_scroll(asked: u16, total: usize, rows: usize) -> usize {
    (asked as usize).min(total.saturating_sub(rows))
}
