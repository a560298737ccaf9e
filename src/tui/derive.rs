//! What the state derives from its data: standing, urgency, counts, the
//! visible tree and the filtered queue. Recomputed only when what they rest
//! on changes, so a key press stays cheap on a large organization.

use super::data::Data;
use super::state::*;
use crate::model::*;
use crate::policy::qualify::{audience_members, qualifies, rule_counts};
use chrono::Duration;
use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use rustc_hash::FxHashMap;
use std::collections::{BTreeSet, HashMap};

/// How far ahead "a shift starting soon" and the rotations timeline look.
pub const HORIZON_DAYS: i64 = 14;

fn add(to: &mut [usize; 3], from: [usize; 3]) {
    for (a, b) in to.iter_mut().zip(from) {
        *a += b;
    }
}

pub fn kind_slot(k: Kind) -> usize {
    match k {
        Kind::Grant => 0,
        Kind::Revoke => 1,
        Kind::Review => 2,
    }
}

impl State {
    pub fn new(data: Data, now: Time, personas: Vec<String>) -> State {
        let mut s = State {
            now,
            loaded: true,
            preview: None,
            data,
            personas,
            view: View::Main,
            focus: Pane::Queue,
            tab: TreeTab::Areas,
            modal: None,
            width: 80,
            height: 24,
            standing: Vec::new(),
            urgency: Vec::new(),
            held_since: Vec::new(),
            held_grants: Vec::new(),
            filter_fields: Vec::new(),
            filter_strings: Vec::new(),
            shifts_of: Vec::new(),
            sug_area: Vec::new(),
            esc_of: Vec::new(),
            order: Vec::new(),
            area_counts: Vec::new(),
            team_counts: Vec::new(),
            area_esc: Vec::new(),
            team_esc: Vec::new(),
            led_teams: Vec::new(),
            teams_of_person: FxHashMap::default(),
            expanded: BTreeSet::new(),
            tree: Vec::new(),
            tree_sel: 0,
            queue: Vec::new(),
            queue_sel: 0,
            kind_filter: None,
            filter: String::new(),
            filter_cache: Vec::new(),
            generation: 0,
            marked: BTreeSet::new(),
            card_scroll: 0,
            help_scroll: 0,
            why: None,
            walk: None,
            undo: Vec::new(),
            flash: None,
            busy: None,
            plan_sel: 0,
            audit_sel: 0,
            rot_sel: 0,
            deleg_sel: 0,
            rules: Vec::new(),
            rules_sel: 0,
            readiness: Vec::new(),
            ready: Vec::new(),
            rotations: Vec::new(),
            applied: Vec::new(),
            applying: None,
            quit: false,
        };
        s.reset_for_data();
        s
    }

    /// The state before the first load: drawn at once, help and quit live.
    pub fn loading(me: &str, now: Time, personas: Vec<String>) -> State {
        let mut s = State::new(Data::empty(me), now, personas);
        s.loaded = false;
        s.busy = Some(format!("loading the cache for {me}…"));
        s
    }

