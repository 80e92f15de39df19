//! The audit log as one list: the server's own security acts (`audit_events`: sign-ins,
//! accounts, tokens, uploads, ownership) and the events people caused in the stream, newest
//! first, filtered and paged in the database.

use rapport_core::EventKind;
use sqlx::Row;
use time::OffsetDateTime;

use crate::queries::contains_pattern;
use crate::{Store, StoreError, with_pool};

/// What kind of act an entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditAct {
    /// One of the server's own acts, by its name (`login failed`, `account created`...).
    Act(String),
    /// An event of the stream.
    Event(EventKind),
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: OffsetDateTime,
    /// The email of who did it; `None` for a failed sign-in, or for the security team as a
    /// whole on an event.
    pub who: Option<String>,
    pub act: AuditAct,
    /// What it was done to, in words.
    pub on: Option<String>,
    /// The action it concerns, for an event on one.
    pub action: Option<i64>,
    pub detail: String,
    /// Where the request came from.
    pub source: Option<String>,
}

/// Which entries, and which page of them.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Only what this person did (their email, in any case).
    pub who: Option<String>,
    pub act: Option<AuditAct>,
    /// Words anywhere in who, on what or the detail, in any case.
    pub search: Option<String>,
    pub offset: u32,
    pub limit: u32,
}

const SELECT_AUDIT_LOG: &str = "SELECT at, who, act, kind, on_what, action, detail, source FROM ( \
     SELECT id, at, actor AS who, act, NULL AS kind, target AS on_what, NULL AS action, detail, source, 0 AS stream \
     FROM audit_events \
     UNION ALL \
     SELECT id, at, actor, NULL, kind, subject, action, detail, NULL, 1 \
     FROM events WHERE actor_kind IN ('person', 'security') \
   ) log \
   WHERE ($1 IS NULL OR LOWER(who) = LOWER($1)) \
     AND (($2 IS NULL AND $3 IS NULL) OR act = $2 OR kind = $3) \
     AND ($4 IS NULL OR LOWER(COALESCE(who, '') || ' ' || COALESCE(on_what, '') || ' ' || detail) LIKE $4 ESCAPE '\\') \
   ORDER BY at DESC, stream, id DESC LIMIT $5 OFFSET $6";

impl Store {
    /// One page of the audit log, newest first.
    pub async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let (act, kind) = match &filter.act {
            Some(AuditAct::Act(act)) => (Some(act.as_str()), None),
            Some(AuditAct::Event(kind)) => (None, Some(kind.as_str())),
            None => (None, None),
        };
        let search = filter.search.as_deref().map(contains_pattern);
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_AUDIT_LOG)
                .bind(filter.who.as_deref())
                .bind(act)
                .bind(kind)
                .bind(search.as_deref())
                .bind(i64::from(filter.limit))
                .bind(i64::from(filter.offset))
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| {
                    let act = match row.try_get::<Option<String>, _>("kind")? {
                        Some(kind) => AuditAct::Event(
                            EventKind::parse(&kind)
                                .ok_or_else(|| StoreError::Corrupt(format!("unknown event kind {kind:?}")))?,
                        ),
                        None => AuditAct::Act(row.try_get("act")?),
                    };
                    Ok(AuditEntry {
                        at: row.try_get("at")?,
                        who: row.try_get("who")?,
                        act,
                        on: row.try_get("on_what")?,
                        action: row.try_get("action")?,
                        detail: row.try_get("detail")?,
                        source: row.try_get("source")?,
                    })
                })
                .collect()
        })
    }

    /// The names of the server's own acts that are in the log, for a filter to offer.
    pub async fn audit_acts(&self) -> Result<Vec<String>, StoreError> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar("SELECT DISTINCT act FROM audit_events ORDER BY act").fetch_all(pool).await?)
        })
    }
}
