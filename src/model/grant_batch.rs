//! Grant rows packed for handing over in bulk: a batch's text in one
//! buffer and each row's cells as spans of it, so a reader passes
//! thousands of rows to a writer with a few allocations instead of three
//! or four for every row.

use super::{Basis, Grant, Time};

/// One grant row, its text borrowed: what a [`GrantBatch`] takes and gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantCells<'a> {
    pub person: &'a str,
    pub entitlement: &'a str,
    pub granted_by: Option<&'a str>,
    pub granted_at: Time,
    /// The rule a grant comes from; `None` for a manual grant.
    pub rule: Option<&'a str>,
    pub expires: Option<Time>,
    /// See [`Grant::through`].
    pub through: Option<&'a str>,
}

impl<'a> GrantCells<'a> {
    pub fn of(g: &'a Grant) -> GrantCells<'a> {
        GrantCells {
            person: &g.person,
            entitlement: &g.entitlement,
            granted_by: g.granted_by.as_deref(),
            granted_at: g.granted_at,
            rule: g.basis.rule(),
            expires: g.expires,
            through: g.through.as_deref(),
        }
    }

    pub fn to_grant(&self) -> Grant {
        Grant {
            person: self.person.to_string(),
            entitlement: self.entitlement.to_string(),
            granted_by: self.granted_by.map(str::to_string),
            granted_at: self.granted_at,
            basis: self
                .rule
                .map_or(Basis::Manual, |r| Basis::Rule(r.to_string())),
            expires: self.expires,
            through: self.through.map(str::to_string),
        }
    }
}

/// Where a cell's text is in the batch's buffer.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
}

/// One row of a batch: its cells' spans and times.
#[derive(Debug, Clone, Copy)]
struct Packed {
    person: Span,
    entitlement: Span,
    granted_by: Option<Span>,
    rule: Option<Span>,
    through: Option<Span>,
    granted_at: Time,
    expires: Option<Time>,
}

/// Grant rows in the order they were pushed, their text in one buffer.
#[derive(Debug, Clone, Default)]
pub struct GrantBatch {
    text: String,
    rows: Vec<Packed>,
}

impl GrantBatch {
    /// A batch with room for `rows` rows of about `bytes` bytes of text in all.
    pub fn with_capacity(rows: usize, bytes: usize) -> GrantBatch {
        GrantBatch {
            text: String::with_capacity(bytes),
            rows: Vec::with_capacity(rows),
        }
    }

    fn span(&mut self, cell: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(cell);
        Span {
            start,
            end: self.text.len(),
        }
    }

    pub fn push(&mut self, g: GrantCells) {
        let row = Packed {
            person: self.span(g.person),
            entitlement: self.span(g.entitlement),
            granted_by: g.granted_by.map(|c| self.span(c)),
            rule: g.rule.map(|c| self.span(c)),
            through: g.through.map(|c| self.span(c)),
            granted_at: g.granted_at,
            expires: g.expires,
        };
        self.rows.push(row);
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Bytes of text the batch holds.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = GrantCells<'_>> + '_ {
        let cell = |s: Span| &self.text[s.start..s.end];
        self.rows.iter().map(move |r| GrantCells {
            person: cell(r.person),
            entitlement: cell(r.entitlement),
            granted_by: r.granted_by.map(cell),
            granted_at: r.granted_at,
            rule: r.rule.map(cell),
            expires: r.expires,
            through: r.through.map(cell),
        })
    }
}

impl From<&[Grant]> for GrantBatch {
    fn from(grants: &[Grant]) -> GrantBatch {
        let mut batch = GrantBatch::with_capacity(grants.len(), 0);
        for g in grants {
            batch.push(GrantCells::of(g));
        }
        batch
    }
}

impl From<Vec<Grant>> for GrantBatch {
    fn from(grants: Vec<Grant>) -> GrantBatch {
        GrantBatch::from(&grants[..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every cell comes back as it went in, row by row, in order, empty
    /// cells and absent ones apart.
    #[test]
    fn rows_come_back_as_pushed() {
        let t: Time = "2026-01-01T00:00:00Z".parse().unwrap();
        let grants = vec![
            Grant {
                person: "ana".into(),
                entitlement: "x:read".into(),
                granted_by: Some("bo".into()),
                granted_at: t,
                basis: Basis::Rule("r1".into()),
                expires: Some(t + chrono::Duration::days(3)),
                through: Some("team-a -> g".into()),
            },
            Grant {
                person: "bo".into(),
                entitlement: "".into(),
                granted_by: Some(String::new()),
                granted_at: t,
                basis: Basis::Manual,
                expires: None,
                through: None,
            },
            Grant {
                person: "émile".into(),
                entitlement: "y:write".into(),
                granted_by: None,
                granted_at: t + chrono::Duration::seconds(1),
                basis: Basis::Rule("r2".into()),
                expires: None,
                through: None,
            },
        ];
        let batch = GrantBatch::from(&grants[..]);
        assert_eq!(batch.len(), 3);
        let back: Vec<Grant> = batch.iter().map(|c| c.to_grant()).collect();
        assert_eq!(back, grants);
        assert!(GrantBatch::default().is_empty());
    }
}
