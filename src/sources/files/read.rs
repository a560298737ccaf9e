//! Parsing an org directory into an [`Org`].

use super::csv_table::CsvTable;
use super::time_field::{optional_time, time};
use super::{ParseError, ics};
use crate::model::*;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

/// The files an org directory may hold; at least one must exist.
pub const ORG_FILES: [&str; 9] = [
    "people.csv",
    "teams.toml",
    "rotations.toml",
    "trainings.csv",
    "areas.toml",
    "grants.csv",
    "delegations.toml",
    "rules.toml",
    "rotations",
];

/// Reads the whole directory; any malformed file fails the whole read.
pub fn read_org(dir: &Path) -> Result<Org, ParseError> {
    check_dir(dir)?;
    parse(&Files::Dir(dir), Some(dir))
}

/// How many grants.csv rows travel together from the reader thread.
const GRANT_BATCH: usize = 8192;

/// What a reader thread sends.
enum Msg<T> {
    Item(T),
    Failed(ParseError),
    Done,
}

/// What a reader thread hands over as it reads. It ends with an error,
/// never silently, when the reader failed or vanished, so a consumer cannot
/// mistake half of it for all of it.
pub struct Feed<T> {
    rx: std::sync::mpsc::Receiver<Msg<T>>,
    /// Named when the reader vanished.
    path: std::path::PathBuf,
    finished: bool,
}

/// The rows of grants.csv as they are parsed, in batches.
pub type GrantStream = Feed<Vec<Grant>>;

/// The other files of the directory, one table at a time, in file order.
pub type RestOfOrg = Feed<OrgPart>;

impl<T> Feed<T> {
    /// The next item: `wait` for it, or only if it is ready. `None` when
    /// there are no more (or, without `wait`, none yet).
    pub fn next_item(&mut self, wait: bool) -> Option<Result<T, ParseError>> {
        if self.finished {
            return None;
        }
        let msg = if wait {
            self.rx.recv().ok()
        } else {
            match self.rx.try_recv() {
                Ok(m) => Some(m),
                Err(std::sync::mpsc::TryRecvError::Empty) => return None,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => None,
            }
        };
        match msg {
            Some(Msg::Item(item)) => Some(Ok(item)),
            Some(Msg::Done) => {
                self.finished = true;
                None
            }
            Some(Msg::Failed(e)) => {
                self.finished = true;
                Some(Err(e))
            }
            None => {
                self.finished = true;
                Some(Err(ParseError::file(
                    &self.path,
                    "the reader thread failed",
                )))
            }
        }
    }

    /// After a failure elsewhere: this reader's error, if it has one that
    /// was not already returned.
    pub fn error(&mut self) -> Option<ParseError> {
        loop {
            if let Err(e) = self.next_item(true)? {
                return Some(e);
            }
        }
    }
}

impl<T> Iterator for Feed<T> {
    type Item = Result<T, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_item(true)
    }
}

/// Runs `read` on a thread of `scope`, which hands items to its argument
/// (false back: the consumer has gone, stop); its end or error follows.
fn spawn_feed<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    path: std::path::PathBuf,
    bound: usize,
    read: impl FnOnce(&mut dyn FnMut(T) -> bool) -> Result<(), ParseError> + Send + 'scope,
) -> Feed<T> {
    let (tx, rx) = std::sync::mpsc::sync_channel(bound);
    scope.spawn(move || {
        let mut gone = false;
        let read = read(&mut |item| {
            gone = tx.send(Msg::Item(item)).is_err();
            !gone
        });
        if !gone {
            let _ = tx.send(match read {
                Ok(()) => Msg::Done,
                Err(e) => Msg::Failed(e),
            });
        }
    });
    Feed {
        rx,
        path,
        finished: false,
    }
}

/// Reads the directory like [`read_org`], without ever holding grants.csv
/// (by far the largest file) whole: its rows arrive in `consume`'s stream in
/// batches as one thread parses them, while another parses the other files
/// and hands each table over through the second feed. A consumer that fails
/// on a grants.csv error should still ask the rest for its error, which
/// comes first in file order.
pub fn read_org_streaming<T, E: From<ParseError>>(
    dir: &Path,
    consume: impl FnOnce(GrantStream, &mut RestOfOrg) -> Result<T, E>,
) -> Result<T, E> {
    check_dir(dir)?;
    let files = Files::Dir(dir);
    let files = &files;
    std::thread::scope(|s| {
        let grants = spawn_feed(s, files.path("grants.csv"), 32, move |send| {
            let mut batch = Vec::with_capacity(GRANT_BATCH);
            let mut gone = false;
            read_grants_with(files, |g| {
                batch.push(g);
                if batch.len() == GRANT_BATCH {
                    gone = !send(std::mem::replace(
                        &mut batch,
                        Vec::with_capacity(GRANT_BATCH),
                    ));
                }
                !gone
            })?;
            if !gone && !batch.is_empty() {
                send(batch);
            }
            Ok(())
        });
        // Seven tables: the bound never makes the reader wait.
        let mut rest = spawn_feed(s, dir.to_path_buf(), 8, move |send| {
            read_tables(files, Some(dir), |p| {
                send(p);
            })
        });
        consume(grants, &mut rest)
    })
}