    /// After a load that may have changed the suggestions (start, persona
    /// switch, apply): everything derived is rebuilt and navigation resets.
    pub fn reset_for_data(&mut self) {
        self.marked.clear();
        self.walk = None;
        self.why = None;
        self.undo.clear();
        self.tree_sel = 0;
        self.queue_sel = 0;
        self.card_scroll = 0;
        self.expanded.clear();
        let snap = self.data.snap.clone();
        for &r in &self.data.scope.roots {
            self.expanded.insert((true, r));
        }
        (self.held_since, self.held_grants) = held_since(&snap, &self.data.suggestions);
        (self.filter_fields, self.filter_strings) = intern_fields(&self.data.suggestions);
        self.shifts_of = vec![Vec::new(); snap.org.people.len()];
        for (r, rot) in snap.org.rotations.iter().enumerate() {
            for (k, sh) in rot.shifts.iter().enumerate() {
                if let Some(p) = snap.person_idx(&sh.person) {
                    self.shifts_of[p].push((r as u32, k as u32));
                }
            }
        }
        self.esc_of = escalation_index(&self.data);
        let me = self.data.me.clone();
        self.urgency = self
            .data
            .suggestions
            .iter()
            .zip(&self.held_since)
            .zip(&self.esc_of)
            .map(|((s, held), esc)| {
                let to_me = esc
                    .map(|e| &self.data.escalations[e])
                    .filter(|e| e.to == me);
                match to_me {
                    // Escalated to me: right after people who left, the
                    // longest waiting first.
                    Some(e) if s.reason != Reason::PersonLeft => (1, e.waiting_since.timestamp()),
                    _ => urgency(&snap, s, *held, self.now),
                }
            })
            .collect();
        self.sug_area = self
            .data
            .suggestions
            .iter()
            .map(|s| snap.area_idx(&s.area))
            .collect();
        let mut order: Vec<usize> = (0..self.data.suggestions.len()).collect();
        self.sort_by_urgency(&mut order);
        self.order = order;
        self.led_teams = led_teams(&snap, &self.data.me);
        for &t in &self.led_teams {
            self.expanded.insert((false, t));
        }
        self.teams_of_person.clear();
        for (i, t) in snap.org.teams.iter().enumerate() {
            for m in &t.members {
                self.teams_of_person.entry(m.clone()).or_default().push(i);
            }
        }
        self.rotations = rotations_in_view(self);
        self.readiness = readiness(self);
        self.link_readiness();
        self.refresh_decisions();
    }

    /// After decisions changed (decide, undo): standing, counts, tree, queue.
    pub fn refresh_decisions(&mut self) {
        self.generation += 1;
        self.esc_of = escalation_index(&self.data);
        let mut by_key: FxHashMap<(&str, &str), Vec<&Decision>> = FxHashMap::default();
        for d in &self.data.decisions {
            by_key
                .entry((&d.suggestion.person, &d.suggestion.entitlement))
                .or_default()
                .push(d);
        }
        self.standing = self
            .data
            .suggestions
            .iter()
            .map(|s| {
                by_key
                    .get(&(s.person.as_str(), s.entitlement.as_str()))
                    .and_then(|ds| ds.iter().rev().find(|d| d.covers(s, self.now)))
                    .map_or(Standing::Pending, |d| Standing::Decided(d.verdict))
            })
            .collect();
        self.count();
        self.rebuild_tree();
        self.rebuild_queue();
        self.ready = self.ready_of_readiness();
    }

    /// Each readiness gap's grant suggestion, found once per load
    /// (thousands of gaps against tens of thousands of suggestions).
    fn link_readiness(&mut self) {
        if self.readiness.is_empty() {
            return;
        }
        let mut grant: FxHashMap<(&str, &str), usize> = FxHashMap::default();
        for (i, x) in self.data.suggestions.iter().enumerate() {
            if x.kind == Kind::Grant {
                grant.entry((&x.person, &x.entitlement)).or_insert(i);
            }
        }
        let found: Vec<Option<usize>> = self
            .readiness
            .iter()
            .map(|r| {
                grant
                    .get(&(r.person.as_str(), r.entitlement.as_str()))
                    .copied()
            })
            .collect();
        for (r, i) in self.readiness.iter_mut().zip(found) {
            r.suggestion = i;
        }
    }

    /// Where each readiness gap stands, by its suggestion's standing.
    fn ready_of_readiness(&self) -> Vec<Ready> {
        self.readiness
            .iter()
            .map(|r| match r.suggestion.map(|i| (i, self.standing[i])) {
                Some((i, Standing::Pending)) => Ready::Pending(i),
                Some((_, Standing::Decided(v))) => Ready::Decided(v),
                None => Ready::NotYet,
            })
            .collect()
    }

