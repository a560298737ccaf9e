//! Cycles in the org's trees: an area, a team or a manager chain that leads
//! back to itself has no root, so nobody above it could own or decide.
//! Found in one pass over each tree.

use crate::model::{Area, Org, Person, Team};
use std::collections::HashMap;
use std::fmt;

/// Which tree a cycle is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tree {
    Areas,
    Teams,
    Managers,
}

impl Tree {
    pub fn as_str(self) -> &'static str {
        match self {
            Tree::Areas => "areas",
            Tree::Teams => "teams",
            Tree::Managers => "managers",
        }
    }
}

/// A cycle: the ids along it, the first repeated at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub tree: Tree,
    /// Index of the first id's record in its table (areas, teams or people).
    pub first: usize,
    pub ids: Vec<String>,
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.tree {
            Tree::Areas => "area parents form a cycle",
            Tree::Teams => "team parents form a cycle",
            Tree::Managers => "managers form a cycle",
        };
        write!(f, "{what}: {}", self.ids.join(" -> "))
    }
}

/// The first cycle in `org`'s areas, then teams, then managers.
pub fn find(org: &Org) -> Option<Cycle> {
    in_areas(&org.areas)
        .or_else(|| in_teams(&org.teams))
        .or_else(|| in_managers(&org.people))
}

/// The first cycle of area parents.
pub fn in_areas(areas: &[Area]) -> Option<Cycle> {
    let nodes: Vec<(&str, Option<&str>)> = areas
        .iter()
        .map(|a| (a.id.as_str(), a.parent.as_deref()))
        .collect();
    first_cycle(Tree::Areas, &nodes)
}

/// The first cycle of team parents.
pub fn in_teams(teams: &[Team]) -> Option<Cycle> {
    let nodes: Vec<(&str, Option<&str>)> = teams
        .iter()
        .map(|t| (t.id.as_str(), t.parent.as_deref()))
        .collect();
    first_cycle(Tree::Teams, &nodes)
}

/// The first cycle of managers.
pub fn in_managers(people: &[Person]) -> Option<Cycle> {
    let nodes: Vec<(&str, Option<&str>)> = people
        .iter()
        .map(|p| (p.id.as_str(), p.manager.as_deref()))
        .collect();
    first_cycle(Tree::Managers, &nodes)
}

/// Nodes (id, parent id): the first cycle by walking each unvisited node's
/// chain up; a parent that is not a node ends the chain.
fn first_cycle(tree: Tree, nodes: &[(&str, Option<&str>)]) -> Option<Cycle> {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    // 0: not seen; 1: on the chain being walked; 2: known to reach a root.
    let mut state = vec![0u8; nodes.len()];
    for start in 0..nodes.len() {
        let mut chain = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            match state[i] {
                2 => break,
                1 => {
                    let from = chain.iter().position(|&c| c == i).unwrap_or(0);
                    let mut ring: Vec<usize> = chain[from..].to_vec();
                    // Start the cycle at its earliest record, for a stable message.
                    let low = (0..ring.len()).min_by_key(|&k| ring[k]).unwrap_or(0);
                    ring.rotate_left(low);
                    let mut ids: Vec<String> = ring.iter().map(|&k| nodes[k].0.into()).collect();
                    ids.push(nodes[ring[0]].0.into());
                    return Some(Cycle {
                        tree,
                        first: ring[0],
                        ids,
                    });
                }
                _ => {
                    state[i] = 1;
                    chain.push(i);
                    at = nodes[i].1.and_then(|p| index.get(p).copied());
                }
            }
        }
        for i in chain {
            state[i] = 2;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes<'a>(pairs: &'a [(&'a str, Option<&'a str>)]) -> Vec<(&'a str, Option<&'a str>)> {
        pairs.to_vec()
    }

    #[test]
    fn a_tree_has_no_cycle() {
        let n = nodes(&[
            ("root", None),
            ("a", Some("root")),
            ("b", Some("a")),
            ("x", Some("gone")),
        ]);
        assert_eq!(first_cycle(Tree::Areas, &n), None);
    }

    #[test]
    fn a_cycle_is_named_from_its_earliest_record() {
        let n = nodes(&[
            ("root", None),
            ("a", Some("c")),
            ("b", Some("a")),
            ("c", Some("b")),
            ("d", Some("b")),
        ]);
        let c = first_cycle(Tree::Teams, &n).unwrap();
        assert_eq!(c.ids, vec!["a", "c", "b", "a"]);
        assert_eq!(c.first, 1);
        assert_eq!(c.to_string(), "team parents form a cycle: a -> c -> b -> a");
        let me = nodes(&[("ana", Some("ana"))]);
        assert_eq!(
            first_cycle(Tree::Managers, &me).unwrap().to_string(),
            "managers form a cycle: ana -> ana"
        );
    }

    #[test]
    fn a_chain_into_a_cycle_names_only_the_cycle() {
        let n = nodes(&[("x", Some("y")), ("y", Some("z")), ("z", Some("y"))]);
        assert_eq!(
            first_cycle(Tree::Areas, &n).unwrap().ids,
            vec!["y", "z", "y"]
        );
    }
}
