//! The listening server: its settings, what every connection shares, and
//! the accept loop.

use super::connection::Connection;
use super::host_key::{self, HostKey};
use super::identity::Gatekeeper;
use super::keys_file::KeysFile;
use super::sessions::Sessions;
use super::shared::{Shared, StoreRoster};
use crate::config::serve::ServeConfig;
use crate::config::{self, Config};
use crate::store::Store;
use crate::time::Clock;
use anyhow::{Context, Result};
use russh::MethodKind;
use russh::keys::ssh_key::PublicKey;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What `steward serve` was told on its command line.
pub struct Options {
    pub listen: Option<SocketAddr>,
    pub config_path: PathBuf,
    pub data_dir: PathBuf,
    /// The store: `steward.db` in the data directory unless `--db` says.
    pub db: PathBuf,
    /// The server's clock: the system's, or fixed by `steward serve --now`.
    pub clock: Clock,
}

/// Reads `[serve]` (defaults when there is no config file).
fn settings(config: Option<&Config>) -> Result<ServeConfig> {
    match config {
        None => Ok(ServeConfig::default()),
        Some(c) => c.serve().map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            anyhow::anyhow!("{}", lines.join("\n"))
        }),
    }
}

fn user_cas(settings: &ServeConfig) -> Result<Vec<PublicKey>> {
    settings
        .user_ca
        .iter()
        .map(|line| {
            PublicKey::from_openssh(line).with_context(|| format!("[serve] user_ca {line:?}"))
        })
        .collect()
}

fn ssh_config(host_key: HostKey, settings: &ServeConfig) -> russh::server::Config {
    russh::server::Config {
        keys: vec![host_key.key],
        methods: russh::MethodSet::from(&[MethodKind::PublicKey][..]),
        inactivity_timeout: Some(settings.idle_timeout),
        auth_rejection_time: Duration::from_millis(300),
        auth_rejection_time_initial: Some(Duration::ZERO),
        max_auth_attempts: 6,
        nodelay: true,
        ..Default::default()
    }
}

/// Runs the server until it is stopped (SIGINT, SIGTERM). Says where it
/// listens and its host key's fingerprint on `out` first.
pub fn run(opts: Options, out: &mut dyn Write) -> Result<()> {
    let config = config::load(&opts.config_path)?.map(Arc::new);
    let settings = settings(config.as_deref())?;
    let listen = opts.listen.unwrap_or(settings.listen);
    let host_key = host_key::load_or_create(&opts.data_dir)?;
    let db = opts.db.clone();
    drop(Store::open(&db)?);
    let gatekeeper = Gatekeeper::new(
        KeysFile::new(settings.keys.clone()),
        &user_cas(&settings)?,
        settings.admins.clone(),
    );
    let runtime = crate::net::runtime("steward-serve").context("cannot start the async runtime")?;
    let fingerprint = host_key.fingerprint();
    let made = if host_key.created { "made now" } else { "kept" };
    writeln!(
        out,
        "host key {fingerprint} ({made} in {})",
        host_key.path.display()
    )?;
    let ssh = Arc::new(ssh_config(host_key, &settings));
    runtime.block_on(async {
        let socket = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let bound = socket.local_addr()?;
        let shared = Arc::new(Shared {
            gatekeeper,
            roster: StoreRoster::new(db.clone()),
            clock: opts.clock,
            sessions: Sessions::new(settings.sessions_per_person),
            admins: settings.admins.clone(),
            live: super::live::Live::start(db.clone()),
            db,
            data_dir: opts.data_dir.clone(),
            config_path: opts.config_path.clone(),
            config,
            runtime: tokio::runtime::Handle::current(),
            http: crate::sources::http::client(),
            stall: settings.stall_timeout,
            resident: Arc::default(),
        });
        tokio::spawn(super::resident::keep(
            shared.resident.clone(),
            shared.db.clone(),
            shared.clock,
            shared.live.subscribe(),
        ));
        super::schedule::start(&shared, out)?;
        super::checkpoints::start(&shared, out)?;
        writeln!(out, "listening on {bound}")?;
        out.flush()?;
        tracing::info!("steward serve: listening on {bound}, host key {fingerprint}");
        serve(socket, shared, ssh).await
    })
}

/// A client must say it speaks SSH within this long after connecting.
const HELLO: Duration = Duration::from_secs(10);

/// Accepts connections until stopped; each runs on its own task, and one
/// that fails (malformed, hostile, silent) ends alone.
async fn serve(
    socket: tokio::net::TcpListener,
    shared: Arc<Shared>,
    ssh: Arc<russh::server::Config>,
) -> Result<()> {
    let stop = stopped();
    tokio::pin!(stop);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = socket.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, go on.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => {
                tracing::info!("steward serve: stopping");
                return Ok(());
            }
        };
        let _ = tcp.set_nodelay(true);
        let handler = Connection::new(shared.clone(), Some(peer));
        let config = ssh.clone();
        tokio::spawn(async move {
            let started =
                tokio::time::timeout(HELLO, russh::server::run_stream(config, tcp, handler)).await;
            match started {
                Ok(Ok(session)) => {
                    if let Err(e) = session.await {
                        tracing::debug!("{peer}: connection ended: {e}");
                    }
                }
                Ok(Err(e)) => tracing::debug!("{peer}: no SSH session: {e}"),
                Err(_) => tracing::debug!("{peer}: said nothing SSH within {HELLO:?}"),
            }
        });
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
