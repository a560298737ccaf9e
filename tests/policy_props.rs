//! Properties of the policy engine over many small random organizations:
//! determinism, scope never crossed, at most one suggestion per pair, and
//! convergence (accepting and applying every grant and revoke leaves none).

use proptest::prelude::*;
use proptest::sample::Index;
use steward::model::*;
use steward::policy::gate::{self, Action};
use steward::policy::{Scope, Snapshot, listed_order, suggestions, suggestions_for};
use steward::store::Store;

fn t(h: i64) -> Time {
    let base: Time = "2026-03-02T12:00:00Z".parse().unwrap_or_default();
    base + chrono::Duration::hours(h)
}

fn person(i: usize) -> String {
    format!("p{i}")
}

/// Hours around now, often exactly now, so boundaries show up.
fn hours() -> impl Strategy<Value = i64> {
    prop_oneof![3 => Just(0i64), 17 => -200i64..200]
}

/// Which of `n` people: a mask, `percent` of them on average.
fn some_of(n: usize, percent: f64) -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(proptest::bool::weighted(percent), n).prop_map(|mask| {
        mask.iter()
            .enumerate()
            .filter(|(_, on)| **on)
            .map(|(i, _)| person(i))
            .collect()
    })
}

fn people(np: usize) -> impl Strategy<Value = Vec<Person>> {
    proptest::collection::vec(proptest::bool::weighted(0.15), np).prop_map(|left| {
        left.iter()
            .enumerate()
            .map(|(i, &left)| Person {
                id: person(i),
                name: format!("P{i}"),
                email: format!("p{i}@x.io"),
                manager: None,
                status: if left { Status::Left } else { Status::Active },
                ..Default::default()
            })
            .collect()
    })
}

/// Teams `t0..`: each one's parent is an earlier team.
fn teams(np: usize) -> impl Strategy<Value = Vec<Team>> {
    let team = (some_of(np, 0.3), any::<Index>(), 0..np);
    proptest::collection::vec(team, 1..5).prop_map(|ts| {
        ts.into_iter()
            .enumerate()
            .map(|(i, (members, parent, lead))| Team {
                id: format!("t{i}"),
                name: format!("T{i}"),
                parent: (i > 0).then(|| format!("t{}", parent.index(i))),
                lead: Some(person(lead)),
                members,
            })
            .collect()
    })
}

fn rotations(np: usize) -> impl Strategy<Value = Vec<Rotation>> {
    let shift = (0..np, hours(), 1i64..200).prop_map(|(p, start, len)| Shift {
        person: person(p),
        start: t(start),
        end: t(start + len),
    });
    let rotation = (some_of(np, 0.25), proptest::collection::vec(shift, 0..5));
    proptest::collection::vec(rotation, 1..4).prop_map(|rs| {
        rs.into_iter()
            .enumerate()
            .map(|(i, (members, shifts))| Rotation {
                id: format!("r{i}"),
                name: format!("R{i}"),
                team: None,
                members,
                shifts,
            })
            .collect()
    })
}

const COURSES: [&str; 2] = ["c0", "c1"];

/// Each person's completion of each course, or none.
fn trainings(np: usize) -> impl Strategy<Value = Vec<Training>> {
    let one = proptest::option::of((hours(), proptest::option::of(hours())));
    proptest::collection::vec(one, np * COURSES.len()).prop_map(|done| {
        done.into_iter()
            .enumerate()
            .filter_map(|(k, d)| {
                let (completed, expires) = d?;
                Some(Training {
                    person: person(k / COURSES.len()),
                    course: COURSES[k % COURSES.len()].into(),
                    completed: t(completed - 100),
                    expires: expires.map(t),
                })
            })
            .collect()
    })
}

