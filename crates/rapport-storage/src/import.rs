//! One file's import: one transaction, all of it or nothing.
//!
//! Rows arrive in batches while the file is still being read. Each finding of the file is
//! either new (inserted now, so its `first_import` is this import) or known (stored before,
//! found by its fingerprint). Known findings are never rewritten, except to reopen those a
//! rescan had resolved. The ids of every stored finding the file showed are kept in a
//! compressed bitmap (a few hundred KB for a million findings): it tells a finding listed
//! twice from a new one, and it spares the findings the file showed when the rest of its
//! scopes are resolved at the end.
//!
//! On SQLite each batch takes one of two paths, chosen by what the previous batch was mostly
//! made of (both give the same result; only their cost differs): mostly new, insert each row
//! and look up those that conflict; mostly known, look up each row and insert those not found.
//! On PostgreSQL a batch is looked up in one statement and what is missing is copied in.

use std::collections::{HashMap, HashSet};

use rapport_core::Scope;
use roaring::RoaringTreemap;
use sqlx::{Postgres, QueryBuilder, Sqlite, Transaction};
use time::OffsetDateTime;

use crate::row::EncodedRow;
use crate::{FindingRow, Store, StoreError};

/// Values per statement for the statements that list ids or fingerprints: well under
/// SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
const ROWS_PER_STATEMENT: usize = 1000;
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
    /// VEX statements the file added (a VEX document's import).
    pub vex_statements: u64,
    /// Findings whose status those statements changed.
    pub vex_changed: u64,
    /// Devices an inventory file reported, and how many Rapport had not seen before.
    pub devices: u64,
    pub new_devices: u64,
    /// People and teams a directory file listed.
    pub people: u64,
    pub teams: u64,
}

impl ImportSummary {
    /// Whether what the import brought can change ownership, decisions or plans: then a
    /// refresh is owed, and the import records that it is.
    pub fn changes_evidence(&self) -> bool {
        self.findings > 0 || self.resolved > 0 || self.vex_statements > 0 || self.new_devices > 0
    }
}

pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

macro_rules! with_tx {
    ($tx:expr, mut $conn:ident => $body:expr) => {
        match $tx {
            $crate::import::Tx::Sqlite(mut $conn) => $body,
            $crate::import::Tx::Postgres(mut $conn) => $body,
        }
    };
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::import::Tx::Sqlite($conn) => $body,
            $crate::import::Tx::Postgres($conn) => $body,
        }
    };
}

pub(crate) use with_tx;

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
    store: Store,
    pub(crate) tx: Tx,
    pub(crate) import_id: i64,
    scopes: HashMap<[u8; 16], Scope>,
    advisories_sent: HashSet<[u8; 16]>,
    /// Whether any stored finding is resolved; if none is, nothing can need reopening.
    reopen_possible: bool,
    expect_new: bool,
    /// Ids of the stored findings this file showed, new or known.
    seen: RoaringTreemap,
    new: u64,
    known: u64,
    /// VEX statements this import added, and findings whose status they changed.
    pub(crate) vex_statements: u64,
    pub(crate) vex_changed: u64,
    /// Devices an inventory import stored, and how many of them were new.
    pub(crate) devices: u64,
    pub(crate) new_devices: u64,
    /// People and teams a directory import stored.
    pub(crate) people: u64,
    pub(crate) teams: u64,
    pub(crate) catalogue: crate::assets::Catalogue,
}

impl std::fmt::Debug for ImportSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportSession").field("import_id", &self.import_id).finish_non_exhaustive()
    }
}

/// What storing one row found.
#[derive(Clone, Copy, Debug)]
enum Stored {
    /// Not stored before: inserted, with this id.
    Inserted(i64),
    /// Already stored, with this id.
    Found(i64),
}

const INSERT_IMPORT: &str =
    "INSERT INTO imports (file, format, source, started_at) VALUES ($1, $2, $3, $4) RETURNING id";

const ANY_RESOLVED: &str =
    "SELECT COUNT(*) FROM (SELECT 1 FROM findings WHERE resolved_import IS NOT NULL LIMIT 1) AS any_resolved";

