//! A one-line text field that edits as a shell's line editor does
//! (tui-input): arrows, Home/End and Ctrl-A/E move, Ctrl-U clears, Ctrl-W
//! deletes the word before the cursor, Ctrl-K to the end, Delete and
//! Backspace a character, Ctrl-Y yanks back what was cut. Plain data, so
//! it lives in the console's state; the view draws its cursor.

use ratatui::crossterm::event::{Event, KeyEvent};
use std::fmt;
use tui_input::backend::crossterm::to_input_request;
use tui_input::{Input, InputRequest};

#[derive(Debug, Clone, Default)]
pub struct Field(Input);

impl PartialEq for Field {
    fn eq(&self, other: &Field) -> bool {
        self.value() == other.value() && self.cursor() == other.cursor()
    }
}

impl Eq for Field {}

impl PartialEq<&str> for Field {
    fn eq(&self, other: &&str) -> bool {
        self.value() == *other
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.value())
    }
}

/// What a key did to a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Not a key of the line editor (Enter, Esc, Tab, ...).
    NotMine,
    /// The cursor moved; the text is as it was.
    Moved,
    /// The text changed.
    Changed,
}

impl Field {
    pub fn value(&self) -> &str {
        self.0.value()
    }

    pub fn is_empty(&self) -> bool {
        self.value().is_empty()
    }

    /// The cursor, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.0.cursor()
    }

    pub fn clear(&mut self) {
        self.0.reset();
    }

    /// Applies `k` as the line editor does.
    pub fn key(&mut self, k: &KeyEvent) -> Edit {
        match to_input_request(&Event::Key(*k)) {
            Some(req) => self.request(req),
            None => Edit::NotMine,
        }
    }

    /// Inserts pasted text at the cursor (control characters dropped).
    pub fn insert(&mut self, text: &str) -> Edit {
        let mut edit = Edit::NotMine;
        for c in text.chars().filter(|c| !c.is_control()) {
            edit = self.request(InputRequest::InsertChar(c));
        }
        edit
    }

    fn request(&mut self, req: InputRequest) -> Edit {
        match self.0.handle(req) {
            Some(changed) if changed.value => Edit::Changed,
            Some(_) => Edit::Moved,
            None => Edit::NotMine,
        }
    }

    /// What shows in `width` cells: the text before the cursor, the
    /// character under it (a space at the end), and the text after, the
    /// whole scrolled so that the cursor is always in view.
    pub fn shown(&self, width: usize) -> (String, String, String) {
        let width = width.max(1);
        // Cells scrolled off on the left, so the cursor cell fits.
        let scroll = self.0.visual_scroll(width);
        let mut before = String::new();
        let mut at = String::new();
        let mut after = String::new();
        let mut cells = 0;
        for (n, c) in self.value().chars().enumerate() {
            let w = super::view::text::width(c.encode_utf8(&mut [0u8; 4]));
            cells += w;
            if cells <= scroll {
                continue;
            }
            if cells - scroll > width {
                break;
            }
            match n.cmp(&self.cursor()) {
                std::cmp::Ordering::Less => before.push(c),
                std::cmp::Ordering::Equal => at.push(c),
                std::cmp::Ordering::Greater => after.push(c),
            }
        }
        if at.is_empty() {
            at.push(' ');
            // The cursor cell at the end takes the last cell of the room.
            while super::view::text::width(&before) + 1 > width && !before.is_empty() {
                before.remove(0);
            }
        }
        (before, at, after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};

    fn typed(text: &str) -> Field {
        let mut f = Field::default();
        f.insert(text);
        f
    }

    fn press(f: &mut Field, code: KeyCode, mods: KeyModifiers) -> Edit {
        f.key(&KeyEvent::new(code, mods))
    }

    #[test]
    fn the_common_line_editing_keys_work_as_in_a_shell() {
        let ctrl = KeyModifiers::CONTROL;
        let none = KeyModifiers::NONE;
        let mut f = typed("no longer needed");
        assert_eq!(press(&mut f, KeyCode::Char('w'), ctrl), Edit::Changed);
        assert_eq!(f, "no longer ");
        press(&mut f, KeyCode::Char('a'), ctrl);
        assert_eq!(f.cursor(), 0);
        press(&mut f, KeyCode::Char('e'), ctrl);
        assert_eq!(f.cursor(), 10);
        press(&mut f, KeyCode::Left, none);
        press(&mut f, KeyCode::Left, none);
        assert_eq!(
            press(&mut f, KeyCode::Char('X'), KeyModifiers::SHIFT),
            Edit::Changed
        );
        assert_eq!(f, "no longeXr ");
        assert_eq!(press(&mut f, KeyCode::Home, none), Edit::Moved);
        press(&mut f, KeyCode::Delete, none);
        assert_eq!(f, "o longeXr ");
        assert_eq!(press(&mut f, KeyCode::Char('u'), ctrl), Edit::Changed);
        assert!(f.is_empty(), "Ctrl-U clears the field: {f:?}");
        assert_eq!(press(&mut f, KeyCode::Enter, none), Edit::NotMine);
        assert_eq!(press(&mut f, KeyCode::Esc, none), Edit::NotMine);
    }

    #[test]
    fn the_cursor_is_shown_where_it_is_and_always_in_view() {
        let mut f = typed("abcdef");
        assert_eq!(f.shown(10), ("abcdef".into(), " ".into(), "".into()));
        press(&mut f, KeyCode::Left, KeyModifiers::NONE);
        press(&mut f, KeyCode::Left, KeyModifiers::NONE);
        assert_eq!(f.shown(10), ("abcd".into(), "e".into(), "f".into()));
        // Narrower than the text: scrolled, the cursor still shown.
        let f = typed("a long reason to dismiss it");
        let (before, at, after) = f.shown(8);
        assert_eq!(at, " ");
        assert!(super::super::view::text::width(&before) < 8, "{before:?}");
        assert!(before.ends_with("it") && after.is_empty(), "{before:?}");
    }
}
