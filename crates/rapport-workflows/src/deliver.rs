//! The delivery worker: claims what is due in the outbox, sends it by its channel, and marks it
//! sent, to be tried again later (exponential backoff with jitter), or given up with why. A
//! claim is a lease: a worker that dies mid-send loses nothing, since the delivery is taken over
//! when the lease runs out; what it may have sent carries the same id as the resend (the
//! email's Message-ID, the webhook's `webhook-id`), so the two are recognisable as one.

use std::hash::{BuildHasher, Hasher};

use std::time::Duration as StdDuration;

use rapport_core::{Channel, retry_after};
use rapport_messages::{
    ChatChannel, ChatPost, Email, EmailChannel, SendError, WebhookChannel, WebhookMessage, html_of, text_of,
};
use rapport_storage::{ClaimedDelivery, Store};
use time::{Duration, OffsetDateTime};
use tokio::task::JoinSet;

use crate::PlanError;
use crate::answer::{link_key, link_with};

/// How long a claimed delivery is a worker's before another may take it over, unless the
/// server's settings say otherwise.
pub const DEFAULT_LEASE: Duration = Duration::minutes(2);

/// Deliveries claimed at a time, and sent at once.
const BATCH: i64 = 64;

/// A message older than this when its turn comes is not sent: the news is stale.
const STALE_AFTER: Duration = Duration::days(2);

/// The channels this server delivers by, and how its links are written.
#[derive(Clone, Debug)]
pub struct Channels {
    pub email: Option<EmailChannel>,
    pub slack: Option<ChatChannel>,
    pub teams: Option<ChatChannel>,
    pub webhook: Option<WebhookChannel>,
    /// This server as its readers reach it, `https://rapport.example.com`: links are absolute.
    pub public_url: String,
    /// How long a delivery claimed is this worker's: longer than a channel takes to accept a
    /// batch, or another server on the same database may send it again.
    pub lease: Duration,
}

impl Default for Channels {
    fn default() -> Channels {
        Channels {
            email: None,
            slack: None,
            teams: None,
            webhook: None,
            public_url: String::new(),
            lease: DEFAULT_LEASE,
        }
    }
}

impl Channels {
    /// Whether messages can go by `channel`. Email is always offered: without a mail server,
    /// messages wait in the outbox and show in the reader's inbox on the server.
    pub fn offers(&self, channel: Channel) -> bool {
        match channel {
            Channel::Email => true,
            Channel::Slack => self.slack.is_some(),
            Channel::Teams => self.teams.is_some(),
            Channel::Webhook => self.webhook.is_some(),
        }
    }

    /// Whether any channel is set up to deliver by.
    pub fn delivering(&self) -> bool {
        self.email.is_some() || self.slack.is_some() || self.teams.is_some() || self.webhook.is_some()
    }

