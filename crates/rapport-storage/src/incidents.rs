//! Incidents as the security team recorded them, each written with its event; their history
//! is the events under the subject "incident #id".

use rapport_core::{Actor, EventFacts, EventKind, Incident};
use sqlx::Row;
use time::OffsetDateTime;

use crate::events::{NewEvent, append_event, begin_with_events};
use crate::{Store, StoreError, with_pool};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredIncident {
    pub id: i64,
    pub incident: Incident,
    pub recorded_by: Option<String>,
    pub recorded_at: OffsetDateTime,
}

/// The subject an incident's events carry.
pub fn incident_subject(id: i64) -> String {
    format!("incident #{id}")
}

macro_rules! incident_from {
    ($row:expr) => {{
        let row = $row;
        let record: String = row.try_get("record")?;
        let incident = serde_json::from_str(&record)
            .map_err(|error| StoreError::Corrupt(format!("an incident's record: {error}")))?;
        StoredIncident {
            id: row.try_get("id")?,
            incident,
            recorded_by: row.try_get("recorded_by")?,
            recorded_at: row.try_get("recorded_at")?,
        }
    }};
}

impl Store {
    /// Records an incident, with the event that opens its history; returns its id.
    pub async fn record_incident(
        &self,
        incident: &Incident,
        by: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let record = serde_json::to_string(incident)
            .map_err(|error| StoreError::Corrupt(format!("an incident's record: {error}")))?;
        let insert = "INSERT INTO incidents (summary, record, recorded_by, recorded_at) VALUES ($1, $2, $3, $4) RETURNING id";
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let id: i64 = sqlx::query_scalar(insert)
                .bind(&incident.summary)
                .bind(&record)
                .bind(by)
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
            let event = NewEvent {
                kind: EventKind::IncidentRecorded,
                actor: Actor::Security(by.map(str::to_owned)),
                team: None,
                action: None,
                subject: Some(incident_subject(id)),
                detail: incident.summary.clone(),
                facts: EventFacts::default(),
                once: None,
            };
            append_event!(tx, &event, at);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Every incident, the latest first.
    pub async fn incidents(&self) -> Result<Vec<StoredIncident>, StoreError> {
        let query = "SELECT id, record, recorded_by, recorded_at FROM incidents ORDER BY id DESC";
        with_pool!(self, pool => {
            let rows = sqlx::query(query).fetch_all(pool).await?;
            rows.iter().map(|row| Ok(incident_from!(row))).collect()
        })
    }

    pub async fn incident(&self, id: i64) -> Result<Option<StoredIncident>, StoreError> {
        let query = "SELECT id, record, recorded_by, recorded_at FROM incidents WHERE id = $1";
        with_pool!(self, pool => {
            let row = sqlx::query(query).bind(id).fetch_optional(pool).await?;
            row.map(|row| Ok(incident_from!(&row))).transpose()
        })
    }
}