    fn count(&mut self) {
        let snap = self.data.snap.clone();
        self.area_counts = vec![[0; 3]; snap.org.areas.len()];
        self.team_counts = vec![[0; 3]; snap.org.teams.len()];
        self.area_esc = vec![0; snap.org.areas.len()];
        self.team_esc = vec![0; snap.org.teams.len()];
        let mut team_parent: Vec<Option<usize>> = vec![None; snap.org.teams.len()];
        for (i, t) in snap.org.teams.iter().enumerate() {
            team_parent[i] = t
                .parent
                .as_deref()
                .and_then(|p| snap.team_idx(p))
                .filter(|&p| p != i);
        }
        let (mut seen, mut path): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
        for (i, s) in self.data.suggestions.iter().enumerate() {
            if self.standing[i] != Standing::Pending {
                continue;
            }
            let slot = kind_slot(s.kind);
            let esc = usize::from(self.escalated_to_me(i));
            // Up the area chain (indexed at load; a cycle in bad data is
            // walked once; no allocation per row).
            path.clear();
            let mut cur = self.sug_area.get(i).copied().flatten();
            while let Some(a) = cur.filter(|a| !path.contains(a)) {
                path.push(a);
                self.area_counts[a][slot] += 1;
                self.area_esc[a] += esc;
                cur = snap.area_parent[a];
            }
            if let Some(teams) = self.teams_of_person.get(&s.person) {
                seen.clear();
                for &t in teams {
                    let mut cur = Some(t);
                    while let Some(c) = cur {
                        if seen.contains(&c) {
                            break;
                        }
                        seen.push(c);
                        self.team_counts[c][slot] += 1;
                        self.team_esc[c] += esc;
                        cur = team_parent[c];
                    }
                }
            }
        }
        super::preview::override_counts(self);
    }

    /// The visible rows of the hierarchy for the current tab.
    pub fn rebuild_tree(&mut self) {
        let snap = self.data.snap.clone();
        let mut out = Vec::new();
        match self.tab {
            TreeTab::Areas => {
                let mut all = [0; 3];
                let mut esc = 0;
                for &r in &self.data.scope.roots {
                    add(&mut all, self.area_counts[r]);
                    esc += self.area_esc[r];
                }
                out.push(TreeNode {
                    key: NodeKey::All,
                    depth: 0,
                    label: "all in scope".into(),
                    counts: all,
                    escalated: esc,
                    has_children: false,
                    expanded: true,
                    note: String::new(),
                });
                for &r in &self.data.scope.roots {
                    let note = match snap.org.areas[r].owner == self.data.me {
                        true => String::new(),
                        false => snap
                            .delegations_of_area(r)
                            .find(|d| d.to == self.data.me && d.active_at(self.now))
                            .map(|d| format!("delegated by {}", d.by))
                            .unwrap_or_default(),
                    };
                    self.push_area(&snap, r, 0, note, &mut out);
                }
            }
            TreeTab::Teams => {
                let mut all = [0; 3];
                let mut esc = 0;
                for &t in &self.led_teams {
                    add(&mut all, self.team_counts[t]);
                    esc += self.team_esc[t];
                }
                out.push(TreeNode {
                    key: NodeKey::All,
                    depth: 0,
                    label: "all teams I lead".into(),
                    counts: all,
                    escalated: esc,
                    has_children: false,
                    expanded: true,
                    note: String::new(),
                });
                for &t in &self.led_teams.clone() {
                    self.push_team(&snap, t, 0, &mut out);
                }
            }
        }
        self.tree = out;
        self.tree_sel = self.tree_sel.min(self.tree.len().saturating_sub(1));
    }

    fn push_area(
        &self,
        snap: &crate::policy::Snapshot,
        a: usize,
        depth: usize,
        note: String,
        out: &mut Vec<TreeNode>,
    ) {
        let node = &snap.org.areas[a];
        let children = &snap.area_children[a];
        let expanded = self.expanded.contains(&(true, a));
        out.push(TreeNode {
            key: NodeKey::Area(a),
            depth: depth + 1,
            label: node.id.clone(),
            counts: self.area_counts[a],
            escalated: self.area_esc[a],
            has_children: !children.is_empty(),
            expanded,
            note,
        });
        if expanded && depth < 32 {
            for &c in children {
                self.push_area(snap, c, depth + 1, String::new(), out);
            }
        }
    }

