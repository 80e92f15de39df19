//! The messages composed from the event stream, and how far the composer has read it. A
//! batch of messages and the cursor past their events are written as one transaction, and a
//! message is unique per event and reader: composing the same events twice, or on two
//! servers at once, stores each message once.

use std::collections::HashMap;

use rapport_core::{
    Actor, Audience, Channel, Composed, EventFacts, EventKind, Readability, Rhythm, Route, Sent, Topic,
};
use sqlx::{QueryBuilder, Row};
use time::OffsetDateTime;

use crate::events::{NewEvent, append_event, begin_with_events};
use crate::{Store, StoreError, with_pool};

/// A message to store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMessage {
    /// The event it tells of; none for a digest.
    pub event: Option<i64>,
    /// The reader's email.
    pub recipient: String,
    pub recipient_name: String,
    pub audience: Audience,
    pub topic: Topic,
    pub team: Option<String>,
    pub action: Option<i64>,
    pub subject: String,
    pub body: String,
    pub ask: String,
    /// A path on this server.
    pub link: String,
    pub readability: Readability,
    /// Where noise control sent it.
    pub route: Route,
}

impl NewMessage {
    /// Whether its reader answers it from its page (and, sent, from its signed link): a
    /// message on an action, a campaign's nudge, or a monthly briefing.
    pub fn answerable(&self) -> bool {
        self.action.is_some() || matches!(self.topic, Topic::Nudge | Topic::Briefing)
    }
}

/// A stored message.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredMessage {
    pub id: i64,
    pub composed_at: OffsetDateTime,
    pub message: NewMessage,
    /// The digest it went out in.
    pub digest: Option<i64>,
}

/// Someone a team's win was told to: the win by its once-name, and the reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WinTold {
    pub once: String,
    pub recipient: String,
    pub recipient_name: String,
    pub audience: Audience,
}

/// How a person takes their messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessagePreference {
    pub rhythm: Rhythm,
    pub channel: Channel,
    /// Their own chat webhook, for a channel that needs one: a secret, never shown whole.
    pub address: Option<String>,
}

/// A template the security team replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTemplate {
    pub name: String,
    pub source: String,
    pub applied_at: OffsetDateTime,
    pub applied_by: String,
}

/// A message sent to someone lately, for the budget and for repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentLately {
    /// The reader's email, in lower case.
    pub recipient: String,
    pub action: Option<i64>,
    pub topic: Topic,
    pub subject: String,
    pub composed_at: OffsetDateTime,
    pub counted: bool,
}

