-- Plans: policies and their acknowledgements, remediation actions with their history,
-- exceptions and emergency overrides. SQLite flavour; keep in step with
-- ../postgres/0007_plan.sql.

-- Every version of the policy file, as applied; the latest is in force.
CREATE TABLE policies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    content TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    applied_by TEXT
);

-- A team's acknowledgement of one policy version, by whom.
CREATE TABLE policy_acks (
    team TEXT NOT NULL,
    policy BIGINT NOT NULL REFERENCES policies (id),
    acknowledged_by TEXT NOT NULL,
    acknowledged_at TEXT NOT NULL,
    PRIMARY KEY (team, policy)
);

-- One remediation action: the same work for the same team keeps its row (`action_key`)
-- across plans. `body` is the action's JSON; `digest` tells whether it changed.
CREATE TABLE actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action_key BLOB NOT NULL UNIQUE,
    team TEXT NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    state TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    outcome_since TEXT NOT NULL,
    state_since TEXT NOT NULL,
    digest BIGINT NOT NULL,
    body TEXT NOT NULL
);

CREATE INDEX actions_by_team ON actions (team, state);

-- What happened to an action, by whom and on what evidence.
CREATE TABLE action_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action BIGINT NOT NULL REFERENCES actions (id),
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    actor TEXT,
    detail TEXT NOT NULL
);

CREATE INDEX action_events_by_action ON action_events (action, id);

-- Exception and risk-acceptance requests and what was decided. Rows are never deleted.
CREATE TABLE exceptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action BIGINT NOT NULL REFERENCES actions (id),
    risk_acceptance BOOLEAN NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    compensating_control TEXT,
    requested_until TEXT NOT NULL,
    state TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    decision_reason TEXT
);

CREATE INDEX exceptions_by_action ON exceptions (action, id);

-- Emergencies declared outside the policy's criteria, for the monthly review.
CREATE TABLE emergency_overrides (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action BIGINT NOT NULL REFERENCES actions (id),
    declared_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    declared_at TEXT NOT NULL,
    policy BIGINT REFERENCES policies (id)
);
