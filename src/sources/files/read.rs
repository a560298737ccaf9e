//! Parsing an org directory into an [`Org`].
//!
//! Every id (person, team, rotation, area, entitlement, course, rule) is
//! checked against the grammar of [`crate::ids`] where it is read, so a bad
//! one is an error naming its file and line. The files are opened through
//! [`super::bounded`]: regular files only, no line or CSV row over 1 MiB.

use super::bounded::{self, Limited};
use super::csv_table::CsvTable;
use super::feed::{Feed, spawn_feed};
use super::ics::{self, Window};
use super::located::{GrantRefs, OrgLines};
use super::time_field::{optional_time, time};
use super::{GRANT_COLUMNS, ORG_FILES, ParseError, REQUIRED_FILES};
use crate::config::Provides;
use crate::guard::{Cycle, cycles};
use crate::ids::{self, IdKind};
use crate::model::*;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

/// The file that holds what a source of kind `files` provides.
pub fn file_of(kind: Provides) -> &'static str {
    match kind {
        Provides::People => "people.csv",
        Provides::Teams => "teams.toml",
        Provides::Rotations => "rotations.toml",
        Provides::Trainings => "trainings.csv",
        Provides::Areas | Provides::Entitlements => "areas.toml",
        Provides::Grants => "grants.csv",
        Provides::Delegations => "delegations.toml",
        Provides::Rules => "rules.toml",
    }
}

/// Which files must exist, and why: a missing one is an error, not an
/// empty table (an export that did not arrive must never read as "nobody").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Required {
    files: Vec<&'static str>,
    why: String,
}

impl Required {
    /// An org directory (`sync --org`, `check --org`, the demo).
    pub fn org_dir() -> Required {
        Required {
            files: REQUIRED_FILES.to_vec(),
            why: format!(
                "an org directory must hold {} (delegations.toml and rotations/ are optional)",
                REQUIRED_FILES.join(", ")
            ),
        }
    }

    /// A configured `files` source: the files of exactly the kinds it
    /// provides (`delegations.toml` stays optional, as in any org directory:
    /// most delegations are made in steward).
    pub fn provided(source: &str, kinds: &[Provides]) -> Required {
        let mut files: Vec<&'static str> = kinds
            .iter()
            .filter(|k| **k != Provides::Delegations)
            .map(|k| file_of(*k))
            .collect();
        files.sort();
        files.dedup();
        let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        Required {
            why: format!(
                "source {source} provides {}, so it must hold {}",
                names.join(", "),
                files.join(", ")
            ),
            files,
        }
    }

    /// Nothing is required (files held in memory, for fuzzing and tests).
    pub fn nothing() -> Required {
        Required {
            files: Vec::new(),
            why: String::new(),
        }
    }

    /// The error for `name` being absent, if it must be there.
    fn absent(&self, path: &Path, name: &str) -> Result<(), ParseError> {
        if self.files.contains(&name) {
            return Err(ParseError::file(path, format!("missing: {}", self.why)));
        }
        Ok(())
    }
}

/// Reads the whole directory, every required file there; any malformed or
/// missing file fails the whole read.
pub fn read_org(dir: &Path) -> Result<Org, ParseError> {
    read_org_with(dir, &Required::org_dir())
}

/// [`read_org`], with `required` saying which files must exist.
pub fn read_org_with(dir: &Path, required: &Required) -> Result<Org, ParseError> {
    check_dir(dir)?;
    let feeds = Feeds { dir, window: None };
    parse(&Files::dir(dir, required), Some(feeds)).map(|(org, _)| org)
}

/// [`read_org_with`] as a sync at a time reads it: `rotations/*.ics`
/// expanded over `window` (around the sync's clock). With the feeds'
/// warnings, each with its file and line.
pub fn read_org_over(
    dir: &Path,
    required: &Required,
    window: Window,
) -> Result<(Org, Vec<String>), ParseError> {
    check_dir(dir)?;
    let feeds = Feeds {
        dir,
        window: Some(window),
    };
    parse(&Files::dir(dir, required), Some(feeds))
}

/// Where a directory's `rotations/*.ics` are, and the window their series
/// are expanded over (`None`: each series' first years, for a read without
/// a clock).
#[derive(Clone, Copy)]
struct Feeds<'a> {
    dir: &'a Path,
    window: Option<Window>,
}

/// How many grants.csv rows travel together from the reader thread.
const GRANT_BATCH: usize = 8192;

/// The rows of grants.csv as they are parsed, in batches.
pub type GrantStream = Feed<GrantBatch>;

/// The other files of the directory, one table at a time, in file order.
pub type RestOfOrg = Feed<OrgPart>;

/// What the readers of a streamed directory learned besides the org, set
/// when each reader has finished (so, once its feed has ended).
#[derive(Debug, Default)]
pub struct Found {
    /// The line of each record of the other files.
    pub lines: OnceLock<OrgLines>,
    /// The ids grants.csv refers to.
    pub grant_refs: OnceLock<GrantRefs>,
    /// The warnings of `rotations/*.ics` (file:line: ...).
    pub warnings: OnceLock<Vec<String>>,
}

/// Reads the directory like [`read_org`], without ever holding grants.csv
/// (by far the largest file) whole: its rows arrive in `consume`'s stream in
/// batches as one thread parses them, while another parses the other files
/// and hands each table over through the second feed. A consumer that fails
/// on a grants.csv error should still ask the rest for its error, which
/// comes first in file order. `Found` is filled in as the readers finish.
/// `rotations/*.ics` are expanded over `window` (see [`read_org_over`]).
pub fn read_org_streaming<T, E: From<ParseError>>(
    dir: &Path,
    required: &Required,
    window: Option<Window>,
    consume: impl FnOnce(GrantStream, &mut RestOfOrg, &Found) -> Result<T, E>,
) -> Result<T, E> {
    check_dir(dir)?;
    let files = Files::dir(dir, required);
    let files = &files;
    let found = Found::default();
    let found = &found;
    std::thread::scope(|s| {
        let grants = spawn_feed(s, files.path("grants.csv"), 32, move |send| {
            let mut batch = GrantBatch::with_capacity(GRANT_BATCH, 0);
            let mut refs = GrantRefs::default();
            let mut gone = false;
            read_grants_with(files, |g, line| {
                refs.note(&g, line);
                batch.push(g);
                if batch.len() == GRANT_BATCH {
                    // The next batch's text about as long as this one's.
                    let next = GrantBatch::with_capacity(GRANT_BATCH, batch.text_len());
                    gone = !send(std::mem::replace(&mut batch, next));
                }
                !gone
            })?;
            let _ = found.grant_refs.set(refs);
            if !gone && !batch.is_empty() {
                send(batch);
            }
            Ok(())
        });
        // Seven tables: the bound never makes the reader wait.
        let mut rest = spawn_feed(s, dir.to_path_buf(), 8, move |send| {
            let mut lines = OrgLines::default();
            let feeds = Feeds { dir, window };
            let warnings = read_tables(files, Some(feeds), &mut lines, |p| {
                send(p);
            })?;
            let _ = found.lines.set(lines);
            let _ = found.warnings.set(warnings);
            Ok(())
        });
        consume(grants, &mut rest, found)
    })
}

