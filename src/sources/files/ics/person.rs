//! Who an event puts on call.
//!
//! The attendees who take part (`ROLE=REQ-PARTICIPANT` or no ROLE, not
//! `PARTSTAT=DECLINED`, not a room or resource), matched by email
//! case-insensitively; the organizer only when nobody else qualifies.
//! Without a match, the SUMMARY: as a whole, or the name a pattern takes out
//! of it (PagerDuty's `On Call - NAME - SCHEDULE`, Grafana OnCall's
//! `[L1] NAME`, or a configured one), equal to exactly one person's name, id
//! or email. Anything else is no shift, and a reason.

use super::param;
use crate::model::Person;
use icalendar::parser::Component;
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Finds people by email (case-insensitive), id or name.
pub struct PersonMatcher<'a> {
    by_email: HashMap<String, Vec<&'a str>>,
    by_key: HashMap<String, Vec<&'a str>>,
}

impl<'a> PersonMatcher<'a> {
    pub fn new(people: &'a [Person]) -> PersonMatcher<'a> {
        let mut m = PersonMatcher {
            by_email: HashMap::new(),
            by_key: HashMap::new(),
        };
        let add = |map: &mut HashMap<String, Vec<&'a str>>, key: String, id: &'a str| {
            let ids = map.entry(key).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        };
        for p in people {
            let email = p.email.trim().to_lowercase();
            if !email.is_empty() {
                add(&mut m.by_email, email.clone(), &p.id);
                add(&mut m.by_key, email, &p.id);
            }
            add(&mut m.by_key, p.id.trim().to_lowercase(), &p.id);
            let name = p.name.split_whitespace().collect::<Vec<_>>().join(" ");
            if !name.is_empty() {
                add(&mut m.by_key, name.to_lowercase(), &p.id);
            }
        }
        m
    }

    /// The one person with this email.
    pub fn by_email(&self, email: &str) -> Option<&'a str> {
        match self.by_email.get(&email.trim().to_lowercase())?.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// Everyone whose name, id or email is `text`, as a whole.
    fn by_whole(&self, text: &str) -> &[&'a str] {
        let key = text.split_whitespace().collect::<Vec<_>>().join(" ");
        self.by_key
            .get(&key.to_lowercase())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Summary shapes on-call tools export, the person's name in `person`.
static KNOWN_SHAPES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // PagerDuty: "On Call - Alice Test - Payments Primary", and the
        // like: "On-Call: Alice Test".
        r"^(?i:on[ -]?call)\s*[-:\u{2013}]\s*(?P<person>.+?)(?:\s+[-\u{2013}]\s+.+)?$",
        // Grafana OnCall: "[L1] alice".
        r"^\[L\d+\]\s*(?P<person>.+)$",
    ]
    .iter()
    .filter_map(|p| Regex::new(p).ok())
    .collect()
});

fn mailto(value: &str) -> &str {
    let v = value.trim();
    v.get(..7)
        .filter(|m| m.eq_ignore_ascii_case("mailto:"))
        .map_or(v, |_| &v[7..])
        .trim()
}

/// The emails of the attendees who take part in `event`.
fn participants(event: &Component) -> Vec<String> {
    let organizer = event
        .properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case("ORGANIZER"))
        .map(|p| mailto(p.val.as_str()).to_lowercase());
    let mut found: Vec<String> = event
        .properties
        .iter()
        .filter(|p| p.name.as_str().eq_ignore_ascii_case("ATTENDEE"))
        .filter(|p| {
            param(p, "ROLE").is_none_or(|r| r.eq_ignore_ascii_case("REQ-PARTICIPANT"))
                && param(p, "PARTSTAT").is_none_or(|s| !s.eq_ignore_ascii_case("DECLINED"))
                && param(p, "CUTYPE").is_none_or(|c| {
                    c.eq_ignore_ascii_case("INDIVIDUAL") || c.eq_ignore_ascii_case("UNKNOWN")
                })
        })
        .map(|p| mailto(p.val.as_str()).to_lowercase())
        .filter(|e| !e.is_empty())
        .collect();
    found.dedup();
    // Calendars list the organizer among the attendees too.
    if found.len() > 1
        && let Some(o) = organizer
    {
        found.retain(|e| *e != o);
    }
    found.sort();
    found.dedup();
    found
}

