//! SCIM 2.0 (RFC 7643/7644): Users become people (the enterprise extension's
//! `manager` too), Groups become teams or, through the config's mapping,
//! entitlements whose members hold them. Lists are read with
//! `startIndex`/`count` until `totalResults`, pages in parallel.
//!
//! The write side adds and removes group members with `PATCH /Groups/{id}`.

use super::http::{FetchError, Fetcher};
use super::{PullError, Result};
use super::{Pulled, Source, UpstreamGroup, join};
use crate::config::{ScimSettings, SourceConfig};
use crate::model::{Entitlement, Org, Person, Status, Team, Time};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

pub struct Scim {
    name: String,
    base: String,
    settings: ScimSettings,
    fetcher: Arc<Fetcher>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListResponse<T> {
    total_results: Option<u64>,
    start_index: Option<u64>,
    #[serde(rename = "Resources", alias = "resources", default = "Vec::new")]
    resources: Vec<T>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Email {
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub primary: bool,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    pub formatted: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Ref {
    #[serde(default)]
    pub value: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Enterprise {
    pub manager: Option<Ref>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub name: Option<Name>,
    #[serde(default)]
    pub emails: Vec<Email>,
    pub active: Option<bool>,
    /// Their role (`title`, a core attribute of a SCIM User).
    pub title: Option<String>,
    #[serde(rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")]
    pub enterprise: Option<Enterprise>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub id: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub members: Vec<Ref>,
}

impl User {
    pub fn email(&self) -> String {
        self.emails
            .iter()
            .find(|e| e.primary)
            .or_else(|| self.emails.first())
            .map(|e| e.value.trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .or_else(|| {
                self.user_name
                    .contains('@')
                    .then(|| self.user_name.to_lowercase())
            })
            .unwrap_or_default()
    }

    fn display(&self) -> String {
        let n = self.name.clone().unwrap_or_default();
        self.display_name
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or(n.formatted.filter(|s| !s.trim().is_empty()))
            .or_else(|| {
                let parts: Vec<String> = [n.given_name, n.family_name]
                    .into_iter()
                    .flatten()
                    .collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            })
            .unwrap_or_else(|| self.user_name.clone())
    }

    /// The person id this user becomes, by the `person_id` setting.
    pub fn person_id(&self, mode: &str) -> String {
        let id = match mode {
            "id" => Some(self.id.clone()),
            "externalId" => self.external_id.clone(),
            "email" => Some(self.email()),
            _ => Some(self.user_name.clone()),
        };
        id.filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| self.id.clone())
    }
}

impl Scim {
    pub fn new(
        cfg: &SourceConfig,
        settings: ScimSettings,
        fetcher: Fetcher,
        token: Option<&str>,
    ) -> Result<Scim> {
        let base = cfg.url.clone().unwrap_or_default();
        let mut fetcher = fetcher
            .header("accept", "application/scim+json, application/json", false)
            .header("content-type", "application/scim+json", false);
        if let Some(t) = token {
            fetcher = fetcher.header("authorization", &format!("Bearer {t}"), true);
        }
        Ok(Scim {
            name: cfg.name.clone(),
            base,
            settings,
            fetcher: Arc::new(fetcher),
        })
    }

    fn page_size(&self) -> usize {
        self.fetcher.settings.page_size.unwrap_or(100)
    }

    fn url(&self, path: &str) -> Result<Url> {
        join(&self.base, path)
    }

    fn list_url(&self, resource: &str, start: u64, count: usize) -> Result<Url> {
        let mut u = self.url(resource)?;
        u.query_pairs_mut()
            .append_pair("startIndex", &start.to_string())
            .append_pair("count", &count.to_string());
        Ok(u)
    }

    /// Reads a whole listing: the first page says how many there are, the
    /// rest are fetched in parallel. Each id is seen once, or the listing is
    /// refused (a server repeating pages would otherwise loop or duplicate).
    pub async fn list<T>(&self, resource: &str, id: fn(&T) -> &str) -> Result<Vec<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let count = self.page_size();
        let first_url = self.list_url(resource, 1, count)?;
        let first: ListResponse<T> = self.fetcher.get_json(&first_url).await?;
        self.fetcher.progress.page(first.resources.len());
        let total = first.total_results.unwrap_or(first.resources.len() as u64);
        let per_page = first.resources.len() as u64;
        let mut pages: Vec<(u64, Vec<T>)> = vec![(1, first.resources)];
        if per_page == 0 && total > 0 {
            return Err(PullError::refused(
                &self.name,
                format!("GET {first_url}: totalResults is {total} but the first page is empty"),
            ));
        }
        if per_page > 0 && per_page < total {
            let Some(starts) = later_page_starts(total, per_page, self.fetcher.settings.max_pages)
            else {
                return Err(PullError::refused(
                    &self.name,
                    format!(
                        "{resource} has {total} items in pages of {per_page}: more than max_pages ({})",
                        self.fetcher.settings.max_pages
                    ),
                ));
            };
            let sem = Arc::new(tokio::sync::Semaphore::new(
                self.fetcher.settings.concurrency,
            ));
            let mut set = tokio::task::JoinSet::new();
            for start in starts {
                let url = self.list_url(resource, start, per_page as usize)?;
                let fetcher = self.fetcher.clone();
                let sem = sem.clone();
                set.spawn(async move {
                    let _permit = sem.acquire_owned().await;
                    let page: Result<ListResponse<T>, FetchError> = fetcher.get_json(&url).await;
                    let page = page?;
                    fetcher.progress.page(page.resources.len());
                    if let Some(s) = page.start_index
                        && s != start
                    {
                        return Err(fetcher.error(
                            &Method::GET,
                            &url,
                            Some(200),
                            format!("asked for startIndex {start}, the page says {s}"),
                        ));
                    }
                    if page.resources.is_empty() {
                        return Err(fetcher.error(
                            &Method::GET,
                            &url,
                            Some(200),
                            format!(
                                "empty page at startIndex {start} before totalResults ({total}) were read"
                            ),
                        ));
                    }
                    Ok((start, page.resources))
                });
            }
            while let Some(done) = set.join_next().await {
                match done {
                    Ok(Ok(p)) => pages.push(p),
                    Ok(Err(e)) => {
                        set.abort_all();
                        return Err(e.into());
                    }
                    Err(e) => {
                        return Err(PullError::Stopped(format!(
                            "source {}: a page fetch stopped: {e}",
                            self.name
                        )));
                    }
                }
            }
        }
        self.fill_gaps(resource, total, count, &mut pages).await?;
        pages.sort_by_key(|(s, _)| *s);
        let mut seen: HashSet<String> = HashSet::new();
        let mut out = Vec::with_capacity(pages.iter().map(|(_, items)| items.len()).sum());
        for (start, items) in pages {
            for item in items {
                if !seen.insert(id(&item).to_string()) {
                    return Err(PullError::refused(
                        &self.name,
                        format!(
                            "GET {}: the page at startIndex {start} repeats {} {:?} already read (the server's paging is inconsistent; nothing was kept)",
                            self.list_url(resource, start, count)?,
                            resource.trim_start_matches('/'),
                            id(&item)
                        ),
                    ));
                }
                out.push(item);
            }
        }
        Ok(out)
    }

    /// A server may answer a page with fewer items than asked (its own
    /// maximum, or items deleted meanwhile): reads what lies between pages.
    async fn fill_gaps<T>(
        &self,
        resource: &str,
        total: u64,
        count: usize,
        pages: &mut Vec<(u64, Vec<T>)>,
    ) -> Result<()>
    where
        T: DeserializeOwned + Send + 'static,
    {
        pages.sort_by_key(|(s, _)| *s);
        let mut gaps = Vec::new();
        for (k, (start, items)) in pages.iter().enumerate() {
            let end = start + items.len() as u64;
            let next = pages.get(k + 1).map_or(total + 1, |(s, _)| *s);
            if end < next && !items.is_empty() {
                gaps.push((end, next));
            }
        }
        let mut requests = pages.len();
        for (mut from, to) in gaps {
            while from < to {
                requests += 1;
                if requests > self.fetcher.settings.max_pages {
                    return Err(PullError::refused(
                        &self.name,
                        format!(
                            "{resource}: more than max_pages ({}) pages; stopped",
                            self.fetcher.settings.max_pages
                        ),
                    ));
                }
                let want = ((to - from) as usize).min(count);
                let url = self.list_url(resource, from, want)?;
                let page: ListResponse<T> = self.fetcher.get_json(&url).await?;
                self.fetcher.progress.page(page.resources.len());
                if page.resources.is_empty() {
                    break;
                }
                let n = page.resources.len() as u64;
                pages.push((from, page.resources));
                from += n;
            }
        }
        Ok(())
    }

    /// Users, and all groups.
    pub async fn read(&self) -> Result<(Vec<User>, Vec<Group>)> {
        let users = self.list::<User>("Users", |u| &u.id);
        let groups = self.list::<Group>("Groups", |g| &g.id);
        let (users, groups) = tokio::join!(users, groups);
        Ok((users?, groups?))
    }

    /// Is `group` a team, and with which id?
    fn team_id(&self, g: &Group) -> Option<String> {
        if let Some((team, _)) = self
            .settings
            .teams
            .iter()
            .find(|(_, v)| **v == g.id || **v == g.display_name)
        {
            return Some(team.clone());
        }
        let p = self.settings.team_prefix.as_deref()?;
        g.display_name
            .strip_prefix(p)
            .filter(|rest| !rest.is_empty())
            .map(str::to_string)
    }
}

/// The person id of each SCIM user, by the `person_id` setting: one person
/// per user, never two users as one (a second user whose attribute is
/// taken, as emails differing only by case are, keeps its userName or id).
fn person_ids(
    source: &str,
    settings: &ScimSettings,
    users: &[User],
    warnings: &mut Vec<String>,
) -> HashMap<String, String> {
    let mut taken: HashMap<String, &str> = HashMap::new();
    let mut out = HashMap::new();
    for u in users {
        let wanted = u.person_id(&settings.person_id);
        let id = [wanted.clone(), u.user_name.clone(), u.id.clone()]
            .into_iter()
            .find(|c| !c.trim().is_empty() && !taken.contains_key(&c.to_lowercase()))
            .unwrap_or_else(|| u.id.clone());
        if id != wanted {
            warnings.push(format!(
                "source {source}: users {} and {} both have {} {wanted:?}; the second is person {id:?}",
                taken.get(&wanted.to_lowercase()).copied().unwrap_or("?"),
                u.id,
                settings.person_id
            ));
        }
        taken.insert(id.to_lowercase(), u.id.as_str());
        out.insert(u.id.clone(), id);
    }
    out
}

/// The groups a member holds `group` through, as evidence: from the
/// person's own group out to `group` (`sre -> team-platform -> db-read`);
/// `path` is outermost first, as [`Nesting::members_of`] gives it.
fn chain(path: &[String], group: &str) -> String {
    let inner_first: Vec<&str> = path.iter().rev().map(String::as_str).collect();
    format!("{} -> {group}", inner_first.join(" -> "))
}

/// The groups by id: each one's members and its display name, what a walk
/// through nested groups needs.
pub struct Nesting<'g> {
    members: HashMap<&'g str, &'g [Ref]>,
    names: HashMap<&'g str, &'g str>,
}

impl<'g> Nesting<'g> {
    pub fn of(groups: &'g [Group]) -> Nesting<'g> {
        Nesting {
            members: groups
                .iter()
                .map(|g| (g.id.as_str(), g.members.as_slice()))
                .collect(),
            names: groups
                .iter()
                .map(|g| (g.id.as_str(), g.display_name.as_str()))
                .collect(),
        }
    }

    /// Whether `id` is a group's.
    pub fn is_group(&self, id: &str) -> bool {
        self.members.contains_key(id)
    }

    /// Every person in `group`, through nested groups too (cycles are safe;
    /// groups `skip` says are not entered): each with the groups it is in
    /// through, outermost first (empty when direct).
    pub fn members_of(
        &self,
        group: &str,
        person_of: &HashMap<String, String>,
        skip: &dyn Fn(&str) -> bool,
    ) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::from([group]);
        let mut queue: std::collections::VecDeque<(&str, Vec<String>)> =
            std::collections::VecDeque::from([(group, Vec::new())]);
        while let Some((g, path)) = queue.pop_front() {
            for m in self.members.get(g).copied().unwrap_or_default() {
                let v = m.value.as_str();
                if let Some(p) = person_of.get(v) {
                    if !out.iter().any(|(q, _)| q == p) {
                        out.push((p.clone(), path.clone()));
                    }
                } else if let Some((key, _)) = self.members.get_key_value(v)
                    && !skip(key)
                    && seen.insert(key)
                {
                    let mut deeper = path.clone();
                    deeper.push(self.names.get(v).copied().unwrap_or(v).to_string());
                    queue.push_back((key, deeper));
                }
            }
        }
        out.sort();
        out
    }
}

/// Turns users and groups into people, teams and not-yet-mapped groups.
pub fn convert(
    source: &str,
    settings: &ScimSettings,
    team_id: impl Fn(&Group) -> Option<String>,
    users: &[User],
    groups: &[Group],
) -> Pulled {
    let mut pulled = Pulled::default();
    let person_of = person_ids(source, settings, users, &mut pulled.warnings);
    let mut org = Org::default();
    let mut dangling_managers = 0;
    for u in users {
        let manager = u
            .enterprise
            .as_ref()
            .and_then(|e| e.manager.as_ref())
            .map(|m| m.value.as_str())
            .filter(|v| !v.is_empty())
            .and_then(|v| {
                let p = person_of.get(v).cloned();
                if p.is_none() {
                    dangling_managers += 1;
                }
                p
            });
        org.people.push(Person {
            id: person_of[&u.id].clone(),
            name: u.display(),
            email: u.email(),
            manager,
            status: if u.active == Some(false) {
                Status::Left
            } else {
                Status::Active
            },
            title: u.title.clone().filter(|t| !t.trim().is_empty()),
        });
    }
    let team_of: HashMap<&str, String> = groups
        .iter()
        .filter_map(|g| team_id(g).map(|t| (g.id.as_str(), t)))
        .collect();
    let nesting = Nesting::of(groups);
    let mut parent_of: HashMap<String, String> = HashMap::new();
    let mut dangling = 0usize;
    for g in groups {
        for m in &g.members {
            if let (Some(child), Some(me)) =
                (team_of.get(m.value.as_str()), team_of.get(g.id.as_str()))
            {
                parent_of.insert(child.clone(), me.clone());
            } else if !person_of.contains_key(&m.value) && !nesting.is_group(&m.value) {
                dangling += 1;
            }
        }
        match team_of.get(g.id.as_str()) {
            // A team's members: its people, and those of groups in it that
            // are not teams themselves (sub-teams count through `parent`).
            Some(team) => org.teams.push(Team {
                id: team.clone(),
                name: g.display_name.clone(),
                parent: None,
                lead: None,
                members: nesting
                    .members_of(&g.id, &person_of, &|k| team_of.contains_key(k))
                    .into_iter()
                    .map(|(p, _)| p)
                    .collect(),
            }),
            None => {
                let all = nesting.members_of(&g.id, &person_of, &|_| false);
                pulled.groups.push(UpstreamGroup {
                    id: g.id.clone(),
                    name: g.display_name.clone(),
                    members: all.iter().map(|(p, _)| p.clone()).collect(),
                    through: all
                        .into_iter()
                        .filter(|(_, path)| !path.is_empty())
                        .map(|(p, path)| (p, chain(&path, &g.display_name)))
                        .collect(),
                })
            }
        }
    }
    for t in &mut org.teams {
        t.parent = parent_of.get(&t.id).cloned();
    }
    if dangling > 0 {
        pulled.warnings.push(format!(
            "source {source}: {dangling} group member id(s) match no user or group (deleted users?); ignored"
        ));
    }
    if dangling_managers > 0 {
        pulled.warnings.push(format!(
            "source {source}: {dangling_managers} manager id(s) match no user; ignored"
        ));
    }
    pulled.org = org;
    pulled
}

/// Which entitlement each group stands for: the config's explicit ids, its
/// prefix, and entitlements whose `upstream` is `SOURCE:GROUP`.
pub fn group_entitlements(
    source: &str,
    settings: &ScimSettings,
    entitlements: &[Entitlement],
    group: &UpstreamGroup,
) -> Vec<String> {
    let mut out: Vec<String> = settings
        .entitlements
        .iter()
        .filter(|(_, g)| **g == group.id || **g == group.name)
        .map(|(e, _)| e.clone())
        .collect();
    if let Some(rest) = settings
        .entitlement_prefix
        .as_deref()
        .and_then(|p| group.name.strip_prefix(p))
        .filter(|r| !r.is_empty())
    {
        out.push(rest.to_string());
    }
    for e in entitlements {
        if let Some(g) = upstream_group(source, e.upstream.as_deref())
            && (g == group.id || g == group.name)
        {
            out.push(e.id.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `SOURCE:GROUP` -> `GROUP` when SOURCE is `source`.
pub fn upstream_group<'u>(source: &str, upstream: Option<&'u str>) -> Option<&'u str> {
    upstream?
        .strip_prefix(source)?
        .strip_prefix(':')
        .filter(|g| !g.is_empty())
}

impl Source for Scim {
    fn name(&self) -> &str {
        &self.name
    }

    async fn pull(&self, _now: Time) -> Result<Pulled> {
        let (users, groups) = self.read().await?;
        Ok(convert(
            &self.name,
            &self.settings,
            |g| self.team_id(g),
            &users,
            &groups,
        ))
    }
}

/// A group as the write side sees it: its id, its members, its version.
#[derive(Debug, Clone)]
pub struct GroupState {
    pub id: String,
    pub display_name: String,
    pub members: HashSet<String>,
    pub etag: Option<String>,
}

/// One write request, as `apply --dry-run` prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub body: serde_json::Value,
}

impl std::fmt::Display for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.method, self.url, self.body)
    }
}

