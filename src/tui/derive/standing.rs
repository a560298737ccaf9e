//! Where each suggestion stands (pending, or decided and how), and the
//! pending counts of every area and team.

use super::super::counts::Counts;
use super::super::data::Data;
use super::index::Index;
use crate::model::*;
use rustc_hash::FxHashMap;

/// Where a suggestion stands in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Pending,
    Decided(Verdict),
}

/// Each suggestion's standing at `now`: the newest decision that still
/// covers it (a snooze ends, a decision about other facts lapses).
pub fn standing(data: &Data, now: Time) -> Vec<Standing> {
    let mut by_key: FxHashMap<(&str, &str), Vec<&Decision>> = FxHashMap::default();
    for d in &data.decisions {
        by_key
            .entry((&d.suggestion.person, &d.suggestion.entitlement))
            .or_default()
            .push(d);
    }
    data.suggestions
        .iter()
        .map(|s| {
            by_key
                .get(&(s.person.as_str(), s.entitlement.as_str()))
                .and_then(|ds| ds.iter().rev().find(|d| d.covers(s, now)))
                .map_or(Standing::Pending, |d| Standing::Decided(d.verdict))
        })
        .collect()
}

/// Pending counts per area (its whole subtree) and per team (with the
/// teams below it), and how many of them are escalated to `me`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeCounts {
    pub area: Vec<Counts>,
    pub area_esc: Vec<usize>,
    pub team: Vec<Counts>,
    pub team_esc: Vec<usize>,
}

/// Counts the pending suggestions up the area chain and the team chain;
/// `escalated(i)` says whether suggestion `i` is escalated to `me`.
pub fn count(
    data: &Data,
    index: &Index,
    standing: &[Standing],
    escalated: impl Fn(usize) -> bool,
) -> TreeCounts {
    let snap = &data.snap;
    let mut c = TreeCounts {
        area: vec![Counts::default(); snap.org.areas.len()],
        area_esc: vec![0; snap.org.areas.len()],
        team: vec![Counts::default(); snap.org.teams.len()],
        team_esc: vec![0; snap.org.teams.len()],
    };
    let (mut seen, mut path): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    for (i, s) in data.suggestions.iter().enumerate() {
        if standing[i] != Standing::Pending {
            continue;
        }
        let esc = usize::from(escalated(i));
        // Up the area chain (indexed at load; a cycle in bad data is
        // walked once; no allocation per row).
        path.clear();
        let mut cur = index.sug_area.get(i).copied().flatten();
        while let Some(a) = cur.filter(|a| !path.contains(a)) {
            path.push(a);
            c.area[a].bump(s.kind);
            c.area_esc[a] += esc;
            cur = snap.area_parent[a];
        }
        if let Some(teams) = index.org.teams_of_person.get(&s.person) {
            seen.clear();
            for &t in teams {
                let mut cur = Some(t);
                while let Some(t) = cur.filter(|t| !seen.contains(t)) {
                    seen.push(t);
                    c.team[t].bump(s.kind);
                    c.team_esc[t] += esc;
                    cur = index.org.team_parent[t];
                }
            }
        }
    }
    c
}
