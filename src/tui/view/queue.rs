//! The queue: pending suggestions for the selection, most urgent first.

use super::text::{age, clip, clip_middle, pad, width, wrap};
use super::widgets::{block, field_line, focused};
use crate::model::{Kind, Reason};
use crate::tui::layout;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::ui::{Modal, Pane};
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
        Kind::Grant => crate::tui::derive::urgency::next_shift_for_rule(snap, sug, s.now).map_or(
            "-".into(),
            |st| {
                if st <= s.now {
                    "on call".into()
                } else {
                    format!("in {}", age(st, s.now))
                }
            },
        ),
        _ => s
            .derived
            .index
            .held_since
            .get(i)
            .copied()
            .flatten()
            .map_or("-".into(), |at| age(s.now, at)),
    }
}

/// The title: how many, the filters, marks, and escalations; while the
/// filter is typed, its text with the cursor.
fn title<'a>(s: &State, r: Rect, t: &Theme) -> Line<'a> {
    let text = title_text(s, r);
    if !matches!(s.ui.modal, Some(Modal::Filter)) {
        return Line::from(text);
    }
    // The typed filter is drawn as a field: the text around its cursor.
    let typed = format!("/{} ", s.ui.filter);
    let (head, tail) = text.split_once(&typed).unwrap_or((&text, ""));
    let room = (r.width as usize).saturating_sub(2 + width(head) + 1 + width(tail));
    let mut spans = vec![Span::raw(head.to_string())];
    spans.extend(field_line("/", &s.ui.filter, room.max(2), t).spans);
    // At the end, the cursor's cell is the space before what follows.
    let at_end = s.ui.filter.cursor() == s.ui.filter.value().chars().count();
    spans.push(Span::raw(if at_end {
        tail.to_string()
    } else {
        format!(" {tail}")
    }));
    Line::from(spans)
}

