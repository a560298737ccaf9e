//! Backstage software catalog (`/api/catalog/entities`): `User` entities
//! become people, `Group` entities teams (`spec.parent`, `spec.members`,
//! users' `spec.memberOf`), and `Domain`/`System`/`Component`/`Resource`
//! entities areas (parent: `spec.domain` or `spec.system`; owner: `spec.owner`).
//!
//! An area's owner must be a person: a `user:` owner is used as is; a group
//! owner stands for its lead, named by the group's `steward.dev/lead`
//! annotation (or the entity's own `steward.dev/owner`); without one the
//! owner stays `group:NAME` and `steward check` reports it.

use super::http::Fetcher;
use super::{Pulled, Source, join};
use crate::config::SourceConfig;
use crate::model::{Area, DEFAULT_ESCALATE_DAYS, DEFAULT_REVIEW_DAYS, Person, Status, Team, Time};
use anyhow::{Result, bail};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

pub const LEAD_ANNOTATION: &str = "steward.dev/lead";
pub const OWNER_ANNOTATION: &str = "steward.dev/owner";

pub struct Backstage {
    name: String,
    base: String,
    fetcher: Arc<Fetcher>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Metadata {
    #[serde(default)]
    pub name: String,
    pub namespace: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub uid: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Entity {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub spec: serde_json::Value,
}

impl Backstage {
    pub fn new(cfg: &SourceConfig, fetcher: Fetcher, token: Option<&str>) -> Result<Backstage> {
        let mut fetcher = fetcher.header("accept", "application/json", false);
        if let Some(t) = token {
            fetcher = fetcher.header("authorization", &format!("Bearer {t}"), true);
        }
        Ok(Backstage {
            name: cfg.name.clone(),
            base: cfg.url.clone().unwrap_or_default(),
            fetcher: Arc::new(fetcher),
        })
    }

    async fn entities(&self) -> Result<Vec<Entity>> {
        let limit = self.fetcher.settings.page_size.unwrap_or(500);
        let mut out: Vec<Entity> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for page in 0..self.fetcher.settings.max_pages {
            let mut url = join(&self.base, "api/catalog/entities")?;
            url.query_pairs_mut()
                .append_pair(
                    "filter",
                    "kind=user,kind=group,kind=domain,kind=system,kind=component,kind=resource",
                )
                .append_pair("limit", &limit.to_string())
                .append_pair("offset", &(page * limit).to_string());
            let items: Vec<Entity> = self.fetcher.get_json(&url).await?;
            self.fetcher.progress.page(items.len());
            let n = items.len();
            let mut new = 0;
            for e in items {
                if seen.insert(entity_key(&e)) {
                    new += 1;
                    out.push(e);
                }
            }
            if n > limit {
                // The server ignores `limit` and sent everything at once.
                return Ok(out);
            }
            if n > 0 && new == 0 {
                bail!(
                    "source {}: GET {url}: the page at offset {} repeats entities already read (the server ignores `offset`?); nothing was kept",
                    self.name,
                    page * limit
                );
            }
            if n < limit {
                return Ok(out);
            }
        }
        bail!(
            "source {}: still more entities after max_pages ({}) pages; stopped",
            self.name,
            self.fetcher.settings.max_pages
        )
    }
}

fn entity_key(e: &Entity) -> String {
    e.metadata.uid.clone().unwrap_or_else(|| {
        format!(
            "{}:{}/{}",
            e.kind.to_lowercase(),
            e.metadata.namespace.as_deref().unwrap_or("default"),
            e.metadata.name
        )
    })
}

/// `kind:namespace/name` -> (kind, id); the id drops the `default` namespace.
pub fn parse_ref(r: &str, default_kind: &str) -> (String, String) {
    let (kind, rest) = match r.split_once(':') {
        Some((k, rest)) => (k.to_lowercase(), rest),
        None => (default_kind.to_string(), r),
    };
    let id = match rest.split_once('/') {
        Some((ns, name)) if ns.eq_ignore_ascii_case("default") => name.to_string(),
        Some((ns, name)) => format!("{ns}/{name}"),
        None => rest.to_string(),
    };
    (kind, id)
}

fn id_of(e: &Entity) -> String {
    match e.metadata.namespace.as_deref() {
        None | Some("default") => e.metadata.name.clone(),
        Some(ns) => format!("{ns}/{}", e.metadata.name),
    }
}

fn spec_str<'a>(e: &'a Entity, key: &str) -> Option<&'a str> {
    e.spec
        .get(key)
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
}

