//! Where each region goes, as a pure function of the screen size, shared by
//! the views and by mouse handling in `update`.

use ratatui::layout::{Constraint, Layout, Rect};

/// Wide enough for three columns side by side.
pub const WIDE: u16 = 120;

/// The smallest terminal the console is drawn in (columns, rows): below
/// it the panes cannot show a row whole, and the console says so instead.
pub const MIN_SIZE: (u16, u16) = (60, 20);

/// Is `screen` too small to draw the console in?
pub fn too_small(screen: Rect) -> bool {
    screen.width < MIN_SIZE.0 || screen.height < MIN_SIZE.1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    /// Lines under the header about what the automatic rules did (none
    /// most of the time).
    pub notices: Rect,
    pub body: Rect,
    pub tree: Rect,
    pub queue: Rect,
    pub card: Rect,
    pub status: Rect,
}

pub fn areas(screen: Rect) -> Areas {
    areas_with(screen, 0)
}

/// The regions on a screen of the console's size, with the lines the
/// automatic rules' notices take under the header.
pub fn of(s: &super::state::State) -> Areas {
    let notices = s.data.automatic.notices().len() as u16;
    areas_with(Rect::new(0, 0, s.ui.width, s.ui.height), notices)
}

/// The regions with `notices` lines under the header.
pub fn areas_with(screen: Rect, notices: u16) -> Areas {
    // The third header line lists the views (P, L, O, V, E): worth a row of
    // the body from 24 rows up, the classic terminal's height.
    let header_h = if screen.height >= 24 { 3 } else { 2 };
    let [header, notices, body, status] = Layout::vertical([
        Constraint::Length(header_h),
        Constraint::Length(notices),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(screen);
    let (tree, queue, card) = if screen.width >= WIDE {
        // The tree's rows carry counts, a tag and a delegation note.
        let [t, q, c] = Layout::horizontal([
            Constraint::Percentage(26),
            Constraint::Percentage(36),
            Constraint::Percentage(38),
        ])
        .areas(body);
        (t, q, c)
    } else {
        let [left, c] =
            Layout::horizontal([Constraint::Percentage(48), Constraint::Percentage(52)])
                .areas(body);
        let [t, q] =
            Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(left);
        (t, q, c)
    };
    Areas {
        header,
        notices,
        body,
        tree,
        queue,
        card,
        status,
    }
}

/// The first row shown of a list of `len` rows with `sel` selected in
/// `visible` rows: the selection is always on screen.
pub fn offset(sel: usize, len: usize, visible: usize) -> usize {
    if visible == 0 || len <= visible {
        return 0;
    }
    sel.saturating_sub(visible - 1).min(len - visible)
}

/// The rows inside a bordered block.
pub fn inner_rows(r: Rect) -> usize {
    r.height.saturating_sub(2) as usize
}

/// A centred popup of at most `w` x `h` inside `r`.
pub fn popup(r: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(r.width);
    let h = h.min(r.height);
    Rect {
        x: r.x + (r.width - w) / 2,
        y: r.y + (r.height - h) / 2,
        width: w,
        height: h,
    }
}
