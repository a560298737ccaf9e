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

/// The team tree: company, then divisions, departments and leaf teams, in
/// that order, so that each level is a range of indexes.
struct Tree {
    teams: Vec<TeamPlan>,
    /// Teams above the leaves (company, divisions, departments).
    internal: usize,
    div_start: usize,
    dept_start: usize,
    leaf_start: usize,
    leaf_count: usize,
}

impl Tree {
    fn leaves(&self) -> std::ops::Range<usize> {
        self.leaf_start..self.teams.len()
    }

    fn team(&mut self, plan: TeamPlan) -> usize {
        let t = self.teams.len();
        if let Some(p) = plan.parent {
            self.teams[p].children.push(t);
        }
        self.teams.push(plan);
        t
    }
}

fn team_plan(
    id: String,
    name: String,
    parent: Option<usize>,
    lead: usize,
    word: &'static str,
) -> TeamPlan {
    TeamPlan {
        id,
        name,
        parent,
        lead,
        members: vec![],
        children: vec![],
        word,
    }
}

/// Company -> divisions -> departments -> leaf teams, about 9.5 people a
/// leaf team; internal teams are led by the first people.
fn grow_tree(rng: &mut Rng, n: usize) -> Tree {
    let leaf_count = ((n as f64) / 9.5).round().max(1.0) as usize;
    let fanout = ((leaf_count as f64).cbrt().ceil() as usize).max(1);
    let dept_count = leaf_count.div_ceil(fanout);
    let div_count = dept_count.div_ceil(fanout);
    let internal = 1 + div_count + dept_count;
    let mut ids = Ids::default();
    let mut tree = Tree {
        teams: Vec::with_capacity(internal + leaf_count),
        internal,
        div_start: 1,
        dept_start: 1 + div_count,
        leaf_start: internal,
        leaf_count,
    };
    let lead_of = |t: usize| t % n;
    tree.team(team_plan(
        ids.unique("company"),
        "Company".into(),
        None,
        lead_of(0),
        "company",
    ));
    for d in 0..div_count {
        let word = DIVISIONS[d % DIVISIONS.len()];
        let t = tree.teams.len();
        tree.team(team_plan(
            ids.unique(word),
            title(word),
            Some(0),
            lead_of(t),
            word,
        ));
    }
    for k in 0..dept_count {
        let word = DEPARTMENTS[rng.below(DEPARTMENTS.len())];
        let parent = tree.div_start + k / fanout;
        let t = tree.teams.len();
        tree.team(team_plan(
            ids.unique(word),
            title(word),
            Some(parent),
            lead_of(t),
            word,
        ));
    }
    for i in 0..leaf_count {
        let parent = tree.dept_start + i / fanout;
        let word = tree.teams[parent].word;
        let leaf = LEAVES[rng.below(LEAVES.len())];
        let id = ids.unique(&format!("{word}-{leaf}"));
        let name = format!("{} {}", title(word), title(leaf));
        tree.team(team_plan(id, name, Some(parent), 0, word));
    }
    // Internal teams: their lead is their only direct member.
    for t in tree.teams.iter_mut().take(internal) {
        t.members.push(t.lead);
    }
    tree
}

/// Leaf sizes: the people left after the managers, 5-12 a team.
fn leaf_sizes(rng: &mut Rng, n: usize, tree: &Tree) -> Vec<usize> {
    let leaf_count = tree.leaf_count;
    let pool = n.saturating_sub(tree.internal);
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
    sizes
}

/// `n` people with names drawn from the lists, ids unique.
fn roster(rng: &mut Rng, n: usize) -> Vec<Person> {
    let mut name_count: HashMap<(usize, usize), u32> = HashMap::new();
    let mut people = Vec::with_capacity(n);
    for _ in 0..n {
        let (f, l) = (rng.below(FIRST.len()), rng.below(LAST.len()));
        let c = name_count.entry((f, l)).or_insert(0);
        *c += 1;
        let id = if *c == 1 {
            format!("{}.{}", FIRST[f], LAST[l])
        } else {
            format!("{}.{}{}", FIRST[f], LAST[l], c)
        };
        people.push(Person {
            email: format!("{id}@example.com"),
            name: format!("{} {}", title(FIRST[f]), title(LAST[l])),
            id,
            manager: None,
            status: Status::Active,
            title: None,
        });
    }
    people
}

