//! The one screen shown when there is nothing to open yet: how to
//! configure steward, and the demo.

use super::terminal::Tui;
use super::theme::Theme;
use anyhow::Result;
use ratatui::Frame;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// What the person chose on the welcome screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Demo,
    Quit,
}

/// The how-to text; `problem` says what is missing.
pub fn text(problem: &str) -> Vec<String> {
    vec![
        format!("steward has nothing to open yet: {problem}."),
        String::new(),
        "To use it on your organization:".into(),
        "  1. Export an org directory (people.csv, teams.toml, rotations.toml, trainings.csv,"
            .into(),
        "     areas.toml, grants.csv, delegations.toml, rules.toml; see the README).".into(),
        "  2. steward sync --org DIR".into(),
        "  3. Say who you are: me = \"YOUR-ID\" in steward.toml, or steward --as YOUR-ID".into(),
        "  4. steward   (opens this console on your scope)".into(),
        String::new(),
        "Or try the bundled demo organization now: three owners (a tech lead, a manager,".into(),
        "an oncall lead) with grants to make, revoke and review.".into(),
    ]
}

pub fn render(problem: &str, t: &Theme, f: &mut Frame) {
    let mut lines: Vec<Line> = text(problem).into_iter().map(Line::from).collect();
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled("d", t.key),
        Span::raw(" open the demo    "),
        Span::styled("q", t.key),
        Span::raw(" quit"),
    ]));
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" steward: welcome ")
                .title_style(t.title),
        ),
        f.area(),
    );
}

/// Shows the welcome screen until `d` or `q` (or Esc, Ctrl-C).
pub fn run(problem: &str) -> Result<Choice> {
    let theme = Theme::from_env();
    let mut tui = Tui::enter()?;
    loop {
        tui.terminal.draw(|f| render(problem, &theme, f))?;
        if let Event::Key(k) = event::read()?
            && k.kind == KeyEventKind::Press
        {
            match k.code {
                KeyCode::Char('d') | KeyCode::Enter => return Ok(Choice::Demo),
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    return Ok(Choice::Quit);
                }
                KeyCode::Char('q') | KeyCode::Esc => return Ok(Choice::Quit),
                _ => {}
            }
        }
    }
}
