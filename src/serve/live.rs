//! Telling open consoles that the organization changed: a watcher reads
//! SQLite's `data_version` on a connection of its own a few times a second,
//! so a commit by any session, the scheduled sync or any other process on
//! the same store is seen within a fraction of a second. What counts as a
//! change: the audit log grew (a decision, delegation, rule change or apply
//! by anyone) or a source was pulled; a console noting what it has shown
//! does not, so consoles never wake each other for nothing. What a change
//! is compared with is read when the server starts, before it listens: a
//! commit made before the watcher's first look is a change like any other.

use crate::store::Store;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::watch;

const EVERY: Duration = Duration::from_millis(150);

#[derive(Clone)]
pub struct Live {
    tx: Arc<watch::Sender<u64>>,
}

impl Live {
    /// Reads what a change is compared with now, before it returns (so a
    /// commit made after the server started, however soon, is told), then
    /// starts the watcher thread on `db`; it stops once every `Live` is
    /// dropped.
    pub fn start(db: PathBuf) -> Live {
        let (tx, _) = watch::channel(0u64);
        let live = Live { tx: Arc::new(tx) };
        let sender = Arc::downgrade(&live.tx);
        let mut watch = Watch::new(db);
        let spawned = std::thread::Builder::new()
            .name("steward-live".into())
            .spawn(move || watch_store(&mut watch, &sender));
        if let Err(e) = spawned {
            tracing::error!("cannot start the store watcher: {e}");
        }
        live
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }
}

fn watch_store(watch: &mut Watch, tx: &Weak<watch::Sender<u64>>) {
    loop {
        std::thread::sleep(EVERY);
        let Some(tx) = tx.upgrade() else { return };
        if watch.changed() {
            tx.send_modify(|n| *n += 1);
        }
    }
}

/// The store as the watcher last read it: its `data_version` (a cheap
/// look that says whether anyone committed since) and what a change moves
/// ([`Marker`]).
struct Watch {
    db: PathBuf,
    store: Option<Store>,
    seen: Option<i64>,
    marker: Option<Marker>,
    /// Whether a marker read with none before it to compare with counts
    /// as a change: every read but the one taken at the start, so that a
    /// store first readable later wakes everyone rather than nobody.
    started: bool,
}

impl Watch {
    /// Reads the store's marker at once: what later reads are compared with.
    fn new(db: PathBuf) -> Watch {
        let mut w = Watch {
            db,
            store: None,
            seen: None,
            marker: None,
            started: false,
        };
        w.changed();
        if w.marker.is_none() {
            tracing::warn!(
                "store watcher: cannot read {} yet; consoles are told of changes once it can",
                w.db.display()
            );
        }
        w.started = true;
        w
    }

    /// Whether the organization changed since the last read. A read that
    /// fails changes nothing the next one compares with: that one looks
    /// again.
    fn changed(&mut self) -> bool {
        if self.store.is_none() {
            self.store = Store::open_existing(&self.db)
                .map_err(|e| tracing::debug!("store watcher: {e:#}"))
                .ok();
        }
        let Some(s) = &self.store else { return false };
        let version = match s.data_version() {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("store watcher: {e:#}");
                // Another connection's versions say nothing of this one's.
                self.store = None;
                self.seen = None;
                return false;
            }
        };
        if self.seen == Some(version) {
            return false;
        }
        match marker(s) {
            Ok(m) => {
                self.seen = Some(version);
                let changed = match &self.marker {
                    Some(old) => *old != m,
                    None => self.started,
                };
                if changed {
                    tracing::debug!(
                        "store watcher: a change (audit entries {}, org generation {}): telling consoles",
                        m.0,
                        m.1
                    );
                }
                self.marker = Some(m);
                changed
            }
            Err(e) => {
                tracing::warn!("store watcher: {e:#}");
                false
            }
        }
    }
}

/// What a change to the organization moves: the audit log's length, the
/// organization's generation (every sync that commits) and each source's
/// last pull.
pub(super) type Marker = (
    u64,
    i64,
    Vec<(
        String,
        Option<crate::model::Time>,
        Option<crate::model::Time>,
    )>,
);

pub(super) fn marker(store: &Store) -> anyhow::Result<Marker> {
    let sources = store
        .sources()?
        .into_iter()
        .map(|s| (s.name, s.synced_at, s.attempted_at))
        .collect();
    Ok((store.audit_len()?, store.org_generation()?, sources))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Actor, Time};
    use std::time::Instant;

    fn now() -> Time {
        "2026-03-02T12:00:00Z".parse().unwrap()
    }

    /// A store synced from a small generated organization.
    fn synced(dir: &std::path::Path) -> (PathBuf, Store) {
        let db = dir.join("steward.db");
        let mut store = Store::open(&db).unwrap();
        let org = crate::r#gen::generate(20, 1, now());
        let source = crate::sync::files_source_info(dir);
        store.replace_source(&source, &org, now()).unwrap();
        (db, store)
    }

    /// A decision's worth of change: the audit log grows.
    fn audited(store: &mut Store) {
        let detail = serde_json::json!({ "decision": 1 });
        store
            .audit(now(), &Actor::local("p0"), "decide", &detail)
            .unwrap();
    }

    /// Whether `rx` hears of a change within a minute (it should at once).
    fn told(rx: &mut watch::Receiver<u64>) -> bool {
        let end = Instant::now() + Duration::from_secs(60);
        while Instant::now() < end {
            if rx.has_changed().unwrap_or(false) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// A change committed right after the server started watching, before
    /// the watcher's first look, is told: what it compares with was read
    /// when the watching started.
    #[test]
    fn a_change_right_after_the_start_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let (db, mut store) = synced(dir.path());
        let live = Live::start(db);
        let mut rx = live.subscribe();
        audited(&mut store);
        assert!(told(&mut rx), "the change was never told");
    }

    #[test]
    fn a_change_is_told_once_and_a_console_noting_what_it_showed_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let (db, mut store) = synced(dir.path());
        let mut watch = Watch::new(db);
        assert!(!watch.changed(), "nothing was committed");
        audited(&mut store);
        assert!(watch.changed());
        assert!(!watch.changed(), "told once");
        store.save_console_preview("p0", now(), "{}").unwrap();
        assert!(!watch.changed(), "a kept preview is no change");
    }

    /// When the store cannot be read at the start, its first read counts
    /// as a change: whatever was committed meanwhile is told.
    #[test]
    fn a_store_first_read_after_the_start_counts_as_changed() {
        let dir = tempfile::tempdir().unwrap();
        let mut watch = Watch::new(dir.path().join("steward.db"));
        assert!(!watch.changed(), "no store yet");
        let (_db, _store) = synced(dir.path());
        assert!(watch.changed());
        assert!(!watch.changed());
    }
}