/// Leaf members, in order, after the managers (the first is the lead), and
/// everyone's manager. Returns each person's leaf team.
fn staff(tree: &mut Tree, sizes: &[usize], people: &mut [Person]) -> Vec<Option<usize>> {
    let n = people.len();
    let leaf_start = tree.leaf_start;
    let teams = &mut tree.teams;
    let mut leaf_of: Vec<Option<usize>> = vec![None; n];
    let mut next = tree.internal.min(n);
    for (i, &size) in sizes.iter().enumerate() {
        let t = tree.leaf_start + i;
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
            people[m].manager = manager.filter(|&x| x != m).map(|x| people[x].id.clone());
            let place = match (m == lead, teams[t].parent.is_none(), t >= leaf_start) {
                (true, true, _) => Role::Chief,
                (true, false, false) => Role::Head,
                (true, false, true) => Role::Manager,
                (false, _, _) => Role::Engineer,
            };
            people[m].title = Some(place.title(&teams[t].name));
        }
    }
    leaf_of
}

/// A person's place in their team, which names their role.
enum Role {
    /// The company's lead.
    Chief,
    /// A division's or department's lead.
    Head,
    /// A leaf team's lead.
    Manager,
    Engineer,
}

impl Role {
    fn title(self, team: &str) -> String {
        match self {
            Role::Chief => "Chief Executive Officer".into(),
            Role::Head => format!("Head of {team}"),
            Role::Manager => format!("Engineering Manager, {team}"),
            Role::Engineer => format!("Software Engineer, {team}"),
        }
    }
}

/// About 1.5% of leaf members (never leads) have left: off the roster,
/// grants kept. Returns who.
fn departures(rng: &mut Rng, tree: &mut Tree, people: &mut [Person]) -> Vec<usize> {
    let mut left: Vec<usize> = Vec::new();
    for team in tree.teams.iter_mut().skip(tree.leaf_start) {
        let lead = team.lead;
        team.members.retain(|&m| {
            let leaves = m != lead && rng.chance(0.015);
            if leaves {
                people[m].status = Status::Left;
                left.push(m);
            }
            !leaves
        });
    }
    left
}

/// One rotation while building.
struct RotationPlan {
    owner_leaf: usize,
    members: Vec<usize>,
    shifts: Vec<(usize, Time, Time)>,
    /// Index in `shifts` of the shift covering `now`.
    current: usize,
}

/// One rotation per 2-3 consecutive leaf teams, weekly shifts from four
/// weeks before `now` to four weeks after.
fn rotation_plans(rng: &mut Rng, tree: &Tree, now: Time) -> Vec<RotationPlan> {
    let mut plans = Vec::new();
    let mut i = 0;
    while i < tree.leaf_count {
        let group = (2 + rng.below(2)).min(tree.leaf_count - i);
        let mut members = Vec::new();
        let first_leaf = tree.leaf_start + i;
        for team in &tree.teams[first_leaf..(first_leaf + group)] {
            let take = 2 + rng.below(2);
            let len = team.members.len();
            let start = rng.below(len.max(1));
            for k in 0..take.min(len) {
                members.push(team.members[(start + k) % len]);
            }
        }
        if !members.is_empty() {
            let first = now - Duration::days(28) - Duration::hours(rng.range(0, 7 * 24));
            let offset = rng.below(members.len());
            let shifts: Vec<(usize, Time, Time)> = (0..9)
                .map(|k| {
                    let start = first + Duration::days(7 * k as i64);
                    let person = members[(offset + k) % members.len()];
                    (person, start, start + Duration::days(7))
                })
                .collect();
            let current = shifts
                .iter()
                .position(|&(_, s, e)| s <= now && now < e)
                .unwrap_or(0);
            plans.push(RotationPlan {
                owner_leaf: first_leaf,
                members,
                shifts,
                current,
            });
        }
        i += group;
    }
    plans
}

/// One area per team, its entitlements, and each team's entitlements by kind.
struct Areas {
    areas: Vec<Area>,
    entitlements: Vec<Entitlement>,
    ent_of: Vec<BTreeMap<&'static str, usize>>,
    /// Per team: whether its area is tagged `pii` or `hipaa`.
    sensitive: Vec<bool>,
}

