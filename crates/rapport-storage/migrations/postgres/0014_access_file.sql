-- A session is valid only while it carries its account's session key, which a password
-- change or a disabling replaces in the same commit as the change itself. On SQLite the
-- sessions and the audit log also move to a file of their own; here nothing moves.
ALTER TABLE accounts ADD COLUMN session_key BYTEA;
UPDATE accounts SET session_key = uuid_send(gen_random_uuid());
ALTER TABLE accounts ALTER COLUMN session_key SET NOT NULL;

ALTER TABLE sessions ADD COLUMN account_key BYTEA;
UPDATE sessions SET account_key = (SELECT a.session_key FROM accounts a WHERE a.id = sessions.account);
ALTER TABLE sessions ALTER COLUMN account_key SET NOT NULL;
