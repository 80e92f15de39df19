//! The delivery worker: claims what is due in the outbox, sends it by its channel, and marks it
//! sent, to be tried again later (exponential backoff with jitter), or given up with why. A
//! claim is a lease: a worker that dies mid-send loses nothing, since the delivery is taken over
//! when the lease runs out; the email it may have sent carries the same Message-ID as the
//! resend, so the two are recognisable as one.

use std::hash::{BuildHasher, Hasher};

use rapport_core::retry_after;
use rapport_messages::{Email, EmailChannel, SendError, html_of, text_of};
use rapport_storage::{ClaimedDelivery, Store};
use time::{Duration, OffsetDateTime};
use tokio::task::JoinSet;

use crate::PlanError;
use crate::answer::{link_key, link_with};

/// How long a claimed delivery is a worker's before another may take it over.
const LEASE: Duration = Duration::minutes(2);

/// Deliveries claimed at a time, and sent at once.
const BATCH: i64 = 64;

/// A message older than this when its turn comes is not sent: the news is stale.
const STALE_AFTER: Duration = Duration::days(2);

/// The channels this server delivers by, and how its links are written.
#[derive(Clone, Debug)]
pub struct Channels {
    pub email: Option<EmailChannel>,
    /// This server as its readers reach it, `https://rapport.example.com`: links are absolute.
    pub public_url: String,
}

impl Channels {
    pub fn any(&self) -> bool {
        self.email.is_some()
    }

    /// The domain of Message-IDs: the public address's host.
    fn id_domain(&self) -> &str {
        let rest = self.public_url.split_once("://").map_or(self.public_url.as_str(), |(_, rest)| rest);
        rest.split(['/', ':']).next().filter(|host| !host.is_empty()).unwrap_or("rapport.invalid")
    }
}

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: u64,
    pub retried: u64,
    pub given_up: u64,
}

/// Sends everything due, batch after batch, until nothing is due.
pub async fn deliver_due(
    store: &Store,
    channels: &Channels,
    now: OffsetDateTime,
) -> Result<DeliveryReport, PlanError> {
    let mut report = DeliveryReport::default();
    let key = link_key(store).await?;
    loop {
        let claimed = store.claim_deliveries(now, LEASE, BATCH).await?;
        if claimed.is_empty() {
            return Ok(report);
        }
        let mut sending = JoinSet::new();
        for delivery in claimed {
            match outgoing(&key, channels, &delivery, now)? {
                Ok((channel, email)) => {
                    sending.spawn(async move { (delivery, channel.send(&email).await) });
                }
                Err(reason) => {
                    store.delivery_failed(delivery.id, &reason, None).await?;
                    report.given_up += 1;
                }
            }
        }
        while let Some(done) = sending.join_next().await {
            let (delivery, sent) =
                done.map_err(|error| PlanError::Interrupted(format!("a delivery: {error}")))?;
            match sent {
                Ok(()) => {
                    store.delivery_sent(delivery.id, now).await?;
                    report.sent += 1;
                }
                Err(error) => {
                    let retry = retry_at(&delivery, &error, now);
                    store.delivery_failed(delivery.id, &error.message, retry).await?;
                    if retry.is_some() {
                        report.retried += 1;
                    } else {
                        report.given_up += 1;
                    }
                    tracing::warn!(delivery = delivery.id, attempts = delivery.attempts, %error, "a delivery failed");
                }
            }
        }
    }
}

/// When to try again: not after a permanent refusal, nor once the tries are used up.
fn retry_at(delivery: &ClaimedDelivery, error: &SendError, now: OffsetDateTime) -> Option<OffsetDateTime> {
    if error.permanent {
        return None;
    }
    let mut hasher = foldhash::fast::FixedState::with_seed(0x7261_7070).build_hasher();
    hasher.write_i64(delivery.id);
    hasher.write_u32(delivery.attempts);
    let jitter = (hasher.finish() % 1000) as f64 / 1000.0;
    retry_after(delivery.attempts, jitter).map(|wait| now + wait)
}

/// What to send for `delivery`, and by which channel; or why it is not sent at all.
fn outgoing(
    key: &str,
    channels: &Channels,
    delivery: &ClaimedDelivery,
    now: OffsetDateTime,
) -> Result<Result<(EmailChannel, Email), String>, PlanError> {
    let stored = &delivery.message;
    let age = now - stored.composed_at;
    if age > STALE_AFTER {
        return Ok(Err(format!("composed {} days ago: too old to send", age.whole_days())));
    }
    let channel = match (delivery.channel.as_str(), &channels.email) {
        ("email", Some(email)) => email.clone(),
        ("email", None) => {
            return Ok(Err("no mail server is set up ([smtp] in the server's settings)".into()));
        }
        (other, _) => return Ok(Err(format!("no channel {other:?}"))),
    };
    let message = &stored.message;
    // A message on an action answers from its signed link; any other opens its page.
    let path = match message.action {
        Some(_) => link_with(key, stored.id, stored.composed_at)?,
        None => message.link.clone(),
    };
    let link = format!("{}{path}", channels.public_url.trim_end_matches('/'));
    Ok(Ok((
        channel,
        Email {
            message_id: format!("<rapport-message-{}@{}>", stored.id, channels.id_domain()),
            to_name: message.recipient_name.clone(),
            to_address: message.recipient.clone(),
            subject: message.subject.clone(),
            text: text_of(&message.body, &message.ask, &link),
            html: html_of(&message.body, &message.ask, &link),
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_in_the_public_hosts_domain() {
        let channels = |url: &str| Channels { email: None, public_url: url.into() };
        assert_eq!(channels("https://rapport.example.com/").id_domain(), "rapport.example.com");
        assert_eq!(channels("http://127.0.0.1:8080").id_domain(), "127.0.0.1");
        assert_eq!(channels("").id_domain(), "rapport.invalid");
    }
}
