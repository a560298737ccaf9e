//! A popup of text over the screen (help, details): wrapped, never cut,
//! as tall as its text up to the screen, scrolled with the keys, and its
//! scrolling stopped where the last line reaches the bottom.

use crate::tui::layout::popup;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Where the overlay goes on `screen` (at most `max_w` columns wide), and
/// how many rows its text takes wrapped there.
fn place(screen: Rect, max_w: u16, lines: &[Line]) -> (Rect, usize) {
    let w = max_w.min(screen.width);
    let rows = Paragraph::new(lines.to_vec())
        .wrap(Wrap { trim: false })
        .line_count(w.saturating_sub(2));
    let h = (rows + 2).min(u16::MAX as usize) as u16;
    (popup(screen, w, h), rows)
}

/// The furthest the overlay scrolls on `screen`: its last line at the bottom.
pub fn max_scroll(screen: Rect, max_w: u16, lines: &[Line]) -> usize {
    let (area, rows) = place(screen, max_w, lines);
    rows.saturating_sub(area.height.saturating_sub(2) as usize)
}

/// Draws the overlay titled `title`, scrolled `scroll` rows (stopped at its
/// end), saying on its bottom border where it is when it is longer than
/// the screen.
pub fn render(
    f: &mut Frame,
    t: &Theme,
    screen: Rect,
    title: String,
    lines: Vec<Line>,
    scroll: u16,
    max_w: u16,
) {
    let (area, total) = place(screen, max_w, &lines);
    let rows = area.height.saturating_sub(2) as usize;
    let scroll = (scroll as usize).min(total.saturating_sub(rows));
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(title)
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
            .wrap(Wrap { trim: false })
            .block(block)
            .scroll((scroll as u16, 0)),
        area,
    );
}
