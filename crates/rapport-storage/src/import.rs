//! One file's import: one transaction, all of it or nothing.
//!
//! Rows arrive in batches while the file is still being read. A finding of the file is
//! either new (inserted now, so its `first_import` is this import) or known (stored before;
//! its fingerprint goes into a per-import staging table, which also counts each once).
//! Known findings are never rewritten, except to reopen those a rescan had resolved.
//!
//! Each batch takes one of two paths, chosen by what the previous batch was mostly made of
//! (both give the same result; only their cost differs):
//! - mostly new: insert the batch with `ON CONFLICT DO NOTHING`; if some rows conflicted,
//!   stage the known ones;
//! - mostly known: stage the whole batch, look up which fingerprints are not stored (from the
//!   fingerprint index alone) and insert those.
//!
//! At the end, every open finding of a scope the file covers that is neither new nor staged
//! is marked resolved by this import.

use std::collections::{HashMap, HashSet};

use rapport_core::Scope;
use sqlx::{Postgres, QueryBuilder, Sqlite, Transaction};
use time::OffsetDateTime;

use crate::row::EncodedRow;
use crate::{FindingRow, Store, StoreError};

/// Rows per INSERT of new findings: 10 values each stays well under SQLite's 32,766 bound
/// parameters.
const ROWS_PER_INSERT: usize = 1000;
/// Advisory keys remembered per import to skip re-sending the same advisory; bounded so
/// memory stays flat on any file.
const REMEMBERED_ADVISORIES: usize = 100_000;

#[derive(Clone, Debug)]
pub struct ImportStart<'a> {
    pub file: &'a str,
    pub format: &'a str,
    pub source: Option<&'a str>,
    pub started_at: OffsetDateTime,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub import_id: i64,
    /// Distinct findings in the file (a finding listed twice counts once).
    pub findings: u64,
    pub new: u64,
    pub known: u64,
    pub resolved: u64,
}

enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

macro_rules! with_tx {
    ($tx:expr, mut $conn:ident => $body:expr) => {
        match $tx {
            Tx::Sqlite(mut $conn) => $body,
            Tx::Postgres(mut $conn) => $body,
        }
    };
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            Tx::Sqlite($conn) => $body,
            Tx::Postgres($conn) => $body,
        }
    };
}

impl Tx {
    /// PostgreSQL plans from table statistics, which autovacuum refreshes only later: after
    /// a large import a lookup by fingerprint would be planned as a scan of the whole table.
    /// SQLite's planner uses the unique index without statistics, so it needs nothing.
    async fn refresh_statistics(&mut self) -> Result<(), StoreError> {
        if let Tx::Postgres(conn) = self {
            sqlx::query("ANALYZE findings").execute(&mut **conn).await?;
        }
        Ok(())
    }
}

/// True when a count passes 10,000, 100,000, 1,000,000...
fn grew_past_a_power_of_ten(before: u64, after: u64) -> bool {
    after >= 10_000 && before.checked_ilog10() != after.checked_ilog10()
}

/// An import in progress. Dropping it without [`finish`](Self::finish) rolls it back.
pub struct ImportSession {
    tx: Tx,
    import_id: i64,
    scopes: HashMap<[u8; 16], Scope>,
    advisories_sent: HashSet<[u8; 16]>,
    /// Whether any stored finding is resolved; if none is, nothing can need reopening.
    reopen_possible: bool,
    expect_new: bool,
    new: u64,
    known: u64,
}

impl std::fmt::Debug for ImportSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportSession").field("import_id", &self.import_id).finish_non_exhaustive()
    }
}

const INSERT_IMPORT: &str =
    "INSERT INTO imports (file, format, source, started_at) VALUES ($1, $2, $3, $4) RETURNING id";

const ANY_RESOLVED: &str =
    "SELECT COUNT(*) FROM (SELECT 1 FROM findings WHERE resolved_import IS NOT NULL LIMIT 1) AS any_resolved";

