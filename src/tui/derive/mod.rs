//! Everything the console shows that is computed rather than loaded or
//! chosen: urgency and order, standing, counts, the visible tree, the
//! filtered queue, readiness, the picker's matches, the open chain, the
//! rules view. [`Derived::refresh`] recomputes it from the data, what the
//! person chose and the time, after every `update`, and only the parts
//! whose inputs changed, so a key press stays cheap on a large
//! organization:
//!
//! - per load (`Revision::base`): the [`Index`];
//! - per load and minute: urgency, order, readiness;
//! - per load, minute and decision (`Revision::records`): standing,
//!   escalations, counts, where each readiness gap stands;
//! - per selection: the tree, the queue, the picker, the chain, the rules.

pub mod index;
pub mod queries;
pub mod queue;
pub mod readiness;
pub mod standing;
pub mod tree;
pub mod urgency;
pub mod within;

pub use index::{Index, ShiftRef};
pub use queries::{Given, RuleRow, Why};
pub use queue::{FilterCache, Under};
pub use readiness::{HORIZON_DAYS, Readiness, Ready};
pub use standing::{Standing, TreeCounts};
pub use tree::TreeNode;
pub use urgency::Urgency;
pub use within::Within;

use super::data::{Data, Revision};
use super::preview::Shown;
use super::ui::{Modal, NodeKey, TreeTab, Ui, View};
use crate::model::{Kind, Time};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default)]
pub struct Derived {
    /// Lookups made once per load.
    pub index: Index,
    /// Each suggestion's escalation, if it waited past `escalate_days`
    /// (index into `data.escalations`).
    pub esc_of: Vec<Option<usize>>,
    /// Urgency per suggestion (smaller first).
    pub urgency: Vec<Urgency>,
    /// Every suggestion, most urgent first (queues filter this; no sort per key).
    pub order: Vec<usize>,
    pub readiness: Vec<Readiness>,
    /// Undecided or decided, per suggestion.
    pub standing: Vec<Standing>,
    pub counts: TreeCounts,
    /// Where each readiness gap stands, by index.
    pub ready: Vec<Ready>,
    /// Bumped whenever standing is derived again (decide, undo, reload, tick).
    pub generation: u64,
    pub tree: Vec<TreeNode>,
    /// The queue: indices into `data.suggestions`, filtered and sorted.
    pub queue: Vec<usize>,
    /// Matches of the queries typed so far (see `QueueOf::rows`).
    pub filter_cache: Vec<FilterCache>,
    /// The delegation picker's matches (indices into the people it found,
    /// best first).
    pub picks: Vec<usize>,
    /// The open justification chain (`w`).
    pub why: Option<Why>,
    /// The rules view: rules in scope, whether each counts.
    pub rules: Vec<RuleRow>,
    seen: Seen,
}

/// What the queue was last derived from: the tab, node, kind and text
/// filters, the decisions' generation, and the rows decided elsewhere.
type QueueKey = (TreeTab, NodeKey, Option<Kind>, String, u64, BTreeSet<usize>);

/// What each part was last derived from.
#[derive(Debug, Clone, Default)]
struct Seen {
    revision: Revision,
    now: Option<Time>,
    preview: bool,
    tree: Option<(TreeTab, BTreeSet<NodeKey>, u64)>,
    queue: Option<QueueKey>,
    picks: Option<(u64, usize, u64)>,
    why: Option<(usize, u64, Time)>,
    rules: Option<(u64, Time)>,
}

impl Derived {
    /// Derives again what `data`, `ui` and `now` changed; keeps `ui`'s
    /// selections within what is there.
    pub fn refresh(&mut self, data: &Data, preview: Option<&Shown>, now: Time, ui: &mut Ui) {
        let base = self.seen.revision.base != data.revision.base;
        if base {
            self.index = Index::of(data);
        }
        let time = base || self.seen.now != Some(now);
        let records = time
            || self.seen.revision.records != data.revision.records
            || self.seen.preview != preview.is_some();
        if records {
            self.esc_of = urgency::escalation_index(data);
        }
        if time {
            self.urgency = urgency::all(data, &self.index, &self.esc_of, now);
            self.order = urgency::order(data, &self.urgency);
            self.readiness = readiness::gaps(data, now);
        }
        if records {
            self.standing = standing::standing(data, now);
            self.counts = match preview {
                // A preview keeps its rows' head only: the counts it kept.
                Some(p)
                    if p.area_counts.len() == data.snap.org.areas.len()
                        && p.team_counts.len() == data.snap.org.teams.len() =>
                {
                    TreeCounts {
                        area: p.area_counts.clone(),
                        area_esc: p.area_esc.clone(),
                        team: p.team_counts.clone(),
                        team_esc: p.team_esc.clone(),
                    }
                }
                _ => standing::count(data, &self.index, &self.standing, |i| {
                    self.escalated_to(data, i)
                }),
            };
            self.ready = readiness::ready(&self.readiness, &self.standing);
            self.generation += 1;
        }
        self.seen.revision = data.revision;
        self.seen.now = Some(now);
        self.seen.preview = preview.is_some();
        self.refresh_tree(data, now, ui);
        self.refresh_queue(data, ui);
        self.refresh_dialogs(data, now, ui);
    }

