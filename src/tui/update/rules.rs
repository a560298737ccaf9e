//! Removing a rule written in steward, from the rules view.

use super::super::msg::Effect;
use super::super::state::State;
use super::super::ui::{Confirm, Modal, Prompt, PromptFor};
use crate::model::Actor;
use crate::policy::gate::{self, Action};

/// `x` in the rules view: asks why (optional), for a rule written here
/// that `me` has authority over.
pub fn ask_remove(s: &mut State) {
    let Some(row) = s.derived.rules.get(s.ui.rules_sel).cloned() else {
        s.say("no rule selected", true);
        return;
    };
    if row.source != crate::store::LOCAL_SOURCE {
        let text = format!(
            "rule {} comes from source {}: it is read-only here; change it there and sync (R)",
            row.status.id, row.source
        );
        s.say(text, true);
        return;
    }
    // The gate, as the store will ask it.
    if let Some(rule) = s.data.snap.rule(&row.status.id) {
        let remove = Action::RuleRemove { rule };
        let actor = Actor::local(&s.data.me);
        if let Err(refusal) = gate::check(&actor, &remove, &s.data.snap, s.now) {
            s.say(refusal.to_string(), true);
            return;
        }
    }
    s.ui.modal = Some(Modal::Prompt(Prompt {
        label: format!(
            "Why remove rule {}? (optional; kept in the audit log)",
            row.status.id
        ),
        input: Default::default(),
        purpose: PromptFor::RemoveRule(row.status.id),
        error: None,
    }));
}

/// The removal, to confirm.
pub fn confirm_remove(s: &mut State, id: String, reason: Option<String>) {
    let recorded = match &reason {
        Some(r) => format!("Recorded in the audit log with the rule as it was, and why: {r}"),
        None => "Recorded in the audit log with the rule as it was.".into(),
    };
    s.ui.modal = Some(Modal::Confirm(Confirm {
        title: format!("Remove rule {id}?"),
        lines: vec![
            "What it alone justified turns into revoke suggestions; nothing changes upstream until you decide and apply.".into(),
            recorded,
        ],
        effect: Effect::RemoveRule { id, reason },
    }));
}
