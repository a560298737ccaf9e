//! The queue: pending suggestions for the selection, most urgent first.

use super::{age, block, clip_middle, focused, pad, width};
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
        let mut long = String::new();
        let mut short = String::new();
        if to_me > 0 {
            long += &format!("!{to_me} escalated to you ");
            short += &format!("!{to_me} to you ");
        }
        if above > 0 {
            long += &format!("^{above} overdue ");
            short += &format!("^{above} overdue ");
        }
        // Said shorter when the whole would not fit on the border.
        let room = (r.width as usize).saturating_sub(2);
        title += if width(&title) + width(&long) <= room {
            &long
        } else {
            &short
        };
    }
    let b = block(title, focused(s, Pane::Queue), t);
    let inner = b.inner(r);
    f.render_widget(b, r);
    if inner.height == 0 {
        return;
    }
    let visible = inner.height.saturating_sub(1) as usize;
    let off = layout::offset(s.queue_sel, s.queue.len(), visible);
    let rows: Vec<(usize, usize, String)> = s
        .queue
        .iter()
        .enumerate()
        .skip(off)
        .take(visible)
        .map(|(row, &i)| (row, i, age_of(s, i)))
        .collect();
    let cols = columns(
        inner.width as usize,
        rows.iter().map(|&(_, i, ref age)| {
            let sug = &s.data.suggestions[i];
            (sug.person.as_str(), sug.entitlement.as_str(), age.as_str())
        }),
    );
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "    {} {} {:>aw$}",
            pad("person", cols.person),
            pad("entitlement", cols.entitlement),
            "age",
            aw = cols.age
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
    for (row, i, age) in rows {
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
                pad(&sug.person, cols.person),
                if left { t.revoke } else { t.base },
            ),
            Span::raw(" "),
            Span::raw(pad(
                &clip_middle(&sug.entitlement, cols.entitlement),
                cols.entitlement,
            )),
            Span::raw(" "),
            Span::styled(format!("{age:>aw$}", aw = cols.age), t.dim),
        ]);
        if row == s.queue_sel {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// The widths of the person, entitlement and age columns in `w` cells, for
/// the rows shown (person, entitlement, age).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    pub person: usize,
    pub entitlement: usize,
    pub age: usize,
}

/// Age as wide as its widest value; the person as wide as the longest id
/// when both it and the longest entitlement fit, else at most two fifths
/// of the room; the entitlement the rest (cut in the middle when it must).
pub fn columns<'a>(w: usize, rows: impl Iterator<Item = (&'a str, &'a str, &'a str)>) -> Columns {
    let (mut pmax, mut emax, mut amax) = (width("person"), width("entitlement"), width("age"));
    for (p, e, a) in rows {
        pmax = pmax.max(width(p));
        emax = emax.max(width(e));
        amax = amax.max(width(a));
    }
    // Mark, escalation, kind, then a space before each column.
    let room = w.saturating_sub(6 + amax);
    let person = if pmax + emax <= room {
        pmax
    } else {
        pmax.min((room * 2 / 5).max(6))
    };
    Columns {
        person,
        entitlement: room.saturating_sub(person).max(4),
        age: amax,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_give_what_the_rows_need() {
        let rows = [
            ("greg", "payments-api:deploy", "22mo"),
            ("carlos", "payments-api:logs", "on call"),
        ];
        // Everything fits: the person column as wide as its longest id.
        let c = columns(36, rows.into_iter());
        assert_eq!((c.person, c.age), (6, 7));
        assert_eq!(c.person + c.entitlement + c.age + 6, 36);
        // Too narrow: the entitlements are cut in the middle, still apart.
        let c = columns(30, rows.into_iter());
        let (a, b) = (
            clip_middle(rows[0].1, c.entitlement),
            clip_middle(rows[1].1, c.entitlement),
        );
        assert!(a.ends_with(":deploy") && b.ends_with(":logs"), "{a} {b}");
        assert_eq!(c.person + c.entitlement + c.age + 6, 30);
    }

    #[test]
    fn a_long_person_id_gets_at_most_two_fifths() {
        let rows = [("chloe.zhang.contractor", "payments-api:deploy", "3d")];
        let c = columns(40, rows.into_iter());
        assert_eq!(c.person, (40 - 6 - 3) * 2 / 5);
        assert_eq!(c.person + c.entitlement + c.age + 6, 40);
    }
}