/// Areas `a0..` (each one's parent an earlier area) with one or two
/// entitlements each.
fn areas(np: usize) -> impl Strategy<Value = (Vec<Area>, Vec<Entitlement>)> {
    let area = (any::<Index>(), 0..np, 0i64..10, 1usize..=2);
    proptest::collection::vec(area, 1..6).prop_map(|list| {
        let mut areas = Vec::new();
        let mut ents = Vec::new();
        for (i, (parent, owner, review_days, n)) in list.into_iter().enumerate() {
            areas.push(Area {
                id: format!("a{i}"),
                name: format!("A{i}"),
                parent: (i > 0).then(|| format!("a{}", parent.index(i))),
                owner: person(owner),
                tags: vec![],
                notes: String::new(),
                review_days,
                escalate_days: 14,
                max_auto_changes: None,
            });
            for j in 0..n {
                ents.push(Entitlement {
                    id: format!("a{i}:e{j}"),
                    area: format!("a{i}"),
                    name: String::new(),
                    upstream: None,
                });
            }
        }
        (areas, ents)
    })
}

type DelegationDraw = (Index, usize, usize, i64, Option<i64>);

fn delegations(np: usize) -> impl Strategy<Value = Vec<DelegationDraw>> {
    let d = (
        any::<Index>(),
        0..np,
        0..np,
        hours(),
        proptest::option::of(0i64..300),
    );
    proptest::collection::vec(d, 0..3)
}

/// What rules and grants draw before they know the areas: indexes into
/// them.
type RuleDraw = (
    Index,
    bool,
    Index,
    bool,
    Option<usize>,
    Vec<Index>,
    Vec<bool>,
);
type GrantDraw = (usize, Index, Option<Index>, Option<usize>, i64, Option<i64>);

fn rules(np: usize) -> impl Strategy<Value = Vec<RuleDraw>> {
    let r = (
        any::<Index>(),
        any::<bool>(),
        any::<Index>(),
        proptest::bool::weighted(0.4),
        proptest::option::weighted(0.2, 0..np),
        proptest::collection::vec(any::<Index>(), 1..=2),
        proptest::collection::vec(proptest::bool::weighted(0.3), COURSES.len()),
    );
    proptest::collection::vec(r, 1..5)
}

fn grants(np: usize) -> impl Strategy<Value = Vec<GrantDraw>> {
    let g = (
        0..np,
        any::<Index>(),
        proptest::option::of(any::<Index>()),
        proptest::option::weighted(0.8, 0..np),
        hours(),
        proptest::option::weighted(0.4, hours()),
    );
    proptest::collection::vec(g, 0..12)
}

/// Small organizations with collisions on purpose (few people, few areas),
/// so boundaries and overlaps show up often. Every part is drawn by its own
/// strategy, so a failing organization shrinks to a small one.
fn org() -> impl Strategy<Value = Org> {
    (3usize..11).prop_flat_map(|np| {
        (
            people(np),
            teams(np),
            rotations(np),
            trainings(np),
            areas(np),
            delegations(np),
            rules(np),
            grants(np),
        )
            .prop_map(build)
    })
}

type Drawn = (
    Vec<Person>,
    Vec<Team>,
    Vec<Rotation>,
    Vec<Training>,
    (Vec<Area>, Vec<Entitlement>),
    Vec<DelegationDraw>,
    Vec<RuleDraw>,
    Vec<GrantDraw>,
);

