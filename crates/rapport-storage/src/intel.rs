//! Vulnerability intelligence as stored: each feed import and its edition, the KEV
//! catalogue and EPSS scores as the latest import has them (a new edition replaces the old
//! in one transaction), records from NVD, CVE.org, OSV and CSAF (a record is replaced only
//! by a later one), and the aliases that join them.

use std::collections::HashMap;

use rapport_core::{EpssScore, Feed, KevEntry, VulnId, VulnRecord};
use sqlx::{QueryBuilder, Row};
use time::{Date, OffsetDateTime};

use crate::{Store, StoreError, with_pool};

/// Rows per multi-row insert: three to five values each, well under both back ends' limits.
const ROWS_PER_STATEMENT: usize = 1000;

/// A feed file about to be stored.
#[derive(Clone, Debug)]
pub struct IntelImport<'a> {
    pub feed: Feed,
    pub format: &'a str,
    pub file: &'a str,
    pub edition: Option<(&'a str, Date)>,
    pub imported_at: OffsetDateTime,
    pub items: u64,
}

/// A feed import as stored, with what it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntelImportRecord {
    pub id: i64,
    pub feed: String,
    pub format: String,
    pub file: String,
    pub edition_version: Option<String>,
    pub edition_date: Option<Date>,
    pub imported_at: OffsetDateTime,
    pub items: i64,
    pub added: i64,
    pub changed: i64,
    pub removed: i64,
}

/// What storing a feed file did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntelCounts {
    pub import_id: i64,
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    /// Records not stored because the stored one was modified later.
    pub older_kept: u64,
}

const INSERT_IMPORT: &str = "INSERT INTO intel_imports \
     (feed, format, file, edition_version, edition_date, imported_at, items, added, changed, removed) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0) RETURNING id";

const RECORD_COUNTS: &str = "UPDATE intel_imports SET added = $1, changed = $2, removed = $3 WHERE id = $4";

macro_rules! select_imports {
    ($rest:literal) => {
        concat!(
            "SELECT id, feed, format, file, edition_version, edition_date, imported_at, items, added, changed, \
             removed FROM intel_imports ",
            $rest
        )
    };
}

const SELECT_IMPORTS: &str = select_imports!("ORDER BY id");

const SELECT_LATEST: &str = select_imports!("WHERE feed = $1 ORDER BY id DESC LIMIT 1");

const SELECT_KEV: &str = "SELECT cve, entry FROM kev";

const SELECT_EPSS: &str = "SELECT cve, probability, percentile FROM epss";

const COUNT_EPSS: &str = "SELECT COUNT(*) FROM epss";

const SELECT_RECORD_DATES: &str = "SELECT vuln_id, source, modified FROM vuln_records WHERE ";

const SELECT_ALIASES: &str = "SELECT vuln_id, alias FROM vuln_aliases";

const SELECT_RECORDS: &str = "SELECT body FROM vuln_records";

const SELECT_SOURCE: &str = "SELECT etag, last_modified FROM feed_sources WHERE url = $1";

const UPSERT_SOURCE: &str = "INSERT INTO feed_sources (url, etag, last_modified, checked_at, changed_at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (url) DO UPDATE SET etag = COALESCE(excluded.etag, feed_sources.etag), \
     last_modified = COALESCE(excluded.last_modified, feed_sources.last_modified), checked_at = excluded.checked_at, \
     changed_at = COALESCE(excluded.changed_at, feed_sources.changed_at)";

/// What a feed's server said last time: its `ETag` and `Last-Modified`, for the next
/// conditional request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedValidators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

fn import_from_row<R: Row>(row: &R) -> Result<IntelImportRecord, sqlx::Error>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Date>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> OffsetDateTime: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
{
    Ok(IntelImportRecord {
        id: row.try_get("id")?,
        feed: row.try_get("feed")?,
        format: row.try_get("format")?,
        file: row.try_get("file")?,
        edition_version: row.try_get("edition_version")?,
        edition_date: row.try_get("edition_date")?,
        imported_at: row.try_get("imported_at")?,
        items: row.try_get("items")?,
        added: row.try_get("added")?,
        changed: row.try_get("changed")?,
        removed: row.try_get("removed")?,
    })
}

