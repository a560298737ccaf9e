//! The context card: everything the organization knows that matters to
//! this decision. In a walkthrough it takes the whole body, with progress.

use super::hierarchy::is_sensitive;
use super::widgets::{block, focused};
use crate::model::*;
use crate::policy::explain::area_chain;
use crate::policy::{Authority, authority, day, gate, minute, qualify::rule_counts};
use crate::tui::derive::Standing;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::ui::Pane;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let title = match &s.ui.walk {
        Some(w) => format!(
            " Walkthrough: {}  {}/{} ",
            w.title,
            w.pos + 1,
            w.items.len()
        ),
        None => " Card ".to_string(),
    };
    let b = block(title, s.ui.walk.is_some() || focused(s, Pane::Card), t);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let Some(i) = s.current() else {
        let text = if s.data.suggestions.is_empty() {
            "Nothing to decide in your scope."
        } else {
            "Select a suggestion in the queue."
        };
        f.render_widget(Paragraph::new(Span::styled(text, t.dim)), inner);
        return;
    };
    let lines = lines(s, t, i);
    let scroll = s.ui.card_scroll.min(max_scroll(s));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
}

/// Where the card is drawn on a screen of the console's size: the whole
/// body in a walkthrough, else its pane.
fn area(s: &State) -> Rect {
    let a = crate::tui::layout::of(s);
    super::widgets::inner(if s.ui.walk.is_some() { a.body } else { a.card })
}

/// The furthest the card scrolls: its last line at the pane's bottom (0
/// when it fits). Scrolling stops there, as drawn.
pub fn max_scroll(s: &State) -> u16 {
    let Some(i) = s.current() else {
        return 0;
    };
    let r = area(s);
    let rows = Paragraph::new(lines(s, &Theme::mono(), i))
        .wrap(Wrap { trim: false })
        .line_count(r.width);
    rows.saturating_sub(r.height as usize)
        .min(u16::MAX as usize) as u16
}

fn section<'a>(title: &'a str, t: &Theme) -> Line<'a> {
    Line::from(Span::styled(title, t.title))
}

/// The card of suggestion `i`: what, why, the area, the rule, the grant
/// as held, the person, and the justification.
pub fn lines<'a>(s: &'a State, t: &Theme, i: usize) -> Vec<Line<'a>> {
    let mut out: Vec<Line> = head(s, t, i);
    // The full chain (`w`) right under what is suggested, where the eye is.
    if let Some(w) = s.derived.why.as_ref().filter(|w| w.suggestion == i) {
        out.push(Line::default());
        out.push(section("justification chain (steward why; w closes)", t));
        out.extend(
            w.lines
                .iter()
                .map(|l| Line::from(Span::styled(l.as_str(), t.key))),
        );
    }
    out.extend(area_lines(s, t, i));
    out.push(Line::default());
    out.push(section("rule", t));
    out.extend(rule(s, t, i));
    out.extend(held(s, i));
    out.push(Line::default());
    out.push(section("person", t));
    out.extend(person(s, t, i));
    out.push(Line::default());
    out.push(section("justification", t));
    out.extend(justification(s, t, i));
    out
}

/// What is suggested, its evidence, and its escalation.
fn head<'a>(s: &'a State, t: &Theme, i: usize) -> Vec<Line<'a>> {
    let sug = &s.data.suggestions[i];
    let verb = match sug.kind {
        Kind::Grant => "GRANT",
        Kind::Revoke => "REVOKE",
        Kind::Review => "REVIEW",
    };
    let mut head = vec![
        Span::styled(
            verb,
            t.kind(sug.kind)
                .add_modifier(ratatui::style::Modifier::BOLD),
        ),
        Span::raw(format!(" {} -> {}", sug.person, sug.entitlement)),
        Span::styled(format!("  ({})", sug.reason.as_str()), t.dim),
    ];
    match s.decision(i) {
        Some(d) if d.decider != s.data.me => head.push(Span::styled(
            format!(
                "  decided: {} by {} at {}",
                d.verdict.as_str(),
                d.decider,
                crate::policy::minute(d.at)
            ),
            t.ok,
        )),
        _ => {
            if let Some(Standing::Decided(v)) = s.standing(i) {
                head.push(Span::styled(format!("  decided: {}", v.as_str()), t.ok));
            }
        }
    }
    let mut out = vec![Line::from(head), Line::from(sug.evidence.as_str())];
    out.extend(own_access(s, t, i));
    if let Some(e) = s.escalation(i) {
        let days = |n: i64| format!("{n} day{}", if n == 1 { "" } else { "s" });
        let (label, text) = if e.to == s.data.me {
            (
                " ESCALATED to you ",
                format!(
                    " from {} (owner of {}): undecided {} since {}, past {}'s escalate_days {}; you own {}",
                    e.owner,
                    e.suggestion.area,
                    days(e.age_days),
                    day(e.waiting_since),
                    e.suggestion.area,
                    e.escalate_days,
                    e.to_area
                ),
            )
        } else {
            (
                " OVERDUE ",
                format!(
                    " undecided {} since {} (escalate_days {}); escalated from {} to {} (owner of {})",
                    days(e.age_days),
                    day(e.waiting_since),
                    e.escalate_days,
                    e.owner,
                    e.to,
                    e.to_area
                ),
            )
        };
        out.push(Line::from(vec![
            Span::styled(label, t.alert),
            Span::styled(text, t.error),
        ]));
    }
    out
}

