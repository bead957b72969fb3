//! The database file's schema. Bump [`SCHEMA_VERSION`] on any change; an older file is rebuilt
//! from its feeds rather than migrated (the advisory database is derived data).

/// Stored in `PRAGMA user_version`.
pub const SCHEMA_VERSION: i64 = 1;

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- One row per advisory. `json` is the full OSV record; `match_json` the part the matcher needs
-- (no prose, no GIT ranges), so loading the index reads little.
CREATE TABLE IF NOT EXISTS advisory (
    id         TEXT PRIMARY KEY,
    source     TEXT NOT NULL,
    modified   TEXT NOT NULL,
    published  TEXT,
    withdrawn  TEXT,
    hash       INTEGER NOT NULL,
    summary    TEXT,
    match_json TEXT NOT NULL,
    json       TEXT NOT NULL
);
-- Every identifier (own id and aliases) of every advisory.
CREATE TABLE IF NOT EXISTS advisory_id (
    alias    TEXT NOT NULL,
    advisory TEXT NOT NULL,
    PRIMARY KEY (alias, advisory)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS advisory_id_by_advisory ON advisory_id (advisory);
-- (ecosystem base, normalized name) -> advisory, for search and for re-evaluation.
CREATE TABLE IF NOT EXISTS affected (
    ecosystem TEXT NOT NULL,
    name      TEXT NOT NULL,
    advisory  TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name, advisory)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affected_by_advisory ON affected (advisory);
CREATE TABLE IF NOT EXISTS kev (
    cve  TEXT PRIMARY KEY,
    json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS epss (
    cve        TEXT PRIMARY KEY,
    epss       REAL NOT NULL,
    percentile REAL NOT NULL,
    date       TEXT
);
CREATE TABLE IF NOT EXISTS nvd (
    cve      TEXT PRIMARY KEY,
    modified TEXT NOT NULL,
    json     TEXT NOT NULL
);
-- When each source was last imported.
CREATE TABLE IF NOT EXISTS source (
    name        TEXT PRIMARY KEY,
    imported_at TEXT NOT NULL
);
-- Packages named by advisories that changed, in order; consumers re-match inventories holding
-- them (continuous re-evaluation) and remember the last `seq` they saw.
CREATE TABLE IF NOT EXISTS change (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    advisory  TEXT NOT NULL,
    ecosystem TEXT NOT NULL,
    name      TEXT NOT NULL,
    at        TEXT NOT NULL
);
";
