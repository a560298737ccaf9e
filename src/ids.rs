//! The one grammar every id follows: person, team, rotation, area,
//! entitlement, course and rule ids.
//!
//! An id is 1 to 256 characters, each a letter or a digit (of any script)
//! or one of `. _ - @ + :`; it does not start with `=`, `+`, `-` or `@`
//! (a spreadsheet would take it for a formula). So an id never holds
//! whitespace, a control character, a quote, a slash or markup, and is the
//! same wherever it is shown. Display names, notes and reasons stay free
//! text. Pure: no I/O.

use crate::model::Org;
use std::fmt;

/// The longest id, in characters.
pub const MAX_LEN: usize = 256;

/// The punctuation an id may hold besides letters and digits.
pub const PUNCTUATION: &str = "._-@+:";

/// What kind of thing an id names, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Person,
    Team,
    Rotation,
    Area,
    Entitlement,
    Course,
    Rule,
}

impl IdKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Person => "person",
            IdKind::Team => "team",
            IdKind::Rotation => "rotation",
            IdKind::Area => "area",
            IdKind::Entitlement => "entitlement",
            IdKind::Course => "course",
            IdKind::Rule => "rule",
        }
    }
}

/// Why a string is not an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadId {
    Empty,
    TooLong(usize),
    /// Starts like a spreadsheet formula.
    FormulaStart(char),
    /// A character outside the grammar, and its position (0-based, in characters).
    Character(char, usize),
}

impl fmt::Display for BadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadId::Empty => f.write_str("is empty"),
            BadId::TooLong(n) => write!(f, "is {n} characters long (at most {MAX_LEN})"),
            BadId::FormulaStart(c) => write!(
                f,
                "starts with {c:?} (an id may not start with `=`, `+`, `-` or `@`)"
            ),
            BadId::Character(c, at) => write!(
                f,
                "holds {} at character {} (ids are letters, digits and `{PUNCTUATION}`)",
                shown_char(*c),
                at + 1
            ),
        }
    }
}

/// A character as a message may show it: printable ones quoted, the rest
/// (controls, spaces, bidi marks) as an escape such as `U+202E`.
fn shown_char(c: char) -> String {
    if c.is_alphanumeric() || c.is_ascii_punctuation() {
        format!("{c:?}")
    } else {
        format!("U+{:04X}", c as u32)
    }
}

/// Whether `c` may appear in an id.
pub fn id_char(c: char) -> bool {
    c.is_alphanumeric() || PUNCTUATION.contains(c)
}

/// Checks `id` against the grammar.
pub fn check(id: &str) -> Result<(), BadId> {
    // The common case, ASCII, byte by byte.
    let bytes = id.as_bytes();
    let ascii_ok = |b: &u8| b.is_ascii_alphanumeric() || PUNCTUATION.as_bytes().contains(b);
    if bytes.len() <= MAX_LEN
        && bytes.first().is_some_and(|b| !b"=+-@".contains(b))
        && bytes.iter().all(ascii_ok)
    {
        return Ok(());
    }
    let mut chars = id.chars();
    let Some(first) = chars.next() else {
        return Err(BadId::Empty);
    };
    if "=+-@".contains(first) {
        return Err(BadId::FormulaStart(first));
    }
    let mut n = 0;
    for (i, c) in id.chars().enumerate() {
        if !id_char(c) {
            return Err(BadId::Character(c, i));
        }
        n = i + 1;
    }
    if n > MAX_LEN {
        return Err(BadId::TooLong(n));
    }
    Ok(())
}

/// An id of some kind outside the grammar: which, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnId {
    pub kind: IdKind,
    pub id: String,
    pub why: BadId,
}

impl fmt::Display for NotAnId {
    /// A sentence naming the kind and the id (shown escaped).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self
            .id
            .chars()
            .take(80)
            .collect::<String>()
            .escape_debug()
            .to_string();
        let cut = if self.id.chars().count() > 80 {
            "…"
        } else {
            ""
        };
        write!(f, "{} id \"{shown}{cut}\" {}", self.kind.as_str(), self.why)
    }
}

impl std::error::Error for NotAnId {}

/// `check`, for an id of `kind`.
pub fn check_as(kind: IdKind, id: &str) -> Result<(), NotAnId> {
    check(id).map_err(|why| NotAnId {
        kind,
        id: id.to_string(),
        why,
    })
}

/// The first id `org` defines (of a person, team, rotation, area,
/// entitlement, course or rule) outside the grammar, said with what it
/// names: for sources other than the org directory, whose reader names file
/// and line itself. A reference that is no id names nothing known, and is
/// reported as such by `check`.
pub fn first_bad(org: &Org) -> Option<NotAnId> {
    let defined = org
        .people
        .iter()
        .map(|p| (IdKind::Person, p.id.as_str()))
        .chain(org.teams.iter().map(|t| (IdKind::Team, t.id.as_str())))
        .chain(
            org.rotations
                .iter()
                .map(|r| (IdKind::Rotation, r.id.as_str())),
        )
        .chain(org.areas.iter().map(|a| (IdKind::Area, a.id.as_str())))
        .chain(
            org.entitlements
                .iter()
                .map(|e| (IdKind::Entitlement, e.id.as_str())),
        )
        .chain(
            org.trainings
                .iter()
                .map(|t| (IdKind::Course, t.course.as_str())),
        )
        .chain(org.rules.iter().map(|r| (IdKind::Rule, r.id.as_str())));
    defined
        .filter_map(|(kind, id)| check_as(kind, id).err())
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_ids_pass() {
        for id in [
            "ana",
            "ana.lima@acme.example",
            "payments-db:read",
            "team_42",
            "rule+extra",
            "josé",
            "1password",
        ] {
            assert_eq!(check(id), Ok(()), "{id}");
        }
    }

    #[test]
    fn formulas_whitespace_controls_and_markup_fail() {
        assert_eq!(check(""), Err(BadId::Empty));
        for (id, first) in [("=1+1", '='), ("+x", '+'), ("-x", '-'), ("@x", '@')] {
            assert_eq!(check(id), Err(BadId::FormulaStart(first)), "{id}");
        }
        assert_eq!(check("a b"), Err(BadId::Character(' ', 1)));
        assert_eq!(check("a\u{1b}[2J"), Err(BadId::Character('\u{1b}', 1)));
        assert_eq!(check("a\u{202e}b"), Err(BadId::Character('\u{202e}', 1)));
        assert_eq!(check("a\u{9b}b"), Err(BadId::Character('\u{9b}', 1)));
        assert_eq!(check("a/b"), Err(BadId::Character('/', 1)));
        assert_eq!(check("<b>"), Err(BadId::Character('<', 0)));
        assert_eq!(check("a\"b"), Err(BadId::Character('"', 1)));
        assert_eq!(check(&"x".repeat(MAX_LEN)), Ok(()));
        assert_eq!(
            check(&"x".repeat(MAX_LEN + 1)),
            Err(BadId::TooLong(MAX_LEN + 1))
        );
    }

    #[test]
    fn messages_name_the_kind_and_show_the_id_escaped() {
        let e = check_as(IdKind::Person, "=HYPERLINK(\"http://evil.example\")")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("person id \"=HYPERLINK"), "{e}");
        assert!(e.contains("may not start with"), "{e}");
        let e = check_as(IdKind::Team, "pay\u{1b}]0;x\u{7}")
            .unwrap_err()
            .to_string();
        assert!(!e.contains('\u{1b}') && !e.contains('\u{7}'), "{e}");
        assert!(e.contains("U+001B"), "{e}");
    }
}
