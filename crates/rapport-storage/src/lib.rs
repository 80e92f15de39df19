//! Rapport's one storage API, over SQLite (the default) and PostgreSQL.
//!
//! API boundary: [`Store`] and the types it returns. Only this crate contains SQL. Each
//! back end has its own migrations (`migrations/sqlite`, `migrations/postgres`, same file
//! names); the SQL text of queries is shared, and the two back ends differ only in how they
//! connect, which is decided once in [`Store::connect`].

mod accounts;
mod answers;
mod assets;
mod audit;
mod campaign_answers;
mod campaigns;
mod decisions;
mod deliveries;
mod directory;
mod error;
mod events;
mod exceptions;
mod follow_through;
mod import;
mod incidents;
mod intel;
mod messages;
mod ownership;
mod plan;
mod policies;
mod queries;
mod row;
mod stix;
mod stream;
pub mod testing;
mod vex;

use std::str::FromStr;

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use accounts::{Account, ApiToken, AuditEvent, NewAccount, SessionRecord, TokenScope, TokenUse};
pub use answers::{AnswerKind, NewAnswer, StoredAnswer};
pub use assets::{AssetFilter, AssetOwnership, AssetRecord, DeviceReported, ExposureSaid};
pub use audit::{AuditAct, AuditEntry, AuditFilter};
pub use campaign_answers::{CampaignAnswerKind, NewCampaignAnswer, StoredCampaignAnswer};
pub use campaigns::{
    CampaignChange, CampaignHold, CampaignTally, HoldReason, StoredCampaignFile, StoredEnrolment,
};
pub use decisions::{
    AdvisoryIds, ChangeLine, DecisionLine, DecisionWrite, OpenFinding, Replaced, ScopeAsset, StoredChange,
    StoredDecision, StoredTree, assessment_key,
};
pub use deliveries::{ClaimedDelivery, DeliveryRecord};
pub use error::StoreError;
pub use events::{EventFact, EventFilter, NewEvent, StoredEvent};
pub use exceptions::{EmergencyOverride, ExceptionRequest, ExceptionState, StoredException};
pub use follow_through::{DeviceRunning, FindingPlace, StoredDraft, StoredFollowThroughSettings};
pub use import::{ImportSession, ImportStart, ImportSummary};
pub use incidents::{StoredIncident, incident_subject};
pub use intel::{FeedValidators, IntelCounts, IntelImport, IntelImportRecord};
pub use messages::{
    MessageFilter, MessagePreference, NewMessage, SentLately, StoredMessage, StoredTemplate, WinTold,
};
pub use ownership::OwnershipVersion;
pub use plan::{
    ActionStatus, ActionWrite, AdvisoryText, DecisionSummary, PlanFinding, PlanScope, StoredAction,
};
pub use policies::{PolicyAck, StoredPolicy};
pub use queries::{
    DecisionFilter, FindingFilter, FindingOrder, FindingState, ImportRecord, OwnerFilter, StoredFinding,
};
pub use row::FindingRow;
pub use stix::{StixAdded, StixTypeCount, StoredStixObject};

/// The URL used when none is given: a SQLite file under `./rapport-data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://rapport-data/rapport.db";

/// A connection pool to one of the supported databases.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool the store holds. The body is compiled
/// once per back end, so the SQL in it must be valid in both dialects.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::Store::Sqlite($pool) => $body,
            $crate::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

impl Store {
    /// Connects to `url` (`sqlite://path`, `sqlite::memory:`, `postgres://...`) and brings
    /// the schema up to date. A SQLite file and its folder are created when missing.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let store = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)
                .map_err(StoreError::connect)?
                // Large imports run long statements by design; they are not worth a warning.
                .log_slow_statements(tracing::log::LevelFilter::Debug, std::time::Duration::from_secs(60));
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await
                .map_err(StoreError::connect)?;
            Store::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            Store::Sqlite(connect_sqlite(url).await?)
        } else {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Brings the schema up to date. A schema already up to date is only read, so a command
    /// starting while a long import holds SQLite's writer does not wait for it; one that
    /// needs migrating waits its turn.
    async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self {
            Store::Sqlite(_) => sqlx::migrate!("./migrations/sqlite"),
            Store::Postgres(_) => sqlx::migrate!("./migrations/postgres"),
        };
        let wanted: Vec<i64> = migrator.iter().map(|migration| migration.version).collect();
        if self.applied_migrations().await == wanted {
            return Ok(());
        }
        loop {
            let ran = with_pool!(self, pool => migrator.run(pool).await);
            match ran {
                Err(sqlx::migrate::MigrateError::Execute(error)) if is_busy(&error) => {
                    tracing::info!("another import is writing; the schema's update waits its turn");
                }
                ran => return Ok(ran?),
            }
        }
    }

    /// The migrations applied, oldest first; none when there is no schema yet.
    async fn applied_migrations(&self) -> Vec<i64> {
        let query = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
        let applied = with_pool!(self, pool => sqlx::query_scalar(query).fetch_all(pool).await);
        applied.unwrap_or_default()
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}

