//! Accounts, browser sessions, API tokens and the audit log. Secrets are stored only as
//! hashes the caller computes; this module never sees a password or a token.

use rapport_core::{Principal, Role};
use sqlx::Row;
use time::OffsetDateTime;

use crate::{Store, StoreError, with_pool};

/// A stored account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team: Option<String>,
    /// The argon2id PHC string; `None` for accounts that sign in only through OpenID Connect.
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub created_at: OffsetDateTime,
    pub disabled: bool,
}

impl Account {
    pub fn principal(&self) -> Principal {
        Principal { email: self.email.clone(), role: self.role, team: self.team.clone() }
    }
}

/// An account to create. The email is stored lower-case.
#[derive(Clone, Debug)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub team: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub must_change_password: bool,
}

/// A token presented, with its account.
#[derive(Clone, Debug)]
pub struct TokenUse {
    pub account: Account,
    pub token: ApiToken,
}

/// A signed-in session: its account and the CSRF token its forms carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub account: Account,
    pub csrf: String,
    pub expires_at: OffsetDateTime,
}

/// What an API token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenScope {
    Read,
    Write,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }

    pub fn parse(word: &str) -> Option<TokenScope> {
        [TokenScope::Read, TokenScope::Write].into_iter().find(|scope| scope.as_str() == word)
    }
}

/// A stored API token, without its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub account: i64,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

impl ApiToken {
    /// Whether a use at `now` is to be written down: a token used many times a second is
    /// written down once a minute, not each time.
    pub fn use_due(&self, now: OffsetDateTime) -> bool {
        self.last_used_at.is_none_or(|last| now - last >= LAST_USE_PRECISION)
    }
}

/// One security-relevant act.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: OffsetDateTime,
    /// The email of who did it; `None` when nobody was signed in (a failed login).
    pub actor: Option<String>,
    /// What was done, as a short verb phrase: `login`, `login failed`, `token created`...
    pub act: String,
    /// What it was done to: an account, a token, an action, a policy version.
    pub target: Option<String>,
    pub detail: String,
    /// Where the request came from (the peer address).
    pub source: Option<String>,
}

/// How precisely a token's last use is kept.
const LAST_USE_PRECISION: time::Duration = time::Duration::minutes(1);

/// `SELECT` of an account's columns (table alias `a`), then `$extra` columns and `$from`.
macro_rules! account_query {
    ($extra:literal, $from:literal) => {
        concat!(
            "SELECT a.id, a.email, a.name, a.role, a.team, a.password_hash, a.must_change_password, ",
            "a.created_at, a.disabled_at",
            $extra,
            " ",
            $from
        )
    };
}

/// Reads an account from a row of [`account_query!`] (a macro: the row type differs per back end).
macro_rules! account_from {
    ($row:expr) => {{
        let row = $row;
        let role: String = row.try_get("role")?;
        let disabled_at: Option<OffsetDateTime> = row.try_get("disabled_at")?;
        Ok::<Account, StoreError>(Account {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            name: row.try_get("name")?,
            role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?,
            team: row.try_get("team")?,
            password_hash: row.try_get("password_hash")?,
            must_change_password: row.try_get("must_change_password")?,
            created_at: row.try_get("created_at")?,
            disabled: disabled_at.is_some(),
        })
    }};
}

fn scope_of(word: &str) -> Result<TokenScope, StoreError> {
    TokenScope::parse(word).ok_or_else(|| StoreError::Corrupt(format!("unknown token scope {word:?}")))
}

const REVOKE_TOKENS: &str = "UPDATE api_tokens SET revoked_at = $1 WHERE account = $2 AND revoked_at IS NULL";

/// Ends every session of an account by giving it a new session key: a session is valid only
/// while it carries its account's key. The key lives with the account in the main file, so a
/// password change or a disabling ends the sessions in the same commit, although on SQLite
/// the sessions themselves are in the access file (whose rows are deleted after, to tidy up).
const ROTATE_SESSION_KEY: &str = "UPDATE accounts SET session_key = $1 WHERE id = $2";

