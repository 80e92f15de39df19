//! The messages composed from the event stream, and how far the composer has read it. A
//! batch of messages and the cursor past their events are written as one transaction, and a
//! message is unique per event and reader: composing the same events twice, or on two
//! servers at once, stores each message once.

use rapport_core::{Audience, Readability, Topic};
use sqlx::Row;
use time::OffsetDateTime;

use crate::{Store, StoreError, with_pool};

/// A message to store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMessage {
    pub event: i64,
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
}

/// A stored message.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredMessage {
    pub id: i64,
    pub composed_at: OffsetDateTime,
    pub message: NewMessage,
}

/// Which messages to read: newest first, before the message `before` when given.
#[derive(Clone, Debug, Default)]
pub struct MessageFilter {
    /// Only this reader's (an email, any case).
    pub recipient: Option<String>,
    pub team: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

const INSERT_MESSAGE: &str = "INSERT INTO messages (event, recipient, recipient_name, audience, topic, team, \
     action, composed_at, subject, body, ask, link, reading_ease, grade, words, sentences, longest_sentence, characters) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
     ON CONFLICT (event, recipient) DO NOTHING";

// Two composers may finish out of order: the cursor only moves forward.
const ADVANCE_CURSOR: &str = "UPDATE message_cursor SET after_event = CASE WHEN after_event < $1 THEN $1 ELSE after_event END WHERE id = 1";

const SELECT_MESSAGES: &str = "SELECT id, event, recipient, recipient_name, audience, topic, team, action, \
     composed_at, subject, body, ask, link, reading_ease, grade, words, sentences, longest_sentence, characters FROM messages \
     WHERE ($1 IS NULL OR recipient = LOWER($1)) AND ($2 IS NULL OR LOWER(team) = LOWER($2)) \
     AND ($3 IS NULL OR id < $3) AND ($4 IS NULL OR id = $4) ORDER BY id DESC LIMIT $5";

macro_rules! message_from {
    ($row:expr) => {{
        let row = $row;
        let audience: String = row.try_get("audience")?;
        let topic: String = row.try_get("topic")?;
        let words: i64 = row.try_get("words")?;
        let sentences: i64 = row.try_get("sentences")?;
        let longest: i64 = row.try_get("longest_sentence")?;
        let characters: i64 = row.try_get("characters")?;
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
            },
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
            let mut added = 0;
            for message in messages {
                added += sqlx::query(INSERT_MESSAGE)
                    .bind(message.event)
                    .bind(message.recipient.to_lowercase())
                    .bind(&message.recipient_name)
                    .bind(message.audience.as_str())
                    .bind(message.topic.as_str())
                    .bind(&message.team)
                    .bind(message.action)
                    .bind(now)
                    .bind(&message.subject)
                    .bind(&message.body)
                    .bind(&message.ask)
                    .bind(&message.link)
                    .bind(message.readability.reading_ease)
                    .bind(message.readability.grade)
                    .bind(i64::from(message.readability.words))
                    .bind(i64::from(message.readability.sentences))
                    .bind(i64::from(message.readability.longest_sentence))
                    .bind(i64::from(message.readability.characters))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            sqlx::query(ADVANCE_CURSOR).bind(through_event).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(added)
        })
    }

    /// Messages, newest first.
    pub async fn messages(&self, filter: &MessageFilter) -> Result<Vec<StoredMessage>, StoreError> {
        self.select_messages(filter, None).await
    }

    pub async fn message(&self, id: i64) -> Result<Option<StoredMessage>, StoreError> {
        Ok(self.select_messages(&MessageFilter::default(), Some(id)).await?.into_iter().next())
    }

    async fn select_messages(
        &self,
        filter: &MessageFilter,
        id: Option<i64>,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_MESSAGES)
                .bind(&filter.recipient)
                .bind(&filter.team)
                .bind(filter.before)
                .bind(id)
                .bind(filter.limit.unwrap_or(100))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| message_from!(row)).collect()
        })
    }
}
