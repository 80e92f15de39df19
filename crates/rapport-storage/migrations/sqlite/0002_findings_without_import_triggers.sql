-- Nothing changes on SQLite: its foreign-key checks on findings.first_import and
-- resolved_import cost one index lookup and are kept. PostgreSQL drops them; see
-- ../postgres/0002_findings_without_import_triggers.sql.
SELECT 1;
