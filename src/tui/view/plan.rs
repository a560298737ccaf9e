//! Accepted decisions not yet applied, as concrete changes; while an apply
//! runs, each change's mark as it finishes; and the results of the last apply.

use super::{block, detail_pane, width};
use crate::tui::layout;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Results listed at least, however long the plan.
const MIN_RESULTS: usize = 8;

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let title = match &s.applying {
        Some(a) => format!(
            " Plan: applying, {}/{} change(s) finished ",
            a.steps.len(),
            a.total
        ),
        None => format!(
            " Plan: {} change(s) to apply (A applies) ",
            s.data.plan.len()
        ),
    };
    let b = block(title, true, t);
    let mut inner = b.inner(r);
    f.render_widget(b, r);
    // The selected change in full below the list when its row is cut.
    if s.applying.is_none()
        && let Some(c) = s.data.plan.get(s.plan_sel)
        && width(&row_text(c)) > inner.width as usize
    {
        let full = [
            format!("#{} {}", c.decision, c.describe()),
            format!("decided by {}, area {}", c.decider, c.area),
        ];
        inner = detail_pane(f, t, inner, &full);
    }
    let height = inner.height as usize;
    let mut lines = Vec::new();
    if s.data.plan.is_empty() {
        lines.push(Line::from(Span::styled(
            "Nothing planned. Accept suggestions in the queue (a); they land here until applied.",
            t.dim,
        )));
    }

    // Results: those of the apply under way (latest last), else of the last one.
    let (heading, results): (&str, Vec<(bool, &str)>) = match &s.applying {
        Some(a) => (
            "This apply so far:",
            a.steps
                .iter()
                .map(|st| (st.ok, st.result.as_str()))
                .collect(),
        ),
        None => {
            // Failures first: they are what needs a look.
            let mut r: Vec<(bool, &str)> =
                s.applied.iter().map(|(ok, x)| (*ok, x.as_str())).collect();
            r.sort_by_key(|(ok, _)| *ok);
            ("Last apply:", r)
        }
    };
    let plan_rows = s.data.plan.len().max(1);
    let result_rows = if results.is_empty() {
        0
    } else {
        results
            .len()
            .min(MIN_RESULTS.max(height.saturating_sub(plan_rows + 2)))
    };
    let visible = height.saturating_sub(if results.is_empty() {
        0
    } else {
        result_rows + 2
    });

    let off = layout::offset(s.plan_sel, s.data.plan.len(), visible);
    for (i, c) in s.data.plan.iter().enumerate().skip(off).take(visible) {
        let mut spans = Vec::new();
        if let Some(a) = &s.applying {
            spans.push(match a.result_of(c.decision) {
                Some(true) => Span::styled("✓ ", t.ok),
                Some(false) => Span::styled("✗ ", t.error),
                None => Span::styled("· ", t.dim),
            });
        }
        let (id, what, who) = row_parts(c);
        spans.extend([
            Span::styled(id, t.dim),
            Span::raw(what),
            Span::styled(who, t.dim),
        ]);
        let mut line = Line::from(spans);
        if i == s.plan_sel && s.applying.is_none() {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    if !results.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(heading, t.title)));
        // When they do not all fit, one row says how many are left out:
        // the earliest while an apply runs (the latest matter), else the last.
        let cut = results.len() - result_rows;
        let left_out = if cut > 0 { cut + 1 } else { 0 };
        let say_more = |n: usize, which: &str| {
            Line::from(Span::styled(
                format!("… {n} {which}; the audit view (L) lists every result"),
                t.dim,
            ))
        };
        let live = s.applying.is_some();
        if live && left_out > 0 {
            lines.push(say_more(left_out, "earlier"));
        }
        let shown = if live {
            &results[left_out..]
        } else {
            &results[..results.len() - left_out]
        };
        for (ok, text) in shown {
            lines.push(Line::from(vec![
                Span::styled(
                    if *ok { "ok   " } else { "FAIL " },
                    if *ok { t.ok } else { t.error },
                ),
                Span::raw(*text),
            ]));
        }
        if !live && left_out > 0 {
            lines.push(say_more(left_out, "more"));
        }
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// A change's row: its decision id, what it does, who decided it and where.
fn row_parts(c: &crate::apply::Change) -> (String, String, String) {
    (
        format!("#{:<4} ", c.decision),
        c.describe(),
        format!("  (decided by {}, area {})", c.decider, c.area),
    )
}

fn row_text(c: &crate::apply::Change) -> String {
    let (id, what, who) = row_parts(c);
    format!("{id}{what}{who}")
}
