//! What the console showed, kept so the next start draws it at once: the
//! head of the queue, with only the part of the organization its rows,
//! their cards and the tree need, and the tree's counts as they were. On a
//! large organization loading and evaluating takes seconds; the preview
//! takes milliseconds, and is shown, marked, until the fresh load replaces
//! it. Only looking around works meanwhile: nothing is decided on it.

use super::counts::Counts;
use super::data::{Data, Revision};
use crate::model::*;
use crate::policy::escalation::Escalation;
use crate::policy::{Scope, Snapshot};
use crate::store::SourceInfo;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How many queue rows a preview keeps (a few screens' worth).
pub const ROWS: usize = 200;

/// What is kept, as the store holds it (JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Preview {
    pub me: String,
    /// The `now` of the evaluation it shows.
    pub evaluated_at: Time,
    /// The first pending suggestions of the whole queue, most urgent first.
    pub suggestions: Vec<Suggestion>,
    /// The escalations among them.
    pub escalations: Vec<Escalation>,
    /// Only what those rows, their cards and the tree need.
    pub org: Org,
    /// Pending counts and escalated-to-me, per area and per team by id;
    /// zeros left out.
    pub area_counts: Vec<KeptCounts>,
    pub team_counts: Vec<KeptCounts>,
}

/// One node's counts as a preview keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptCounts {
    /// The area's or the team's id.
    pub id: String,
    pub pending: Counts,
    /// Of those, how many are escalated to the person at the keyboard.
    pub escalated: usize,
}

/// Counts of the evaluation a preview shows, by index in its snapshot: the
/// tree shows these, not the few rows kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub evaluated_at: Time,
    pub area_counts: Vec<Counts>,
    pub area_esc: Vec<usize>,
    pub team_counts: Vec<Counts>,
    pub team_esc: Vec<usize>,
}

impl Preview {
    /// What a preview shows as loaded data (its few rows, no decisions,
    /// the sources' ages as they are now) and the counts it kept.
    pub fn into_data(self, now: Time, sources: Vec<SourceInfo>) -> (Data, Shown) {
        let snap = Arc::new(Snapshot::new(super::data::shown(self.org)));
        let scope = Scope::of(&snap, &self.me, now);
        let by_index = |kept: &[KeptCounts], len: usize, idx: &dyn Fn(&str) -> Option<usize>| {
            let mut counts = vec![Counts::default(); len];
            let mut esc = vec![0; len];
            for k in kept {
                if let Some(i) = idx(&k.id) {
                    counts[i] = k.pending;
                    esc[i] = k.escalated;
                }
            }
            (counts, esc)
        };
        let (area_counts, area_esc) = by_index(&self.area_counts, snap.org.areas.len(), &|id| {
            snap.area_idx(id)
        });
        let (team_counts, team_esc) = by_index(&self.team_counts, snap.org.teams.len(), &|id| {
            snap.team_idx(id)
        });
        let shown = Shown {
            evaluated_at: self.evaluated_at,
            area_counts,
            area_esc,
            team_counts,
            team_esc,
        };
        let data = Data {
            revision: Revision::new(),
            snap,
            tables: None,
            me: self.me,
            scope,
            suggestions: self.suggestions,
            decisions: Vec::new(),
            plan: Vec::new(),
            audit: Vec::new(),
            sources,
            local_delegations: Vec::new(),
            escalations: self.escalations,
            rule_sources: Vec::new(),
            automatic: Default::default(),
        };
        (data, shown)
    }
}

/// When a preview was evaluated, as briefly as is clear at `now`: the
/// time on the same day, else the date too.
pub fn when(at: Time, now: Time) -> String {
    if at.date_naive() == now.date_naive() {
        at.format("%H:%M").to_string()
    } else {
        crate::policy::minute(at)
    }
}