/// Per-import setup, the one place the dialects differ: the staging table lives for one
/// transaction, and PostgreSQL is told that random reads are cheap (its default assumes
/// spinning disks, and then plans a batch lookup of 1,000 fingerprints as a scan of the whole
/// table: 12 times slower, measured).
const SETUP_SQLITE: &[&str] = &[
    "DROP TABLE IF EXISTS temp.import_seen",
    "CREATE TEMP TABLE import_seen (fingerprint BLOB PRIMARY KEY) WITHOUT ROWID",
];
const SETUP_POSTGRES: &[&str] = &[
    "DROP TABLE IF EXISTS import_seen",
    "CREATE TEMP TABLE import_seen (fingerprint BYTEA PRIMARY KEY) ON COMMIT DROP",
    "SET LOCAL random_page_cost = 1.1",
];

impl Store {
    pub async fn begin_import(&self, start: ImportStart<'_>) -> Result<ImportSession, StoreError> {
        let mut tx = match self {
            Store::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Store::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        };
        let setup = match &tx {
            Tx::Sqlite(_) => SETUP_SQLITE,
            Tx::Postgres(_) => SETUP_POSTGRES,
        };
        let (import_id, any_resolved): (i64, i64) = with_tx!(&mut tx, conn => {
            for statement in setup {
                sqlx::query(*statement).execute(&mut **conn).await?;
            }
            let any_resolved = sqlx::query_scalar(ANY_RESOLVED).fetch_one(&mut **conn).await?;
            let import_id = sqlx::query_scalar(INSERT_IMPORT)
                .bind(start.file)
                .bind(start.format)
                .bind(start.source)
                .bind(start.started_at)
                .fetch_one(&mut **conn)
                .await?;
            (import_id, any_resolved)
        });
        Ok(ImportSession {
            tx,
            import_id,
            scopes: HashMap::new(),
            advisories_sent: HashSet::new(),
            reopen_possible: any_resolved > 0,
            expect_new: false,
            new: 0,
            known: 0,
        })
    }
}

