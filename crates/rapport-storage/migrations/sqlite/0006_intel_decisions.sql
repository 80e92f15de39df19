-- Vulnerability intelligence (feed editions, the KEV catalogue, EPSS scores, records from
-- NVD, CVE.org, OSV and CSAF, aliases), decision trees, and the decisions made on findings
-- with their history. SQLite flavour; keep in step with ../postgres/0006_intel_decisions.sql.

-- Every feed file imported and the edition it was: a KEV catalogue version, an EPSS model
-- and score date, an NVD timestamp. `added`, `changed` and `removed` count what it did.
CREATE TABLE intel_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    feed TEXT NOT NULL,
    format TEXT NOT NULL,
    file TEXT NOT NULL,
    edition_version TEXT,
    edition_date TEXT,
    imported_at TEXT NOT NULL,
    items BIGINT NOT NULL,
    added BIGINT NOT NULL,
    changed BIGINT NOT NULL,
    removed BIGINT NOT NULL
);

CREATE INDEX intel_imports_by_feed ON intel_imports (feed, id);

-- The KEV catalogue as the latest import has it; `entry` is the entry's JSON.
CREATE TABLE kev (
    cve TEXT PRIMARY KEY,
    entry TEXT NOT NULL,
    intel_import BIGINT NOT NULL REFERENCES intel_imports (id)
);

-- EPSS scores as the latest import has them (its edition says which day).
CREATE TABLE epss (
    cve TEXT PRIMARY KEY,
    probability REAL NOT NULL,
    percentile REAL NOT NULL
);

-- What one source says of one vulnerability (`body` is the record's JSON). A record is
-- replaced only by one modified later.
CREATE TABLE vuln_records (
    vuln_id TEXT NOT NULL,
    source TEXT NOT NULL,
    modified TEXT,
    body TEXT NOT NULL,
    intel_import BIGINT NOT NULL REFERENCES intel_imports (id),
    PRIMARY KEY (vuln_id, source)
);

-- Ids that name the same vulnerability, stored both ways: how a GHSA finding meets its
-- CVE's KEV entry.
CREATE TABLE vuln_aliases (
    vuln_id TEXT NOT NULL,
    alias TEXT NOT NULL,
    PRIMARY KEY (vuln_id, alias)
);

-- Every decision tree applied, whole: version N is row N.
CREATE TABLE decision_trees (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    content TEXT NOT NULL,
    applied_at TEXT NOT NULL
);

-- A decision in words with its evidence (`body`, JSON), stored once per distinct content:
-- the findings of one vulnerability on one asset share it.
CREATE TABLE assessments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    content_key BLOB NOT NULL UNIQUE,
    outcome TEXT NOT NULL,
    body TEXT NOT NULL
);

-- The current decision on each finding. `basis` identifies what the decision rests on
-- (outcome, points, the source of each): when a recomputation gives the same basis,
-- nothing is written.
CREATE TABLE decisions (
    finding BIGINT PRIMARY KEY REFERENCES findings (id),
    assessment BIGINT NOT NULL REFERENCES assessments (id),
    basis BIGINT NOT NULL,
    decided_at TEXT NOT NULL
);

-- Every change of a finding's decision, with its cause in words.
CREATE TABLE decision_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    finding BIGINT NOT NULL REFERENCES findings (id),
    changed_at TEXT NOT NULL,
    previous BIGINT NOT NULL REFERENCES assessments (id),
    current BIGINT NOT NULL REFERENCES assessments (id),
    cause TEXT NOT NULL
);

CREATE INDEX decision_changes_by_finding ON decision_changes (finding, id);

-- Where feeds are fetched from, and what the server said last time: the validators sent
-- back in conditional requests, so an unchanged feed is not downloaded again.
CREATE TABLE feed_sources (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    checked_at TEXT NOT NULL,
    changed_at TEXT
);
