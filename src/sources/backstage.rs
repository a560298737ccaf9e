//! Backstage software catalog, read from its API (`/api/catalog/entities`)
//! or from a directory of `catalog-info.yaml` files: `User` entities
//! become people, `Group` entities teams (`spec.parent`, `spec.members`,
//! users' `spec.memberOf`), and `Domain`/`System`/`Component`/`Resource`
//! entities areas (parent: `spec.domain` or `spec.system`; owner: `spec.owner`).
//!
//! An area's owner must be a person: a `user:` owner is used as is; a group
//! owner stands for its lead, named by the group's `steward.dev/lead`
//! annotation (or the entity's own `steward.dev/owner`); without one the
//! owner stays `group:NAME` and `steward check` reports it.
//!
//! Both ways of reading yield the same [`Entity`] values and go through the
//! same [`convert`]. Files are YAML streams (documents separated by `---`);
//! every `*.yaml`/`*.yml` under the directory is read (hidden directories and
//! `node_modules` skipped). A document that is not a Backstage entity (its
//! `apiVersion` is not `*backstage.io/*`, as in Kubernetes manifests or
//! OpenAPI files, or it has neither `apiVersion` nor `kind`, or it is not a
//! mapping) is skipped and counted; any other problem names the file, the line
//! and the entity or field.

use super::http::Fetcher;
use super::{PullError, Result};
use super::{Pulled, Source, join};
use crate::config::SourceConfig;
use crate::config::SourceSpec;
use crate::model::{Area, DEFAULT_ESCALATE_DAYS, DEFAULT_REVIEW_DAYS, Person, Status, Team, Time};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const LEAD_ANNOTATION: &str = "steward.dev/lead";
pub const OWNER_ANNOTATION: &str = "steward.dev/owner";

pub struct Backstage {
    name: String,
    base: String,
    /// A directory of catalog-info.yaml files, read instead of the API.
    dir: Option<PathBuf>,
    group_owners: BTreeMap<String, String>,
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
            dir: match &cfg.spec {
                SourceSpec::Backstage { path, .. } => path.clone(),
                _ => None,
            },
            group_owners: match &cfg.spec {
                SourceSpec::Backstage { group_owners, .. } => group_owners.clone(),
                _ => BTreeMap::new(),
            },
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
                return Err(PullError::refused(
                    &self.name,
                    format!(
                        "GET {url}: the page at offset {} repeats entities already read (the server ignores `offset`?); nothing was kept",
                        page * limit
                    ),
                ));
            }
            if n < limit {
                return Ok(out);
            }
        }
        Err(PullError::refused(
            &self.name,
            format!(
                "still more entities after max_pages ({}) pages; stopped",
                self.fetcher.settings.max_pages
            ),
        ))
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
    convert_with(source, entities, &BTreeMap::new(), &HashMap::new())
}

/// Like [`convert`], with the config's `group_owners` (group -> person) and
/// where each entity was read (`file:line`, by entity key; the entity's ref
/// where absent). An area owned by a group that neither its annotation nor
/// `group_owners` gives a person keeps `group:NAME`: `sync` looks for that
/// team's lead in every source.
pub fn convert_with(
    _source: &str,
    entities: &[Entity],
    group_owners: &BTreeMap<String, String>,
    origins: &HashMap<String, String>,
) -> Pulled {
    let mut pulled = Pulled::default();
    let mut children: HashMap<String, String> = HashMap::new();
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
                record_origin(e, "person", origins, &mut pulled);
                pulled.org.people.push(Person {
                    name: field("displayName")
                        .or_else(|| e.metadata.title.clone())
                        .unwrap_or_else(|| e.metadata.name.clone()),
                    email: field("email").unwrap_or_default().to_lowercase(),
                    manager: None,
                    status: Status::Active,
                    id,
                    ..Default::default()
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
                } else if let Some(p) = group_owners.get(&id) {
                    leads.insert(id.clone(), parse_ref(p, "user").1);
                }
                // The tree is written either way: `parent`, or `children`.
                for c in spec_list(e, "children") {
                    children.insert(parse_ref(&c, "group").1, id.clone());
                }
                let title = e
                    .spec
                    .get("profile")
                    .and_then(|p| p.get("displayName"))
                    .and_then(|v| v.as_str())
                    .map(str::to_string);
                record_origin(e, "team", origins, &mut pulled);
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
        if t.parent.is_none() {
            t.parent = children.get(&t.id).cloned();
        }
    }
    areas(entities, &leads, group_owners, origins, &mut pulled);
    pulled
}

