-- Accounts, sessions, API tokens and the audit log of the server. PostgreSQL flavour; keep in
-- step with ../sqlite/0009_accounts.sql.

-- Who may sign in. `email` is stored lower-case and links the account to the directory's
-- person of the same email. `password_hash` is an argon2id PHC string, NULL for accounts that
-- sign in only through OpenID Connect. `team` is set for the team roles only.
CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    team TEXT,
    password_hash TEXT,
    must_change_password BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    disabled_at TIMESTAMPTZ
);

-- A signed-in browser. Only the SHA-256 of the cookie's secret is stored, so a copy of the
-- database signs nobody in. `csrf` is the token every form of the session must carry.
CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    account BIGINT NOT NULL REFERENCES accounts (id),
    csrf TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX sessions_by_account ON sessions (account);

-- API tokens: hashed at rest like sessions, scoped (`read` or `write`), revocable.
CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    account BIGINT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

-- Every security-relevant act: who (an email, or NULL for someone not signed in), when,
-- what, on what, and from where. Rows are never changed or deleted.
CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT,
    act TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL,
    source TEXT
);
