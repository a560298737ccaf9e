//! What `steward serve` keeps evaluated in memory, as a command or a
//! console reads it: the server implements [`Resident`]
//! (`serve::resident`), a served command (`cli::Served`) and the console's
//! worker (`tui`) read through it, and fall back to the store when it has
//! no answer.

use crate::model::{Suggestion, Time};
use crate::org_tables::OrgTables;
use crate::policy::Snapshot;
use crate::store::Store;
use std::sync::Arc;

/// What the server keeps evaluated in memory, for commands to read from
/// instead of the store.
pub trait Resident: Send + Sync {
    /// `person`'s suggestions at `now`, sorted as listed, exactly as a
    /// fresh evaluation of their scope in `store` gives them (decided ones
    /// included); `None` when what is kept is not current for `store`.
    fn suggestions(&self, store: &Store, person: &str, now: Time) -> Option<Vec<Suggestion>>;

    /// For the console: the whole organization's snapshot with its text
    /// from outside as a terminal may show it (`tui::data::shown`; the
    /// kept snapshot itself when none needs it), and `person`'s
    /// suggestions at `now` as [`Resident::suggestions`] gives them, with
    /// the snapshot's lookups ([`OrgTables`], made once per snapshot);
    /// `None` when what is kept is not current for `store`.
    fn console(&self, store: &Store, person: &str, now: Time) -> Option<Evaluated>;
}

/// The whole organization as the console shows it, its lookups (made once
/// for every console on it), and one person's suggestions in it.
pub struct Evaluated {
    pub snap: Arc<Snapshot>,
    pub tables: Arc<OrgTables>,
    pub suggestions: Vec<Suggestion>,
}
