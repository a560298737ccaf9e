//! `steward demo`: the bundled organization, in the console or printed.

use super::Ctx;
use super::output::suggestion_table;
use crate::policy::{self, Scope, Snapshot};
use crate::store::Store;
use anyhow::{Result, bail};
use std::process::ExitCode;

pub fn demo(ctx: &mut Ctx, print: bool, persona: &str) -> Result<ExitCode> {
    let now = ctx.now();
    use std::io::IsTerminal;
    let personas: Vec<String> = crate::demo::PERSONAS
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    if !personas.iter().any(|p| p == persona) {
        bail!(
            "unknown demo persona {persona:?}: choose priya (tech lead), marcus (manager) or omar (oncall lead)"
        );
    }
    let demo = crate::demo::install(&ctx.data_dir().join("demo"), now)?;
    if !print && std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        crate::tui::run(crate::tui::Options {
            db: demo.db.clone(),
            me: persona.to_string(),
            now: demo.now,
            personas,
            sources: Vec::new(),
            net: ctx.net.clone(),
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let store = Store::open_existing(&demo.db)?;
    let snap = Snapshot::new(store.load_org()?);
    writeln!(
        ctx.out,
        "demo organization installed: {} people, {} areas, {} grants\n  org:   {}\n  cache: {}\n  now:   {}\n",
        snap.org.people.len(),
        snap.org.areas.len(),
        snap.org.grants.len(),
        demo.org_dir.display(),
        demo.db.display(),
        demo.now.to_rfc3339()
    )?;
    let mut personas: Vec<&(&str, &str)> = crate::demo::PERSONAS.iter().collect();
    personas.sort_by_key(|(id, _)| *id != persona);
    for (id, role) in personas {
        let scope = Scope::of(&snap, id, demo.now);
        let list = policy::suggestions(&snap, &scope, demo.now);
        let name = snap.person(id).map_or(*id, |p| p.name.as_str());
        let roots: Vec<&str> = scope
            .roots
            .iter()
            .map(|&a| snap.org.areas[a].id.as_str())
            .collect();
        writeln!(
            ctx.out,
            "== {name} ({id}), {role}: scope {}",
            roots.join(", ")
        )?;
        if list.is_empty() {
            writeln!(ctx.out, "nothing to decide\n")?;
        } else {
            writeln!(ctx.out, "{}\n", suggestion_table(&list))?;
        }
    }
    writeln!(
        ctx.out,
        "Try: steward --db {} suggest --as omar\n     steward --db {} why PERSON ENTITLEMENT",
        demo.db.display(),
        demo.db.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
