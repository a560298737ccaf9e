//! An audit entry's detail (JSON in the log) as one line a person reads:
//! `#1 accept grant carlos payments-db:write (area payments-db)` rather
//! than the object. `audit export` keeps the JSON.

use serde_json::{Map, Value};

/// The detail of an entry of `action`, readable; the JSON as it is when it
/// is not an object.
pub fn readable(action: &str, detail: &str) -> String {
    let Ok(Value::Object(d)) = serde_json::from_str::<Value>(detail) else {
        return detail.to_string();
    };
    let known = match action {
        "decide" => decision(&d),
        "undo" => decision(&d).map(|text| format!("took back {text}")),
        "apply" => applied(&d),
        "delegate" => delegation(&d),
        "undelegate" => Some(format!(
            "ended delegation {} of {} to {}",
            text(&d, "delegation"),
            text(&d, "area"),
            text(&d, "to")
        )),
        "rule add" | "rule edit" | "rule remove" => rule(&d),
        "digest" => digest(&d),
        _ => None,
    };
    known.unwrap_or_else(|| pairs(&d))
}

/// A field as text: strings bare, null as empty, anything else as JSON.
fn text(d: &Map<String, Value>, key: &str) -> String {
    match d.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// ` word TEXT` when the field is there and not empty.
fn optional(d: &Map<String, Value>, key: &str, word: &str) -> String {
    match text(d, key) {
        t if t.is_empty() => String::new(),
        t => format!(" {word}{t}"),
    }
}

fn decision(d: &Map<String, Value>) -> Option<String> {
    d.get("verdict")?;
    Some(format!(
        "#{} {} {} {} {} (area {}){}{}",
        text(d, "decision"),
        text(d, "verdict"),
        text(d, "kind"),
        text(d, "person"),
        text(d, "entitlement"),
        text(d, "area"),
        optional(d, "note", "because: "),
        optional(d, "until", "until "),
    ))
}

fn applied(d: &Map<String, Value>) -> Option<String> {
    let ok = d.get("ok")?.as_bool()?;
    Some(format!(
        "#{} {}: {}",
        text(d, "decision"),
        if ok { "ok" } else { "NOT APPLIED" },
        text(d, "result")
    ))
}

fn delegation(d: &Map<String, Value>) -> Option<String> {
    d.get("to")?;
    Some(format!(
        "delegation {}: {} to {} from {}{}",
        text(d, "delegation"),
        text(d, "area"),
        text(d, "to"),
        text(d, "since"),
        match text(d, "until") {
            u if u.is_empty() => ", open-ended".to_string(),
            u => format!(" until {u}"),
        }
    ))
}

fn rule(d: &Map<String, Value>) -> Option<String> {
    d.get("rule")?;
    let why = d
        .get("after")
        .and_then(|a| a.get("why"))
        .and_then(Value::as_str)
        .map(|w| format!("; why: {w}"))
        .unwrap_or_default();
    Some(format!(
        "rule {} (area {}){why}{}",
        text(d, "rule"),
        text(d, "area"),
        optional(d, "reason", "; because: ")
    ))
}

fn digest(d: &Map<String, Value>) -> Option<String> {
    let status = text(d, "status");
    if status == "superseded" {
        let n = d
            .get("deliveries")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        return Some(format!(
            "{n} failed delivery(ies) to {} superseded",
            text(d, "recipient")
        ));
    }
    d.get("recipient")?;
    Some(format!(
        "to {} by {} ({}): {status}, attempt {}, subject {:?}{}",
        text(d, "recipient"),
        text(d, "channel"),
        text(d, "target"),
        text(d, "attempt"),
        text(d, "subject"),
        optional(d, "error", "; error: "),
    ))
}

/// Any other object: `key value` pairs, nested values as compact JSON.
fn pairs(d: &Map<String, Value>) -> String {
    d.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| format!("{k} {}", text(d, k)))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_reads_as_a_sentence() {
        let d = r#"{"area":"payments-db","decision":2,"entitlement":"payments-db:read","evidence":"x","kind":"review","note":"pairing on Q3","person":"sarah","reason":"review_due","rule":null,"until":null,"verdict":"dismiss"}"#;
        assert_eq!(
            readable("decide", d),
            "#2 dismiss review sarah payments-db:read (area payments-db) because: pairing on Q3"
        );
        assert_eq!(
            readable("undo", d),
            "took back #2 dismiss review sarah payments-db:read (area payments-db) because: pairing on Q3"
        );
    }

    #[test]
    fn an_apply_says_its_result_and_whether_it_was_applied() {
        let ok = r#"{"decision":1,"ok":true,"result":"grants.csv: add carlos -> payments-db:write","verdict":"accept"}"#;
        assert_eq!(
            readable("apply", ok),
            "#1 ok: grants.csv: add carlos -> payments-db:write"
        );
        let refused =
            r#"{"decision":1,"ok":false,"result":"refused: decider omar no longer has authority"}"#;
        assert_eq!(
            readable("apply", refused),
            "#1 NOT APPLIED: refused: decider omar no longer has authority"
        );
    }

    #[test]
    fn delegations_and_unknown_entries_read_without_braces() {
        let d = r#"{"delegation":3,"area":"payments-db","to":"omar","since":"2026-03-02T12:00:00+00:00","until":null}"#;
        assert_eq!(
            readable("delegate", d),
            "delegation 3: payments-db to omar from 2026-03-02T12:00:00+00:00, open-ended"
        );
        assert_eq!(readable("test", r#"{"n":1,"x":"y","z":null}"#), "n 1; x y");
        assert_eq!(readable("test", "not json"), "not json");
    }
}
