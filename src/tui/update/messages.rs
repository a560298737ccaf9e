//! What comes back: the results of effects (each taken in, the place kept
//! where the data still has it, and said in the status bar), progress, the
//! clock's ticks and word that the data changed elsewhere.

use super::super::data::Data;
use super::super::msg::{ApplyResult, ApplyStep, Effect, Msg, Refresh, SyncOutcome, SyncResults};
use super::super::state::State;
use super::super::ui::{Modal, PromptFor, SuggestionKey, View};
use super::navigate;
use rustc_hash::FxHashMap;

pub fn on_message(s: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Decided { ids, data } => {
            let behind = rests_on_another(s, &data);
            decided(s, ids, data);
            return read_again_if(s, behind);
        }
        Msg::Undone { ids, data } => {
            let behind = rests_on_another(s, &data);
            undone(s, ids, data);
            return read_again_if(s, behind);
        }
        Msg::Applied { results, data } => return applied(s, results, data),
        Msg::Loaded(data) => {
            s.status.busy = None;
            s.data = data;
            s.ui.view = View::Main;
            s.status.applied.clear();
            s.reset_navigation();
            let who = s.data.me.clone();
            s.say(format!("now acting as {who}"), false);
            return keep_preview(s);
        }
        Msg::Reloaded { data, note } => {
            s.status.busy = None;
            reload_in_place(s, data);
            s.ui.deleg_sel = 0;
            s.say(note, false);
            return keep_preview(s);
        }
        Msg::Refreshed(data) => return refreshed(s, data),
        Msg::RefreshFailed(e) => {
            s.status.refreshing = false;
            s.say(format!("could not read the data again: {e}"), true);
            return refresh_again(s);
        }
        Msg::Failed(e) => failed(s, e),
        Msg::Opened(data) => return opened(s, data),
        Msg::Synced { results, data } => return synced(s, results, data),
        Msg::Progress(text) => {
            let note = s.status.preview.as_ref().map(|shown| {
                format!(
                    " (showing your queue as of {})",
                    crate::tui::preview::when(shown.evaluated_at, s.now)
                )
            });
            if let Some(b) = &mut s.status.busy {
                b.text = text + &note.unwrap_or_default();
            }
        }
        Msg::ApplyStep(step) => apply_step(s, step),
        Msg::PeopleFound { text, found } => super::delegation::found(s, text, found),
        Msg::Tick(now) => return tick(s, now),
        Msg::Wake => return refresh(s, Refresh::Store),
        // Input is `update`'s own.
        Msg::Key(_) | Msg::Mouse(_) | Msg::Paste(_) | Msg::Resize(..) | Msg::SeenAutomatic(_) => {}
    }
    Vec::new()
}

/// A decision's or an undo's data rests on the evaluation shown when it
/// was asked for (only the records are read again). When a change was
/// read in meanwhile, that evaluation is older than the one shown: the
/// records are taken in with it, and then the organization read again, or
/// the change read in would be undone on the screen until the next one.
fn rests_on_another(s: &State, data: &Data) -> bool {
    data.revision.base != s.data.revision.base
}

fn read_again_if(s: &mut State, behind: bool) -> Vec<Effect> {
    match behind {
        true => refresh(s, Refresh::Store),
        false => Vec::new(),
    }
}

fn decided(s: &mut State, ids: Vec<i64>, data: Data) {
    s.status.busy = None;
    swap_data(s, data);
    let n = ids.len();
    s.ui.undo.push(ids);
    s.ui.marked.clear();
    s.ui.why = None;
    // The walkthrough moves on by the new standing.
    s.derive();
    navigate::advance_walk(s);
    s.say(
        format!(
            "recorded {n} decision{} (u undoes; P shows the plan)",
            if n == 1 { "" } else { "s" }
        ),
        false,
    );
}

