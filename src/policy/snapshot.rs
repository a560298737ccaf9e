//! An [`Org`] with the indexes the policy engine needs. Built once per load.

use crate::model::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

#[derive(PartialEq)]
pub struct Snapshot {
    pub org: Org,
    person: HashMap<String, usize>,
    team: HashMap<String, usize>,
    rotation: HashMap<String, usize>,
    area: HashMap<String, usize>,
    entitlement: HashMap<String, usize>,
    rule: HashMap<String, usize>,
    pub(crate) team_children: Vec<Vec<usize>>,
    /// By person, the teams whose own members list them (a team once for
    /// each time it lists them).
    pub(crate) teams_of_person: Vec<Vec<usize>>,
    pub(crate) area_parent: Vec<Option<usize>>,
    pub(crate) area_children: Vec<Vec<usize>>,
    pub(crate) entitlement_area: Vec<Option<usize>>,
    pub(crate) entitlements_of_area: Vec<Vec<usize>>,
    pub(crate) trainings_of: Vec<Vec<usize>>,
    pub(crate) delegations_of_area: Vec<Vec<usize>>,
    pub(crate) grants_of_entitlement: Vec<Vec<usize>>,
    /// By person on the roster, their grants in the order written.
    pub(crate) grants_of_person: Vec<Vec<usize>>,
    pub(crate) rules_granting: Vec<Vec<usize>>,
}

fn index<T>(items: &[T], id: impl Fn(&T) -> &str) -> HashMap<String, usize> {
    let mut map = HashMap::with_capacity_and_hasher(items.len(), Default::default());
    for (i, item) in items.iter().enumerate() {
        // First definition wins; sources reject duplicates before this.
        map.entry(id(item).to_string()).or_insert(i);
    }
    map
}

/// `root` and every node below it in `children`, which lists each node
/// under its one parent (teams and areas name at most one), in the time
/// the subtree takes rather than the whole tree's: no node is reached
/// twice, but for `root` itself when it lies on a cycle of parents (a node
/// on a cycle has its parent on it too, so nothing below a node off the
/// cycle is on it), where the walk stops. Depth first, the last child first.
fn subtree(children: &[Vec<usize>], root: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        out.push(n);
        stack.extend(children[n].iter().filter(|&&c| c != root));
    }
    out
}

impl Snapshot {
    pub fn new(org: Org) -> Snapshot {
        let person = index(&org.people, |p| &p.id);
        let team = index(&org.teams, |t| &t.id);
        let rotation = index(&org.rotations, |r| &r.id);
        let area = index(&org.areas, |a| &a.id);
        let entitlement = index(&org.entitlements, |e| &e.id);
        let rule = index(&org.rules, |r| &r.id);

        let mut team_children = vec![Vec::new(); org.teams.len()];
        for (i, t) in org.teams.iter().enumerate() {
            if let Some(&p) = t.parent.as_ref().and_then(|p| team.get(p))
                && p != i
            {
                team_children[p].push(i);
            }
        }
        let mut teams_of_person = vec![Vec::new(); org.people.len()];
        for (i, t) in org.teams.iter().enumerate() {
            for m in &t.members {
                if let Some(&p) = person.get(m) {
                    teams_of_person[p].push(i);
                }
            }
        }
        let area_parent: Vec<Option<usize>> = org
            .areas
            .iter()
            .enumerate()
            .map(|(i, a)| {
                a.parent
                    .as_ref()
                    .and_then(|p| area.get(p))
                    .copied()
                    .filter(|&p| p != i)
            })
            .collect();
        let mut area_children = vec![Vec::new(); org.areas.len()];
        for (i, p) in area_parent.iter().enumerate() {
            if let Some(p) = p {
                area_children[*p].push(i);
            }
        }
        let entitlement_area: Vec<Option<usize>> = org
            .entitlements
            .iter()
            .map(|e| area.get(&e.area).copied())
            .collect();
        let mut entitlements_of_area = vec![Vec::new(); org.areas.len()];
        for (i, a) in entitlement_area.iter().enumerate() {
            if let Some(a) = a {
                entitlements_of_area[*a].push(i);
            }
        }
        let mut trainings_of = vec![Vec::new(); org.people.len()];
        for (i, t) in org.trainings.iter().enumerate() {
            if let Some(&p) = person.get(&t.person) {
                trainings_of[p].push(i);
            }
        }
        let mut delegations_of_area = vec![Vec::new(); org.areas.len()];
        for (i, d) in org.delegations.iter().enumerate() {
            if let Some(&a) = area.get(&d.area) {
                delegations_of_area[a].push(i);
            }
        }
        let mut grants_of_entitlement = vec![Vec::new(); org.entitlements.len()];
        let mut grants_of_person = vec![Vec::new(); org.people.len()];
        for (i, g) in org.grants.iter().enumerate() {
            if let Some(&e) = entitlement.get(&g.entitlement) {
                grants_of_entitlement[e].push(i);
            }
            if let Some(&p) = person.get(&g.person) {
                grants_of_person[p].push(i);
            }
        }
        let mut rules_granting = vec![Vec::new(); org.entitlements.len()];
        for (i, r) in org.rules.iter().enumerate() {
            for e in &r.grant {
                if let Some(&e) = entitlement.get(e)
                    && !rules_granting[e].contains(&i)
                {
                    rules_granting[e].push(i);
                }
            }
        }
        Snapshot {
            org,
            person,
            team,
            rotation,
            area,
            entitlement,
            rule,
            team_children,
            teams_of_person,
            area_parent,
            area_children,
            entitlement_area,
            entitlements_of_area,
            trainings_of,
            delegations_of_area,
            grants_of_entitlement,
            grants_of_person,
            rules_granting,
        }
    }

