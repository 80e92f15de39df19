-- What people answer from a campaign's nudge. SQLite flavour; keep in step with
-- ../postgres/0020_campaign_answers.sql. `done`: the nudges of the round wait for a report of
-- their device made after it. `cannot` ("I can't, because..."): the nudges of the round stop,
-- and the reason waits in the security team's queue until they reply. Rows are never deleted.
CREATE TABLE campaign_answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign TEXT NOT NULL,
    -- Their email, in lower case, and the round of the campaign they answered in.
    person TEXT NOT NULL,
    round BIGINT NOT NULL,
    kind TEXT NOT NULL,
    words TEXT NOT NULL,
    given_at TEXT NOT NULL,
    -- The nudge it was answered from.
    message BIGINT NOT NULL REFERENCES messages (id),
    replied_by TEXT,
    replied_at TEXT,
    reply TEXT
);

CREATE INDEX campaign_answers_by_person ON campaign_answers (campaign, person, round);
