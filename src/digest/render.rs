//! A digest as plain text (terminal, mail) or Markdown (mail, chat).

use super::compose::{Digest, Upcoming};
use crate::model::Kind;
use crate::policy::escalation::Escalation;
use crate::policy::{Snapshot, day, minute};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "text" => Some(Format::Text),
            "markdown" | "md" => Some(Format::Markdown),
            _ => None,
        }
    }
}

fn code(f: Format, s: &str) -> String {
    match f {
        Format::Text => s.to_string(),
        Format::Markdown => format!("`{s}`"),
    }
}

fn heading(f: Format, out: &mut String, title: &str) {
    match f {
        Format::Text => {
            out.push_str(&title.to_uppercase());
            out.push('\n');
        }
        Format::Markdown => {
            out.push_str("### ");
            out.push_str(title);
            out.push('\n');
        }
    }
}

fn area_label(snap: &Snapshot, area: &str) -> String {
    match snap.area(area) {
        Some(a) if a.name != a.id && !a.name.is_empty() => format!("{} ({})", a.id, a.name),
        _ => area.to_string(),
    }
}

fn person_label(snap: &Snapshot, id: &str) -> String {
    match snap.person(id) {
        Some(p) if p.name != p.id && !p.name.is_empty() => format!("{} ({id})", p.name),
        _ => id.to_string(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn upcoming_line(f: Format, u: &Upcoming) -> String {
    let then = if u.only_while_oncall {
        "it is granted only while on call: steward will suggest it when the shift starts"
    } else {
        "they qualify now and do not hold it"
    };
    format!(
        "{} starts on call in {} at {} without {} (rule {}); {then}",
        u.person,
        code(f, &u.rotation),
        minute(u.start),
        code(f, &u.entitlement),
        code(f, &u.rule),
    )
}

fn escalation_line(f: Format, snap: &Snapshot, e: &Escalation, to_you: bool) -> String {
    let s = &e.suggestion;
    let whose = if to_you {
        format!("waiting for {}", person_label(snap, &e.owner))
    } else {
        format!("now also with {}", person_label(snap, &e.to))
    };
    format!(
        "{} {} {} in {}: undecided for {} days, {whose} (area escalates after {} days): {}",
        s.kind.as_str(),
        s.person,
        code(f, &s.entitlement),
        s.area,
        e.age_days,
        e.escalate_days,
        s.evidence
    )
}

/// The digest's body. Calm and short: what is new, what is coming, what waits.
/// What a digest adds when a source's last sync was held back by the shrink
/// guard (`shrinks`: `people from files: 88 -> 0 (-100%)`, each): what it
/// says rests on that source's data from before.
pub fn held_back(shrinks: &[String], f: Format) -> String {
    if shrinks.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n");
    heading(f, &mut out, "Sync held back");
    out.push_str(
        "A sync would have dropped more than the shrink guard allows; the data from before it is kept until someone runs `steward sync --accept-shrink` (or fixes the source):\n",
    );
    let bullet = match f {
        Format::Text => "  - ",
        Format::Markdown => "- ",
    };
    for s in shrinks {
        out.push_str(bullet);
        out.push_str(s);
        out.push('\n');
    }
    out
}

/// What the automatic rules did and what a guard holds back.
fn automatic(d: &Digest, f: Format, bullet: &str, out: &mut String) {
    if !d.held.is_empty() {
        out.push('\n');
        heading(f, out, "Automatic changes held back");
        out.push('\n');
        for h in &d.held {
            out.push_str(&format!(
                "{bullet}area {}: {}\n",
                code(f, &h.area),
                h.reason
            ));
            for c in &h.changes {
                out.push_str(&format!("    {bullet}{c}\n"));
            }
        }
    }
    if !d.applied.is_empty() {
        out.push('\n');
        heading(f, out, "Applied for you by your rules");
        out.push('\n');
        for a in &d.applied {
            let s = &a.suggestion;
            out.push_str(&format!(
                "{bullet}{} {} {} by rule {} (#{}, {}): {}\n",
                s.kind.as_str(),
                s.person,
                code(f, &s.entitlement),
                code(f, s.rule.as_deref().unwrap_or("?")),
                a.id,
                a.applied_at.map(minute).unwrap_or_default(),
                s.evidence
            ));
        }
        let undo = format!("steward undo ID --reason TEXT --as {}", d.recipient);
        out.push_str(&format!("To keep one undone: {}\n", code(f, &undo)));
    }
}

pub fn render(d: &Digest, snap: &Snapshot, f: Format) -> String {
    let mut out = String::new();
    let bullet = match f {
        Format::Text => "  - ",
        Format::Markdown => "- ",
    };
    let greeting = format!(
        "Hello {}, here is what needs you in steward ({}).",
        d.name.split_whitespace().next().unwrap_or(&d.recipient),
        day(d.now)
    );
    out.push_str(&greeting);
    out.push('\n');
    let mut counts = Vec::new();
    if !d.new.is_empty() {
        counts.push(plural(d.new.len(), "new suggestion", "new suggestions"));
    }
    if !d.upcoming.is_empty() {
        counts.push(plural(
            d.upcoming.len(),
            "shift starting soon",
            "shifts starting soon",
        ));
    }
    let overdue = d.escalated.len() + d.overdue.len();
    if overdue > 0 {
        counts.push(plural(overdue, "overdue decision", "overdue decisions"));
    }
    if !d.held.is_empty() {
        counts.push(plural(
            d.held.len(),
            "area with automatic changes held back",
            "areas with automatic changes held back",
        ));
    }
    if !d.applied.is_empty() {
        counts.push(plural(
            d.applied.len(),
            "change applied by your rules",
            "changes applied by your rules",
        ));
    }
    let since = match (d.since, d.last_sent) {
        (Some(s), _) => format!(" since {}", minute(s)),
        (None, Some(l)) => format!(" since your last digest ({})", minute(l)),
        (None, None) => String::new(),
    };
    out.push_str(&format!("{}{since}.\n", counts.join(", ")));

    if !d.new.is_empty() {
        out.push('\n');
        heading(f, &mut out, "New suggestions");
        let mut area: Option<&str> = None;
        let mut kind: Option<Kind> = None;
        for s in &d.new {
            if area != Some(s.area.as_str()) {
                area = Some(&s.area);
                kind = None;
                let label = area_label(snap, &s.area);
                match f {
                    Format::Text => out.push_str(&format!("\n{label}\n")),
                    Format::Markdown => out.push_str(&format!("\n**{label}**\n\n")),
                }
            }
            if kind != Some(s.kind) {
                kind = Some(s.kind);
                match f {
                    Format::Text => out.push_str(&format!("  {}:\n", s.kind.as_str())),
                    Format::Markdown => {
                        if !out.ends_with("\n\n") {
                            out.push('\n');
                        }
                        out.push_str(&format!("*{}*\n\n", s.kind.as_str()));
                    }
                }
            }
            let indent = if f == Format::Text { "  " } else { "" };
            out.push_str(&format!(
                "{indent}{bullet}{} {}: {}\n",
                s.person,
                code(f, &s.entitlement),
                s.evidence
            ));
        }
    }
    if !d.upcoming.is_empty() {
        out.push('\n');
        heading(f, &mut out, "Shifts in the next 7 days");
        out.push('\n');
        for u in &d.upcoming {
            out.push_str(&format!("{bullet}{}\n", upcoming_line(f, u)));
        }
    }
    if overdue > 0 {
        out.push('\n');
        heading(f, &mut out, "Overdue");
        out.push('\n');
        for e in &d.escalated {
            out.push_str(&format!(
                "{bullet}escalated to you: {}\n",
                escalation_line(f, snap, e, true)
            ));
        }
        for e in &d.overdue {
            out.push_str(&format!(
                "{bullet}yours: {}\n",
                escalation_line(f, snap, e, false)
            ));
        }
    }
    automatic(d, f, bullet, &mut out);
    out.push('\n');
    let cmd = format!("steward suggest --as {}", d.recipient);
    out.push_str(&format!(
        "Nothing changes until you decide. To review: {}\n",
        code(f, &cmd)
    ));
    out
}
