//! `steward rules` (every rule, its source, whether it counts) and
//! `steward rule add|edit|remove` (rules kept in steward).

use super::Ctx;
use super::args::{OrgArg, RuleAction, RuleFields};
use super::output::table;
use crate::model::{ApplyMode, Audience, Rule};
use crate::policy::{Snapshot, explain};
use anyhow::{Context, Result, bail};
use std::process::ExitCode;

pub fn list(ctx: &mut Ctx, org: &OrgArg, json: bool) -> Result<ExitCode> {
    let (snap, sources) = match &org.org {
        Some(dir) => {
            let snap = Snapshot::new(crate::sources::files::read_org(dir)?);
            let sources = snap
                .org
                .rules
                .iter()
                .map(|r| (r.id.clone(), crate::sync::FILES_SOURCE.to_string()))
                .collect();
            (snap, sources)
        }
        None => {
            let store = ctx.open_store()?;
            let sources = store.rules_with_sources()?;
            (Snapshot::new(store.load_org()?), sources)
        }
    };
    let source_of = |id: &str| {
        sources
            .iter()
            .find(|(r, _)| r == id)
            .map_or("?", |(_, s)| s.as_str())
            .to_string()
    };
    let statuses = explain::rule_statuses(&snap, ctx.now());
    if json {
        let mut out = Vec::with_capacity(statuses.len());
        for s in &statuses {
            let mut v = serde_json::to_value(s)?;
            if let Some(obj) = v.as_object_mut() {
                obj.insert("source".into(), source_of(&s.id).into());
            }
            out.push(v);
        }
        writeln!(ctx.out, "{}", crate::safe_text::json(&out, true)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = statuses
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.area.clone(),
                r.author.clone(),
                if r.counts { "yes".into() } else { "NO".into() },
                apply_column(r),
                r.qualifying.to_string(),
                source_of(&r.id),
                r.problems.join("; "),
            ]
        })
        .collect();
    writeln!(
        ctx.out,
        "{}",
        table(
            &[
                "RULE",
                "AREA",
                "AUTHOR",
                "COUNTS",
                "APPLY",
                "QUALIFY",
                "SOURCE",
                "WHY NOT / NOTES"
            ],
            &rows
        )
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `auto`, `auto lead 30m grace 15m`, `suggest`.
fn apply_column(r: &explain::RuleStatus) -> String {
    let mut text = r.apply.as_str().to_string();
    for (what, v) in [("lead", &r.lead), ("grace", &r.grace)] {
        if let Some(v) = v {
            text += &format!(" {what} {v}");
        }
    }
    text
}

pub fn run(ctx: &mut Ctx, action: RuleAction) -> Result<ExitCode> {
    match action {
        RuleAction::Add { id, fields, who } => {
            let actor = ctx.actor(&who)?;
            let rule = new_rule(id, fields)?;
            let mut store = ctx.open_store()?;
            let made = store.add_rule(&actor, &rule, ctx.now())?;
            writeln!(
                ctx.out,
                "rule {} added by {}: {}",
                made.id,
                actor.person,
                describe(&made)
            )?;
        }
        RuleAction::Edit { id, fields, who } => {
            let actor = ctx.actor(&who)?;
            let mut store = ctx.open_store()?;
            let current = store
                .load_org()?
                .rules
                .into_iter()
                .find(|r| r.id == id)
                .with_context(|| format!("unknown rule {id:?} (`steward rules` lists them)"))?;
            let changed = edited(current, fields)?;
            let before = store.edit_rule(&actor, &changed, ctx.now())?;
            writeln!(
                ctx.out,
                "rule {id} changed by {}\n  was: {}\n  now: {}",
                actor.person,
                describe(&before),
                describe(&Rule {
                    author: actor.person.clone(),
                    ..changed
                })
            )?;
        }
        RuleAction::Remove { id, who, reason } => {
            let actor = ctx.actor(&who)?;
            let mut store = ctx.open_store()?;
            let gone = store.remove_rule(&actor, &id, reason.as_deref(), ctx.now())?;
            writeln!(
                ctx.out,
                "rule {id} removed by {}: {}\n  grants it justified become revoke suggestions unless another rule justifies them",
                actor.person,
                describe(&gone)
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn courses(list: Option<Vec<String>>) -> Option<Vec<String>> {
    list.map(|l| {
        l.into_iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect()
    })
}

fn new_rule(id: String, f: RuleFields) -> Result<Rule> {
    let audience = match (f.team, f.rotation) {
        (Some(t), None) => Audience::Team(t),
        (None, Some(r)) => Audience::Rotation(r),
        _ => bail!("say who qualifies: --team TEAM or --rotation ROTATION"),
    };
    Ok(Rule {
        id,
        area: f
            .area
            .context("say which area the rule is for: --area AREA")?,
        author: String::new(),
        why: f.why.context(
            "say why the rule exists: --why TEXT (shown with every suggestion it makes)",
        )?,
        grant: courses(f.grant).unwrap_or_default(),
        audience,
        trained: courses(f.trained).unwrap_or_default(),
        only_while_oncall: f.only_while_oncall.unwrap_or(false),
        apply: mode(f.auto.unwrap_or(false)),
        lead_secs: span("--lead", f.lead.as_deref())?.unwrap_or(0),
        grace_secs: span("--grace", f.grace.as_deref())?.unwrap_or(0),
    })
}

fn mode(auto: bool) -> ApplyMode {
    if auto {
        ApplyMode::Auto
    } else {
        ApplyMode::Suggest
    }
}

fn span(flag: &str, text: Option<&str>) -> Result<Option<i64>> {
    text.map(|t| crate::time::parse_span(t).map_err(|e| anyhow::anyhow!("{flag}: {e}")))
        .transpose()
}

fn edited(mut rule: Rule, f: RuleFields) -> Result<Rule> {
    if let Some(a) = f.area {
        rule.area = a;
    }
    if let Some(g) = courses(f.grant) {
        rule.grant = g;
    }
    if let Some(t) = f.team {
        rule.audience = Audience::Team(t);
    }
    if let Some(r) = f.rotation {
        rule.audience = Audience::Rotation(r);
    }
    if let Some(t) = courses(f.trained) {
        rule.trained = t;
    }
    if let Some(o) = f.only_while_oncall {
        rule.only_while_oncall = o;
    }
    if let Some(w) = f.why {
        rule.why = w;
    }
    if let Some(a) = f.auto {
        rule.apply = mode(a);
    }
    if let Some(l) = span("--lead", f.lead.as_deref())? {
        rule.lead_secs = l;
    }
    if let Some(g) = span("--grace", f.grace.as_deref())? {
        rule.grace_secs = g;
    }
    Ok(rule)
}

/// One line: who qualifies for what, and why.
fn describe(r: &Rule) -> String {
    let who = match &r.audience {
        Audience::Team(t) => format!("team {t}"),
        Audience::Rotation(x) => format!("rotation {x}"),
    };
    let trained = if r.trained.is_empty() {
        String::new()
    } else {
        format!(" trained in {}", r.trained.join(", "))
    };
    let oncall = if r.only_while_oncall {
        " only while on call"
    } else {
        ""
    };
    let auto = match r.apply {
        ApplyMode::Auto => ", carried out automatically",
        ApplyMode::Suggest => "",
    };
    format!(
        "area {}: {who}{trained} get {}{oncall}{}{auto} (author {}; why: {})",
        r.area,
        r.grant.join(", "),
        crate::policy::qualify::timing_note(r),
        r.author,
        r.why
    )
}
