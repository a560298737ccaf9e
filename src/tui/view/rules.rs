//! Rules in your scope: whether each counts now (and why not), how many
//! people qualify, where it comes from; rules written in steward can be
//! removed here.

use super::widgets::block;
use crate::tui::layout;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let rules = &s.derived.rules;
    let counting = rules.iter().filter(|r| r.status.counts).count();
    let b = block(
        format!(
            " Rules in your scope: {} ({counting} count) · x removes one written in steward ",
            rules.len()
        ),
        true,
        t,
    );
    let inner = b.inner(r);
    f.render_widget(b, r);
    let mut lines = Vec::new();
    if rules.is_empty() {
        lines.push(Line::from(Span::styled(
            "No rule grants anything in your scope (`steward rules add` writes one).",
            t.dim,
        )));
    }
    // The selected rule gets its why and problems below its line.
    let visible = inner.height.saturating_sub(3) as usize;
    let off = layout::offset(s.ui.rules_sel, rules.len(), visible.max(1));
    for (i, row) in rules.iter().enumerate().skip(off).take(visible.max(1)) {
        let st = &row.status;
        let counts = if st.counts && st.problems.is_empty() {
            Span::styled("counts      ", t.ok)
        } else if st.counts {
            Span::styled("counts, but ", t.key)
        } else {
            Span::styled("DOES NOT    ", t.error)
        };
        let mut line = Line::from(vec![
            counts,
            Span::styled(format!("{:<28} ", st.id), t.key),
            Span::raw(format!("area {:<18} ", st.area)),
            Span::styled(
                format!(
                    "by {:<10} {:>5} qualify  from {}",
                    st.author, st.qualifying, row.source
                ),
                t.dim,
            ),
        ]);
        // An automatic rule says so, with its lead and grace.
        if st.apply == crate::model::ApplyMode::Auto {
            let mut auto = String::from("  auto");
            for (what, v) in [("lead", &st.lead), ("grace", &st.grace)] {
                if let Some(v) = v {
                    auto += &format!(" {what} {v}");
                }
            }
            line.push_span(Span::styled(auto, t.key));
        }
        if i == s.ui.rules_sel {
            line = line.style(t.selected);
        }
        lines.push(line);
        if i == s.ui.rules_sel {
            for p in &st.problems {
                lines.push(Line::from(Span::styled(format!("    {p}"), t.error)));
            }
            if !row.why.is_empty() {
                lines.push(Line::from(Span::styled(
                    format!("    why: \"{}\"", row.why),
                    t.dim,
                )));
            }
        }
    }
    f.render_widget(Paragraph::new(lines), inner);
}