/// Parses every file but grants.csv, in file order, handing each table to
/// `each` as soon as it is read, and noting each record's line in `lines`.
/// With `feeds`, the rotations get the shifts of the directory's
/// `rotations/*.ics`, which match people by email, so people are handed
/// over after the rotations. Returns the feeds' warnings.
fn read_tables(
    files: &Files,
    feeds: Option<Feeds>,
    lines: &mut OrgLines,
    mut each: impl FnMut(OrgPart),
) -> Result<Vec<String>, ParseError> {
    let (areas, entitlements) = read_areas(files, &mut lines.areas)?;
    no_cycle(files, "areas.toml", &lines.areas, cycles::in_areas(&areas))?;
    each(OrgPart::Areas(areas, entitlements));
    let people = read_people(files, &mut lines.people)?;
    no_cycle(
        files,
        "people.csv",
        &lines.people,
        cycles::in_managers(&people),
    )?;
    let teams = read_teams(files, &mut lines.teams)?;
    no_cycle(files, "teams.toml", &lines.teams, cycles::in_teams(&teams))?;
    each(OrgPart::Teams(teams));
    let mut with_feeds = Org {
        people,
        rotations: read_rotations(files, &mut lines.rotations, &mut lines.shifts)?,
        ..Org::default()
    };
    let mut warnings = Vec::new();
    if let Some(Feeds { dir, window }) = feeds {
        warnings = ics::add_feeds(dir, &mut with_feeds, window)?;
        check_feed_ids(dir, &with_feeds.rotations)?;
        lines.rotations.resize(with_feeds.rotations.len(), 0);
        lines.shifts.resize(with_feeds.rotations.len(), Vec::new());
        for (r, shifts) in with_feeds.rotations.iter().zip(&mut lines.shifts) {
            shifts.resize(r.shifts.len(), 0);
        }
    }
    each(OrgPart::People(with_feeds.people));
    each(OrgPart::Rotations(with_feeds.rotations));
    each(OrgPart::Trainings(read_trainings(
        files,
        &mut lines.trainings,
    )?));
    each(OrgPart::Delegations(read_delegations(
        files,
        &mut lines.delegations,
    )?));
    each(OrgPart::Rules(read_rules(files, &mut lines.rules)?));
    Ok(warnings)
}

/// A cycle in a tree read from `file` (records at `lines`) is an error at
/// the line of its first record, naming the whole cycle.
fn no_cycle(
    files: &Files,
    file: &str,
    lines: &[u64],
    cycle: Option<Cycle>,
) -> Result<(), ParseError> {
    match cycle {
        None => Ok(()),
        Some(c) => Err(ParseError::at_line(
            &files.path(file),
            lines.get(c.first).copied().unwrap_or(0),
            c.to_string(),
        )),
    }
}

/// The rotation ids `rotations/*.ics` brought in (each file's name). A
/// shift's person is whoever the event names; one that matches nobody is an
/// unknown reference, as `check` reports.
fn check_feed_ids(dir: &Path, rotations: &[Rotation]) -> Result<(), ParseError> {
    for r in rotations {
        let file = dir.join("rotations").join(format!("{}.ics", r.id));
        ids::check_as(IdKind::Rotation, &r.id)
            .map_err(|e| ParseError::file(&file, e.to_string()))?;
    }
    Ok(())
}

