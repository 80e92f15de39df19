//! Partners' answers on actions: feedback and "not ours", each recorded in the action's
//! history too, and the security team's reply; and whether an asset of the action is
//! reachable from the internet.

use sqlx::Row;
use time::OffsetDateTime;

use rapport_core::{Actor, EventFacts, EventKind};

use crate::events::{NewEvent, append_event, append_event_or_refuse, begin_with_events};
use crate::{Store, StoreError, with_pool};

/// What kind of answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerKind {
    /// A comment, question or concern about the action.
    Feedback,
    /// The team says the action is not theirs: ownership is disputed.
    NotOurs,
}

impl AnswerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerKind::Feedback => "feedback",
            AnswerKind::NotOurs => "not_ours",
        }
    }

    pub fn parse(word: &str) -> Option<AnswerKind> {
        [AnswerKind::Feedback, AnswerKind::NotOurs].into_iter().find(|kind| kind.as_str() == word)
    }

    /// What giving it records.
    fn event(self) -> EventKind {
        match self {
            AnswerKind::Feedback => EventKind::FeedbackGiven,
            AnswerKind::NotOurs => EventKind::OwnershipDisputed,
        }
    }
}

/// An answer to store.
#[derive(Clone, Debug)]
pub struct NewAnswer<'a> {
    pub action: i64,
    pub kind: AnswerKind,
    pub by: &'a str,
    pub body: &'a str,
    pub suggested_team: Option<&'a str>,
    /// For feedback: how it went, 1 (badly) to 5 (well).
    pub rating: Option<u8>,
    /// The name its event is recorded once under (an answer from a message).
    pub once: Option<String>,
}

/// A stored answer, with its action's team and what the action is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    pub id: i64,
    pub action: i64,
    pub team: String,
    pub what: String,
    pub kind: AnswerKind,
    pub given_by: String,
    pub given_at: OffsetDateTime,
    pub body: String,
    pub suggested_team: Option<String>,
    /// For feedback: 1 (it went badly) to 5 (it went well), when given.
    pub rating: Option<u8>,
    pub replied_by: Option<String>,
    pub replied_at: Option<OffsetDateTime>,
    pub reply: Option<String>,
}

macro_rules! select_answers {
    ($tail:literal) => {
        concat!(
            "SELECT n.id, n.action, a.team, a.body AS action_body, n.kind, n.given_by, n.given_at, n.body, ",
            "n.suggested_team, n.rating, n.replied_by, n.replied_at, n.reply FROM answers n JOIN actions a ON a.id = n.action ",
            $tail
        )
    };
}

macro_rules! answer_from {
    ($row:expr) => {{
        let row = $row;
        let kind: String = row.try_get("kind")?;
        let body: String = row.try_get("action_body")?;
        let what = serde_json::from_str::<rapport_core::Action>(&body)
            .map(|action| action.what)
            .map_err(|error| StoreError::Corrupt(format!("an action's body: {error}")))?;
        Ok::<StoredAnswer, StoreError>(StoredAnswer {
            id: row.try_get("id")?,
            action: row.try_get("action")?,
            team: row.try_get("team")?,
            what,
            kind: AnswerKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown kind of answer {kind:?}")))?,
            given_by: row.try_get("given_by")?,
            given_at: row.try_get("given_at")?,
            body: row.try_get("body")?,
            suggested_team: row.try_get("suggested_team")?,
            replied_by: row.try_get("replied_by")?,
            rating: row.try_get::<Option<i64>, _>("rating")?.and_then(|rating| u8::try_from(rating).ok()),
            replied_at: row.try_get("replied_at")?,
            reply: row.try_get("reply")?,
        })
    }};
}

