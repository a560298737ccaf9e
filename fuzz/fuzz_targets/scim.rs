//! SCIM listing pages (Users, Groups): any body parses or fails with an
//! error, never panics. What parses goes on as a sync takes it: the page
//! arithmetic, `convert` into people and teams, the entitlement mapping and
//! the policy engine on the result.
#![no_main]
use libfuzzer_sys::fuzz_target;
use steward::config::ScimSettings;
use steward::sources::scim::{self, Group, User};

/// A user for each id a Groups page names, so that members resolve.
fn users_named_by(groups: &[Group]) -> Vec<User> {
    let mut ids: Vec<&str> = groups
        .iter()
        .flat_map(|g| g.members.iter().map(|m| m.value.as_str()))
        .collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .map(|id| User {
            id: id.to_string(),
            user_name: id.to_string(),
            external_id: None,
            display_name: None,
            name: None,
            emails: Vec::new(),
            active: None,
            enterprise: None,
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let settings = ScimSettings {
        person_id: ["userName", "id", "externalId", "email"][(which >> 1) as usize % 4].into(),
        team_prefix: Some("team-".into()),
        entitlement_prefix: Some("app-".into()),
        ..ScimSettings::default()
    };
    let (users, groups) = if which & 1 == 0 {
        let Ok((total, _, users)) = scim::parse_page::<User>(body) else {
            return;
        };
        let n = users.len() as u64;
        let _ = scim::later_page_starts(total.unwrap_or(n), n, 10_000);
        (users, Vec::new())
    } else {
        let Ok((total, _, groups)) = scim::parse_page::<Group>(body) else {
            return;
        };
        let n = groups.len() as u64;
        let _ = scim::later_page_starts(total.unwrap_or(n), n, 10_000);
        (users_named_by(&groups), groups)
    };
    let pulled = scim::convert(
        "idp",
        &settings,
        |g| g.display_name.strip_prefix("team-").map(str::to_string),
        &users,
        &groups,
    );
    for g in &pulled.groups {
        let _ = scim::group_entitlements("idp", &settings, &[], g);
    }
    let snap = steward::policy::Snapshot::new(pulled.org);
    let now = "2026-03-02T12:00:00Z".parse().unwrap_or_default();
    let _ = steward::policy::suggestions(&snap, &steward::policy::Scope::everything(&snap), now);
    let _ = steward::policy::check::problems(&snap);
});
