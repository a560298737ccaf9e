//! Suggestions: the difference between what counting rules justify and the
//! grants that exist, exactly as DESIGN.md defines it.

use super::authority::{Scope, authority};
use super::qualify::{
    Qualified, qualifies, qualifies_at, rule_counts, rule_covers, rule_members, timing_note,
};
use super::snapshot::Snapshot;
use super::{day, minute};
use crate::model::*;
use rustc_hash::{FxHashMap, FxHashSet};

/// Below this many entitlements (or rules) in scope, one thread: spawning
/// costs more than it saves on an owner's own subtree.
const PARALLEL_FROM: usize = 4096;

/// Every suggestion within `scope` at `now`, sorted by (area, person, entitlement).
/// On a large scope the work is split across the machine's cores (rules, then
/// entitlements, in contiguous chunks); the result is the same either way.
pub fn suggestions(snap: &Snapshot, scope: &Scope, now: Time) -> Vec<Suggestion> {
    evaluate(snap, scope, now, PARALLEL_FROM)
}

/// The order suggestions are listed in: by (area, person, entitlement).
pub fn listed_order(a: &Suggestion, b: &Suggestion) -> std::cmp::Ordering {
    (&a.area, &a.person, &a.entitlement).cmp(&(&b.area, &b.person, &b.entitlement))
}

fn evaluate(snap: &Snapshot, scope: &Scope, now: Time, parallel_from: usize) -> Vec<Suggestion> {
    let ents: Vec<usize> = scope
        .areas()
        .flat_map(|a| snap.entitlements_of_area[a].iter().copied())
        .collect();
    let eval = Evaluation::with(snap, scope, now, parallel_from);
    let mut out: Vec<Suggestion> = in_parallel(&ents, parallel_from, |chunk| {
        let mut audiences = Audiences::default();
        let mut out = Vec::new();
        for &e in chunk {
            eval.entitlement(e, snap.grants_of_entitlement(e), &mut audiences, &mut out);
        }
        out
    })
    .into_iter()
    .flatten()
    .collect();
    out.sort_by(listed_order);
    out
}

/// What the counting rules justify within a scope at `now`, worked out
/// once: then each entitlement's suggestions follow from its grants alone
/// ([`Evaluation::entitlement`]), whether the grants are in the snapshot or
/// read one entitlement at a time.
pub struct Evaluation<'s> {
    snap: &'s Snapshot,
    now: Time,
    /// entitlement -> who is justified (sorted by person, one rule each:
    /// the smallest id).
    justified: FxHashMap<usize, Vec<(usize, usize)>>,
    /// The audiences of the rules that count, as justifying them found
    /// them: a missing grant's evidence looks its rule's up here.
    members: Members<'s>,
}

/// Audience members, computed once per audience (and rotation grace) and
/// evaluation.
#[derive(Default)]
pub struct Audiences<'s> {
    pub(super) sets: FxHashMap<(&'s Audience, i64), FxHashSet<usize>>,
    /// Each team's own members, by index on the roster, as looked up for
    /// the first audience that holds the team: a team is in the audience
    /// of every team above it, each of which would look its members up
    /// again by id.
    teams: FxHashMap<usize, Vec<usize>>,
}

impl<'s> Audiences<'s> {
    /// The members of `rule`'s audience at `now`, with its grace: those
    /// [`rule_members`] gives.
    pub(crate) fn of(
        &mut self,
        snap: &'s Snapshot,
        rule: &'s Rule,
        now: Time,
    ) -> &FxHashSet<usize> {
        let Audiences { sets, teams } = self;
        sets.entry((&rule.audience, rule.grace_secs))
            .or_insert_with(|| match &rule.audience {
                Audience::Team(t) => team_members(snap, t, teams),
                Audience::Rotation(_) => rule_members(snap, rule, now),
            })
    }
}

/// The members of team `t` and the teams below it, as `audience_members`
/// gives them, each team's own looked up once in `teams`.
fn team_members(
    snap: &Snapshot,
    t: &str,
    teams: &mut FxHashMap<usize, Vec<usize>>,
) -> FxHashSet<usize> {
    let mut out = FxHashSet::default();
    let Some(t) = snap.team_idx(t) else {
        return out;
    };
    for team in snap.team_subtree(t) {
        let own = teams.entry(team).or_insert_with(|| {
            let members = snap.org.teams[team].members.iter();
            members.filter_map(|m| snap.person_idx(m)).collect()
        });
        out.extend(own.iter().copied());
    }
    out
}

