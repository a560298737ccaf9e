//! The whole roster, searched for the delegation picker: someone's reports,
//! and people matching what is typed (as [`PeopleMatch`] ranks them: the
//! typed words as subsequences of id, name, email and title, the exact id
//! and beginnings first); each active person once (as the whole
//! organization resolves them: the first row with their id) with their
//! first team. Browsing reads by index and stops at a limit; a search ranks
//! every person in one pass over four columns and reads whole only the page
//! it returns.

use super::people_match::{PeopleMatch, Rank};
use super::read::id_list;
use super::{Result, Store};
use crate::model::*;
use rusqlite::{Connection, ToSql};
use rustc_hash::{FxHashMap, FxHashSet};

/// A person the picker may offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    pub person: Person,
    /// Their first team on the roster (a team listing them), if any.
    pub team: Option<String>,
}

/// What the picker asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeopleQuery {
    /// Nothing typed yet: `me`'s reports, the people in `near` (those
    /// with access where `me` delegates), then everyone, each by name.
    Browse { me: String, near: Vec<String> },
    /// People matching the text, best first (see [`PeopleMatch`]).
    Search(String),
}

/// The columns of a person, `p` being the people table.
const PERSON: &str = "p.id, p.name, p.email, p.manager, p.status, p.title";

/// Active, and the row the organization resolves the id to.
const FIRST_ACTIVE: &str =
    "p.status = 'active' AND p.rowid = (SELECT min(rowid) FROM people WHERE id = p.id)";

fn person(r: &rusqlite::Row) -> rusqlite::Result<Person> {
    Ok(Person {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        manager: r.get(3)?,
        status: if r.get_ref(4)?.as_str()? == "left" {
            Status::Left
        } else {
            Status::Active
        },
        title: r.get(5)?,
    })
}