/// Where entity `e`, kept as a `kind` record, was read: its `file:line`
/// from `origins`, else its ref (`system:vault`).
fn record_origin(
    e: &Entity,
    kind: &'static str,
    origins: &HashMap<String, String>,
    pulled: &mut Pulled,
) {
    let at = origins
        .get(&entity_key(e))
        .cloned()
        .unwrap_or_else(|| format!("{}:{}", e.kind.to_lowercase(), id_of(e)));
    pulled.origins.insert((kind, id_of(e)), at);
}

/// Domains, systems, components and resources become areas; an area owned
/// by a group gets the group's lead or `group_owners` person, else keeps
/// `group:NAME`.
fn areas(
    entities: &[Entity],
    leads: &HashMap<String, String>,
    group_owners: &BTreeMap<String, String>,
    origins: &HashMap<String, String>,
    pulled: &mut Pulled,
) {
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
                (_, group) => leads
                    .get(&group)
                    .or_else(|| group_owners.get(&group))
                    .cloned()
                    .unwrap_or_else(|| format!("group:{group}")),
            },
            (None, None) => String::new(),
        };
        record_origin(e, "area", origins, pulled);
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
            max_auto_changes: None,
        });
    }
}

impl Source for Backstage {
    fn name(&self) -> &str {
        &self.name
    }

    async fn pull(&self, _now: Time) -> Result<Pulled> {
        let Some(dir) = self.dir.clone() else {
            let entities = self.entities().await?;
            return Ok(convert_with(
                &self.name,
                &entities,
                &self.group_owners,
                &HashMap::new(),
            ));
        };
        let progress = self.fetcher.progress.clone();
        let name = self.name.clone();
        let catalog = tokio::task::spawn_blocking(move || {
            read_catalog_dir(&name, &dir, |n| progress.page(n))
        })
        .await
        .map_err(|e| PullError::Stopped(format!("reading the catalog directory stopped: {e}")))??;
        let mut pulled = convert_with(
            &self.name,
            &catalog.entities,
            &self.group_owners,
            &catalog.origins,
        );
        if let Some((n, first)) = catalog.skipped {
            pulled.warnings.push(format!(
                "source {}: {n} YAML document(s) are not Backstage entities (no backstage.io apiVersion, or neither apiVersion nor kind) and were skipped (the first at {first})",
                self.name
            ));
        }
        Ok(pulled)
    }
}

/// A problem in a catalog file: where, and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", file.display())]
pub struct CatalogError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

/// The entities of a catalog directory, in file order.
#[derive(Debug, Default)]
pub struct Catalog {
    pub entities: Vec<Entity>,
    /// Documents that were not entities: how many, and where the first was.
    pub skipped: Option<(usize, String)>,
    /// Where each entity is defined (`file:line`), by entity key.
    pub origins: HashMap<String, String>,
}

