//! RPM package databases: SQLite (`rpm-sqlite`), Berkeley DB hash (`rpm-bdb`) and ndb
//! (`rpm-ndb`). Each stores one header blob per installed package; see [`header`] for the blob
//! and the `bdb`, `ndb` and `sqlite` modules for the containers.
//!
//! Rules used for the packages:
//! - `version` is `[epoch:]version-release`, the epoch only when present and non-zero.
//! - `source_name`/`source_version` come from `SOURCERPM` (`name-version-release.src.rpm`, or
//!   `.nosrc.rpm`): the name, and `version-release` prefixed with the binary's non-zero epoch
//!   (the source rpm's file name has no epoch, but the source package shares it; without it a
//!   source version would compare lower than the advisories' `epoch:version-release`).
//! - purl: `pkg:rpm/<namespace>/<name>@<version>-<release>?arch=<arch>&epoch=<epoch>` (epoch only
//!   when non-zero); the namespace is `redhat` unless set with [`RpmCataloger::with_namespace`].
//! - ecosystem `Red Hat` (the collector corrects it from the detected OS); `LICENSE` fills
//!   `licenses`. `VENDOR` is read (see [`RpmHeader`]) but the model has no place for it.
//! - `gpg-pubkey` entries (imported signing keys, not software) are skipped.
//! - A header that cannot be read is reported with the reason and skipped; the others are kept.

pub mod header;

mod bdb;
mod ndb;
mod sqlite;

pub use header::{parse_header, RpmHeader};

use scry_inventory::purl::Purl;
use scry_inventory::{Cataloger, FileInfo, Package, Parsed};

use crate::diag;

/// The three rpm database formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `rpmdb.sqlite`, table `Packages(hnum, blob)`.
    Sqlite,
    /// Berkeley DB hash file `Packages`.
    Bdb,
    /// rpm's ndb `Packages.db`.
    Ndb,
}

impl Format {
    /// The cataloger name ([`Package::found_by`]).
    pub fn found_by(self) -> &'static str {
        match self {
            Format::Sqlite => "rpm-sqlite",
            Format::Bdb => "rpm-bdb",
            Format::Ndb => "rpm-ndb",
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            Format::Sqlite => "rpmdb.sqlite",
            Format::Bdb => "Packages",
            Format::Ndb => "Packages.db",
        }
    }
}

/// The headers read from one database, and what could not be read.
#[derive(Debug, Default)]
pub struct Headers {
    pub headers: Vec<RpmHeader>,
    pub problems: Vec<String>,
}

/// Reads every package header of a database in `format`. Never panics; what cannot be read is
/// in [`Headers::problems`].
pub fn read_headers(format: Format, bytes: &[u8]) -> Headers {
    let mut out = Headers::default();
    let blobs: Vec<Result<(String, Vec<u8>), String>> = match format {
        Format::Sqlite => match sqlite::read(bytes) {
            Ok(rows) => rows
                .into_iter()
                .map(|r| r.map(|(h, b)| (format!("row hnum={h}"), b)))
                .collect(),
            Err(e) => {
                out.problems.push(e);
                return out;
            }
        },
        Format::Bdb => match bdb::read(bytes) {
            Ok(v) => {
                out.problems.extend(v.warnings);
                v.values
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| r.map(|b| (format!("value {i}"), b)))
                    .collect()
            }
            Err(e) => {
                out.problems.push(e);
                return out;
            }
        },
        Format::Ndb => match ndb::read(bytes) {
            Ok(v) => {
                out.problems.extend(v.warnings);
                v.blobs
                    .into_iter()
                    .map(|r| r.map(|(i, b)| (format!("package {i}"), b.to_vec())))
                    .collect()
            }
            Err(e) => {
                out.problems.push(e);
                return out;
            }
        },
    };
    for b in blobs {
        match b {
            Ok((what, blob)) => match parse_header(&blob) {
                Ok(h) => out.headers.push(h),
                Err(e) => out.problems.push(format!("{what}: {e}")),
            },
            Err(e) => out.problems.push(e),
        }
    }
    out
}

/// Splits a source rpm file name `name-version-release.src.rpm` into its three parts.
pub fn split_source_rpm(s: &str) -> Option<(&str, &str, &str)> {
    let base = s
        .strip_suffix(".src.rpm")
        .or_else(|| s.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = base.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name, version, release))
}

/// Reads one rpm database format.
pub struct RpmCataloger {
    format: Format,
    namespace: String,
}

impl RpmCataloger {
    pub fn new(format: Format) -> RpmCataloger {
        RpmCataloger {
            format,
            namespace: "redhat".to_string(),
        }
    }

