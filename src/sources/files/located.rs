//! Where the records of an org directory are (file and line), so that what
//! `steward check` finds can be said at `file:line` by `sync`, and the
//! references grants.csv makes, gathered while it streams past (its rows
//! are never held together).

use crate::model::{GrantCells, Org};
use crate::policy::Snapshot;
use crate::policy::check::{self, Subject};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::path::Path;

/// The line of each record, by its index in the `Org` read (0: a record
/// that came from `rotations/*.ics`, whose lines are not kept).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OrgLines {
    pub people: Vec<u64>,
    pub teams: Vec<u64>,
    pub rotations: Vec<u64>,
    /// Per rotation, each shift's line.
    pub shifts: Vec<Vec<u64>>,
    pub trainings: Vec<u64>,
    pub areas: Vec<u64>,
    pub delegations: Vec<u64>,
    pub rules: Vec<u64>,
}

impl OrgLines {
    /// `file:line` of a record (just the file when the line is unknown).
    fn at(&self, org: &Org, subject: Subject) -> String {
        let line = |v: &Vec<u64>, i: usize| v.get(i).copied().unwrap_or(0);
        let (file, line) = match subject {
            Subject::Person(i) => ("people.csv".to_string(), line(&self.people, i)),
            Subject::Team(i) => ("teams.toml".into(), line(&self.teams, i)),
            Subject::Rotation(i) => ("rotations.toml".into(), line(&self.rotations, i)),
            Subject::Shift(i, j) => {
                let n = self.shifts.get(i).map_or(0, |s| line(s, j));
                let file = match (n, org.rotations.get(i)) {
                    (0, Some(r)) => format!("rotations/{}.ics", r.id),
                    _ => "rotations.toml".into(),
                };
                (file, n)
            }
            Subject::Training(i) => ("trainings.csv".into(), line(&self.trainings, i)),
            Subject::Area(i) => ("areas.toml".into(), line(&self.areas, i)),
            Subject::Grant(_) => ("grants.csv".into(), 0),
            Subject::Delegation(i) => ("delegations.toml".into(), line(&self.delegations, i)),
            Subject::Rule(i) => ("rules.toml".into(), line(&self.rules, i)),
        };
        if line == 0 {
            file
        } else {
            format!("{file}:{line}")
        }
    }
}

/// Which column of grants.csv a reference is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum RefKind {
    Person = 0,
    GrantedBy = 1,
    Entitlement = 2,
    Rule = 3,
}

impl RefKind {
    fn column(self) -> &'static str {
        match self {
            RefKind::Person => "person",
            RefKind::GrantedBy => "granted_by",
            RefKind::Entitlement => "entitlement",
            RefKind::Rule => "basis",
        }
    }

    fn what(self) -> &'static str {
        match self {
            RefKind::Person => "grant to unknown person",
            RefKind::GrantedBy => "granted_by unknown person",
            RefKind::Entitlement => "grant of unknown entitlement",
            RefKind::Rule => "basis names unknown rule",
        }
    }
}

/// How often an id was referred to, and from which line first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FirstSeen {
    kind: RefKind,
    line: u64,
    count: u64,
}

/// The first line and the count of one distinct id, as kept while the
/// rows stream past (lines past u32 are past any file steward reads).
#[derive(Debug, Clone, Copy)]
struct Tally {
    line: u32,
    count: u32,
}

/// The distinct ids grants.csv refers to, each with its first line: kept
/// by a keyed hash of the id, not the id itself (a million rows refer to a
/// few hundred thousand ids, and all but a few are known), so the text of
/// an unknown one is read again from its line when it is shown.
#[derive(Debug, Default, Clone)]
pub struct GrantRefs {
    hasher: RandomState,
    /// By [`RefKind`], in its order. The keys are already keyed hashes:
    /// the map spreads them with a plain multiply, not a second SipHash.
    seen: [FxHashMap<u64, Tally>; 4],
    /// By [`RefKind`], the id noted last and its key: a person's rows
    /// follow each other, as do those of one granter or rule, so most rows
    /// repeat the id before and need no new hash.
    last: [Option<(String, u64)>; 4],
}

const KINDS: [RefKind; 4] = [
    RefKind::Person,
    RefKind::GrantedBy,
    RefKind::Entitlement,
    RefKind::Rule,
];

impl GrantRefs {
    fn key(&self, id: &str) -> u64 {
        self.hasher.hash_one(id)
    }

