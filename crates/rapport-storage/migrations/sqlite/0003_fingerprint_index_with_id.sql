-- Nothing changes on SQLite: its unique index on findings.fingerprint already holds the row
-- id, so a lookup by fingerprint reads the index alone. See ../postgres/0003_*.sql.
SELECT 1;
