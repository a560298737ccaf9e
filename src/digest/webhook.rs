//! Delivery by webhook: `POST {"text": ...}` as JSON, which Slack,
//! Mattermost, Rocket.Chat and most chat tools accept. The URL usually
//! carries a secret, so errors name the webhook, never the URL.

use crate::config::WebhookConfig;
use std::time::Duration;

/// The JSON body sent: the text as Slack's message format requires it
/// (`&`, `<`, `>` escaped, so text from outside makes no mention and no
/// link; controls shown visibly).
pub fn payload(text: &str) -> serde_json::Value {
    serde_json::json!({ "text": crate::safe_text::slack(text) })
}

/// Why a webhook post failed: it names the webhook, never its URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook {name}: environment variable {var} (url_env) is not set")]
    UrlUnset { name: String, var: String },
    #[error("webhook {0}: no URL")]
    NoUrl(String),
    /// Not sent, or no answer: what reqwest says, without the URL.
    #[error("webhook {name}: {reason}")]
    Send { name: String, reason: String },
    /// Answered with a status other than 2xx (and up to 200 characters of body).
    #[error("webhook {name}: HTTP {status}{}", if body.is_empty() { String::new() } else { format!(": {body}") })]
    Status {
        name: String,
        status: u16,
        body: String,
    },
}

/// Posts one message; any status other than 2xx is a failure.
pub async fn post(
    client: &reqwest::Client,
    cfg: &WebhookConfig,
    text: &str,
) -> Result<(), WebhookError> {
    if cfg.url.is_empty() {
        return Err(match &cfg.url_from_env {
            Some(var) => WebhookError::UrlUnset {
                name: cfg.name.clone(),
                var: var.clone(),
            },
            None => WebhookError::NoUrl(cfg.name.clone()),
        });
    }
    let response = client
        .post(&cfg.url)
        .timeout(Duration::from_secs(cfg.timeout_secs))
        .json(&payload(text))
        .send()
        .await
        .map_err(|e| WebhookError::Send {
            name: cfg.name.clone(),
            reason: e.without_url().to_string(),
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    // Only the start of an error body is read (a server may send no end).
    let mut response = response;
    let mut bytes = Vec::new();
    while bytes.len() < 4096 {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let body = String::from_utf8_lossy(&bytes);
    let body: String = body.trim().chars().take(200).collect();
    Err(WebhookError::Status {
        name: cfg.name.clone(),
        status: status.as_u16(),
        body,
    })
}