impl<'s> Evaluation<'s> {
    /// The counting rules that grant something in `scope`, each evaluated
    /// once: who qualifies, and for which of its entitlements.
    pub fn new(snap: &'s Snapshot, scope: &Scope, now: Time) -> Evaluation<'s> {
        Evaluation::with(snap, scope, now, PARALLEL_FROM)
    }

    fn with(snap: &'s Snapshot, scope: &Scope, now: Time, parallel_from: usize) -> Evaluation<'s> {
        let mut rules: Vec<usize> = scope
            .areas()
            .flat_map(|a| snap.entitlements_of_area[a].iter())
            .flat_map(|&e| snap.rules_granting[e].iter().copied())
            .collect();
        rules.sort_unstable();
        rules.dedup();
        let counting: Vec<(usize, Vec<usize>)> = in_parallel(&rules, parallel_from, |chunk| {
            covered(snap, scope, chunk, now)
        })
        .into_iter()
        .flatten()
        .collect();
        let members = audiences_of(snap, &counting, now, parallel_from);
        let mut justified: FxHashMap<usize, Vec<(usize, usize)>> = FxHashMap::default();
        for part in in_parallel(&counting, parallel_from, |chunk| {
            justify(snap, chunk, &members, now)
        }) {
            for (e, pairs) in part {
                justified.entry(e).or_default().extend(pairs);
            }
        }
        // Who is justified, by the rule with the smallest id (the first
        // written, if two share it).
        for just in justified.values_mut() {
            just.sort_unstable_by(|a, b| {
                (a.0, &snap.org.rules[a.1].id, a.1).cmp(&(b.0, &snap.org.rules[b.1].id, b.1))
            });
            just.dedup_by_key(|x| x.0);
        }
        Evaluation {
            snap,
            now,
            justified,
            members,
        }
    }

    /// The suggestions of entitlement `e` (an index in the snapshot, in
    /// scope), whose grants are `grants` in the order they were written:
    /// the held grants that should go or be reviewed, and the justified
    /// grants that are missing. Appended to `out`, in no particular order.
    pub fn entitlement<'g>(
        &self,
        e: usize,
        grants: impl IntoIterator<Item = &'g Grant>,
        audiences: &mut Audiences<'s>,
        out: &mut Vec<Suggestion>,
    ) {
        let (snap, now) = (self.snap, self.now);
        let ent = &snap.org.entitlements[e];
        let just: &[(usize, usize)] = self.justified.get(&e).map_or(&[], |v| v.as_slice());
        // Grants grouped by person (by index on the roster; those on no
        // roster after, by id), each group in the order written.
        let roster = snap.org.people.len();
        let mut off_roster: FxHashMap<&str, usize> = FxHashMap::default();
        let mut held: Vec<(usize, &Grant)> = grants
            .into_iter()
            .map(|g| {
                let key = snap.person_idx(&g.person).unwrap_or_else(|| {
                    let next = roster + off_roster.len();
                    *off_roster.entry(&g.person).or_insert(next)
                });
                (key, g)
            })
            .collect();
        held.sort_by_key(|&(key, _)| key);
        let mut next_just = just.iter().peekable();
        for group in held.chunk_by(|a, b| a.0 == b.0) {
            let (key, first) = group[0];
            // Justified people without a grant come before this one.
            while let Some(&&(p, r)) = next_just.peek() {
                if p >= key {
                    break;
                }
                next_just.next();
                self.missing(ent, p, r, audiences, out);
            }
            let is_justified = next_just.peek().is_some_and(|&&(p, _)| p == key);
            if is_justified {
                next_just.next();
            }
            let left = snap
                .org
                .people
                .get(key)
                .is_some_and(|p| p.status == Status::Left);
            let held = Held {
                person: &first.person,
                grants: group,
                left,
                justified: is_justified,
            };
            if let Some(s) = held_suggestion(snap, ent, &held, now, audiences) {
                out.push(s);
            }
        }
        for &(p, r) in next_just {
            self.missing(ent, p, r, audiences, out);
        }
    }

    /// [`missing`], with the audience of rule `r` (which justified `p`) as
    /// justifying found it.
    fn missing(
        &self,
        ent: &Entitlement,
        p: usize,
        r: usize,
        audiences: &mut Audiences<'s>,
        out: &mut Vec<Suggestion>,
    ) {
        let (snap, now) = (self.snap, self.now);
        let rule = &snap.org.rules[r];
        match self.members.get(&(&rule.audience, rule.grace_secs)) {
            Some(members) => grant_if_qualifies(snap, rule, ent, p, members, now, out),
            None => missing(snap, ent, p, r, now, audiences, out),
        }
    }
}

/// The grant suggestion for a justified person `p` who lacks `ent`.
pub(super) fn missing<'s>(
    snap: &'s Snapshot,
    ent: &Entitlement,
    p: usize,
    r: usize,
    now: Time,
    audiences: &mut Audiences<'s>,
    out: &mut Vec<Suggestion>,
) {
    let rule = &snap.org.rules[r];
    let members = audiences.of(snap, rule, now);
    grant_if_qualifies(snap, rule, ent, p, members, now, out);
}

