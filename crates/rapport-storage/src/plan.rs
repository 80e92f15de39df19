//! Plans: what building actions reads (open findings with their scope's owner, advisory
//! and decision), the actions kept across plans with their history, policies and their
//! acknowledgements, exceptions and emergency overrides.

use std::collections::HashMap;

use rapport_core::{
    Action, ActionState, Actor, Component, EventFacts, EventKind, FindingKind, Outcome, Points, Target,
    TargetKind, VulnId,
};
use serde::Deserialize;
use sqlx::Row;
use time::{Date, OffsetDateTime};

use crate::decisions::key16;
use crate::events::{NewEvent, append_event, begin_with_events};
use crate::{Store, StoreError, with_pool};

/// A scope's target and the team that owns it, if any.
#[derive(Clone, Debug)]
pub struct PlanScope {
    pub key: [u8; 16],
    pub target: Target,
    pub team: Option<String>,
}

/// What an advisory says about fixing it.
#[derive(Clone, Debug)]
pub struct AdvisoryText {
    pub key: [u8; 16],
    pub ids: Vec<VulnId>,
    pub title: String,
    pub solution: Option<String>,
}

/// The parts of a stored decision a plan uses.
#[derive(Clone, Debug, Deserialize)]
pub struct DecisionSummary {
    pub outcome: Outcome,
    pub points: Points,
    pub reason: String,
}

/// An open finding as planning sees it. Findings set aside by VEX or suppressed are not work
/// and are not read.
#[derive(Clone, Debug)]
pub struct PlanFinding {
    pub scope: [u8; 16],
    pub advisory: [u8; 16],
    pub kind: FindingKind,
    pub component: Option<Component>,
    /// The decision in force and its outcome, when the finding has one.
    pub decided: Option<(i64, Outcome)>,
}

/// What building a plan needs to know of a stored action.
#[derive(Clone, Debug)]
pub struct ActionStatus {
    pub id: i64,
    pub key: [u8; 16],
    pub team: String,
    pub state: ActionState,
    pub outcome: Outcome,
    pub outcome_since: OffsetDateTime,
    pub state_since: OffsetDateTime,
    pub digest: i64,
}

/// An action to store: a new one (`id` none) or new values for a stored one, with the event
/// that explains the write when there is one.
#[derive(Clone, Debug)]
pub struct ActionWrite {
    pub id: Option<i64>,
    pub key: [u8; 16],
    pub team: String,
    pub kind: String,
    pub outcome: Outcome,
    pub state: ActionState,
    pub outcome_since: OffsetDateTime,
    pub state_since: OffsetDateTime,
    pub digest: i64,
    /// The new body; `None` keeps the stored one.
    pub body: Option<String>,
    /// What planning saw happen (recorded as the scan's doing), in words and facts.
    pub event: Option<(EventKind, String, EventFacts)>,
}

/// A stored action with what the plan and the commands show of it.
#[derive(Clone, Debug)]
pub struct StoredAction {
    pub id: i64,
    pub team: String,
    pub state: ActionState,
    pub opened_at: OffsetDateTime,
    pub outcome_since: OffsetDateTime,
    pub state_since: OffsetDateTime,
    pub action: Action,
}

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

#[derive(Deserialize)]
struct ComponentPart {
    #[serde(default)]
    component: Option<Component>,
}

#[derive(Deserialize)]
struct AdvisoryPart {
    ids: Vec<VulnId>,
    title: String,
    #[serde(default)]
    solution: Option<String>,
}

const SELECT_PLAN_SCOPES: &str = "SELECT s.scope_key, s.target_kind, s.target, a.owner_team FROM scopes s \
     LEFT JOIN assets a ON a.kind = s.target_kind AND a.name = s.target";

// Every advisory, not only those of open findings: finding them would index a million
// findings' advisory keys, and advisories are few beside findings.
const SELECT_ADVISORY_TEXTS: &str = "SELECT content_key, body FROM advisories";

// The detail is read only for its component, so only where there is one.
const SELECT_PLAN_FINDINGS: &str = "SELECT f.scope, f.advisory, f.kind, \
     CASE WHEN f.component IS NOT NULL THEN f.detail END, d.assessment, d.outcome \
     FROM findings f LEFT JOIN decisions d ON d.finding = f.id \
     WHERE f.resolved_import IS NULL AND f.status NOT IN ('not_affected', 'suppressed')";