/// PostgreSQL's default planner costs assume spinning disks, and then plan a batch lookup
/// of 1,000 fingerprints as a scan of the whole table (12 times slower, measured).
const SETUP_POSTGRES: &[&str] =
    &["SET LOCAL random_page_cost = 1.1", "SET LOCAL plan_cache_mode = force_custom_plan"];

impl Store {
    pub async fn begin_import(&self, start: ImportStart<'_>) -> Result<ImportSession, StoreError> {
        let mut tx = match self {
            // Writing from the start, and waiting its turn: a second import waits for the first
            // to commit however long it takes, instead of failing when the busy timeout ends
            // or its read snapshot turns out stale. It claims the main file's writer only, so
            // sessions and the audit log (the access file) stay writable meanwhile.
            Store::Sqlite(pool) => loop {
                let mut tx = pool.begin().await?;
                match sqlx::query(crate::CLAIM_MAIN_WRITER).execute(&mut *tx).await {
                    Ok(_) => break Tx::Sqlite(tx),
                    Err(error) if crate::is_busy(&error) => {
                        tx.rollback().await?;
                        tracing::info!("another import is still writing; this one waits its turn");
                    }
                    Err(error) => return Err(error.into()),
                }
            },
            Store::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        };
        if let Tx::Postgres(conn) = &mut tx {
            for statement in SETUP_POSTGRES {
                sqlx::query(*statement).execute(&mut **conn).await?;
            }
        }
        let (import_id, any_resolved): (i64, i64) = with_tx!(&mut tx, conn => {
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
            store: self.clone(),
            tx,
            import_id,
            scopes: HashMap::new(),
            advisories_sent: HashSet::new(),
            reopen_possible: any_resolved > 0,
            expect_new: false,
            seen: RoaringTreemap::new(),
            new: 0,
            known: 0,
            vex_statements: 0,
            vex_changed: 0,
            devices: 0,
            new_devices: 0,
            people: 0,
            teams: 0,
            catalogue: crate::assets::Catalogue::default(),
        })
    }
}

impl ImportSession {
    /// Whether the coming rows are expected to be mostly new, judged by the last batch. The
    /// sender can then encode rows ahead ([`FindingRow::encode_ahead`]) on its own thread.
    pub fn expects_new(&self) -> bool {
        self.expect_new
    }

    /// Stores a batch of rows, of any size.
    pub async fn add(&mut self, rows: &[FindingRow]) -> Result<(), StoreError> {
        for row in rows {
            self.scopes.entry(row.scope).or_insert_with(|| row.scope_of());
        }
        let import_id = self.import_id;
        let stored = match &mut self.tx {
            Tx::Sqlite(conn) => sqlite_bulk::store(conn, import_id, rows, self.expect_new).await?,
            Tx::Postgres(conn) => postgres_bulk::store(conn, import_id, rows).await?,
        };
        let (mut new, mut known) = (0, 0);
        let mut inserted = Vec::new();
        let mut found = Vec::new();
        for (row, stored) in rows.iter().zip(stored) {
            // A finding listed twice in the file counts once.
            match stored {
                Stored::Inserted(id) if self.seen.insert(id as u64) => {
                    new += 1;
                    inserted.push(row);
                }
                Stored::Found(id) if self.seen.insert(id as u64) => {
                    known += 1;
                    found.push(id);
                }
                Stored::Inserted(_) | Stored::Found(_) => {}
            }
        }
        self.store_advisories(&inserted).await?;
        if self.reopen_possible && !found.is_empty() {
            with_tx!(&mut self.tx, conn => {
                for ids in found.chunks(ROWS_PER_STATEMENT) {
                    reopen(ids).build().execute(&mut **conn).await?;
                }
            });
        }
        self.expect_new = new > known;
        if grew_past_a_power_of_ten(self.new, self.new + new) {
            self.tx.refresh_statistics().await?;
        }
        self.new += new;
        self.known += known;
        Ok(())
    }

