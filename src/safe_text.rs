//! Text from outside (names, notes, reasons, error bodies: anything a
//! source or a server said) made safe for the medium it goes to. One
//! function per medium, used at the output edge:
//!
//! - a terminal ([`terminal`], [`terminal_line`], and [`TerminalWriter`]
//!   for a whole output stream): control characters are shown in a
//!   visible form such as `\u{1b}` and never emitted; that is C0 (tab and
//!   newline apart, where the layout allows them), DEL, C1 (such as
//!   U+009B, a one-byte CSI), and the invisible characters that reorder or
//!   hide text (bidi embeddings, overrides and isolates, direction marks,
//!   zero-width characters, line and paragraph separators, tag characters);
//! - JSON ([`json`]): every string stays valid JSON, those characters
//!   escaped as `\u009b`;
//! - Slack-compatible chat ([`slack`]): `&`, `<` and `>` escaped as Slack's
//!   message format requires (no mention, no link steward did not write),
//!   and controls shown as for a terminal;
//! - mail ([`mail`]): the plain text part, controls shown as for a terminal.

use std::borrow::Cow;
use std::io::Write;

/// Whether `c` must not reach a reader raw (tab and newline aside).
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}'
        | '\u{b}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}'
    )
}

/// Pushes `c` as `\u{1b}`.
fn push_visible(out: &mut String, c: char) {
    out.push_str(&format!("\\u{{{:x}}}", c as u32));
}

/// `text` with every character `shown(c)` selects written visibly.
fn escape(text: &str, shown: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&shown) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if shown(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// For a terminal where lines may break: tabs and newlines kept, every
/// other control and invisible formatting character shown as `\u{..}`.
pub fn terminal(text: &str) -> Cow<'_, str> {
    escape(text, |c| c != '\t' && c != '\n' && is_unsafe(c))
}

/// For one line of a terminal (a table cell, a status line, a console
/// span): tabs and newlines shown as `\u{9}`, `\u{a}` too.
pub fn terminal_line(text: &str) -> Cow<'_, str> {
    escape(text, |c| c == '\t' || c == '\n' || is_unsafe(c))
}

/// For a mail's plain-text part: as for a terminal.
pub fn mail(text: &str) -> Cow<'_, str> {
    terminal(text)
}

