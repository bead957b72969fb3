//! Collecting from a zip (a function package), including zips nested inside it.

use std::io::{Read, Seek};

use scry_inventory::{Diagnostic, FileInfo};

use crate::catalog::{Catalog, Limits};
use crate::path;
use crate::tree::{Node, Tree};

/// Reads every entry of a zip. Members that are zips themselves are opened in memory (up to
/// `limits.max_depth` deep); their files are located as `outer.zip!inner/path`.
pub(crate) fn collect_zip<R: Read + Seek>(
    reader: R,
    prefix: &str,
    depth: usize,
    catalog: &Catalog,
    limits: &Limits,
    tree: &mut Tree,
) {
    let what = if prefix.is_empty() {
        "zip".to_string()
    } else {
        prefix.trim_end_matches('!').to_string()
    };
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => {
            tree.diagnostics.push(Diagnostic {
                location: what,
                reason: format!("not a readable zip: {e}"),
            });
            return;
        }
    };
    let mut total: u64 = 0;
    for i in 0..archive.len().min(limits.max_entries as usize) {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                tree.diagnostics.push(Diagnostic {
                    location: format!("{what} entry #{i}"),
                    reason: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let raw_name = entry.name().to_string();
        let rel = match path::normalize(&raw_name) {
            Ok(p) if !p.is_empty() => p,
            Ok(_) => continue,
            Err(reason) => {
                tree.diagnostics.push(Diagnostic {
                    location: format!("{prefix}{raw_name}"),
                    reason: format!("{reason}; entry skipped"),
                });
                continue;
            }
        };
        let full = format!("{prefix}{rel}");
        // Ratio guard on what the entry claims; the read itself is bounded below too.
        let declared = entry.size();
        let packed = entry.compressed_size().max(1);
        if declared > limits.ratio_grace && declared / packed > limits.max_ratio {
            tree.diagnostics.push(Diagnostic {
                location: full,
                reason: format!(
                    "expands {}x ({packed} -> {declared} bytes); refused as a decompression bomb",
                    declared / packed
                ),
            });
            continue;
        }
        let executable = entry.unix_mode().is_some_and(|m| m & 0o111 != 0);
        if rel.to_ascii_lowercase().ends_with(".zip") && depth < limits.max_depth {
            let cap = 512u64 << 20;
            let mut bytes = Vec::new();
            match (&mut entry).take(cap + 1).read_to_end(&mut bytes) {
                Ok(_) if bytes.len() as u64 <= cap => {
                    total += bytes.len() as u64;
                    drop(entry);
                    collect_zip(
                        std::io::Cursor::new(bytes),
                        &format!("{full}!"),
                        depth + 1,
                        catalog,
                        limits,
                        tree,
                    );
                }
                Ok(_) => tree.diagnostics.push(Diagnostic {
                    location: full,
                    reason: format!("nested zip larger than {cap} bytes; skipped"),
                }),
                Err(e) => tree.diagnostics.push(Diagnostic {
                    location: full,
                    reason: format!("cannot read nested zip: {e}"),
                }),
            }
            continue;
        }
        let info = FileInfo {
            path: &full,
            size: declared,
            executable,
        };
        // Catalogers decide by path inside the archive: a nested zip's members are matched
        // by their own path, and located with the outer prefix.
        let inner = FileInfo {
            path: &rel,
            size: declared,
            executable,
        };
        let Some(wanted) = catalog.wanted(&inner).or_else(|| catalog.wanted(&info)) else {
            continue;
        };
        let mut diags = Vec::new();
        let (mut packages, bytes) = catalog.handle(&inner, &wanted, &mut entry, None, &mut diags);
        total += declared;
        for p in &mut packages {
            if !prefix.is_empty() {
                p.location = format!("{prefix}{}", p.location);
            }
        }
        for d in &mut diags {
            if !prefix.is_empty() && !d.location.starts_with(prefix) {
                d.location = format!("{prefix}{}", d.location);
            }
        }
        tree.diagnostics.extend(diags);
        tree.nodes.insert(full, Node::File { packages, bytes });
        if total > limits.max_layer_bytes {
            tree.diagnostics.push(Diagnostic {
                location: what,
                reason: format!(
                    "more than {} bytes read; the rest is skipped",
                    limits.max_layer_bytes
                ),
            });
            return;
        }
    }
}
