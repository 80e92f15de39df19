-- What peers share and what is shared with them: STIX 2.1 objects, one row per version.
-- SQLite flavour; keep in step with ../postgres/0025_stix_objects.sql.

-- `version` is the object's `modified` (or `created`) as RFC 3339 with nine fractional
-- digits, so it sorts as time does, and empty for an object that has no versions (a
-- cyber-observable); an id and version are kept once, as STIX says they name one object.
-- `added_at` is when Rapport first held it, in microseconds since 1970 (TAXII's
-- date_added, exact to the microsecond on both databases); `tlp` the strictest TLP
-- marking it carries, NULL when it has none; `source` where it came from, in words.
CREATE TABLE stix_objects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stix_id TEXT NOT NULL,
    type TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    version TEXT NOT NULL,
    tlp TEXT,
    source TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    object TEXT NOT NULL,
    UNIQUE (stix_id, version)
);

CREATE INDEX stix_objects_by_type ON stix_objects (type, id);
CREATE INDEX stix_objects_by_added ON stix_objects (added_at, id);
