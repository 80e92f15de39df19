//! Reading findings and the import history back.

use rapport_core::{Finding, Severity, Target, TargetKind, Tool};

use crate::row::assemble;
use futures_util::TryStreamExt;
use sqlx::Row;
use time::OffsetDateTime;

use crate::{Store, StoreError, with_pool};

/// Which findings to list. The default is every open finding.
#[derive(Clone, Debug, Default)]
pub struct FindingFilter {
    /// Also list findings a rescan has resolved.
    pub include_resolved: bool,
    pub min_severity: Option<Severity>,
    pub tool: Option<String>,
    /// Substring of the target name.
    pub target: Option<String>,
    /// Exact id (CVE, GHSA, rule) as displayed.
    pub vulnerability: Option<String>,
    /// One finding, by its number.
    pub id: Option<i64>,
    pub limit: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct StoredFinding {
    pub id: i64,
    pub fingerprint: String,
    pub finding: Finding,
    pub first_seen: OffsetDateTime,
    pub last_seen: OffsetDateTime,
    /// The import whose rescan no longer showed it, and when.
    pub resolved_by: Option<(i64, OffsetDateTime)>,
}

#[derive(Clone, Debug)]
pub struct ImportRecord {
    pub id: i64,
    pub file: String,
    pub format: String,
    pub source: Option<String>,
    pub started_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
    pub findings: i64,
    pub new: i64,
    pub known: i64,
    pub resolved: i64,
    pub vex_statements: i64,
    pub vex_changed: i64,
    pub devices: i64,
    pub new_devices: i64,
    pub people: i64,
    pub teams: i64,
    /// Deciding and planning have not yet followed this import.
    pub awaiting_refresh: bool,
}

/// The last sighting is the latest scan of the finding's scope (before it was resolved).
const SELECT_FINDINGS: &str = "SELECT f.id, f.fingerprint, f.detail, a.body AS advisory, f.resolved_import, \
     sc.tool, sc.target_kind, sc.target, first_scan.tool_version, \
     first.started_at AS first_seen, resolved.started_at AS resolved_at, \
     (SELECT i.started_at FROM scans s JOIN imports i ON i.id = s.import_id \
       WHERE s.scope = f.scope AND (f.resolved_import IS NULL OR s.import_id < f.resolved_import) \
       ORDER BY s.import_id DESC LIMIT 1) AS last_seen \
     FROM findings f \
     JOIN scopes sc ON sc.scope_key = f.scope \
     JOIN advisories a ON a.content_key = f.advisory \
     LEFT JOIN scans first_scan ON first_scan.scope = f.scope AND first_scan.import_id = f.first_import \
     JOIN imports first ON first.id = f.first_import \
     LEFT JOIN imports resolved ON resolved.id = f.resolved_import \
     WHERE ($1 OR f.resolved_import IS NULL) \
       AND f.severity >= $2 \
       AND ($3 IS NULL OR sc.tool = $3) \
       AND ($4 IS NULL OR sc.target LIKE $4) \
       AND ($5 IS NULL OR f.vulnerability = $5) \
       AND ($7 IS NULL OR f.id = $7) \
     ORDER BY f.severity DESC, f.scope, f.vulnerability, f.id \
     LIMIT $6";

const SELECT_IMPORTS: &str = "SELECT id, file, format, source, started_at, finished_at, findings, \
     new_findings, known_findings, resolved_findings, vex_statements, vex_changed_findings, devices, new_devices, people, teams, awaiting_refresh \
     FROM imports ORDER BY id";

impl Store {
    /// Every finding the filter selects, most severe first and grouped by what was scanned
    /// (the order of `findings_by_severity`, so a short list reads only its rows), in memory. For
    /// large lists use [`Store::each_finding`], which holds one finding at a time.
    pub async fn findings(&self, filter: &FindingFilter) -> Result<Vec<StoredFinding>, StoreError> {
        let mut findings = Vec::new();
        self.each_finding(filter, |stored| {
            findings.push(stored);
            Ok::<(), StoreError>(())
        })
        .await?;
        Ok(findings)
    }