fn build(drawn: Drawn) -> Org {
    let (people, teams, rotations, trainings, (areas, entitlements), ds, rs, gs) = drawn;
    let delegations = ds
        .into_iter()
        .map(|(area, to, by, since, len)| Delegation {
            area: areas[area.index(areas.len())].id.clone(),
            to: person(to),
            by: person(by),
            since: t(since),
            until: len.map(|l| t(since + l)),
        })
        .collect();
    let rules: Vec<Rule> = rs
        .into_iter()
        .enumerate()
        .map(
            |(i, (area, team, audience, only, author, grant, trained))| {
                let area = &areas[area.index(areas.len())];
                let audience = if team {
                    Audience::Team(teams[audience.index(teams.len())].id.clone())
                } else {
                    Audience::Rotation(rotations[audience.index(rotations.len())].id.clone())
                };
                Rule {
                    id: format!("rule{i}"),
                    area: area.id.clone(),
                    author: author.map_or_else(|| area.owner.clone(), person),
                    why: String::new(),
                    grant: grant
                        .iter()
                        .map(|e| entitlements[e.index(entitlements.len())].id.clone())
                        .collect(),
                    only_while_oncall: only && matches!(audience, Audience::Rotation(_)),
                    apply: ApplyMode::Suggest,
                    lead_secs: 0,
                    grace_secs: 0,
                    audience,
                    trained: COURSES
                        .iter()
                        .zip(trained)
                        .filter(|(_, on)| *on)
                        .map(|(c, _)| c.to_string())
                        .collect(),
                }
            },
        )
        .collect();
    // A basis may name a rule that does not exist (one past the last).
    let grants = gs
        .into_iter()
        .map(|(p, ent, rule, by, at, expires)| Grant {
            person: person(p),
            entitlement: entitlements[ent.index(entitlements.len())].id.clone(),
            granted_by: by.map(person),
            granted_at: t(at - 100),
            basis: rule.map_or(Basis::Manual, |r| {
                Basis::Rule(format!("rule{}", r.index(rules.len() + 1)))
            }),
            expires: expires.map(t),
            through: None,
        })
        .collect();
    Org {
        people,
        teams,
        rotations,
        trainings,
        areas,
        entitlements,
        grants,
        delegations,
        rules,
    }
}

