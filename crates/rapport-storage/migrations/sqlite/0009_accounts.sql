-- Accounts, sessions, API tokens and the audit log of the server. SQLite flavour; keep in
-- step with ../postgres/0009_accounts.sql.

-- Who may sign in. `email` is stored lower-case and links the account to the directory's
-- person of the same email. `password_hash` is an argon2id PHC string, NULL for accounts that
-- sign in only through OpenID Connect. `team` is set for the team roles only.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    team TEXT,
    password_hash TEXT,
    must_change_password BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    disabled_at TEXT
);

-- A signed-in browser. Only the SHA-256 of the cookie's secret is stored, so a copy of the
-- database signs nobody in. `csrf` is the token every form of the session must carry.
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    account BIGINT NOT NULL REFERENCES accounts (id),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX sessions_by_account ON sessions (account);

-- API tokens: hashed at rest like sessions, scoped (`read` or `write`), revocable.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account BIGINT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

-- Every security-relevant act: who (an email, or NULL for someone not signed in), when,
-- what, on what, and from where. Rows are never changed or deleted.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT,
    act TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL,
    source TEXT
);
