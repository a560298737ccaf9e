//! What each owner's digest says: pure functions of the snapshot, the
//! suggestions, the decisions, when suggestions were first seen, what earlier
//! digests carried, and `now`.

use crate::model::{Audience, Decision, DecisionState, Origin, Status, Suggestion, Time};
use crate::policy::escalation::{self, Escalation};
use crate::policy::qualify::{audience_members, qualifies, rule_counts, rule_covers};
use crate::policy::{Scope, Snapshot, undecided};
use crate::store::HeldBack;
use crate::store::reminders::{Delivery, DeliveryStatus, FirstSeen};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How far ahead a digest looks for shifts.
pub const SHIFT_HORIZON_DAYS: i64 = 7;

/// A shift starting soon whose person would qualify for a rule's grant but
/// does not hold it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Upcoming {
    pub person: String,
    pub entitlement: String,
    pub area: String,
    pub rule: String,
    pub rotation: String,
    pub start: Time,
    pub end: Time,
    /// The rule grants only while on call: steward suggests it when the shift starts.
    pub only_while_oncall: bool,
}

impl Upcoming {
    pub fn key(&self) -> String {
        format!(
            "shift|{}|{}|{}|{}",
            self.person,
            self.entitlement,
            self.rule,
            self.start.timestamp()
        )
    }
}

/// What earlier digests carried, per recipient.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// recipient -> item key -> when it was last delivered.
    sent: HashMap<String, HashMap<String, Time>>,
    last_sent: HashMap<String, Time>,
}

impl History {
    pub fn from_deliveries(list: &[Delivery]) -> History {
        let mut h = History::default();
        for d in list.iter().filter(|d| d.status == DeliveryStatus::Sent) {
            let items = h.sent.entry(d.recipient.clone()).or_default();
            for key in &d.items {
                let t = items.entry(key.clone()).or_insert(d.at);
                *t = (*t).max(d.at);
            }
            let last = h.last_sent.entry(d.recipient.clone()).or_insert(d.at);
            *last = (*last).max(d.at);
        }
        h
    }

    pub fn last_sent(&self, recipient: &str) -> Option<Time> {
        self.last_sent.get(recipient).copied()
    }

    fn sent_at(&self, recipient: &str, key: &str) -> Option<Time> {
        self.sent.get(recipient).and_then(|m| m.get(key)).copied()
    }
}

/// One owner's digest. Empty means: send nothing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Digest {
    pub recipient: String,
    pub name: String,
    pub email: String,
    pub now: Time,
    /// The last digest delivered to them, if any.
    pub last_sent: Option<Time>,
    /// `--since`, when given.
    pub since: Option<Time>,
    /// New suggestions for them to decide, sorted by (area, kind, person, entitlement).
    pub new: Vec<Suggestion>,
    /// Shifts starting within [`SHIFT_HORIZON_DAYS`] whose people lack a rule's grant.
    pub upcoming: Vec<Upcoming>,
    /// Other owners' suggestions escalated to them.
    pub escalated: Vec<Escalation>,
    /// Their own suggestions, now escalated above them.
    pub overdue: Vec<Escalation>,
    /// Changes their automatic rules (or those of the areas they decide)
    /// carried out since they were last told.
    pub applied: Vec<Decision>,
    /// Areas of theirs whose automatic changes a guard holds back.
    pub held: Vec<HeldBack>,
}

pub fn applied_key(d: &Decision) -> String {
    format!("auto|{}", d.id)
}

pub fn held_key(h: &HeldBack) -> String {
    format!("held|{}|{}|{}", h.area, h.why, h.since.timestamp())
}

pub fn new_key(s: &Suggestion) -> String {
    format!("new|{}|{}|{}", s.person, s.entitlement, s.fingerprint())
}

pub fn escalation_key(e: &Escalation) -> String {
    format!(
        "esc|{}|{}|{}|{}",
        e.suggestion.person,
        e.suggestion.entitlement,
        e.suggestion.fingerprint(),
        e.level
    )
}

impl Digest {
    pub fn is_empty(&self) -> bool {
        self.new.is_empty()
            && self.upcoming.is_empty()
            && self.escalated.is_empty()
            && self.overdue.is_empty()
            && self.applied.is_empty()
            && self.held.is_empty()
    }