const SELECT_ACTION_STATUS: &str =
    "SELECT id, action_key, team, state, outcome, outcome_since, state_since, digest FROM actions";

macro_rules! select_actions {
    ($rest:literal) => {
        concat!("SELECT id, team, state, opened_at, outcome_since, state_since, body FROM actions ", $rest)
    };
}

// Two plans built at once both find a new action new; the second finds it stored.
const INSERT_ACTION: &str = "INSERT INTO actions (action_key, team, kind, outcome, state, opened_at, outcome_since, \
     state_since, digest, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (action_key) DO NOTHING RETURNING id";

const UPDATE_ACTION: &str = "UPDATE actions SET outcome = $1, state = $2, outcome_since = $3, state_since = $4, \
     digest = $5, body = COALESCE($6, body) WHERE id = $7";

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

fn corrupt(what: &str) -> impl Fn(serde_json::Error) -> StoreError + '_ {
    move |error| StoreError::Corrupt(format!("{what}: {error}"))
}

fn parse_word<T>(word: &str, parse: impl Fn(&str) -> Option<T>, what: &str) -> Result<T, StoreError> {
    parse(word).ok_or_else(|| StoreError::Corrupt(format!("unknown {what} {word:?}")))
}

fn finding_kind(word: &str) -> Option<FindingKind> {
    [FindingKind::Vulnerability, FindingKind::Misconfiguration, FindingKind::Secret, FindingKind::CodeIssue]
        .into_iter()
        .find(|kind| kind.as_str() == word)
}

fn plan_finding(
    scope: &[u8],
    advisory: &[u8],
    kind: &str,
    detail: Option<&str>,
    assessment: Option<i64>,
    outcome: Option<&str>,
) -> Result<PlanFinding, StoreError> {
    let part: ComponentPart = match detail {
        Some(detail) => serde_json::from_str(detail).map_err(corrupt("a finding's detail"))?,
        None => ComponentPart { component: None },
    };
    let outcome = outcome.map(|word| parse_word(word, Outcome::parse, "outcome")).transpose()?;
    Ok(PlanFinding {
        scope: key16(scope, "a scope key")?,
        advisory: key16(advisory, "an advisory key")?,
        kind: parse_word(kind, finding_kind, "finding kind")?,
        component: part.component,
        decided: assessment.zip(outcome),
    })
}

