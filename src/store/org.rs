//! The synced organization: each source's rows replaced whole, in one transaction.

use super::Store;
use super::epoch::secs;
use super::error::Doing;
use super::read::{self, Rows, opt_time};
use super::rows::{Cell, TableWriter};
use super::source_guard;
use super::{Error, Result};
use crate::guard::{Counts, HeldBack, ShrinkKind};
use crate::model::*;
use rusqlite::{OptionalExtension, params};

/// One configured source and what the cache knows of its last sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    pub name: String,
    pub kind: String,
    /// Where it reads from: a directory or a URL.
    pub location: String,
    /// When its data was last replaced successfully.
    pub synced_at: Option<Time>,
    /// When a sync was last attempted.
    pub attempted_at: Option<Time>,
    /// The last attempt's error, if it failed.
    pub error: Option<String>,
    pub items: i64,
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// What replacing a source's rows did, over all tables.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Replaced {
    /// Items the source holds now (shifts count with their rotation).
    pub items: usize,
    /// Of which grants.
    pub grants: usize,
    /// Rows written because they were new or changed.
    pub inserted: usize,
    /// Rows removed because the source no longer has them.
    pub deleted: usize,
}

impl Replaced {
    fn add(&mut self, w: TableWriter) -> Result<()> {
        if w.table() == "grants" {
            self.grants = w.rows;
        }
        if w.table() != "shifts" {
            self.items += w.rows;
        }
        self.inserted += w.inserted;
        self.deleted += w.finish()?;
        Ok(())
    }
}

/// Grant rows, the largest table: one buffer serves every basis.
struct GrantRows<'c> {
    table: TableWriter<'c>,
    basis: String,
}

impl<'c> GrantRows<'c> {
    fn new(tx: &'c rusqlite::Transaction, name: &str) -> Result<GrantRows<'c>> {
        Ok(GrantRows {
            table: TableWriter::new(tx, "grants", 7, name)?,
            basis: String::new(),
        })
    }

    fn insert<'g>(&mut self, grants: impl Iterator<Item = GrantCells<'g>>) -> Result<()> {
        for g in grants {
            self.basis.clear();
            match g.rule {
                None => self.basis.push_str("manual"),
                Some(id) => {
                    self.basis.push_str("rule:");
                    self.basis.push_str(id);
                }
            }
            self.table.row(&[
                g.person.into(),
                g.entitlement.into(),
                g.granted_by.map_or(Cell::Null, Cell::Text),
                secs(g.granted_at).into(),
                Cell::Text(&self.basis),
                g.expires.map(secs).into(),
                g.through.map_or(Cell::Null, Cell::Text),
            ])?;
        }
        Ok(())
    }
}

/// Every table but grants, for one source.
fn write_rest(
    tx: &rusqlite::Transaction,
    name: &str,
    org: &Org,
    written: &mut Replaced,
) -> Result<()> {
    write_people(tx, name, &org.people, written)?;
    write_teams(tx, name, &org.teams, written)?;
    write_rotations(tx, name, &org.rotations, written)?;
    write_trainings(tx, name, &org.trainings, written)?;
    write_areas(tx, name, &org.areas, written)?;
    write_entitlements(tx, name, &org.entitlements, written)?;
    write_delegations(tx, name, &org.delegations, written)?;
    write_rules(tx, name, &org.rules, written)
}

/// One part of the org, as a streaming source hands it over.
fn write_part(
    tx: &rusqlite::Transaction,
    name: &str,
    part: &OrgPart,
    written: &mut Replaced,
) -> Result<()> {
    match part {
        OrgPart::People(v) => write_people(tx, name, v, written),
        OrgPart::Teams(v) => write_teams(tx, name, v, written),
        OrgPart::Rotations(v) => write_rotations(tx, name, v, written),
        OrgPart::Trainings(v) => write_trainings(tx, name, v, written),
        OrgPart::Areas(a, e) => {
            write_areas(tx, name, a, written)?;
            write_entitlements(tx, name, e, written)
        }
        OrgPart::Delegations(v) => write_delegations(tx, name, v, written),
        OrgPart::Rules(v) => write_rules(tx, name, v, written),
    }
}

