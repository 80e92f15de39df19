//! Reading findings and the import history back.

use rapport_core::{Finding, Outcome, Severity, Target, TargetKind, Tool};

use crate::row::assemble;
use futures_util::TryStreamExt;
use sqlx::Row;
use time::OffsetDateTime;

use crate::{Store, StoreError, with_pool};

/// Which findings to list. The default is every open finding, most severe first.
#[derive(Clone, Debug, Default)]
pub struct FindingFilter {
    pub state: FindingState,
    pub min_severity: Option<Severity>,
    pub tool: Option<String>,
    /// Substring of the target name.
    pub target: Option<String>,
    /// Exact id (CVE, GHSA, rule) as displayed.
    pub vulnerability: Option<String>,
    /// One finding, by its number.
    pub id: Option<i64>,
    /// The team owning the finding's asset, or nobody.
    pub owner: Option<OwnerFilter>,
    /// The finding's decision, or none yet.
    pub decision: Option<DecisionFilter>,
    /// Words found, in any case, in the vulnerability id, the package, the target or the
    /// advisory (its title and text).
    pub search: Option<String>,
    pub order: FindingOrder,
    /// Findings skipped before the first listed, for the pages after the first.
    pub offset: u64,
    pub limit: Option<u32>,
}

/// Open findings, those a rescan resolved, or both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FindingState {
    #[default]
    Open,
    Resolved,
    Any,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnerFilter {
    /// The team's name, in any case.
    Team(String),
    /// Assets no ownership rule matched.
    Nobody,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecisionFilter {
    Is(Outcome),
    /// Not assessed yet.
    Undecided,
}

/// The order a list of findings is in; each ends on the finding's number, so pages never
/// overlap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FindingOrder {
    /// Most severe first, grouped by what was scanned.
    #[default]
    Severity,
    /// Newest first.
    Newest,
    /// By vulnerability id.
    Vulnerability,
    /// By target name.
    Target,
}

impl FindingState {
    pub const WORDS: &str = "open, resolved or any";

    pub fn parse(word: &str) -> Option<FindingState> {
        match word.trim().to_ascii_lowercase().as_str() {
            "open" => Some(FindingState::Open),
            "resolved" => Some(FindingState::Resolved),
            "any" | "all" => Some(FindingState::Any),
            _ => None,
        }
    }
}

impl OwnerFilter {
    /// A team's name, or "nobody" for the assets no rule matched.
    pub fn parse(word: &str) -> OwnerFilter {
        let word = word.trim();
        if word.eq_ignore_ascii_case("nobody") {
            OwnerFilter::Nobody
        } else {
            OwnerFilter::Team(word.to_owned())
        }
    }
}

impl DecisionFilter {
    pub const WORDS: &str = "act, attend, track*, track or undecided";

    pub fn parse(word: &str) -> Option<DecisionFilter> {
        let word = word.trim().to_ascii_lowercase();
        if word == "undecided" {
            return Some(DecisionFilter::Undecided);
        }
        Outcome::parse(&word).map(DecisionFilter::Is)
    }
}

impl FindingOrder {
    pub const WORDS: &str = "severity, newest, vulnerability or target";