impl ImportSession {
    /// Stores a batch of rows; any size, split into statements here.
    pub async fn add(&mut self, rows: &[FindingRow]) -> Result<(), StoreError> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut distinct = HashSet::with_capacity(chunk.len());
            let chunk: Vec<&FindingRow> =
                chunk.iter().filter(|row| distinct.insert(row.fingerprint)).collect();
            for row in &chunk {
                self.scopes.entry(row.scope).or_insert_with(|| row.scope_of());
            }
            if self.advisories_sent.len() > REMEMBERED_ADVISORIES {
                self.advisories_sent.clear();
            }
            let (new, known) = if self.expect_new {
                self.insert_then_stage(&chunk).await?
            } else {
                self.stage_then_insert(&chunk).await?
            };
            if self.reopen_possible && known > 0 {
                with_tx!(&mut self.tx, conn => reopen(&chunk).build().execute(&mut **conn).await.map(|_| ())?);
            }
            self.expect_new = new > known;
            if grew_past_a_power_of_ten(self.new, self.new + new) {
                self.tx.refresh_statistics().await?;
            }
            self.new += new;
            self.known += known;
        }
        Ok(())
    }

    /// For batches of mostly new findings: returns (new, newly staged known).
    async fn insert_then_stage(&mut self, chunk: &[&FindingRow]) -> Result<(u64, u64), StoreError> {
        let new = self.insert(chunk).await?;
        if new == chunk.len() as u64 {
            return Ok((new, 0));
        }
        let import_id = self.import_id;
        let known = with_tx!(&mut self.tx, conn => stage_known(import_id, chunk).build().execute(&mut **conn).await?.rows_affected());
        Ok((new, known))
    }

    /// For batches of mostly known findings: returns (new, newly staged known).
    async fn stage_then_insert(&mut self, chunk: &[&FindingRow]) -> Result<(u64, u64), StoreError> {
        let (staged, fresh) = match &mut self.tx {
            Tx::Sqlite(conn) => sqlite_bulk::stage_and_find_new(conn, chunk).await?,
            Tx::Postgres(conn) => postgres_bulk::stage_and_find_new(conn, chunk).await?,
        };
        let fresh: Vec<&FindingRow> =
            chunk.iter().copied().filter(|row| fresh.contains(row.fingerprint.as_slice())).collect();
        let new = if fresh.is_empty() { 0 } else { self.insert(&fresh).await? };
        // Every finding staged for the first time is either new or known.
        Ok((new, staged.saturating_sub(new)))
    }

    /// Inserts findings (and their advisories not yet sent); returns how many were new.
    async fn insert(&mut self, rows: &[&FindingRow]) -> Result<u64, StoreError> {
        let import_id = self.import_id;
        let encoded: Vec<(&FindingRow, EncodedRow)> = rows.iter().map(|row| (*row, row.encode())).collect();
        let sent = &mut self.advisories_sent;
        let advisories: Vec<&EncodedRow> = encoded
            .iter()
            .map(|(_, encoded)| encoded)
            .filter(|encoded| sent.insert(encoded.advisory_key))
            .collect();
        with_tx!(&mut self.tx, conn => {
            if !advisories.is_empty() {
                insert_advisories(&advisories).build().execute(&mut **conn).await?;
            }
        });
        let new = match &mut self.tx {
            Tx::Sqlite(conn) => sqlite_bulk::insert_findings(conn, import_id, &encoded).await?,
            Tx::Postgres(conn) => postgres_bulk::insert_findings(conn, import_id, &encoded).await?,
        };
        Ok(new)
    }

    /// Records the scopes this file covered, resolves what they no longer show, records the
    /// counts and commits. `scanned` names scopes covered even where nothing was found (a
    /// clean rescan).
    pub async fn finish(
        mut self,
        scanned: impl IntoIterator<Item = Scope>,
        finished_at: OffsetDateTime,
    ) -> Result<ImportSummary, StoreError> {
        for scope in scanned {
            self.scopes.entry(scope.key().0).or_insert(scope);
        }
        let import_id = self.import_id;
        let mut scopes: Vec<([u8; 16], Scope)> = self.scopes.into_iter().collect();
        scopes.sort_unstable_by_key(|(key, _)| *key);
        let mut resolved = 0;
        if self.new >= 10_000 {
            self.tx.refresh_statistics().await?;
        }
        let summary = with_tx!(self.tx, mut conn => {
            for (key, scope) in &scopes {
                sqlx::query(RECORD_SCOPE)
                    .bind(key.as_slice())
                    .bind(scope.tool.name.as_str())
                    .bind(scope.target.kind.as_str())
                    .bind(scope.target.name.as_str())
                    .execute(&mut *conn)
                    .await?;
                sqlx::query(RECORD_SCAN)
                    .bind(key.as_slice())
                    .bind(import_id)
                    .bind(scope.tool.version.as_deref())
                    .execute(&mut *conn)
                    .await?;
            }
            // Every finding seen belongs to a covered scope; when the covered scopes hold no
            // more open findings than were seen, none is missing and nothing is resolved.
            let mut open: i64 = 0;
            for keys in scopes.chunks(ROWS_PER_INSERT) {
                open += count_open(keys).build_query_scalar::<i64>().fetch_one(&mut *conn).await?;
            }
            if open as u64 > self.new + self.known {
                for (key, _) in &scopes {
                    resolved += sqlx::query(RESOLVE_MISSING)
                        .bind(import_id)
                        .bind(key.as_slice())
                        .execute(&mut *conn)
                        .await?
                        .rows_affected();
                }
            }
            let summary = ImportSummary {
                import_id,
                findings: self.new + self.known,
                new: self.new,
                known: self.known,
                resolved,
            };
            sqlx::query(RECORD_COUNTS)
                .bind(import_id)
                .bind(finished_at)
                .bind(summary.findings as i64)
                .bind(summary.new as i64)
                .bind(summary.known as i64)
                .bind(summary.resolved as i64)
                .execute(&mut *conn)
                .await?;
            conn.commit().await?;
            summary
        });
        Ok(summary)
    }
}

const RECORD_SCOPE: &str = "INSERT INTO scopes (scope_key, tool, target_kind, target) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (scope_key) DO NOTHING";

const RECORD_SCAN: &str = "INSERT INTO scans (scope, import_id, tool_version) VALUES ($1, $2, $3)";

const RESOLVE_MISSING: &str = "UPDATE findings SET resolved_import = $1 \
     WHERE scope = $2 AND resolved_import IS NULL AND first_import <> $1 \
       AND NOT EXISTS (SELECT 1 FROM import_seen s WHERE s.fingerprint = findings.fingerprint)";

