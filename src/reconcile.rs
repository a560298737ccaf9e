//! Reconcile: carry out what the automatic rules imply now, through the same
//! write path as decided changes, behind the guards.
//!
//! One run: evaluate the automatic rules (`policy::auto`), hold back what
//! the guards hold (an area over its `max_auto_changes`, changes resting on
//! a source that is not current) and record that, record each remaining
//! change as a planned decision of its rule with its `auto` audit entry,
//! then carry out every planned automatic change (this run's, and any a run
//! that stopped midway left) to grants.csv or over SCIM, and confirm it in
//! the cache. Each step is idempotent: a run killed anywhere and run again
//! carries out each change exactly once.
//!
//! `steward serve` calls [`run`] after every sync and at every
//! [`next_boundary`].

use crate::apply::{self, Admit, ApplyProgress, Change, Outcome, Run, Tally};
use crate::config::SourceConfig;
use crate::model::*;
use crate::net::Net;
use crate::policy::Snapshot;
use crate::policy::auto::{self, AutoChange, Held, Plan};
use crate::policy::gate::{self, Action};
use crate::store::Store;
use anyhow::Result;

/// What a run is asked.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// Say what would happen; write nothing.
    pub dry_run: bool,
    /// Carry out the changes `max_auto_changes` holds back in this area and
    /// below, as this actor (who needs authority over it).
    pub release: Option<(&'a Actor, &'a str)>,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    /// The changes due this run (carried out, or with `dry_run` would be).
    pub due: Vec<AutoChange>,
    /// What carrying out every planned automatic change came to, by
    /// decision (empty with `dry_run`).
    pub outcomes: Vec<Outcome>,
    /// What the guards held back, by area.
    pub held: Vec<Held>,
    /// Changes the gate refused as they were recorded, with why.
    pub refused: Vec<(AutoChange, String)>,
    /// The area released, if one was.
    pub released: Option<String>,
    pub dry_run: bool,
    /// Sources that could not be synced again after the changes
    /// (`apply::resync`), for the caller to say.
    pub warnings: Vec<String>,
}

impl Report {
    /// Changes that failed or were refused.
    pub fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| !o.ok).count() + self.refused.len()
    }

    /// How `steward reconcile` exits: 1 when a change failed, else 3 when a
    /// guard held changes back, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.failed() > 0 {
            1
        } else if !self.held.is_empty() {
            3
        } else {
            0
        }
    }
}

/// An automatic change, carried out: its rule must still count and still
/// imply it, as this run's evaluation says.
struct Automatic<'a> {
    snap: &'a Snapshot,
    plan: &'a Plan,
    now: Time,
}

impl Admit for Automatic<'_> {
    fn refusal(&self, d: &Decision, _: &Change) -> Option<String> {
        let Some(rule) = d.origin.rule().and_then(|id| self.snap.rule(id)) else {
            return Some(format!(
                "not applied: rule {} is gone",
                d.origin.rule().unwrap_or("?")
            ));
        };
        let action = Action::Auto {
            rule,
            suggestion: &d.suggestion,
        };
        if let Err(refusal) = gate::check(&self.actor(d), &action, self.snap, self.now) {
            return Some(refusal.to_string());
        }
        (!self.plan.stands(&d.suggestion, &rule.id)).then(|| {
            format!(
                "not applied: rule {} no longer implies it (the facts changed since it was recorded)",
                rule.id
            )
        })
    }

    fn actor(&self, d: &Decision) -> Actor {
        Actor::local(&d.decider)
    }
}

/// One reconcile at `now`: see the module. Changes go where `sources` say
/// (none: the org directory the cache was synced from); `progress` hears of
/// each as it finishes.
pub fn run(
    store: &mut Store,
    sources: &[SourceConfig],
    net: &Net,
    now: Time,
    options: Options<'_>,
    progress: &mut dyn FnMut(ApplyProgress<'_>),
) -> Result<Report> {
    let snap = Snapshot::new(store.load_org()?);
    let released = match options.release {
        Some((actor, area)) => {
            gate::check(actor, &Action::Release { area }, &snap, now)
                .map_err(crate::store::Error::from)?;
            snap.area_idx(area)
        }
        None => None,
    };
    let decisions = store.decisions()?;
    let untrusted = store.untrusted_sources()?;
    let plan = auto::plan(&snap, now, &decisions, &untrusted, &|a| {
        released.is_some_and(|r| snap.area_within(a, r))
    });
    let mut report = Report {
        released: options.release.map(|(_, a)| a.to_string()),
        dry_run: options.dry_run,
        ..Report::default()
    };
    if options.dry_run {
        report.due = plan.due;
        report.held = plan.held;
        return Ok(report);
    }
    store.record_held(&plan.held, now)?;
    let recorded = store.record_automatic(&snap.org.rules, &plan.due, now)?;
    report.refused = recorded.refused;
    let planned = store.planned_automatic()?;
    if !planned.is_empty() {
        let changes = apply::changes_of(store, &snap, &planned)?;
        let admit = Automatic {
            snap: &snap,
            plan: &plan,
            now,
        };
        let run = Run {
            sources,
            snap: &snap,
            admit: &admit,
            now,
            dry_run: false,
        };
        let mut tally = Tally::new(changes.len(), progress);
        let applied = carry_out(store, &run, net, &planned, changes, &mut tally)?;
        report.outcomes = applied.outcomes;
        report.warnings = applied.warnings;
    }
    report.due = plan.due;
    report.held = plan.held;
    Ok(report)
}

/// Carries out `changes` and confirms them in the cache: with no source
/// configured, the rows written to grants.csv go into the cache as they
/// are (reading a large org directory again would cost more than the
/// evaluation; the next sync reads it whole); otherwise each touched
/// source is synced again, as `apply` does.
fn carry_out(
    store: &mut Store,
    run: &Run<'_>,
    net: &Net,
    planned: &[Decision],
    changes: Vec<Change>,
    tally: &mut Tally<'_>,
) -> Result<apply::Applied> {
    if run.sources.is_empty() {
        // The cache's grants of what was written are confirmed with the
        // outcomes, in one transaction (apply::carry_out_files).
        let done = apply::carry_out_files(store, run, planned, changes, tally)?;
        return Ok(apply::Applied {
            outcomes: done.outcomes,
            warnings: Vec::new(),
        });
    }
    let client = net.client();
    net.block_on(async {
        let done = apply::carry_out(store, run, &client, planned, changes, tally).await?;
        let warnings = apply::resync(
            store,
            run.sources,
            client.clone(),
            done.files_dir,
            done.touched,
            run.now,
        )
        .await?;
        Ok(apply::Applied {
            outcomes: done.outcomes,
            warnings,
        })
    })?
}

/// When the automatic rules' changes can next change by the clock alone
/// (a shift starting less its lead, ending plus its grace, a training or
/// delegation starting or ending), after `now`: `steward serve` runs
/// [`run`] then. `None`: nothing ahead.
pub fn next_boundary(store: &Store, now: Time) -> Result<Option<Time>> {
    let snap = Snapshot::new(store.load_org()?);
    Ok(auto::next_boundary(&snap, now))
}
