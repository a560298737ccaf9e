//! HTTP for every connector: one shared client, per-source headers, timeouts,
//! retries with exponential backoff and jitter on connection errors, timeouts
//! and 5xx, `429` honoured with `Retry-After`, and errors that name the
//! source, method, URL, status and a body excerpt — never a credential.
//!
//! A body is read at most `max_response_mb` (checked while it streams in),
//! so an answer that never ends stops there. A credential is sent over
//! plain `http://` only to a loopback address, and a redirect from https to
//! plain http elsewhere is not followed.

use crate::config::HttpSettings;
use crate::redaction::Redactor;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The one client a sync (or an apply) uses for every source.
pub fn client() -> reqwest::Client {
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        let downgrade = attempt.url().scheme() == "http"
            && !is_loopback(attempt.url())
            && attempt.previous().iter().any(|u| u.scheme() == "https");
        if downgrade {
            attempt.error("refusing a redirect from https to plain http")
        } else if attempt.previous().len() >= 10 {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(16)
        .tcp_nodelay(true)
        .redirect(redirects)
        .user_agent(concat!("steward/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Whether `url` names this machine (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let host = host.to_ascii_lowercase();
            host == "localhost" || host.ends_with(".localhost")
        }
    }
}

/// What went wrong talking to a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    pub source: String,
    pub method: String,
    /// The URL, with any user/password removed.
    pub url: String,
    pub status: Option<u16>,
    pub reason: String,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "source {}: {} {}: ", self.source, self.method, self.url)?;
        if let Some(s) = self.status {
            let canon = StatusCode::from_u16(s)
                .ok()
                .and_then(|c| c.canonical_reason())
                .unwrap_or("");
            write!(f, "HTTP {s} {canon}: ")?;
        }
        f.write_str(&self.reason)
    }
}

impl std::error::Error for FetchError {}

/// The URL as it may be shown: no user or password.
pub fn shown(url: &Url) -> String {
    let mut u = url.clone();
    if u.password().is_some() || !u.username().is_empty() {
        let _ = u.set_username("");
        let _ = u.set_password(None);
    }
    u.to_string()
}

/// The first 300 characters of a body, on one line.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.is_empty() {
        return "empty body".into();
    }
    let cut: String = one.chars().take(300).collect();
    if cut.len() < one.len() {
        format!("body: {cut}…")
    } else {
        format!("body: {cut}")
    }
}

/// A progress report for one source.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressEvent {
    pub source: String,
    pub pages: u64,
    pub items: u64,
    pub bytes: u64,
    pub elapsed: Duration,
    /// Set when the source has finished (`Some(Ok)`), or failed.
    pub done: Option<Result<(), SourceFailed>>,
    /// A retry or a wait, said in words.
    pub note: Option<String>,
}

impl ProgressEvent {
    pub fn rate(&self) -> f64 {
        self.items as f64 / self.elapsed.as_secs_f64().max(0.001)
    }
}

/// Why a source's sync ended without its data kept, as it is said to the
/// person (the connector's error, or the guard's refusal).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct SourceFailed {
    pub reason: String,
}

impl SourceFailed {
    pub fn new(reason: impl Into<String>) -> SourceFailed {
        SourceFailed {
            reason: reason.into(),
        }
    }
}

pub type ProgressSink = Arc<dyn Fn(&ProgressEvent) + Send + Sync>;

/// Counts pages and items of one source and reports them to a sink.
pub struct Progress {
    source: String,
    pages: AtomicU64,
    items: AtomicU64,
    bytes: AtomicU64,
    started: Instant,
    sink: Option<ProgressSink>,
}

impl Progress {
    pub fn new(source: &str, sink: Option<ProgressSink>) -> Progress {
        Progress {
            source: source.to_string(),
            pages: AtomicU64::new(0),
            items: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            started: Instant::now(),
            sink,
        }
    }

    fn event(&self, done: Option<Result<(), SourceFailed>>, note: Option<String>) -> ProgressEvent {
        ProgressEvent {
            source: self.source.clone(),
            pages: self.pages.load(Ordering::Relaxed),
            items: self.items.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            elapsed: self.started.elapsed(),
            done,
            note,
        }
    }