/// Reads every `*.yaml`/`*.yml` file under `dir` (sorted by path; hidden
/// directories and `node_modules` skipped) for source `name`; `on_file`
/// gets each file's entity count. An entity defined twice is an error
/// naming both places.
pub fn read_catalog_dir(name: &str, dir: &Path, mut on_file: impl FnMut(usize)) -> Result<Catalog> {
    let mut files = Vec::new();
    yaml_files(name, dir, &mut files)?;
    files.sort();
    let mut catalog = Catalog::default();
    let mut seen: HashMap<String, String> = HashMap::new();
    let in_file = |error: CatalogError| PullError::Catalog {
        name: name.to_string(),
        error,
    };
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| {
            PullError::unreadable(name, format!("cannot read {}", file.display()), &e)
        })?;
        let parsed = parse_catalog(&text, file).map_err(in_file)?;
        on_file(parsed.entities.len());
        for (entity, line) in parsed.entities {
            let here = format!("{}:{line}", file.display());
            if let Some(first) = seen.insert(entity_key(&entity), here) {
                return Err(in_file(CatalogError {
                    file: file.clone(),
                    line,
                    message: format!(
                        "{} {} is already defined at {first}; an entity must be defined once",
                        entity.kind,
                        id_of(&entity)
                    ),
                }));
            }
            catalog.entities.push(entity);
        }
        if let Some((n, at)) = parsed.skipped {
            catalog.skipped = Some(match catalog.skipped.take() {
                Some((m, first)) => (m + n, first),
                None => (n, at),
            });
        }
    }
    catalog.origins = seen;
    if catalog.entities.is_empty() {
        // An empty checkout or mount would otherwise wipe the cached catalog.
        return Err(PullError::refused(
            name,
            format!(
                "no Backstage entities under {} ({} YAML file(s) read); nothing was kept",
                dir.display(),
                files.len()
            ),
        ));
    }
    Ok(catalog)
}

fn yaml_files(name: &str, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let unreadable = |e: std::io::Error| {
        PullError::unreadable(
            name,
            format!("cannot read catalog directory {}", dir.display()),
            &e,
        )
    };
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().to_string();
        let kind = entry.file_type().map_err(|e| {
            PullError::unreadable(name, format!("cannot read {}", path.display()), &e)
        })?;
        if kind.is_dir() {
            if !file_name.starts_with('.') && file_name != "node_modules" {
                yaml_files(name, &path, out)?;
            }
        } else if file_name.ends_with(".yaml") || file_name.ends_with(".yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// The entities of one file, each with the line its document starts on.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub entities: Vec<(Entity, usize)>,
    /// Documents that were not entities: how many, and where the first was.
    pub skipped: Option<(usize, String)>,
    /// Where each entity is defined (`file:line`), by entity key.
    pub origins: HashMap<String, String>,
}

/// Parses one YAML stream of catalog entities (`---`-separated documents).
/// `file` is only used in errors.
pub fn parse_catalog(text: &str, file: &Path) -> Result<ParsedFile, CatalogError> {
    let err = |line: usize, message: String| CatalogError {
        file: file.to_path_buf(),
        line,
        message,
    };
    let docs = MarkedYaml::load_from_str(text).map_err(|e| {
        err(
            e.marker().line(),
            format!(
                "not valid YAML (column {}): {}",
                e.marker().col() + 1,
                e.info()
            ),
        )
    })?;
    let mut out = ParsedFile::default();
    for doc in &docs {
        let line = doc.span.start.line();
        if matches!(doc.data, YamlData::Value(Scalar::Null)) {
            continue;
        }
        let entity = matches!(untag(doc).data, YamlData::Mapping(_))
            && match get(doc, "apiVersion") {
                Some(v) => untag(v)
                    .data
                    .as_str()
                    .is_some_and(|a| a.contains("backstage.io/")),
                None => get(doc, "kind").is_some(),
            };
        if !entity {
            let at = format!("{}:{line}", file.display());
            out.skipped = Some(match out.skipped.take() {
                Some((n, first)) => (n + 1, first),
                None => (1, at),
            });
            continue;
        }
        check_entity(doc).map_err(|(at, message)| err(at, message))?;
        let value = to_json(doc).map_err(|(at, message)| err(at, message))?;
        let entity: Entity = serde_json::from_value(value)
            .map_err(|e| err(line, format!("not a catalog entity: {e}")))?;
        out.entities.push((entity, line));
    }
    Ok(out)
}

/// The value at `key` of a mapping node.
fn get<'a, 'i>(node: &'a MarkedYaml<'i>, key: &str) -> Option<&'a MarkedYaml<'i>> {
    match &node.data {
        YamlData::Mapping(m) => m
            .iter()
            .find(|(k, _)| k.data.as_str() == Some(key))
            .map(|(_, v)| v),
        YamlData::Tagged(_, inner) => get(inner, key),
        _ => None,
    }
}

fn untag<'a, 'i>(node: &'a MarkedYaml<'i>) -> &'a MarkedYaml<'i> {
    match &node.data {
        YamlData::Tagged(_, inner) => untag(inner),
        _ => node,
    }
}

/// A node's type, for errors.
fn what(node: &MarkedYaml) -> &'static str {
    match &untag(node).data {
        YamlData::Mapping(_) => "a mapping",
        YamlData::Sequence(_) => "a list",
        YamlData::Value(Scalar::Null) => "empty",
        YamlData::Value(Scalar::String(_)) | YamlData::Representation(..) => "a string",
        YamlData::Value(Scalar::Boolean(_)) => "a boolean",
        YamlData::Value(_) => "a number",
        _ => "an unsupported value",
    }
}

