//! Accepted decisions not yet applied, as concrete changes; and the results
//! of the last apply.

use super::block;
use crate::tui::layout;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let b = block(
        format!(
            " Plan: {} change(s) to apply (A applies) ",
            s.data.plan.len()
        ),
        true,
        t,
    );
    let inner = b.inner(r);
    f.render_widget(b, r);
    let mut lines = Vec::new();
    if s.data.plan.is_empty() {
        lines.push(Line::from(Span::styled(
            "Nothing planned. Accept suggestions in the queue (a); they land here until applied.",
            t.dim,
        )));
    }
    let visible = (inner.height as usize).saturating_sub(if s.applied.is_empty() {
        0
    } else {
        s.applied.len().min(8) + 2
    });
    let off = layout::offset(s.plan_sel, s.data.plan.len(), visible);
    for (i, c) in s.data.plan.iter().enumerate().skip(off).take(visible) {
        let mut line = Line::from(vec![
            Span::styled(format!("#{:<4} ", c.decision), t.dim),
            Span::raw(c.describe()),
            Span::styled(
                format!("  (decided by {}, area {})", c.decider, c.area),
                t.dim,
            ),
        ]);
        if i == s.plan_sel {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    if !s.applied.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled("Last apply:", t.title)));
        for (ok, text) in s.applied.iter().take(8) {
            lines.push(Line::from(vec![
                Span::styled(
                    if *ok { "ok   " } else { "FAIL " },
                    if *ok { t.ok } else { t.error },
                ),
                Span::raw(text.as_str()),
            ]));
        }
    }
    f.render_widget(Paragraph::new(lines), inner);
}
