//! Delivery by webhook: `POST {"text": ...}` as JSON, which Slack,
//! Mattermost, Rocket.Chat and most chat tools accept. The URL usually
//! carries a secret, so errors name the webhook, never the URL.

use crate::config::WebhookConfig;
use std::time::Duration;

/// The JSON body sent.
pub fn payload(text: &str) -> serde_json::Value {
    serde_json::json!({ "text": text })
}

/// Posts one message; any status other than 2xx is a failure.
pub async fn post(client: &reqwest::Client, cfg: &WebhookConfig, text: &str) -> Result<(), String> {
    if cfg.url.is_empty() {
        return Err(match &cfg.url_from_env {
            Some(var) => format!(
                "webhook {}: environment variable {var} (url_env) is not set",
                cfg.name
            ),
            None => format!("webhook {}: no URL", cfg.name),
        });
    }
    let response = client
        .post(&cfg.url)
        .timeout(Duration::from_secs(cfg.timeout_secs))
        .json(&payload(text))
        .send()
        .await
        .map_err(|e| format!("webhook {}: {}", cfg.name, e.without_url()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    let body: String = body.trim().chars().take(200).collect();
    Err(format!(
        "webhook {}: HTTP {}{}",
        cfg.name,
        status.as_u16(),
        if body.is_empty() {
            String::new()
        } else {
            format!(": {body}")
        }
    ))
}
