//! `steward audit`: list, verify or export the audit log.

use super::Ctx;
use super::args::AuditAction;
use super::output::table;
use anyhow::Result;
use std::process::ExitCode;

pub fn audit(ctx: &mut Ctx, action: Option<AuditAction>) -> Result<ExitCode> {
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
            writeln!(
                ctx.out,
                "{}",
                table(&["SEQ", "AT", "WHO", "WHAT", "DETAIL"], &rows)
            )?;
        }
        AuditAction::Verify => match store.verify_audit()? {
            Ok(n) => writeln!(ctx.out, "audit log intact: {n} entries verified")?,
            Err(b) => {
                writeln!(ctx.err, "audit log broken at entry {}: {}", b.seq, b.reason)?;
                return Ok(ExitCode::FAILURE);
            }
        },
        AuditAction::Export { jsonl: _ } => {
            for e in store.audit_entries(None)? {
                writeln!(ctx.out, "{}", serde_json::to_string(&e)?)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
