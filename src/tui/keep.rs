//! The preview of what the console shows, made to be kept for the next
//! start (see [`super::preview`]): the head of the queue and only the part
//! of the organization its rows, their cards and the tree need.

use super::derive::Standing;
use super::preview::{KeptCounts, Preview, ROWS};
use super::state::State;
use crate::model::*;
use crate::policy::Snapshot;
use crate::policy::escalation::Escalation;
use rustc_hash::FxHashSet;

/// The preview of what `s` shows; none before the first load or while a
/// preview is itself shown.
pub fn preview(s: &State) -> Option<Preview> {
    if !s.status.loaded || s.status.preview.is_some() {
        return None;
    }
    let snap = &s.data.snap;
    let rows: Vec<usize> = s
        .derived
        .order
        .iter()
        .copied()
        .filter(|&i| s.derived.standing[i] == Standing::Pending)
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
    let people = people(s, &suggestions);
    let areas = areas(s);
    let org = kept_org(s, &rows, &suggestions, &people, &areas);
    let counts = &s.derived.counts;
    let area_counts = snap
        .org
        .areas
        .iter()
        .enumerate()
        .filter(|&(a, _)| areas[a] && !counts.area[a].is_zero())
        .map(|(a, x)| KeptCounts {
            id: x.id.clone(),
            pending: counts.area[a],
            escalated: counts.area_esc[a],
        })
        .collect();
    let team_counts = snap
        .org
        .teams
        .iter()
        .enumerate()
        .filter(|&(t, _)| counts.team.get(t).is_some_and(|c| !c.is_zero()))
        .map(|(t, x)| KeptCounts {
            id: x.id.clone(),
            pending: counts.team[t],
            escalated: counts.team_esc[t],
        })
        .collect();
    Some(Preview {
        me: s.data.me.clone(),
        evaluated_at: s.now,
        suggestions,
        escalations,
        org,
        area_counts,
        team_counts,
    })
}

/// The people kept: the rows', their managers, and `me` (by index: looked
/// up, not scanned, so keeping a preview stays cheap on a large org).
fn people(s: &State, suggestions: &[Suggestion]) -> Vec<usize> {
    let snap = &s.data.snap;
    let mut people: Vec<usize> = Vec::new();
    let mut add = |id: &str| {
        if let Some(p) = snap.person_idx(id) {
            people.push(p);
        }
    };
    add(&s.data.me);
    for sug in suggestions {
        add(&sug.person);
        if let Some(m) = snap.person(&sug.person).and_then(|p| p.manager.as_deref()) {
            add(m);
        }
    }
    people.sort_unstable();
    people.dedup();
    people
}

/// The areas kept: the scope and what lies above it (the tree, authority).
fn areas(s: &State) -> Vec<bool> {
    let snap = &s.data.snap;
    let mut areas: Vec<bool> = (0..snap.org.areas.len())
        .map(|a| s.data.scope.contains(a))
        .collect();
    for &r in &s.data.scope.roots {
        for a in snap.area_path(r) {
            areas[a] = true;
        }
    }
    areas
}

/// Indices sorted, each once.
fn unique(mut v: Vec<usize>) -> Vec<usize> {
    v.sort_unstable();
    v.dedup();
    v
}

/// The organization cut to what the kept rows need.
fn kept_org(
    s: &State,
    rows: &[usize],
    suggestions: &[Suggestion],
    people: &[usize],
    areas: &[bool],
) -> Org {
    let snap = &s.data.snap;
    let org = &snap.org;
    let entitlements = unique(
        suggestions
            .iter()
            .filter_map(|x| snap.entitlement_idx(&x.entitlement))
            .collect(),
    );
    let rules = unique(
        suggestions
            .iter()
            .filter_map(|x| snap.rule_idx(x.rule.as_deref()?))
            .collect(),
    );
    let index = &s.derived.index;
    let grants = unique(
        rows.iter()
            .flat_map(|&i| index.held_grants.get(i).into_iter().flatten().copied())
            .collect(),
    );
    Org {
        people: people.iter().map(|&p| org.people[p].clone()).collect(),
        teams: teams(s, people),
        rotations: rotations(s, &rules, people),
        trainings: people
            .iter()
            .flat_map(|&p| snap.trainings_of(p).cloned())
            .collect(),
        areas: org
            .areas
            .iter()
            .zip(areas)
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
    }
}

