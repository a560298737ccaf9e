//! Checkpoints on a schedule, for `steward serve`: one into a directory
//! whenever the log has grown by `every` entries, or `interval` has passed
//! since the last one and the log has grown at all; each optionally posted
//! to a webhook, so that copies live where the keeper of the cache cannot
//! reach them.
//!
//! The caller owns the timer and the clock: it calls
//! [`Checkpointer::checkpoint_if_due`] now and then (after writes, or every
//! minute) with the time now, and awaits [`Checkpointer::post`] with what
//! was written.

use super::{CheckpointError, Signed, Signer, sig_path, take, write};
use crate::config::AuditConfig;
use crate::model::Time;
use crate::store::Store;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The directory checkpoints are written into.
    pub dir: PathBuf,
    /// A checkpoint once the log has grown by this many entries.
    pub every: u64,
    /// A checkpoint once this long has passed since the last one (if the
    /// log grew meanwhile).
    pub interval: chrono::Duration,
    /// Also POST each checkpoint here.
    pub webhook: Option<Webhook>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Often carries a secret: never shown, never in an error.
    pub url: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &"(hidden)")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Schedule {
    /// The schedule `[audit]` configures (`None` without `checkpoint_dir`);
    /// an error when its webhook's variable is not set.
    pub fn from_config(cfg: &AuditConfig) -> Result<Option<Schedule>, CheckpointError> {
        let Some(dir) = &cfg.checkpoint_dir else {
            return Ok(None);
        };
        Ok(Some(Schedule {
            dir: dir.clone(),
            every: cfg.checkpoint_every,
            interval: chrono::Duration::seconds(
                i64::try_from(cfg.checkpoint_interval_secs).unwrap_or(i64::MAX / 1000),
            ),
            webhook: webhook(cfg)?,
        }))
    }
}

/// How long a webhook may take to answer.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(30);

/// The webhook `[audit]` configures, if any.
pub fn webhook(cfg: &AuditConfig) -> Result<Option<Webhook>, CheckpointError> {
    let Some(hook) = &cfg.checkpoint_webhook else {
        return Ok(None);
    };
    if let Some(problem) = hook.problem() {
        return Err(CheckpointError::Webhook(problem));
    }
    Ok(Some(Webhook {
        url: hook.url.clone(),
        timeout: WEBHOOK_TIMEOUT,
    }))
}

/// A checkpoint written into the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub signed: Signed,
    pub path: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Last {
    size: u64,
    at: Time,
}

pub struct Checkpointer {
    schedule: Schedule,
    signer: Signer,
    last: Option<Last>,
    /// When this schedule first looked: a log without a checkpoint yet
    /// counts its interval from then.
    started: Option<Time>,
}

/// The file name of the checkpoint at `size` entries.
pub fn file_name(size: u64) -> String {
    format!("checkpoint-{size:012}")
}

/// Every checkpoint in `dir` (a file with its `.sig` beside it), by name.
pub fn checkpoints_in(dir: &Path) -> Result<Vec<PathBuf>, CheckpointError> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| CheckpointError::io(dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| CheckpointError::io(dir, e))?.path();
        let is_sig = path.extension().is_some_and(|x| x == "sig");
        if path.is_file() && !is_sig && sig_path(&path).is_file() {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// The newest checkpoint this schedule wrote into `dir`: its size, and
/// when (the file's modification time).
fn last_in(dir: &Path) -> Result<Option<Last>, CheckpointError> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut last: Option<Last> = None;
    for path in checkpoints_in(dir)? {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let Some(size) = name
            .strip_prefix("checkpoint-")
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        let modified = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .map_err(|e| CheckpointError::io(&path, e))?;
        let at = Time::from(modified);
        if last.is_none_or(|l| size > l.size) {
            last = Some(Last { size, at });
        }
    }
    Ok(last)
}