fn quote(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"")
}

impl Scim {
    async fn search<T: DeserializeOwned>(&self, resource: &str, filter: &str) -> Result<Vec<T>> {
        let mut url = self.url(resource)?;
        url.query_pairs_mut().append_pair("filter", filter);
        let list: ListResponse<T> = self.fetcher.get_json(&url).await?;
        Ok(list.resources)
    }

    /// The SCIM user for a person: by the configured id attribute, then by email.
    pub async fn find_user(&self, person: &str, email: Option<&str>) -> Result<Option<String>> {
        let mut filters = Vec::new();
        match self.settings.person_id.as_str() {
            "id" => {
                let url = self.url(&format!("Users/{person}"))?;
                let reply = self
                    .fetcher
                    .send(Method::GET, &url, None, &[], &[StatusCode::NOT_FOUND])
                    .await?;
                if reply.status.is_success() {
                    return Ok(Some(person.to_string()));
                }
            }
            "externalId" => filters.push(format!("externalId eq \"{}\"", quote(person))),
            "email" => filters.push(format!("emails.value eq \"{}\"", quote(person))),
            _ => filters.push(format!("userName eq \"{}\"", quote(person))),
        }
        if let Some(e) = email.filter(|e| !e.is_empty()) {
            filters.push(format!("emails.value eq \"{}\"", quote(e)));
            filters.push(format!("userName eq \"{}\"", quote(e)));
        }
        for f in filters {
            let found: Vec<User> = self.search("Users", &f).await?;
            match found.len() {
                0 => continue,
                1 => return Ok(Some(found[0].id.clone())),
                n => {
                    return Err(PullError::refused(
                        &self.name,
                        format!("{n} users match {f}; refusing to guess"),
                    ));
                }
            }
        }
        Ok(None)
    }

