//! What the console showed, kept so the next start draws it at once: the
//! head of the queue, with only the part of the organization its rows,
//! their cards and the tree need, and the tree's counts as they were. On a
//! large organization loading and evaluating takes seconds; the preview
//! takes milliseconds, and is shown, marked, until the fresh load replaces
//! it. Only looking around works meanwhile: nothing is decided on it.

use super::data::Data;
use super::state::{NodeKey, Pane, Standing, State, TreeTab, View};
use crate::model::*;
use crate::policy::escalation::Escalation;
use crate::policy::{Scope, Snapshot};
use crate::store::SourceInfo;
use rustc_hash::FxHashSet;
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
    /// Pending counts (grant, revoke, review) and escalated-to-me, per area
    /// and per team by id; zeros left out.
    pub area_counts: Vec<(String, [usize; 3], usize)>,
    pub team_counts: Vec<(String, [usize; 3], usize)>,
}

/// Counts of the evaluation a preview shows, by index in its snapshot: the
/// tree shows these, not the few rows kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub evaluated_at: Time,
    pub area_counts: Vec<[usize; 3]>,
    pub area_esc: Vec<usize>,
    pub team_counts: Vec<[usize; 3]>,
    pub team_esc: Vec<usize>,
}

impl Preview {
    /// The preview of what `s` shows; none before the first load or while
    /// a preview is itself shown.
    pub fn of(s: &State) -> Option<Preview> {
        if !s.loaded || s.preview.is_some() {
            return None;
        }
        let snap = &s.data.snap;
        let org = &snap.org;
        let rows: Vec<usize> = s
            .order
            .iter()
            .copied()
            .filter(|&i| s.standing[i] == Standing::Pending)
            .take(ROWS)
            .collect();
        let suggestions: Vec<Suggestion> = rows
            .iter()
            .map(|&i| s.data.suggestions[i].clone())
            .collect();
        let escalations: Vec<Escalation> = rows
            .iter()
            .filter_map(|&i| s.escalation(i).cloned())
            .collect();

        // People: the rows', their managers, and `me` (by index: looked up,
        // not scanned, so keeping a preview stays cheap on a large org).
        let mut people: Vec<usize> = Vec::new();
        let add_person = |id: &str, people: &mut Vec<usize>| {
            if let Some(p) = snap.person_idx(id) {
                people.push(p);
            }
        };
        add_person(&s.data.me, &mut people);
        for sug in &suggestions {
            add_person(&sug.person, &mut people);
            if let Some(m) = snap.person(&sug.person).and_then(|p| p.manager.as_deref()) {
                add_person(m, &mut people);
            }
        }
        people.sort_unstable();
        people.dedup();
        let ids: FxHashSet<&str> = people.iter().map(|&p| org.people[p].id.as_str()).collect();
        // Areas: the scope and what lies above it (the tree, authority).
        let mut areas = vec![false; org.areas.len()];
        for (a, keep) in areas.iter_mut().enumerate() {
            *keep = s.data.scope.contains(a);
        }
        for &r in &s.data.scope.roots {
            for a in snap.area_path(r) {
                areas[a] = true;
            }
        }
        let mut entitlements: Vec<usize> = suggestions
            .iter()
            .filter_map(|x| snap.entitlement_idx(&x.entitlement))
            .collect();
        entitlements.sort_unstable();
        entitlements.dedup();
        let mut rules: Vec<usize> = suggestions
            .iter()
            .filter_map(|x| snap.rule_idx(x.rule.as_deref()?))
            .collect();
        rules.sort_unstable();
        rules.dedup();
        let mut grants: Vec<usize> = rows
            .iter()
            .flat_map(|&i| s.held_grants.get(i).into_iter().flatten().copied())
            .collect();
        grants.sort_unstable();
        grants.dedup();
        // Rotations: those the kept rules name, and those the kept people
        // have shifts in; with only those people's shifts and membership.
        let mut rotations: Vec<usize> = rules
            .iter()
            .filter_map(|&r| match &org.rules[r].audience {
                Audience::Rotation(id) => snap.rotation_idx(id),
                Audience::Team(_) => None,
            })
            .chain(
                people
                    .iter()
                    .flat_map(|&p| s.shifts_of.get(p).into_iter().flatten())
                    .map(|&(r, _)| r as usize),
            )
            .collect();
        rotations.sort_unstable();
        rotations.dedup();
        let rotations: Vec<Rotation> = rotations
            .iter()
            .filter_map(|&r| org.rotations.get(r))
            .map(|r| Rotation {
                id: r.id.clone(),
                name: r.name.clone(),
                team: r.team.clone(),
                members: only(&r.members, &ids),
                shifts: r
                    .shifts
                    .iter()
                    .filter(|sh| ids.contains(sh.person.as_str()))
                    .cloned()
                    .collect(),
            })
            .collect();
        // Teams: all of them (the teams tab), members only the kept people.
        let mut teams: Vec<Team> = org
            .teams
            .iter()
            .map(|t| Team {
                id: t.id.clone(),
                name: t.name.clone(),
                parent: t.parent.clone(),
                lead: t.lead.clone(),
                members: Vec::new(),
            })
            .collect();
        for &p in &people {
            let id = &org.people[p].id;
            for &t in s.teams_of_person.get(id).into_iter().flatten() {
                if let Some(team) = teams.get_mut(t) {
                    team.members.push(id.clone());
                }
            }
        }
        let kept = Org {
            people: people.iter().map(|&p| org.people[p].clone()).collect(),
            teams,
            rotations,
            trainings: people
                .iter()
                .flat_map(|&p| snap.trainings_of(p).cloned())
                .collect(),
            areas: org
                .areas
                .iter()
                .zip(&areas)
                .filter(|(_, keep)| **keep)
                .map(|(a, _)| a.clone())
                .collect(),
            entitlements: entitlements
                .iter()
                .map(|&e| org.entitlements[e].clone())
                .collect(),
            grants: grants
                .iter()
                .filter_map(|&g| org.grants.get(g).cloned())
                .collect(),
            delegations: org
                .delegations
                .iter()
                .filter(|d| snap.area_idx(&d.area).is_some_and(|a| areas[a]))
                .cloned()
                .collect(),
            rules: rules.iter().map(|&r| org.rules[r].clone()).collect(),
        };
        let area_counts = org
            .areas
            .iter()
            .enumerate()
            .filter(|&(a, _)| areas[a] && s.area_counts[a] != [0; 3])
            .map(|(a, x)| (x.id.clone(), s.area_counts[a], s.area_esc[a]))
            .collect();
        let team_counts = org
            .teams
            .iter()
            .enumerate()
            .filter(|&(t, _)| s.team_counts.get(t).is_some_and(|c| *c != [0; 3]))
            .map(|(t, x)| (x.id.clone(), s.team_counts[t], s.team_esc[t]))
            .collect();
        Some(Preview {
            me: s.data.me.clone(),
            evaluated_at: s.now,
            suggestions,
            escalations,
            org: kept,
            area_counts,
            team_counts,
        })
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

fn only(ids: &[String], keep: &FxHashSet<&str>) -> Vec<String> {
    ids.iter()
        .filter(|m| keep.contains(m.as_str()))
        .cloned()
        .collect()
}

impl State {
    /// The console drawn from a preview while the cache loads: the rows
    /// kept, the counts as they were, and the sources' ages as they are.
    pub fn from_preview(
        p: Preview,
        now: Time,
        personas: Vec<String>,
        sources: Vec<SourceInfo>,
    ) -> State {
        let snap = Arc::new(Snapshot::new(p.org));
        let scope = Scope::of(&snap, &p.me, now);
        let data = Data {
            snap: snap.clone(),
            me: p.me.clone(),
            scope,
            suggestions: p.suggestions,
            decisions: Vec::new(),
            plan: Vec::new(),
            audit: Vec::new(),
            sources,
            local_delegations: Vec::new(),
            escalations: p.escalations,
            rule_sources: Vec::new(),
        };
        let mut area_counts = vec![[0; 3]; snap.org.areas.len()];
        let mut area_esc = vec![0; snap.org.areas.len()];
        for (id, c, e) in &p.area_counts {
            if let Some(a) = snap.area_idx(id) {
                area_counts[a] = *c;
                area_esc[a] = *e;
            }
        }
        let mut team_counts = vec![[0; 3]; snap.org.teams.len()];
        let mut team_esc = vec![0; snap.org.teams.len()];
        for (id, c, e) in &p.team_counts {
            if let Some(t) = snap.team_idx(id) {
                team_counts[t] = *c;
                team_esc[t] = *e;
            }
        }
        let mut s = State::new(data, now, personas);
        s.preview = Some(Shown {
            evaluated_at: p.evaluated_at,
            area_counts,
            area_esc,
            team_counts,
            team_esc,
        });
        s.refresh_decisions();
        s.busy = Some(format!(
            "loading the cache for {}; showing your queue as of {}",
            p.me,
            when(p.evaluated_at, now)
        ));
        s
    }

    /// Where the person at the keyboard is, by names rather than indices,
    /// so a reload can put them back there.
    pub fn place(&self) -> Place {
        let snap = &self.data.snap;
        let id_of = |key: NodeKey| match key {
            NodeKey::All => None,
            NodeKey::Area(a) => snap.org.areas.get(a).map(|x| (true, x.id.clone())),
            NodeKey::Team(t) => snap.org.teams.get(t).map(|x| (false, x.id.clone())),
        };
        Place {
            view: self.view,
            focus: self.focus,
            tab: self.tab,
            kind: self.kind_filter,
            node: id_of(self.selected_node()),
            expanded: self
                .expanded
                .iter()
                .filter_map(|&(area, i)| {
                    id_of(if area {
                        NodeKey::Area(i)
                    } else {
                        NodeKey::Team(i)
                    })
                })
                .collect(),
            selected: self
                .queue
                .get(self.queue_sel)
                .map(|&i| key_of(&self.data.suggestions[i])),
        }
    }

    /// Back to `place` after a reload, as far as the new data still has it.
    pub fn restore(&mut self, place: Place) {
        let snap = self.data.snap.clone();
        let idx = |(area, id): &(bool, String)| match area {
            true => snap.area_idx(id).map(|a| (true, a)),
            false => snap.team_idx(id).map(|t| (false, t)),
        };
        self.view = place.view;
        self.focus = place.focus;
        self.tab = place.tab;
        self.kind_filter = place.kind;
        self.expanded.extend(place.expanded.iter().filter_map(idx));
        self.rebuild_tree();
        let node = place
            .node
            .as_ref()
            .and_then(idx)
            .map(|(area, i)| match area {
                true => NodeKey::Area(i),
                false => NodeKey::Team(i),
            });
        self.tree_sel = node
            .and_then(|k| self.tree.iter().position(|n| n.key == k))
            .unwrap_or(0);
        self.rebuild_queue();
        if let Some(key) = place.selected {
            let data = &self.data;
            self.queue_sel = self
                .queue
                .iter()
                .position(|&i| key_of(&data.suggestions[i]) == key)
                .unwrap_or(0);
        }
    }
}

/// A place in the console, by names (see [`State::place`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub view: View,
    pub focus: Pane,
    pub tab: TreeTab,
    pub kind: Option<Kind>,
    /// The selected tree node: (is an area, id); none for "all".
    pub node: Option<(bool, String)>,
    pub expanded: Vec<(bool, String)>,
    /// The selected suggestion: kind, person, entitlement, area.
    pub selected: Option<(Kind, String, String, String)>,
}

fn key_of(s: &Suggestion) -> (Kind, String, String, String) {
    (
        s.kind,
        s.person.clone(),
        s.entitlement.clone(),
        s.area.clone(),
    )
}

/// Keeps a preview's counts over what `count` derived from its few rows.
pub fn override_counts(s: &mut State) {
    let Some(p) = &s.preview else {
        return;
    };
    if p.area_counts.len() == s.area_counts.len() && p.team_counts.len() == s.team_counts.len() {
        s.area_counts.clone_from(&p.area_counts);
        s.area_esc.clone_from(&p.area_esc);
        s.team_counts.clone_from(&p.team_counts);
        s.team_esc.clone_from(&p.team_esc);
    }
}

/// Ids of `rows` for tests: (person, entitlement).
#[cfg(test)]
fn ids(s: &State) -> Vec<(String, String)> {
    s.queue
        .iter()
        .map(|&i| {
            let x = &s.data.suggestions[i];
            (x.person.clone(), x.entitlement.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_state(me: &str) -> State {
        let dir = tempfile::tempdir().unwrap();
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let demo = crate::demo::install(&dir.path().join("demo"), now).unwrap();
        let mut store = crate::store::Store::open_existing(&demo.db).unwrap();
        let data = Data::load(&mut store, me, now, None).unwrap();
        State::new(data, now, Vec::new())
    }

    #[test]
    fn a_preview_shows_the_same_head_of_queue_tree_and_cards() {
        let full = demo_state("marcus");
        let p = Preview::of(&full).unwrap();
        assert!(p.suggestions.len() <= ROWS);
        // Through JSON, as the store keeps it.
        let p: Preview = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        let shown = State::from_preview(p, full.now, Vec::new(), Vec::new());
        assert!(shown.preview.is_some());
        assert_eq!(ids(&shown), ids(&full));
        let labels = |s: &State| {
            s.tree
                .iter()
                .map(|n| (n.label.clone(), n.counts, n.escalated))
                .collect::<Vec<_>>()
        };
        assert_eq!(labels(&shown), labels(&full));
        assert_eq!(shown.data.scope.roots.len(), full.data.scope.roots.len());
        // Each row's card reads the same facts: urgency, how long held.
        for (a, b) in shown.queue.iter().zip(&full.queue) {
            assert_eq!(shown.urgency[*a], full.urgency[*b]);
            assert_eq!(shown.held_since[*a], full.held_since[*b]);
            assert_eq!(shown.held_grants[*a].len(), full.held_grants[*b].len());
            assert_eq!(shown.esc_of[*a].is_some(), full.esc_of[*b].is_some());
        }
    }

    /// On an organization larger than a preview: the first `ROWS` rows, in
    /// order, and the tree's counts of the whole evaluation.
    #[test]
    fn a_preview_keeps_the_head_and_the_whole_counts() {
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let org = crate::r#gen::generate(3000, 7, now);
        let me = org
            .areas
            .iter()
            .find(|a| a.parent.is_none())
            .map(|a| a.owner.clone())
            .unwrap();
        let full = State::new(Data::from_org(org, &me, now), now, Vec::new());
        assert!(full.queue.len() > ROWS, "{} rows", full.queue.len());
        let p = Preview::of(&full).unwrap();
        assert!(p.org.people.len() < full.data.snap.org.people.len());
        assert!(p.org.grants.len() < full.data.snap.org.grants.len() / 10);
        let shown = State::from_preview(p, now, Vec::new(), Vec::new());
        assert_eq!(ids(&shown), ids(&full)[..ROWS].to_vec());
        let counts = |s: &State| {
            s.tree
                .iter()
                .map(|n| (n.label.clone(), n.counts))
                .collect::<Vec<_>>()
        };
        assert_eq!(counts(&shown), counts(&full));
    }

    #[test]
    fn a_reload_puts_the_selection_back_where_it_was() {
        let mut s = demo_state("marcus");
        s.tree_sel = s.tree.len() - 1;
        s.rebuild_queue();
        let node = s.selected_node();
        s.queue_sel = s.queue.len().saturating_sub(1);
        let picked = s.queue.get(s.queue_sel).copied();
        let place = s.place();
        let fresh = demo_state("marcus");
        let mut t = fresh;
        t.restore(place);
        assert_eq!(t.selected_node(), node);
        let now_picked = t
            .queue
            .get(t.queue_sel)
            .map(|&i| key_of(&t.data.suggestions[i]));
        assert_eq!(now_picked, picked.map(|i| key_of(&s.data.suggestions[i])));
    }
}
