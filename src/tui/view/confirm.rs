//! Confirmations, prompts, snooze presets: what will happen, before it does.

use super::text::{clip, width};
use super::widgets::field_line;
use crate::model::Person;
use crate::policy::authority::authority;
use crate::store::Offered;
use crate::tui::layout::popup;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::ui::{Confirm, Modal, Picker, Prompt, PromptFor};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

fn boxed<'a>(title: String, t: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(title)
        .title_style(t.title)
}

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let width = 96.min(r.width.saturating_sub(2)).max(20);
    let text_w = width.saturating_sub(2).max(1) as usize;
    let (title, lines): (String, Vec<Line>) = match &s.ui.modal {
        Some(Modal::Confirm(c)) => (format!(" {} ", c.title), confirm(c, t)),
        Some(Modal::Prompt(p)) => prompt(p, text_w, t),
        Some(Modal::Snooze(targets)) => (" Snooze ".to_string(), snooze(targets.len(), t)),
        Some(Modal::Picker(p)) => (
            " Delegate: pick a person ".to_string(),
            picker(s, p, text_w, t),
        ),
        _ => return,
    };
    let height: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(text_w))
        .sum::<usize>()
        + 2;
    let area = popup(r, width, height.min(u16::MAX as usize) as u16);
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(boxed(title, t)),
        area,
    );
}

/// What will happen (area tags loudly), then how to confirm.
fn confirm<'a>(c: &'a Confirm, t: &Theme) -> Vec<Line<'a>> {
    let mut lines: Vec<Line> = c
        .lines
        .iter()
        .map(|l| {
            if l.contains(" is tagged ") {
                Line::from(Span::styled(l.as_str(), t.alert))
            } else {
                Line::from(l.as_str())
            }
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled("y/Enter", t.key),
        Span::raw(" confirm   "),
        Span::styled("n/Esc", t.key),
        Span::raw(" cancel"),
    ]));
    lines
}

/// The question, the input so far, and why it was refused, if it was.
fn prompt<'a>(p: &'a Prompt, w: usize, t: &Theme) -> (String, Vec<Line<'a>>) {
    let mut lines = vec![
        Line::from(p.label.as_str()),
        field_line("> ", &p.input, w, t),
    ];
    if let Some(e) = &p.error {
        lines.push(Line::from(Span::styled(e.as_str(), t.error)));
    }
    lines.push(Line::from(vec![
        Span::styled("Enter", t.key),
        Span::raw(" done   "),
        Span::styled("Esc", t.key),
        Span::raw(" cancel   "),
        Span::styled("Ctrl-U", t.key),
        Span::raw(" clear   "),
        Span::styled("Ctrl-W", t.key),
        Span::raw(" word   "),
        Span::styled("←/→ Ctrl-A/E", t.key),
        Span::raw(" move"),
    ]));
    let title = match &p.purpose {
        PromptFor::Dismiss(_) => " Dismiss ",
        PromptFor::SnoozeUntil(_) => " Snooze ",
        PromptFor::RemoveRule(_) => " Remove rule ",
        PromptFor::UndoAutomatic(_) => " Keep undone ",
        PromptFor::DelegateUntil { .. } => " Delegate ",
    };
    (title.to_string(), lines)
}

fn snooze<'a>(targets: usize, t: &Theme) -> Vec<Line<'a>> {
    vec![
        Line::from(format!(
            "Snooze {} until when? It comes back then, or sooner if the facts change.",
            if targets == 1 {
                "this suggestion".to_string()
            } else {
                format!("{targets} suggestions")
            }
        )),
        Line::from(vec![Span::styled("1", t.key), Span::raw(" one day")]),
        Line::from(vec![Span::styled("2", t.key), Span::raw(" one week")]),
        Line::from(vec![Span::styled("3", t.key), Span::raw(" two weeks")]),
        Line::from(vec![
            Span::styled("4", t.key),
            Span::raw(" until… (a date or a span like 3d)"),
        ]),
        Line::from(vec![Span::styled("Esc", t.key), Span::raw(" cancel")]),
    ]
}

