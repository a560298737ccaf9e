//! Accepted decisions not yet applied, as concrete changes; while an apply
//! runs, each change's mark as it finishes; and the results of the last apply.

use super::text::width;
use super::widgets::{block, detail_pane};
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
    let plan = &s.data.plan;
    let applying = s.status.applying.as_ref();
    let title = match applying {
        Some(a) => format!(
            " Plan: applying, {}/{} change(s) finished ",
            a.steps.len(),
            a.total
        ),
        None => format!(" Plan: {} change(s) to apply (A applies) ", plan.len()),
    };
    let b = block(title, true, t);
    let mut inner = b.inner(r);
    f.render_widget(b, r);
    // The selected change in full below the list when its row is cut.
    if applying.is_none()
        && let Some(c) = plan.get(s.ui.plan_sel)
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
    if plan.is_empty() {
        lines.push(Line::from(Span::styled(
            "Nothing planned. Accept suggestions in the queue (a); they land here until applied.",
            t.dim,
        )));
    }
    let (heading, results) = results(s);
    let plan_rows = plan.len().max(1);
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
    let off = layout::offset(s.ui.plan_sel, plan.len(), visible);
    for (i, c) in plan.iter().enumerate().skip(off).take(visible) {
        let mut spans = Vec::new();
        if let Some(a) = applying {
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
        if i == s.ui.plan_sel && applying.is_none() {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    if !results.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(heading, t.title)));
        lines.extend(result_lines(&results, result_rows, applying.is_some(), t));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// Results: those of the apply under way (latest last), else of the last
/// one (failures first: they are what needs a look).
fn results(s: &State) -> (&'static str, Vec<(bool, &str)>) {
    match &s.status.applying {
        Some(a) => (
            "This apply so far:",
            a.steps
                .iter()
                .map(|st| (st.ok, st.result.as_str()))
                .collect(),
        ),
        None => {
            let mut r: Vec<(bool, &str)> = s
                .status
                .applied
                .iter()
                .map(|x| (x.ok, x.line.as_str()))
                .collect();
            r.sort_by_key(|(ok, _)| *ok);
            ("Last apply:", r)
        }
    }
}

/// `rows` of the results; when they do not all fit, one row says how many
/// are left out: the earliest while an apply runs (the latest matter),
/// else the last.
fn result_lines<'a>(
    results: &[(bool, &'a str)],
    rows: usize,
    live: bool,
    t: &Theme,
) -> Vec<Line<'a>> {
    let cut = results.len() - rows;
    let left_out = if cut > 0 { cut + 1 } else { 0 };
    let say_more = |n: usize, which: &str| {
        Line::from(Span::styled(
            format!("… {n} {which}; the audit view (L) lists every result"),
            t.dim,
        ))
    };
    let mut lines = Vec::new();
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
    lines
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
