//! grants.csv as an apply edits it: the rows read, those removed and those
//! added, looked up by (person, entitlement) without scanning the file for
//! each change (a large organization's file holds a million rows).

use crate::model::{Basis, Grant};
use rustc_hash::FxHashMap;

/// The rows of grants.csv with the edits made so far.
pub struct GrantsFile {
    base: Vec<Grant>,
    gone: Vec<bool>,
    added: Vec<Grant>,
    /// Rows of `base` by (person, entitlement), for the pairs asked about.
    rows_of: FxHashMap<(String, String), Vec<usize>>,
}

/// Which of a person's grants of an entitlement a removal takes: all of
/// them, or those with one basis (an automatic rule's own).
#[derive(Debug, Clone, Copy)]
pub enum Which<'a> {
    All,
    Basis(&'a Basis),
}

impl Which<'_> {
    pub fn takes(&self, g: &Grant) -> bool {
        match self {
            Which::All => true,
            Which::Basis(b) => g.basis == **b,
        }
    }
}

impl GrantsFile {
    /// `base` as read, indexed for the `pairs` the edits will touch.
    pub fn new<'p>(base: Vec<Grant>, pairs: impl IntoIterator<Item = (&'p str, &'p str)>) -> Self {
        let mut rows_of: FxHashMap<(String, String), Vec<usize>> = pairs
            .into_iter()
            .map(|(p, e)| ((p.to_string(), e.to_string()), Vec::new()))
            .collect();
        if !rows_of.is_empty() {
            let mut key = (String::new(), String::new());
            for (i, g) in base.iter().enumerate() {
                key.0.clear();
                key.0.push_str(&g.person);
                key.1.clear();
                key.1.push_str(&g.entitlement);
                if let Some(rows) = rows_of.get_mut(&key) {
                    rows.push(i);
                }
            }
        }
        let gone = vec![false; base.len()];
        GrantsFile {
            base,
            gone,
            added: Vec::new(),
            rows_of,
        }
    }

    /// The current grants of `person` to `entitlement` (only pairs given
    /// to `new`, and rows added since).
    pub fn of<'a>(
        &'a self,
        person: &'a str,
        entitlement: &'a str,
    ) -> impl Iterator<Item = &'a Grant> {
        let base = self
            .rows_of
            .get(&(person.to_string(), entitlement.to_string()))
            .into_iter()
            .flatten()
            .filter(|&&i| !self.gone[i])
            .map(|&i| &self.base[i]);
        let added = self
            .added
            .iter()
            .filter(move |g| g.person == person && g.entitlement == entitlement);
        base.chain(added)
    }

    pub fn push(&mut self, g: Grant) {
        self.added.push(g);
    }

    /// Removes `person`'s grants of `entitlement` that `which` takes.
    pub fn remove(&mut self, person: &str, entitlement: &str, which: Which<'_>) {
        if let Some(rows) = self
            .rows_of
            .get(&(person.to_string(), entitlement.to_string()))
        {
            for &i in rows {
                if which.takes(&self.base[i]) {
                    self.gone[i] = true;
                }
            }
        }
        self.added
            .retain(|g| !(g.person == person && g.entitlement == entitlement && which.takes(g)));
    }

    /// Whether anything changed since the file was read.
    pub fn changed(&self) -> bool {
        !self.added.is_empty() || self.gone.iter().any(|&g| g)
    }

    /// The (person, entitlement) pairs edits could touch, and every row
    /// the file now holds for them: what the cache must say of those pairs
    /// once the file is written.
    pub fn touched(&self) -> (Vec<(String, String)>, Vec<Grant>) {
        let mut pairs: Vec<(String, String)> = self.rows_of.keys().cloned().collect();
        pairs.sort();
        let rows = pairs
            .iter()
            .flat_map(|(p, e)| self.of(p, e).cloned().collect::<Vec<_>>())
            .collect();
        (pairs, rows)
    }

    /// The file as it now reads: the rows kept, in their order, then the
    /// rows added.
    pub fn rows(&self) -> Vec<Grant> {
        self.base
            .iter()
            .zip(&self.gone)
            .filter(|(_, gone)| !**gone)
            .map(|(g, _)| g.clone())
            .chain(self.added.iter().cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(p: &str, e: &str, basis: Basis) -> Grant {
        Grant {
            person: p.into(),
            entitlement: e.into(),
            granted_by: None,
            granted_at: chrono::DateTime::UNIX_EPOCH,
            basis,
            expires: None,
            through: None,
        }
    }

    #[test]
    fn edits_touch_only_the_rows_they_name() {
        let rule = Basis::Rule("r".into());
        let base = vec![
            grant("ana", "db", Basis::Manual),
            grant("ana", "db", rule.clone()),
            grant("bo", "db", rule.clone()),
            grant("cy", "web", Basis::Manual),
        ];
        let mut f = GrantsFile::new(base.clone(), [("ana", "db"), ("bo", "db"), ("dee", "web")]);
        assert!(!f.changed());
        assert_eq!(f.of("ana", "db").count(), 2);
        f.remove("ana", "db", Which::Basis(&rule));
        assert_eq!(f.of("ana", "db").count(), 1);
        f.remove("bo", "db", Which::All);
        f.push(grant("dee", "web", rule.clone()));
        assert_eq!(f.of("dee", "web").count(), 1);
        assert!(f.changed());
        let (pairs, rows) = f.touched();
        assert_eq!(pairs.len(), 3);
        assert_eq!(
            rows,
            vec![base[0].clone(), grant("dee", "web", rule.clone())]
        );
        assert_eq!(
            f.rows(),
            vec![base[0].clone(), base[3].clone(), grant("dee", "web", rule)]
        );
    }
}
