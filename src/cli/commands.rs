//! One function per subcommand.

use super::Ctx;
use super::args::{AuditAction, Command, ConfigAction, OrgArg, VerdictArg};
use super::output::{suggestion_table, suggestions_json, table};
use crate::apply;
use crate::model::*;
use crate::policy::{self, Scope, Snapshot, authority, check, explain};
use crate::store::{NewDecision, Store};
use crate::sync::sync_org_dir;
use anyhow::{Context, Result, bail};
use std::process::ExitCode;

pub fn run(ctx: &Ctx, command: Option<Command>) -> Result<ExitCode> {
    let Some(command) = command else {
        return no_command(ctx);
    };
    match command {
        Command::Demo { print, persona } => demo(ctx, print, &persona),
        Command::Sync { org, source } => sync(ctx, org, &source),
        Command::Config { action } => match action {
            ConfigAction::Check => config_check(ctx),
        },
        Command::Status => status(ctx),
        Command::Check(org) => check_cmd(ctx, &org),
        Command::Suggest {
            org,
            who,
            json,
            all,
        } => {
            let person = ctx.optional_person(&who);
            suggest(ctx, &org, person.as_deref(), json, all)
        }
        Command::Why {
            person,
            entitlement,
            org,
        } => {
            let snap = ctx.snapshot(&org)?;
            let text =
                explain::why(&snap, &person, &entitlement, ctx.now).map_err(anyhow::Error::msg)?;
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules { org, json } => super::rules::list(ctx, &org, json),
        Command::Rule { action } => super::rules::run(ctx, action),
        Command::Secret { action } => super::secret::run(action),
        Command::Decide {
            verdict,
            person,
            entitlement,
            who,
            reason,
            until,
        } => {
            let decider = ctx.person(&who)?;
            decide(ctx, verdict, &person, &entitlement, &decider, reason, until)
        }
        Command::Undo { id, who } => undo(ctx, id, &ctx.person(&who)?),
        Command::Plan { who, json } => plan(ctx, ctx.optional_person(&who).as_deref(), json),
        Command::Apply { who, dry_run } => apply_cmd(ctx, &ctx.person(&who)?, dry_run),
        Command::Audit { action } => audit(ctx, action),
        Command::Delegate {
            area,
            to,
            who,
            until,
        } => delegate(ctx, &area, &to, &ctx.person(&who)?, until),
        Command::Delegations { who } => delegations(ctx, ctx.optional_person(&who).as_deref()),
        Command::Undelegate { id, who } => undelegate(ctx, id, &ctx.person(&who)?),
        Command::Digest {
            who,
            all,
            since,
            format,
            send,
            dry_run,
        } => digest(ctx, &who, all, since, &format, send, dry_run),
        Command::Gen { people, out, seed } => {
            let org = crate::r#gen::generate(people, seed, ctx.now);
            crate::sources::files::write::write_org(&org, &out)?;
            println!(
                "wrote {} people, {} teams, {} rotations, {} areas, {} grants, {} rules to {}",
                org.people.len(),
                org.teams.len(),
                org.rotations.len(),
                org.areas.len(),
                org.grants.len(),
                org.rules.len(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn no_command(ctx: &Ctx) -> Result<ExitCode> {
    use std::io::IsTerminal;
    let db = ctx.db_path();
    // `--as` given before any subcommand is parsed at the top level.
    let top = <super::args::Cli as clap::Parser>::try_parse()
        .ok()
        .and_then(|c| c.who.as_person);
    let me = top.or_else(|| ctx.optional_person(&super::args::AsArg { as_person: None }));
    let tty = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    let problem = match (&me, db.exists()) {
        (_, false) => format!("no cache at {}", db.display()),
        (None, true) => {
            "you have not said who you are (steward --as PERSON, or me = \"PERSON\" in steward.toml)"
                .to_string()
        }
        (Some(me), true) => {
            if !tty {
                bail!(
                    "the console needs a terminal; in scripts use `steward suggest --as {me}` and friends (steward --help)"
                );
            }
            // Refused before the terminal is taken, as `suggest --as` does.
            if !Store::open_existing(&db)?.person_known(me)? {
                bail!(
                    "unknown person {me:?}: not on the roster in {} (steward status says what was synced)",
                    db.display()
                );
            }
            crate::tui::run(crate::tui::Options {
                db,
                me: me.clone(),
                now: ctx.now,
                personas: Vec::new(),
                sources: configured_sources(ctx)?,
            })?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    if tty {
        return match crate::tui::welcome::run(&problem)? {
            crate::tui::welcome::Choice::Demo => demo(ctx, false, crate::demo::PERSONAS[0].0),
            crate::tui::welcome::Choice::Quit => Ok(ExitCode::SUCCESS),
        };
    }
    for line in crate::tui::welcome::text(&problem) {
        println!("{line}");
    }
    println!("  steward demo                   open the demo in the console");
    println!("  steward demo --print           print what each demo owner should look at");
    println!("  steward --help                 every command");
    Ok(ExitCode::SUCCESS)
}

fn config_path(ctx: &Ctx) -> std::path::PathBuf {
    ctx.global
        .config
        .clone()
        .unwrap_or_else(crate::paths::default_config_file)
}

/// The validated sources of the config, or every problem with its line.
fn configured_sources(ctx: &Ctx) -> Result<Vec<crate::config::SourceConfig>> {
    let path = config_path(ctx);
    let Some(cfg) = ctx.config.as_ref() else {
        return Ok(Vec::new());
    };
    cfg.sources().map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        anyhow::anyhow!(
            "{} has {} problem(s):\n  {}\n(`steward config check` lists them)",
            path.display(),
            errors.len(),
            lines.join("\n  ")
        )
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Progress on stderr: a line per source at most every half second, every
/// retry, and the end.
fn stderr_progress() -> crate::sources::http::ProgressSink {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Instant;
    let last: Mutex<HashMap<String, Instant>> = Mutex::new(HashMap::new());
    std::sync::Arc::new(move |e: &crate::sources::http::ProgressEvent| {
        if let Some(note) = &e.note {
            eprintln!("{}: {note}", e.source);
            return;
        }
        if e.done.is_some() {
            return;
        }
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let due = last
            .get(&e.source)
            .is_none_or(|t| now.duration_since(*t).as_millis() >= 500);
        if due {
            last.insert(e.source.clone(), now);
            eprintln!(
                "{}: {} pages, {} items, {:.0} items/s",
                e.source,
                e.pages,
                e.items,
                e.rate()
            );
        }
    })
}

fn sync(ctx: &Ctx, org: Option<std::path::PathBuf>, only: &[String]) -> Result<ExitCode> {
    let Some(dir) = org else {
        return sync_configured(ctx, only);
    };
    let mut store = Store::open(&ctx.db_path())?;
    let started = std::time::Instant::now();
    let synced = sync_org_dir(&mut store, &dir, ctx.now)?;
    let org = &synced.org;
    println!(
        "synced {} into {} in {:.2}s: {} people, {} teams, {} rotations, {} trainings, {} areas, {} entitlements, {} grants, {} delegations, {} rules",
        dir.display(),
        store.path().display(),
        started.elapsed().as_secs_f64(),
        org.people.len(),
        org.teams.len(),
        org.rotations.len(),
        org.trainings.len(),
        org.areas.len(),
        org.entitlements.len(),
        synced.grants,
        org.delegations.len(),
        org.rules.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn sync_configured(ctx: &Ctx, only: &[String]) -> Result<ExitCode> {
    let sources = configured_sources(ctx)?;
    if sources.is_empty() {
        bail!(
            "nothing to sync: {} configures no [[source]] (see README: configuration), or give --org DIR",
            config_path(ctx).display()
        );
    }
    for name in only {
        if !sources.iter().any(|s| &s.name == name) {
            let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
            bail!(
                "no configured source named {name:?} (configured: {})",
                names.join(", ")
            );
        }
    }
    let mut store = Store::open(&ctx.db_path())?;
    for r in crate::sync::retire_unconfigured(&mut store, &sources)? {
        println!("{}", crate::sync::retired_message(&r));
    }
    let started = std::time::Instant::now();
    let client = crate::sources::http::client();
    let outcomes = runtime()?.block_on(crate::sync::sync_sources(
        &mut store,
        &sources,
        (!only.is_empty()).then_some(only),
        client,
        Some(stderr_progress()),
        ctx.now,
    ))?;
    let mut failed = 0;
    for o in &outcomes {
        match &o.result {
            Ok(counts) => println!(
                "{}: synced {} ({} pages, {:.2}s)",
                o.name,
                counts.describe(),
                o.progress.pages,
                o.progress.elapsed.as_secs_f64()
            ),
            Err(e) => {
                failed += 1;
                println!("{}: FAILED, keeping the previous data: {e}", o.name);
            }
        }
        for w in &o.warnings {
            eprintln!("{}: warning: {w}", o.name);
        }
    }
    println!(
        "{} of {} source(s) synced into {} in {:.2}s",
        outcomes.len() - failed,
        outcomes.len(),
        store.path().display(),
        started.elapsed().as_secs_f64()
    );
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn config_check(ctx: &Ctx) -> Result<ExitCode> {
    let path = config_path(ctx);
    let Some(cfg) = ctx.config.as_ref() else {
        eprintln!(
            "no config at {} (steward works without one: give --as and sync --org DIR)",
            path.display()
        );
        return Ok(ExitCode::FAILURE);
    };
    let problems = cfg.check();
    for p in &problems {
        println!("{p}");
    }
    if !problems.is_empty() {
        eprintln!("{} problem(s) in {}", problems.len(), path.display());
        return Ok(ExitCode::FAILURE);
    }
    let sources = cfg.sources().unwrap_or_default();
    println!(
        "{}: ok: me = {}, {} source(s)",
        path.display(),
        cfg.me.as_deref().unwrap_or("(not set)"),
        sources.len()
    );
    for s in &sources {
        let provides: Vec<&str> = s.provides.iter().map(|p| p.as_str()).collect();
        println!(
            "  {} ({}) {} provides {}; {}",
            s.name,
            s.kind.as_str(),
            s.location(),
            provides.join(", "),
            super::secret::credential_state(&s.credential)
        );
    }
    if let Ok(Some(d)) = cfg.digest()
        && let Some(smtp) = &d.smtp
        && let Some(name) = &smtp.password_keyring
    {
        println!("  [digest.smtp] password from keyring entry {name}: present");
    }
    Ok(ExitCode::SUCCESS)
}

fn age(now: Time, t: Time) -> String {
    let mins = (now - t).num_minutes();
    match mins {
        m if m < 0 => "in the future".into(),
        m if m < 60 => format!("{m} min ago"),
        m if m < 60 * 48 => format!("{} h ago", m / 60),
        m => format!("{} days ago", m / 60 / 24),
    }
}

fn status(ctx: &Ctx) -> Result<ExitCode> {
    let store = ctx.open_store()?;
    println!(
        "cache: {} (schema {})",
        store.path().display(),
        store.schema_version()?
    );
    println!("now:   {}", ctx.now.to_rfc3339());
    let rows: Vec<Vec<String>> = store
        .sources()?
        .into_iter()
        .map(|s| {
            vec![
                s.name,
                s.kind,
                s.location,
                s.synced_at
                    .map(|t| format!("{} ({})", t.to_rfc3339(), age(ctx.now, t)))
                    .unwrap_or_else(|| "never".into()),
                s.error
                    .map(|e| format!("LAST SYNC FAILED: {e}"))
                    .unwrap_or_else(|| "ok".into()),
            ]
        })
        .collect();
    println!(
        "\n{}",
        table(&["SOURCE", "KIND", "FROM", "SYNCED", "STATE"], &rows)
    );
    let counts: Vec<String> = store
        .counts()?
        .iter()
        .map(|(t, n)| format!("{n} {t}"))
        .collect();
    println!("\ncached: {}", counts.join(", "));
    let decisions = store.decisions()?;
    let planned = decisions
        .iter()
        .filter(|d| d.state == DecisionState::Planned)
        .count();
    println!(
        "decisions: {} recorded, {planned} planned (not yet applied)",
        decisions.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn check_cmd(ctx: &Ctx, org: &OrgArg) -> Result<ExitCode> {
    let snap = ctx.snapshot(org)?;
    let problems = check::problems(&snap);
    for p in &problems {
        println!("{p}");
    }
    if problems.is_empty() {
        eprintln!("no problems found");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{} problem(s)", problems.len());
        Ok(ExitCode::FAILURE)
    }
}

fn scope_for(snap: &Snapshot, person: Option<&str>, now: Time) -> Result<Scope> {
    match person {
        None => Ok(Scope::everything(snap)),
        Some(p) => {
            if snap.person(p).is_none() {
                bail!("unknown person {p:?} (not on the roster)");
            }
            Ok(Scope::of(snap, p, now))
        }
    }
}

fn suggest(
    ctx: &Ctx,
    org: &OrgArg,
    person: Option<&str>,
    json: bool,
    all: bool,
) -> Result<ExitCode> {
    let snap = ctx.snapshot(org)?;
    let scope = scope_for(&snap, person, ctx.now)?;
    if person.is_none() {
        // Said on stderr: stdout stays the list (or the JSON) alone.
        eprintln!(
            "no --as and no `me` in the config: every suggestion in the organization, whoever owns it"
        );
    }
    let mut list = policy::suggestions(&snap, &scope, ctx.now);
    let mut hidden = 0;
    if org.org.is_none() && !all {
        let decisions = ctx.open_store()?.decisions()?;
        let before = list.len();
        list = policy::undecided(list, &decisions, ctx.now);
        hidden = before - list.len();
    }
    if json {
        println!("{}", suggestions_json(&list));
    } else if list.is_empty() {
        println!(
            "nothing to decide{}",
            person.map(|p| format!(" for {p}")).unwrap_or_default()
        );
    } else {
        println!("{}", suggestion_table(&list));
        let count = |k: Kind| list.iter().filter(|s| s.kind == k).count();
        eprintln!(
            "\n{} grant, {} revoke, {} review{}",
            count(Kind::Grant),
            count(Kind::Revoke),
            count(Kind::Review),
            if hidden > 0 {
                format!("; {hidden} already decided (--all shows them)")
            } else {
                String::new()
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn decide(
    ctx: &Ctx,
    verdict: VerdictArg,
    person: &str,
    entitlement: &str,
    decider: &str,
    reason: Option<String>,
    until: Option<String>,
) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let snap = Snapshot::new(store.load_org()?);
    if snap.person(decider).is_none() {
        bail!("unknown decider {decider:?} (not on the roster)");
    }
    let ent = snap
        .entitlement(entitlement)
        .with_context(|| format!("unknown entitlement {entitlement:?}"))?;
    let area = snap.area_idx(&ent.area).with_context(|| {
        format!(
            "entitlement {entitlement} belongs to unknown area {:?}",
            ent.area
        )
    })?;
    if authority(&snap, decider, area, ctx.now).is_none() {
        bail!(
            "refused: {decider} has no authority over area {} (owner: {}); nothing recorded",
            ent.area,
            snap.org.areas[area].owner
        );
    }
    let list = policy::suggestions(&snap, &Scope::everything(&snap), ctx.now);
    let Some(suggestion) = list
        .into_iter()
        .find(|s| s.person == person && s.entitlement == entitlement)
    else {
        if snap.person(person).is_none() && !snap.org.grants.iter().any(|g| g.person == person) {
            bail!("unknown person {person:?}");
        }
        bail!(
            "no suggestion for {person} and {entitlement} now (`steward why {person} {entitlement}` explains)"
        );
    };
    let verdict = match verdict {
        VerdictArg::Accept => Verdict::Accept,
        VerdictArg::Dismiss => Verdict::Dismiss,
        VerdictArg::Snooze => Verdict::Snooze,
        VerdictArg::Revoke => Verdict::Revoke,
    };
    if verdict == Verdict::Revoke && suggestion.kind == Kind::Grant {
        bail!(
            "`revoke` answers a review or revoke suggestion; this one is a grant (accept, dismiss or snooze it)"
        );
    }
    if verdict == Verdict::Dismiss && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        bail!("dismissing needs --reason TEXT: the next person to look will want to know why");
    }
    let until = match (verdict, until) {
        (Verdict::Snooze, None) => {
            bail!(
                "snoozing needs --until (a date like {}, or a span like 3d, 2w)",
                (ctx.now + chrono::Duration::days(30)).format("%Y-%m-%d")
            )
        }
        (Verdict::Snooze, Some(u)) => {
            let t = crate::time::parse_until(&u, ctx.now)
                .map_err(|e| anyhow::anyhow!("--until: {e}"))?;
            if t <= ctx.now {
                bail!("--until {u} is not after now ({})", ctx.now.to_rfc3339());
            }
            Some(t)
        }
        (_, Some(_)) => bail!("--until only goes with snooze"),
        (_, None) => None,
    };
    let d = store.record_decision(
        &NewDecision {
            decider: decider.to_string(),
            verdict,
            suggestion,
            note: reason,
            until,
        },
        ctx.now,
    )?;
    println!(
        "recorded decision {}: {} {} {} -> {} ({})",
        d.id,
        decider,
        verdict.as_str(),
        d.suggestion.kind.as_str(),
        format_args!("{} {}", d.suggestion.person, d.suggestion.entitlement),
        d.suggestion.evidence
    );
    if verdict.changes_upstream() {
        println!("`steward plan` shows the change; `steward apply --as {decider}` carries it out");
    }
    Ok(ExitCode::SUCCESS)
}

fn undo(ctx: &Ctx, id: Option<i64>, actor: &str) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let snap = Snapshot::new(store.load_org()?);
    let decisions = store.decisions()?;
    let target = match id {
        Some(id) => decisions
            .iter()
            .find(|d| d.id == id)
            .with_context(|| format!("no decision {id}"))?,
        None => decisions
            .iter()
            .rev()
            .find(|d| {
                d.decider == actor
                    && matches!(d.state, DecisionState::Held | DecisionState::Planned)
            })
            .with_context(|| format!("{actor} has no decision that can be undone"))?,
    };
    let area = snap.area_idx(&target.suggestion.area);
    if area.is_none_or(|a| authority(&snap, actor, a, ctx.now).is_none()) {
        bail!(
            "refused: {actor} has no authority over area {}; nothing undone",
            target.suggestion.area
        );
    }
    let d = store.undo_decision(target.id, actor, ctx.now)?;
    println!(
        "undone decision {}: {} {} {} (the audit log keeps both)",
        d.id,
        d.verdict.as_str(),
        d.suggestion.person,
        d.suggestion.entitlement
    );
    Ok(ExitCode::SUCCESS)
}

fn plan(ctx: &Ctx, person: Option<&str>, json: bool) -> Result<ExitCode> {
    let store = ctx.open_store()?;
    let snap = Snapshot::new(store.load_org()?);
    let scope = scope_for(&snap, person, ctx.now)?;
    let changes = apply::plan(&store, &snap, &scope)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&changes)?);
    } else if changes.is_empty() {
        println!("nothing planned");
    } else {
        for c in &changes {
            println!("#{:<4} {}", c.decision, c.describe());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn apply_cmd(ctx: &Ctx, actor: &str, dry_run: bool) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let sources = configured_sources(ctx)?;
    // One line per change as soon as it is done (or refused).
    let mut print = |p: apply::ApplyProgress<'_>| {
        let o = p.outcome;
        if dry_run {
            println!("would: #{} {}", o.change.decision, o.result);
            for r in &o.requests {
                println!("  {r}");
            }
        } else {
            println!(
                "#{} {}: {}",
                o.change.decision,
                if o.ok { "ok" } else { "FAILED" },
                o.result
            );
            for r in &o.requests {
                println!("  sent {r}");
            }
        }
    };
    let outcomes =
        apply::apply_as_configured(&mut store, &sources, actor, ctx.now, dry_run, &mut print)?;
    if outcomes.is_empty() {
        return nothing_to_apply(&store, actor);
    }
    let failed = outcomes.iter().filter(|o| !o.ok).count();
    if !dry_run {
        println!(
            "{} applied, {failed} failed; the cache was re-synced",
            outcomes.len() - failed
        );
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Nothing in `actor`'s scope was planned: fine if nothing is planned at
/// all, refused (naming the areas) when changes wait in areas `actor` has no
/// authority over now.
fn nothing_to_apply(store: &Store, actor: &str) -> Result<ExitCode> {
    let snap = Snapshot::new(store.load_org()?);
    let waiting = apply::plan(store, &snap, &Scope::everything(&snap))?;
    if waiting.is_empty() {
        println!("nothing planned");
        return Ok(ExitCode::SUCCESS);
    }
    let mut areas: Vec<&str> = waiting.iter().map(|c| c.area.as_str()).collect();
    areas.sort_unstable();
    areas.dedup();
    bail!(
        "refused: {actor} has no authority over area {} now, where {} change(s) are planned; nothing applied",
        areas.join(", area "),
        waiting.len()
    )
}

fn audit(ctx: &Ctx, action: Option<AuditAction>) -> Result<ExitCode> {
    let store = ctx.open_store()?;
    match action.unwrap_or(AuditAction::List { limit: 50 }) {
        AuditAction::List { limit } => {
            let rows: Vec<Vec<String>> = store
                .audit_entries(Some(limit))?
                .into_iter()
                .map(|e| {
                    vec![
                        e.seq.to_string(),
                        e.at.to_rfc3339(),
                        e.actor,
                        e.action,
                        e.detail,
                    ]
                })
                .collect();
            println!("{}", table(&["SEQ", "AT", "WHO", "WHAT", "DETAIL"], &rows));
        }
        AuditAction::Verify => match store.verify_audit()? {
            Ok(n) => println!("audit log intact: {n} entries verified"),
            Err(b) => {
                eprintln!("audit log broken at entry {}: {}", b.seq, b.reason);
                return Ok(ExitCode::FAILURE);
            }
        },
        AuditAction::Export { jsonl: _ } => {
            for e in store.audit_entries(None)? {
                println!("{}", serde_json::to_string(&e)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn demo(ctx: &Ctx, print: bool, persona: &str) -> Result<ExitCode> {
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
    let demo = crate::demo::install(&ctx.data_dir().join("demo"), ctx.now)?;
    if !print && std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        crate::tui::run(crate::tui::Options {
            db: demo.db.clone(),
            me: persona.to_string(),
            now: demo.now,
            personas,
            sources: Vec::new(),
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let store = Store::open_existing(&demo.db)?;
    let snap = Snapshot::new(store.load_org()?);
    println!(
        "demo organization installed: {} people, {} areas, {} grants\n  org:   {}\n  cache: {}\n  now:   {}\n",
        snap.org.people.len(),
        snap.org.areas.len(),
        snap.org.grants.len(),
        demo.org_dir.display(),
        demo.db.display(),
        demo.now.to_rfc3339()
    );
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
        println!("== {name} ({id}), {role}: scope {}", roots.join(", "));
        if list.is_empty() {
            println!("nothing to decide\n");
        } else {
            println!("{}\n", suggestion_table(&list));
        }
    }
    println!(
        "Try: steward --db {} suggest --as omar\n     steward --db {} why PERSON ENTITLEMENT",
        demo.db.display(),
        demo.db.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn delegate(
    ctx: &Ctx,
    area_id: &str,
    to: &str,
    actor: &str,
    until: Option<String>,
) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let snap = Snapshot::new(store.load_org()?);
    let area = snap
        .area_idx(area_id)
        .with_context(|| format!("unknown area {area_id:?}"))?;
    if snap.person(to).is_none() {
        bail!("unknown person {to:?} (not on the roster)");
    }
    if snap.person(to).is_some_and(|p| p.status == Status::Left) {
        bail!("{to} has left the organization");
    }
    if authority(&snap, actor, area, ctx.now).is_none() {
        bail!(
            "refused: {actor} has no authority over area {area_id} (owner: {}); nothing delegated",
            snap.org.areas[area].owner
        );
    }
    let until = until
        .map(|u| crate::time::parse_until(&u, ctx.now).map_err(|e| anyhow::anyhow!("--until: {e}")))
        .transpose()?;
    let d = Delegation {
        area: area_id.to_string(),
        to: to.to_string(),
        by: actor.to_string(),
        since: ctx.now,
        until,
    };
    let made = store.add_delegation(&d, ctx.now)?;
    let gained: Vec<&str> = snap
        .area_subtree(area)
        .iter()
        .map(|&a| snap.org.areas[a].id.as_str())
        .collect();
    println!(
        "delegation {}: {to} now decides for {} ({} area(s): {}){}",
        made.id,
        area_id,
        gained.len(),
        gained.join(", "),
        until
            .map(|u| format!(" until {}", u.to_rfc3339()))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

fn delegations(ctx: &Ctx, person: Option<&str>) -> Result<ExitCode> {
    let store = ctx.open_store()?;
    let snap = Snapshot::new(store.load_org()?);
    let scope = scope_for(&snap, person, ctx.now)?;
    let local = store.local_delegations()?;
    let rows: Vec<Vec<String>> = snap
        .org
        .delegations
        .iter()
        .filter(|d| {
            snap.area_idx(&d.area).is_some_and(|a| scope.contains(a))
                || person.is_some_and(|p| d.to == p)
        })
        .map(|d| {
            let id = local
                .iter()
                .find(|l| &l.delegation == d)
                .map_or("-".to_string(), |l| l.id.to_string());
            let state = if d.active_at(ctx.now) {
                "active"
            } else if d.since > ctx.now {
                "future"
            } else {
                "ended"
            };
            vec![
                id,
                d.area.clone(),
                d.to.clone(),
                d.by.clone(),
                policy::day(d.since),
                d.until.map(policy::day).unwrap_or_else(|| "-".into()),
                state.into(),
            ]
        })
        .collect();
    if rows.is_empty() {
        println!("no delegations");
    } else {
        println!(
            "{}",
            table(
                &["ID", "AREA", "TO", "BY", "SINCE", "UNTIL", "STATE"],
                &rows
            )
        );
        eprintln!("ID - : from the org directory; change it there");
    }
    Ok(ExitCode::SUCCESS)
}

fn undelegate(ctx: &Ctx, id: i64, actor: &str) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let snap = Snapshot::new(store.load_org()?);
    let d = store
        .local_delegations()?
        .into_iter()
        .find(|d| d.id == id)
        .with_context(|| {
            format!("no delegation {id} made in steward (`steward delegations` lists them)")
        })?;
    let area = snap.area_idx(&d.delegation.area);
    if area.is_none_or(|a| authority(&snap, actor, a, ctx.now).is_none()) {
        bail!(
            "refused: {actor} has no authority over area {}; nothing changed",
            d.delegation.area
        );
    }
    let ended = store.end_delegation(id, actor, ctx.now)?;
    println!(
        "delegation {id} of {} to {} ended at {}",
        ended.delegation.area,
        ended.delegation.to,
        ctx.now.to_rfc3339()
    );
    Ok(ExitCode::SUCCESS)
}

fn digest(
    ctx: &Ctx,
    who: &super::args::AsArg,
    all: bool,
    since: Option<String>,
    format: &str,
    send: bool,
    dry_run: bool,
) -> Result<ExitCode> {
    use crate::digest::run::{Options, run};
    if all && who.as_person.is_some() {
        bail!("give --as PERSON or --all, not both");
    }
    let people = if all {
        None
    } else {
        ctx.optional_person(who).map(|p| vec![p])
    };
    let since = since
        .map(|s| {
            crate::time::parse_time(&s)
                .or_else(|_| {
                    // A span back from now: 7d, 2w, 12h.
                    crate::time::parse_until(&s, ctx.now).map(|t| ctx.now - (t - ctx.now))
                })
                .map_err(|e| anyhow::anyhow!("--since: {e}"))
        })
        .transpose()?;
    let digest_cfg = match ctx.config.as_ref().map(|c| c.digest()) {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(c))) => Some(c),
        Some(Err(errors)) => {
            let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            bail!(
                "{} has {} problem(s) in [digest]:\n  {}",
                config_path(ctx).display(),
                errors.len(),
                lines.join("\n  ")
            );
        }
    };
    let format = crate::digest::Format::parse(format).unwrap_or(crate::digest::Format::Text);
    let mut store = ctx.open_store()?;
    let report = run(
        &mut store,
        digest_cfg.as_ref(),
        &Options {
            people,
            since,
            format,
            send,
            dry_run,
        },
        ctx.now,
    )?;
    for (p, why) in &report.nothing_for {
        match why {
            Some(why) => eprintln!("nothing for {p}: {why}"),
            None => eprintln!("nothing new for {p}"),
        }
    }
    for (p, n) in &report.superseded {
        eprintln!(
            "{p}: the {n} earlier digest(s) that failed have nothing left to say; marked superseded"
        );
    }
    let sending = send || dry_run;
    for (i, c) in report.composed.iter().enumerate() {
        let d = &c.digest;
        let sent = report.sent.iter().find(|s| s.recipient == d.recipient);
        if dry_run {
            if i > 0 {
                println!();
            }
            match sent.map(|s| (&s.outcome, s)) {
                Some((Ok(()), s)) => println!(
                    "== would send to {} by {} ({}): {}",
                    d.recipient, s.channel, s.target, c.subject
                ),
                Some((Err(e), _)) => println!(
                    "== would NOT be delivered to {}: {e}: {}",
                    d.recipient, c.subject
                ),
                None => println!("== {}: {}", d.recipient, c.subject),
            }
            println!("{}", c.body.trim_end());
        } else if sending {
            if let Some(s) = sent {
                let retry = if s.attempt > 1 {
                    format!(" (attempt {})", s.attempt)
                } else {
                    String::new()
                };
                match &s.outcome {
                    Ok(()) => println!(
                        "sent {}'s digest by {} to {}: {} item(s){retry}",
                        d.recipient, s.channel, s.target, s.items
                    ),
                    Err(e) => eprintln!(
                        "FAILED to send {}'s digest by {} to {}{retry}: {e}; recorded, and the next run sends it again",
                        d.recipient, s.channel, s.target
                    ),
                }
            }
        } else {
            if i > 0 {
                println!();
            }
            println!("== {} ({}): {}", d.name, d.recipient, c.subject);
            println!("{}", c.body.trim_end());
        }
    }
    let failed = report.failed();
    if send && !dry_run && failed > 0 {
        eprintln!("{failed} of {} digest(s) not delivered", report.sent.len());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