    fn push_team(
        &self,
        snap: &crate::policy::Snapshot,
        t: usize,
        depth: usize,
        out: &mut Vec<TreeNode>,
    ) {
        let children = &snap.team_children[t];
        let expanded = self.expanded.contains(&(false, t));
        out.push(TreeNode {
            key: NodeKey::Team(t),
            depth: depth + 1,
            label: snap.org.teams[t].id.clone(),
            counts: self.team_counts[t],
            escalated: self.team_esc[t],
            has_children: !children.is_empty(),
            expanded,
            note: String::new(),
        });
        if expanded && depth < 32 {
            for &c in children {
                self.push_team(snap, c, depth + 1, out);
            }
        }
    }

    pub fn selected_node(&self) -> NodeKey {
        self.tree.get(self.tree_sel).map_or(NodeKey::All, |n| n.key)
    }

    /// Does suggestion `i` belong under `node`?
    pub fn under(&self, i: usize, node: NodeKey) -> bool {
        let snap = &self.data.snap;
        let s = &self.data.suggestions[i];
        match node {
            NodeKey::All => match self.tab {
                TreeTab::Areas => true,
                TreeTab::Teams => self
                    .led_teams
                    .iter()
                    .any(|&t| self.person_in_team(&s.person, t)),
            },
            NodeKey::Area(a) => {
                // Up the parent chain, without allocating.
                let mut cur = self.sug_area[i];
                let mut steps = 0;
                while let Some(c) = cur {
                    if c == a {
                        return true;
                    }
                    steps += 1;
                    if steps > 256 {
                        break;
                    }
                    cur = snap.area_parent[c];
                }
                false
            }
            NodeKey::Team(t) => self.person_in_team(&s.person, t),
        }
    }

    fn person_in_team(&self, person: &str, team: usize) -> bool {
        let snap = &self.data.snap;
        self.teams_of_person.get(person).is_some_and(|ts| {
            ts.iter()
                .any(|&t| snap.team_ancestors(t).any(|c| c == team))
        })
    }

    /// The pending suggestions under `node`, in urgency order.
    pub fn pending_under(&self, node: NodeKey) -> Vec<usize> {
        self.order
            .iter()
            .copied()
            .filter(|&i| self.standing[i] == Standing::Pending && self.under(i, node))
            .collect()
    }

    fn sort_by_urgency(&self, v: &mut [usize]) {
        let sug = &self.data.suggestions;
        v.sort_by(|&a, &b| {
            self.urgency[a]
                .cmp(&self.urgency[b])
                .then_with(|| sug[a].person.cmp(&sug[b].person))
                .then_with(|| sug[a].entitlement.cmp(&sug[b].entitlement))
        });
    }

    /// The queue for the selected node, kind filter and text filter.
    pub fn rebuild_queue(&mut self) {
        let node = self.selected_node();
        let query = self.filter.trim().to_string();
        // Keep only the cached queries this one extends (same node, kind,
        // decisions); the longest is where to start.
        let (kind, generation) = (self.kind_filter, self.generation);
        self.filter_cache.retain(|c| {
            c.node == node
                && c.kind == kind
                && c.generation == generation
                && query.starts_with(&c.query)
        });
        if let Some(c) = self.filter_cache.last()
            && c.query == query
        {
            self.queue = c.matches.clone();
            self.queue_sel = self.queue_sel.min(self.queue.len().saturating_sub(1));
            self.card_scroll = 0;
            return;
        }
        let candidates: Vec<usize> = match self.filter_cache.last() {
            Some(c) => c.matches.clone(),
            None => self
                .order
                .iter()
                .copied()
                .filter(|&i| self.standing[i] == Standing::Pending)
                .filter(|&i| {
                    self.kind_filter
                        .is_none_or(|k| self.data.suggestions[i].kind == k)
                })
                .filter(|&i| self.under(i, node))
                .collect(),
        };
        let v = if query.is_empty() {
            self.filter_cache.clear();
            candidates
        } else {
            let matches = self.fuzzy(&query, candidates);
            self.filter_cache.push(FilterCache {
                node,
                kind: self.kind_filter,
                generation: self.generation,
                query: query.clone(),
                matches: matches.clone(),
            });
            matches
        };
        self.queue = v;
        self.queue_sel = self.queue_sel.min(self.queue.len().saturating_sub(1));
        self.card_scroll = 0;
    }

