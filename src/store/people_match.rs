//! How well a person answers what was typed in the delegation picker, as
//! the best pickers rank (fzf, whose scoring `nucleo-matcher` follows): each
//! typed word a subsequence of one of the person's id, name, email and
//! title (the words in any order, any case), scored higher for consecutive
//! runs and for word starts. Above every score, what the picker always put
//! first: the exact id, then an id, name or email beginning with the text.

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use std::cmp::Reverse;

/// A match's place: lower is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank {
    /// 0 the exact id, 1 an id, name or email beginning with the text,
    /// 2 any other match.
    tier: u8,
    score: Reverse<u32>,
}

/// What is typed, ready to rank people against; keeps its buffers between
/// people.
pub struct PeopleMatch {
    typed: String,
    pattern: Pattern,
    matcher: Matcher,
    chars: Vec<char>,
}

impl PeopleMatch {
    /// `text` as typed: its words (split at spaces) must all match.
    pub fn new(text: &str) -> PeopleMatch {
        let typed = text.trim().to_lowercase();
        PeopleMatch {
            pattern: Pattern::new(
                &typed,
                CaseMatching::Ignore,
                Normalization::Smart,
                AtomKind::Fuzzy,
            ),
            typed,
            matcher: Matcher::new(Config::DEFAULT),
            chars: Vec::new(),
        }
    }

    /// How well the person with these fields matches; `None` when they do
    /// not (nor does anyone when nothing was typed). Each typed word is
    /// scored in the field where it scores best, and must match in one.
    pub fn rank(&mut self, id: &str, name: &str, email: &str, title: &str) -> Option<Rank> {
        if self.typed.is_empty() {
            return None;
        }
        let PeopleMatch {
            pattern,
            matcher,
            chars,
            typed,
        } = self;
        let mut score = 0u32;
        for word in &pattern.atoms {
            let best = [id, name, email, title]
                .into_iter()
                .filter_map(|field| word.score(Utf32Str::new(field, chars), matcher))
                .max()?;
            score += u32::from(best);
        }
        let tier = if lower_eq(id, typed) {
            0
        } else if [id, name, email]
            .iter()
            .any(|f| lower_starts_with(f, typed))
        {
            1
        } else {
            2
        };
        Some(Rank {
            tier,
            score: Reverse(score),
        })
    }
}

/// `field` in lower case is `lower`.
fn lower_eq(field: &str, lower: &str) -> bool {
    if field.is_ascii() {
        field.eq_ignore_ascii_case(lower)
    } else {
        field.to_lowercase() == lower
    }
}

/// `field` in lower case begins with `lower`.
fn lower_starts_with(field: &str, lower: &str) -> bool {
    if field.is_ascii() {
        field
            .get(..lower.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(lower))
    } else {
        field.to_lowercase().starts_with(lower)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (id, name, email, title) of a small roster.
    const PEOPLE: [(&str, &str, &str, &str); 8] = [
        (
            "priya",
            "Priya Raman",
            "priya@corp.test",
            "Engineering Manager",
        ),
        (
            "arjun",
            "Arjun Mehta",
            "arjun.mehta@corp.test",
            "Staff Engineer",
        ),
        ("amehta", "Anita Mehta", "anita@corp.test", "Designer"),
        ("pryce", "Tom Pryce", "tom@corp.test", "Payroll"),
        ("ana", "Ana Lima", "ana@corp.test", "Engineer"),
        ("banana", "Bea Nana", "bea@corp.test", "Analyst"),
        ("pia", "Pia Ray", "pia@corp.test", "Recruiter"),
        ("zoe", "Zoë Ångström", "zoe@corp.test", "Site Reliability"),
    ];

    /// The ids matching `text`, best first (ties by id).
    fn ranked(text: &str) -> Vec<&'static str> {
        let mut m = PeopleMatch::new(text);
        let mut found: Vec<(Rank, &str)> = PEOPLE
            .iter()
            .filter_map(|(id, name, email, title)| m.rank(id, name, email, title).map(|r| (r, *id)))
            .collect();
        found.sort();
        found.into_iter().map(|(_, id)| id).collect()
    }

    #[test]
    fn letters_left_out_still_find_the_person() {
        assert_eq!(ranked("prya")[0], "priya");
        assert_eq!(ranked("pryaman"), ["priya"]);
        assert_eq!(ranked("arjmeh")[0], "arjun");
    }

    #[test]
    fn words_match_in_any_order_and_any_case() {
        let mut both = ranked("mehta a");
        both.sort();
        assert_eq!(both, ["amehta", "arjun"]);
        assert_eq!(ranked("MEHTA arj"), ["arjun"]);
        // Across fields: a name and a title.
        assert_eq!(ranked("anita design"), ["amehta"]);
        assert_eq!(ranked("staff arjun")[0], "arjun");
    }

    #[test]
    fn the_exact_id_then_a_beginning_come_before_any_better_score() {
        // ana is the id; banana holds it as a run, Ana Lima begins with it.
        let r = ranked("ana");
        assert_eq!(r[0], "ana");
        assert!(r.contains(&"banana"), "{r:?}");
        // "pr": priya and pryce begin with it, before Pia Ray's p..r.
        let r = ranked("pr");
        let mut first = r[..2].to_vec();
        first.sort();
        assert_eq!(first, ["priya", "pryce"]);
        assert!(r.contains(&"pia"), "{r:?}");
        // An email's beginning counts as a name's does.
        assert_eq!(ranked("tom@")[0], "pryce");
    }

    #[test]
    fn consecutive_runs_and_word_starts_score_higher() {
        // "ray": a run at a word start (Pia Ray) beats letters spread out
        // (p-R-A-Y... in Priya Raman's fields).
        let r = ranked("ray");
        assert_eq!(r[0], "pia", "{r:?}");
        // "eng": the three whose title has a word beginning with it come
        // before Zoë, whose fields only hold e, n and g apart.
        let r = ranked("eng");
        let mut first = r[..3].to_vec();
        first.sort();
        assert_eq!(first, ["ana", "arjun", "priya"], "{r:?}");
        assert!(r.contains(&"zoe"), "{r:?}");
    }

    #[test]
    fn a_word_takes_its_letters_from_one_field() {
        // "aman": a run in Priya Raman's name; Ana Lima has its letters
        // only from her name and then her email.
        assert_eq!(ranked("aman"), ["priya"]);
    }

    #[test]
    fn accents_and_nothing_typed() {
        assert_eq!(ranked("angstrom"), ["zoe"]);
        assert_eq!(ranked("zoë")[0], "zoe");
        assert!(ranked("").is_empty());
        assert!(ranked("   ").is_empty());
        assert!(ranked("qqq").is_empty());
    }
}
