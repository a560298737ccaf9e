//! Delegating the subtree of an area: pick a person, say until when, see
//! exactly what they gain, confirm; and ending a delegation given here.

use super::super::derive::queries::given_delegations;
use super::super::msg::Effect;
use super::super::state::State;
use super::super::ui::{Confirm, Modal, NodeKey, Picker, Prompt, PromptFor};
use crate::model::{Actor, Time};
use crate::policy::authority;
use crate::policy::gate::{self, Action};
use chrono::Duration;

/// `D`: the person picker, for the area selected in the tree.
pub fn open_picker(s: &mut State) {
    let NodeKey::Area(a) = s.selected_node() else {
        s.say(
            "select an area in the tree (Shift-Tab to it) to delegate its subtree",
            true,
        );
        return;
    };
    let snap = &s.data.snap;
    if authority(snap, &s.data.me, a, s.now).is_none() {
        let text = format!(
            "refused: {} has no authority over area {} (owner {}); nothing to delegate",
            s.data.me, snap.org.areas[a].id, snap.org.areas[a].owner
        );
        s.say(text, true);
        return;
    }
    s.ui.modal = Some(Modal::Picker(Picker {
        area: a,
        query: Default::default(),
        sel: 0,
    }));
}

/// Enter in the picker: until when?
pub fn picked(s: &mut State, p: Picker) {
    let Some(&who) = s.derived.picks.get(p.sel) else {
        s.ui.modal = Some(Modal::Picker(p));
        return;
    };
    let to = s.data.snap.org.people[who].id.clone();
    let area = &s.data.snap.org.areas[p.area].id;
    // The gate, as the store will ask it: not to oneself, nor to someone
    // who has left.
    let delegate = Action::Delegate {
        area,
        to: &to,
        until: None,
    };
    if let Err(refusal) = gate::check(&Actor::local(&s.data.me), &delegate, &s.data.snap, s.now) {
        s.say(refusal.to_string(), true);
        return;
    }
    let example = (s.now + Duration::days(90)).format("%Y-%m-%d");
    s.ui.modal = Some(Modal::Prompt(Prompt {
        label: format!("Delegate {area} to {to} until (empty: no end; {example}, 2w):"),
        input: Default::default(),
        purpose: PromptFor::DelegateUntil { area: p.area, to },
        error: None,
    }));
}

/// What the delegation would give `to`, to confirm.
pub fn confirm(s: &mut State, area: usize, to: String, until: Option<Time>) {
    let snap = s.data.snap.clone();
    let sub: Vec<&str> = snap
        .area_subtree(area)
        .iter()
        .map(|&a| snap.org.areas[a].id.as_str())
        .collect();
    let pending = s.pending_under(NodeKey::Area(area));
    let about_them = pending
        .iter()
        .filter(|&&i| s.data.suggestions[i].person == to)
        .count();
    let pending = pending.len();
    let id = snap.org.areas[area].id.clone();
    let name = snap.person(&to).map_or(to.as_str(), |p| p.name.as_str());
    let gains = match authority(&snap, &to, area, s.now) {
        // Nothing changes today; it still counts if that authority ends.
        Some(a) => format!(
            "{name} ({to}) already has authority over {id} as {}: this adds nothing now, and keeps it if that ends. {} area(s): {}",
            a.describe(),
            sub.len(),
            sub.join(", ")
        ),
        None => format!(
            "{name} ({to}) gains authority over {} area(s): {}",
            sub.len(),
            sub.join(", ")
        ),
    };
    let mut lines = vec![
        gains,
        format!(
            "{pending} pending suggestion(s) there now; they can decide them, and write rules there."
        ),
    ];
    if about_them > 0 {
        lines.push(format!(
            "Note: {about_them} of them are about {to}'s own access; those stay with the owners above {to} (nobody decides about their own access)."
        ));
    }
    lines.extend([
        match until {
            Some(u) => format!("until {}", crate::policy::minute(u)),
            None => "no end date: it lasts until you end it (V lists delegations you gave)".into(),
        },
        format!(
            "Recorded in the audit log as a delegation by {}.",
            s.data.me
        ),
    ]);
    s.ui.modal = Some(Modal::Confirm(Confirm {
        title: format!("Delegate {id} to {to}?"),
        lines,
        effect: Effect::Delegate {
            area: id,
            to,
            until,
        },
    }));
}

/// `x` in the delegations view: ends the selected one, if made here.
pub fn confirm_end(s: &mut State) {
    let given = given_delegations(&s.data, s.now);
    let Some(g) = given.get(s.ui.deleg_sel) else {
        s.say("no delegation selected", true);
        return;
    };
    let d = &g.delegation;
    let Some(id) = g.local_id else {
        let text = format!(
            "the delegation of {} to {} comes from a source (delegations.toml); end it there and sync",
            d.area, d.to
        );
        s.say(text, true);
        return;
    };
    s.ui.modal = Some(Modal::Confirm(Confirm {
        title: format!("End the delegation of {} to {}?", d.area, d.to),
        lines: vec![
            format!(
                "{} loses the authority over {} and its subtree that this delegation gave, from now.",
                d.to, d.area
            ),
            "Their decisions so far stay; rules they wrote there stop counting unless they have authority otherwise.".into(),
        ],
        effect: Effect::EndDelegation(id),
    }));
}
