-- Deciding and planning follow an import in transactions of their own. The import records,
-- in its own transaction, that they are owed; the refresh that follows clears it. After a
-- crash between the two, the server finds what is owed and catches up.
ALTER TABLE imports ADD COLUMN awaiting_refresh BOOLEAN NOT NULL DEFAULT FALSE;
