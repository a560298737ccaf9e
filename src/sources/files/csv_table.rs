//! Reading a CSV file by column name, with errors that name file, line and column.

use super::ParseError;
use super::bounded::TooLong;
use super::time_field::parse_time;
use crate::ids::{self, IdKind};
use crate::model::Time;
use std::path::{Path, PathBuf};

pub struct CsvTable {
    file: PathBuf,
    headers: Vec<String>,
    reader: csv::Reader<Box<dyn std::io::Read + Send>>,
}

/// One data row; `line` is its line in the file.
pub struct Row<'t> {
    table: &'t CsvTable,
    record: csv::StringRecord,
    pub line: u64,
}

impl CsvTable {
    /// Opens `input` (the content of `file`) and checks that `required`
    /// columns exist; `None` when the file is empty (no header, no rows).
    pub fn new(
        file: &Path,
        input: Box<dyn std::io::Read + Send>,
        required: &[&str],
    ) -> Result<Option<CsvTable>, ParseError> {
        // Cells are trimmed as they are read (`Row::get`): the reader's own
        // trimming copies every record into a new one, two allocations a row.
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(file, e, 0))?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        if headers.iter().all(String::is_empty) {
            return Ok(None);
        }
        for col in required {
            if !headers.iter().any(|h| h == col) {
                return Err(ParseError::at_line(
                    file,
                    1,
                    format!(
                        "missing required column `{col}` (header has: {})",
                        headers.join(",")
                    ),
                ));
            }
        }
        Ok(Some(CsvTable {
            file: file.to_path_buf(),
            headers,
            reader,
        }))
    }

    /// Calls `each` for every data row, stopping at the first error.
    pub fn for_each_row(
        mut self,
        mut each: impl FnMut(&Row) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        let mut record = csv::StringRecord::new();
        loop {
            match self.reader.read_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    let line = record.position().map_or(0, |p| p.line());
                    if record.iter().all(|cell| cell.trim().is_empty()) {
                        continue;
                    }
                    let row = Row {
                        table: &self,
                        record: std::mem::take(&mut record),
                        line,
                    };
                    each(&row)?;
                    record = row.record;
                }
                Err(e) => {
                    let now_at = self.reader.position().line();
                    return Err(csv_error(&self.file, e, now_at));
                }
            }
        }
    }
}

/// `reached`: the line the reader got to; past the record's own line, a
/// quoted field ran on over the lines after it.
fn csv_error(file: &Path, e: csv::Error, reached: u64) -> ParseError {
    if let csv::ErrorKind::Io(io) = e.kind()
        && let Some(long) = io.get_ref().and_then(|i| i.downcast_ref::<TooLong>())
    {
        return long.to_parse_error();
    }
    let line = e.position().map(|p| p.line());
    let reason = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => match line.filter(|&l| reached > l + 1) {
            Some(l) => format!(
                "expected {expected_len} fields, found {len}: a quoted field opened here runs on to line {} (a closing \" missing?)",
                reached.max(l + 1) - 1
            ),
            None => format!("expected {expected_len} fields, found {len}"),
        },
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
        _ => e.to_string(),
    };
    ParseError {
        file: file.to_path_buf(),
        line,
        column: None,
        reason,
    }
}

impl Row<'_> {
    fn index(&self, column: &str) -> Option<usize> {
        self.table.headers.iter().position(|h| h == column)
    }

    pub fn error(&self, column: &str, reason: impl Into<String>) -> ParseError {
        ParseError {
            file: self.table.file.clone(),
            line: Some(self.line),
            column: self.index(column).map(|i| (i + 1, column.to_string())),
            reason: reason.into(),
        }
    }

    /// The cell, trimmed; empty when the column is absent.
    pub fn get(&self, column: &str) -> &str {
        self.index(column)
            .and_then(|i| self.record.get(i))
            .map_or("", str::trim)
    }

    /// A cell that must not be empty.
    pub fn required(&self, column: &str) -> Result<String, ParseError> {
        self.required_str(column).map(str::to_string)
    }

    /// [`Row::required`], borrowed from the row.
    pub fn required_str(&self, column: &str) -> Result<&str, ParseError> {
        let v = self.get(column);
        if v.is_empty() {
            Err(self.error(column, "must not be empty"))
        } else {
            Ok(v)
        }
    }

    /// Free text, as written; a cell a spreadsheet-safe writer prefixed
    /// with `'` (because it began with `=`, `+`, `-`, `@`, a tab or a
    /// carriage return) loses that `'` again.
    pub fn text(&self, column: &str) -> String {
        let v = self.get(column);
        match v.strip_prefix('\'') {
            Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_string(),
            _ => v.to_string(),
        }
    }

    /// An id: not empty, and in the grammar of [`crate::ids`].
    pub fn id(&self, column: &str, kind: IdKind) -> Result<String, ParseError> {
        self.id_str(column, kind).map(str::to_string)
    }

    /// [`Row::id`], borrowed from the row.
    pub fn id_str(&self, column: &str, kind: IdKind) -> Result<&str, ParseError> {
        let v = self.required_str(column)?;
        ids::check_as(kind, v).map_err(|e| self.error(column, e.to_string()))?;
        Ok(v)
    }

    /// An id, or nothing when the cell is empty.
    pub fn optional_id(&self, column: &str, kind: IdKind) -> Result<Option<String>, ParseError> {
        Ok(self.optional_id_str(column, kind)?.map(str::to_string))
    }

    /// [`Row::optional_id`], borrowed from the row.
    pub fn optional_id_str(&self, column: &str, kind: IdKind) -> Result<Option<&str>, ParseError> {
        let v = self.get(column);
        if v.is_empty() {
            return Ok(None);
        }
        ids::check_as(kind, v).map_err(|e| self.error(column, e.to_string()))?;
        Ok(Some(v))
    }

    pub fn time(&self, column: &str) -> Result<Time, ParseError> {
        let v = self.get(column);
        if v.is_empty() {
            return Err(self.error(column, "must not be empty"));
        }
        parse_time(v).map_err(|e| self.error(column, e.to_string()))
    }

    pub fn optional_time(&self, column: &str) -> Result<Option<Time>, ParseError> {
        if self.get(column).is_empty() {
            Ok(None)
        } else {
            self.time(column).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Headers and cells are read without the spaces around them, a row of
    /// blanks is skipped, and each row keeps its line.
    #[test]
    fn cells_are_read_trimmed_and_blank_rows_skipped() {
        let text = "\u{feff} person , name \n ana ,  Ana Lima \n  ,  \n\"bo \", Bo\n";
        let input: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(text));
        let table = CsvTable::new(Path::new("people.csv"), input, &["person", "name"])
            .unwrap()
            .unwrap();
        let mut rows = Vec::new();
        table
            .for_each_row(|row| {
                rows.push((
                    row.line,
                    row.get("person").to_string(),
                    row.get("name").to_string(),
                ));
                Ok(())
            })
            .unwrap();
        assert_eq!(
            rows,
            [
                (2, "ana".to_string(), "Ana Lima".to_string()),
                (4, "bo".to_string(), "Bo".to_string()),
            ]
        );
    }
}