/// Rotations: those the kept rules name, and those the kept people have
/// shifts in; with only those people's shifts and membership.
fn rotations(s: &State, rules: &[usize], people: &[usize]) -> Vec<Rotation> {
    let snap: &Snapshot = &s.data.snap;
    let org = &snap.org;
    let ids: FxHashSet<&str> = people.iter().map(|&p| org.people[p].id.as_str()).collect();
    let index = &s.derived.index;
    let which = unique(
        rules
            .iter()
            .filter_map(|&r| match &org.rules[r].audience {
                Audience::Rotation(id) => snap.rotation_idx(id),
                Audience::Team(_) => None,
            })
            .chain(
                people
                    .iter()
                    .flat_map(|&p| index.shifts_listed(p))
                    .map(|sh| sh.rotation as usize),
            )
            .collect(),
    );
    which
        .iter()
        .filter_map(|&r| org.rotations.get(r))
        .map(|r| Rotation {
            id: r.id.clone(),
            name: r.name.clone(),
            team: r.team.clone(),
            members: r
                .members
                .iter()
                .filter(|m| ids.contains(m.as_str()))
                .cloned()
                .collect(),
            shifts: r
                .shifts
                .iter()
                .filter(|sh| ids.contains(sh.person.as_str()))
                .cloned()
                .collect(),
        })
        .collect()
}

/// Teams: all of them (the teams tab), members only the kept people.
fn teams(s: &State, people: &[usize]) -> Vec<Team> {
    let org = &s.data.snap.org;
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
    for &p in people {
        let id = &org.people[p].id;
        for t in s.derived.index.teams_listed(id) {
            if let Some(team) = teams.get_mut(t) {
                team.members.push(id.clone());
            }
        }
    }
    teams
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::data::Data;
    use crate::tui::ui::SuggestionKey;

    fn demo_state(me: &str) -> State {
        let dir = tempfile::tempdir().unwrap();
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let demo = crate::demo::install(&dir.path().join("demo"), now).unwrap();
        let mut store = crate::store::Store::open_existing(&demo.db).unwrap();
        let data = Data::load(&mut store, me, now, None).unwrap();
        State::new(data, now, Vec::new())
    }

    /// The queue's rows: (person, entitlement).
    fn ids(s: &State) -> Vec<(String, String)> {
        s.derived
            .queue
            .iter()
            .map(|&i| {
                let x = &s.data.suggestions[i];
                (x.person.clone(), x.entitlement.clone())
            })
            .collect()
    }

    #[test]
    fn a_preview_shows_the_same_head_of_queue_tree_and_cards() {
        let full = demo_state("marcus");
        let p = preview(&full).unwrap();
        assert!(p.suggestions.len() <= ROWS);
        // Through JSON, as the store keeps it.
        let p: Preview = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        let shown = State::from_preview(p, full.now, Vec::new(), Vec::new());
        assert!(shown.status.preview.is_some());
        assert_eq!(ids(&shown), ids(&full));
        let labels = |s: &State| {
            s.derived
                .tree
                .iter()
                .map(|n| (n.label.clone(), n.counts, n.escalated))
                .collect::<Vec<_>>()
        };
        assert_eq!(labels(&shown), labels(&full));
        assert_eq!(shown.data.scope.roots.len(), full.data.scope.roots.len());
        // Each row's card reads the same facts: urgency, how long held.
        let (a, b) = (&shown.derived, &full.derived);
        for (x, y) in a.queue.iter().zip(&b.queue) {
            assert_eq!(a.urgency[*x], b.urgency[*y]);
            assert_eq!(a.index.held_since[*x], b.index.held_since[*y]);
            assert_eq!(a.index.held_grants[*x].len(), b.index.held_grants[*y].len());
            assert_eq!(a.esc_of[*x].is_some(), b.esc_of[*y].is_some());
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
        assert!(
            full.derived.queue.len() > ROWS,
            "{} rows",
            full.derived.queue.len()
        );
        let p = preview(&full).unwrap();
        assert!(p.org.people.len() < full.data.snap.org.people.len());
        assert!(p.org.grants.len() < full.data.snap.org.grants.len() / 10);
        let shown = State::from_preview(p, now, Vec::new(), Vec::new());
        assert_eq!(ids(&shown), ids(&full)[..ROWS].to_vec());
        let counts = |s: &State| {
            s.derived
                .tree
                .iter()
                .map(|n| (n.label.clone(), n.counts))
                .collect::<Vec<_>>()
        };
        assert_eq!(counts(&shown), counts(&full));
    }

    #[test]
    fn a_reload_puts_the_selection_back_where_it_was() {
        let mut s = demo_state("marcus");
        s.ui.tree_sel = s.derived.tree.len() - 1;
        s.derive();
        let node = s.selected_node();
        s.ui.queue_sel = s.derived.queue.len().saturating_sub(1);
        let picked = s.derived.queue.get(s.ui.queue_sel).copied();
        let place = s.place();
        let mut t = demo_state("marcus");
        t.restore(place);
        assert_eq!(t.selected_node(), node);
        let now_picked = t
            .derived
            .queue
            .get(t.ui.queue_sel)
            .map(|&i| SuggestionKey::of(&t.data.suggestions[i]));
        assert_eq!(
            now_picked,
            picked.map(|i| SuggestionKey::of(&s.data.suggestions[i]))
        );
    }
}
