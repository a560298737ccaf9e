//! `steward serve`: starts the SSH server with this process's config,
//! data directory and clock (see `crate::serve`).

use super::Ctx;
use anyhow::{Result, bail};
use std::net::SocketAddr;
use std::process::ExitCode;

pub fn serve(ctx: &mut Ctx, listen: Option<SocketAddr>) -> Result<ExitCode> {
    if ctx.served_session().is_some() {
        bail!("serve is not available over SSH");
    }
    let opts = crate::serve::Options {
        listen,
        config_path: ctx.config_path(),
        data_dir: ctx.data_dir(),
        db: ctx.db_path(),
        clock: ctx.clock,
    };
    crate::serve::run(opts, ctx.out)?;
    Ok(ExitCode::SUCCESS)
}
