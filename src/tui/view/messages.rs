//! The `m` overlay: everything the status bar said, newest first, and each
//! stale source's reason, in full: what a narrow bar or header had to cut
//! is read here.

use super::overlay;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::ui::Modal;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The overlay's widest.
const WIDTH: u16 = 110;

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    if !matches!(s.ui.modal, Some(Modal::Messages)) {
        return;
    }
    let title = " Messages, newest first (Esc closes) ".to_string();
    overlay::render(f, t, r, title, lines(s, t), s.ui.help_scroll, WIDTH);
}

/// The furthest the overlay scrolls on the console's screen.
pub fn max_scroll(s: &State) -> usize {
    let screen = Rect::new(0, 0, s.ui.width, s.ui.height);
    overlay::max_scroll(screen, WIDTH, &lines(s, &Theme::mono()))
}

/// Each stale source's reason, then what was said, newest first.
pub fn lines(s: &State, t: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for src in &s.data.sources {
        if let Some(e) = &src.error {
            lines.push(Line::from(vec![
                Span::styled(format!("{} STALE: ", src.name), t.error),
                Span::raw(format!("its last sync failed: {e}")),
            ]));
        }
    }
    if !lines.is_empty() {
        lines.push(Line::from(""));
    }
    if s.status.said.is_empty() {
        lines.push(Line::from(Span::styled("Nothing said yet.", t.dim)));
    }
    for said in s.status.said.iter().rev() {
        let style = if said.error { t.error } else { t.base };
        // What was said may carry text from outside: shown visibly.
        let text = crate::safe_text::terminal_line(&said.text).into_owned();
        lines.push(Line::from(Span::styled(text, style)));
    }
    lines
}