fn check_dir(dir: &Path) -> Result<(), ParseError> {
    if !dir.is_dir() {
        return Err(ParseError::file(dir, "not a directory"));
    }
    if !ORG_FILES.iter().any(|f| dir.join(f).exists()) {
        return Err(ParseError::file(
            dir,
            format!(
                "no org files here (expected: {}; optional: delegations.toml, rotations/)",
                REQUIRED_FILES.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Reads every file (with `feeds`, the `rotations/*.ics` there too, and
/// their warnings); grants.csv, by far the largest, on its own thread.
fn parse(files: &Files, feeds: Option<Feeds>) -> Result<(Org, Vec<String>), ParseError> {
    std::thread::scope(|s| {
        let grants = s.spawn(|| read_grants(files));
        let mut org = Org::default();
        let mut lines = OrgLines::default();
        let rest = read_tables(files, feeds, &mut lines, |p| p.put_into(&mut org));
        let grants = grants.join().unwrap_or_else(|_| {
            Err(ParseError::file(
                &files.path("grants.csv"),
                "the reader thread failed",
            ))
        });
        // Report errors in file order: the other files' first, then grants.csv's.
        let warnings = rest?;
        org.grants = grants?;
        Ok((org, warnings))
    })
}

/// Where the org files come from: a directory, or (for fuzzing and tests)
/// memory; and which of them must be there.
struct Files<'a> {
    place: Place<'a>,
    required: &'a Required,
}

enum Place<'a> {
    Dir(&'a Path),
    Memory(&'a HashMap<String, Vec<u8>>),
}

impl<'a> Files<'a> {
    fn dir(dir: &'a Path, required: &'a Required) -> Files<'a> {
        Files {
            place: Place::Dir(dir),
            required,
        }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        match self.place {
            Place::Dir(d) => d.join(name),
            Place::Memory(_) => Path::new(name).to_path_buf(),
        }
    }

    /// The file's bytes as a stream, `None` when it is absent and may be.
    fn open(&self, name: &str) -> Result<Option<Box<dyn std::io::Read + Send>>, ParseError> {
        let path = self.path(name);
        let opened: Option<Box<dyn std::io::Read + Send>> = match self.place {
            Place::Dir(_) => bounded::open(&path)?
                .map(|f| Box::new(std::io::BufReader::with_capacity(1 << 16, f)) as _),
            Place::Memory(m) => m
                .get(name)
                .map(|b| Box::new(std::io::Cursor::new(b.clone())) as _),
        };
        if opened.is_none() {
            self.required.absent(&path, name)?;
        }
        Ok(opened)
    }

    /// The file as a CSV table with the `required` columns, read a row at a
    /// time, so large CSVs are never held whole, and no row is longer than
    /// 1 MiB; `None` when it is absent and may be, or empty.
    fn table(&self, name: &str, required: &[&str]) -> Result<Option<CsvTable>, ParseError> {
        let path = self.path(name);
        let Some(r) = self.open(name)? else {
            return Ok(None);
        };
        CsvTable::new(&path, Box::new(Limited::csv(&path, r)), required)
    }

    /// The whole text of the file, no line longer than 1 MiB.
    fn text(&self, name: &str) -> Result<Option<String>, ParseError> {
        use std::io::Read;
        let path = self.path(name);
        let Some(r) = self.open(name)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        Limited::lines(&path, r)
            .read_to_end(&mut bytes)
            .map_err(|e| bounded::read_error(&path, e))?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|e| ParseError::file(&path, format!("not valid UTF-8: {e}")))
    }
}

/// Parses org files held in memory (file name -> content); `rotations/*.ics`
/// are not read, and none is required.
pub fn parse_files(files: &HashMap<String, Vec<u8>>) -> Result<Org, ParseError> {
    let nothing = Required::nothing();
    parse(
        &Files {
            place: Place::Memory(files),
            required: &nothing,
        },
        None,
    )
    .map(|(org, _)| org)
}

/// Line numbers of byte offsets, found by binary search over the newlines
/// (of a part of a file whose first line is `first`).
struct Lines {
    newlines: Vec<usize>,
    first: u64,
}

impl Lines {
    fn new(text: &str, first: u64) -> Lines {
        Lines {
            newlines: text
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i)
                .collect(),
            first,
        }
    }

    fn line(&self, offset: usize) -> u64 {
        self.newlines.partition_point(|&nl| nl < offset) as u64 + self.first
    }
}

fn line_of(text: &str, offset: usize) -> u64 {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

/// Checks each of `values`, the ids of `kind` in `field` of the record at
/// `line`, against the id grammar.
fn check_ids<'v>(
    file: &Path,
    line: u64,
    field: &str,
    kind: IdKind,
    values: impl IntoIterator<Item = &'v str>,
) -> Result<(), ParseError> {
    for v in values {
        ids::check_as(kind, v)
            .map_err(|e| ParseError::at_line(file, line, format!("`{field}`: {e}")))?;
    }
    Ok(())
}

/// Tracks ids seen in one file, to name both lines of a duplicate.
struct Seen(HashMap<String, u64>);

impl Seen {
    fn new() -> Seen {
        Seen(HashMap::new())
    }

    /// `id` (of `kind`) follows the grammar and was not seen before.
    fn check(&mut self, file: &Path, kind: IdKind, id: &str, line: u64) -> Result<(), ParseError> {
        let what = kind.as_str();
        if id.is_empty() {
            return Err(ParseError::at_line(
                file,
                line,
                format!("{what} id must not be empty"),
            ));
        }
        ids::check_as(kind, id).map_err(|e| ParseError::at_line(file, line, e.to_string()))?;
        if let Some(first) = self.0.insert(id.to_string(), line) {
            return Err(ParseError::at_line(
                file,
                line,
                format!("duplicate {what} id {id:?} (first at line {first})"),
            ));
        }
        Ok(())
    }
}

fn read_people(files: &Files, lines: &mut Vec<u64>) -> Result<Vec<Person>, ParseError> {
    let path = files.path("people.csv");
    let columns = ["id", "name", "email", "manager", "status"];
    let Some(table) = files.table("people.csv", &columns)? else {
        return Ok(Vec::new());
    };
    let mut people = Vec::new();
    let mut seen = Seen::new();
    table.for_each_row(|row| {
        let id = row.required("id")?;
        seen.check(&path, IdKind::Person, &id, row.line)
            .map_err(|e| row.error("id", e.reason))?;
        let status = match row.get("status") {
            "active" => Status::Active,
            "left" => Status::Left,
            other => {
                return Err(row.error(
                    "status",
                    format!("must be `active` or `left`, not {other:?}"),
                ));
            }
        };
        people.push(Person {
            id,
            name: row.text("name"),
            email: row.text("email"),
            manager: row.optional_id("manager", IdKind::Person)?,
            status,
            title: Some(row.text("title")).filter(|t| !t.is_empty()),
        });
        lines.push(row.line);
        Ok(())
    })?;
    Ok(people)
}

fn read_trainings(files: &Files, lines: &mut Vec<u64>) -> Result<Vec<Training>, ParseError> {
    let columns = ["person", "course", "completed", "expires"];
    let Some(table) = files.table("trainings.csv", &columns)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    table.for_each_row(|row| {
        out.push(Training {
            person: row.id("person", IdKind::Person)?,
            course: row.id("course", IdKind::Course)?,
            completed: row.time("completed")?,
            expires: row.optional_time("expires")?,
        });
        lines.push(row.line);
        Ok(())
    })?;
    Ok(out)
}

/// grants.csv of the org directory `dir` alone (none when it has none):
/// what an apply edits.
pub fn read_grants_file(dir: &Path) -> Result<Vec<Grant>, ParseError> {
    let nothing = Required::nothing();
    read_grants(&Files::dir(dir, &nothing))
}

fn read_grants(files: &Files) -> Result<Vec<Grant>, ParseError> {
    let mut out = Vec::new();
    read_grants_with(files, |g, _| {
        out.push(g.to_grant());
        true
    })?;
    Ok(out)
}

/// Parses grants.csv row by row into `each` (with the row's line), which
/// returns false to stop early.
fn read_grants_with(
    files: &Files,
    mut each: impl FnMut(GrantCells, u64) -> bool,
) -> Result<(), ParseError> {
    let Some(table) = files.table("grants.csv", &GRANT_COLUMNS)? else {
        return Ok(());
    };
    let mut stopped = false;
    let read = table.for_each_row(|row| {
        let basis = row.get("basis");
        let rule = match basis {
            "manual" => None,
            _ => Some(
                basis
                    .strip_prefix("rule:")
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| {
                        row.error(
                            "basis",
                            format!("must be `manual` or `rule:<id>`, not {basis:?}"),
                        )
                    })?,
            ),
        };
        if let Some(id) = rule {
            ids::check_as(IdKind::Rule, id).map_err(|e| row.error("basis", e.to_string()))?;
        }
        let grant = GrantCells {
            person: row.id_str("person", IdKind::Person)?,
            entitlement: row.id_str("entitlement", IdKind::Entitlement)?,
            granted_by: row.optional_id_str("granted_by", IdKind::Person)?,
            granted_at: row.time("granted_at")?,
            rule,
            expires: row.optional_time("expires")?,
            through: None,
        };
        if each(grant, row.line) {
            Ok(())
        } else {
            stopped = true;
            Err(row.error("person", "stopped"))
        }
    });
    if stopped { Ok(()) } else { read }
}

/// Records a part of a TOML file holds at most.
const TOML_PART: usize = if cfg!(test) { 3 } else { 2048 };

/// A TOML file of `[[HEADER]]` records: what a reader of it needs to know
/// besides what it makes of a record.
trait RecordsFile: for<'de> Deserialize<'de> + Default {
    /// The file's name in an org directory.
    const NAME: &'static str;
    /// The table each record is under.
    const HEADER: &'static str;
    type Record;
    /// The records, in file order.
    fn records(self) -> Vec<Self::Record>;
    /// The byte a record's line is found at (where its key is).
    fn start(record: &Self::Record) -> usize;
}

/// The records of the file `F`, read in parts ([`read_toml_parts`]), each
/// made into a `T` by `each`, given the record, its line and the lines of
/// its part; the line of each is noted in `lines`. In file order: the first
/// error in the file fails the read.
fn read_records<F: RecordsFile, T>(
    files: &Files,
    lines: &mut Vec<u64>,
    mut each: impl FnMut(F::Record, u64, &Lines) -> Result<T, ParseError>,
) -> Result<Vec<T>, ParseError> {
    let mut out = Vec::new();
    for (file, text) in read_toml_parts::<F>(files)? {
        for record in file.records() {
            let line = text.line(F::start(&record));
            out.push(each(record, line, &text)?);
            lines.push(line);
        }
    }
    Ok(out)
}

/// Parses the TOML file `F` into `F`s, a part of at most [`TOML_PART`]
/// records at a time, each with its lines: the parser's document of a large
/// file (rules.toml at a million people) takes ten times the file, a part's
/// a little. A file with multi-line strings is parsed whole; when a part
/// fails the whole file is parsed, so an error is the one the whole file
/// gives. Errors carry the line and column toml reports.
fn read_toml_parts<F: RecordsFile>(files: &Files) -> Result<Vec<(F, Lines)>, ParseError> {
    let path = files.path(F::NAME);
    let Some(text) = files.text(F::NAME)? else {
        return Ok(vec![(F::default(), Lines::new("", 1))]);
    };
    let starts = part_starts(&text, F::HEADER);
    let mut parts = Vec::with_capacity(starts.len());
    for (i, &(start, first)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len(), |s| s.0);
        let part = &text[start..end];
        match toml::from_str::<F>(part) {
            Ok(v) => parts.push((v, Lines::new(part, first))),
            Err(_) => break,
        }
    }
    if parts.len() == starts.len() {
        return Ok(parts);
    }
    drop(parts);
    match toml::from_str::<F>(&text) {
        Ok(v) => Ok(vec![(v, Lines::new(&text, 1))]),
        Err(e) => Err(toml_error(&path, &text, &e)),
    }
}

/// Where each part of `text` starts (byte, line): the first at the start,
/// the others at a line that is `[[header]]` and no more, every
/// [`TOML_PART`] of them; only the first when the file has multi-line
/// strings (in which such a line could be text).
fn part_starts(text: &str, header: &str) -> Vec<(usize, u64)> {
    let mut starts = vec![(0, 1)];
    if text.contains("\"\"\"") || text.contains("'''") {
        return starts;
    }
    let mark = format!("[[{header}]]");
    let (mut records, mut at) = (0, 0);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_end() == mark {
            if records > 0 && records % TOML_PART == 0 {
                starts.push((at, i as u64 + 1));
            }
            records += 1;
        }
        at += line.len();
    }
    starts
}

