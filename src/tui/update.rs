//! `update(&mut State, Msg) -> Vec<Effect>`: the only place the console's
//! state changes. Pure: no I/O, no clock (`now` is in the state).

use super::data::Data;
use super::keymap::{self, Action, Mode};
use super::layout;
use super::state::*;
use crate::apply::change_of;
use crate::model::*;
use crate::policy::authority;
use crate::store::NewDecision;
use chrono::Duration;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

/// What reaches the console: input, and the results of effects.
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// Decisions were recorded; `data` is re-read from the store.
    Decided {
        ids: Vec<i64>,
        data: Data,
    },
    /// Decisions were taken back.
    Undone {
        ids: Vec<i64>,
        data: Data,
    },
    /// The plan was applied: per-change results, and the reloaded data.
    Applied {
        results: Vec<(bool, String)>,
        data: Data,
    },
    /// Everything reloaded (persona switch).
    Loaded(Data),
    /// Everything reloaded after a change to the organization (delegation).
    Reloaded {
        data: Data,
        note: String,
    },
    /// An effect failed; the message says why.
    Failed(String),
    /// The first load, done in the background.
    Opened(Data),
    /// The sources were pulled (each one's summary or error) and all reloaded.
    Synced {
        results: crate::tui::worker::SyncResults,
        data: Data,
    },
    /// A running job's progress, in words.
    Progress(String),
    /// One change of a running apply finished (done or refused).
    ApplyStep(ApplyStep),
}

pub fn update(s: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(k) => on_key(s, k),
        Msg::Mouse(m) => {
            on_mouse(s, m);
            Vec::new()
        }
        Msg::Paste(text) => {
            for c in text.chars().filter(|c| !c.is_control()) {
                type_char(s, c);
            }
            Vec::new()
        }
        Msg::Resize(w, h) => {
            s.width = w;
            s.height = h;
            Vec::new()
        }
        Msg::Decided { ids, data } => {
            s.busy = None;
            s.data = data;
            let n = ids.len();
            s.undo.push(ids);
            s.marked.clear();
            s.why = None;
            s.refresh_decisions();
            advance_walk(s);
            flash(
                s,
                format!(
                    "recorded {n} decision{} (u undoes; P shows the plan)",
                    if n == 1 { "" } else { "s" }
                ),
                false,
            );
            Vec::new()
        }
        Msg::Undone { ids, data } => {
            s.busy = None;
            s.data = data;
            s.undo
                .retain(|batch| !batch.iter().any(|x| ids.contains(x)));
            s.refresh_decisions();
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
            flash(s, text, false);
            if s.view == View::Plan {
                s.plan_sel = s.plan_sel.min(s.data.plan.len().saturating_sub(1));
            }
            Vec::new()
        }
        Msg::Applied { results, data } => {
            s.busy = None;
            s.applying = None;
            reload_in_place(s, data);
            let ok = results.iter().filter(|r| r.0).count();
            let failed = results.len() - ok;
            s.applied = results;
            s.view = View::Plan;
            flash(
                s,
                format!("applied: {ok} ok, {failed} not applied"),
                failed > 0,
            );
            keep_preview(s)
        }
        Msg::Loaded(data) => {
            s.busy = None;
            s.data = data;
            s.view = View::Main;
            s.applied.clear();
            s.reset_for_data();
            let who = s.data.me.clone();
            flash(s, format!("now acting as {who}"), false);
            keep_preview(s)
        }
        Msg::Reloaded { data, note } => {
            s.busy = None;
            reload_in_place(s, data);
            s.deleg_sel = 0;
            if s.view == View::Rules {
                s.rules = rules_in_scope(s);
                s.rules_sel = s.rules_sel.min(s.rules.len().saturating_sub(1));
            }
            flash(s, note, false);
            keep_preview(s)
        }
        Msg::Failed(e) => {
            s.busy = None;
            // An apply that stopped part way: what finished before stays shown.
            let text = match s.applying.take() {
                Some(a) if !a.steps.is_empty() => {
                    let n = a.steps.len();
                    s.applied = a.steps.into_iter().map(|st| (st.ok, st.result)).collect();
                    format!(
                        "{e} (after {n} of {} changes finished; the plan view lists them)",
                        a.total
                    )
                }
                _ => e,
            };
            flash(s, text, true);
            Vec::new()
        }
        Msg::Opened(data) => {
            s.busy = None;
            let place = s.preview.take().map(|shown| (s.place(), shown));
            s.data = data;
            s.loaded = true;
            s.reset_for_data();
            if let Some((place, shown)) = place {
                s.restore(place);
                flash(
                    s,
                    format!(
                        "loaded: evaluated now (the preview was as of {})",
                        crate::tui::preview::when(shown.evaluated_at, s.now)
                    ),
                    false,
                );
            }
            keep_preview(s)
        }
        Msg::Synced { results, data } => {
            s.busy = None;
            reload_in_place(s, data);
            let failed: Vec<String> = results
                .iter()
                .filter_map(|(name, r)| {
                    r.as_ref()
                        .err()
                        .map(|e| format!("{name} FAILED (its previous data kept): {e}"))
                })
                .collect();
            let text = if failed.is_empty() {
                let ok: Vec<String> = results
                    .iter()
                    .map(|(name, r)| format!("{name}: {}", r.as_deref().unwrap_or("")))
                    .collect();
                format!("synced {}", ok.join("; "))
            } else {
                format!("sync: {}", failed.join("; "))
            };
            flash(s, text, !failed.is_empty());
            keep_preview(s)
        }
        Msg::Progress(text) => {
            if s.busy.is_some() {
                s.busy = Some(match &s.preview {
                    Some(shown) => format!(
                        "{text} (showing your queue as of {})",
                        crate::tui::preview::when(shown.evaluated_at, s.now)
                    ),
                    None => text,
                });
            }
            Vec::new()
        }
        Msg::ApplyStep(step) => {
            if s.busy.is_some()
                && let Some(a) = &mut s.applying
            {
                s.busy = Some(format!(
                    "applying {}/{}: {} {}",
                    step.done,
                    step.total,
                    step.what,
                    if step.ok { "✓" } else { "✗ not applied" }
                ));
                a.total = step.total;
                a.steps.push(step);
            }
            Vec::new()
        }
    }
}

