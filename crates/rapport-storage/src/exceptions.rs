//! Exception and risk-acceptance requests with what was decided, and emergencies declared
//! outside the policy's criteria; each change moves its action where the action's life says
//! and is recorded in the event stream in the same transaction.

use std::collections::HashMap;

use rapport_core::{Action, Actor, EventFacts, EventKind};
use sqlx::Row;
use time::{Date, OffsetDateTime};

use crate::events::{NewEvent, append_event, append_event_or_refuse, begin_with_events};
use crate::plan::{corrupt, parse_word};
use crate::{Store, StoreError, with_pool};

/// Where an exception request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExceptionState {
    Requested,
    Approved,
    Rejected,
    Expired,
}

impl ExceptionState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionState::Requested => "requested",
            ExceptionState::Approved => "approved",
            ExceptionState::Rejected => "rejected",
            ExceptionState::Expired => "expired",
        }
    }

    pub fn parse(word: &str) -> Option<ExceptionState> {
        [
            ExceptionState::Requested,
            ExceptionState::Approved,
            ExceptionState::Rejected,
            ExceptionState::Expired,
        ]
        .into_iter()
        .find(|state| state.as_str() == word)
    }
}

#[derive(Clone, Debug)]
pub struct ExceptionRequest {
    pub action: i64,
    pub risk_acceptance: bool,
    pub requested_by: String,
    pub reason: String,
    pub compensating_control: Option<String>,
    pub until: Date,
}

#[derive(Clone, Debug)]
pub struct StoredException {
    pub id: i64,
    pub request: ExceptionRequest,
    pub team: String,
    pub what: String,
    pub requested_at: OffsetDateTime,
    pub state: ExceptionState,
    pub decided_by: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
    pub decision_reason: Option<String>,
}

#[derive(Clone, Debug)]
pub struct EmergencyOverride {
    pub id: i64,
    pub action: i64,
    pub team: String,
    pub what: String,
    pub declared_by: String,
    pub reason: String,
    pub declared_at: OffsetDateTime,
    pub policy: Option<i64>,
}

macro_rules! select_exceptions {
    ($rest:literal) => {
        concat!(
            "SELECT e.id, e.action, e.risk_acceptance, e.requested_by, e.requested_at, \
     e.reason, e.compensating_control, e.requested_until, e.state, e.decided_by, e.decided_at, \
     e.decision_reason, a.team, a.body FROM exceptions e JOIN actions a ON a.id = e.action ",
            $rest
        )
    };
}

const SELECT_OVERRIDES: &str = "SELECT o.id, o.action, o.declared_by, o.reason, o.declared_at, o.policy, \
     a.team, a.body FROM emergency_overrides o JOIN actions a ON a.id = o.action \
     WHERE ($1 IS NULL OR o.declared_at >= $1) AND ($2 IS NULL OR a.team = $2) ORDER BY o.id DESC";

macro_rules! exception_from {
    ($row:expr) => {{
        let row = $row;
        let state: String = row.try_get("state")?;
        let body: String = row.try_get("body")?;
        let action: Action = serde_json::from_str(&body).map_err(corrupt("an action"))?;
        Ok::<StoredException, StoreError>(StoredException {
            id: row.try_get("id")?,
            request: ExceptionRequest {
                action: row.try_get("action")?,
                risk_acceptance: row.try_get("risk_acceptance")?,
                requested_by: row.try_get("requested_by")?,
                reason: row.try_get("reason")?,
                compensating_control: row.try_get("compensating_control")?,
                until: row.try_get("requested_until")?,
            },
            team: row.try_get("team")?,
            what: action.what,
            requested_at: row.try_get("requested_at")?,
            state: parse_word(&state, ExceptionState::parse, "exception state")?,
            decided_by: row.try_get("decided_by")?,
            decided_at: row.try_get("decided_at")?,
            decision_reason: row.try_get("decision_reason")?,
        })
    }};
}