/// A toml error in `text` (the whole file at `path`), at its line and column.
fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> ParseError {
    let line = e.span().map(|s| line_of(text, s.start));
    let reason = e.message().to_string();
    ParseError {
        file: path.to_path_buf(),
        line,
        column: e.span().and_then(|s| {
            let start = s.start.min(text.len());
            let col = start - text[..start].rfind('\n').map_or(0, |i| i + 1) + 1;
            let key = text[start..]
                .split(|c: char| c == '=' || c.is_whitespace())
                .next()
                .unwrap_or("")
                .to_string();
            Some((col, key)).filter(|_| line.is_some())
        }),
        reason,
    }
}

type Spanned<T> = toml::Spanned<T>;

#[derive(Deserialize, Default)]
struct TeamsFile {
    #[serde(default)]
    team: Vec<TeamRow>,
}

#[derive(Deserialize)]
struct TeamRow {
    id: Spanned<String>,
    name: Option<String>,
    parent: Option<String>,
    lead: Option<String>,
    #[serde(default)]
    members: Vec<String>,
}

impl RecordsFile for TeamsFile {
    const NAME: &'static str = "teams.toml";
    const HEADER: &'static str = "team";
    type Record = TeamRow;
    fn records(self) -> Vec<TeamRow> {
        self.team
    }
    fn start(t: &TeamRow) -> usize {
        t.id.span().start
    }
}

fn read_teams(files: &Files, lines: &mut Vec<u64>) -> Result<Vec<Team>, ParseError> {
    let path = files.path(TeamsFile::NAME);
    let mut seen = Seen::new();
    read_records::<TeamsFile, _>(files, lines, |t, line, _| {
        let id = t.id.into_inner();
        seen.check(&path, IdKind::Team, &id, line)?;
        let parent = t.parent.filter(|p| !p.is_empty());
        let lead = t.lead.filter(|p| !p.is_empty());
        check_ids(&path, line, "parent", IdKind::Team, parent.as_deref())?;
        check_ids(&path, line, "lead", IdKind::Person, lead.as_deref())?;
        let members = t.members.iter().map(String::as_str);
        check_ids(&path, line, "members", IdKind::Person, members)?;
        Ok(Team {
            name: t.name.unwrap_or_else(|| id.clone()),
            id,
            parent,
            lead,
            members: t.members,
        })
    })
}

#[derive(Deserialize, Default)]
struct RotationsFile {
    #[serde(default)]
    rotation: Vec<RotationRow>,
}

#[derive(Deserialize)]
struct RotationRow {
    id: Spanned<String>,
    name: Option<String>,
    team: Option<String>,
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    shift: Vec<Spanned<ShiftRow>>,
}

#[derive(Deserialize)]
struct ShiftRow {
    person: String,
    #[serde(deserialize_with = "time")]
    start: Time,
    #[serde(deserialize_with = "time")]
    end: Time,
}