fn undone(s: &mut State, ids: Vec<i64>, data: Data) {
    s.status.busy = None;
    swap_data(s, data);
    s.ui.undo
        .retain(|batch| !batch.iter().any(|x| ids.contains(x)));
    let what: Vec<String> = ids
        .iter()
        .map(|id| match s.data.decisions.iter().find(|d| d.id == *id) {
            Some(d) => format!(
                "{} {} {}",
                d.verdict.as_str(),
                d.suggestion.person,
                d.suggestion.entitlement
            ),
            None => format!("decision {id}"),
        })
        .collect();
    let text = format!(
        "undid {}: {} (the audit log keeps both)",
        match ids.len() {
            1 => "1 decision".to_string(),
            n => format!("{n} decisions"),
        },
        what.join(", ")
    );
    s.say(text, false);
    if s.ui.view == View::Plan {
        s.ui.plan_sel = s.ui.plan_sel.min(s.data.plan.len().saturating_sub(1));
    }
}

fn applied(s: &mut State, results: Vec<ApplyResult>, data: Data) -> Vec<Effect> {
    s.status.busy = None;
    s.status.applying = None;
    reload_in_place(s, data);
    let ok = results.iter().filter(|r| r.ok).count();
    let failed = results.len() - ok;
    s.status.applied = results;
    s.ui.view = View::Plan;
    s.say(
        format!("applied: {ok} ok, {failed} not applied"),
        failed > 0,
    );
    keep_preview(s)
}

fn failed(s: &mut State, e: String) {
    s.status.busy = None;
    // An apply that stopped part way: what finished before stays shown.
    let text = match s.status.applying.take() {
        Some(a) if !a.steps.is_empty() => {
            let n = a.steps.len();
            s.status.applied = a
                .steps
                .into_iter()
                .map(|st| ApplyResult {
                    ok: st.ok,
                    line: st.result,
                })
                .collect();
            format!(
                "{e} (after {n} of {} changes finished; the plan view lists them)",
                a.total
            )
        }
        _ => e,
    };
    s.say(text, true);
}

/// The first load: replaces the loading screen, or the preview (in place).
fn opened(s: &mut State, data: Data) -> Vec<Effect> {
    s.status.busy = None;
    let shown = s.status.preview.take();
    let place = shown.as_ref().map(|_| s.place());
    s.data = data;
    s.status.loaded = true;
    s.reset_navigation();
    if let (Some(place), Some(shown)) = (place, shown) {
        s.restore(place);
        let text = format!(
            "loaded: evaluated now (the preview was as of {})",
            crate::tui::preview::when(shown.evaluated_at, s.now)
        );
        s.say(text, false);
    }
    let mut effects = keep_preview(s);
    effects.extend(refresh_again(s));
    effects
}

