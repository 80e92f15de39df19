-- What people answer from a campaign's nudge. PostgreSQL flavour; keep in step with
-- ../sqlite/0020_campaign_answers.sql. `done`: the nudges of the round wait for a report of
-- their device made after it. `cannot` ("I can't, because..."): the nudges of the round stop,
-- and the reason waits in the security team's queue until they reply. Rows are never deleted.
CREATE TABLE campaign_answers (
    id BIGSERIAL PRIMARY KEY,
    campaign TEXT NOT NULL,
    -- Their email, in lower case, and the round of the campaign they answered in.
    person TEXT NOT NULL,
    round BIGINT NOT NULL,
    kind TEXT NOT NULL,
    words TEXT NOT NULL,
    given_at TIMESTAMPTZ NOT NULL,
    -- The nudge it was answered from.
    message BIGINT NOT NULL REFERENCES messages (id),
    replied_by TEXT,
    replied_at TIMESTAMPTZ,
    reply TEXT
);

CREATE INDEX campaign_answers_by_person ON campaign_answers (campaign, person, round);