/// The grant suggestion for person `p` of `rule`'s audience `members`, if
/// they qualify.
fn grant_if_qualifies(
    snap: &Snapshot,
    rule: &Rule,
    ent: &Entitlement,
    p: usize,
    members: &FxHashSet<usize>,
    now: Time,
    out: &mut Vec<Suggestion>,
) {
    if let Ok(q) = qualifies_at(snap, rule, p, members, now) {
        out.push(grant_suggestion(rule, ent, &snap.org.people[p].id, &q));
    }
}

/// `work` over `items` in small contiguous chunks that each core takes in
/// turn (a few entitlements hold most grants, so equal halves would not be
/// equal work); the results in the items' order.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    from: usize,
    work: impl Fn(&[T]) -> R + Sync,
) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    if items.len() < from {
        return vec![work(items)];
    }
    // At least two workers, so the split itself is tested on any machine.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let chunks: Vec<&[T]> = items.chunks(items.len().div_ceil(cores * 16)).collect();
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cores)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chunk) = chunks.get(k) else {
                            break mine;
                        };
                        mine.push((k, work(chunk)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            // A panic in a chunk is a bug in the engine: raise it here.
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_unstable_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Each of `rules` that counts, with the entitlements in scope it covers
/// (those covering none left out).
fn covered(snap: &Snapshot, scope: &Scope, rules: &[usize], now: Time) -> Vec<(usize, Vec<usize>)> {
    let mut out = Vec::new();
    for &r in rules {
        let rule = &snap.org.rules[r];
        if rule_counts(snap, rule, now).is_err() {
            continue;
        }
        let covered: Vec<usize> = rule
            .grant
            .iter()
            .filter_map(|g| snap.entitlement_idx(g))
            .filter(|&e| {
                snap.entitlement_area(e).is_some_and(|a| scope.contains(a))
                    && rule_covers(snap, rule, e)
            })
            .collect();
        if !covered.is_empty() {
            out.push((r, covered));
        }
    }
    out
}

/// An audience (with a rule's grace) and its members.
type Members<'s> = FxHashMap<(&'s Audience, i64), FxHashSet<usize>>;

/// The members of each audience of the `counting` rules, each worked out
/// once however many rules share it (rules of one audience are often far
/// apart in the list, so the chunks of [`justify`] would each work it out
/// again).
fn audiences_of<'s>(
    snap: &'s Snapshot,
    counting: &[(usize, Vec<usize>)],
    now: Time,
    parallel_from: usize,
) -> Members<'s> {
    let mut seen = FxHashSet::default();
    let unique: Vec<&'s Rule> = counting
        .iter()
        .map(|&(r, _)| &snap.org.rules[r])
        .filter(|rule| seen.insert((&rule.audience, rule.grace_secs)))
        .collect();
    in_parallel(&unique, parallel_from, |chunk| {
        let mut audiences = Audiences::default();
        for rule in chunk {
            audiences.of(snap, rule, now);
        }
        audiences.sets
    })
    .into_iter()
    .flatten()
    .collect()
}

