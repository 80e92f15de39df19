//! Storage errors, by what the caller can do about them.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: expected sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("cannot create the database folder {0}: {1}")]
    CreateFolder(String, std::io::Error),
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("a stored finding could not be read back: {0}")]
    Corrupt(String),
    #[error("the system gave no randomness for a new session key: {0}")]
    NoRandomness(String),
    /// An event recorded once only (an answer from one message) was recorded before.
    #[error("{0} was recorded already")]
    Repeated(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database error: {0}")]
    SqliteBulk(#[from] rusqlite::Error),
}

impl StoreError {
    /// Whether SQLite refused a write because a long import held the writer past the busy
    /// timeout: nothing was changed, and the same write can be tried again later.
    pub fn is_writer_busy(&self) -> bool {
        match self {
            StoreError::Database(error) => crate::is_busy(error),
            StoreError::SqliteBulk(rusqlite::Error::SqliteFailure(failure, _)) => {
                failure.code == rusqlite::ErrorCode::DatabaseBusy
            }
            _ => false,
        }
    }

    pub(crate) fn connect(error: sqlx::Error) -> StoreError {
        StoreError::Connect(error.to_string())
    }
}
