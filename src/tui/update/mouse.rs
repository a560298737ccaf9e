//! The mouse: the wheel scrolls what is under it, a click selects a row
//! and focuses its pane.

use super::super::keymap::{self, Mode};
use super::super::layout;
use super::super::state::State;
use super::super::ui::{Pane, View};
use super::navigate::move_sel;
use ratatui::crossterm::event::{MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

pub fn on_mouse(s: &mut State, m: MouseEvent) {
    if s.ui.modal.is_some() || s.ui.view != View::Main {
        if s.ui.view != View::Main && s.ui.modal.is_none() {
            let mode = keymap::mode(&s.ui);
            match m.kind {
                MouseEventKind::ScrollDown => move_sel(s, mode, 1),
                MouseEventKind::ScrollUp => move_sel(s, mode, -1),
                _ => {}
            }
        }
        return;
    }
    let a = layout::of(s);
    let pos = Position::new(m.column, m.row);
    let pane = if s.ui.walk.is_some() {
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
    let mode = match (pane, s.ui.walk.is_some()) {
        (_, true) => Mode::Walk,
        (Pane::Tree, _) => Mode::Tree,
        (Pane::Queue, _) => Mode::Queue,
        (Pane::Card, _) => Mode::Card,
    };
    match m.kind {
        MouseEventKind::ScrollDown => move_sel(s, mode, 1),
        MouseEventKind::ScrollUp => move_sel(s, mode, -1),
        MouseEventKind::Down(_) if s.ui.walk.is_none() => {
            s.ui.focus = pane;
            let rect = match pane {
                Pane::Tree => a.tree,
                Pane::Queue => a.queue,
                Pane::Card => return,
            };
            click_row(s, rect, pane, mode, m.row);
        }
        _ => {}
    }
}

/// Selects the row clicked at screen row `row` of the list in `rect`.
fn click_row(s: &mut State, rect: Rect, pane: Pane, mode: Mode, row: u16) {
    // Rows start below the border (and the tab line / column header).
    let first = rect.y + 2;
    if row < first {
        return;
    }
    let visible = layout::inner_rows(rect).saturating_sub(1);
    let (sel, len) = match pane {
        Pane::Tree => (s.ui.tree_sel, s.derived.tree.len()),
        _ => (s.ui.queue_sel, s.derived.queue.len()),
    };
    let at = layout::offset(sel, len, visible) + (row - first) as usize;
    if at < len {
        move_sel(s, mode, at as isize - sel as isize);
    }
}