    /// One page of `items` items was read.
    pub fn page(&self, items: usize) {
        self.pages.fetch_add(1, Ordering::Relaxed);
        self.items.fetch_add(items as u64, Ordering::Relaxed);
        if let Some(s) = &self.sink {
            s(&self.event(None, None));
        }
    }

    fn bytes(&self, n: usize) {
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn note(&self, note: String) {
        if let Some(s) = &self.sink {
            s(&self.event(None, Some(note)));
        }
    }

    pub fn finish(&self, result: Result<(), SourceFailed>) -> ProgressEvent {
        let e = self.event(Some(result), None);
        if let Some(s) = &self.sink {
            s(&e);
        }
        e
    }

    pub fn snapshot(&self) -> ProgressEvent {
        self.event(None, None)
    }
}

/// How reading a response's body ended short.
enum BodyFailed {
    /// Larger than `max_response_mb`: refused, not retried.
    TooLarge(FetchError),
    /// The transfer broke off: retried.
    Broken(reqwest::Error),
}

/// A source's view of HTTP: its headers (credentials marked sensitive), its
/// settings, and its progress.
pub struct Fetcher {
    pub source: String,
    /// URLs never shown as they are (they carry a secret), with what to show.
    hidden: Vec<(String, String)>,
    client: reqwest::Client,
    headers: HeaderMap,
    pub settings: HttpSettings,
    pub progress: Arc<Progress>,
}

/// A response that was read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Fetcher {
    pub fn new(
        source: &str,
        client: reqwest::Client,
        settings: HttpSettings,
        progress: Arc<Progress>,
    ) -> Fetcher {
        Fetcher {
            source: source.to_string(),
            hidden: Vec::new(),
            client,
            headers: HeaderMap::new(),
            settings,
            progress,
        }
    }

    /// Adds a header sent with every request; `secret` ones are never shown.
    pub fn header(mut self, name: &'static str, value: &str, secret: bool) -> Fetcher {
        if let Ok(mut v) = HeaderValue::from_str(value) {
            v.set_sensitive(secret);
            self.headers.insert(HeaderName::from_static(name), v);
        }
        self
    }

    /// Shows `url` as `label` in every error and note (a feed URL from an
    /// environment variable may carry a secret).
    pub fn hide(mut self, url: &Url, label: &str) -> Fetcher {
        self.hidden.push((url.to_string(), label.to_string()));
        self
    }

