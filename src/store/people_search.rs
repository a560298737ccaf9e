//! The whole roster, searched for the delegation picker: someone's reports,
//! people by id, and people whose id, name or email begins with or holds
//! some text; each active person once (as the whole organization resolves
//! them: the first row with their id) with their first team. Every read is
//! an indexed lookup or stops at a limit, so a picker on a large
//! organization reads a page of people, never the roster.

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
    /// People whose id, name or email begins with the text (any case),
    /// then those holding it elsewhere.
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

/// `text` as a LIKE pattern matching itself literally, then anything.
fn prefix_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// People matching `text`, at most `limit`: those whose name or email
/// begins with it (any case), or whose id does (as typed or in lower
/// case), by the indexes; then, if that is not enough, those whose id,
/// name or email holds it anywhere (ASCII case folded), by a scan that
/// stops at the limit.
fn search(c: &Connection, text: &str, limit: usize) -> Result<Vec<Person>> {
    let lim = limit as i64;
    let like = prefix_pattern(text);
    let mut out: Vec<Person> = Vec::new();
    for column in ["name", "email"] {
        let sql = format!(
            "SELECT {PERSON} FROM people p WHERE p.{column} LIKE ?1 ESCAPE '\\' AND {FIRST_ACTIVE}
             ORDER BY p.{column} COLLATE NOCASE LIMIT ?2"
        );
        out.extend(people(c, &sql, &[&like, &lim])?);
    }
    let lower = text.to_lowercase();
    for id in [text, lower.as_str()] {
        out.extend(people(
            c,
            &format!(
                "SELECT {PERSON} FROM people p WHERE p.id >= ?1 AND p.id < ?1 || char(1114111)
                 AND {FIRST_ACTIVE} ORDER BY p.id LIMIT ?2"
            ),
            &[&id, &lim],
        )?);
    }
    let mut seen = FxHashSet::default();
    out.retain(|p| seen.insert(p.id.clone()));
    if out.len() < limit {
        let more = people(
            c,
            &format!(
                "SELECT {PERSON} FROM people p
                 WHERE (instr(lower(p.name), ?1) OR instr(lower(p.email), ?1) OR instr(lower(p.id), ?1))
                 AND {FIRST_ACTIVE} LIMIT ?2"
            ),
            &[&lower, &((limit + out.len()) as i64)],
        )?;
        out.extend(more.into_iter().filter(|p| seen.insert(p.id.clone())));
    }
    out.truncate(limit);
    Ok(out)
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
            PeopleQuery::Search(text) => search(&tx, text.trim(), limit)?,
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
    fn finds_people_by_a_prefix_of_name_email_or_id_in_any_case_then_by_a_part() {
        let (_d, store) = store();
        assert_eq!(ids(&search(&store, "pri")), vec!["priya"]);
        assert_eq!(ids(&search(&store, "PRIYA@corp")), vec!["priya"]);
        assert_eq!(ids(&search(&store, "kim.l")), vec!["Kim.Lee"]);
        assert_eq!(ids(&search(&store, "Kim.L")), vec!["Kim.Lee"]);
        // A part of a surname: the name's prefix matches no one.
        assert_eq!(ids(&search(&store, "aman")), vec!["priya"]);
        // LIKE's wildcards are text like any other.
        assert_eq!(ids(&search(&store, "bo 100%_")), vec!["bo"]);
        assert_eq!(ids(&search(&store, "%")), vec!["bo"]);
        assert!(search(&store, "nobody-at-all").is_empty());
        assert!(search(&store, "  ").is_empty());
    }

    #[test]
    fn offers_each_active_person_once_as_the_first_source_gives_them() {
        let (_d, store) = store();
        // gone has left; ana's later row (another name) is not who ana is.
        assert_eq!(ids(&search(&store, "ana")), vec!["ana"]);
        assert!(search(&store, "someone").is_empty());
        let ana = &search(&store, "ana")[0];
        assert_eq!(ana.person.name, "Ana Lima");
        assert_eq!(ana.person.title.as_deref(), Some("role of ana"));
        assert_eq!(ana.team.as_deref(), Some("payments"));
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
    fn searches_and_reports_are_read_by_index() {
        let (_d, store) = store();
        let plan = |sql: &str| -> String {
            let mut st = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let rows = st.query_map([], |r| r.get::<_, String>(3)).unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        let name = plan(&format!(
            "SELECT {PERSON} FROM people p WHERE p.name LIKE 'pri%' ESCAPE '\\' AND {FIRST_ACTIVE} ORDER BY p.name COLLATE NOCASE LIMIT 5"
        ));
        assert!(name.contains("INDEX people_name"), "{name}");
        let email = plan(&format!(
            "SELECT {PERSON} FROM people p WHERE p.email LIKE 'pri%' ESCAPE '\\' AND {FIRST_ACTIVE} ORDER BY p.email COLLATE NOCASE LIMIT 5"
        ));
        assert!(email.contains("INDEX people_email"), "{email}");
        let reports = plan(&format!(
            "SELECT {PERSON} FROM people p WHERE p.manager = 'marcus' AND {FIRST_ACTIVE} ORDER BY p.name LIMIT 5"
        ));
        assert!(reports.contains("INDEX people_manager"), "{reports}");
        let id = plan(&format!(
            "SELECT {PERSON} FROM people p WHERE p.id >= 'pr' AND p.id < 'pr' || char(1114111) AND {FIRST_ACTIVE} ORDER BY p.id LIMIT 5"
        ));
        assert!(id.contains("INDEX people_id"), "{id}");
    }
}
