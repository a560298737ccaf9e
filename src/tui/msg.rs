//! What goes into `update` and what comes out: messages (input, the clock,
//! the results of effects) and effects (what the console asks to be done).

use super::data::Data;
use super::preview::Preview;
use crate::model::Time;
use crate::store::{NewDecision, Offered, PeopleQuery};
use ratatui::crossterm::event::{KeyEvent, MouseEvent};

/// What reaches the console: input, the clock, and the results of effects.
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// The clock moved (a new minute): what depends on the time is
    /// derived again, and the suggestions evaluated again at `Time`.
    Tick(Time),
    /// The data changed elsewhere (another session decided, a scheduled
    /// sync ran): reload in place.
    Wake,
    /// Decisions were recorded; `data` is re-read from the store.
    Decided {
        ids: Vec<i64>,
        data: Data,
    },
    /// Decisions were taken back.
    Undone {
        ids: Vec<i64>,
        data: Data,
    },
    /// The plan was applied: per-change results, and the reloaded data.
    Applied {
        results: Vec<ApplyResult>,
        data: Data,
    },
    /// Everything reloaded (persona switch).
    Loaded(Data),
    /// Everything reloaded after a change to the organization (delegation).
    Reloaded {
        data: Data,
        note: String,
    },
    /// Evaluated again at a later time, or reloaded after a change made
    /// elsewhere (see [`Refresh`]): taken in place, nothing said.
    Refreshed(Data),
    /// A refresh nobody asked for failed; what is shown stays.
    RefreshFailed(String),
    /// An effect failed; the message says why.
    Failed(String),
    /// The first load, done in the background.
    Opened(Data),
    /// The sources were pulled (each one's summary or error) and all reloaded.
    Synced {
        results: SyncResults,
        data: Data,
    },
    /// A running job's progress, in words.
    Progress(String),
    /// One change of a running apply finished (done or refused).
    ApplyStep(ApplyStep),
    /// People found for the delegation picker's query `text` (or why not).
    PeopleFound {
        text: String,
        found: Result<Vec<Offered>, String>,
    },
    /// What the automatic rules applied up to this time was noted as seen.
    SeenAutomatic(Time),
}

/// What the console asks the app to do: the only way out of `update`.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Record these decisions (already checked for authority).
    Decide(Vec<NewDecision>),
    /// Take back decisions (a batch decided together), by id.
    Undo(Vec<i64>),
    /// Carry out the plan upstream: these decisions, the plan as shown
    /// and confirmed (one no longer the actor's to carry out is said, and
    /// audited, rather than passed over).
    Apply(Vec<i64>),
    /// Reload as another person (the demo's persona switch).
    SwitchPersona(String),
    /// Record a delegation by the person at the keyboard, from the moment
    /// it is recorded (authority already checked).
    Delegate {
        area: String,
        to: String,
        until: Option<Time>,
    },
    /// End a delegation made in steward, by id.
    EndDelegation(i64),
    /// Load the cache (the first, in the background).
    Load,
    /// Pull the sources again, then reload.
    Sync,
    /// Pull them again keeping a shrink the guard held back (asked first).
    SyncAcceptingShrink,
    /// Evaluate again, or reload (see [`Refresh`]).
    Refresh(Refresh),
    /// Keep what is shown for the next start to draw at once.
    KeepPreview(Box<Preview>),
    /// Search the roster for the delegation picker (its typed `text`).
    FindPeople {
        text: String,
        query: PeopleQuery,
    },
    /// Note that the person at the keyboard saw what the automatic rules
    /// applied up to this time.
    SeenAutomatic(Time),
    /// Take back automatic change `id` and keep it undone, saying why.
    UndoAutomatic {
        id: i64,
        reason: String,
    },
    /// Remove a rule written in steward (authority checked by the store).
    RemoveRule {
        id: String,
        reason: Option<String>,
    },
    Quit,
}

/// Why the data is read again without anyone at the keyboard asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Refresh {
    /// The clock moved: the same organization evaluated at the new time.
    Time,
    /// The store changed elsewhere: the organization read again too.
    Store,
}

/// One change of a running apply, finished (done or refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyStep {
    /// Changes finished so far, this one included.
    pub done: usize,
    pub total: usize,
    pub decision: i64,
    pub ok: bool,
    /// The change in a few words: `add ana -> payments-db:read`.
    pub what: String,
    /// Its result, as the plan view lists it: `#12 grants.csv: add …`.
    pub result: String,
}

/// How one change of an apply went, as the plan view lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyResult {
    pub ok: bool,
    /// `#12 grants.csv: add ana -> payments-db:read`, or why not.
    pub line: String,
}

/// How one source's sync went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutcome {
    /// What it brought, in a few words.
    Done(String),
    /// Why it failed (its previous data is kept).
    Failed(String),
    /// The shrink guard held it back (its previous data is kept): what
    /// shrank, `people from files: 88 -> 0 (-100%)`.
    HeldBack(Vec<String>),
}

/// One source synced (or dropped, when no longer configured).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSynced {
    pub name: String,
    pub outcome: SyncOutcome,
}

/// Each source synced, in order.
pub type SyncResults = Vec<SourceSynced>;
