//! The findings store: accounts and their access keys, resources with their tags and current
//! inventory, scan history, findings with their lifecycle, filters (saved and suppression
//! rules) and jobs (reports, exports).
//!
//! One SQLite file in WAL mode: one writer connection behind a lock, and a few reader
//! connections that run beside it. Every write that belongs together (one scan of one
//! resource, a batch of scans, a rule change and its re-application) is one transaction, so a
//! crash leaves either the old state or the new one.
//!
//! Architecture invariant: the one place that knows SQL for the service. It knows nothing of
//! wire JSON: finding bodies, resource details and account configuration are opaque JSON
//! written by the API layer; criteria arrive compiled ([`criteria::Criteria`]). The SQL is
//! plain enough for PostgreSQL to hold the same schema (see `schema.rs`); only
//! [`Store::open`]'s pragmas are SQLite's.

#![forbid(unsafe_code)]

mod accounts;
mod agents;
mod artifacts;
pub mod criteria;
mod filters;
mod findings;
mod jobs;
pub mod reconcile;
mod registries;
mod schema;
mod seal;
mod views;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

pub use accounts::*;
pub use agents::*;
pub use artifacts::*;
pub use filters::*;
pub use findings::*;
pub use jobs::*;
pub use registries::*;
pub use schema::SCHEMA_VERSION;
pub use seal::{MasterKey, SealError};
pub use views::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("failed to open the findings store at {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the findings store at {path} has schema version {found}, newer than this scry reads ({expected}) — run a newer scry"
    )]
    Schema {
        path: PathBuf,
        found: i64,
        expected: i64,
    },
    #[error("findings store query failed while {doing}")]
    Sql {
        doing: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("stored {what} is unreadable (the store file may be damaged): {reason}")]
    Corrupt { what: &'static str, reason: String },
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The change conflicts with what is stored (the message says what to do).
    #[error("{0}")]
    Conflict(String),
}

pub(crate) trait SqlContext<T> {
    fn doing(self, doing: &'static str) -> Result<T, StoreError>;
}

impl<T> SqlContext<T> for Result<T, rusqlite::Error> {
    fn doing(self, doing: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sql { doing, source })
    }
}

const READERS: usize = 4;

/// The store. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Store {
    writer: Arc<Mutex<Connection>>,
    readers: Vec<Mutex<Connection>>,
    path: PathBuf,
    /// Component key -> id, as committed (ids are never reused or changed).
    pub(crate) components: Mutex<std::collections::HashMap<String, u32>>,
    /// Dropping it stops the checkpointer thread.
    _checkpointer: std::sync::mpsc::Sender<()>,
}

/// How often the checkpointer copies the write-ahead log into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Log size (frames) above which the checkpointer finishes a checkpoint between two writes.
const CHECKPOINT_FRAMES: i64 = 4096;

/// Checkpoints the write-ahead log on its own connection and thread, so that the writer's
/// commits do not pay for it (SQLite's automatic checkpoint runs inside the committing
/// writer, with an fsync). A PASSIVE checkpoint copies what is committed without blocking
/// anyone; but the log only starts over when a write begins with everything copied, which
/// steady writes never allow. So once the log is long, the checkpointer copies the few
/// frames still missing while holding the writer's lock, and the next write restarts the log.
/// The thread ends when the store is dropped.
fn spawn_checkpointer(
    path: &Path,
    writer: Arc<Mutex<Connection>>,
) -> Result<std::sync::mpsc::Sender<()>, StoreError> {
    let conn = connect(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("scry-store-checkpoint".into())
        .spawn(move || loop {
            match rx.recv_timeout(CHECKPOINT_EVERY) {
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                _ => return,
            }
            let passive = || {
                conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                    Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                })
            };
            let mut r = passive();
            if matches!(r, Ok((log, _)) if log > CHECKPOINT_FRAMES) {
                let _between_writes = writer.lock().unwrap_or_else(|e| e.into_inner());
                r = passive();
            }
            match r {
                Ok((log, done)) if log > 262_144 && done < log => tracing::warn!(
                    log_frames = log,
                    checkpointed = done,
                    "the write-ahead log is large: long-running readers hold it back"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "checkpointing the write-ahead log"),
            }
        })
        .map_err(|e| StoreError::Open {
            path: path.to_path_buf(),
            source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
        })?;
    Ok(tx)
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn connect(path: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .doing("setting the busy timeout")?;
    // The file is read through a memory map up to SQLite's ceiling (2 GiB unless built
    // otherwise): a store of a million findings is about 1.5 GB, and past the map each page
    // read is a system call (ListFindings p99 at that size went from 12–18 ms to 6–7 ms).
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536; PRAGMA mmap_size = 2147418112;",
    )
    .doing("setting pragmas")?;
    Ok(conn)
}

impl Store {
    /// Opens (creating when missing) the store file at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
            })?;
        }
        let writer = connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        writer
            .execute_batch("PRAGMA journal_mode = WAL;")
            .doing("enabling WAL")?;
        let found: i64 = writer
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .doing("reading the schema version")?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::Schema {
                path: path.to_path_buf(),
                found,
                expected: SCHEMA_VERSION,
            });
        }
        if found > 0 {
            for (version, sql) in schema::MIGRATIONS {
                if *version > found {
                    tracing::info!(
                        path = %path.display(),
                        from = version - 1,
                        to = version,
                        "migrating the store's schema (a large store takes a while, once)"
                    );
                    let t = std::time::Instant::now();
                    writer
                        .execute_batch(&format!(
                            "BEGIN; {sql} PRAGMA user_version = {version}; COMMIT;"
                        ))
                        .doing("migrating the schema")?;
                    tracing::info!(
                        to = version,
                        seconds = t.elapsed().as_secs_f64(),
                        "schema migrated"
                    );
                }
            }
        }
        writer
            .execute_batch(schema::SCHEMA)
            .doing("creating the schema")?;
        writer
            .execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
            .doing("writing the schema version")?;
        // Checkpoints are the checkpointer's job (see `spawn_checkpointer`).
        writer
            .execute_batch("PRAGMA wal_autocheckpoint = 0;")
            .doing("handing checkpoints to the checkpointer")?;
        let writer = Arc::new(Mutex::new(writer));
        let checkpointer = spawn_checkpointer(path, writer.clone())?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            readers.push(Mutex::new(connect(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?));
        }
        Ok(Store {
            writer,
            readers,
            path: path.to_path_buf(),
            components: Mutex::new(Default::default()),
            _checkpointer: checkpointer,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn write(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A reader connection: the first free one, else wait for one (spread by thread).
    pub(crate) fn read(&self) -> MutexGuard<'_, Connection> {
        for r in &self.readers {
            if let Ok(g) = r.try_lock() {
                return g;
            }
        }
        let n = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::thread::current().id().hash(&mut h);
            h.finish() as usize % self.readers.len()
        };
        self.readers[n].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the store answers (for `/readyz`).
    pub fn ping(&self) -> Result<(), StoreError> {
        self.read()
            .query_row("SELECT 1", [], |_| Ok(()))
            .doing("answering a ping")
    }

    /// A small persistent setting (the advisory change number already applied, ...).
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .doing("reading a setting")
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write()
            .execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .doing("writing a setting")?;
        Ok(())
    }
}