/// The SUMMARY, unescaped.
fn summary(event: &Component) -> Option<String> {
    event
        .properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case("SUMMARY"))
        .map(|p| {
            p.val
                .as_str()
                .replace("\\,", ",")
                .replace("\\;", ";")
                .replace("\\n", " ")
                .replace("\\N", " ")
                .replace("\\\\", "\\")
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty())
}

/// Why an event puts nobody on call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoOne {
    /// Several attendees who take part are people here.
    #[error(
        "the event has {} attendees who are people here ({}); which one is on call is ambiguous",
        .0.len(),
        .0.join(", ")
    )]
    AttendeesAmbiguous(Vec<String>),
    /// A name in the SUMMARY is that of several people.
    #[error(
        "SUMMARY {summary:?}: {name:?} is the name of {} people ({}); which one is on call is ambiguous",
        .people.len(),
        .people.join(", ")
    )]
    SummaryAmbiguous {
        summary: String,
        name: String,
        people: Vec<String>,
    },
    #[error("SUMMARY {0:?} names no one person (matched as a whole name, id or email)")]
    SummaryMatchesNobody(String),
    #[error("the event has neither an attendee nor a SUMMARY")]
    NeitherAttendeeNorSummary,
    /// Several attendees take part, and none is a person here.
    #[error(
        "the event has {} attendees and none is a person here ({})",
        .0.len(),
        .0.join(", ")
    )]
    AttendeesUnknown(Vec<String>),
}

impl NoOne {
    /// Whether more than one person fits (rather than none).
    pub fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            NoOne::AttendeesAmbiguous(_) | NoOne::SummaryAmbiguous { .. }
        )
    }
}

/// Who is on call in `event`, or why nobody is.
pub fn on_call(
    event: &Component,
    people: &PersonMatcher,
    pattern: Option<&Regex>,
) -> Result<String, NoOne> {
    let emails = participants(event);
    let mut matched: Vec<&str> = emails.iter().filter_map(|e| people.by_email(e)).collect();
    matched.sort_unstable();
    matched.dedup();
    match matched.as_slice() {
        [one] => return Ok(one.to_string()),
        [] => {}
        many => {
            return Err(NoOne::AttendeesAmbiguous(
                many.iter().map(|s| s.to_string()).collect(),
            ));
        }
    }
    let summary = summary(event);
    if let Some(s) = &summary {
        let mut names = vec![s.clone()];
        for re in pattern.into_iter().chain(KNOWN_SHAPES.iter()) {
            if let Some(c) = re.captures(s) {
                let name = c.name("person").or_else(|| c.get(1));
                names.extend(name.map(|m| m.as_str().trim().to_string()));
            }
        }
        for name in &names {
            match people.by_whole(name) {
                [one] => return Ok(one.to_string()),
                [] => {}
                many => {
                    return Err(NoOne::SummaryAmbiguous {
                        summary: s.clone(),
                        name: name.clone(),
                        people: many.iter().map(|s| s.to_string()).collect(),
                    });
                }
            }
        }
    }
    match (emails.as_slice(), summary) {
        // One attendee nobody here has: kept, for `check` to report.
        ([one], _) => Ok(one.clone()),
        ([], Some(s)) => Err(NoOne::SummaryMatchesNobody(s)),
        ([], None) => Err(NoOne::NeitherAttendeeNorSummary),
        (many, _) => Err(NoOne::AttendeesUnknown(many.to_vec())),
    }
}