    fn refresh_tree(&mut self, data: &Data, now: Time, ui: &mut Ui) {
        let stale = match &self.seen.tree {
            Some((tab, expanded, generation)) => {
                *tab != ui.tab || *expanded != ui.expanded || *generation != self.generation
            }
            None => true,
        };
        if stale {
            self.tree = tree::TreeOf {
                data,
                index: &self.index,
                counts: &self.counts,
                expanded: &ui.expanded,
                now,
            }
            .rows(ui.tab);
            self.seen.tree = Some((ui.tab, ui.expanded.clone(), self.generation));
        }
        ui.tree_sel = ui.tree_sel.min(self.tree.len().saturating_sub(1));
    }

    fn refresh_queue(&mut self, data: &Data, ui: &mut Ui) {
        let node = self.tree.get(ui.tree_sel).map_or(NodeKey::All, |n| n.key);
        let key = (
            ui.tab,
            node,
            ui.kind_filter,
            ui.filter.value().to_string(),
            self.generation,
            ui.decided_elsewhere.clone(),
        );
        if self.seen.queue.as_ref() == Some(&key) {
            return;
        }
        let q = queue::QueueOf {
            under: Under {
                data,
                index: &self.index,
                tab: ui.tab,
            },
            order: &self.order,
            standing: &self.standing,
            decided_elsewhere: &ui.decided_elsewhere,
            urgency: &self.urgency,
            generation: self.generation,
        };
        self.queue = q.rows(
            node,
            ui.kind_filter,
            ui.filter.value(),
            &mut self.filter_cache,
        );
        self.seen.queue = Some(key);
        ui.queue_sel = ui.queue_sel.min(self.queue.len().saturating_sub(1));
        ui.card_scroll = 0;
    }

    /// The picker's matches, the open chain and the rules view.
    fn refresh_dialogs(&mut self, data: &Data, now: Time, ui: &mut Ui) {
        match &mut ui.modal {
            Some(Modal::Picker(p)) => {
                let key = (data.revision.base, p.area, p.answers);
                if self.seen.picks.as_ref() != Some(&key) {
                    let query = p.answered.as_deref().unwrap_or("");
                    self.picks = queries::pick(&data.snap, &data.me, p.area, query, &p.found);
                    self.seen.picks = Some(key);
                }
                p.sel = p.sel.min(self.picks.len().saturating_sub(1));
            }
            _ => self.seen.picks = None,
        }
        match ui.why {
            Some(i) => {
                let key = (i, data.revision.base, now);
                if self.seen.why != Some(key) {
                    self.why = Why::of(data, i, now);
                    self.seen.why = Some(key);
                }
            }
            None => {
                self.why = None;
                self.seen.why = None;
            }
        }
        if ui.view == View::Rules {
            let key = (data.revision.base, now);
            if self.seen.rules != Some(key) {
                self.rules = queries::rules_in_scope(data, now);
                self.seen.rules = Some(key);
            }
            ui.rules_sel = ui.rules_sel.min(self.rules.len().saturating_sub(1));
        }
    }

    /// Suggestion `i`'s escalation, if it waited past `escalate_days`.
    pub fn escalation<'d>(
        &self,
        data: &'d Data,
        i: usize,
    ) -> Option<&'d crate::policy::escalation::Escalation> {
        self.esc_of
            .get(i)
            .copied()
            .flatten()
            .and_then(|e| data.escalations.get(e))
    }

    /// Is suggestion `i` escalated to the person at the keyboard?
    pub fn escalated_to(&self, data: &Data, i: usize) -> bool {
        self.escalation(data, i).is_some_and(|e| e.to == data.me)
    }
}