    /// The candidates matching `query`, best first (ties by urgency).
    fn fuzzy(&self, query: &str, candidates: Vec<usize>) -> Vec<usize> {
        let pattern = Pattern::new(
            query,
            CaseMatching::Ignore,
            Normalization::Smart,
            AtomKind::Fuzzy,
        );
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let prefilter = Prefilter::new(query);
        // Each distinct string scored at most once: None = not yet.
        let mut memo: Vec<Option<Option<u32>>> = vec![None; self.filter_strings.len()];
        let mut scored: Vec<(u32, usize)> = candidates
            .into_iter()
            .filter_map(|i| {
                // Each field on its own, so letters scattered across
                // fields do not make a match.
                let fields = self.filter_fields.get(i)?;
                fields
                    .iter()
                    .filter_map(|&f| {
                        let f = f as usize;
                        *memo[f].get_or_insert_with(|| {
                            let text = self.filter_strings[f].as_str();
                            if !prefilter.may_match(text) {
                                return None;
                            }
                            pattern.score(Utf32Str::new(text, &mut buf), &mut matcher)
                        })
                    })
                    .max()
                    .map(|sc| (sc, i))
            })
            .collect();
        scored.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| self.urgency[a.1].cmp(&self.urgency[b.1]))
        });
        scored.into_iter().map(|(_, i)| i).collect()
    }

    /// Is suggestion `i` escalated to the person at the keyboard?
    pub fn escalated_to_me(&self, i: usize) -> bool {
        self.escalation(i).is_some_and(|e| e.to == self.data.me)
    }

    /// Suggestion `i`'s escalation, if it waited past `escalate_days`.
    pub fn escalation(&self, i: usize) -> Option<&crate::policy::escalation::Escalation> {
        self.esc_of
            .get(i)
            .copied()
            .flatten()
            .and_then(|e| self.data.escalations.get(e))
    }

    /// The suggestion the card shows: the walkthrough's, else the queue's.
    pub fn current(&self) -> Option<usize> {
        match &self.walk {
            Some(w) => w.items.get(w.pos).copied(),
            None => self.queue.get(self.queue_sel).copied(),
        }
    }
}

/// A cheap test run before fuzzy scoring: a fuzzy match needs every word
/// of the query, letter by letter in order, in the field. Only for ASCII
/// (the matcher also folds accents) and plain words (no `\` escapes).
struct Prefilter {
    words: Option<Vec<Vec<u8>>>,
}

impl Prefilter {
    fn new(query: &str) -> Prefilter {
        let plain = query.is_ascii() && !query.contains('\\');
        Prefilter {
            words: plain.then(|| {
                query
                    .split_whitespace()
                    .map(|w| w.to_ascii_lowercase().into_bytes())
                    .collect()
            }),
        }
    }

    fn may_match(&self, field: &str) -> bool {
        let Some(words) = &self.words else {
            return true;
        };
        if !field.is_ascii() {
            return true;
        }
        let hay = field.as_bytes();
        words.iter().all(|w| {
            let mut it = hay.iter().map(u8::to_ascii_lowercase);
            w.iter().all(|&c| it.any(|h| h == c))
        })
    }
}

/// Each suggestion's escalation, by (person, entitlement, fingerprint).
fn escalation_index(data: &Data) -> Vec<Option<usize>> {
    let by_key: FxHashMap<(&str, &str, String), usize> = data
        .escalations
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let s = &e.suggestion;
            (
                (s.person.as_str(), s.entitlement.as_str(), s.fingerprint()),
                i,
            )
        })
        .collect();
    if by_key.is_empty() {
        return vec![None; data.suggestions.len()];
    }
    data.suggestions
        .iter()
        .map(|s| {
            by_key
                .get(&(s.person.as_str(), s.entitlement.as_str(), s.fingerprint()))
                .copied()
        })
        .collect()
}

