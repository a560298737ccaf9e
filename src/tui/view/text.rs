//! Text fitted to the cells it takes on screen: widths, padding, cuts
//! (at the end or in the middle), wrapping, and short ages.

use crate::model::Time;
use ratatui::text::Span;

/// A short age: `45m`, `5h`, `12d`, `3mo`, `2y`.
pub fn age(now: Time, then: Time) -> String {
    let d = now - then;
    let (m, h, days) = (d.num_minutes(), d.num_hours(), d.num_days());
    if d.num_seconds() < 0 {
        return "future".into();
    }
    if m < 60 {
        format!("{m}m")
    } else if h < 48 {
        format!("{h}h")
    } else if days < 60 {
        format!("{days}d")
    } else if days < 730 {
        format!("{}mo", days / 30)
    } else {
        format!("{}y", days / 365)
    }
}

/// How many cells `text` takes on screen.
pub fn width(text: &str) -> usize {
    Span::raw(text).width()
}

fn char_width(c: char) -> usize {
    let mut buf = [0u8; 4];
    width(c.encode_utf8(&mut buf))
}

/// `text` padded with spaces to `w` cells (left-aligned), cut first if wider.
pub fn pad(text: &str, w: usize) -> String {
    let mut out = clip(text, w);
    let used = width(&out);
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(used)));
    out
}

/// At most `w` cells of `text`, its start kept, with `…` when cut.
pub fn clip(text: &str, w: usize) -> String {
    if width(text) <= w {
        return text.to_string();
    }
    let mut out = take_cells(text.chars(), w.saturating_sub(1));
    if w > 0 {
        out.push('…');
    }
    out
}

/// At most `w` cells of `text`, cut in the middle so that its end, the part
/// that tells apart `payments-api:deploy` from `payments-api:logs`, stays:
/// `paym…:deploy`. The part after the last `:` is kept whole when a few
/// cells of the start can show beside it; otherwise both ends are kept.
pub fn clip_middle(text: &str, w: usize) -> String {
    if width(text) <= w {
        return text.to_string();
    }
    if w < 5 {
        return clip(text, w);
    }
    let tail_w = match text.rfind(':') {
        Some(i) if width(&text[i..]) + 4 <= w => width(&text[i..]),
        _ => (w - 1) / 2,
    };
    let head = take_cells(text.chars(), w - 1 - tail_w);
    let tail: String = take_cells(text.chars().rev(), tail_w)
        .chars()
        .rev()
        .collect();
    format!("{head}…{tail}")
}

/// The chars of `it` while they fit in `w` cells.
fn take_cells(it: impl Iterator<Item = char>, w: usize) -> String {
    let mut used = 0;
    let mut out = String::new();
    for c in it {
        used += char_width(c);
        if used > w {
            break;
        }
        out.push(c);
    }
    out
}

/// `text` broken into lines of at most `w` cells, at spaces where it can,
/// through a word longer than a line where it must.
pub fn wrap(text: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let sep = usize::from(!line.is_empty());
        if width(&line) + sep + width(word) <= w {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        let mut rest = word.to_string();
        while width(&rest) > w {
            let head = take_cells(rest.chars(), w);
            rest = rest[head.len()..].to_string();
            out.push(head);
        }
        line = rest;
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_middle_keeps_what_tells_entitlements_apart() {
        let a = clip_middle("payments-api:deploy", 12);
        let b = clip_middle("payments-api:logs", 12);
        assert_eq!(a, "paym…:deploy");
        assert_eq!(b, "paymen…:logs");
        assert_eq!(clip_middle("payments-api:logs", 40), "payments-api:logs");
        // No ':' or a long last part: both ends stay.
        assert_eq!(
            clip_middle("github-team-payments-deployers", 11),
            "githu…oyers"
        );
        assert_eq!(width(&clip_middle("a:very-long-last-part", 9)), 9);
    }

    #[test]
    fn widths_count_cells_not_bytes_or_chars() {
        // Two cells per CJK char: 6 cells fit three of them, not six.
        assert_eq!(clip("支付数据库:读取", 6), "支付…");
        // A two-cell char that would overflow is left out: one cell short.
        assert_eq!(clip_middle("支付数据库:读取", 9), "支…:读取");
        assert_eq!(width(&pad(&clip_middle("支付数据库:读取", 9), 9)), 9);
        assert_eq!(pad("zoë", 5), "zoë  ");
        assert_eq!(width(&pad("支付数据库", 5)), 5);
        assert_eq!(clip("chloe.zhang", 10), "chloe.zha…");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_keeps_every_word() {
        let text = "grants.csv: remove greg -> payments-db:read (upstream scim:group/pay-prod-db-readonly)";
        let lines = wrap(text, 34);
        assert!(lines.iter().all(|l| width(l) <= 34), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        assert_eq!(lines[0], "grants.csv: remove greg ->");
        // A word longer than a line is broken through, nothing lost.
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
    }
}
