//! Synthetic organizations of realistic shape, for benchmarks and load tests:
//! [`generate`] builds an [`Org`] of any size (10 to 100k+ people),
//! deterministically from a seed, relative to a given `now`.
//!
//! Shape: a team tree four levels deep (company, divisions, departments, leaf
//! teams of 5-12 people with a lead), managers forming a hierarchy, one
//! rotation per 2-3 leaf teams with weekly shifts from four weeks before `now`
//! to four weeks after, an area per team with 2-4 entitlements on leaf areas
//! (some tagged `pii` or `hipaa`), rules written by area owners and delegates,
//! about ten grants a person (mostly justified), and a few delegations. A few
//! percent of the grants are not justified any more (people who left, moved
//! teams, lapsed trainings, ended shifts, old or unauthorized manual grants),
//! and a few justified grants are missing, so every kind of suggestion occurs.

use crate::model::*;
use chrono::{Duration, SubsecRound};
use std::collections::{BTreeMap, HashMap};

/// A small, fast, seedable generator (SplitMix64): enough for shapes, not for secrets.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..hi` (`lo` when empty).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as usize) as i64
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) < p * (1u64 << 53) as f64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

const FIRST: [&str; 64] = [
    "maria", "james", "aisha", "wei", "sofia", "liam", "priya", "noah", "fatima", "lucas", "yuki",
    "omar", "emma", "mateo", "hana", "ethan", "chloe", "arjun", "zoe", "diego", "amara", "felix",
    "nina", "samuel", "leila", "oscar", "grace", "ravi", "ines", "jonas", "mei", "carlos",
    "olivia", "tariq", "isabel", "kenji", "rosa", "victor", "noor", "hugo", "anika", "pedro",
    "kim", "jamal", "lucy", "rachel", "tyler", "paula", "sarah", "george", "marta", "andre",
    "simon", "beth", "ingrid", "joel", "alex", "bianca", "connor", "dana", "erik", "gwen", "hiro",
    "tomas",
];

const LAST: [&str; 64] = [
    "garcia",
    "smith",
    "bello",
    "zhang",
    "rossi",
    "obrien",
    "raman",
    "miller",
    "rahimi",
    "ferreira",
    "nakamura",
    "haddad",
    "johansson",
    "ruiz",
    "sato",
    "brooks",
    "martin",
    "mehta",
    "adams",
    "navarro",
    "eze",
    "braun",
    "petrova",
    "okonkwo",
    "nasser",
    "lindqvist",
    "liu",
    "iyer",
    "moreau",
    "weber",
    "tanaka",
    "mendes",
    "grant",
    "mansour",
    "ortega",
    "watanabe",
    "delgado",
    "almeida",
    "rahman",
    "laurent",
    "patel",
    "alves",
    "nguyen",
    "hughes",
    "bennett",
    "cohen",
    "reed",
    "kowalski",
    "mitchell",
    "dubois",
    "nowak",
    "lima",
    "clarke",
    "harper",
    "olsen",
    "fisher",
    "turner",
    "romano",
    "doyle",
    "levy",
    "larsen",
    "morgan",
    "sakamoto",
    "novak",
];

const DIVISIONS: [&str; 12] = [
    "engineering",
    "product",
    "operations",
    "sales",
    "marketing",
    "finance",
    "people",
    "security",
    "data",
    "research",
    "support",
    "legal",
];

const DEPARTMENTS: [&str; 30] = [
    "payments",
    "identity",
    "search",
    "growth",
    "billing",
    "platform",
    "mobile",
    "web",
    "analytics",
    "infra",
    "storage",
    "messaging",
    "compliance",
    "onboarding",
    "catalog",
    "pricing",
    "fraud",
    "ledger",
    "notifications",
    "reporting",
    "integrations",
    "logistics",
    "ml",
    "devices",
    "accounts",
    "risk",
    "trust",
    "media",
    "maps",
    "checkout",
];

const LEAVES: [&str; 20] = [
    "api", "core", "frontend", "backend", "pipeline", "tools", "sre", "ios", "android", "data",
    "ops", "services", "gateway", "workers", "sdk", "infra", "ui", "batch", "realtime", "quality",
];

const SECURITY_AWARENESS: &str = "security-awareness";
const DATA_PRIVACY: &str = "data-privacy";
const ONCALL_BOOTCAMP: &str = "oncall-bootcamp";

/// Trainings a generated person may hold: none, valid at `now`, or expired.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Held {
    None,
    Valid,
    Expired,
}

/// Course slots in [`Held`] arrays.
const COURSES: [&str; 3] = [SECURITY_AWARENESS, DATA_PRIVACY, ONCALL_BOOTCAMP];

fn course_slot(course: &str) -> usize {
    COURSES.iter().position(|c| *c == course).unwrap_or(0)
}

/// Hands out ids, adding `-2`, `-3`, ... when a base repeats.
#[derive(Default)]
struct Ids(HashMap<String, u32>);

