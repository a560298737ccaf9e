//! What the console shows, loaded from the store: the snapshot, the scope of
//! the person at the keyboard, their suggestions, decisions, plan, audit and
//! sources. Loading is the only part that does I/O; everything here after
//! that is plain data.

use crate::apply::{self, Change};
use crate::digest::compose::current_escalations;
use crate::model::*;
use crate::org_tables::OrgTables;
use crate::policy::escalation::Escalation;
use crate::policy::{Scope, Snapshot, suggestions};
use crate::store::{AuditEntry, LocalDelegation, SourceInfo, Store};
use anyhow::Result;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// Calls `$f` on every free text field of `$org` (names, notes, tags,
/// reasons): `$iter` is `iter` or `iter_mut`, `$m` nothing or `mut`. Ids
/// follow their grammar and need nothing.
macro_rules! free_text {
    ($org:expr, $iter:ident, $f:expr $(, $m:tt)?) => {{
        let mut f = $f;
        for p in $org.people.$iter() {
            f(& $($m)? p.name);
            f(& $($m)? p.email);
            p.title.$iter().for_each(&mut f);
        }
        for t in $org.teams.$iter() {
            f(& $($m)? t.name);
        }
        for r in $org.rotations.$iter() {
            f(& $($m)? r.name);
        }
        for a in $org.areas.$iter() {
            f(& $($m)? a.name);
            f(& $($m)? a.notes);
            a.tags.$iter().for_each(&mut f);
        }
        for e in $org.entitlements.$iter() {
            f(& $($m)? e.name);
            e.upstream.$iter().for_each(&mut f);
        }
        for r in $org.rules.$iter() {
            f(& $($m)? r.why);
        }
        for g in $org.grants.$iter() {
            g.through.$iter().for_each(&mut f);
        }
    }};
}

/// `org` with its free text (names, notes, tags, reasons) as the console
/// may draw it: every control or invisible formatting character shown as
/// `\u{1b}` (see `safe_text`), never sent to the terminal, nor dropped
/// leaving `[31m` behind.
pub fn shown(mut org: Org) -> Org {
    free_text!(
        org,
        iter_mut,
        |t: &mut String| {
            if let Cow::Owned(s) = crate::safe_text::terminal_line(t) {
                *t = s;
            }
        },
        mut
    );
    org
}

/// Whether the console may draw `org`'s free text as it is (`shown` would
/// change nothing), found without copying any of it.
pub fn is_shown(org: &Org) -> bool {
    let mut clean = true;
    free_text!(org, iter, |t: &String| {
        clean = clean && matches!(crate::safe_text::terminal_line(t), Cow::Borrowed(_));
    });
    clean
}

/// One snapshot as the console shows it, made once for every console that
/// asks for the same snapshot: the snapshot itself when its text needs
/// nothing ([`is_shown`]), else one of its organization [`shown`].
#[derive(Default)]
pub struct ShownSnapshot {
    last: Mutex<Option<LastShown>>,
}

/// The snapshot last asked for (not kept alive by this), and what was
/// shown for it (kept only when it is another one).
struct LastShown {
    of: Weak<Snapshot>,
    shown: Option<Arc<Snapshot>>,
}

impl ShownSnapshot {
    /// `snap` as the console shows it.
    pub fn of(&self, snap: &Arc<Snapshot>) -> Arc<Snapshot> {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = last.as_ref()
            && Weak::ptr_eq(&l.of, &Arc::downgrade(snap))
        {
            return l.shown.clone().unwrap_or_else(|| snap.clone());
        }
        let shown = (!is_shown(&snap.org)).then(|| {
            tracing::debug!("the organization has text to show safely: a copy made for consoles");
            Arc::new(Snapshot::new(shown(snap.org.clone())))
        });
        *last = Some(LastShown {
            of: Arc::downgrade(snap),
            shown: shown.clone(),
        });
        shown.unwrap_or_else(|| snap.clone())
    }
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
    /// The snapshot's own lookups when they were made already (by the
    /// server, once for every console on its snapshot); else the console
    /// makes them when it derives ([`super::derive::Index`]).
    pub tables: Option<Arc<OrgTables>>,
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
        Data::noted(store, me, now, snap, scope, suggestions)
    }

    /// Everything else from the store around a snapshot and `me`'s
    /// suggestions in it at `now`, evaluated already (by the server's
    /// resident evaluation); notes them as seen as [`Data::load`] does.
    pub fn evaluated(
        store: &mut Store,
        me: &str,
        now: Time,
        snap: Arc<Snapshot>,
        suggestions: Vec<Suggestion>,
    ) -> Result<Data> {
        let scope = Scope::of(&snap, me, now);
        Data::noted(store, me, now, snap, scope, suggestions)
    }

    /// The suggestions noted as seen at `now`, then everything else read.
    fn noted(
        store: &mut Store,
        me: &str,
        now: Time,
        snap: Arc<Snapshot>,
        scope: Scope,
        suggestions: Vec<Suggestion>,
    ) -> Result<Data> {
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
            tables: None,
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
            tables: None,
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

#[cfg(test)]
mod shown_tests {
    use super::*;

    fn now() -> Time {
        "2026-03-02T12:00:00Z".parse().unwrap()
    }

    /// A generated organization: people, teams, rotations, areas, rules
    /// and grants, its text clean.
    fn org() -> Org {
        crate::r#gen::generate(300, 7, now())
    }

    /// The same with colours and a bidi override in every free text field.
    fn hostile(mut org: Org) -> Org {
        free_text!(
            org,
            iter_mut,
            |t: &mut String| t.push_str(" \u{1b}[31mRED\u{1b}[0m \u{202e}txet"),
            mut
        );
        org
    }

    #[test]
    fn clean_text_is_shown_as_it_is_and_any_control_is_not() {
        let clean = org();
        assert!(is_shown(&clean));
        assert!(shown(clean.clone()) == clean);
        assert!(!is_shown(&hostile(clean.clone())));
        let mut one = clean;
        one.grants[0].through = Some("group \u{9b}2J".into());
        assert!(!is_shown(&one));
        assert!(is_shown(&shown(one)));
    }

    #[test]
    fn a_clean_snapshot_is_shown_itself_and_another_is_made_safe_once() {
        let cache = ShownSnapshot::default();
        let clean = Arc::new(Snapshot::new(org()));
        assert!(Arc::ptr_eq(&cache.of(&clean), &clean));
        let raw = Arc::new(Snapshot::new(hostile(org())));
        let safe = cache.of(&raw);
        assert!(!Arc::ptr_eq(&safe, &raw));
        assert!(is_shown(&safe.org));
        assert!(safe.org == shown(raw.org.clone()));
        // Every console asking for the same snapshot gets the same copy.
        assert!(Arc::ptr_eq(&cache.of(&raw), &safe));
    }

    /// Nothing the engine reads is free text: the suggestions of the
    /// organization as kept are those of the organization as shown.
    #[test]
    fn suggestions_are_the_same_on_the_text_as_kept_and_as_shown() {
        let raw = Snapshot::new(hostile(org()));
        let safe = Snapshot::new(shown(raw.org.clone()));
        let all = |s: &Snapshot| suggestions(s, &Scope::everything(s), now());
        let list = all(&raw);
        assert!(!list.is_empty());
        assert_eq!(list, all(&safe));
    }
}
