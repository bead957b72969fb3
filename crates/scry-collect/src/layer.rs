//! Reading tar streams (image layers and plain tarballs) into the tree, once, in order.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

use scry_inventory::{Diagnostic, FileInfo};
use tar::EntryType;

use crate::catalog::{Catalog, Limits};
use crate::path;
use crate::tree::{Changes, Node, Tree};

/// Counts bytes flowing through a reader.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Stops a decompressed stream that grows past the size or ratio limits (decompression bombs).
struct Guard<R> {
    inner: R,
    compressed: Rc<Cell<u64>>,
    out: u64,
    limits: Limits,
    compressed_stream: bool,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        if self.out > self.limits.max_layer_bytes {
            return Err(std::io::Error::other(format!(
                "layer expands past {} bytes; refused as a decompression bomb",
                self.limits.max_layer_bytes
            )));
        }
        if self.compressed_stream && self.out > self.limits.ratio_grace {
            let inn = self.compressed.get().max(1);
            if self.out / inn > self.limits.max_ratio {
                return Err(std::io::Error::other(format!(
                    "layer expands {}x ({} compressed bytes gave {}); refused as a decompression bomb",
                    self.out / inn,
                    inn,
                    self.out
                )));
            }
        }
        Ok(n)
    }
}

/// Opens a possibly compressed tar stream: gzip and zstd are recognised by their magic bytes.
pub(crate) fn decompress<'a, R: Read + 'a>(
    raw: R,
    limits: &Limits,
) -> std::io::Result<Box<dyn Read + 'a>> {
    let compressed = Rc::new(Cell::new(0));
    let mut buf = BufReader::with_capacity(
        256 << 10,
        Counting {
            inner: raw,
            count: compressed.clone(),
        },
    );
    let head = buf.fill_buf()?;
    let (inner, is_compressed): (Box<dyn Read + 'a>, bool) = if head.starts_with(&[0x1f, 0x8b]) {
        (Box::new(flate2::bufread::MultiGzDecoder::new(buf)), true)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        (
            Box::new(zstd::stream::read::Decoder::with_buffer(buf)?),
            true,
        )
    } else {
        (Box::new(buf), false)
    };
    // tar reads 512-byte blocks: buffer the decompressed side so the decoder works in bulk.
    Ok(Box::new(BufReader::with_capacity(
        1 << 20,
        Guard {
            inner,
            compressed,
            out: 0,
            limits: limits.clone(),
            compressed_stream: is_compressed,
        },
    )))
}

/// Reads one layer (or any tarball) and applies it to the tree. Whatever cannot be read becomes
/// a diagnostic naming `what`; entries read before an error still count.
pub(crate) fn apply_layer(
    raw: impl Read,
    what: &str,
    layer: Option<&str>,
    catalog: &Catalog,
    limits: &Limits,
    tree: &mut Tree,
) {
    let mut changes = Changes::default();
    if let Err(e) = read_layer(raw, layer, catalog, limits, tree, &mut changes) {
        tree.diagnostics.push(Diagnostic {
            location: what.to_string(),
            reason: format!("layer read stopped early: {e}"),
        });
    }
    tree.apply(changes);
}

fn read_layer(
    raw: impl Read,
    layer: Option<&str>,
    catalog: &Catalog,
    limits: &Limits,
    tree: &mut Tree,
    changes: &mut Changes,
) -> std::io::Result<()> {
    let stream = decompress(raw, limits)?;
    let mut archive = tar::Archive::new(stream);
    let mut count = 0u64;
    for entry in archive.entries()? {
        let mut entry = entry?;
        count += 1;
        if count > limits.max_entries {
            return Err(std::io::Error::other(format!(
                "more than {} entries; the rest is not read",
                limits.max_entries
            )));
        }
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let p = match path::normalize(&raw_path) {
            Ok(p) if !p.is_empty() => p,
            Ok(_) => continue,
            Err(reason) => {
                tree.diagnostics.push(Diagnostic {
                    location: raw_path,
                    reason: format!("{reason}; entry skipped"),
                });
                continue;
            }
        };
        let name = path::file_name(&p);
        if let Some(hidden) = name.strip_prefix(".wh.") {
            let dir = path::parent(&p);
            if hidden == ".wh..opq" {
                changes.opaque.push(dir.to_string());
            } else if !hidden.is_empty() {
                changes.whiteouts.push(if dir.is_empty() {
                    hidden.to_string()
                } else {
                    format!("{dir}/{hidden}")
                });
            }
            continue;
        }
        let header = entry.header();
        let kind = header.entry_type();
        let mode = header.mode().unwrap_or(0o644);
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let size = entry.size();
                let info = FileInfo {
                    path: &p,
                    size,
                    executable: mode & 0o111 != 0,
                };
                match catalog.wanted(&info) {
                    Some(w) => {
                        let (packages, bytes) =
                            catalog.handle(&info, &w, &mut entry, layer, &mut tree.diagnostics);
                        changes.added.insert(p, Node::File { packages, bytes });
                    }
                    None => replaced(tree, changes, p),
                }
            }
            EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                let target = match path::normalize(&target) {
                    Ok(t) => t,
                    Err(reason) => {
                        tree.diagnostics.push(Diagnostic {
                            location: p,
                            reason: format!("hard link target: {reason}"),
                        });
                        continue;
                    }
                };
                let node = changes
                    .added
                    .get(&target)
                    .or_else(|| tree.nodes.get(&target))
                    .cloned();
                match node {
                    Some(Node::File { packages, bytes }) => {
                        let packages = packages
                            .into_iter()
                            .map(|mut pk| {
                                pk.location = p.clone();
                                pk
                            })
                            .collect();
                        changes.added.insert(p, Node::File { packages, bytes });
                    }
                    _ => replaced(tree, changes, p),
                }
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                changes
                    .added
                    .insert(p.clone(), Node::Symlink(path::resolve_link(&p, &target)));
            }
            EntryType::Directory => {
                if matches!(
                    tree.nodes.get(&p),
                    Some(Node::File { .. } | Node::Symlink(_))
                ) {
                    changes.replaced.push(p);
                }
            }
            _ => replaced(tree, changes, p),
        }
    }
    Ok(())
}

fn replaced(tree: &Tree, changes: &mut Changes, p: String) {
    changes.added.remove(&p);
    if tree.nodes.contains_key(&p) {
        changes.replaced.push(p);
    }
}
