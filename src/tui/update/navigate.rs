//! Moving around: the selection in each list, panes, the tree's rows and
//! tabs, marks, walkthroughs, and the way back out (Esc).

use super::super::derive::{Ready, Standing};
use super::super::keymap::{Action, Mode};
use super::super::layout;
use super::super::state::{Flash, State};
use super::super::ui::{Modal, NodeKey, Pane, TreeTab, View, Walk};

/// Esc: close help, leave a walkthrough or a view, else clear the queue's
/// filters and marks.
pub fn back(s: &mut State, mode: Mode) {
    match mode {
        Mode::Help | Mode::Messages => s.ui.modal = None,
        Mode::Walk => {
            let done = s.ui.walk.as_ref().map_or(0, |w| {
                w.items
                    .iter()
                    .filter(|&&i| s.derived.standing[i] != Standing::Pending)
                    .count()
            });
            s.ui.walk = None;
            s.ui.why = None;
            s.say(format!("left the walkthrough ({done} decided)"), false);
        }
        Mode::Plan
        | Mode::Audit
        | Mode::Rotations
        | Mode::Delegations
        | Mode::Rules
        | Mode::Automatic => s.ui.view = View::Main,
        _ => {
            s.ui.filter.clear();
            s.ui.kind_filter = None;
            s.ui.marked.clear();
            s.ui.card_scroll = 0;
        }
    }
}

/// Up, down, a page, to the top or the bottom, in the list of `mode`.
pub fn step(s: &mut State, mode: Mode, action: Action) {
    let by = match action {
        Action::Up => -1,
        Action::Down => 1,
        Action::PageUp => -(page(s) as isize),
        Action::PageDown => page(s) as isize,
        Action::Top => isize::MIN / 2,
        _ => isize::MAX / 2,
    };
    move_sel(s, mode, by);
}

/// The queue's rows on screen: what a page moves.
fn page(s: &State) -> usize {
    let a = layout::of(s);
    layout::inner_rows(a.queue).max(1)
}

fn clamp_step(cur: usize, len: usize, by: isize) -> usize {
    if len == 0 {
        return 0;
    }
    (cur as isize).saturating_add(by).clamp(0, len as isize - 1) as usize
}

pub fn move_sel(s: &mut State, mode: Mode, by: isize) {
    let (ui, d) = (&mut s.ui, &s.derived);
    match mode {
        Mode::Tree => {
            let n = clamp_step(ui.tree_sel, d.tree.len(), by);
            if n != ui.tree_sel {
                ui.tree_sel = n;
                ui.queue_sel = 0;
            }
        }
        Mode::Queue => {
            ui.queue_sel = clamp_step(ui.queue_sel, d.queue.len(), by);
            ui.card_scroll = 0;
            ui.why = None;
        }
        // Stopped where the card's last line reaches the pane's bottom.
        Mode::Card | Mode::Walk => {
            let max = crate::tui::view::card::max_scroll(s) as isize;
            s.ui.card_scroll = (s.ui.card_scroll as isize + by).clamp(0, max) as u16;
        }
        // Stopped where its last line reaches the bottom, as drawn.
        Mode::Help => {
            let max = crate::tui::view::help::max_scroll(ui) as isize;
            ui.help_scroll = (ui.help_scroll as isize + by).clamp(0, max) as u16;
        }
        Mode::Messages => {
            let max = crate::tui::view::messages::max_scroll(s) as isize;
            s.ui.help_scroll = (s.ui.help_scroll as isize + by).clamp(0, max) as u16;
        }
        Mode::Plan => ui.plan_sel = clamp_step(ui.plan_sel, s.data.plan.len(), by),
        Mode::Audit => ui.audit_sel = clamp_step(ui.audit_sel, s.data.audit.len(), by),
        Mode::Rotations => ui.rot_sel = clamp_step(ui.rot_sel, d.readiness.len(), by),
        Mode::Delegations => {
            let n = crate::tui::derive::queries::given_delegations(&s.data, s.now).len();
            ui.deleg_sel = clamp_step(ui.deleg_sel, n, by)
        }
        Mode::Rules => ui.rules_sel = clamp_step(ui.rules_sel, d.rules.len(), by),
        Mode::Automatic => {
            let n = s.data.automatic.applied.len();
            ui.auto_sel = clamp_step(ui.auto_sel, n, by)
        }
        Mode::Picker => {
            if let Some(Modal::Picker(p)) = &mut ui.modal {
                p.sel = clamp_step(p.sel, d.picks.len(), by);
            }
        }
        _ => {}
    }
}

/// Tab and Shift-Tab: the next or previous pane.
pub fn cycle_pane(s: &mut State, forward: bool) {
    let order = [Pane::Tree, Pane::Queue, Pane::Card];
    let i = order.iter().position(|p| *p == s.ui.focus).unwrap_or(1);
    let step = if forward { 1 } else { 2 };
    s.ui.focus = order[(i + step) % 3];
}