    pub fn person_idx(&self, id: &str) -> Option<usize> {
        self.person.get(id).copied()
    }
    pub fn team_idx(&self, id: &str) -> Option<usize> {
        self.team.get(id).copied()
    }
    pub fn rotation_idx(&self, id: &str) -> Option<usize> {
        self.rotation.get(id).copied()
    }
    pub fn area_idx(&self, id: &str) -> Option<usize> {
        self.area.get(id).copied()
    }
    pub fn entitlement_idx(&self, id: &str) -> Option<usize> {
        self.entitlement.get(id).copied()
    }
    pub fn rule_idx(&self, id: &str) -> Option<usize> {
        self.rule.get(id).copied()
    }

    pub fn person(&self, id: &str) -> Option<&Person> {
        self.person_idx(id).map(|i| &self.org.people[i])
    }
    pub fn team(&self, id: &str) -> Option<&Team> {
        self.team_idx(id).map(|i| &self.org.teams[i])
    }
    pub fn rotation(&self, id: &str) -> Option<&Rotation> {
        self.rotation_idx(id).map(|i| &self.org.rotations[i])
    }
    pub fn area(&self, id: &str) -> Option<&Area> {
        self.area_idx(id).map(|i| &self.org.areas[i])
    }
    pub fn entitlement(&self, id: &str) -> Option<&Entitlement> {
        self.entitlement_idx(id).map(|i| &self.org.entitlements[i])
    }
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rule_idx(id).map(|i| &self.org.rules[i])
    }

    /// The area and its ancestors, nearest first; stops on a cycle.
    pub fn area_path(&self, area: usize) -> Vec<usize> {
        let mut path = vec![area];
        let mut cur = area;
        while let Some(p) = self.area_parent[cur] {
            if path.contains(&p) {
                break;
            }
            path.push(p);
            cur = p;
        }
        path
    }

    /// `area` and every area below it.
    pub fn area_subtree(&self, area: usize) -> Vec<usize> {
        subtree(&self.area_children, area)
    }

    /// Is `area` the same as `ancestor` or below it?
    pub fn area_within(&self, area: usize, ancestor: usize) -> bool {
        self.area_path(area).contains(&ancestor)
    }

    /// `team`, then its parent, grandparent and so on, without allocating;
    /// stops after as many steps as there are teams, so a cycle ends.
    pub fn team_ancestors(&self, team: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(team), move |&t| {
            self.org.teams[t]
                .parent
                .as_deref()
                .and_then(|p| self.team_idx(p))
        })
        .take(self.org.teams.len())
    }

    /// `team` and its descendants.
    pub fn team_subtree(&self, team: usize) -> Vec<usize> {
        subtree(&self.team_children, team)
    }

    pub fn trainings_of(&self, person: usize) -> impl Iterator<Item = &Training> {
        self.trainings_of[person]
            .iter()
            .map(|&i| &self.org.trainings[i])
    }

    pub fn delegations_of_area(&self, area: usize) -> impl Iterator<Item = &Delegation> {
        self.delegations_of_area[area]
            .iter()
            .map(|&i| &self.org.delegations[i])
    }

    pub fn grants_of_entitlement(&self, ent: usize) -> impl Iterator<Item = &Grant> {
        self.grants_of_entitlement[ent]
            .iter()
            .map(|&i| &self.org.grants[i])
    }

    /// The grants of the person at `person` (on the roster), in the order
    /// written.
    pub fn grants_of_person(&self, person: usize) -> impl Iterator<Item = &Grant> {
        self.grants_of_person[person]
            .iter()
            .map(|&i| &self.org.grants[i])
    }

    pub fn rules_granting(&self, ent: usize) -> impl Iterator<Item = &Rule> {
        self.rules_granting[ent].iter().map(|&i| &self.org.rules[i])
    }

    pub fn entitlements_of_area(&self, area: usize) -> impl Iterator<Item = &Entitlement> {
        self.entitlements_of_area[area]
            .iter()
            .map(|&i| &self.org.entitlements[i])
    }

    pub fn entitlement_area(&self, ent: usize) -> Option<usize> {
        self.entitlement_area[ent]
    }
}

/// Where [`Snapshot::patch_grants`] put things: the slot of each grant
/// added, in the order given, and each grant moved (from, to).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Placed {
    pub added: Vec<usize>,
    pub moved: Vec<(usize, usize)>,
}