impl RecordsFile for RotationsFile {
    const NAME: &'static str = "rotations.toml";
    const HEADER: &'static str = "rotation";
    type Record = RotationRow;
    fn records(self) -> Vec<RotationRow> {
        self.rotation
    }
    fn start(r: &RotationRow) -> usize {
        r.id.span().start
    }
}

fn read_rotations(
    files: &Files,
    lines: &mut Vec<u64>,
    shift_lines: &mut Vec<Vec<u64>>,
) -> Result<Vec<Rotation>, ParseError> {
    let path = files.path(RotationsFile::NAME);
    let mut seen = Seen::new();
    read_records::<RotationsFile, _>(files, lines, |r, line, text| {
        let id = r.id.into_inner();
        seen.check(&path, IdKind::Rotation, &id, line)?;
        let team = r.team.filter(|t| !t.is_empty());
        check_ids(&path, line, "team", IdKind::Team, team.as_deref())?;
        let members = r.members.iter().map(String::as_str);
        check_ids(&path, line, "members", IdKind::Person, members)?;
        let mut at = Vec::with_capacity(r.shift.len());
        let shifts = r
            .shift
            .into_iter()
            .map(|s| {
                let line = text.line(s.span().start);
                at.push(line);
                shift(&path, line, s.into_inner())
            })
            .collect::<Result<_, _>>()?;
        shift_lines.push(at);
        Ok(Rotation {
            name: r.name.unwrap_or_else(|| id.clone()),
            id,
            team,
            members: r.members,
            shifts,
        })
    })
}

/// A rotation's shift at `line` of `path`, checked: its person's id, and
/// its end after its start.
fn shift(path: &Path, line: u64, s: ShiftRow) -> Result<Shift, ParseError> {
    check_ids(path, line, "person", IdKind::Person, [s.person.as_str()])?;
    if s.end <= s.start {
        return Err(ParseError::at_line(
            path,
            line,
            format!(
                "shift of {} ends ({}) before it starts ({})",
                s.person, s.end, s.start
            ),
        ));
    }
    Ok(Shift {
        person: s.person,
        start: s.start,
        end: s.end,
    })
}

#[derive(Deserialize, Default)]
struct AreasFile {
    #[serde(default)]
    area: Vec<AreaRow>,
}

#[derive(Deserialize)]
struct AreaRow {
    id: Spanned<String>,
    name: Option<String>,
    parent: Option<String>,
    owner: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    notes: String,
    review_days: Option<Spanned<i64>>,
    escalate_days: Option<Spanned<i64>>,
    max_auto_changes: Option<Spanned<i64>>,
    #[serde(default)]
    entitlement: Vec<EntitlementRow>,
}

#[derive(Deserialize)]
struct EntitlementRow {
    id: Spanned<String>,
    name: Option<String>,
    upstream: Option<String>,
}

impl RecordsFile for AreasFile {
    const NAME: &'static str = "areas.toml";
    const HEADER: &'static str = "area";
    type Record = AreaRow;
    fn records(self) -> Vec<AreaRow> {
        self.area
    }
    fn start(a: &AreaRow) -> usize {
        a.id.span().start
    }
}

fn read_areas(
    files: &Files,
    lines: &mut Vec<u64>,
) -> Result<(Vec<Area>, Vec<Entitlement>), ParseError> {
    let path = files.path(AreasFile::NAME);
    let mut seen_areas = Seen::new();
    let mut seen_ents = Seen::new();
    let mut ents = Vec::new();
    let days = |text: &Lines, v: Option<Spanned<i64>>, what: &str, default: i64| match v {
        None => Ok(default),
        Some(s) if *s.get_ref() >= 0 => Ok(s.into_inner()),
        Some(s) => Err(ParseError::at_line(
            &path,
            text.line(s.span().start),
            format!("{what} must be zero or more days, not {}", s.get_ref()),
        )),
    };
    let areas = read_records::<AreasFile, _>(files, lines, |a, line, text| {
        let id = a.id.into_inner();
        seen_areas.check(&path, IdKind::Area, &id, line)?;
        let parent = a.parent.filter(|p| !p.is_empty());
        check_ids(&path, line, "parent", IdKind::Area, parent.as_deref())?;
        check_ids(&path, line, "owner", IdKind::Person, [a.owner.as_str()])?;
        for e in a.entitlement {
            let line = text.line(e.id.span().start);
            let eid = e.id.into_inner();
            seen_ents.check(&path, IdKind::Entitlement, &eid, line)?;
            ents.push(Entitlement {
                name: e.name.unwrap_or_else(|| eid.clone()),
                id: eid,
                area: id.clone(),
                upstream: e.upstream.filter(|u| !u.is_empty()),
            });
        }
        Ok(Area {
            name: a.name.unwrap_or_else(|| id.clone()),
            parent,
            owner: a.owner,
            tags: a.tags,
            notes: a.notes,
            review_days: days(text, a.review_days, "review_days", DEFAULT_REVIEW_DAYS)?,
            escalate_days: days(
                text,
                a.escalate_days,
                "escalate_days",
                DEFAULT_ESCALATE_DAYS,
            )?,
            max_auto_changes: match a.max_auto_changes {
                Some(m) if *m.get_ref() < 0 => {
                    return Err(ParseError::at_line(
                        &path,
                        text.line(m.span().start),
                        format!("max_auto_changes must be zero or more, not {}", m.get_ref()),
                    ));
                }
                m => m.map(Spanned::into_inner),
            },
            id,
        })
    })?;
    Ok((areas, ents))
}

#[derive(Deserialize, Default)]
struct DelegationsFile {
    #[serde(default)]
    delegation: Vec<DelegationRow>,
}

#[derive(Deserialize)]
struct DelegationRow {
    area: Spanned<String>,
    to: String,
    by: String,
    #[serde(deserialize_with = "time")]
    since: Time,
    #[serde(default, deserialize_with = "optional_time")]
    until: Option<Time>,
}

impl RecordsFile for DelegationsFile {
    const NAME: &'static str = "delegations.toml";
    const HEADER: &'static str = "delegation";
    type Record = DelegationRow;
    fn records(self) -> Vec<DelegationRow> {
        self.delegation
    }
    fn start(d: &DelegationRow) -> usize {
        d.area.span().start
    }
}

fn read_delegations(files: &Files, lines: &mut Vec<u64>) -> Result<Vec<Delegation>, ParseError> {
    let path = files.path(DelegationsFile::NAME);
    read_records::<DelegationsFile, _>(files, lines, |d, line, _| {
        let area = d.area.into_inner();
        check_ids(&path, line, "area", IdKind::Area, [area.as_str()])?;
        check_ids(&path, line, "to", IdKind::Person, [d.to.as_str()])?;
        check_ids(&path, line, "by", IdKind::Person, [d.by.as_str()])?;
        Ok(Delegation {
            area,
            to: d.to,
            by: d.by,
            since: d.since,
            until: d.until,
        })
    })
}

