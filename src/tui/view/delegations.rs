//! Delegations you gave: who decides for which subtree, until when.

use super::widgets::block;
use crate::tui::derive::queries::given_delegations;
use crate::tui::layout;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let given = given_delegations(&s.data, s.now);
    let b = block(
        format!(" Delegations you gave: {} (x ends one) ", given.len()),
        true,
        t,
    );
    let inner = b.inner(r);
    f.render_widget(b, r);
    let mut lines = Vec::new();
    if given.is_empty() {
        lines.push(Line::from(Span::styled(
            "You have delegated nothing. In the tree, D on an area delegates its subtree.",
            t.dim,
        )));
    }
    let visible = inner.height as usize;
    let off = layout::offset(s.ui.deleg_sel, given.len(), visible);
    for (i, g) in given.iter().enumerate().skip(off).take(visible) {
        let d = &g.delegation;
        let mut line = Line::from(vec![
            Span::styled(
                match g.local_id {
                    Some(id) => format!("#{id:<4} "),
                    None => "file  ".to_string(),
                },
                t.dim,
            ),
            Span::styled(format!("{:<12} ", d.to), t.key),
            Span::raw(format!("decides for {} ", d.area)),
            Span::styled(
                format!(
                    "since {}{}",
                    crate::policy::day(d.since),
                    d.until
                        .map(|u| format!(", until {}", crate::policy::minute(u)))
                        .unwrap_or_else(|| ", no end".into())
                ),
                t.dim,
            ),
        ]);
        if i == s.ui.deleg_sel {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}