    /// Reads a group (by id, else by displayName) with its members and ETag.
    pub async fn group(&self, group: &str) -> Result<Option<GroupState>> {
        let by_id = self.url(&format!("Groups/{group}"))?;
        let reply = self
            .fetcher
            .send(
                Method::GET,
                &by_id,
                None,
                &[],
                &[StatusCode::NOT_FOUND, StatusCode::BAD_REQUEST],
            )
            .await?;
        let g: Group = if reply.status.is_success() {
            self.fetcher.parse(&Method::GET, &by_id, &reply)?
        } else {
            let found: Vec<Group> = self
                .search("Groups", &format!("displayName eq \"{}\"", quote(group)))
                .await?;
            match found.len() {
                0 => return Ok(None),
                1 => {
                    // The listing may leave members out; read the group itself.
                    let url = self.url(&format!("Groups/{}", found[0].id))?;
                    return Box::pin(self.group_at(&url)).await.map(Some);
                }
                n => {
                    return Err(PullError::refused(
                        &self.name,
                        format!(
                            "{n} groups are named {group:?}; map the entitlement to a group id"
                        ),
                    ));
                }
            }
        };
        Ok(Some(GroupState {
            etag: etag(&reply.headers),
            members: g.members.iter().map(|m| m.value.clone()).collect(),
            id: g.id,
            display_name: g.display_name,
        }))
    }

