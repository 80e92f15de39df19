//! Streaming a million rows to the caller without holding them: through rusqlite on the
//! connection sqlx holds for SQLite (sqlx's per-row cost showed in profiles), and as sqlx's
//! row stream on PostgreSQL. Rows are decoded by position, in the query's column order.

use futures_util::TryStreamExt;
use sqlx::postgres::PgRow;

use crate::{Store, StoreError};

impl Store {
    /// Hands each row of `sql` (a query without parameters, valid in both dialects) to
    /// `each`, decoded by `sqlite` or `postgres`; stops at the first error.
    pub(crate) async fn each_row<T, E: From<StoreError>>(
        &self,
        sql: &'static str,
        sqlite: impl Fn(&rusqlite::Row<'_>) -> Result<T, StoreError>,
        postgres: impl Fn(&PgRow) -> Result<T, StoreError>,
        mut each: impl FnMut(T) -> Result<(), E>,
    ) -> Result<(), E> {
        match self {
            Store::Sqlite(pool) => {
                let mut conn = pool.acquire().await.map_err(StoreError::from)?;
                let mut handle = conn.lock_handle().await.map_err(StoreError::from)?;
                let database = crate::import::sqlite_bulk::borrow(&mut handle)?;
                let mut statement = database.prepare(sql).map_err(StoreError::from)?;
                let mut rows = statement.query([]).map_err(StoreError::from)?;
                while let Some(row) = rows.next().map_err(StoreError::from)? {
                    each(sqlite(row)?)?;
                }
                Ok(())
            }
            Store::Postgres(pool) => {
                let mut rows = sqlx::query(sql).fetch(pool);
                while let Some(row) = rows.try_next().await.map_err(StoreError::from)? {
                    each(postgres(&row)?)?;
                }
                Ok(())
            }
        }
    }
}
