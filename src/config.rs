//! `steward.toml`: who you are, and (later) which sources to pull.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Default, Deserialize)]
pub struct Config {
    /// The person steward acts as when `--as` is not given.
    pub me: Option<String>,
    /// Configured sources; each connector reads its own table.
    #[serde(default, rename = "source")]
    pub sources: Vec<toml::Table>,
}

/// Reads the config file; `None` when it does not exist.
pub fn load(path: &Path) -> Result<Option<Config>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read config {}", path.display())),
    };
    toml::from_str(&text)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))
}
