//! How many sessions (consoles and commands) each person has open, so
//! that one person cannot take the server from everyone else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct Sessions {
    limit: usize,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One open session; closing it (dropping this) frees its place.
pub struct Place {
    person: String,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

impl Sessions {
    pub fn new(limit: usize) -> Sessions {
        Sessions {
            limit,
            open: Arc::default(),
        }
    }

    /// A place for `person`, or `None` when they have `limit` open already.
    pub fn take(&self, person: &str) -> Option<Place> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(person.to_string()).or_insert(0);
        if *n >= self.limit {
            return None;
        }
        *n += 1;
        Some(Place {
            person: person.to_string(),
            open: self.open.clone(),
        })
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Open sessions in all.
    pub fn total(&self) -> usize {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.values().sum()
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.person) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.person);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_gets_at_most_the_limit_and_a_closed_one_frees_its_place() {
        let s = Sessions::new(2);
        let a = s.take("priya").unwrap();
        let _b = s.take("priya").unwrap();
        assert!(s.take("priya").is_none());
        assert!(s.take("marcus").is_some(), "others are not affected");
        drop(a);
        assert!(s.take("priya").is_some());
        assert_eq!(s.total(), 1);
    }
}
