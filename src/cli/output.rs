//! Plain-text tables for the terminal.

use crate::model::Suggestion;
use std::io::Write;

/// Left-aligned columns separated by two spaces; the last column is not
/// padded. A cell is one line: a tab or line break in it is shown (as is
/// any control character), so the columns hold.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| crate::safe_text::terminal_line(c).into_owned())
                .collect()
        })
        .collect();
    let rows = &rows;
    let n = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(n) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.trim_end().to_string()
    };
    let mut out = vec![line(headers.to_vec())];
    for row in rows {
        out.push(line(row.iter().map(String::as_str).collect()));
    }
    out.join("\n")
}

pub fn suggestion_table(list: &[Suggestion]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            vec![
                s.kind.as_str().to_string(),
                s.person.clone(),
                s.entitlement.clone(),
                s.area.clone(),
                s.reason.as_str().to_string(),
                s.evidence.clone(),
            ]
        })
        .collect();
    table(
        &[
            "KIND",
            "PERSON",
            "ENTITLEMENT",
            "AREA",
            "REASON",
            "EVIDENCE",
        ],
        &rows,
    )
}

/// The JSON DESIGN.md specifies: one array, sorted by (area, person, entitlement).
pub fn suggestions_json(list: &[Suggestion]) -> String {
    crate::safe_text::json(list, true).unwrap_or_else(|_| "[]".into())
}

/// [`suggestions_json`]'s array written element by element as the
/// suggestions come, byte for byte the same, so that nothing grows with
/// their number. Written through a buffer: call [`JsonArray::end`].
pub struct JsonArray<'w> {
    out: std::io::BufWriter<&'w mut dyn Write>,
    written: usize,
    /// One element as serialized, then as indented.
    element: Vec<u8>,
    indented: Vec<u8>,
}

impl<'w> JsonArray<'w> {
    pub fn start(out: &'w mut dyn Write) -> JsonArray<'w> {
        JsonArray {
            out: std::io::BufWriter::with_capacity(1 << 16, out),
            written: 0,
            element: Vec::new(),
            indented: Vec::new(),
        }
    }

    /// One more element: pretty-printed as the whole array prints it, one
    /// level in (a JSON string never holds a raw line break, so indenting
    /// each line is exact).
    pub fn push(&mut self, s: &Suggestion) -> std::io::Result<()> {
        self.element.clear();
        crate::safe_text::json_into(s, true, &mut self.element).map_err(std::io::Error::other)?;
        self.indented.clear();
        self.indented
            .extend_from_slice(if self.written == 0 { b"[\n" } else { b",\n" });
        for (i, line) in self.element.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                self.indented.push(b'\n');
            }
            self.indented.extend_from_slice(b"  ");
            self.indented.extend_from_slice(line);
        }
        self.written += 1;
        self.out.write_all(&self.indented)
    }

    /// Closes the array (`[]` when nothing was pushed), without a line
    /// break, and writes out what is buffered.
    pub fn end(mut self) -> std::io::Result<()> {
        self.out
            .write_all(if self.written == 0 { b"[]" } else { b"\n]" })?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up() {
        let t = table(
            &["A", "BB"],
            &[vec!["xxx".into(), "y".into()], vec!["z".into(), "w".into()]],
        );
        assert_eq!(t, "A    BB\nxxx  y\nz    w");
    }

    #[test]
    fn the_streamed_array_is_the_whole_one_byte_for_byte() {
        let now: crate::model::Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let org = crate::r#gen::generate(300, 3, now);
        let snap = crate::policy::Snapshot::new(org);
        let all = crate::policy::suggestions(&snap, &crate::policy::Scope::everything(&snap), now);
        assert!(all.len() > 3);
        // Text from outside escaped in the stream as in the whole array.
        let mut odd = all[..2].to_vec();
        odd[1].evidence.push_str(" \u{9b}31m \u{202e}");
        for list in [&all[..0], &all[..1], &all[..], &odd[..]] {
            let mut out = Vec::new();
            let mut a = JsonArray::start(&mut out);
            for s in list {
                a.push(s).unwrap();
            }
            a.end().unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), suggestions_json(list));
        }
    }
}
