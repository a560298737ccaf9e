//! `steward serve`: one steward per organization, reached over SSH. This
//! is the SSH edge and nothing more: who a connection is (its key or
//! certificate, never a flag or the SSH user name), its sessions (the
//! console with a pty, or one CLI command), and the server's own schedule.
//! Below it run the same `cli` and `tui` as locally, with the actor, the
//! store, the configuration and the clock fixed by the server.

mod backend;
mod channel;
mod checkpoints;
mod connection;
mod console;
mod ending;
mod exec;
pub mod host_key;
pub mod identity;
pub mod input;
pub mod keys_file;
mod live;
mod output;
mod pty;
pub mod resident;
mod schedule;
mod server;
mod sessions;
mod shared;

pub use server::{Options, run};

use crate::model::{Actor, Via};

/// Whether `actor` was proven by the key with `fingerprint`.
fn names_key(actor: &Actor, fingerprint: &str) -> bool {
    match &actor.via {
        Via::Key { fingerprint: f } | Via::Certificate { fingerprint: f, .. } => f == fingerprint,
        Via::Local => false,
    }
}
