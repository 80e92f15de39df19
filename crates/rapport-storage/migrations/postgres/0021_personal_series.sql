-- Since when a person gets the series of tips for their own phone, home network and family
-- accounts (a campaign with `personal = true`); none when they have not asked for it. PostgreSQL
-- flavour; keep in step with ../sqlite/0021_personal_series.sql.
ALTER TABLE message_preferences ADD COLUMN personal_since TIMESTAMPTZ;