impl Checkpointer {
    /// A schedule signing with the log's key kept in `key_dir` (served: the
    /// data directory), made there on first use. It goes on from the
    /// newest checkpoint already in the directory.
    pub fn new(schedule: Schedule, key_dir: &Path) -> Result<Checkpointer, CheckpointError> {
        let signer = Signer::open_or_create(key_dir)?;
        let last = last_in(&schedule.dir)?;
        Ok(Checkpointer {
            schedule,
            signer,
            last,
            started: None,
        })
    }

    /// Whether a log of `size` entries is due for a checkpoint at `now`.
    pub fn due(&self, size: u64, now: Time) -> bool {
        match self.last {
            _ if size == 0 => false,
            None => {
                size >= self.schedule.every.max(1)
                    || self
                        .started
                        .is_some_and(|at| now - at >= self.schedule.interval)
            }
            Some(last) if size <= last.size => false,
            Some(last) => {
                size - last.size >= self.schedule.every.max(1)
                    || now - last.at >= self.schedule.interval
            }
        }
    }

    /// Writes a checkpoint of the log in `store` into the directory if one
    /// is due at `now`; what it wrote.
    pub fn checkpoint_if_due(
        &mut self,
        store: &Store,
        now: Time,
    ) -> Result<Option<Written>, CheckpointError> {
        let size = store.audit_len().map_err(CheckpointError::Store)?;
        self.started.get_or_insert(now);
        if !self.due(size, now) {
            return Ok(None);
        }
        crate::paths::create_private_dir(&self.schedule.dir).map_err(|e| CheckpointError::Key {
            path: self.schedule.dir.clone(),
            reason: format!("{e:#}"),
        })?;
        let signed = take(store, &self.signer)?;
        let path = self.schedule.dir.join(file_name(signed.checkpoint.size));
        write(&signed, &path)?;
        self.last = Some(Last {
            size: signed.checkpoint.size,
            at: now,
        });
        Ok(Some(Written { signed, path }))
    }

    /// Posts `written` to the webhook with `client`, if one is configured.
    pub async fn post(
        &self,
        client: &reqwest::Client,
        written: &Written,
    ) -> Result<(), CheckpointError> {
        match &self.schedule.webhook {
            Some(hook) => post(client, hook, &written.signed).await,
            None => Ok(()),
        }
    }
}

/// The JSON posted: the checkpoint and its signature, whole and in parts,
/// with a `text` field that chat tools show.
pub fn payload(signed: &Signed) -> serde_json::Value {
    let c = &signed.checkpoint;
    serde_json::json!({
        "text": format!("steward audit checkpoint\n{}{}", signed.text, signed.signature),
        "origin": c.origin,
        "size": c.size,
        "head": c.head_base64(),
        "checkpoint": signed.text,
        "signature": signed.signature,
    })
}

