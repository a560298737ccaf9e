//! Versioned schema: each migration runs once, in order, tracked by
//! `PRAGMA user_version`.

use rusqlite::Connection;

/// The tables of the organization's rows.
pub const ORG_TABLES: [&str; 10] = [
    "people",
    "teams",
    "rotations",
    "shifts",
    "trainings",
    "areas",
    "entitlements",
    "grants",
    "delegations",
    "rules",
];

const MIGRATIONS: &[&str] = &[
    // 1: the synced organization, decisions and the audit log.
    "
    CREATE TABLE sources (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        location TEXT NOT NULL,
        synced_at INTEGER,
        attempted_at INTEGER,
        error TEXT,
        items INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE people (source TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL,
        manager TEXT, status TEXT NOT NULL);
    CREATE TABLE teams (source TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, parent TEXT, lead TEXT,
        members TEXT NOT NULL);
    CREATE TABLE rotations (source TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, team TEXT,
        members TEXT NOT NULL);
    CREATE TABLE shifts (source TEXT NOT NULL, rotation TEXT NOT NULL, person TEXT NOT NULL,
        start INTEGER NOT NULL, end INTEGER NOT NULL);
    CREATE TABLE trainings (source TEXT NOT NULL, person TEXT NOT NULL, course TEXT NOT NULL,
        completed INTEGER NOT NULL, expires INTEGER);
    CREATE TABLE areas (source TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, parent TEXT,
        owner TEXT NOT NULL, tags TEXT NOT NULL, notes TEXT NOT NULL, review_days INTEGER NOT NULL,
        escalate_days INTEGER NOT NULL);
    CREATE TABLE entitlements (source TEXT NOT NULL, id TEXT NOT NULL, area TEXT NOT NULL, name TEXT NOT NULL,
        upstream TEXT);
    CREATE TABLE grants (source TEXT NOT NULL, person TEXT NOT NULL, entitlement TEXT NOT NULL,
        granted_by TEXT, granted_at INTEGER NOT NULL, basis TEXT NOT NULL, expires INTEGER);
    CREATE TABLE delegations (source TEXT NOT NULL, area TEXT NOT NULL, to_person TEXT NOT NULL,
        by_person TEXT NOT NULL, since INTEGER NOT NULL, until INTEGER);
    CREATE TABLE rules (source TEXT NOT NULL, id TEXT NOT NULL, area TEXT NOT NULL, author TEXT NOT NULL,
        why TEXT NOT NULL, grants TEXT NOT NULL, team TEXT, rotation TEXT, trained TEXT NOT NULL,
        only_while_oncall INTEGER NOT NULL);
    CREATE INDEX people_source ON people(source);
    CREATE INDEX teams_source ON teams(source);
    CREATE INDEX rotations_source ON rotations(source);
    CREATE INDEX shifts_source ON shifts(source);
    CREATE INDEX trainings_source ON trainings(source);
    CREATE INDEX areas_source ON areas(source);
    CREATE INDEX entitlements_source ON entitlements(source);
    CREATE INDEX grants_source ON grants(source);
    CREATE INDEX delegations_source ON delegations(source);
    CREATE INDEX rules_source ON rules(source);

    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        decider TEXT NOT NULL,
        verdict TEXT NOT NULL,
        kind TEXT NOT NULL,
        person TEXT NOT NULL,
        entitlement TEXT NOT NULL,
        area TEXT NOT NULL,
        rule TEXT,
        reason TEXT NOT NULL,
        evidence TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        note TEXT,
        until INTEGER,
        state TEXT NOT NULL,
        applied_at INTEGER,
        result TEXT
    );
    CREATE INDEX decisions_subject ON decisions(person, entitlement);

    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    ",
    // 2: what steward knows of grants seen upstream (store/upstream.rs).
    "
    CREATE TABLE upstream_grants (
        source TEXT NOT NULL,
        person TEXT NOT NULL,
        entitlement TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        granted_by TEXT,
        basis TEXT NOT NULL,
        granted_at INTEGER NOT NULL,
        PRIMARY KEY (source, person, entitlement)
    );
    ",
    // 3: reminders: when each suggestion was first seen, and digest deliveries (store/reminders.rs).
    "
    CREATE TABLE suggestion_seen (
        person TEXT NOT NULL,
        entitlement TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        PRIMARY KEY (person, entitlement, fingerprint)
    );
    CREATE TABLE digest_deliveries (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        recipient TEXT NOT NULL,
        channel TEXT NOT NULL,
        target TEXT NOT NULL,
        subject TEXT NOT NULL,
        status TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        error TEXT
    );
    CREATE INDEX digest_deliveries_recipient ON digest_deliveries(recipient, id);
    CREATE TABLE digest_items (
        delivery INTEGER NOT NULL REFERENCES digest_deliveries(id),
        item TEXT NOT NULL
    );
    CREATE INDEX digest_items_delivery ON digest_items(delivery);
    ",
    // 4: no per-source indexes on the org tables: a sync deletes and inserts
    // whole sources, and maintaining an all-equal index costs more than the scan.
    "
    DROP INDEX IF EXISTS people_source;
    DROP INDEX IF EXISTS teams_source;
    DROP INDEX IF EXISTS rotations_source;
    DROP INDEX IF EXISTS shifts_source;
    DROP INDEX IF EXISTS trainings_source;
    DROP INDEX IF EXISTS areas_source;
    DROP INDEX IF EXISTS entitlements_source;
    DROP INDEX IF EXISTS grants_source;
    DROP INDEX IF EXISTS delegations_source;
    DROP INDEX IF EXISTS rules_source;
    ",
    // 5: what the console last showed each person (the head of their
    // queue), drawn at once on the next start while the cache loads.
    "
    CREATE TABLE console_previews (
        person TEXT PRIMARY KEY,
        saved_at INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    ",
    // 6: audit entries in format 2 (store/audit.rs): the log's identity, the
    // wall-clock time each entry was written and how its actor proved who
    // they are; older entries keep format 1 and hash as before.
    "
    ALTER TABLE audit ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE audit ADD COLUMN log TEXT;
    ALTER TABLE audit ADD COLUMN written_at INTEGER;
    ALTER TABLE audit ADD COLUMN via TEXT;
    ALTER TABLE audit ADD COLUMN via_fingerprint TEXT;
    ALTER TABLE audit ADD COLUMN via_serial TEXT;
    ALTER TABLE audit ADD COLUMN via_ca TEXT;
    INSERT OR IGNORE INTO settings (key, value) VALUES ('audit_log', lower(hex(randomblob(8))));
    ",
    // 7: the reference problems the last sync found (store/source_guard.rs).
    "
    CREATE TABLE sync_problems (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        at INTEGER NOT NULL,
        count INTEGER NOT NULL,
        first TEXT NOT NULL
    );
    ",
    // 8: the shrink guard's records (store/source_guard.rs): what each
    // source provided at its last kept sync (a source synced before has its
    // rows counted instead), and a sync held back by the shrink guard.
    "
    CREATE TABLE source_guard (
        name TEXT PRIMARY KEY,
        provided TEXT,
        held_back TEXT
    );
    ",
    // 9: the keys scoped reads look rows up by (store/scoped.rs): one
    // owner's areas, their entitlements and grants, the rules that count
    // there and the people, teams and rotations those name, without
    // reading the whole organization.
    "
    CREATE INDEX people_id ON people(id);
    CREATE INDEX trainings_person ON trainings(person);
    CREATE INDEX teams_id ON teams(id);
    CREATE INDEX teams_parent ON teams(parent);
    CREATE INDEX teams_lead ON teams(lead);
    CREATE INDEX rotations_id ON rotations(id);
    CREATE INDEX rotations_team ON rotations(team);
    CREATE INDEX shifts_rotation ON shifts(rotation);
    CREATE INDEX areas_id ON areas(id);
    CREATE INDEX areas_parent ON areas(parent);
    CREATE INDEX areas_owner ON areas(owner);
    CREATE INDEX entitlements_id ON entitlements(id);
    CREATE INDEX entitlements_area ON entitlements(area);
    CREATE INDEX grants_entitlement ON grants(entitlement);
    CREATE INDEX delegations_area ON delegations(area);
    CREATE INDEX delegations_to ON delegations(to_person);
    CREATE INDEX rules_id ON rules(id);
    CREATE INDEX rules_area ON rules(area);
    ",
    // 10: what each source's last kept sync warned of (store/sync_warnings.rs).
    "
    CREATE TABLE sync_warnings (
        source TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        count INTEGER NOT NULL,
        first TEXT NOT NULL
    );
    ",
    // 11: automatic rules: a rule's `apply`, `lead` and `grace` (seconds),
    // and an area's own `max_auto_changes`.
    "
    ALTER TABLE rules ADD COLUMN apply TEXT NOT NULL DEFAULT 'suggest';
    ALTER TABLE rules ADD COLUMN lead INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE rules ADD COLUMN grace INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE areas ADD COLUMN max_auto_changes INTEGER;
    ",
    // 12: automatic changes (store/automatic.rs): where a decision comes from
    // (NULL: its decider; `rule:ID`: an automatic rule; `undoes:N`: the
    // undoing of automatic change N), and what the last reconcile held
    // back, by area and why.
    "
    ALTER TABLE decisions ADD COLUMN origin TEXT;
    CREATE TABLE auto_held (
        area TEXT NOT NULL,
        why TEXT NOT NULL,
        since INTEGER NOT NULL,
        at INTEGER NOT NULL,
        changes TEXT NOT NULL,
        PRIMARY KEY (area, why)
    );
    ",
    // 13: a person's role (`title` in people.csv and SCIM), and the keys the
    // delegation picker searches the whole roster by (store/people_search.rs):
    // a person's reports, and names and emails by prefix, case-folded.
    "
    ALTER TABLE people ADD COLUMN title TEXT;
    CREATE INDEX people_manager ON people(manager);
    CREATE INDEX people_name ON people(name COLLATE NOCASE);
    CREATE INDEX people_email ON people(email COLLATE NOCASE);
    ",
    // 14: the nested groups a membership seen upstream comes through
    // (`team-platform -> payments-deployers`), and where each record of a
    // configured source was read (`catalog/systems.yaml:12`, or a catalog
    // entity's ref), which `check` names instead of the org directory's file
    // (store/origins.rs).
    "
    ALTER TABLE grants ADD COLUMN through TEXT;
    CREATE TABLE origins (
        source TEXT NOT NULL,
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        origin TEXT NOT NULL,
        PRIMARY KEY (source, kind, id)
    );
    ",
    // 15: what each write of the organization's rows changed, by the
    // generation it moved to (store/changes.rs): `grants` of the
    // entitlement `key`, `rules`, or `org` (anything else). Changes are
    // logged from the generation the store is at now.
    "
    CREATE TABLE org_changes (
        generation INTEGER NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        PRIMARY KEY (generation, kind, key)
    ) WITHOUT ROWID;
    INSERT OR REPLACE INTO settings (key, value)
        SELECT 'org_changes_since', coalesce((SELECT value FROM settings WHERE key = 'org_generation'), '0');
    ",
    // 16: each grant row a write inserted (`inserted` 1) or deleted (0), by
    // its rowid in `grants`, in the order written (this table's own rowid),
    // for the writes that list theirs (store/changes.rs): a reader holding
    // the grants by rowid patches only those rows.
    "
    CREATE TABLE org_grant_changes (
        generation INTEGER NOT NULL,
        grant_row INTEGER NOT NULL,
        inserted INTEGER NOT NULL
    );
    CREATE INDEX org_grant_changes_generation ON org_grant_changes(generation);
    ",
];

pub const LATEST: i64 = MIGRATIONS.len() as i64;

pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    migrate_to(conn, LATEST)
}

/// The migrations up to `version` (a cache as an older steward left it,
/// for tests of what a later migration does to it).
pub(crate) fn migrate_to(conn: &mut Connection, version: i64) -> rusqlite::Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > LATEST {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "cache schema version {current} is newer than this steward understands ({LATEST}); upgrade steward"
        )));
    }
    let upto = version.clamp(0, LATEST) as usize;
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(upto)
        .skip(current as usize)
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_an_empty_database_to_the_latest_version_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST);
        migrate(&mut conn).unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'audit'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn people_cached_before_roles_were_kept_have_none() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 12).unwrap();
        conn.execute(
            "INSERT INTO people VALUES ('files', 'ana', 'Ana', 'ana@x', NULL, 'active')",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let title: Option<String> = conn
            .query_row("SELECT title FROM people WHERE id = 'ana'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(title, None);
    }

    #[test]
    fn refuses_a_newer_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", LATEST + 1)
            .unwrap();
        assert!(
            migrate(&mut conn)
                .unwrap_err()
                .to_string()
                .contains("newer")
        );
    }
}