    /// Stores the advisories of new findings that this import has not sent yet.
    async fn store_advisories(&mut self, inserted: &[&FindingRow]) -> Result<(), StoreError> {
        if self.advisories_sent.len() > REMEMBERED_ADVISORIES {
            self.advisories_sent.clear();
        }
        let sent = &mut self.advisories_sent;
        let advisories: Vec<&EncodedRow> = inserted
            .iter()
            .map(|row| row.encoded())
            .filter(|encoded| sent.insert(encoded.advisory_key))
            .collect();
        with_tx!(&mut self.tx, conn => {
            for chunk in advisories.chunks(ROWS_PER_STATEMENT) {
                insert_advisories(chunk).build().execute(&mut **conn).await?;
            }
        });
        Ok(())
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
        // Statistics are within 10x of the table here (refreshed at each power of ten); the
        // vacuum after the commit brings them up to date.
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
            for keys in scopes.chunks(ROWS_PER_STATEMENT) {
                open += open_in(keys, "COUNT(*)").build_query_scalar::<i64>().fetch_one(&mut *conn).await?;
            }
            if open as u64 > self.new + self.known {
                let mut missing = Vec::new();
                for keys in scopes.chunks(ROWS_PER_STATEMENT) {
                    let mut query = open_in(keys, "id");
                    let mut ids = query.build_query_scalar::<i64>().fetch(&mut *conn);
                    while let Some(id) = futures_util::TryStreamExt::try_next(&mut ids).await? {
                        if !self.seen.contains(id as u64) {
                            missing.push(id);
                        }
                    }
                }
                for ids in missing.chunks(ROWS_PER_STATEMENT) {
                    resolved += resolve(import_id, ids).build().execute(&mut *conn).await?.rows_affected();
                }
            }
            let summary = ImportSummary {
                import_id,
                findings: self.new + self.known,
                new: self.new,
                known: self.known,
                resolved,
                vex_statements: self.vex_statements,
                vex_changed: self.vex_changed,
                devices: self.devices,
                new_devices: self.new_devices,
                people: self.people,
                teams: self.teams,
            };
            sqlx::query(RECORD_COUNTS)
                .bind(import_id)
                .bind(finished_at)
                .bind(summary.findings as i64)
                .bind(summary.new as i64)
                .bind(summary.known as i64)
                .bind(summary.resolved as i64)
                .bind(summary.vex_statements as i64)
                .bind(summary.vex_changed as i64)
                .bind(summary.devices as i64)
                .bind(summary.new_devices as i64)
                .bind(summary.people as i64)
                .bind(summary.teams as i64)
                .bind(summary.changes_evidence())
                .execute(&mut *conn)
                .await?;
            conn.commit().await?;
            summary
        });
        // After a bulk load PostgreSQL wants a vacuum, which autovacuum would start only later:
        // until it runs, every lookup of a re-import also reads the table.
        if let Store::Postgres(pool) = &self.store
            && summary.new >= 10_000
        {
            sqlx::query("VACUUM (ANALYZE) findings").execute(pool).await?;
        }
        Ok(summary)
    }
}

const RECORD_SCOPE: &str = "INSERT INTO scopes (scope_key, tool, target_kind, target) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (scope_key) DO NOTHING";

const RECORD_SCAN: &str = "INSERT INTO scans (scope, import_id, tool_version) VALUES ($1, $2, $3)";

const RECORD_COUNTS: &str = "UPDATE imports SET finished_at = $2, findings = $3, new_findings = $4, \
     known_findings = $5, resolved_findings = $6, vex_statements = $7, vex_changed_findings = $8, devices = $9, \
     new_devices = $10, people = $11, teams = $12, awaiting_refresh = $13 WHERE id = $1";

/// Reopens the given findings where a rescan had resolved them.
fn reopen<DB>(ids: &[i64]) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Arguments: Default,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut builder = QueryBuilder::new(
        "UPDATE findings SET resolved_import = NULL WHERE resolved_import IS NOT NULL AND id",
    );
    in_list(&mut builder, ids.iter().copied());
    builder
}