/// POSTs `signed` to `hook`; anything but a 2xx answer is a failure. The
/// URL is never part of the error.
pub async fn post(
    client: &reqwest::Client,
    hook: &Webhook,
    signed: &Signed,
) -> Result<(), CheckpointError> {
    let response = client
        .post(&hook.url)
        .timeout(hook.timeout)
        .json(&payload(signed))
        .send()
        .await
        .map_err(|e| CheckpointError::Webhook(e.without_url().to_string()))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(CheckpointError::Webhook(format!(
            "HTTP {}",
            status.as_u16()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Actor;
    use std::io::{BufRead, BufReader, Read, Write};

    fn t(minutes: i64) -> Time {
        "2026-03-02T12:00:00Z".parse::<Time>().unwrap() + chrono::Duration::minutes(minutes)
    }

    fn decide(store: &mut Store, n: usize) {
        for i in 0..n {
            store
                .audit(
                    t(0),
                    &Actor::local("priya"),
                    "decide",
                    &serde_json::json!({ "n": i }),
                )
                .unwrap();
        }
    }

    fn schedule(dir: &Path, webhook: Option<Webhook>) -> Schedule {
        Schedule {
            dir: dir.join("checkpoints"),
            every: 3,
            interval: chrono::Duration::hours(1),
            webhook,
        }
    }

    #[test]
    fn a_checkpoint_is_written_after_every_n_entries_or_an_interval_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let mut cp = Checkpointer::new(schedule(dir.path(), None), dir.path()).unwrap();
        assert!(
            cp.checkpoint_if_due(&store, t(0)).unwrap().is_none(),
            "empty log"
        );
        decide(&mut store, 1);
        assert!(
            cp.checkpoint_if_due(&store, t(0)).unwrap().is_none(),
            "1 < 3 entries, no interval yet"
        );
        decide(&mut store, 2);
        let first = cp.checkpoint_if_due(&store, t(10)).unwrap().unwrap();
        assert_eq!(first.signed.checkpoint.size, 3);
        assert!(first.path.ends_with("checkpoint-000000000003"));
        decide(&mut store, 1);
        assert!(
            cp.checkpoint_if_due(&store, t(20)).unwrap().is_none(),
            "1 < 3 new, 10 min"
        );
        let by_time = cp.checkpoint_if_due(&store, t(71)).unwrap().unwrap();
        assert_eq!(by_time.signed.checkpoint.size, 4);
        assert!(
            cp.checkpoint_if_due(&store, t(200)).unwrap().is_none(),
            "no growth"
        );
        decide(&mut store, 3);
        let by_count = cp.checkpoint_if_due(&store, t(72)).unwrap().unwrap();
        assert_eq!(by_count.signed.checkpoint.size, 7);

        // A schedule started again goes on from the newest in the directory.
        let again = Checkpointer::new(schedule(dir.path(), None), dir.path()).unwrap();
        assert!(!again.due(9, t(73)));
        assert!(again.due(10, t(73)));

        // Each one holds for the log, which has grown past them.
        let files = checkpoints_in(&dir.path().join("checkpoints")).unwrap();
        assert_eq!(files.len(), 3);
        let log = super::super::Log::load(&store, dir.path()).unwrap();
        for f in &files {
            assert!(super::super::check_file(f, &log).is_ok(), "{}", f.display());
        }
    }

    /// A one-shot HTTP server on 127.0.0.1: answers `status` and hands back the body.
    fn one_request(status: u16) -> (String, std::thread::JoinHandle<String>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/hook/secret-token",
            listener.local_addr().unwrap()
        );
        let handle = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut stream = stream;
            write!(stream, "HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n").unwrap();
            String::from_utf8(body).unwrap()
        });
        (url, handle)
    }

    #[test]
    fn a_checkpoint_is_posted_to_the_webhook_and_a_refusal_hides_the_url() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        decide(&mut store, 3);
        let (url, server) = one_request(204);
        let hook = Webhook {
            url,
            timeout: Duration::from_secs(30),
        };
        let mut cp = Checkpointer::new(schedule(dir.path(), Some(hook)), dir.path()).unwrap();
        let written = cp.checkpoint_if_due(&store, t(0)).unwrap().unwrap();
        let rt = crate::net::runtime("test").unwrap();
        let client = reqwest::Client::new();
        rt.block_on(cp.post(&client, &written)).unwrap();
        let body: serde_json::Value = serde_json::from_str(&server.join().unwrap()).unwrap();
        assert_eq!(body["checkpoint"], written.signed.text);
        assert_eq!(body["signature"], written.signed.signature);
        assert_eq!(body["size"], 3);
        assert_eq!(
            std::fs::read_to_string(&written.path).unwrap(),
            written.signed.text
        );

        let (url, server) = one_request(500);
        let hook = Webhook {
            url,
            timeout: Duration::from_secs(30),
        };
        let err = rt
            .block_on(post(&client, &hook, &written.signed))
            .unwrap_err()
            .to_string();
        server.join().unwrap();
        assert!(err.contains("HTTP 500"), "{err}");
        assert!(!err.contains("secret-token"), "{err}");
    }
}
