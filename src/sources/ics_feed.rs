//! iCalendar feeds over HTTP (PagerDuty, Opsgenie and Grafana OnCall export
//! schedules this way): one feed per rotation, read like the org directory's
//! `rotations/ID.ics` files. The documents are parsed in `sync`, once the
//! people of every source are known (attendees are matched by email), and
//! expanded over the sync's window. A feed that cannot be read fails alone.

use super::files::ics::{FeedOptions, Window};
use super::http::{Fetcher, shown};
use super::{PullError, Result};
use super::{Pulled, RawFeed, Source};
use crate::config::{FeedConfig, SourceConfig, SourceSpec};
use crate::model::Time;
use reqwest::Url;
use std::sync::Arc;

/// The window `cfg`'s feeds are expanded over at `now`.
pub fn window(cfg: &SourceConfig, now: Time) -> Window {
    match &cfg.spec {
        SourceSpec::Ics {
            days_back,
            days_ahead,
            ..
        } => Window::around(now, *days_back, *days_ahead),
        _ => default_window(now),
    }
}

/// The window of feeds that configure none (an org directory's
/// `rotations/*.ics`): 90 days back, 400 ahead.
pub fn default_window(now: Time) -> Window {
    Window::around(now, 90, 400)
}

/// How feed `rotation` of `cfg` is read.
pub fn options(cfg: &SourceConfig, rotation: &str, window: Window) -> FeedOptions {
    let feed = match &cfg.spec {
        SourceSpec::Ics { feeds, .. } => feeds.iter().find(|f| f.rotation == rotation),
        _ => None,
    };
    FeedOptions {
        window: Some(window),
        tz: feed.and_then(|f| f.tz.clone()),
        // Checked by the config; a bad one is no pattern.
        summary_pattern: feed
            .and_then(|f| f.summary_pattern.as_deref())
            .and_then(|p| regex::Regex::new(p).ok()),
    }
}

pub struct IcsFeeds {
    name: String,
    feeds: Vec<FeedConfig>,
    fetcher: Arc<Fetcher>,
}

impl IcsFeeds {
    pub fn new(
        cfg: &SourceConfig,
        feeds: &[FeedConfig],
        fetcher: Fetcher,
        token: Option<&str>,
    ) -> IcsFeeds {
        let mut fetcher = fetcher.header("accept", "text/calendar, */*;q=0.5", false);
        for f in feeds {
            if let (Some(var), Ok(url)) = (&f.url_from_env, Url::parse(&f.url)) {
                fetcher = fetcher.hide(&url, &format!("${var}"));
            }
        }
        if let Some(t) = token {
            fetcher = fetcher.header("authorization", &format!("Bearer {t}"), true);
        }
        IcsFeeds {
            name: cfg.name.clone(),
            feeds: feeds.to_vec(),
            fetcher: Arc::new(fetcher),
        }
    }

    async fn one(&self, feed: &FeedConfig) -> Result<RawFeed> {
        let Ok(url) = Url::parse(&feed.url) else {
            match &feed.url_from_env {
                Some(var) => {
                    return Err(PullError::refused(
                        &self.name,
                        format!(
                            "feed {}: environment variable {var} (url_env) is not set or not a URL",
                            feed.rotation
                        ),
                    ));
                }
                None => {
                    return Err(PullError::refused(
                        &self.name,
                        format!("feed {}: bad URL", feed.rotation),
                    ));
                }
            }
        };
        let reply = self.fetcher.get(&url).await?;
        self.fetcher.progress.page(1);
        let text = String::from_utf8(reply.body).map_err(|_| {
            PullError::refused(
                &self.name,
                format!(
                    "GET {}: the feed is not UTF-8 text",
                    self.origin(feed, &url)
                ),
            )
        })?;
        Ok(RawFeed {
            rotation: feed.rotation.clone(),
            name: feed.name.clone(),
            team: feed.team.clone(),
            origin: format!(
                "source {} feed {} ({})",
                self.name,
                feed.rotation,
                self.origin(feed, &url)
            ),
            text,
        })
    }

    /// A feed URL from `url_env` is shown by its variable: it may hold a secret.
    fn origin(&self, feed: &FeedConfig, url: &Url) -> String {
        match &feed.url_from_env {
            Some(var) => format!("${var}"),
            None => shown(url),
        }
    }
}

impl Source for IcsFeeds {
    fn name(&self) -> &str {
        &self.name
    }

    /// Every feed that can be read; one that cannot is named in
    /// `failed_feeds` (its rotation keeps its cached shifts). Only when no
    /// feed can be read does the source fail.
    async fn pull(&self, _now: Time) -> Result<Pulled> {
        let jobs = self.feeds.iter().map(|f| self.one(f));
        let mut pulled = Pulled::default();
        let mut first_error = None;
        for (feed, got) in self
            .feeds
            .iter()
            .zip(futures_util::future::join_all(jobs).await)
        {
            match got {
                Ok(f) => pulled.feeds.push(f),
                Err(e) => {
                    first_error.get_or_insert_with(|| e.clone());
                    pulled.failed_feeds.push((feed.rotation.clone(), e));
                }
            }
        }
        match first_error {
            Some(e) if pulled.feeds.is_empty() => Err(e),
            _ => Ok(pulled),
        }
    }
}
