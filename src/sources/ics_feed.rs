//! iCalendar feeds over HTTP (PagerDuty, Opsgenie and Grafana OnCall export
//! schedules this way): one feed per rotation, read like the org directory's
//! `rotations/ID.ics` files. The documents are parsed in `sync`, once the
//! people of every source are known (attendees are matched by email).

use super::http::{Fetcher, shown};
use super::{Pulled, RawFeed, Source};
use crate::config::{FeedConfig, SourceConfig};
use crate::model::Time;
use anyhow::{Result, bail};
use reqwest::Url;
use std::sync::Arc;

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
                Some(var) => bail!(
                    "source {}: feed {}: environment variable {var} (url_env) is not set or not a URL",
                    self.name,
                    feed.rotation
                ),
                None => bail!("source {}: feed {}: bad URL", self.name, feed.rotation),
            }
        };
        let reply = self.fetcher.get(&url).await?;
        self.fetcher.progress.page(1);
        let text = String::from_utf8(reply.body).map_err(|_| {
            anyhow::anyhow!(
                "source {}: GET {}: the feed is not UTF-8 text",
                self.name,
                self.origin(feed, &url)
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

    async fn pull(&self, _now: Time) -> Result<Pulled> {
        let jobs = self.feeds.iter().map(|f| self.one(f));
        let mut pulled = Pulled::default();
        for feed in futures_util::future::join_all(jobs).await {
            pulled.feeds.push(feed?);
        }
        Ok(pulled)
    }
}