/// The entitlement kinds of team `t`'s area: leaf areas hold the working
/// ones (deploy and admin always where a rotation is owned).
fn entitlement_kinds(
    rng: &mut Rng,
    tree: &Tree,
    t: usize,
    owns_rotation: bool,
) -> Vec<(&'static str, &'static str)> {
    if t == 0 {
        vec![("sso", "Single sign-on"), ("chat", "Company chat")]
    } else if t < tree.dept_start {
        vec![("wiki", "Division wiki")]
    } else if t < tree.leaf_start {
        vec![
            ("dashboard", "Department dashboard"),
            ("reports", "Reports"),
        ]
    } else {
        let mut k = vec![("read", "Read"), ("write", "Write")];
        if owns_rotation || rng.chance(0.6) {
            k.push(("deploy", "Deploy"));
        }
        if owns_rotation || rng.chance(0.4) {
            k.push(("admin", "Administer"));
        }
        k
    }
}

fn plan_areas(rng: &mut Rng, tree: &Tree, people: &[Person], rotations: &[RotationPlan]) -> Areas {
    let teams = &tree.teams;
    let mut owns_rotation = vec![false; teams.len()];
    for r in rotations {
        owns_rotation[r.owner_leaf] = true;
    }
    let mut tags: Vec<Vec<String>> = vec![Vec::new(); teams.len()];
    for tag in tags.iter_mut().skip(tree.leaf_start) {
        if rng.chance(0.15) {
            tag.push("pii".into());
        }
        if rng.chance(0.07) {
            tag.push("hipaa".into());
        }
    }
    let mut out = Areas {
        areas: Vec::with_capacity(teams.len()),
        entitlements: Vec::new(),
        ent_of: vec![BTreeMap::new(); teams.len()],
        sensitive: tags.iter().map(|t| !t.is_empty()).collect(),
    };
    for (t, team) in teams.iter().enumerate() {
        for (kind, label) in entitlement_kinds(rng, tree, t, owns_rotation[t]) {
            out.ent_of[t].insert(kind, out.entitlements.len());
            out.entitlements.push(Entitlement {
                id: format!("{}:{kind}", team.id),
                area: team.id.clone(),
                name: format!("{label}: {}", team.name),
                upstream: Some(format!("scim:group/{}-{kind}", team.id)),
            });
        }
        let area_tags = std::mem::take(&mut tags[t]);
        let (hipaa, pii) = (
            area_tags.iter().any(|x| x == "hipaa"),
            area_tags.iter().any(|x| x == "pii"),
        );
        let notes = match (hipaa, pii) {
            (true, _) => "Contains patient records: covered by our HIPAA BAA; never export outside production.".to_string(),
            (false, true) => "Holds customer personal data: exports need a DPA review.".to_string(),
            _ if t == 0 => "Root of the ownership tree.".to_string(),
            _ => String::new(),
        };
        let review_days = match (hipaa, pii) {
            (true, _) => 30,
            (false, true) => 60,
            _ => DEFAULT_REVIEW_DAYS,
        };
        out.areas.push(Area {
            id: team.id.clone(),
            name: format!("{} systems", team.name),
            parent: team.parent.map(|p| teams[p].id.clone()),
            owner: people[team.lead].id.clone(),
            tags: area_tags,
            notes,
            review_days,
            escalate_days: DEFAULT_ESCALATE_DAYS,
            max_auto_changes: None,
        });
    }
    out
}

/// Trainings: everyone's security awareness, data privacy in sensitive
/// teams, the on-call bootcamp for rotation members. Returns what each
/// person holds, and the records.
fn trainings(
    rng: &mut Rng,
    tree: &Tree,
    people: &[Person],
    rotations: &[RotationPlan],
    areas: &Areas,
    now: Time,
) -> (Vec<[Held; 3]>, Vec<Training>) {
    let n = people.len();
    let mut held: Vec<[Held; 3]> = vec![[Held::None; 3]; n];
    let mut trainings: Vec<Training> = Vec::with_capacity(n * 2);
    let mut train = |rng: &mut Rng, p: usize, course: &str, annual: bool| {
        let completed = now - Duration::days(rng.range(5, 390)) - Duration::hours(rng.range(0, 24));
        let expires = annual.then(|| completed + Duration::days(365));
        held[p][course_slot(course)] = if expires.is_some_and(|e| e <= now) {
            Held::Expired
        } else {
            Held::Valid
        };
        trainings.push(Training {
            person: people[p].id.clone(),
            course: course.to_string(),
            completed,
            expires,
        });
    };
    for p in 0..n {
        train(rng, p, SECURITY_AWARENESS, true);
    }
    for (t, team) in tree.teams.iter().enumerate().skip(tree.leaf_start) {
        if !areas.sensitive[t] {
            continue;
        }
        // The lead always has it (and the owner of the rule needing it).
        train(rng, team.lead, DATA_PRIVACY, true);
        for &m in &team.members {
            if m != team.lead && rng.chance(0.98) {
                train(rng, m, DATA_PRIVACY, true);
            }
        }
    }
    for r in rotations {
        for (k, &m) in r.members.iter().enumerate() {
            if k == 0 || rng.chance(0.97) {
                train(rng, m, ONCALL_BOOTCAMP, false);
            }
        }
    }
    (held, trainings)
}

