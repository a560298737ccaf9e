//! No subcommand: the console for the person steward acts as, or a welcome
//! that says what is missing.

use super::Ctx;
use crate::store::Store;
use anyhow::{Result, bail};
use std::process::ExitCode;

pub fn no_command(ctx: &mut Ctx) -> Result<ExitCode> {
    use std::io::IsTerminal;
    let db = ctx.db_path();
    let me = ctx.console_person();
    let tty = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    let on_demo = ctx.demo_cache().is_some();
    super::demo::note_reached(ctx)?;
    let problem = match (&me, db.exists()) {
        (_, false) => format!("no cache at {}", db.display()),
        (None, true) if on_demo => {
            "you have not said who you are (the demo is installed: steward demo reopens it, steward --as marcus opens it as marcus)"
                .to_string()
        }
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
                actor: crate::model::Actor::local(me.clone()),
                clock: ctx.clock,
                personas: match on_demo {
                    true => crate::demo::PERSONAS
                        .iter()
                        .map(|(id, _)| id.to_string())
                        .collect(),
                    false => Vec::new(),
                },
                sources: ctx.configured_sources()?,
                net: ctx.net.clone(),
                sync_refused: None,
                resident: None,
            })?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    if tty {
        return match crate::tui::welcome::run(&problem)? {
            crate::tui::welcome::Choice::Demo => super::demo::demo(
                ctx,
                super::demo::Asked {
                    print: false,
                    reset: false,
                    persona: None,
                },
            ),
            crate::tui::welcome::Choice::Quit => Ok(ExitCode::SUCCESS),
        };
    }
    for line in crate::tui::welcome::text(&problem) {
        writeln!(ctx.out, "{line}")?;
    }
    writeln!(
        ctx.out,
        "  steward demo                   open the demo in the console"
    )?;
    writeln!(
        ctx.out,
        "  steward demo --print           print what each demo owner should look at"
    )?;
    writeln!(ctx.out, "  steward --help                 every command")?;
    Ok(ExitCode::SUCCESS)
}
