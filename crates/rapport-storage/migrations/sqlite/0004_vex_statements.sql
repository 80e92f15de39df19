-- VEX statements: what suppliers say about vulnerabilities in their products (OpenVEX,
-- CSAF). SQLite flavour; keep in step with ../postgres/0004_vex_statements.sql.
--
-- A statement is stored once per distinct content (`content_key`, a hash of `body`), so a
-- document imported twice adds nothing. `body` is the statement's JSON; `id` orders them,
-- which breaks ties between statements issued at the same moment.
CREATE TABLE vex_statements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    content_key BLOB NOT NULL UNIQUE,
    import_id BIGINT NOT NULL REFERENCES imports (id),
    vulnerability TEXT NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL
);

CREATE INDEX vex_statements_by_vulnerability ON vex_statements (vulnerability);

-- What a VEX import did: statements it added, findings whose status it changed.
ALTER TABLE imports ADD COLUMN vex_statements BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN vex_changed_findings BIGINT NOT NULL DEFAULT 0;
