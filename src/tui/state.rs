//! The console's state: plain data, in four parts. `ui` is what the person
//! at the keyboard did, `data` what was loaded, `status` what runs and
//! what was said, `derived` everything computed from them (and `now`).
//! Only `update` changes it, and [`State::derive`] runs after each
//! `update`; views only read it.

use super::counts::Counts;
use super::data::Data;
use super::derive::{Derived, Under, index::led_teams};
use super::msg::{ApplyResult, ApplyStep};
use super::preview::{Preview, Shown};
use super::ui::*;
use crate::model::*;
use crate::policy::escalation::Escalation;
use crate::store::SourceInfo;

pub struct State {
    /// The console's clock: the time of the last tick (fixed by `--now`).
    pub now: Time,
    /// The demo's personas, when running the demo (empty otherwise).
    pub personas: Vec<String>,
    pub ui: Ui,
    pub data: Data,
    pub status: Status,
    pub derived: Derived,
}

/// What runs, and what the console said.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// False until the first load arrives: only help and quit work then.
    pub loaded: bool,
    /// Set while what is shown is the preview kept from the last run (the
    /// fresh load is under way): its counts, and when it was evaluated.
    pub preview: Option<Shown>,
    /// The job the person asked for, while it runs.
    pub busy: Option<Busy>,
    pub flash: Option<Flash>,
    /// Everything said in the status bar, oldest first (the last
    /// [`SAID_KEPT`]): `m` shows it in full.
    pub said: Vec<Flash>,
    /// The apply under way, while it runs: what has finished so far.
    pub applying: Option<Applying>,
    /// Per-change results of the last apply.
    pub applied: Vec<ApplyResult>,
    /// A refresh nobody asked for (the clock, a change elsewhere) runs;
    /// and, if set, another must follow it.
    pub refreshing: bool,
    pub refresh_again: Option<super::msg::Refresh>,
    pub quit: bool,
    /// A sync the shrink guard held back, what shrank: the next key answers
    /// whether to keep it anyway (`y`) or the previous data (any other).
    pub held_back: Option<Vec<String>>,
}

/// A job the person asked for, under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    pub job: Job,
    /// What the status bar says about it (its progress, as it comes).
    pub text: String,
}

/// What kind of job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Load,
    Record,
    Undo,
    Apply,
    Sync,
    SwitchPersona,
}

impl Busy {
    pub fn new(job: Job, text: impl Into<String>) -> Busy {
        Busy {
            job,
            text: text.into(),
        }
    }
}

/// How many messages `m` keeps.
pub const SAID_KEPT: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub error: bool,
}

/// An apply under way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applying {
    pub total: usize,
    /// Finished changes, in the order they finished.
    pub steps: Vec<ApplyStep>,
}

impl Applying {
    /// How the change of decision `id` went, once it has finished.
    pub fn result_of(&self, id: i64) -> Option<bool> {
        self.steps
            .iter()
            .find(|st| st.decision == id)
            .map(|st| st.ok)
    }
}

impl State {
    /// The console on loaded data, everything derived.
    pub fn new(data: Data, now: Time, personas: Vec<String>) -> State {
        let mut s = State::bare(data, now, personas);
        s.derive();
        s
    }

    fn bare(data: Data, now: Time, personas: Vec<String>) -> State {
        let mut s = State {
            now,
            personas,
            ui: Ui::default(),
            data,
            status: Status {
                loaded: true,
                ..Status::default()
            },
            derived: Derived::default(),
        };
        s.reset_navigation();
        s
    }

    /// The state before the first load: drawn at once, help and quit live.
    pub fn loading(me: &str, now: Time, personas: Vec<String>) -> State {
        let mut s = State::new(Data::empty(me), now, personas);
        s.status.loaded = false;
        s.status.busy = Some(Busy::new(Job::Load, format!("loading the cache for {me}…")));
        s
    }

    /// The console drawn from a preview while the cache loads: the rows
    /// kept, the counts as they were, and the sources' ages as they are.
    pub fn from_preview(
        p: Preview,
        now: Time,
        personas: Vec<String>,
        sources: Vec<SourceInfo>,
    ) -> State {
        let me = p.me.clone();
        let evaluated_at = p.evaluated_at;
        let (data, shown) = p.into_data(now, sources);
        let mut s = State::bare(data, now, personas);
        s.status.preview = Some(shown);
        s.status.busy = Some(Busy::new(
            Job::Load,
            format!(
                "loading the cache for {me}; showing your queue as of {}",
                super::preview::when(evaluated_at, now)
            ),
        ));
        s.derive();
        s
    }

    /// Says `text` in the status bar (until the next key), as an error or not.
    pub fn say(&mut self, text: impl Into<String>, error: bool) {
        let flash = Flash {
            text: text.into(),
            error,
        };
        if self.status.said.len() >= SAID_KEPT {
            self.status.said.remove(0);
        }
        self.status.said.push(flash.clone());
        self.status.flash = Some(flash);
    }

    /// Derives again what the last change touched (see `Derived::refresh`).
    pub fn derive(&mut self) {
        self.derived.refresh(
            &self.data,
            self.status.preview.as_ref(),
            self.now,
            &mut self.ui,
        );
    }