fn synced(s: &mut State, results: SyncResults, data: Data) -> Vec<Effect> {
    s.status.busy = None;
    reload_in_place(s, data);
    let held: Vec<String> = results
        .iter()
        .filter_map(|r| match &r.outcome {
            SyncOutcome::HeldBack(lines) => Some(lines.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    if !held.is_empty() {
        s.say(
            format!(
                "sync held back, the previous data kept: {}. Keep the drop anyway (it is real)? y / any other key: no",
                held.join("; ")
            ),
            true,
        );
        s.status.held_back = Some(held);
        return keep_preview(s);
    }
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| match &r.outcome {
            SyncOutcome::Failed(e) => {
                Some(format!("{} FAILED (its previous data kept): {e}", r.name))
            }
            _ => None,
        })
        .collect();
    let text = if failed.is_empty() {
        let ok: Vec<String> = results
            .iter()
            .map(|r| match &r.outcome {
                SyncOutcome::Done(what) => format!("{}: {what}", r.name),
                _ => format!("{}: ", r.name),
            })
            .collect();
        format!("synced {}", ok.join("; "))
    } else {
        format!("sync: {}", failed.join("; "))
    };
    s.say(text, !failed.is_empty());
    keep_preview(s)
}

fn apply_step(s: &mut State, step: ApplyStep) {
    if let (Some(b), Some(a)) = (&mut s.status.busy, &mut s.status.applying) {
        b.text = format!(
            "applying {}/{}: {} {}",
            step.done,
            step.total,
            step.what,
            if step.ok { "✓" } else { "✗ not applied" }
        );
        a.total = step.total;
        a.steps.push(step);
    }
}

/// New data for the same person (after a sync, an apply, a delegation):
/// navigation starts afresh, and the selection stays where it was as far
/// as the new data still has it.
fn reload_in_place(s: &mut State, data: Data) {
    let place = s.place();
    s.data = data;
    s.reset_navigation();
    s.restore(place);
}

/// The clock moved: the header's time, standing (snoozes end), urgency
/// and readiness derived again at once, the selection kept; then the
/// suggestions evaluated again at the new time, in the background.
fn tick(s: &mut State, now: crate::model::Time) -> Vec<Effect> {
    if now == s.now {
        return Vec::new();
    }
    let place = s.place();
    s.now = now;
    s.restore(place);
    refresh(s, Refresh::Time)
}

/// Asks for the data to be read again, once at a time: a second request
/// while one runs, or while the first load runs, follows it (that load
/// may have read the store before the change it is asked for).
fn refresh(s: &mut State, why: Refresh) -> Vec<Effect> {
    if s.status.refreshing || !s.status.loaded || s.status.preview.is_some() {
        s.status.refresh_again = s.status.refresh_again.max(Some(why));
        return Vec::new();
    }
    s.status.refreshing = true;
    vec![Effect::Refresh(why)]
}

fn refresh_again(s: &mut State) -> Vec<Effect> {
    match s.status.refresh_again.take() {
        Some(why) => refresh(s, why),
        None => Vec::new(),
    }
}

/// Evaluated again (a tick) or reloaded (a change elsewhere): taken in
/// place, without a word; everything singled out stays singled out.
fn refreshed(s: &mut State, data: Data) -> Vec<Effect> {
    s.status.refreshing = false;
    // Read for someone else (the persona switched meanwhile): stale.
    if data.me == s.data.me {
        let place = s.place();
        let shown: Vec<SuggestionKey> = s
            .derived
            .queue
            .iter()
            .map(|&i| SuggestionKey::of(&s.data.suggestions[i]))
            .collect();
        let snap_changed = !std::sync::Arc::ptr_eq(&data.snap, &s.data.snap);
        swap_data(s, data);
        if snap_changed {
            s.ui.expanded.clear();
            s.ui.expanded.extend(s.default_expanded());
        }
        keep_decided_elsewhere(s, &shown);
        s.restore(place);
        s.ui.plan_sel = s.ui.plan_sel.min(s.data.plan.len().saturating_sub(1));
        s.ui.audit_sel = s.ui.audit_sel.min(s.data.audit.len().saturating_sub(1));
    }
    refresh_again(s)
}

/// The rows of the queue as it was shown (`shown`) that someone else
/// decided meanwhile stay where they are, marked (the card says who).
fn keep_decided_elsewhere(s: &mut State, shown: &[SuggestionKey]) {
    let at = positions(&s.data);
    let decided: Vec<usize> = shown
        .iter()
        .filter_map(|k| at.get(k).copied())
        .filter(|&i| s.decision(i).is_some_and(|d| d.decider != s.data.me))
        .collect();
    s.ui.decided_elsewhere.extend(decided);
}

/// Where each suggestion of `data` is in the queue, by what it is about.
fn positions(data: &Data) -> FxHashMap<SuggestionKey, usize> {
    data.suggestions
        .iter()
        .enumerate()
        .map(|(i, x)| (SuggestionKey::of(x), i))
        .collect()
}

/// Takes in new data for the same person. When it was evaluated afresh,
/// the suggestions singled out (marks, the walkthrough, the open chain,
/// a dialog's targets) are found again by what they are about, and an
/// open delegation dialog's area by its id.
fn swap_data(s: &mut State, data: Data) {
    let old = std::mem::replace(&mut s.data, data);
    if old.revision.base == s.data.revision.base {
        return;
    }
    let now_at = positions(&s.data);
    s.ui.renumber(|i| {
        old.suggestions
            .get(i)
            .and_then(|x| now_at.get(&SuggestionKey::of(x)))
            .copied()
    });
    let area = |a: &mut usize| -> bool {
        let id = old.snap.org.areas.get(*a).map(|x| x.id.as_str());
        match id.and_then(|id| s.data.snap.area_idx(id)) {
            Some(now) => {
                *a = now;
                true
            }
            None => false,
        }
    };
    let keep = match &mut s.ui.modal {
        Some(Modal::Picker(p)) => area(&mut p.area),
        Some(Modal::Prompt(p)) => match &mut p.purpose {
            PromptFor::DelegateUntil { area: a, .. } => area(a),
            _ => true,
        },
        _ => true,
    };
    if !keep {
        s.ui.modal = None;
    }
}

/// Asks for what is shown to be kept for the next start (after a full
/// reload; the console keeps it once more when it quits).
fn keep_preview(s: &mut State) -> Vec<Effect> {
    s.derive();
    crate::tui::keep::preview(s)
        .map(|p| vec![Effect::KeepPreview(Box::new(p))])
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::update;
    use super::*;
    use crate::tui::data::Revision;

    fn loading() -> State {
        State::loading("priya", "2026-03-02T12:00:00Z".parse().unwrap(), Vec::new())
    }

    fn loaded() -> State {
        State::new(
            Data::empty("priya"),
            "2026-03-02T12:00:00Z".parse().unwrap(),
            Vec::new(),
        )
    }

    fn refreshes(effects: &[Effect]) -> Vec<Refresh> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Refresh(why) => Some(*why),
                _ => None,
            })
            .collect()
    }

    /// The first load may have read the store before a change told while
    /// it ran: the console reads again once the load is in, and once only.
    #[test]
    fn a_change_told_while_the_first_load_runs_is_read_once_it_is_in() {
        let mut s = loading();
        assert!(refreshes(&update(&mut s, Msg::Wake)).is_empty());
        assert!(refreshes(&update(&mut s, Msg::Wake)).is_empty());
        let opened = update(&mut s, Msg::Opened(Data::empty("priya")));
        assert_eq!(refreshes(&opened), vec![Refresh::Store]);
        let after = update(&mut s, Msg::Refreshed(Data::empty("priya")));
        assert!(refreshes(&after).is_empty(), "read again once");
    }

    /// A decision asked for while a change was being read rests on the
    /// evaluation shown before it; the change is read again after it.
    #[test]
    fn a_decision_resting_on_an_evaluation_replaced_meanwhile_is_followed_by_a_read() {
        let asks: [fn(Vec<i64>, Data) -> Msg; 2] = [
            |ids, data| Msg::Decided { ids, data },
            |ids, data| Msg::Undone { ids, data },
        ];
        for ask in asks {
            let mut s = loaded();
            let asked_on = s.data.revision.base;
            assert_eq!(refreshes(&update(&mut s, Msg::Wake)), vec![Refresh::Store]);
            let read = update(&mut s, Msg::Refreshed(Data::empty("priya")));
            assert!(refreshes(&read).is_empty());
            let mut data = Data::empty("priya");
            data.revision = Revision::records_of(asked_on);
            let effects = update(&mut s, ask(vec![1], data));
            assert_eq!(refreshes(&effects), vec![Refresh::Store]);
        }
    }

    #[test]
    fn a_decision_on_the_evaluation_shown_is_not_read_again() {
        let mut s = loaded();
        let mut data = Data::empty("priya");
        data.revision = Revision::records_of(s.data.revision.base);
        let effects = update(&mut s, Msg::Decided { ids: vec![1], data });
        assert!(refreshes(&effects).is_empty());
    }

    #[test]
    fn a_first_load_with_no_change_meanwhile_is_not_read_again() {
        let mut s = loading();
        let opened = update(&mut s, Msg::Opened(Data::empty("priya")));
        assert!(refreshes(&opened).is_empty());
    }
}
