//! The bundled demo organization: copied into a fresh directory with every
//! time shifted so that it looks the same whatever day it is run.

use crate::model::Time;
use crate::store::Store;
use crate::sync::sync_org_dir;
use anyhow::{Context, Result};
use chrono::{DateTime, Duration, NaiveDateTime};
use include_dir::{Dir, include_dir};
use regex::Regex;
use std::path::{Path, PathBuf};

static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets/demo");

/// The instant the demo's files are written relative to.
pub const REFERENCE: &str = "2026-03-02T12:00:00Z";

/// The three demo owners, and what they do.
pub const PERSONAS: [(&str, &str); 3] = [
    ("priya", "tech lead"),
    ("marcus", "manager"),
    ("omar", "oncall lead"),
];

pub struct Installed {
    pub org_dir: PathBuf,
    pub db: PathBuf,
    /// The instant the demo is evaluated at.
    pub now: Time,
}

fn reference() -> Time {
    DateTime::parse_from_rfc3339(REFERENCE)
        .map(|t| t.to_utc())
        .unwrap_or_default()
}

/// How far to move the demo's times: whole hours from the reference to `now`.
pub fn offset(now: Time) -> Duration {
    Duration::hours((now - reference()).num_hours())
}

/// Moves every RFC 3339 time and iCalendar UTC time in `text` by `by`.
pub fn shift_times(text: &str, by: Duration) -> String {
    let rfc = Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
        .expect("static pattern");
    let ics = Regex::new(r"\b\d{8}T\d{6}Z\b").expect("static pattern");
    let text = rfc.replace_all(
        text,
        |c: &regex::Captures| match DateTime::parse_from_rfc3339(&c[0]) {
            Ok(t) => (t.to_utc() + by).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            Err(_) => c[0].to_string(),
        },
    );
    ics.replace_all(
        &text,
        |c: &regex::Captures| match NaiveDateTime::parse_from_str(&c[0], "%Y%m%dT%H%M%SZ") {
            Ok(t) => (t + by).format("%Y%m%dT%H%M%SZ").to_string(),
            Err(_) => c[0].to_string(),
        },
    )
    .into_owned()
}

fn write_dir(dir: &Dir, to: &Path, by: Duration) -> Result<()> {
    crate::paths::create_private_dir(to)?;
    for file in dir.files() {
        let name = file
            .path()
            .file_name()
            .context("demo file without a name")?;
        let text = file.contents_utf8().context("demo file is not UTF-8")?;
        let path = to.join(name);
        std::fs::write(&path, shift_times(text, by))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    for sub in dir.dirs() {
        let name = sub.path().file_name().context("demo dir without a name")?;
        write_dir(sub, &to.join(name), by)?;
    }
    Ok(())
}

/// Where the demo lives in a data directory.
pub fn home(data_dir: &Path) -> PathBuf {
    data_dir.join("demo")
}

/// The demo's cache in its home.
pub fn db(home: &Path) -> PathBuf {
    home.join("steward.db")
}

/// The settings key recording when the demo was installed.
const INSTALLED_AT: &str = "demo_installed_at";

/// What was done in a demo, and would be lost by installing it again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Decisions recorded (any state: held, planned, applied, failed, undone).
    pub decisions: usize,
    /// Delegations made in steward.
    pub delegations: usize,
    /// Changes applied to the demo's org directory.
    pub applied: usize,
    /// Rules written in steward.
    pub rules: usize,
    /// Entries of the audit log.
    pub audit_entries: usize,
}

impl Work {
    pub fn is_empty(&self) -> bool {
        *self == Work::default()
    }

    /// "3 decisions, 1 delegation, 2 applied changes, 6 audit entries"
    /// (rules only when some were written); "nothing decided yet" when empty.
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "nothing decided yet".to_string();
        }
        let count =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = vec![
            count(self.decisions, "decision", "decisions"),
            count(self.delegations, "delegation", "delegations"),
            count(self.applied, "applied change", "applied changes"),
        ];
        if self.rules > 0 {
            parts.push(count(
                self.rules,
                "rule written in steward",
                "rules written in steward",
            ));
        }
        parts.push(count(self.audit_entries, "audit entry", "audit entries"));
        parts.join(", ")
    }
}