fn title_text(s: &State, r: Rect) -> String {
    let queue = &s.derived.queue;
    let mut title = format!(" Queue {} ", queue.len());
    if let Some(shown) = &s.status.preview {
        // The rows kept from last time, out of what the node counted then.
        let of: usize = s
            .derived
            .tree
            .get(s.ui.tree_sel)
            .map_or(0, |n| match s.ui.kind_filter {
                Some(k) => n.counts.of(k),
                None => n.counts.total(),
            });
        title = format!(
            " Queue {} of {of} (as of {}) ",
            queue.len(),
            crate::tui::preview::when(shown.evaluated_at, s.now)
        );
    }
    if let Some(k) = s.ui.kind_filter {
        title += &format!("[{}s] ", k.as_str());
    }
    if !s.ui.filter.is_empty() || matches!(s.ui.modal, Some(Modal::Filter)) {
        title += &format!("/{} ", s.ui.filter);
    }
    if !s.ui.marked.is_empty() {
        title += &format!("{} marked ", s.ui.marked.len());
    }
    if !s.data.escalations.is_empty() {
        let to_me = queue.iter().filter(|&&i| s.escalated_to_me(i)).count();
        let above = queue
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
    title
}

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let b = block(title(s, r, t), focused(s, Pane::Queue), t);
    let inner = b.inner(r);
    f.render_widget(b, r);
    if inner.height == 0 {
        return;
    }
    let queue = &s.derived.queue;
    let visible = inner.height.saturating_sub(1) as usize;
    let off = layout::offset(s.ui.queue_sel, queue.len(), visible);
    let rows: Vec<(usize, usize, String)> = queue
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
    let evidence = match cols.evidence {
        0 => String::new(),
        w => format!("  {}", pad("evidence (the card has it whole)", w)),
    };
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "    {} {} {:>aw$}{evidence}",
            pad("person", cols.person),
            pad("entitlement", cols.entitlement),
            "age",
            aw = cols.age
        ),
        t.dim,
    ))];
    if queue.is_empty() {
        let text = if s.ui.filter.is_empty() && s.ui.kind_filter.is_none() {
            "nothing to decide here"
        } else {
            "nothing matches the filter (Esc clears it)"
        };
        // Wrapped, never cut: a narrow pane shows it on several lines.
        for part in wrap(text, inner.width as usize) {
            lines.push(Line::from(Span::styled(part, t.dim)));
        }
    }
    for (row, i, age) in rows {
        let mut line = row_line(s, t, i, &age, cols);
        if row == s.ui.queue_sel {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// One row: its marks, kind, person, entitlement and age. `*` after the
/// kind: about your own access, which someone else decides (the card says
/// who). `=`: someone else decided it while it was shown (the card says
/// who and when).
fn row_line<'a>(s: &'a State, t: &Theme, i: usize, age: &str, cols: Columns) -> Line<'a> {
    let sug = &s.data.suggestions[i];
    let elsewhere = s.ui.decided_elsewhere.contains(&i);
    let mark = if s.ui.marked.contains(&i) {
        "●"
    } else if elsewhere {
        "="
    } else {
        " "
    };
    let left = sug.reason == Reason::PersonLeft;
    // `!`: escalated to you; `^`: yours, escalated above you.
    let esc = match s.escalation(i) {
        Some(e) if e.to == s.data.me => "!",
        Some(_) => "^",
        None => " ",
    };
    let evidence = match cols.evidence {
        0 => Span::raw(""),
        w => Span::styled(format!("  {}", clip(&sug.evidence, w)), t.dim),
    };
    let text = if elsewhere { t.dim } else { t.base };
    Line::from(vec![
        Span::styled(mark, if elsewhere { t.ok } else { t.marked }),
        if esc == " " {
            Span::raw(esc)
        } else {
            Span::styled(esc, t.alert)
        },
        Span::styled(kind_letter(sug.kind), t.kind(sug.kind)),
        if sug.person == s.data.me {
            Span::styled("*", t.alert)
        } else {
            Span::raw(" ")
        },
        Span::styled(
            pad(&sug.person, cols.person),
            if left { t.revoke } else { text },
        ),
        Span::raw(" "),
        Span::styled(
            pad(
                &clip_middle(&sug.entitlement, cols.entitlement),
                cols.entitlement,
            ),
            text,
        ),
        Span::raw(" "),
        Span::styled(format!("{age:>aw$}", aw = cols.age), t.dim),
        evidence,
    ])
}

/// The widths of the person, entitlement, age and evidence columns in `w`
/// cells, for the rows shown (person, entitlement, age); evidence 0 when
/// it is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    pub person: usize,
    pub entitlement: usize,
    pub age: usize,
    pub evidence: usize,
}

/// The least room worth an evidence column (two spaces before it).
const EVIDENCE_MIN: usize = 24;

/// Age as wide as its widest value; the person as wide as the longest id
/// when both it and the longest entitlement fit, else at most two fifths
/// of the room; the entitlement the rest (cut in the middle when it must).
/// On a wide pane the entitlement takes what its longest needs, age
/// follows it, and the room left shows each row's evidence.
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
    let entitlement = room.saturating_sub(person).max(4);
    let spare = entitlement.saturating_sub(emax);
    if spare >= EVIDENCE_MIN + 2 {
        return Columns {
            person,
            entitlement: emax,
            age: amax,
            evidence: spare - 2,
        };
    }
    Columns {
        person,
        entitlement,
        age: amax,
        evidence: 0,
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

    #[test]
    fn a_wide_pane_keeps_age_beside_the_entitlement_and_shows_evidence() {
        let rows = [
            ("greg", "payments-api:deploy", "22mo"),
            ("carlos", "payments-api:logs", "on call"),
        ];
        let c = columns(120, rows.into_iter());
        assert_eq!((c.person, c.entitlement, c.age), (6, 19, 7));
        assert_eq!(c.person + c.entitlement + c.age + 6 + 2 + c.evidence, 120);
        // Not enough room for evidence worth reading: none, as before.
        assert_eq!(columns(60, rows.into_iter()).evidence, 0);
    }
}
