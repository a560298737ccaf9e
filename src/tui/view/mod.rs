//! Rendering: one file per region, each a pure function of the state.

pub mod audit;
pub mod automatic;
pub mod card;
pub mod confirm;
pub mod delegations;
pub mod header;
pub mod help;
pub mod hierarchy;
pub mod legend;
pub mod messages;
pub mod overlay;
pub mod plan;
pub mod queue;
pub mod rotations;
pub mod rules;
pub mod statusbar;
pub mod text;
pub mod widgets;

use super::layout;
use super::state::State;
use super::theme::Theme;
use super::ui::View;
use crate::model::Time;
use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

/// The whole screen.
pub fn render(s: &State, t: &Theme, f: &mut Frame) {
    if layout::too_small(f.area()) {
        too_small(t, f);
        return;
    }
    let notices = s.data.automatic.notices().len() as u16;
    let a = layout::areas_with(f.area(), notices);
    if !s.status.loaded {
        loading(&s.data.me, s.now, t, f);
        statusbar::render(s, t, f, a.status);
        help::render(s, t, f, f.area());
        return;
    }
    header::render(s, t, f, a.header);
    automatic::notices(s, t, f, a.notices);
    match s.ui.view {
        View::Main if s.ui.walk.is_some() => card::render(s, t, f, a.body),
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
        View::Automatic => automatic::render(s, t, f, a.body),
    }
    statusbar::render(s, t, f, a.status);
    help::render(s, t, f, f.area());
    messages::render(s, t, f, f.area());
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

/// What a terminal too small for the console shows: its size, the size
/// needed, and that q still quits.
pub fn too_small(t: &Theme, f: &mut Frame) {
    let r = f.area();
    let (w, h) = layout::MIN_SIZE;
    let lines = vec![
        Line::from(Span::styled("steward: the terminal is too small", t.title)),
        Line::from(format!(
            "It is {}x{}; the console needs at least {w}x{h}. Make it larger (it redraws at once), or press q to quit.",
            r.width, r.height
        )),
    ];
    f.render_widget(
        ratatui::widgets::Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        r,
    );
}