    /// The key of `id`, a `kind` of reference, hashed only when it is not
    /// the id noted last of that kind.
    fn key_of(&mut self, kind: RefKind, id: &str) -> u64 {
        if let Some((text, key)) = &self.last[kind as usize]
            && text == id
        {
            return *key;
        }
        let key = self.key(id);
        match &mut self.last[kind as usize] {
            Some((text, last)) => {
                text.clear();
                text.push_str(id);
                *last = key;
            }
            empty => *empty = Some((id.to_string(), key)),
        }
        key
    }

    fn note_one(&mut self, kind: RefKind, id: &str, line: u64) {
        let key = self.key_of(kind, id);
        self.seen[kind as usize]
            .entry(key)
            .and_modify(|t| t.count = t.count.saturating_add(1))
            .or_insert(Tally {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                count: 1,
            });
    }

    /// Notes the references of one row of grants.csv, at `line`.
    pub fn note(&mut self, g: &GrantCells, line: u64) {
        self.note_one(RefKind::Person, g.person, line);
        if let Some(by) = g.granted_by {
            self.note_one(RefKind::GrantedBy, by, line);
        }
        self.note_one(RefKind::Entitlement, g.entitlement, line);
        if let Some(r) = g.rule {
            self.note_one(RefKind::Rule, r, line);
        }
    }

    /// Problems of the grants against the rest of the org: as many as
    /// `check` counts (one per row and unknown reference), and each
    /// distinct unknown id at its first line, the first `keep` of them
    /// said with the id as `grants` (the file) has it there.
    fn problems(&self, snap: &Snapshot, grants: &Path, keep: usize) -> (usize, Vec<(u64, String)>) {
        let org = &snap.org;
        let keys = |ids: &mut dyn Iterator<Item = &String>| -> FxHashSet<u64> {
            ids.map(|id| self.key(id)).collect()
        };
        let people = keys(&mut org.people.iter().map(|p| &p.id));
        let entitlements = keys(&mut org.entitlements.iter().map(|e| &e.id));
        let rules = keys(&mut org.rules.iter().map(|r| &r.id));
        let mut unknown: Vec<FirstSeen> = Vec::new();
        for kind in KINDS {
            let known = match kind {
                RefKind::Person | RefKind::GrantedBy => &people,
                RefKind::Entitlement => &entitlements,
                RefKind::Rule => &rules,
            };
            unknown.extend(
                self.seen[kind as usize]
                    .iter()
                    .filter(|(k, _)| !known.contains(k))
                    .map(|(_, t)| FirstSeen {
                        kind,
                        line: u64::from(t.line),
                        count: u64::from(t.count),
                    }),
            );
        }
        let count = unknown.iter().map(|s| s.count as usize).sum();
        unknown.sort_by_key(|s| (s.line, s.kind.column()));
        unknown.truncate(keep);
        let ids = cells(grants, &unknown);
        let out = unknown
            .iter()
            .map(|s| {
                let id = ids
                    .get(&(s.line, s.kind))
                    .map(|id| format!(" {id:?}"))
                    .unwrap_or_default();
                let times = if s.count == 1 {
                    String::new()
                } else {
                    format!(" (in {} rows)", s.count)
                };
                (s.line, format!("{}{id}{times}", s.kind.what()))
            })
            .collect();
        (count, out)
    }
}

/// The ids at these lines and columns of grants.csv, read again (nothing
/// when the file cannot be read as it was).
fn cells(path: &Path, wanted: &[FirstSeen]) -> HashMap<(u64, RefKind), String> {
    let mut out = HashMap::new();
    let Some(last) = wanted.iter().map(|s| s.line).max() else {
        return out;
    };
    let Ok(Some(file)) = super::bounded::open(path) else {
        return out;
    };
    let input = super::bounded::Limited::csv(path, std::io::BufReader::new(file));
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(input);
    let Ok(headers) = reader.headers().cloned() else {
        return out;
    };
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    let mut record = csv::StringRecord::new();
    while let Ok(true) = reader.read_record(&mut record) {
        let line = record.position().map_or(0, |p| p.line());
        for s in wanted.iter().filter(|s| s.line == line) {
            if let Some(v) = column(s.kind.column()).and_then(|i| record.get(i)) {
                let v = match s.kind {
                    RefKind::Rule => v.strip_prefix("rule:").unwrap_or(v),
                    _ => v,
                };
                out.insert((line, s.kind), v.to_string());
            }
        }
        if line >= last {
            break;
        }
    }
    out
}

/// What `steward check` would report of a directory: how many problems,
/// and each one `file:line: ...`, in file order (at most `keep` of them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    pub count: usize,
    pub first: Vec<String>,
}

