//! Hygiene campaigns: the files the security team applied over the shipped ones, where each
//! person stands in each campaign, and the nudges sent. A nudge and a habit shown are written
//! with their events in one transaction, and each only once, however many servers schedule.

use rapport_core::{Actor, CampaignStep, Enrolment, EventFacts, EventKind};
use std::collections::{HashMap, HashSet};

use sqlx::{QueryBuilder, Row};
use time::{Date, OffsetDateTime};

use crate::CampaignAnswerKind;
use crate::events::{NewEvent, append_event, append_once_events, begin_with_events};
use crate::{Store, StoreError, with_pool};

/// A campaign file the security team applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCampaignFile {
    pub name: String,
    pub content: String,
    /// False when the campaign is switched off.
    pub active: bool,
    pub applied_by: Option<String>,
    pub applied_at: OffsetDateTime,
}

/// One person in one campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEnrolment {
    pub campaign: String,
    /// Their email, in lower case.
    pub person: String,
    pub team: Option<String>,
    pub enrolment: Enrolment,
}

/// Why a nudge that was due was held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldReason {
    /// The person's weekly message budget was spent.
    Budget,
    /// They had a nudge of another campaign that day.
    Day,
}

impl HoldReason {
    fn as_str(self) -> &'static str {
        match self {
            HoldReason::Budget => "budget",
            HoldReason::Day => "day",
        }
    }

    fn parse(word: &str) -> Result<HoldReason, StoreError> {
        match word {
            "budget" => Ok(HoldReason::Budget),
            "day" => Ok(HoldReason::Day),
            other => Err(StoreError::Corrupt(format!("a campaign hold's reason {other:?}"))),
        }
    }
}

/// A nudge due but held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignHold {
    pub campaign: String,
    pub person: String,
    pub round: u32,
    pub reason: HoldReason,
}

/// One person's nudges in one campaign, and the days a due one was held, every round counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CampaignTally {
    pub nudges: u64,
    pub held_by_budget: u64,
    pub held_for_the_day: u64,
}

/// A step of one person in one campaign, to record with the event it makes (a nudge, or the
/// thanks when the habit shows after one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignChange {
    pub campaign: String,
    pub person: String,
    pub team: Option<String>,
    /// The round the step belongs to.
    pub round: u32,
    pub step: CampaignStep,
    pub event: Option<NewEvent>,
}

const SELECT_ENROLMENTS: &str =
    "SELECT campaign, person, team, round, gap_since, habit_at FROM campaign_enrolments";

/// Two scans joined in memory cost a quarter of the join on SQLite.
const SELECT_NUDGE_TIMES: &str =
    "SELECT campaign, person, round, at FROM campaign_nudges ORDER BY campaign, person, round, number";

const START: &str = "INSERT INTO campaign_enrolments (campaign, person, team, round, gap_since) ";

/// A round only ever moves on: a server that read an older state starts nothing twice.
const START_ON_CONFLICT: &str = " ON CONFLICT (campaign, person) DO UPDATE SET team = excluded.team, \
     round = excluded.round, gap_since = excluded.gap_since, habit_at = NULL \
     WHERE campaign_enrolments.round < excluded.round";

const NUDGE: &str = "INSERT INTO campaign_nudges (campaign, person, round, number, at) ";

/// Steps one statement writes: 5 values each.
const STEP_ROWS: usize = 500;

const HABIT: &str = "UPDATE campaign_enrolments SET habit_at = $4 \
     WHERE campaign = $1 AND person = $2 AND round = $3 AND habit_at IS NULL";