/// New data for the same person (after a sync, an apply, a delegation):
/// everything derived is rebuilt, and the selection stays where it was as
/// far as the new data still has it.
fn reload_in_place(s: &mut State, data: Data) {
    let place = s.place();
    s.data = data;
    s.reset_for_data();
    s.restore(place);
}

/// Asks for what is shown to be kept for the next start (after a full
/// reload; the console keeps it once more when it quits).
pub fn keep_preview(s: &State) -> Vec<Effect> {
    crate::tui::preview::Preview::of(s)
        .map(|p| vec![Effect::KeepPreview(Box::new(p))])
        .unwrap_or_default()
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

fn flash(s: &mut State, text: String, error: bool) {
    s.flash = Some(Flash { text, error });
}

fn on_key(s: &mut State, k: KeyEvent) -> Vec<Effect> {
    let mode = keymap::mode(s);
    let action = keymap::resolve(mode, &k);
    // Text entry takes every key that is not bound in it.
    if action.is_none() && matches!(mode, Mode::Prompt | Mode::Filter | Mode::Picker) {
        match k.code {
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => type_char(s, c),
            KeyCode::Backspace => backspace(s),
            _ => {}
        }
        return Vec::new();
    }
    let Some(action) = action else {
        return Vec::new();
    };
    if !s.loaded && !matches!(action, Action::Quit | Action::Help | Action::Back) {
        return Vec::new();
    }
    if let Some(shown) = &s.preview
        && !works_on_preview(action)
    {
        let at = crate::tui::preview::when(shown.evaluated_at, s.now);
        // Still loading, or the load failed (its error was shown).
        let text = match s.busy {
            Some(_) => format!(
                "a moment: this is your queue as of {at}, shown while the cache loads; decisions open when the fresh evaluation is in"
            ),
            None => format!(
                "the cache did not load (the log has why); this is your queue as of {at}, for reading only; q quits"
            ),
        };
        flash(s, text, s.busy.is_none());
        return Vec::new();
    }
    // The status bar says what is running; a decision waits for it.
    if s.busy.is_some() && waits_for_job(action) && !matches!(mode, Mode::Filter) {
        return Vec::new();
    }
    if !matches!(mode, Mode::Prompt | Mode::Filter | Mode::Picker) {
        s.flash = None;
    }
    act(s, mode, action)
}

fn type_char(s: &mut State, c: char) {
    match &mut s.modal {
        Some(Modal::Prompt(p)) => {
            p.input.push(c);
            p.error = None;
        }
        Some(Modal::Filter) => {
            s.filter.push(c);
            s.queue_sel = 0;
            s.rebuild_queue();
        }
        Some(Modal::Picker(p)) => {
            p.query.push(c);
            p.matches = pick(&s.data.snap, &s.data.me, &p.query);
            p.sel = 0;
        }
        _ => {}
    }
}

/// The roster's active people (not `me`) best matching `query`; at most 200.
pub fn pick(snap: &crate::policy::Snapshot, me: &str, query: &str) -> Vec<usize> {
    use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
    use nucleo_matcher::{Config, Matcher, Utf32Str};
    let people = snap
        .org
        .people
        .iter()
        .enumerate()
        .filter(|(_, p)| p.status == Status::Active && p.id != me);
    if query.trim().is_empty() {
        return people.map(|(i, _)| i).take(200).collect();
    }
    let pattern = Pattern::new(
        query,
        CaseMatching::Ignore,
        Normalization::Smart,
        AtomKind::Fuzzy,
    );
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = people
        .filter_map(|(i, p)| {
            [p.id.as_str(), p.name.as_str(), p.email.as_str()]
                .iter()
                .filter_map(|f| pattern.score(Utf32Str::new(f, &mut buf), &mut matcher))
                .max()
                .map(|sc| (sc, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(200).map(|(_, i)| i).collect()
}

fn backspace(s: &mut State) {
    match &mut s.modal {
        Some(Modal::Prompt(p)) => {
            p.input.pop();
        }
        Some(Modal::Filter) => {
            s.filter.pop();
            s.rebuild_queue();
        }
        Some(Modal::Picker(p)) => {
            p.query.pop();
            p.matches = pick(&s.data.snap, &s.data.me, &p.query);
            p.sel = 0;
        }
        _ => {}
    }
}

fn page(s: &State) -> usize {
    let a = layout::areas(Rect::new(0, 0, s.width, s.height));
    layout::inner_rows(a.queue).max(1)
}

fn act(s: &mut State, mode: Mode, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => {
            s.quit = true;
            return vec![Effect::Quit];
        }
        Action::Help => {
            s.modal = Some(Modal::Help);
            s.help_scroll = 0;
        }
        Action::Back => back(s, mode),
        Action::Up => move_sel(s, mode, -1),
        Action::Down => move_sel(s, mode, 1),
        Action::PageUp => move_sel(s, mode, -(page(s) as isize)),
        Action::PageDown => move_sel(s, mode, page(s) as isize),
        Action::Top => move_sel(s, mode, isize::MIN / 2),
        Action::Bottom => move_sel(s, mode, isize::MAX / 2),
        Action::NextPane | Action::PrevPane => {
            let order = [Pane::Tree, Pane::Queue, Pane::Card];
            let i = order.iter().position(|p| *p == s.focus).unwrap_or(1);
            let step = if action == Action::NextPane { 1 } else { 2 };
            s.focus = order[(i + step) % 3];
        }
        Action::Expand | Action::Collapse => {
            if let Some(n) = s.tree.get(s.tree_sel).cloned() {
                let key = match n.key {
                    NodeKey::Area(a) => Some((true, a)),
                    NodeKey::Team(t) => Some((false, t)),
                    NodeKey::All => None,
                };
                if let Some(key) = key {
                    if action == Action::Expand {
                        s.expanded.insert(key);
                    } else if !s.expanded.remove(&key) {
                        // Already closed: go to the parent row.
                        if let Some(p) = (0..s.tree_sel).rev().find(|&i| s.tree[i].depth < n.depth)
                        {
                            s.tree_sel = p;
                            s.queue_sel = 0;
                            s.rebuild_queue();
                        }
                    }
                    s.rebuild_tree();
                }
            }
        }
        Action::SwitchTab => {
            s.tab = match s.tab {
                TreeTab::Areas => TreeTab::Teams,
                TreeTab::Teams => TreeTab::Areas,
            };
            s.tree_sel = 0;
            s.queue_sel = 0;
            s.rebuild_tree();
            s.rebuild_queue();
        }
        Action::Filter => {
            s.modal = Some(Modal::Filter);
            s.focus = Pane::Queue;
        }
        Action::Kind(k) => {
            s.kind_filter = k;
            s.queue_sel = 0;
            s.rebuild_queue();
        }
        Action::Mark => {
            if let Some(i) = s.queue.get(s.queue_sel).copied() {
                if !s.marked.remove(&i) {
                    s.marked.insert(i);
                }
                move_sel(s, Mode::Queue, 1);
            }
        }
        Action::Walk => start_walk(s),
        Action::Next => step_walk(s, 1),
        Action::Prev => step_walk(s, -1),
        Action::Accept if mode == Mode::Rotations => accept_readiness(s),
        Action::Accept => propose(s, Verdict::Accept),
        Action::Revoke => propose(s, Verdict::Revoke),
        Action::Dismiss => {
            let t = targets(s);
            if !t.is_empty() && check_authority(s, &t) {
                s.modal = Some(Modal::Prompt(Prompt {
                    label: format!(
                        "Why dismiss {}? (kept in the audit log)",
                        count_label(&t, s)
                    ),
                    input: String::new(),
                    purpose: PromptFor::Dismiss(t),
                    error: None,
                }));
            }
        }
        Action::Snooze => {
            let t = targets(s);
            if !t.is_empty() && check_authority(s, &t) {
                s.modal = Some(Modal::Snooze(t));
            }
        }
        Action::Preset(n) => {
            if let Some(Modal::Snooze(t)) = s.modal.take() {
                let days = match n {
                    1 => Some(1),
                    2 => Some(7),
                    3 => Some(14),
                    _ => None,
                };
                match days {
                    Some(d) => {
                        let until = s.now + Duration::days(d);
                        return decide(s, &t, Verdict::Snooze, None, Some(until));
                    }
                    None => {
                        s.modal = Some(Modal::Prompt(Prompt {
                            label: format!(
                                "Snooze until ({}, 3d, 2w):",
                                (s.now + Duration::days(30)).format("%Y-%m-%d")
                            ),
                            input: String::new(),
                            purpose: PromptFor::SnoozeUntil(t),
                            error: None,
                        }))
                    }
                }
            }
        }
        Action::Submit => return submit(s),
        Action::Yes => {
            if let Some(Modal::Confirm(c)) = s.modal.take() {
                s.busy = Some(match &c.effect {
                    Effect::Apply => {
                        s.applied.clear();
                        s.applying = Some(Applying {
                            total: s.data.plan.len(),
                            steps: Vec::new(),
                        });
                        format!(
                            "applying {} change{} upstream…",
                            s.data.plan.len(),
                            if s.data.plan.len() == 1 { "" } else { "s" }
                        )
                    }
                    _ => "recording…".into(),
                });
                return vec![c.effect];
            }
        }
        Action::No => match s.modal.take() {
            Some(Modal::Filter) => {
                s.filter.clear();
                s.rebuild_queue();
            }
            Some(_) => flash(s, "cancelled; nothing recorded".into(), false),
            None => {}
        },
        Action::Undo if mode == Mode::Plan => match s.data.plan.get(s.plan_sel) {
            Some(c) => {
                s.busy = Some("undoing…".into());
                return vec![Effect::Undo(vec![c.decision])];
            }
            None => flash(s, "nothing planned to undo".into(), true),
        },
        Action::Undo => {
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
            match s.undo.last().cloned().or(mine.map(|id| vec![id])) {
                Some(ids) => {
                    s.busy = Some("undoing…".into());
                    return vec![Effect::Undo(ids)];
                }
                None => flash(s, "nothing to undo".into(), true),
            }
        }
        Action::Why => {
            if let Some(i) = s.current() {
                if s.why.as_ref().is_some_and(|w| w.0 == i) {
                    s.why = None;
                } else {
                    let sug = &s.data.suggestions[i];
                    let text = crate::policy::explain::why(
                        &s.data.snap,
                        &sug.person,
                        &sug.entitlement,
                        s.now,
                    )
                    .unwrap_or_else(|e| e.to_string());
                    s.why = Some((i, text.lines().map(str::to_string).collect()));
                }
            }
        }
        Action::Sync => {
            s.busy = Some("syncing…".into());
            return vec![Effect::Sync];
        }
        Action::ViewPlan => s.view = View::Plan,
        Action::ViewAudit => s.view = View::Audit,
        Action::ViewRotations => s.view = View::Rotations,
        Action::Apply => {
            s.view = View::Plan;
            if s.data.plan.is_empty() {
                flash(
                    s,
                    "nothing to apply: accept a suggestion first".into(),
                    true,
                );
            } else {
                let lines = s
                    .data
                    .plan
                    .iter()
                    .map(|c| format!("#{} {}", c.decision, c.describe()))
                    .collect();
                s.modal = Some(Modal::Confirm(Confirm {
                    title: format!(
                        "Apply {} change{} upstream?",
                        s.data.plan.len(),
                        if s.data.plan.len() == 1 { "" } else { "s" }
                    ),
                    lines,
                    effect: Effect::Apply,
                }));
            }
        }
        Action::Persona => {
            if s.personas.is_empty() {
                flash(
                    s,
                    "persona switch is for the demo; elsewhere start with --as PERSON".into(),
                    true,
                );
            } else {
                let i = s
                    .personas
                    .iter()
                    .position(|p| *p == s.data.me)
                    .map_or(0, |i| (i + 1) % s.personas.len());
                let next = s.personas[i].clone();
                s.busy = Some(format!("loading as {next}…"));
                return vec![Effect::SwitchPersona(next)];
            }
        }
        Action::Delegate => delegate(s),
        Action::ViewDelegations => {
            s.view = View::Delegations;
            s.deleg_sel = 0;
        }
        Action::EndDelegation => end_delegation(s),
        Action::ViewRules => {
            s.rules = rules_in_scope(s);
            s.rules_sel = s.rules_sel.min(s.rules.len().saturating_sub(1));
            s.view = View::Rules;
        }
        Action::RemoveRule => remove_rule(s),
    }
    Vec::new()
}

fn back(s: &mut State, mode: Mode) {
    match mode {
        Mode::Help => s.modal = None,
        Mode::Walk => {
            let done = s.walk.as_ref().map_or(0, |w| {
                w.items
                    .iter()
                    .filter(|&&i| s.standing[i] != Standing::Pending)
                    .count()
            });
            s.walk = None;
            s.why = None;
            flash(s, format!("left the walkthrough ({done} decided)"), false);
        }
        Mode::Plan | Mode::Audit | Mode::Rotations | Mode::Delegations | Mode::Rules => {
            s.view = View::Main
        }
        _ => {
            s.filter.clear();
            s.kind_filter = None;
            s.marked.clear();
            s.rebuild_queue();
        }
    }
}

fn clamp_step(cur: usize, len: usize, by: isize) -> usize {
    if len == 0 {
        return 0;
    }
    (cur as isize).saturating_add(by).clamp(0, len as isize - 1) as usize
}

fn move_sel(s: &mut State, mode: Mode, by: isize) {
    match mode {
        Mode::Tree => {
            let n = clamp_step(s.tree_sel, s.tree.len(), by);
            if n != s.tree_sel {
                s.tree_sel = n;
                s.queue_sel = 0;
                s.rebuild_queue();
            }
        }
        Mode::Queue => {
            s.queue_sel = clamp_step(s.queue_sel, s.queue.len(), by);
            s.card_scroll = 0;
            s.why = None;
        }
        Mode::Card | Mode::Walk => {
            s.card_scroll = (s.card_scroll as isize + by).clamp(0, 500) as u16;
        }
        // Stopped where its last line reaches the bottom, as drawn (the
        // keys of the view beneath, a blank line and a note; two borders).
        Mode::Help => {
            let total = keymap::bindings(keymap::base_mode(s)).count() + 2;
            let rows = (total + 2).min(s.height as usize).saturating_sub(2);
            let max = total.saturating_sub(rows) as isize;
            s.help_scroll = (s.help_scroll as isize + by).clamp(0, max) as u16;
        }
        Mode::Plan => s.plan_sel = clamp_step(s.plan_sel, s.data.plan.len(), by),
        Mode::Audit => s.audit_sel = clamp_step(s.audit_sel, s.data.audit.len(), by),
        Mode::Rotations => s.rot_sel = clamp_step(s.rot_sel, s.readiness.len(), by),
        Mode::Delegations => s.deleg_sel = clamp_step(s.deleg_sel, given_delegations(s).len(), by),
        Mode::Rules => s.rules_sel = clamp_step(s.rules_sel, s.rules.len(), by),
        Mode::Picker => {
            if let Some(Modal::Picker(p)) = &mut s.modal {
                p.sel = clamp_step(p.sel, p.matches.len(), by);
            }
        }
        _ => {}
    }
}

fn start_walk(s: &mut State) {
    let (items, title, pos) = match s.focus {
        Pane::Queue => (s.queue.clone(), node_title(s), s.queue_sel),
        _ => {
            let node = s.selected_node();
            (s.pending_under(node), node_title(s), 0)
        }
    };
    if items.is_empty() {
        flash(s, "nothing to decide here".into(), false);
        return;
    }
    let pos = pos.min(items.len() - 1);
    s.walk = Some(Walk { title, items, pos });
    s.card_scroll = 0;
    s.why = None;
}

fn node_title(s: &State) -> String {
    match s.selected_node() {
        NodeKey::All => match s.tab {
            TreeTab::Areas => "everything in scope".into(),
            TreeTab::Teams => "all teams I lead".into(),
        },
        NodeKey::Area(a) => format!("area {}", s.data.snap.org.areas[a].id),
        NodeKey::Team(t) => format!("team {}", s.data.snap.org.teams[t].id),
    }
}

fn step_walk(s: &mut State, by: isize) {
    let Some(w) = &mut s.walk else {
        return;
    };
    let to = clamp_step(w.pos, w.items.len(), by);
    let n = w.items.len();
    if to == w.pos {
        let text = match by > 0 {
            true => format!("last card ({n}/{n}); p goes back, Esc leaves"),
            false => format!("first card (1/{n}); n goes on, Esc leaves"),
        };
        flash(s, text, false);
        return;
    }
    w.pos = to;
    s.card_scroll = 0;
    s.why = None;
}

/// After a decision in a walkthrough: on to the next card still pending.
fn advance_walk(s: &mut State) {
    let Some(w) = &mut s.walk else {
        return;
    };
    let n = w.items.len();
    let next = (1..=n)
        .map(|k| (w.pos + k) % n)
        .find(|&i| s.standing[w.items[i]] == Standing::Pending);
    match next {
        Some(i) => w.pos = i,
        None => {
            let title = w.title.clone();
            s.walk = None;
            s.flash = Some(Flash {
                text: format!("walkthrough of {title} done: all {n} decided"),
                error: false,
            });
        }
    }
    s.card_scroll = 0;
}

/// What a decision key acts on: the walkthrough's card, else the marked
/// suggestions, else the selected one. Only pending ones.
fn targets(s: &State) -> Vec<usize> {
    let t: Vec<usize> = match (&s.walk, s.marked.is_empty()) {
        (Some(_), _) | (None, true) => s.current().into_iter().collect(),
        (None, false) => s.marked.iter().copied().collect(),
    };
    t.into_iter()
        .filter(|&i| s.standing.get(i) == Some(&Standing::Pending))
        .collect()
}

fn count_label(t: &[usize], s: &State) -> String {
    match t {
        [i] => {
            let x = &s.data.suggestions[*i];
            format!("{} {} {}", x.kind.as_str(), x.person, x.entitlement)
        }
        _ => format!("{} suggestions", t.len()),
    }
}

/// Refuses, with the reason shown, where `me` has no authority.
fn check_authority(s: &mut State, t: &[usize]) -> bool {
    let snap = s.data.snap.clone();
    for &i in t {
        let sug = &s.data.suggestions[i];
        let ok = snap
            .area_idx(&sug.area)
            .is_some_and(|a| authority(&snap, &s.data.me, a, s.now).is_some());
        if !ok {
            let owner = snap.area(&sug.area).map_or("nobody", |a| a.owner.as_str());
            let text = format!(
                "refused: {} has no authority over area {} (owner {owner}; neither owner nor delegate of it or an ancestor)",
                s.data.me, sug.area
            );
            flash(s, text, true);
            return false;
        }
    }
    true
}

fn propose(s: &mut State, verdict: Verdict) {
    let t = targets(s);
    if t.is_empty() {
        flash(s, "nothing selected to decide".into(), true);
        return;
    }
    if verdict == Verdict::Revoke
        && t.iter()
            .any(|&i| s.data.suggestions[i].kind != Kind::Review)
    {
        flash(
            s,
            "r revokes a grant under review; for a grant or revoke suggestion press a".into(),
            true,
        );
        return;
    }
    if !check_authority(s, &t) {
        return;
    }
    let snap = s.data.snap.clone();
    let mut lines = Vec::new();
    let mut news = Vec::new();
    for &i in &t {
        let sug = s.data.suggestions[i].clone();
        let new = NewDecision {
            verdict,
            suggestion: sug.clone(),
            note: None,
            until: None,
        };
        let probe = Decision {
            id: 0,
            at: s.now,
            decider: s.data.me.clone(),
            verdict,
            suggestion: sug.clone(),
            note: None,
            until: None,
            state: DecisionState::Planned,
            applied_at: None,
            result: None,
        };
        let what = match (sug.kind, verdict) {
            (Kind::Review, Verdict::Accept) => "keep",
            (Kind::Review, _) => "revoke",
            (k, _) => k.as_str(),
        };
        lines.push(format!(
            "{what} {} {} ({})",
            sug.person,
            sug.entitlement,
            sug.reason.as_str()
        ));
        lines.push(format!("  -> {}", change_of(&probe, &snap).describe()));
        if let Some(a) = snap.area(&sug.area)
            && !a.tags.is_empty()
        {
            lines.push(format!(
                "  area {} is tagged {}",
                a.id,
                a.tags.join(", ").to_uppercase()
            ));
        }
        news.push(new);
    }
    lines.push(String::new());
    lines.push("Recorded now as planned; nothing changes upstream until you apply (A).".into());
    s.modal = Some(Modal::Confirm(Confirm {
        title: format!(
            "{} {}?",
            if verdict == Verdict::Revoke {
                "Revoke"
            } else {
                "Accept"
            },
            count_label(&t, s)
        ),
        lines,
        effect: Effect::Decide(news),
    }));
}

fn decide(
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
    s.busy = Some("recording…".into());
    vec![Effect::Decide(news)]
}

fn submit(s: &mut State) -> Vec<Effect> {
    match s.modal.take() {
        Some(Modal::Filter) => {
            s.focus = Pane::Queue;
            Vec::new()
        }
        Some(Modal::Picker(p)) => {
            match p.matches.get(p.sel) {
                Some(&who) => {
                    let to = s.data.snap.org.people[who].id.clone();
                    let area = &s.data.snap.org.areas[p.area].id;
                    let example = (s.now + Duration::days(90)).format("%Y-%m-%d");
                    s.modal = Some(Modal::Prompt(Prompt {
                        label: format!(
                            "Delegate {area} to {to} until (empty: no end; {example}, 2w):"
                        ),
                        input: String::new(),
                        purpose: PromptFor::DelegateUntil { area: p.area, to },
                        error: None,
                    }));
                }
                None => s.modal = Some(Modal::Picker(p)),
            }
            Vec::new()
        }
        Some(Modal::Prompt(mut p)) => {
            let input = p.input.trim().to_string();
            match p.purpose.clone() {
                PromptFor::Dismiss(t) => {
                    if input.is_empty() {
                        p.error = Some("a reason is required to dismiss".into());
                        s.modal = Some(Modal::Prompt(p));
                        return Vec::new();
                    }
                    decide(s, &t, Verdict::Dismiss, Some(input), None)
                }
                PromptFor::RemoveRule(id) => {
                    let reason = (!input.is_empty()).then_some(input);
                    s.modal = Some(Modal::Confirm(Confirm {
                        title: format!("Remove rule {id}?"),
                        lines: vec![
                            "What it alone justified turns into revoke suggestions; nothing changes upstream until you decide and apply.".into(),
                            match &reason {
                                Some(r) => format!("Recorded in the audit log with the rule as it was, and why: {r}"),
                                None => "Recorded in the audit log with the rule as it was.".into(),
                            },
                        ],
                        effect: Effect::RemoveRule { id, reason },
                    }));
                    Vec::new()
                }
                PromptFor::DelegateUntil { area, to } => {
                    let until = if input.is_empty() {
                        None
                    } else {
                        match crate::time::parse_until(&input, s.now) {
                            Ok(u) if u > s.now => Some(u),
                            Ok(_) => {
                                p.error = Some("that is not in the future".into());
                                s.modal = Some(Modal::Prompt(p));
                                return Vec::new();
                            }
                            Err(e) => {
                                p.error = Some(e.to_string());
                                s.modal = Some(Modal::Prompt(p));
                                return Vec::new();
                            }
                        }
                    };
                    confirm_delegation(s, area, to, until);
                    Vec::new()
                }
                PromptFor::SnoozeUntil(t) => match crate::time::parse_until(&input, s.now) {
                    Ok(until) if until > s.now => decide(s, &t, Verdict::Snooze, None, Some(until)),
                    Ok(_) => {
                        p.error = Some("that is not in the future".into());
                        s.modal = Some(Modal::Prompt(p));
                        Vec::new()
                    }
                    Err(e) => {
                        p.error = Some(e.to_string());
                        s.modal = Some(Modal::Prompt(p));
                        Vec::new()
                    }
                },
            }
        }
        other => {
            s.modal = other;
            Vec::new()
        }
    }
}

fn accept_readiness(s: &mut State) {
    let Some(r) = s.readiness.get(s.rot_sel).cloned() else {
        flash(s, "no readiness gap selected".into(), true);
        return;
    };
    match s.ready.get(s.rot_sel).copied().unwrap_or(Ready::NotYet) {
        Ready::Pending(i) => {
            s.marked.clear();
            s.walk = Some(Walk {
                title: format!("readiness {}", r.rotation),
                items: vec![i],
                pos: 0,
            });
            propose(s, Verdict::Accept);
            s.walk = None;
        }
        Ready::Decided(Verdict::Accept) => flash(
            s,
            format!(
                "already accepted: {} {} is in the plan (P), A applies it",
                r.person, r.entitlement
            ),
            false,
        ),
        Ready::Decided(v) => flash(
            s,
            format!(
                "already decided ({}): {} {}; u in the queue or plan takes it back",
                v.as_str(),
                r.person,
                r.entitlement
            ),
            false,
        ),
        Ready::NotYet => flash(
            s,
            format!(
                "not suggested yet: rule {} gives {} to {} only from the shift at {}; it will appear then",
                r.rule,
                r.entitlement,
                r.person,
                crate::policy::minute(r.shift_start)
            ),
            true,
        ),
    }
}

fn delegate(s: &mut State) {
    let NodeKey::Area(a) = s.selected_node() else {
        flash(
            s,
            "select an area in the tree (Shift-Tab to it) to delegate its subtree".into(),
            true,
        );
        return;
    };
    let snap = s.data.snap.clone();
    if authority(&snap, &s.data.me, a, s.now).is_none() {
        let text = format!(
            "refused: {} has no authority over area {} (owner {}); nothing to delegate",
            s.data.me, snap.org.areas[a].id, snap.org.areas[a].owner
        );
        flash(s, text, true);
        return;
    }
    s.modal = Some(Modal::Picker(Picker {
        area: a,
        query: String::new(),
        matches: pick(&snap, &s.data.me, ""),
        sel: 0,
    }));
}

fn confirm_delegation(s: &mut State, area: usize, to: String, until: Option<Time>) {
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
            "Note: {about_them} of them are about {to}'s own access; they could decide those for themselves."
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
    s.modal = Some(Modal::Confirm(Confirm {
        title: format!("Delegate {id} to {to}?"),
        lines,
        effect: Effect::Delegate(Delegation {
            area: id,
            to,
            by: s.data.me.clone(),
            since: s.now,
            until,
        }),
    }));
}

/// The rules whose area is in scope, with whether each counts now and why not.
pub fn rules_in_scope(s: &State) -> Vec<RuleRow> {
    let snap = &s.data.snap;
    let source_of: std::collections::HashMap<&str, &str> = s
        .data
        .rule_sources
        .iter()
        .map(|(id, src)| (id.as_str(), src.as_str()))
        .collect();
    crate::policy::explain::rule_statuses(snap, s.now)
        .into_iter()
        .filter(|r| {
            snap.area_idx(&r.area)
                .is_some_and(|a| s.data.scope.contains(a))
        })
        .map(|status| RuleRow {
            source: source_of
                .get(status.id.as_str())
                .map_or("?".to_string(), |x| x.to_string()),
            why: snap
                .rule(&status.id)
                .map(|r| r.why.clone())
                .unwrap_or_default(),
            status,
        })
        .collect()
}

fn remove_rule(s: &mut State) {
    let Some(row) = s.rules.get(s.rules_sel).cloned() else {
        flash(s, "no rule selected".into(), true);
        return;
    };
    if row.source != crate::store::LOCAL_SOURCE {
        let text = format!(
            "rule {} comes from source {}: it is read-only here; change it there and sync (R)",
            row.status.id, row.source
        );
        flash(s, text, true);
        return;
    }
    let snap = s.data.snap.clone();
    let ok = snap
        .area_idx(&row.status.area)
        .is_some_and(|a| authority(&snap, &s.data.me, a, s.now).is_some());
    if !ok {
        let text = format!(
            "refused: {} has no authority over area {}, so cannot remove its rules",
            s.data.me, row.status.area
        );
        flash(s, text, true);
        return;
    }
    s.modal = Some(Modal::Prompt(Prompt {
        label: format!(
            "Why remove rule {}? (optional; kept in the audit log)",
            row.status.id
        ),
        input: String::new(),
        purpose: PromptFor::RemoveRule(row.status.id),
        error: None,
    }));
}

/// Delegations `me` gave that are active now or start later: the local id
/// (revocable here) or none (from a source).
pub fn given_delegations(s: &State) -> Vec<(Option<i64>, Delegation)> {
    let me = &s.data.me;
    let live = |d: &Delegation| d.by == *me && d.until.is_none_or(|u| u > s.now);
    let mut out: Vec<(Option<i64>, Delegation)> = s
        .data
        .local_delegations
        .iter()
        .filter(|l| live(&l.delegation))
        .map(|l| (Some(l.id), l.delegation.clone()))
        .collect();
    for d in &s.data.snap.org.delegations {
        if live(d) && !out.iter().any(|(_, x)| x == d) {
            out.push((None, d.clone()));
        }
    }
    out
}

fn end_delegation(s: &mut State) {
    let given = given_delegations(s);
    match given.get(s.deleg_sel) {
        None => flash(s, "no delegation selected".into(), true),
        Some((None, d)) => {
            let text = format!(
                "the delegation of {} to {} comes from a source (delegations.toml); end it there and sync",
                d.area, d.to
            );
            flash(s, text, true);
        }
        Some((Some(id), d)) => {
            s.modal = Some(Modal::Confirm(Confirm {
                title: format!("End the delegation of {} to {}?", d.area, d.to),
                lines: vec![
                    format!(
                        "{} loses the authority over {} and its subtree that this delegation gave, from now.",
                        d.to, d.area
                    ),
                    "Their decisions so far stay; rules they wrote there stop counting unless they have authority otherwise.".into(),
                ],
                effect: Effect::EndDelegation(*id),
            }));
        }
    }
}

fn on_mouse(s: &mut State, m: MouseEvent) {
    if s.modal.is_some() || s.view != View::Main {
        if s.view != View::Main && s.modal.is_none() {
            let mode = keymap::mode(s);
            match m.kind {
                MouseEventKind::ScrollDown => move_sel(s, mode, 1),
                MouseEventKind::ScrollUp => move_sel(s, mode, -1),
                _ => {}
            }
        }
        return;
    }
    let a = layout::areas(Rect::new(0, 0, s.width, s.height));
    let pos = Position::new(m.column, m.row);
    let pane = if s.walk.is_some() {
        a.body.contains(pos).then_some(Pane::Card)
    } else if a.tree.contains(pos) {
        Some(Pane::Tree)
    } else if a.queue.contains(pos) {
        Some(Pane::Queue)
    } else if a.card.contains(pos) {
        Some(Pane::Card)
    } else {
        None
    };
    let Some(pane) = pane else {
        return;
    };
    let mode = match (pane, s.walk.is_some()) {
        (_, true) => Mode::Walk,
        (Pane::Tree, _) => Mode::Tree,
        (Pane::Queue, _) => Mode::Queue,
        (Pane::Card, _) => Mode::Card,
    };
    match m.kind {
        MouseEventKind::ScrollDown => move_sel(s, mode, 1),
        MouseEventKind::ScrollUp => move_sel(s, mode, -1),
        MouseEventKind::Down(_) => {
            if s.walk.is_some() {
                return;
            }
            s.focus = pane;
            let rect = match pane {
                Pane::Tree => a.tree,
                Pane::Queue => a.queue,
                Pane::Card => return,
            };
            // Rows start below the border (and the tab line / column header).
            let first = rect.y + 2;
            if m.row < first {
                return;
            }
            let visible = layout::inner_rows(rect).saturating_sub(1);
            let (sel, len) = match pane {
                Pane::Tree => (s.tree_sel, s.tree.len()),
                _ => (s.queue_sel, s.queue.len()),
            };
            let row = layout::offset(sel, len, visible) + (m.row - first) as usize;
            if row < len {
                let by = row as isize - sel as isize;
                move_sel(s, mode, by);
            }
        }
        _ => {}
    }
}
