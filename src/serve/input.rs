//! Keys, mouse and paste from the bytes a client's terminal sends, which
//! SSH may deliver in any fragments: an escape sequence split across two
//! packets is still one key. Parsing is `terminput`'s (crossterm's own
//! parser, published); this only feeds it bytes and decides when a lone
//! ESC is the Esc key: when nothing follows it within [`ESC_WAIT`].

use ratatui::crossterm::event::Event;
use std::time::Duration;

/// How long a lone ESC waits for the rest of a sequence.
pub const ESC_WAIT: Duration = Duration::from_millis(40);

/// An unfinished sequence longer than this is dropped (a paste may be
/// long: up to [`MAX_PASTE`]).
const MAX_SEQUENCE: usize = 256;
pub const MAX_PASTE: usize = 64 * 1024;

#[derive(Default)]
pub struct InputParser {
    buf: Vec<u8>,
}

impl InputParser {
    /// Feeds bytes; returns the events they complete. A lone ESC at the
    /// end is kept: call [`InputParser::flush`] after [`ESC_WAIT`] without
    /// more input.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        for &b in bytes {
            self.buf.push(b);
            if self.buf == [0x1b] {
                // ESC alone: the start of a sequence, or the Esc key.
                // Decided by what comes next (or by flush).
                continue;
            }
            // ESC ESC: the first one was the Esc key.
            if self.buf == [0x1b, 0x1b] {
                events.extend(self.parse_buffer_as(&[0x1b]));
                self.buf = vec![0x1b];
                continue;
            }
            self.advance(&mut events);
        }
        events
    }

    /// A lone ESC with nothing after it is the Esc key.
    pub fn flush(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        if self.buf == [0x1b] {
            events.extend(self.parse_buffer_as(&[0x1b]));
            self.buf.clear();
        }
        events
    }

    /// Whether a lone ESC waits for [`InputParser::flush`].
    pub fn pending_escape(&self) -> bool {
        self.buf == [0x1b]
    }

    fn parse_buffer_as(&self, bytes: &[u8]) -> Option<Event> {
        terminput::Event::parse_from(bytes)
            .ok()
            .flatten()
            .and_then(|e| terminput_crossterm::to_crossterm(e).ok())
    }

    fn advance(&mut self, events: &mut Vec<Event>) {
        match terminput::Event::parse_from(&self.buf) {
            Ok(Some(event)) => {
                self.buf.clear();
                if let Ok(e) = terminput_crossterm::to_crossterm(event) {
                    events.push(e);
                }
            }
            // Incomplete: wait for more, within bounds.
            Ok(None) => {
                let pasting = self.buf.starts_with(b"\x1b[200~");
                let limit = if pasting { MAX_PASTE } else { MAX_SEQUENCE };
                if self.buf.len() > limit {
                    self.buf.clear();
                }
            }
            // Not a sequence anyone sends: dropped.
            Err(_) => self.buf.clear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEventKind};

    fn keys(events: &[Event]) -> Vec<KeyCode> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Key(KeyEvent { code, .. }) => Some(*code),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn plain_keys_and_a_sequence_in_one_packet() {
        let mut p = InputParser::default();
        let ev = p.feed(b"jk\x1b[A\r");
        assert_eq!(
            keys(&ev),
            vec![
                KeyCode::Char('j'),
                KeyCode::Char('k'),
                KeyCode::Up,
                KeyCode::Enter
            ]
        );
    }

    #[test]
    fn a_sequence_split_across_packets_is_one_key() {
        let mut p = InputParser::default();
        assert!(p.feed(b"\x1b").is_empty());
        assert!(p.pending_escape());
        assert!(p.feed(b"[").is_empty());
        assert_eq!(keys(&p.feed(b"B")), vec![KeyCode::Down]);
        // Every split point of a longer one, and of a UTF-8 character.
        let whole = "\x1b[1;5C\x1b[3~é".as_bytes();
        for cut in 1..whole.len() {
            let mut p = InputParser::default();
            let mut ev = p.feed(&whole[..cut]);
            ev.extend(p.feed(&whole[cut..]));
            ev.extend(p.flush());
            assert_eq!(
                keys(&ev),
                vec![KeyCode::Right, KeyCode::Delete, KeyCode::Char('é')],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_lone_escape_is_the_esc_key_once_nothing_follows() {
        let mut p = InputParser::default();
        assert!(p.feed(b"\x1b").is_empty());
        assert_eq!(keys(&p.flush()), vec![KeyCode::Esc]);
        assert!(p.flush().is_empty());
        // Two Escs in one packet, then nothing.
        let mut ev = p.feed(b"\x1b\x1b");
        ev.extend(p.flush());
        assert_eq!(keys(&ev), vec![KeyCode::Esc, KeyCode::Esc]);
    }

    #[test]
    fn ctrl_c_mouse_and_paste() {
        let mut p = InputParser::default();
        let ev = p.feed(b"\x03");
        assert!(matches!(
            ev[0],
            Event::Key(KeyEvent { code: KeyCode::Char('c'), modifiers, .. }) if modifiers.contains(KeyModifiers::CONTROL)
        ));
        let ev = p.feed(b"\x1b[<0;10;5M");
        assert!(
            matches!(&ev[0], Event::Mouse(m) if m.kind == MouseEventKind::Down(ratatui::crossterm::event::MouseButton::Left) && m.column == 9 && m.row == 4)
        );
        let mut ev = p.feed(b"\x1b[200~two ");
        ev.extend(p.feed(b"words\x1b[201~"));
        assert_eq!(ev, vec![Event::Paste("two words".into())]);
    }

    #[test]
    fn garbage_is_dropped_and_parsing_goes_on() {
        let mut p = InputParser::default();
        let ev = p.feed(b"\x1b[\xff\xfeq");
        assert_eq!(keys(&ev), vec![KeyCode::Char('q')]);
        // An endless sequence is cut off: the buffer stays bounded and
        // keys parse again after it.
        let mut endless = b"\x1b[".to_vec();
        endless.extend(std::iter::repeat_n(b'1', 100_000));
        p.feed(&endless);
        assert!(p.buf.len() <= MAX_SEQUENCE + 1);
        assert_eq!(
            keys(&p.feed(b"\x1b[Ax")),
            vec![KeyCode::Up, KeyCode::Char('x')]
        );
    }
}
