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
    let window = Window::of(s, r.width.saturating_sub(2));
    let b = block(
        format!(" Rotations: on call now and the next {} days ", window.days),
        false,
        t,
    );
    let lines = timelines(s, t, &window);
    // The timelines take what they need, up to three fifths; readiness the rest.
    let top_h = (lines.len() as u16 + 2).min(r.height * 3 / 5);
    let [top, bottom] = Layout::vertical([Constraint::Length(top_h), Constraint::Min(0)]).areas(r);
    let inner = b.inner(top);
    f.render_widget(b, top);
    f.render_widget(Paragraph::new(lines), inner);
    readiness(s, t, f, bottom);
}

/// What the timelines show and how: from the start of today, at least
/// [`HORIZON_DAYS`] days and on to the day of every readiness gap's shift;
/// names whole (up to a third of the width); the strips in all the rest,
/// each cell an equal part of the window.
struct Window {
    day0: Time,
    days: i64,
    name_w: usize,
    cells: usize,
}

impl Window {
    fn of(s: &State, cols: u16) -> Window {
        let day0 = s
            .now
            .date_naive()
            .and_time(chrono::NaiveTime::MIN)
            .and_utc();
        let last_gap = s.derived.readiness.iter().map(|g| g.shift_start).max();
        let days = last_gap
            .map_or(0, |g| (g - day0).num_days() + 1)
            .max(HORIZON_DAYS);
        let name_w = people_in_view(s, day0, days)
            .iter()
            .map(|p| width(p))
            .max()
            .unwrap_or(0)
            .clamp(6, (cols as usize / 3).max(6));
        let cells = (cols as usize).saturating_sub(2 + name_w + 1).max(1);
        Window {
            day0,
            days,
            name_w,
            cells,
        }
    }

    fn end(&self) -> Time {
        self.day0 + Duration::days(self.days)
    }

    /// The time each cell of a strip covers.
    fn spans(&self) -> Vec<(Time, Time)> {
        let secs = Duration::days(self.days).num_seconds();
        let at = |i: usize| self.day0 + Duration::seconds(secs * i as i64 / self.cells as i64);
        (0..self.cells).map(|i| (at(i), at(i + 1))).collect()
    }

    /// The cell day `d` starts in.
    fn cell_of(&self, d: i64) -> usize {
        (d as usize * self.cells).div_ceil(self.days as usize)
    }

    /// The ruler: each day's date where its cells start, as much of it as
    /// fits before the next label (`Mar 2` where a month's labels start,
    /// else `Tue 3` or `3`).
    fn ruler(&self) -> String {
        let lead = 2 + self.name_w + 1;
        let mut ruler = " ".repeat(lead);
        let per_day = self.cells / self.days as usize;
        let mut free = 0;
        // The month is said on the first label of each month shown.
        let mut month = String::new();
        for d in 0..self.days {
            let x = self.cell_of(d);
            if x < free {
                continue;
            }
            let day = self.day0 + Duration::days(d);
            let label = if day.format("%b").to_string() != month {
                day.format("%b %-d").to_string()
            } else if per_day >= 6 {
                day.format("%a %-d").to_string()
            } else {
                day.format("%-d").to_string()
            };
            if x + width(&label) > self.cells {
                break;
            }
            ruler.push_str(&" ".repeat(lead + x - width(&ruler)));
            ruler.push_str(&label);
            free = x + width(&label) + 1;
            month = day.format("%b").to_string();
        }
        ruler
    }
}

/// Everyone with a shift in the window, of the rotations in view.
fn people_in_view(s: &State, day0: Time, days: i64) -> Vec<&str> {
    let end = day0 + Duration::days(days);
    let mut people: Vec<&str> = s
        .derived
        .index
        .rotations
        .iter()
        .flat_map(|&ri| &s.data.snap.org.rotations[ri].shifts)
        .filter(|sh| sh.end > s.now && sh.start < end)
        .map(|sh| sh.person.as_str())
        .collect();
    people.sort();
    people.dedup();
    people
}

/// Each rotation in view: who is on call now, and a strip of each member's
/// shifts over the window.
fn timelines(s: &State, t: &Theme, w: &Window) -> Vec<Line<'static>> {
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
    let ruler = w.ruler();
    let cells = w.spans();
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
            .filter(|sh| sh.end > now && sh.start < w.end())
            .map(|sh| sh.person.as_str())
            .collect();
        people.sort();
        people.dedup();
        for p in people {
            let bar: String = cells
                .iter()
                .map(|&(a, b)| {
                    let on = rot
                        .shifts
                        .iter()
                        .any(|sh| sh.person == p && sh.start < b && sh.end > a);
                    if on { '█' } else { '·' }
                })
                .collect();
            lines.push(Line::from(format!(
                "  {} {bar}",
                pad(&clip(p, w.name_w), w.name_w)
            )));
        }
    }
    lines
}

/// `first shift`, `newly trained`, both or neither.
fn tags(g: &Readiness) -> String {
    let mut tags = Vec::new();
    if g.first_shift {
        tags.push("first shift".to_string());
    }
    if let Some((_, at)) = &g.newly_trained {
        tags.push(format!("newly trained {}", at.format("%m-%d")));
    }
    tags.join(", ")
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
    let tags_w = gaps.iter().map(|g| width(&tags(g))).max().unwrap_or(0);
    // Person, rotation, shift start, entitlement, whether it is a first
    // shift or follows a new training, and the rule that gives it.
    let row = |g: &Readiness| {
        let tags = match tags_w {
            0 => String::new(),
            w => format!("{}  ", pad(&tags(g), w)),
        };
        format!(
            "{}  {}  {}  {}  {tags}{}",
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
            "{}'s {}{} shift starts {} without {} (rule {}).{} {}",
            g.person,
            if g.first_shift { "first " } else { "" },
            g.rotation,
            g.shift_start.format("%m-%d %H:%MZ"),
            g.entitlement,
            g.rule,
            g.newly_trained
                .as_ref()
                .map(|(c, at)| format!(" Newly trained: {c} on {}.", at.format("%m-%d")))
                .unwrap_or_default(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ruler(day0: &str, days: i64, cells: usize) -> String {
        let w = Window {
            day0: day0.parse().unwrap(),
            days,
            name_w: 6,
            cells,
        };
        w.ruler().trim().to_string()
    }

    #[test]
    fn the_ruler_names_each_month_on_its_first_label() {
        // Dec 1 has no room after "Nov 30": the month goes on Dec 2.
        let narrow = ruler("2026-11-30T00:00:00Z", 15, 69);
        assert!(narrow.starts_with("Nov 30    Dec 2 "), "{narrow}");
        assert_eq!(narrow.matches("Dec").count(), 1, "{narrow}");
        // With room, each day named, the month where it starts.
        let wide = ruler("2026-11-30T00:00:00Z", 14, 14 * 8);
        assert!(wide.starts_with("Nov 30  Dec 1   Wed 2"), "{wide}");
    }
}
