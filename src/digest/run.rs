//! One digest run: compose each owner's digest from the cache, and print it,
//! or deliver it and record the delivery (with its audit entry). At most one
//! message per owner per run; a failed one is recorded and its items are
//! sent again by the next run.

use super::compose::{self, Digest, History, Inputs};
use super::render::{Format, held_back, render};
use super::{smtp, webhook};
use crate::config::{DigestConfig, DigestRoute};
use crate::model::Time;
use crate::net::{Net, NetError};
use crate::policy::{self, Scope, Snapshot};
use crate::store::Store;
use crate::store::reminders::{Delivery, DeliveryStatus, NewDelivery};
use anyhow::{Context, Result, bail};

#[derive(Debug, Clone)]
pub struct Options {
    /// Only these people; `None`: every owner.
    pub people: Option<Vec<String>>,
    pub since: Option<Time>,
    pub format: Format,
    pub send: bool,
    pub dry_run: bool,
}

/// A composed digest with its text.
#[derive(Debug, Clone)]
pub struct Composed {
    pub digest: Digest,
    pub subject: String,
    pub body: String,
}

/// What happened (or, in a dry run, would happen) to one digest.
#[derive(Debug, Clone)]
pub struct Sent {
    pub recipient: String,
    /// `email`, `webhook` or `none`.
    pub channel: String,
    /// The address, or the webhook's name.
    pub target: String,
    pub outcome: std::result::Result<(), DeliveryError>,
    /// 1 for a first try; more when earlier tries failed.
    pub attempt: i64,
    pub items: usize,
}

