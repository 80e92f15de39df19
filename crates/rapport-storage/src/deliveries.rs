//! The outbox: a delivery per message and channel, queued in the transaction that stores the
//! message, claimed by one worker at a time with a lease (on PostgreSQL `FOR UPDATE SKIP
//! LOCKED`, so several servers never claim the same one; SQLite has one writer), then marked
//! sent, put back for a retry, or given up with why.

use std::collections::HashMap;

use rapport_core::Channel;
use sqlx::Row;
use time::{Duration, OffsetDateTime};

use crate::{Store, StoreError, StoredMessage, with_pool};

/// A delivery as the outbox lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: i64,
    pub message: i64,
    pub channel: String,
    /// `queued`, `sending`, `retry`, `sent` or `dead`.
    pub state: String,
    pub attempts: u32,
    pub next_attempt_at: OffsetDateTime,
    pub last_error: Option<String>,
    pub sent_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub recipient: String,
    pub subject: String,
}

/// A delivery claimed for sending, with its message.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub channel: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
    pub message: StoredMessage,
    /// Where the reader's own chat channel is (a secret): their webhook, when the delivery's
    /// channel is one they gave the address of.
    pub address: Option<String>,
}

// What is due, or whose worker's lease ran out.
const DUE: &str =
    "(state IN ('queued', 'retry') AND next_attempt_at <= $1) OR (state = 'sending' AND lease_until < $1)";

const SELECT_DELIVERIES: &str = "SELECT d.id, d.message, d.channel, d.state, d.attempts, d.next_attempt_at, \
     d.last_error, d.sent_at, d.created_at, m.recipient, m.subject FROM deliveries d \
     JOIN messages m ON m.id = d.message WHERE ($1 IS NULL OR d.state = $1) ORDER BY d.id DESC LIMIT $2";

impl Store {
    /// Claims up to `limit` due deliveries for `lease`: each is `sending` until it is marked
    /// sent or failed, or until the lease runs out and another worker takes it over.
    pub async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        // On PostgreSQL, rows another server holds are skipped, not waited for, so servers
        // share the outbox and never claim the same delivery.
        let skip_held = match self {
            Store::Sqlite(_) => "",
            Store::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        };
        let query = format!(
            "UPDATE deliveries SET state = 'sending', lease_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM deliveries WHERE {DUE} ORDER BY next_attempt_at, id LIMIT $3{skip_held}) \
             RETURNING id, channel, attempts, message"
        );
        let claimed: Vec<(i64, String, i64, i64)> = with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(query))
                .bind(now)
                .bind(now + lease)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?)))
                .collect::<Result<_, StoreError>>()?
        });
        let ids: Vec<i64> = claimed.iter().map(|(_, _, _, message)| *message).collect();
        let messages: HashMap<i64, StoredMessage> =
            self.messages_with_ids(&ids).await?.into_iter().map(|message| (message.id, message)).collect();
        let mut deliveries = Vec::with_capacity(claimed.len());
        for (id, channel, attempts, message) in claimed {
            let Some(message) = messages.get(&message).cloned() else {
                return Err(StoreError::Corrupt(format!("delivery #{id} is of no stored message")));
            };
            // Only a chat channel has an address of the reader's; email needs no second read.
            let address = match Channel::parse(&channel).is_some_and(Channel::needs_address) {
                true => self.channel_address(&message.message.recipient, &channel).await?,
                false => None,
            };
            deliveries.push(ClaimedDelivery {
                id,
                channel,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                message,
                address,
            });
        }
        Ok(deliveries)
    }

    /// The address `recipient` gave for `channel`, if that is still their channel.
    async fn channel_address(&self, recipient: &str, channel: &str) -> Result<Option<String>, StoreError> {
        let query =
            "SELECT channel_address FROM message_preferences WHERE email = LOWER($1) AND channel = $2";
        let found: Option<Option<String>> = with_pool!(self, pool => {
            sqlx::query_scalar(query).bind(recipient).bind(channel).fetch_optional(pool).await?
        });
        Ok(found.flatten())
    }

    /// Marks a claimed delivery sent.
    pub async fn delivery_sent(&self, id: i64, now: OffsetDateTime) -> Result<(), StoreError> {
        let query = "UPDATE deliveries SET state = 'sent', sent_at = $2, lease_until = NULL, last_error = NULL \
             WHERE id = $1";
        with_pool!(self, pool => {
            sqlx::query(query).bind(id).bind(now).execute(pool).await?;
            Ok(())
        })
    }

    /// Puts a claimed delivery back for another try at `retry_at`, or gives it up (`dead`)
    /// when there is none, keeping why.
    pub async fn delivery_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let query = "UPDATE deliveries SET state = CASE WHEN $3 IS NULL THEN 'dead' ELSE 'retry' END, \
             next_attempt_at = COALESCE($3, next_attempt_at), lease_until = NULL, last_error = $2 WHERE id = $1";
        with_pool!(self, pool => {
            sqlx::query(query).bind(id).bind(error).bind(retry_at).execute(pool).await?;
            Ok(())
        })
    }

    /// Deliveries, newest first, optionally in one state.
    pub async fn deliveries(
        &self,
        state: Option<&str>,
        limit: i64,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_DELIVERIES).bind(state).bind(limit).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    let attempts: i64 = row.try_get("attempts")?;
                    Ok(DeliveryRecord {
                        id: row.try_get("id")?,
                        message: row.try_get("message")?,
                        channel: row.try_get("channel")?,
                        state: row.try_get("state")?,
                        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                        next_attempt_at: row.try_get("next_attempt_at")?,
                        last_error: row.try_get("last_error")?,
                        sent_at: row.try_get("sent_at")?,
                        created_at: row.try_get("created_at")?,
                        recipient: row.try_get("recipient")?,
                        subject: row.try_get("subject")?,
                    })
                })
                .collect()
        })
    }

    /// Queues a given-up delivery again, now; false when there is no such dead delivery.
    pub async fn retry_delivery(&self, id: i64, now: OffsetDateTime) -> Result<bool, StoreError> {
        let query = "UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = $2, last_error = NULL \
             WHERE id = $1 AND state = 'dead'";
        with_pool!(self, pool => Ok(sqlx::query(query).bind(id).bind(now).execute(pool).await?.rows_affected() == 1))
    }
}
