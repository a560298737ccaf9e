//! Rotations in scope: who is on call now, the next 14 days as a timeline,
//! and readiness: shifts that start without an entitlement a rule will give.

use super::{block, clip, detail_pane, pad, width};
use crate::model::Verdict;
use crate::tui::derive::HORIZON_DAYS;
use crate::tui::state::{Readiness, Ready, State};
use crate::tui::theme::Theme;
use chrono::Duration;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(s: &State, t: &Theme, f: &mut Frame, r: Rect) {
    let snap = &s.data.snap;
    let now = s.now;
    let b = block(
        format!(" Rotations: on call now and the next {HORIZON_DAYS} days "),
        false,
        t,
    );
    let mut lines = Vec::new();
    if s.rotations.is_empty() {
        lines.push(Line::from(Span::styled(
            "No rotation feeds a rule in your scope, and you lead no rotation's team.",
            t.dim,
        )));
    }
    let day0 = now.date_naive().and_time(chrono::NaiveTime::MIN).and_utc();
    // The span the days cover, left of their last digits: `Mar 2-15`.
    let last = day0 + Duration::days(HORIZON_DAYS - 1);
    let span = if last.format("%b").to_string() == day0.format("%b").to_string() {
        format!("{}-{}", day0.format("%b %-d"), last.format("%-d"))
    } else {
        format!("{}-{}", day0.format("%b %-d"), last.format("%b %-d"))
    };
    let mut ruler = format!("  {} ", super::pad(&span, 11));
    for d in 0..HORIZON_DAYS {
        let day = day0 + Duration::days(d);
        ruler.push_str(&day.format("%d").to_string()[1..]);
    }
    for &ri in &s.rotations {
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
            lines.push(Line::from(format!("  {:<12}{bar}", super::clip(p, 11))));
        }
    }
    // The timelines take what they need, up to three fifths; readiness the rest.
    let top_h = (lines.len() as u16 + 2).min(r.height * 3 / 5);
    let [top, bottom] = Layout::vertical([Constraint::Length(top_h), Constraint::Min(0)]).areas(r);
    let inner = b.inner(top);
    f.render_widget(b, top);
    f.render_widget(Paragraph::new(lines), inner);

    let b = block(
        format!(
            " Readiness: {} gap(s) before shifts (+ a accepts, ✓ accepted) ",
            s.readiness.len()
        ),
        true,
        t,
    );
    let mut inner = b.inner(bottom);
    f.render_widget(b, bottom);
    let col =
        |f: fn(&Readiness) -> &str| s.readiness.iter().map(|g| width(f(g))).max().unwrap_or(0);
    let (person_w, rotation_w, ent_w) = (
        col(|g| &g.person),
        col(|g| &g.rotation),
        col(|g| &g.entitlement),
    );
    // Where each stands, as a mark and in words: + to accept, ✓ accepted,
    // - dismissed or snoozed, · suggested only when the shift starts.
    let standing = |i: usize| match s.ready.get(i) {
        Some(Ready::Pending(_)) => ("+", "a accepts its grant now.".to_string()),
        Some(Ready::Decided(Verdict::Accept)) => {
            ("✓", "Accepted: in the plan (P), A applies.".to_string())
        }
        Some(Ready::Decided(v)) => (
            "-",
            format!("Decided: {} (u in the queue takes it back).", v.as_str()),
        ),
        Some(Ready::NotYet) | None => ("·", "Suggested only once the shift starts.".to_string()),
    };
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
    // The selected gap in full below the list when its row is cut or it
    // is not simply there to accept.
    if let Some(g) = s.readiness.get(s.rot_sel)
        && (width(&row(g)) + 2 > inner.width as usize
            || !matches!(s.ready.get(s.rot_sel), Some(Ready::Pending(_))))
    {
        let full = [format!(
            "{}'s {} shift starts {} without {} (rule {}). {}",
            g.person,
            g.rotation,
            g.shift_start.format("%m-%d %H:%MZ"),
            g.entitlement,
            g.rule,
            standing(s.rot_sel).1
        )];
        inner = detail_pane(f, t, inner, &full);
    }
    let mut lines = Vec::new();
    if s.readiness.is_empty() {
        lines.push(Line::from(Span::styled(
            "Everyone with a shift in the next 14 days already holds what their rules give.",
            t.dim,
        )));
    }
    let visible = inner.height as usize;
    let off = crate::tui::layout::offset(s.rot_sel, s.readiness.len(), visible);
    for (i, g) in s.readiness.iter().enumerate().skip(off).take(visible) {
        let mut line = Line::from(clip(
            &format!("{} {}", standing(i).0, row(g)),
            inner.width as usize,
        ));
        if i == s.rot_sel {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}
