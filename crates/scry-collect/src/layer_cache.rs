//! The layer cache: what reading a layer did to the tree ([`LayerLog`]), kept on disk by layer
//! digest, so that a layer shared by many images (a base image) is downloaded and parsed once.
//!
//! A layer is content-addressed: the same digest is the same bytes, and the same catalogers
//! with the same limits parse the same bytes into the same packages. The cache directory is
//! therefore split by a fingerprint of this crate's version, the catalogers' names and the
//! limits; a log is written only for a layer read to its end whose digest was verified.
//! An unreadable or damaged entry is a miss (the layer is read again and the entry rewritten).

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::catalog::{Catalog, Limits};
use crate::layer::LayerLog;

/// Largest decompressed cache entry read back (a layer's log is mostly paths).
const MAX_ENTRY_BYTES: u64 = 512 << 20;

pub(crate) struct LayerCache {
    dir: PathBuf,
}

impl LayerCache {
    pub fn new(root: &Path, catalog: &Catalog, limits: &Limits) -> LayerCache {
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION"));
        for c in &catalog.catalogers {
            h.update(b"|");
            h.update(c.name());
        }
        h.update(format!("|{limits:?}|{:?}", catalog.release_files));
        let fp = hex::encode(&h.finalize()[..8]);
        LayerCache { dir: root.join(fp) }
    }

