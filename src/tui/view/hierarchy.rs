//! The tree of areas in scope (or of teams led), with pending counts.

use super::text::{clip, width};
use super::widgets::{block, focused};
use crate::tui::derive::TreeNode;
use crate::tui::layout;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::ui::{NodeKey, Pane, TreeTab};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let title = match s.ui.tab {
        TreeTab::Areas => " Areas | teams (t) ",
        TreeTab::Teams => " areas | Teams I lead (t) ",
    };
    let mut b = block(title, focused(s, Pane::Tree), t);
    let inner = b.inner(r);
    let w = inner.width as usize;
    let tree = &s.derived.tree;
    let any_escalated = tree.first().is_some_and(|n| n.escalated > 0);
    let legends: &[&str] = if any_escalated {
        &[
            "  grant/revoke/review !escalated",
            "  grant/revoke/review !escal.",
            "  grant/revoke/review",
            "  +/-/? !escalated",
        ]
    } else {
        &["  grant/revoke/review", "  +/-/?"]
    };
    let legend = legends
        .iter()
        .find(|l| width(l) <= w)
        .map_or_else(|| clip("  +/-/?", w), |l| l.to_string());
    let mut lines = vec![Line::from(Span::styled(legend, t.dim))];
    let visible = inner.height.saturating_sub(1) as usize;
    if tree.len() <= 1 && s.ui.tab == TreeTab::Teams {
        lines.push(Line::from(Span::styled("you lead no team", t.dim)));
    }
    if s.data.scope.roots.is_empty() && s.ui.tab == TreeTab::Areas {
        lines.push(Line::from(Span::styled(
            "no area in your scope: you own none and hold no delegation",
            t.dim,
        )));
    }
    let off = layout::offset(s.ui.tree_sel, tree.len(), visible);
    let mut selected_cut = None;
    for (i, n) in tree.iter().enumerate().skip(off).take(visible) {
        let (spans, left_out) = row(s, n, w, t);
        if !left_out.is_empty() && i == s.ui.tree_sel {
            selected_cut = Some((n, left_out));
        }
        let mut line = Line::from(spans);
        if i == s.ui.tree_sel {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    // What the selected row had to leave out, on the bottom border.
    if let Some((n, left_out)) = selected_cut {
        let text = format!(" {}: {} ", n.label, left_out.join(" "));
        b = b.title_bottom(Line::from(Span::styled(clip(&text, w), t.key)));
    }
    f.render_widget(b, r);
    f.render_widget(Paragraph::new(lines), inner);
}

/// The sensitive tag of an area node, if any.
fn tag_of<'a>(s: &'a State, n: &TreeNode) -> Option<&'a String> {
    match n.key {
        NodeKey::Area(a) => s.data.snap.org.areas[a]
            .tags
            .iter()
            .find(|x| is_sensitive(x)),
        _ => None,
    }
}

/// One node's row in `w` cells, and what it left out. When it does not fit,
/// the delegation note is said shorter (`by helen`), then the counts go,
/// then the escalations, then the tag; the label is cut last.
fn row<'a>(s: &'a State, n: &'a TreeNode, w: usize, t: &Theme) -> (Vec<Span<'a>>, Vec<String>) {
    let marker = match (n.has_children, n.expanded) {
        (false, _) => "  ",
        (true, true) => "▾ ",
        (true, false) => "▸ ",
    };
    let lead = format!("{}{marker}", "  ".repeat(n.depth.saturating_sub(1)));
    let counts = format!(
        " {}/{}/{}",
        n.counts.grant, n.counts.revoke, n.counts.review
    );
    let esc = (n.escalated > 0).then(|| format!(" !{}", n.escalated));
    let tag = tag_of(s, n).map(|x| format!(" {}", x.to_uppercase()));
    let short_note = n.note.strip_prefix("delegated ").unwrap_or(&n.note);
    let note = |short: bool| match (n.note.is_empty(), short) {
        (true, _) => None,
        (false, false) => Some(format!(" ({})", n.note)),
        (false, true) => Some(format!(" ({short_note})")),
    };
    // (counts, escalations, tag, short note) for each try, widest first.
    let tries = [
        (true, true, true, false),
        (true, true, true, true),
        (false, true, true, true),
        (false, false, true, true),
        (false, false, false, true),
    ];
    let base = width(&lead) + width(&n.label);
    let size = |(c, e, g, short): (bool, bool, bool, bool)| {
        base + if c { width(&counts) } else { 0 }
            + if e {
                esc.as_deref().map_or(0, width)
            } else {
                0
            }
            + if g {
                tag.as_deref().map_or(0, width)
            } else {
                0
            }
            + note(short).as_deref().map_or(0, width)
    };
    let pick = tries
        .into_iter()
        .find(|&x| size(x) <= w)
        .unwrap_or(tries[tries.len() - 1]);
    let (c, e, g, short) = pick;
    let mut spans = vec![Span::raw(lead)];
    let room = w.saturating_sub(size(pick) - width(&n.label));
    spans.push(Span::raw(if size(pick) <= w {
        n.label.clone()
    } else {
        clip(&n.label, room.max(4))
    }));
    if c {
        spans.push(Span::styled(
            counts.clone(),
            if n.counts.revoke > 0 { t.revoke } else { t.dim },
        ));
    }
    if e && let Some(x) = esc.clone() {
        spans.push(Span::styled(x, t.alert));
    }
    if g && let Some(x) = tag.clone() {
        spans.push(Span::styled(x, t.alert));
    }
    if let Some(x) = note(short) {
        spans.push(Span::styled(x, t.dim));
    }
    let mut left_out = Vec::new();
    for (shown, part) in [(c, Some(&counts)), (e, esc.as_ref()), (g, tag.as_ref())] {
        if let (false, Some(x)) = (shown, part) {
            left_out.push(x.trim().to_string());
        }
    }
    if size(pick) > w && !n.note.is_empty() {
        left_out.push(n.note.clone());
    }
    (spans, left_out)
}

/// Tags that deserve an alarm wherever the area shows.
pub fn is_sensitive(tag: &str) -> bool {
    matches!(
        tag.to_ascii_lowercase().as_str(),
        "hipaa" | "phi" | "pii" | "pci" | "pci-dss" | "sox" | "gdpr" | "secret" | "prod"
    )
}