/// Why a digest was not (or, in a dry run, would not be) delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("no [digest] in the config: add [digest.smtp] or a [[digest.webhook]]")]
    NotConfigured,
    #[error("{0} has no email address on the roster")]
    NoAddress(String),
    #[error(
        "no channel for {0}: no [[digest.webhook]] names them (or \"*\") and there is no [digest.smtp]"
    )]
    NoChannel(String),
    #[error(transparent)]
    Mail(#[from] smtp::MailError),
    #[error(transparent)]
    Webhook(#[from] webhook::WebhookError),
    #[error(transparent)]
    Net(#[from] NetError),
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub composed: Vec<Composed>,
    /// Asked for, with nothing new: and why, when it is not just "nothing new".
    pub nothing_for: Vec<(String, Option<String>)>,
    pub sent: Vec<Sent>,
    /// Recipients whose earlier failed digests had nothing left to say.
    pub superseded: Vec<(String, usize)>,
}

impl Report {
    pub fn failed(&self) -> usize {
        self.sent.iter().filter(|s| s.outcome.is_err()).count()
    }
}

/// Where `recipient`'s digest goes: (channel, target, route).
fn route<'c>(
    cfg: Option<&'c DigestConfig>,
    snap: &Snapshot,
    recipient: &str,
) -> (
    String,
    String,
    std::result::Result<DigestRoute<'c>, DeliveryError>,
) {
    let none = |e| ("none".to_string(), "-".to_string(), Err(e));
    let Some(cfg) = cfg else {
        return none(DeliveryError::NotConfigured);
    };
    match cfg.route(recipient) {
        Some(DigestRoute::Email(s)) => {
            let email = snap
                .person(recipient)
                .map(|p| p.email.trim().to_string())
                .unwrap_or_default();
            if email.is_empty() {
                let e = DeliveryError::NoAddress(recipient.to_string());
                ("email".into(), "-".into(), Err(e))
            } else {
                ("email".into(), email, Ok(DigestRoute::Email(s)))
            }
        }
        Some(DigestRoute::Webhook(w)) => (
            "webhook".into(),
            w.name.clone(),
            Ok(DigestRoute::Webhook(w)),
        ),
        None => none(DeliveryError::NoChannel(recipient.to_string())),
    }
}

/// An exclusive lock on `CACHE.digest-lock`, or an error when another
/// `steward digest --send` holds it.
fn send_lock(db: &std::path::Path) -> Result<std::fs::File> {
    let mut name = db.as_os_str().to_owned();
    name.push(".digest-lock");
    let path = std::path::PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another `steward digest --send` is running on this cache ({}); nothing sent by this one",
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Composes the digests `opts` asks for and, with `send` or `dry_run`,
/// delivers (or previews) each one.
pub fn run(
    store: &mut Store,
    cfg: Option<&DigestConfig>,
    opts: &Options,
    net: &Net,
    now: Time,
) -> Result<Report> {
    let snap = Snapshot::new(store.load_org()?);
    let mut report = Report::default();
    let recipients = recipients(&snap, opts, now, &mut report)?;
    let sending = opts.send && !opts.dry_run;
    if sending && cfg.is_none() {
        bail!(
            "--send needs a [digest] section in the config ([digest.smtp] and/or [[digest.webhook]]; see README); --dry-run shows what would be sent"
        );
    }
    // One sending run at a time per cache: an overlapping cron run would
    // otherwise send the same digests twice. Released when the process ends.
    let _lock = if sending {
        Some(send_lock(store.path())?)
    } else {
        None
    };
    let all = policy::suggestions(&snap, &Scope::everything(&snap), now);
    if !opts.dry_run {
        store.note_seen(&all, now)?;
    }
    let decisions = store.decisions()?;
    let first_seen = store.first_seen()?;
    let deliveries = store.deliveries(None)?;
    let history = History::from_deliveries(&deliveries);
    let held_auto = store.held_back()?;
    let inputs = Inputs {
        held: &held_auto,
        snap: &snap,
        suggestions: &all,
        decisions: &decisions,
        first_seen: &first_seen,
        history: &history,
        now,
        since: opts.since,
    };
    let digests = compose::compose(&inputs, &recipients);
    let held: Vec<String> = store
        .standings()?
        .into_iter()
        .flat_map(|(_, s)| match s {
            crate::store::Standing::HeldBack { shrinks, .. } => shrinks,
            _ => Vec::new(),
        })
        .collect();
    for p in &recipients {
        if !digests.iter().any(|d| &d.recipient == p) {
            report.nothing_for.push((p.clone(), None));
            if sending && failed_unsent(&deliveries, p) {
                let n = store.supersede_failed(p, now)?;
                report.superseded.push((p.clone(), n));
            }
        }
    }
    for digest in digests {
        let body = render(&digest, &snap, opts.format) + &held_back(&held, opts.format);
        let subject = digest.subject();
        let composed = Composed {
            digest,
            subject,
            body,
        };
        if opts.send || opts.dry_run {
            let route = route(cfg, &snap, &composed.digest.recipient);
            let attempt = earlier_failures(&deliveries, &composed.digest.recipient) + 1;
            let sent = if opts.dry_run {
                preview(&composed, route, attempt)
            } else {
                deliver(store, &composed, route, net, now)?
            };
            report.sent.push(sent);
        }
        report.composed.push(composed);
    }
    Ok(report)
}

/// Whom to compose for: every owner, or the people asked for (those who
/// own nothing noted in `report`).
fn recipients(
    snap: &Snapshot,
    opts: &Options,
    now: Time,
    report: &mut Report,
) -> Result<Vec<String>> {
    let Some(list) = &opts.people else {
        return Ok(compose::owners(snap, now));
    };
    let mut out = Vec::new();
    for p in list {
        match snap.person(p) {
            None => bail!("unknown person {p:?} (not on the roster)"),
            Some(_) if Scope::of(snap, p, now).is_empty() => report.nothing_for.push((
                p.clone(),
                Some("they own no area and hold no delegation".into()),
            )),
            Some(_) => out.push(p.clone()),
        }
    }
    Ok(out)
}

/// Whether `recipient` has a failed digest with no success after it.
fn failed_unsent(deliveries: &[Delivery], recipient: &str) -> bool {
    deliveries.iter().any(|d| {
        d.recipient == recipient
            && d.status == DeliveryStatus::Failed
            && !deliveries.iter().any(|s| {
                s.recipient == recipient && s.status == DeliveryStatus::Sent && s.id > d.id
            })
    })
}

/// Failed deliveries to `recipient` since the last one that was sent.
fn earlier_failures(deliveries: &[Delivery], recipient: &str) -> i64 {
    deliveries
        .iter()
        .rev()
        .take_while(|x| !(x.recipient == recipient && x.status == DeliveryStatus::Sent))
        .filter(|x| x.recipient == recipient && x.status == DeliveryStatus::Failed)
        .count() as i64
}

type Route<'c> = (
    String,
    String,
    std::result::Result<DigestRoute<'c>, DeliveryError>,
);

/// A dry run: where it would go, and whether it could.
fn preview(composed: &Composed, (channel, target, route): Route<'_>, attempt: i64) -> Sent {
    Sent {
        recipient: composed.digest.recipient.clone(),
        channel,
        target,
        outcome: route.map(|_| ()),
        attempt,
        items: composed.digest.keys().len(),
    }
}

/// Sends one digest and records the delivery (sent or failed).
fn deliver(
    store: &mut Store,
    composed: &Composed,
    (channel, target, route): Route<'_>,
    net: &Net,
    now: Time,
) -> Result<Sent> {
    let d = &composed.digest;
    let keys = d.keys();
    let outcome = route.and_then(|r| match r {
        DigestRoute::Email(s) => Ok(smtp::send(s, &target, &composed.subject, &composed.body)?),
        DigestRoute::Webhook(w) => {
            let text = format!("*{}*\n\n{}", composed.subject, composed.body);
            Ok(net.block_on(webhook::post(&net.client(), w, &text))??)
        }
    });
    let rec = store.record_delivery(
        &NewDelivery {
            recipient: d.recipient.clone(),
            channel: channel.clone(),
            target: target.clone(),
            subject: composed.subject.clone(),
            error: outcome.as_ref().err().map(|e| e.to_string()),
            items: keys.clone(),
        },
        now,
    )?;
    Ok(Sent {
        recipient: d.recipient.clone(),
        channel,
        target,
        outcome,
        attempt: rec.attempt,
        items: keys.len(),
    })
}
