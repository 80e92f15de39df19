-- Each decision carries its outcome, so planning and counting read a million decisions
-- without visiting their assessments (one per vulnerability and ownership rule, so nearly
-- as many). PostgreSQL flavour; keep in step with ../sqlite/0008_decision_outcome.sql.

ALTER TABLE decisions ADD COLUMN outcome TEXT;

UPDATE decisions d SET outcome = a.outcome FROM assessments a WHERE a.id = d.assessment;

ALTER TABLE decisions ALTER COLUMN outcome SET NOT NULL;