    async fn group_at(&self, url: &Url) -> Result<GroupState> {
        let reply = self.fetcher.get(url).await?;
        let g: Group = self.fetcher.parse(&Method::GET, url, &reply)?;
        Ok(GroupState {
            etag: etag(&reply.headers),
            members: g.members.iter().map(|m| m.value.clone()).collect(),
            id: g.id,
            display_name: g.display_name,
        })
    }

    /// The groups `user` is in `group` through, when only nested groups
    /// hold them (`team-platform > sre`); `None` when they are not in it.
    pub async fn nested_path(&self, group: &str, user: &str) -> Result<Option<String>> {
        let groups = self.list::<Group>("Groups", |g| &g.id).await?;
        let me = HashMap::from([(user.to_string(), user.to_string())]);
        Ok(Nesting::of(&groups)
            .members_of(group, &me, &|_| false)
            .into_iter()
            .next()
            .filter(|(_, path)| !path.is_empty())
            .map(|(_, path)| path.join(" > ")))
    }

    /// The PATCH that adds (`add`) or removes a member.
    pub fn member_patch(&self, group_id: &str, user_id: &str, add: bool) -> Result<Request> {
        let url = self.url(&format!("Groups/{group_id}"))?;
        let op = if add {
            serde_json::json!({"op": "add", "path": "members", "value": [{"value": user_id}]})
        } else {
            serde_json::json!({"op": "remove", "path": format!("members[value eq \"{}\"]", quote(user_id))})
        };
        Ok(Request {
            method: "PATCH".into(),
            url: url.to_string(),
            body: serde_json::json!({"schemas": [PATCH_OP], "Operations": [op]}),
        })
    }

