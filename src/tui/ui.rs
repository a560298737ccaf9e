//! What the person at the keyboard did: the view, the focus, the selection
//! in each list, filters, marks, scrolls, an open dialog, a walkthrough.
//! Only `update` changes it; everything shown is derived from it and the
//! data.

use super::field::Field;
use super::msg::Effect;
use crate::model::{Kind, Suggestion};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Main,
    Plan,
    Audit,
    Rotations,
    Delegations,
    Rules,
    /// What the automatic rules applied for the owner (`U`).
    Automatic,
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

/// A row of the hierarchy, by index into the snapshot's areas or teams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKey {
    /// Everything in scope (the areas tab) or every team led (the teams tab).
    All,
    Area(usize),
    Team(usize),
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
    /// Why automatic change `id` is kept undone (required).
    UndoAutomatic(i64),
    /// Why a rule written in steward is removed (empty: no reason given).
    RemoveRule(String),
    /// The end date of a delegation of `area` to `to` (empty: none).
    DelegateUntil {
        area: usize,
        to: String,
        /// Their name, as the picker found it.
        name: String,
    },
}

/// The person picker (for a delegation of `area`). The whole roster is
/// searched in the store for the query (only a page of it is ever read);
/// the people found are ordered by how near the work they are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Picker {
    pub area: usize,
    pub query: Field,
    /// The selected match.
    pub sel: usize,
    /// The query last asked of the store, and the load it was asked on.
    pub asked: Option<(String, u64)>,
    /// The query `found` answers.
    pub answered: Option<String>,
    /// The people found for it.
    pub found: Vec<crate::store::Offered>,
    /// Answers taken so far (the order of `found` is derived once each).
    pub answers: u64,
    /// Why the search failed, if it did.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub label: String,
    pub input: Field,
    pub purpose: PromptFor,
    pub error: Option<String>,
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
    /// Everything said, in full, and each stale source's reason (`m`);
    /// scrolled with `help_scroll`, as help is.
    Messages,
    Confirm(Confirm),
    Prompt(Prompt),
    /// Snooze presets for these suggestions.
    Snooze(Vec<usize>),
    /// Typing into the queue filter.
    Filter,
    Picker(Picker),
}

/// Everything the person at the keyboard chose.
#[derive(Debug, Clone)]
pub struct Ui {
    pub view: View,
    pub focus: Pane,
    pub tab: TreeTab,
    pub modal: Option<Modal>,
    /// The terminal's size (mouse clicks and paging need it).
    pub width: u16,
    pub height: u16,

    /// Open rows of the hierarchy.
    pub expanded: BTreeSet<NodeKey>,
    pub tree_sel: usize,
    pub queue_sel: usize,
    pub kind_filter: Option<Kind>,
    pub filter: Field,
    /// Suggestions marked for a bulk decision (indices into the suggestions).
    pub marked: BTreeSet<usize>,
    /// Rows of the queue someone else decided while they were shown: kept
    /// in place, marked, until navigation starts afresh.
    pub decided_elsewhere: BTreeSet<usize>,
    pub card_scroll: u16,
    /// How far the `?` overlay is scrolled (it is longer than a small terminal).
    pub help_scroll: u16,
    /// The suggestion whose full justification chain (`w`) is open.
    pub why: Option<usize>,
    pub walk: Option<Walk>,
    /// Decisions made in this session, a batch per confirmation (one, or
    /// all those marked), newest last: what `u` takes back.
    pub undo: Vec<Vec<i64>>,

    pub plan_sel: usize,
    pub audit_sel: usize,
    pub rot_sel: usize,
    pub deleg_sel: usize,
    pub rules_sel: usize,
    pub auto_sel: usize,
    /// What counted as new when the automatic rules' view was opened:
    /// changes carried out after this (all, if none).
    pub auto_new_after: Option<crate::model::Time>,
}