/// Marks the given open findings resolved by `import_id`.
fn resolve<DB>(import_id: i64, ids: &[i64]) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Arguments: Default,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut builder = QueryBuilder::new("UPDATE findings SET resolved_import = ");
    builder.push_bind(import_id);
    builder.push(" WHERE resolved_import IS NULL AND id");
    in_list(&mut builder, ids.iter().copied());
    builder
}

/// `SELECT what` over the open findings of the given scopes.
fn open_in<DB>(scopes: &[([u8; 16], Scope)], what: &str) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Arguments: Default,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut builder =
        QueryBuilder::new(format!("SELECT {what} FROM findings WHERE resolved_import IS NULL AND scope"));
    in_list(&mut builder, scopes.iter().map(|(key, _)| key.as_slice()));
    builder
}

/// Appends ` IN ($1, $2, ...)` with the values bound.
pub(crate) fn in_list<'t, DB, T>(builder: &mut QueryBuilder<DB>, values: impl IntoIterator<Item = T>)
where
    DB: sqlx::Database,
    T: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    builder.push(" IN (");
    let mut separated = builder.separated(", ");
    for value in values {
        separated.push_bind(value);
    }
    builder.push(")");
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

/// The columns of a new finding, in the order both back ends bind them.
const FINDING_COLUMNS: &str =
    "fingerprint, scope, kind, vulnerability, component, severity, status, advisory, detail, first_import";

/// On SQLite, one prepared single-row statement stepped for each row is several times cheaper
/// than binding a statement of thousands of values through sqlx (measured with `cargo xtask
/// bench`). It runs on the very connection, and so in the very transaction, that sqlx holds.
pub(crate) mod sqlite_bulk {
    use rusqlite::OptionalExtension;

    use super::{FINDING_COLUMNS, FindingRow, Stored};
    use crate::StoreError;

    /// Stores each row (see [`Stored`]), in order.
    pub(super) async fn store(
        conn: &mut sqlx::SqliteConnection,
        import_id: i64,
        rows: &[FindingRow],
        expect_new: bool,
    ) -> Result<Vec<Stored>, StoreError> {
        let mut handle = conn.lock_handle().await?;
        let database = borrow(&mut handle)?;
        let mut insert = database.prepare(&format!(
            "INSERT INTO findings ({FINDING_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             ON CONFLICT (fingerprint) DO NOTHING"
        ))?;
        let mut look_up = database.prepare("SELECT id FROM findings WHERE fingerprint = ?1")?;
        let mut insert_one = |row: &FindingRow| -> Result<Option<i64>, StoreError> {
            let encoded = row.encoded();
            let inserted = insert.execute(rusqlite::params![
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
            ])?;
            Ok((inserted == 1).then(|| database.last_insert_rowid()))
        };
        let mut stored = Vec::with_capacity(rows.len());
        for row in rows {
            if expect_new && let Some(id) = insert_one(row)? {
                stored.push(Stored::Inserted(id));
                continue;
            }
            let id: Option<i64> =
                look_up.query_row([row.fingerprint.as_slice()], |found| found.get(0)).optional()?;
            stored.push(match id {
                Some(id) => Stored::Found(id),
                // The transaction holds SQLite's write lock: nobody can insert it meanwhile.
                None => Stored::Inserted(
                    insert_one(row)?
                        .ok_or(StoreError::Corrupt("a finding neither stored nor insertable".into()))?,
                ),
            });
        }
        Ok(stored)
    }

    /// A rusqlite view of the connection sqlx has locked for us; it never closes it. Also
    /// used to read large results on the calling thread (`decisions.rs`).
    #[allow(unsafe_code)]
    pub(crate) fn borrow(
        handle: &mut sqlx::sqlite::LockedSqliteHandle<'_>,
    ) -> Result<rusqlite::Connection, StoreError> {
        // SAFETY: the handle stays locked (no other use of the connection) for as long as the
        // returned Connection lives, which is shorter than the borrow of `handle`;
        // `from_handle` does not take ownership, so dropping it leaves the connection open.
        unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }
            .map_err(StoreError::from)
    }
}