    /// Sends a member PATCH, guarded by the group's ETag when known. A `412`
    /// (someone changed the group meanwhile) is returned as `Ok(false)`.
    pub async fn send_patch(&self, req: &Request, etag: Option<&str>) -> Result<bool> {
        let url = Url::parse(&req.url).map_err(|e| PullError::BadUrl {
            text: req.url.clone(),
            reason: e.to_string(),
        })?;
        let mut extra = Vec::new();
        if let Some(e) = etag {
            extra.push(("if-match", e.to_string()));
        }
        let reply = self
            .fetcher
            .send(
                Method::PATCH,
                &url,
                Some(&req.body),
                &extra,
                &[StatusCode::PRECONDITION_FAILED],
            )
            .await?;
        if reply.status == StatusCode::PRECONDITION_FAILED {
            return Ok(false);
        }
        if !reply.status.is_success() {
            return Err(PullError::refused(
                &self.name,
                format!(
                    "PATCH {url}: HTTP {}: {}",
                    reply.status,
                    self.fetcher.excerpt(&reply.body)
                ),
            ));
        }
        Ok(true)
    }

    pub fn source_name(&self) -> &str {
        &self.name
    }

    pub fn settings(&self) -> &ScimSettings {
        &self.settings
    }
}

fn etag(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(reqwest::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Where the pages after the first begin, for `total` items in pages of
/// `per_page`; `None` when that is more than `max_pages` pages in all.
/// Counted before any start is listed: a hostile `totalResults` (say 2^63)
/// must not make steward list billions of pages first.
pub fn later_page_starts(total: u64, per_page: u64, max_pages: usize) -> Option<Vec<u64>> {
    if per_page == 0 || total.div_ceil(per_page) > max_pages as u64 {
        return None;
    }
    Some(
        (1u64..)
            .map_while(|k| k.checked_mul(per_page)?.checked_add(1))
            .take_while(|s| *s <= total)
            .collect(),
    )
}

/// One listing page body read as `list` reads it: `totalResults`,
/// `startIndex` and the resources (what the fuzz target feeds).
pub fn parse_page<T: DeserializeOwned>(
    body: &[u8],
) -> serde_json::Result<(Option<u64>, Option<u64>, Vec<T>)> {
    let page: ListResponse<T> = serde_json::from_slice(body)?;
    Ok((page.total_results, page.start_index, page.resources))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_total_is_refused_before_any_page_is_listed() {
        // totalResults 2^63 with one user per page used to collect 2^63
        // page starts before comparing them with max_pages.
        assert_eq!(later_page_starts(1 << 63, 1, 10_000), None);
        assert_eq!(
            later_page_starts(u64::MAX, 1 << 63, 10),
            Some(vec![(1 << 63) + 1])
        );
        assert_eq!(later_page_starts(5, 2, 3), Some(vec![3, 5]));
        assert_eq!(later_page_starts(5, 2, 2), None);
        assert_eq!(later_page_starts(4, 2, 2), Some(vec![3]));
        assert_eq!(later_page_starts(3, 0, 2), None);
    }

    fn user(id: &str, name: &str, manager: Option<&str>) -> User {
        serde_json::from_value(serde_json::json!({
            "id": id, "userName": name,
            "emails": [{"value": format!("{}@Example.com", name), "primary": true}],
            ENTERPRISE: manager.map(|m| serde_json::json!({"manager": {"value": m}})),
        }))
        .unwrap()
    }

    #[test]
    fn users_and_groups_become_people_teams_and_groups() {
        let mut users = vec![user("u1", "alice", None), user("u2", "bob", Some("u1"))];
        users[0].title = Some("Payments Lead".into());
        let groups: Vec<Group> = serde_json::from_value(serde_json::json!([
            {"id": "g1", "displayName": "team-payments", "members": [{"value": "u1"}, {"value": "gone"}, {"value": "g2"}]},
            {"id": "g2", "displayName": "team-api", "members": [{"value": "u2"}]},
            {"id": "g3", "displayName": "payments-db-read", "members": [{"value": "u2"}]}
        ]))
        .unwrap();
        let settings = ScimSettings {
            person_id: "userName".into(),
            team_prefix: Some("team-".into()),
            ..ScimSettings::default()
        };
        let p = convert(
            "okta",
            &settings,
            |g| g.display_name.strip_prefix("team-").map(str::to_string),
            &users,
            &groups,
        );
        assert_eq!(p.org.people[1].manager.as_deref(), Some("alice"));
        assert_eq!(p.org.people[0].email, "alice@example.com");
        assert_eq!(p.org.people[0].title.as_deref(), Some("Payments Lead"));
        assert_eq!(p.org.people[1].title, None);
        assert_eq!(p.org.teams.len(), 2);
        assert_eq!(p.org.teams[1].parent.as_deref(), Some("payments"));
        assert_eq!(p.org.teams[0].members, vec!["alice".to_string()]);
        assert_eq!(p.groups.len(), 1);
        assert_eq!(p.groups[0].members, vec!["bob".to_string()]);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        let ents = vec![Entitlement {
            id: "payments-db:read".into(),
            area: "payments".into(),
            name: "read".into(),
            upstream: Some("okta:payments-db-read".into()),
        }];
        assert_eq!(
            group_entitlements("okta", &settings, &ents, &p.groups[0]),
            vec!["payments-db:read".to_string()]
        );
        assert_eq!(
            group_entitlements("other", &settings, &ents, &p.groups[0]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn nested_groups_are_expanded_with_their_path_and_cycles_end() {
        let users = vec![
            user("u1", "jdoe", None),
            user("u2", "ana", None),
            user("u3", "cy", None),
        ];
        let groups: Vec<Group> = serde_json::from_value(serde_json::json!([
            {"id": "g1", "displayName": "db-read", "members": [{"value": "g2"}]},
            {"id": "g2", "displayName": "team-platform", "members": [{"value": "g3"}, {"value": "u1"}, {"value": "g1"}]},
            {"id": "g3", "displayName": "sre", "members": [{"value": "u2"}, {"value": "g1"}]}
        ]))
        .unwrap();
        let settings = ScimSettings {
            person_id: "userName".into(),
            ..ScimSettings::default()
        };
        let p = convert(
            "okta",
            &settings,
            |g| g.display_name.strip_prefix("team-").map(str::to_string),
            &users,
            &groups,
        );
        let db = p.groups.iter().find(|g| g.id == "g1").unwrap();
        assert_eq!(db.members, vec!["ana".to_string(), "jdoe".to_string()]);
        assert_eq!(
            db.through,
            vec![
                (
                    "ana".to_string(),
                    "sre -> team-platform -> db-read".to_string()
                ),
                ("jdoe".to_string(), "team-platform -> db-read".to_string())
            ]
        );
        // The team holds its people and those of the groups in it.
        assert_eq!(
            p.org.teams[0].members,
            vec!["ana".to_string(), "jdoe".to_string()]
        );
    }

    #[test]
    fn two_users_are_never_one_person() {
        let mut a = user("u1", "jdoe", None);
        let mut b = user("u2", "jdoe-admin", None);
        a.emails[0].value = "JDoe@acme.test".into();
        b.emails[0].value = "jdoe@acme.test".into();
        let settings = ScimSettings {
            person_id: "email".into(),
            ..ScimSettings::default()
        };
        let p = convert("okta", &settings, |_| None, &[a, b], &[]);
        let ids: Vec<&str> = p.org.people.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, vec!["jdoe@acme.test", "jdoe-admin"]);
        assert!(
            p.warnings[0].contains("users u1 and u2 both have email"),
            "{:?}",
            p.warnings
        );
    }
}