/// The problems of the directory `dir` read as the org of `snap` (grants.csv's
/// rows not in it: `grants` holds their references).
pub fn problems(
    dir: &Path,
    snap: &Snapshot,
    lines: &OrgLines,
    grants: &GrantRefs,
    keep: usize,
) -> Problems {
    let found = check::located(snap);
    let mut all: Vec<(String, u64, String)> = found
        .iter()
        .map(|p| {
            let at = lines.at(&snap.org, p.subject);
            let (file, line) = split_at(&at);
            (file, line, format!("{at}: {}", p.text))
        })
        .collect();
    let (grant_count, grant_problems) = grants.problems(snap, &dir.join("grants.csv"), keep);
    all.extend(grant_problems.into_iter().map(|(line, text)| {
        (
            "grants.csv".to_string(),
            line,
            format!("grants.csv:{line}: {text}"),
        )
    }));
    let count = found.len() + grant_count;
    all.sort_by(|a, b| file_order(&a.0).cmp(&file_order(&b.0)).then(a.1.cmp(&b.1)));
    Problems {
        count,
        first: all.into_iter().take(keep).map(|(_, _, t)| t).collect(),
    }
}

fn split_at(at: &str) -> (String, u64) {
    match at.rsplit_once(':') {
        Some((file, line)) => match line.parse() {
            Ok(n) => (file.to_string(), n),
            Err(_) => (at.to_string(), 0),
        },
        None => (at.to_string(), 0),
    }
}

/// Files in the order the directory is documented.
fn file_order(file: &str) -> usize {
    super::ORG_FILES
        .iter()
        .position(|f| file.starts_with(f))
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Area, Basis, Grant, Person, Status, Team};

    fn person(id: &str, manager: Option<&str>) -> Person {
        Person {
            id: id.into(),
            name: id.into(),
            email: format!("{id}@x.test"),
            manager: manager.map(String::from),
            status: Status::Active,
            ..Default::default()
        }
    }

    /// An id noted again after others counts with its first noting, not
    /// as the id noted just before it.
    #[test]
    fn interleaved_ids_are_counted_each_as_itself() {
        let mut refs = GrantRefs::default();
        let ids = ["a", "b", "b", "a", "c", "a", "a", "b"];
        for (line, id) in (2..).zip(ids) {
            refs.note_one(RefKind::Person, id, line);
        }
        let tally = |id: &str| {
            let t = refs.seen[RefKind::Person as usize][&refs.key(id)];
            (t.line, t.count)
        };
        assert_eq!(tally("a"), (2, 4));
        assert_eq!(tally("b"), (3, 3));
        assert_eq!(tally("c"), (6, 1));
        assert_eq!(refs.seen[RefKind::Person as usize].len(), 3);
    }

    #[test]
    fn problems_are_counted_as_check_does_and_located() {
        let org = Org {
            people: vec![person("ana", None), person("bo", Some("ghost"))],
            teams: vec![Team {
                id: "t".into(),
                name: "T".into(),
                parent: None,
                lead: Some("ana".into()),
                members: vec!["ana".into(), "nobody".into()],
            }],
            areas: vec![Area {
                id: "a".into(),
                name: "A".into(),
                parent: None,
                owner: "ana".into(),
                tags: vec![],
                notes: String::new(),
                review_days: 90,
                escalate_days: 14,
                max_auto_changes: None,
            }],
            ..Org::default()
        };
        let lines = OrgLines {
            people: vec![2, 3],
            teams: vec![1],
            areas: vec![1],
            ..OrgLines::default()
        };
        let mut refs = GrantRefs::default();
        let t = "2026-01-01T00:00:00Z".parse().unwrap();
        for (line, who) in [(2, "ana"), (3, "ghost"), (4, "ghost")] {
            refs.note(
                &GrantCells::of(&Grant {
                    person: who.into(),
                    entitlement: "x:read".into(),
                    granted_by: None,
                    granted_at: t,
                    basis: Basis::Manual,
                    expires: None,
                    through: None,
                }),
                line,
            );
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("grants.csv"),
            "person,entitlement,granted_by,granted_at,basis,expires\n\
             ana,x:read,,2026-01-01T00:00:00Z,manual,\n\
             ghost,x:read,,2026-01-01T00:00:00Z,manual,\n\
             ghost,x:read,,2026-01-01T00:00:00Z,manual,\n",
        )
        .unwrap();
        let p = problems(dir.path(), &Snapshot::new(org), &lines, &refs, 3);
        // bo's manager, the team member, two rows of ghost, three of x:read.
        assert_eq!(p.count, 1 + 1 + 2 + 3);
        assert_eq!(
            p.first,
            vec![
                "people.csv:3: person bo manager: unknown person \"ghost\"",
                "teams.toml:1: team t member: unknown person \"nobody\"",
                "grants.csv:2: grant of unknown entitlement \"x:read\" (in 3 rows)",
            ]
        );
    }
}