    /// Sets the purl namespace (default `redhat`).
    pub fn with_namespace(mut self, namespace: &str) -> RpmCataloger {
        self.namespace = namespace.to_string();
        self
    }

    fn package(&self, h: RpmHeader, location: &str) -> Package {
        let vr = if h.release.is_empty() {
            h.version.clone()
        } else {
            format!("{}-{}", h.version, h.release)
        };
        let epoch = h.epoch.filter(|e| *e != 0);
        let with_epoch = |v: &str| match epoch {
            Some(e) => format!("{e}:{v}"),
            None => v.to_string(),
        };
        let arch = h.arch.filter(|a| !a.is_empty());
        let mut purl = Purl::new("rpm", Some(&self.namespace), &h.name, Some(&vr))
            .with("arch", arch.as_deref().unwrap_or(""));
        if let Some(e) = epoch {
            purl = purl.with("epoch", &e.to_string());
        }
        let source = h.sourcerpm.as_deref().and_then(split_source_rpm);
        Package {
            version: with_epoch(&vr),
            ecosystem: "Red Hat".to_string(),
            purl: purl.to_string(),
            found_by: self.format.found_by().to_string(),
            source_name: source.map(|(n, _, _)| n.to_string()),
            source_version: source.map(|(_, v, r)| with_epoch(&format!("{v}-{r}"))),
            arch,
            licenses: h.license.filter(|l| !l.is_empty()).into_iter().collect(),
            location: location.to_string(),
            layer: None,
            name: h.name,
        }
    }
}

impl Cataloger for RpmCataloger {
    fn name(&self) -> &'static str {
        self.format.found_by()
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        let Some(name) = file
            .path
            .strip_prefix("var/lib/rpm/")
            .or_else(|| file.path.strip_prefix("usr/lib/sysimage/rpm/"))
        else {
            return false;
        };
        name == self.format.file_name()
    }

    fn max_size(&self) -> u64 {
        512 << 20
    }

    fn parse(&self, file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
        let read = read_headers(self.format, bytes);
        let mut parsed = Parsed::default();
        for p in read.problems {
            parsed.diagnostics.push(diag(file.path, p));
        }
        for h in read.headers {
            if h.name == "gpg-pubkey" {
                continue;
            }
            parsed.packages.push(self.package(h, file.path));
        }
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            split_source_rpm("util-linux-2.32.1-42.el8_8.src.rpm"),
            Some(("util-linux", "2.32.1", "42.el8_8"))
        );
        assert_eq!(
            split_source_rpm("rpm-config-SUSE-1-5.6.1.src.rpm"),
            Some(("rpm-config-SUSE", "1", "5.6.1"))
        );
        assert_eq!(split_source_rpm("x-1-2.nosrc.rpm"), Some(("x", "1", "2")));
        assert_eq!(split_source_rpm("noversion.src.rpm"), None);
        assert_eq!(split_source_rpm("-1-2.src.rpm"), None);
        assert_eq!(split_source_rpm("a-1-2.rpm"), None);
    }

    #[test]
    fn package_from_header() {
        let h = parse_header(&header::tests::sample()).unwrap();
        let p = RpmCataloger::new(Format::Bdb).package(h, "var/lib/rpm/Packages");
        assert_eq!(p.version, "1:3.0.7-27.el9");
        assert_eq!(
            p.purl,
            "pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1"
        );
        assert_eq!(p.source_name.as_deref(), Some("openssl"));
        assert_eq!(p.source_version.as_deref(), Some("1:3.0.7-27.el9"));
        assert_eq!(p.licenses, vec!["ASL 2.0".to_string()]);
        assert_eq!(p.found_by, "rpm-bdb");
    }

    #[test]
    fn wants_paths() {
        let info = |path| FileInfo {
            path,
            size: 1,
            executable: false,
        };
        let bdb = RpmCataloger::new(Format::Bdb);
        let ndb = RpmCataloger::new(Format::Ndb);
        let sql = RpmCataloger::new(Format::Sqlite);
        assert!(bdb.wants(&info("var/lib/rpm/Packages")));
        assert!(!bdb.wants(&info("var/lib/rpm/Packages.db")));
        assert!(ndb.wants(&info("usr/lib/sysimage/rpm/Packages.db")));
        assert!(sql.wants(&info("var/lib/rpm/rpmdb.sqlite")));
        assert!(!sql.wants(&info("var/lib/rpm/rpmdb.sqlite-wal")));
        assert!(!bdb.wants(&info("x/var/lib/rpm/Packages")));
    }
}
