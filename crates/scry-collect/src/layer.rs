//! Reading tar streams (image layers and plain tarballs) into the tree, once, in order.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

use scry_inventory::{Diagnostic, FileInfo};
use serde::{Deserialize, Serialize};
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
    apply_layer_recording(raw, what, layer, catalog, limits, tree, None);
}

/// [`apply_layer`], also recording what the layer did into `log` (for the layer cache, see
/// `layer_cache`). Returns whether the whole layer was read.
pub(crate) fn apply_layer_recording(
    raw: impl Read,
    what: &str,
    layer: Option<&str>,
    catalog: &Catalog,
    limits: &Limits,
    tree: &mut Tree,
    mut log: Option<&mut LayerLog>,
) -> bool {
    let mut changes = Changes::default();
    let before = tree.diagnostics.len();
    let read = read_layer(raw, layer, catalog, limits, tree, &mut changes, &mut log);
    if let Some(log) = log {
        log.diagnostics = tree.diagnostics[before..].to_vec();
    }
    let complete = match read {
        Ok(()) => true,
        Err(e) => {
            tree.diagnostics.push(Diagnostic {
                location: what.to_string(),
                reason: format!("layer read stopped early: {e}"),
            });
            false
        }
    };
    tree.apply(changes);
    complete
}

/// What one layer does to the tree, independent of the layers below it: its entries, in
/// order, reduced to what [`Event::apply`] needs (kept files with their parsed packages, and
/// the paths of everything else), plus the diagnostics reading it produced. Replaying it on a
/// tree gives exactly what reading the layer again would.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct LayerLog {
    pub events: Vec<Event>,
    pub diagnostics: Vec<Diagnostic>,
}

impl LayerLog {
    /// Applies a recorded layer to the tree.
    pub fn replay(self, tree: &mut Tree) {
        let mut changes = Changes::default();
        for ev in self.events {
            ev.apply(tree, &mut changes);
        }
        tree.diagnostics.extend(self.diagnostics);
        tree.apply(changes);
    }
}

/// One layer entry, as far as the tree cares.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Event {
    /// A file or symlink that is kept.
    Keep(String, Node),
    /// A file (or device, fifo, ...) that is not kept: it hides what lower layers had there.
    Other(String),
    /// A directory: it hides a lower layer's file or symlink of the same path.
    Dir(String),
    /// A hard link to `target` (resolved against this layer, then the tree).
    Link(String, String),
    Whiteout(String),
    Opaque(String),
}

impl Event {
    fn apply(self, tree: &Tree, changes: &mut Changes) {
        match self {
            Event::Keep(p, node) => {
                changes.added.insert(p, node);
            }
            Event::Other(p) => replaced(tree, changes, p),
            Event::Dir(p) => {
                if matches!(
                    tree.nodes.get(&p),
                    Some(Node::File { .. } | Node::Symlink(_))
                ) {
                    changes.replaced.push(p);
                }
            }
            Event::Link(p, target) => {
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
            Event::Whiteout(p) => changes.whiteouts.push(p),
            Event::Opaque(p) => changes.opaque.push(p),
        }
    }
}

/// Applies an event now and, when recording, keeps it.
fn emit(ev: Event, tree: &Tree, changes: &mut Changes, log: &mut Option<&mut LayerLog>) {
    match log {
        Some(log) => {
            let copy = match &ev {
                Event::Keep(p, n) => Event::Keep(p.clone(), n.clone()),
                Event::Other(p) => Event::Other(p.clone()),
                Event::Dir(p) => Event::Dir(p.clone()),
                Event::Link(p, t) => Event::Link(p.clone(), t.clone()),
                Event::Whiteout(p) => Event::Whiteout(p.clone()),
                Event::Opaque(p) => Event::Opaque(p.clone()),
            };
            ev.apply(tree, changes);
            log.events.push(copy);
        }
        None => ev.apply(tree, changes),
    }
}

fn read_layer(
    raw: impl Read,
    layer: Option<&str>,
    catalog: &Catalog,
    limits: &Limits,
    tree: &mut Tree,
    changes: &mut Changes,
    log: &mut Option<&mut LayerLog>,
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
                emit(Event::Opaque(dir.to_string()), tree, changes, log);
            } else if !hidden.is_empty() {
                let gone = if dir.is_empty() {
                    hidden.to_string()
                } else {
                    format!("{dir}/{hidden}")
                };
                emit(Event::Whiteout(gone), tree, changes, log);
            }
            continue;
        }
        let header = entry.header();
        let kind = header.entry_type();
        let mode = header.mode().unwrap_or(0o644);
        let ev = match kind {
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
                        Event::Keep(p, Node::File { packages, bytes })
                    }
                    None => Event::Other(p),
                }
            }
            EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                match path::normalize(&target) {
                    Ok(t) => Event::Link(p, t),
                    Err(reason) => {
                        tree.diagnostics.push(Diagnostic {
                            location: p,
                            reason: format!("hard link target: {reason}"),
                        });
                        continue;
                    }
                }
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                let node = Node::Symlink(path::resolve_link(&p, &target));
                Event::Keep(p, node)
            }
            EntryType::Directory => Event::Dir(p),
            _ => Event::Other(p),
        };
        emit(ev, tree, changes, log);
    }
    Ok(())
}

fn replaced(tree: &Tree, changes: &mut Changes, p: String) {
    changes.added.remove(&p);
    if tree.nodes.contains_key(&p) {
        changes.replaced.push(p);
    }
}
