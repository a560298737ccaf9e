//! Rendering: one file per region, each a pure function of the state.

pub mod audit;
pub mod card;
pub mod confirm;
pub mod delegations;
pub mod header;
pub mod help;
pub mod hierarchy;
pub mod plan;
pub mod queue;
pub mod rotations;
pub mod rules;
pub mod statusbar;

use super::layout;
use super::state::{Pane, State, View};
use super::theme::Theme;
use crate::model::Time;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

/// The whole screen.
pub fn render(s: &State, t: &Theme, f: &mut Frame) {
    let a = layout::areas(f.area());
    if !s.loaded {
        loading(&s.data.me, s.now, t, f);
        statusbar::render(s, t, f, a.status);
        help::render(s, t, f, f.area());
        return;
    }
    header::render(s, t, f, a.header);
    match s.view {
        View::Main if s.walk.is_some() => card::render(s, t, f, a.body),
        View::Main => {
            hierarchy::render(s, t, f, a.tree);
            queue::render(s, t, f, a.queue);
            card::render(s, t, f, a.card);
        }
        View::Plan => plan::render(s, t, f, a.body),
        View::Audit => audit::render(s, t, f, a.body),
        View::Rotations => rotations::render(s, t, f, a.body),
        View::Delegations => delegations::render(s, t, f, a.body),
        View::Rules => rules::render(s, t, f, a.body),
    }
    statusbar::render(s, t, f, a.status);
    help::render(s, t, f, f.area());
    confirm::render(s, t, f, f.area());
}

/// The first frame, drawn before the cache is loaded and evaluated.
pub fn loading(me: &str, now: Time, t: &Theme, f: &mut Frame) {
    let lines = vec![
        Line::from(vec![
            Span::styled("steward ", t.title),
            Span::raw(format!("loading the cache for {me}…")),
        ]),
        Line::from(Span::styled(
            format!(
                "evaluating the rules at {}; ? and q work meanwhile",
                crate::policy::minute(now)
            ),
            t.dim,
        )),
    ];
    let area = layout::popup(f.area(), 80, 4);
    f.render_widget(
        ratatui::widgets::Paragraph::new(lines).block(Block::default().borders(Borders::ALL)),
        area,
    );
}

/// A bordered block, highlighted when focused.
pub fn block<'a>(title: impl Into<Line<'a>>, focused: bool, t: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(if focused { t.border_focus } else { t.border })
        .title(title)
        .title_style(t.title)
}

pub fn focused(s: &State, p: Pane) -> bool {
    s.modal.is_none() && s.focus == p
}

/// A short age: `45m`, `5h`, `12d`, `3mo`, `2y`.
pub fn age(now: Time, then: Time) -> String {
    let d = now - then;
    let (m, h, days) = (d.num_minutes(), d.num_hours(), d.num_days());
    if d.num_seconds() < 0 {
        return "future".into();
    }
    if m < 60 {
        format!("{m}m")
    } else if h < 48 {
        format!("{h}h")
    } else if days < 60 {
        format!("{days}d")
    } else if days < 730 {
        format!("{}mo", days / 30)
    } else {
        format!("{}y", days / 365)
    }
}

/// A key hint: the key in the key style, then its meaning.
pub fn hint<'a>(key: String, what: &'a str, t: &Theme) -> Vec<Span<'a>> {
    vec![
        Span::styled(key, t.key),
        Span::raw(" "),
        Span::styled(what, Style::default()),
        Span::raw("  "),
    ]
}

/// A rect shrunk by one cell on every side (inside a border).
pub fn inner(r: Rect) -> Rect {
    Block::default().borders(Borders::ALL).inner(r)
}
