//! Telling open consoles that the organization changed: a watcher reads
//! SQLite's `data_version` on a connection of its own a few times a second,
//! so a commit by any session, the scheduled sync or any other process on
//! the same store is seen within a fraction of a second. What counts as a
//! change: the audit log grew (a decision, delegation, rule change or apply
//! by anyone) or a source was pulled; a console noting what it has shown
//! does not, so consoles never wake each other for nothing.

use crate::store::Store;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;

const EVERY: Duration = Duration::from_millis(150);

#[derive(Clone)]
pub struct Live {
    tx: watch::Sender<u64>,
}

impl Live {
    /// Starts the watcher thread on `db`.
    pub fn start(db: PathBuf) -> Live {
        let (tx, _) = watch::channel(0u64);
        let live = Live { tx };
        let sender = live.tx.clone();
        let spawned = std::thread::Builder::new()
            .name("steward-live".into())
            .spawn(move || watch_store(&db, &sender));
        if let Err(e) = spawned {
            tracing::error!("cannot start the store watcher: {e}");
        }
        live
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }
}

fn watch_store(db: &std::path::Path, tx: &watch::Sender<u64>) {
    let mut store: Option<Store> = None;
    let mut seen: Option<i64> = None;
    let mut marker: Option<Marker> = None;
    // Runs as long as the server does.
    loop {
        std::thread::sleep(EVERY);
        if store.is_none() {
            store = Store::open_existing(db).ok();
        }
        let Some(s) = &store else { continue };
        match s.data_version() {
            Ok(v) if seen == Some(v) => {}
            Ok(v) => {
                seen = Some(v);
                match self::marker(s) {
                    Ok(m) => {
                        if marker.as_ref().is_some_and(|old| *old != m) {
                            tx.send_modify(|n| *n += 1);
                        }
                        marker = Some(m);
                    }
                    Err(e) => tracing::warn!("store watcher: {e:#}"),
                }
            }
            Err(e) => {
                tracing::warn!("store watcher: {e:#}");
                store = None;
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
