-- Imports (one per file) and the findings they showed. SQLite flavour; keep in step with
-- ../postgres/0001_findings.sql.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file TEXT NOT NULL,
    format TEXT NOT NULL,
    source TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    findings BIGINT NOT NULL DEFAULT 0,
    new_findings BIGINT NOT NULL DEFAULT 0,
    known_findings BIGINT NOT NULL DEFAULT 0,
    resolved_findings BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint BLOB NOT NULL UNIQUE,
    scope BLOB NOT NULL,
    tool TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    vulnerability TEXT NOT NULL,
    component TEXT,
    installed_version TEXT,
    fixed_version TEXT,
    location TEXT,
    severity SMALLINT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    first_import BIGINT NOT NULL REFERENCES imports (id),
    last_import BIGINT NOT NULL REFERENCES imports (id),
    resolved_import BIGINT REFERENCES imports (id)
);

CREATE INDEX findings_by_scope ON findings (scope, resolved_import);