/// A new random session key for an account.
fn new_session_key() -> Result<Vec<u8>, StoreError> {
    let mut key = vec![0u8; 16];
    getrandom::fill(&mut key).map_err(|error| StoreError::NoRandomness(error.to_string()))?;
    Ok(key)
}

impl Store {
    /// Creates an account; `None` when an account with that email exists already.
    pub async fn add_account(
        &self,
        new: &NewAccount<'_>,
        at: OffsetDateTime,
    ) -> Result<Option<i64>, StoreError> {
        let email = new.email.trim().to_lowercase();
        let session_key = new_session_key()?;
        with_pool!(self, pool => {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO accounts (email, name, role, team, password_hash, must_change_password, created_at, session_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (email) DO NOTHING RETURNING id",
            )
            .bind(&email)
            .bind(new.name)
            .bind(new.role.as_str())
            .bind(new.team)
            .bind(new.password_hash)
            .bind(new.must_change_password)
            .bind(at)
            .bind(&session_key)
            .fetch_optional(pool)
            .await?;
            Ok(id)
        })
    }

    pub async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        let email = email.trim().to_lowercase();
        with_pool!(self, pool => {
            let row = sqlx::query(account_query!("", "FROM accounts a WHERE a.email = $1")).bind(&email).fetch_optional(pool).await?;
            row.as_ref().map(|row| account_from!(row)).transpose()
        })
    }

    pub async fn account(&self, id: i64) -> Result<Option<Account>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(account_query!("", "FROM accounts a WHERE a.id = $1")).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(|row| account_from!(row)).transpose()
        })
    }

    /// Every account, by email.
    pub async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(account_query!("", "FROM accounts a ORDER BY a.email")).fetch_all(pool).await?;
            rows.iter().map(|row| account_from!(row)).collect()
        })
    }

    /// Sets a new password hash, ends every session of the account and revokes its API
    /// tokens, so a changed (or reset) password shuts out whoever knew the old one or held a
    /// token made with it.
    pub async fn set_password(
        &self,
        account: i64,
        hash: &str,
        must_change: bool,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let session_key = new_session_key()?;
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(REVOKE_TOKENS).bind(at).bind(account).execute(&mut *tx).await?;
            sqlx::query(ROTATE_SESSION_KEY).bind(&session_key).bind(account).execute(&mut *tx).await?;
            sqlx::query("UPDATE accounts SET password_hash = $1, must_change_password = $2 WHERE id = $3")
                .bind(hash)
                .bind(must_change)
                .bind(account)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE account = $1").bind(account).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn add_session(
        &self,
        token_hash: &[u8],
        account: i64,
        csrf: &str,
        at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            // The session carries the account's key as it is now (see ROTATE_SESSION_KEY).
            sqlx::query(
                "INSERT INTO sessions (token_hash, account, account_key, csrf, created_at, expires_at) \
                 SELECT $1, a.id, a.session_key, $3, $4, $5 FROM accounts a WHERE a.id = $2",
            )
            .bind(token_hash)
            .bind(account)
            .bind(csrf)
            .bind(at)
            .bind(expires_at)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The live session with this token hash: not expired at `now`, of an enabled account.
    pub async fn session(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<Option<SessionRecord>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(account_query!(
                ", s.csrf, s.expires_at",
                "FROM sessions s JOIN accounts a ON a.id = s.account AND a.session_key = s.account_key \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.disabled_at IS NULL"
            ))
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            row.map(|row| {
                Ok(SessionRecord {
                    account: account_from!(&row)?,
                    csrf: row.try_get("csrf")?,
                    expires_at: row.try_get("expires_at")?,
                })
            })
            .transpose()
        })
    }

    pub async fn delete_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
            Ok(())
        })
    }

    /// Disables the account from `at` (ending its sessions and revoking its tokens, so that
    /// enabling it again brings neither back), or enables it again with `None`.
    pub async fn set_account_disabled(
        &self,
        account: i64,
        at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let session_key = new_session_key()?;
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(ROTATE_SESSION_KEY).bind(&session_key).bind(account).execute(&mut *tx).await?;
            sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE id = $2")
                .bind(at)
                .bind(account)
                .execute(&mut *tx)
                .await?;
            if let Some(at) = at {
                sqlx::query(REVOKE_TOKENS).bind(at).bind(account).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM sessions WHERE account = $1").bind(account).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Deletes the sessions that expired before `now`; returns how many.
    pub async fn delete_expired_sessions(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        with_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await?;
            Ok(done.rows_affected())
        })
    }

    pub async fn add_api_token(
        &self,
        account: i64,
        name: &str,
        token_hash: &[u8],
        scope: TokenScope,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_tokens (account, name, token_hash, scope, created_at) VALUES ($1, $2, $3, $4, $5) \
                 RETURNING id",
            )
            .bind(account)
            .bind(name)
            .bind(token_hash)
            .bind(scope.as_str())
            .bind(at)
            .fetch_one(pool)
            .await?;
            Ok(id)
        })
    }

    /// The unrevoked token with this hash and its enabled account. Only reads: signing a
    /// request in never waits for a writer (a long import holds SQLite's write lock).
    pub async fn api_token(&self, token_hash: &[u8]) -> Result<Option<TokenUse>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(account_query!(
                ", t.id AS token_id, t.name AS token_name, t.scope, \
                 t.created_at AS token_created_at, t.last_used_at",
                "FROM api_tokens t JOIN accounts a ON a.id = t.account \
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.disabled_at IS NULL"
            ))
            .bind(token_hash)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let account = account_from!(&row)?;
            let scope: String = row.try_get("scope")?;
            let token = ApiToken {
                id: row.try_get("token_id")?,
                account: account.id,
                name: row.try_get("token_name")?,
                scope: scope_of(&scope)?,
                created_at: row.try_get("token_created_at")?,
                last_used_at: row.try_get("last_used_at")?,
                revoked_at: None,
            };
            Ok(Some(TokenUse { account, token }))
        })
    }

    /// Writes down a token's use at `now`, unless a use within the minute before is written
    /// down already (by another request at the same time): true when this one was.
    pub async fn record_token_use(&self, token: i64, now: OffsetDateTime) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let written = sqlx::query(
                "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 \
                 AND (last_used_at IS NULL OR last_used_at <= $3)",
            )
            .bind(now)
            .bind(token)
            .bind(now - LAST_USE_PRECISION)
            .execute(pool)
            .await?;
            Ok(written.rows_affected() == 1)
        })
    }

    /// The tokens of one account, newest first, revoked ones included.
    pub async fn api_tokens(&self, account: i64) -> Result<Vec<ApiToken>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, account, name, scope, created_at, last_used_at, revoked_at FROM api_tokens \
                 WHERE account = $1 ORDER BY id DESC",
            )
            .bind(account)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let scope: String = row.try_get("scope")?;
                    Ok(ApiToken {
                        id: row.try_get("id")?,
                        account: row.try_get("account")?,
                        name: row.try_get("name")?,
                        scope: scope_of(&scope)?,
                        created_at: row.try_get("created_at")?,
                        last_used_at: row.try_get("last_used_at")?,
                        revoked_at: row.try_get("revoked_at")?,
                    })
                })
                .collect()
        })
    }

    /// Revokes a token of `account`; false when it has no such live token.
    pub async fn revoke_api_token(
        &self,
        account: i64,
        id: i64,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let done = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND account = $3 AND revoked_at IS NULL",
            )
            .bind(at)
            .bind(id)
            .bind(account)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(done == 1)
        })
    }

    pub async fn record_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO audit_events (at, actor, act, target, detail, source) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(event.at)
            .bind(event.actor.as_deref())
            .bind(&event.act)
            .bind(event.target.as_deref())
            .bind(&event.detail)
            .bind(event.source.as_deref())
            .execute(pool)
            .await?;
            Ok(())
        })
    }
}