/// Parses every file but grants.csv, in file order, handing each table to
/// `each` as soon as it is read. With `feeds`, the rotations get the shifts
/// of the directory's `rotations/*.ics`, which match people by email, so
/// people are handed over after the rotations.
fn read_tables(
    files: &Files,
    feeds: Option<&Path>,
    mut each: impl FnMut(OrgPart),
) -> Result<(), ParseError> {
    let (areas, entitlements) = read_areas(files)?;
    each(OrgPart::Areas(areas, entitlements));
    let people = read_people(files)?;
    each(OrgPart::Teams(read_teams(files)?));
    let mut with_feeds = Org {
        people,
        rotations: read_rotations(files)?,
        ..Org::default()
    };
    if let Some(dir) = feeds {
        ics::add_feeds(dir, &mut with_feeds)?;
    }
    each(OrgPart::People(with_feeds.people));
    each(OrgPart::Rotations(with_feeds.rotations));
    each(OrgPart::Trainings(read_trainings(files)?));
    each(OrgPart::Delegations(read_delegations(files)?));
    each(OrgPart::Rules(read_rules(files)?));
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
                "no org files here (expected some of: {})",
                ORG_FILES.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Reads every file (with `feeds`, the `rotations/*.ics` there too);
/// grants.csv, by far the largest, on its own thread.
fn parse(files: &Files, feeds: Option<&Path>) -> Result<Org, ParseError> {
    std::thread::scope(|s| {
        let grants = s.spawn(|| read_grants(files));
        let mut org = Org::default();
        let rest = read_tables(files, feeds, |p| p.put_into(&mut org));
        let grants = grants.join().unwrap_or_else(|_| {
            Err(ParseError::file(
                &files.path("grants.csv"),
                "the reader thread failed",
            ))
        });
        // Report errors in file order: the other files' first, then grants.csv's.
        rest?;
        org.grants = grants?;
        Ok(org)
    })
}

/// Where the org files come from: a directory, or (for fuzzing and tests) memory.
pub enum Files<'a> {
    Dir(&'a Path),
    Memory(&'a std::collections::HashMap<String, Vec<u8>>),
}

impl Files<'_> {
    fn path(&self, name: &str) -> std::path::PathBuf {
        match self {
            Files::Dir(d) => d.join(name),
            Files::Memory(_) => Path::new(name).to_path_buf(),
        }
    }

    fn bytes(&self, name: &str) -> Result<Option<Vec<u8>>, ParseError> {
        match self {
            Files::Dir(d) => read_bytes(&d.join(name)),
            Files::Memory(m) => Ok(m.get(name).cloned()),
        }
    }

    /// A streaming reader of the file, so large CSVs are never held whole.
    fn reader(&self, name: &str) -> Result<Option<Box<dyn std::io::Read + Send>>, ParseError> {
        match self {
            Files::Dir(d) => {
                let path = d.join(name);
                match std::fs::File::open(&path) {
                    Ok(f) => Ok(Some(Box::new(std::io::BufReader::with_capacity(
                        1 << 16,
                        f,
                    )))),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(ParseError::file(&path, format!("cannot read: {e}"))),
                }
            }
            Files::Memory(m) => Ok(m.get(name).map(|b| {
                Box::new(std::io::Cursor::new(b.clone())) as Box<dyn std::io::Read + Send>
            })),
        }
    }

    fn text(&self, name: &str) -> Result<Option<String>, ParseError> {
        match self.bytes(name)? {
            None => Ok(None),
            Some(b) => String::from_utf8(b)
                .map(Some)
                .map_err(|e| ParseError::file(&self.path(name), format!("not valid UTF-8: {e}"))),
        }
    }
}

/// Parses org files held in memory (file name -> content); `rotations/*.ics` are not read.
pub fn parse_files(files: &std::collections::HashMap<String, Vec<u8>>) -> Result<Org, ParseError> {
    parse(&Files::Memory(files), None)
}

fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>, ParseError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ParseError::file(path, format!("cannot read: {e}"))),
    }
}

