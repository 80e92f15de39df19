//! Helpers for tests in this and higher crates: a fresh PostgreSQL database per test on the
//! server the test command starts. Kept here because only this crate speaks SQL.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::StoreError;

/// The environment variable the test command sets to its PostgreSQL server's admin URL.
pub const POSTGRES_ADMIN_URL_VARIABLE: &str = "RAPPORT_TEST_POSTGRES_URL";

/// The admin URL of the test PostgreSQL server. Its absence is an error, never a skip.
pub fn postgres_admin_url() -> Result<String, StoreError> {
    std::env::var(POSTGRES_ADMIN_URL_VARIABLE).map_err(|_| {
        StoreError::Connect(format!(
            "{POSTGRES_ADMIN_URL_VARIABLE} is not set: run the tests with scripts/test, which starts PostgreSQL"
        ))
    })
}

/// Creates an empty database on the test server and returns its URL.
pub async fn fresh_postgres_database(prefix: &str) -> Result<String, StoreError> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let admin = postgres_admin_url()?;
    let name = format!("{prefix}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::Connect(format!("unsafe database name {name:?}")));
    }
    let pool = sqlx::PgPool::connect(&admin).await.map_err(StoreError::connect)?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&pool).await?;
    pool.close().await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
    Ok(format!("{base}/{name}"))
}
