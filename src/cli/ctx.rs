//! What every command needs: where its output goes, the clock, and how
//! steward was reached (which decides who acts, which store and which
//! configuration count).

use super::args::{AsArg, Global, OrgArg};
use super::served::Served;
use crate::config::{self, Config, SourceConfig};
use crate::model::{Actor, Time};
use crate::net::Net;
use crate::paths;
use crate::policy::Snapshot;
use crate::sources::files;
use crate::store::Store;
use crate::time::Clock;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// How steward was reached.
pub enum Edge {
    /// This process, on this machine: `--as`, `--now`/`STEWARD_NOW`,
    /// `--db`, `--config` and `--data-dir` are honoured (and trusted).
    Local {
        global: Global,
        /// `--as` given before any subcommand (it opens the console).
        top: AsArg,
    },
    /// A session of `steward serve`: actor, store, configuration and clock
    /// are the server's.
    Served(Served),
}

/// A command's context: its writers, its clock, and its edge. Commands
/// write only through `out` and `err`, and read the clock (`now()`) when
/// their action happens.
pub struct Ctx<'w> {
    pub out: &'w mut dyn Write,
    pub err: &'w mut dyn Write,
    pub clock: Clock,
    pub edge: Edge,
    /// The runtime and HTTP client for upstream systems: built on first
    /// use locally, the server's when served.
    pub net: Arc<Net>,
    /// steward.toml (`None`: there is none).
    pub config: Option<Arc<Config>>,
}

/// The local process's clock (`--now`) and config file.
pub fn local_settings(global: &Global) -> Result<(Clock, Option<Arc<Config>>)> {
    let fixed = global
        .now
        .as_deref()
        .map(crate::time::parse_time)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--now / STEWARD_NOW: {e}"))?;
    let config_path = global
        .config
        .clone()
        .unwrap_or_else(paths::default_config_file);
    let config = config::load(&config_path)?.map(Arc::new);
    Ok((Clock::from_fixed(fixed), config))
}

