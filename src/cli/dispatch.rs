//! Which function runs each subcommand.

use super::Ctx;
use super::args::{Command, ConfigAction};
use super::{audit, console, decide, delegate, demo, digest, r#gen, plan, rules, secret};
use super::{reconcile, serve, suggest, sync};
use anyhow::Result;
use std::process::ExitCode;

pub fn run(ctx: &mut Ctx, command: Option<Command>) -> Result<ExitCode> {
    let Some(command) = command else {
        return console::no_command(ctx);
    };
    if reads_cache(&command) {
        demo::note_reached(ctx)?;
    }
    dispatch(ctx, command)
}

/// Runs one subcommand with what its arguments say.
fn dispatch(ctx: &mut Ctx, command: Command) -> Result<ExitCode> {
    match command {
        Command::Demo {
            print,
            reset,
            persona,
        } => demo::demo(
            ctx,
            demo::Asked {
                print,
                reset,
                persona,
            },
        ),
        Command::Sync {
            org,
            source,
            accept_shrink,
        } => sync::sync(ctx, org, &source, accept_shrink),
        Command::Config {
            action: ConfigAction::Check,
        } => sync::config_check(ctx),
        Command::Status { who } => {
            let person = ctx.optional_person(&who);
            sync::status(ctx, person.as_deref())
        }
        Command::Serve { listen } => serve::serve(ctx, listen),
        Command::Check(org) => suggest::check(ctx, &org),
        Command::Suggest {
            org,
            who,
            json,
            all,
        } => {
            let person = ctx.optional_person(&who);
            suggest::suggest(ctx, &org, person.as_deref(), json, all)
        }
        Command::Why {
            person,
            entitlement,
            org,
        } => suggest::why(ctx, &person, &entitlement, &org),
        Command::Rules { org, json } => rules::list(ctx, &org, json),
        Command::Rule { action } => rules::run(ctx, action),
        Command::Secret { action } => secret::run(ctx, action),
        Command::Decide {
            verdict,
            person,
            entitlement,
            who,
            reason,
            until,
        } => {
            let decider = ctx.actor(&who)?;
            let asked = decide::Asked {
                verdict,
                person: &person,
                entitlement: &entitlement,
                reason,
                until,
            };
            decide::decide(ctx, asked, &decider)
        }
        Command::Undo { id, who, reason } => {
            let actor = ctx.actor(&who)?;
            decide::undo(ctx, id, &actor, reason.as_deref())
        }
        Command::Plan { who, json } => {
            let person = ctx.optional_person(&who);
            plan::plan(ctx, person.as_deref(), json)
        }
        Command::Apply { who, dry_run } => {
            let actor = ctx.actor(&who)?;
            plan::apply(ctx, &actor, dry_run)
        }
        Command::Reconcile {
            dry_run,
            release,
            who,
        } => reconcile::reconcile(ctx, dry_run, release.as_deref(), &who),
        Command::Audit { action } => audit::audit(ctx, action),
        Command::Delegate {
            area,
            to,
            who,
            until,
        } => {
            let actor = ctx.actor(&who)?;
            delegate::delegate(ctx, &area, &to, &actor, until)
        }
        Command::Delegations { who } => {
            let person = ctx.optional_person(&who);
            delegate::delegations(ctx, person.as_deref())
        }
        Command::Undelegate { id, who } => {
            let actor = ctx.actor(&who)?;
            delegate::undelegate(ctx, id, &actor)
        }
        Command::Digest {
            who,
            all,
            since,
            format,
            send,
            dry_run,
        } => {
            let asked = digest::Asked {
                all,
                since,
                format,
                send,
                dry_run,
            };
            digest::digest(ctx, &who, asked)
        }
        Command::Gen { people, out, seed } => r#gen::generate(ctx, people, &out, seed),
    }
}

/// Whether the command works on the cache (rather than on an org
/// directory, the demo's installation, the keyring or the config alone).
fn reads_cache(command: &Command) -> bool {
    match command {
        Command::Demo { .. }
        | Command::Gen { .. }
        | Command::Secret { .. }
        | Command::Config { .. }
        | Command::Serve { .. } => false,
        Command::Sync { org, .. } => org.is_none(),
        Command::Check(org)
        | Command::Suggest { org, .. }
        | Command::Why { org, .. }
        | Command::Rules { org, .. } => org.org.is_none(),
        _ => true,
    }
}
