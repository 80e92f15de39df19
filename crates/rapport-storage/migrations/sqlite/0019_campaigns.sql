-- Hygiene campaigns (rapport-core's campaign.rs and exposure.rs). SQLite flavour;
-- keep in step with ../postgres/0019_campaigns.sql.

-- The campaign files the security team applied, each by its name, over those Rapport ships;
-- `active` false switches a campaign off, shipped or not.
CREATE TABLE campaign_files (
    name TEXT PRIMARY KEY,
    content TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    applied_by TEXT,
    applied_at TEXT NOT NULL
);

-- Where each person stands in each campaign: the round (a new one each time the gap comes
-- back after the habit showed), since when inventory showed the gap, and when the habit
-- showed, ending the round. Each nudge and each habit shown is also an event.
CREATE TABLE campaign_enrolments (
    campaign TEXT NOT NULL,
    -- Their email, in lower case.
    person TEXT NOT NULL,
    team TEXT,
    round BIGINT NOT NULL,
    gap_since TEXT NOT NULL,
    habit_at TEXT,
    PRIMARY KEY (campaign, person)
);

-- The nudges of each round, numbered from 0: a nudge is sent once, whoever schedules it.
CREATE TABLE campaign_nudges (
    campaign TEXT NOT NULL,
    person TEXT NOT NULL,
    round BIGINT NOT NULL,
    number BIGINT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (campaign, person, round, number)
);