/// Some departments hand their area to a leaf lead: the first three show
/// each state (active, ended, future), then about one in eight. Returns
/// the delegations and, per team, who authors its reports rule.
fn delegations(
    rng: &mut Rng,
    tree: &Tree,
    people: &[Person],
    now: Time,
) -> (Vec<Delegation>, Vec<usize>) {
    let teams = &tree.teams;
    let mut delegations = Vec::new();
    let mut reports_author: Vec<usize> = teams.iter().map(|t| t.lead).collect();
    for t in tree.dept_start..tree.leaf_start {
        let by = teams[t].lead;
        let Some(to) = teams[t].children.first().map(|&c| teams[c].lead) else {
            continue;
        };
        let k = t - tree.dept_start;
        if to == by || (k > 2 && !rng.chance(0.12)) {
            continue;
        }
        let roll = match k {
            0 => 0,
            1 => 80,
            2 => 99,
            _ => rng.below(100),
        };
        let days = |rng: &mut Rng, lo, hi| Duration::days(rng.range(lo, hi));
        let (since, until) = if roll < 70 {
            let since = now - days(rng, 30, 400);
            let until = rng.chance(0.5).then(|| now + days(rng, 30, 200));
            (since, until)
        } else if roll < 85 {
            (now - days(rng, 200, 400), Some(now - days(rng, 5, 120)))
        } else {
            (now + days(rng, 3, 40), None)
        };
        if since <= now {
            reports_author[t] = to;
        }
        delegations.push(Delegation {
            area: teams[t].id.clone(),
            to: people[to].id.clone(),
            by: people[by].id.clone(),
            since,
            until,
        });
    }
    (delegations, reports_author)
}

/// What the rule and grant phases read.
struct World<'a> {
    now: Time,
    tree: &'a Tree,
    people: &'a [Person],
    areas: &'a Areas,
    held: &'a [[Held; 3]],
}

impl World<'_> {
    fn team_id(&self, t: usize) -> String {
        self.tree.teams[t].id.clone()
    }

    fn lead_id(&self, t: usize) -> String {
        self.people[self.tree.teams[t].lead].id.clone()
    }

    /// Team `t`'s entitlement of this kind.
    fn ent(&self, t: usize, kind: &str) -> usize {
        self.areas.ent_of[t][kind]
    }
}

/// Why a grant could not be handed over (the sink's own error: a file that
/// cannot be written, say).
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Where grants go as they are made.
pub type Sink<'a> = &'a mut dyn FnMut(&Grant) -> Result<(), SinkError>;

/// Grants as they are made, handed to a sink one by one (a million people
/// hold ten million: they are not kept), with the entitlements each person
/// holds.
struct Grants<'a> {
    sink: Sink<'a>,
    /// The sink's first error; nothing more is handed over after it.
    failed: Option<SinkError>,
    /// One grant, its strings overwritten for each.
    scratch: Grant,
    made: usize,
    /// Per person: entitlement indexes held (about ten, so a scan is fastest).
    taken: Vec<Vec<u32>>,
}

