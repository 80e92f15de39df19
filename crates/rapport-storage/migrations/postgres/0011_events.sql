-- One ordered stream of what happened, to whom and when, which messages, health, briefings,
-- recognition and sharing read from a cursor (`id > N`). Written in the same transaction as
-- the change it records; rows are never changed or deleted. PostgreSQL flavour; keep in step with
-- ../sqlite/0011_events.sql.
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    -- An `EventKind` name (rapport-core's lifecycle.rs): action_opened, action_overdue...
    kind TEXT NOT NULL,
    -- person, security, scan or clock; `actor` is the person's email where there is one.
    actor_kind TEXT NOT NULL,
    actor TEXT,
    team TEXT,
    action BIGINT REFERENCES actions (id),
    -- What else it concerns, in words: "exception #3", "answer #5", "policy version 2".
    subject TEXT,
    detail TEXT NOT NULL,
    -- The typed facts (`EventFacts`) as JSON.
    facts TEXT NOT NULL,
    -- Set on the clock's events: an event of a name is recorded once, however often the
    -- clock runs and on however many servers.
    once_key TEXT UNIQUE
);

CREATE INDEX events_by_action ON events (action, id);
CREATE INDEX events_by_team ON events (team, id);
CREATE INDEX events_by_kind ON events (kind, id);

-- The history actions had is the stream's beginning, under the stream's names.
INSERT INTO events (at, kind, actor_kind, actor, team, action, detail, facts)
SELECT e.at,
    CASE e.event
        WHEN 'opened' THEN 'action_opened'
        WHEN 'reopened' THEN 'action_reopened'
        WHEN 'refuted' THEN 'done_refuted'
        WHEN 'decision changed' THEN 'decision_changed'
        WHEN 'closed' THEN CASE WHEN e.detail LIKE 'done and confirmed: %' THEN 'action_verified' ELSE 'action_closed' END
        WHEN 'marked done' THEN 'action_marked_done'
        WHEN 'exception requested' THEN 'exception_requested'
        WHEN 'exception approved' THEN 'exception_granted'
        WHEN 'exception rejected' THEN 'exception_rejected'
        WHEN 'exception expired' THEN 'exception_expired'
        WHEN 'emergency declared' THEN 'emergency_declared'
        WHEN 'feedback' THEN 'feedback_given'
        WHEN 'ownership disputed' THEN 'ownership_disputed'
        WHEN 'security replied' THEN 'security_replied'
        ELSE e.event
    END,
    CASE
        WHEN e.event = 'exception expired' THEN 'clock'
        WHEN e.event IN ('exception approved', 'exception rejected', 'emergency declared', 'security replied') THEN 'security'
        WHEN e.actor IS NULL THEN 'scan'
        ELSE 'person'
    END,
    e.actor, a.team, e.action, e.detail, '{}'
FROM action_events e JOIN actions a ON a.id = e.action
ORDER BY e.id;

DROP TABLE action_events;

-- An action under an approved exception is now in its own state, "accepted"; the clock moves
-- those whose exception has ended back to "open".
UPDATE actions SET state = 'accepted'
WHERE state = 'open' AND EXISTS (
    SELECT 1 FROM exceptions x WHERE x.action = actions.id AND x.state = 'approved' AND x.requested_until >= CURRENT_DATE
);
