//! `steward demo`: the bundled organization, in the console or printed;
//! installed once, then reopened with everything done in it until
//! `--reset`. Also where the plain commands find the demo when there is no
//! configuration and no cache of one's own.

use super::Ctx;
use super::args::Global;
use super::output::suggestion_table;
use crate::demo::{self, Existing, Work};
use crate::model::Time;
use crate::policy::{self, Scope, Snapshot};
use crate::store::Store;
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What `steward demo` was asked.
pub struct Asked {
    /// Print what each owner should look at instead of opening the console.
    pub print: bool,
    /// Discard the existing demo and install a fresh one.
    pub reset: bool,
    /// The persona to open as (`--as` after `demo`).
    pub persona: Option<String>,
}

/// The demo, ready: where it is and how it came to be.
struct Opened {
    org_dir: PathBuf,
    db: PathBuf,
    /// One line on what happened: installed, reopened (with what was done
    /// in it), or reset (with what was discarded).
    said: String,
}

pub fn demo(ctx: &mut Ctx, asked: Asked) -> Result<ExitCode> {
    let now = ctx.now();
    let persona = asked
        .persona
        .or_else(|| ctx.top_as().map(str::to_string))
        .unwrap_or_else(|| demo::PERSONAS[0].0.to_string());
    if !demo::PERSONAS.iter().any(|(id, _)| *id == persona) {
        bail!(
            "unknown demo persona {persona:?}: choose priya (tech lead), marcus (manager) or omar (oncall lead)"
        );
    }
    let home = demo::home(&ctx.data_dir());
    let opened = open(&home, asked.reset, now)?;
    use std::io::IsTerminal;
    if !asked.print && std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        writeln!(ctx.err, "{}", opened.said)?;
        crate::tui::run(crate::tui::Options {
            db: opened.db.clone(),
            actor: crate::model::Actor::local(persona),
            clock: ctx.clock,
            personas: demo::PERSONAS
                .iter()
                .map(|(id, _)| id.to_string())
                .collect(),
            sources: Vec::new(),
            net: ctx.net.clone(),
            sync_refused: None,
            resident: None,
        })?;
        writeln!(ctx.err, "{}", afterwards(ctx, &opened.db))?;
        return Ok(ExitCode::SUCCESS);
    }
    print(ctx, &opened, &persona, now)
}

/// Reopens the demo in `home`, or installs it there when there is none (or
/// when `reset`, saying what is discarded).
fn open(home: &Path, reset: bool, now: Time) -> Result<Opened> {
    let existing = match demo::existing(home) {
        Ok(found) => found,
        Err(e) if reset => {
            tracing::warn!("discarding an unreadable demo: {e:#}");
            None
        }
        Err(e) => {
            return Err(e.context("`steward demo --reset` replaces it with a fresh one"));
        }
    };
    let said = match existing {
        Some(found) if !reset => {
            return Ok(Opened {
                said: reopened(home, &found, now),
                org_dir: found.org_dir,
                db: found.db,
            });
        }
        Some(found) => discarded(home, &found.work),
        None if reset && home.exists() => format!(
            "discarded the unreadable demo in {}; installed a fresh one",
            home.display()
        ),
        None => format!("installed the demo in {}", home.display()),
    };
    let installed = demo::install(home, now)?;
    Ok(Opened {
        org_dir: installed.org_dir,
        db: installed.db,
        said,
    })
}

fn discarded(home: &Path, work: &Work) -> String {
    let what = if work.is_empty() {
        "nothing had been decided in it".to_string()
    } else {
        format!("discarded {}", work.describe())
    };
    format!(
        "reset the demo in {}: {what}; installed a fresh one",
        home.display()
    )
}

fn reopened(home: &Path, found: &Existing, now: Time) -> String {
    let since = match found.installed_at {
        Some(at) => {
            let days = (now - at).num_days();
            let ago = match days {
                0 => "today".to_string(),
                1 => "yesterday".to_string(),
                d => format!("{d} days ago"),
            };
            let moved = if days >= 1 {
                ", so its shifts and trainings have moved on since"
            } else {
                ""
            };
            format!(" (installed {ago}{moved})")
        }
        None => String::new(),
    };
    format!(
        "reopened the demo in {}{since}: {}; `steward demo --reset` starts afresh",
        home.display(),
        found.work.describe()
    )
}

/// What to say when the console closes: the demo stays, and how the plain
/// commands reach it.
fn afterwards(ctx: &Ctx, db: &Path) -> String {
    let commands = if ctx.demo_cache().as_deref() == Some(db) {
        "`steward suggest --as priya` and the other commands use it too".to_string()
    } else {
        format!(
            "the other commands reach it with --db: `steward --db {} suggest --as priya`",
            db.display()
        )
    };
    format!(
        "the demo keeps what you did: `steward demo` reopens it, `steward demo --reset` starts afresh; {commands}"
    )
}