impl Ids {
    fn unique(&mut self, base: &str) -> String {
        let n = self.0.entry(base.to_string()).or_insert(0);
        *n += 1;
        if *n == 1 {
            base.to_string()
        } else {
            format!("{base}-{n}")
        }
    }
}

/// One team while building: its place in the tree and its people (by index).
struct TeamPlan {
    id: String,
    name: String,
    parent: Option<usize>,
    lead: usize,
    members: Vec<usize>,
    children: Vec<usize>,
    /// For departments and leaves: the department word their ids derive from.
    word: &'static str,
}

/// Grants under construction, with the entitlements each person holds.
struct Grants<'a> {
    people: &'a [Person],
    ents: &'a [Entitlement],
    list: Vec<Grant>,
    /// Per person: entitlement indexes held (about ten, so a scan is fastest).
    taken: Vec<Vec<u32>>,
}

impl Grants<'_> {
    /// Adds a grant unless the person already holds that entitlement.
    fn add(
        &mut self,
        (p, e): (usize, usize),
        by: Option<&str>,
        at: Time,
        basis: Basis,
        expires: Option<Time>,
    ) -> bool {
        let held = &mut self.taken[p];
        if held.contains(&(e as u32)) {
            return false;
        }
        held.push(e as u32);
        self.list.push(Grant {
            person: self.people[p].id.clone(),
            entitlement: self.ents[e].id.clone(),
            granted_by: by.map(str::to_string),
            granted_at: at,
            basis,
            expires,
        });
        true
    }
}

