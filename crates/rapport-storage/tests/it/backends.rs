//! A fresh database of each kind for each test.

use rapport_storage::Store;
use rapport_storage::testing::fresh_postgres_database;

/// Both back ends, each empty. The SQLite file lives as long as the returned guard.
pub async fn each_backend() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let folder = tempfile::tempdir().expect("temp dir");
    let sqlite_url = format!("sqlite://{}/rapport.db", folder.path().display());
    let sqlite = Store::connect(&sqlite_url).await.expect("sqlite store");
    let postgres_url = fresh_postgres_database("rapport_storage").await.expect("test PostgreSQL");
    let postgres = Store::connect(&postgres_url).await.expect("postgres store");
    vec![(sqlite, Some(folder)), (postgres, None)]
}
