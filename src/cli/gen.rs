//! `steward gen`: a synthetic organization written as an org directory.

use super::Ctx;
use anyhow::Result;
use std::path::Path;
use std::process::ExitCode;

pub fn generate(ctx: &mut Ctx, people: usize, out: &Path, seed: u64) -> Result<ExitCode> {
    let org = crate::r#gen::generate(people, seed, ctx.now());
    crate::sources::files::write::write_org(&org, out)?;
    writeln!(
        ctx.out,
        "wrote {} people, {} teams, {} rotations, {} areas, {} grants, {} rules to {}",
        org.people.len(),
        org.teams.len(),
        org.rotations.len(),
        org.areas.len(),
        org.grants.len(),
        org.rules.len(),
        out.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
