//! How steward reaches upstream systems: one async runtime and one HTTP
//! client, built by a front end (the CLI, the console, the server) once and
//! lent to sync, apply and digest delivery.

use std::future::Future;
use std::sync::OnceLock;

/// The runtime and the HTTP client of one configuration.
pub struct Net {
    runtime: Runtime,
    client: OnceLock<reqwest::Client>,
}

enum Runtime {
    /// Started on first use, for a process that may never need it.
    Own(OnceLock<std::io::Result<tokio::runtime::Runtime>>),
    /// Someone else's (the server's): its futures run there.
    Borrowed(tokio::runtime::Handle),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error("cannot start the async runtime: {0}")]
    Runtime(String),
}

impl Net {
    /// A runtime and a client of its own, each built on first use.
    pub fn new() -> Net {
        Net {
            runtime: Runtime::Own(OnceLock::new()),
            client: OnceLock::new(),
        }
    }

    /// Another's runtime and client (a server's, shared by its sessions).
    /// [`Net::block_on`] must then be called from a blocking thread.
    pub fn borrowed(runtime: tokio::runtime::Handle, client: reqwest::Client) -> Net {
        Net {
            runtime: Runtime::Borrowed(runtime),
            client: OnceLock::from(client),
        }
    }

    /// The HTTP client (cheap to clone: clones share one connection pool).
    pub fn client(&self) -> reqwest::Client {
        self.client
            .get_or_init(crate::sources::http::client)
            .clone()
    }

    /// Runs a future to its end from synchronous code.
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, NetError> {
        match &self.runtime {
            Runtime::Borrowed(handle) => Ok(handle.block_on(future)),
            Runtime::Own(cell) => {
                let rt = cell.get_or_init(|| runtime("steward-net"));
                match rt {
                    Ok(rt) => Ok(rt.block_on(future)),
                    Err(e) => Err(NetError::Runtime(e.to_string())),
                }
            }
        }
    }
}

/// The one way steward builds an async runtime: a front end that needs one
/// for itself (the server for its sessions) builds it here and lends its
/// handle to [`Net::borrowed`], so a process has one runtime.
pub fn runtime(thread_name: &str) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(thread_name)
        .build()
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let runtime = match &self.runtime {
            Runtime::Own(cell) if cell.get().is_some() => "own, started",
            Runtime::Own(_) => "own, not started",
            Runtime::Borrowed(_) => "borrowed",
        };
        f.debug_struct("Net").field("runtime", &runtime).finish()
    }
}

impl Default for Net {
    fn default() -> Net {
        Net::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_futures_on_one_runtime_built_once() {
        let net = Net::new();
        let first = net.block_on(async { tokio::runtime::Handle::current().id() });
        let second = net.block_on(async { tokio::runtime::Handle::current().id() });
        assert_eq!(first.unwrap(), second.unwrap());
    }

    #[test]
    fn a_borrowed_runtime_runs_the_futures_of_a_blocking_thread() {
        let rt = runtime("test").unwrap();
        let id = rt.handle().id();
        let net = Net::borrowed(rt.handle().clone(), reqwest::Client::new());
        let ran = rt
            .spawn_blocking(move || net.block_on(async { tokio::runtime::Handle::current().id() }));
        let ran = rt.block_on(ran).unwrap();
        assert_eq!(ran.unwrap(), id);
    }
}
