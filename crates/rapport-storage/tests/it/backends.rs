//! A fresh database of each kind for each test.

use std::sync::atomic::{AtomicU32, Ordering};

use rapport_storage::Store;

/// The PostgreSQL server the test command starts; its absence is an error, never a skip.
pub fn postgres_admin_url() -> String {
    std::env::var("RAPPORT_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("RAPPORT_TEST_POSTGRES_URL is not set: run the tests with scripts/test, which starts PostgreSQL")
    })
}

/// A new, empty PostgreSQL database on the test server; returns its URL.
pub async fn fresh_postgres_url() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let admin = postgres_admin_url();
    let name = format!("rapport_test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
    let pool = sqlx::PgPool::connect(&admin).await.expect("connect to the test PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&pool).await.expect("create database");
    pool.close().await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
    format!("{base}/{name}")
}

/// Both back ends, each empty. The SQLite file lives as long as the returned guard.
pub async fn each_backend() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let folder = tempfile::tempdir().expect("temp dir");
    let sqlite_url = format!("sqlite://{}/rapport.db", folder.path().display());
    let sqlite = Store::connect(&sqlite_url).await.expect("sqlite store");
    let postgres = Store::connect(&fresh_postgres_url().await).await.expect("postgres store");
    vec![(sqlite, Some(folder)), (postgres, None)]
}