    pub(crate) fn chat(&self, channel: Channel) -> Option<&ChatChannel> {
        match channel {
            Channel::Slack => self.slack.as_ref(),
            Channel::Teams => self.teams.as_ref(),
            _ => None,
        }
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

/// Sends everything due, batch after batch, until nothing is due. The clock is read for each
/// batch: a long pass must not claim with an old time, or its leases would have run out before
/// they were taken, and another server could send the same again.
pub async fn deliver_due(
    store: &Store,
    channels: &Channels,
    clock: impl Fn() -> OffsetDateTime,
) -> Result<DeliveryReport, PlanError> {
    let mut report = DeliveryReport::default();
    let key = link_key(store).await?;
    loop {
        let now = clock();
        let claimed = store.claim_deliveries(now, channels.lease, BATCH).await?;
        if claimed.is_empty() {
            return Ok(report);
        }
        let mut sending = JoinSet::new();
        for delivery in claimed {
            match outgoing(&key, channels, &delivery, now)? {
                Ok(outgoing) => {
                    sending.spawn(async move { (delivery, outgoing.send(now).await) });
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
                    store.delivery_sent(delivery.id, clock()).await?;
                    report.sent += 1;
                }
                Err(error) => {
                    let retry = retry_at(&delivery, &error, clock());
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

/// One delivery, ready to go by its channel.
enum Outgoing {
    Email(EmailChannel, Email),
    Chat(ChatChannel, String, ChatPost),
    /// Boxed: a keyed HMAC and the whole message are large beside the others.
    Webhook(Box<(WebhookChannel, WebhookMessage)>),
}

impl Outgoing {
    async fn send(self, now: OffsetDateTime) -> Result<(), SendError> {
        match self {
            Outgoing::Email(channel, email) => channel.send(&email).await,
            Outgoing::Chat(channel, address, post) => channel.send(&address, &post).await,
            Outgoing::Webhook(webhook) => webhook.0.send(&webhook.1, now).await,
        }
    }
}

/// What to send for `delivery`, and by which channel; or why it is not sent at all.
fn outgoing(
    key: &str,
    channels: &Channels,
    delivery: &ClaimedDelivery,
    now: OffsetDateTime,
) -> Result<Result<Outgoing, String>, PlanError> {
    let stored = &delivery.message;
    let age = now - stored.composed_at;
    if age > STALE_AFTER {
        return Ok(Err(format!("composed {} days ago: too old to send", age.whole_days())));
    }
    let Some(channel) = Channel::parse(&delivery.channel) else {
        return Ok(Err(format!("no channel {:?}", delivery.channel)));
    };
    let message = &stored.message;
    // A message on an action, or a nudge, answers from its signed link; any other opens its page.
    let path = if message.answerable() {
        link_with(key, stored.id, stored.composed_at)?
    } else {
        message.link.clone()
    };
    let link = format!("{}{path}", channels.public_url.trim_end_matches('/'));
    let not_set_up = |section: &str| {
        Ok(Err(format!("{} is not set up ([{section}] in the server's settings)", channel.as_str())))
    };
    let ready = match channel {
        Channel::Email => {
            let Some(email) = &channels.email else { return not_set_up("smtp") };
            Outgoing::Email(
                email.clone(),
                Email {
                    message_id: format!("<rapport-message-{}@{}>", stored.id, channels.id_domain()),
                    to_name: message.recipient_name.clone(),
                    to_address: message.recipient.clone(),
                    subject: message.subject.clone(),
                    text: text_of(&message.body, &message.ask, &link),
                    html: html_of(&message.body, &message.ask, &link),
                },
            )
        }
        Channel::Slack | Channel::Teams => {
            let Some(chat) = channels.chat(channel) else { return not_set_up(channel.as_str()) };
            let Some(address) = delivery.address.clone() else {
                return Ok(Err(format!("{} gave no {} webhook", message.recipient, chat.service().name())));
            };
            let post = ChatPost {
                subject: message.subject.clone(),
                body: message.body.clone(),
                ask: message.ask.clone(),
                link,
            };
            Outgoing::Chat(chat.clone(), address, post)
        }
        Channel::Webhook => {
            let Some(webhook) = &channels.webhook else { return not_set_up("webhook") };
            Outgoing::Webhook(Box::new((
                webhook.clone(),
                WebhookMessage {
                    id: stored.id,
                    recipient: message.recipient.clone(),
                    recipient_name: message.recipient_name.clone(),
                    audience: message.audience.as_str(),
                    topic: message.topic.as_str(),
                    team: message.team.clone(),
                    action: message.action,
                    subject: message.subject.clone(),
                    body: message.body.clone(),
                    ask: message.ask.clone(),
                    link,
                    composed_at: stored.composed_at,
                },
            )))
        }
    };
    Ok(Ok(ready))
}

/// The HTTP client webhooks are posted with: rustls, timeouts, no redirects (a webhook that
/// moves is refused, not followed somewhere else), and Rapport's name.
pub fn webhook_client() -> Result<reqwest::Client, reqwest::Error> {
    crate::fetch::use_ring_for_tls();
    reqwest::Client::builder()
        .user_agent(concat!("rapport/", env!("CARGO_PKG_VERSION"), " (+messages)"))
        .connect_timeout(StdDuration::from_secs(10))
        .timeout(StdDuration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_in_the_public_hosts_domain() {
        let channels = |url: &str| Channels { public_url: url.into(), ..Channels::default() };
        assert_eq!(channels("https://rapport.example.com/").id_domain(), "rapport.example.com");
        assert_eq!(channels("http://127.0.0.1:8080").id_domain(), "127.0.0.1");
        assert_eq!(channels("").id_domain(), "rapport.invalid");
    }
}
