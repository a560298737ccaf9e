//! The console's state: plain data. Only `update` changes it; views only read it.

use super::data::Data;
use crate::model::*;
use crate::store::NewDecision;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Main,
    Plan,
    Audit,
    Rotations,
    Delegations,
    Rules,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Tree,
    Queue,
    Card,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeTab {
    Areas,
    Teams,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKey {
    /// Everything in scope (the areas tab) or every team led (the teams tab).
    All,
    Area(usize),
    Team(usize),
}

/// One visible row of the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeNode {
    pub key: NodeKey,
    pub depth: usize,
    pub label: String,
    /// Pending grant, revoke, review in its subtree.
    pub counts: [usize; 3],
    /// Of those, how many are escalated to `me`.
    pub escalated: usize,
    pub has_children: bool,
    pub expanded: bool,
    /// "delegated by X" for a delegated root.
    pub note: String,
}

/// Where a suggestion stands in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Pending,
    Decided(Verdict),
}

/// A guided pass over a node's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    pub title: String,
    /// Indices into `Data::suggestions`, in queue order at the start.
    pub items: Vec<usize>,
    pub pos: usize,
}

/// What a text prompt is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptFor {
    Dismiss(Vec<usize>),
    SnoozeUntil(Vec<usize>),
    /// Why a rule written in steward is removed (empty: no reason given).
    RemoveRule(String),
    /// The end date of a delegation of `area` to `to` (empty: none).
    DelegateUntil {
        area: usize,
        to: String,
    },
}

/// The fuzzy person picker (for a delegation of `area`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub area: usize,
    pub query: String,
    /// Person indices, best match first.
    pub matches: Vec<usize>,
    pub sel: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub label: String,
    pub input: String,
    pub purpose: PromptFor,
    pub error: Option<String>,
}

/// What the console asks the app to do: the only way out of `update`.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Record these decisions (already checked for authority).
    Decide(Vec<NewDecision>),
    /// Take back decisions (a batch decided together), by id.
    Undo(Vec<i64>),
    /// Carry out the plan upstream.
    Apply,
    /// Reload as another person (the demo's persona switch).
    SwitchPersona(String),
    /// Record a delegation (authority already checked).
    Delegate(Delegation),
    /// End a delegation made in steward, by id.
    EndDelegation(i64),
    /// Load the cache (the first, in the background).
    Load,
    /// Pull the sources again, then reload.
    Sync,
    /// Keep what is shown for the next start to draw at once.
    KeepPreview(Box<super::preview::Preview>),
    /// Remove a rule written in steward (authority checked by the store).
    RemoveRule {
        id: String,
        reason: Option<String>,
    },
    Quit,
}

/// A confirmation: exactly what will happen, and the effect that does it.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    pub effect: Effect,
}

#[derive(Debug, Clone)]
pub enum Modal {
    Help,
    Confirm(Confirm),
    Prompt(Prompt),
    /// Snooze presets for these suggestions.
    Snooze(Vec<usize>),
    /// Typing into the queue filter.
    Filter,
    Picker(Picker),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub error: bool,
}

/// One readiness gap: someone whose shift starts without an entitlement a
/// rule will give them then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub rotation: String,
    pub person: String,
    pub entitlement: String,
    pub shift_start: Time,
    pub rule: String,
    /// Its grant suggestion now (index into the suggestions), if any.
    pub suggestion: Option<usize>,
}

/// Where a readiness gap stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    /// Its grant is suggested and undecided (index into the suggestions):
    /// `a` accepts it from the rotations view.
    Pending(usize),
    /// Its grant suggestion was decided (accepted: in the plan until applied).
    Decided(Verdict),
    /// Not suggested now (the rule gives it only from the shift on, as one
    /// granted only while on call): suggested when the shift starts.
    NotYet,
}

/// One change of a running apply, finished (done or refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyStep {
    /// Changes finished so far, this one included.
    pub done: usize,
    pub total: usize,
    pub decision: i64,
    pub ok: bool,
    /// The change in a few words: `add ana -> payments-db:read`.
    pub what: String,
    /// Its result, as the plan view lists it: `#12 grants.csv: add …`.
    pub result: String,
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

