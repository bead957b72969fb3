//! The store's schema. Plain SQL types (TEXT, INTEGER, REAL, BLOB) and nothing a PostgreSQL
//! schema could not hold the same way: `INTEGER PRIMARY KEY` is the row id here and would be
//! `BIGINT GENERATED ALWAYS AS IDENTITY` there; times are integer milliseconds since the
//! epoch; multi-valued text columns are `|a|b|` so one `LIKE` finds a member.
//!
//! Bump [`SCHEMA_VERSION`] on any change; [`crate::Store::open`] refuses a newer file and
//! migrates older ones step by step (there is one version so far).

pub const SCHEMA_VERSION: i64 = 1;

pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS accounts (
    account_id  TEXT PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    -- The account's configuration as the API layer keeps it (opaque here).
    config      TEXT NOT NULL DEFAULT '{}'
);

-- Which scan types an account has enabled: EC2, ECR, LAMBDA, LAMBDA_CODE, CODE_REPOSITORY.
CREATE TABLE IF NOT EXISTS account_scan_types (
    account_id  TEXT NOT NULL,
    scan_type   TEXT NOT NULL,
    status      TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, scan_type)
);

CREATE TABLE IF NOT EXISTS access_keys (
    access_key_id  TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL,
    role           TEXT NOT NULL,
    -- nonce || ChaCha20-Poly1305(secret), under the data directory's master key.
    secret_sealed  BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS resources (
    pk                  INTEGER PRIMARY KEY,
    account_id          TEXT NOT NULL,
    resource_type       TEXT NOT NULL,
    resource_id         TEXT NOT NULL,
    arn                 TEXT NOT NULL,
    details             TEXT,
    ec2_image_id        TEXT,
    platform            TEXT,
    ecr_registry        TEXT,
    ecr_repository      TEXT,
    ecr_image_hash      TEXT,
    ecr_image_tags      TEXT,
    ecr_architecture    TEXT,
    ecr_pushed_at       INTEGER,
    lambda_name         TEXT,
    lambda_runtime      TEXT,
    lambda_layers       TEXT,
    lambda_modified_at  INTEGER,
    first_seen_at       INTEGER NOT NULL,
    last_scanned_at     INTEGER,
    scan_status         TEXT NOT NULL,
    scan_reason         TEXT NOT NULL,
    packages            INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account_id, resource_type, resource_id)
);

CREATE TABLE IF NOT EXISTS resource_tags (
    resource_pk  INTEGER NOT NULL,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (resource_pk, key)
);

-- The advisory database's (ecosystem, name) keys of packages, numbered.
CREATE TABLE IF NOT EXISTS components (
    id   INTEGER PRIMARY KEY,
    key  TEXT NOT NULL UNIQUE
);

-- Each resource's current inventory (zstd-compressed JSON, opaque here), and which component
-- keys it holds (sorted little-endian u32 component ids), so that a changed advisory finds
-- the inventories to re-match by one scan of this table, and an ingest writes one row rather
-- than one per package.
CREATE TABLE IF NOT EXISTS inventories (
    resource_pk   INTEGER PRIMARY KEY,
    collected_at  INTEGER NOT NULL,
    digest        TEXT NOT NULL,
    components    BLOB NOT NULL,
    body          BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS scans (
    id           INTEGER PRIMARY KEY,
    resource_pk  INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    trigger      TEXT NOT NULL,
    packages     INTEGER NOT NULL,
    opened       INTEGER NOT NULL,
    reopened     INTEGER NOT NULL,
    closed       INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    unchanged    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS scans_by_resource ON scans (resource_pk, at);

CREATE TABLE IF NOT EXISTS findings (
    id                    INTEGER PRIMARY KEY,
    account_id            TEXT NOT NULL,
    resource_pk           INTEGER NOT NULL,
    finding_key           TEXT NOT NULL,
    arn                   TEXT NOT NULL,
    resource_type         TEXT NOT NULL,
    resource_id           TEXT NOT NULL,
    finding_type          TEXT NOT NULL,
    vulnerability_id      TEXT NOT NULL,
    related               TEXT NOT NULL,
    vulnerability_source  TEXT NOT NULL,
    severity              TEXT NOT NULL,
    severity_rank         INTEGER NOT NULL,
    inspector_score       REAL NOT NULL,
    epss                  REAL NOT NULL,
    vendor_severity       TEXT,
    fix_available         TEXT NOT NULL,
    exploit_available     TEXT NOT NULL,
    title                 TEXT NOT NULL,
    pkg_name              TEXT NOT NULL,
    pkg_version           TEXT NOT NULL,
    pkg_epoch             INTEGER,
    pkg_release           TEXT,
    pkg_arch              TEXT,
    pkg_path              TEXT NOT NULL,
    layer_hash            TEXT,
    component_key         TEXT NOT NULL,
    status                TEXT NOT NULL,
    first_observed_at     INTEGER NOT NULL,
    last_observed_at      INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    content_hash          TEXT NOT NULL,
    body                  BLOB NOT NULL,
    UNIQUE (resource_pk, finding_key)
);
-- Few indexes on purpose: every one costs each ingest. Severity order serves the default
-- listing; the key (the hash an ARN ends with) serves lookups by ARN.
CREATE INDEX IF NOT EXISTS findings_by_severity ON findings (account_id, severity_rank DESC, id);
CREATE INDEX IF NOT EXISTS findings_by_key ON findings (finding_key);

CREATE TABLE IF NOT EXISTS filters (
    arn          TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    name         TEXT NOT NULL,
    action       TEXT NOT NULL,
    description  TEXT,
    reason       TEXT,
    -- The criteria twice: compiled (this crate's own JSON) and as the caller sent them.
    criteria     TEXT NOT NULL,
    wire         TEXT NOT NULL,
    tags         TEXT NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

-- Long-running work: findings reports and SBOM exports.
CREATE TABLE IF NOT EXISTS jobs (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    request     TEXT NOT NULL,
    error_code  TEXT,
    error       TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
-- Host agents (`scry agent`). Enrollment tokens: only a hash of the secret half is kept; a
-- token enrolls at most `uses_left` more hosts, until `expires_at`.
CREATE TABLE IF NOT EXISTS agent_tokens (
    token_id     TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    uses_left    INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked      INTEGER NOT NULL DEFAULT 0,
    description  TEXT
);

-- Enrolled hosts: the access key each one signs with, the last sequence number applied (a
-- push at or below it is ignored), its reporting interval (missed-interval coverage), and
-- its last reported host details (opaque JSON) with whether anything listens on a
-- non-loopback address (1/0, NULL unknown).
CREATE TABLE IF NOT EXISTS agent_hosts (
    account_id         TEXT NOT NULL,
    resource_id        TEXT NOT NULL,
    access_key_id      TEXT,
    machine_id         TEXT,
    hostname           TEXT,
    enrolled_at        INTEGER,
    last_seen_at       INTEGER,
    sequence           INTEGER NOT NULL DEFAULT 0,
    interval_ms        INTEGER,
    host               TEXT,
    network_reachable  INTEGER,
    PRIMARY KEY (account_id, resource_id)
);
CREATE INDEX IF NOT EXISTS agent_hosts_by_key ON agent_hosts (access_key_id);
"#;
