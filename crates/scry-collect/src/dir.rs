//! Collecting from a directory: a host's root file system, an unpacked image, a source tree.

use std::fs::File;
use std::path::{Path, PathBuf};

use scry_inventory::{Diagnostic, FileInfo};

use crate::catalog::{Catalog, Wanted};
use crate::path;
use crate::tree::{Node, Tree};

/// Pseudo file systems skipped when the root is `/`.
const VIRTUAL: &[&str] = &["proc", "sys", "dev", "run"];

struct Job {
    rel: String,
    full: PathBuf,
    size: u64,
    executable: bool,
    wanted: Wanted,
}

/// Walks `root` without following symlinks, hands each wanted file to its catalogers (files
/// are parsed on every core), and records release files and symlinks for OS detection.
pub(crate) fn collect_dir(root: &Path, catalog: &Catalog, tree: &mut Tree) {
    let is_host_root = root == Path::new("/");
    let mut jobs = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| {
            !(is_host_root
                && e.depth() == 1
                && VIRTUAL
                    .iter()
                    .any(|v| e.file_name() == std::ffi::OsStr::new(v)))
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                tree.diagnostics.push(walk_error(root, &e));
                continue;
            }
        };
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if rel.is_empty() {
            continue;
        }
        let ft = entry.file_type();
        if ft.is_symlink() {
            if let Ok(target) = std::fs::read_link(entry.path()) {
                let t = path::resolve_link(&rel, &target.to_string_lossy());
                tree.nodes.insert(rel, Node::Symlink(t));
            }
            continue;
        }
        if !ft.is_file() {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let executable = is_executable(&meta);
        let info = FileInfo {
            path: &rel,
            size: meta.len(),
            executable,
        };
        if let Some(wanted) = catalog.wanted(&info) {
            jobs.push(Job {
                size: meta.len(),
                full: entry.into_path(),
                rel,
                executable,
                wanted,
            });
        }
    }
    // Parse on every core: the walk is cheap, parsing binaries and databases is not.
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Vec<(usize, Node, Vec<Diagnostic>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else { break };
                        let mut diags = Vec::new();
                        let info = FileInfo {
                            path: &job.rel,
                            size: job.size,
                            executable: job.executable,
                        };
                        let node = match File::open(&job.full) {
                            Ok(mut f) => {
                                let (packages, bytes) =
                                    catalog.handle(&info, &job.wanted, &mut f, None, &mut diags);
                                Node::File { packages, bytes }
                            }
                            Err(e) => {
                                diags.push(Diagnostic {
                                    location: job.rel.clone(),
                                    reason: format!("cannot open: {e}"),
                                });
                                Node::File {
                                    packages: Vec::new(),
                                    bytes: None,
                                }
                            }
                        };
                        out.push((i, node, diags));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut all: Vec<_> = results.into_iter().flatten().collect();
    all.sort_by_key(|(i, _, _)| *i);
    for (i, node, diags) in all {
        tree.diagnostics.extend(diags);
        tree.nodes.insert(jobs[i].rel.clone(), node);
    }
}

/// A walk error as a diagnostic naming the path under `root` it happened at.
pub(crate) fn walk_error(root: &Path, e: &walkdir::Error) -> Diagnostic {
    let location = e
        .path()
        .and_then(|p| p.strip_prefix(root).ok())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    Diagnostic {
        location,
        reason: format!("cannot read: {e}"),
    }
}

#[cfg(unix)]
pub(crate) fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
pub(crate) fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}
