-- PostgreSQL checks a foreign key with a trigger per row: 3.4 s of a million-finding import
-- on the bench machine (a COPY of the same rows took 12.6 s with the two keys, 8.7 s
-- without). The import ids are written by the import transaction itself (the `imports` row
-- is inserted before any finding that names it, and imports are never deleted), so the
-- keys are dropped here. SQLite checks them at the cost of one lookup and keeps them; see
-- ../sqlite/0002_findings_without_import_triggers.sql.
ALTER TABLE findings
    DROP CONSTRAINT findings_first_import_fkey,
    DROP CONSTRAINT findings_resolved_import_fkey;
