//! Collecting chosen paths of a root file system rather than walking all of it: what a host
//! agent runs on every cycle, where a walk of `/` would cost seconds of CPU.
//!
//! The release files and the OS package databases are read where they live; the chosen
//! directories are walked (without following symlinks) for language packages and binaries.
//! Locations are relative to the root, as a walk of the root would report them.

use std::fs::File;
use std::path::Path;

use scry_inventory::{Diagnostic, FileInfo, Inventory};

use crate::catalog::Catalog;
use crate::dir::{is_executable, walk_error};
use crate::tree::{Node, Tree};

/// Where OS package databases live (relative to the root). Directories are read one level
/// deep (dpkg's `status.d`).
pub const OS_PACKAGE_DATABASES: &[&str] = &[
    "var/lib/dpkg/status",
    "var/lib/dpkg/status.d",
    "lib/apk/db/installed",
    "var/lib/rpm/rpmdb.sqlite",
    "var/lib/rpm/Packages",
    "var/lib/rpm/Packages.db",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/Packages",
    "usr/lib/sysimage/rpm/Packages.db",
    "usr/lib/opkg/status",
    "var/lib/opkg/status",
];

/// Collects the release files and OS package databases of `root`, and walks each of
/// `dirs` (relative to `root`, or absolute paths inside it) for everything else the catalog
/// recognises. A path that does not exist is skipped; one that cannot be read becomes a
/// diagnostic. The root is the administrator's choice, so symlinks in the leading components
/// of these well-known paths are followed as the host itself would.
pub fn collect_paths(root: &Path, dirs: &[String], catalog: &Catalog) -> Inventory {
    let mut tree = Tree::default();
    for rel in catalog.release_files {
        let full = root.join(rel);
        if let Ok(bytes) = read_small(&full, 64 << 10) {
            tree.nodes.insert(
                rel.to_string(),
                Node::File {
                    packages: Vec::new(),
                    bytes: Some(bytes),
                },
            );
        }
    }
    for rel in OS_PACKAGE_DATABASES {
        let full = root.join(rel);
        match std::fs::metadata(&full) {
            Ok(m) if m.is_dir() => {
                if let Ok(rd) = std::fs::read_dir(&full) {
                    let mut names: Vec<String> = rd
                        .flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect();
                    names.sort();
                    for n in names {
                        file(root, &format!("{rel}/{n}"), catalog, &mut tree);
                    }
                }
            }
            Ok(_) => file(root, rel, catalog, &mut tree),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tree.diagnostics.push(Diagnostic {
                location: rel.to_string(),
                reason: format!("cannot read the package database: {e}"),
            }),
        }
    }
    for d in dirs {
        let rel = d.trim_start_matches('/').trim_end_matches('/');
        walk(root, rel, catalog, &mut tree);
    }
    crate::finish(tree, catalog)
}

fn read_small(p: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    File::open(p)?.take(cap).read_to_end(&mut out)?;
    Ok(out)
}

/// Hands one file (path relative to the root) to the catalogers that want it.
fn file(root: &Path, rel: &str, catalog: &Catalog, tree: &mut Tree) {
    let full = root.join(rel);
    let Ok(meta) = std::fs::symlink_metadata(&full) else {
        return;
    };
    if !meta.is_file() {
        return;
    }
    let executable = is_executable(&meta);
    let info = FileInfo {
        path: rel,
        size: meta.len(),
        executable,
    };
    let Some(wanted) = catalog.wanted(&info) else {
        return;
    };
    match File::open(&full) {
        Ok(mut f) => {
            let (packages, bytes) =
                catalog.handle(&info, &wanted, &mut f, None, &mut tree.diagnostics);
            tree.nodes
                .insert(rel.to_string(), Node::File { packages, bytes });
        }
        Err(e) => tree.diagnostics.push(Diagnostic {
            location: rel.to_string(),
            reason: format!("cannot open: {e}"),
        }),
    }
}

/// Walks a directory below the root (not following symlinks), skipping what was read already.
fn walk(root: &Path, rel: &str, catalog: &Catalog, tree: &mut Tree) {
    let start = root.join(rel);
    if !start.exists() {
        tree.diagnostics.push(Diagnostic {
            location: rel.to_string(),
            reason: "configured path does not exist".into(),
        });
        return;
    }
    for entry in walkdir::WalkDir::new(&start).follow_links(false) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                tree.diagnostics.push(walk_error(root, &e));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(r) = entry.path().strip_prefix(root) else {
            continue;
        };
        let r = r.to_string_lossy().replace('\\', "/");
        if tree.nodes.contains_key(&r) {
            continue;
        }
        file(root, &r, catalog, tree);
    }
}