/// `demo --print`: what each owner should look at (what is still undecided).
fn print(ctx: &mut Ctx, opened: &Opened, persona: &str, now: Time) -> Result<ExitCode> {
    let store = Store::open_existing(&opened.db)?;
    let snap = Snapshot::new(store.load_org()?);
    let decisions = store.decisions()?;
    writeln!(
        ctx.out,
        "{}\ndemo organization: {} people, {} areas, {} grants\n  org:   {}\n  cache: {}\n  now:   {}\n",
        opened.said,
        snap.org.people.len(),
        snap.org.areas.len(),
        snap.org.grants.len(),
        opened.org_dir.display(),
        opened.db.display(),
        now.to_rfc3339()
    )?;
    let mut personas: Vec<&(&str, &str)> = demo::PERSONAS.iter().collect();
    personas.sort_by_key(|(id, _)| *id != persona);
    for (id, role) in personas {
        let scope = Scope::of(&snap, id, now);
        let all = policy::suggestions(&snap, &scope, now);
        let before = all.len();
        let list = policy::undecided(all, &decisions, now);
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
        let decided = before - list.len();
        let decided = match decided {
            0 => String::new(),
            n => format!(" ({n} already decided: `steward suggest --as {id} --all` shows them)"),
        };
        if list.is_empty() {
            writeln!(ctx.out, "nothing to decide{decided}\n")?;
        } else {
            writeln!(ctx.out, "{}{decided}\n", suggestion_table(&list))?;
        }
    }
    let prefix = if ctx.demo_cache().as_deref() == Some(opened.db.as_path()) {
        "steward".to_string()
    } else {
        format!("steward --db {}", opened.db.display())
    };
    writeln!(
        ctx.out,
        "Try: {prefix} suggest --as omar\n     {prefix} why PERSON ENTITLEMENT\n     {prefix} decide accept PERSON ENTITLEMENT --as priya\n     steward demo          (the console; it keeps what you decide)"
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The demo's cache, when the plain commands use it: locally, with no
/// `--db`, no steward.toml, and no cache of one's own in the data
/// directory, once `steward demo` installed the demo there.
pub fn reached_cache(global: &Global, data_dir: &Path, has_config: bool) -> Option<PathBuf> {
    if global.db.is_some() || has_config || data_dir.join("steward.db").exists() {
        return None;
    }
    let db = demo::db(&demo::home(data_dir));
    db.exists().then_some(db)
}

/// One line on stderr when a command works on the demo because nothing
/// else is set up.
pub fn note_reached(ctx: &mut Ctx) -> Result<()> {
    if let Some(db) = ctx.demo_cache() {
        writeln!(
            ctx.err,
            "using the demo ({}): there is no steward.toml and no cache of your own yet",
            db.display()
        )?;
    }
    Ok(())
}

/// Why there is no cache at `db`, and what creates one, for the situation
/// the command is in.
pub fn no_cache_advice(ctx: &Ctx, db: &Path) -> String {
    let at = format!("no cache at {}", db.display());
    let Some(global) = local_global(ctx) else {
        return format!("{at}: the server has not synced yet");
    };
    if global.db.is_some() {
        return format!(
            "{at} (given by --db or STEWARD_DB): check the path, or create it with `steward --db {} sync --org DIR`",
            db.display()
        );
    }
    let config = ctx.config_path();
    let demo_db = demo::db(&demo::home(&ctx.data_dir()));
    let demo = if demo_db.exists() {
        format!(
            "; the demo is at {0}: `steward --db {0} COMMAND` works on it",
            demo_db.display()
        )
    } else {
        String::new()
    };
    match ctx.configured_sources() {
        Ok(sources) if !sources.is_empty() => format!(
            "{at} yet: `steward sync` pulls the {} source(s) configured in {}{demo}",
            sources.len(),
            config.display()
        ),
        _ if ctx.config.is_some() => format!(
            "{at} yet: `steward sync --org DIR` reads your org directory ({} configures no [[source]]){demo}",
            config.display()
        ),
        _ => format!(
            "{at} yet: `steward demo` installs the bundled demo organization, which the commands then use; `steward sync --org DIR` reads your own"
        ),
    }
}

fn local_global<'a>(ctx: &'a Ctx) -> Option<&'a Global> {
    match &ctx.edge {
        super::Edge::Local { global, .. } => Some(global),
        super::Edge::Served(_) => None,
    }
}