    /// The URL as errors and notes show it.
    pub fn show(&self, url: &Url) -> String {
        let full = url.to_string();
        self.hidden
            .iter()
            .find(|(u, _)| *u == full)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| shown(url))
    }

    pub fn error(
        &self,
        method: &Method,
        url: &Url,
        status: Option<u16>,
        reason: String,
    ) -> FetchError {
        FetchError {
            source: self.source.clone(),
            method: method.to_string(),
            url: self.show(url),
            status,
            reason: self.redact(&reason),
        }
    }

    /// The credentials this fetcher sends: each secret header's value and the
    /// token in it (`Bearer TOKEN`, `Token token=TOKEN`), and each hidden
    /// URL's parts that carry its secret (password, query values, long path
    /// segments), longest first.
    fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        // Not the whole URL: any 8 characters of a secret are cut out
        // wherever they appear, and its host is no secret.
        for (full, _) in &self.hidden {
            let Ok(u) = Url::parse(full) else { continue };
            out.extend(u.password().map(str::to_string));
            out.extend(u.query_pairs().map(|(_, v)| v.into_owned()));
            out.extend(u.path_segments().into_iter().flatten().map(str::to_string));
        }
        out.retain(|s| s.len() >= 12);
        for v in self.headers.values().filter(|v| v.is_sensitive()) {
            let Ok(v) = v.to_str() else { continue };
            out.push(v.to_string());
            for part in v.split_whitespace() {
                let part = match part.split_once('=') {
                    Some((k, rest)) if k.chars().all(|c| c.is_ascii_alphabetic()) => rest,
                    _ => part,
                };
                let scheme = ["bearer", "token", "basic"]
                    .iter()
                    .any(|s| part.eq_ignore_ascii_case(s));
                if !part.is_empty() && !scheme {
                    out.push(part.to_string());
                }
            }
        }
        out.sort_by_key(|s| std::cmp::Reverse(s.len()));
        out
    }

    /// `text` with every credential this fetcher sends cut out, in every
    /// form a server may echo it (see [`Redactor`]): a server may echo the
    /// Authorization header back in an error body.
    pub fn redact(&self, text: &str) -> String {
        let secrets = self.secrets();
        Redactor::new(secrets.iter().map(String::as_str)).redact(text)
    }

    /// Refuses to send this source's credential over plain `http://` to a
    /// host that is not this machine.
    fn check_plain_http(&self, method: &Method, url: &Url) -> Result<(), FetchError> {
        let carries = self.headers.values().any(|v| v.is_sensitive())
            || self.hidden.iter().any(|(u, _)| u == url.as_str());
        if carries && url.scheme() == "http" && !is_loopback(url) {
            return Err(self.error(
                method,
                url,
                None,
                "refusing to send this source's credential over plain http:// to another machine: use https:// (plain http only to a loopback address)".into(),
            ));
        }
        Ok(())
    }

    /// [`excerpt`] of a body, its credentials cut out before it is
    /// shortened (only its start is looked at: a body may be large).
    pub fn excerpt(&self, body: &[u8]) -> String {
        let start = &body[..body.len().min(8 << 10)];
        let text = String::from_utf8_lossy(start);
        let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let head: String = one.chars().take(400).collect();
        let cut = excerpt(self.redact(&head).as_bytes());
        if head.len() < one.len() || start.len() < body.len() {
            format!("{}…", cut.trim_end_matches('…'))
        } else {
            cut
        }
    }

    /// A response's body, read whole but at most `max_response_mb`,
    /// checked while it streams in.
    async fn body(
        &self,
        mut resp: reqwest::Response,
        method: &Method,
        url: &Url,
    ) -> Result<Vec<u8>, BodyFailed> {
        let mb = self.settings.max_response_mb;
        let limit = mb.saturating_mul(1 << 20);
        let status = resp.status().as_u16();
        let too_big = || {
            BodyFailed::TooLarge(self.error(
                method,
                url,
                Some(status),
                format!("the response is larger than max_response_mb ({mb} MiB): refused"),
            ))
        };
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(too_big());
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if (body.len() + chunk.len()) as u64 > limit {
                        return Err(too_big());
                    }
                    self.progress.bytes(chunk.len());
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => return Err(BodyFailed::Broken(e)),
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .settings
            .backoff_ms
            .saturating_mul(1 << attempt.min(16));
        let base = base.min(30_000);
        let jitter = if base > 1 {
            rand::random_range(0..=base / 2)
        } else {
            0
        };
        Duration::from_millis(base + jitter)
    }

    fn retry_after(&self, headers: &HeaderMap) -> Option<Duration> {
        let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
        let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
        Some(wait.to_std().unwrap_or(Duration::ZERO))
    }

    /// Sends a request, retrying what may be retried; any non-2xx answer in
    /// `accept` is returned instead of failing.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        body: Option<&serde_json::Value>,
        extra: &[(&'static str, String)],
        accept: &[StatusCode],
    ) -> Result<Reply, FetchError> {
        let timeout = Duration::from_secs(self.settings.timeout_secs);
        self.check_plain_http(&method, url)?;
        let mut attempt = 0u32;
        loop {
            let mut req = self
                .client
                .request(method.clone(), url.clone())
                .headers(self.headers.clone())
                .timeout(timeout);
            for (k, v) in extra {
                req = req.header(*k, v.as_str());
            }
            if let Some(b) = body {
                req = req.body(serde_json::to_vec(b).unwrap_or_default());
            }
            let failure: (Option<u16>, String, Option<Duration>) = match req.send().await {
                Err(e) => (None, describe(&e, timeout), None),
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    match self.body(resp, &method, url).await {
                        Err(BodyFailed::TooLarge(e)) => return Err(e),
                        Err(BodyFailed::Broken(e)) => (
                            Some(status.as_u16()),
                            format!("reading the body failed: {}", describe(&e, timeout)),
                            None,
                        ),
                        Ok(bytes) => {
                            if status.is_success() || accept.contains(&status) {
                                return Ok(Reply {
                                    status,
                                    headers,
                                    body: bytes,
                                });
                            }
                            if status == StatusCode::TOO_MANY_REQUESTS {
                                let wait = self.retry_after(&headers);
                                if let Some(w) = wait
                                    && w > Duration::from_secs(self.settings.max_retry_after_secs)
                                {
                                    return Err(self.error(
                                        &method,
                                        url,
                                        Some(429),
                                        format!(
                                            "rate limited; Retry-After asks for {}s, more than max_retry_after_secs ({}s); {}",
                                            w.as_secs(),
                                            self.settings.max_retry_after_secs,
                                            self.excerpt(&bytes)
                                        ),
                                    ));
                                }
                                (
                                    Some(429),
                                    format!("rate limited; {}", self.excerpt(&bytes)),
                                    wait,
                                )
                            } else if status.is_server_error() {
                                (Some(status.as_u16()), self.excerpt(&bytes), None)
                            } else {
                                let hint = match status.as_u16() {
                                    401 | 403 => " (check the token named by token_env)",
                                    404 => " (check the source's url)",
                                    _ => "",
                                };
                                return Err(self.error(
                                    &method,
                                    url,
                                    Some(status.as_u16()),
                                    format!("{}{hint}", self.excerpt(&bytes)),
                                ));
                            }
                        }
                    }
                }
            };
            let (status, reason, wait) = failure;
            let reason = self.redact(&reason);
            if attempt >= self.settings.retries {
                let tries = attempt + 1;
                return Err(self.error(
                    &method,
                    url,
                    status,
                    format!(
                        "{reason} (gave up after {tries} attempt{})",
                        if tries == 1 { "" } else { "s" }
                    ),
                ));
            }
            let wait = wait.unwrap_or_else(|| self.backoff(attempt));
            self.progress.note(format!(
                "{} {}: {}{reason}; retry {} of {} in {:.1}s",
                method,
                self.show(url),
                status.map(|s| format!("HTTP {s}: ")).unwrap_or_default(),
                attempt + 1,
                self.settings.retries,
                wait.as_secs_f64()
            ));
            tracing::warn!(source = %self.source, url = %self.show(url), ?status, %reason, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// GETs `url` and returns its body.
    pub async fn get(&self, url: &Url) -> Result<Reply, FetchError> {
        self.send(Method::GET, url, None, &[], &[]).await
    }

    /// GETs `url` and parses its JSON body as `T`.
    pub async fn get_json<T: DeserializeOwned>(&self, url: &Url) -> Result<T, FetchError> {
        let reply = self.get(url).await?;
        self.parse(&Method::GET, url, &reply)
    }

    /// Parses a reply's JSON body, naming what is wrong where.
    pub fn parse<T: DeserializeOwned>(
        &self,
        method: &Method,
        url: &Url,
        reply: &Reply,
    ) -> Result<T, FetchError> {
        serde_json::from_slice(&reply.body).map_err(|e| {
            let what = if e.is_eof() {
                "the JSON ends early (truncated response)".to_string()
            } else if e.is_syntax() {
                "malformed JSON".to_string()
            } else {
                "unexpected JSON shape".to_string()
            };
            self.error(
                method,
                url,
                Some(reply.status.as_u16()),
                format!("{what}: {e}; {}", self.excerpt(&reply.body)),
            )
        })
    }
}

fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    let mut text = if e.is_timeout() {
        format!("timed out after {}s", timeout.as_secs())
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "request failed".to_string()
    };
    // The cause chain says what happened (refused, reset, DNS...). It never
    // holds headers, so no credential can leak through it.
    let mut source = std::error::Error::source(e);
    let mut last = String::new();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    if !last.is_empty() && !text.contains(&last) {
        text.push_str(": ");
        text.push_str(&last);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_and_urls_lose_their_credentials() {
        assert_eq!(excerpt(b"  "), "empty body");
        assert_eq!(excerpt(b"{\"a\":\n 1}"), "body: {\"a\": 1}");
        assert!(excerpt(&[b'x'; 1000]).ends_with('…'));
        let u = Url::parse("https://me:secret@x.test/a?b=1").unwrap();
        assert_eq!(shown(&u), "https://x.test/a?b=1");
    }

    #[test]
    fn loopback_is_this_machine_only() {
        for u in [
            "http://127.0.0.1:8080/x",
            "http://127.9.0.1/",
            "http://[::1]:9/",
            "http://localhost/",
            "http://LOCALHOST:1/",
            "http://a.localhost/",
        ] {
            assert!(is_loopback(&Url::parse(u).unwrap()), "{u}");
        }
        for u in [
            "http://10.0.0.1/",
            "http://example.test/",
            "http://localhost.example.test/",
            "http://[::2]/",
        ] {
            assert!(!is_loopback(&Url::parse(u).unwrap()), "{u}");
        }
    }

    #[tokio::test]
    async fn a_credential_never_goes_over_plain_http_to_another_machine() {
        let f = Fetcher::new(
            "idp",
            client(),
            HttpSettings::default(),
            Arc::new(Progress::new("idp", None)),
        )
        .header("authorization", "Bearer tok-9f8e7d6c-secret", true);
        let e = f
            .get(&Url::parse("http://idp.example.test/scim/v2/Users").unwrap())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("refusing to send this source's credential over plain http://"),
            "{e}"
        );
        assert!(!e.contains("9f8e7d6c"), "{e}");
        // Without a credential, plain http is the user's choice.
        let open = Fetcher::new(
            "cal",
            client(),
            HttpSettings {
                retries: 0,
                ..HttpSettings::default()
            },
            Arc::new(Progress::new("cal", None)),
        );
        let e = open
            .get(&Url::parse("http://127.0.0.1:9/feed.ics").unwrap())
            .await
            .unwrap_err()
            .to_string();
        assert!(!e.contains("refusing"), "{e}");
    }

    #[test]
    fn a_body_echoing_the_credentials_is_shown_without_them() {
        let f = Fetcher::new(
            "pd",
            client(),
            HttpSettings::default(),
            Arc::new(Progress::new("pd", None)),
        )
        .header("authorization", "Token token=tok-9f8e7d6c-secret", true)
        .header("accept", "application/json", false)
        .hide(
            &Url::parse("https://cal.test/ical/private-0a1b2c3d4e5f/basic.ics?k=feedkey-77aa66bb")
                .unwrap(),
            "feed of rotation ops",
        );
        let body = format!(
            "{{\"echo\": \"Token token=tok-9f8e7d6c-secret\", \"t\": \"tok-9f8e7d6c-secret\", \"pad\": \"{}\"}}",
            "x".repeat(270)
        );
        let shown = f.excerpt(body.as_bytes());
        assert!(!shown.contains("9f8e7d6c"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        assert!(shown.contains("application/json") || shown.contains("echo"));
        let e = f.error(
            &Method::GET,
            &Url::parse("http://x.test/users").unwrap(),
            Some(200),
            "invalid type: string \"tok-9f8e7d6c-secret\"".into(),
        );
        assert!(!e.to_string().contains("9f8e7d6c"), "{e}");
        let echoed =
            f.excerpt(b"no feed at /ical/private-0a1b2c3d4e5f/basic.ics?k=feedkey-77aa66bb");
        assert!(
            !echoed.contains("0a1b2c3d4e5f") && !echoed.contains("77aa66bb"),
            "{echoed}"
        );
        assert!(
            echoed.contains("basic.ics"),
            "short path segments stay: {echoed}"
        );
    }
}
