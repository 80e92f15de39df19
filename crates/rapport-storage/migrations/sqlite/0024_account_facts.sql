-- What the directory's export says of each person's work account, for the campaigns on
-- accounts: whether it has two-step sign-in, and how many suspicious messages they reported in
-- the last year. Unknown when the export has no such column.
ALTER TABLE people ADD COLUMN mfa BOOLEAN;
ALTER TABLE people ADD COLUMN phishing_reports BIGINT;