impl Default for Ui {
    fn default() -> Ui {
        Ui {
            view: View::Main,
            focus: Pane::Queue,
            tab: TreeTab::Areas,
            modal: None,
            width: 80,
            height: 24,
            expanded: BTreeSet::new(),
            tree_sel: 0,
            queue_sel: 0,
            kind_filter: None,
            filter: Field::default(),
            marked: BTreeSet::new(),
            decided_elsewhere: BTreeSet::new(),
            card_scroll: 0,
            help_scroll: 0,
            why: None,
            walk: None,
            undo: Vec::new(),
            plan_sel: 0,
            audit_sel: 0,
            rot_sel: 0,
            deleg_sel: 0,
            rules_sel: 0,
            auto_sel: 0,
            auto_new_after: None,
        }
    }
}

impl Ui {
    /// The suggestions the person singled out (marks, the walkthrough, the
    /// open chain, a dialog's targets), renumbered after a load that
    /// evaluated afresh: `to` gives each old index its new one, if the
    /// suggestion is still there.
    pub fn renumber(&mut self, to: impl Fn(usize) -> Option<usize>) {
        let all = |v: &[usize]| v.iter().filter_map(|&i| to(i)).collect::<Vec<usize>>();
        self.marked = self.marked.iter().filter_map(|&i| to(i)).collect();
        self.decided_elsewhere = self
            .decided_elsewhere
            .iter()
            .filter_map(|&i| to(i))
            .collect();
        self.why = self.why.and_then(&to);
        if let Some(w) = &mut self.walk {
            let current = w.items.get(w.pos).and_then(|&i| to(i));
            w.items = all(&w.items);
            w.pos = current
                .and_then(|c| w.items.iter().position(|&i| i == c))
                .unwrap_or(0);
            if w.items.is_empty() {
                self.walk = None;
            }
        }
        match &mut self.modal {
            Some(Modal::Snooze(t)) => *t = all(t),
            Some(Modal::Prompt(Prompt {
                purpose: PromptFor::Dismiss(t) | PromptFor::SnoozeUntil(t),
                ..
            })) => *t = all(t),
            _ => {}
        }
    }
}

/// A suggestion by what it is about, not where it is in a list: how a
/// selection survives a reload.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SuggestionKey {
    pub kind: Kind,
    pub person: String,
    pub entitlement: String,
    pub area: String,
}

impl SuggestionKey {
    pub fn of(s: &Suggestion) -> SuggestionKey {
        SuggestionKey {
            kind: s.kind,
            person: s.person.clone(),
            entitlement: s.entitlement.clone(),
            area: s.area.clone(),
        }
    }
}

/// A row of the hierarchy by id (an index changes with the data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeId {
    Area(String),
    Team(String),
}

/// A place in the console, by names (see `State::place`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub view: View,
    pub focus: Pane,
    pub tab: TreeTab,
    pub kind: Option<Kind>,
    /// The selected tree node; none for "all".
    pub node: Option<NodeId>,
    pub expanded: Vec<NodeId>,
    /// The selected suggestion.
    pub selected: Option<SuggestionKey>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renumbered after a load: what is still there keeps being singled
    /// out under its new number; what is gone is dropped.
    #[test]
    fn renumber_follows_the_suggestions_and_drops_the_gone() {
        let mut ui = Ui {
            marked: [1, 4, 7].into_iter().collect(),
            why: Some(4),
            walk: Some(Walk {
                title: "area payments".into(),
                items: vec![7, 1, 4],
                pos: 2,
            }),
            modal: Some(Modal::Snooze(vec![4, 1])),
            ..Ui::default()
        };
        // 1 -> 2, 4 gone, 7 -> 9.
        let to = |i: usize| match i {
            1 => Some(2),
            7 => Some(9),
            _ => None,
        };
        ui.renumber(to);
        assert_eq!(ui.marked.iter().copied().collect::<Vec<_>>(), [2, 9]);
        assert_eq!(ui.why, None);
        let w = ui.walk.as_ref().unwrap();
        assert_eq!(w.items, [9, 2]);
        assert_eq!(w.pos, 0, "its card gone: back to the first");
        assert!(matches!(&ui.modal, Some(Modal::Snooze(t)) if *t == [2]));
        ui.renumber(|i| (i == 2).then_some(0));
        assert_eq!(ui.walk.as_ref().unwrap().items, [0]);
        ui.renumber(|_| None);
        assert!(ui.walk.is_none(), "nothing left to walk");
    }
}