macro_rules! stored_action_from {
    ($row:expr) => {{
        let row = $row;
        let state: String = row.try_get("state")?;
        let body: String = row.try_get("body")?;
        Ok::<StoredAction, StoreError>(StoredAction {
            id: row.try_get("id")?,
            team: row.try_get("team")?,
            state: parse_word(&state, ActionState::parse, "action state")?,
            opened_at: row.try_get("opened_at")?,
            outcome_since: row.try_get("outcome_since")?,
            state_since: row.try_get("state_since")?,
            action: serde_json::from_str(&body).map_err(corrupt("an action"))?,
        })
    }};
}

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
    /// Every scope's target and owning team.
    pub async fn plan_scopes(&self) -> Result<Vec<PlanScope>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_PLAN_SCOPES).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    let key: Vec<u8> = row.try_get("scope_key")?;
                    let kind: String = row.try_get("target_kind")?;
                    Ok(PlanScope {
                        key: key16(&key, "a scope key")?,
                        target: Target {
                            kind: parse_word(&kind, TargetKind::parse, "target kind")?,
                            name: row.try_get("target")?,
                        },
                        team: row.try_get("owner_team")?,
                    })
                })
                .collect()
        })
    }

    /// The ids, title and solution of every advisory.
    pub async fn advisory_texts(&self) -> Result<Vec<AdvisoryText>, StoreError> {
        with_pool!(self, pool => {
            let rows: Vec<(Vec<u8>, String)> = sqlx::query_as(SELECT_ADVISORY_TEXTS).fetch_all(pool).await?;
            rows.iter()
                .map(|(key, body)| {
                    let part: AdvisoryPart = serde_json::from_str(body).map_err(corrupt("an advisory"))?;
                    Ok(AdvisoryText {
                        key: key16(key, "an advisory key")?,
                        ids: part.ids,
                        title: part.title,
                        solution: part.solution,
                    })
                })
                .collect()
        })
    }

    /// The outcome, points and reason of these stored decisions.
    pub async fn decision_summaries(&self, ids: &[i64]) -> Result<HashMap<i64, DecisionSummary>, StoreError> {
        self.assessment_bodies(ids)
            .await?
            .into_iter()
            .map(|(id, body)| Ok((id, serde_json::from_str(&body).map_err(corrupt("a decision"))?)))
            .collect()
    }

    /// Streams the open findings that are work (not set aside) to `each`; SQLite through
    /// rusqlite on the calling thread, as [`Store::each_open_finding`] does and for the same
    /// reason.
    pub async fn each_plan_finding<E: From<StoreError>>(
        &self,
        each: impl FnMut(PlanFinding) -> Result<(), E>,
    ) -> Result<(), E> {
        self.each_row(
            SELECT_PLAN_FINDINGS,
            |row| {
                let scope = row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
                let advisory = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
                let kind = row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
                let detail = row.get_ref(3)?.as_str_or_null().map_err(rusqlite::Error::from)?;
                let outcome = row.get_ref(5)?.as_str_or_null().map_err(rusqlite::Error::from)?;
                plan_finding(scope, advisory, kind, detail, row.get(4)?, outcome)
            },
            // The columns' types are the query's own; checking them a million times is a
            // tenth of the reading.
            |row| {
                plan_finding(
                    row.try_get_unchecked(0)?,
                    row.try_get_unchecked(1)?,
                    row.try_get_unchecked(2)?,
                    row.try_get_unchecked(3)?,
                    row.try_get_unchecked(4)?,
                    row.try_get_unchecked(5)?,
                )
            },
            each,
        )
        .await
    }

    /// Where every stored action is, to compare with a new plan.
    pub async fn action_statuses(&self) -> Result<Vec<ActionStatus>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_ACTION_STATUS).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    let key: Vec<u8> = row.try_get("action_key")?;
                    let state: String = row.try_get("state")?;
                    let outcome: String = row.try_get("outcome")?;
                    Ok(ActionStatus {
                        id: row.try_get("id")?,
                        key: key16(&key, "an action key")?,
                        team: row.try_get("team")?,
                        state: parse_word(&state, ActionState::parse, "action state")?,
                        outcome: parse_word(&outcome, Outcome::parse, "outcome")?,
                        outcome_since: row.try_get("outcome_since")?,
                        state_since: row.try_get("state_since")?,
                        digest: row.try_get("digest")?,
                    })
                })
                .collect()
        })
    }

    /// Stores a plan's new and changed actions and their events, in one transaction.
    pub async fn write_actions(&self, writes: &[ActionWrite], at: OffsetDateTime) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            for write in writes {
                let id = match write.id {
                    Some(id) => {
                        sqlx::query(UPDATE_ACTION)
                            .bind(write.outcome.as_str())
                            .bind(write.state.as_str())
                            .bind(write.outcome_since)
                            .bind(write.state_since)
                            .bind(write.digest)
                            .bind(write.body.as_deref())
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        id
                    }
                    None => {
                        let inserted: Option<i64> = sqlx::query_scalar(INSERT_ACTION)
                            .bind(write.key.as_slice())
                            .bind(&write.team)
                            .bind(&write.kind)
                            .bind(write.outcome.as_str())
                            .bind(write.state.as_str())
                            .bind(at)
                            .bind(write.outcome_since)
                            .bind(write.state_since)
                            .bind(write.digest)
                            .bind(write.body.as_deref().unwrap_or("{}"))
                            .fetch_optional(&mut *tx)
                            .await?;
                        // Another plan built at the same time stored it, with its event.
                        let Some(id) = inserted else { continue };
                        id
                    }
                };
                if let Some((kind, detail, facts)) = &write.event {
                    let event = NewEvent::on_action(*kind, Actor::Scan, &write.team, id, detail.as_str())
                        .with(facts.clone());
                    append_event!(tx, &event, at);
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// The stored actions with these ids.
    pub async fn actions_by_id(&self, ids: &[i64]) -> Result<Vec<StoredAction>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            with_pool!(self, pool => {
                let mut query = sqlx::QueryBuilder::new(select_actions!("WHERE id IN ("));
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                query.push(") ORDER BY id");
                for row in query.build().fetch_all(pool).await? {
                    found.push(stored_action_from!(&row)?);
                }
            });
        }
        Ok(found)
    }

    pub async fn action(&self, id: i64) -> Result<Option<StoredAction>, StoreError> {
        Ok(self.actions_by_id(&[id]).await?.pop())
    }

    /// A team's actions (or every team's) that are not closed (all of them with `closed`),
    /// oldest first.
    pub async fn team_actions(
        &self,
        team: Option<&str>,
        closed: bool,
    ) -> Result<Vec<StoredAction>, StoreError> {
        let query = if closed {
            select_actions!("WHERE ($1 IS NULL OR team = $1) ORDER BY id")
        } else {
            select_actions!("WHERE ($1 IS NULL OR team = $1) AND state <> 'closed' ORDER BY id")
        };
        with_pool!(self, pool => {
            let rows = sqlx::query(query).bind(team).fetch_all(pool).await?;
            rows.iter().map(|row| stored_action_from!(row)).collect()
        })
    }

    /// Actions, filtered by team and state, most urgent first.
    pub async fn actions(
        &self,
        team: Option<&str>,
        state: Option<ActionState>,
        limit: i64,
    ) -> Result<Vec<StoredAction>, StoreError> {
        const QUERY: &str = select_actions!(
            "WHERE ($1 IS NULL OR team = $1) AND ($2 IS NULL OR state = $2) \
             ORDER BY CASE outcome WHEN 'act' THEN 0 WHEN 'attend' THEN 1 WHEN 'track*' THEN 2 ELSE 3 END, team, id \
             LIMIT $3"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(QUERY)
                .bind(team)
                .bind(state.map(ActionState::as_str))
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| stored_action_from!(row)).collect()
        })
    }

    /// Open actions per team and outcome.
    pub async fn action_counts(&self) -> Result<Vec<(String, String, String, i64)>, StoreError> {
        with_pool!(self, pool => {
            Ok(sqlx::query_as(
                "SELECT team, state, outcome, COUNT(*) FROM actions GROUP BY team, state, outcome ORDER BY team",
            )
            .fetch_all(pool)
            .await?)
        })
    }

    /// Moves an action to `to` if it is in `from`, recording `event`; false if it was not.
    pub async fn move_action(
        &self,
        action: i64,
        from: ActionState,
        to: ActionState,
        event: &NewEvent,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let moved = sqlx::query("UPDATE actions SET state = $1, state_since = $2 WHERE id = $3 AND state = $4")
                .bind(to.as_str())
                .bind(at)
                .bind(action)
                .bind(from.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if moved == 1 {
                append_event!(tx, event, at);
            }
            tx.commit().await?;
            Ok(moved == 1)
        })
    }

    /// For every target, the latest import that scanned it: (import id, file, when).
    pub async fn latest_scans(&self) -> Result<HashMap<Target, (i64, String, OffsetDateTime)>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT s.target_kind, s.target, i.id, i.file, i.started_at FROM scans sc \
                 JOIN scopes s ON s.scope_key = sc.scope JOIN imports i ON i.id = sc.import_id",
            )
            .fetch_all(pool)
            .await?;
            let mut latest: HashMap<Target, (i64, String, OffsetDateTime)> = HashMap::new();
            for row in &rows {
                let kind: String = row.try_get("target_kind")?;
                let target = Target { kind: parse_word(&kind, TargetKind::parse, "target kind")?, name: row.try_get("target")? };
                let id: i64 = row.try_get("id")?;
                if latest.get(&target).is_none_or(|(known, _, _)| *known < id) {
                    latest.insert(target, (id, row.try_get("file")?, row.try_get("started_at")?));
                }
            }
            Ok(latest)
        })
    }

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

    /// Stores a request for an exception on an action of `team`, with its event.
    pub async fn request_exception(
        &self,
        request: &ExceptionRequest,
        team: &str,
        actor: &Actor,
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
                .with(EventFacts { exception: Some(id), until: Some(request.until), ..EventFacts::default() });
            append_event!(tx, &event, at);
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