    /// The item keys it carries, for the delivery record.
    pub fn keys(&self) -> Vec<String> {
        let mut out: Vec<String> = self.new.iter().map(new_key).collect();
        out.extend(self.upcoming.iter().map(Upcoming::key));
        out.extend(self.escalated.iter().map(escalation_key));
        out.extend(self.overdue.iter().map(escalation_key));
        // An overdue line tells the suggestion too (it carries the evidence).
        out.extend(self.overdue.iter().map(|e| new_key(&e.suggestion)));
        out.extend(self.applied.iter().map(applied_key));
        out.extend(self.held.iter().map(held_key));
        out.sort();
        out.dedup();
        out
    }

    /// A short subject line: counts only. A shift whose grant holds only
    /// while on call is not counted as to decide: its suggestion comes
    /// when the shift starts.
    pub fn subject(&self) -> String {
        let mut subject = self.to_decide();
        if !self.held.is_empty() {
            subject += &format!(
                "; automatic changes held back in {} area{}",
                self.held.len(),
                if self.held.len() == 1 { "" } else { "s" }
            );
        }
        if !self.applied.is_empty() {
            subject += &format!("; {} applied by your rules", self.applied.len());
        }
        subject
    }

    fn to_decide(&self) -> String {
        let shifts = |n: usize| format!("{n} shift{} soon", if n == 1 { "" } else { "s" });
        let later = self.upcoming.iter().filter(|u| u.only_while_oncall).count();
        let mut parts = Vec::new();
        if !self.new.is_empty() {
            parts.push(format!("{} new", self.new.len()));
        }
        if self.upcoming.len() > later {
            parts.push(shifts(self.upcoming.len() - later));
        }
        let overdue = self.escalated.len() + self.overdue.len();
        if overdue > 0 {
            parts.push(format!("{overdue} overdue"));
        }
        let later = (later > 0).then(|| format!("{}, nothing to decide yet", shifts(later)));
        match (parts.is_empty(), later) {
            (false, None) => format!("steward: {} to decide", parts.join(", ")),
            (false, Some(later)) => format!("steward: {} to decide; {later}", parts.join(", ")),
            (true, Some(later)) => format!("steward: {later}"),
            (true, None) => "steward: nothing to decide".to_string(),
        }
    }
}

/// Everything a digest is composed from.
pub struct Inputs<'a> {
    pub snap: &'a Snapshot,
    /// Every suggestion at `now` (whole organization).
    pub suggestions: &'a [Suggestion],
    pub decisions: &'a [Decision],
    pub first_seen: &'a FirstSeen,
    pub history: &'a History,
    pub now: Time,
    /// Tell everything that came up at or after this, whatever was sent before.
    pub since: Option<Time>,
    /// What the last reconcile held back, by area.
    pub held: &'a [HeldBack],
}

/// The people a digest can be for: active, with a non-empty scope at `now`, roster order.
pub fn owners(snap: &Snapshot, now: Time) -> Vec<String> {
    snap.org
        .people
        .iter()
        .filter(|p| p.status == Status::Active && !Scope::of(snap, &p.id, now).is_empty())
        .map(|p| p.id.clone())
        .collect()
}

/// Who a suggestion in `area` is for: the holders of the nearest active
/// delegation among the area and its ancestors with the same owner; else the
/// area's owner; and when that owner has left (or is not on the roster), the
/// nearest active owner above. Owners above hear of it only when it escalates.
pub fn responsible(snap: &Snapshot, area: usize, now: Time) -> Vec<String> {
    let active = |p: &str| snap.person(p).is_some_and(|x| x.status == Status::Active);
    let mut list = nearest_deciders(snap, area, now);
    list.retain(|p| active(p));
    if list.is_empty() {
        list.extend(
            escalation::owner_chain(snap, area)
                .into_iter()
                .map(|(owner, _)| owner)
                .find(|o| active(o)),
        );
    }
    list
}

fn nearest_deciders(snap: &Snapshot, area: usize, now: Time) -> Vec<String> {
    let owner = &snap.org.areas[area].owner;
    for a in snap.area_path(area) {
        if snap.org.areas[a].owner != *owner {
            break;
        }
        let mut delegates: Vec<String> = snap
            .delegations_of_area(a)
            .filter(|d| d.active_at(now))
            .map(|d| d.to.clone())
            .collect();
        if !delegates.is_empty() {
            delegates.sort();
            delegates.dedup();
            return delegates;
        }
    }
    vec![owner.clone()]
}

