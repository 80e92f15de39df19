//! The ownership file's versions, and the decisions each version made on the assets.

use sqlx::{QueryBuilder, Row};
use time::OffsetDateTime;

use crate::assets::AssetOwnership;
use crate::events::begin_with_events;
use crate::{Store, StoreError, with_pool};

/// Assets per update statement: eight values each.
const ROWS_PER_STATEMENT: usize = 500;

#[derive(Clone, Debug)]
pub struct OwnershipVersion {
    /// The version number: 1 for the first file applied, then 2, 3...
    pub id: i64,
    pub content: String,
    pub syntax: String,
    pub applied_at: OffsetDateTime,
    pub rules: i64,
    pub changed_assets: i64,
}

/// A new version, only while the version in force is still `$6` (0 for none).
const INSERT_VERSION: &str = "INSERT INTO ownership_versions (content, syntax, applied_at, rules, changed_assets) \
     SELECT $1, $2, $3, $4, $5 WHERE (SELECT COALESCE(MAX(id), 0) FROM ownership_versions) = $6 RETURNING id";

const RECORD_CHANGED: &str = "UPDATE ownership_versions SET changed_assets = $1 WHERE id = $2";

const SELECT_VERSIONS: &str =
    "SELECT id, content, syntax, applied_at, rules, changed_assets FROM ownership_versions ORDER BY id";

impl Store {
    /// Every version ever applied, oldest first.
    pub async fn ownership_versions(&self) -> Result<Vec<OwnershipVersion>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_VERSIONS).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    Ok(OwnershipVersion {
                        id: row.try_get("id")?,
                        content: row.try_get("content")?,
                        syntax: row.try_get("syntax")?,
                        applied_at: row.try_get("applied_at")?,
                        rules: row.try_get("rules")?,
                        changed_assets: row.try_get("changed_assets")?,
                    })
                })
                .collect()
        })
    }

    /// Records a new version of the ownership file and what it changed, in one transaction:
    /// `changes` are the assets whose owner, criticality or exposure (or the rule deciding
    /// them) differ from what the previous version decided, written a chunk at a time.
    /// Returns the version number; `None`, with nothing written, when the version in force
    /// is no longer `in_force` (the one the changes were decided against): two people
    /// applying versions at once never build on the same one unknowingly.
    pub async fn record_ownership(
        &self,
        content: &str,
        syntax: &str,
        rules: usize,
        changes: impl IntoIterator<Item = (i64, AssetOwnership)>,
        applied_at: OffsetDateTime,
        in_force: Option<i64>,
    ) -> Result<Option<i64>, StoreError> {
        let mut changes = changes.into_iter().peekable();
        with_pool!(self, pool => {
            // The stream's lock (on PostgreSQL) also makes the check and the insert one step.
            let mut tx = begin_with_events!(pool);
            let version: Option<i64> = sqlx::query_scalar(INSERT_VERSION)
                .bind(content)
                .bind(syntax)
                .bind(applied_at)
                .bind(rules as i64)
                .bind(0_i64)
                .bind(in_force.unwrap_or(0))
                .fetch_optional(&mut *tx)
                .await?;
            let Some(version) = version else { return Ok(None) };
            let mut changed = 0_i64;
            while changes.peek().is_some() {
                let chunk: Vec<(i64, AssetOwnership)> = changes.by_ref().take(ROWS_PER_STATEMENT).collect();
                changed += chunk.len() as i64;
                update_owners(version, &chunk).build().execute(&mut *tx).await?;
            }
            sqlx::query(RECORD_CHANGED).bind(changed).bind(version).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(version))
        })
    }
}

impl Store {
    /// Writes what `version` decides for assets no version had decided yet (new ones), in one
    /// transaction; returns how many.
    pub async fn own_new_assets(
        &self,
        version: i64,
        decided: &[(i64, AssetOwnership)],
    ) -> Result<usize, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for chunk in decided.chunks(ROWS_PER_STATEMENT) {
                let mut update = update_owners(version, chunk);
                update.push(" AND assets.ownership_version IS NULL");
                update.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(decided.len())
        })
    }
}

/// One statement for many assets: `UPDATE ... FROM (VALUES ...)`, which both back ends read
/// the same way (the values' columns are `column1`, `column2`...).
fn update_owners<DB>(version: i64, changes: &[(i64, AssetOwnership)]) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Arguments: Default,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut builder = QueryBuilder::new(
        "UPDATE assets SET owner_team = v.column2, owner_rule = v.column3, criticality = v.column4, \
         criticality_rule = v.column5, exposure = v.column6, exposure_rule = v.column7, ownership_version = ",
    );
    builder.push_bind(version);
    builder.push(" FROM (");
    builder.push_values(changes, |mut values, (id, owner)| {
        values
            .push_bind(*id)
            .push_bind(owner.team.as_deref())
            .push_bind(owner.team_rule.as_deref())
            .push_bind(owner.criticality.as_deref())
            .push_bind(owner.criticality_rule.as_deref())
            .push_bind(owner.exposure.as_deref())
            .push_bind(owner.exposure_rule.as_deref());
    });
    builder.push(") AS v WHERE assets.id = v.column1");
    builder
}
