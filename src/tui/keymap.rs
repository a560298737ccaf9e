//! The keymap: one table `(mode, key) -> action` that drives input, the `?`
//! overlay and the status-bar hints alike, so they cannot drift apart.

use super::ui::{Modal, Pane, Ui, View};
use crate::model::Kind;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What the keys can be asked to do in a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Tree,
    Queue,
    Card,
    Walk,
    Plan,
    Audit,
    Rotations,
    Help,
    /// The messages overlay (`m`).
    Messages,
    Confirm,
    Prompt,
    Snooze,
    Filter,
    Picker,
    Delegations,
    Rules,
    /// What the automatic rules applied for the owner.
    Automatic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Messages,
    Back,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    NextPane,
    PrevPane,
    Expand,
    Collapse,
    Walk,
    SwitchTab,
    Filter,
    Kind(Option<Kind>),
    Mark,
    Accept,
    Revoke,
    Dismiss,
    Snooze,
    Undo,
    Next,
    Prev,
    Why,
    ViewPlan,
    ViewAudit,
    ViewRotations,
    Apply,
    Persona,
    Delegate,
    ViewDelegations,
    EndDelegation,
    ViewRules,
    RemoveRule,
    ViewAutomatic,
    Yes,
    No,
    Preset(u8),
    Submit,
    Sync,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Backspace,
}

impl Key {
    pub fn of(ev: &KeyEvent) -> Option<Key> {
        Some(match ev.code {
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            KeyCode::Backspace => Key::Backspace,
            _ => return None,
        })
    }

    pub fn name(self) -> String {
        match self {
            Key::Char(' ') => "Space".into(),
            Key::Char(c) => c.to_string(),
            Key::Enter => "Enter".into(),
            Key::Esc => "Esc".into(),
            Key::Tab => "Tab".into(),
            Key::BackTab => "S-Tab".into(),
            Key::Up => "↑".into(),
            Key::Down => "↓".into(),
            Key::Left => "←".into(),
            Key::Right => "→".into(),
            Key::PageUp => "PgUp".into(),
            Key::PageDown => "PgDn".into(),
            Key::Home => "Home".into(),
            Key::End => "End".into(),
            Key::Backspace => "Bksp".into(),
        }
    }
}

pub struct Binding {
    pub modes: &'static [Mode],
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
    /// Shown in the status bar (the keys that matter now).
    pub bar: bool,
}

use Mode as M;
const PANES: &[Mode] = &[M::Tree, M::Queue, M::Card];
const BROWSE: &[Mode] = &[
    M::Tree,
    M::Queue,
    M::Card,
    M::Walk,
    M::Plan,
    M::Audit,
    M::Rotations,
    M::Delegations,
    M::Rules,
    M::Automatic,
];
const LISTS: &[Mode] = &[
    M::Help,
    M::Messages,
    M::Tree,
    M::Queue,
    M::Card,
    M::Plan,
    M::Audit,
    M::Rotations,
    M::Delegations,
    M::Rules,
    M::Automatic,
];
const DECIDE: &[Mode] = &[M::Queue, M::Card, M::Walk];
const VIEWS: &[Mode] = &[
    M::Plan,
    M::Audit,
    M::Rotations,
    M::Delegations,
    M::Rules,
    M::Automatic,
];

const fn b(
    modes: &'static [Mode],
    keys: &'static [Key],
    action: Action,
    help: &'static str,
    bar: bool,
) -> Binding {
    Binding {
        modes,
        keys,
        action,
        help,
        bar,
    }
}

