//! Plans: what building actions reads (open findings with their scope's owner, advisory
//! and decision) and the actions kept across plans. Policies are in `policies.rs`,
//! exceptions and emergency overrides in `exceptions.rs`; every change's event in `events.rs`.

use std::collections::HashMap;

use rapport_core::{
    Action, ActionState, Actor, Component, EventFacts, EventKind, FindingKind, Outcome, Points, Target,
    TargetKind, VulnId,
};
use serde::Deserialize;
use sqlx::Row;
use time::OffsetDateTime;

use crate::decisions::key16;
use crate::events::{NewEvent, append_event, append_event_or_refuse, begin_with_events};
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

pub(crate) fn corrupt(what: &str) -> impl Fn(serde_json::Error) -> StoreError + '_ {
    move |error| StoreError::Corrupt(format!("{what}: {error}"))
}

pub(crate) fn parse_word<T>(
    word: &str,
    parse: impl Fn(&str) -> Option<T>,
    what: &str,
) -> Result<T, StoreError> {
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
    /// reason, under the same contract (block the calling thread; not `Send`).
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
                append_event_or_refuse!(tx, event, at);
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
}
