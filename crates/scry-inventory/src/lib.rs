//! The inventory model: what software a resource holds, and where each package was found.
//!
//! An [`Inventory`] has the same shape whether it came from a host agent, a container image, a
//! function zip, a source tree or an SBOM. Catalogers (package-database and lockfile parsers,
//! in other crates) implement [`Cataloger`]: they look at one file at a time and emit
//! [`Package`]s; the walker that feeds them files fills in the layer.
//!
//! Architecture invariant: pure data and the cataloger interface; no I/O.

pub mod purl;

use serde::{Deserialize, Serialize};

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    /// The version as the ecosystem writes it. RPM: `[epoch:]version-release` (epoch only when
    /// non-zero). dpkg: the full `[epoch:]upstream[-revision]`.
    pub version: String,
    /// The ecosystem as the advisory database spells it (OSV base names): `Debian`, `Ubuntu`,
    /// `Alpine`, `Red Hat`, `AlmaLinux`, `PyPI`, `npm`, `crates.io`, `Go`, `Maven`, `RubyGems`,
    /// `Packagist`, `NuGet`, `ConanCenter`, ... For OS packages the release is not here but in
    /// the inventory's [`Distro`]; catalogers that cannot know the distribution use the
    /// package manager's family (`Debian` for dpkg, `Alpine` for apk, `Red Hat` for rpm) and
    /// the collector corrects it from the detected OS.
    pub ecosystem: String,
    /// Package URL (<https://github.com/package-url/purl-spec>).
    pub purl: String,
    /// Which cataloger found it: `dpkg`, `rpm`, `apk`, `python-dist-info`, `npm-package-lock`,
    /// `go-binary`, `java-archive`, ...
    pub found_by: String,
    /// For OS packages: the source package it was built from (dpkg `Source:`, apk origin, RPM
    /// source rpm name), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The source package's version, when it differs from the binary's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// The file it was found in, as a path inside the scanned file system without a leading
    /// `/` (`var/lib/dpkg/status`, `app/package-lock.json`); for nested archives the members
    /// are joined with `!` (`app/app.war!WEB-INF/lib/log4j-core-2.14.1.jar`).
    pub location: String,
    /// For images: the digest of the layer that introduced the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
}

/// The operating system of a resource, in the advisory database's namespaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distro {
    /// os-release `ID`: `debian`, `ubuntu`, `alpine`, `rhel`, `almalinux`, ...
    pub id: String,
    /// os-release `VERSION_ID` (or the release file's version): `12`, `22.04`, `3.19.1`.
    pub version_id: String,
    /// `PRETTY_NAME` or equivalent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// The OSV ecosystem with release that OS packages are matched in: `Debian:12`,
    /// `Ubuntu:22.04:LTS`, `Alpine:v3.19`, `AlmaLinux:9`, `Red Hat:...`. None when the
    /// advisory database has no namespace for this OS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
}

/// Something that could not be read while collecting; the rest of the collection continues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// The file (or archive member) concerned.
    pub location: String,
    pub reason: String,
}

/// Everything found on one resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<Distro>,
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
}

/// What a cataloger learns of a file before reading it.
#[derive(Debug, Clone, Copy)]
pub struct FileInfo<'a> {
    /// Path inside the scanned file system, without a leading `/`.
    pub path: &'a str,
    pub size: u64,
    /// Any execute bit set (binaries: Go, cargo-auditable).
    pub executable: bool,
}

/// What a cataloger made of one file: the packages it could read, and what it could not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub packages: Vec<Package>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A parser for one family of package databases, lockfiles or binaries.
pub trait Cataloger: Send + Sync {
    /// Short stable name, used as [`Package::found_by`].
    fn name(&self) -> &'static str;
    /// Whether this cataloger reads the file. Decided from the path (and size/exec bit) only,
    /// cheaply: it is asked for every file of a file system.
    fn wants(&self, file: &FileInfo<'_>) -> bool;
    /// Largest file this cataloger reads; larger ones are reported, not read.
    fn max_size(&self) -> u64 {
        64 << 20
    }
    /// Parse one file. Never panics on any input; what cannot be read becomes a diagnostic.
    fn parse(&self, file: &FileInfo<'_>, bytes: &[u8]) -> Parsed;
}

/// Whether a cataloger (by its [`Cataloger::name`]) reads an operating system's package
/// database; its packages are matched in the OS's namespace (`Debian:12`, `Alpine:v3.19`).
pub fn is_os_cataloger(found_by: &str) -> bool {
    matches!(found_by, "dpkg" | "apk" | "opkg") || found_by.starts_with("rpm")
}