/// Patching a snapshot in place, for an organization kept in memory whose
/// grants or rules changed: the result indexes as [`Snapshot::new`] would,
/// each entitlement's grants in the order written.
impl Snapshot {
    /// Removes the grants at slots `removed` (each at most once) and adds
    /// `added`, each at the end of its entitlement's grants, in the order
    /// given (the order written: each added grant was written after every
    /// grant kept). Added grants take the freed slots first; the freed
    /// slots left over are filled with the last grants. Says where each
    /// added grant went and which grants moved.
    pub fn patch_grants(&mut self, mut removed: Vec<usize>, added: Vec<Grant>) -> Placed {
        let gone: HashSet<usize> = removed.iter().copied().collect();
        let (ents, people) = self.lists_of(&removed);
        for e in ents {
            self.grants_of_entitlement[e].retain(|s| !gone.contains(s));
        }
        for p in people {
            self.grants_of_person[p].retain(|s| !gone.contains(s));
        }
        removed.sort_unstable();
        let mut free = removed.into_iter();
        let mut placed = Vec::with_capacity(added.len());
        for g in added {
            let e = self.entitlement_idx(&g.entitlement);
            let p = self.person_idx(&g.person);
            let slot = match free.next() {
                Some(s) => {
                    self.org.grants[s] = g;
                    s
                }
                None => {
                    self.org.grants.push(g);
                    self.org.grants.len() - 1
                }
            };
            if let Some(e) = e {
                self.grants_of_entitlement[e].push(slot);
            }
            if let Some(p) = p {
                self.grants_of_person[p].push(slot);
            }
            placed.push(slot);
        }
        // Highest first: the last grant is never a freed slot. A grant
        // may move twice; `origin` keeps where it was before the patch.
        let mut origin: HashMap<usize, usize> = HashMap::default();
        for f in free.rev() {
            let last = self.org.grants.len() - 1;
            self.org.grants.swap_remove(f);
            if f != last {
                let from = origin.remove(&last).unwrap_or(last);
                origin.insert(f, from);
            }
        }
        let moved: Vec<(usize, usize)> = origin.into_iter().map(|(to, from)| (from, to)).collect();
        self.reindex_moved(&moved);
        Placed {
            added: placed,
            moved,
        }
    }

    /// Points each entitlement's grants at the slots `moved` (from, to)
    /// took them to.
    fn reindex_moved(&mut self, moved: &[(usize, usize)]) {
        if moved.is_empty() {
            return;
        }
        let to: HashMap<usize, usize> = moved.iter().copied().collect();
        let now_at: Vec<usize> = moved.iter().map(|&(_, s)| s).collect();
        let (ents, people) = self.lists_of(&now_at);
        let renamed = |list: &mut Vec<usize>| {
            for s in list {
                if let Some(&t) = to.get(s) {
                    *s = t;
                }
            }
        };
        ents.into_iter()
            .for_each(|e| renamed(&mut self.grants_of_entitlement[e]));
        people
            .into_iter()
            .for_each(|p| renamed(&mut self.grants_of_person[p]));
    }

    /// The entitlements and the people (on the roster) of the grants at
    /// `slots`, each once: whose lists hold them.
    fn lists_of(&self, slots: &[usize]) -> (Vec<usize>, Vec<usize>) {
        let (mut ents, mut people) = (Vec::new(), Vec::new());
        for g in slots.iter().map(|&s| &self.org.grants[s]) {
            ents.extend(self.entitlement_idx(&g.entitlement));
            people.extend(self.person_idx(&g.person));
        }
        for list in [&mut ents, &mut people] {
            list.sort_unstable();
            list.dedup();
        }
        (ents, people)
    }

    /// A copy, indexes and all (cheaper than indexing the copy again).
    pub fn copied(&self) -> Snapshot {
        Snapshot {
            org: self.org.clone(),
            person: self.person.clone(),
            team: self.team.clone(),
            rotation: self.rotation.clone(),
            area: self.area.clone(),
            entitlement: self.entitlement.clone(),
            rule: self.rule.clone(),
            team_children: self.team_children.clone(),
            teams_of_person: self.teams_of_person.clone(),
            area_parent: self.area_parent.clone(),
            area_children: self.area_children.clone(),
            entitlement_area: self.entitlement_area.clone(),
            entitlements_of_area: self.entitlements_of_area.clone(),
            trainings_of: self.trainings_of.clone(),
            delegations_of_area: self.delegations_of_area.clone(),
            grants_of_entitlement: self.grants_of_entitlement.clone(),
            grants_of_person: self.grants_of_person.clone(),
            rules_granting: self.rules_granting.clone(),
        }
    }

    /// Replaces every rule by `rules` (in the order written).
    pub fn replace_rules(&mut self, rules: Vec<Rule>) {
        self.rule = index(&rules, |r| &r.id);
        let mut rules_granting = vec![Vec::new(); self.org.entitlements.len()];
        for (i, r) in rules.iter().enumerate() {
            for e in &r.grant {
                if let Some(&e) = self.entitlement.get(e)
                    && !rules_granting[e].contains(&i)
                {
                    rules_granting[e].push(i);
                }
            }
        }
        self.rules_granting = rules_granting;
        self.org.rules = rules;
    }
}
