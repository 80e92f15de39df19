-- Imports, the scopes each one covered, advisories and findings. SQLite flavour; keep in
-- step with ../postgres/0001_findings.sql.

-- One row per imported file.
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

-- A scope is one tool's view of one target (an image, a host, a repository). Findings
-- name their scope instead of repeating the tool and target on every row.
CREATE TABLE scopes (
    scope_key BLOB PRIMARY KEY,
    tool TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL
);

-- Which scopes each import rescanned, and with which tool version. An open finding was
-- seen by every scan of its scope since it first appeared, so its last sighting is the
-- latest scan of its scope and need not be written on every finding at every import.
CREATE TABLE scans (
    scope BLOB NOT NULL REFERENCES scopes (scope_key),
    import_id BIGINT NOT NULL REFERENCES imports (id),
    tool_version TEXT,
    PRIMARY KEY (scope, import_id)
);

-- What a vulnerability or rule is (ids, title, text, references, scores), stored once per
-- distinct content however many findings share it. `body` is JSON.
CREATE TABLE advisories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    content_key BLOB NOT NULL UNIQUE,
    body TEXT NOT NULL
);

-- One finding: a tool's sighting of an advisory in one place of one target. `detail` is
-- the JSON of the parts that belong to this sighting (component, location, status...);
-- the columns beside it are what lists filter and sort on.
CREATE TABLE findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint BLOB NOT NULL UNIQUE,
    scope BLOB NOT NULL,
    kind TEXT NOT NULL,
    vulnerability TEXT NOT NULL,
    component TEXT,
    severity SMALLINT NOT NULL,
    status TEXT NOT NULL,
    advisory BLOB NOT NULL,
    detail TEXT NOT NULL,
    first_import BIGINT NOT NULL REFERENCES imports (id),
    resolved_import BIGINT REFERENCES imports (id)
);

CREATE INDEX findings_by_scope ON findings (scope, resolved_import);