#[derive(Deserialize, Default)]
struct RulesFile {
    #[serde(default)]
    rule: Vec<RuleRow>,
}

#[derive(Deserialize)]
struct RuleRow {
    id: Spanned<String>,
    area: String,
    author: String,
    #[serde(default)]
    why: String,
    #[serde(default)]
    grant: Vec<String>,
    team: Option<String>,
    rotation: Option<String>,
    #[serde(default)]
    trained: Vec<String>,
    #[serde(default)]
    only_while_oncall: bool,
    apply: Option<Spanned<String>>,
    lead: Option<Spanned<String>>,
    grace: Option<Spanned<String>>,
}

/// A rule's `apply`, `lead` and `grace`, checked: `apply` is `suggest` or
/// `auto`, `lead` needs `only_while_oncall`, `grace` a rotation.
fn rule_timing(
    path: &Path,
    text: &Lines,
    r: &RuleRow,
    id: &str,
) -> Result<(ApplyMode, i64, i64), ParseError> {
    let at = |s: &Spanned<String>, msg: String| {
        ParseError::at_line(path, text.line(s.span().start), msg)
    };
    let apply = match &r.apply {
        None => ApplyMode::Suggest,
        Some(a) => ApplyMode::parse(a.get_ref()).ok_or_else(|| {
            at(
                a,
                format!(
                    "rule {id:?}: apply must be \"suggest\" or \"auto\", not {:?}",
                    a.get_ref()
                ),
            )
        })?,
    };
    let span = |v: &Option<Spanned<String>>, what: &str| -> Result<i64, ParseError> {
        match v {
            None => Ok(0),
            Some(s) => crate::time::parse_span(s.get_ref())
                .map_err(|e| at(s, format!("rule {id:?}: {what}: {e}"))),
        }
    };
    let (lead, grace) = (span(&r.lead, "lead")?, span(&r.grace, "grace")?);
    if let Some(l) = r.lead.as_ref().filter(|_| lead > 0 && !r.only_while_oncall) {
        return Err(at(
            l,
            format!("rule {id:?}: lead applies to a rule with only_while_oncall = true"),
        ));
    }
    if let Some(g) = r
        .grace
        .as_ref()
        .filter(|_| grace > 0 && r.rotation.is_none())
    {
        return Err(at(
            g,
            format!("rule {id:?}: grace applies to a rule on a rotation"),
        ));
    }
    Ok((apply, lead, grace))
}

impl RecordsFile for RulesFile {
    const NAME: &'static str = "rules.toml";
    const HEADER: &'static str = "rule";
    type Record = RuleRow;
    fn records(self) -> Vec<RuleRow> {
        self.rule
    }
    fn start(r: &RuleRow) -> usize {
        r.id.span().start
    }
}

fn read_rules(files: &Files, lines: &mut Vec<u64>) -> Result<Vec<Rule>, ParseError> {
    let path = files.path(RulesFile::NAME);
    let mut seen = Seen::new();
    read_records::<RulesFile, _>(files, lines, |r, line, text| {
        let id = r.id.get_ref().clone();
        seen.check(&path, IdKind::Rule, &id, line)?;
        check_rule_ids(&path, line, &r)?;
        let (apply, lead_secs, grace_secs) = rule_timing(&path, text, &r, &id)?;
        let audience = match (r.team, r.rotation) {
            (Some(t), None) => Audience::Team(t),
            (None, Some(r)) => Audience::Rotation(r),
            (Some(_), Some(_)) => {
                return Err(ParseError::at_line(
                    &path,
                    line,
                    format!("rule {id:?} names both `team` and `rotation`; give one"),
                ));
            }
            (None, None) => {
                return Err(ParseError::at_line(
                    &path,
                    line,
                    format!("rule {id:?} needs `team` or `rotation`"),
                ));
            }
        };
        Ok(Rule {
            id,
            area: r.area,
            author: r.author,
            why: r.why,
            grant: r.grant,
            audience,
            trained: r.trained,
            only_while_oncall: r.only_while_oncall,
            apply,
            lead_secs,
            grace_secs,
        })
    })
}

