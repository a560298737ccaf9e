//! The queue: pending suggestions for the selection, most urgent first.

use super::{age, block, focused};
use crate::model::{Kind, Reason};
use crate::tui::layout;
use crate::tui::state::{Modal, Pane, State};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn kind_letter(k: Kind) -> &'static str {
    match k {
        Kind::Grant => "+",
        Kind::Revoke => "-",
        Kind::Review => "?",
    }
}

/// How long the grant has been held (revoke, review), or when the shift
/// that needs it starts (grant).
pub fn age_of(s: &State, i: usize) -> String {
    let sug = &s.data.suggestions[i];
    let snap = &s.data.snap;
    match sug.kind {
        Kind::Grant if sug.reason == Reason::OnCall => "on call".into(),
        Kind::Grant => {
            crate::tui::derive::next_shift_for_rule(snap, sug, s.now).map_or("-".into(), |st| {
                if st <= s.now {
                    "on call".into()
                } else {
                    format!("in {}", age(st, s.now))
                }
            })
        }
        _ => s
            .held_since
            .get(i)
            .copied()
            .flatten()
            .map_or("-".into(), |at| age(s.now, at)),
    }
}

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let mut title = format!(" Queue {} ", s.queue.len());
    if let Some(shown) = &s.preview {
        // The rows kept from last time, out of what the node counted then.
        let of: usize = s.tree.get(s.tree_sel).map_or(0, |n| match s.kind_filter {
            Some(k) => n.counts[crate::tui::derive::kind_slot(k)],
            None => n.counts.iter().sum(),
        });
        title = format!(
            " Queue {} of {of} (as of {}) ",
            s.queue.len(),
            crate::tui::preview::when(shown.evaluated_at, s.now)
        );
    }
    if let Some(k) = s.kind_filter {
        title += &format!("[{}s] ", k.as_str());
    }
    if !s.filter.is_empty() || matches!(s.modal, Some(Modal::Filter)) {
        title += &format!("/{} ", s.filter);
    }
    if !s.marked.is_empty() {
        title += &format!("{} marked ", s.marked.len());
    }
    if !s.data.escalations.is_empty() {
        let to_me = s.queue.iter().filter(|&&i| s.escalated_to_me(i)).count();
        let above = s
            .queue
            .iter()
            .filter(|&&i| s.escalation(i).is_some() && !s.escalated_to_me(i))
            .count();
        if to_me > 0 {
            title += &format!("!{to_me} escalated to you ");
        }
        if above > 0 {
            title += &format!("^{above} overdue ");
        }
    }
    let b = block(title, focused(s, Pane::Queue), t);
    let inner = b.inner(r);
    f.render_widget(b, r);
    if inner.height == 0 {
        return;
    }
    let w = inner.width as usize;
    let person_w = 10.min(w / 4);
    let age_w = 8;
    let ent_w = w.saturating_sub(person_w + age_w + 6).max(4);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "  {:<1} {:<pw$} {:<ew$} {:>aw$}",
            "",
            "person",
            "entitlement",
            "age",
            pw = person_w,
            ew = ent_w,
            aw = age_w
        ),
        t.dim,
    ))];
    if s.queue.is_empty() {
        let text = if s.filter.is_empty() && s.kind_filter.is_none() {
            "nothing to decide here"
        } else {
            "nothing matches the filter (Esc clears it)"
        };
        lines.push(Line::from(Span::styled(text, t.dim)));
    }
    let visible = inner.height.saturating_sub(1) as usize;
    let off = layout::offset(s.queue_sel, s.queue.len(), visible);
    for (row, &i) in s.queue.iter().enumerate().skip(off).take(visible) {
        let sug = &s.data.suggestions[i];
        let mark = if s.marked.contains(&i) { "●" } else { " " };
        let left = sug.reason == Reason::PersonLeft;
        // `!`: escalated to you; `^`: yours, escalated above you.
        let esc = match s.escalation(i) {
            Some(e) if e.to == s.data.me => "!",
            Some(_) => "^",
            None => " ",
        };
        let mut line = Line::from(vec![
            Span::styled(mark, t.marked),
            if esc == " " {
                Span::raw(esc)
            } else {
                Span::styled(esc, t.alert)
            },
            Span::styled(kind_letter(sug.kind), t.kind(sug.kind)),
            Span::raw(" "),
            Span::styled(
                format!("{:<pw$}", clip(&sug.person, person_w), pw = person_w),
                if left { t.revoke } else { t.base },
            ),
            Span::raw(" "),
            Span::raw(format!(
                "{:<ew$}",
                clip(&sug.entitlement, ent_w),
                ew = ent_w
            )),
            Span::raw(" "),
            Span::styled(format!("{:>aw$}", age_of(s, i), aw = age_w), t.dim),
        ]);
        if row == s.queue_sel {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// At most `w` characters, with `…` when cut.
pub fn clip(text: &str, w: usize) -> String {
    if text.chars().count() <= w {
        return text.to_string();
    }
    let mut out: String = text.chars().take(w.saturating_sub(1)).collect();
    out.push('…');
    out
}