/// Opens or closes the selected tree row; closing a closed one goes to
/// its parent.
pub fn expand(s: &mut State, open: bool) {
    let Some(n) = s.derived.tree.get(s.ui.tree_sel).cloned() else {
        return;
    };
    if n.key == NodeKey::All {
        return;
    }
    if open {
        s.ui.expanded.insert(n.key);
    } else if !s.ui.expanded.remove(&n.key)
        && let Some(p) = (0..s.ui.tree_sel)
            .rev()
            .find(|&i| s.derived.tree[i].depth < n.depth)
    {
        s.ui.tree_sel = p;
        s.ui.queue_sel = 0;
    }
}

/// Areas in scope, or teams led.
pub fn switch_tab(s: &mut State) {
    s.ui.tab = match s.ui.tab {
        TreeTab::Areas => TreeTab::Teams,
        TreeTab::Teams => TreeTab::Areas,
    };
    s.ui.tree_sel = 0;
    s.ui.queue_sel = 0;
}

/// Space: marks (or unmarks) the selected row for a bulk decision; the
/// selection stays (j moves on), and the status bar says what is marked.
pub fn mark(s: &mut State) {
    if let Some(i) = s.derived.queue.get(s.ui.queue_sel).copied() {
        toggle_mark(s, i, "a, x or s decides all marked together");
    }
}

/// Space in the rotations view: marks the selected readiness gap's grant
/// (the same marks as the queue's), or says why it cannot be marked.
pub fn mark_readiness(s: &mut State) {
    let Some(r) = s.derived.readiness.get(s.ui.rot_sel) else {
        s.say("no readiness gap selected", true);
        return;
    };
    let text = match s.derived.ready.get(s.ui.rot_sel) {
        Some(Ready::Pending(i)) => {
            let i = *i;
            toggle_mark(s, i, "a accepts all marked together");
            return;
        }
        Some(Ready::Decided(v)) => format!(
            "{} {} is decided already ({}): nothing to mark",
            r.person,
            r.entitlement,
            v.as_str()
        ),
        Some(Ready::NotYet) | None => format!(
            "nothing to mark yet: rule {} gives {} to {} only from the shift on; it is suggested then",
            r.rule, r.entitlement, r.person
        ),
    };
    s.say(text, true);
}

/// Marks suggestion `i`, or unmarks it if marked, and says so.
fn toggle_mark(s: &mut State, i: usize, then: &str) {
    let marked = !s.ui.marked.remove(&i);
    if marked {
        s.ui.marked.insert(i);
    }
    let x = &s.data.suggestions[i];
    let text = format!(
        "{} {} {} {}; {} marked: {then}, Esc clears the marks",
        if marked { "marked" } else { "unmarked" },
        x.kind.as_str(),
        x.person,
        x.entitlement,
        s.ui.marked.len()
    );
    s.say(text, false);
}

/// Enter: a walkthrough of the queue (from its selected row), or of the
/// selected node's pending suggestions.
pub fn start_walk(s: &mut State) {
    let (items, pos) = match s.ui.focus {
        Pane::Queue => (s.derived.queue.clone(), s.ui.queue_sel),
        _ => (s.pending_under(s.selected_node()), 0),
    };
    if items.is_empty() {
        s.say("nothing to decide here", false);
        return;
    }
    let pos = pos.min(items.len() - 1);
    let title = node_title(s);
    s.ui.walk = Some(Walk { title, items, pos });
    s.ui.card_scroll = 0;
    s.ui.why = None;
}

fn node_title(s: &State) -> String {
    match s.selected_node() {
        NodeKey::All => match s.ui.tab {
            TreeTab::Areas => "everything in scope".into(),
            TreeTab::Teams => "all teams I lead".into(),
        },
        NodeKey::Area(a) => format!("area {}", s.data.snap.org.areas[a].id),
        NodeKey::Team(t) => format!("team {}", s.data.snap.org.teams[t].id),
    }
}

pub fn step_walk(s: &mut State, by: isize) {
    let Some(w) = &mut s.ui.walk else {
        return;
    };
    let to = clamp_step(w.pos, w.items.len(), by);
    let n = w.items.len();
    if to == w.pos {
        let text = match by > 0 {
            true => format!("last card ({n}/{n}); p goes back, Esc leaves"),
            false => format!("first card (1/{n}); n goes on, Esc leaves"),
        };
        s.say(text, false);
        return;
    }
    w.pos = to;
    s.ui.card_scroll = 0;
    s.ui.why = None;
}

/// After a decision in a walkthrough: on to the next card still pending
/// (the standing derived from the new decisions).
pub fn advance_walk(s: &mut State) {
    let Some(w) = &mut s.ui.walk else {
        return;
    };
    let n = w.items.len();
    let next = (1..=n)
        .map(|k| (w.pos + k) % n)
        .find(|&i| s.derived.standing[w.items[i]] == Standing::Pending);
    match next {
        Some(i) => w.pos = i,
        None => {
            let title = w.title.clone();
            s.ui.walk = None;
            s.status.flash = Some(Flash {
                text: format!("walkthrough of {title} done: all {n} decided"),
                error: false,
            });
        }
    }
    s.ui.card_scroll = 0;
}
