//! The advisory database: a compiled, versioned local file that every node and the offline CLI
//! load to match packages.
//!
//! The file is SQLite (one file, no server, safe for one writer and many readers at once in WAL
//! mode): full OSV records, their identifiers, an (ecosystem, package) table, the CVE-keyed
//! enrichment (KEV, EPSS, NVD) and a change log. [`VulnDb::load`] reads only the compact match
//! data into a `scry_match::Index`; prose and enrichment are read on demand for the few
//! packages that match.
//!
//! Import is incremental and idempotent: a record replaces the stored one only when it is newer
//! by `modified`, or equally new with different content; every replacement logs the packages it
//! names in `change` so a server can re-match just the inventories that hold them.
//!
//! Architecture invariant: the advisory database's SQL lives here and nowhere else. No network.

mod assess;
mod import;
mod load;
mod query;
mod schema;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

pub use assess::{Assessment, CvssSource, Finding, ScoreContext};
pub use import::{ImportReport, SourceCounts};
pub use load::Loaded;
pub use query::{AdvisorySummary, SourceStatus, Status};
pub use schema::SCHEMA_VERSION;

/// Errors of the advisory database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no advisory database at {path} — run `scry db update` or `scry db import FILE`")]
    Missing { path: PathBuf },
    #[error("failed to open the advisory database at {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the advisory database at {path} has schema version {found}, this scry reads version {expected} — rebuild it with `scry db import` into a new file or `scry db update --db NEW`"
    )]
    Schema {
        path: PathBuf,
        found: i64,
        expected: i64,
    },
    #[error("advisory database query failed while {doing}")]
    Sql {
        doing: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("failed to import {path}")]
    Feed {
        path: PathBuf,
        #[source]
        source: scry_feeds::FeedError,
    },
    #[error("stored record {id} is unreadable (the database file may be damaged)")]
    Corrupt {
        id: String,
        #[source]
        source: serde_json::Error,
    },
}

pub(crate) trait SqlContext<T> {
    fn doing(self, doing: &'static str) -> Result<T, DbError>;
}

impl<T> SqlContext<T> for Result<T, rusqlite::Error> {
    fn doing(self, doing: &'static str) -> Result<T, DbError> {
        self.map_err(|source| DbError::Sql { doing, source })
    }
}

/// An open advisory database file. Shareable between threads (the connection is behind a
/// mutex; lookups are short).
pub struct VulnDb {
    conn: std::sync::Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for VulnDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VulnDb").field("path", &self.path).finish()
    }
}

impl VulnDb {
    /// Open for writing, creating the file (and its directory) if needed.
    pub fn create(path: &Path) -> Result<VulnDb, DbError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DbError::Open {
                path: path.to_path_buf(),
                source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
            })?;
        }
        let conn = Connection::open(path).map_err(|source| DbError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let db = VulnDb {
            conn: std::sync::Mutex::new(conn),
            path: path.to_path_buf(),
        };
        db.pragmas()?;
        let found: i64 = db
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .doing("reading the schema version")?;
        let empty: bool = db
            .conn()
            .query_row("SELECT count(*) = 0 FROM sqlite_master", [], |r| r.get(0))
            .doing("inspecting the schema")?;
        if !empty && found != SCHEMA_VERSION {
            return Err(DbError::Schema {
                path: path.to_path_buf(),
                found,
                expected: SCHEMA_VERSION,
            });
        }
        db.conn()
            .execute_batch(schema::SCHEMA)
            .doing("creating the schema")?;
        db.conn()
            .execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
            .doing("writing the schema version")?;
        Ok(db)
    }

    /// Open an existing database for reading. A missing file is [`DbError::Missing`], whose
    /// message tells the user how to make one.
    pub fn open(path: &Path) -> Result<VulnDb, DbError> {
        if !path.exists() {
            return Err(DbError::Missing {
                path: path.to_path_buf(),
            });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| DbError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let db = VulnDb {
            conn: std::sync::Mutex::new(conn),
            path: path.to_path_buf(),
        };
        let found: i64 = db
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|source| DbError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        if found != SCHEMA_VERSION {
            return Err(DbError::Schema {
                path: path.to_path_buf(),
                found,
                expected: SCHEMA_VERSION,
            });
        }
        db.conn()
            .busy_timeout(std::time::Duration::from_secs(10))
            .doing("setting the busy timeout")?;
        Ok(db)
    }

    fn pragmas(&self) -> Result<(), DbError> {
        self.conn()
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .doing("setting pragmas")?;
        self.conn()
            .busy_timeout(std::time::Duration::from_secs(30))
            .doing("setting the busy timeout")
    }

    /// The connection. A poisoned lock (a panic while holding it) is recovered: SQLite keeps
    /// its own consistency, and a reader must not be locked out for good.
    pub(crate) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A number that grows with every import that changed something; a long-running reader
    /// polls it to notice that it should reload.
    pub fn generation(&self) -> Result<i64, DbError> {
        self.meta("generation")
            .map(|v| v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    fn meta(&self, key: &str) -> Result<Option<String>, DbError> {
        self.conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .doing("reading metadata")
    }
}

/// Timestamps are stored in one fixed-width RFC 3339 form so that they sort as text.
pub(crate) fn ts(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}