    /// Navigation as a fresh load starts it: nothing marked, selected or
    /// walked; the scope's roots and the teams led opened.
    pub fn reset_navigation(&mut self) {
        let ui = &mut self.ui;
        ui.marked.clear();
        ui.decided_elsewhere.clear();
        ui.walk = None;
        ui.why = None;
        ui.undo.clear();
        ui.tree_sel = 0;
        ui.queue_sel = 0;
        ui.card_scroll = 0;
        ui.expanded.clear();
        let open = self.default_expanded();
        self.ui.expanded.extend(open);
    }

    /// The rows a fresh load opens: the scope's roots and the teams led.
    pub fn default_expanded(&self) -> Vec<NodeKey> {
        let roots = self.data.scope.roots.iter().map(|&r| NodeKey::Area(r));
        let led = led_teams(&self.data.snap, &self.data.me);
        roots.chain(led.into_iter().map(NodeKey::Team)).collect()
    }

    pub fn selected_node(&self) -> NodeKey {
        self.derived
            .tree
            .get(self.ui.tree_sel)
            .map_or(NodeKey::All, |n| n.key)
    }

    /// The suggestion the card shows: the walkthrough's, else the queue's.
    pub fn current(&self) -> Option<usize> {
        match &self.ui.walk {
            Some(w) => w.items.get(w.pos).copied(),
            None => self.derived.queue.get(self.ui.queue_sel).copied(),
        }
    }

    /// Suggestion `i`'s escalation, if it waited past `escalate_days`.
    pub fn escalation(&self, i: usize) -> Option<&Escalation> {
        self.derived.escalation(&self.data, i)
    }

    /// Is suggestion `i` escalated to the person at the keyboard?
    pub fn escalated_to_me(&self, i: usize) -> bool {
        self.derived.escalated_to(&self.data, i)
    }

    /// Where suggestion `i` stands.
    pub fn standing(&self, i: usize) -> Option<super::derive::Standing> {
        self.derived.standing.get(i).copied()
    }

    /// The decision that holds suggestion `i` out of the queue now (the
    /// newest that covers it), if one does.
    pub fn decision(&self, i: usize) -> Option<&Decision> {
        let sug = self.data.suggestions.get(i)?;
        self.data
            .decisions
            .iter()
            .rev()
            .find(|d| d.covers(sug, self.now))
    }

    /// The pending suggestions under `node`, in urgency order.
    pub fn pending_under(&self, node: NodeKey) -> Vec<usize> {
        self.under()
            .pending(&self.derived.order, &self.derived.standing, node)
    }

    fn under(&self) -> Under<'_> {
        Under {
            data: &self.data,
            index: &self.derived.index,
            tab: self.ui.tab,
        }
    }

    /// Pending suggestions in scope, by kind (a preview: those it counted).
    pub fn pending_counts(&self) -> Counts {
        self.derived
            .tree
            .first()
            .map_or_else(Counts::default, |n| n.counts)
    }

    /// Where the person at the keyboard is, by names rather than indices,
    /// so a reload can put them back there.
    pub fn place(&self) -> Place {
        let snap = &self.data.snap;
        let id_of = |key: NodeKey| match key {
            NodeKey::All => None,
            NodeKey::Area(a) => snap.org.areas.get(a).map(|x| NodeId::Area(x.id.clone())),
            NodeKey::Team(t) => snap.org.teams.get(t).map(|x| NodeId::Team(x.id.clone())),
        };
        Place {
            view: self.ui.view,
            focus: self.ui.focus,
            tab: self.ui.tab,
            kind: self.ui.kind_filter,
            node: id_of(self.selected_node()),
            expanded: self.ui.expanded.iter().filter_map(|&k| id_of(k)).collect(),
            selected: self
                .derived
                .queue
                .get(self.ui.queue_sel)
                .map(|&i| SuggestionKey::of(&self.data.suggestions[i])),
        }
    }

    /// Back to `place` after a reload, as far as the data still has it.
    pub fn restore(&mut self, place: Place) {
        let snap = self.data.snap.clone();
        let key = |id: &NodeId| match id {
            NodeId::Area(id) => snap.area_idx(id).map(NodeKey::Area),
            NodeId::Team(id) => snap.team_idx(id).map(NodeKey::Team),
        };
        self.ui.view = place.view;
        self.ui.focus = place.focus;
        self.ui.tab = place.tab;
        self.ui.kind_filter = place.kind;
        self.ui
            .expanded
            .extend(place.expanded.iter().filter_map(key));
        // The tree as it now opens, to find the node in; then its queue.
        self.derive();
        let node = place.node.as_ref().and_then(key);
        self.ui.tree_sel = node
            .and_then(|k| self.derived.tree.iter().position(|n| n.key == k))
            .unwrap_or(0);
        self.derive();
        if let Some(want) = place.selected {
            let data = &self.data;
            self.ui.queue_sel = self
                .derived
                .queue
                .iter()
                .position(|&i| SuggestionKey::of(&data.suggestions[i]) == want)
                .unwrap_or(0);
        }
    }
}