/// Records a feed import inside the open transaction `$tx`; gives its id.
macro_rules! insert_import {
    ($tx:expr, $import:expr) => {{
        let import: &IntelImport<'_> = $import;
        let id: i64 = sqlx::query_scalar(INSERT_IMPORT)
            .bind(import.feed.as_str())
            .bind(import.format)
            .bind(import.file)
            .bind(import.edition.map(|(version, _)| version))
            .bind(import.edition.map(|(_, date)| date))
            .bind(import.imported_at)
            .bind(import.items as i64)
            .fetch_one(&mut *$tx)
            .await?;
        id
    }};
}

macro_rules! record_counts {
    ($tx:expr, $counts:expr) => {{
        let counts: &IntelCounts = $counts;
        sqlx::query(RECORD_COUNTS)
            .bind(counts.added as i64)
            .bind(counts.changed as i64)
            .bind(counts.removed as i64)
            .bind(counts.import_id)
            .execute(&mut *$tx)
            .await?;
    }};
}

fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {error}"))
}

impl Store {
    /// Every feed import, oldest first.
    pub async fn intel_imports(&self) -> Result<Vec<IntelImportRecord>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_IMPORTS).fetch_all(pool).await?;
            Ok(rows.iter().map(import_from_row).collect::<Result<_, _>>()?)
        })
    }

    /// The latest import of a catalogue feed (KEV, EPSS): the edition decisions now use.
    pub async fn latest_edition(&self, feed: Feed) -> Result<Option<IntelImportRecord>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(SELECT_LATEST).bind(feed.as_str()).fetch_optional(pool).await?;
            Ok(row.as_ref().map(import_from_row).transpose()?)
        })
    }

    /// The validators stored for a feed URL.
    pub async fn feed_validators(&self, url: &str) -> Result<FeedValidators, StoreError> {
        with_pool!(self, pool => {
            let row: Option<(Option<String>, Option<String>)> =
                sqlx::query_as(SELECT_SOURCE).bind(url).fetch_optional(pool).await?;
            Ok(row.map(|(etag, last_modified)| FeedValidators { etag, last_modified }).unwrap_or_default())
        })
    }

    /// Records a check of a feed URL: the new validators when it changed (and was stored).
    pub async fn record_feed_check(
        &self,
        url: &str,
        changed: Option<&FeedValidators>,
        checked_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(UPSERT_SOURCE)
                .bind(url)
                .bind(changed.and_then(|v| v.etag.as_deref()))
                .bind(changed.and_then(|v| v.last_modified.as_deref()))
                .bind(checked_at)
                .bind(changed.map(|_| checked_at))
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// The KEV catalogue as stored.
    pub async fn kev_entries(&self) -> Result<Vec<KevEntry>, StoreError> {
        with_pool!(self, pool => {
            let rows: Vec<(String, String)> = sqlx::query_as(SELECT_KEV).fetch_all(pool).await?;
            rows.iter()
                .map(|(cve, entry)| serde_json::from_str(entry).map_err(|e| corrupt(&format!("KEV entry {cve}"), e)))
                .collect()
        })
    }

    /// EPSS scores as stored, by CVE.
    pub async fn epss_scores(&self) -> Result<HashMap<String, (f64, f64)>, StoreError> {
        with_pool!(self, pool => {
            let rows: Vec<(String, f64, f64)> = sqlx::query_as(SELECT_EPSS).fetch_all(pool).await?;
            Ok(rows.into_iter().map(|(cve, probability, percentile)| (cve, (probability, percentile))).collect())
        })
    }

    pub async fn epss_count(&self) -> Result<u64, StoreError> {
        with_pool!(self, pool => {
            let count: i64 = sqlx::query_scalar(COUNT_EPSS).fetch_one(pool).await?;
            Ok(count as u64)
        })
    }

    /// Every pair of ids known to name the same vulnerability, both ways round.
    pub async fn vuln_aliases(&self) -> Result<Vec<(String, String)>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as(SELECT_ALIASES).fetch_all(pool).await?))
    }

    /// The ids recorded as naming the same vulnerability as each of `ids`, as (id, alias)
    /// pairs in order.
    pub async fn aliases_of(&self, ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        let mut pairs = Vec::new();
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            with_pool!(self, pool => {
                let mut query = QueryBuilder::new("SELECT vuln_id, alias FROM vuln_aliases WHERE vuln_id IN (");
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(id.as_str());
                }
                query.push(") ORDER BY vuln_id, alias");
                let rows: Vec<(String, String)> = query.build_query_as().fetch_all(pool).await?;
                pairs.extend(rows);
            });
        }
        Ok(pairs)
    }

    /// Every stored record about any of `ids`.
    pub async fn vuln_records(&self, ids: &[String]) -> Result<Vec<VulnRecord>, StoreError> {
        let mut records = Vec::new();
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            with_pool!(self, pool => {
                let mut query = QueryBuilder::new(SELECT_RECORDS);
                query.push(" WHERE vuln_id IN (");
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(id.as_str());
                }
                query.push(") ORDER BY vuln_id, source");
                let rows: Vec<(String,)> = query.build_query_as().fetch_all(pool).await?;
                for (body,) in rows {
                    records.push(serde_json::from_str(&body).map_err(|e| corrupt("a vulnerability record", e))?);
                }
            });
        }
        Ok(records)
    }

    /// Replaces the KEV catalogue with a new edition, in one transaction.
    pub async fn replace_kev(
        &self,
        import: &IntelImport<'_>,
        entries: &[KevEntry],
    ) -> Result<IntelCounts, StoreError> {
        let before: HashMap<String, KevEntry> =
            self.kev_entries().await?.into_iter().map(|entry| (entry.cve.0.clone(), entry)).collect();
        let mut counts = IntelCounts::default();
        for entry in entries {
            match before.get(entry.cve.as_str()) {
                None => counts.added += 1,
                Some(known) if known != entry => counts.changed += 1,
                Some(_) => {}
            }
        }
        let listed: std::collections::HashSet<&str> = entries.iter().map(|e| e.cve.as_str()).collect();
        counts.removed = before.keys().filter(|cve| !listed.contains(cve.as_str())).count() as u64;
        let bodies: Vec<(String, String)> = entries
            .iter()
            .map(|entry| {
                Ok((entry.cve.0.clone(), serde_json::to_string(entry).map_err(|e| corrupt("KEV", e))?))
            })
            .collect::<Result<_, StoreError>>()?;
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let id = insert_import!(tx, import);
            sqlx::query("DELETE FROM kev").execute(&mut *tx).await?;
            for chunk in bodies.chunks(ROWS_PER_STATEMENT) {
                let mut query = QueryBuilder::new("INSERT INTO kev (cve, entry, intel_import) ");
                query.push_values(chunk, |mut row, (cve, entry)| {
                    row.push_bind(cve.as_str()).push_bind(entry.as_str()).push_bind(id);
                });
                // A catalogue listing a CVE twice keeps its first entry.
                query.push(" ON CONFLICT (cve) DO NOTHING");
                query.build().execute(&mut *tx).await?;
            }
            counts.import_id = id;
            record_counts!(tx, &counts);
            tx.commit().await?;
            Ok(counts)
        })
    }

    /// Replaces the EPSS scores with a new day's, in one transaction.
    pub async fn replace_epss(
        &self,
        import: &IntelImport<'_>,
        scores: &[EpssScore],
    ) -> Result<IntelCounts, StoreError> {
        let before = self.epss_count().await?;
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let id = insert_import!(tx, import);
            sqlx::query("DELETE FROM epss").execute(&mut *tx).await?;
            for chunk in scores.chunks(ROWS_PER_STATEMENT) {
                let mut query = QueryBuilder::new("INSERT INTO epss (cve, probability, percentile) ");
                query.push_values(chunk, |mut row, score| {
                    row.push_bind(score.cve.as_str()).push_bind(score.probability).push_bind(score.percentile);
                });
                query.push(" ON CONFLICT (cve) DO NOTHING");
                query.build().execute(&mut *tx).await?;
            }
            let counts = IntelCounts {
                import_id: id,
                added: (scores.len() as u64).saturating_sub(before),
                changed: scores.len().min(before as usize) as u64,
                removed: before.saturating_sub(scores.len() as u64),
                older_kept: 0,
            };
            record_counts!(tx, &counts);
            tx.commit().await?;
            Ok(counts)
        })
    }

    /// Adds records from NVD, CVE.org, OSV or CSAF, in one transaction. A record replaces
    /// the stored one from the same source only when it was modified later (or the stored
    /// one has no date); the aliases it names are added both ways round.
    pub async fn add_vuln_records(
        &self,
        import: &IntelImport<'_>,
        records: &[VulnRecord],
    ) -> Result<IntelCounts, StoreError> {
        let mut counts = IntelCounts::default();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let id = insert_import!(tx, import);
            counts.import_id = id;
            for chunk in records.chunks(ROWS_PER_STATEMENT / 2) {
                let mut query = QueryBuilder::new(SELECT_RECORD_DATES);
                let mut first = true;
                for record in chunk {
                    query.push(if first { "(" } else { " OR (" });
                    first = false;
                    query.push("vuln_id = ").push_bind(record.id.as_str());
                    query.push(" AND source = ").push_bind(record.source.as_str()).push(")");
                }
                let stored: Vec<(String, String, Option<OffsetDateTime>)> =
                    query.build_query_as().fetch_all(&mut *tx).await?;
                let stored: HashMap<(&str, &str), Option<OffsetDateTime>> =
                    stored.iter().map(|(id, source, modified)| ((id.as_str(), source.as_str()), *modified)).collect();
                let mut writes = Vec::new();
                for record in chunk {
                    match stored.get(&(record.id.as_str(), record.source.as_str())) {
                        None => counts.added += 1,
                        Some(Some(known)) if record.modified.is_none_or(|modified| modified < *known) => {
                            counts.older_kept += 1;
                            continue;
                        }
                        Some(_) => counts.changed += 1,
                    }
                    let body = serde_json::to_string(record).map_err(|e| corrupt("a record", e))?;
                    writes.push((record, body));
                }
                // The same record twice in one file: the later wins.
                let mut seen = std::collections::HashSet::new();
                let writes: Vec<_> = writes
                    .into_iter()
                    .rev()
                    .filter(|(record, _)| seen.insert((record.id.as_str(), record.source.as_str())))
                    .collect();
                if !writes.is_empty() {
                    let mut query =
                        QueryBuilder::new("INSERT INTO vuln_records (vuln_id, source, modified, body, intel_import) ");
                    query.push_values(&writes, |mut row, (record, body)| {
                        row.push_bind(record.id.as_str())
                            .push_bind(record.source.as_str())
                            .push_bind(record.modified)
                            .push_bind(body.as_str())
                            .push_bind(id);
                    });
                    query.push(
                        " ON CONFLICT (vuln_id, source) DO UPDATE SET modified = excluded.modified, \
                         body = excluded.body, intel_import = excluded.intel_import",
                    );
                    query.build().execute(&mut *tx).await?;
                }
                let pairs: Vec<(&VulnId, &VulnId)> = chunk
                    .iter()
                    .flat_map(|record| record.aliases.iter().flat_map(move |alias| [(&record.id, alias), (alias, &record.id)]))
                    .collect();
                for pairs in pairs.chunks(ROWS_PER_STATEMENT) {
                    let mut query = QueryBuilder::new("INSERT INTO vuln_aliases (vuln_id, alias) ");
                    query.push_values(pairs, |mut row, (id, alias)| {
                        row.push_bind(id.as_str()).push_bind(alias.as_str());
                    });
                    query.push(" ON CONFLICT (vuln_id, alias) DO NOTHING");
                    query.build().execute(&mut *tx).await?;
                }
            }
            record_counts!(tx, &counts);
            tx.commit().await?;
            Ok(counts)
        })
    }
}
