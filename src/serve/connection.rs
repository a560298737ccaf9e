//! One SSH connection: who it is (decided once, when the SSH layer has
//! verified the key's or certificate's signature) and the requests it may
//! make. Each session channel is then run by [`super::channel`] with that
//! identity; the SSH user name is ignored.

use super::channel;
use super::identity::Identity;
use super::shared::Shared;
use russh::keys::ssh_key::{Certificate, HashAlg};
use russh::server::{Auth, ChannelOpenHandle, Handler, Msg, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, Pty};
use std::net::SocketAddr;
use std::sync::Arc;

pub struct Connection {
    shared: Arc<Shared>,
    peer: Option<SocketAddr>,
    /// Set when a key or certificate was verified; the session's channels
    /// run as this identity and no other.
    identity: Option<Verified>,
}

#[derive(Clone)]
struct Verified {
    /// The fingerprint of the key whose signature was verified.
    fingerprint: String,
    identity: Identity,
}

impl Connection {
    pub fn new(shared: Arc<Shared>, peer: Option<SocketAddr>) -> Connection {
        Connection {
            shared,
            peer,
            identity: None,
        }
    }

    fn remember(&mut self, fingerprint: String, identity: Identity) -> Auth {
        match &identity {
            Identity::Person(actor) => {
                tracing::info!(
                    "{:?}: {} logged in ({fingerprint})",
                    self.peer,
                    actor.person
                )
            }
            Identity::Refused(why) => tracing::info!("{:?}: refused: {why}", self.peer),
        }
        // A refused key is let in only to be told why, on its first
        // request; it reaches nothing else.
        self.identity = Some(Verified {
            fingerprint,
            identity,
        });
        Auth::Accept
    }
}

impl Handler for Connection {
    type Error = russh::Error;

    async fn auth_publickey(
        &mut self,
        _user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let key = key.public_key.clone();
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let shared = self.shared.clone();
        let identity =
            tokio::task::spawn_blocking(move || shared.gatekeeper.by_key(&key, &shared.roster))
                .await
                .unwrap_or_else(|e| Identity::Refused(format!("steward: login failed ({e})")));
        Ok(self.remember(fingerprint, identity))
    }

    async fn auth_openssh_certificate(
        &mut self,
        _user: &str,
        certificate: &Certificate,
    ) -> Result<Auth, Self::Error> {
        let cert = certificate.clone();
        let fingerprint = cert.public_key().fingerprint(HashAlg::Sha256).to_string();
        let shared = self.shared.clone();
        let identity = tokio::task::spawn_blocking(move || {
            // Validity is a matter of the real clock, as for the SSH layer
            // (which refuses an expired certificate before this is asked):
            // `steward serve --now` fixes the organization's time, not
            // which credentials are good today.
            let now = chrono::Utc::now();
            shared.gatekeeper.by_certificate(&cert, now, &shared.roster)
        })
        .await
        .unwrap_or_else(|e| Identity::Refused(format!("steward: login failed ({e})")));
        Ok(self.remember(fingerprint, identity))
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(verified) = self.identity.clone() else {
            // Not authenticated: the SSH layer does not let this happen;
            // dropping the reply refuses the channel.
            return Ok(());
        };
        // The identity is the one decided for the verified key: check
        // that it names that key, as it must.
        if let Identity::Person(actor) = &verified.identity
            && !super::names_key(actor, &verified.fingerprint)
        {
            tracing::error!("identity and key differ for {:?}", self.peer);
            return Ok(());
        }
        reply.accept().await;
        let shared = self.shared.clone();
        tokio::spawn(channel::run(channel, verified.identity, shared));
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn window_change_request(
        &mut self,
        _channel: ChannelId,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        Ok(())
    }

    /// The client's environment is not the server's business: `LANG`,
    /// `STEWARD_NOW` and the rest are all declined.
    async fn env_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        _value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single_connection: bool,
        _x11_auth_protocol: &str,
        _x11_auth_cookie: &str,
        _x11_screen_number: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }
}
