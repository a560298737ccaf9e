//! The organization without its grants read on two connections at once:
//! the people, teams and rotations on a second connection of their own,
//! the rest on the reader's, so that two cores read it while nothing else
//! can start.
//!
//! Two connections see the same organization when their read transactions
//! see the same generation (every write of the organization's rows moves
//! it on, in its own transaction). When they do not (a sync committed
//! between the two transactions' first reads), or the second connection
//! fails, its part is read again on the reader's connection: the result is
//! always what one transaction sees.

use crate::model::*;
use crate::store::{Result, Store, generation, read};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::Path;
use std::time::Duration;

/// People, teams and rotations.
type People = (Vec<Person>, Vec<Team>, Vec<Rotation>);

/// Every table but grants, as `store`'s connection (in a read transaction
/// not yet read in) sees it; `path` is the store's cache.
pub(super) fn org_without_grants(store: &Store, path: &Path) -> Result<Org> {
    // The first read: the transaction sees the cache as it is now.
    let seen = generation::of(&store.conn)?;
    std::thread::scope(|s| {
        let beside = s.spawn(move || people_beside(path, seen));
        let org = read::org_but_people_and_grants(&store.conn)?;
        let (people, teams, rotations) = match beside.join() {
            Ok(Ok(Some(people))) => people,
            Ok(Ok(None)) => read::people_teams_rotations(&store.conn)?,
            Ok(Err(e)) => {
                tracing::debug!("people read on a second connection failed ({e}): read again");
                read::people_teams_rotations(&store.conn)?
            }
            // A panic there is a bug in the reader: raise it here.
            Err(panic) => std::panic::resume_unwind(panic),
        };
        Ok(Org {
            people,
            teams,
            rotations,
            ..org
        })
    })
}

/// The people, teams and rotations of the cache at `path`, read on a
/// connection of their own, if it sees the organization at generation
/// `seen`.
fn people_beside(path: &Path, seen: i64) -> Result<Option<People>> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let c = Connection::open_with_flags(path, flags)?;
    c.busy_timeout(Duration::from_secs(10))?;
    let tx = Transaction::new_unchecked(&c, TransactionBehavior::Deferred)?;
    if generation::of(&tx)? != seen {
        return Ok(None);
    }
    let people = read::people_teams_rotations(&tx)?;
    tx.finish()?;
    Ok(Some(people))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read on two connections, the organization is the one read on one;
    /// the second connection's part is used only when it sees the same
    /// generation.
    #[test]
    fn two_connections_read_the_organization_one_does() {
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mut store = Store::open(&path).unwrap();
        let source = crate::sync::files_source_info(dir.path());
        store
            .replace_source(&source, &crate::r#gen::generate(200, 3, now), now)
            .unwrap();
        let seen = store.org_generation().unwrap();
        let mut other = crate::r#gen::generate(150, 4, now);
        other.people[0].name = "Someone Else".into();
        store.replace_source(&source, &other, now).unwrap();
        // A read that began before the second sync is not used after it.
        assert!(people_beside(&path, seen).unwrap().is_none());
        let (people, ..) = people_beside(&path, seen + 1).unwrap().unwrap();
        assert_eq!(people.len(), store.load_org().unwrap().people.len());
        let org = org_without_grants(&store, &path).unwrap();
        let mut one = store.load_org().unwrap();
        one.grants.clear();
        assert_eq!(org, one);
        assert_eq!(org.people[0].name, "Someone Else");
    }
}
