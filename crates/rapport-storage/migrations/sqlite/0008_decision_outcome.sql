-- Each decision carries its outcome, so planning and counting read a million decisions
-- without visiting their assessments (one per vulnerability and ownership rule, so nearly
-- as many). SQLite flavour; keep in step with ../postgres/0008_decision_outcome.sql.
-- SQLite cannot add a NOT NULL column without a default, so the table is rebuilt.

CREATE TABLE decisions_with_outcome (
    finding BIGINT PRIMARY KEY REFERENCES findings (id),
    assessment BIGINT NOT NULL REFERENCES assessments (id),
    outcome TEXT NOT NULL,
    basis BIGINT NOT NULL,
    decided_at TEXT NOT NULL
);

INSERT INTO decisions_with_outcome (finding, assessment, outcome, basis, decided_at)
SELECT d.finding, d.assessment, a.outcome, d.basis, d.decided_at
FROM decisions d JOIN assessments a ON a.id = d.assessment;

DROP TABLE decisions;

ALTER TABLE decisions_with_outcome RENAME TO decisions;
