-- An import looks up every finding of a file by fingerprint and reads its id. With the id in
-- the unique index, PostgreSQL answers from the index alone (once vacuum has marked the table
-- pages all-visible, which the import asks for after a large import): a million-finding
-- re-import went from 4.3 s to 3.7 s. SQLite's index on fingerprint holds the row id already.
ALTER TABLE findings ADD CONSTRAINT findings_fingerprint_with_id UNIQUE (fingerprint) INCLUDE (id);
ALTER TABLE findings DROP CONSTRAINT findings_fingerprint_key;