impl<'a> Grants<'a> {
    fn new(n: usize, sink: Sink<'a>) -> Grants<'a> {
        Grants {
            sink,
            failed: None,
            scratch: Grant {
                person: String::new(),
                entitlement: String::new(),
                granted_by: None,
                granted_at: Time::default(),
                basis: Basis::Manual,
                expires: None,
                through: None,
            },
            made: 0,
            taken: (0..n).map(|_| Vec::with_capacity(12)).collect(),
        }
    }

    /// Adds a grant unless the person already holds that entitlement.
    fn add(
        &mut self,
        w: &World,
        (p, e): (usize, usize),
        by: Option<&str>,
        at: Time,
        basis: &Basis,
        expires: Option<Time>,
    ) -> bool {
        let held = &mut self.taken[p];
        if held.contains(&(e as u32)) {
            return false;
        }
        held.push(e as u32);
        self.made += 1;
        if self.failed.is_some() {
            return true;
        }
        let g = &mut self.scratch;
        set(&mut g.person, &w.people[p].id);
        set(&mut g.entitlement, &w.areas.entitlements[e].id);
        match (by, &mut g.granted_by) {
            (None, old) => *old = None,
            (Some(b), Some(old)) => set(old, b),
            (Some(b), old) => *old = Some(b.to_string()),
        }
        g.granted_at = at;
        match (basis, &mut g.basis) {
            (Basis::Rule(id), Basis::Rule(old)) => set(old, id),
            (basis, old) => *old = basis.clone(),
        }
        g.expires = expires;
        if let Err(err) = (self.sink)(g) {
            self.failed = Some(err);
        }
        true
    }
}

fn set(to: &mut String, from: &str) {
    to.clear();
    to.push_str(from);
}

/// A rule to write, and whom its grants went to.
struct RuleSpec<'a> {
    id: String,
    team: usize,
    author: usize,
    why: &'a str,
    grant: Vec<usize>,
    audience: Audience,
    trained: Vec<&'static str>,
}

/// One rule: its grants go to `members`, as they would have been granted
/// over the past two years: people with lapsed training keep theirs, a few
/// who never trained hold it anyway, a few who qualify don't have it yet.
fn add_rule(
    rng: &mut Rng,
    grants: &mut Grants<'_>,
    w: &World,
    spec: RuleSpec,
    members: &[usize],
) -> Rule {
    let author = w.people[spec.author].id.clone();
    let basis = Basis::Rule(spec.id.clone());
    for &p in members {
        let mut missing = false;
        let mut lapsed = false;
        for c in &spec.trained {
            match w.held[p][course_slot(c)] {
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
            let at = w.now - Duration::hours(rng.range(24, 700 * 24));
            grants.add(w, (p, e), Some(&author), at, &basis, None);
        }
    }
    Rule {
        id: spec.id,
        area: w.team_id(spec.team),
        author,
        why: spec.why.to_string(),
        grant: spec
            .grant
            .iter()
            .map(|&e| w.areas.entitlements[e].id.clone())
            .collect(),
        audience: spec.audience,
        trained: spec.trained.iter().map(|c| c.to_string()).collect(),
        only_while_oncall: false,
        apply: ApplyMode::Suggest,
        lead_secs: 0,
        grace_secs: 0,
    }
}

/// Members of each team's subtree (active people only: teams list no one
/// who left).
fn subtrees(tree: &Tree) -> Vec<Vec<usize>> {
    let teams = &tree.teams;
    let mut subtree: Vec<Vec<usize>> = vec![Vec::new(); teams.len()];
    for t in (0..teams.len()).rev() {
        let mut all = teams[t].members.clone();
        for &c in &teams[t].children {
            all.extend_from_slice(&subtree[c]);
        }
        subtree[t] = all;
    }
    subtree
}

/// The rules of the tree: the company's basics, each division's wiki, each
/// department's dashboard and reports, each leaf team's own systems.
fn team_rules(
    rng: &mut Rng,
    grants: &mut Grants<'_>,
    w: &World,
    reports_author: &[usize],
) -> Vec<Rule> {
    let tree = w.tree;
    let lead = |t: usize| tree.teams[t].lead;
    let subtree = subtrees(tree);
    let team = |t: usize| Audience::Team(w.team_id(t));
    let mut rules = Vec::new();
    let basics = RuleSpec {
        id: "company-basics".into(),
        team: 0,
        author: lead(0),
        why: "Everyone signs in and chats.",
        grant: vec![w.ent(0, "sso"), w.ent(0, "chat")],
        audience: team(0),
        trained: vec![],
    };
    rules.push(add_rule(rng, grants, w, basics, &subtree[0]));
    let divisions = tree.div_start..tree.dept_start;
    for (t, members) in subtree
        .iter()
        .enumerate()
        .take(divisions.end)
        .skip(divisions.start)
    {
        let wiki = RuleSpec {
            id: format!("{}-wiki", w.team_id(t)),
            team: t,
            author: lead(t),
            why: "The division reads its own wiki.",
            grant: vec![w.ent(t, "wiki")],
            audience: team(t),
            trained: vec![],
        };
        rules.push(add_rule(rng, grants, w, wiki, members));
    }
    for t in tree.dept_start..tree.leaf_start {
        let dashboard = RuleSpec {
            id: format!("{}-dashboard", w.team_id(t)),
            team: t,
            author: lead(t),
            why: "Everyone in the department watches its dashboard.",
            grant: vec![w.ent(t, "dashboard")],
            audience: team(t),
            trained: vec![],
        };
        rules.push(add_rule(rng, grants, w, dashboard, &subtree[t]));
        let reports = RuleSpec {
            id: format!("{}-reports", w.team_id(t)),
            team: t,
            author: reports_author[t],
            why: "Department reports are shared within the department.",
            grant: vec![w.ent(t, "reports")],
            audience: team(t),
            trained: vec![SECURITY_AWARENESS],
        };
        rules.push(add_rule(rng, grants, w, reports, &subtree[t]));
    }
    for t in tree.leaves() {
        let trained = if w.areas.sensitive[t] {
            vec![DATA_PRIVACY]
        } else if rng.chance(0.1) {
            vec![SECURITY_AWARENESS]
        } else {
            vec![]
        };
        let own = RuleSpec {
            id: format!("{}-team", w.team_id(t)),
            team: t,
            author: lead(t),
            why: "The team works on its own systems.",
            grant: vec![w.ent(t, "read"), w.ent(t, "write")],
            audience: team(t),
            trained,
        };
        rules.push(add_rule(rng, grants, w, own, &tree.teams[t].members));
    }
    rules
}

/// Neighbours: each leaf team reads up to two sibling teams' systems.
fn neighbour_rules(rng: &mut Rng, grants: &mut Grants<'_>, w: &World) -> Vec<Rule> {
    let teams = &w.tree.teams;
    let mut rules = Vec::new();
    for t in w.tree.leaves() {
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
            let spec = RuleSpec {
                id: format!("{}-read-{}", teams[y].id, teams[t].id),
                team: y,
                author: teams[y].lead,
                why: "A neighbouring team debugs against our systems.",
                grant: vec![w.ent(y, "read")],
                audience: Audience::Team(teams[t].id.clone()),
                trained: vec![],
            };
            rules.push(add_rule(rng, grants, w, spec, &teams[t].members));
        }
    }
    rules
}

