//! The org directory (`sync --org DIR`) beside what configured sources put
//! in the cache: one id, one source holds here as in a sync of configured
//! sources. A person, team, rotation, area or entitlement the directory
//! defines and another source's cached rows hold too is an error naming
//! both, unless both are in `precedence`: then the one listed later gives
//! it up (the directory's part loses it, or the cached row goes once the
//! directory is written). A person of the same email in both is one person.

use super::FILES_SOURCE;
use super::error::{SourceError, Twice};
use super::one_id::rank;
use crate::config::SourceConfig;
use crate::model::{OrgPart, Person};
use crate::store::Store;
use std::collections::HashMap;

/// What the cache holds of the other sources, and what the directory takes
/// from them.
pub(super) struct Beside<'a> {
    all: &'a [SourceConfig],
    /// (kind, id) of teams, rotations, areas, entitlements -> source.
    ids: HashMap<(&'static str, String), String>,
    /// Person id -> (source, email in lowercase).
    people: HashMap<String, (String, String)>,
    /// (source, kind, id): cached rows to drop once the directory is written.
    pub(super) give_up: Vec<(String, &'static str, String)>,
}

impl<'a> Beside<'a> {
    /// Reads the other sources' ids from `store`; `all` are the configured
    /// sources (their `precedence`).
    pub(super) fn read(
        store: &Store,
        all: &'a [SourceConfig],
    ) -> Result<Beside<'a>, crate::store::Error> {
        let except = [FILES_SOURCE.to_string()];
        let mut ids = HashMap::new();
        for (source, kind, id) in store.cached_ids(&except)? {
            ids.entry((kind, id)).or_insert(source);
        }
        let (cached, _) = store.people_and_entitlements(&except)?;
        let mut people = HashMap::new();
        for (source, p) in cached {
            let email = p.email.trim().to_lowercase();
            people.entry(p.id).or_insert((source, email));
        }
        Ok(Beside {
            all,
            ids,
            people,
            give_up: Vec::new(),
        })
    }

    /// `part` without what the directory gives up, or the ids both provide
    /// with no `precedence` between them.
    pub(super) fn admit(&mut self, part: OrgPart) -> Result<OrgPart, SourceError> {
        Ok(match part {
            OrgPart::People(v) => OrgPart::People(self.people(v)?),
            OrgPart::Teams(v) => OrgPart::Teams(self.keep("team", v, |t| &t.id)?),
            OrgPart::Rotations(v) => OrgPart::Rotations(self.keep("rotation", v, |r| &r.id)?),
            OrgPart::Areas(a, e) => {
                let a = self.keep("area", a, |a| &a.id);
                let e = self.keep("entitlement", e, |e| &e.id);
                match (a, e) {
                    (Ok(a), Ok(e)) => OrgPart::Areas(a, e),
                    (Err(SourceError::Twice(mut a)), Err(SourceError::Twice(e))) => {
                        a.extend(e);
                        return Err(SourceError::Twice(a));
                    }
                    (Err(x), _) | (_, Err(x)) => return Err(x),
                }
            }
            other => other,
        })
    }

    /// Whether the directory keeps an id `theirs` holds too: `Some(true)`
    /// when it counts (their row goes), `Some(false)` when it gives the id
    /// up, `None` when nothing orders the two.
    fn counts_over(&self, theirs: &str) -> Option<bool> {
        match (rank(self.all, FILES_SOURCE), rank(self.all, theirs)) {
            (Some(mine), Some(other)) => Some(mine < other),
            _ => None,
        }
    }

    fn keep<T>(
        &mut self,
        kind: &'static str,
        items: Vec<T>,
        id: fn(&T) -> &String,
    ) -> Result<Vec<T>, SourceError> {
        let mut out = Vec::with_capacity(items.len());
        let mut twice = Vec::new();
        for item in items {
            let key = (kind, id(&item).clone());
            let Some(theirs) = self.ids.get(&key).cloned() else {
                out.push(item);
                continue;
            };
            match self.counts_over(&theirs) {
                Some(true) => {
                    self.give_up.push((theirs, kind, key.1));
                    out.push(item);
                }
                Some(false) => {}
                None => twice.push(Twice {
                    kind,
                    id: key.1,
                    theirs,
                    mine: FILES_SOURCE.to_string(),
                    origin: None,
                }),
            }
        }
        match twice.is_empty() {
            true => Ok(out),
            false => Err(SourceError::Twice(twice)),
        }
    }

    /// The directory's people: one another source holds with another email
    /// is refused (or ordered by `precedence`); with the same email they
    /// are one person.
    fn people(&mut self, people: Vec<Person>) -> Result<Vec<Person>, SourceError> {
        let mut out = Vec::with_capacity(people.len());
        for person in people {
            let email = person.email.trim().to_lowercase();
            let other = self.people.get(&person.id).cloned();
            let Some((theirs, their_email)) =
                other.filter(|(_, e)| !e.is_empty() && !email.is_empty() && *e != email)
            else {
                out.push(person);
                continue;
            };
            match self.counts_over(&theirs) {
                Some(true) => {
                    self.give_up.push((theirs, "person", person.id.clone()));
                    out.push(person);
                }
                Some(false) => {}
                None => {
                    return Err(SourceError::SharedPerson {
                        id: person.id,
                        other: theirs,
                        theirs: their_email,
                        mine: FILES_SOURCE.to_string(),
                        email,
                    });
                }
            }
        }
        Ok(out)
    }
}
