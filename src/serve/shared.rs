//! What every connection and session of one server shares, and the
//! roster read from the server's store.

use super::identity::{Gatekeeper, Roster};
use super::sessions::Sessions;
use crate::config::Config;
use crate::model::Status;
use crate::store::Store;
use crate::time::Clock;
use anyhow::Result;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What every connection and session of one server shares.
pub struct Shared {
    pub gatekeeper: Gatekeeper,
    pub roster: StoreRoster,
    pub clock: Clock,
    pub sessions: Sessions,
    pub admins: Vec<String>,
    pub db: PathBuf,
    pub data_dir: PathBuf,
    pub config_path: PathBuf,
    pub config: Option<Arc<Config>>,
    pub runtime: tokio::runtime::Handle,
    pub http: reqwest::Client,
    /// How long a session may wait for its client to read before it ends.
    pub stall: Duration,
    /// Wakes open consoles when the store changes.
    pub live: super::live::Live,
    /// The organization kept evaluated in memory.
    pub resident: Arc<super::resident::Resident>,
}

/// The roster in the server's store, read through one connection.
pub struct StoreRoster {
    db: PathBuf,
    store: Mutex<Option<Store>>,
}

impl StoreRoster {
    pub fn new(db: PathBuf) -> StoreRoster {
        StoreRoster {
            db,
            store: Mutex::new(None),
        }
    }
}

impl Roster for StoreRoster {
    fn lookup(&self, name: &str) -> Result<Option<(String, Status)>> {
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        if store.is_none() {
            *store = Some(Store::open_existing(&self.db)?);
        }
        match store.as_ref() {
            Some(s) => Ok(s.person_by_id_or_email(name)?),
            None => Ok(None),
        }
    }
}
