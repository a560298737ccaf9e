//! Dialogs: a confirmation confirmed or cancelled, a prompt or a picker
//! submitted (its input checked; a bad one keeps it open with the reason).

use super::super::msg::Effect;
use super::super::state::{Busy, Job, State};
use super::super::ui::{Modal, Pane, Prompt, PromptFor};
use super::{automatic, decisions, delegation, rules};
use crate::model::{Time, Verdict};

/// `y` in a confirmation: the effect it described.
pub fn yes(s: &mut State) -> Vec<Effect> {
    let Some(Modal::Confirm(c)) = s.ui.modal.take() else {
        return Vec::new();
    };
    let busy = match &c.effect {
        Effect::Apply(_) => decisions::start_apply(s),
        _ => Busy::new(Job::Record, "recording…"),
    };
    s.status.busy = Some(busy);
    vec![c.effect]
}

/// Esc or `n`: closes the dialog; closing the filter clears it.
pub fn no(s: &mut State) {
    match s.ui.modal.take() {
        Some(Modal::Filter) => s.ui.filter.clear(),
        Some(_) => s.say("cancelled; nothing recorded", false),
        None => {}
    }
}

/// Enter in a text field: the filter kept, a person picked, a prompt's
/// input taken.
pub fn submit(s: &mut State) -> Vec<Effect> {
    match s.ui.modal.take() {
        Some(Modal::Filter) => {
            s.ui.focus = Pane::Queue;
            Vec::new()
        }
        Some(Modal::Picker(p)) => {
            delegation::picked(s, p);
            Vec::new()
        }
        Some(Modal::Prompt(p)) => submit_prompt(s, p),
        other => {
            s.ui.modal = other;
            Vec::new()
        }
    }
}

fn submit_prompt(s: &mut State, mut p: Prompt) -> Vec<Effect> {
    let input = p.input.value().trim().to_string();
    match p.purpose.clone() {
        PromptFor::Dismiss(t) => {
            if input.is_empty() {
                p.error = Some("a reason is required to dismiss".into());
                s.ui.modal = Some(Modal::Prompt(p));
                return Vec::new();
            }
            decisions::decide(s, &t, Verdict::Dismiss, Some(input), None)
        }
        PromptFor::UndoAutomatic(id) => {
            if input.is_empty() {
                p.error = Some("say why: it stays undone until the facts change".into());
                s.ui.modal = Some(Modal::Prompt(p));
                return Vec::new();
            }
            automatic::confirm_undo(s, id, input);
            Vec::new()
        }
        PromptFor::RemoveRule(id) => {
            rules::confirm_remove(s, id, (!input.is_empty()).then_some(input));
            Vec::new()
        }
        PromptFor::DelegateUntil { area, to, name } => {
            if input.is_empty() {
                delegation::confirm(s, area, to, &name, None);
            } else if let Some(until) = future(s, &mut p, &input) {
                delegation::confirm(s, area, to, &name, Some(until));
            }
            Vec::new()
        }
        PromptFor::SnoozeUntil(t) => match future(s, &mut p, &input) {
            Some(until) => decisions::decide(s, &t, Verdict::Snooze, None, Some(until)),
            None => Vec::new(),
        },
    }
}

/// The time typed in `p`, if it is one and in the future; else the prompt
/// stays open with the reason.
fn future(s: &mut State, p: &mut Prompt, input: &str) -> Option<Time> {
    let error = match crate::time::parse_until(input, s.now) {
        Ok(u) if u > s.now => return Some(u),
        Ok(_) => "that is not in the future".to_string(),
        Err(e) => e.to_string(),
    };
    p.error = Some(error);
    s.ui.modal = Some(Modal::Prompt(p.clone()));
    None
}