/// The query and the people the whole roster holds for it, ten at a
/// time, nearest the work first, each on one line with their role, team
/// and manager (cut with `…` when narrow), and whether they already have
/// authority over the area (before it is picked).
fn picker<'a>(s: &'a State, p: &'a Picker, w: usize, t: &Theme) -> Vec<Line<'a>> {
    let snap = &s.data.snap;
    let matches = &s.derived.picks;
    let area = &snap.org.areas[p.area].id;
    let mut lines = vec![
        Line::from(format!(
            "Delegate {area} (and everything below it) to whom? Your reports first, then people with access in {area}, then everyone."
        )),
        field_line("> ", &p.query, w, t),
    ];
    let shown = 10;
    let off = crate::tui::layout::offset(p.sel, matches.len(), shown);
    let page: Vec<(usize, &Offered)> = matches
        .iter()
        .enumerate()
        .skip(off)
        .take(shown)
        .filter_map(|(i, &f)| p.found.get(f).map(|o| (i, o)))
        .collect();
    let id_w = page
        .iter()
        .map(|(_, o)| width(&o.person.id))
        .max()
        .unwrap_or(0);
    for (i, offered) in page {
        let person = &offered.person;
        let decides = authority(snap, &person.id, p.area, s.now)
            .map(|a| format!("  already decides it: {}", a.describe()));
        let decides = decides.map(|d| clip(&d, w / 2));
        let room = w.saturating_sub(decides.as_deref().map_or(0, width));
        let mut spans = vec![Span::raw(clip(&about(person, offered, id_w), room))];
        if let Some(d) = decides {
            spans.push(Span::styled(d, t.dim));
        }
        let mut line = Line::from(spans);
        if i == p.sel {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    let pending = p.answered.as_deref() != Some(p.query.value().trim());
    if let Some(e) = &p.error {
        lines.push(Line::from(Span::styled(e.clone(), t.error)));
    } else if matches.is_empty() && pending {
        lines.push(Line::from(Span::styled("searching…", t.dim)));
    } else if matches.is_empty() {
        lines.push(Line::from(Span::styled("nobody matches", t.dim)));
    }
    lines.push(Line::from(vec![
        Span::styled("↑/↓", t.key),
        Span::raw(" choose   "),
        Span::styled("Enter", t.key),
        Span::raw(" pick   "),
        Span::styled("Esc", t.key),
        Span::raw(" cancel"),
    ]));
    lines
}

/// A person on one line: `priya  Priya Raman  Tech Lead, Payments API ·
/// team payments-api · reports to marcus`, their id padded to `id_w`.
/// Names, roles and team ids come from the roster: shown safe.
fn about(person: &Person, offered: &Offered, id_w: usize) -> String {
    let safe = |t: &str| crate::safe_text::terminal_line(t).into_owned();
    let mut parts = vec![format!(
        "{:<id_w$} {}",
        safe(&person.id),
        safe(&person.name)
    )];
    if let Some(title) = &person.title {
        parts.push(safe(title));
    }
    parts.push(
        offered
            .team
            .as_deref()
            .map_or("no team".to_string(), |team| format!("team {}", safe(team))),
    );
    if let Some(m) = &person.manager {
        parts.push(format!("reports to {}", safe(m)));
    }
    let (head, rest) = parts.split_at(1);
    format!("{}  {}", head[0], rest.join(" · "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_shows_a_hostile_role_and_name_visibly_never_raw() {
        let person = Person {
            id: "ana".into(),
            name: "Ana \u{1b}]0;pwned\u{7}".into(),
            title: Some("\u{1b}[31mLead\u{202e}".into()),
            manager: Some("bo".into()),
            ..Default::default()
        };
        let offered = Offered {
            person: person.clone(),
            team: Some("pay".into()),
        };
        let line = about(&person, &offered, 3);
        assert!(!line.chars().any(crate::safe_text::is_unsafe), "{line:?}");
        assert_eq!(
            line,
            "ana Ana \\u{1b}]0;pwned\\u{7}  \\u{1b}[31mLead\\u{202e} · team pay · reports to bo"
        );
    }
}