impl Store {
    /// Stores an answer on an action of `team` and records it, in one transaction.
    pub async fn add_answer(
        &self,
        answer: &NewAnswer<'_>,
        team: &str,
        actor: &Actor,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let detail = match answer.suggested_team {
            Some(team) => format!("{} (suggests {team})", answer.body),
            None => answer.body.to_owned(),
        };
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO answers (action, kind, given_by, given_at, body, suggested_team, rating) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(answer.action)
            .bind(answer.kind.as_str())
            .bind(answer.by)
            .bind(at)
            .bind(answer.body)
            .bind(answer.suggested_team)
            .bind(answer.rating.map(i64::from))
            .fetch_one(&mut *tx)
            .await?;
            let facts = EventFacts {
                answer: Some(id),
                suggested_team: answer.suggested_team.map(str::to_owned),
                rating: answer.rating,
                ..EventFacts::default()
            };
            let event = NewEvent::on_action(answer.kind.event(), actor.clone(), team, answer.action, detail)
                .about(format!("answer #{id}"))
                .with(facts)
                .once_as(answer.once.clone());
            append_event_or_refuse!(tx, &event, at);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Records what the team says of an asset of `action`: `said` is `internet`, `internal`
    /// or `unknown`, `by_name` the person as people know them. Returns false when there is no
    /// such asset.
    #[allow(clippy::too_many_arguments, reason = "one answer's parts, each a column or the event's")]
    pub async fn answer_reachability(
        &self,
        action: i64,
        team: &str,
        asset: &rapport_core::AssetId,
        said: &str,
        by_name: &str,
        actor: &Actor,
        detail: String,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let done = sqlx::query(
                "UPDATE assets SET exposure_said = $1, exposure_said_by = $2, exposure_said_at = $3 \
                 WHERE kind = $4 AND name = $5",
            )
            .bind(said)
            .bind(by_name)
            .bind(at)
            .bind(asset.kind.as_str())
            .bind(&asset.name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done == 0 {
                return Ok(false);
            }
            let event = NewEvent::on_action(EventKind::ReachabilityAnswered, actor.clone(), team, action, detail)
                .about(asset.name.clone());
            append_event!(tx, &event, at);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Answers waiting for the security team's reply, oldest first.
    pub async fn unreplied_answers(&self) -> Result<Vec<StoredAnswer>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(select_answers!("WHERE n.replied_at IS NULL ORDER BY n.id")).fetch_all(pool).await?;
            rows.iter().map(|row| answer_from!(row)).collect()
        })
    }

    /// Every answer on one action, oldest first.
    pub async fn answers_on(&self, action: i64) -> Result<Vec<StoredAnswer>, StoreError> {
        with_pool!(self, pool => {
            let rows =
                sqlx::query(select_answers!("WHERE n.action = $1 ORDER BY n.id")).bind(action).fetch_all(pool).await?;
            rows.iter().map(|row| answer_from!(row)).collect()
        })
    }

    pub async fn answer(&self, id: i64) -> Result<Option<StoredAnswer>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(select_answers!("WHERE n.id = $1")).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(|row| answer_from!(row)).transpose()
        })
    }

    /// Records the security team's reply to an answer not yet replied to, and notes it in the
    /// action's history; false when someone replied first.
    pub async fn reply_to_answer(
        &self,
        id: i64,
        by: &str,
        reply: &str,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let action: Option<i64> = sqlx::query_scalar(
                "UPDATE answers SET replied_by = $1, replied_at = $2, reply = $3 \
                 WHERE id = $4 AND replied_at IS NULL RETURNING action",
            )
            .bind(by)
            .bind(at)
            .bind(reply)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(action) = action else { return Ok(false) };
            let team: String = sqlx::query_scalar("SELECT team FROM actions WHERE id = $1")
                .bind(action)
                .fetch_one(&mut *tx)
                .await?;
            let event = NewEvent::on_action(EventKind::SecurityReplied, Actor::Security(Some(by.to_owned())), &team, action, reply)
                .about(format!("answer #{id}"))
                .with(EventFacts { answer: Some(id), ..EventFacts::default() });
            append_event!(tx, &event, at);
            tx.commit().await?;
            Ok(true)
        })
    }
}