impl Store {
    /// Stores a request for an exception on an action of `team`, with its event (recorded once
    /// only under `once`, when given: nothing is stored when it was recorded before).
    pub async fn request_exception(
        &self,
        request: &ExceptionRequest,
        team: &str,
        actor: &Actor,
        once: Option<String>,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO exceptions (action, risk_acceptance, requested_by, requested_at, reason, \
                 compensating_control, requested_until, state) VALUES ($1, $2, $3, $4, $5, $6, $7, 'requested') \
                 RETURNING id",
            )
            .bind(request.action)
            .bind(request.risk_acceptance)
            .bind(&request.requested_by)
            .bind(at)
            .bind(&request.reason)
            .bind(&request.compensating_control)
            .bind(request.until)
            .fetch_one(&mut *tx)
            .await?;
            let kind = if request.risk_acceptance { "risk acceptance" } else { "exception" };
            let detail = format!("{kind} #{id} requested until {}: {}", request.until, request.reason);
            let event = NewEvent::on_action(EventKind::ExceptionRequested, actor.clone(), team, request.action, detail)
                .about(format!("exception #{id}"))
                .with(EventFacts { exception: Some(id), until: Some(request.until), ..EventFacts::default() })
                .once_as(once);
            append_event_or_refuse!(tx, &event, at);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Approves or rejects a request that is still `requested`. An approval also moves its
    /// action from open to accepted. False, with nothing changed, when the request was
    /// decided meanwhile or (for an approval) its action is no longer open.
    pub async fn decide_exception(
        &self,
        id: i64,
        approve: bool,
        actor: &Actor,
        reason: &str,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let state = if approve { ExceptionState::Approved } else { ExceptionState::Rejected };
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let decided: Option<(i64, Date)> = sqlx::query_as(
                "UPDATE exceptions SET state = $1, decided_by = $2, decided_at = $3, decision_reason = $4 \
                 WHERE id = $5 AND state = 'requested' RETURNING action, requested_until",
            )
            .bind(state.as_str())
            .bind(actor.email())
            .bind(at)
            .bind(reason)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((action, until)) = decided else { return Ok(false) };
            if approve {
                let moved = sqlx::query(
                    "UPDATE actions SET state = 'accepted', state_since = $1 WHERE id = $2 AND state = 'open'",
                )
                .bind(at)
                .bind(action)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if moved == 0 {
                    return Ok(false);
                }
            }
            let team: String = sqlx::query_scalar("SELECT team FROM actions WHERE id = $1")
                .bind(action)
                .fetch_one(&mut *tx)
                .await?;
            let (kind, detail) = if approve {
                (EventKind::ExceptionGranted, format!("exception #{id} granted until {until}: {reason}"))
            } else {
                (EventKind::ExceptionRejected, format!("exception #{id} turned down: {reason}"))
            };
            let event = NewEvent::on_action(kind, actor.clone(), &team, action, detail)
                .about(format!("exception #{id}"))
                .with(EventFacts { exception: Some(id), until: approve.then_some(until), ..EventFacts::default() });
            append_event!(tx, &event, at);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Ends approved exceptions whose last day is before `today`, and moves their actions
    /// back to open unless another approved exception still covers them; each ending is the
    /// clock's event. Returns (exception, action) of those ended.
    pub async fn expire_exceptions(
        &self,
        today: Date,
        at: OffsetDateTime,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let ended: Vec<(i64, i64)> = sqlx::query_as(
                "UPDATE exceptions SET state = 'expired' WHERE state = 'approved' AND requested_until < $1 \
                 RETURNING id, action",
            )
            .bind(today)
            .fetch_all(&mut *tx)
            .await?;
            for (id, action) in &ended {
                sqlx::query(
                    "UPDATE actions SET state = 'open', state_since = $1 WHERE id = $2 AND state = 'accepted' \
                     AND NOT EXISTS (SELECT 1 FROM exceptions x WHERE x.action = $2 AND x.state = 'approved')",
                )
                .bind(at)
                .bind(action)
                .execute(&mut *tx)
                .await?;
                let team: String = sqlx::query_scalar("SELECT team FROM actions WHERE id = $1")
                    .bind(action)
                    .fetch_one(&mut *tx)
                    .await?;
                let detail = format!("exception #{id} ended; the action is back in the plan");
                let event = NewEvent::on_action(EventKind::ExceptionExpired, Actor::Clock, &team, *action, detail)
                    .about(format!("exception #{id}"))
                    .with(EventFacts { exception: Some(*id), ..EventFacts::default() });
                append_event!(tx, &event, at);
            }
            tx.commit().await?;
            Ok(ended)
        })
    }

    /// Exceptions, newest first, optionally of one state or one team.
    pub async fn exceptions(
        &self,
        state: Option<ExceptionState>,
        team: Option<&str>,
    ) -> Result<Vec<StoredException>, StoreError> {
        const QUERY: &str = select_exceptions!(
            "WHERE ($1 IS NULL OR e.state = $1) AND ($2 IS NULL OR a.team = $2) ORDER BY e.id DESC"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(QUERY).bind(state.map(ExceptionState::as_str)).bind(team).fetch_all(pool).await?;
            rows.iter().map(|row| exception_from!(row)).collect()
        })
    }

    pub async fn exception(&self, id: i64) -> Result<Option<StoredException>, StoreError> {
        const QUERY: &str = select_exceptions!("WHERE e.id = $1");
        with_pool!(self, pool => {
            let row = sqlx::query(QUERY).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(|row| exception_from!(row)).transpose()
        })
    }

    /// The end of the approved exception in force on each action of a team (or of every team).
    pub async fn approved_exceptions(&self, team: Option<&str>) -> Result<HashMap<i64, Date>, StoreError> {
        with_pool!(self, pool => {
            let rows: Vec<(i64, Date)> = sqlx::query_as(
                "SELECT e.action, e.requested_until FROM exceptions e JOIN actions a ON a.id = e.action \
                 WHERE e.state = 'approved' AND ($1 IS NULL OR a.team = $1)",
            )
            .bind(team)
            .fetch_all(pool)
            .await?;
            let mut until: HashMap<i64, Date> = HashMap::new();
            for (action, date) in rows {
                let entry = until.entry(action).or_insert(date);
                *entry = (*entry).max(date);
            }
            Ok(until)
        })
    }

    /// Records an emergency declared on an action of `team` outside the policy's criteria.
    pub async fn declare_emergency(
        &self,
        action: i64,
        team: &str,
        actor: &Actor,
        reason: &str,
        policy: Option<i64>,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO emergency_overrides (action, declared_by, reason, declared_at, policy) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(action)
            .bind(actor.email())
            .bind(reason)
            .bind(at)
            .bind(policy)
            .fetch_one(&mut *tx)
            .await?;
            let detail = format!("override #{id}, outside the policy's criteria: {reason}");
            let event = NewEvent::on_action(EventKind::EmergencyDeclared, actor.clone(), team, action, detail)
                .about(format!("override #{id}"))
                .with(EventFacts { override_id: Some(id), policy, ..EventFacts::default() });
            append_event!(tx, &event, at);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Emergency overrides declared since `since`, newest first; of one team's actions
    /// with `team`.
    pub async fn emergency_overrides(
        &self,
        since: Option<OffsetDateTime>,
        team: Option<&str>,
    ) -> Result<Vec<EmergencyOverride>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_OVERRIDES).bind(since).bind(team).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    let body: String = row.try_get("body")?;
                    let action: Action = serde_json::from_str(&body).map_err(corrupt("an action"))?;
                    Ok(EmergencyOverride {
                        id: row.try_get("id")?,
                        action: row.try_get("action")?,
                        team: row.try_get("team")?,
                        what: action.what,
                        declared_by: row.try_get("declared_by")?,
                        reason: row.try_get("reason")?,
                        declared_at: row.try_get("declared_at")?,
                        policy: row.try_get("policy")?,
                    })
                })
                .collect()
        })
    }
}
