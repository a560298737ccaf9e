//! What the console shows, loaded from the store: the snapshot, the scope of
//! the person at the keyboard, their suggestions, decisions, plan, audit and
//! sources. Loading is the only part that does I/O; everything here after
//! that is plain data.

use crate::apply::{self, Change};
use crate::digest::compose::current_escalations;
use crate::model::*;
use crate::policy::escalation::Escalation;
use crate::policy::{Scope, Snapshot, suggestions};
use crate::store::{AuditEntry, LocalDelegation, SourceInfo, Store};
use anyhow::Result;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// `org` with its free text (names, notes, tags, reasons) as the console
/// may draw it: every control or invisible formatting character shown as
/// `\u{1b}` (see `safe_text`), never sent to the terminal, nor dropped
/// leaving `[31m` behind. Ids follow their grammar and need nothing.
pub fn shown(mut org: Org) -> Org {
    let safe = |t: &mut String| {
        if let std::borrow::Cow::Owned(s) = crate::safe_text::terminal_line(t) {
            *t = s;
        }
    };
    for p in &mut org.people {
        safe(&mut p.name);
        safe(&mut p.email);
        p.title.iter_mut().for_each(safe);
    }
    for t in &mut org.teams {
        safe(&mut t.name);
    }
    for r in &mut org.rotations {
        safe(&mut r.name);
    }
    for a in &mut org.areas {
        safe(&mut a.name);
        safe(&mut a.notes);
        a.tags.iter_mut().for_each(safe);
    }
    for e in &mut org.entitlements {
        safe(&mut e.name);
        e.upstream.iter_mut().for_each(safe);
    }
    for r in &mut org.rules {
        safe(&mut r.why);
    }
    for g in &mut org.grants {
        g.through.iter_mut().for_each(safe);
    }
    org
}

/// The text of decisions, audit entries and sources as the console may
/// draw it (see [`shown`]).
fn shown_records(decisions: &mut [Decision], audit: &mut [AuditEntry], sources: &mut [SourceInfo]) {
    let safe = |t: &mut String| {
        if let std::borrow::Cow::Owned(s) = crate::safe_text::terminal_line(t) {
            *t = s;
        }
    };
    for d in decisions {
        d.note.iter_mut().for_each(safe);
        d.result.iter_mut().for_each(safe);
    }
    for a in audit {
        safe(&mut a.detail);
    }
    for s in sources {
        s.error.iter_mut().for_each(safe);
        safe(&mut s.location);
    }
}

/// How many audit entries the audit view shows.
pub const AUDIT_LIMIT: usize = 200;

/// Which load this data is: what the console derives from it is kept while
/// these stay the same. `base` changes when the organization or the
/// suggestions were evaluated afresh, `records` when decisions, plan, audit
/// or escalations were read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Revision {
    pub base: u64,
    pub records: u64,
}

/// A number no load had before.
fn fresh() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Revision {
    /// Everything evaluated afresh.
    pub fn new() -> Revision {
        Revision {
            base: fresh(),
            records: fresh(),
        }
    }

    /// The same evaluation, its records read again.
    pub fn records_of(base: u64) -> Revision {
        Revision {
            base,
            records: fresh(),
        }
    }
}

/// What an evaluation rests on: the snapshot, the scope and the
/// suggestions, kept when only decisions change.
#[derive(Clone)]
pub struct Base {
    /// The `Revision::base` of the data it came from.
    pub id: u64,
    pub snap: Arc<Snapshot>,
    pub scope: Scope,
    pub suggestions: Vec<Suggestion>,
}

pub struct Data {
    pub revision: Revision,
    pub snap: Arc<Snapshot>,
    pub me: String,
    pub scope: Scope,
    /// Every suggestion in scope at `now`, decided or not.
    pub suggestions: Vec<Suggestion>,
    pub decisions: Vec<Decision>,
    pub plan: Vec<Change>,
    pub audit: Vec<AuditEntry>,
    pub sources: Vec<SourceInfo>,
    /// Delegations made in steward (revocable from the console).
    pub local_delegations: Vec<LocalDelegation>,
    /// Suggestions in scope left undecided past their area's
    /// `escalate_days`: escalated to `me` (`to == me`), or past `me` to an
    /// owner above.
    pub escalations: Vec<Escalation>,
    /// Each rule's id and the source it comes from.
    pub rule_sources: Vec<(String, String)>,
    /// What the automatic rules did and hold back in scope.
    pub automatic: super::automatic::Automatic,
}

