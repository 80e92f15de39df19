-- The messages Rapport composed from the event stream: one per event and reader, in that
-- reader's words, with its readability. Each person's inbox reads them, and delivery (by
-- email, chat or webhook) sends them. SQLite flavour; keep in step with
-- ../postgres/0017_messages.sql.
CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The event it tells of; with the reader, what makes a message once only, however often
    -- and on however many servers the stream is composed. None for a digest, which is once
    -- only by its `once_key`.
    event BIGINT REFERENCES events (id),
    once_key TEXT UNIQUE,
    -- The reader's email in lower case, and their name as the directory gives it.
    recipient TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    -- executive, manager, engineer or end_user: whose words it is in.
    audience TEXT NOT NULL,
    -- A `Topic` name (rapport-core's topic.rs): action_due_soon, emergency_declared...
    topic TEXT NOT NULL,
    team TEXT,
    action BIGINT REFERENCES actions (id),
    composed_at TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- The one thing to do, and the page (a path on this server) where it is done.
    ask TEXT NOT NULL,
    link TEXT NOT NULL,
    reading_ease DOUBLE PRECISION NOT NULL,
    grade DOUBLE PRECISION NOT NULL,
    words BIGINT NOT NULL,
    sentences BIGINT NOT NULL,
    longest_sentence BIGINT NOT NULL,
    characters BIGINT NOT NULL,
    -- Where noise control sent it: `send` (at `send_at`: now, or when quiet hours end),
    -- `digest` (merged into the reader's digest due at `send_at`, then into `digest`), or
    -- `dropped`; and why, in words.
    route TEXT NOT NULL,
    route_reason TEXT,
    send_at TEXT NOT NULL,
    -- Whether it counts against the reader's weekly budget.
    counted BOOLEAN NOT NULL,
    digest BIGINT REFERENCES messages (id),
    UNIQUE (event, recipient)
);

CREATE INDEX messages_by_recipient ON messages (recipient, id);
CREATE INDEX messages_by_route ON messages (route, digest, send_at);

-- How each person takes what can wait: `each`, `daily` or `weekly`; and the channel
-- messages reach them by.
CREATE TABLE message_preferences (
    email TEXT PRIMARY KEY,
    rhythm TEXT NOT NULL,
    channel TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- How far the composer has read the stream: every event up to `after_event` is composed.
CREATE TABLE message_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    after_event BIGINT NOT NULL
);
INSERT INTO message_cursor (id, after_event) VALUES (1, 0);

-- Feedback carries a rating, 1 (it went badly) to 5 (it went well), when one was given.
ALTER TABLE answers ADD COLUMN rating BIGINT;

-- Keys this server signs with, made once on first use: `answer links` signs the links in
-- messages, which answer without signing in.
CREATE TABLE signing_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL
);

-- The outbox: each message sent on its own (and each digest) is queued for its reader's
-- channel in the transaction that stores it, and the delivery worker sends it. A delivery is
-- unique per message and channel, so nothing is queued twice; its state is `queued`,
-- `sending` (claimed until `lease_until`: a worker that dies mid-send is taken over after),
-- `retry` (at `next_attempt_at`, with backoff), `sent` or `dead` (given up, with why).
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message BIGINT NOT NULL REFERENCES messages (id),
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    lease_until TEXT,
    last_error TEXT,
    sent_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (message, channel)
);

CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);

-- The message templates the security team replaced (`action_due_soon.manager`): each checked
-- before it is stored; a name not here is written with the template Rapport ships.
CREATE TABLE message_templates (
    name TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    applied_by TEXT NOT NULL
);
