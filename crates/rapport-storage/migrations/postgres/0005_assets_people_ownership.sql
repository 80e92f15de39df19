-- Assets and their software, people and teams, and the ownership file's versions.
-- PostgreSQL flavour; keep in step with ../sqlite/0005_assets_people_ownership.sql.

-- Each distinct package (name, version, where it came from) once: a device's software is a
-- list of these ids, since 50,000 devices with 300 packages each would otherwise be
-- 15 million rows that are mostly the same few thousand.
CREATE TABLE software (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    source TEXT NOT NULL,
    UNIQUE (name, version, source)
);

-- What exists and can be owned: devices reported by inventory, and the targets scanners
-- name (images, hosts, repositories). `facts` is the JSON of what inventory knows of a
-- device; `software` its package ids, four bytes each (little-endian), NULL when unknown.
-- The owner, criticality and exposure columns are what the ownership file's version
-- `ownership_version` decided, each with the label of the rule that decided it.
CREATE TABLE assets (
    id BIGSERIAL PRIMARY KEY,
    asset_key BYTEA NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    hostname TEXT,
    source TEXT NOT NULL,
    facts TEXT,
    software BYTEA,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ,
    owner_team TEXT,
    owner_rule TEXT,
    criticality TEXT,
    criticality_rule TEXT,
    exposure TEXT,
    exposure_rule TEXT,
    ownership_version BIGINT
);

CREATE INDEX assets_by_owner ON assets (owner_team);
CREATE INDEX assets_by_name ON assets (name);

CREATE TABLE teams (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    measured_on TEXT,
    weekly_capacity_hours DOUBLE PRECISION
);

-- `person_key` is how a person is known across sources: email, else directory id, else
-- login name (see rapport_core::Person::key).
CREATE TABLE people (
    id BIGSERIAL PRIMARY KEY,
    person_key TEXT NOT NULL UNIQUE,
    email TEXT,
    name TEXT NOT NULL,
    directory_id TEXT,
    username TEXT,
    team TEXT,
    manager TEXT,
    audience TEXT NOT NULL,
    time_zone TEXT,
    locale TEXT,
    chat TEXT,
    active BOOLEAN NOT NULL
);

CREATE INDEX people_by_directory_id ON people (directory_id);

-- Every version of the ownership file ever applied, in full: the history of who owned what
-- and why.
CREATE TABLE ownership_versions (
    id BIGSERIAL PRIMARY KEY,
    content TEXT NOT NULL,
    syntax TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL,
    rules BIGINT NOT NULL,
    changed_assets BIGINT NOT NULL
);

-- What an inventory or directory import did.
ALTER TABLE imports ADD COLUMN devices BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN new_devices BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN people BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN teams BIGINT NOT NULL DEFAULT 0;