fn write_people(
    tx: &rusqlite::Transaction,
    name: &str,
    people: &[Person],
    written: &mut Replaced,
) -> Result<()> {
    let mut w = TableWriter::new(tx, "people", 6, name)?;
    for p in people {
        w.row(&[
            (&p.id).into(),
            (&p.name).into(),
            (&p.email).into(),
            (&p.manager).into(),
            p.status.as_str().into(),
            (&p.title).into(),
        ])?;
    }
    written.add(w)?;
    Ok(())
}

fn write_teams(
    tx: &rusqlite::Transaction,
    name: &str,
    teams: &[Team],
    written: &mut Replaced,
) -> Result<()> {
    let mut w = TableWriter::new(tx, "teams", 5, name)?;
    for t in teams {
        let members = json_list(&t.members);
        w.row(&[
            (&t.id).into(),
            (&t.name).into(),
            (&t.parent).into(),
            (&t.lead).into(),
            (&members).into(),
        ])?;
    }
    written.add(w)?;
    Ok(())
}

fn write_rotations(
    tx: &rusqlite::Transaction,
    name: &str,
    rotations: &[Rotation],
    written: &mut Replaced,
) -> Result<()> {
    let mut w = TableWriter::new(tx, "rotations", 4, name)?;
    let mut shifts = TableWriter::new(tx, "shifts", 4, name)?;
    for r in rotations {
        let members = json_list(&r.members);
        w.row(&[
            (&r.id).into(),
            (&r.name).into(),
            (&r.team).into(),
            (&members).into(),
        ])?;
        for s in &r.shifts {
            shifts.row(&[
                (&r.id).into(),
                (&s.person).into(),
                secs(s.start).into(),
                secs(s.end).into(),
            ])?;
        }
    }
    written.add(w)?;
    written.add(shifts)?;
    Ok(())
}

fn write_trainings(
    tx: &rusqlite::Transaction,
    name: &str,
    trainings: &[Training],
    written: &mut Replaced,
) -> Result<()> {
    let mut w = TableWriter::new(tx, "trainings", 4, name)?;
    for t in trainings {
        w.row(&[
            (&t.person).into(),
            (&t.course).into(),
            secs(t.completed).into(),
            t.expires.map(secs).into(),
        ])?;
    }
    written.add(w)?;
    Ok(())
}

fn write_areas(
    tx: &rusqlite::Transaction,
    name: &str,
    areas: &[Area],
    written: &mut Replaced,
) -> Result<()> {
    let mut w = TableWriter::new(tx, "areas", 9, name)?;
    for a in areas {
        let tags = json_list(&a.tags);
        w.row(&[
            (&a.id).into(),
            (&a.name).into(),
            (&a.parent).into(),
            (&a.owner).into(),
            (&tags).into(),
            (&a.notes).into(),
            a.review_days.into(),
            a.escalate_days.into(),
            a.max_auto_changes.into(),
        ])?;
    }
    written.add(w)?;
    Ok(())
}

fn write_entitlements(
    tx: &rusqlite::Transaction,
    name: &str,
    entitlements: &[Entitlement],
    written: &mut Replaced,
) -> Result<()> {
    let mut w = TableWriter::new(tx, "entitlements", 4, name)?;
    for e in entitlements {
        w.row(&[
            (&e.id).into(),
            (&e.area).into(),
            (&e.name).into(),
            (&e.upstream).into(),
        ])?;
    }
    written.add(w)?;
    Ok(())
}

fn write_delegations(
    tx: &rusqlite::Transaction,
    name: &str,
    delegations: &[Delegation],
    written: &mut Replaced,
) -> Result<()> {
    let mut w = TableWriter::new(tx, "delegations", 5, name)?;
    for d in delegations {
        w.row(&[
            (&d.area).into(),
            (&d.to).into(),
            (&d.by).into(),
            secs(d.since).into(),
            d.until.map(secs).into(),
        ])?;
    }
    written.add(w)?;
    Ok(())
}