/// Every binding, in the order help lists them.
pub static BINDINGS: &[Binding] = &[
    // Confirmations and prompts first: they take every key.
    b(
        &[M::Confirm],
        &[Key::Char('y'), Key::Enter],
        Action::Yes,
        "confirm",
        true,
    ),
    b(
        &[M::Confirm],
        &[Key::Char('n'), Key::Esc],
        Action::No,
        "cancel",
        true,
    ),
    b(
        &[M::Snooze],
        &[Key::Char('1')],
        Action::Preset(1),
        "1 day",
        true,
    ),
    b(
        &[M::Snooze],
        &[Key::Char('2')],
        Action::Preset(2),
        "1 week",
        true,
    ),
    b(
        &[M::Snooze],
        &[Key::Char('3')],
        Action::Preset(3),
        "2 weeks",
        true,
    ),
    b(
        &[M::Snooze],
        &[Key::Char('4'), Key::Char('c')],
        Action::Preset(4),
        "until… (type a date or span)",
        true,
    ),
    b(&[M::Snooze], &[Key::Esc], Action::No, "cancel", true),
    b(
        &[M::Prompt, M::Filter, M::Picker],
        &[Key::Enter],
        Action::Submit,
        "done",
        true,
    ),
    b(
        &[M::Prompt, M::Filter, M::Picker],
        &[Key::Esc],
        Action::No,
        "cancel",
        true,
    ),
    b(
        &[M::Help],
        &[Key::Esc, Key::Char('?'), Key::Char('q')],
        Action::Back,
        "close help",
        true,
    ),
    b(
        &[M::Messages],
        &[Key::Esc, Key::Char('m'), Key::Char('q')],
        Action::Back,
        "close the messages",
        true,
    ),
    // Deciding.
    b(
        &[M::Tree, M::Queue],
        &[Key::Enter],
        Action::Walk,
        "walk through this queue",
        true,
    ),
    b(
        DECIDE,
        &[Key::Char('a')],
        Action::Accept,
        "accept (shows the change, asks to confirm)",
        true,
    ),
    b(
        DECIDE,
        &[Key::Char('r')],
        Action::Revoke,
        "revoke (a review)",
        false,
    ),
    b(
        DECIDE,
        &[Key::Char('x')],
        Action::Dismiss,
        "dismiss, with a reason",
        true,
    ),
    b(DECIDE, &[Key::Char('s')], Action::Snooze, "snooze", true),
    b(
        &[M::Queue],
        &[Key::Char(' ')],
        Action::Mark,
        "mark or unmark for a bulk decision (stays on the row)",
        true,
    ),
    b(
        &[M::Rotations],
        &[Key::Char(' ')],
        Action::Mark,
        "mark or unmark this gap's grant; a accepts all marked",
        true,
    ),
    b(
        &[M::Walk],
        &[Key::Char('n')],
        Action::Next,
        "next card",
        true,
    ),
    b(
        &[M::Walk],
        &[Key::Char('p')],
        Action::Prev,
        "previous card",
        true,
    ),
    b(
        &[M::Tree, M::Queue, M::Card, M::Walk],
        &[Key::Char('u')],
        Action::Undo,
        "undo the last decision (all of a batch)",
        true,
    ),
    b(
        &[M::Plan],
        &[Key::Char('u')],
        Action::Undo,
        "undo the selected decision (back to the queue)",
        true,
    ),
    b(
        DECIDE,
        &[Key::Char('w')],
        Action::Why,
        "full justification chain",
        false,
    ),
    b(
        &[M::Walk],
        &[Key::Esc],
        Action::Back,
        "leave the walkthrough",
        true,
    ),
    b(
        &[M::Rotations],
        &[Key::Char('a')],
        Action::Accept,
        "accept this gap's grant (all marked ones, when some are)",
        true,
    ),
    // Moving.
    b(
        LISTS,
        &[Key::Char('j'), Key::Down],
        Action::Down,
        "down",
        false,
    ),
    b(LISTS, &[Key::Char('k'), Key::Up], Action::Up, "up", false),
    b(
        LISTS,
        &[Key::Char('g'), Key::Home],
        Action::Top,
        "top",
        false,
    ),
    b(
        LISTS,
        &[Key::Char('G'), Key::End],
        Action::Bottom,
        "bottom",
        false,
    ),
    b(
        LISTS,
        &[Key::PageDown],
        Action::PageDown,
        "page down",
        false,
    ),
    b(LISTS, &[Key::PageUp], Action::PageUp, "page up", false),
    b(
        &[M::Walk],
        &[Key::Char('j'), Key::Down],
        Action::Down,
        "scroll the card",
        false,
    ),
    b(
        &[M::Walk],
        &[Key::Char('k'), Key::Up],
        Action::Up,
        "scroll the card",
        false,
    ),
    b(PANES, &[Key::Tab], Action::NextPane, "next pane", true),
    b(
        PANES,
        &[Key::BackTab],
        Action::PrevPane,
        "previous pane",
        false,
    ),
    b(
        &[M::Tree],
        &[Key::Char('l'), Key::Right],
        Action::Expand,
        "expand",
        false,
    ),
    b(
        &[M::Tree],
        &[Key::Char('h'), Key::Left],
        Action::Collapse,
        "collapse",
        false,
    ),
    b(
        &[M::Tree],
        &[Key::Char('t')],
        Action::SwitchTab,
        "areas / teams I lead",
        true,
    ),
    b(
        PANES,
        &[Key::Char('/')],
        Action::Filter,
        "filter (person, entitlement, area, reason)",
        true,
    ),
    b(
        PANES,
        &[Key::Char('1')],
        Action::Kind(Some(Kind::Grant)),
        "only grants",
        false,
    ),
    b(
        PANES,
        &[Key::Char('2')],
        Action::Kind(Some(Kind::Revoke)),
        "only revokes",
        false,
    ),
    b(
        PANES,
        &[Key::Char('3')],
        Action::Kind(Some(Kind::Review)),
        "only reviews",
        false,
    ),
    b(
        PANES,
        &[Key::Char('0')],
        Action::Kind(None),
        "every kind",
        false,
    ),
    b(
        PANES,
        &[Key::Esc],
        Action::Back,
        "clear filters and marks",
        false,
    ),
    b(VIEWS, &[Key::Esc], Action::Back, "back to the queue", true),
    // Views.
    b(
        BROWSE,
        &[Key::Char('P')],
        Action::ViewPlan,
        "plan: accepted, not yet applied",
        false,
    ),
    b(
        BROWSE,
        &[Key::Char('A')],
        Action::Apply,
        "apply the plan (lists every change first)",
        true,
    ),
    b(
        BROWSE,
        &[Key::Char('L')],
        Action::ViewAudit,
        "audit log",
        false,
    ),
    b(
        BROWSE,
        &[Key::Char('O')],
        Action::ViewRotations,
        "rotations: on call, 14 days or to a gap's shift, readiness",
        false,
    ),
    b(
        PANES,
        &[Key::Char('D')],
        Action::Delegate,
        "delegate the subtree of the area selected in the tree",
        true,
    ),
    b(
        &[M::Picker],
        &[Key::Down],
        Action::Down,
        "next person",
        true,
    ),
    b(
        &[M::Picker],
        &[Key::Up],
        Action::Up,
        "previous person",
        true,
    ),
    b(
        &[M::Delegations],
        &[Key::Char('x')],
        Action::EndDelegation,
        "end the selected delegation",
        true,
    ),
    b(
        BROWSE,
        &[Key::Char('V')],
        Action::ViewDelegations,
        "delegations you gave (and end them)",
        false,
    ),
    b(
        &[M::Rules],
        &[Key::Char('x')],
        Action::RemoveRule,
        "remove the selected rule (one written in steward)",
        true,
    ),
    b(
        BROWSE,
        &[Key::Char('E')],
        Action::ViewRules,
        "rules in your scope: whether each counts",
        false,
    ),
    b(
        BROWSE,
        &[Key::Char('U')],
        Action::ViewAutomatic,
        "applied for you by your rules (since you last looked), and what a guard holds back",
        false,
    ),
    b(
        &[M::Automatic],
        &[Key::Char('u')],
        Action::Undo,
        "undo the selected change and keep it undone (asks why)",
        true,
    ),
    b(
        BROWSE,
        &[Key::Char('R')],
        Action::Sync,
        "sync the sources again, then reload (also Ctrl-R)",
        false,
    ),
    b(
        BROWSE,
        &[Key::Char('S')],
        Action::Persona,
        "switch demo persona",
        false,
    ),
    b(
        BROWSE,
        &[Key::Char('?')],
        Action::Help,
        "help: every key here",
        true,
    ),
    b(
        BROWSE,
        &[Key::Char('m')],
        Action::Messages,
        "messages: everything said here, in full, and why a source is stale",
        false,
    ),
    b(BROWSE, &[Key::Char('q')], Action::Quit, "quit", true),
];

