//! What to collect from: the `TYPE:PATH` target grammar shared by `scry scan` and `scry sbom`.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::CollectError;

/// A source of software to inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A directory: a host's root file system, an unpacked image, a source tree.
    Dir(PathBuf),
    /// `docker save` output.
    DockerArchive(PathBuf),
    /// An OCI image layout directory.
    OciDir(PathBuf),
    /// A tar of an OCI image layout.
    OciArchive(PathBuf),
    /// A plain tarball of a file system (optionally gzip or zstd compressed), read as one layer.
    Tarball(PathBuf),
    /// An image in an OCI registry (`registry.example.com/repo:tag`, `alpine@sha256:...`).
    Registry(String),
    /// A zip: a function package, with nested zips.
    Zip(PathBuf),
    /// A CycloneDX or SPDX JSON document, or Scry's own inventory JSON.
    Sbom(PathBuf),
    /// One lockfile, manifest, package database or binary.
    File(PathBuf),
}

pub const PREFIXES: &[&str] = &[
    "dir",
    "docker-archive",
    "oci-dir",
    "oci-archive",
    "tar",
    "registry",
    "zip",
    "sbom",
    "file",
];

impl Target {
    /// Parses `TYPE:VALUE`, or recognises a bare path or image reference by what it is.
    pub fn parse(s: &str) -> Result<Target, CollectError> {
        if let Some((prefix, rest)) = s.split_once(':') {
            let p = || PathBuf::from(rest);
            let t = match prefix {
                "dir" => Some(Target::Dir(p())),
                "docker-archive" => Some(Target::DockerArchive(p())),
                "oci-dir" => Some(Target::OciDir(p())),
                "oci-archive" => Some(Target::OciArchive(p())),
                "tar" => Some(Target::Tarball(p())),
                "registry" => Some(Target::Registry(rest.to_string())),
                "zip" => Some(Target::Zip(p())),
                "sbom" => Some(Target::Sbom(p())),
                "file" => Some(Target::File(p())),
                _ => None,
            };
            if let Some(t) = t {
                if rest.is_empty() {
                    return Err(CollectError::Invalid(format!(
                        "target {s:?} names nothing after {prefix:?}"
                    )));
                }
                return Ok(t);
            }
        }
        let path = Path::new(s);
        if path.exists() {
            return sniff(path);
        }
        if looks_like_reference(s) {
            return Ok(Target::Registry(s.to_string()));
        }
        Err(CollectError::Invalid(format!(
            "{s:?} is neither an existing path nor an image reference; \
             prefix it with one of {}: (for example dir:/ or registry:alpine:3.19)",
            PREFIXES.join(":, ")
        )))
    }

    /// The path or reference, for messages and SBOM subjects.
    pub fn name(&self) -> String {
        match self {
            Target::Registry(r) => r.clone(),
            Target::Dir(p)
            | Target::DockerArchive(p)
            | Target::OciDir(p)
            | Target::OciArchive(p)
            | Target::Tarball(p)
            | Target::Zip(p)
            | Target::Sbom(p)
            | Target::File(p) => p.display().to_string(),
        }
    }

    /// The kind of target, as its prefix spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Dir(_) => "dir",
            Target::DockerArchive(_) => "docker-archive",
            Target::OciDir(_) => "oci-dir",
            Target::OciArchive(_) => "oci-archive",
            Target::Tarball(_) => "tar",
            Target::Registry(_) => "registry",
            Target::Zip(_) => "zip",
            Target::Sbom(_) => "sbom",
            Target::File(_) => "file",
        }
    }

    pub fn is_image(&self) -> bool {
        matches!(
            self,
            Target::DockerArchive(_)
                | Target::OciDir(_)
                | Target::OciArchive(_)
                | Target::Registry(_)
        )
    }
}

fn looks_like_reference(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('/')
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c))
        && (s.contains(':') || s.contains('/') || s.contains('@'))
}

/// Recognises a bare path by its content.
fn sniff(path: &Path) -> Result<Target, CollectError> {
    let p = path.to_path_buf();
    if path.is_dir() {
        return Ok(
            if path.join("oci-layout").is_file() && path.join("index.json").is_file() {
                Target::OciDir(p)
            } else {
                Target::Dir(p)
            },
        );
    }
    let mut head = vec![0u8; 4096];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| CollectError::io(&path.display().to_string(), e))?;
    head.truncate(n);
    let lower = path.to_string_lossy().to_ascii_lowercase();
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        let is_java = [".jar", ".war", ".ear", ".jpi", ".hpi"]
            .iter()
            .any(|e| lower.ends_with(e));
        return Ok(if is_java {
            Target::File(p)
        } else {
            Target::Zip(p)
        });
    }
    if head.len() > 262 && &head[257..262] == b"ustar" {
        let layout = crate::image::TarLayout::open(path)?;
        use crate::image::Layout;
        return Ok(if layout.has("manifest.json") {
            Target::DockerArchive(p)
        } else if layout.has("index.json") && layout.has("oci-layout") {
            Target::OciArchive(p)
        } else {
            Target::Tarball(p)
        });
    }
    let compressed = head.starts_with(&[0x1f, 0x8b]) || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
    if compressed
        && [".tar.gz", ".tgz", ".tar.zst"]
            .iter()
            .any(|e| lower.ends_with(e))
    {
        return Ok(Target::Tarball(p));
    }
    let text = String::from_utf8_lossy(&head);
    if text.trim_start().starts_with('{')
        && (text.contains("\"bomFormat\"")
            || text.contains("\"spdxVersion\"")
            || text.contains("scry-inventory/"))
    {
        return Ok(Target::Sbom(p));
    }
    Ok(Target::File(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_references() {
        assert_eq!(Target::parse("dir:/").unwrap(), Target::Dir("/".into()));
        assert_eq!(
            Target::parse("registry:localhost:5000/a/b:1").unwrap(),
            Target::Registry("localhost:5000/a/b:1".into())
        );
        assert_eq!(
            Target::parse("alpine:3.19").unwrap(),
            Target::Registry("alpine:3.19".into())
        );
        assert!(Target::parse("dir:").is_err());
        let e = Target::parse("./does-not-exist").unwrap_err().to_string();
        assert!(e.contains("prefix it"), "{e}");
    }

    #[test]
    fn sniffs_by_content() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(
            Target::parse(d.path().to_str().unwrap()).unwrap(),
            Target::Dir(d.path().into())
        );
        let sbom = d.path().join("x.json");
        std::fs::write(&sbom, br#"{"bomFormat":"CycloneDX","specVersion":"1.5"}"#).unwrap();
        assert_eq!(
            Target::parse(sbom.to_str().unwrap()).unwrap(),
            Target::Sbom(sbom.clone())
        );
        let lock = d.path().join("Cargo.lock");
        std::fs::write(&lock, "version = 3\n").unwrap();
        assert_eq!(
            Target::parse(lock.to_str().unwrap()).unwrap(),
            Target::File(lock.clone())
        );
    }
}
