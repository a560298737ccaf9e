//! Properties of the policy engine over many small random organizations:
//! determinism, scope never crossed, at most one suggestion per pair, and
//! convergence (accepting and applying every grant and revoke leaves none).

use proptest::prelude::*;
use steward::model::*;
use steward::policy::{Scope, Snapshot, suggestions};

fn t(h: i64) -> Time {
    let base: Time = "2026-03-02T12:00:00Z".parse().unwrap_or_default();
    base + chrono::Duration::hours(h)
}

/// A small deterministic generator: collisions on purpose (few people, few
/// areas), so boundaries and overlaps show up often.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    /// Hours around now, with a bias to land exactly on now.
    fn hours(&mut self) -> i64 {
        if self.chance(15) {
            0
        } else {
            self.below(400) as i64 - 200
        }
    }
}

fn random_org(seed: u64) -> Org {
    let mut r = Rng(seed);
    let mut org = Org::default();
    let np = 3 + r.below(8);
    let person = |i: usize| format!("p{i}");
    for i in 0..np {
        org.people.push(Person {
            id: person(i),
            name: format!("P{i}"),
            email: format!("p{i}@x.io"),
            manager: None,
            status: if r.chance(15) {
                Status::Left
            } else {
                Status::Active
            },
        });
    }
    let nt = 1 + r.below(4);
    for i in 0..nt {
        let members = (0..np).filter(|_| r.chance(30)).map(person).collect();
        org.teams.push(Team {
            id: format!("t{i}"),
            name: format!("T{i}"),
            parent: if i > 0 {
                Some(format!("t{}", r.below(i)))
            } else {
                None
            },
            lead: Some(person(r.below(np))),
            members,
        });
    }
    let nr = 1 + r.below(3);
    for i in 0..nr {
        let members = (0..np).filter(|_| r.chance(25)).map(person).collect();
        let shifts = (0..r.below(5))
            .map(|_| {
                let start = r.hours();
                let len = 1 + r.below(200) as i64;
                Shift {
                    person: person(r.below(np)),
                    start: t(start),
                    end: t(start + len),
                }
            })
            .collect();
        org.rotations.push(Rotation {
            id: format!("r{i}"),
            name: format!("R{i}"),
            team: None,
            members,
            shifts,
        });
    }
    let courses = ["c0", "c1"];
    for i in 0..np {
        for c in courses {
            if r.chance(50) {
                let completed = r.hours() - 100;
                org.trainings.push(Training {
                    person: person(i),
                    course: c.into(),
                    completed: t(completed),
                    expires: if r.chance(50) {
                        Some(t(r.hours()))
                    } else {
                        None
                    },
                });
            }
        }
    }
    let na = 1 + r.below(5);
    for i in 0..na {
        org.areas.push(Area {
            id: format!("a{i}"),
            name: format!("A{i}"),
            parent: if i > 0 {
                Some(format!("a{}", r.below(i)))
            } else {
                None
            },
            owner: person(r.below(np)),
            tags: vec![],
            notes: String::new(),
            review_days: r.below(10) as i64,
            escalate_days: 14,
        });
        for j in 0..1 + r.below(2) {
            org.entitlements.push(Entitlement {
                id: format!("a{i}:e{j}"),
                area: format!("a{i}"),
                name: String::new(),
                upstream: None,
            });
        }
    }
    let ne = org.entitlements.len();
    for _ in 0..r.below(3) {
        let since = r.hours();
        org.delegations.push(Delegation {
            area: format!("a{}", r.below(na)),
            to: person(r.below(np)),
            by: person(r.below(np)),
            since: t(since),
            until: if r.chance(50) {
                Some(t(since + r.below(300) as i64))
            } else {
                None
            },
        });
    }
    for i in 0..1 + r.below(4) {
        let area = r.below(na);
        let audience = if r.chance(50) {
            Audience::Team(format!("t{}", r.below(nt)))
        } else {
            Audience::Rotation(format!("r{}", r.below(nr)))
        };
        let only = matches!(audience, Audience::Rotation(_)) && r.chance(40);
        org.rules.push(Rule {
            id: format!("rule{i}"),
            area: format!("a{area}"),
            author: if r.chance(80) {
                org.areas[area].owner.clone()
            } else {
                person(r.below(np))
            },
            why: String::new(),
            grant: (0..1 + r.below(2))
                .map(|_| org.entitlements[r.below(ne)].id.clone())
                .collect(),
            audience,
            trained: courses
                .iter()
                .filter(|_| r.chance(30))
                .map(|c| c.to_string())
                .collect(),
            only_while_oncall: only,
        });
    }
    let nrules = org.rules.len();
    for _ in 0..r.below(12) {
        let basis = if r.chance(50) {
            Basis::Manual
        } else {
            Basis::Rule(format!("rule{}", r.below(nrules + 1)))
        };
        org.grants.push(Grant {
            person: person(r.below(np)),
            entitlement: org.entitlements[r.below(ne)].id.clone(),
            granted_by: if r.chance(80) {
                Some(person(r.below(np)))
            } else {
                None
            },
            granted_at: t(r.hours() - 100),
            basis,
            expires: if r.chance(40) {
                Some(t(r.hours()))
            } else {
                None
            },
        });
    }
    org
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
            }),
            Kind::Revoke => org
                .grants
                .retain(|g| !(g.person == s.person && g.entitlement == s.entitlement)),
            Kind::Review => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn evaluation_is_deterministic(seed in any::<u64>()) {
        let org = random_org(seed);
        let a = { let s = Snapshot::new(org.clone()); suggestions(&s, &Scope::everything(&s), t(0)) };
        let b = { let s = Snapshot::new(org); suggestions(&s, &Scope::everything(&s), t(0)) };
        prop_assert_eq!(a, b);
    }

    #[test]
    fn scoped_suggestions_are_exactly_the_org_wide_ones_in_scope(seed in any::<u64>()) {
        let org = random_org(seed);
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
    fn at_most_one_suggestion_per_pair_and_sorted(seed in any::<u64>()) {
        let snap = Snapshot::new(random_org(seed));
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
    fn accepting_every_grant_and_revoke_converges(seed in any::<u64>()) {
        let mut org = random_org(seed);
        let now = t(0);
        let first = { let s = Snapshot::new(org.clone()); suggestions(&s, &Scope::everything(&s), now) };
        apply_all(&mut org, &first, now);
        let snap = Snapshot::new(org);
        let after = suggestions(&snap, &Scope::everything(&snap), now);
        let left: Vec<_> = after.iter().filter(|s| s.kind != Kind::Review).collect();
        prop_assert!(left.is_empty(), "still suggested after applying all: {:?}", left);
    }
}