/// How long a SQLite write waits for the writer before it is refused.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A statement that writes nothing but takes the main SQLite file's write lock.
pub(crate) const CLAIM_MAIN_WRITER: &str = "DELETE FROM main.imports WHERE id < 0";

/// Whether SQLite refused because another connection holds the write lock.
pub(crate) fn is_busy(error: &sqlx::Error) -> bool {
    // SQLITE_BUSY, and its extended codes (recovery, snapshot, timeout).
    matches!(error, sqlx::Error::Database(db) if db.code().is_some_and(|code| code.parse::<i32>().is_ok_and(|code| code & 0xff == 5)))
}

impl Store {
    /// Whether another import (of this process or another) is writing to the database now:
    /// on SQLite one writer at a time holds the whole file. PostgreSQL writers lock rows, so
    /// there it is never so.
    pub async fn writer_busy(&self) -> Result<bool, StoreError> {
        let Store::Sqlite(pool) = self else { return Ok(false) };
        let mut connection = pool.acquire().await?;
        // A probe that does not wait: the connection's usual patience is restored after.
        sqlx::query("PRAGMA busy_timeout = 0").execute(&mut *connection).await?;
        // A write that changes nothing claims the main file's writer, and only that file's:
        // `BEGIN IMMEDIATE` would claim the access file's too.
        sqlx::query("BEGIN").execute(&mut *connection).await?;
        let probed = sqlx::query(CLAIM_MAIN_WRITER).execute(&mut *connection).await;
        sqlx::query("ROLLBACK").execute(&mut *connection).await?;
        let busy = match probed {
            Ok(_) => false,
            Err(error) if is_busy(&error) => true,
            Err(error) => return Err(error.into()),
        };
        let restore = format!("PRAGMA busy_timeout = {}", BUSY_TIMEOUT.as_millis());
        sqlx::query(sqlx::AssertSqlSafe(restore)).execute(&mut *connection).await?;
        Ok(busy)
    }
}

async fn connect_sqlite(url: &str) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(StoreError::connect)?
        .create_if_missing(true)
        // 8 KiB pages (for new databases; SQLite keeps a file's page size): a million-finding
        // first import takes 6 s instead of 7, a re-import 2.6 s instead of 3 (measured).
        .page_size(8192)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        // 32 MiB of page cache holds the fingerprint index of a million findings; more only
        // grows memory without making imports faster (measured with `cargo xtask bench`).
        .pragma("cache_size", "-32768")
        // Large imports run long statements by design; they are not worth a warning.
        .log_slow_statements(tracing::log::LevelFilter::Debug, std::time::Duration::from_secs(60))
        .busy_timeout(BUSY_TIMEOUT);
    let folder = options.get_filename().parent().filter(|p| !p.as_os_str().is_empty()).map(ToOwned::to_owned);
    if let Some(folder) = folder {
        std::fs::create_dir_all(&folder)
            .map_err(|e| StoreError::CreateFolder(folder.display().to_string(), e))?;
    }
    let access = access_file(url, options.get_filename());
    SqlitePoolOptions::new()
        .max_connections(4)
        .after_connect(move |connection, _| {
            let access = access.clone();
            Box::pin(async move {
                sqlx::query("ATTACH DATABASE $1 AS access").bind(access).execute(&mut *connection).await?;
                sqlx::query("PRAGMA access.journal_mode = WAL").execute(&mut *connection).await?;
                sqlx::query("PRAGMA access.synchronous = NORMAL").execute(&mut *connection).await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(StoreError::connect)
}

/// The SQLite file beside the main one that holds the sessions and the audit log, attached
/// to every connection as `access`. SQLite lets one writer at a time hold a whole file, so
/// with these in their own file, signing in and auditing never wait for a long import.
/// `rapport.db` keeps them in `rapport-access.db`; an in-memory database in memory too.
fn access_file(url: &str, main: &std::path::Path) -> String {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if in_memory {
        let name = main.to_string_lossy();
        return format!("file:{}-access?mode=memory&cache=shared", name.trim_start_matches("file:"));
    }
    let stem = main.file_stem().map_or_else(|| "rapport".into(), |stem| stem.to_string_lossy());
    let name = match main.extension() {
        Some(extension) => format!("{stem}-access.{}", extension.to_string_lossy()),
        None => format!("{stem}-access"),
    };
    main.with_file_name(name).to_string_lossy().into_owned()
}

/// A database URL with its password replaced, safe to print or log.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = url.get(scheme + 3..at).unwrap_or_default();
            match credentials.split_once(':') {
                Some((user, _)) => format!(
                    "{}{user}:***{}",
                    url.get(..scheme + 3).unwrap_or_default(),
                    url.get(at..).unwrap_or_default()
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://rapport:s3cret@db:5432/rapport"),
            "postgres://rapport:***@db:5432/rapport"
        );
        assert_eq!(redact("sqlite://rapport-data/rapport.db"), "sqlite://rapport-data/rapport.db");
    }
}
