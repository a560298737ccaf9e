//! The queue: the pending suggestions under the selected node, of the kind
//! asked for, matching the text filter (fuzzy, best match first).

use super::super::data::Data;
use super::super::ui::{NodeKey, TreeTab};
use super::index::Index;
use super::standing::Standing;
use super::urgency::Urgency;
use crate::model::Kind;
use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use std::collections::BTreeSet;

/// The matches of one query typed so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterCache {
    pub node: NodeKey,
    pub kind: Option<Kind>,
    pub generation: u64,
    pub query: String,
    pub matches: Vec<usize>,
}

/// Which suggestions belong under a node of the tree.
pub struct Under<'a> {
    pub data: &'a Data,
    pub index: &'a Index,
    pub tab: TreeTab,
}

impl Under<'_> {
    /// Does suggestion `i` belong under `node`?
    pub fn contains(&self, i: usize, node: NodeKey) -> bool {
        let snap = &self.data.snap;
        let s = &self.data.suggestions[i];
        match node {
            NodeKey::All => match self.tab {
                TreeTab::Areas => true,
                TreeTab::Teams => self
                    .index
                    .led_teams
                    .iter()
                    .any(|&t| self.index.person_in_team(snap, &s.person, t)),
            },
            NodeKey::Area(a) => {
                // Up the parent chain, without allocating.
                let mut cur = self.index.sug_area[i];
                let mut steps = 0;
                while let Some(c) = cur {
                    if c == a {
                        return true;
                    }
                    steps += 1;
                    if steps > 256 {
                        break;
                    }
                    cur = snap.area_parent[c];
                }
                false
            }
            NodeKey::Team(t) => self.index.person_in_team(snap, &s.person, t),
        }
    }

    /// The pending suggestions under `node`, in `order`.
    pub fn pending(&self, order: &[usize], standing: &[Standing], node: NodeKey) -> Vec<usize> {
        order
            .iter()
            .copied()
            .filter(|&i| standing[i] == Standing::Pending && self.contains(i, node))
            .collect()
    }
}

/// What a queue is built from.
pub struct QueueOf<'a> {
    pub under: Under<'a>,
    pub order: &'a [usize],
    pub standing: &'a [Standing],
    /// Decided rows kept in place (see `Ui::decided_elsewhere`).
    pub decided_elsewhere: &'a BTreeSet<usize>,
    pub urgency: &'a [Urgency],
    pub generation: u64,
}

impl QueueOf<'_> {
    /// The queue for `node`, `kind` and the text `filter`. Matches of the
    /// queries typed before (each a prefix of the next) are kept in
    /// `cache`, to narrow as the query grows and reuse as it shrinks.
    pub fn rows(
        &self,
        node: NodeKey,
        kind: Option<Kind>,
        filter: &str,
        cache: &mut Vec<FilterCache>,
    ) -> Vec<usize> {
        let query = filter.trim();
        // Keep only the cached queries this one extends (same node, kind,
        // decisions); the longest is where to start.
        cache.retain(|c| {
            c.node == node
                && c.kind == kind
                && c.generation == self.generation
                && query.starts_with(&c.query)
        });
        if let Some(c) = cache.last()
            && c.query == query
        {
            return c.matches.clone();
        }
        let candidates: Vec<usize> = match cache.last() {
            Some(c) => c.matches.clone(),
            None => {
                let sug = &self.under.data.suggestions;
                self.order
                    .iter()
                    .copied()
                    .filter(|&i| {
                        self.standing[i] == Standing::Pending || self.decided_elsewhere.contains(&i)
                    })
                    .filter(|&i| kind.is_none_or(|k| sug[i].kind == k))
                    .filter(|&i| self.under.contains(i, node))
                    .collect()
            }
        };
        if query.is_empty() {
            cache.clear();
            return candidates;
        }
        let matches = self.fuzzy(query, candidates);
        cache.push(FilterCache {
            node,
            kind,
            generation: self.generation,
            query: query.to_string(),
            matches: matches.clone(),
        });
        matches
    }

    /// The candidates matching `query`, best first (ties by urgency).
    fn fuzzy(&self, query: &str, candidates: Vec<usize>) -> Vec<usize> {
        let index = self.under.index;
        let pattern = Pattern::new(
            query,
            CaseMatching::Ignore,
            Normalization::Smart,
            AtomKind::Fuzzy,
        );
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let prefilter = Prefilter::new(query);
        // Each distinct string scored at most once: None = not yet.
        let mut memo: Vec<Option<Option<u32>>> = vec![None; index.filter_strings.len()];
        let mut scored: Vec<(u32, usize)> = candidates
            .into_iter()
            .filter_map(|i| {
                // Each field on its own, so letters scattered across
                // fields do not make a match.
                let fields = index.filter_fields.get(i)?;
                fields
                    .iter()
                    .filter_map(|&f| {
                        let f = f as usize;
                        *memo[f].get_or_insert_with(|| {
                            let text = index.filter_strings[f].as_str();
                            if !prefilter.may_match(text) {
                                return None;
                            }
                            pattern.score(Utf32Str::new(text, &mut buf), &mut matcher)
                        })
                    })
                    .max()
                    .map(|sc| (sc, i))
            })
            .collect();
        scored.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| self.urgency[a.1].cmp(&self.urgency[b.1]))
        });
        scored.into_iter().map(|(_, i)| i).collect()
    }
}

/// A cheap test run before fuzzy scoring: a fuzzy match needs every word
/// of the query, letter by letter in order, in the field. Only for ASCII
/// (the matcher also folds accents) and plain words (no `\` escapes).
struct Prefilter {
    words: Option<Vec<Vec<u8>>>,
}

impl Prefilter {
    fn new(query: &str) -> Prefilter {
        let plain = query.is_ascii() && !query.contains('\\');
        Prefilter {
            words: plain.then(|| {
                query
                    .split_whitespace()
                    .map(|w| w.to_ascii_lowercase().into_bytes())
                    .collect()
            }),
        }
    }

    fn may_match(&self, field: &str) -> bool {
        let Some(words) = &self.words else {
            return true;
        };
        if !field.is_ascii() {
            return true;
        }
        let hay = field.as_bytes();
        words.iter().all(|w| {
            let mut it = hay.iter().map(u8::to_ascii_lowercase);
            w.iter().all(|&c| it.any(|h| h == c))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefilter never rejects what the fuzzy matcher would accept.
    #[test]
    fn prefilter_rejects_only_what_cannot_match() {
        let fields = [
            "payments-db:write",
            "Payments-DB:Read",
            "person_left",
            "greg",
            "k8s-prod:deploy",
            "clinical-analytics",
            "Zoë",
        ];
        let queries = [
            "pay wri", "pdw", "PAY", "dbr", "left", "gx", "k8s dep", "zz", "zoe", "a b c",
            "wr pay", "-:", "_l",
        ];
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let mut rejected = 0;
        for q in queries {
            let pattern = Pattern::new(
                q,
                CaseMatching::Ignore,
                Normalization::Smart,
                AtomKind::Fuzzy,
            );
            let pre = Prefilter::new(q);
            for f in fields {
                let score = pattern.score(Utf32Str::new(f, &mut buf), &mut matcher);
                if !pre.may_match(f) {
                    rejected += 1;
                    assert_eq!(score, None, "{q:?} rejected {f:?} but it matches");
                }
            }
        }
        assert!(rejected > 20, "the prefilter does reject: {rejected}");
    }
}