/// Which messages to read: newest first, before the message `before` when given.
#[derive(Clone, Debug, Default)]
pub struct MessageFilter {
    /// Only this reader's (an email, any case).
    pub recipient: Option<String>,
    pub team: Option<String>,
    /// What the reader gets or will get: messages sent (or held) on their own, digests, and
    /// those waiting for a digest; not those dropped, nor those already inside a digest.
    pub received_only: bool,
    /// Only those in the digest with this id.
    pub digest: Option<i64>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// Messages one statement stores: 23 values each, well within SQLite's 32,766 and
/// PostgreSQL's 65,535.
const MESSAGE_ROWS: usize = 500;

const INSERT_MESSAGES: &str = "INSERT INTO messages (event, recipient, recipient_name, audience, topic, team, \
     action, composed_at, subject, body, ask, link, reading_ease, grade, words, sentences, longest_sentence, characters, \
     route, route_reason, send_at, counted, once_key) ";

/// Queues the messages to send now or later, each for the channel its reader chose (email when
/// they never chose), at the time it goes.
const QUEUE_SENT_MESSAGES: &str = "INSERT INTO deliveries (message, channel, state, attempts, next_attempt_at, created_at) \
     SELECT m.id, COALESCE(p.channel, 'email'), 'queued', 0, m.send_at, ";
const QUEUE_SENT_MESSAGES_FROM: &str =
    " FROM messages m LEFT JOIN message_preferences p ON p.email = m.recipient WHERE m.id IN (";

// Two composers may finish out of order: the cursor only moves forward.
const ADVANCE_CURSOR: &str = "UPDATE message_cursor SET after_event = CASE WHEN after_event < $1 THEN $1 ELSE after_event END WHERE id = 1";

/// The columns a stored message is read from (`message_from!`).
macro_rules! message_columns {
    () => {
        "SELECT id, event, recipient, recipient_name, audience, topic, team, action, composed_at, subject, body, ask, \
         link, reading_ease, grade, words, sentences, longest_sentence, characters, route, route_reason, send_at, \
         counted, digest FROM messages "
    };
}

const SELECT_MESSAGES: &str = concat!(
    message_columns!(),
    "WHERE ($1 IS NULL OR recipient = LOWER($1)) AND ($2 IS NULL OR LOWER(team) = LOWER($2)) \
     AND ($3 IS NULL OR id < $3) AND ($5 = FALSE OR route = 'send' OR (route = 'digest' AND digest IS NULL)) \
     AND ($6 IS NULL OR digest = $6) ORDER BY id DESC LIMIT $4"
);

const SELECT_MESSAGES_WITH_IDS: &str = concat!(message_columns!(), "WHERE id IN (");

const SELECT_SENT_LATELY: &str = "SELECT recipient, action, topic, subject, composed_at, counted FROM messages \
     WHERE ($1 IS NULL OR recipient = LOWER($1)) AND route = 'send' AND send_at > $2 ORDER BY id";

const SELECT_DUE_DIGEST_PARTS: &str = concat!(
    message_columns!(),
    "WHERE route = 'digest' AND digest IS NULL AND send_at <= $1 ORDER BY recipient, id"
);

/// Stores `$messages` in `$tx`, many rows a statement (one statement a message was most of
/// the time composing for thousands of readers took), each under the name `$once` when given,
/// and queues the ones routed to be sent; evaluates to the ids of those stored, none of those
/// stored before.
macro_rules! store_messages {
    ($tx:expr, $messages:expr, $now:expr, $once:expr) => {{
        let messages: &[NewMessage] = $messages;
        let once: Option<&str> = $once;
        let now: OffsetDateTime = $now;
        let mut stored = Vec::new();
        for chunk in messages.chunks(MESSAGE_ROWS) {
            let mut insert = QueryBuilder::new(INSERT_MESSAGES);
            insert.push_values(chunk, |mut row, message| {
                let (route, reason, at, counted) = route_parts(&message.route, now);
                row.push_bind(message.event)
                    .push_bind(message.recipient.to_lowercase())
                    .push_bind(&message.recipient_name)
                    .push_bind(message.audience.as_str())
                    .push_bind(message.topic.as_str())
                    .push_bind(&message.team)
                    .push_bind(message.action)
                    .push_bind(now)
                    .push_bind(&message.subject)
                    .push_bind(&message.body)
                    .push_bind(&message.ask)
                    .push_bind(&message.link)
                    .push_bind(message.readability.reading_ease)
                    .push_bind(message.readability.grade)
                    .push_bind(i64::from(message.readability.words))
                    .push_bind(i64::from(message.readability.sentences))
                    .push_bind(i64::from(message.readability.longest_sentence))
                    .push_bind(i64::from(message.readability.characters))
                    .push_bind(route)
                    .push_bind(reason)
                    .push_bind(at)
                    .push_bind(counted)
                    .push_bind(once);
            });
            insert.push(" ON CONFLICT DO NOTHING RETURNING id, route");
            let rows = insert.build().fetch_all(&mut *$tx).await?;
            let mut sending = Vec::new();
            for row in &rows {
                let id: i64 = row.try_get("id")?;
                if row.try_get::<String, _>("route")? == "send" {
                    sending.push(id);
                }
                stored.push(id);
            }
            if !sending.is_empty() {
                let mut queue = QueryBuilder::new(QUEUE_SENT_MESSAGES);
                queue.push_bind(now);
                queue.push(QUEUE_SENT_MESSAGES_FROM);
                let mut ids = queue.separated(", ");
                for id in sending {
                    ids.push_bind(id);
                }
                queue.push(") ON CONFLICT (message, channel) DO NOTHING");
                queue.build().execute(&mut *$tx).await?;
            }
        }
        stored
    }};
}

/// A route as stored: its word, its reason, when it goes, and whether it is counted.
fn route_parts(route: &Route, now: OffsetDateTime) -> (&'static str, Option<&str>, OffsetDateTime, bool) {
    match route {
        Route::Send { at, counted, reason } => ("send", reason.as_deref(), *at, *counted),
        Route::Digest { at, reason } => ("digest", Some(reason), *at, false),
        Route::Dropped { reason } => ("dropped", Some(reason), now, false),
    }
}

macro_rules! message_from {
    ($row:expr) => {{
        let row = $row;
        let audience: String = row.try_get("audience")?;
        let topic: String = row.try_get("topic")?;
        let words: i64 = row.try_get("words")?;
        let sentences: i64 = row.try_get("sentences")?;
        let longest: i64 = row.try_get("longest_sentence")?;
        let characters: i64 = row.try_get("characters")?;
        let route_word: String = row.try_get("route")?;
        let reason: Option<String> = row.try_get("route_reason")?;
        let at: OffsetDateTime = row.try_get("send_at")?;
        let route = match route_word.as_str() {
            "send" => Route::Send { at, counted: row.try_get("counted")?, reason },
            "digest" => Route::Digest { at, reason: reason.unwrap_or_default() },
            "dropped" => Route::Dropped { reason: reason.unwrap_or_default() },
            other => return Err(StoreError::Corrupt(format!("a message's route {other:?}"))),
        };
        Ok::<StoredMessage, StoreError>(StoredMessage {
            id: row.try_get("id")?,
            composed_at: row.try_get("composed_at")?,
            message: NewMessage {
                event: row.try_get("event")?,
                recipient: row.try_get("recipient")?,
                recipient_name: row.try_get("recipient_name")?,
                audience: Audience::parse(&audience)
                    .ok_or_else(|| StoreError::Corrupt(format!("a message's audience {audience:?}")))?,
                topic: Topic::parse(&topic)
                    .ok_or_else(|| StoreError::Corrupt(format!("a message's topic {topic:?}")))?,
                team: row.try_get("team")?,
                action: row.try_get("action")?,
                subject: row.try_get("subject")?,
                readability: Readability {
                    reading_ease: row.try_get("reading_ease")?,
                    grade: row.try_get("grade")?,
                    words: u32::try_from(words).unwrap_or(u32::MAX),
                    sentences: u32::try_from(sentences).unwrap_or(u32::MAX),
                    longest_sentence: u32::try_from(longest).unwrap_or(u32::MAX),
                    characters: u32::try_from(characters).unwrap_or(u32::MAX),
                },
                body: row.try_get("body")?,
                ask: row.try_get("ask")?,
                link: row.try_get("link")?,
                route,
            },
            digest: row.try_get("digest")?,
        })
    }};
}

impl Store {
    /// The last event the composer has read.
    pub async fn message_cursor(&self) -> Result<i64, StoreError> {
        let query = "SELECT after_event FROM message_cursor WHERE id = 1";
        with_pool!(self, pool => Ok(sqlx::query_scalar(query).fetch_one(pool).await?))
    }

