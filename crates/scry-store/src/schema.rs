//! The store's schema. Plain SQL types (TEXT, INTEGER, REAL, BLOB) and nothing a PostgreSQL
//! schema could not hold the same way: `INTEGER PRIMARY KEY` is the row id here and would be
//! `BIGINT GENERATED ALWAYS AS IDENTITY` there; times are integer milliseconds since the
//! epoch; multi-valued text columns are `|a|b|` so one `LIKE` finds a member.
//!
//! Bump [`SCHEMA_VERSION`] on any change; [`crate::Store::open`] refuses a newer file and
//! migrates older ones step by step ([`MIGRATIONS`]).

pub const SCHEMA_VERSION: i64 = 3;

/// The statements that bring a store of version N-1 to version N, as (N, SQL). A new store
/// gets [`SCHEMA`] directly.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (
        2,
        "ALTER TABLE findings ADD COLUMN text_hash BLOB;
     CREATE TABLE IF NOT EXISTS finding_texts (hash BLOB PRIMARY KEY, body BLOB NOT NULL);
     ALTER TABLE inventories ADD COLUMN parts BLOB;
     DROP INDEX IF EXISTS findings_by_key;
     UPDATE findings SET arn = substr(arn, 1, length(arn) - 32) || printf('%016x', id) || substr(finding_key, 1, 16);",
    ),
    (
        3,
        "CREATE INDEX IF NOT EXISTS findings_by_component ON findings (resource_pk, component_key, finding_key, status, updated_at, content_hash, severity_rank);",
    ),
];

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
    body          BLOB NOT NULL,
    -- Where the body's packages lie and which component keys each names (see
    -- `InventoryRecord::parts`), so a re-evaluation reads only what changed; NULL if unknown.
    parts         BLOB
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
    -- The finding's own part of the API object (zstd when large), and the key of the part it
    -- shares with others (NULL when the body is whole).
    body                  BLOB NOT NULL,
    text_hash             BLOB,
    UNIQUE (resource_pk, finding_key)
);
-- Few indexes on purpose: every one costs each ingest, and one over random keys costs a page
-- per finding. Severity order serves the default listing; a finding's ARN carries its id, so
-- lookups by ARN read the primary key. Reconciling a scan reads what the lifecycle needs of a
-- resource's findings (of a re-evaluation: on a few components) from one covering index,
-- a few pages, instead of every finding's row; it is local to the resource, so an ingest
-- writes it where it writes the findings.
CREATE INDEX IF NOT EXISTS findings_by_severity ON findings (account_id, severity_rank DESC, id);
CREATE INDEX IF NOT EXISTS findings_by_component ON findings (resource_pk, component_key, finding_key, status, updated_at, content_hash, severity_rank);

-- What many findings carry alike (an advisory's text, scores, references), once per distinct
-- content: the first 16 bytes of its SHA-256, and the JSON (zstd when large).
CREATE TABLE IF NOT EXISTS finding_texts (
    hash  BLOB PRIMARY KEY,
    body  BLOB NOT NULL
);

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
-- Uploaded function layers (`POST /scry/v1/layers`), keyed by the SHA-256 of the layer zip as
-- uploaded: a layer shared between functions is collected once per account, and function
-- pushes refer to it by digest. The inventory is zstd JSON, opaque here.
CREATE TABLE IF NOT EXISTS function_layers (
    account_id  TEXT NOT NULL,
    digest      TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    packages    INTEGER NOT NULL,
    inventory   BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, digest)
);

-- Uploaded function versions: each push of a function package is a new, immutable version
-- (the resource `NAME:VERSION`). `layers` is a JSON array of layer digests.
CREATE TABLE IF NOT EXISTS function_versions (
    account_id   TEXT NOT NULL,
    name         TEXT NOT NULL,
    version      TEXT NOT NULL,
    code_sha256  TEXT NOT NULL,
    runtime      TEXT NOT NULL,
    layers       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, name, version)
);

-- Registries `scry server` watches (`scry registry add`): where, with which credentials
-- (sealed under the master key, like access keys), which repositories, and the hash of the
-- bearer token the registry's notifications carry.
CREATE TABLE IF NOT EXISTS registries (
    id               INTEGER PRIMARY KEY,
    account_id       TEXT NOT NULL,
    url              TEXT NOT NULL,
    host             TEXT NOT NULL,
    insecure         INTEGER NOT NULL,
    username         TEXT,
    password_sealed  BLOB,
    repositories     TEXT NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,
    poll_seconds     INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    polled_at        INTEGER,
    last_error       TEXT,
    UNIQUE (account_id, host)
);

-- Image digests seen in watched registries, and where their scan stands
-- (QUEUED, SCANNING, SCANNED, FAILED, EXPIRED). Tags are `|a|b|`.
CREATE TABLE IF NOT EXISTS registry_images (
    registry_id          INTEGER NOT NULL,
    repository           TEXT NOT NULL,
    digest               TEXT NOT NULL,
    media_type           TEXT NOT NULL,
    tags                 TEXT NOT NULL,
    pushed_at            INTEGER NOT NULL,
    last_pulled_or_seen  INTEGER NOT NULL,
    state                TEXT NOT NULL,
    attempts             INTEGER NOT NULL DEFAULT 0,
    error                TEXT,
    resource_pk          INTEGER,
    layers               INTEGER,
    layers_cached        INTEGER,
    queued_at            INTEGER NOT NULL,
    scanned_at           INTEGER,
    PRIMARY KEY (registry_id, repository, digest)
);
CREATE INDEX IF NOT EXISTS registry_images_by_state ON registry_images (state, queued_at);
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