const RECORD_COUNTS: &str = "UPDATE imports SET finished_at = $2, findings = $3, new_findings = $4, \
     known_findings = $5, resolved_findings = $6 WHERE id = $1";

/// Copies the fingerprints of the batch that were stored before this import into the
/// staging table; its affected-row count is how many known findings were seen for the
/// first time in this import.
fn stage_known<DB>(import_id: i64, rows: &[&FindingRow]) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Arguments: Default,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut builder = QueryBuilder::new(
        "INSERT INTO import_seen (fingerprint) SELECT fingerprint FROM findings WHERE first_import <> ",
    );
    builder.push_bind(import_id);
    builder.push(" AND fingerprint");
    in_list(&mut builder, rows.iter().map(|row| row.fingerprint.as_slice()));
    builder.push(" ON CONFLICT (fingerprint) DO NOTHING");
    builder
}

fn in_list<'r, DB>(builder: &mut QueryBuilder<DB>, fingerprints: impl Iterator<Item = &'r [u8]>)
where
    DB: sqlx::Database,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    builder.push(" IN (");
    let mut separated = builder.separated(", ");
    for fingerprint in fingerprints {
        separated.push_bind(fingerprint);
    }
    builder.push(")");
}

fn count_open<DB>(scopes: &[([u8; 16], Scope)]) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Arguments: Default,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut builder =
        QueryBuilder::new("SELECT COUNT(*) FROM findings WHERE resolved_import IS NULL AND scope");
    in_list(&mut builder, scopes.iter().map(|(key, _)| key.as_slice()));
    builder
}

fn reopen<DB>(rows: &[&FindingRow]) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Arguments: Default,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut builder = QueryBuilder::new(
        "UPDATE findings SET resolved_import = NULL WHERE resolved_import IS NOT NULL AND fingerprint",
    );
    in_list(&mut builder, rows.iter().map(|row| row.fingerprint.as_slice()));
    builder
}

fn insert_advisories<DB>(rows: &[&EncodedRow]) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Arguments: Default,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut builder = QueryBuilder::new("INSERT INTO advisories (content_key, body) ");
    builder.push_values(rows, |mut values, row| {
        values.push_bind(row.advisory_key.as_slice()).push_bind(row.advisory.as_str());
    });
    builder.push(" ON CONFLICT (content_key) DO NOTHING");
    builder
}

/// On SQLite, one prepared single-row statement stepped for each row is several times cheaper
/// than binding a statement of thousands of values through sqlx (measured with `cargo xtask
/// bench`). It runs on the very connection, and so in the very transaction, that sqlx holds.
mod sqlite_bulk {
    use std::collections::HashSet;

    use super::{EncodedRow, FINDING_COLUMNS, FindingRow};
    use crate::StoreError;

    pub(super) async fn insert_findings(
        conn: &mut sqlx::SqliteConnection,
        import_id: i64,
        rows: &[(&FindingRow, EncodedRow)],
    ) -> Result<u64, StoreError> {
        let mut handle = conn.lock_handle().await?;
        let database = borrow(&mut handle)?;
        let insert = format!(
            "INSERT INTO findings ({FINDING_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             ON CONFLICT (fingerprint) DO NOTHING"
        );
        let mut statement = database.prepare(&insert)?;
        let mut new = 0;
        for (row, encoded) in rows {
            new += statement.execute(rusqlite::params![
                row.fingerprint.as_slice(),
                row.scope.as_slice(),
                row.finding.kind.as_str(),
                encoded.vulnerability,
                encoded.component,
                row.finding.severity.rank(),
                row.finding.status.as_str(),
                encoded.advisory_key.as_slice(),
                encoded.detail,
                import_id,
            ])? as u64;
        }
        Ok(new)
    }

    /// Stages every fingerprint of the batch and returns how many were staged for the first time
    /// and which fingerprints are not stored yet.
    pub(super) async fn stage_and_find_new(
        conn: &mut sqlx::SqliteConnection,
        rows: &[&FindingRow],
    ) -> Result<(u64, HashSet<Vec<u8>>), StoreError> {
        let mut handle = conn.lock_handle().await?;
        let database = borrow(&mut handle)?;
        let mut stage = database.prepare(STAGE_ONE)?;
        let mut staged = 0;
        for row in rows {
            staged += stage.execute([row.fingerprint.as_slice()])? as u64;
        }
        let mut fresh = HashSet::new();
        if staged > 0 {
            let mut look_up = database.prepare(IS_STORED)?;
            for row in rows {
                if !look_up.exists([row.fingerprint.as_slice()])? {
                    fresh.insert(row.fingerprint.to_vec());
                }
            }
        }
        Ok((staged, fresh))
    }

