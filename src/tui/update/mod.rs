//! `update(&mut State, Msg) -> Vec<Effect>`: the only place the console's
//! state changes. Pure: no I/O, no clock (`now` is in the state, moved by
//! `Msg::Tick`). Input changes `ui`, the results of effects change `data`
//! and `status`; after each message, what is derived from them is derived
//! again in one place ([`State::derive`]).
//!
//! By concern: [`keys`] (a key to an action), [`navigate`] (moving,
//! panes, the tree, walkthroughs), [`decisions`] (accept, revoke,
//! dismiss, snooze, undo, apply), [`dialogs`] (confirmations and prompts),
//! [`delegation`], [`rules`], [`mouse`], and [`messages`] (what effects
//! and the clock report).

mod automatic;
mod decisions;
mod delegation;
mod dialogs;
mod keys;
mod messages;
mod mouse;
mod navigate;
mod rules;

use super::msg::Effect;
pub use super::msg::Msg;
use super::state::State;

/// How many people of each kind the picker asks the store for.
pub const PEOPLE_PAGE: usize = 200;

pub fn update(s: &mut State, msg: Msg) -> Vec<Effect> {
    let effects = match msg {
        Msg::Key(k) => keys::on_key(s, k),
        Msg::Mouse(m) => {
            mouse::on_mouse(s, m);
            Vec::new()
        }
        Msg::Paste(text) => {
            keys::paste(s, &text);
            Vec::new()
        }
        Msg::Resize(w, h) => {
            s.ui.width = w;
            s.ui.height = h;
            Vec::new()
        }
        Msg::SeenAutomatic(t) => {
            automatic::seen(s, t);
            Vec::new()
        }
        other => messages::on_message(s, other),
    };
    // The picker's query asked of the store whenever it changed.
    let mut effects = effects;
    effects.extend(delegation::search(s));
    s.derive();
    effects
}