impl Data {
    /// Everything from the store; `snap` is reused when given (nothing
    /// upstream changed, only decisions). Notes the suggestions as seen at
    /// `now`, as a digest run does: escalation counts from a first sighting.
    pub fn load(
        store: &mut Store,
        me: &str,
        now: Time,
        snap: Option<Arc<Snapshot>>,
    ) -> Result<Data> {
        let snap = match snap {
            Some(s) => s,
            None => Arc::new(Snapshot::new(shown(store.load_for(me, now)?))),
        };
        let scope = Scope::of(&snap, me, now);
        let suggestions = suggestions(&snap, &scope, now);
        // Only what was not seen by then: on a large organization most
        // were, and rewriting them all would cost a second.
        let seen = store.first_seen()?;
        let fresh: Vec<Suggestion> = suggestions
            .iter()
            .filter(|s| seen.of(s).is_none_or(|t| t > now))
            .cloned()
            .collect();
        // Read again only if it changed (a second read costs 80 ms at 100k).
        let seen = match fresh.is_empty() {
            true => Some(seen),
            false => {
                store.note_seen(&fresh, now)?;
                None
            }
        };
        Data::with(store, me, now, snap, scope, suggestions, seen)
    }

    /// Decisions, plan, audit and sources read from the store around a
    /// snapshot and suggestions already evaluated.
    pub fn with_base(store: &Store, me: &str, now: Time, base: Base) -> Result<Data> {
        let mut data = Data::with(
            store,
            me,
            now,
            base.snap,
            base.scope,
            base.suggestions,
            None,
        )?;
        data.revision = Revision::records_of(base.id);
        Ok(data)
    }

    /// What this data's evaluation rests on (to keep it when only
    /// decisions change).
    pub fn base(&self) -> Base {
        Base {
            id: self.revision.base,
            snap: self.snap.clone(),
            scope: self.scope.clone(),
            suggestions: self.suggestions.clone(),
        }
    }

    /// Is this the evaluation `base` holds (same scope, same suggestions)?
    /// Then what was derived from `base` still holds for it.
    pub fn evaluates_as(&self, base: &Base) -> bool {
        Arc::ptr_eq(&self.snap, &base.snap)
            && self.scope.roots == base.scope.roots
            && self.suggestions == base.suggestions
    }

    /// Nothing yet: what the console holds while it loads.
    pub fn empty(me: &str) -> Data {
        Data::from_org(Org::default(), me, Time::default())
    }

    fn with(
        store: &Store,
        me: &str,
        now: Time,
        snap: Arc<Snapshot>,
        scope: Scope,
        suggestions: Vec<Suggestion>,
        first_seen: Option<crate::store::reminders::FirstSeen>,
    ) -> Result<Data> {
        let mut decisions = store.decisions()?;
        let plan = apply::plan(store, &snap, &scope)?;
        let mut audit = store.audit_entries(Some(AUDIT_LIMIT))?;
        let mut sources = store.sources()?;
        shown_records(&mut decisions, &mut audit, &mut sources);
        let local_delegations = store.local_delegations()?;
        let first_seen = match first_seen {
            Some(s) => s,
            None => store.first_seen()?,
        };
        let rule_sources = store.rules_with_sources()?;
        let escalations = current_escalations(&snap, &suggestions, &decisions, &first_seen, now);
        let automatic = super::automatic::Automatic::load(store, me, &snap, &scope)?;
        Ok(Data {
            revision: Revision::new(),
            snap,
            me: me.to_string(),
            scope,
            suggestions,
            decisions,
            plan,
            audit,
            sources,
            local_delegations,
            escalations,
            rule_sources,
            automatic,
        })
    }

    /// A snapshot with no store behind it (tests, benches).
    pub fn from_org(org: Org, me: &str, now: Time) -> Data {
        let snap = Arc::new(Snapshot::new(org));
        let scope = Scope::of(&snap, me, now);
        let suggestions = suggestions(&snap, &scope, now);
        Data {
            revision: Revision::new(),
            snap,
            me: me.to_string(),
            scope,
            suggestions,
            decisions: Vec::new(),
            plan: Vec::new(),
            audit: Vec::new(),
            sources: Vec::new(),
            local_delegations: Vec::new(),
            escalations: Vec::new(),
            rule_sources: Vec::new(),
            automatic: Default::default(),
        }
    }
}