/// Line numbers of byte offsets, found by binary search over the newlines.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        Lines(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        )
    }

    fn line(&self, offset: usize) -> u64 {
        self.0.partition_point(|&nl| nl < offset) as u64 + 1
    }
}

fn line_of(text: &str, offset: usize) -> u64 {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

/// Tracks ids seen in one file, to name both lines of a duplicate.
struct Seen(HashMap<String, u64>);

impl Seen {
    fn new() -> Seen {
        Seen(HashMap::new())
    }

    fn check(&mut self, file: &Path, what: &str, id: &str, line: u64) -> Result<(), ParseError> {
        if id.is_empty() {
            return Err(ParseError::at_line(
                file,
                line,
                format!("{what} id must not be empty"),
            ));
        }
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

fn read_people(files: &Files) -> Result<Vec<Person>, ParseError> {
    let path = files.path("people.csv");
    let Some(bytes) = files.reader("people.csv")? else {
        return Ok(Vec::new());
    };
    let table = CsvTable::new(&path, bytes, &["id", "name", "email", "manager", "status"])?;
    let mut people = Vec::new();
    let mut seen = Seen::new();
    table.for_each_row(|row| {
        let id = row.required("id")?;
        seen.check(&path, "person", &id, row.line)?;
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
            name: row.get("name").to_string(),
            email: row.get("email").to_string(),
            manager: row.optional("manager"),
            status,
        });
        Ok(())
    })?;
    Ok(people)
}

fn read_trainings(files: &Files) -> Result<Vec<Training>, ParseError> {
    let path = files.path("trainings.csv");
    let Some(bytes) = files.reader("trainings.csv")? else {
        return Ok(Vec::new());
    };
    let table = CsvTable::new(&path, bytes, &["person", "course", "completed", "expires"])?;
    let mut out = Vec::new();
    table.for_each_row(|row| {
        out.push(Training {
            person: row.required("person")?,
            course: row.required("course")?,
            completed: row.time("completed")?,
            expires: row.optional_time("expires")?,
        });
        Ok(())
    })?;
    Ok(out)
}

fn read_grants(files: &Files) -> Result<Vec<Grant>, ParseError> {
    let mut out = Vec::new();
    read_grants_with(files, |g| {
        out.push(g);
        true
    })?;
    Ok(out)
}

/// Parses grants.csv row by row into `each`, which returns false to stop early.
fn read_grants_with(files: &Files, mut each: impl FnMut(Grant) -> bool) -> Result<(), ParseError> {
    let path = files.path("grants.csv");
    let Some(bytes) = files.reader("grants.csv")? else {
        return Ok(());
    };
    let table = CsvTable::new(
        &path,
        bytes,
        &[
            "person",
            "entitlement",
            "granted_by",
            "granted_at",
            "basis",
            "expires",
        ],
    )?;
    let mut stopped = false;
    let read = table.for_each_row(|row| {
        let basis = Basis::parse(row.get("basis")).ok_or_else(|| {
            row.error(
                "basis",
                format!(
                    "must be `manual` or `rule:<id>`, not {:?}",
                    row.get("basis")
                ),
            )
        })?;
        let grant = Grant {
            person: row.required("person")?,
            entitlement: row.required("entitlement")?,
            granted_by: row.optional("granted_by"),
            granted_at: row.time("granted_at")?,
            basis,
            expires: row.optional_time("expires")?,
        };
        if each(grant) {
            Ok(())
        } else {
            stopped = true;
            Err(row.error("person", "stopped"))
        }
    });
    if stopped { Ok(()) } else { read }
}

/// Parses a TOML file into `T`; errors carry the line and column toml reports.
fn read_toml<T: for<'de> Deserialize<'de> + Default>(
    files: &Files,
    name: &str,
) -> Result<(T, Lines), ParseError> {
    let path = files.path(name);
    let path = path.as_path();
    let Some(text) = files.text(name)? else {
        return Ok((T::default(), Lines(Vec::new())));
    };
    match toml::from_str::<T>(&text) {
        Ok(v) => Ok((v, Lines::new(&text))),
        Err(e) => {
            let line = e.span().map(|s| line_of(&text, s.start));
            let reason = e.message().to_string();
            Err(ParseError {
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
            })
        }
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

fn read_teams(files: &Files) -> Result<Vec<Team>, ParseError> {
    let path = files.path("teams.toml");
    let (file, text): (TeamsFile, _) = read_toml(files, "teams.toml")?;
    let mut seen = Seen::new();
    file.team
        .into_iter()
        .map(|t| {
            let line = text.line(t.id.span().start);
            let id = t.id.into_inner();
            seen.check(&path, "team", &id, line)?;
            Ok(Team {
                name: t.name.unwrap_or_else(|| id.clone()),
                id,
                parent: t.parent.filter(|p| !p.is_empty()),
                lead: t.lead.filter(|p| !p.is_empty()),
                members: t.members,
            })
        })
        .collect()
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

fn read_rotations(files: &Files) -> Result<Vec<Rotation>, ParseError> {
    let path = files.path("rotations.toml");
    let (file, text): (RotationsFile, _) = read_toml(files, "rotations.toml")?;
    let mut seen = Seen::new();
    file.rotation
        .into_iter()
        .map(|r| {
            let line = text.line(r.id.span().start);
            let id = r.id.into_inner();
            seen.check(&path, "rotation", &id, line)?;
            let shifts = r
                .shift
                .into_iter()
                .map(|s| {
                    let line = text.line(s.span().start);
                    let s = s.into_inner();
                    if s.end <= s.start {
                        return Err(ParseError::at_line(
                            &path,
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
                })
                .collect::<Result<_, _>>()?;
            Ok(Rotation {
                name: r.name.unwrap_or_else(|| id.clone()),
                id,
                team: r.team.filter(|t| !t.is_empty()),
                members: r.members,
                shifts,
            })
        })
        .collect()
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
    #[serde(default)]
    entitlement: Vec<EntitlementRow>,
}

#[derive(Deserialize)]
struct EntitlementRow {
    id: Spanned<String>,
    name: Option<String>,
    upstream: Option<String>,
}

fn read_areas(files: &Files) -> Result<(Vec<Area>, Vec<Entitlement>), ParseError> {
    let path = files.path("areas.toml");
    let (file, text): (AreasFile, _) = read_toml(files, "areas.toml")?;
    let mut seen_areas = Seen::new();
    let mut seen_ents = Seen::new();
    let mut areas = Vec::new();
    let mut ents = Vec::new();
    let days = |v: Option<Spanned<i64>>, what: &str, default: i64| match v {
        None => Ok(default),
        Some(s) if *s.get_ref() >= 0 => Ok(s.into_inner()),
        Some(s) => Err(ParseError::at_line(
            &path,
            text.line(s.span().start),
            format!("{what} must be zero or more days, not {}", s.get_ref()),
        )),
    };
    for a in file.area {
        let line = text.line(a.id.span().start);
        let id = a.id.into_inner();
        seen_areas.check(&path, "area", &id, line)?;
        for e in a.entitlement {
            let line = text.line(e.id.span().start);
            let eid = e.id.into_inner();
            seen_ents.check(&path, "entitlement", &eid, line)?;
            ents.push(Entitlement {
                name: e.name.unwrap_or_else(|| eid.clone()),
                id: eid,
                area: id.clone(),
                upstream: e.upstream.filter(|u| !u.is_empty()),
            });
        }
        areas.push(Area {
            name: a.name.unwrap_or_else(|| id.clone()),
            parent: a.parent.filter(|p| !p.is_empty()),
            owner: a.owner,
            tags: a.tags,
            notes: a.notes,
            review_days: days(a.review_days, "review_days", DEFAULT_REVIEW_DAYS)?,
            escalate_days: days(a.escalate_days, "escalate_days", DEFAULT_ESCALATE_DAYS)?,
            id,
        });
    }
    Ok((areas, ents))
}

#[derive(Deserialize, Default)]
struct DelegationsFile {
    #[serde(default)]
    delegation: Vec<DelegationRow>,
}

#[derive(Deserialize)]
struct DelegationRow {
    area: String,
    to: String,
    by: String,
    #[serde(deserialize_with = "time")]
    since: Time,
    #[serde(default, deserialize_with = "optional_time")]
    until: Option<Time>,
}

fn read_delegations(files: &Files) -> Result<Vec<Delegation>, ParseError> {
    let (file, _): (DelegationsFile, _) = read_toml(files, "delegations.toml")?;
    Ok(file
        .delegation
        .into_iter()
        .map(|d| Delegation {
            area: d.area,
            to: d.to,
            by: d.by,
            since: d.since,
            until: d.until,
        })
        .collect())
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
}

fn read_rules(files: &Files) -> Result<Vec<Rule>, ParseError> {
    let path = files.path("rules.toml");
    let (file, text): (RulesFile, _) = read_toml(files, "rules.toml")?;
    let mut seen = Seen::new();
    file.rule
        .into_iter()
        .map(|r| {
            let line = text.line(r.id.span().start);
            let id = r.id.into_inner();
            seen.check(&path, "rule", &id, line)?;
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
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
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
    fn empty_or_missing_dir_is_an_error() {
        let d = dir_with(&[]);
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
