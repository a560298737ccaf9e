//! Recent audit entries: who, what, when, why.

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
        format!(" Audit log: newest {} entries ", s.data.audit.len()),
        true,
        t,
    );
    let inner = b.inner(r);
    f.render_widget(b, r);
    let mut lines = Vec::new();
    if s.data.audit.is_empty() {
        lines.push(Line::from(Span::styled("The audit log is empty.", t.dim)));
    }
    let visible = inner.height as usize;
    let off = layout::offset(s.audit_sel, s.data.audit.len(), visible);
    for (i, e) in s.data.audit.iter().enumerate().skip(off).take(visible) {
        let detail = summarize(&e.detail);
        let mut line = Line::from(vec![
            Span::styled(format!("{:>5} ", e.seq), t.dim),
            Span::raw(format!("{} ", crate::policy::minute(e.at))),
            Span::styled(format!("{:<8} ", e.actor), t.key),
            Span::raw(format!("{:<8} ", e.action)),
            Span::raw(detail),
        ]);
        if i == s.audit_sel {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
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
