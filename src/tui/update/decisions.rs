//! Deciding: accept, revoke, dismiss, snooze (each checked for authority
//! first, each shown before it is recorded), undo, apply, the full chain.

use super::super::derive::{Ready, Standing};
use super::super::keymap::Mode;
use super::super::msg::Effect;
use super::super::state::{Applying, Busy, Job, State};
use super::super::ui::{Confirm, Modal, Prompt, PromptFor, Walk};
use crate::apply::change_of;
use crate::model::*;
use crate::policy::gate;
use crate::store::NewDecision;
use chrono::Duration;

/// What a decision key acts on: the walkthrough's card, else the marked
/// suggestions, else the selected one. Only pending ones.
fn targets(s: &State) -> Vec<usize> {
    let t: Vec<usize> = match (&s.ui.walk, s.ui.marked.is_empty()) {
        (Some(_), _) | (None, true) => s.current().into_iter().collect(),
        (None, false) => s.ui.marked.iter().copied().collect(),
    };
    t.into_iter()
        .filter(|&i| s.standing(i) == Some(Standing::Pending))
        .collect()
}

pub fn count_label(t: &[usize], s: &State) -> String {
    match t {
        [i] => {
            let x = &s.data.suggestions[*i];
            format!("{} {} {}", x.kind.as_str(), x.person, x.entitlement)
        }
        _ => format!("{} suggestions", t.len()),
    }
}

/// Asks the gate whether `me` may answer each of `t` with `verdict`
/// (authority, fit, not their own access), as the store will when it
/// records; the first refusal is said as it is.
fn admitted(s: &mut State, t: &[usize], verdict: Verdict) -> bool {
    let actor = Actor::local(&s.data.me);
    for &i in t {
        let sug = &s.data.suggestions[i];
        if let Err(refusal) = gate::may_decide(&actor, verdict, sug, &s.data.snap, s.now) {
            s.say(refusal.to_string(), true);
            return false;
        }
    }
    true
}

/// `a` or `r`: the exact changes, to confirm before anything is recorded.
pub fn propose(s: &mut State, verdict: Verdict) {
    let t = targets(s);
    if t.is_empty() {
        s.say("nothing selected to decide", true);
        return;
    }
    if !admitted(s, &t, verdict) {
        return;
    }
    let mut lines = Vec::new();
    let mut news = Vec::new();
    for &i in &t {
        let new = NewDecision {
            verdict,
            suggestion: s.data.suggestions[i].clone(),
            note: None,
            until: None,
        };
        lines.extend(change_lines(s, &new));
        news.push(new);
    }
    lines.push(String::new());
    lines.push("Recorded now as planned; nothing changes upstream until you apply (A).".into());
    let verb = match verdict {
        Verdict::Revoke => "Revoke",
        _ => "Accept",
    };
    s.ui.modal = Some(Modal::Confirm(Confirm {
        title: format!("{verb} {}?", count_label(&t, s)),
        lines,
        effect: Effect::Decide(news),
    }));
}

/// What one decision would do upstream, and its area's tags.
fn change_lines(s: &State, new: &NewDecision) -> Vec<String> {
    let snap = &s.data.snap;
    let sug = &new.suggestion;
    let probe = Decision {
        id: 0,
        at: s.now,
        decider: s.data.me.clone(),
        verdict: new.verdict,
        suggestion: sug.clone(),
        note: None,
        until: None,
        state: DecisionState::Planned,
        applied_at: None,
        result: None,
        origin: Origin::Person,
    };
    let what = match (sug.kind, new.verdict) {
        (Kind::Review, Verdict::Accept) => "keep",
        (Kind::Review, _) => "revoke",
        (k, _) => k.as_str(),
    };
    let mut lines = vec![
        format!(
            "{what} {} {} ({})",
            sug.person,
            sug.entitlement,
            sug.reason.as_str()
        ),
        format!("  -> {}", change_of(&probe, snap).describe()),
    ];
    if let Some(a) = snap.area(&sug.area)
        && !a.tags.is_empty()
    {
        lines.push(format!(
            "  area {} is tagged {}",
            a.id,
            a.tags.join(", ").to_uppercase()
        ));
    }
    lines
}

/// Records `verdict` on `t` (asked for and confirmed already).
pub fn decide(
    s: &mut State,
    t: &[usize],
    verdict: Verdict,
    note: Option<String>,
    until: Option<Time>,
) -> Vec<Effect> {
    let news = t
        .iter()
        .map(|&i| NewDecision {
            verdict,
            suggestion: s.data.suggestions[i].clone(),
            note: note.clone(),
            until,
        })
        .collect();
    s.status.busy = Some(Busy::new(Job::Record, "recording…"));
    vec![Effect::Decide(news)]
}

/// `x`: asks why before dismissing.
pub fn ask_dismiss(s: &mut State) {
    let t = targets(s);
    if !t.is_empty() && admitted(s, &t, Verdict::Dismiss) {
        s.ui.modal = Some(Modal::Prompt(Prompt {
            label: format!(
                "Why dismiss {}? (kept in the audit log)",
                count_label(&t, s)
            ),
            input: Default::default(),
            purpose: PromptFor::Dismiss(t),
            error: None,
        }));
    }
}

