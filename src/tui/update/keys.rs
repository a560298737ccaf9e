//! A key press: resolved by the keymap in the current mode to an action,
//! held back while the console cannot take it (loading, a preview shown, a
//! job running), or typed into the open text field.

use super::super::field::{Edit, Field};
use super::super::keymap::{self, Action, Mode};
use super::super::msg::Effect;
use super::super::state::{Busy, Job, State};
use super::super::ui::{Modal, Pane, View};
use super::{automatic, decisions, delegation, dialogs, navigate, rules};
use ratatui::crossterm::event::{KeyCode, KeyEvent};

pub fn on_key(s: &mut State, k: KeyEvent) -> Vec<Effect> {
    // A sync held back by the shrink guard asked: this key answers.
    if let Some(shrinks) = s.status.held_back.take() {
        if matches!(k.code, KeyCode::Char('y' | 'Y')) {
            let text = format!("syncing, keeping the drop: {}…", shrinks.join("; "));
            s.status.busy = Some(Busy::new(Job::Sync, text));
            return vec![Effect::SyncAcceptingShrink];
        }
        s.say("kept the previous data (the sync stays held back)", false);
        return Vec::new();
    }
    let mode = keymap::mode(&s.ui);
    let action = keymap::resolve(mode, &k);
    // Text entry takes every key that is not bound in it, as a shell's
    // line editor does.
    if action.is_none() && is_text(mode) {
        edit(s, |f| f.key(&k));
        return Vec::new();
    }
    let Some(action) = action else {
        return Vec::new();
    };
    if !s.status.loaded && !matches!(action, Action::Quit | Action::Help | Action::Back) {
        return Vec::new();
    }
    if let Some(shown) = &s.status.preview
        && !works_on_preview(action)
    {
        let at = crate::tui::preview::when(shown.evaluated_at, s.now);
        // Still loading, or the load failed (its error was shown).
        let text = match s.status.busy {
            Some(_) => format!(
                "a moment: this is your queue as of {at}, shown while the cache loads; decisions open when the fresh evaluation is in"
            ),
            None => format!(
                "the cache did not load (the log has why); this is your queue as of {at}, for reading only; q quits"
            ),
        };
        let error = s.status.busy.is_none();
        s.say(text, error);
        return Vec::new();
    }
    // The status bar says what is running; a decision waits for it.
    if s.status.busy.is_some() && waits_for_job(action) && mode != Mode::Filter {
        return Vec::new();
    }
    if !is_text(mode) {
        s.status.flash = None;
    }
    act(s, mode, action)
}

fn is_text(mode: Mode) -> bool {
    matches!(mode, Mode::Prompt | Mode::Filter | Mode::Picker)
}

/// What can be done on a preview: looking around, help, quit.
fn works_on_preview(a: Action) -> bool {
    matches!(
        a,
        Action::Quit
            | Action::Help
            | Action::Back
            | Action::Up
            | Action::Down
            | Action::Top
            | Action::Bottom
            | Action::PageUp
            | Action::PageDown
            | Action::NextPane
            | Action::PrevPane
            | Action::Expand
            | Action::Collapse
            | Action::SwitchTab
            | Action::Kind(_)
    )
}

/// Actions that start a job or change what a running one works on: held
/// while one runs (everything else stays live).
fn waits_for_job(a: Action) -> bool {
    matches!(
        a,
        Action::Accept
            | Action::Revoke
            | Action::Dismiss
            | Action::Snooze
            | Action::Undo
            | Action::Apply
            | Action::Persona
            | Action::Delegate
            | Action::EndDelegation
            | Action::RemoveRule
            | Action::Yes
            | Action::Preset(_)
            | Action::Submit
            | Action::Sync
    )
}