    pub fn parse(word: &str) -> Option<FindingOrder> {
        match word.trim().to_ascii_lowercase().as_str() {
            "severity" => Some(FindingOrder::Severity),
            "newest" => Some(FindingOrder::Newest),
            "vulnerability" => Some(FindingOrder::Vulnerability),
            "target" => Some(FindingOrder::Target),
            _ => None,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            FindingOrder::Severity => "f.severity DESC, f.scope, f.vulnerability, f.id",
            FindingOrder::Newest => "f.id DESC",
            FindingOrder::Vulnerability => "f.vulnerability, f.severity DESC, f.id",
            FindingOrder::Target => "sc.target, f.severity DESC, f.id",
        }
    }
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
    /// The team owning its asset, by the ownership rules in force.
    pub owner: Option<String>,
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
/// The findings query for `order`, with `advisory_text` the back end's expression for an
/// advisory's title and description. `$12` is the search's LIKE pattern, already lowercased
/// and escaped.
fn select_findings(advisory_text: &str, order: FindingOrder) -> String {
    format!(
        "SELECT f.id, f.fingerprint, f.detail, a.body AS advisory, f.resolved_import, \
         sc.tool, sc.target_kind, sc.target, first_scan.tool_version, \
         first.started_at AS first_seen, resolved.started_at AS resolved_at, owned.owner_team, \
         (SELECT i.started_at FROM scans s JOIN imports i ON i.id = s.import_id \
           WHERE s.scope = f.scope AND (f.resolved_import IS NULL OR s.import_id < f.resolved_import) \
           ORDER BY s.import_id DESC LIMIT 1) AS last_seen \
         FROM findings f \
         JOIN scopes sc ON sc.scope_key = f.scope \
         JOIN advisories a ON a.content_key = f.advisory \
         LEFT JOIN scans first_scan ON first_scan.scope = f.scope AND first_scan.import_id = f.first_import \
         JOIN imports first ON first.id = f.first_import \
         LEFT JOIN imports resolved ON resolved.id = f.resolved_import \
         LEFT JOIN assets owned ON owned.name = sc.target AND owned.kind = sc.target_kind \
         LEFT JOIN decisions d ON d.finding = f.id \
         WHERE ($1 OR f.resolved_import IS NULL) \
           AND (NOT $8 OR f.resolved_import IS NOT NULL) \
           AND f.severity >= $2 \
           AND ($3 IS NULL OR sc.tool = $3) \
           AND ($4 IS NULL OR sc.target LIKE $4) \
           AND ($5 IS NULL OR f.vulnerability = $5) \
           AND ($7 IS NULL OR f.id = $7) \
           AND ($9 IS NULL OR LOWER(owned.owner_team) = LOWER($9)) \
           AND (NOT $10 OR owned.owner_team IS NULL) \
           AND ($11 IS NULL OR d.outcome = $11) \
           AND (NOT $13 OR d.finding IS NULL) \
           AND ($12 IS NULL OR LOWER(f.vulnerability) LIKE $12 ESCAPE '\\' \
                OR LOWER(COALESCE(f.component, '')) LIKE $12 ESCAPE '\\' \
                OR LOWER(sc.target) LIKE $12 ESCAPE '\\' OR LOWER({advisory_text}) LIKE $12 ESCAPE '\\') \
         ORDER BY {} LIMIT $6 OFFSET $14",
        order.sql()
    )
}

/// An advisory's title and description, in SQLite's JSON functions and PostgreSQL's.
const SQLITE_ADVISORY_TEXT: &str = "COALESCE(json_extract(a.body, '$.title'), '') || ' ' || COALESCE(json_extract(a.body, '$.description'), '')";
const POSTGRES_ADVISORY_TEXT: &str =
    "COALESCE(a.body::jsonb ->> 'title', '') || ' ' || COALESCE(a.body::jsonb ->> 'description', '')";

/// `text` as a LIKE pattern that finds it anywhere, in any case, its `%`, `_` and
/// backslashes taken as themselves.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

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
        let offset = i64::try_from(filter.offset).unwrap_or(i64::MAX);
        let team = match &filter.owner {
            Some(OwnerFilter::Team(team)) => Some(team.as_str()),
            _ => None,
        };
        let outcome = match filter.decision {
            Some(DecisionFilter::Is(outcome)) => Some(outcome.as_str()),
            _ => None,
        };
        let search = filter.search.as_deref().map(contains_pattern);
        // Built from constants only: the order is one of `FindingOrder`'s, never input.
        let advisory_text = match self {
            Store::Sqlite(_) => SQLITE_ADVISORY_TEXT,
            Store::Postgres(_) => POSTGRES_ADVISORY_TEXT,
        };
        let sql = sqlx::AssertSqlSafe(select_findings(advisory_text, filter.order));
        with_pool!(self, pool => {
            let mut rows = sqlx::query(sql)
                .bind(filter.state != FindingState::Open)
                .bind(filter.min_severity.unwrap_or(Severity::Unknown).rank())
                .bind(filter.tool.as_deref())
                .bind(target.as_deref())
                .bind(filter.vulnerability.as_deref())
                .bind(limit)
                .bind(filter.id)
                .bind(filter.state == FindingState::Resolved)
                .bind(team)
                .bind(filter.owner == Some(OwnerFilter::Nobody))
                .bind(outcome)
                .bind(search.as_deref())
                .bind(filter.decision == Some(DecisionFilter::Undecided))
                .bind(offset)
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
                        owner: row.try_get("owner_team")?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_pattern_takes_like_wildcards_as_themselves_in_any_case() {
        assert_eq!(contains_pattern("Log4J"), "%log4j%");
        assert_eq!(contains_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
    }
}
