//! Plain-text tables for the terminal.

use crate::model::Suggestion;

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
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
    serde_json::to_string_pretty(list).unwrap_or_else(|_| "[]".into())
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
}