    /// Streams the findings the filter selects, most severe first, to `each`.
    pub async fn each_finding<E: From<StoreError>>(
        &self,
        filter: &FindingFilter,
        mut each: impl FnMut(StoredFinding) -> Result<(), E>,
    ) -> Result<(), E> {
        let target = filter.target.as_ref().map(|t| format!("%{t}%"));
        let limit = filter.limit.map_or(i64::MAX, i64::from);
        with_pool!(self, pool => {
            let mut rows = sqlx::query(SELECT_FINDINGS)
                .bind(filter.include_resolved)
                .bind(filter.min_severity.unwrap_or(Severity::Unknown).rank())
                .bind(filter.tool.as_deref())
                .bind(target.as_deref())
                .bind(filter.vulnerability.as_deref())
                .bind(limit)
                .bind(filter.id)
                .fetch(pool);
            while let Some(row) = rows.try_next().await.map_err(StoreError::from)? {
                let read = || -> Result<StoredFinding, StoreError> {
                    let detail: String = row.try_get("detail")?;
                    let advisory: String = row.try_get("advisory")?;
                    let tool = Tool { name: row.try_get("tool")?, version: row.try_get("tool_version")? };
                    let target_kind: String = row.try_get("target_kind")?;
                    let kind = TargetKind::parse(&target_kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("unknown target kind {target_kind:?}")))?;
                    let target = Target { kind, name: row.try_get("target")? };
                    let finding = assemble(&detail, &advisory, tool, target)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let first_seen: OffsetDateTime = row.try_get("first_seen")?;
                    let last_seen: Option<OffsetDateTime> = row.try_get("last_seen")?;
                    let fingerprint: Vec<u8> = row.try_get("fingerprint")?;
                    let resolved_import: Option<i64> = row.try_get("resolved_import")?;
                    let resolved_at: Option<OffsetDateTime> = row.try_get("resolved_at")?;
                    Ok(StoredFinding {
                        id: row.try_get("id")?,
                        fingerprint: fingerprint.iter().map(|b| format!("{b:02x}")).collect(),
                        finding,
                        first_seen,
                        last_seen: last_seen.unwrap_or(first_seen),
                        resolved_by: resolved_import.zip(resolved_at),
                    })
                };
                each(read()?)?;
            }
            Ok(())
        })
    }

    pub async fn imports(&self) -> Result<Vec<ImportRecord>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_IMPORTS).fetch_all(pool).await?;
            rows.iter().map(|row| Ok(ImportRecord {
                id: row.try_get("id")?,
                file: row.try_get("file")?,
                format: row.try_get("format")?,
                source: row.try_get("source")?,
                started_at: row.try_get("started_at")?,
                finished_at: row.try_get("finished_at")?,
                findings: row.try_get("findings")?,
                new: row.try_get("new_findings")?,
                known: row.try_get("known_findings")?,
                resolved: row.try_get("resolved_findings")?,
                vex_statements: row.try_get("vex_statements")?,
                vex_changed: row.try_get("vex_changed_findings")?,
                devices: row.try_get("devices")?,
                new_devices: row.try_get("new_devices")?,
                people: row.try_get("people")?,
                teams: row.try_get("teams")?,
                awaiting_refresh: row.try_get("awaiting_refresh")?,
            })).collect()
        })
    }

    /// How many findings are stored, open and resolved.
    pub async fn count_findings(&self) -> Result<(i64, i64), StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT COUNT(*) AS total, COUNT(resolved_import) AS resolved FROM findings",
            )
            .fetch_one(pool)
            .await?;
            let total: i64 = row.try_get("total")?;
            let resolved: i64 = row.try_get("resolved")?;
            Ok((total - resolved, resolved))
        })
    }
}

impl Store {
    /// The newest import whose refresh is still owed, if any (a crash came between them, or
    /// the import was told not to plan).
    pub async fn awaiting_refresh(&self) -> Result<Option<i64>, StoreError> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar(AWAITING_REFRESH).fetch_one(pool).await?)
        })
    }

    /// Records that the refresh owed to every import up to `import_id` is done.
    pub async fn refreshed_through(&self, import_id: i64) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(REFRESHED_THROUGH).bind(import_id).execute(pool).await?;
            Ok(())
        })
    }
}

const AWAITING_REFRESH: &str = "SELECT MAX(id) FROM imports WHERE awaiting_refresh";
const REFRESHED_THROUGH: &str =
    "UPDATE imports SET awaiting_refresh = FALSE WHERE awaiting_refresh AND id <= $1";