/// PostgreSQL's per-batch statements: a batch lookup, then the missing rows in one binary
/// `COPY` (a third of the server time of a multi-row `INSERT ... ON CONFLICT`, measured).
mod postgres_bulk {
    use std::collections::HashMap;

    use sqlx::{Postgres, QueryBuilder};

    use super::{FINDING_COLUMNS, FindingRow, Stored};
    use crate::StoreError;

    /// Stores each row (see [`Stored`]), in order.
    pub(super) async fn store(
        conn: &mut sqlx::PgConnection,
        import_id: i64,
        rows: &[FindingRow],
    ) -> Result<Vec<Stored>, StoreError> {
        let mut stored: Vec<Option<Stored>> = vec![None; rows.len()];
        look_up(conn, rows, &mut stored).await?;
        // Each missing finding once, even when the batch lists it twice.
        let mut first_of: HashMap<[u8; 16], usize> = HashMap::new();
        let mut missing: Vec<&FindingRow> = Vec::new();
        for (row, stored) in rows.iter().zip(&stored) {
            if stored.is_none() && !first_of.contains_key(&row.fingerprint) {
                first_of.insert(row.fingerprint, missing.len());
                missing.push(row);
            }
        }
        if !missing.is_empty() {
            let ids = insert(conn, import_id, &missing).await?;
            for (row, stored) in rows.iter().zip(stored.iter_mut()) {
                if stored.is_none() {
                    let index = first_of.get(&row.fingerprint).copied();
                    *stored = index.and_then(|index| ids.get(index).copied().flatten()).map(Stored::Inserted);
                }
            }
            // What a concurrent import stored first.
            if stored.iter().any(Option::is_none) {
                look_up(conn, rows, &mut stored).await?;
            }
        }
        stored
            .into_iter()
            .map(|stored| stored.ok_or(StoreError::Corrupt("a finding neither stored nor insertable".into())))
            .collect()
    }

    /// Fills in the stored ids of the rows not yet known.
    async fn look_up(
        conn: &mut sqlx::PgConnection,
        rows: &[FindingRow],
        stored: &mut [Option<Stored>],
    ) -> Result<(), StoreError> {
        let fingerprints: Vec<&[u8]> = rows
            .iter()
            .zip(stored.iter())
            .filter(|(_, stored)| stored.is_none())
            .map(|(row, _)| row.fingerprint.as_slice())
            .collect();
        let found: HashMap<Vec<u8>, i64> = sqlx::query_as::<_, (Vec<u8>, i64)>(
            "SELECT fingerprint, id FROM findings WHERE fingerprint = ANY($1)",
        )
        .bind(fingerprints)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
        for (row, stored) in rows.iter().zip(stored.iter_mut()) {
            if stored.is_none() {
                *stored = found.get(row.fingerprint.as_slice()).map(|id| Stored::Found(*id));
            }
        }
        Ok(())
    }

    const NEXT_IDS: &str = "SELECT nextval('findings_id_seq'::regclass) FROM generate_series(1, $1)";

