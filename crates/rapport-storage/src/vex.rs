//! VEX statements: stored once each, read back in the order they arrived, and applied to
//! the open findings they cover, inside the importing transaction.

use futures_util::TryStreamExt;
use rapport_core::{Target, TargetKind, Tool, VexIndex, VexStatement};
use sqlx::{QueryBuilder, Row};

use crate::StoreError;
use crate::import::{ImportSession, Tx, in_list, with_tx};
use crate::row::{assemble, content_key, detail_of};

const INSERT_STATEMENT: &str = "INSERT INTO vex_statements (content_key, import_id, vulnerability, status, body) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (content_key) DO NOTHING";

const SELECT_STATEMENTS: &str = "SELECT body FROM vex_statements ORDER BY id";

const UPDATE_STATUS: &str = "UPDATE findings SET status = $1, detail = $2 WHERE id = $3";

/// Values per `IN` list: well under both back ends' limits on bound parameters.
const IDS_PER_STATEMENT: usize = 1000;

/// On PostgreSQL an import that reads the statements and one that adds statements must not
/// overlap, or findings stored by the first would miss the statements of the second. The
/// reading lock is shared among finding imports; the adding lock excludes both. (SQLite runs
/// one writing transaction at a time anyway.)
const LOCK_FOR_READING: &str = "LOCK TABLE vex_statements IN SHARE MODE";
const LOCK_FOR_ADDING: &str = "LOCK TABLE vex_statements IN SHARE ROW EXCLUSIVE MODE";

impl ImportSession {
    /// Every stored statement, oldest first, as this import's transaction sees them (and
    /// will go on seeing them until it commits).
    pub async fn vex_statements(&mut self) -> Result<Vec<VexStatement>, StoreError> {
        if let Tx::Postgres(conn) = &mut self.tx {
            sqlx::query(LOCK_FOR_READING).execute(&mut **conn).await?;
        }
        with_tx!(&mut self.tx, conn => {
            let mut rows = sqlx::query(SELECT_STATEMENTS).fetch(&mut **conn);
            let mut statements = Vec::new();
            while let Some(row) = rows.try_next().await? {
                let body: String = row.try_get("body")?;
                statements.push(serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?);
            }
            Ok(statements)
        })
    }

    /// Stores statements; one already stored (same content) is not stored again. Returns
    /// how many were new.
    pub async fn add_statements(&mut self, statements: &[VexStatement]) -> Result<u64, StoreError> {
        if let Tx::Postgres(conn) = &mut self.tx {
            sqlx::query(LOCK_FOR_ADDING).execute(&mut **conn).await?;
        }
        let import_id = self.import_id;
        let mut added = 0;
        for statement in statements {
            // Serialising plain data with string keys cannot fail.
            let body = serde_json::to_string(statement).unwrap_or_default();
            let key = content_key(&body);
            added += with_tx!(&mut self.tx, conn => {
                sqlx::query(INSERT_STATEMENT)
                    .bind(key.as_slice())
                    .bind(import_id)
                    .bind(statement.vulnerability.as_str())
                    .bind(statement.status.as_str())
                    .bind(body.as_str())
                    .execute(&mut **conn)
                    .await?
                    .rows_affected()
            });
        }
        self.vex_statements += added;
        Ok(added)
    }

    /// Applies `index` to the open findings listed under one of `vulnerabilities` (as their
    /// displayed id) and rewrites those whose status or VEX note changes. Returns how many
    /// changed.
    pub async fn apply_vex(
        &mut self,
        index: &VexIndex,
        vulnerabilities: &[String],
    ) -> Result<u64, StoreError> {
        let mut changed = 0;
        for chunk in vulnerabilities.chunks(IDS_PER_STATEMENT) {
            let updates = with_tx!(&mut self.tx, conn => {
                let mut query = candidates(chunk);
                let mut rows = query.build().fetch(&mut **conn);
                let mut updates = Vec::new();
                while let Some(row) = rows.try_next().await? {
                    let id: i64 = row.try_get("id")?;
                    let detail: String = row.try_get("detail")?;
                    let advisory: String = row.try_get("advisory")?;
                    let target_kind: String = row.try_get("target_kind")?;
                    let kind = TargetKind::parse(&target_kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("unknown target kind {target_kind:?}")))?;
                    let tool = Tool { name: row.try_get("tool")?, version: None };
                    let target = Target { kind, name: row.try_get("target")? };
                    let before = assemble(&detail, &advisory, tool, target)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let mut after = before.clone();
                    if index.apply(&mut after) && (after.status != before.status || after.vex != before.vex) {
                        updates.push((id, after.status.as_str(), detail_of(&after)));
                    }
                }
                updates
            });
            with_tx!(&mut self.tx, conn => {
                for (id, status, detail) in &updates {
                    sqlx::query(UPDATE_STATUS).bind(*status).bind(detail.as_str()).bind(*id).execute(&mut **conn).await?;
                }
            });
            changed += updates.len() as u64;
        }
        self.vex_changed += changed;
        Ok(changed)
    }
}

/// The open findings shown under one of `vulnerabilities`, with what it takes to put them
/// back together.
fn candidates<DB>(vulnerabilities: &[String]) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Arguments: Default,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut builder = QueryBuilder::new(
        "SELECT f.id, f.detail, a.body AS advisory, sc.tool, sc.target_kind, sc.target FROM findings f \
         JOIN scopes sc ON sc.scope_key = f.scope JOIN advisories a ON a.content_key = f.advisory \
         WHERE f.resolved_import IS NULL AND f.vulnerability",
    );
    in_list(&mut builder, vulnerabilities.iter().map(String::as_str));
    builder
}
