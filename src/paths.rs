//! Where steward keeps things: config, data (the cache) and logs, from the
//! platform's conventions (`directories`), each overridable by a flag and an
//! environment variable. Everything steward creates is private to the user.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "steward")
}

fn fallback() -> PathBuf {
    PathBuf::from(".steward")
}

/// `steward.toml` in the config directory.
pub fn default_config_file() -> PathBuf {
    project()
        .map_or_else(fallback, |p| p.config_dir().to_path_buf())
        .join("steward.toml")
}

/// The data directory: the cache and the demo live here.
pub fn data_dir() -> PathBuf {
    project().map_or_else(fallback, |p| p.data_dir().to_path_buf())
}

/// The log directory (the cache dir: logs are disposable).
pub fn default_log_dir() -> PathBuf {
    project().map_or_else(fallback, |p| p.cache_dir().to_path_buf())
}

/// Creates `dir`, and every missing parent, readable by the user alone (0700).
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create directory {}", dir.display()))?;
    set_mode(dir, 0o700)
}

/// Makes `file` readable and writable by the user alone.
pub fn restrict_file(file: &Path) -> Result<()> {
    set_mode(file, 0o600)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set permissions of {}", path.display()))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}
