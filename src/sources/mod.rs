//! Connectors: each reads one kind of upstream into the model, behind the
//! small [`Source`] trait. Parsing of each upstream format lives with its
//! connector; `http` is what the HTTP ones share.

pub mod backstage;
mod error;
pub mod files;
pub mod http;
pub mod ics_feed;
pub mod pagerduty;
pub mod scim;

use crate::config::{SourceConfig, SourceSpec};
use crate::model::{Org, Time};
pub use error::{PullError, Result};
use http::{Fetcher, Progress, ProgressSink};
use std::sync::Arc;

/// A group read from upstream that is not a team: once the entitlements of
/// every source are known, its members become grants (see `sync`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamGroup {
    pub id: String,
    pub name: String,
    /// Person ids (in the source's own namespace), nested groups' members
    /// included.
    pub members: Vec<String>,
    /// Members through nested groups: person and the groups they hold it
    /// through, their own first and this one last
    /// (`sre -> team-platform -> db-read`).
    pub through: Vec<(String, String)>,
}

/// An iCalendar document, parsed once the people of every source are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFeed {
    pub rotation: String,
    pub name: Option<String>,
    pub team: Option<String>,
    /// Where it came from (shown in errors; secrets removed).
    pub origin: String,
    pub text: String,
}

/// What one source read, whole.
#[derive(Debug, Clone, Default)]
pub struct Pulled {
    /// Person references are the source's own ids, or emails.
    pub org: Org,
    pub groups: Vec<UpstreamGroup>,
    pub feeds: Vec<RawFeed>,
    /// Things tolerated but worth saying (dangling member ids, ...).
    pub warnings: Vec<String>,
    /// Feeds that could not be read: rotation id and why. Their rotations
    /// keep what the cache has (see `sync`).
    pub failed_feeds: Vec<(String, PullError)>,
    /// Where each area, team or person was read (`file:line`, or the
    /// catalog entity's ref), by (kind as [`crate::ids::IdKind::as_str`], id).
    pub origins: Origins,
}

/// Where a source read its records: (kind, id) -> `file:line` or an
/// entity's ref.
pub type Origins = std::collections::HashMap<(&'static str, String), String>;

/// One connector.
pub trait Source: Send + Sync {
    fn name(&self) -> &str;
    /// Reads everything the source has, or fails; `now` fixes time windows.
    fn pull(&self, now: Time) -> impl Future<Output = Result<Pulled>> + Send;
}

/// A configured source, ready to pull.
pub enum AnySource {
    Files(FilesSource),
    Scim(scim::Scim),
    PagerDuty(pagerduty::PagerDuty),
    Ics(ics_feed::IcsFeeds),
    Backstage(backstage::Backstage),
}

impl AnySource {
    /// Builds the connector for `cfg`: reads its credential now, so a missing
    /// variable fails before anything is sent.
    pub fn open(
        cfg: &SourceConfig,
        client: reqwest::Client,
        sink: Option<ProgressSink>,
    ) -> Result<(AnySource, Arc<Progress>)> {
        let progress = Arc::new(Progress::new(&cfg.name, sink));
        let token = cfg
            .credential
            .token(&cfg.name)
            .map_err(|e| PullError::Credential(format!("{e:#}")))?;
        let fetcher = Fetcher::new(&cfg.name, client, cfg.http.clone(), progress.clone());
        let source = match &cfg.spec {
            SourceSpec::Files { dir } => AnySource::Files(FilesSource {
                name: cfg.name.clone(),
                dir: dir.clone(),
                required: files::Required::provided(&cfg.name, &cfg.provides),
            }),
            SourceSpec::Scim(settings) => AnySource::Scim(scim::Scim::new(
                cfg,
                settings.clone(),
                fetcher,
                token.as_deref(),
            )?),
            SourceSpec::PagerDuty { .. } => {
                AnySource::PagerDuty(pagerduty::PagerDuty::new(cfg, fetcher, token.as_deref())?)
            }
            SourceSpec::Ics { feeds, .. } => AnySource::Ics(ics_feed::IcsFeeds::new(
                cfg,
                feeds,
                fetcher,
                token.as_deref(),
            )),
            SourceSpec::Backstage { .. } => {
                AnySource::Backstage(backstage::Backstage::new(cfg, fetcher, token.as_deref())?)
            }
        };
        Ok((source, progress))
    }

    pub fn name(&self) -> &str {
        match self {
            AnySource::Files(s) => s.name(),
            AnySource::Scim(s) => s.name(),
            AnySource::PagerDuty(s) => s.name(),
            AnySource::Ics(s) => s.name(),
            AnySource::Backstage(s) => s.name(),
        }
    }

    pub async fn pull(&self, now: Time) -> Result<Pulled> {
        match self {
            AnySource::Files(s) => s.pull(now).await,
            AnySource::Scim(s) => s.pull(now).await,
            AnySource::PagerDuty(s) => s.pull(now).await,
            AnySource::Ics(s) => s.pull(now).await,
            AnySource::Backstage(s) => s.pull(now).await,
        }
    }
}

/// Joins `base` and a path relative to it (`base` keeps its own path).
pub fn join(base: &str, path: &str) -> Result<reqwest::Url> {
    let text = format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    reqwest::Url::parse(&text).map_err(|e| PullError::BadUrl {
        reason: e.to_string(),
        text,
    })
}

/// The org directory, as a configured source.
pub struct FilesSource {
    pub name: String,
    pub dir: std::path::PathBuf,
    /// The files of the kinds it provides: a missing one fails the sync.
    pub required: files::Required,
}

impl Source for FilesSource {
    fn name(&self) -> &str {
        &self.name
    }

    async fn pull(&self, now: Time) -> Result<Pulled> {
        let dir = self.dir.clone();
        let required = self.required.clone();
        let window = ics_feed::default_window(now);
        let (org, warnings) =
            tokio::task::spawn_blocking(move || files::read_org_over(&dir, &required, window))
                .await
                .map_err(|e| {
                    PullError::Stopped(format!("reading the org directory stopped: {e}"))
                })??;
        Ok(Pulled {
            org,
            warnings,
            ..Pulled::default()
        })
    }
}