type At = (usize, String);

/// Checks the fields steward reads, so that a wrong type is reported at its
/// own line rather than silently ignored.
fn check_entity(doc: &MarkedYaml) -> Result<(), At> {
    let line = |n: &MarkedYaml| n.span.start.line();
    let is_str = |n: &MarkedYaml| untag(n).data.as_str().is_some();
    let kind = match get(doc, "kind") {
        Some(k) if is_str(k) => untag(k).data.as_str().unwrap_or_default().to_string(),
        Some(k) => return Err((line(k), format!("`kind` must be a string, not {}", what(k)))),
        None => return Err((line(doc), "the entity has no `kind`".into())),
    };
    let Some(metadata) = get(doc, "metadata") else {
        return Err((line(doc), format!("{kind}: the entity has no `metadata`")));
    };
    let name = match get(metadata, "name") {
        Some(n) if untag(n).data.as_str().is_some_and(|s| !s.trim().is_empty()) => {
            untag(n).data.as_str().unwrap_or_default().to_string()
        }
        Some(n) => {
            return Err((
                line(n),
                format!(
                    "{kind}: `metadata.name` must be a non-empty string, not {}",
                    what(n)
                ),
            ));
        }
        None => {
            return Err((
                line(metadata),
                format!("{kind}: `metadata.name` is missing"),
            ));
        }
    };
    let bad = |n: &MarkedYaml, field: &str, expected: &str| {
        Err((
            line(n),
            format!(
                "{kind} {name}: `{field}` must be {expected}, not {}",
                what(n)
            ),
        ))
    };
    let string = |parent: &MarkedYaml, key: &str, field: &str| match get(parent, key) {
        Some(n) if !is_str(n) && !matches!(untag(n).data, YamlData::Value(Scalar::Null)) => {
            bad(n, field, "a string")
        }
        _ => Ok(()),
    };
    let strings = |parent: &MarkedYaml, key: &str, field: &str| match get(parent, key).map(untag) {
        Some(n) => match &n.data {
            YamlData::Sequence(items) => match items.iter().find(|i| !is_str(i)) {
                Some(i) => bad(i, &format!("{field}[]"), "a string"),
                None => Ok(()),
            },
            YamlData::Value(Scalar::Null) => Ok(()),
            _ => bad(n, field, "a list of strings"),
        },
        None => Ok(()),
    };
    if !matches!(untag(metadata).data, YamlData::Mapping(_)) {
        return bad(metadata, "metadata", "a mapping");
    }
    for key in ["namespace", "title", "description", "uid"] {
        string(metadata, key, &format!("metadata.{key}"))?;
    }
    strings(metadata, "tags", "metadata.tags")?;
    if let Some(a) = get(metadata, "annotations") {
        match &untag(a).data {
            YamlData::Mapping(m) => {
                if let Some((k, _)) = m.iter().find(|(k, v)| !is_str(k) || !is_str(v)) {
                    return bad(k, "metadata.annotations", "a mapping of strings to strings");
                }
            }
            YamlData::Value(Scalar::Null) => {}
            _ => return bad(a, "metadata.annotations", "a mapping"),
        }
    }
    if !["user", "group", "domain", "system", "component", "resource"]
        .contains(&kind.to_lowercase().as_str())
    {
        return Ok(());
    }
    let Some(spec) = get(doc, "spec") else {
        return Ok(());
    };
    if !matches!(
        untag(spec).data,
        YamlData::Mapping(_) | YamlData::Value(Scalar::Null)
    ) {
        return bad(spec, "spec", "a mapping");
    }
    for key in ["owner", "parent", "system", "domain"] {
        string(spec, key, &format!("spec.{key}"))?;
    }
    for key in ["members", "memberOf", "children"] {
        strings(spec, key, &format!("spec.{key}"))?;
    }
    if let Some(profile) = get(spec, "profile") {
        if !matches!(
            untag(profile).data,
            YamlData::Mapping(_) | YamlData::Value(Scalar::Null)
        ) {
            return bad(profile, "spec.profile", "a mapping");
        }
        for key in ["email", "displayName"] {
            string(profile, key, &format!("spec.profile.{key}"))?;
        }
    }
    Ok(())
}

