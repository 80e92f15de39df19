//! What people answer from a campaign's nudge ("done", or "I can't, because..."), each with
//! its event and once per message, and the security team's reply to an "I can't".

use rapport_core::{Actor, EventFacts, EventKind};
use sqlx::Row;
use time::OffsetDateTime;

use crate::events::{NewEvent, append_event, append_event_or_refuse, begin_with_events};
use crate::{Store, StoreError, with_pool};

/// "Done", or "I can't".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CampaignAnswerKind {
    Done,
    Cannot,
}

impl CampaignAnswerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignAnswerKind::Done => "done",
            CampaignAnswerKind::Cannot => "cannot",
        }
    }

    fn parse(word: &str) -> Result<CampaignAnswerKind, StoreError> {
        match word {
            "done" => Ok(CampaignAnswerKind::Done),
            "cannot" => Ok(CampaignAnswerKind::Cannot),
            other => Err(StoreError::Corrupt(format!("a campaign answer's kind {other:?}"))),
        }
    }
}

/// An answer to record, from nudge `message`.
#[derive(Clone, Debug)]
pub struct NewCampaignAnswer<'a> {
    pub campaign: &'a str,
    /// Their email, in lower case.
    pub person: &'a str,
    pub team: Option<&'a str>,
    pub round: u32,
    pub kind: CampaignAnswerKind,
    pub words: &'a str,
    pub message: i64,
    /// The name its event is recorded once under: one answer per message.
    pub once: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCampaignAnswer {
    pub id: i64,
    pub campaign: String,
    pub person: String,
    pub round: u32,
    pub kind: CampaignAnswerKind,
    pub words: String,
    pub given_at: OffsetDateTime,
    pub message: i64,
    pub replied_by: Option<String>,
    pub replied_at: Option<OffsetDateTime>,
    pub reply: Option<String>,
}

macro_rules! select_answers {
    ($tail:literal) => {
        concat!(
            "SELECT id, campaign, person, round, kind, words, given_at, message, replied_by, replied_at, reply \
             FROM campaign_answers ",
            $tail
        )
    };
}

/// A row of `SELECT` as an answer, on either database.
macro_rules! answer_from {
    ($row:expr) => {{
        let row = $row;
        let round: i64 = row.try_get("round")?;
        let kind: String = row.try_get("kind")?;
        Ok::<_, StoreError>(StoredCampaignAnswer {
            id: row.try_get("id")?,
            campaign: row.try_get("campaign")?,
            person: row.try_get("person")?,
            round: u32::try_from(round)
                .map_err(|_| StoreError::Corrupt(format!("a campaign round {round}")))?,
            kind: CampaignAnswerKind::parse(&kind)?,
            words: row.try_get("words")?,
            given_at: row.try_get("given_at")?,
            message: row.try_get("message")?,
            replied_by: row.try_get("replied_by")?,
            replied_at: row.try_get("replied_at")?,
            reply: row.try_get("reply")?,
        })
    }};
}

impl Store {
    /// Records an answer from a nudge with its event, in one transaction; refused with
    /// `StoreError::Repeated` when that message was answered before.
    pub async fn add_campaign_answer(
        &self,
        answer: &NewCampaignAnswer<'_>,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO campaign_answers (campaign, person, round, kind, words, given_at, message) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(answer.campaign)
            .bind(answer.person)
            .bind(i64::from(answer.round))
            .bind(answer.kind.as_str())
            .bind(answer.words)
            .bind(at)
            .bind(answer.message)
            .fetch_one(&mut *tx)
            .await?;
            let said = match answer.kind {
                CampaignAnswerKind::Done => "done",
                CampaignAnswerKind::Cannot => "I can't",
            };
            let event = NewEvent {
                kind: EventKind::CampaignAnswered,
                actor: Actor::Person(answer.person.to_owned()),
                team: answer.team.map(str::to_owned),
                action: None,
                subject: Some(format!("campaign {}", answer.campaign)),
                detail: if answer.words.is_empty() { said.to_owned() } else { format!("{said}: {}", answer.words) },
                facts: EventFacts {
                    answer: Some(id),
                    campaign: Some(answer.campaign.to_owned()),
                    person: Some(answer.person.to_owned()),
                    ..EventFacts::default()
                },
                once: Some(answer.once.clone()),
            };
            append_event_or_refuse!(tx, &event, at);
            tx.commit().await?;
            Ok(id)
        })
    }

    pub async fn campaign_answer(&self, id: i64) -> Result<Option<StoredCampaignAnswer>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(select_answers!("WHERE id = $1")).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(|row| answer_from!(row)).transpose()
        })
    }

    /// Every answer given in the rounds people are in now, oldest first (what scheduling reads).
    pub async fn campaign_answers_in_rounds(&self) -> Result<Vec<StoredCampaignAnswer>, StoreError> {
        let query = "SELECT a.id, a.campaign, a.person, a.round, a.kind, a.words, a.given_at, a.message, \
             a.replied_by, a.replied_at, a.reply FROM campaign_answers a JOIN campaign_enrolments e \
             ON e.campaign = a.campaign AND e.person = a.person AND e.round = a.round ORDER BY a.id";
        with_pool!(self, pool => {
            let rows = sqlx::query(query).fetch_all(pool).await?;
            rows.iter().map(|row| answer_from!(row)).collect()
        })
    }

    /// The "I can't" answers the security team has not replied to, oldest first.
    pub async fn unreplied_campaign_answers(&self) -> Result<Vec<StoredCampaignAnswer>, StoreError> {
        with_pool!(self, pool => {
            let query = select_answers!("WHERE kind = 'cannot' AND replied_at IS NULL ORDER BY id");
            let rows = sqlx::query(query).fetch_all(pool).await?;
            rows.iter().map(|row| answer_from!(row)).collect()
        })
    }

    /// Records the security team's reply to an "I can't", with its event; false when someone
    /// replied first.
    pub async fn reply_to_campaign_answer(
        &self,
        answer: &StoredCampaignAnswer,
        team: Option<&str>,
        by: &str,
        reply: &str,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let event = NewEvent {
            kind: EventKind::CampaignReplied,
            actor: Actor::Security(Some(by.to_owned())),
            team: team.map(str::to_owned),
            action: None,
            subject: Some(format!("campaign {}", answer.campaign)),
            detail: reply.to_owned(),
            facts: EventFacts {
                answer: Some(answer.id),
                campaign: Some(answer.campaign.clone()),
                person: Some(answer.person.clone()),
                ..EventFacts::default()
            },
            once: None,
        };
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let replied = sqlx::query(
                "UPDATE campaign_answers SET replied_by = $1, replied_at = $2, reply = $3 \
                 WHERE id = $4 AND replied_at IS NULL",
            )
            .bind(by)
            .bind(at)
            .bind(reply)
            .bind(answer.id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !replied {
                return Ok(false);
            }
            append_event!(tx, &event, at);
            tx.commit().await?;
            Ok(true)
        })
    }
}