/// Smaller is more urgent: people who left, other revocations, grants for
/// someone on call now or whose shift starts soon (sooner first), other
/// grants, reviews. The second part orders within a class. Class 1 is left
/// for suggestions escalated to the person at the keyboard (set by the state).
pub fn urgency(
    snap: &crate::policy::Snapshot,
    s: &Suggestion,
    held: Option<Time>,
    now: Time,
) -> (u8, i64) {
    let held_since = || held.map_or(0, |t| t.timestamp());
    match (s.kind, s.reason) {
        (_, Reason::PersonLeft) => (0, held_since()),
        (Kind::Revoke, _) => (2, held_since()),
        (Kind::Grant, Reason::OnCall) => (3, 0),
        (Kind::Grant, _) => match next_shift_for_rule(snap, s, now) {
            Some(start) if start - now <= Duration::days(HORIZON_DAYS) => (4, start.timestamp()),
            _ => (5, 0),
        },
        (Kind::Review, _) => (6, held_since()),
    }
}

/// The earliest grant of each suggestion's (person, entitlement), in one
/// pass over the grants (an entitlement may have a hundred thousand).
/// Also the grants themselves (indices into `org.grants`), per suggestion.
pub fn held_since(
    snap: &crate::policy::Snapshot,
    list: &[Suggestion],
) -> (Vec<Option<Time>>, Vec<Vec<usize>>) {
    type Held = (Option<Time>, Vec<usize>);
    let mut wanted: FxHashMap<(&str, &str), Held> = list
        .iter()
        .map(|s| {
            (
                (s.person.as_str(), s.entitlement.as_str()),
                (None, Vec::new()),
            )
        })
        .collect();
    if !wanted.is_empty() {
        for (i, g) in snap.org.grants.iter().enumerate() {
            if let Some(slot) = wanted.get_mut(&(g.person.as_str(), g.entitlement.as_str())) {
                slot.0 = Some(slot.0.map_or(g.granted_at, |t: Time| t.min(g.granted_at)));
                slot.1.push(i);
            }
        }
    }
    list.iter()
        .map(|s| {
            wanted
                .get(&(s.person.as_str(), s.entitlement.as_str()))
                .map_or((None, Vec::new()), |(t, gs)| (*t, gs.clone()))
        })
        .unzip()
}

/// Each suggestion's filter fields as indices into one list of distinct strings.
fn intern_fields(list: &[Suggestion]) -> (Vec<[u32; 4]>, Vec<String>) {
    let mut ids: FxHashMap<&str, u32> = FxHashMap::default();
    let mut strings: Vec<String> = Vec::new();
    let mut fields = Vec::with_capacity(list.len());
    for s in list {
        let mut f = [0u32; 4];
        let texts = [
            s.person.as_str(),
            s.entitlement.as_str(),
            s.area.as_str(),
            s.reason.as_str(),
        ];
        for (slot, text) in f.iter_mut().zip(texts) {
            *slot = *ids.entry(text).or_insert_with(|| {
                strings.push(text.to_string());
                (strings.len() - 1) as u32
            });
        }
        fields.push(f);
    }
    (fields, strings)
}

/// When the person's next shift in the suggestion's rule's rotation starts.
pub fn next_shift_for_rule(
    snap: &crate::policy::Snapshot,
    s: &Suggestion,
    now: Time,
) -> Option<Time> {
    let rule = snap.rule(s.rule.as_deref()?)?;
    let Audience::Rotation(r) = &rule.audience else {
        return None;
    };
    snap.rotation(r)?
        .shifts
        .iter()
        .filter(|sh| sh.person == s.person && sh.end > now)
        .map(|sh| sh.start)
        .min()
}

fn led_teams(snap: &crate::policy::Snapshot, me: &str) -> Vec<usize> {
    let leads: Vec<usize> = (0..snap.org.teams.len())
        .filter(|&i| snap.org.teams[i].lead.as_deref() == Some(me))
        .collect();
    // Only the topmost: a led team under another led team shows as a child.
    leads
        .iter()
        .copied()
        .filter(|&t| !snap.team_ancestors(t).skip(1).any(|c| leads.contains(&c)))
        .collect()
}