/// For each of the `counting` rules: who qualifies, per entitlement it
/// covers.
fn justify(
    snap: &Snapshot,
    counting: &[(usize, Vec<usize>)],
    members: &Members,
    now: Time,
) -> Vec<(usize, Vec<(usize, usize)>)> {
    let mut out = Vec::new();
    for (r, covered) in counting {
        let rule = &snap.org.rules[*r];
        let Some(members) = members.get(&(&rule.audience, rule.grace_secs)) else {
            continue;
        };
        let qualifying: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&p| qualifies_at(snap, rule, p, members, now).is_ok())
            .collect();
        for &e in covered {
            out.push((e, qualifying.iter().map(|&p| (p, *r)).collect()));
        }
    }
    out
}

pub(crate) fn grant_suggestion(
    rule: &Rule,
    ent: &Entitlement,
    person: &str,
    q: &Qualified,
) -> Suggestion {
    let trained = if q.trainings.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = q
            .trainings
            .iter()
            .map(|t| format!("{} ({})", t.course, day(t.completed)))
            .collect();
        format!(", trained {}", list.join(", "))
    };
    let (reason, evidence) = match q.shift {
        // With a lead or grace, the shift's start too, so the sentence is
        // the same before, during and after the shift itself.
        Some(s) if rule.lead_secs > 0 || rule.grace_secs > 0 => (
            Reason::OnCall,
            format!(
                "on call in {} from {} until {}{}{}; rule {} grants {} only while on call",
                rotation_of(rule),
                minute(s.start),
                minute(s.end),
                timing_note(rule),
                trained,
                rule.id,
                ent.id
            ),
        ),
        Some(s) => (
            Reason::OnCall,
            format!(
                "on call in {} until {}{}; rule {} grants {} only while on call",
                rotation_of(rule),
                minute(s.end),
                trained,
                rule.id,
                ent.id
            ),
        ),
        None => {
            let what = match &rule.audience {
                Audience::Team(t) => format!("member of team {t}"),
                Audience::Rotation(r) => format!("member of rotation {r}"),
            };
            (
                Reason::Qualifies,
                format!("{what}{trained}; rule {} grants {}", rule.id, ent.id),
            )
        }
    };
    Suggestion {
        kind: Kind::Grant,
        person: person.to_string(),
        entitlement: ent.id.clone(),
        area: ent.area.clone(),
        reason,
        evidence,
        rule: Some(rule.id.clone()),
    }
}

fn rotation_of(rule: &Rule) -> &str {
    match &rule.audience {
        Audience::Rotation(r) => r,
        Audience::Team(t) => t,
    }
}

/// One person's grants of one entitlement.
pub(super) struct Held<'a, 'g> {
    pub(super) person: &'a str,
    /// In the order written (each with the person's key).
    pub(super) grants: &'a [(usize, &'g Grant)],
    /// The person has left.
    pub(super) left: bool,
    /// A counting rule justifies the person holding it.
    pub(super) justified: bool,
}

/// The revoke or review suggestion for a held (person, entitlement), if any.
pub(super) fn held_suggestion<'s>(
    snap: &'s Snapshot,
    ent: &Entitlement,
    held: &Held,
    now: Time,
    audiences: &mut Audiences<'s>,
) -> Option<Suggestion> {
    let person = held.person;
    let grants = || held.grants.iter().map(|&(_, g)| g);
    let make = |kind, reason, evidence: String, rule: Option<&str>| Suggestion {
        kind,
        person: person.to_string(),
        entitlement: ent.id.clone(),
        area: ent.area.clone(),
        reason,
        evidence,
        rule: rule.map(str::to_string),
    };
    if held.left {
        let since = grants()
            .map(|g| g.granted_at)
            .min()
            .map(day)
            .unwrap_or_default();
        return Some(make(
            Kind::Revoke,
            Reason::PersonLeft,
            format!(
                "{person} has left the organization; holds {} since {since}",
                ent.id
            ),
            grants().find_map(|g| g.basis.rule()),
        ));
    }
    if held.justified {
        return None;
    }
    // Revocations first: any rule-based grant, or an expired manual one.
    for g in grants() {
        match &g.basis {
            Basis::Rule(id) => {
                let (reason, evidence) = why_rule_fails(snap, id, ent, person, now, audiences);
                return Some(make(Kind::Revoke, reason, evidence, Some(id)));
            }
            Basis::Manual => {
                if let Some(exp) = g.expires.filter(|&x| x <= now) {
                    return Some(make(
                        Kind::Revoke,
                        Reason::GrantExpired,
                        format!(
                            "manual grant expired on {}; no rule justifies it",
                            minute(exp)
                        ),
                        None,
                    ));
                }
            }
        }
    }
    let area = snap.area_idx(&ent.area)?;
    let review_days = snap.org.areas[area].review_days;
    for g in grants() {
        if g.granted_by.is_none() {
            // Seen upstream (or written) with nobody named as its grantor.
            return Some(make(
                Kind::Review,
                Reason::ExistingMembership,
                format!(
                    "existing membership, first seen {}, grantor unknown",
                    day(g.granted_at)
                ),
                None,
            ));
        }
        let unauthorized = match &g.granted_by {
            None => None,
            Some(by) if authority(snap, by, area, g.granted_at).is_none() => Some(format!(
                "granted manually by {by} on {}, who had no authority over area {} then",
                day(g.granted_at),
                ent.area
            )),
            Some(_) => None,
        };
        if let Some(evidence) = unauthorized {
            return Some(make(
                Kind::Review,
                Reason::GrantorNoAuthority,
                evidence,
                None,
            ));
        }
        if g.granted_at < now - chrono::Duration::days(review_days) {
            return Some(make(
                Kind::Review,
                Reason::ReviewDue,
                format!(
                    "manual grant by {} from {}, older than area {}'s review interval of {review_days} days",
                    g.granted_by.as_deref().unwrap_or("?"),
                    day(g.granted_at),
                    ent.area
                ),
                None,
            ));
        }
    }
    None
}

