//! Lists the views and dialogs read from the data: delegations given,
//! rules in scope, people to delegate to, a justification chain.

use super::super::data::Data;
use crate::model::*;
use crate::policy::Snapshot;
use crate::policy::explain::RuleStatus;
use crate::store::{PeopleMatch, Rank};

/// A delegation `me` gave, with its id when it was made in steward (then
/// it can be ended here); one from a source has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    pub local_id: Option<i64>,
    pub delegation: Delegation,
}

/// Delegations `me` gave that are active now or start later.
pub fn given_delegations(data: &Data, now: Time) -> Vec<Given> {
    let me = &data.me;
    let live = |d: &Delegation| d.by == *me && d.until.is_none_or(|u| u > now);
    let mut out: Vec<Given> = data
        .local_delegations
        .iter()
        .filter(|l| live(&l.delegation))
        .map(|l| Given {
            local_id: Some(l.id),
            delegation: l.delegation.clone(),
        })
        .collect();
    for d in &data.snap.org.delegations {
        if live(d) && !out.iter().any(|g| g.delegation == *d) {
            out.push(Given {
                local_id: None,
                delegation: d.clone(),
            });
        }
    }
    out
}

/// One rule in the rules view.
#[derive(Debug, Clone)]
pub struct RuleRow {
    pub status: RuleStatus,
    /// The source it comes from (`steward`: written here, removable here).
    pub source: String,
    pub why: String,
}

/// The rules whose area is in scope, with whether each counts now and why not.
pub fn rules_in_scope(data: &Data, now: Time) -> Vec<RuleRow> {
    let snap = &data.snap;
    let source_of: std::collections::HashMap<&str, &str> = data
        .rule_sources
        .iter()
        .map(|(id, src)| (id.as_str(), src.as_str()))
        .collect();
    crate::policy::explain::rule_statuses(snap, now)
        .into_iter()
        .filter(|r| {
            snap.area_idx(&r.area)
                .is_some_and(|a| data.scope.contains(a))
        })
        .map(|status| RuleRow {
            source: source_of
                .get(status.id.as_str())
                .map_or("?".to_string(), |x| x.to_string()),
            why: snap
                .rule(&status.id)
                .map(|r| r.why.clone())
                .unwrap_or_default(),
            status,
        })
        .collect()
}

/// Who holds access in `area`'s subtree (works on it): every grant there
/// is in the part of the organization read for its owners and delegates.
pub fn holders(snap: &Snapshot, area: usize) -> rustc_hash::FxHashSet<String> {
    let mut working: rustc_hash::FxHashSet<String> = rustc_hash::FxHashSet::default();
    for a in snap.area_subtree(area) {
        for e in snap.entitlements_of_area(a) {
            if let Some(ei) = snap.entitlement_idx(&e.id) {
                working.extend(snap.grants_of_entitlement(ei).map(|g| g.person.clone()));
            }
        }
    }
    working
}

/// How near the work on `area` a person is, for the delegation picker:
/// 0 reports to `me`, 1 holds access in the area (works on it), 2 anyone.
fn nearness(snap: &Snapshot, me: &str, area: usize) -> impl Fn(&crate::model::Person) -> u8 {
    let working = holders(snap, area);
    let me = me.to_string();
    move |p| {
        if p.manager.as_deref() == Some(me.as_str()) {
            0
        } else if working.contains(&p.id) {
            1
        } else {
            2
        }
    }
}

/// The order to offer the active people the store `found` (not `me`) to
/// delegate `area` to, as indices into `found`: the best matching `query`
/// first (as [`PeopleMatch`] ranks: the exact id, then a beginning of id,
/// name or email, then by score), and among equals, or with nothing typed,
/// the nearest the work first (people reporting to `me`, then those with
/// access in the area, then everyone), each by name; at most 200.
pub fn pick(
    snap: &Snapshot,
    me: &str,
    area: usize,
    query: &str,
    found: &[crate::store::Offered],
) -> Vec<usize> {
    let near = nearness(snap, me, area);
    let people = found
        .iter()
        .map(|o| &o.person)
        .enumerate()
        .filter(|(_, p)| p.status == Status::Active && p.id != me);
    let mut matching = (!query.trim().is_empty()).then(|| PeopleMatch::new(query));
    let mut ranked: Vec<(Option<Rank>, u8, &str, usize)> = people
        .filter_map(|(i, p)| {
            let rank = match &mut matching {
                None => None,
                Some(m) => {
                    Some(m.rank(&p.id, &p.name, &p.email, p.title.as_deref().unwrap_or(""))?)
                }
            };
            Some((rank, near(p), p.name.as_str(), i))
        })
        .collect();
    ranked.sort();
    ranked.into_iter().take(200).map(|(.., i)| i).collect()
}

/// The full justification chain (`steward why`) of a suggestion, by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Why {
    pub suggestion: usize,
    pub lines: Vec<String>,
}

impl Why {
    pub fn of(data: &Data, suggestion: usize, now: Time) -> Option<Why> {
        let sug = data.suggestions.get(suggestion)?;
        let text = crate::policy::explain::why(&data.snap, &sug.person, &sug.entitlement, now)
            .unwrap_or_else(|e| e.to_string());
        // The card shows the area's tags and notes already: once is enough.
        let shown = ["  area tags: ", "  area notes: "];
        Some(Why {
            suggestion,
            lines: text
                .lines()
                .filter(|l| !shown.iter().any(|p| l.starts_with(p)))
                .map(str::to_string)
                .collect(),
        })
    }
}
