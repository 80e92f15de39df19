-- Signing in must not wait for an import, and SQLite lets one writer at a time hold a whole
-- file: the sessions and the audit log move to their own file, attached to every connection
-- as `access` (see `access_file` in lib.rs). Queries name the tables without a schema, so
-- they read the same on SQLite and PostgreSQL, where nothing moves.
--
-- A session is valid only while it carries its account's session key, which a password
-- change or a disabling replaces in the same commit as the change itself (the two files
-- are not committed as one). Existing sessions carry their account's first key.
ALTER TABLE accounts ADD COLUMN session_key BLOB;
UPDATE accounts SET session_key = randomblob(16);

-- Sessions left in an access file whose main file was replaced belong to nobody here.
DROP TABLE IF EXISTS access.sessions;
CREATE TABLE access.sessions (
    token_hash BLOB PRIMARY KEY,
    account BIGINT NOT NULL,
    account_key BLOB NOT NULL,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX access.sessions_by_account ON sessions (account);
INSERT INTO access.sessions (token_hash, account, account_key, csrf, created_at, expires_at)
    SELECT s.token_hash, s.account, a.session_key, s.csrf, s.created_at, s.expires_at
    FROM main.sessions s JOIN main.accounts a ON a.id = s.account;
DROP TABLE main.sessions;

-- An audit log already in the access file is kept; this file's rows follow it, in order.
CREATE TABLE IF NOT EXISTS access.audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT,
    act TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL,
    source TEXT
);
INSERT INTO access.audit_events (at, actor, act, target, detail, source)
    SELECT at, actor, act, target, detail, source FROM main.audit_events ORDER BY id;
DROP TABLE main.audit_events;