    const STAGE_ONE: &str =
        "INSERT INTO import_seen (fingerprint) VALUES (?1) ON CONFLICT (fingerprint) DO NOTHING";
    const IS_STORED: &str = "SELECT 1 FROM findings WHERE fingerprint = ?1";

    /// A rusqlite view of the connection sqlx has locked for us; it never closes it.
    #[allow(unsafe_code)]
    fn borrow(handle: &mut sqlx::sqlite::LockedSqliteHandle<'_>) -> Result<rusqlite::Connection, StoreError> {
        // SAFETY: the handle stays locked (no other use of the connection) for as long as the
        // returned Connection lives, which is shorter than the borrow of `handle`;
        // `from_handle` does not take ownership, so dropping it leaves the connection open.
        unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }
            .map_err(StoreError::from)
    }
}

/// The columns of a new finding, in the order both bulk paths bind them.
const FINDING_COLUMNS: &str =
    "fingerprint, scope, kind, vulnerability, component, severity, status, advisory, detail, first_import";

/// PostgreSQL's per-batch statements: multi-row statements, one round trip each.
mod postgres_bulk {
    use std::collections::HashSet;

    use sqlx::{Postgres, QueryBuilder, Row};

    use super::{EncodedRow, FINDING_COLUMNS, FindingRow};
    use crate::StoreError;

    /// Stages every fingerprint of the batch and returns how many were staged for the first time
    /// and which fingerprints are not stored yet.
    pub(super) async fn stage_and_find_new(
        conn: &mut sqlx::PgConnection,
        rows: &[&FindingRow],
    ) -> Result<(u64, HashSet<Vec<u8>>), StoreError> {
        let mut stage = QueryBuilder::<Postgres>::new("INSERT INTO import_seen (fingerprint) ");
        stage.push_values(rows, |mut values, row| {
            values.push_bind(row.fingerprint.as_slice());
        });
        stage.push(" ON CONFLICT (fingerprint) DO NOTHING");
        let staged = stage.build().execute(&mut *conn).await?.rows_affected();
        if staged == 0 {
            return Ok((0, HashSet::new()));
        }
        let mut look_up = QueryBuilder::<Postgres>::new("SELECT batch.column1 FROM (");
        look_up.push_values(rows, |mut values, row| {
            values.push_bind(row.fingerprint.as_slice());
        });
        look_up.push(
            ") AS batch WHERE NOT EXISTS (SELECT 1 FROM findings f WHERE f.fingerprint = batch.column1)",
        );
        let rows = look_up.build().fetch_all(&mut *conn).await?;
        let fresh = rows.iter().map(|row| row.try_get::<Vec<u8>, _>(0)).collect::<Result<_, _>>()?;
        Ok((staged, fresh))
    }

    pub(super) async fn insert_findings(
        conn: &mut sqlx::PgConnection,
        import_id: i64,
        rows: &[(&FindingRow, EncodedRow)],
    ) -> Result<u64, StoreError> {
        let mut insert = QueryBuilder::<Postgres>::new(format!("INSERT INTO findings ({FINDING_COLUMNS}) "));
        insert.push_values(rows, |mut values, (row, encoded)| {
            values
                .push_bind(row.fingerprint.as_slice())
                .push_bind(row.scope.as_slice())
                .push_bind(row.finding.kind.as_str())
                .push_bind(encoded.vulnerability.as_str())
                .push_bind(encoded.component.as_deref())
                .push_bind(row.finding.severity.rank())
                .push_bind(row.finding.status.as_str())
                .push_bind(encoded.advisory_key.as_slice())
                .push_bind(encoded.detail.as_str())
                .push_bind(import_id);
        });
        // A concurrent import of the same finding may have committed first.
        insert.push(" ON CONFLICT (fingerprint) DO NOTHING");
        Ok(insert.build().execute(&mut *conn).await?.rows_affected())
    }
}
