//! The event stream: one append-only, ordered log of what happened, written by each change in
//! its own transaction (`append_event!`) and read from a cursor ([`Store::events`]).
//!
//! On PostgreSQL ids are handed out when a row is inserted, not when its transaction commits,
//! so a reader at `id > N` could skip an event that commits after a later one. Every
//! transaction that appends events therefore first takes the stream's lock
//! ([`EventOrder::hold_stream`]), which makes ids follow commit order. SQLite has one writer.

use futures_util::TryStreamExt;
use rapport_core::{ANSWERED_FROM_MESSAGE, Actor, EventFacts, EventKind};
use sqlx::Row;
use time::OffsetDateTime;

use crate::{Store, StoreError, with_pool};

/// An event to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub actor: Actor,
    pub team: Option<String>,
    pub action: Option<i64>,
    /// What else it concerns, in words ("exception #3").
    pub subject: Option<String>,
    pub detail: String,
    pub facts: EventFacts,
    /// A name the event is recorded under once only (the clock's events).
    pub once: Option<String>,
}

impl NewEvent {
    /// An event on an action of `team`.
    pub fn on_action(
        kind: EventKind,
        actor: Actor,
        team: &str,
        action: i64,
        detail: impl Into<String>,
    ) -> NewEvent {
        NewEvent {
            kind,
            actor,
            team: Some(team.to_owned()),
            action: Some(action),
            subject: None,
            detail: detail.into(),
            facts: EventFacts::default(),
            once: None,
        }
    }

    pub fn about(mut self, subject: impl Into<String>) -> NewEvent {
        self.subject = Some(subject.into());
        self
    }

    pub fn with(mut self, facts: EventFacts) -> NewEvent {
        self.facts = facts;
        self
    }

    /// Recorded once only under `once`, when given.
    pub fn once_as(mut self, once: Option<String>) -> NewEvent {
        self.once = once;
        self
    }
}

/// A recorded event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// Its place in the stream: later events have larger ids.
    pub id: i64,
    pub at: OffsetDateTime,
    pub kind: EventKind,
    pub actor: Actor,
    pub team: Option<String>,
    pub action: Option<i64>,
    pub subject: Option<String>,
    pub detail: String,
    pub facts: EventFacts,
}

/// A recorded event as the figures read it (health, wins): when, what, of which team and
/// action, and its facts, without who caused it or its words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFact {
    pub at: OffsetDateTime,
    pub kind: EventKind,
    pub team: Option<String>,
    pub action: Option<i64>,
    pub facts: EventFacts,
    /// An answer given from a message rather than on the pages.
    pub from_message: bool,
}

/// The events as the figures read them, from a time on; whether an answer came from a message
/// is decided here, against `$2` (the name's beginning and `%`).
const EVENT_FACTS: &str = "SELECT at, kind, team, action, facts, (once_key IS NOT NULL AND once_key LIKE $2) \
     FROM events WHERE at >= $1 ORDER BY id";

/// One row of `EVENT_FACTS`, decoded: its time, kind, team and action, its facts' JSON, and
/// whether it was answered from a message.
fn event_fact(
    (at, kind, team, action): (OffsetDateTime, &str, Option<String>, Option<i64>),
    facts: &str,
    from_message: bool,
) -> Result<EventFact, StoreError> {
    let facts = if facts == "{}" {
        EventFacts::default()
    } else {
        serde_json::from_str(facts).map_err(|e| StoreError::Corrupt(format!("an event's facts: {e}")))?
    };
    let kind =
        EventKind::parse(kind).ok_or_else(|| StoreError::Corrupt(format!("unknown event kind {kind:?}")))?;
    Ok(EventFact { at, kind, team, action, facts, from_message })
}

/// `EVENT_FACTS` on a SQLite file, through a read-only connection of its own. SQLite keeps
/// times as RFC 3339 text, which compares in time order.
fn event_facts_of_file(
    file: &std::path::Path,
    since: &str,
    from_message: &str,
) -> Result<Vec<EventFact>, StoreError> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let database = rusqlite::Connection::open_with_flags(file, flags)?;
    database.busy_timeout(crate::BUSY_TIMEOUT)?;
    let mut statement = database.prepare(EVENT_FACTS)?;
    // `$2` comes first in the text, so the parameters are bound by name, not by place.
    let mut rows = statement.query(rusqlite::named_params! { "$1": since, "$2": from_message })?;
    let mut read = Vec::new();
    while let Some(row) = rows.next()? {
        let at: String = row.get(0)?;
        let at = OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
            .map_err(|e| StoreError::Corrupt(format!("an event's time {at:?}: {e}")))?;
        let kind = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        let facts = row.get_ref(4)?.as_str().map_err(rusqlite::Error::from)?;
        read.push(event_fact((at, kind, row.get(2)?, row.get(3)?), facts, row.get(5)?)?);
    }
    Ok(read)
}