/// What an action does, by concern.
fn act(s: &mut State, mode: Mode, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => {
            s.status.quit = true;
            return vec![Effect::Quit];
        }
        Action::Help => {
            s.ui.modal = Some(Modal::Help);
            s.ui.help_scroll = 0;
        }
        Action::Messages => {
            s.ui.modal = Some(Modal::Messages);
            s.ui.help_scroll = 0;
        }
        Action::Back => navigate::back(s, mode),
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => navigate::step(s, mode, action),
        Action::NextPane | Action::PrevPane => navigate::cycle_pane(s, action == Action::NextPane),
        Action::Expand => navigate::expand(s, true),
        Action::Collapse => navigate::expand(s, false),
        Action::SwitchTab => navigate::switch_tab(s),
        Action::Filter => {
            s.ui.modal = Some(Modal::Filter);
            s.ui.focus = Pane::Queue;
        }
        Action::Kind(k) => {
            s.ui.kind_filter = k;
            s.ui.queue_sel = 0;
        }
        Action::Mark if mode == Mode::Rotations => navigate::mark_readiness(s),
        Action::Mark => navigate::mark(s),
        Action::Walk => navigate::start_walk(s),
        Action::Next => navigate::step_walk(s, 1),
        Action::Prev => navigate::step_walk(s, -1),
        Action::Accept if mode == Mode::Rotations => decisions::accept_readiness(s),
        Action::Accept => decisions::propose(s, crate::model::Verdict::Accept),
        Action::Revoke => decisions::propose(s, crate::model::Verdict::Revoke),
        Action::Dismiss => decisions::ask_dismiss(s),
        Action::Snooze => decisions::ask_snooze(s),
        Action::Preset(n) => return decisions::preset(s, n),
        Action::Submit => return dialogs::submit(s),
        Action::Yes => return dialogs::yes(s),
        Action::No => dialogs::no(s),
        Action::Undo if mode == Mode::Automatic => automatic::ask_undo(s),
        Action::Undo => return decisions::undo(s, mode),
        Action::Why => decisions::toggle_why(s),
        Action::Sync => {
            s.status.busy = Some(Busy::new(Job::Sync, "syncing…"));
            return vec![Effect::Sync];
        }
        Action::ViewPlan => s.ui.view = View::Plan,
        Action::ViewAudit => s.ui.view = View::Audit,
        Action::ViewRotations => s.ui.view = View::Rotations,
        Action::ViewDelegations => {
            s.ui.view = View::Delegations;
            s.ui.deleg_sel = 0;
        }
        Action::ViewRules => s.ui.view = View::Rules,
        Action::ViewAutomatic => return automatic::open(s),
        Action::Apply => decisions::confirm_apply(s),
        Action::Persona => return switch_persona(s),
        Action::Delegate => delegation::open_picker(s),
        Action::EndDelegation => delegation::confirm_end(s),
        Action::RemoveRule => rules::ask_remove(s),
    }
    Vec::new()
}

/// The demo's persona switch: reload as the next owner.
fn switch_persona(s: &mut State) -> Vec<Effect> {
    if s.personas.is_empty() {
        s.say(
            "persona switch is for the demo; elsewhere start with --as PERSON",
            true,
        );
        return Vec::new();
    }
    let i = s
        .personas
        .iter()
        .position(|p| *p == s.data.me)
        .map_or(0, |i| (i + 1) % s.personas.len());
    let next = s.personas[i].clone();
    s.status.busy = Some(Busy::new(Job::SwitchPersona, format!("loading as {next}…")));
    vec![Effect::SwitchPersona(next)]
}

/// Pasted text, typed into the open text field at its cursor (control
/// characters dropped).
pub fn paste(s: &mut State, text: &str) {
    edit(s, |f| f.insert(text));
}

/// Edits the open text field with `how`; a changed text starts its list
/// (the queue, the picker) from the top again, and clears a prompt's error.
fn edit(s: &mut State, how: impl FnOnce(&mut Field) -> Edit) {
    let field = match &mut s.ui.modal {
        Some(Modal::Prompt(p)) => &mut p.input,
        Some(Modal::Filter) => &mut s.ui.filter,
        Some(Modal::Picker(p)) => &mut p.query,
        _ => return,
    };
    if how(field) != Edit::Changed {
        return;
    }
    match &mut s.ui.modal {
        Some(Modal::Prompt(p)) => p.error = None,
        Some(Modal::Picker(p)) => p.sel = 0,
        _ => s.ui.queue_sel = 0,
    }
}