/// Shifts starting in `(now, now + horizon]` whose person would qualify, at
/// the shift's start, for a counting rule's grant they do not hold. One per
/// (person, entitlement, rule): the earliest shift.
pub fn upcoming_shifts(snap: &Snapshot, now: Time, horizon: chrono::Duration) -> Vec<Upcoming> {
    let mut out: BTreeMap<(String, String, String), Upcoming> = BTreeMap::new();
    for rule in &snap.org.rules {
        let Audience::Rotation(rot_id) = &rule.audience else {
            continue;
        };
        let Some(rotation) = snap.rotation(rot_id) else {
            continue;
        };
        if rule_counts(snap, rule, now).is_err() {
            continue;
        }
        let ents: Vec<usize> = rule
            .grant
            .iter()
            .filter_map(|e| snap.entitlement_idx(e))
            .filter(|&e| rule_covers(snap, rule, e))
            .collect();
        if ents.is_empty() {
            continue;
        }
        for shift in &rotation.shifts {
            if shift.start <= now || shift.start > now + horizon {
                continue;
            }
            let members = audience_members(snap, &rule.audience, shift.start);
            if qualifies(snap, rule, &shift.person, &members, shift.start).is_err() {
                continue;
            }
            for &e in &ents {
                if snap
                    .grants_of_entitlement(e)
                    .any(|g| g.person == shift.person)
                {
                    continue;
                }
                let ent = &snap.org.entitlements[e];
                let item = Upcoming {
                    person: shift.person.clone(),
                    entitlement: ent.id.clone(),
                    area: ent.area.clone(),
                    rule: rule.id.clone(),
                    rotation: rot_id.clone(),
                    start: shift.start,
                    end: shift.end,
                    only_while_oncall: rule.only_while_oncall,
                };
                let slot = out
                    .entry((shift.person.clone(), ent.id.clone(), rule.id.clone()))
                    .or_insert_with(|| item.clone());
                if item.start < slot.start {
                    *slot = item;
                }
            }
        }
    }
    let mut list: Vec<Upcoming> = out.into_values().collect();
    list.sort_by(|a, b| {
        (a.start, &a.person, &a.entitlement).cmp(&(b.start, &b.person, &b.entitlement))
    });
    list
}

fn empty_digest(inputs: &Inputs, p: &str) -> Digest {
    let person = inputs.snap.person(p);
    Digest {
        recipient: p.to_string(),
        name: person.map_or(p.to_string(), |x| x.name.clone()),
        email: person.map(|x| x.email.clone()).unwrap_or_default(),
        now: inputs.now,
        last_sent: inputs.history.last_sent(p),
        since: inputs.since,
        new: Vec::new(),
        upcoming: Vec::new(),
        escalated: Vec::new(),
        overdue: Vec::new(),
        applied: Vec::new(),
        held: Vec::new(),
    }
}

/// Every escalation at `now`, for the console as for digests: the
/// suggestions no decision holds, waiting since they were first seen (or
/// since a snooze ended). `escalation::escalated_to(&list, person)` narrows
/// it to what has reached one person.
pub fn current_escalations(
    snap: &Snapshot,
    suggestions: &[Suggestion],
    decisions: &[Decision],
    first_seen: &FirstSeen,
    now: Time,
) -> Vec<Escalation> {
    let open = undecided(suggestions.to_vec(), decisions, now);
    escalation::escalations(
        snap,
        &open,
        |s| escalation::waiting_since(s, first_seen.of(s), decisions, now),
        now,
    )
}