    /// Stores `messages` and moves the cursor to `through_event`, as one transaction.
    /// Returns how many were new (a message already stored for its event and reader is kept
    /// as it was).
    pub async fn add_messages(
        &self,
        messages: &[NewMessage],
        through_event: i64,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let added = store_messages!(tx, messages, now, None).len() as u64;
            sqlx::query(ADVANCE_CURSOR).bind(through_event).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(added)
        })
    }

    /// Messages, newest first.
    pub async fn messages(&self, filter: &MessageFilter) -> Result<Vec<StoredMessage>, StoreError> {
        self.select_messages(filter).await
    }

    pub async fn message(&self, id: i64) -> Result<Option<StoredMessage>, StoreError> {
        Ok(self.messages_with_ids(&[id]).await?.pop())
    }

    /// The messages with these ids, in no set order; each read by its key, so that claiming
    /// a batch of deliveries reads their messages in one statement.
    pub(crate) async fn messages_with_ids(&self, ids: &[i64]) -> Result<Vec<StoredMessage>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, pool => {
            let mut query = QueryBuilder::new(SELECT_MESSAGES_WITH_IDS);
            let mut listed = query.separated(", ");
            for id in ids {
                listed.push_bind(*id);
            }
            query.push(")");
            let rows = query.build().fetch_all(pool).await?;
            rows.iter().map(|row| message_from!(row)).collect()
        })
    }

    async fn select_messages(&self, filter: &MessageFilter) -> Result<Vec<StoredMessage>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_MESSAGES)
                .bind(&filter.recipient)
                .bind(&filter.team)
                .bind(filter.before)
                .bind(filter.limit.unwrap_or(100))
                .bind(filter.received_only)
                .bind(filter.digest)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| message_from!(row)).collect()
        })
    }

    /// What was sent since `since`, to `recipient` or to everyone, oldest first.
    pub async fn sent_lately(
        &self,
        recipient: Option<&str>,
        since: OffsetDateTime,
    ) -> Result<Vec<SentLately>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_SENT_LATELY).bind(recipient).bind(since).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    let topic: String = row.try_get("topic")?;
                    Ok(SentLately {
                        recipient: row.try_get("recipient")?,
                        action: row.try_get("action")?,
                        topic: Topic::parse(&topic)
                            .ok_or_else(|| StoreError::Corrupt(format!("a message's topic {topic:?}")))?,
                        subject: row.try_get("subject")?,
                        composed_at: row.try_get("composed_at")?,
                        counted: row.try_get("counted")?,
                    })
                })
                .collect()
        })
    }

    /// Every message composed from `since` on, and how it went: the security team's record of
    /// what it sent.
    pub async fn composed_since(&self, since: OffsetDateTime) -> Result<Vec<Composed>, StoreError> {
        let query = "SELECT composed_at, route, counted, team FROM messages WHERE composed_at >= $1";
        with_pool!(self, pool => {
            let rows = sqlx::query(query).bind(since).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    let route: String = row.try_get("route")?;
                    let sent = match (route.as_str(), row.try_get::<bool, _>("counted")?) {
                        ("send", true) => Sent::Counted,
                        ("send", false) => Sent::Uncounted,
                        ("digest", _) => Sent::Gathered,
                        ("dropped", _) => Sent::Dropped,
                        (other, _) => return Err(StoreError::Corrupt(format!("a message's route {other:?}"))),
                    };
                    Ok(Composed { at: row.try_get("composed_at")?, sent, team: row.try_get("team")? })
                })
                .collect()
        })
    }

    /// Who was thanked for each win since `since` (the messages not dropped), in the order
    /// they were composed.
    pub async fn wins_told_since(&self, since: OffsetDateTime) -> Result<Vec<WinTold>, StoreError> {
        let query = "SELECT e.once_key, m.recipient, m.recipient_name, m.audience FROM messages m \
             JOIN events e ON e.id = m.event \
             WHERE m.topic = 'win' AND m.route <> 'dropped' AND m.composed_at >= $1 AND e.once_key IS NOT NULL \
             ORDER BY m.id";
        with_pool!(self, pool => {
            let rows = sqlx::query(query).bind(since).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    let audience: String = row.try_get("audience")?;
                    Ok(WinTold {
                        once: row.try_get("once_key")?,
                        recipient: row.try_get("recipient")?,
                        recipient_name: row.try_get("recipient_name")?,
                        audience: Audience::parse(&audience)
                            .ok_or_else(|| StoreError::Corrupt(format!("a message's audience {audience:?}")))?,
                    })
                })
                .collect()
        })
    }

    /// The messages merged into digests that are due by `now` and not yet sent, by reader.
    pub async fn due_digest_parts(&self, now: OffsetDateTime) -> Result<Vec<StoredMessage>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_DUE_DIGEST_PARTS).bind(now).fetch_all(pool).await?;
            rows.iter().map(|row| message_from!(row)).collect()
        })
    }

    /// Stores a digest of `parts` and marks them as sent in it, as one transaction; none when
    /// the same digest (its reader and first part) was stored before, by another server or an
    /// earlier run.
    pub async fn add_digest(
        &self,
        digest: &NewMessage,
        parts: &[i64],
        now: OffsetDateTime,
    ) -> Result<Option<i64>, StoreError> {
        let first = parts.iter().min().copied().unwrap_or_default();
        let once = format!("digest:{}:{first}", digest.recipient.to_lowercase());
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let Some(id) = store_messages!(tx, std::slice::from_ref(digest), now, Some(once.as_str())).pop() else {
                return Ok(None);
            };
            for part in parts {
                sqlx::query("UPDATE messages SET digest = $1 WHERE id = $2 AND digest IS NULL")
                    .bind(id)
                    .bind(part)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(Some(id))
        })
    }

    /// How `email` takes their messages: daily digests by email when they never said.
    pub async fn message_preference(&self, email: &str) -> Result<MessagePreference, StoreError> {
        let query =
            "SELECT rhythm, channel, channel_address FROM message_preferences WHERE email = LOWER($1)";
        let row: Option<(String, String, Option<String>)> =
            with_pool!(self, pool => sqlx::query_as(query).bind(email).fetch_optional(pool).await?);
        let Some((rhythm, channel, address)) = row else { return Ok(MessagePreference::default()) };
        Ok(MessagePreference {
            rhythm: Rhythm::parse(&rhythm)
                .ok_or_else(|| StoreError::Corrupt(format!("a message rhythm {rhythm:?}")))?,
            channel: Channel::parse(&channel)
                .ok_or_else(|| StoreError::Corrupt(format!("a message channel {channel:?}")))?,
            address,
        })
    }

    /// How everyone who chose takes what can wait, by email in lower case.
    pub async fn message_rhythms(&self) -> Result<HashMap<String, Rhythm>, StoreError> {
        let query = "SELECT email, rhythm FROM message_preferences";
        let rows: Vec<(String, String)> =
            with_pool!(self, pool => sqlx::query_as(query).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(email, word)| {
                let rhythm = Rhythm::parse(&word)
                    .ok_or_else(|| StoreError::Corrupt(format!("a message rhythm {word:?}")))?;
                Ok((email, rhythm))
            })
            .collect()
    }

    /// Records how `email` takes what can wait.
    pub async fn set_message_rhythm(
        &self,
        email: &str,
        rhythm: Rhythm,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let query = "INSERT INTO message_preferences (email, rhythm, channel, updated_at) VALUES (LOWER($1), $2, 'email', $3) \
             ON CONFLICT (email) DO UPDATE SET rhythm = $2, updated_at = $3";
        with_pool!(self, pool => {
            sqlx::query(query).bind(email).bind(rhythm.as_str()).bind(now).execute(pool).await?;
            Ok(())
        })
    }

    /// Records the channel `email` takes their messages by, and its address when they gave
    /// one; what is queued for them and not yet sent goes by it too.
    pub async fn set_message_channel(
        &self,
        email: &str,
        channel: Channel,
        address: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let upsert = "INSERT INTO message_preferences (email, rhythm, channel, channel_address, updated_at) \
             VALUES (LOWER($1), $2, $3, $4, $5) \
             ON CONFLICT (email) DO UPDATE SET channel = $3, channel_address = $4, updated_at = $5";
        let repoint = "UPDATE deliveries SET channel = $2 WHERE state IN ('queued', 'retry') \
             AND message IN (SELECT id FROM messages WHERE recipient = LOWER($1))";
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(upsert)
                .bind(email)
                .bind(Rhythm::default().as_str())
                .bind(channel.as_str())
                .bind(address)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(repoint).bind(email).bind(channel.as_str()).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The secret of the signing key `name`, made at random on first use (by whichever
    /// server or command asks first; every later reader gets the same).
    pub async fn signing_key(&self, name: &str) -> Result<String, StoreError> {
        let select = "SELECT secret FROM signing_keys WHERE name = $1";
        let found: Option<String> =
            with_pool!(self, pool => sqlx::query_scalar(select).bind(name).fetch_optional(pool).await?);
        if let Some(secret) = found {
            return Ok(secret);
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|error| StoreError::NoRandomness(error.to_string()))?;
        let fresh: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        // Two first users at once: one insert wins, and both read the winner's.
        let insert = "INSERT INTO signing_keys (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
        with_pool!(self, pool => {
            sqlx::query(insert).bind(name).bind(&fresh).execute(pool).await?;
            Ok(sqlx::query_scalar(select).bind(name).fetch_one(pool).await?)
        })
    }

    /// The templates the security team replaced: name, source, when and by whom.
    pub async fn message_templates(&self) -> Result<Vec<StoredTemplate>, StoreError> {
        let query = "SELECT name, source, applied_at, applied_by FROM message_templates ORDER BY name";
        with_pool!(self, pool => {
            let rows = sqlx::query(query).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    Ok(StoredTemplate {
                        name: row.try_get("name")?,
                        source: row.try_get("source")?,
                        applied_at: row.try_get("applied_at")?,
                        applied_by: row.try_get("applied_by")?,
                    })
                })
                .collect()
        })
    }

    /// Replaces template `name` with `source`, recorded in the event stream as applied by `by`.
    pub async fn set_message_template(
        &self,
        name: &str,
        source: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let query = "INSERT INTO message_templates (name, source, applied_at, applied_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET source = $2, applied_at = $3, applied_by = $4";
        let event = template_changed(
            name,
            by,
            format!("{name} is replaced; messages are written with it from now on"),
        );
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            sqlx::query(query).bind(name).bind(source).bind(now).bind(by).execute(&mut *tx).await?;
            append_event!(tx, &event, now);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Goes back to the template Rapport ships for `name`, recorded as done by `by`; false
    /// (and nothing recorded) when it was not replaced.
    pub async fn reset_message_template(
        &self,
        name: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let query = "DELETE FROM message_templates WHERE name = $1";
        let event = template_changed(name, by, format!("{name} is back to the template Rapport ships"));
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            if sqlx::query(query).bind(name).execute(&mut *tx).await?.rows_affected() == 0 {
                return Ok(false);
            }
            append_event!(tx, &event, now);
            tx.commit().await?;
            Ok(true)
        })
    }
}

fn template_changed(name: &str, by: &str, detail: String) -> NewEvent {
    NewEvent {
        kind: EventKind::TemplateChanged,
        actor: Actor::Security(Some(by.to_owned())),
        team: None,
        action: None,
        subject: Some(name.to_owned()),
        detail,
        facts: EventFacts::default(),
        once: None,
    }
}