/// The ids a rule refers to.
fn check_rule_ids(path: &Path, line: u64, r: &RuleRow) -> Result<(), ParseError> {
    check_ids(path, line, "area", IdKind::Area, [r.area.as_str()])?;
    check_ids(path, line, "author", IdKind::Person, [r.author.as_str()])?;
    let grants = r.grant.iter().map(String::as_str);
    check_ids(path, line, "grant", IdKind::Entitlement, grants)?;
    check_ids(path, line, "team", IdKind::Team, r.team.as_deref())?;
    check_ids(
        path,
        line,
        "rotation",
        IdKind::Rotation,
        r.rotation.as_deref(),
    )?;
    let courses = r.trained.iter().map(String::as_str);
    check_ids(path, line, "trained", IdKind::Course, courses)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory with `files`, and every other required file empty.
    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = bare_dir_with(files);
        for name in REQUIRED_FILES {
            let p = d.path().join(name);
            if !p.exists() {
                std::fs::write(p, "").unwrap();
            }
        }
        d
    }

    fn bare_dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (name, body) in files {
            let p = d.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        d
    }

    #[test]
    fn reads_people_and_ignores_unknown_columns() {
        let d = dir_with(&[(
            "people.csv",
            "id,name,email,manager,status,shoe_size\nana,Ana,ana@x.io,,active,38\nbo,Bo,bo@x.io,ana,left,44\n",
        )]);
        let org = read_org(d.path()).unwrap();
        assert_eq!(org.people.len(), 2);
        assert_eq!(org.people[1].manager.as_deref(), Some("ana"));
        assert_eq!(org.people[1].status, Status::Left);
    }

    #[test]
    fn reads_a_persons_role_from_the_title_column() {
        let d = dir_with(&[(
            "people.csv",
            "id,name,email,title,manager,status\nana,Ana,ana@x.io,\"Tech Lead, Payments\",,active\nbo,Bo,bo@x.io,,ana,active\n",
        )]);
        let org = read_org(d.path()).unwrap();
        assert_eq!(org.people[0].title.as_deref(), Some("Tech Lead, Payments"));
        assert_eq!(org.people[1].title, None, "an empty cell is no role");
    }

    #[test]
    fn bad_status_names_file_line_and_column() {
        let d = dir_with(&[(
            "people.csv",
            "id,name,email,manager,status\nana,Ana,ana@x.io,,active\nbo,Bo,bo@x.io,,gone\n",
        )]);
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(
            e.ends_with(
                "people.csv:3:5: column `status`: must be `active` or `left`, not \"gone\""
            ),
            "{e}"
        );
    }

    #[test]
    fn missing_column_and_bad_time_are_errors() {
        let d = dir_with(&[(
            "trainings.csv",
            "person,course,completed\nana,x,2026-01-01T00:00:00Z\n",
        )]);
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("trainings.csv:1: missing required column `expires`"),
            "{e}"
        );
        let d = dir_with(&[(
            "grants.csv",
            "person,entitlement,granted_by,granted_at,basis,expires\nana,db:read,,2026-02-30T00:00:00Z,manual,\n",
        )]);
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("grants.csv:2:4: column `granted_at`: not an RFC 3339 time"),
            "{e}"
        );
    }

    #[test]
    fn bad_basis_and_short_rows_are_errors() {
        let d = dir_with(&[(
            "grants.csv",
            "person,entitlement,granted_by,granted_at,basis,expires\nana,db:read,,2026-01-01T00:00:00Z,because,\n",
        )]);
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(e.contains("grants.csv:2:5: column `basis`"), "{e}");
        let d = dir_with(&[(
            "grants.csv",
            "person,entitlement,granted_by,granted_at,basis,expires\nana,db:read\n",
        )]);
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("grants.csv:2: expected 6 fields, found 2"),
            "{e}"
        );
        assert!(!e.contains("quoted"), "{e}");
    }

    /// A quote left open swallows the lines after it: the error says so.
    #[test]
    fn an_unclosed_quote_is_named() {
        let d = dir_with(&[(
            "people.csv",
            "id,name,email,manager,status\nana,\"Ana, Lima,ana@x,,active\nbo,Bo,bo@x,,active\ncy,Cy,cy@x,,active\n",
        )]);
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(e.contains("people.csv:2: expected 5 fields"), "{e}");
        assert!(
            e.contains("a quoted field opened here runs on to line"),
            "{e}"
        );
    }

    /// A TOML file of many records is parsed in parts (of three under
    /// test): the records, their lines (a duplicate found across parts),
    /// and the errors are those of the file read whole, even a syntax
    /// error or a string that runs over lines into another part.
    #[test]
    fn a_toml_file_read_in_parts_reads_as_one() {
        let team = |i: usize| format!("[[team]]\nid = \"t{i}\"\nmembers = [\"p{i}\"]\n\n");
        let text: String = (0..10).map(team).collect();
        assert_eq!(part_starts(&text, "team").len(), 4);
        let d = dir_with(&[("teams.toml", text.as_str())]);
        let org = read_org(d.path()).unwrap();
        assert_eq!(org.teams.len(), 10);
        assert_eq!(org.teams[9].id, "t9");
        assert_eq!(org.teams[9].members, vec!["p9".to_string()]);

        let twice = format!("{text}{}", team(1));
        let d = dir_with(&[("teams.toml", twice.as_str())]);
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("teams.toml:42: duplicate team id \"t1\" (first at line 6)"),
            "{e}"
        );

        let broken = text.replace("id = \"t7\"", "id = \"t7");
        let d = dir_with(&[("teams.toml", broken.as_str())]);
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(e.contains("teams.toml:30"), "{e}");

        // A name over lines holding what looks like a header: read whole.
        let over = text.replace(
            "id = \"t2\"\n",
            "id = \"t2\"\nname = \"\"\"x\n[[team]]\n\"\"\"\n",
        );
        assert_eq!(part_starts(&over, "team").len(), 1);
        let d = dir_with(&[("teams.toml", over.as_str())]);
        let org = read_org(d.path()).unwrap();
        assert_eq!(org.teams.len(), 10);
        assert_eq!(org.teams[2].name, "x\n[[team]]\n");
    }

    /// A bad record after the first part (of three records under test) of
    /// each TOML file is named at its own line in the whole file, also where
    /// the line is of a value inside the record (a shift, a number of days,
    /// a rule's `apply`).
    #[test]
    fn a_bad_record_in_a_later_part_names_its_line_in_the_file() {
        let good = |file: &str, i: usize| match file {
            "teams.toml" => format!("[[team]]\nid = \"t{i}\"\n\n"),
            "rotations.toml" => format!("[[rotation]]\nid = \"r{i}\"\n\n"),
            "areas.toml" => format!("[[area]]\nid = \"a{i}\"\nowner = \"o\"\n\n"),
            "delegations.toml" => format!(
                "[[delegation]]\narea = \"a{i}\"\nto = \"p\"\nby = \"o\"\nsince = \"2026-01-01T00:00:00Z\"\n\n"
            ),
            _ => format!("[[rule]]\nid = \"u{i}\"\narea = \"a\"\nauthor = \"o\"\nteam = \"t\"\n\n"),
        };
        // (file, the bad record, its line counted from the record's start, what the error says)
        let cases = [
            (
                "teams.toml",
                "[[team]]\nid = \"t\"\nlead = \"a b\"\n",
                2,
                "`lead`: person id",
            ),
            (
                "rotations.toml",
                "[[rotation]]\nid = \"r\"\n[[rotation.shift]]\nperson = \"p\"\nstart = \"2026-01-02T00:00:00Z\"\nend = \"2026-01-01T00:00:00Z\"\n",
                3,
                "shift of p ends",
            ),
            (
                "areas.toml",
                "[[area]]\nid = \"a\"\nowner = \"o\"\nnotes = \"n\"\nreview_days = -1\n",
                5,
                "review_days must be zero or more days",
            ),
            (
                "delegations.toml",
                "[[delegation]]\narea = \"a\"\nto = \"@p\"\nby = \"o\"\nsince = \"2026-01-01T00:00:00Z\"\n",
                2,
                "`to`: person id",
            ),
            (
                "rules.toml",
                "[[rule]]\nid = \"u\"\narea = \"a\"\nauthor = \"o\"\nteam = \"t\"\napply = \"now\"\n",
                6,
                "rule \"u\": apply must be",
            ),
        ];
        for (file, bad, within, says) in cases {
            let before: String = (0..4).map(|i| good(file, i)).collect();
            let text = format!("{before}{bad}");
            let header = file.trim_end_matches(".toml").trim_end_matches('s');
            assert_eq!(part_starts(&text, header).len(), 2, "{file}");
            let line = before.lines().count() + within;
            let d = dir_with(&[(file, text.as_str())]);
            let e = read_org(d.path()).unwrap_err().to_string();
            assert!(e.contains(&format!("{file}:{line}: {says}")), "{file}: {e}");
        }
    }

    #[test]
    fn toml_errors_name_the_line() {
        let d = dir_with(&[(
            "rotations.toml",
            "[[rotation]]\nid = \"r\"\nmembers = []\n[[rotation.shift]]\nperson = \"a\"\nstart = \"2026-01-02T00:00:00Z\"\nend = \"2026-01-01T00:00:00Z\"\n",
        )]);
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(e.contains("rotations.toml:4: shift of a ends"), "{e}");
        let d = dir_with(&[("areas.toml", "[[area]]\nid = \"a\"\nname = \"A\"\n")]);
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(e.contains("areas.toml:1") && e.contains("owner"), "{e}");
        let d = dir_with(&[(
            "rules.toml",
            "[[rule]]\nid = \"r\"\narea = \"a\"\nauthor = \"o\"\ngrant = [\"x\"]\n",
        )]);
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("rules.toml:2: rule \"r\" needs `team` or `rotation`"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_ids_name_both_lines() {
        let d = dir_with(&[(
            "teams.toml",
            "[[team]]\nid = \"t\"\n\n[[team]]\nid = \"t\"\n",
        )]);
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("teams.toml:5: duplicate team id \"t\" (first at line 2)"),
            "{e}"
        );
    }

    #[test]
    fn areas_carry_entitlements_and_defaults() {
        let d = dir_with(&[(
            "areas.toml",
            "[[area]]\nid = \"pay\"\nowner = \"o\"\ntags = [\"pii\"]\n[[area.entitlement]]\nid = \"pay:read\"\nupstream = \"scim:g1\"\n",
        )]);
        let org = read_org(d.path()).unwrap();
        assert_eq!(org.areas[0].review_days, DEFAULT_REVIEW_DAYS);
        assert_eq!(org.areas[0].escalate_days, DEFAULT_ESCALATE_DAYS);
        assert_eq!(org.entitlements[0].area, "pay");
        assert_eq!(org.entitlements[0].upstream.as_deref(), Some("scim:g1"));
    }

    #[test]
    fn each_missing_required_file_is_named_and_empty_ones_are_no_rows() {
        for missing in REQUIRED_FILES {
            let d = dir_with(&[]);
            std::fs::remove_file(d.path().join(missing)).unwrap();
            let e = read_org(d.path()).unwrap_err();
            assert_eq!(e.file, d.path().join(missing));
            assert!(
                e.to_string()
                    .contains("missing: an org directory must hold"),
                "{e}"
            );
        }
        let d = dir_with(&[]);
        let org = read_org(d.path()).unwrap();
        assert_eq!(org, Org::default());
        // A configured source needs exactly the files of what it provides.
        let d = bare_dir_with(&[("trainings.csv", "")]);
        let only = Required::provided("lms", &[Provides::Trainings]);
        assert!(read_org_with(d.path(), &only).is_ok());
        let both = Required::provided("lms", &[Provides::Trainings, Provides::Rules]);
        let e = read_org_with(d.path(), &both).unwrap_err().to_string();
        assert!(
            e.contains("rules.toml: missing: source lms provides trainings, rules"),
            "{e}"
        );
    }

    #[test]
    fn ids_outside_the_grammar_are_refused_at_file_line_and_column() {
        // (file, its text, what the error says)
        let cases = [
            (
                "people.csv",
                "id,name,email,manager,status\nana,Ana,a@x,,active\n\"=HYPERLINK(\"\"http://evil.example\"\")\",Bo,b@x,,active\n",
                "people.csv:3:1: column `id`: person id \"=HYPERLINK",
            ),
            (
                "grants.csv",
                "person,entitlement,granted_by,granted_at,basis,expires\nana,db:read,,2026-01-01T00:00:00Z,rule:a b,\n",
                "grants.csv:2:5: column `basis`: rule id \"a b\" holds U+0020",
            ),
            (
                "teams.toml",
                "[[team]]\nid = \"t\"\n\n[[team]]\nid = \"u\"\nmembers = [\"ana\", \"b\\u001b[2Jo\"]\n",
                "teams.toml:5: `members`: person id \"b\\u{1b}[2Jo\" holds U+001B",
            ),
            (
                "rules.toml",
                "[[rule]]\nid = \"r\"\narea = \"a\"\nauthor = \"o\"\ngrant = [\"x\"]\nteam = \"t\"\ntrained = [\"@course\"]\n",
                "rules.toml:2: `trained`: course id \"@course\" starts with",
            ),
        ];
        for (file, text, says) in cases {
            let d = dir_with(&[(file, text)]);
            let e = read_org(d.path()).unwrap_err();
            assert!(e.file.ends_with(file), "{file}: {e}");
            assert!(e.to_string().contains(says), "{file}: {e}");
        }
    }

    #[test]
    fn a_cycle_fails_the_read_naming_it() {
        let d = dir_with(&[(
            "areas.toml",
            "[[area]]\nid = \"root\"\nowner = \"o\"\n\n[[area]]\nid = \"a\"\nparent = \"b\"\nowner = \"o\"\n\n[[area]]\nid = \"b\"\nparent = \"a\"\nowner = \"o\"\n",
        )]);
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(
            e.ends_with("areas.toml:6: area parents form a cycle: a -> b -> a"),
            "{e}"
        );
        let d = dir_with(&[(
            "people.csv",
            "id,name,email,manager,status\nana,A,a@x,bo,active\nbo,B,b@x,ana,active\n",
        )]);
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(
            e.ends_with("people.csv:2: managers form a cycle: ana -> bo -> ana"),
            "{e}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_to_a_device_and_an_endless_line_are_refused() {
        let d = dir_with(&[]);
        let people = d.path().join("people.csv");
        std::fs::remove_file(&people).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &people).unwrap();
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("people.csv: not a regular file (a device)"),
            "{e}"
        );
        std::fs::remove_file(&people).unwrap();
        let mut big = b"id,name,email,manager,status\nana,".to_vec();
        big.extend(std::iter::repeat_n(b'x', super::bounded::MAX_LINE + 10));
        std::fs::write(&people, big).unwrap();
        let e = read_org(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("people.csv:2: a row (or a field in it) is longer than 1 MiB"),
            "{e}"
        );
    }

    #[test]
    fn empty_or_missing_dir_is_an_error() {
        let d = bare_dir_with(&[]);
        assert!(
            read_org(d.path())
                .unwrap_err()
                .to_string()
                .contains("no org files")
        );
        assert!(
            read_org(&d.path().join("nope"))
                .unwrap_err()
                .to_string()
                .contains("not a directory")
        );
    }
}
