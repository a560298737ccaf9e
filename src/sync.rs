//! Pulling sources into the cache. A source's data is replaced only when it
//! was read whole; a failure is recorded and leaves the previous data.

use crate::model::{Org, Time};
use crate::sources::files;
use crate::store::{SourceInfo, Store};
use anyhow::Result;
use std::path::Path;

/// The name the org directory source has in the cache.
pub const FILES_SOURCE: &str = "files";

pub fn files_source_info(dir: &Path) -> SourceInfo {
    let location = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    SourceInfo {
        name: FILES_SOURCE.into(),
        kind: "files".into(),
        location: location.display().to_string(),
        synced_at: None,
        attempted_at: None,
        error: None,
        items: 0,
    }
}

/// Reads `dir` and replaces the cached files source with it, or records why not.
pub fn sync_org_dir(store: &mut Store, dir: &Path, now: Time) -> Result<Org> {
    let info = files_source_info(dir);
    match files::read_org(dir) {
        Ok(org) => {
            store.replace_source(&info, &org, now)?;
            tracing::info!(dir = %dir.display(), people = org.people.len(), grants = org.grants.len(), "synced org directory");
            Ok(org)
        }
        Err(e) => {
            tracing::warn!(error = %e, "sync failed");
            store.record_sync_failure(&info, &e.to_string(), now)?;
            Err(anyhow::Error::new(e).context("sync failed; the cache keeps its previous data"))
        }
    }
}
