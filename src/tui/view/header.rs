//! Who you are, your scope, the data's age per source, and `now`.

use super::text::age;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::ui::View;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let snap = &s.data.snap;
    let me = &s.data.me;
    let name = snap
        .person(me)
        .map_or("(not on the roster)", |p| p.name.as_str());
    let roots: Vec<&str> = s
        .data
        .scope
        .roots
        .iter()
        .map(|&a| snap.org.areas[a].id.as_str())
        .collect();
    let scope = if roots.is_empty() {
        "nothing (owns no area, holds no delegation)".to_string()
    } else {
        roots.join(", ")
    };
    let mut first = vec![
        Span::styled("steward ", t.title),
        Span::styled(format!("{name} ({me})"), t.key),
    ];
    if let Some(role) = crate::demo::PERSONAS
        .iter()
        .find(|(id, _)| !s.personas.is_empty() && id == me)
        .map(|(_, role)| role)
    {
        first.push(Span::styled(format!(", {role} [demo]"), t.dim));
    }
    first.push(Span::raw(format!("  scope: {scope}")));
    let mut second: Vec<Span> = vec![
        Span::styled(format!("now {}", crate::policy::minute(s.now)), t.key),
        Span::styled("  data: ", t.dim),
    ];
    if s.data.sources.is_empty() {
        second.push(Span::styled("no source synced", t.error));
    }
    for (i, src) in s.data.sources.iter().enumerate() {
        if i > 0 {
            second.push(Span::styled(" · ", t.dim));
        }
        let when = src.synced_at.map_or("never synced".to_string(), |at| {
            if at > s.now {
                // `--now` set before the sync: say when, not "future ago".
                format!("synced {} (after now)", crate::policy::minute(at))
            } else {
                format!("{} ago", age(s.now, at))
            }
        });
        second.push(Span::raw(format!("{} {when}", src.name)));
        if let Some(e) = &src.error {
            second.push(Span::styled(
                format!(" STALE (last sync failed: {e})"),
                t.error,
            ));
        }
    }
    // Too long for the line: the reasons are cut, saying where they are
    // read in full (`m`).
    let over = Line::from(second.clone())
        .width()
        .saturating_sub(r.width as usize);
    if over > 0 {
        let stale: Vec<usize> = (0..second.len())
            .filter(|&i| second[i].content.starts_with(" STALE ("))
            .collect();
        let each = over.div_ceil(stale.len().max(1));
        let more = "… m: why)";
        for i in stale {
            let text = second[i].content.to_string();
            let keep = super::text::width(&text).saturating_sub(each + super::text::width(more));
            let head: String = text.chars().take(keep.max(" STALE".len())).collect();
            second[i] = Span::styled(format!("{head}{more}"), t.error);
        }
    }
    let mut lines = vec![Line::from(first), Line::from(second)];
    if r.height >= 3 {
        let tab = |label: String, on: bool| {
            if on {
                Span::styled(format!(" {label} "), t.selected)
            } else {
                Span::styled(format!(" {label} "), t.dim)
            }
        };
        // A preview keeps only the queue's head: the whole count is the
        // tree's, and what it does not keep is not counted yet.
        let (pending, plan, rotations) = match &s.status.preview {
            Some(_) => {
                let all = s.pending_counts().total();
                (all.to_string(), "…".to_string(), "…".to_string())
            }
            None => (
                s.derived
                    .standing
                    .iter()
                    .filter(|x| **x == crate::tui::derive::Standing::Pending)
                    .count()
                    .to_string(),
                s.data.plan.len().to_string(),
                s.derived.index.rotations.len().to_string(),
            ),
        };
        lines.push(Line::from(vec![
            tab(format!("queue {pending}"), s.ui.view == View::Main),
            tab(format!("plan {plan} (P)"), s.ui.view == View::Plan),
            tab("audit (L)".into(), s.ui.view == View::Audit),
            tab(
                format!("rotations {rotations} (O)"),
                s.ui.view == View::Rotations,
            ),
            tab("delegations (V)".into(), s.ui.view == View::Delegations),
            tab("rules (E)".into(), s.ui.view == View::Rules),
        ]));
    }
    f.render_widget(Paragraph::new(lines), r);
}
