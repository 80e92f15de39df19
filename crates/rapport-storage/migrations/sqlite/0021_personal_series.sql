-- Since when a person gets the series of tips for their own phone, home network and family
-- accounts (a campaign with `personal = true`); none when they have not asked for it. SQLite
-- flavour; keep in step with ../postgres/0021_personal_series.sql.
ALTER TABLE message_preferences ADD COLUMN personal_since TEXT;