fn write_rules(
    tx: &rusqlite::Transaction,
    name: &str,
    rules: &[Rule],
    written: &mut Replaced,
) -> Result<()> {
    let mut w = TableWriter::new(tx, "rules", 12, name)?;
    for r in rules {
        let (team, rotation) = match &r.audience {
            Audience::Team(t) => (Cell::Text(t), Cell::Null),
            Audience::Rotation(x) => (Cell::Null, Cell::Text(x)),
        };
        let grant = json_list(&r.grant);
        let trained = json_list(&r.trained);
        w.row(&[
            (&r.id).into(),
            (&r.area).into(),
            (&r.author).into(),
            (&r.why).into(),
            (&grant).into(),
            team,
            rotation,
            (&trained).into(),
            r.only_while_oncall.into(),
            r.apply.as_str().into(),
            r.lead_secs.into(),
            r.grace_secs.into(),
        ])?;
    }
    written.add(w)?;
    Ok(())
}

/// What [`Store::replace_with`] writes: the rows, into the transaction, for
/// a source; it counts them in `Replaced`, and may leave its last table's
/// writer to be finished beside `then`.
trait WriteRows<T>:
    for<'t> FnOnce(
    &'t rusqlite::Transaction<'t>,
    &str,
    &mut Replaced,
    &mut Option<TableWriter<'t>>,
) -> Result<(T, Counts)>
{
}

impl<T, F> WriteRows<T> for F where
    F: for<'t> FnOnce(
        &'t rusqlite::Transaction<'t>,
        &str,
        &mut Replaced,
        &mut Option<TableWriter<'t>>,
    ) -> Result<(T, Counts)>
{
}

/// Decides, inside the transaction that replaces a source's rows and
/// before it commits, whether they are kept: given what the source provided
/// at its last kept sync and what it provides now. A hold rolls it all back.
pub type Admit<'a> = &'a mut dyn FnMut(&Counts, &Counts) -> std::result::Result<(), HeldBack>;

/// Why a streamed replace failed: the stream's own error, or the cache's.
#[derive(Debug)]
pub enum Streamed<E> {
    Source(E),
    Store(Error),
}

/// The end of a write of `source`'s rows inside `tx`, before it commits:
/// `admit`'s verdict on what it provides now (`counts`), its status row,
/// the shrink guard's record and the next generation.
fn keep(
    tx: &rusqlite::Transaction,
    source: &SourceInfo,
    now: Time,
    admit: Admit,
    counts: &Counts,
    written: &Replaced,
) -> Result<()> {
    let name = source.name.as_str();
    admit(&source_guard::provided_in(tx, name)?, counts).map_err(Error::HeldBack)?;
    tracing::debug!(
        source = name,
        items = written.items,
        inserted = written.inserted,
        deleted = written.deleted,
        "source replaced"
    );
    let items = written.items as i64;
    tx.execute(
        "INSERT INTO sources (name, kind, location, synced_at, attempted_at, error, items)
         VALUES (?1, ?2, ?3, ?4, ?4, NULL, ?5)
         ON CONFLICT(name) DO UPDATE SET kind = ?2, location = ?3, synced_at = ?4,
            attempted_at = ?4, error = NULL, items = ?5",
        params![name, source.kind, source.location, secs(now), items],
    )?;
    source_guard::keep_provided(tx, name, counts)?;
    super::changes::next(tx)?;
    Ok(())
}

impl Store {
    /// Replaces everything `source` contributed with `org`, in one transaction.
    pub fn replace_source(&mut self, source: &SourceInfo, org: &Org, now: Time) -> Result<()> {
        self.replace_source_admitted(source, org, &mut |_, _| Ok(()), now)
    }

    /// [`Store::replace_source`], kept only if `admit` agrees
    /// ([`Error::HeldBack`] when it does not).
    pub fn replace_source_admitted(
        &mut self,
        source: &SourceInfo,
        org: &Org,
        admit: Admit,
        now: Time,
    ) -> Result<()> {
        self.replace_with(
            source,
            now,
            admit,
            |tx, name, written, _| {
                let mut w = GrantRows::new(tx, name)?;
                w.insert(org.grants.iter().map(GrantCells::of))?;
                written.add(w.table)?;
                write_rest(tx, name, org, written)?;
                Ok(((), Counts::of(org)))
            },
            |()| (),
        )
        .map(|_| ())
    }

