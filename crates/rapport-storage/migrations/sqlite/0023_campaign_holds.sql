-- Nudges that were due but held, for a campaign's figures. SQLite flavour; keep in step with
-- ../postgres/0023_campaign_holds.sql. One row per campaign, person, round and day (UTC,
-- YYYY-MM-DD) a due nudge was held: `budget` when the person's weekly budget was spent,
-- `day` when they had a nudge of another campaign that day. Rows are never deleted.
CREATE TABLE campaign_holds (
    campaign TEXT NOT NULL,
    person TEXT NOT NULL,
    round BIGINT NOT NULL,
    day TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (campaign, person, round, day)
);
