//! The organisation's own receiver: every message as JSON, signed by the Standard Webhooks 1.0
//! scheme, so the receiver can tell it came from this server and was not replayed. The
//! `webhook-id` is the message's, the same on every attempt, so a receiver drops a repeat;
//! `webhook-signature` is `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`
//! under the secret's bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::email::SendError;
use crate::http::{checked_address, post_json};

/// The `[webhook]` settings.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    pub url: String,
    /// `whsec_` and base64 of 24 to 64 random bytes; better given as `RAPPORT_WEBHOOK_SECRET`.
    #[serde(default)]
    pub secret: Option<String>,
}

/// The secret never reaches a log, nor does the address's path.
impl std::fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("url", &crate::http::address_shown(&self.url))
            .field("secret", &self.secret.as_ref().map(|_| "(hidden)"))
            .finish()
    }
}

/// Settings that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("webhook.{field}: {message}")]
pub struct WebhookSettingsError {
    pub field: &'static str,
    pub message: String,
}

/// What the receiver is sent: the message, with its reader and an absolute link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WebhookMessage {
    pub id: i64,
    pub recipient: String,
    pub recipient_name: String,
    pub audience: &'static str,
    pub topic: &'static str,
    pub team: Option<String>,
    pub action: Option<i64>,
    pub subject: String,
    pub body: String,
    pub ask: String,
    pub link: String,
    #[serde(with = "time::serde::rfc3339")]
    pub composed_at: OffsetDateTime,
}

#[derive(Serialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    timestamp: OffsetDateTime,
    data: &'a WebhookMessage,
}

/// The receiver, and the key its posts are signed with.
#[derive(Clone)]
pub struct WebhookChannel {
    url: Url,
    /// Keyed once; each post signs with a copy.
    mac: Hmac<Sha256>,
    client: reqwest::Client,
}

impl std::fmt::Debug for WebhookChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookChannel").field("host", &self.url.host_str()).finish_non_exhaustive()
    }
}

impl WebhookChannel {
    pub fn new(
        settings: &WebhookSettings,
        client: reqwest::Client,
    ) -> Result<WebhookChannel, WebhookSettingsError> {
        let url = Url::parse(settings.url.trim())
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .and_then(|host| checked_address(&settings.url, &[host], "webhook").ok())
            .ok_or_else(|| WebhookSettingsError {
                field: "url",
                message: "expected an https:// address (plain http only to this machine)".into(),
            })?;
        let secret = settings.secret.as_deref().ok_or(WebhookSettingsError {
            field: "secret",
            message:
                "missing: give it as RAPPORT_WEBHOOK_SECRET (whsec_ and base64 of 24 to 64 random bytes)"
                    .into(),
        })?;
        Ok(WebhookChannel { url, mac: keyed(secret)?, client })
    }

    /// Posts `message`, signed at `now`.
    pub async fn send(&self, message: &WebhookMessage, now: OffsetDateTime) -> Result<(), SendError> {
        let envelope = Envelope { kind: "message.composed", timestamp: now, data: message };
        let body = serde_json::to_vec(&envelope).map_err(|error| SendError {
            permanent: true,
            message: format!("the message as JSON: {error}"),
        })?;
        let id = format!("rapport-message-{}", message.id);
        let timestamp = now.unix_timestamp().to_string();
        let signature = sign(&self.mac, &id, &timestamp, &body);
        let headers =
            [("webhook-id", id), ("webhook-timestamp", timestamp), ("webhook-signature", signature)];
        post_json(&self.client, &self.url, &headers, body).await
    }
}

/// The HMAC keyed with the bytes of a `whsec_…` secret.
fn keyed(secret: &str) -> Result<Hmac<Sha256>, WebhookSettingsError> {
    let refused = |message: String| WebhookSettingsError { field: "secret", message };
    let encoded = secret.trim();
    let encoded = encoded.strip_prefix("whsec_").unwrap_or(encoded);
    let key =
        STANDARD.decode(encoded).map_err(|error| refused(format!("expected whsec_ and base64: {error}")))?;
    if !(24..=64).contains(&key.len()) {
        return Err(refused(format!("expected 24 to 64 bytes of key, not {}", key.len())));
    }
    Hmac::new_from_slice(&key).map_err(|error| refused(error.to_string()))
}

/// `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`.
fn sign(keyed: &Hmac<Sha256>, id: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = keyed.clone();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_standard_webhooks_one() {
        // The specification's own example: its secret, id, timestamp, body and signature.
        let key = keyed("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_secret_must_be_base64_of_enough_bytes() {
        assert_eq!(
            keyed("whsec_c2hvcnQ=").map(drop).unwrap_err().to_string(),
            "webhook.secret: expected 24 to 64 bytes of key, not 5"
        );
        assert!(
            keyed("whsec_not base64!")
                .map(drop)
                .unwrap_err()
                .message
                .starts_with("expected whsec_ and base64")
        );
    }

    #[test]
    fn settings_never_show_the_secret_or_the_path() {
        let settings = WebhookSettings {
            url: "https://hooks.example.com/rapport/T0KEN".into(),
            secret: Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("T0KEN") && !shown.contains("MfKQ"), "{shown}");
    }
}