/// A synthetic organization of `people` people (exactly), the same for the
/// same `seed` and `now`.
pub fn generate(people: usize, seed: u64, now: Time) -> Org {
    if people == 0 {
        return Org::default();
    }
    // Whole seconds, as the org directory's files hold times.
    let now = now.trunc_subsecs(0);
    let mut rng = Rng(seed ^ 0x5354_4557_4152_4421);
    let n = people;
    let days = |d: i64| Duration::days(d);
    let hours = |h: i64| Duration::hours(h);

    // ---- team tree: company -> divisions -> departments -> leaf teams
    let leaf_count = ((n as f64) / 9.5).round().max(1.0) as usize;
    let fanout = ((leaf_count as f64).cbrt().ceil() as usize).max(1);
    let dept_count = leaf_count.div_ceil(fanout);
    let div_count = dept_count.div_ceil(fanout);
    let internal = 1 + div_count + dept_count;

    let mut ids = Ids::default();
    let mut teams: Vec<TeamPlan> = Vec::with_capacity(internal + leaf_count);
    let lead_of = |t: usize| t % n;
    teams.push(TeamPlan {
        id: ids.unique("company"),
        name: "Company".into(),
        parent: None,
        lead: lead_of(0),
        members: vec![],
        children: vec![],
        word: "company",
    });
    for d in 0..div_count {
        let word = DIVISIONS[d % DIVISIONS.len()];
        let t = teams.len();
        teams.push(TeamPlan {
            id: ids.unique(word),
            name: title(word),
            parent: Some(0),
            lead: lead_of(t),
            members: vec![],
            children: vec![],
            word,
        });
        teams[0].children.push(t);
    }
    let div_start = 1;
    let dept_start = teams.len();
    for k in 0..dept_count {
        let word = DEPARTMENTS[rng.below(DEPARTMENTS.len())];
        let parent = div_start + k / fanout;
        let t = teams.len();
        teams.push(TeamPlan {
            id: ids.unique(word),
            name: title(word),
            parent: Some(parent),
            lead: lead_of(t),
            members: vec![],
            children: vec![],
            word,
        });
        teams[parent].children.push(t);
    }
    let leaf_start = teams.len();
    for i in 0..leaf_count {
        let parent = dept_start + i / fanout;
        let word = teams[parent].word;
        let leaf = LEAVES[rng.below(LEAVES.len())];
        let t = teams.len();
        teams.push(TeamPlan {
            id: ids.unique(&format!("{word}-{leaf}")),
            name: format!("{} {}", title(word), title(leaf)),
            parent: Some(parent),
            lead: 0,
            members: vec![],
            children: vec![],
            word,
        });
        teams[parent].children.push(t);
    }
    // Internal teams: their lead is their only direct member.
    for t in teams.iter_mut().take(internal) {
        t.members.push(t.lead);
    }

    // ---- leaf sizes: the people left after the managers, 5-12 a team
    let pool = n.saturating_sub(internal);
    let mut sizes = vec![pool / leaf_count; leaf_count];
    for s in sizes.iter_mut().take(pool % leaf_count) {
        *s += 1;
    }
    for i in 0..leaf_count {
        let j = rng.below(leaf_count);
        let delta = rng.below(4);
        if i != j && sizes[i] >= 5 + delta && sizes[j] + delta <= 12 {
            sizes[i] -= delta;
            sizes[j] += delta;
        }
    }

    // ---- people
    let mut name_count: HashMap<(usize, usize), u32> = HashMap::new();
    let mut person_list: Vec<Person> = Vec::with_capacity(n);
    for _ in 0..n {
        let (f, l) = (rng.below(FIRST.len()), rng.below(LAST.len()));
        let c = name_count.entry((f, l)).or_insert(0);
        *c += 1;
        let id = if *c == 1 {
            format!("{}.{}", FIRST[f], LAST[l])
        } else {
            format!("{}.{}{}", FIRST[f], LAST[l], c)
        };
        person_list.push(Person {
            email: format!("{id}@example.com"),
            name: format!("{} {}", title(FIRST[f]), title(LAST[l])),
            id,
            manager: None,
            status: Status::Active,
        });
    }
    // Leaf members, in order, after the managers; the first is the lead.
    // `former[p]`: the leaf team of someone who left (no longer listed).
    let mut leaf_of: Vec<Option<usize>> = vec![None; n];
    let mut next = internal.min(n);
    for (i, &size) in sizes.iter().enumerate() {
        let t = leaf_start + i;
        for _ in 0..size {
            if next >= n {
                break;
            }
            leaf_of[next] = Some(t);
            teams[t].members.push(next);
            next += 1;
        }
        let parent_lead = teams[teams[t].parent.unwrap_or(0)].lead;
        teams[t].lead = teams[t].members.first().copied().unwrap_or(parent_lead);
    }
    // Managers: a leaf member reports to the leaf lead; a lead to the parent's lead.
    for t in 0..teams.len() {
        let lead = teams[t].lead;
        let parent_lead = teams[t].parent.map(|p| teams[p].lead);
        for &m in &teams[t].members {
            let manager = if m == lead { parent_lead } else { Some(lead) };
            person_list[m].manager = manager
                .filter(|&x| x != m)
                .map(|x| person_list[x].id.clone());
        }
    }
    // About 1.5% of leaf members (never leads) have left: off the roster, grants kept.
    let mut left: Vec<usize> = Vec::new();
    for team in teams.iter_mut().skip(leaf_start) {
        let lead = team.lead;
        team.members.retain(|&m| {
            let leaves = m != lead && rng.chance(0.015);
            if leaves {
                person_list[m].status = Status::Left;
                left.push(m);
            }
            !leaves
        });
    }
    let active = |p: usize, people: &[Person]| people[p].status == Status::Active;

    // ---- rotations: one per 2-3 consecutive leaf teams, weekly shifts
    struct RotationPlan {
        owner_leaf: usize,
        members: Vec<usize>,
        shifts: Vec<(usize, Time, Time)>,
        /// Index in `shifts` of the shift covering `now`.
        current: usize,
    }
    let mut rotation_plans: Vec<RotationPlan> = Vec::new();
    let mut i = 0;
    while i < leaf_count {
        let group = (2 + rng.below(2)).min(leaf_count - i);
        let mut members = Vec::new();
        for team in &teams[(leaf_start + i)..(leaf_start + i + group)] {
            let take = 2 + rng.below(2);
            let len = team.members.len();
            let start = rng.below(len.max(1));
            for k in 0..take.min(len) {
                members.push(team.members[(start + k) % len]);
            }
        }
        if !members.is_empty() {
            let first = now - days(28) - hours(rng.range(0, 7 * 24));
            let offset = rng.below(members.len());
            let shifts: Vec<(usize, Time, Time)> = (0..9)
                .map(|k| {
                    let start = first + days(7 * k as i64);
                    (
                        members[(offset + k) % members.len()],
                        start,
                        start + days(7),
                    )
                })
                .collect();
            let current = shifts
                .iter()
                .position(|&(_, s, e)| s <= now && now < e)
                .unwrap_or(0);
            rotation_plans.push(RotationPlan {
                owner_leaf: leaf_start + i,
                members,
                shifts,
                current,
            });
        }
        i += group;
    }
    let mut owns_rotation = vec![false; teams.len()];
    let mut in_rotation = vec![false; n];
    for r in &rotation_plans {
        owns_rotation[r.owner_leaf] = true;
        for &m in &r.members {
            in_rotation[m] = true;
        }
    }

    // ---- areas: one per team; leaf areas hold the working entitlements
    let mut tags: Vec<Vec<String>> = vec![Vec::new(); teams.len()];
    for tag in tags.iter_mut().skip(leaf_start) {
        if rng.chance(0.15) {
            tag.push("pii".into());
        }
        if rng.chance(0.07) {
            tag.push("hipaa".into());
        }
    }
    let sensitive = |t: usize| !tags[t].is_empty();
    let mut areas: Vec<Area> = Vec::with_capacity(teams.len());
    let mut entitlements: Vec<Entitlement> = Vec::new();
    // Per team: entitlement indexes by kind.
    let mut ent_of: Vec<BTreeMap<&'static str, usize>> = vec![BTreeMap::new(); teams.len()];
    for (t, team) in teams.iter().enumerate() {
        let kinds: Vec<(&'static str, &'static str)> = if t == 0 {
            vec![("sso", "Single sign-on"), ("chat", "Company chat")]
        } else if t < dept_start {
            vec![("wiki", "Division wiki")]
        } else if t < leaf_start {
            vec![
                ("dashboard", "Department dashboard"),
                ("reports", "Reports"),
            ]
        } else {
            let mut k = vec![("read", "Read"), ("write", "Write")];
            if owns_rotation[t] || rng.chance(0.6) {
                k.push(("deploy", "Deploy"));
            }
            if owns_rotation[t] || rng.chance(0.4) {
                k.push(("admin", "Administer"));
            }
            k
        };
        for (kind, label) in kinds {
            ent_of[t].insert(kind, entitlements.len());
            entitlements.push(Entitlement {
                id: format!("{}:{kind}", team.id),
                area: team.id.clone(),
                name: format!("{label}: {}", team.name),
                upstream: Some(format!("scim:group/{}-{kind}", team.id)),
            });
        }
        let area_tags = tags[t].clone();
        let notes = match (
            area_tags.iter().any(|x| x == "hipaa"),
            area_tags.iter().any(|x| x == "pii"),
        ) {
            (true, _) => "Contains patient records: covered by our HIPAA BAA; never export outside production.".to_string(),
            (false, true) => "Holds customer personal data: exports need a DPA review.".to_string(),
            _ if t == 0 => "Root of the ownership tree.".to_string(),
            _ => String::new(),
        };
        let review_days = if area_tags.iter().any(|x| x == "hipaa") {
            30
        } else if area_tags.iter().any(|x| x == "pii") {
            60
        } else {
            DEFAULT_REVIEW_DAYS
        };
        areas.push(Area {
            id: team.id.clone(),
            name: format!("{} systems", team.name),
            parent: team.parent.map(|p| teams[p].id.clone()),
            owner: person_list[team.lead].id.clone(),
            tags: area_tags,
            notes,
            review_days,
            escalate_days: DEFAULT_ESCALATE_DAYS,
        });
    }

    // ---- trainings
    let mut held: Vec<[Held; 3]> = vec![[Held::None; 3]; n];
    let mut trainings: Vec<Training> = Vec::with_capacity(n * 2);
    let mut train =
        |rng: &mut Rng, held: &mut [[Held; 3]], p: usize, course: &str, annual: bool| {
            let completed = now - days(rng.range(5, 390)) - hours(rng.range(0, 24));
            let expires = annual.then(|| completed + days(365));
            held[p][course_slot(course)] = if expires.is_some_and(|e| e <= now) {
                Held::Expired
            } else {
                Held::Valid
            };
            trainings.push(Training {
                person: person_list[p].id.clone(),
                course: course.to_string(),
                completed,
                expires,
            });
        };
    for p in 0..n {
        train(&mut rng, &mut held, p, SECURITY_AWARENESS, true);
    }
    for (t, team) in teams.iter().enumerate().skip(leaf_start) {
        if !sensitive(t) {
            continue;
        }
        // The lead always has it (and the owner of the rule needing it).
        train(&mut rng, &mut held, team.lead, DATA_PRIVACY, true);
        for &m in &team.members {
            if m != team.lead && rng.chance(0.98) {
                train(&mut rng, &mut held, m, DATA_PRIVACY, true);
            }
        }
    }
    for r in &rotation_plans {
        for (k, &m) in r.members.iter().enumerate() {
            if k == 0 || rng.chance(0.97) {
                train(&mut rng, &mut held, m, ONCALL_BOOTCAMP, false);
            }
        }
    }

    // ---- delegations: some departments hand their area to a leaf lead
    let mut delegations: Vec<Delegation> = Vec::new();
    // Per department: who authors its reports rule.
    let mut reports_author: Vec<usize> = teams.iter().map(|t| t.lead).collect();
    for t in dept_start..leaf_start {
        let by = teams[t].lead;
        let Some(to) = teams[t].children.first().map(|&c| teams[c].lead) else {
            continue;
        };
        // The first three departments show each state; then about one in eight.
        let k = t - dept_start;
        if to == by || (k > 2 && !rng.chance(0.12)) {
            continue;
        }
        let roll = match k {
            0 => 0,
            1 => 80,
            2 => 99,
            _ => rng.below(100),
        };
        let (since, until) = if roll < 70 {
            let since = now - days(rng.range(30, 400));
            let until = rng.chance(0.5).then(|| now + days(rng.range(30, 200)));
            (since, until)
        } else if roll < 85 {
            (
                now - days(rng.range(200, 400)),
                Some(now - days(rng.range(5, 120))),
            )
        } else {
            (now + days(rng.range(3, 40)), None)
        };
        if since <= now {
            reports_author[t] = to;
        }
        delegations.push(Delegation {
            area: teams[t].id.clone(),
            to: person_list[to].id.clone(),
            by: person_list[by].id.clone(),
            since,
            until,
        });
    }

    // ---- rules and the grants they justify
    let mut rules: Vec<Rule> = Vec::new();
    let mut grants = Grants {
        people: &person_list,
        ents: &entitlements,
        list: Vec::with_capacity(n * 11),
        taken: (0..n).map(|_| Vec::with_capacity(16)).collect(),
    };
    // Members of each team's subtree (active people only: teams list no one who left).
    let mut subtree: Vec<Vec<usize>> = vec![Vec::new(); teams.len()];
    for t in (0..teams.len()).rev() {
        let mut all = teams[t].members.clone();
        for &c in &teams[t].children {
            all.extend_from_slice(&subtree[c]);
        }
        subtree[t] = all;
    }

    // One rule: its grants go to the audience, as they would have been granted
    // over the past two years: people with lapsed training keep theirs, a few
    // who never trained hold it anyway, a few who qualify don't have it yet.
    struct RuleSpec<'a> {
        id: String,
        team: usize,
        author: usize,
        why: &'a str,
        grant: Vec<usize>,
        audience: Audience,
        trained: Vec<&'static str>,
    }
    let add_rule =
        |rng: &mut Rng, grants: &mut Grants, spec: RuleSpec, members: &[usize]| -> Rule {
            let author = person_list[spec.author].id.clone();
            for &p in members {
                let mut missing = false;
                let mut lapsed = false;
                for c in &spec.trained {
                    match held[p][course_slot(c)] {
                        Held::None => missing = true,
                        Held::Expired => lapsed = true,
                        Held::Valid => {}
                    }
                }
                let holds = if missing {
                    rng.chance(0.5)
                } else {
                    lapsed || !rng.chance(0.015)
                };
                if !holds {
                    continue;
                }
                for &e in &spec.grant {
                    let at = now - hours(rng.range(24, 700 * 24));
                    grants.add(
                        (p, e),
                        Some(&author),
                        at,
                        Basis::Rule(spec.id.clone()),
                        None,
                    );
                }
            }
            Rule {
                id: spec.id,
                area: teams[spec.team].id.clone(),
                author,
                why: spec.why.to_string(),
                grant: spec
                    .grant
                    .iter()
                    .map(|&e| entitlements[e].id.clone())
                    .collect(),
                audience: spec.audience,
                trained: spec.trained.iter().map(|c| c.to_string()).collect(),
                only_while_oncall: false,
            }
        };

    let root_ents = vec![ent_of[0]["sso"], ent_of[0]["chat"]];
    rules.push(add_rule(
        &mut rng,
        &mut grants,
        RuleSpec {
            id: "company-basics".into(),
            team: 0,
            author: teams[0].lead,
            why: "Everyone signs in and chats.",
            grant: root_ents,
            audience: Audience::Team(teams[0].id.clone()),
            trained: vec![],
        },
        &subtree[0],
    ));
    for t in div_start..dept_start {
        rules.push(add_rule(
            &mut rng,
            &mut grants,
            RuleSpec {
                id: format!("{}-wiki", teams[t].id),
                team: t,
                author: teams[t].lead,
                why: "The division reads its own wiki.",
                grant: vec![ent_of[t]["wiki"]],
                audience: Audience::Team(teams[t].id.clone()),
                trained: vec![],
            },
            &subtree[t],
        ));
    }
    for t in dept_start..leaf_start {
        rules.push(add_rule(
            &mut rng,
            &mut grants,
            RuleSpec {
                id: format!("{}-dashboard", teams[t].id),
                team: t,
                author: teams[t].lead,
                why: "Everyone in the department watches its dashboard.",
                grant: vec![ent_of[t]["dashboard"]],
                audience: Audience::Team(teams[t].id.clone()),
                trained: vec![],
            },
            &subtree[t],
        ));
        rules.push(add_rule(
            &mut rng,
            &mut grants,
            RuleSpec {
                id: format!("{}-reports", teams[t].id),
                team: t,
                author: reports_author[t],
                why: "Department reports are shared within the department.",
                grant: vec![ent_of[t]["reports"]],
                audience: Audience::Team(teams[t].id.clone()),
                trained: vec![SECURITY_AWARENESS],
            },
            &subtree[t],
        ));
    }
    for t in leaf_start..teams.len() {
        let trained = if sensitive(t) {
            vec![DATA_PRIVACY]
        } else if rng.chance(0.1) {
            vec![SECURITY_AWARENESS]
        } else {
            vec![]
        };
        rules.push(add_rule(
            &mut rng,
            &mut grants,
            RuleSpec {
                id: format!("{}-team", teams[t].id),
                team: t,
                author: teams[t].lead,
                why: "The team works on its own systems.",
                grant: vec![ent_of[t]["read"], ent_of[t]["write"]],
                audience: Audience::Team(teams[t].id.clone()),
                trained,
            },
            &teams[t].members,
        ));
    }
    // Neighbours: each leaf team reads up to two sibling teams' systems.
    for t in leaf_start..teams.len() {
        let siblings: Vec<usize> = teams[t]
            .parent
            .map(|p| teams[p].children.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|&s| s != t)
            .collect();
        let first = rng.below(siblings.len().max(1));
        for k in 0..siblings.len().min(2) {
            let y = siblings[(first + k) % siblings.len()];
            rules.push(add_rule(
                &mut rng,
                &mut grants,
                RuleSpec {
                    id: format!("{}-read-{}", teams[y].id, teams[t].id),
                    team: y,
                    author: teams[y].lead,
                    why: "A neighbouring team debugs against our systems.",
                    grant: vec![ent_of[y]["read"]],
                    audience: Audience::Team(teams[t].id.clone()),
                    trained: vec![],
                },
                &teams[t].members,
            ));
        }
    }
    // Rotations: members deploy; break-glass admin only while on call.
    let mut rotations: Vec<Rotation> = Vec::with_capacity(rotation_plans.len());
    for r in &rotation_plans {
        let t = r.owner_leaf;
        let rid = format!("{}-oncall", teams[t].id);
        rules.push(add_rule(
            &mut rng,
            &mut grants,
            RuleSpec {
                id: format!("{rid}-deploy"),
                team: t,
                author: teams[t].lead,
                why: "Responders deploy fixes from their first shift.",
                grant: vec![ent_of[t]["deploy"]],
                audience: Audience::Rotation(rid.clone()),
                trained: vec![ONCALL_BOOTCAMP],
            },
            &r.members,
        ));
        let admin = ent_of[t]["admin"];
        let breakglass = format!("{rid}-breakglass");
        let author = person_list[teams[t].lead].id.clone();
        let (current, start, _) = r.shifts[r.current];
        if held[current][course_slot(ONCALL_BOOTCAMP)] == Held::Valid && rng.chance(0.7) {
            grants.add(
                (current, admin),
                Some(&author),
                start + hours(1),
                Basis::Rule(breakglass.clone()),
                None,
            );
        }
        if r.current > 0 {
            let (previous, start, _) = r.shifts[r.current - 1];
            if rng.chance(0.4) {
                grants.add(
                    (previous, admin),
                    Some(&author),
                    start + hours(1),
                    Basis::Rule(breakglass.clone()),
                    None,
                );
            }
        }
        rules.push(Rule {
            id: breakglass,
            area: teams[t].id.clone(),
            author,
            why: "Break-glass admin only while holding the pager.".into(),
            grant: vec![entitlements[admin].id.clone()],
            audience: Audience::Rotation(rid.clone()),
            trained: vec![ONCALL_BOOTCAMP.into()],
            only_while_oncall: true,
        });
        rotations.push(Rotation {
            id: rid,
            name: format!("{} on-call", teams[t].name),
            team: Some(teams[t].id.clone()),
            members: r
                .members
                .iter()
                .map(|&m| person_list[m].id.clone())
                .collect(),
            shifts: r
                .shifts
                .iter()
                .map(|&(p, start, end)| Shift {
                    person: person_list[p].id.clone(),
                    start,
                    end,
                })
                .collect(),
        });
    }

    // ---- what no rule justifies any more
    let leaf_range = leaf_start..teams.len();
    // People who left keep what their team and department gave them.
    for &p in &left {
        let Some(t) = leaf_of[p] else { continue };
        let dept = teams[t].parent.unwrap_or(0);
        let div = teams[dept].parent.unwrap_or(0);
        let given = [
            (
                ent_of[t]["read"],
                format!("{}-team", teams[t].id),
                teams[t].lead,
            ),
            (
                ent_of[t]["write"],
                format!("{}-team", teams[t].id),
                teams[t].lead,
            ),
            (
                ent_of[0]["sso"],
                "company-basics".to_string(),
                teams[0].lead,
            ),
            (
                ent_of[0]["chat"],
                "company-basics".to_string(),
                teams[0].lead,
            ),
            (
                ent_of[dept]["dashboard"],
                format!("{}-dashboard", teams[dept].id),
                teams[dept].lead,
            ),
        ];
        for (e, rule, by) in given {
            let at = now - days(rng.range(60, 700));
            grants.add(
                (p, e),
                Some(person_list[by].id.as_str()),
                at,
                Basis::Rule(rule),
                None,
            );
        }
        if div_start <= div && div < dept_start {
            let at = now - days(rng.range(60, 700));
            let by = person_list[teams[div].lead].id.clone();
            grants.add(
                (p, ent_of[div]["wiki"]),
                Some(&by),
                at,
                Basis::Rule(format!("{}-wiki", teams[div].id)),
                None,
            );
        }
    }
    let leaf_members: Vec<usize> = (0..n)
        .filter(|&p| leaf_of[p].is_some() && active(p, &person_list))
        .collect();
    for &p in &leaf_members {
        let Some(own) = leaf_of[p] else { continue };
        let roll = rng.below(1000);
        if roll < 10 && leaf_count > 1 {
            // Moved teams: still holds write on the old team's systems.
            let y = leaf_start + rng.below(leaf_count);
            if y != own {
                let at = now - days(rng.range(90, 700));
                let by = person_list[teams[y].lead].id.clone();
                grants.add(
                    (p, ent_of[y]["write"]),
                    Some(&by),
                    at,
                    Basis::Rule(format!("{}-team", teams[y].id)),
                    None,
                );
            }
        } else if roll < 13 {
            // A rule that once granted admin no longer does.
            if let Some(&admin) = ent_of[own].get("admin") {
                let at = now - days(rng.range(90, 700));
                let by = person_list[teams[own].lead].id.clone();
                grants.add(
                    (p, admin),
                    Some(&by),
                    at,
                    Basis::Rule(format!("{}-team", teams[own].id)),
                    None,
                );
            }
        } else if roll < 43 {
            // Manual grants: mostly by the owner, some by people without
            // authority or by nobody known; some with an expiry.
            let y = leaf_range.start + rng.below(leaf_count);
            let kinds: Vec<usize> = ent_of[y].values().copied().collect();
            let Some(&e) = rng.pick(&kinds) else { continue };
            let at = now - days(rng.range(1, 400)) - hours(rng.range(2, 20));
            let by = match rng.below(100) {
                0..70 => Some(person_list[teams[y].lead].id.clone()),
                70..90 => Some(person_list[rng.below(n)].id.clone()),
                _ => None,
            };
            let expires = rng
                .chance(0.25)
                .then(|| at + days(rng.range(14, 180)) + hours(3));
            grants.add((p, e), by.as_deref(), at, Basis::Manual, expires);
        }
    }

    let grants = grants.list;
    Org {
        teams: teams
            .iter()
            .map(|t| Team {
                id: t.id.clone(),
                name: t.name.clone(),
                parent: t.parent.map(|p| teams[p].id.clone()),
                lead: Some(person_list[t.lead].id.clone()),
                members: t
                    .members
                    .iter()
                    .map(|&m| person_list[m].id.clone())
                    .collect(),
            })
            .collect(),
        people: person_list,
        rotations,
        trainings,
        areas,
        entitlements,
        grants,
        delegations,
        rules,
    }
}