impl<'w> Ctx<'w> {
    /// The local process, with the clock and config of [`local_settings`].
    pub fn local(
        global: Global,
        top: AsArg,
        (clock, config): (Clock, Option<Arc<Config>>),
        out: &'w mut dyn Write,
        err: &'w mut dyn Write,
    ) -> Ctx<'w> {
        Ctx {
            out,
            err,
            clock,
            edge: Edge::Local { global, top },
            config,
            net: Arc::new(Net::new()),
        }
    }

    /// A session of `steward serve`.
    pub fn served(served: Served, out: &'w mut dyn Write, err: &'w mut dyn Write) -> Ctx<'w> {
        Ctx {
            out,
            err,
            clock: served.clock,
            config: served.config.clone(),
            net: Arc::new(Net::borrowed(served.runtime.clone(), served.http.clone())),
            edge: Edge::Served(served),
        }
    }

    /// The time now: read when an action happens, never kept.
    pub fn now(&self) -> Time {
        self.clock.now()
    }

    pub fn served_session(&self) -> Option<&Served> {
        match &self.edge {
            Edge::Served(s) => Some(s),
            Edge::Local { .. } => None,
        }
    }

    pub fn config_path(&self) -> PathBuf {
        match &self.edge {
            Edge::Local { global, .. } => global
                .config
                .clone()
                .unwrap_or_else(paths::default_config_file),
            Edge::Served(s) => s.config_path.clone(),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        match &self.edge {
            Edge::Local { global, .. } => global.data_dir.clone().unwrap_or_else(paths::data_dir),
            Edge::Served(s) => s.data_dir.clone(),
        }
    }

    /// The cache commands read and write: `--db`, else the demo's when
    /// plain commands reach it ([`Ctx::demo_cache`]), else the one in the
    /// data directory.
    pub fn db_path(&self) -> PathBuf {
        self.demo_cache().unwrap_or_else(|| self.own_db_path())
    }

    /// The cache of one's own organization: `--db`, else the one in the
    /// data directory (where `sync --org` writes, demo or not).
    pub fn own_db_path(&self) -> PathBuf {
        match &self.edge {
            Edge::Local { global, .. } => global
                .db
                .clone()
                .unwrap_or_else(|| self.data_dir().join("steward.db")),
            Edge::Served(s) => s.db.clone(),
        }
    }

    /// The demo's cache, when plain commands use it (see
    /// `demo::reached_cache`); never when served.
    pub fn demo_cache(&self) -> Option<PathBuf> {
        match &self.edge {
            Edge::Local { global, .. } => {
                super::demo::reached_cache(global, &self.data_dir(), self.config.is_some())
            }
            Edge::Served(_) => None,
        }
    }

    /// `--as` as given before the subcommand, locally.
    pub fn top_as(&self) -> Option<&str> {
        match &self.edge {
            Edge::Local { top, .. } => top.as_person.as_deref(),
            Edge::Served(_) => None,
        }
    }

    /// `me` from the config, locally.
    fn me(&self) -> Option<String> {
        self.config.as_deref().and_then(|c| c.me.clone())
    }

    /// The person to act as: served, the session's; locally `--as`, else
    /// `me` from the config.
    pub fn person(&self, who: &AsArg) -> Result<String> {
        self.optional_person(who).with_context(|| {
            let demo = if self.demo_cache().is_some() {
                " (in the demo: --as priya, marcus or omar)"
            } else {
                ""
            };
            format!(
                "say who you are: --as PERSON (or STEWARD_AS), or `me = \"PERSON\"` in steward.toml{demo}"
            )
        })
    }

    /// Who acts: served, the session's actor (as it proved who it is);
    /// locally the person of [`Ctx::person`], trusted.
    pub fn actor(&self, who: &AsArg) -> Result<Actor> {
        match &self.edge {
            Edge::Served(s) => Ok(s.actor.clone()),
            Edge::Local { .. } => Ok(Actor::local(self.person(who)?)),
        }
    }

    /// Like `person`, but none means "everything" (only locally: a served
    /// session always has its person).
    /// `--as` counts before the subcommand as after it (`steward --as
    /// priya suggest`).
    pub fn optional_person(&self, who: &AsArg) -> Option<String> {
        match &self.edge {
            Edge::Served(s) => Some(s.actor.person.clone()),
            Edge::Local { top, .. } => who
                .as_person
                .clone()
                .or_else(|| top.as_person.clone())
                .or_else(|| self.me()),
        }
    }

    /// The person the console opens for: `--as` before the subcommand, else `me`.
    pub fn console_person(&self) -> Option<String> {
        match &self.edge {
            Edge::Local { top, .. } => self.optional_person(top),
            Edge::Served(s) => Some(s.actor.person.clone()),
        }
    }

    pub fn open_store(&self) -> Result<Store> {
        let db = self.db_path();
        if !db.exists() {
            anyhow::bail!(super::demo::no_cache_advice(self, &db));
        }
        Ok(Store::open_existing(&db)?)
    }

    /// The organization from `--org DIR` when given, else from the cache.
    pub fn snapshot(&self, org: &OrgArg) -> Result<Snapshot> {
        let org = match &org.org {
            Some(dir) => {
                let window = crate::sources::ics_feed::default_window(self.now());
                files::read_org_over(dir, &files::Required::org_dir(), window)?.0
            }
            None => self.open_store()?.load_org()?,
        };
        Ok(Snapshot::new(org))
    }

    /// The validated sources of the config, or every problem with its line.
    pub fn configured_sources(&self) -> Result<Vec<SourceConfig>> {
        let Some(cfg) = self.config.as_deref() else {
            return Ok(Vec::new());
        };
        cfg.sources().map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            anyhow::anyhow!(
                "{} has {} problem(s):\n  {}\n(`steward config check` lists them)",
                self.config_path().display(),
                errors.len(),
                lines.join("\n  ")
            )
        })
    }
}