/// When the suggestion is about `me`'s own access: who decides it instead
/// (nobody decides about their own access), or, for the owner of the whole
/// way up, that it is theirs and audited as such.
fn own_access<'a>(s: &'a State, t: &Theme, i: usize) -> Option<Line<'a>> {
    let sug = &s.data.suggestions[i];
    let me = &s.data.me;
    if sug.person != *me {
        return None;
    }
    let area = s.data.snap.area_idx(&sug.area)?;
    let text = match gate::who_decides(&s.data.snap, me, area) {
        Some(d) => format!(" nobody decides about their own access: {d} decides this one"),
        None => " you own every area above it: yours to decide, audited as self".to_string(),
    };
    Some(Line::from(vec![
        Span::styled(" YOUR OWN ACCESS ", t.alert),
        Span::raw(text),
    ]))
}

/// The area: tags and notes first, loudly; the entitlement.
fn area_lines<'a>(s: &'a State, t: &Theme, i: usize) -> Vec<Line<'a>> {
    let snap = &s.data.snap;
    let sug = &s.data.suggestions[i];
    let Some(a) = snap.area(&sug.area) else {
        return Vec::new();
    };
    let mut tags: Vec<Span> = vec![Span::styled("area ", t.title)];
    tags.push(Span::raw(format!("{} ({}) ", a.id, a.name)));
    for tag in &a.tags {
        let style = if is_sensitive(tag) { t.alert } else { t.key };
        tags.push(Span::styled(format!(" {} ", tag.to_uppercase()), style));
        tags.push(Span::raw(" "));
    }
    let mut out = vec![Line::from(tags)];
    if !a.notes.is_empty() {
        out.push(Line::from(Span::styled(
            format!("notes: {}", a.notes),
            if a.tags.iter().any(|x| is_sensitive(x)) {
                t.error
            } else {
                t.base
            },
        )));
    }
    if let Some(e) = snap.entitlement(&sug.entitlement) {
        out.push(Line::from(format!(
            "entitlement: {}{}",
            e.name,
            e.upstream
                .as_ref()
                .map(|u| format!(" (upstream {u})"))
                .unwrap_or_default()
        )));
    }
    out
}

/// The rule and its author's why, and whether it counts.
fn rule<'a>(s: &'a State, t: &Theme, i: usize) -> Vec<Line<'a>> {
    let snap = &s.data.snap;
    let sug = &s.data.suggestions[i];
    let Some(rule) = sug.rule.as_deref().and_then(|r| snap.rule(r)) else {
        return vec![match &sug.rule {
            Some(r) => Line::from(format!("{r} (no longer exists)")),
            None => Line::from(Span::styled("none: no rule justifies this grant", t.dim)),
        }];
    };
    let mut out = vec![Line::from(format!(
        "{} by {}{}",
        rule.id,
        rule.author,
        if rule.only_while_oncall {
            ", only while on call"
        } else {
            ""
        }
    ))];
    if !rule.why.is_empty() {
        out.push(Line::from(Span::styled(
            format!("why: \"{}\"", rule.why),
            t.key,
        )));
    }
    let authority = match rule_counts(snap, rule, s.now) {
        Ok(Authority::Owner { area }) => format!("author is owner of area {area}"),
        Ok(a) => format!("author is {}", a.describe()),
        Err(nc) => format!("DOES NOT COUNT: {}", nc.describe(rule)),
    };
    out.push(Line::from(Span::styled(authority, t.dim)));
    out
}

/// The grants behind the suggestion, as held.
fn held<'a>(s: &'a State, i: usize) -> Vec<Line<'a>> {
    let snap = &s.data.snap;
    let held = s
        .derived
        .index
        .held_grants
        .get(i)
        .map_or(&[][..], |v| v.as_slice());
    held.iter()
        .filter_map(|&gi| snap.org.grants.get(gi))
        .map(|g| {
            Line::from(format!(
                "holds since {}, granted by {}, basis {}{}{}",
                day(g.granted_at),
                g.granted_by.as_deref().unwrap_or("(unknown)"),
                g.basis,
                g.expires
                    .map(|x| format!(", expires {}", day(x)))
                    .unwrap_or_default(),
                g.through
                    .as_ref()
                    .map(|t| format!(", through {t}"))
                    .unwrap_or_default()
            ))
        })
        .collect()
}

