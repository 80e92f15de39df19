//! One file's import: one transaction, all of it or nothing.
//!
//! Rows arrive in batches while the file is still being read. Each batch is inserted with
//! `ON CONFLICT DO NOTHING` (what is inserted is new), then the batch's fingerprints already
//! stored are marked seen by this import (what is updated is known, and reopened if it had
//! been resolved). At the end, the open findings of every scope this file covers that it did
//! not show are marked resolved by this import.

use std::collections::HashSet;

use rapport_core::ScopeKey;
use sqlx::{Postgres, QueryBuilder, Sqlite, Transaction};
use time::OffsetDateTime;

use crate::{FindingRow, Store, StoreError, with_pool};

/// Rows per INSERT: 17 values each stays well under SQLite's 32,766 bound parameters.
const ROWS_PER_STATEMENT: usize = 1000;

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

/// An import in progress. Dropping it without [`finish`](Self::finish) rolls it back.
pub struct ImportSession {
    tx: Tx,
    import_id: i64,
    scopes: HashSet<[u8; 16]>,
    new: u64,
    known: u64,
}

impl std::fmt::Debug for ImportSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportSession")
            .field("import_id", &self.import_id)
            .finish_non_exhaustive()
    }
}

const INSERT_IMPORT: &str =
    "INSERT INTO imports (file, format, source, started_at) VALUES ($1, $2, $3, $4) RETURNING id";

impl Store {
    pub async fn begin_import(&self, start: ImportStart<'_>) -> Result<ImportSession, StoreError> {
        let mut tx = with_pool!(self, pool => {
            let tx = pool.begin().await?;
            tx
        }.into_tx());
        let import_id: i64 = with_tx!(&mut tx, conn => {
            sqlx::query_scalar(INSERT_IMPORT)
                .bind(start.file)
                .bind(start.format)
                .bind(start.source)
                .bind(start.started_at)
                .fetch_one(&mut **conn)
                .await?
        });
        Ok(ImportSession {
            tx,
            import_id,
            scopes: HashSet::new(),
            new: 0,
            known: 0,
        })
    }
}

trait IntoTx {
    fn into_tx(self) -> Tx;
}

impl IntoTx for Transaction<'static, Sqlite> {
    fn into_tx(self) -> Tx {
        Tx::Sqlite(self)
    }
}

impl IntoTx for Transaction<'static, Postgres> {
    fn into_tx(self) -> Tx {
        Tx::Postgres(self)
    }
}

impl ImportSession {
    pub fn import_id(&self) -> i64 {
        self.import_id
    }

    /// Stores a batch of rows; any size, split into statements here.
    pub async fn add(&mut self, rows: &[FindingRow]) -> Result<(), StoreError> {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            self.scopes.extend(chunk.iter().map(|row| row.scope));
            let import_id = self.import_id;
            let (new, known) = with_tx!(&mut self.tx, conn => {
                let new = insert_new(import_id, chunk).build().execute(&mut **conn).await?.rows_affected();
                let known = mark_seen(import_id, chunk).build().execute(&mut **conn).await?.rows_affected();
                (new, known)
            });
            self.new += new;
            self.known += known;
        }
        Ok(())
    }

    /// Resolves what the file's scopes no longer show, records the counts and commits.
    /// `scanned` names scopes the file covered even where it found nothing (a clean rescan).
    pub async fn finish(
        mut self,
        scanned: impl IntoIterator<Item = ScopeKey>,
        finished_at: OffsetDateTime,
    ) -> Result<ImportSummary, StoreError> {
        self.scopes.extend(scanned.into_iter().map(|scope| scope.0));
        let import_id = self.import_id;
        let mut scopes: Vec<[u8; 16]> = self.scopes.into_iter().collect();
        scopes.sort_unstable();
        let mut resolved = 0;
        let summary = with_tx!(self.tx, mut conn => {
            for scope in &scopes {
                resolved += sqlx::query(RESOLVE_MISSING)
                    .bind(import_id)
                    .bind(scope.as_slice())
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
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

const RESOLVE_MISSING: &str = "UPDATE findings SET resolved_import = $1 \
     WHERE scope = $2 AND resolved_import IS NULL AND last_import <> $1";

const RECORD_COUNTS: &str = "UPDATE imports SET finished_at = $2, findings = $3, new_findings = $4, \
     known_findings = $5, resolved_findings = $6 WHERE id = $1";

fn insert_new<DB>(import_id: i64, rows: &[FindingRow]) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Arguments: Default,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i16: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut builder = QueryBuilder::new(
        "INSERT INTO findings (fingerprint, scope, tool, target_kind, target, kind, vulnerability, \
         component, installed_version, fixed_version, location, severity, status, title, detail, \
         first_import, last_import) ",
    );
    builder.push_values(rows, |mut values, row| {
        values
            .push_bind(row.fingerprint.as_slice())
            .push_bind(row.scope.as_slice())
            .push_bind(row.tool.as_str())
            .push_bind(row.target_kind)
            .push_bind(row.target.as_str())
            .push_bind(row.kind)
            .push_bind(row.vulnerability.as_str())
            .push_bind(row.component.as_deref())
            .push_bind(row.installed_version.as_deref())
            .push_bind(row.fixed_version.as_deref())
            .push_bind(row.location.as_deref())
            .push_bind(row.severity)
            .push_bind(row.status)
            .push_bind(row.title.as_str())
            .push_bind(row.detail.as_str())
            .push_bind(import_id)
            .push_bind(import_id);
    });
    builder.push(" ON CONFLICT (fingerprint) DO NOTHING");
    builder
}

fn mark_seen<DB>(import_id: i64, rows: &[FindingRow]) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Arguments: Default,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut builder = QueryBuilder::new("UPDATE findings SET last_import = ");
    builder.push_bind(import_id);
    builder.push(", resolved_import = NULL WHERE last_import <> ");
    builder.push_bind(import_id);
    builder.push(" AND fingerprint IN (");
    let mut fingerprints = builder.separated(", ");
    for row in rows {
        fingerprints.push_bind(row.fingerprint.as_slice());
    }
    builder.push(")");
    builder
}
