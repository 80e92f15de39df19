-- Follow-through: advisories turned into drafts of one thing to do. PostgreSQL flavour; keep in
-- step with ../sqlite/0022_follow_through.sql.

-- Every version of the security team's settings file (vendor feeds, automatic categories).
CREATE TABLE follow_through_settings (
    id BIGSERIAL PRIMARY KEY,
    file TEXT NOT NULL,
    content TEXT NOT NULL,
    applied_by TEXT,
    applied_at TIMESTAMPTZ NOT NULL
);

-- One draft per advisory, ever: `advisory` and `wording` are JSON. A draft waits in
-- `review` until it is sent or dismissed; `people` and `teams` say how many it reached.
CREATE TABLE follow_through_drafts (
    id BIGSERIAL PRIMARY KEY,
    advisory_key TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    advisory TEXT NOT NULL,
    wording TEXT NOT NULL,
    state TEXT NOT NULL,
    drafted_at TIMESTAMPTZ NOT NULL,
    edited_by TEXT,
    edited_at TIMESTAMPTZ,
    decided_by TEXT,
    decided_at TIMESTAMPTZ,
    people BIGINT,
    teams BIGINT
);

CREATE INDEX follow_through_drafts_by_state ON follow_through_drafts (state, id);

-- The last intel import whose records were read for advisories.
CREATE TABLE follow_through_cursor (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    intel_import BIGINT NOT NULL
);