/// What accepting and applying every grant and revoke suggestion does.
fn apply_all(org: &mut Org, list: &[Suggestion], now: Time) {
    for s in list {
        match s.kind {
            Kind::Grant => org.grants.push(Grant {
                person: s.person.clone(),
                entitlement: s.entitlement.clone(),
                granted_by: None,
                granted_at: now,
                basis: s.rule.clone().map_or(Basis::Manual, Basis::Rule),
                expires: None,
                through: None,
            }),
            Kind::Revoke => org
                .grants
                .retain(|g| !(g.person == s.person && g.entitlement == s.entitlement)),
            Kind::Review => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn evaluation_is_deterministic(org in org()) {
        let a = { let s = Snapshot::new(org.clone()); suggestions(&s, &Scope::everything(&s), t(0)) };
        let b = { let s = Snapshot::new(org); suggestions(&s, &Scope::everything(&s), t(0)) };
        prop_assert_eq!(a, b);
    }

    #[test]
    fn scoped_suggestions_are_exactly_the_org_wide_ones_in_scope(org in org()) {
        let snap = Snapshot::new(org);
        let all = suggestions(&snap, &Scope::everything(&snap), t(0));
        for p in &snap.org.people {
            let scope = Scope::of(&snap, &p.id, t(0));
            let mine = suggestions(&snap, &scope, t(0));
            let expected: Vec<Suggestion> = all
                .iter()
                .filter(|s| snap.area_idx(&s.area).is_some_and(|a| scope.contains(a)))
                .cloned()
                .collect();
            prop_assert_eq!(mine, expected);
        }
        for (i, area) in snap.org.areas.iter().enumerate() {
            let one = suggestions(&snap, &Scope::single(&snap, i), t(0));
            let expected: Vec<Suggestion> = all.iter().filter(|s| s.area == area.id).cloned().collect();
            prop_assert_eq!(one, expected);
        }
    }

    #[test]
    fn at_most_one_suggestion_per_pair_and_sorted(org in org()) {
        let snap = Snapshot::new(org);
        let all = suggestions(&snap, &Scope::everything(&snap), t(0));
        let keys: Vec<_> = all.iter().map(|s| (&s.area, &s.person, &s.entitlement)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(keys, sorted);
        for s in &all {
            prop_assert_eq!(s.reason.kind(), s.kind);
        }
    }

    #[test]
    fn accepting_every_grant_and_revoke_converges(mut org in org()) {
        let now = t(0);
        let first = { let s = Snapshot::new(org.clone()); suggestions(&s, &Scope::everything(&s), now) };
        apply_all(&mut org, &first, now);
        let snap = Snapshot::new(org);
        let after = suggestions(&snap, &Scope::everything(&snap), now);
        let left: Vec<_> = after.iter().filter(|s| s.kind != Kind::Review).collect();
        prop_assert!(left.is_empty(), "still suggested after applying all: {:?}", left);
    }

    /// The gate admits a decision exactly when the suggestion is in the
    /// decider's scope, and is not about their own access unless they own
    /// every area from its area up to the root.
    #[test]
    fn the_gate_admits_exactly_the_scope_minus_ones_own_access(org in org()) {
        let snap = Snapshot::new(org);
        let now = t(0);
        let all = suggestions(&snap, &Scope::everything(&snap), now);
        for p in &snap.org.people {
            let scope = Scope::of(&snap, &p.id, now);
            let actor = Actor::local(&p.id);
            for s in &all {
                let Some(area) = snap.area_idx(&s.area) else { continue };
                let own_all_the_way = snap
                    .area_path(area)
                    .iter()
                    .all(|&a| snap.org.areas[a].owner == p.id);
                let expected = scope.contains(area) && (s.person != p.id || own_all_the_way);
                let accept = Action::Decide {
                    verdict: Verdict::Accept,
                    suggestion: s,
                    note: None,
                    until: None,
                };
                let got = gate::check(&actor, &accept, &snap, now);
                prop_assert_eq!(got.is_ok(), expected, "{} on {:?}: {:?}", p.id, s, got);
                if let Err(r) = got {
                    let text = r.to_string();
                    prop_assert!(text.contains(&p.id) && text.contains(&s.area), "{}", text);
                }
            }
        }
    }
}

fn source(name: &str) -> steward::store::SourceInfo {
    steward::store::SourceInfo {
        name: name.into(),
        kind: "files".into(),
        location: String::new(),
        synced_at: None,
        attempted_at: None,
        error: None,
        items: 0,
    }
}

/// Who to ask about: everyone on either roster, and someone on none.
fn askers(whole: &Snapshot) -> Vec<String> {
    let mut people: Vec<String> = whole.org.people.iter().map(|p| p.id.clone()).collect();
    people.push("stranger".into());
    people
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Read from the cache for one person's scope only (`load_scope`), or
    /// evaluated area by area with the grants read per entitlement
    /// (`evaluate_by_area`), the organization gives exactly the whole
    /// organization's suggestions within that scope. A second source often
    /// defines the same ids again (people, teams, areas, rules, grants), so
    /// which row an id names is tested too.
    #[test]
    fn scoped_reads_from_the_cache_evaluate_as_the_whole_organization(
        org in org(),
        other in proptest::option::weighted(0.4, org()),
    ) {
        let now = t(0);
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let fail = |e: steward::store::Error| TestCaseError::fail(e.to_string());
        let mut store = Store::open(&dir.path().join("c.db")).map_err(fail)?;
        store.replace_source(&source("a"), &org, now).map_err(fail)?;
        if let Some(other) = &other {
            store.replace_source(&source("b"), other, now).map_err(fail)?;
        }
        let whole = Snapshot::new(store.load_org().map_err(fail)?);
        let all = suggestions(&whole, &Scope::everything(&whole), now);
        let mut streamed = Vec::new();
        store
            .evaluate_by_area(None, now, |_, list| {
                streamed.extend_from_slice(list);
                true
            })
            .map_err(fail)?;
        prop_assert_eq!(&streamed, &all);
        for p in askers(&whole) {
            let scope = Scope::of(&whole, &p, now);
            let expected: Vec<Suggestion> = all
                .iter()
                .filter(|s| whole.area_idx(&s.area).is_some_and(|a| scope.contains(a)))
                .cloned()
                .collect();
            let part = Snapshot::new(store.load_scope(&p, now).map_err(fail)?);
            prop_assert_eq!(part.person(&p).is_some(), whole.person(&p).is_some());
            let part_scope = Scope::of(&part, &p, now);
            let ids = |s: &Snapshot, scope: &Scope| {
                let mut v: Vec<String> = scope.areas().map(|a| s.org.areas[a].id.clone()).collect();
                v.sort();
                v
            };
            prop_assert_eq!(ids(&part, &part_scope), ids(&whole, &scope), "scope of {}", p);
            let got = suggestions(&part, &part_scope, now);
            prop_assert_eq!(&got, &expected, "scoped read for {}", p);
            let mut by_area = Vec::new();
            let known = store.evaluate_by_area(Some(&p), now, |_, list| {
                by_area.extend_from_slice(list);
                true
            });
            match known {
                Ok(_) => prop_assert_eq!(&by_area, &expected, "by area for {}", p),
                Err(e) => prop_assert!(whole.person(&p).is_none(), "{}: {}", p, e),
            }
        }
    }
}

/// An organization as [`org`] draws it, often with a second one's records
/// added under the same ids (as two sources give them), its rules given
/// leads and graces of up to 90 minutes, and one grant copied to someone on
/// no roster.
fn org_for_pairs() -> impl Strategy<Value = Org> {
    let timing = proptest::collection::vec((0i64..4, 0i64..4), 5);
    (
        org(),
        proptest::option::weighted(0.3, org()),
        timing,
        any::<Index>(),
    )
        .prop_map(|(mut org, other, timing, ghost)| {
            if let Some(o) = other {
                org.people.extend(o.people);
                org.teams.extend(o.teams);
                org.rotations.extend(o.rotations);
                org.trainings.extend(o.trainings);
                org.areas.extend(o.areas);
                org.entitlements.extend(o.entitlements);
                org.grants.extend(o.grants);
                org.delegations.extend(o.delegations);
                org.rules.extend(o.rules);
            }
            for (rule, (lead, grace)) in org.rules.iter_mut().zip(timing.iter().cycle()) {
                rule.lead_secs = lead * 1800;
                rule.grace_secs = grace * 1800;
            }
            if !org.grants.is_empty() {
                let mut g = org.grants[ghost.index(org.grants.len())].clone();
                g.person = "ghost".into();
                org.grants.push(g);
            }
            org
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// The suggestions of some (entitlement, person) pairs, worked out for
    /// those people alone, are exactly the whole organization's for them:
    /// people on the roster or not, who left, holding or not, justified or
    /// not, at any time.
    #[test]
    fn pairs_are_the_whole_evaluation_for_those_people(
        org in org_for_pairs(),
        at in hours(),
        picks in proptest::collection::vec((any::<Index>(), any::<Index>()), 1..16),
    ) {
        let snap = Snapshot::new(org);
        let now = t(at);
        let mut people = askers(&snap);
        people.push("ghost".into());
        let every: Vec<(usize, &str)> = (0..snap.org.entitlements.len())
            .flat_map(|e| people.iter().map(move |p| (e, p.as_str())))
            .collect();
        let ents = snap.org.entitlements.len();
        let some: Vec<(usize, &str)> = picks
            .iter()
            .map(|(e, p)| (e.index(ents), people[p.index(people.len())].as_str()))
            .collect();
        let all = suggestions(&snap, &Scope::everything(&snap), now);
        for pairs in [&every, &some] {
            // The whole evaluation names an entitlement defined twice by
            // its first definition.
            let asked = |s: &Suggestion| {
                let e = snap.entitlement_idx(&s.entitlement);
                pairs.iter().any(|&(a, p)| Some(a) == e && p == s.person)
            };
            let expected: Vec<Suggestion> = all.iter().filter(|s| asked(s)).cloned().collect();
            let mut got: Vec<Suggestion> = Vec::new();
            for (e, s) in suggestions_for(&snap, pairs, now) {
                prop_assert!(pairs.contains(&(e, s.person.as_str())), "{:?}", s);
                prop_assert_eq!(&snap.org.entitlements[e].id, &s.entitlement);
                got.push(s);
            }
            got.sort_by(listed_order);
            prop_assert_eq!(got, expected);
        }
    }
}
