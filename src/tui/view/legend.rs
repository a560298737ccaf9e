//! What each mark and colour of a view means, for the `?` overlay: every
//! sample drawn in the style the view draws it in, so the colour (or, in
//! the monochrome theme, the bold or reverse) is explained by itself.

use crate::tui::keymap::Mode;
use crate::tui::theme::Theme;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// One entry: the sample as drawn, and what it means.
struct Entry {
    sample: &'static str,
    style: fn(&Theme) -> Style,
    meaning: &'static str,
}

const fn e(sample: &'static str, style: fn(&Theme) -> Style, meaning: &'static str) -> Entry {
    Entry {
        sample,
        style,
        meaning,
    }
}

const QUEUE: &[Entry] = &[
    e(
        "+",
        |t| t.grant,
        "grant: qualifies under a rule and lacks it",
    ),
    e(
        "-",
        |t| t.revoke,
        "revoke: a grant nothing justifies any more",
    ),
    e(
        "?",
        |t| t.review,
        "review: manual, past its interval, or by no authority",
    ),
    e(
        "!",
        |t| t.alert,
        "escalated to you: undecided below you past escalate_days",
    ),
    e(
        "^",
        |t| t.alert,
        "yours, overdue: the owner above you has it too",
    ),
    e(
        "●",
        |t| t.marked,
        "marked (Space): decided together, one confirmation",
    ),
    e(
        "=",
        |t| t.ok,
        "someone else decided it while it was shown (the card says who)",
    ),
    e(
        "greg",
        |t| t.revoke,
        "a person in this colour has left the organization",
    ),
    e(
        "22mo",
        |t| t.dim,
        "age: held this long; for a grant, when its shift starts",
    ),
    e("on call", |t| t.dim, "the person is on call now"),
    e("selected", |t| t.selected, "the row the keys act on"),
];

const TREE: &[Entry] = &[
    e(
        "2/6/2",
        |t| t.base,
        "pending grants/revokes/reviews in the subtree",
    ),
    e("!3", |t| t.base, "of those, escalated to you"),
    e(
        "PII",
        |t| t.alert,
        "a sensitive tag (HIPAA, PII, ...): read the notes",
    ),
    e(
        "▾ ▸",
        |t| t.base,
        "open / closed (l or → opens, h or ← closes)",
    ),
    e(
        "(delegated by X)",
        |t| t.base,
        "you hold this area by X's delegation",
    ),
    e(
        "(delegated to Y)",
        |t| t.base,
        "you handed this area to Y: Y decides it too, V ends it",
    ),
];

const CARD: &[Entry] = &[
    e(
        " ESCALATED ",
        |t| t.alert,
        "to you: it waited past escalate_days below you",
    ),
    e(
        " OVERDUE ",
        |t| t.alert,
        "yours: past escalate_days, now also above you",
    ),
    e(
        " LEFT ",
        |t| t.alert,
        "the person has left the organization",
    ),
    e(
        "notes: ...",
        |t| t.error,
        "the notes of an area with a sensitive tag",
    ),
    e("why: \"...\"", |t| t.key, "the rule author's own reason"),
    e(
        "decided: accept",
        |t| t.ok,
        "decided in this session (u takes it back)",
    ),
    e(
        "decided: accept by X at T",
        |t| t.ok,
        "decided by X meanwhile, at T",
    ),
];

const TIMELINE: &[Entry] = &[
    e(
        "█",
        |t| t.base,
        "on call then (each cell a part of a day, or days)",
    ),
    e("·", |t| t.dim, "not on call then"),
    e("Mar 2  Tue 3", |t| t.dim, "the day its cells start at"),
];

const READINESS: &[Entry] = &[
    e("+", |t| t.base, "its grant is suggested now: a accepts it"),
    e(
        "✓",
        |t| t.base,
        "its grant is accepted (in the plan; A applies)",
    ),
    e("-", |t| t.base, "its grant was dismissed or snoozed"),
    e(
        "·",
        |t| t.base,
        "suggested when the shift starts (only while on call)",
    ),
    e(
        "●",
        |t| t.base,
        "marked (Space): a accepts all marked together",
    ),
    e(
        "first shift",
        |t| t.base,
        "their first shift in this rotation",
    ),
    e(
        "newly trained",
        |t| t.base,
        "completed a training the rule asks for in the last 30 days (the date)",
    ),
];

const PLAN: &[Entry] = &[
    e("✓", |t| t.ok, "applied"),
    e("✗", |t| t.error, "not applied: the result says why"),
    e("·", |t| t.dim, "waiting its turn while the apply runs"),
];

const RULES: &[Entry] = &[
    e(
        "counts",
        |t| t.ok,
        "the rule counts: its author has authority there",
    ),
    e(
        "counts, but",
        |t| t.key,
        "it counts, with a problem listed under it",
    ),
    e(
        "DOES NOT",
        |t| t.error,
        "it justifies nothing: the reason is under it",
    ),
];

const DELEGATIONS: &[Entry] = &[
    e("#12", |t| t.dim, "made in steward: x ends it here"),
    e(
        "file",
        |t| t.dim,
        "from a source (delegations.toml): end it there",
    ),
];

const AUTOMATIC: &[Entry] = &[
    e(
        "new",
        |t| t.ok,
        "carried out by a rule since you last looked (U marks them seen)",
    ),
    e(
        " HELD BACK ",
        |t| t.alert,
        "a guard holds back an area's automatic changes: the reason says how they go ahead",
    ),
];

const HEADER: &[Entry] = &[
    e(
        "STALE",
        |t| t.error,
        "that source's last sync failed; its data is kept",
    ),
    e(
        "3 applied by",
        |t| t.ok,
        "changes your automatic rules made since you last looked (U)",
    ),
    e(
        "[demo]",
        |t| t.dim,
        "the bundled demo; S switches the persona",
    ),
];

/// The legends of the view `mode` belongs to, with a heading each.
fn sections(mode: Mode) -> Vec<(&'static str, &'static [Entry])> {
    let main = vec![("queue", QUEUE), ("tree", TREE), ("card", CARD)];
    let mut out = match mode {
        Mode::Tree | Mode::Queue | Mode::Card => main,
        Mode::Walk => vec![("card", CARD), ("queue marks", QUEUE)],
        Mode::Rotations => vec![("timeline", TIMELINE), ("readiness", READINESS)],
        Mode::Plan => vec![("plan", PLAN)],
        Mode::Rules => vec![("rules", RULES)],
        Mode::Delegations => vec![("delegations", DELEGATIONS)],
        Mode::Automatic => vec![("applied by your rules", AUTOMATIC)],
        _ => Vec::new(),
    };
    out.push(("header", HEADER));
    out
}

/// The samples' column: the widest sample fits.
const SAMPLE_W: usize = 16;

/// The legend of `mode`'s view, as lines for the help overlay.
pub fn lines(mode: Mode, t: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![Line::from(Span::styled("Marks and colours", t.title))];
    for (heading, entries) in sections(mode) {
        out.push(Line::from(Span::styled(format!("  {heading}"), t.title)));
        for x in entries {
            let pad = SAMPLE_W.saturating_sub(super::text::width(x.sample));
            out.push(Line::from(vec![
                Span::raw(" ".repeat(pad + 2)),
                Span::styled(x.sample, (x.style)(t)),
                Span::raw("  "),
                Span::raw(x.meaning),
            ]));
        }
    }
    out
}