/// Each rotation, its members' deploy rule, and its break-glass admin rule
/// (only while on call) with the grants it gave this shift and the last.
fn rotation_rules(
    rng: &mut Rng,
    grants: &mut Grants<'_>,
    w: &World,
    plans: &[RotationPlan],
) -> (Vec<Rule>, Vec<Rotation>) {
    let mut rules = Vec::new();
    let mut rotations: Vec<Rotation> = Vec::with_capacity(plans.len());
    for r in plans {
        let t = r.owner_leaf;
        let rid = format!("{}-oncall", w.team_id(t));
        let deploy = RuleSpec {
            id: format!("{rid}-deploy"),
            team: t,
            author: w.tree.teams[t].lead,
            why: "Responders deploy fixes from their first shift.",
            grant: vec![w.ent(t, "deploy")],
            audience: Audience::Rotation(rid.clone()),
            trained: vec![ONCALL_BOOTCAMP],
        };
        rules.push(add_rule(rng, grants, w, deploy, &r.members));
        let admin = w.ent(t, "admin");
        let breakglass = format!("{rid}-breakglass");
        let author = w.lead_id(t);
        let (current, start, _) = r.shifts[r.current];
        let basis = Basis::Rule(breakglass.clone());
        let at = start + Duration::hours(1);
        if w.held[current][course_slot(ONCALL_BOOTCAMP)] == Held::Valid && rng.chance(0.7) {
            grants.add(w, (current, admin), Some(&author), at, &basis, None);
        }
        if r.current > 0 {
            let (previous, start, _) = r.shifts[r.current - 1];
            if rng.chance(0.4) {
                let at = start + Duration::hours(1);
                grants.add(w, (previous, admin), Some(&author), at, &basis, None);
            }
        }
        rules.push(Rule {
            id: breakglass,
            area: w.team_id(t),
            author,
            why: "Break-glass admin only while holding the pager.".into(),
            grant: vec![w.areas.entitlements[admin].id.clone()],
            audience: Audience::Rotation(rid.clone()),
            trained: vec![ONCALL_BOOTCAMP.into()],
            only_while_oncall: true,
            apply: ApplyMode::Suggest,
            lead_secs: 0,
            grace_secs: 0,
        });
        rotations.push(rotation(w, r, rid));
    }
    (rules, rotations)
}