    /// Inserts findings not stored when looked up; returns the id of each, or `None` for one
    /// a concurrent import stored in between.
    async fn insert(
        conn: &mut sqlx::PgConnection,
        import_id: i64,
        rows: &[&FindingRow],
    ) -> Result<Vec<Option<i64>>, StoreError> {
        let ids: Vec<i64> =
            sqlx::query_scalar(NEXT_IDS).bind(rows.len() as i64).fetch_all(&mut *conn).await?;
        // A savepoint, so that a row another import stored meanwhile costs this batch a
        // slower insert instead of the whole import.
        sqlx::query("SAVEPOINT copy_batch").execute(&mut *conn).await?;
        let copied = copy(conn, import_id, rows, &ids).await;
        match copied {
            Ok(()) => {
                sqlx::query("RELEASE SAVEPOINT copy_batch").execute(&mut *conn).await?;
                Ok(ids.into_iter().map(Some).collect())
            }
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                sqlx::query("ROLLBACK TO SAVEPOINT copy_batch").execute(&mut *conn).await?;
                tracing::debug!("a concurrent import stored some of this batch first");
                insert_skipping_stored(conn, import_id, rows).await
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn copy(
        conn: &mut sqlx::PgConnection,
        import_id: i64,
        rows: &[&FindingRow],
        ids: &[i64],
    ) -> Result<(), sqlx::Error> {
        let mut data = BinaryCopy::default();
        for (row, id) in rows.iter().zip(ids) {
            let encoded = row.encoded();
            data.row(&[
                Field::Int8(*id),
                Field::Bytes(&row.fingerprint),
                Field::Bytes(&row.scope),
                Field::Bytes(row.finding.kind.as_str().as_bytes()),
                Field::Bytes(encoded.vulnerability.as_bytes()),
                encoded.component.as_deref().map_or(Field::Null, |c| Field::Bytes(c.as_bytes())),
                Field::Int2(row.finding.severity.rank()),
                Field::Bytes(row.finding.status.as_str().as_bytes()),
                Field::Bytes(&encoded.advisory_key),
                Field::Bytes(encoded.detail.as_bytes()),
                Field::Int8(import_id),
            ]);
        }
        let mut copy_in = conn
            .copy_in_raw(&format!("COPY findings (id, {FINDING_COLUMNS}) FROM STDIN WITH (FORMAT binary)"))
            .await?;
        copy_in.send(data.finish()).await?;
        copy_in.finish().await?;
        Ok(())
    }

    /// The slow path, for a batch that met a concurrent import: `ON CONFLICT DO NOTHING`.
    async fn insert_skipping_stored(
        conn: &mut sqlx::PgConnection,
        import_id: i64,
        rows: &[&FindingRow],
    ) -> Result<Vec<Option<i64>>, StoreError> {
        let mut insert = QueryBuilder::<Postgres>::new(format!("INSERT INTO findings ({FINDING_COLUMNS}) "));
        insert.push_values(rows, |mut values, row| {
            let encoded = row.encoded();
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
        insert.push(" ON CONFLICT (fingerprint) DO NOTHING RETURNING fingerprint, id");
        let inserted: HashMap<Vec<u8>, i64> =
            insert.build_query_as::<(Vec<u8>, i64)>().fetch_all(&mut *conn).await?.into_iter().collect();
        Ok(rows.iter().map(|row| inserted.get(row.fingerprint.as_slice()).copied()).collect())
    }

    /// A value in PostgreSQL's binary `COPY` format.
    enum Field<'a> {
        Null,
        Int2(i16),
        Int8(i64),
        /// `bytea`, or `text` as UTF-8.
        Bytes(&'a [u8]),
    }

    /// The binary `COPY` stream: a signature, then each row as its field count and each field
    /// as its length (-1 for NULL) and big-endian bytes, then -1. Written here because it is
    /// thirty lines; no maintained crate does only this.
    struct BinaryCopy(Vec<u8>);

    impl Default for BinaryCopy {
        fn default() -> Self {
            let mut data = b"PGCOPY\n\xff\r\n\0".to_vec();
            data.extend_from_slice(&0i32.to_be_bytes()); // flags
            data.extend_from_slice(&0i32.to_be_bytes()); // header extension length
            BinaryCopy(data)
        }
    }

    impl BinaryCopy {
        fn row(&mut self, fields: &[Field<'_>]) {
            let data = &mut self.0;
            data.extend_from_slice(&(fields.len() as i16).to_be_bytes());
            for field in fields {
                match field {
                    Field::Null => data.extend_from_slice(&(-1i32).to_be_bytes()),
                    Field::Int2(value) => {
                        data.extend_from_slice(&2i32.to_be_bytes());
                        data.extend_from_slice(&value.to_be_bytes());
                    }
                    Field::Int8(value) => {
                        data.extend_from_slice(&8i32.to_be_bytes());
                        data.extend_from_slice(&value.to_be_bytes());
                    }
                    Field::Bytes(bytes) => {
                        data.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
                        data.extend_from_slice(bytes);
                    }
                }
            }
        }

        fn finish(mut self) -> Vec<u8> {
            self.0.extend_from_slice(&(-1i16).to_be_bytes());
            self.0
        }
    }
}
