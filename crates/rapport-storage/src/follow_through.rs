//! Follow-through: the settings file's versions, one draft per advisory (waiting for review,
//! sent or dismissed), what the drafting has read of the intel imports, and the lookups that
//! find who an advisory concerns: open findings of its vulnerabilities, and the devices that
//! run its software. Each change (drafted, words changed, set aside, sent, settings applied)
//! is written with its event in one transaction, and a draft is sent only once.

use rapport_core::{
    Actor, Advisory, DeviceFacts, DraftState, DraftWording, EventFacts, EventKind, Software, VulnRecord,
};
use sqlx::{QueryBuilder, Row};
use time::OffsetDateTime;

use crate::assets::unpack;
use crate::events::{NewEvent, append_event, append_once_events, begin_with_events};
use crate::import::in_list;
use crate::{Store, StoreError, with_pool};

const ROWS_PER_STATEMENT: usize = 500;

/// Records and devices read per query.
const PAGE: i64 = 1000;

/// A version of the settings file the security team applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFollowThroughSettings {
    pub file: String,
    pub content: String,
    pub applied_by: Option<String>,
    pub applied_at: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredDraft {
    pub id: i64,
    pub advisory: Advisory,
    pub wording: DraftWording,
    pub state: DraftState,
    pub drafted_at: OffsetDateTime,
    pub edited_by: Option<String>,
    pub edited_at: Option<OffsetDateTime>,
    /// Who sent or dismissed it (none when it went by itself), and when.
    pub decided_by: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
    /// How many people and teams it reached, once sent.
    pub people: Option<u64>,
    pub teams: Option<u64>,
}

/// An open finding of one of an advisory's vulnerabilities, where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingPlace {
    pub vulnerability: String,
    pub target: String,
    pub owner_team: Option<String>,
    /// Who uses the device, when the target is one inventory knows.
    pub user: Option<String>,
}

/// A device that runs some of the software asked about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRunning {
    pub name: String,
    pub hostname: Option<String>,
    pub user: Option<String>,
    pub owner_team: Option<String>,
    pub software: Vec<Software>,
}

impl DeviceRunning {
    pub fn display_name(&self) -> &str {
        self.hostname.as_deref().unwrap_or(&self.name)
    }
}

macro_rules! select_drafts {
    ($tail:literal) => {
        concat!(
            "SELECT id, advisory, wording, state, drafted_at, edited_by, edited_at, decided_by, decided_at, \
             people, teams FROM follow_through_drafts ",
            $tail
        )
    };
}

macro_rules! draft_from {
    ($row:expr) => {{
        let row = $row;
        let advisory: String = row.try_get("advisory")?;
        let wording: String = row.try_get("wording")?;
        let state: String = row.try_get("state")?;
        let count = |name: &str| -> Result<Option<u64>, StoreError> {
            let value: Option<i64> = row.try_get(name)?;
            Ok(value.map(|value| u64::try_from(value).unwrap_or(0)))
        };
        Ok::<StoredDraft, StoreError>(StoredDraft {
            id: row.try_get("id")?,
            advisory: serde_json::from_str(&advisory).map_err(|e| corrupt("a draft's advisory", e))?,
            wording: serde_json::from_str(&wording).map_err(|e| corrupt("a draft's words", e))?,
            state: DraftState::parse(&state).ok_or_else(|| corrupt("a draft's state", &state))?,
            drafted_at: row.try_get("drafted_at")?,
            edited_by: row.try_get("edited_by")?,
            edited_at: row.try_get("edited_at")?,
            decided_by: row.try_get("decided_by")?,
            decided_at: row.try_get("decided_at")?,
            people: count("people")?,
            teams: count("teams")?,
        })
    }};
}

/// The event of a change to draft `id` (or to the settings, with none).
fn draft_event(kind: EventKind, actor: Actor, id: Option<i64>, detail: String) -> NewEvent {
    NewEvent {
        kind,
        actor,
        team: None,
        action: None,
        subject: id.map(|id| format!("follow-through #{id}")),
        detail,
        facts: EventFacts { follow_through: id, ..EventFacts::default() },
        once: None,
    }
}

fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {error}"))
}

fn user_of(facts: Option<String>) -> Result<Option<String>, StoreError> {
    match facts {
        Some(text) => {
            let facts: DeviceFacts =
                serde_json::from_str(&text).map_err(|e| corrupt("a device's facts", e))?;
            Ok(facts.user)
        }
        None => Ok(None),
    }
}