fn rotation(w: &World, r: &RotationPlan, id: String) -> Rotation {
    let t = r.owner_leaf;
    Rotation {
        id,
        name: format!("{} on-call", w.tree.teams[t].name),
        team: Some(w.team_id(t)),
        members: r.members.iter().map(|&m| w.people[m].id.clone()).collect(),
        shifts: r
            .shifts
            .iter()
            .map(|&(p, start, end)| Shift {
                person: w.people[p].id.clone(),
                start,
                end,
            })
            .collect(),
    }
}

/// People who left keep what their team, department, division and the
/// company gave them.
fn left_grants(
    rng: &mut Rng,
    grants: &mut Grants<'_>,
    w: &World,
    left: &[usize],
    leaf_of: &[Option<usize>],
) {
    let tree = w.tree;
    for &p in left {
        let Some(t) = leaf_of[p] else { continue };
        let dept = tree.teams[t].parent.unwrap_or(0);
        let div = tree.teams[dept].parent.unwrap_or(0);
        let team_rule = format!("{}-team", w.team_id(t));
        let given = [
            (w.ent(t, "read"), team_rule.clone(), t),
            (w.ent(t, "write"), team_rule, t),
            (w.ent(0, "sso"), "company-basics".to_string(), 0),
            (w.ent(0, "chat"), "company-basics".to_string(), 0),
            (
                w.ent(dept, "dashboard"),
                format!("{}-dashboard", w.team_id(dept)),
                dept,
            ),
        ];
        for (e, rule, by) in given {
            let at = w.now - Duration::days(rng.range(60, 700));
            grants.add(
                w,
                (p, e),
                Some(&w.lead_id(by)),
                at,
                &Basis::Rule(rule),
                None,
            );
        }
        if tree.div_start <= div && div < tree.dept_start {
            let at = w.now - Duration::days(rng.range(60, 700));
            let basis = Basis::Rule(format!("{}-wiki", w.team_id(div)));
            grants.add(
                w,
                (p, w.ent(div, "wiki")),
                Some(&w.lead_id(div)),
                at,
                &basis,
                None,
            );
        }
    }
}

/// Active leaf members whose grants drifted: moved teams (still writing to
/// the old one's systems), an admin no rule gives any more, manual grants
/// (by the owner, by someone without authority, by nobody known; some
/// expiring).
fn drifted_grants(rng: &mut Rng, grants: &mut Grants<'_>, w: &World, leaf_of: &[Option<usize>]) {
    let n = w.people.len();
    let (leaf_start, leaf_count) = (w.tree.leaf_start, w.tree.leaf_count);
    let days = |d: i64| Duration::days(d);
    let leaf_members: Vec<usize> = (0..n)
        .filter(|&p| leaf_of[p].is_some() && w.people[p].status == Status::Active)
        .collect();
    for &p in &leaf_members {
        let Some(own) = leaf_of[p] else { continue };
        let roll = rng.below(1000);
        if roll < 10 && leaf_count > 1 {
            let y = leaf_start + rng.below(leaf_count);
            if y != own {
                let at = w.now - days(rng.range(90, 700));
                let basis = Basis::Rule(format!("{}-team", w.team_id(y)));
                grants.add(
                    w,
                    (p, w.ent(y, "write")),
                    Some(&w.lead_id(y)),
                    at,
                    &basis,
                    None,
                );
            }
        } else if roll < 13 {
            if let Some(&admin) = w.areas.ent_of[own].get("admin") {
                let at = w.now - days(rng.range(90, 700));
                let basis = Basis::Rule(format!("{}-team", w.team_id(own)));
                grants.add(w, (p, admin), Some(&w.lead_id(own)), at, &basis, None);
            }
        } else if roll < 43 {
            let y = leaf_start + rng.below(leaf_count);
            let kinds: Vec<usize> = w.areas.ent_of[y].values().copied().collect();
            let Some(&e) = rng.pick(&kinds) else { continue };
            let at = w.now - days(rng.range(1, 400)) - Duration::hours(rng.range(2, 20));
            let by = match rng.below(100) {
                0..70 => Some(w.lead_id(y)),
                70..90 => Some(w.people[rng.below(n)].id.clone()),
                _ => None,
            };
            let expires = rng
                .chance(0.25)
                .then(|| at + days(rng.range(14, 180)) + Duration::hours(3));
            grants.add(w, (p, e), by.as_deref(), at, &Basis::Manual, expires);
        }
    }
}

