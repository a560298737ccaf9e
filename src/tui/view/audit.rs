//! Recent audit entries: who, what, when, why.

use super::text::width;
use super::widgets::{block, detail_pane};
use crate::tui::layout;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let b = block(
        format!(" Audit log: newest {} entries ", s.data.audit.len()),
        true,
        t,
    );
    let mut inner = b.inner(r);
    f.render_widget(b, r);
    // The selected entry in full below the list when its row is cut.
    if let Some(e) = s.data.audit.get(s.ui.audit_sel) {
        let (seq, at, actor, action, detail) = row_parts(e);
        if width(&format!("{seq}{at}{actor}{action}{detail}")) > inner.width as usize {
            let full = [
                format!("#{}  {}  {}  {}", e.seq, at.trim_end(), e.actor, e.action),
                detail,
            ];
            inner = detail_pane(f, t, inner, &full);
        }
    }
    let mut lines = Vec::new();
    if s.data.audit.is_empty() {
        lines.push(Line::from(Span::styled("The audit log is empty.", t.dim)));
    }
    let visible = inner.height as usize;
    let off = layout::offset(s.ui.audit_sel, s.data.audit.len(), visible);
    for (i, e) in s.data.audit.iter().enumerate().skip(off).take(visible) {
        let (seq, at, actor, action, detail) = row_parts(e);
        let mut line = Line::from(vec![
            Span::styled(seq, t.dim),
            Span::raw(at),
            Span::styled(actor, t.key),
            Span::raw(action),
            Span::raw(detail),
        ]);
        if i == s.ui.audit_sel {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// An entry's row: sequence number, when, who, what, and its detail.
fn row_parts(e: &crate::store::AuditEntry) -> (String, String, String, String, String) {
    (
        format!("{:>5} ", e.seq),
        format!("{} ", crate::policy::minute(e.at)),
        format!("{:<8} ", e.actor),
        format!("{:<8} ", e.action),
        summarize(&e.detail),
    )
}

/// The parts of an entry's JSON detail a person reads first.
pub fn summarize(detail: &str) -> String {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(detail) else {
        return detail.to_string();
    };
    let get = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let mut parts = Vec::new();
    for k in ["verdict", "kind", "person", "entitlement"] {
        if let Some(x) = get(k) {
            parts.push(x);
        }
    }
    for k in ["note", "reason", "result", "source"] {
        if let Some(x) = get(k) {
            parts.push(format!("{k}: {x}"));
        }
    }
    if parts.is_empty() {
        detail.to_string()
    } else {
        parts.join(" ")
    }
}