impl Store {
    /// The settings file in force, if the security team applied one.
    pub async fn follow_through_settings(&self) -> Result<Option<StoredFollowThroughSettings>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT file, content, applied_by, applied_at FROM follow_through_settings ORDER BY id DESC LIMIT 1",
            )
            .fetch_optional(pool)
            .await?;
            row.map(|row| {
                Ok(StoredFollowThroughSettings {
                    file: row.try_get("file")?,
                    content: row.try_get("content")?,
                    applied_by: row.try_get("applied_by")?,
                    applied_at: row.try_get("applied_at")?,
                })
            })
            .transpose()
        })
    }

    pub async fn set_follow_through_settings(
        &self,
        file: &str,
        content: &str,
        by: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let event = draft_event(
            EventKind::FollowThroughSettingsApplied,
            Actor::Security(by.map(str::to_owned)),
            None,
            format!("follow-through settings applied from {file}"),
        );
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            sqlx::query(
                "INSERT INTO follow_through_settings (file, content, applied_by, applied_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(file)
            .bind(content)
            .bind(by)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            append_event!(tx, &event, at);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Stores a draft for an advisory with its event; `None` when that advisory was drafted
    /// before.
    pub async fn add_follow_through_draft(
        &self,
        advisory: &Advisory,
        wording: &DraftWording,
        at: OffsetDateTime,
    ) -> Result<Option<i64>, StoreError> {
        let advisory_json = serde_json::to_string(advisory).map_err(|e| corrupt("a draft's advisory", e))?;
        let wording_json = serde_json::to_string(wording).map_err(|e| corrupt("a draft's words", e))?;
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO follow_through_drafts (advisory_key, category, advisory, wording, state, drafted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (advisory_key) DO NOTHING RETURNING id",
            )
            .bind(&advisory.key)
            .bind(&advisory.category)
            .bind(advisory_json)
            .bind(wording_json)
            .bind(DraftState::Review.as_str())
            .bind(at)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else { return Ok(None) };
            let detail = format!("drafted from {}: {}", advisory.source, advisory.title);
            append_event!(tx, &draft_event(EventKind::FollowThroughDrafted, Actor::Scan, Some(id), detail), at);
            tx.commit().await?;
            Ok(Some(id))
        })
    }

    /// The drafts in `state` (all when none), newest first.
    pub async fn follow_through_drafts(
        &self,
        state: Option<DraftState>,
    ) -> Result<Vec<StoredDraft>, StoreError> {
        let query = select_drafts!("WHERE ($1 IS NULL OR state = $1) ORDER BY id DESC");
        with_pool!(self, pool => {
            let rows = sqlx::query(query).bind(state.map(DraftState::as_str)).fetch_all(pool).await?;
            rows.iter().map(|row| draft_from!(row)).collect()
        })
    }

    pub async fn follow_through_draft(&self, id: i64) -> Result<Option<StoredDraft>, StoreError> {
        let query = select_drafts!("WHERE id = $1");
        with_pool!(self, pool => {
            let row = sqlx::query(query).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(|row| draft_from!(row)).transpose()
        })
    }

    /// Replaces a draft's words while it waits for review, with its event; false when it no
    /// longer waits.
    pub async fn edit_follow_through_draft(
        &self,
        id: i64,
        wording: &DraftWording,
        by: &str,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let wording = serde_json::to_string(wording).map_err(|e| corrupt("a draft's words", e))?;
        let actor = Actor::Security(Some(by.to_owned()));
        let event =
            draft_event(EventKind::FollowThroughEdited, actor, Some(id), format!("{by} changed its words"));
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let changed = sqlx::query(
                "UPDATE follow_through_drafts SET wording = $1, edited_by = $2, edited_at = $3 \
                 WHERE id = $4 AND state = 'review'",
            )
            .bind(wording)
            .bind(by)
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Ok(false);
            }
            append_event!(tx, &event, at);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Sets a draft aside, with its event; false when it no longer waits for review.
    pub async fn dismiss_follow_through_draft(
        &self,
        id: i64,
        by: &str,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let actor = Actor::Security(Some(by.to_owned()));
        let event =
            draft_event(EventKind::FollowThroughDismissed, actor, Some(id), format!("{by} set it aside"));
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let changed = sqlx::query(
                "UPDATE follow_through_drafts SET state = 'dismissed', decided_by = $1, decided_at = $2 \
                 WHERE id = $3 AND state = 'review'",
            )
            .bind(by)
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Ok(false);
            }
            append_event!(tx, &event, at);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Marks a draft sent with one event per person and team it reaches (each with its
    /// `once` name), in one transaction; false when it was sent or dismissed before.
    pub async fn send_follow_through(
        &self,
        id: i64,
        events: &[NewEvent],
        (people, teams): (u64, u64),
        by: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let sent = sqlx::query(
                "UPDATE follow_through_drafts SET state = 'sent', decided_by = $1, decided_at = $2, people = $3, \
                 teams = $4 WHERE id = $5 AND state = 'review'",
            )
            .bind(by)
            .bind(at)
            .bind(count(people))
            .bind(count(teams))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !sent {
                return Ok(false);
            }
            append_once_events!(tx, events, at);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The last intel import drafting has read (0 before the first).
    pub async fn follow_through_cursor(&self) -> Result<i64, StoreError> {
        with_pool!(self, pool => {
            let cursor: Option<i64> = sqlx::query_scalar("SELECT intel_import FROM follow_through_cursor WHERE id = 1")
                .fetch_optional(pool)
                .await?;
            Ok(cursor.unwrap_or(0))
        })
    }

    pub async fn set_follow_through_cursor(&self, intel_import: i64) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO follow_through_cursor (id, intel_import) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET intel_import = excluded.intel_import",
            )
            .bind(intel_import)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Hands each vulnerability record stored by an intel import after `intel_import` to
    /// `each`, a page at a time.
    pub async fn each_vuln_record_since<E: From<StoreError>>(
        &self,
        intel_import: i64,
        mut each: impl FnMut(VulnRecord) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut after = (String::new(), String::new());
        loop {
            let rows: Vec<(String, String, String)> = with_pool!(self, pool => {
                sqlx::query_as(
                    "SELECT vuln_id, source, body FROM vuln_records WHERE intel_import > $1 \
                     AND (vuln_id > $2 OR (vuln_id = $2 AND source > $3)) ORDER BY vuln_id, source LIMIT $4",
                )
                .bind(intel_import)
                .bind(&after.0)
                .bind(&after.1)
                .bind(PAGE)
                .fetch_all(pool)
                .await
                .map_err(StoreError::from)?
            });
            let fetched = rows.len();
            for (id, source, body) in rows {
                each(serde_json::from_str(&body).map_err(|e| corrupt("a vulnerability record", e))?)?;
                after = (id, source);
            }
            if fetched < PAGE as usize {
                return Ok(());
            }
        }
    }

    /// Every vulnerability id some open finding has, as the finding names it.
    pub async fn open_vulnerabilities(&self) -> Result<std::collections::HashSet<String>, StoreError> {
        with_pool!(self, pool => {
            let ids: Vec<String> =
                sqlx::query_scalar("SELECT DISTINCT vulnerability FROM findings WHERE resolved_import IS NULL")
                    .fetch_all(pool)
                    .await?;
            Ok(ids.into_iter().collect())
        })
    }

    /// Where the open findings of `vulnerabilities` (as findings name them) are.
    pub async fn open_findings_of(
        &self,
        vulnerabilities: &[String],
    ) -> Result<Vec<FindingPlace>, StoreError> {
        let mut places = Vec::new();
        for chunk in vulnerabilities.chunks(ROWS_PER_STATEMENT) {
            with_pool!(self, pool => {
            let mut query = QueryBuilder::new(
                "SELECT DISTINCT f.vulnerability, sc.target, owned.owner_team, owned.facts FROM findings f \
                 JOIN scopes sc ON sc.scope_key = f.scope \
                 LEFT JOIN assets owned ON owned.name = sc.target AND owned.kind = sc.target_kind \
                 WHERE f.resolved_import IS NULL AND f.vulnerability",
            );
            in_list(&mut query, chunk.iter().map(String::as_str));
            query.push(" ORDER BY sc.target, f.vulnerability");
                let rows = query.build().fetch_all(pool).await?;
                for row in rows {
                    places.push(FindingPlace {
                        vulnerability: row.try_get("vulnerability")?,
                        target: row.try_get("target")?,
                        owner_team: row.try_get("owner_team")?,
                        user: user_of(row.try_get("facts")?)?,
                    });
                }
            });
        }
        Ok(places)
    }

    /// The devices that run any version of software named one of `names` (in any case),
    /// each with those packages.
    pub async fn devices_running(&self, names: &[String]) -> Result<Vec<DeviceRunning>, StoreError> {
        let catalogue = self.software_named(names).await?;
        let mut devices = Vec::new();
        if catalogue.is_empty() {
            return Ok(devices);
        }
        let mut after = 0_i64;
        loop {
            let rows = with_pool!(self, pool => {
                let rows = sqlx::query(
                    "SELECT id, name, hostname, facts, owner_team, software FROM assets \
                     WHERE software IS NOT NULL AND id > $1 ORDER BY id LIMIT $2",
                )
                .bind(after)
                .bind(PAGE)
                .fetch_all(pool)
                .await?;
                let mut page = Vec::with_capacity(rows.len());
                for row in &rows {
                    let packed: Vec<u8> = row.try_get("software")?;
                    let id: i64 = row.try_get("id")?;
                    after = id;
                    let software: Vec<Software> =
                        unpack(&packed).iter().filter_map(|id| catalogue.get(id).cloned()).collect();
                    if software.is_empty() {
                        continue;
                    }
                    page.push(DeviceRunning {
                        name: row.try_get("name")?,
                        hostname: row.try_get("hostname")?,
                        user: user_of(row.try_get("facts")?)?,
                        owner_team: row.try_get("owner_team")?,
                        software,
                    });
                }
                (rows.len(), page)
            });
            let (fetched, page) = rows;
            devices.extend(page);
            if fetched < PAGE as usize {
                return Ok(devices);
            }
        }
    }
}
