//! The visible rows of the hierarchy: areas in scope, or teams led, each
//! with its pending counts, opened as far as the person opened them.

use super::super::counts::Counts;
use super::super::data::Data;
use super::super::ui::{NodeKey, TreeTab};
use super::index::Index;
use super::standing::TreeCounts;
use crate::model::Time;
use crate::policy::Snapshot;
use std::collections::BTreeSet;

/// One visible row of the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeNode {
    pub key: NodeKey,
    pub depth: usize,
    pub label: String,
    /// Pending grant, revoke, review in its subtree.
    pub counts: Counts,
    /// Of those, how many are escalated to `me`.
    pub escalated: usize,
    pub has_children: bool,
    pub expanded: bool,
    /// "delegated by X" for a delegated root; "delegated to Y" for an
    /// area `me` handed on (and still sees).
    pub note: String,
}

/// What a tree is built from.
pub struct TreeOf<'a> {
    pub data: &'a Data,
    pub index: &'a Index,
    pub counts: &'a TreeCounts,
    pub expanded: &'a BTreeSet<NodeKey>,
    pub now: Time,
}

impl TreeOf<'_> {
    /// The rows of `tab`: "all" first, then each root and what is open below.
    pub fn rows(&self, tab: TreeTab) -> Vec<TreeNode> {
        let snap = &self.data.snap;
        let mut out = Vec::new();
        let (label, roots, keys): (&str, &[usize], fn(usize) -> NodeKey) = match tab {
            TreeTab::Areas => ("all in scope", &self.data.scope.roots, NodeKey::Area),
            TreeTab::Teams => ("all teams I lead", &self.index.led_teams, NodeKey::Team),
        };
        let mut all = Counts::default();
        let mut esc = 0;
        for &r in roots {
            let (c, e) = self.counts_of(keys(r));
            all += c;
            esc += e;
        }
        out.push(TreeNode {
            key: NodeKey::All,
            depth: 0,
            label: label.into(),
            counts: all,
            escalated: esc,
            has_children: false,
            expanded: true,
            note: String::new(),
        });
        for &r in roots {
            let note = match tab {
                TreeTab::Areas => self.delegated_note(snap, r),
                TreeTab::Teams => String::new(),
            };
            self.push(snap, keys(r), 0, note, &mut out);
        }
        out
    }

    /// "delegated by X" when `me` holds root area `a` by a delegation.
    fn delegated_note(&self, snap: &Snapshot, a: usize) -> String {
        let me = &self.data.me;
        if snap.org.areas[a].owner == *me {
            return self.delegated_away(snap, a);
        }
        snap.delegations_of_area(a)
            .find(|d| d.to == *me && d.active_at(self.now))
            .map(|d| format!("delegated by {}", d.by))
            .unwrap_or_else(|| self.delegated_away(snap, a))
    }

    /// "delegated to Y" when `me` delegated area `a` to someone, active now.
    fn delegated_away(&self, snap: &Snapshot, a: usize) -> String {
        let me = &self.data.me;
        let to: Vec<&str> = snap
            .delegations_of_area(a)
            .filter(|d| d.by == *me && d.active_at(self.now))
            .map(|d| d.to.as_str())
            .collect();
        match to.is_empty() {
            true => String::new(),
            false => format!("delegated to {}", to.join(", ")),
        }
    }

    fn counts_of(&self, key: NodeKey) -> (Counts, usize) {
        match key {
            NodeKey::Area(a) => (self.counts.area[a], self.counts.area_esc[a]),
            NodeKey::Team(t) => (self.counts.team[t], self.counts.team_esc[t]),
            NodeKey::All => (Counts::default(), 0),
        }
    }

    fn push(
        &self,
        snap: &Snapshot,
        key: NodeKey,
        depth: usize,
        note: String,
        out: &mut Vec<TreeNode>,
    ) {
        let (label, children) = match key {
            NodeKey::Area(a) => (&snap.org.areas[a].id, &snap.area_children[a]),
            NodeKey::Team(t) => (&snap.org.teams[t].id, &snap.team_children[t]),
            NodeKey::All => return,
        };
        let expanded = self.expanded.contains(&key);
        let (counts, escalated) = self.counts_of(key);
        out.push(TreeNode {
            key,
            depth: depth + 1,
            label: label.clone(),
            counts,
            escalated,
            has_children: !children.is_empty(),
            expanded,
            note,
        });
        if expanded && depth < 32 {
            for &c in children {
                let child = match key {
                    NodeKey::Area(_) => NodeKey::Area(c),
                    _ => NodeKey::Team(c),
                };
                let note = match child {
                    NodeKey::Area(c) => self.delegated_away(snap, c),
                    _ => String::new(),
                };
                self.push(snap, child, depth + 1, note, out);
            }
        }
    }
}