fn spec_list(e: &Entity, key: &str) -> Vec<String> {
    e.spec
        .get(key)
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Turns catalog entities into people, teams and areas.
pub fn convert(source: &str, entities: &[Entity]) -> Pulled {
    let mut pulled = Pulled::default();
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    let mut leads: HashMap<String, String> = HashMap::new();
    for e in entities {
        match e.kind.to_lowercase().as_str() {
            "user" => {
                let id = id_of(e);
                let profile = e.spec.get("profile");
                let field = |k: &str| {
                    profile
                        .and_then(|p| p.get(k))
                        .and_then(|v| v.as_str())
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                };
                for g in spec_list(e, "memberOf") {
                    members
                        .entry(parse_ref(&g, "group").1)
                        .or_default()
                        .push(id.clone());
                }
                pulled.org.people.push(Person {
                    name: field("displayName")
                        .or_else(|| e.metadata.title.clone())
                        .unwrap_or_else(|| e.metadata.name.clone()),
                    email: field("email").unwrap_or_default().to_lowercase(),
                    manager: None,
                    status: Status::Active,
                    id,
                });
            }
            "group" => {
                let id = id_of(e);
                for m in spec_list(e, "members") {
                    members
                        .entry(id.clone())
                        .or_default()
                        .push(parse_ref(&m, "user").1);
                }
                if let Some(l) = e.metadata.annotations.get(LEAD_ANNOTATION) {
                    leads.insert(id.clone(), parse_ref(l, "user").1);
                }
                let title = e
                    .spec
                    .get("profile")
                    .and_then(|p| p.get("displayName"))
                    .and_then(|v| v.as_str())
                    .map(str::to_string);
                pulled.org.teams.push(Team {
                    name: title
                        .or_else(|| e.metadata.title.clone())
                        .unwrap_or_else(|| e.metadata.name.clone()),
                    parent: spec_str(e, "parent").map(|p| parse_ref(p, "group").1),
                    lead: None,
                    members: Vec::new(),
                    id,
                });
            }
            _ => {}
        }
    }
    for t in &mut pulled.org.teams {
        let mut m = members.remove(&t.id).unwrap_or_default();
        m.sort();
        m.dedup();
        t.members = m;
        t.lead = leads.get(&t.id).cloned();
    }
    let mut unowned = 0;
    for e in entities {
        let kind = e.kind.to_lowercase();
        let parent = match kind.as_str() {
            "domain" => None,
            "system" => spec_str(e, "domain").map(|d| parse_ref(d, "domain").1),
            "component" | "resource" => spec_str(e, "system").map(|s| parse_ref(s, "system").1),
            _ => continue,
        };
        let owner = match (
            e.metadata.annotations.get(OWNER_ANNOTATION),
            spec_str(e, "owner"),
        ) {
            (Some(o), _) => parse_ref(o, "user").1,
            (None, Some(o)) => match parse_ref(o, "group") {
                (k, id) if k == "user" => id,
                (_, group) => leads.get(&group).cloned().unwrap_or_else(|| {
                    unowned += 1;
                    format!("group:{group}")
                }),
            },
            (None, None) => {
                unowned += 1;
                String::new()
            }
        };
        pulled.org.areas.push(Area {
            id: id_of(e),
            name: e
                .metadata
                .title
                .clone()
                .unwrap_or_else(|| e.metadata.name.clone()),
            parent,
            owner,
            tags: e.metadata.tags.clone(),
            notes: e.metadata.description.clone().unwrap_or_default(),
            review_days: DEFAULT_REVIEW_DAYS,
            escalate_days: DEFAULT_ESCALATE_DAYS,
        });
    }
    if unowned > 0 {
        pulled.warnings.push(format!(
            "source {source}: {unowned} catalog entit(y/ies) owned by a group without a `{LEAD_ANNOTATION}` annotation (or with no owner); their owner is left as group:NAME for `steward check` to report"
        ));
    }
    pulled
}

impl Source for Backstage {
    fn name(&self) -> &str {
        &self.name
    }

    async fn pull(&self, _now: Time) -> Result<Pulled> {
        let entities = self.entities().await?;
        Ok(convert(&self.name, &entities))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_entities_become_people_teams_and_areas() {
        let entities: Vec<Entity> = serde_json::from_value(serde_json::json!([
            {"kind": "User", "metadata": {"name": "alice"}, "spec": {"profile": {"displayName": "Alice", "email": "Alice@Example.com"}, "memberOf": ["group:default/payments"]}},
            {"kind": "User", "metadata": {"name": "bob"}, "spec": {"profile": {"email": "bob@example.com"}}},
            {"kind": "Group", "metadata": {"name": "payments", "annotations": {"steward.dev/lead": "user:alice"}}, "spec": {"type": "team", "parent": "group:default/eng", "members": ["user:default/bob"], "children": []}},
            {"kind": "Group", "metadata": {"name": "eng"}, "spec": {"type": "org", "children": ["group:default/payments"]}},
            {"kind": "System", "metadata": {"name": "payments-platform", "tags": ["pci"]}, "spec": {"owner": "group:payments", "domain": "finance"}},
            {"kind": "Component", "metadata": {"name": "payments-api", "description": "API"}, "spec": {"owner": "user:default/bob", "system": "payments-platform"}},
            {"kind": "Resource", "metadata": {"name": "payments-db"}, "spec": {"owner": "eng", "system": "system:default/payments-platform"}}
        ]))
        .unwrap();
        let p = convert("bs", &entities);
        assert_eq!(p.org.people.len(), 2);
        assert_eq!(p.org.people[0].email, "alice@example.com");
        let pay = &p.org.teams[0];
        assert_eq!(pay.parent.as_deref(), Some("eng"));
        assert_eq!(pay.members, vec!["alice".to_string(), "bob".to_string()]);
        assert_eq!(pay.lead.as_deref(), Some("alice"));
        let area = |id: &str| p.org.areas.iter().find(|a| a.id == id).unwrap();
        assert_eq!(area("payments-platform").owner, "alice");
        assert_eq!(area("payments-platform").parent.as_deref(), Some("finance"));
        assert_eq!(area("payments-api").owner, "bob");
        assert_eq!(area("payments-db").owner, "group:eng");
        assert_eq!(
            area("payments-db").parent.as_deref(),
            Some("payments-platform")
        );
        assert_eq!(p.warnings.len(), 1);
    }
}