impl Store {
    /// The campaign files applied, by name.
    pub async fn campaign_files(&self) -> Result<Vec<StoredCampaignFile>, StoreError> {
        let query = "SELECT name, content, active, applied_by, applied_at FROM campaign_files ORDER BY name";
        with_pool!(self, pool => {
            let rows = sqlx::query(query).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    Ok(StoredCampaignFile {
                        name: row.try_get("name")?,
                        content: row.try_get("content")?,
                        active: row.try_get("active")?,
                        applied_by: row.try_get("applied_by")?,
                        applied_at: row.try_get("applied_at")?,
                    })
                })
                .collect()
        })
    }

    /// Applies a campaign file (switched on or off), replacing any of its name, with the
    /// event saying who did it.
    pub async fn set_campaign_file(
        &self,
        file: &StoredCampaignFile,
        detail: String,
    ) -> Result<(), StoreError> {
        let query = "INSERT INTO campaign_files (name, content, active, applied_by, applied_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (name) DO UPDATE SET content = $2, active = $3, applied_by = $4, applied_at = $5";
        let event = NewEvent {
            kind: EventKind::CampaignChanged,
            actor: Actor::Security(file.applied_by.clone()),
            team: None,
            action: None,
            subject: Some(format!("campaign {}", file.name)),
            detail,
            facts: EventFacts { campaign: Some(file.name.clone()), ..EventFacts::default() },
            once: None,
        };
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            sqlx::query(query)
                .bind(&file.name)
                .bind(&file.content)
                .bind(file.active)
                .bind(file.applied_by.as_deref())
                .bind(file.applied_at)
                .execute(&mut *tx)
                .await?;
            append_event!(tx, &event, file.applied_at);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Removes the campaign file of `name`, so that the shipped campaign of that name is in
    /// force again, with the event saying who did it.
    pub async fn remove_campaign_file(
        &self,
        name: &str,
        by: Option<&str>,
        detail: String,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let event = NewEvent {
            kind: EventKind::CampaignChanged,
            actor: Actor::Security(by.map(str::to_owned)),
            team: None,
            action: None,
            subject: Some(format!("campaign {name}")),
            detail,
            facts: EventFacts { campaign: Some(name.to_owned()), ..EventFacts::default() },
            once: None,
        };
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            sqlx::query("DELETE FROM campaign_files WHERE name = $1").bind(name).execute(&mut *tx).await?;
            append_event!(tx, &event, now);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Everyone in every campaign, with the nudges of their current round and what they
    /// answered in it.
    pub async fn campaign_enrolments(&self) -> Result<Vec<StoredEnrolment>, StoreError> {
        let (mut enrolments, nudges, answers) = futures_util::future::try_join3(
            self.enrolment_rows(),
            self.nudge_times(),
            self.campaign_answers_in_rounds(),
        )
        .await?;
        let mut by_person: HashMap<(&str, &str), &mut Enrolment> = enrolments
            .iter_mut()
            .map(|stored| ((stored.campaign.as_str(), stored.person.as_str()), &mut stored.enrolment))
            .collect();
        for (campaign, person, round, at) in &nudges {
            if let Some(enrolment) = by_person.get_mut(&(campaign.as_str(), person.as_str()))
                && i64::from(enrolment.round) == *round
            {
                enrolment.nudged.push(*at);
            }
        }
        for answer in &answers {
            if let Some(enrolment) = by_person.get_mut(&(answer.campaign.as_str(), answer.person.as_str())) {
                match answer.kind {
                    CampaignAnswerKind::Done => enrolment.said_done = Some(answer.given_at),
                    CampaignAnswerKind::Cannot => enrolment.cannot = true,
                }
            }
        }
        Ok(enrolments)
    }

    async fn enrolment_rows(&self) -> Result<Vec<StoredEnrolment>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_ENROLMENTS).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    let round: i64 = row.try_get("round")?;
                    Ok(StoredEnrolment {
                        campaign: row.try_get("campaign")?,
                        person: row.try_get("person")?,
                        team: row.try_get("team")?,
                        enrolment: Enrolment {
                            round: u32::try_from(round)
                                .map_err(|_| StoreError::Corrupt(format!("a campaign round {round}")))?,
                            gap_since: row.try_get("gap_since")?,
                            nudged: Vec::new(),
                            habit_at: row.try_get("habit_at")?,
                            said_done: None,
                            cannot: false,
                        },
                    })
                })
                .collect()
        })
    }

    /// Every nudge sent, as (campaign, person, round, when), each round's in order.
    async fn nudge_times(&self) -> Result<Vec<(String, String, i64, OffsetDateTime)>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_NUDGE_TIMES).fetch_all(pool).await?;
            rows.iter()
                .map(|row| Ok((row.try_get("campaign")?, row.try_get("person")?, row.try_get("round")?, row.try_get("at")?)))
                .collect()
        })
    }

    /// Since when `email` gets the series for their own devices; none when they do not.
    pub async fn personal_series_since(&self, email: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        let query = "SELECT personal_since FROM message_preferences WHERE email = LOWER($1)";
        let since: Option<Option<OffsetDateTime>> =
            with_pool!(self, pool => sqlx::query_scalar(query).bind(email).fetch_optional(pool).await?);
        Ok(since.flatten())
    }

    /// Turns the series for their own devices on (since `since`) or off for `email`.
    pub async fn set_personal_series(
        &self,
        email: &str,
        since: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let query = "INSERT INTO message_preferences (email, rhythm, channel, updated_at, personal_since) \
             VALUES (LOWER($1), 'daily', 'email', $2, $3) \
             ON CONFLICT (email) DO UPDATE SET personal_since = $3, updated_at = $2";
        with_pool!(self, pool => {
            sqlx::query(query).bind(email).bind(now).bind(since).execute(pool).await?;
            Ok(())
        })
    }

    /// Everyone who gets the series for their own devices, with since when.
    pub async fn personal_series_members(&self) -> Result<Vec<(String, OffsetDateTime)>, StoreError> {
        let query = "SELECT email, personal_since FROM message_preferences WHERE personal_since IS NOT NULL ORDER BY email";
        with_pool!(self, pool => Ok(sqlx::query_as(query).fetch_all(pool).await?))
    }

    /// Each person's nudges and held nudges in each campaign, every round counted, by
    /// (campaign, person).
    pub async fn campaign_tallies(&self) -> Result<HashMap<(String, String), CampaignTally>, StoreError> {
        let nudges = "SELECT campaign, person, COUNT(*) AS n FROM campaign_nudges GROUP BY campaign, person";
        let holds = "SELECT campaign, person, reason, COUNT(*) AS n FROM campaign_holds GROUP BY campaign, person, reason";
        let nudged: Vec<(String, String, i64)> =
            with_pool!(self, pool => sqlx::query_as(nudges).fetch_all(pool).await?);
        let held: Vec<(String, String, String, i64)> =
            with_pool!(self, pool => sqlx::query_as(holds).fetch_all(pool).await?);
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let mut tallies: HashMap<(String, String), CampaignTally> = HashMap::new();
        for (campaign, person, n) in nudged {
            tallies.entry((campaign, person)).or_default().nudges = count(n);
        }
        for (campaign, person, reason, n) in held {
            let tally = tallies.entry((campaign, person)).or_default();
            match HoldReason::parse(&reason)? {
                HoldReason::Budget => tally.held_by_budget = count(n),
                HoldReason::Day => tally.held_for_the_day = count(n),
            }
        }
        Ok(tallies)
    }

    /// Records the nudges due but held on `day`, each once per campaign, person, round and day.
    pub async fn record_campaign_holds(&self, holds: &[CampaignHold], day: Date) -> Result<(), StoreError> {
        let day = day.to_string();
        with_pool!(self, pool => {
            for chunk in holds.chunks(STEP_ROWS) {
                let mut query = QueryBuilder::new("INSERT INTO campaign_holds (campaign, person, round, day, reason) ");
                query.push_values(chunk, |mut row, hold| {
                    row.push_bind(hold.campaign.as_str())
                        .push_bind(hold.person.as_str())
                        .push_bind(i64::from(hold.round))
                        .push_bind(day.as_str())
                        .push_bind(hold.reason.as_str());
                });
                query.push(" ON CONFLICT (campaign, person, round, day) DO NOTHING");
                query.build().execute(pool).await?;
            }
            Ok(())
        })
    }

    /// The round `person` (an email, in lower case) is in, in `campaign`; none when they were
    /// never in it.
    pub async fn campaign_round(&self, campaign: &str, person: &str) -> Result<Option<u32>, StoreError> {
        let query = "SELECT round FROM campaign_enrolments WHERE campaign = $1 AND person = $2";
        let round: Option<i64> = with_pool!(self, pool => {
            sqlx::query_scalar(query).bind(campaign).bind(person).fetch_optional(pool).await?
        });
        round
            .map(|round| {
                u32::try_from(round).map_err(|_| StoreError::Corrupt(format!("a campaign round {round}")))
            })
            .transpose()
    }

    /// Records campaign steps with their events in one transaction, 500 rows to a statement;
    /// returns the events recorded. A step another server recorded first is left out, with
    /// its event.
    pub async fn record_campaign_steps(
        &self,
        changes: &[CampaignChange],
        now: OffsetDateTime,
    ) -> Result<Vec<NewEvent>, StoreError> {
        let starts: Vec<(&CampaignChange, OffsetDateTime)> = changes
            .iter()
            .filter_map(|change| match change.step {
                CampaignStep::Start { gap_since, .. } => Some((change, gap_since)),
                _ => None,
            })
            .collect();
        let nudges: Vec<(&CampaignChange, i64)> = changes
            .iter()
            .filter_map(|change| match change.step {
                CampaignStep::Nudge { index } => Some((change, i64::try_from(index).unwrap_or(i64::MAX))),
                _ => None,
            })
            .collect();
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            for chunk in starts.chunks(STEP_ROWS) {
                let mut insert = QueryBuilder::new(START);
                insert.push_values(chunk, |mut row, (change, gap_since)| {
                    row.push_bind(&change.campaign)
                        .push_bind(&change.person)
                        .push_bind(change.team.as_deref())
                        .push_bind(i64::from(change.round))
                        .push_bind(*gap_since);
                });
                insert.push(START_ON_CONFLICT);
                insert.build().execute(&mut *tx).await?;
            }
            let mut taken: HashSet<(String, String, i64, i64)> = HashSet::new();
            for chunk in nudges.chunks(STEP_ROWS) {
                let mut insert = QueryBuilder::new(NUDGE);
                insert.push_values(chunk, |mut row, (change, number)| {
                    row.push_bind(&change.campaign)
                        .push_bind(&change.person)
                        .push_bind(i64::from(change.round))
                        .push_bind(*number)
                        .push_bind(now);
                });
                insert.push(" ON CONFLICT DO NOTHING RETURNING campaign, person, round, number");
                for row in insert.build().fetch_all(&mut *tx).await? {
                    taken.insert((row.try_get("campaign")?, row.try_get("person")?, row.try_get("round")?, row.try_get("number")?));
                }
            }
            let mut events = Vec::new();
            for change in changes {
                let recorded = match change.step {
                    CampaignStep::Start { .. } => false,
                    CampaignStep::Nudge { index } => taken.contains(&(
                        change.campaign.clone(),
                        change.person.clone(),
                        i64::from(change.round),
                        i64::try_from(index).unwrap_or(i64::MAX),
                    )),
                    // Few at a time: one statement each.
                    CampaignStep::HabitShown { .. } => sqlx::query(HABIT)
                        .bind(&change.campaign)
                        .bind(&change.person)
                        .bind(i64::from(change.round))
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                        == 1,
                };
                if let (true, Some(event)) = (recorded, &change.event) {
                    events.push(event.clone());
                }
            }
            let once = append_once_events!(tx, &events, now);
            tx.commit().await?;
            events.retain(|event| event.once.as_ref().is_some_and(|key| once.contains(key)));
            Ok(events)
        })
    }
}