/// Why the rule a grant was based on no longer justifies it.
pub(crate) fn why_rule_fails<'s>(
    snap: &'s Snapshot,
    rule_id: &str,
    ent: &Entitlement,
    person: &str,
    now: Time,
    audiences: &mut Audiences<'s>,
) -> (Reason, String) {
    let Some(rule) = snap.rule(rule_id) else {
        return (Reason::RuleGone, format!("rule {rule_id} no longer exists"));
    };
    let covers = snap
        .entitlement_idx(&ent.id)
        .is_some_and(|e| rule_covers(snap, rule, e));
    if !covers {
        return (
            Reason::RuleGone,
            if rule.grant.contains(&ent.id) {
                format!(
                    "rule {rule_id} of area {} cannot grant {} outside its area",
                    rule.area, ent.id
                )
            } else {
                format!("rule {rule_id} no longer grants {}", ent.id)
            },
        );
    }
    if let Err(nc) = rule_counts(snap, rule, now) {
        return (
            Reason::RuleNotCounting,
            format!("rule {rule_id} no longer counts: {}", nc.describe(rule)),
        );
    }
    let members = audiences.of(snap, rule, now);
    match qualifies(snap, rule, person, members, now) {
        Err(f) => (f.reason(), f.describe(snap, rule, person, now)),
        // Qualifies but not justified cannot happen; say what we know.
        Ok(_) => (
            Reason::RuleGone,
            format!("rule {rule_id} does not justify this grant"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each rule's audience, worked out with the teams' members kept, is
    /// the one `rule_members` gives, however the rules follow each other.
    #[test]
    fn audiences_kept_are_the_rules_members() {
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let mut org = crate::r#gen::generate(1500, 5, now);
        org.rules.push(Rule {
            audience: Audience::Team("no-such-team".into()),
            ..org.rules[0].clone()
        });
        let snap = Snapshot::new(org);
        let mut audiences = Audiences::default();
        let teams = snap
            .org
            .rules
            .iter()
            .filter(|r| matches!(r.audience, Audience::Team(_)));
        assert!(teams.count() > 20);
        for rule in snap.org.rules.iter().rev() {
            let want = rule_members(&snap, rule, now);
            assert_eq!(audiences.of(&snap, rule, now), &want, "{}", rule.id);
        }
    }

    /// Split across threads in many chunks, the suggestions are exactly
    /// those of one thread, in the same order.
    #[test]
    fn the_parallel_evaluation_equals_the_sequential_one() {
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let snap = Snapshot::new(crate::r#gen::generate(2000, 11, now));
        let root = snap
            .org
            .areas
            .iter()
            .find(|a| a.parent.is_none())
            .map(|a| a.owner.clone())
            .unwrap();
        let scope = Scope::of(&snap, &root, now);
        let one = evaluate(&snap, &scope, now, usize::MAX);
        let split = evaluate(&snap, &scope, now, 1);
        assert!(one.len() > 100, "{} suggestions", one.len());
        assert_eq!(split, one);
    }
}
