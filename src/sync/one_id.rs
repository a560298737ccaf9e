//! One id, one source: a team, rotation, area or entitlement id that two
//! sources provide is an error for the later one naming both, whether the
//! other was pulled in the same sync or is cached from an earlier one (a
//! `sync --source X`, or the org directory beside configured sources),
//! unless both are in `precedence`: then the one listed later gives it up
//! (a cached one loses its row when the other is written).

use super::error::{SourceError, Twice};
use super::{Resolved, ResolvedSource};
use crate::config::SourceConfig;
use std::collections::HashMap;

/// Who holds an id so far: a source pulled now (its place in `out`), or a
/// cached one (its name).
#[derive(Clone)]
enum Holder {
    Pulled(usize),
    Cached(String),
}

/// The ids a resolved source provides, by kind.
fn ids(r: &ResolvedSource) -> Vec<(&'static str, String)> {
    let o = &r.org;
    o.teams
        .iter()
        .map(|t| ("team", t.id.clone()))
        .chain(o.rotations.iter().map(|x| ("rotation", x.id.clone())))
        .chain(o.areas.iter().map(|x| ("area", x.id.clone())))
        .chain(o.entitlements.iter().map(|x| ("entitlement", x.id.clone())))
        .collect()
}

/// A source's place in `precedence`, if it is configured and listed.
pub(super) fn rank(all: &[SourceConfig], name: &str) -> Option<usize> {
    all.iter()
        .find(|c| c.name == name)
        .and_then(|c| c.precedence)
}

/// Applies one id, one source to the pulled sources in `out` (from
/// `selected`), against each other and against `cached` ids (source, kind,
/// id) of the sources not pulled now.
pub(super) fn one_id_one_source(
    out: &mut [(usize, Resolved)],
    selected: &[&SourceConfig],
    all: &[SourceConfig],
    cached: &[(String, &'static str, String)],
) {
    let mut first: HashMap<(&'static str, String), Holder> = HashMap::new();
    for (source, kind, id) in cached {
        first
            .entry((kind, id.clone()))
            .or_insert_with(|| Holder::Cached(source.clone()));
    }
    let mut conflicts: HashMap<usize, Vec<Twice>> = HashMap::new();
    let mut give_up: Vec<(usize, &'static str, String)> = Vec::new();
    let mut cached_give_up: Vec<(usize, String, &'static str, String)> = Vec::new();
    for k in 0..out.len() {
        let Ok(r) = &out[k].1 else { continue };
        let mine = &selected[out[k].0].name;
        for key in ids(r) {
            let Some(holder) = first.get(&key).cloned() else {
                first.insert(key, Holder::Pulled(k));
                continue;
            };
            let theirs = match &holder {
                Holder::Pulled(j) => selected[out[*j].0].name.clone(),
                Holder::Cached(s) => s.clone(),
            };
            match (rank(all, mine), rank(all, &theirs)) {
                (Some(a), Some(b)) if a < b => {
                    match holder {
                        Holder::Pulled(j) => give_up.push((j, key.0, key.1.clone())),
                        Holder::Cached(s) => cached_give_up.push((k, s, key.0, key.1.clone())),
                    }
                    first.insert(key, Holder::Pulled(k));
                }
                (Some(_), Some(_)) => give_up.push((k, key.0, key.1)),
                _ => conflicts.entry(k).or_default().push(Twice {
                    kind: key.0,
                    theirs,
                    mine: mine.clone(),
                    origin: r.origins.get(&(key.0, key.1.clone())).cloned(),
                    id: key.1,
                }),
            }
        }
    }
    for (k, kind, id) in give_up {
        if let Ok(r) = &mut out[k].1 {
            let o = &mut r.org;
            match kind {
                "team" => o.teams.retain(|t| t.id != id),
                "rotation" => o.rotations.retain(|t| t.id != id),
                "area" => o.areas.retain(|t| t.id != id),
                _ => o.entitlements.retain(|t| t.id != id),
            }
        }
    }
    for (k, source, kind, id) in cached_give_up {
        if let Ok(r) = &mut out[k].1 {
            r.cached_give_up.push((source, kind, id));
        }
    }
    for (k, twice) in conflicts {
        out[k].1 = Err(SourceError::Twice(twice));
    }
}