/// The JSON value of a YAML node (what the API would have sent).
fn to_json(node: &MarkedYaml) -> Result<serde_json::Value, At> {
    use serde_json::Value;
    let at = node.span.start.line();
    Ok(match &node.data {
        YamlData::Value(Scalar::Null) => Value::Null,
        YamlData::Value(Scalar::Boolean(b)) => Value::Bool(*b),
        YamlData::Value(Scalar::Integer(i)) => Value::from(*i),
        YamlData::Value(Scalar::FloatingPoint(f)) => serde_json::Number::from_f64(f.into_inner())
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(f.to_string())),
        YamlData::Value(Scalar::String(s)) => Value::String(s.to_string()),
        YamlData::Representation(s, _, _) => Value::String(s.to_string()),
        YamlData::Tagged(_, inner) => to_json(inner)?,
        YamlData::Sequence(items) => {
            Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
        }
        YamlData::Mapping(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                let key = match to_json(k)? {
                    Value::String(s) => s,
                    Value::Null => "null".into(),
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                    _ => {
                        return Err((
                            k.span.start.line(),
                            "a mapping key must be a plain value, not a list or mapping".into(),
                        ));
                    }
                };
                out.insert(key, to_json(v)?);
            }
            Value::Object(out)
        }
        YamlData::Alias(_) => return Err((at, "an alias that could not be resolved".into())),
        YamlData::BadValue => return Err((at, "a value that is not valid YAML".into())),
    })
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
        // A group owner without a lead is left for `sync` to resolve.
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(
            p.origins[&("area", "payments-db".to_string())],
            "resource:payments-db"
        );
    }

    #[test]
    fn the_tree_from_children_and_owners_from_the_config() {
        let entities: Vec<Entity> = serde_json::from_value(serde_json::json!([
            {"kind": "Group", "metadata": {"name": "eng"}, "spec": {"type": "org", "children": ["group:default/team-a", "team-b"]}},
            {"kind": "Group", "metadata": {"name": "team-a"}, "spec": {"type": "team", "children": []}},
            {"kind": "Group", "metadata": {"name": "team-b"}, "spec": {"type": "team", "children": []}},
            {"kind": "System", "metadata": {"name": "billing"}, "spec": {"owner": "group:team-a"}},
            {"kind": "System", "metadata": {"name": "ledger"}, "spec": {"owner": "team-b"}}
        ]))
        .unwrap();
        let owners = BTreeMap::from([("team-a".to_string(), "janelle.dawe".to_string())]);
        let origins = HashMap::from([(
            "system:default/ledger".to_string(),
            "catalog/ledger.yaml:3".to_string(),
        )]);
        let p = convert_with("bs", &entities, &owners, &origins);
        let parent = |id: &str| {
            p.org
                .teams
                .iter()
                .find(|t| t.id == id)
                .unwrap()
                .parent
                .clone()
        };
        assert_eq!(parent("team-a").as_deref(), Some("eng"));
        assert_eq!(parent("team-b").as_deref(), Some("eng"));
        assert_eq!(parent("eng"), None);
        let area = |id: &str| p.org.areas.iter().find(|a| a.id == id).unwrap();
        assert_eq!(area("billing").owner, "janelle.dawe");
        assert_eq!(area("ledger").owner, "group:team-b");
        assert_eq!(
            p.origins[&("area", "ledger".to_string())],
            "catalog/ledger.yaml:3"
        );
    }
}

