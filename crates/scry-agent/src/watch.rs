//! Watching the OS package databases (dpkg, rpm, apk) so that an install or upgrade is
//! reported soon after it happens, not at the next scheduled cycle.
//!
//! Package managers replace their database by writing a new file and renaming it over the
//! old one, which a watch on the file itself would lose; so the directories holding the
//! databases are watched (inotify through `notify`) and events are filtered by file name.
//! The caller debounces: one install is many events.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use notify::{RecursiveMode, Watcher};

/// The live watch; dropping it stops watching.
pub struct DbWatch {
    _watcher: notify::RecommendedWatcher,
    pub watched: Vec<PathBuf>,
}

/// Whether a changed path (relative to the root) is a package database or part of one.
pub(crate) fn is_database(rel: &str) -> bool {
    scry_collect::OS_PACKAGE_DATABASES.iter().any(|db| {
        rel == *db
            || rel
                .strip_prefix(db)
                .is_some_and(|rest| rest.starts_with('/') || rest == "-wal" || rest == "-shm")
    })
}

/// Starts watching the package database directories under `root`; each relevant change sends
/// `()` on `tx`. Directories that do not exist (another package manager's) are skipped.
pub fn watch(root: &Path, tx: Sender<()>) -> notify::Result<DbWatch> {
    let root_owned = root.to_path_buf();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(ev) = res else { return };
        if matches!(ev.kind, notify::EventKind::Access(_)) {
            return;
        }
        let relevant = ev.paths.iter().any(|p| {
            p.strip_prefix(&root_owned)
                .ok()
                .map(|r| r.to_string_lossy().replace('\\', "/"))
                .is_some_and(|r| is_database(&r))
        });
        if relevant {
            let _ = tx.send(());
        }
    })?;
    let mut dirs: Vec<PathBuf> = Vec::new();
    for db in scry_collect::OS_PACKAGE_DATABASES {
        let full = root.join(db);
        let dir = if full.is_dir() {
            full
        } else {
            match full.parent() {
                Some(p) => p.to_path_buf(),
                None => continue,
            }
        };
        if dir.is_dir() && !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    let mut watched = Vec::new();
    for d in dirs {
        match watcher.watch(&d, RecursiveMode::NonRecursive) {
            Ok(()) => watched.push(d),
            Err(e) => {
                tracing::warn!(dir = %d.display(), error = %e, "cannot watch a package database directory; its changes are seen at the next scheduled cycle")
            }
        }
    }
    Ok(DbWatch {
        _watcher: watcher,
        watched,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_paths() {
        assert!(is_database("var/lib/dpkg/status"));
        assert!(is_database("var/lib/dpkg/status.d/base"));
        assert!(is_database("lib/apk/db/installed"));
        assert!(is_database("var/lib/rpm/rpmdb.sqlite-wal"));
        assert!(!is_database("var/lib/dpkg/status-old"));
        assert!(!is_database("var/lib/dpkg/lock"));
        assert!(!is_database("var/lib/dpkg/statusX"));
    }

    #[test]
    fn a_replaced_status_file_is_seen() {
        let d = tempfile::tempdir().unwrap();
        let dpkg = d.path().join("var/lib/dpkg");
        std::fs::create_dir_all(&dpkg).unwrap();
        std::fs::write(dpkg.join("status"), "Package: a\n").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let w = watch(d.path(), tx).unwrap();
        assert_eq!(w.watched, vec![dpkg.clone()]);
        // What dpkg does: write status-new, rename it over status.
        std::fs::write(dpkg.join("lock"), "").unwrap();
        std::fs::write(dpkg.join("status-new"), "Package: b\n").unwrap();
        std::fs::rename(dpkg.join("status-new"), dpkg.join("status")).unwrap();
        rx.recv_timeout(std::time::Duration::from_secs(5))
            .expect("the rename of status is seen");
    }
}