/// The digests of `recipients` that have something to say, in their order.
pub fn compose(inputs: &Inputs, recipients: &[String]) -> Vec<Digest> {
    let snap = inputs.snap;
    let now = inputs.now;
    let open = undecided(inputs.suggestions.to_vec(), inputs.decisions, now);
    let waiting = |s: &Suggestion| {
        escalation::waiting_since(s, inputs.first_seen.of(s), inputs.decisions, now)
    };
    // When each open suggestion last (re)opened: first seen, or later.
    let opened = |s: &Suggestion| {
        escalation::waiting_since(
            s,
            Some(inputs.first_seen.of(s).unwrap_or(now)),
            inputs.decisions,
            now,
        )
        .unwrap_or(now)
    };
    let escalations = escalation::escalations(snap, &open, waiting, now);
    let upcoming = upcoming_undecided(inputs, &open);

    let mut for_area: HashMap<String, Vec<String>> = HashMap::new();
    let mut who = |area: &str| -> Vec<String> {
        for_area
            .entry(area.to_string())
            .or_insert_with(|| {
                snap.area_idx(area)
                    .map(|a| responsible(snap, a, now))
                    .unwrap_or_default()
            })
            .clone()
    };
    let wanted: HashSet<&str> = recipients.iter().map(String::as_str).collect();
    let fresh = |recipient: &str, key: &str, came_up: Time| {
        wanted.contains(recipient)
            && match inputs.since {
                Some(since) => came_up >= since,
                None => inputs
                    .history
                    .sent_at(recipient, key)
                    .is_none_or(|sent| sent < came_up),
            }
    };
    let mut by_person: HashMap<String, Digest> = HashMap::new();
    fn slot<'m>(m: &'m mut HashMap<String, Digest>, inputs: &Inputs, p: &str) -> &'m mut Digest {
        m.entry(p.to_string())
            .or_insert_with(|| empty_digest(inputs, p))
    }

    for s in &open {
        for p in who(&s.area) {
            if fresh(&p, &new_key(s), opened(s)) {
                slot(&mut by_person, inputs, &p).new.push(s.clone());
            }
        }
    }
    for u in &upcoming {
        for p in who(&u.area) {
            // Tell a shift once; with --since, every shift still ahead.
            let told = inputs.since.is_none() && inputs.history.sent_at(&p, &u.key()).is_some();
            if !told && wanted.contains(p.as_str()) {
                slot(&mut by_person, inputs, &p).upcoming.push(u.clone());
            }
        }
    }
    for e in &escalations {
        let reached = e.waiting_since + chrono::Duration::days(e.escalate_days * e.level as i64);
        let key = escalation_key(e);
        if fresh(&e.to, &key, reached) {
            slot(&mut by_person, inputs, &e.to)
                .escalated
                .push(e.clone());
        }
        for p in who(&e.suggestion.area) {
            if p != e.to && fresh(&p, &key, reached) {
                slot(&mut by_person, inputs, &p).overdue.push(e.clone());
            }
        }
    }
    for d in inputs.decisions {
        let (Origin::Rule(_), DecisionState::Applied, Some(at)) =
            (&d.origin, d.state, d.applied_at)
        else {
            continue;
        };
        for p in who(&d.suggestion.area) {
            if fresh(&p, &applied_key(d), at) {
                slot(&mut by_person, inputs, &p).applied.push(d.clone());
            }
        }
    }
    for h in inputs.held {
        for p in who(&h.area) {
            if fresh(&p, &held_key(h), h.since) {
                slot(&mut by_person, inputs, &p).held.push(h.clone());
            }
        }
    }
    in_order(by_person, recipients)
}

/// Shifts starting soon, unless a decision holds that (person,
/// entitlement) now.
fn upcoming_undecided(inputs: &Inputs, open: &[Suggestion]) -> Vec<Upcoming> {
    let held: HashSet<(&str, &str)> = {
        let open_pairs: HashSet<(&str, &str)> = open
            .iter()
            .map(|s| (s.person.as_str(), s.entitlement.as_str()))
            .collect();
        inputs
            .suggestions
            .iter()
            .map(|s| (s.person.as_str(), s.entitlement.as_str()))
            .filter(|p| !open_pairs.contains(p))
            .collect()
    };
    upcoming_shifts(
        inputs.snap,
        inputs.now,
        chrono::Duration::days(SHIFT_HORIZON_DAYS),
    )
    .into_iter()
    .filter(|u| !held.contains(&(u.person.as_str(), u.entitlement.as_str())))
    .collect()
}

/// The digests in the order of `recipients`, each told an escalation once
/// (as overdue, not also as new), its new suggestions sorted.
fn in_order(mut by_person: HashMap<String, Digest>, recipients: &[String]) -> Vec<Digest> {
    let mut out = Vec::new();
    for p in recipients {
        if let Some(mut d) = by_person.remove(p) {
            let overdue: HashSet<String> =
                d.overdue.iter().map(|e| new_key(&e.suggestion)).collect();
            d.new.retain(|s| !overdue.contains(&new_key(s)));
            d.new.sort_by(|a, b| {
                (&a.area, a.kind, &a.person, &a.entitlement).cmp(&(
                    &b.area,
                    b.kind,
                    &b.person,
                    &b.entitlement,
                ))
            });
            out.push(d);
        }
    }
    out
}
