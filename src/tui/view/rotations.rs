//! Rotations in scope: who is on call now, the next 14 days as a timeline,
//! and readiness: shifts that start without an entitlement a rule will give.

use super::text::{clip, pad, width};
use super::widgets::{block, detail_pane};
use crate::model::{Time, Verdict};
use crate::tui::derive::{HORIZON_DAYS, Readiness, Ready};
use crate::tui::state::State;
use crate::tui::theme::Theme;
use chrono::Duration;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let b = block(
        format!(" Rotations: on call now and the next {HORIZON_DAYS} days "),
        false,
        t,
    );
    let lines = timelines(s, t);
    // The timelines take what they need, up to three fifths; readiness the rest.
    let top_h = (lines.len() as u16 + 2).min(r.height * 3 / 5);
    let [top, bottom] = Layout::vertical([Constraint::Length(top_h), Constraint::Min(0)]).areas(r);
    let inner = b.inner(top);
    f.render_widget(b, top);
    f.render_widget(Paragraph::new(lines), inner);
    readiness(s, t, f, bottom);
}

/// Each rotation in view: who is on call now, and a day-by-day strip of
/// each member's shifts over the horizon.
fn timelines(s: &State, t: &Theme) -> Vec<Line<'static>> {
    let snap = &s.data.snap;
    let now = s.now;
    let rotations = &s.derived.index.rotations;
    let mut lines = Vec::new();
    if rotations.is_empty() {
        lines.push(Line::from(Span::styled(
            "No rotation feeds a rule in your scope, and you lead no rotation's team.",
            t.dim,
        )));
    }
    let day0 = now.date_naive().and_time(chrono::NaiveTime::MIN).and_utc();
    let ruler = ruler(day0);
    for &ri in rotations {
        let rot = &snap.org.rotations[ri];
        let on_call: Vec<&str> = rot
            .shifts
            .iter()
            .filter(|sh| sh.start <= now && now < sh.end)
            .map(|sh| sh.person.as_str())
            .collect();
        lines.push(Line::from(vec![
            Span::styled(rot.id.clone(), t.title),
            Span::raw(format!(" ({})  on call now: ", rot.name)),
            Span::styled(
                if on_call.is_empty() {
                    "nobody".to_string()
                } else {
                    on_call.join(", ")
                },
                t.key,
            ),
        ]));
        lines.push(Line::from(Span::styled(ruler.clone(), t.dim)));
        let mut people: Vec<&str> = rot
            .shifts
            .iter()
            .filter(|sh| sh.end > now && sh.start < day0 + Duration::days(HORIZON_DAYS))
            .map(|sh| sh.person.as_str())
            .collect();
        people.sort();
        people.dedup();
        for p in people {
            let mut bar = String::new();
            for d in 0..HORIZON_DAYS {
                let (a, b) = (day0 + Duration::days(d), day0 + Duration::days(d + 1));
                let on = rot
                    .shifts
                    .iter()
                    .any(|sh| sh.person == p && sh.start < b && sh.end > a);
                bar.push(if on { '█' } else { '·' });
            }
            lines.push(Line::from(format!("  {:<12}{bar}", clip(p, 11))));
        }
    }
    lines
}

/// The days the strips cover, `Mar 2-15`, then each day's last digit.
fn ruler(day0: Time) -> String {
    let last = day0 + Duration::days(HORIZON_DAYS - 1);
    let span = if last.format("%b").to_string() == day0.format("%b").to_string() {
        format!("{}-{}", day0.format("%b %-d"), last.format("%-d"))
    } else {
        format!("{}-{}", day0.format("%b %-d"), last.format("%b %-d"))
    };
    let mut ruler = format!("  {} ", pad(&span, 11));
    for d in 0..HORIZON_DAYS {
        let day = day0 + Duration::days(d);
        ruler.push_str(&day.format("%d").to_string()[1..]);
    }
    ruler
}

/// Where readiness gap `i` stands, as a mark and in words: + to accept,
/// ✓ accepted, - dismissed or snoozed, · suggested only when the shift starts.
fn standing(s: &State, i: usize) -> (&'static str, String) {
    match s.derived.ready.get(i) {
        Some(Ready::Pending(_)) => ("+", "a accepts its grant now.".to_string()),
        Some(Ready::Decided(Verdict::Accept)) => {
            ("✓", "Accepted: in the plan (P), A applies.".to_string())
        }
        Some(Ready::Decided(v)) => (
            "-",
            format!("Decided: {} (u in the queue takes it back).", v.as_str()),
        ),
        Some(Ready::NotYet) | None => ("·", "Suggested only once the shift starts.".to_string()),
    }
}

/// The readiness gaps, the selected one in full below when its row is cut
/// or it is not simply there to accept.
fn readiness(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let gaps = &s.derived.readiness;
    let sel = s.ui.rot_sel;
    let b = block(
        format!(
            " Readiness: {} gap(s) before shifts (+ a accepts, ✓ accepted) ",
            gaps.len()
        ),
        true,
        t,
    );
    let mut inner = b.inner(r);
    f.render_widget(b, r);
    let col = |f: fn(&Readiness) -> &str| gaps.iter().map(|g| width(f(g))).max().unwrap_or(0);
    let (person_w, rotation_w, ent_w) = (
        col(|g| &g.person),
        col(|g| &g.rotation),
        col(|g| &g.entitlement),
    );
    // Person, rotation, shift start, entitlement, the rule that gives it.
    let row = |g: &Readiness| {
        format!(
            "{}  {}  {}  {}  {}",
            pad(&g.person, person_w),
            pad(&g.rotation, rotation_w),
            g.shift_start.format("%a %m-%d %H:%MZ"),
            pad(&g.entitlement, ent_w),
            g.rule
        )
    };
    if let Some(g) = gaps.get(sel)
        && (width(&row(g)) + 2 > inner.width as usize
            || !matches!(s.derived.ready.get(sel), Some(Ready::Pending(_))))
    {
        let full = [format!(
            "{}'s {} shift starts {} without {} (rule {}). {}",
            g.person,
            g.rotation,
            g.shift_start.format("%m-%d %H:%MZ"),
            g.entitlement,
            g.rule,
            standing(s, sel).1
        )];
        inner = detail_pane(f, t, inner, &full);
    }
    let mut lines = Vec::new();
    if gaps.is_empty() {
        lines.push(Line::from(Span::styled(
            "Everyone with a shift in the next 14 days already holds what their rules give.",
            t.dim,
        )));
    }
    let visible = inner.height as usize;
    let off = crate::tui::layout::offset(sel, gaps.len(), visible);
    for (i, g) in gaps.iter().enumerate().skip(off).take(visible) {
        // ●: its grant is marked (Space), to be accepted with the others.
        let mark = match s.derived.ready.get(i) {
            Some(Ready::Pending(x)) if s.ui.marked.contains(x) => "●",
            _ => " ",
        };
        let mut line = Line::from(clip(
            &format!("{mark}{} {}", standing(s, i).0, row(g)),
            inner.width as usize,
        ));
        if i == sel {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}