/// For a Slack-compatible webhook's `text`: `&`, `<`, `>` as `&amp;`,
/// `&lt;`, `&gt;` (so text from outside makes no mention, no link and no
/// channel ping), controls shown as for a terminal.
pub fn slack(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in terminal(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON writer's string escaping that also escapes what a terminal must
/// not get raw (serde_json escapes C0 itself; DEL, C1 and the invisible
/// characters become `\uXXXX`), so the JSON is the same document and safe
/// to print.
struct SafeStrings;

impl serde_json::ser::Formatter for SafeStrings {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((i, c)) = rest.char_indices().find(|(_, c)| is_unsafe(*c)) {
            writer.write_all(&rest.as_bytes()[..i])?;
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                write!(writer, "\\u{:04x}", u)?;
            }
            rest = &rest[i + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
}

/// `value` as JSON (indented when `pretty`), safe to print.
pub fn json<T: serde::Serialize + ?Sized>(value: &T, pretty: bool) -> serde_json::Result<String> {
    let mut out = Vec::new();
    json_into(value, pretty, &mut out)?;
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// [`json`] appended to `out` (a buffer used again, for many values).
pub fn json_into<T: serde::Serialize + ?Sized>(
    value: &T,
    pretty: bool,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    if pretty {
        let mut ser = serde_json::Serializer::with_formatter(out, PrettySafe::default());
        value.serialize(&mut ser)
    } else {
        let mut ser = serde_json::Serializer::with_formatter(out, SafeStrings);
        value.serialize(&mut ser)
    }
}

/// [`SafeStrings`] with serde_json's indentation.
#[derive(Default)]
struct PrettySafe<'a>(serde_json::ser::PrettyFormatter<'a>);

impl serde_json::ser::Formatter for PrettySafe<'_> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        SafeStrings.write_string_fragment(writer, fragment)
    }
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// An output stream to a terminal: whatever is written goes out with every
/// control and invisible formatting character (tab and newline apart) in
/// its visible form. A UTF-8 sequence cut between two writes is held until
/// its end arrives; bytes that are not UTF-8 are shown as `\x9b`.
pub struct TerminalWriter<W: Write> {
    inner: W,
    /// The start of a UTF-8 sequence whose end has not been written yet.
    pending: Vec<u8>,
}

impl<W: Write> TerminalWriter<W> {
    pub fn new(inner: W) -> TerminalWriter<W> {
        TerminalWriter {
            inner,
            pending: Vec::new(),
        }
    }

    /// Writes out `bytes` (a whole number of UTF-8 sequences, or not UTF-8).
    fn emit(&mut self, mut bytes: &[u8], at_end: bool) -> std::io::Result<()> {
        let mut out = String::new();
        loop {
            match std::str::from_utf8(bytes) {
                Ok(text) => {
                    out.push_str(&terminal(text));
                    break;
                }
                Err(e) => {
                    let good = e.valid_up_to();
                    let text = std::str::from_utf8(&bytes[..good]).unwrap_or_default();
                    out.push_str(&terminal(text));
                    match e.error_len() {
                        Some(n) => {
                            for b in &bytes[good..good + n] {
                                out.push_str(&format!("\\x{b:02x}"));
                            }
                            bytes = &bytes[good + n..];
                        }
                        None if at_end => {
                            for b in &bytes[good..] {
                                out.push_str(&format!("\\x{b:02x}"));
                            }
                            break;
                        }
                        None => {
                            self.pending = bytes[good..].to_vec();
                            break;
                        }
                    }
                }
            }
        }
        self.inner.write_all(out.as_bytes())
    }
}

impl<W: Write> Write for TerminalWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(buf);
        self.emit(&bytes, false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Drop for TerminalWriter<W> {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            let _ = self.emit(&pending, true);
            let _ = self.inner.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every way a name from outside has tried to reach a terminal.
    pub const HOSTILE: &str = "a\u{1b}[2Jb\u{1b}]0;pwned\u{7}c\u{1b}]8;;http://evil.example\u{1b}\\link\u{1b}]8;;\u{1b}\\d\u{9b}31me\u{202e}f\u{7f}g\rh\u{0}i\u{2066}j";

    fn raw_escapes(text: &str) -> bool {
        text.chars()
            .any(|c| c == '\u{1b}' || ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{202e}')
    }

    #[test]
    fn a_terminal_gets_every_control_visibly_and_none_raw() {
        let t = terminal(HOSTILE);
        assert!(!raw_escapes(&t), "{t:?}");
        assert!(t.contains("\\u{1b}[2J"), "{t}");
        assert!(t.contains("\\u{9b}31m"), "{t}");
        assert!(t.contains("\\u{202e}") && t.contains("\\u{2066}"), "{t}");
        assert!(
            t.contains("\\u{7}") && t.contains("\\u{d}") && t.contains("\\u{0}"),
            "{t}"
        );
        assert_eq!(terminal("Zoë\tline\nnext"), "Zoë\tline\nnext");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(terminal_line("a\tb\nc"), "a\\u{9}b\\u{a}c");
    }

    #[test]
    fn json_stays_the_same_document_and_safe_to_print() {
        let value = serde_json::json!({"name": HOSTILE, "n": [1, 2]});
        for pretty in [false, true] {
            let text = json(&value, pretty).unwrap();
            assert!(!raw_escapes(&text), "{text}");
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, value);
        }
        assert!(json(&value, true).unwrap().contains("\n  \"n\": [\n"));
    }

    #[test]
    fn slack_gets_no_mention_no_link_and_no_control() {
        let s = slack("Payments <!channel> <https://evil.example|Re-authenticate> & co \u{1b}[1m");
        assert_eq!(
            s,
            "Payments &lt;!channel&gt; &lt;https://evil.example|Re-authenticate&gt; &amp; co \\u{1b}[1m"
        );
    }

    #[test]
    fn the_writer_holds_a_cut_sequence_and_shows_what_is_no_utf8() {
        let mut out = Vec::new();
        {
            let mut w = TerminalWriter::new(&mut out);
            let text = format!("é{HOSTILE}ü");
            for b in text.as_bytes() {
                w.write_all(std::slice::from_ref(b)).unwrap();
            }
            w.write_all(b"\x9b[31m \xe2\x80").unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("é") && text.contains("ü"), "{text}");
        assert!(!raw_escapes(&text), "{text}");
        assert!(text.contains("\\x9b[31m"), "{text}");
        assert!(text.ends_with(" \\xe2\\x80"), "{text}");
    }
}
