//! Delegating the subtree of an area: pick a person, say until when, see
//! exactly what they gain, confirm; and ending a delegation given here.

use super::super::derive::queries::{given_delegations, holders};
use super::super::msg::Effect;
use super::super::state::State;
use super::super::ui::{Confirm, Modal, NodeKey, Picker, Prompt, PromptFor};
use crate::model::{Actor, Status, Time};
use crate::policy::gate::{self, Action};
use crate::policy::{Snapshot, authority};
use crate::store::{Offered, PeopleQuery};
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
        ..Default::default()
    }));
}

/// The picker's query, asked of the store when it changed since it was
/// last asked (or the data was read again): with nothing typed, the
/// person's reports, the people with access in the area, then everyone;
/// else the people whose id, name or email begins with or holds it.
pub fn search(s: &mut State) -> Option<Effect> {
    let Some(Modal::Picker(p)) = &mut s.ui.modal else {
        return None;
    };
    let text = p.query.value().trim().to_string();
    let asked = (text.clone(), s.data.revision.base);
    if p.asked.as_ref() == Some(&asked) {
        return None;
    }
    p.asked = Some(asked);
    let query = if text.is_empty() {
        let me = s.data.me.clone();
        let near = holders_by_name(&s.data.snap, &me, p.area);
        PeopleQuery::Browse { me, near }
    } else {
        PeopleQuery::Search(text.clone())
    };
    Some(Effect::FindPeople { text, query })
}

/// The active people (not `me`) with access in `area`'s subtree, by name;
/// the first page of them.
fn holders_by_name(snap: &Snapshot, me: &str, area: usize) -> Vec<String> {
    let mut near: Vec<(&str, &str)> = holders(snap, area)
        .into_iter()
        .filter(|id| id != me)
        .filter_map(|id| snap.person(&id))
        .filter(|p| p.status == Status::Active)
        .map(|p| (p.name.as_str(), p.id.as_str()))
        .collect();
    near.sort();
    near.into_iter()
        .take(super::PEOPLE_PAGE)
        .map(|(_, id)| id.to_string())
        .collect()
}

/// The people found for the picker's query `text`, if it is still the query.
pub fn found(s: &mut State, text: String, found: Result<Vec<Offered>, String>) {
    let Some(Modal::Picker(p)) = &mut s.ui.modal else {
        return;
    };
    if p.query.value().trim() != text {
        return;
    }
    p.answered = Some(text);
    p.answers += 1;
    match found {
        Ok(found) => {
            p.found = found;
            p.error = None;
        }
        Err(e) => {
            p.found.clear();
            p.error = Some(e);
        }
    }
}

/// Enter in the picker: until when?
pub fn picked(s: &mut State, p: Picker) {
    let Some(offered) = s.derived.picks.get(p.sel).and_then(|&i| p.found.get(i)) else {
        s.ui.modal = Some(Modal::Picker(p));
        return;
    };
    let to = offered.person.id.clone();
    let name = offered.person.name.clone();
    let area = &s.data.snap.org.areas[p.area].id;
    // The gate, as the store will ask it: not to oneself, nor to someone
    // who has left. Someone outside the part of the organization read here
    // was found active on the roster; the store asks the gate again.
    let delegate = Action::Delegate {
        area,
        to: &to,
        until: None,
    };
    if s.data.snap.person(&to).is_some()
        && let Err(refusal) = gate::check(&Actor::local(&s.data.me), &delegate, &s.data.snap, s.now)
    {
        s.say(refusal.to_string(), true);
        return;
    }
    let example = (s.now + Duration::days(90)).format("%Y-%m-%d");
    s.ui.modal = Some(Modal::Prompt(Prompt {
        label: format!("Delegate {area} to {to} until (empty: no end; {example}, 2w):"),
        input: Default::default(),
        purpose: PromptFor::DelegateUntil {
            area: p.area,
            to,
            name,
        },
        error: None,
    }));
}

/// What the delegation would give `to` (called `name`), to confirm.
pub fn confirm(s: &mut State, area: usize, to: String, name: &str, until: Option<Time>) {
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
