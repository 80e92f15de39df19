-- What partners say back on an action besides "done" and exceptions: feedback, and "not ours"
-- (a dispute of ownership), with the security team's reply. SQLite flavour; keep in step
-- with ../postgres/0010_answers.sql. Rows are never deleted: the time to reply is measured.
CREATE TABLE answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action BIGINT NOT NULL REFERENCES actions (id),
    kind TEXT NOT NULL,
    given_by TEXT NOT NULL,
    given_at TEXT NOT NULL,
    body TEXT NOT NULL,
    -- For "not ours": the team the partner thinks owns it, when they know.
    suggested_team TEXT,
    replied_by TEXT,
    replied_at TEXT,
    reply TEXT
);

CREATE INDEX answers_by_action ON answers (action, id);
