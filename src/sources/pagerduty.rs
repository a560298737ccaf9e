//! PagerDuty REST API v2: schedules and their final (rendered) schedule
//! entries over a window become rotations with shifts. PagerDuty users are
//! matched to people by email (`sync` does the matching); one who has no
//! email in PagerDuty, or who was deleted there, stays `pagerduty:ID` (sync
//! says which) and `steward check` reports it.
//!
//! Lists use offset pagination (`limit`, `offset`, `more`), capped by
//! `max_pages`; a page that repeats the one before is refused.

use super::http::Fetcher;
use super::{PullError, Result};
use super::{Pulled, Source, join};
use crate::config::{SourceConfig, SourceSpec};
use crate::model::{Rotation, Shift, Time};
use reqwest::Url;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

pub struct PagerDuty {
    name: String,
    base: String,
    schedules: Vec<String>,
    rotations: BTreeMap<String, String>,
    days_back: i64,
    days_ahead: i64,
    fetcher: Arc<Fetcher>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Reference {
    #[serde(default)]
    pub id: String,
    pub summary: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScheduleEntry {
    pub start: String,
    pub end: String,
    pub user: Option<Reference>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct SubSchedule {
    #[serde(default)]
    pub rendered_schedule_entries: Vec<ScheduleEntry>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Schedule {
    pub id: String,
    pub name: Option<String>,
    pub summary: Option<String>,
    #[serde(default)]
    pub users: Vec<Reference>,
    pub final_schedule: Option<SubSchedule>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: String,
    pub email: Option<String>,
}

#[derive(Deserialize)]
struct ScheduleReply {
    schedule: Schedule,
}

impl PagerDuty {
    pub fn new(cfg: &SourceConfig, fetcher: Fetcher, token: Option<&str>) -> Result<PagerDuty> {
        let SourceSpec::PagerDuty {
            schedules,
            rotations,
            days_back,
            days_ahead,
        } = &cfg.spec
        else {
            return Err(PullError::refused(&cfg.name, "not a pagerduty source"));
        };
        let mut fetcher = fetcher
            .header(
                "accept",
                "application/vnd.pagerduty+json;version=2, application/json",
                false,
            )
            .header("content-type", "application/json", false);
        if let Some(t) = token {
            fetcher = fetcher.header("authorization", &format!("Token token={t}"), true);
        }
        Ok(PagerDuty {
            name: cfg.name.clone(),
            base: cfg.url.clone().unwrap_or_default(),
            schedules: schedules.clone(),
            rotations: rotations.clone(),
            days_back: *days_back,
            days_ahead: *days_ahead,
            fetcher: Arc::new(fetcher),
        })
    }

    /// Reads an offset-paginated list: `key` holds the items.
    async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        key: &str,
        id: fn(&T) -> &str,
    ) -> Result<Vec<T>> {
        let limit = self.fetcher.settings.page_size.unwrap_or(100);
        let mut out: Vec<T> = Vec::new();
        let mut offset = 0usize;
        let mut previous: Option<Vec<String>> = None;
        for _ in 0..self.fetcher.settings.max_pages {
            let mut url = join(&self.base, path)?;
            url.query_pairs_mut()
                .append_pair("limit", &limit.to_string())
                .append_pair("offset", &offset.to_string());
            let page: serde_json::Map<String, serde_json::Value> =
                self.fetcher.get_json(&url).await?;
            let (items, more) = items_of::<T>(page, key).map_err(|e| {
                self.fetcher.error(
                    &reqwest::Method::GET,
                    &url,
                    Some(200),
                    format!("field `{key}`: unexpected JSON shape: {e}"),
                )
            })?;
            self.fetcher.progress.page(items.len());
            let ids: Vec<String> = items.iter().map(|i| id(i).to_string()).collect();
            if more && !ids.is_empty() && previous.as_ref() == Some(&ids) {
                return Err(PullError::refused(
                    &self.name,
                    format!(
                        "GET {url}: the page at offset {offset} repeats the page before it (the server ignores `offset`?); nothing was kept"
                    ),
                ));
            }
            let n = items.len();
            out.extend(items);
            if !more || n == 0 {
                return Ok(out);
            }
            previous = Some(ids);
            offset += n;
        }
        Err(PullError::refused(
            &self.name,
            format!(
                "{path}: still `more` after max_pages ({}) pages; stopped",
                self.fetcher.settings.max_pages
            ),
        ))
    }

    async fn schedule(&self, id: &str, since: Time, until: Time) -> Result<Schedule> {
        let mut url: Url = join(&self.base, &format!("schedules/{id}"))?;
        url.query_pairs_mut()
            .append_pair(
                "since",
                &since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            .append_pair(
                "until",
                &until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            .append_pair("time_zone", "UTC");
        let reply: ScheduleReply = self.fetcher.get_json(&url).await?;
        self.fetcher.progress.page(1);
        Ok(reply.schedule)
    }
}

/// The items under `key` of one list page, and its `more`.
fn items_of<T: DeserializeOwned>(
    mut page: serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> serde_json::Result<(Vec<T>, bool)> {
    let more = page.get("more").and_then(|m| m.as_bool()).unwrap_or(false);
    let items = page.remove(key).unwrap_or(serde_json::Value::Array(vec![]));
    Ok((serde_json::from_value(items)?, more))
}

/// One list page body read as `list` reads it (what the fuzz target feeds).
pub fn parse_list_page<T: DeserializeOwned>(
    body: &[u8],
    key: &str,
) -> serde_json::Result<(Vec<T>, bool)> {
    items_of(serde_json::from_slice(body)?, key)
}

/// A `GET /schedules/{id}` body read as `schedule` reads it.
pub fn parse_schedule(body: &[u8]) -> serde_json::Result<Schedule> {
    serde_json::from_slice::<ScheduleReply>(body).map(|r| r.schedule)
}

pub fn parse_time(text: &str) -> Option<Time> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

impl Source for PagerDuty {
    fn name(&self) -> &str {
        &self.name
    }

    async fn pull(&self, now: Time) -> Result<Pulled> {
        let since = now - chrono::Duration::days(self.days_back);
        let until = now + chrono::Duration::days(self.days_ahead);
        // Which schedules, and the rotation id each becomes.
        let mut wanted: Vec<(String, String)> = self
            .rotations
            .iter()
            .map(|(rot, sched)| (sched.clone(), rot.clone()))
            .collect();
        wanted.extend(self.schedules.iter().map(|s| (s.clone(), s.clone())));
        if wanted.is_empty() {
            let all: Vec<Reference> = self
                .list("schedules", "schedules", |s: &Reference| &s.id)
                .await?;
            wanted = all.into_iter().map(|s| (s.id.clone(), s.id)).collect();
        }
        let users = self.list::<User>("users", "users", |u| &u.id);
        let schedules = async {
            let sem = Arc::new(tokio::sync::Semaphore::new(
                self.fetcher.settings.concurrency,
            ));
            let jobs = wanted.iter().map(|(sched, _)| {
                let sem = sem.clone();
                async move {
                    let _p = sem.acquire().await;
                    self.schedule(sched, since, until).await
                }
            });
            futures_util::future::join_all(jobs).await
        };
        let (users, schedules) = tokio::join!(users, schedules);
        let users = users?;
        let known: std::collections::HashSet<String> = users.iter().map(|u| u.id.clone()).collect();
        let email: HashMap<String, String> = users
            .into_iter()
            .filter_map(|u| {
                u.email
                    .filter(|e| !e.trim().is_empty())
                    .map(|e| (u.id, e.trim().to_lowercase()))
            })
            .collect();
        let mut pulled = Pulled::default();
        let (mut unknown, mut deleted) = (BTreeSet::new(), BTreeSet::new());
        let mut person = |r: &Reference| -> String {
            email.get(&r.id).cloned().unwrap_or_else(|| {
                // Not listed at all: deleted (PagerDuty keeps the reference).
                match known.contains(&r.id) {
                    true => unknown.insert(r.id.clone()),
                    false => deleted.insert(r.id.clone()),
                };
                format!("pagerduty:{}", r.id)
            })
        };
        for ((_, rotation), schedule) in wanted.iter().zip(schedules) {
            let s = schedule?;
            let mut shifts = Vec::new();
            for (i, e) in s
                .final_schedule
                .unwrap_or_default()
                .rendered_schedule_entries
                .iter()
                .enumerate()
            {
                let (Some(start), Some(end)) = (parse_time(&e.start), parse_time(&e.end)) else {
                    return Err(PullError::refused(
                        &self.name,
                        format!(
                            "schedule {}: final_schedule.rendered_schedule_entries[{i}]: start/end {:?}/{:?} are not RFC 3339 times",
                            s.id, e.start, e.end
                        ),
                    ));
                };
                if end <= start {
                    pulled.warnings.push(format!(
                        "source {}: schedule {}: entry {i} ends before it starts; ignored",
                        self.name, s.id
                    ));
                    continue;
                }
                let Some(user) = &e.user else { continue };
                shifts.push(Shift {
                    person: person(user),
                    start,
                    end,
                });
            }
            let mut members: Vec<String> = s.users.iter().map(&mut person).collect();
            members.sort();
            members.dedup();
            pulled.org.rotations.push(Rotation {
                id: rotation.clone(),
                name: s.name.or(s.summary).unwrap_or_else(|| rotation.clone()),
                team: None,
                members,
                shifts,
            });
        }
        if !unknown.is_empty() {
            pulled.warnings.push(format!(
                "source {}: {} schedule user(s) have no email in PagerDuty ({}); kept as pagerduty:ID",
                self.name,
                unknown.len(),
                some(&unknown)
            ));
        }
        if !deleted.is_empty() {
            pulled.warnings.push(format!(
                "source {}: {} schedule user(s) are users PagerDuty no longer lists, deleted there ({}); kept as pagerduty:ID",
                self.name,
                deleted.len(),
                some(&deleted)
            ));
        }
        Ok(pulled)
    }
}

/// The first few of `ids`, and how many more.
fn some(ids: &BTreeSet<String>) -> String {
    const SHOWN: usize = 5;
    let first: Vec<&str> = ids.iter().take(SHOWN).map(String::as_str).collect();
    match ids.len().saturating_sub(SHOWN) {
        0 => first.join(", "),
        more => format!("{} and {more} more", first.join(", ")),
    }
}