/// One rule in the rules view.
#[derive(Debug, Clone)]
pub struct RuleRow {
    pub status: crate::policy::explain::RuleStatus,
    /// The source it comes from (`steward`: written here, removable here).
    pub source: String,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterCache {
    pub node: NodeKey,
    pub kind: Option<Kind>,
    pub generation: u64,
    pub query: String,
    pub matches: Vec<usize>,
}

pub struct State {
    pub now: Time,
    /// False until the first load arrives: only help and quit work then.
    pub loaded: bool,
    /// Set while what is shown is the preview kept from the last run (the
    /// fresh load is under way): its counts, and when it was evaluated.
    pub preview: Option<super::preview::Shown>,
    pub data: Data,
    /// The demo's personas, when running the demo (empty otherwise).
    pub personas: Vec<String>,
    pub view: View,
    pub focus: Pane,
    pub tab: TreeTab,
    pub modal: Option<Modal>,
    pub width: u16,
    pub height: u16,

    /// Undecided or decided, per suggestion.
    pub standing: Vec<Standing>,
    /// Urgency sort key per suggestion (smaller first).
    pub urgency: Vec<(u8, i64)>,
    /// Since when the person holds the entitlement, per suggestion.
    pub held_since: Vec<Option<Time>>,
    /// The grants behind each suggestion (indices into `org.grants`), so
    /// the card need not scan an entitlement's hundred thousand grants.
    pub held_grants: Vec<Vec<usize>>,
    /// The filter's fields per suggestion (person, entitlement, area,
    /// reason) as indices into `filter_strings`: each distinct string is
    /// scored once per key, without hashing.
    pub filter_fields: Vec<[u32; 4]>,
    pub filter_strings: Vec<String>,
    /// Each person's shifts (rotation, shift index), by person index.
    pub shifts_of: Vec<Vec<(u32, u32)>>,
    /// The area index of each suggestion.
    pub sug_area: Vec<Option<usize>>,
    /// Its escalation, if it waited past `escalate_days` (index into
    /// `data.escalations`).
    pub esc_of: Vec<Option<usize>>,
    /// Every suggestion, most urgent first (queues filter this; no sort per key).
    pub order: Vec<usize>,
    /// Pending counts per area (its whole subtree) and per team.
    pub area_counts: Vec<[usize; 3]>,
    pub team_counts: Vec<[usize; 3]>,
    /// Pending suggestions escalated to `me`, per area (subtree) and team.
    pub area_esc: Vec<usize>,
    pub team_esc: Vec<usize>,
    /// Teams `me` leads (roots of the teams tab).
    pub led_teams: Vec<usize>,
    /// Which team each person belongs to directly (for the teams tab filter).
    pub teams_of_person: rustc_hash::FxHashMap<String, Vec<usize>>,
    pub expanded: BTreeSet<(bool, usize)>,
    pub tree: Vec<TreeNode>,
    pub tree_sel: usize,

    /// The queue: indices into `data.suggestions`, filtered and sorted.
    pub queue: Vec<usize>,
    pub queue_sel: usize,
    pub kind_filter: Option<Kind>,
    pub filter: String,
    /// Matches of the queries typed so far (each a prefix of the next),
    /// for narrowing as the query grows and reuse as it shrinks.
    pub filter_cache: Vec<FilterCache>,
    /// Bumped whenever standing changes (decide, undo, reload).
    pub generation: u64,
    pub marked: BTreeSet<usize>,
    pub card_scroll: u16,
    /// How far the `?` overlay is scrolled (it is longer than a small terminal).
    pub help_scroll: u16,
    /// The full justification text (`w`), for the suggestion it was made for.
    pub why: Option<(usize, Vec<String>)>,

    pub walk: Option<Walk>,
    /// Decisions made in this session, a batch per confirmation (one, or
    /// all those marked), newest last: what `u` takes back.
    pub undo: Vec<Vec<i64>>,
    pub flash: Option<Flash>,
    pub busy: Option<String>,

    pub plan_sel: usize,
    pub audit_sel: usize,
    pub rot_sel: usize,
    pub deleg_sel: usize,
    /// The rules view: rules in scope, whether each counts (made when opened).
    pub rules: Vec<RuleRow>,
    pub rules_sel: usize,
    pub readiness: Vec<Readiness>,
    /// Where each readiness gap stands, by index (kept with the decisions).
    pub ready: Vec<Ready>,
    /// Rotations shown in the rotations view (indices into org.rotations).
    pub rotations: Vec<usize>,
    /// Per-change results of the last apply.
    pub applied: Vec<(bool, String)>,
    /// The apply under way, while it runs: what has finished so far.
    pub applying: Option<Applying>,
    pub quit: bool,
}