    /// The file of a digest; `None` for a digest that is not `algorithm:hex`.
    fn file(&self, digest: &str) -> Option<PathBuf> {
        let (algo, hex) = digest.split_once(':')?;
        let ok = matches!(algo, "sha256" | "sha512")
            && !hex.is_empty()
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| self.dir.join(format!("{algo}-{hex}.json.zst")))
    }

    pub fn get(&self, digest: &str) -> Option<LayerLog> {
        let path = self.file(digest)?;
        let f = std::fs::File::open(&path).ok()?;
        let mut bytes = Vec::new();
        zstd::stream::read::Decoder::new(f)
            .ok()?
            .take(MAX_ENTRY_BYTES + 1)
            .read_to_end(&mut bytes)
            .ok()?;
        if bytes.len() as u64 > MAX_ENTRY_BYTES {
            return None;
        }
        match serde_json::from_slice(&bytes) {
            Ok(log) => Some(log),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "damaged layer cache entry; reading the layer again");
                None
            }
        }
    }

    /// Stores a log (atomically: a temporary file renamed into place). Failures only log: the
    /// cache is an optimisation.
    pub fn put(&self, digest: &str, log: &LayerLog) {
        let Some(path) = self.file(digest) else {
            return;
        };
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let json = serde_json::to_vec(log).map_err(std::io::Error::other)?;
            let packed = zstd::bulk::compress(&json, 3)?;
            let tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
            std::fs::write(tmp.path(), packed)?;
            tmp.persist(&path).map_err(|e| e.error)?;
            Ok(())
        };
        if let Err(e) = write() {
            tracing::warn!(dir = %self.dir.display(), error = %e, "writing the layer cache");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::{apply_layer, apply_layer_recording};
    use crate::tree::{Node, Tree};

    fn catalog() -> Catalog {
        let mut catalogers = scry_pkgdb::catalogers();
        catalogers.extend(scry_lockfile::catalogers());
        Catalog {
            catalogers,
            release_files: scry_pkgdb::RELEASE_FILES,
            detect_distro: scry_pkgdb::detect_distro,
            os_ecosystem: scry_pkgdb::os_package_ecosystem,
        }
    }

    fn tar(entries: &[(&str, tar::EntryType, &[u8], Option<&str>)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, kind, data, link) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_path(name).unwrap();
            if let Some(l) = link {
                h.set_link_name(l).unwrap();
            }
            h.set_entry_type(*kind);
            h.set_mode(0o644);
            h.set_size(data.len() as u64);
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn shape(t: &Tree) -> Vec<String> {
        let mut out: Vec<String> = t
            .nodes
            .iter()
            .map(|(p, n)| match n {
                Node::File { packages, .. } => format!(
                    "{p}: {:?}",
                    packages
                        .iter()
                        .map(|k| format!("{} {} {} {:?}", k.name, k.version, k.location, k.layer))
                        .collect::<Vec<_>>()
                ),
                Node::Symlink(s) => format!("{p} -> {s}"),
            })
            .collect();
        out.extend(t.diagnostics.iter().map(|d| format!("! {d:?}")));
        out
    }

    /// A cached layer replayed on a different lower tree gives exactly what reading it would:
    /// the log holds what the layer does, not what it did to the tree it was first read on.
    #[test]
    fn replay_equals_reading_on_any_lower_tree() {
        use tar::EntryType::{Directory, Link, Regular, Symlink};
        let meta = |n: &str, v: &str| format!("Metadata-Version: 2.1\nName: {n}\nVersion: {v}\n");
        let (m1, m2, m3) = (
            meta("PyYAML", "5.3.1"),
            meta("urllib3", "1.26.4"),
            meta("six", "1.0"),
        );
        let lower_a = tar(&[
            (
                "etc/os-release",
                Regular,
                b"ID=debian\nVERSION_ID=\"12\"\n",
                None,
            ),
            ("p/a-1.dist-info/METADATA", Regular, m1.as_bytes(), None),
            ("p/b-1.dist-info/METADATA", Regular, m2.as_bytes(), None),
            ("p/c", Symlink, b"", Some("a-1.dist-info")),
        ]);
        let lower_b = tar(&[("p/other-1.dist-info/METADATA", Regular, m3.as_bytes(), None)]);
        // Hides a lower file behind a plain file and a directory, whites one out, links to a
        // lower file, adds its own package, and has one entry that climbs out of the root.
        let top = tar(&[
            (
                "p/a-1.dist-info/METADATA",
                Regular,
                b"not wanted? it is: same path",
                None,
            ),
            ("p/c", Directory, b"", None),
            ("etc/os-release", tar::EntryType::Fifo, b"", None),
            ("p/.wh.b-1.dist-info", Regular, b"", None),
            ("p/.wh.other-1.dist-info", Regular, b"", None),
            (
                "p/d-1.dist-info/METADATA",
                Link,
                b"",
                Some("p/a-1.dist-info/METADATA"),
            ),
            ("p/e-1.dist-info/METADATA", Regular, m3.as_bytes(), None),
            ("p/e-1.dist-info/README", Regular, b"x", None),
        ]);
        let cat = catalog();
        let limits = Limits::default();
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(dir.path(), &cat, &limits);
        let digest = format!("sha256:{}", "ab".repeat(32));

        // First image: read and record the top layer on lower_a.
        let mut t1 = Tree::default();
        apply_layer(&lower_a[..], "a", Some("sha256:a"), &cat, &limits, &mut t1);
        let mut log = LayerLog::default();
        assert!(apply_layer_recording(
            &top[..],
            "top",
            Some(&digest),
            &cat,
            &limits,
            &mut t1,
            Some(&mut log)
        ));
        cache.put(&digest, &log);

        for lower in [&lower_a, &lower_b] {
            let mut read = Tree::default();
            apply_layer(&lower[..], "l", Some("sha256:l"), &cat, &limits, &mut read);
            let mut replayed = Tree::default();
            apply_layer(
                &lower[..],
                "l",
                Some("sha256:l"),
                &cat,
                &limits,
                &mut replayed,
            );
            apply_layer(&top[..], "top", Some(&digest), &cat, &limits, &mut read);
            cache.get(&digest).expect("cached").replay(&mut replayed);
            assert_eq!(shape(&read), shape(&replayed));
            assert!(!read.nodes.contains_key("p/b-1.dist-info/METADATA"));
        }
        assert!(cache.get(&format!("sha256:{}", "cd".repeat(32))).is_none());
        assert!(cache.get("sha256:../../etc/passwd").is_none());
        // A damaged entry is a miss, not an error.
        let f = dir
            .path()
            .read_dir()
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let entry = f.read_dir().unwrap().next().unwrap().unwrap().path();
        std::fs::write(&entry, b"garbage").unwrap();
        assert!(cache.get(&digest).is_none());
    }
}