#[cfg(test)]
mod file_tests {
    use super::*;

    const MULTI: &str = "\
# catalog-info.yaml of the payments repo
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  tags: [pci]
spec:
  type: service
  owner: user:default/bob
  system: payments-platform
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
  annotations:
    steward.dev/lead: user:alice
spec:
  type: team
  parent: engineering
  members: [bob]
---
";

    #[test]
    fn a_multi_document_file_gives_each_entity_with_its_line() {
        let parsed = parse_catalog(MULTI, Path::new("repo/catalog-info.yaml")).unwrap();
        let got: Vec<(String, String, usize)> = parsed
            .entities
            .iter()
            .map(|(e, l)| (e.kind.clone(), e.metadata.name.clone(), *l))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Component".into(), "payments-api".into(), 2),
                ("Group".into(), "payments".into(), 12)
            ]
        );
        let p = convert(
            "files",
            &parsed
                .entities
                .into_iter()
                .map(|(e, _)| e)
                .collect::<Vec<_>>(),
        );
        assert_eq!(p.org.teams[0].lead.as_deref(), Some("alice"));
        assert_eq!(p.org.areas[0].owner, "bob");
        assert_eq!(p.org.areas[0].tags, vec!["pci".to_string()]);
    }

    #[test]
    fn broken_yaml_names_the_file_and_line() {
        let text =
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: x\n  tags: [a, b\n";
        let e = parse_catalog(text, Path::new("c/catalog-info.yaml")).unwrap_err();
        assert_eq!(e.file, Path::new("c/catalog-info.yaml"));
        assert!(e.line >= 5, "{e}");
        assert!(e.to_string().starts_with("c/catalog-info.yaml:"), "{e}");
        assert!(e.to_string().contains("not valid YAML"), "{e}");
    }

    #[test]
    fn a_field_of_the_wrong_type_names_the_entity_field_and_its_line() {
        let text =
            "kind: Component\nmetadata:\n  name: api\nspec:\n  owner:\n    - alice\n    - bob\n";
        let e = parse_catalog(text, Path::new("a.yaml")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a.yaml:6: Component api: `spec.owner` must be a string, not a list"
        );
        let text = "---\nkind: User\nmetadata:\n  title: No name\n";
        let e = parse_catalog(text, Path::new("u.yaml")).unwrap_err();
        assert_eq!(e.to_string(), "u.yaml:4: User: `metadata.name` is missing");
        let text = "kind: Group\nmetadata:\n  name: g\nspec:\n  members: [a, {b: c}]\n";
        let e = parse_catalog(text, Path::new("g.yaml")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "g.yaml:5: Group g: `spec.members[]` must be a string, not a mapping"
        );
    }

    #[test]
    fn a_directory_without_entities_is_an_error_not_an_empty_catalog() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mkdocs.yml"), "site_name: x\n").unwrap();
        let e = read_catalog_dir("cat", dir.path(), |_| {}).unwrap_err();
        assert!(matches!(e, PullError::Refused { .. }), "{e:?}");
        let e = e.to_string();
        assert!(
            e.starts_with("source cat: no Backstage entities under"),
            "{e}"
        );
        assert!(e.contains("(1 YAML file(s) read)"), "{e}");
        let e = read_catalog_dir("cat", &dir.path().join("nope"), |_| {}).unwrap_err();
        assert!(matches!(e, PullError::Unreadable { .. }), "{e:?}");
        let e = e.to_string();
        assert!(
            e.starts_with("source cat: cannot read catalog directory"),
            "{e}"
        );
    }

    #[test]
    fn documents_that_are_not_entities_are_skipped_and_counted() {
        let text = "name: CI\non: [push]\n---\nkind: User\nmetadata:\n  name: zed\n---\n- a list\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: zed\nspec:\n  owner: [not, checked]\n";
        let parsed = parse_catalog(text, Path::new("w.yml")).unwrap();
        assert_eq!(parsed.entities.len(), 1);
        assert_eq!(parsed.entities[0].0.kind, "User");
        assert_eq!(parsed.skipped, Some((3, "w.yml:1".to_string())));
    }
}
