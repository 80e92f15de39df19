-- Incidents the security team handled, as it recorded them. SQLite flavour; keep in step with
-- ../postgres/0026_incidents.sql.

-- `record` is the incident as JSON (summary, timeline, assets, indicators, techniques,
-- malware, threat actor, response, lessons); its history is in the event stream, under the
-- subject "incident #id".
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    summary TEXT NOT NULL,
    record TEXT NOT NULL,
    recorded_by TEXT,
    recorded_at TEXT NOT NULL
);

CREATE INDEX events_by_subject ON events (subject, id);