/// A synthetic organization of `people` people (exactly), the same for the
/// same `seed` and `now`.
pub fn generate(people: usize, seed: u64, now: Time) -> Org {
    let mut list = Vec::new();
    let made = generate_with(people, seed, now, &mut |g| {
        list.push(g.clone());
        Ok(())
    });
    match made {
        Ok((org, _)) => Org {
            grants: list,
            ..org
        },
        // Pushing onto a list does not fail.
        Err(_) => Org::default(),
    }
}

/// [`generate`] for a large organization: each grant is handed to `sink`
/// as it is made (in the order `generate` lists them) instead of kept.
/// Returns the organization without its grants, and how many were made;
/// the sink's first error stops it.
pub fn generate_with(
    people: usize,
    seed: u64,
    now: Time,
    sink: Sink<'_>,
) -> Result<(Org, usize), SinkError> {
    if people == 0 {
        return Ok((Org::default(), 0));
    }
    // Whole seconds, as the org directory's files hold times.
    let now = now.trunc_subsecs(0);
    let mut rng = Rng(seed ^ 0x5354_4557_4152_4421);
    let mut tree = grow_tree(&mut rng, people);
    let sizes = leaf_sizes(&mut rng, people, &tree);
    let mut roster = roster(&mut rng, people);
    let leaf_of = staff(&mut tree, &sizes, &mut roster);
    let left = departures(&mut rng, &mut tree, &mut roster);
    let plans = rotation_plans(&mut rng, &tree, now);
    let areas = plan_areas(&mut rng, &tree, &roster, &plans);
    let (held, trainings) = trainings(&mut rng, &tree, &roster, &plans, &areas, now);
    let (delegations, reports_author) = delegations(&mut rng, &tree, &roster, now);
    let w = World {
        now,
        tree: &tree,
        people: &roster,
        areas: &areas,
        held: &held,
    };
    let mut grants = Grants::new(people, sink);
    let mut rules = team_rules(&mut rng, &mut grants, &w, &reports_author);
    rules.extend(neighbour_rules(&mut rng, &mut grants, &w));
    let (oncall, rotations) = rotation_rules(&mut rng, &mut grants, &w, &plans);
    rules.extend(oncall);
    // What no rule justifies any more.
    left_grants(&mut rng, &mut grants, &w, &left, &leaf_of);
    drifted_grants(&mut rng, &mut grants, &w, &leaf_of);
    if let Some(err) = grants.failed {
        return Err(err);
    }
    let made = grants.made;
    let teams = tree
        .teams
        .iter()
        .map(|t| Team {
            id: t.id.clone(),
            name: t.name.clone(),
            parent: t.parent.map(|p| tree.teams[p].id.clone()),
            lead: Some(roster[t.lead].id.clone()),
            members: t.members.iter().map(|&m| roster[m].id.clone()).collect(),
        })
        .collect();
    let org = Org {
        teams,
        people: roster,
        rotations,
        trainings,
        areas: areas.areas,
        entitlements: areas.entitlements,
        grants: Vec::new(),
        delegations,
        rules,
    };
    Ok((org, made))
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
    fn everyone_has_a_role_their_place_gives() {
        let org = generate(1000, 7, now());
        assert!(org.people.iter().all(|p| p.title.is_some()));
        let ceo = org.people.iter().find(|p| p.manager.is_none()).unwrap();
        assert_eq!(ceo.title.as_deref(), Some("Chief Executive Officer"));
        for t in &org.teams {
            let lead = org.people.iter().find(|p| Some(&p.id) == t.lead.as_ref());
            let role = lead.and_then(|p| p.title.as_deref()).unwrap_or("");
            if t.parent.is_some() && t.members.len() > 1 {
                assert_eq!(role, format!("Engineering Manager, {}", t.name));
            }
        }
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

    /// What `steward gen` writes, the grants written as they are made,
    /// is the organization `generate` makes.
    #[test]
    fn a_streamed_org_directory_is_the_generated_org() {
        let org = generate(400, 5, now());
        let dir = tempfile::tempdir().unwrap();
        let mut made = 0;
        let rest = crate::sources::files::write::write_org_streaming(dir.path(), |sink| {
            let (rest, n) = generate_with(400, 5, now(), sink)?;
            made = n;
            Ok(rest)
        })
        .unwrap();
        assert_eq!(made, org.grants.len());
        let without = Org {
            grants: Vec::new(),
            ..org.clone()
        };
        assert_eq!(rest, without);
        let back = crate::sources::files::read_org(dir.path()).unwrap();
        assert_eq!(back, org);
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
