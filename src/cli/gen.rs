//! `steward gen`: a synthetic organization written as an org directory.

use super::Ctx;
use anyhow::Result;
use std::path::Path;
use std::process::ExitCode;

pub fn generate(ctx: &mut Ctx, people: usize, out: &Path, seed: u64) -> Result<ExitCode> {
    let now = ctx.now();
    // Grants are written as they are made: a million people hold ten
    // million, too many to keep.
    let mut grants = 0;
    let org = crate::sources::files::write::write_org_streaming(out, |sink| {
        let (org, made) = crate::r#gen::generate_with(people, seed, now, sink)?;
        grants = made;
        Ok(org)
    })?;
    writeln!(
        ctx.out,
        "wrote {} people, {} teams, {} rotations, {} areas, {} grants, {} rules to {}",
        org.people.len(),
        org.teams.len(),
        org.rotations.len(),
        org.areas.len(),
        grants,
        org.rules.len(),
        out.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
