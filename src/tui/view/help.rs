//! The `?` overlay: every key of the current view, from the keymap itself,
//! and what each mark and colour of the view means. Longer than a small
//! terminal: it scrolls (`help_scroll`) and says so.

use super::overlay;
use crate::tui::keymap;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::ui::{Modal, Ui};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The overlay's widest: room for a key column and a legend's sentence.
const WIDTH: u16 = 100;

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    if !matches!(s.ui.modal, Some(Modal::Help)) {
        return;
    }
    let mode = keymap::base_mode(&s.ui);
    let title = format!(" Keys: {mode:?} (Esc closes) ");
    overlay::render(f, t, r, title, lines(mode, t), s.ui.help_scroll, WIDTH);
}

/// The furthest the overlay scrolls on the console's screen.
pub fn max_scroll(ui: &Ui) -> usize {
    let mode = keymap::base_mode(ui);
    let screen = Rect::new(0, 0, ui.width, ui.height);
    overlay::max_scroll(screen, WIDTH, &lines(mode, &Theme::mono()))
}

/// The overlay's lines for the view of `mode`: every key, then what each
/// mark and colour it draws means.
pub fn lines(mode: keymap::Mode, t: &Theme) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = keymap::bindings(mode)
        .map(|b| {
            Line::from(vec![
                Span::styled(format!("{:>12}  ", keymap::keys_label(b)), t.key),
                Span::raw(b.help),
            ])
        })
        .collect();
    lines.push(Line::default());
    lines.extend(super::legend::lines(mode, t));
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "Ctrl-C always quits. Mouse: scroll, click to select.",
        t.dim,
    )));
    lines
}
