//! What the automatic rules applied for the owner (`U`): each change since
//! they last looked (and the week before, dimmed), who, what, which rule,
//! when, the evidence; above it, the areas whose changes a guard holds
//! back and how they go ahead. And the lines under the header that say so.

use super::text::{width, wrap};
use super::widgets::{block, detail_pane};
use crate::model::Decision;
use crate::tui::automatic::new_after;
use crate::tui::layout;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// How many of a held area's changes the view lists (the rest counted).
const HELD_LISTED: usize = 3;

/// The lines under the header: the count since the last look, the banner.
pub fn notices(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    if r.height == 0 {
        return;
    }
    let lines: Vec<Line> = s
        .data
        .automatic
        .notices()
        .into_iter()
        .map(|(text, alarm)| match alarm {
            true => Line::from(vec![
                Span::styled(" HELD BACK ", t.alert),
                Span::styled(format!(" {text}"), t.error),
            ]),
            false => Line::from(Span::styled(text, t.ok)),
        })
        .collect();
    f.render_widget(Paragraph::new(lines), r);
}

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let a = &s.data.automatic;
    let after = s.ui.auto_new_after;
    let new = a.applied.iter().filter(|d| new_after(after, d)).count();
    let since = match after {
        Some(at) => format!("since you last looked, {}", crate::policy::minute(at)),
        None => "(your first look)".into(),
    };
    let b = block(
        format!(" Applied for you by your rules: {new} new {since} "),
        true,
        t,
    );
    let mut inner = b.inner(r);
    f.render_widget(b, r);
    let mut top = held_lines(s, t, inner.width as usize);
    if a.applied.is_empty() {
        let none = "Your automatic rules changed nothing in your scope lately (apply = \"auto\" on a rule; `steward reconcile` runs them).";
        for part in wrap(none, inner.width as usize) {
            top.push(Line::from(Span::styled(part, t.dim)));
        }
    }
    // The held areas take half the view, all of it when nothing was applied.
    let room = match a.applied.is_empty() {
        true => inner.height,
        false => inner.height / 2,
    };
    let h = (top.len() as u16).min(room);
    f.render_widget(Paragraph::new(top), Rect { height: h, ..inner });
    inner.y += h;
    inner.height -= h;
    if let Some(d) = a.shown().nth(s.ui.auto_sel) {
        inner = detail_pane(f, t, inner, &in_full(d));
    }
    let visible = inner.height as usize;
    let off = layout::offset(s.ui.auto_sel, a.applied.len(), visible);
    let mut lines = Vec::new();
    for (i, d) in a.shown().enumerate().skip(off).take(visible) {
        let fresh = new_after(after, d);
        let sug = &d.suggestion;
        let mut line = Line::from(vec![
            Span::styled(if fresh { "new " } else { "    " }, t.ok),
            Span::styled(
                format!(
                    "{} ",
                    d.applied_at.map(crate::policy::minute).unwrap_or_default()
                ),
                t.dim,
            ),
            Span::styled(format!("{:<6} ", sug.kind.as_str()), t.kind(sug.kind)),
            Span::raw(format!("{} -> {}", sug.person, sug.entitlement)),
            Span::styled(
                format!(
                    "  rule {} ({})",
                    sug.rule.as_deref().unwrap_or("?"),
                    d.decider
                ),
                t.dim,
            ),
        ]);
        if !fresh {
            line = line.style(t.dim);
        }
        if i == s.ui.auto_sel {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// Each held area: why (wrapped to `w`), and its first changes.
fn held_lines<'a>(s: &State, t: &Theme, w: usize) -> Vec<Line<'a>> {
    const MARK: &str = " HELD BACK ";
    let mut out = Vec::new();
    for h in &s.data.automatic.held {
        let text = format!(" area {}: {}", h.area, h.reason);
        let room = w.saturating_sub(width(MARK)).max(1);
        for (i, part) in wrap(&text, room).into_iter().enumerate() {
            let lead = match i {
                0 => Span::styled(MARK, t.alert),
                _ => Span::raw(" ".repeat(width(MARK))),
            };
            out.push(Line::from(vec![lead, Span::styled(part, t.error)]));
        }
        for c in h.changes.iter().take(HELD_LISTED) {
            out.push(Line::from(Span::styled(format!("    {c}"), t.dim)));
        }
        if h.changes.len() > HELD_LISTED {
            let more = h.changes.len() - HELD_LISTED;
            out.push(Line::from(Span::styled(
                format!("    … and {more} more (`steward reconcile --dry-run` lists them)"),
                t.dim,
            )));
        }
    }
    out
}

/// The selected change in full: who, what, which rule, when, the evidence.
fn in_full(d: &Decision) -> Vec<String> {
    let sug = &d.suggestion;
    let mut out = vec![
        format!(
            "#{} {} {} -> {} in area {}, carried out {}",
            d.id,
            sug.kind.as_str(),
            sug.person,
            sug.entitlement,
            sug.area,
            d.applied_at.map(crate::policy::minute).unwrap_or_default()
        ),
        format!(
            "by rule {}, with the consent of its author {}",
            sug.rule.as_deref().unwrap_or("?"),
            d.decider
        ),
        format!("evidence: {}", sug.evidence),
    ];
    if let Some(r) = &d.result {
        out.push(format!("result: {r}"));
    }
    out
}
