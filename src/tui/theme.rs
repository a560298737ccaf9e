//! Colours, and a monochrome theme for `NO_COLOR` (detected here: crossterm
//! 0.29 mishandles it) that shows selection and alerts with reverse and bold.

use crate::model::Kind;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub base: Style,
    pub dim: Style,
    pub title: Style,
    pub border: Style,
    pub border_focus: Style,
    pub selected: Style,
    pub marked: Style,
    /// Area tags such as `hipaa`: impossible to miss.
    pub alert: Style,
    pub error: Style,
    pub ok: Style,
    pub key: Style,
    pub grant: Style,
    pub revoke: Style,
    pub review: Style,
    pub bar: Style,
}

impl Theme {
    pub fn color() -> Theme {
        Theme {
            base: Style::default(),
            dim: Style::default().fg(Color::DarkGray),
            title: Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            border: Style::default().fg(Color::DarkGray),
            border_focus: Style::default().fg(Color::Cyan),
            selected: Style::default()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            marked: Style::default()
                .fg(Color::Magenta)
                .add_modifier(Modifier::BOLD),
            alert: Style::default()
                .bg(Color::Red)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            error: Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            ok: Style::default().fg(Color::Green),
            key: Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            grant: Style::default().fg(Color::Green),
            revoke: Style::default().fg(Color::Red),
            review: Style::default().fg(Color::Yellow),
            bar: Style::default().bg(Color::Black).fg(Color::Gray),
        }
    }

    pub fn mono() -> Theme {
        let plain = Style::default();
        let bold = Style::default().add_modifier(Modifier::BOLD);
        Theme {
            base: plain,
            dim: plain,
            title: bold,
            border: plain,
            border_focus: bold,
            selected: Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            marked: bold.add_modifier(Modifier::UNDERLINED),
            alert: Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            error: bold,
            ok: plain,
            key: bold,
            grant: plain,
            revoke: bold,
            review: plain,
            bar: plain,
        }
    }

    /// The monochrome theme when `NO_COLOR` is set to anything non-empty.
    pub fn detect(no_color: Option<&str>) -> Theme {
        match no_color {
            Some(v) if !v.is_empty() => Theme::mono(),
            _ => Theme::color(),
        }
    }

    pub fn from_env() -> Theme {
        Theme::detect(std::env::var("NO_COLOR").ok().as_deref())
    }

    pub fn kind(&self, k: Kind) -> Style {
        match k {
            Kind::Grant => self.grant,
            Kind::Revoke => self.revoke,
            Kind::Review => self.review,
        }
    }
}