/// The person: who (and their role), teams and manager, trainings, shifts.
fn person<'a>(s: &'a State, t: &Theme, i: usize) -> Vec<Line<'a>> {
    let snap = &s.data.snap;
    let sug = &s.data.suggestions[i];
    let Some(p) = snap.person(&sug.person) else {
        return vec![Line::from(format!("{} is not on the roster", sug.person))];
    };
    let status = match p.status {
        Status::Left => Span::styled(" LEFT ", t.alert),
        Status::Active => Span::styled("active", t.ok),
    };
    let role = p
        .title
        .as_deref()
        .map(|r| format!(", {r}"))
        .unwrap_or_default();
    let mut out = vec![Line::from(vec![
        Span::raw(format!("{} ({}){role} {} ", p.name, p.id, p.email)),
        status,
    ])];
    let teams: Vec<&str> = s
        .derived
        .index
        .teams_listed(&p.id)
        .map(|t| snap.org.teams[t].id.as_str())
        .collect();
    out.push(Line::from(format!(
        "teams: {}  manager: {}",
        if teams.is_empty() {
            "none".to_string()
        } else {
            teams.join(", ")
        },
        p.manager.as_deref().unwrap_or("none")
    )));
    if let Some(pi) = snap.person_idx(&p.id) {
        let trainings: Vec<String> = snap
            .trainings_of(pi)
            .map(|tr| {
                let exp = match tr.expires {
                    Some(x) if x <= s.now => format!(", EXPIRED {}", day(x)),
                    Some(x) => format!(", expires {}", day(x)),
                    None => String::new(),
                };
                format!("{} ({}{exp})", tr.course, day(tr.completed))
            })
            .collect();
        out.push(Line::from(format!(
            "trainings: {}",
            if trainings.is_empty() {
                "none".to_string()
            } else {
                trainings.join("; ")
            }
        )));
    }
    out.extend(shifts(s, &p.id));
    out
}

/// The person's recent and upcoming shifts (four at most), on call marked.
fn shifts<'a>(s: &'a State, person: &str) -> Vec<Line<'a>> {
    let snap = &s.data.snap;
    let now = s.now;
    let mine = snap
        .person_idx(person)
        .into_iter()
        .flat_map(|pi| s.derived.index.shifts_listed(pi));
    let mut shifts: Vec<(&str, &Shift)> = mine
        .filter_map(|r| {
            let rot = snap.org.rotations.get(r.rotation as usize)?;
            Some((rot.id.as_str(), rot.shifts.get(r.shift as usize)?))
        })
        .filter(|(_, sh)| sh.end > now - chrono::Duration::days(14))
        .collect();
    shifts.sort_by_key(|(_, sh)| sh.start);
    if shifts.is_empty() {
        return vec![Line::from("shifts: none recent or upcoming")];
    }
    shifts
        .iter()
        .take(4)
        .map(|(rot, sh)| {
            let when = if sh.start <= now && now < sh.end {
                " ON CALL NOW"
            } else if sh.end <= now {
                " (ended)"
            } else {
                ""
            };
            Line::from(format!(
                "shift {rot}: {} -> {}{when}",
                minute(sh.start),
                minute(sh.end)
            ))
        })
        .collect()
}

/// The area chain, `me`'s authority, and the full chain when open (`w`).
fn justification<'a>(s: &'a State, t: &Theme, i: usize) -> Vec<Line<'a>> {
    let snap = &s.data.snap;
    let sug = &s.data.suggestions[i];
    let mut out = Vec::new();
    let open = s.derived.why.as_ref().is_some_and(|w| w.suggestion == i);
    if let Some(a) = snap.area_idx(&sug.area) {
        // The open chain above says it already.
        if !open {
            out.push(Line::from(format!("area chain: {}", area_chain(snap, a))));
        }
        let me = &s.data.me;
        let mine = match authority(snap, me, a, s.now) {
            Some(Authority::Owner { area }) => format!("you ({me}) own area {area}"),
            Some(d) => format!("you ({me}) are {}", d.describe()),
            None => format!("you ({me}) have NO authority here"),
        };
        out.push(Line::from(mine));
    }
    out.push(Line::from(Span::styled(
        if open {
            "the full chain is at the top of this card (w closes it)"
        } else {
            "w: the full chain (steward why)"
        },
        t.dim,
    )));
    out
}