/// `payments` -> `Payments`.
fn title(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Scope, Snapshot, check, suggestions};
    use std::collections::HashSet;

    fn now() -> Time {
        "2026-03-02T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn same_seed_same_org_other_seed_other_org() {
        let a = generate(500, 42, now());
        let b = generate(500, 42, now());
        assert_eq!(a, b);
        let c = generate(500, 43, now());
        assert_ne!(a, c);
    }

    #[test]
    fn requested_size_is_respected() {
        for n in [0, 1, 2, 3, 5, 10, 37, 100, 1000, 5000] {
            let org = generate(n, 1, now());
            assert_eq!(org.people.len(), n, "people for {n}");
            let ids: HashSet<&str> = org.people.iter().map(|p| p.id.as_str()).collect();
            assert_eq!(ids.len(), n, "unique ids for {n}");
        }
    }

    #[test]
    fn shape_is_realistic() {
        let org = generate(5000, 3, now());
        let per_person = org.grants.len() as f64 / 5000.0;
        assert!(
            (8.0..13.0).contains(&per_person),
            "{per_person} grants a person"
        );
        let leaves: Vec<&Team> = org
            .teams
            .iter()
            .filter(|t| !org.teams.iter().any(|c| c.parent.as_ref() == Some(&t.id)))
            .collect();
        let big = leaves.iter().filter(|t| t.members.len() > 12).count();
        let small = leaves.iter().filter(|t| t.members.len() < 4).count();
        assert!(
            big == 0 && small * 50 < leaves.len(),
            "{big} big, {small} small"
        );
        // Depth: company -> division -> department -> leaf.
        let depth = |t: &Team| {
            let mut d = 1;
            let mut cur = t.parent.clone();
            while let Some(p) = cur {
                d += 1;
                cur = org
                    .teams
                    .iter()
                    .find(|x| x.id == p)
                    .and_then(|x| x.parent.clone());
            }
            d
        };
        assert!(leaves.iter().all(|t| depth(t) == 4));
        let ratio = leaves.len() as f64 / org.rotations.len() as f64;
        assert!(
            (2.0..=3.0).contains(&ratio),
            "{ratio} leaf teams a rotation"
        );
        for r in &org.rotations {
            assert!(
                r.shifts
                    .iter()
                    .filter(|s| s.start <= now() && now() < s.end)
                    .count()
                    == 1
            );
            assert!(
                r.shifts
                    .iter()
                    .all(|s| s.end - s.start == Duration::days(7))
            );
            assert!(
                r.shifts
                    .first()
                    .is_some_and(|s| s.start <= now() - Duration::days(28))
            );
            assert!(
                r.shifts
                    .last()
                    .is_some_and(|s| s.end >= now() + Duration::days(28))
            );
        }
        assert!(
            org.trainings
                .iter()
                .any(|t| t.expires.is_some_and(|e| e <= now()))
        );
        assert!(org.areas.iter().any(|a| a.tags.iter().any(|t| t == "pii")));
        assert!(
            org.areas
                .iter()
                .any(|a| a.tags.iter().any(|t| t == "hipaa"))
        );
        assert!(org.rules.iter().any(|r| r.only_while_oncall));
        assert!(org.rules.iter().any(|r| !r.trained.is_empty()));
        assert!(!org.delegations.is_empty());
        let left = org
            .people
            .iter()
            .filter(|p| p.status == Status::Left)
            .count();
        assert!(left > 0 && left * 20 < org.people.len());
        let manual = org
            .grants
            .iter()
            .filter(|g| g.basis == Basis::Manual)
            .count();
        assert!(manual > 0 && manual * 20 < org.grants.len());
    }

    #[test]
    fn every_reference_points_to_something() {
        for n in [1, 3, 10, 37, 2000] {
            let org = generate(n, 9, now());
            let people: HashSet<&str> = org.people.iter().map(|p| p.id.as_str()).collect();
            let teams: HashSet<&str> = org.teams.iter().map(|t| t.id.as_str()).collect();
            let areas: HashSet<&str> = org.areas.iter().map(|a| a.id.as_str()).collect();
            let ents: HashSet<&str> = org.entitlements.iter().map(|e| e.id.as_str()).collect();
            let rules: HashSet<&str> = org.rules.iter().map(|r| r.id.as_str()).collect();
            let rotations: HashSet<&str> = org.rotations.iter().map(|r| r.id.as_str()).collect();
            assert_eq!(teams.len(), org.teams.len());
            assert_eq!(areas.len(), org.areas.len());
            assert_eq!(ents.len(), org.entitlements.len());
            assert_eq!(rules.len(), org.rules.len());
            for p in &org.people {
                assert!(p.manager.as_deref().is_none_or(|m| people.contains(m)));
            }
            for t in &org.teams {
                assert!(t.parent.as_deref().is_none_or(|p| teams.contains(p)));
                assert!(t.lead.as_deref().is_some_and(|l| people.contains(l)));
                assert!(t.members.iter().all(|m| people.contains(m.as_str())));
            }
            for r in &org.rotations {
                assert!(r.team.as_deref().is_some_and(|t| teams.contains(t)));
                assert!(r.members.iter().all(|m| people.contains(m.as_str())));
                assert!(r.shifts.iter().all(|s| people.contains(s.person.as_str())));
            }
            for a in &org.areas {
                assert!(a.parent.as_deref().is_none_or(|p| areas.contains(p)));
                assert!(people.contains(a.owner.as_str()));
            }
            for e in &org.entitlements {
                assert!(areas.contains(e.area.as_str()));
            }
            for r in &org.rules {
                assert!(areas.contains(r.area.as_str()));
                assert!(people.contains(r.author.as_str()));
                assert!(r.grant.iter().all(|e| ents.contains(e.as_str())));
                match &r.audience {
                    Audience::Team(t) => assert!(teams.contains(t.as_str())),
                    Audience::Rotation(x) => assert!(rotations.contains(x.as_str())),
                }
            }
            let mut pairs = HashSet::new();
            for g in &org.grants {
                assert!(people.contains(g.person.as_str()));
                assert!(ents.contains(g.entitlement.as_str()));
                assert!(g.granted_by.as_deref().is_none_or(|b| people.contains(b)));
                assert!(g.basis.rule().is_none_or(|r| rules.contains(r)));
                assert!(
                    pairs.insert((&g.person, &g.entitlement)),
                    "one grant a pair"
                );
            }
            for d in &org.delegations {
                assert!(areas.contains(d.area.as_str()));
                assert!(people.contains(d.to.as_str()) && people.contains(d.by.as_str()));
            }
            for t in &org.trainings {
                assert!(people.contains(t.person.as_str()));
            }
            // And the engine's own consistency check agrees.
            let snap = Snapshot::new(org);
            assert_eq!(check::problems(&snap), Vec::<String>::new(), "size {n}");
        }
    }

    #[test]
    fn every_reason_occurs_at_a_few_thousand_people() {
        let org = generate(3000, 5, now());
        let snap = Snapshot::new(org);
        let list = suggestions(&snap, &Scope::everything(&snap), now());
        let reasons: HashSet<Reason> = list.iter().map(|s| s.reason).collect();
        for r in Reason::ALL {
            assert!(
                reasons.contains(&r),
                "no {} in {} suggestions",
                r.as_str(),
                list.len()
            );
        }
        // Mostly justified: suggestions are a few percent of the grants.
        assert!(
            list.len() * 10 < snap.org.grants.len(),
            "{} suggestions",
            list.len()
        );
    }

    #[test]
    fn written_generated_org_reads_back() {
        let odd = now() + Duration::milliseconds(1234);
        let org = generate(300, 11, odd);
        let dir = tempfile::tempdir().unwrap();
        crate::sources::files::write::write_org(&org, dir.path()).unwrap();
        let back = crate::sources::files::read_org(dir.path()).unwrap();
        assert_eq!(back, org);
    }
}
