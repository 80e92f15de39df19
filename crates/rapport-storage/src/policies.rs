//! Every version of the policy as applied, and each team's acknowledgement of a version,
//! each recorded in the event stream with it.

use rapport_core::{Actor, EventFacts, EventKind};
use sqlx::Row;
use time::OffsetDateTime;

use crate::events::{NewEvent, append_event, begin_with_events};
use crate::{Store, StoreError, with_pool};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPolicy {
    /// The version: 1 for the first policy applied, then 2, 3...
    pub id: i64,
    pub name: String,
    pub content: String,
    pub applied_at: OffsetDateTime,
    pub applied_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyAck {
    pub team: String,
    pub policy: i64,
    pub acknowledged_by: String,
    pub acknowledged_at: OffsetDateTime,
}

impl Store {
    pub async fn policies(&self) -> Result<Vec<StoredPolicy>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, name, content, applied_at, applied_by FROM policies ORDER BY id")
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(StoredPolicy {
                        id: row.try_get("id")?,
                        name: row.try_get("name")?,
                        content: row.try_get("content")?,
                        applied_at: row.try_get("applied_at")?,
                        applied_by: row.try_get("applied_by")?,
                    })
                })
                .collect()
        })
    }

    /// Stores a policy version, recorded as applied by the security team (through `by` when
    /// named); its id is the version.
    pub async fn add_policy(
        &self,
        name: &str,
        content: &str,
        by: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO policies (name, content, applied_at, applied_by) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(name)
            .bind(content)
            .bind(at)
            .bind(by)
            .fetch_one(&mut *tx)
            .await?;
            let event = NewEvent {
                kind: EventKind::PolicyApplied,
                actor: Actor::Security(by.map(str::to_owned)),
                team: None,
                action: None,
                subject: Some(format!("policy version {id}")),
                detail: format!("{name} (version {id}) is in force; every team is asked to acknowledge it"),
                facts: EventFacts { policy: Some(id), ..EventFacts::default() },
                once: None,
            };
            append_event!(tx, &event, at);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Every acknowledgement of every policy version.
    pub async fn policy_acks(&self) -> Result<Vec<PolicyAck>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT team, policy, acknowledged_by, acknowledged_at FROM policy_acks ORDER BY policy, team",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(PolicyAck {
                        team: row.try_get("team")?,
                        policy: row.try_get("policy")?,
                        acknowledged_by: row.try_get("acknowledged_by")?,
                        acknowledged_at: row.try_get("acknowledged_at")?,
                    })
                })
                .collect()
        })
    }

    /// Records a team's acknowledgement by its manager; false if the team had already
    /// acknowledged that version.
    pub async fn acknowledge_policy(
        &self,
        team: &str,
        policy: i64,
        by: &str,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let added = sqlx::query(
                "INSERT INTO policy_acks (team, policy, acknowledged_by, acknowledged_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (team, policy) DO NOTHING",
            )
            .bind(team)
            .bind(policy)
            .bind(by)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if added == 1 {
                let event = NewEvent {
                    kind: EventKind::PolicyAcknowledged,
                    actor: Actor::Person(by.to_owned()),
                    team: Some(team.to_owned()),
                    action: None,
                    subject: Some(format!("policy version {policy}")),
                    detail: format!("{team} acknowledged policy version {policy}"),
                    facts: EventFacts { policy: Some(policy), ..EventFacts::default() },
                    once: None,
                };
                append_event!(tx, &event, at);
            }
            tx.commit().await?;
            Ok(added == 1)
        })
    }
}
