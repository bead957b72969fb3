//! The set of catalogers a collection runs, and how one file is handed to them.

use std::io::Read;

use scry_inventory::{Cataloger, Diagnostic, Distro, FileInfo, Package};

/// Reads a file of the collected file system by its path (no leading `/`).
pub type ReadFn<'a> = &'a dyn Fn(&str) -> Option<Vec<u8>>;

/// What a collection knows how to recognise.
pub struct Catalog {
    pub catalogers: Vec<Box<dyn Cataloger>>,
    /// Files the OS detection reads (kept as bytes while walking).
    pub release_files: &'static [&'static str],
    /// Detects the OS from the release files.
    pub detect_distro: fn(ReadFn<'_>) -> Option<Distro>,
    /// The base ecosystem of an OS package found by `found_by` on this OS.
    pub os_ecosystem: fn(&Distro, &str) -> String,
}

/// Bounds on what hostile input can make a collection do.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest uncompressed size of one image layer.
    pub max_layer_bytes: u64,
    /// Largest decompression ratio accepted once more than `ratio_grace` bytes came out.
    pub max_ratio: u64,
    pub ratio_grace: u64,
    /// Largest nested-archive depth (a zip in a zip).
    pub max_depth: usize,
    /// Most entries read from one archive or layer.
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_layer_bytes: 32 << 30,
            max_ratio: 200,
            ratio_grace: 64 << 20,
            max_depth: 3,
            max_entries: 2_000_000,
        }
    }
}

/// What becomes of one file.
pub(crate) struct Wanted {
    pub catalogers: Vec<usize>,
    pub release: bool,
    pub max_size: u64,
}

impl Catalog {
    pub(crate) fn wanted(&self, info: &FileInfo<'_>) -> Option<Wanted> {
        let release = self.release_files.contains(&info.path);
        let mut catalogers = Vec::new();
        let mut max_size = if release { 1 << 20 } else { 0 };
        for (i, c) in self.catalogers.iter().enumerate() {
            if c.wants(info) {
                catalogers.push(i);
                max_size = max_size.max(c.max_size());
            }
        }
        (release || !catalogers.is_empty()).then_some(Wanted {
            catalogers,
            release,
            max_size,
        })
    }

    /// Reads a wanted file (at most `max_size` bytes) and runs its catalogers. Returns the
    /// packages and, for release files, the bytes.
    pub(crate) fn handle(
        &self,
        info: &FileInfo<'_>,
        wanted: &Wanted,
        reader: &mut dyn Read,
        layer: Option<&str>,
        diags: &mut Vec<Diagnostic>,
    ) -> (Vec<Package>, Option<Vec<u8>>) {
        if info.size > wanted.max_size {
            diags.push(Diagnostic {
                location: info.path.to_string(),
                reason: format!(
                    "file is {} bytes, more than the {} bytes its catalogers read; skipped",
                    info.size, wanted.max_size
                ),
            });
            return (Vec::new(), None);
        }
        let mut bytes = Vec::with_capacity(info.size.min(wanted.max_size) as usize);
        if let Err(e) = reader.take(wanted.max_size + 1).read_to_end(&mut bytes) {
            diags.push(Diagnostic {
                location: info.path.to_string(),
                reason: format!("cannot read: {e}"),
            });
            return (Vec::new(), None);
        }
        if bytes.len() as u64 > wanted.max_size {
            diags.push(Diagnostic {
                location: info.path.to_string(),
                reason: format!(
                    "file is larger than the {} bytes it may have",
                    wanted.max_size
                ),
            });
            return (Vec::new(), None);
        }
        let info = FileInfo {
            size: bytes.len() as u64,
            ..*info
        };
        let packages = self.run(&wanted.catalogers, &info, &bytes, layer, diags);
        (packages, wanted.release.then_some(bytes))
    }

    /// Runs the chosen catalogers on a file's bytes.
    fn run(
        &self,
        chosen: &[usize],
        info: &FileInfo<'_>,
        bytes: &[u8],
        layer: Option<&str>,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<Package> {
        let mut out = Vec::new();
        for c in chosen.iter().filter_map(|&i| self.catalogers.get(i)) {
            if info.size > c.max_size() {
                continue;
            }
            let parsed = c.parse(info, bytes);
            diags.extend(parsed.diagnostics);
            for mut p in parsed.packages {
                if let Some(l) = layer {
                    p.layer = Some(l.to_string());
                }
                out.push(p);
            }
        }
        out
    }
}