/// Which events to read: those after `after`, optionally of one kind, team or action.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub after: i64,
    pub kind: Option<EventKind>,
    pub team: Option<String>,
    pub action: Option<i64>,
    pub limit: Option<i64>,
}

pub(crate) const INSERT_EVENT: &str = "INSERT INTO events (at, kind, actor_kind, actor, team, action, subject, \
     detail, facts, once_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (once_key) DO NOTHING";

const SELECT_EVENTS: &str = "SELECT id, at, kind, actor_kind, actor, team, action, subject, detail, facts FROM events \
     WHERE id > $1 AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR LOWER(team) = LOWER($3)) \
     AND ($4 IS NULL OR action = $4) ORDER BY id LIMIT $5";

macro_rules! event_from {
    ($row:expr) => {{
        let row = $row;
        let kind: String = row.try_get("kind")?;
        let actor_kind: String = row.try_get("actor_kind")?;
        let actor: Option<String> = row.try_get("actor")?;
        let facts: String = row.try_get("facts")?;
        Ok::<StoredEvent, StoreError>(StoredEvent {
            id: row.try_get("id")?,
            at: row.try_get("at")?,
            kind: EventKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown event kind {kind:?}")))?,
            actor: Actor::from_parts(&actor_kind, actor.clone())
                .ok_or_else(|| StoreError::Corrupt(format!("an event's actor {actor_kind:?} {actor:?}")))?,
            team: row.try_get("team")?,
            action: row.try_get("action")?,
            subject: row.try_get("subject")?,
            detail: row.try_get("detail")?,
            facts: serde_json::from_str(&facts)
                .map_err(|e| StoreError::Corrupt(format!("an event's facts: {e}")))?,
        })
    }};
}

/// Makes ids follow commit order; see the module's note.
pub(crate) trait EventOrder {
    async fn hold_stream(&mut self) -> Result<(), StoreError>;
}

impl EventOrder for sqlx::SqliteConnection {
    async fn hold_stream(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The advisory lock's number: "rapport events" as a word.
const STREAM_LOCK: i64 = 0x7261_7070_6576_7473;

impl EventOrder for sqlx::PgConnection {
    async fn hold_stream(&mut self) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(STREAM_LOCK).execute(self).await?;
        Ok(())
    }
}

/// Begins a transaction that will append events, holding the stream's lock.
macro_rules! begin_with_events {
    ($pool:expr) => {{
        let mut tx = $pool.begin().await?;
        $crate::events::EventOrder::hold_stream(&mut *tx).await?;
        tx
    }};
}
pub(crate) use begin_with_events;

/// Appends `$event` (a `&NewEvent`) in transaction `$tx` (begun by `begin_with_events!`);
/// evaluates to false when an event of its `once` name was recorded before.
macro_rules! append_event {
    ($tx:expr, $event:expr, $at:expr) => {{
        let event: &$crate::events::NewEvent = $event;
        let facts = serde_json::to_string(&event.facts)
            .map_err(|e| $crate::StoreError::Corrupt(format!("an event's facts: {e}")))?;
        let recorded = sqlx::query($crate::events::INSERT_EVENT)
            .bind($at)
            .bind(event.kind.as_str())
            .bind(event.actor.kind())
            .bind(event.actor.email())
            .bind(event.team.as_deref())
            .bind(event.action)
            .bind(event.subject.as_deref())
            .bind(&event.detail)
            .bind(facts)
            .bind(event.once.as_deref())
            .execute(&mut *$tx)
            .await?
            .rows_affected()
            == 1;
        recorded
    }};
}
pub(crate) use append_event;

/// Events one statement stores: 10 values each.
pub(crate) const EVENT_ROWS: usize = 500;

/// Appends `$events` (a `&[NewEvent]`, each with a `once` name) in transaction `$tx`, 500 to
/// a statement, in their order; evaluates to the `once` names recorded now (those recorded
/// before are left out).
macro_rules! append_once_events {
    ($tx:expr, $events:expr, $at:expr) => {{
        let events: &[$crate::events::NewEvent] = $events;
        let mut recorded: std::collections::HashSet<String> = std::collections::HashSet::new();
        for chunk in events.chunks($crate::events::EVENT_ROWS) {
            let mut facts = Vec::with_capacity(chunk.len());
            for event in chunk {
                facts.push(
                    serde_json::to_string(&event.facts)
                        .map_err(|e| $crate::StoreError::Corrupt(format!("an event's facts: {e}")))?,
                );
            }
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO events (at, kind, actor_kind, actor, team, action, subject, detail, facts, once_key) ",
            );
            insert.push_values(chunk.iter().zip(&facts), |mut row, (event, facts)| {
                row.push_bind($at)
                    .push_bind(event.kind.as_str())
                    .push_bind(event.actor.kind())
                    .push_bind(event.actor.email())
                    .push_bind(event.team.as_deref())
                    .push_bind(event.action)
                    .push_bind(event.subject.as_deref())
                    .push_bind(&event.detail)
                    .push_bind(facts)
                    .push_bind(event.once.as_deref());
            });
            insert.push(" ON CONFLICT (once_key) DO NOTHING RETURNING once_key");
            for row in insert.build().fetch_all(&mut *$tx).await? {
                if let Some(key) = row.try_get::<Option<String>, _>("once_key")? {
                    recorded.insert(key);
                }
            }
        }
        recorded
    }};
}
pub(crate) use append_once_events;

