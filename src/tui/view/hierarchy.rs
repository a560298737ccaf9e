//! The tree of areas in scope (or of teams led), with pending counts.

use super::{block, focused};
use crate::tui::layout;
use crate::tui::state::{NodeKey, Pane, State, TreeTab};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let title = match s.tab {
        TreeTab::Areas => " Areas | teams (t) ",
        TreeTab::Teams => " areas | Teams I lead (t) ",
    };
    let b = block(title, focused(s, Pane::Tree), t);
    let inner = b.inner(r);
    f.render_widget(b, r);
    if inner.height == 0 {
        return;
    }
    let any_escalated = s.tree.first().is_some_and(|n| n.escalated > 0);
    let legend = if any_escalated {
        "  grant/revoke/review !escalated"
    } else {
        "  grant/revoke/review"
    };
    let mut lines = vec![Line::from(Span::styled(legend, t.dim))];
    let visible = inner.height.saturating_sub(1) as usize;
    if s.tree.len() <= 1 && s.tab == TreeTab::Teams {
        lines.push(Line::from(Span::styled("you lead no team", t.dim)));
    }
    if s.data.scope.roots.is_empty() && s.tab == TreeTab::Areas {
        lines.push(Line::from(Span::styled(
            "no area in your scope: you own none and hold no delegation",
            t.dim,
        )));
    }
    let off = layout::offset(s.tree_sel, s.tree.len(), visible);
    for (i, n) in s.tree.iter().enumerate().skip(off).take(visible) {
        let marker = match (n.has_children, n.expanded) {
            (false, _) => "  ",
            (true, true) => "▾ ",
            (true, false) => "▸ ",
        };
        let indent = "  ".repeat(n.depth.saturating_sub(1));
        let counts = format!(" {}/{}/{}", n.counts[0], n.counts[1], n.counts[2]);
        let mut spans = vec![
            Span::raw(format!("{indent}{marker}")),
            Span::raw(n.label.clone()),
            Span::styled(counts, if n.counts[1] > 0 { t.revoke } else { t.dim }),
        ];
        if n.escalated > 0 {
            spans.push(Span::styled(format!(" !{}", n.escalated), t.alert));
        }
        if let NodeKey::Area(a) = n.key
            && let Some(tag) = s.data.snap.org.areas[a]
                .tags
                .iter()
                .find(|x| is_sensitive(x))
        {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(tag.to_uppercase(), t.alert));
        }
        if !n.note.is_empty() {
            spans.push(Span::styled(format!(" ({})", n.note), t.dim));
        }
        let mut line = Line::from(spans);
        if i == s.tree_sel {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// Tags that deserve an alarm wherever the area shows.
pub fn is_sensitive(tag: &str) -> bool {
    matches!(
        tag.to_ascii_lowercase().as_str(),
        "hipaa" | "phi" | "pii" | "pci" | "pci-dss" | "sox" | "gdpr" | "secret" | "prod"
    )
}