/// Rotations whose rules grant something in scope, or whose team `me` leads.
fn rotations_in_view(s: &State) -> Vec<usize> {
    let snap = &s.data.snap;
    let mut out: BTreeSet<usize> = BTreeSet::new();
    for rule in &snap.org.rules {
        if let Audience::Rotation(r) = &rule.audience
            && snap
                .area_idx(&rule.area)
                .is_some_and(|a| s.data.scope.contains(a))
            && let Some(ri) = snap.rotation_idx(r)
        {
            out.insert(ri);
        }
    }
    for (i, r) in snap.org.rotations.iter().enumerate() {
        if r.team
            .as_deref()
            .and_then(|t| snap.team(t))
            .is_some_and(|t| t.lead.as_deref() == Some(s.data.me.as_str()))
        {
            out.insert(i);
        }
    }
    out.into_iter().collect()
}

/// People whose shift starts within the horizon (and not yet on call)
/// without an entitlement a counting rule in scope will give them then.
fn readiness(s: &State) -> Vec<Readiness> {
    let snap = &s.data.snap;
    let now = s.now;
    let mut out = Vec::new();
    // Who holds each entitlement, gathered once per entitlement asked about.
    let mut holders: FxHashMap<usize, rustc_hash::FxHashSet<&str>> = FxHashMap::default();
    for rule in &snap.org.rules {
        let Audience::Rotation(rid) = &rule.audience else {
            continue;
        };
        if !snap
            .area_idx(&rule.area)
            .is_some_and(|a| s.data.scope.contains(a))
        {
            continue;
        }
        let Some(rot) = snap.rotation(rid) else {
            continue;
        };
        let mut next: HashMap<&str, Time> = HashMap::new();
        for sh in &rot.shifts {
            if sh.start > now && sh.start - now <= Duration::days(HORIZON_DAYS) {
                let e = next.entry(sh.person.as_str()).or_insert(sh.start);
                if sh.start < *e {
                    *e = sh.start;
                }
            }
        }
        for (person, start) in next {
            if rule_counts(snap, rule, start).is_err() {
                continue;
            }
            let members = audience_members(snap, &rule.audience, start);
            if qualifies(snap, rule, person, &members, start).is_err() {
                continue;
            }
            for ent in &rule.grant {
                let holds = snap.entitlement_idx(ent).is_some_and(|e| {
                    holders
                        .entry(e)
                        .or_insert_with(|| {
                            snap.grants_of_entitlement(e)
                                .map(|g| g.person.as_str())
                                .collect()
                        })
                        .contains(person)
                });
                if !holds {
                    out.push(Readiness {
                        rotation: rot.id.clone(),
                        person: person.to_string(),
                        entitlement: ent.clone(),
                        shift_start: start,
                        rule: rule.id.clone(),
                        suggestion: None,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        a.shift_start
            .cmp(&b.shift_start)
            .then_with(|| a.person.cmp(&b.person))
            .then_with(|| a.entitlement.cmp(&b.entitlement))
    });
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefilter never rejects what the fuzzy matcher would accept.
    #[test]
    fn prefilter_rejects_only_what_cannot_match() {
        let fields = [
            "payments-db:write",
            "Payments-DB:Read",
            "person_left",
            "greg",
            "k8s-prod:deploy",
            "clinical-analytics",
            "Zoë",
        ];
        let queries = [
            "pay wri", "pdw", "PAY", "dbr", "left", "gx", "k8s dep", "zz", "zoe", "a b c",
            "wr pay", "-:", "_l",
        ];
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let mut rejected = 0;
        for q in queries {
            let pattern = Pattern::new(
                q,
                CaseMatching::Ignore,
                Normalization::Smart,
                AtomKind::Fuzzy,
            );
            let pre = Prefilter::new(q);
            for f in fields {
                let score = pattern.score(Utf32Str::new(f, &mut buf), &mut matcher);
                if !pre.may_match(f) {
                    rejected += 1;
                    assert_eq!(score, None, "{q:?} rejected {f:?} but it matches");
                }
            }
        }
        assert!(rejected > 20, "the prefilter does reject: {rejected}");
    }
}
