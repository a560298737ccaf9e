//! The view of what the automatic rules applied: opening it marks what it
//! shows as seen; `u` there takes a change back and keeps it undone.

use super::super::msg::Effect;
use super::super::state::State;
use super::super::ui::{Confirm, Modal, Prompt, PromptFor, View};
use crate::model::{Actor, DecisionState, Kind, Origin, Time};
use crate::policy::gate::{self, Action};

/// `U`: opens the view; what it shows as new is marked seen (in the store,
/// by the effect), up to the newest change shown.
pub fn open(s: &mut State) -> Vec<Effect> {
    s.ui.view = View::Automatic;
    s.ui.auto_sel = 0;
    s.ui.auto_new_after = s.data.automatic.seen;
    match s.data.automatic.newest_unseen() {
        Some(t) => vec![Effect::SeenAutomatic(t)],
        None => Vec::new(),
    }
}

/// The store noted the look: the header's count goes.
pub fn seen(s: &mut State, at: Time) {
    let a = &mut s.data.automatic;
    a.seen = Some(a.seen.map_or(at, |was| was.max(at)));
}

/// `u` in the view: asks why the selected change is to be kept undone,
/// if the person at the keyboard may undo it.
pub fn ask_undo(s: &mut State) {
    let Some(d) = s.data.automatic.shown().nth(s.ui.auto_sel).cloned() else {
        s.say("no automatic change selected", true);
        return;
    };
    let undone = s
        .data
        .decisions
        .iter()
        .any(|x| x.origin == Origin::Undoes(d.id) && x.state != DecisionState::Undone);
    if undone || d.state == DecisionState::Undone {
        s.say(
            format!("automatic change #{} is already undone", d.id),
            true,
        );
        return;
    }
    let actor = Actor::local(&s.data.me);
    if let Err(refusal) = gate::check(&actor, &Action::Undo { decision: &d }, &s.data.snap, s.now) {
        s.say(refusal.to_string(), true);
        return;
    }
    s.ui.modal = Some(Modal::Prompt(Prompt {
        label: format!(
            "Why keep #{} undone ({})? It holds until the facts change.",
            d.id,
            what(&d)
        ),
        input: Default::default(),
        purpose: PromptFor::UndoAutomatic(d.id),
        error: None,
    }));
}

/// The undo with its reason, to confirm: exactly what it does.
pub fn confirm_undo(s: &mut State, id: i64, reason: String) {
    let Some(d) = s.data.automatic.applied.iter().find(|d| d.id == id) else {
        s.say(format!("automatic change #{id} is no longer shown"), true);
        return;
    };
    let sug = &d.suggestion;
    let reversal = match sug.kind {
        Kind::Grant => format!("{} loses {}", sug.person, sug.entitlement),
        _ => format!("{} gets {} back", sug.person, sug.entitlement),
    };
    let rule = sug.rule.as_deref().unwrap_or("?");
    s.ui.modal = Some(Modal::Confirm(Confirm {
        title: format!("Keep automatic change #{id} undone?"),
        lines: vec![
            format!("{reversal}: planned, carried out when you apply (A)."),
            format!(
                "Rule {rule} does not redo it until the facts change; your reason is kept in the audit log: {reason}"
            ),
        ],
        effect: Effect::UndoAutomatic { id, reason },
    }));
}

/// `grant ana -> pay-db:read, rule pay-read`.
fn what(d: &crate::model::Decision) -> String {
    let sug = &d.suggestion;
    format!(
        "{} {} -> {}, rule {}",
        sug.kind.as_str(),
        sug.person,
        sug.entitlement,
        sug.rule.as_deref().unwrap_or("?")
    )
}