/// The people `sql` selects (its columns [`PERSON`]).
fn people(c: &Connection, sql: &str, params: &[&dyn ToSql]) -> Result<Vec<Person>> {
    let mut st = c.prepare_cached(sql)?;
    let rows = st.query_map(params, person)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The roster as the picker searches it: each active person once (their
/// id's first row), the four columns it ranks, as of one generation of
/// the organization's rows.
pub(super) struct Roster {
    generation: i64,
    people: Vec<Searched>,
}

struct Searched {
    rowid: i64,
    id: String,
    name: String,
    email: String,
    title: String,
}

/// The roster of generation `generation`, in one pass over the people.
fn roster(c: &Connection, generation: i64) -> Result<Roster> {
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let mut people = Vec::new();
    let mut st = c.prepare_cached(
        "SELECT rowid, id, name, email, coalesce(title, ''), status FROM people ORDER BY rowid",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(1)?;
        if seen.contains(&id) {
            continue;
        }
        seen.insert(id.clone());
        if r.get_ref(5)?.as_str().map_err(rusqlite::Error::from)? == "left" {
            continue;
        }
        people.push(Searched {
            rowid: r.get(0)?,
            id,
            name: r.get(2)?,
            email: r.get(3)?,
            title: r.get(4)?,
        });
    }
    Ok(Roster { generation, people })
}

/// People matching `text` as the picker ranks them ([`PeopleMatch`]), the
/// best `limit`, ties by name: each person of the roster ranked (the
/// roster read again only when the organization's rows changed), then the
/// best read whole.
fn search(c: &Connection, roster: &Roster, text: &str, limit: usize) -> Result<Vec<Person>> {
    let mut matching = PeopleMatch::new(text);
    let people = &roster.people;
    let mut ranked: Vec<(Rank, &str, usize)> = people
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let rank = matching.rank(&p.id, &p.name, &p.email, &p.title)?;
            Some((rank, p.name.as_str(), i))
        })
        .collect();
    if ranked.len() > limit {
        ranked.select_nth_unstable(limit);
        ranked.truncate(limit);
    }
    ranked.sort_unstable();
    let place: FxHashMap<i64, usize> = ranked
        .iter()
        .enumerate()
        .map(|(at, (.., i))| (people[*i].rowid, at))
        .collect();
    let rowids = format!(
        "[{}]",
        place
            .keys()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut st = c.prepare_cached(&format!(
        "SELECT {PERSON}, p.rowid FROM people p WHERE p.rowid IN (SELECT value FROM json_each(?1))"
    ))?;
    let mut found: Vec<(usize, Person)> = st
        .query_map([&rowids], |r| Ok((r.get::<_, i64>(6)?, person(r)?)))?
        .filter_map(|row| {
            row.map(|(row, p)| place.get(&row).map(|&at| (at, p)))
                .transpose()
        })
        .collect::<rusqlite::Result<_>>()?;
    found.sort_by_key(|(at, _)| *at);
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

/// `me`'s reports, the people in `near`, then everyone by name: at most
/// `limit` of each.
fn browse(c: &Connection, me: &str, near: &[String], limit: usize) -> Result<Vec<Person>> {
    let lim = limit as i64;
    let mut out = people(
        c,
        &format!(
            "SELECT {PERSON} FROM people p WHERE p.manager = ?1 AND {FIRST_ACTIVE}
             ORDER BY p.name LIMIT ?2"
        ),
        &[&me, &lim],
    )?;
    let near = id_list(near.iter().take(limit).map(String::as_str));
    out.extend(people(
        c,
        &format!(
            "SELECT {PERSON} FROM people p WHERE p.id IN (SELECT value FROM json_each(?1))
             AND {FIRST_ACTIVE} ORDER BY p.name"
        ),
        &[&near],
    )?);
    out.extend(people(
        c,
        &format!(
            "SELECT {PERSON} FROM people p WHERE {FIRST_ACTIVE}
             ORDER BY p.name COLLATE NOCASE LIMIT ?1"
        ),
        &[&lim],
    )?);
    let mut seen = FxHashSet::default();
    out.retain(|p| seen.insert(p.id.clone()));
    Ok(out)
}

/// Each person's first team (by the roster's order): looked up among the
/// teams they or their manager lead (by the index on `lead`), and, for
/// those not found there, in one pass over the teams' members.
fn first_teams(c: &Connection, found: &[Person]) -> Result<FxHashMap<String, String>> {
    let wanted: FxHashSet<&str> = found.iter().map(|p| p.id.as_str()).collect();
    let mut team_of: FxHashMap<String, String> = FxHashMap::default();
    let mut take = |team: String, member: String| {
        if wanted.contains(member.as_str()) {
            team_of.entry(member).or_insert(team);
        }
    };
    let leads = id_list(
        found
            .iter()
            .flat_map(|p| std::iter::once(p.id.as_str()).chain(p.manager.as_deref())),
    );
    let mut st = c.prepare_cached(
        "SELECT t.id, j.value FROM teams t, json_each(t.members) j
         WHERE t.lead IN (SELECT value FROM json_each(?1)) ORDER BY t.rowid",
    )?;
    for row in st.query_map([&leads], |r| Ok((r.get(0)?, r.get(1)?)))? {
        let (team, member) = row?;
        take(team, member);
    }
    let rest: Vec<&str> = found
        .iter()
        .map(|p| p.id.as_str())
        .filter(|id| !team_of.contains_key(*id))
        .collect();
    if rest.is_empty() {
        return Ok(team_of);
    }
    // Someone in a team neither they nor their manager lead, or in none.
    let mut team_of_rest: FxHashMap<String, String> = FxHashMap::default();
    let mut st = c.prepare_cached(
        "SELECT t.id, j.value FROM teams t, json_each(t.members) j
         WHERE j.value IN (SELECT value FROM json_each(?1)) ORDER BY t.rowid",
    )?;
    for row in st.query_map([&id_list(rest)], |r| Ok((r.get(0)?, r.get(1)?)))? {
        let (team, member): (String, String) = row?;
        team_of_rest.entry(member).or_insert(team);
    }
    team_of.extend(team_of_rest);
    Ok(team_of)
}

impl Store {
    /// Active people to offer for `query` (see [`PeopleQuery`]), at most
    /// `limit` of each kind asked for, each with their first team; in one
    /// read transaction.
    pub fn offer_people(&self, query: &PeopleQuery, limit: usize) -> Result<Vec<Offered>> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Deferred,
        )?;
        let found = match query {
            PeopleQuery::Browse { me, near } => browse(&tx, me, near, limit)?,
            PeopleQuery::Search(text) if text.trim().is_empty() => Vec::new(),
            PeopleQuery::Search(text) => {
                let generation = self.org_generation()?;
                let mut kept = self.roster.borrow_mut();
                if kept.as_ref().is_none_or(|r| r.generation != generation) {
                    *kept = Some(roster(&tx, generation)?);
                }
                match kept.as_ref() {
                    Some(roster) => search(&tx, roster, text.trim(), limit)?,
                    None => Vec::new(),
                }
            }
        };
        let mut teams = first_teams(&tx, &found)?;
        tx.finish()?;
        Ok(found
            .into_iter()
            .map(|person| Offered {
                team: teams.remove(&person.id),
                person,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SourceInfo;

    fn info(name: &str) -> SourceInfo {
        SourceInfo {
            name: name.into(),
            kind: "files".into(),
            location: "/tmp/x".into(),
            synced_at: None,
            attempted_at: None,
            error: None,
            items: 0,
        }
    }

    fn person(id: &str, name: &str, manager: Option<&str>) -> Person {
        Person {
            id: id.into(),
            name: name.into(),
            email: format!("{id}@corp.test"),
            manager: manager.map(Into::into),
            title: Some(format!("role of {id}")),
            ..Default::default()
        }
    }

    fn team(id: &str, lead: &str, members: &[&str]) -> Team {
        Team {
            id: id.into(),
            name: id.into(),
            parent: None,
            lead: Some(lead.into()),
            members: members.iter().map(|m| m.to_string()).collect(),
        }
    }

    /// marcus leads payments (priya, ana); ops is led by someone else
    /// than bo's manager; zed is in no team; gone has left; "Ana" is
    /// provided again by a later source under another name.
    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let mut gone = person("gone", "Ana Gone", Some("marcus"));
        gone.status = Status::Left;
        let org = Org {
            people: vec![
                person("marcus", "Marcus Bell", None),
                person("priya", "Priya Raman", Some("marcus")),
                person("ana", "Ana Lima", Some("marcus")),
                person("bo", "Bo 100%_Sure", Some("zed")),
                person("zed", "Zed Adams", None),
                person("Kim.Lee", "Kim Lee", Some("zed")),
                gone,
            ],
            teams: vec![
                team("payments", "marcus", &["marcus", "priya", "ana"]),
                team("ops", "kim.other", &["bo"]),
            ],
            ..Default::default()
        };
        store.replace_source(&info("files"), &org, now).unwrap();
        let later = Org {
            people: vec![person("ana", "Someone Else", None)],
            ..Default::default()
        };
        store.replace_source(&info("later"), &later, now).unwrap();
        (dir, store)
    }

    fn ids(found: &[Offered]) -> Vec<&str> {
        found.iter().map(|o| o.person.id.as_str()).collect()
    }

    fn search(store: &Store, text: &str) -> Vec<Offered> {
        store
            .offer_people(&PeopleQuery::Search(text.into()), 50)
            .unwrap()
    }

    #[test]
    fn finds_people_by_a_prefix_of_name_email_or_id_in_any_case_first() {
        let (_d, store) = store();
        let first = |text: &str| search(&store, text).first().map(|o| o.person.id.clone());
        assert_eq!(first("pri").as_deref(), Some("priya"));
        assert_eq!(first("PRIYA@corp").as_deref(), Some("priya"));
        assert_eq!(first("kim.l").as_deref(), Some("Kim.Lee"));
        assert_eq!(first("Kim.L").as_deref(), Some("Kim.Lee"));
        // A part of a surname: the name's prefix matches no one.
        assert_eq!(first("aman").as_deref(), Some("priya"));
        // LIKE's wildcards are text like any other.
        assert_eq!(ids(&search(&store, "bo 100%_")), vec!["bo"]);
        assert_eq!(ids(&search(&store, "%")), vec!["bo"]);
        assert!(search(&store, "nobody-at-all").is_empty());
        assert!(search(&store, "  ").is_empty());
    }

    #[test]
    fn finds_people_by_letters_in_order_and_words_in_any_order() {
        let (_d, store) = store();
        let first = |text: &str| search(&store, text).first().map(|o| o.person.id.clone());
        assert_eq!(first("prya").as_deref(), Some("priya"));
        assert_eq!(first("lima a").as_deref(), Some("ana"));
        assert_eq!(first("bell marc").as_deref(), Some("marcus"));
        // The title is searched too.
        assert_eq!(first("role of zed").as_deref(), Some("zed"));
        // The exact id first, then a beginning, whatever scores better.
        let found = search(&store, "zed");
        assert_eq!(ids(&found)[0], "zed", "{:?}", ids(&found));
    }

    #[test]
    fn offers_each_active_person_once_as_the_first_source_gives_them() {
        let (_d, store) = store();
        // gone has left; ana's later row (another name) is not who ana is.
        let found = ids(&search(&store, "ana")).join(" ");
        assert!(found.starts_with("ana"), "{found}");
        assert!(!found.contains("gone"), "{found}");
        assert_eq!(found.matches("ana").count(), 1, "{found}");
        assert!(search(&store, "someone").is_empty());
        assert!(search(&store, "ana gone").is_empty());
        let ana = &search(&store, "ana")[0];
        assert_eq!(ana.person.name, "Ana Lima");
        assert_eq!(ana.person.title.as_deref(), Some("role of ana"));
        assert_eq!(ana.team.as_deref(), Some("payments"));
    }

    #[test]
    fn a_sync_after_a_search_is_searched_at_once() {
        let (_d, mut store) = store();
        assert!(search(&store, "quinn").is_empty());
        let now: Time = "2026-03-03T12:00:00Z".parse().unwrap();
        let more = Org {
            people: vec![person("yara", "Yara Quinn", None)],
            ..Default::default()
        };
        store.replace_source(&info("more"), &more, now).unwrap();
        assert_eq!(ids(&search(&store, "quinn")), vec!["yara"]);
    }

    #[test]
    fn at_most_the_limit_the_best_of_all_kept() {
        let (_d, store) = store();
        // Everyone's email holds "corp": the one whose id is it would be
        // first, here the best of equals by name.
        let all = store
            .offer_people(&PeopleQuery::Search("corp".into()), 50)
            .unwrap();
        let two = store
            .offer_people(&PeopleQuery::Search("corp".into()), 2)
            .unwrap();
        assert_eq!(all.len(), 6);
        assert_eq!(ids(&two), ids(&all[..2]));
    }

    #[test]
    fn names_each_persons_first_team_led_by_them_their_manager_or_anyone() {
        let (_d, store) = store();
        let team = |id: &str| search(&store, id)[0].team.clone();
        assert_eq!(team("marcus").as_deref(), Some("payments"));
        assert_eq!(team("priya").as_deref(), Some("payments"));
        // bo's manager leads no team; bo is found in ops all the same.
        assert_eq!(team("bo").as_deref(), Some("ops"));
        assert_eq!(team("zed"), None);
    }

    #[test]
    fn browsing_offers_reports_then_the_people_named_then_everyone_by_name() {
        let (_d, store) = store();
        let q = PeopleQuery::Browse {
            me: "marcus".into(),
            near: vec!["bo".into(), "gone".into()],
        };
        let found = store.offer_people(&q, 50).unwrap();
        assert_eq!(
            ids(&found),
            vec!["ana", "priya", "bo", "Kim.Lee", "marcus", "zed"]
        );
        // At most `limit` of each kind.
        let found = store.offer_people(&q, 1).unwrap();
        assert_eq!(ids(&found), vec!["ana", "bo"]);
    }

    #[test]
    fn reports_are_read_by_index() {
        let (_d, store) = store();
        let plan = |sql: &str| -> String {
            let mut st = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let rows = st.query_map([], |r| r.get::<_, String>(3)).unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        let reports = plan(&format!(
            "SELECT {PERSON} FROM people p WHERE p.manager = 'marcus' AND {FIRST_ACTIVE} ORDER BY p.name LIMIT 5"
        ));
        assert!(reports.contains("INDEX people_manager"), "{reports}");
    }
}