    /// Like [`Store::replace_source`], for a source that hands its org over
    /// while still reading it: the files source streams grants.csv's rows in
    /// `grants` while another thread parses the other files and hands each
    /// over as an [`OrgPart`] (`parts(false)` gives one if it is ready,
    /// `parts(true)` waits; `None` then means there are no more). Each part is
    /// written between two batches of grants as soon as it is there, so
    /// parsing and writing overlap. An error from either rolls everything
    /// back, as does `admit`'s hold. Only rows that changed are written (see
    /// `rows`). Once every row is written, the org (without its grants) goes
    /// to `then`, on another thread while the write commits; returns what
    /// `then` makes of it and what was written.
    pub fn replace_source_streaming<E, U: Send>(
        &mut self,
        source: &SourceInfo,
        grants: impl IntoIterator<Item = std::result::Result<impl Into<GrantBatch>, E>>,
        mut parts: impl FnMut(bool) -> Option<std::result::Result<OrgPart, E>>,
        admit: Admit,
        now: Time,
        then: impl FnOnce(Org) -> U + Send,
    ) -> std::result::Result<(U, Replaced), Streamed<E>>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let stream = |e: E| Error::Stream(Box::new(e));
        self.replace_with(
            source,
            now,
            admit,
            |tx, name, written, last| {
                let mut org = Org::default();
                let mut take = |part: OrgPart, written: &mut Replaced| -> Result<()> {
                    write_part(tx, name, &part, written)?;
                    part.put_into(&mut org);
                    Ok(())
                };
                let mut w = GrantRows::new(tx, name)?;
                for batch in grants {
                    let batch: GrantBatch = batch.map_err(stream)?.into();
                    w.insert(batch.iter())?;
                    while let Some(part) = parts(false) {
                        take(part.map_err(stream)?, written)?;
                    }
                }
                while let Some(part) = parts(true) {
                    take(part.map_err(stream)?, written)?;
                }
                let mut counts = Counts::of(&org);
                counts.set(ShrinkKind::Grants, w.table.rows as u64);
                // The grants' old rows deleted and index built beside `then`.
                *last = Some(w.table);
                Ok((org, counts))
            },
            then,
        )
        .map_err(|e| match e {
            Error::Stream(cause) => match cause.downcast::<E>() {
                Ok(e) => Streamed::Source(*e),
                Err(cause) => Streamed::Store(Error::Stream(cause)),
            },
            e => Streamed::Store(e),
        })
    }

    /// One write transaction replacing `source`'s rows by what `write` writes
    /// (which also counts them), with the source's status row, if `admit`
    /// agrees. What `write` gives is handed to `then` on another thread
    /// while the write finishes the table `write` left in its last argument
    /// (if any: its old rows deleted, its indexes built) and commits, and
    /// what `then` gives is returned.
    fn replace_with<T: Send, U: Send>(
        &mut self,
        source: &SourceInfo,
        now: Time,
        admit: Admit,
        write: impl WriteRows<T>,
        then: impl FnOnce(T) -> U + Send,
    ) -> Result<(U, Replaced)> {
        let journal = super::first_write::begin(&self.conn)?;
        let done = std::thread::scope(|s| {
            // Immediate: the rows are read before they are written, and a
            // read transaction cannot be upgraded once another writer has
            // committed.
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let name = source.name.as_str();
            let mut written = Replaced::default();
            let mut last = None;
            let (out, counts) = write(&tx, name, &mut written, &mut last)?;
            let beside = s.spawn(move || then(out));
            let kept = last
                .map_or(Ok(()), |w| written.add(w))
                .and_then(|()| keep(&tx, source, now, admit, &counts, &written))
                .and_then(|()| tx.commit().doing("cannot commit the sync"));
            let out = beside
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            kept.map(|()| (out, written))
        });
        super::first_write::end(&self.conn, journal)?;
        done
    }

    /// Notes a failed sync of `source` without touching its data.
    pub fn record_sync_failure(
        &mut self,
        source: &SourceInfo,
        error: &str,
        now: Time,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sources (name, kind, location, synced_at, attempted_at, error, items)
             VALUES (?1, ?2, ?3, NULL, ?4, ?5, 0)
             ON CONFLICT(name) DO UPDATE SET attempted_at = ?4, error = ?5",
            params![source.name, source.kind, source.location, secs(now), error],
        )?;
        source_guard::clear_hold(&self.conn, &source.name)?;
        Ok(())
    }

    pub fn sources(&self) -> Result<Vec<SourceInfo>> {
        let mut st = self.conn.prepare(
            "SELECT name, kind, location, synced_at, attempted_at, error, items FROM sources ORDER BY name",
        )?;
        let rows = st.query_map([], |r| {
            Ok(SourceInfo {
                name: r.get(0)?,
                kind: r.get(1)?,
                location: r.get(2)?,
                synced_at: opt_time(r.get(3)?),
                attempted_at: opt_time(r.get(4)?),
                error: r.get(5)?,
                items: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn source(&self, name: &str) -> Result<Option<SourceInfo>> {
        Ok(self.sources()?.into_iter().find(|s| s.name == name))
    }

    /// Row counts per table, for `status`.
    pub fn counts(&self) -> Result<Vec<(&'static str, i64)>> {
        super::schema::ORG_TABLES
            .iter()
            .map(|t| {
                let n: i64 =
                    self.conn
                        .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?;
                Ok((*t, n))
            })
            .collect()
    }

    /// Everything every source contributed, merged.
    pub fn load_org(&self) -> Result<Org> {
        // One read transaction: every table from the same committed state,
        // even while a sync replaces them from another process.
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Deferred,
        )?;
        let org = Self::read_org(&tx)?;
        tx.finish()?;
        Ok(org)
    }

    fn read_org(c: &rusqlite::Connection) -> Result<Org> {
        read::org(c)
    }

    /// What the gate judges authority on (people, areas, delegations), read
    /// inside `tx`: as it stands when the write that needs it commits.
    pub(crate) fn read_for_gate(tx: &rusqlite::Transaction) -> Result<Org> {
        Ok(Org {
            people: read::people(tx, Rows::All)?,
            areas: read::areas(tx, Rows::All)?,
            delegations: read::delegations(tx, Rows::All)?,
            ..Org::default()
        })
    }

    /// Is `id` on the cached roster? (A scan: no index on people.id, and
    /// a hundred thousand rows take milliseconds.)
    pub fn person_known(&self, id: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM people WHERE id = ?1 LIMIT 1", [id], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Org {
        let t = |s: &str| s.parse::<Time>().unwrap();
        Org {
            people: vec![Person {
                id: "a".into(),
                name: "A".into(),
                email: "a@x".into(),
                manager: None,
                status: Status::Left,
                // A role round-trips too (migration 13).
                title: Some("Staff Engineer, \"Core\"".into()),
            }],
            teams: vec![Team {
                id: "t".into(),
                name: "T".into(),
                parent: None,
                lead: Some("a".into()),
                members: vec!["a".into()],
            }],
            rotations: vec![Rotation {
                id: "r".into(),
                name: "R".into(),
                team: Some("t".into()),
                members: vec![],
                shifts: vec![Shift {
                    person: "a".into(),
                    start: t("2026-01-01T00:00:00Z"),
                    end: t("2026-01-08T00:00:00Z"),
                }],
            }],
            trainings: vec![Training {
                person: "a".into(),
                course: "c".into(),
                completed: t("2026-01-01T00:00:00Z"),
                expires: None,
            }],
            areas: vec![Area {
                id: "x".into(),
                name: "X".into(),
                parent: None,
                owner: "a".into(),
                tags: vec!["pii".into()],
                notes: "n".into(),
                review_days: 30,
                escalate_days: 7,
                max_auto_changes: None,
            }],
            entitlements: vec![Entitlement {
                id: "x:r".into(),
                area: "x".into(),
                name: "read".into(),
                upstream: Some("g".into()),
            }],
            grants: vec![Grant {
                person: "a".into(),
                entitlement: "x:r".into(),
                granted_by: None,
                granted_at: t("2026-01-01T00:00:00Z"),
                basis: Basis::Rule("q".into()),
                expires: Some(t("2027-01-01T00:00:00Z")),
                through: None,
            }],
            delegations: vec![Delegation {
                area: "x".into(),
                to: "a".into(),
                by: "a".into(),
                since: t("2026-01-01T00:00:00Z"),
                until: None,
            }],
            rules: vec![Rule {
                id: "q".into(),
                area: "x".into(),
                author: "a".into(),
                why: "w".into(),
                grant: vec!["x:r".into()],
                audience: Audience::Rotation("r".into()),
                trained: vec!["c".into()],
                only_while_oncall: true,
                apply: ApplyMode::Suggest,
                lead_secs: 0,
                grace_secs: 0,
            }],
        }
    }

    fn info(name: &str) -> SourceInfo {
        SourceInfo {
            name: name.into(),
            kind: "files".into(),
            location: "/tmp/x".into(),
            synced_at: None,
            attempted_at: None,
            error: None,
            items: 0,
        }
    }

    #[test]
    fn an_org_round_trips_through_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        store
            .replace_source(&info("files"), &sample(), now)
            .unwrap();
        assert_eq!(store.load_org().unwrap(), sample());
        // Replacing again does not duplicate.
        store
            .replace_source(&info("files"), &sample(), now)
            .unwrap();
        assert_eq!(store.load_org().unwrap(), sample());
        let s = &store.sources().unwrap()[0];
        assert_eq!(s.synced_at, Some(now));
        assert_eq!(s.items, 9);
    }

    /// The org's tables as a streaming source hands them over.
    fn parts_of(
        org: &Org,
    ) -> impl FnMut(bool) -> Option<Result<OrgPart, std::convert::Infallible>> {
        let mut parts = vec![
            OrgPart::Areas(org.areas.clone(), org.entitlements.clone()),
            OrgPart::People(org.people.clone()),
            OrgPart::Teams(org.teams.clone()),
            OrgPart::Rotations(org.rotations.clone()),
            OrgPart::Trainings(org.trainings.clone()),
            OrgPart::Delegations(org.delegations.clone()),
            OrgPart::Rules(org.rules.clone()),
        ]
        .into_iter();
        move |_| parts.next().map(Ok)
    }

    fn replace(store: &mut Store, org: &Org) -> Replaced {
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        store
            .replace_source_streaming(
                &info("files"),
                std::iter::once(Ok::<_, std::convert::Infallible>(org.grants.clone())),
                parts_of(org),
                &mut |_, _| Ok(()),
                now,
                |org| org,
            )
            .unwrap()
            .1
    }

    #[test]
    fn a_resync_writes_only_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let mut org = sample();
        // Two identical grant rows: rows are a multiset, not a set.
        org.grants.push(org.grants[0].clone());
        let first = replace(&mut store, &org);
        assert_eq!(first.inserted, first.items + 1, "{first:?}"); // + the shift
        assert_eq!(first.deleted, 0);

        let same = replace(&mut store, &org);
        assert_eq!((same.inserted, same.deleted), (0, 0), "{same:?}");
        assert_eq!(store.load_org().unwrap(), org);

        // One grant changes, one of the twins goes, a person is renamed.
        let mut changed = org.clone();
        changed.grants.pop();
        changed.grants[0].expires = None;
        changed.people[0].name = "A. Renamed".into();
        let r = replace(&mut store, &changed);
        assert_eq!((r.inserted, r.deleted), (2, 3), "{r:?}");
        assert_eq!(store.load_org().unwrap(), changed);

        // Another source's identical rows are its own.
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        store.replace_source(&info("other"), &changed, now).unwrap();
        let r = replace(&mut store, &org);
        assert_eq!((r.inserted, r.deleted), (3, 2), "{r:?}");
        let both = store.load_org().unwrap();
        assert_eq!(both.grants.len(), org.grants.len() + changed.grants.len());
    }

    #[test]
    fn a_failure_is_noted_and_leaves_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        store
            .replace_source(&info("files"), &sample(), now)
            .unwrap();
        store
            .record_sync_failure(&info("files"), "boom", now + chrono::Duration::hours(1))
            .unwrap();
        assert_eq!(store.load_org().unwrap(), sample());
        let s = &store.sources().unwrap()[0];
        assert_eq!(s.synced_at, Some(now));
        assert_eq!(s.error.as_deref(), Some("boom"));
    }
}