/// The mode the keys are in now.
pub fn mode(ui: &Ui) -> Mode {
    match &ui.modal {
        Some(Modal::Help) => Mode::Help,
        Some(Modal::Messages) => Mode::Messages,
        Some(Modal::Confirm(_)) => Mode::Confirm,
        Some(Modal::Prompt(_)) => Mode::Prompt,
        Some(Modal::Snooze(_)) => Mode::Snooze,
        Some(Modal::Filter) => Mode::Filter,
        Some(Modal::Picker(_)) => Mode::Picker,
        None => base_mode(ui),
    }
}

/// The mode of the view underneath any popup (what help lists).
pub fn base_mode(ui: &Ui) -> Mode {
    match ui.view {
        View::Plan => Mode::Plan,
        View::Audit => Mode::Audit,
        View::Rotations => Mode::Rotations,
        View::Delegations => Mode::Delegations,
        View::Rules => Mode::Rules,
        View::Automatic => Mode::Automatic,
        View::Main if ui.walk.is_some() => Mode::Walk,
        View::Main => match ui.focus {
            Pane::Tree => Mode::Tree,
            Pane::Queue => Mode::Queue,
            Pane::Card => Mode::Card,
        },
    }
}

/// The action bound to `ev` in `mode`. Ctrl-C always quits.
pub fn resolve(mode: Mode, ev: &KeyEvent) -> Option<Action> {
    if ev.modifiers.contains(KeyModifiers::CONTROL) {
        return match ev.code {
            KeyCode::Char('c') => Some(Action::Quit),
            KeyCode::Char('r') if BROWSE.contains(&mode) => Some(Action::Sync),
            _ => None,
        };
    }
    let key = Key::of(ev)?;
    BINDINGS
        .iter()
        .find(|b| b.modes.contains(&mode) && b.keys.contains(&key))
        .map(|b| b.action)
}

/// The bindings of a mode, for help and the status bar.
pub fn bindings(mode: Mode) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.modes.contains(&mode))
}

/// `j/↓`: every key of a binding.
pub fn keys_label(b: &Binding) -> String {
    b.keys
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join("/")
}