/// Appends `$event` as `append_event!` does, and refuses with `StoreError::Repeated` when an
/// event of its `once` name was recorded before, so that its writer's whole transaction is
/// rolled back: an answer given from a message is recorded once however often it is sent.
macro_rules! append_event_or_refuse {
    ($tx:expr, $event:expr, $at:expr) => {{
        let event: &$crate::events::NewEvent = $event;
        if !$crate::events::append_event!($tx, event, $at) {
            return Err($crate::StoreError::Repeated(event.once.clone().unwrap_or_default()));
        }
    }};
}
pub(crate) use append_event_or_refuse;

impl Store {
    /// The events about `subject` ("incident #3"), in order.
    pub async fn events_about(&self, subject: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let query = "SELECT id, at, kind, actor_kind, actor, team, action, subject, detail, facts FROM events \
             WHERE subject = $1 ORDER BY id";
        with_pool!(self, pool => {
            let rows = sqlx::query(query).bind(subject).fetch_all(pool).await?;
            rows.iter().map(|row| event_from!(row)).collect()
        })
    }

    /// The event recorded under the `once` name `key`, if one was.
    pub async fn event_once(&self, key: &str) -> Result<Option<StoredEvent>, StoreError> {
        let query = "SELECT id, at, kind, actor_kind, actor, team, action, subject, detail, facts FROM events \
             WHERE once_key = $1";
        with_pool!(self, pool => {
            let row = sqlx::query(query).bind(key).fetch_optional(pool).await?;
            row.map(|row| event_from!(&row)).transpose()
        })
    }

    /// The event numbered `id`, if there is one.
    pub async fn event(&self, id: i64) -> Result<Option<StoredEvent>, StoreError> {
        let query = "SELECT id, at, kind, actor_kind, actor, team, action, subject, detail, facts FROM events \
             WHERE id = $1";
        with_pool!(self, pool => {
            let row = sqlx::query(query).bind(id).fetch_optional(pool).await?;
            row.map(|row| event_from!(&row)).transpose()
        })
    }

    /// Records events that need no other change in the same transaction (the clock's);
    /// returns those recorded now, leaving out any whose `once` name was recorded before.
    pub async fn append_events(
        &self,
        events: &[NewEvent],
        at: OffsetDateTime,
    ) -> Result<Vec<NewEvent>, StoreError> {
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let mut recorded = Vec::new();
            for event in events {
                if append_event!(tx, event, at) {
                    recorded.push(event.clone());
                }
            }
            tx.commit().await?;
            Ok(recorded)
        })
    }

    /// Events in stream order, from the cursor in `filter`.
    pub async fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_EVENTS)
                .bind(filter.after)
                .bind(filter.kind.map(EventKind::as_str))
                .bind(filter.team.as_deref())
                .bind(filter.action)
                .bind(filter.limit.unwrap_or(i64::MAX))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| event_from!(row)).collect()
        })
    }

    /// Every event that happened from `since` on, in the stream's order, as the figures read
    /// them: only the columns they count, and facts parsed only where there are some. On a
    /// SQLite file the rows are stepped through rusqlite on a connection of their own, on a
    /// blocking thread (sqlx's per-row cost was most of the time: 1.4 s for 577k events
    /// against 0.2 s of counting); elsewhere they are decoded as they arrive, by position.
    pub async fn event_facts_since(&self, since: OffsetDateTime) -> Result<Vec<EventFact>, StoreError> {
        let from_message = format!("{ANSWERED_FROM_MESSAGE}%");
        if let Store::Sqlite(pool) = self {
            let file = pool.connect_options().get_filename().to_owned();
            if file.exists() {
                let since = since
                    .format(&time::format_description::well_known::Rfc3339)
                    .map_err(|e| StoreError::Corrupt(format!("a time to read events from: {e}")))?;
                return tokio::task::spawn_blocking(move || {
                    event_facts_of_file(&file, &since, &from_message)
                })
                .await
                .map_err(|e| StoreError::Corrupt(format!("reading the events stopped: {e}")))?;
            }
        }
        with_pool!(self, pool => {
            let mut rows = sqlx::query(EVENT_FACTS).bind(since).bind(&from_message).fetch(pool);
            let mut read = Vec::new();
            while let Some(row) = rows.try_next().await? {
                read.push(event_fact(
                    (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?),
                    row.try_get(4)?,
                    row.try_get(5)?,
                )?);
            }
            Ok(read)
        })
    }

    /// The history of one action, oldest first.
    pub async fn action_events(&self, action: i64) -> Result<Vec<StoredEvent>, StoreError> {
        self.events(&EventFilter { action: Some(action), ..EventFilter::default() }).await
    }
}