/// What has been done in the demo whose cache is `db`.
pub fn work(db: &Path) -> Result<Work> {
    use crate::model::DecisionState;
    let store = Store::open_existing(db)?;
    let decisions = store.decisions()?;
    Ok(Work {
        decisions: decisions.len(),
        delegations: store.local_delegations()?.len(),
        applied: decisions
            .iter()
            .filter(|d| d.state == DecisionState::Applied)
            .count(),
        rules: store
            .rules_with_sources()?
            .iter()
            .filter(|(_, source)| source == crate::store::LOCAL_SOURCE)
            .count(),
        audit_entries: store.audit_entries(None)?.len(),
    })
}

/// The demo found in `home`: where it is, when it was installed (unknown
/// for a demo installed before steward recorded it) and what was done in it.
pub struct Existing {
    pub org_dir: PathBuf,
    pub db: PathBuf,
    pub installed_at: Option<Time>,
    pub work: Work,
}

/// The demo installed in `home`, if there is one (its cache exists); an
/// error when it is there but cannot be read.
pub fn existing(home: &Path) -> Result<Option<Existing>> {
    let db = db(home);
    if !db.exists() {
        return Ok(None);
    }
    let read = || -> Result<Existing> {
        let installed_at = Store::open_existing(&db)?
            .setting(INSTALLED_AT)?
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.to_utc());
        Ok(Existing {
            org_dir: home.join("org"),
            db: db.clone(),
            installed_at,
            work: work(&db)?,
        })
    };
    read()
        .map(Some)
        .with_context(|| format!("cannot read the demo installed in {}", home.display()))
}

/// Writes the demo into `home` (replacing any earlier demo there) and syncs it.
pub fn install(home: &Path, now: Time) -> Result<Installed> {
    let org_dir = home.join("org");
    let db = db(home);
    if home.exists() {
        std::fs::remove_dir_all(home)
            .with_context(|| format!("cannot clear {}", home.display()))?;
    }
    let by = offset(now);
    let demo_now = reference() + by;
    write_dir(&DEMO, &org_dir, by)?;
    let mut store = Store::open(&db)?;
    sync_org_dir(&mut store, &org_dir, demo_now)?;
    store.set_setting("demo_reference", REFERENCE)?;
    store.set_setting(INSTALLED_AT, &now.to_rfc3339())?;
    seed_history(&mut store, demo_now)?;
    Ok(Installed {
        org_dir,
        db,
        now: demo_now,
    })
}

/// How long the demo pretends steward has been watching the slow cases.
const HISTORY_DAYS: i64 = 16;

/// As if steward had been in use for a while: the chronic suggestions
/// (revocations for people who left, reviews that fell due) were first seen
/// `HISTORY_DAYS` ago, so those nobody decided have escalated to the owner of
/// the parent area, as they would have in a real organization.
fn seed_history(store: &mut Store, now: Time) -> Result<()> {
    use crate::model::Reason;
    use crate::policy::{Scope, Snapshot, suggestions};
    let snap = Snapshot::new(store.load_org()?);
    let chronic: Vec<_> = suggestions(&snap, &Scope::everything(&snap), now)
        .into_iter()
        .filter(|s| matches!(s.reason, Reason::PersonLeft | Reason::ReviewDue))
        .collect();
    Ok(store.note_seen(&chronic, now - Duration::days(HISTORY_DAYS))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_rfc3339_and_ics_times() {
        let by = Duration::hours(25);
        let s = shift_times(
            "a,2026-03-02T12:00:00Z,2026-03-02T13:00:00+01:00\nDTSTART:20260302T090000Z\n",
            by,
        );
        assert_eq!(
            s,
            "a,2026-03-03T13:00:00Z,2026-03-03T13:00:00Z\nDTSTART:20260303T100000Z\n"
        );
    }

    #[test]
    fn offset_is_whole_hours() {
        let now: Time = "2026-11-24T15:47:12Z".parse().unwrap_or_default();
        let by = offset(now);
        assert_eq!(by.num_seconds() % 3600, 0);
        assert!(now - (reference() + by) < Duration::hours(1));
    }
}