/// `s`: the snooze presets.
pub fn ask_snooze(s: &mut State) {
    let t = targets(s);
    if !t.is_empty() && admitted(s, &t, Verdict::Snooze) {
        s.ui.modal = Some(Modal::Snooze(t));
    }
}

/// A snooze preset: a day, a week, two weeks from now, or a prompt.
pub fn preset(s: &mut State, n: u8) -> Vec<Effect> {
    let Some(Modal::Snooze(t)) = s.ui.modal.take() else {
        return Vec::new();
    };
    let days = match n {
        1 => 1,
        2 => 7,
        3 => 14,
        _ => {
            s.ui.modal = Some(Modal::Prompt(Prompt {
                label: format!(
                    "Snooze until ({}, 3d, 2w):",
                    (s.now + Duration::days(30)).format("%Y-%m-%d")
                ),
                input: Default::default(),
                purpose: PromptFor::SnoozeUntil(t),
                error: None,
            }));
            return Vec::new();
        }
    };
    let until = s.now + Duration::days(days);
    decide(s, &t, Verdict::Snooze, None, Some(until))
}

/// `u`: in the plan, the selected decision; elsewhere the last batch
/// decided here, else the newest decision of `me` still held or planned.
pub fn undo(s: &mut State, mode: Mode) -> Vec<Effect> {
    let ids = match mode {
        Mode::Plan => match s.data.plan.get(s.ui.plan_sel) {
            Some(c) => vec![c.decision],
            None => {
                s.say("nothing planned to undo", true);
                return Vec::new();
            }
        },
        _ => {
            let mine = s
                .data
                .decisions
                .iter()
                .filter(|d| {
                    d.decider == s.data.me
                        && matches!(d.state, DecisionState::Held | DecisionState::Planned)
                })
                .map(|d| d.id)
                .max();
            match s.ui.undo.last().cloned().or(mine.map(|id| vec![id])) {
                Some(ids) => ids,
                None => {
                    s.say("nothing to undo", true);
                    return Vec::new();
                }
            }
        }
    };
    s.status.busy = Some(Busy::new(Job::Undo, "undoing…"));
    vec![Effect::Undo(ids)]
}

/// `w`: opens or closes the full justification chain of the card.
pub fn toggle_why(s: &mut State) {
    if let Some(i) = s.current() {
        s.ui.why = match s.ui.why == Some(i) {
            true => None,
            false => Some(i),
        };
        // The chain opens at the top of the card: show it from there.
        s.ui.card_scroll = 0;
    }
}

/// `A`: every change of the plan, to confirm before applying.
pub fn confirm_apply(s: &mut State) {
    s.ui.view = super::super::ui::View::Plan;
    let n = s.data.plan.len();
    if n == 0 {
        s.say("nothing to apply: accept a suggestion first", true);
        return;
    }
    let lines = s
        .data
        .plan
        .iter()
        .map(|c| format!("#{} {}", c.decision, c.describe()))
        .collect();
    s.ui.modal = Some(Modal::Confirm(Confirm {
        title: format!(
            "Apply {n} change{} upstream?",
            if n == 1 { "" } else { "s" }
        ),
        lines,
        effect: Effect::Apply(s.data.plan.iter().map(|c| c.decision).collect()),
    }));
}

/// The apply confirmed: what the status bar says while it runs.
pub fn start_apply(s: &mut State) -> Busy {
    let n = s.data.plan.len();
    s.status.applied.clear();
    s.status.applying = Some(Applying {
        total: n,
        steps: Vec::new(),
    });
    Busy::new(
        Job::Apply,
        format!(
            "applying {n} change{} upstream…",
            if n == 1 { "" } else { "s" }
        ),
    )
}

/// `a` in the rotations view: accepts the selected gap's grant, as from
/// the queue; or says why it cannot be.
pub fn accept_readiness(s: &mut State) {
    // Marked gaps (Space) are accepted together, as marked rows of the queue.
    if !s.ui.marked.is_empty() {
        propose(s, Verdict::Accept);
        return;
    }
    let Some(r) = s.derived.readiness.get(s.ui.rot_sel).cloned() else {
        s.say("no readiness gap selected", true);
        return;
    };
    let ready = s
        .derived
        .ready
        .get(s.ui.rot_sel)
        .copied()
        .unwrap_or(Ready::NotYet);
    let text = match ready {
        Ready::Pending(i) => {
            s.ui.marked.clear();
            s.ui.walk = Some(Walk {
                title: format!("readiness {}", r.rotation),
                items: vec![i],
                pos: 0,
            });
            propose(s, Verdict::Accept);
            s.ui.walk = None;
            return;
        }
        Ready::Decided(Verdict::Accept) => format!(
            "already accepted: {} {} is in the plan (P), A applies it",
            r.person, r.entitlement
        ),
        Ready::Decided(v) => format!(
            "already decided ({}): {} {}; u in the queue or plan takes it back",
            v.as_str(),
            r.person,
            r.entitlement
        ),
        Ready::NotYet => {
            let text = format!(
                "not suggested yet: rule {} gives {} to {} only from the shift at {}; it will appear then",
                r.rule,
                r.entitlement,
                r.person,
                crate::policy::minute(r.shift_start)
            );
            s.say(text, true);
            return;
        }
    };
    s.say(text, false);
}
