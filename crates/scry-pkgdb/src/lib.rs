//! Operating-system package databases and OS detection, in pure Rust.
//!
//! What it reads (paths inside the scanned file system, no leading `/`):
//!
//! | `found_by`   | file                                                       | module      |
//! |--------------|------------------------------------------------------------|-------------|
//! | `dpkg`       | `var/lib/dpkg/status`, every file of `var/lib/dpkg/status.d/` (not `*.md5sums`) | [`dpkg`] |
//! | `opkg`       | `usr/lib/opkg/status`, `var/lib/opkg/status`               | [`dpkg`]    |
//! | `apk`        | `lib/apk/db/installed`                                     | [`apk`]     |
//! | `rpm-sqlite` | `var/lib/rpm/rpmdb.sqlite` (also `usr/lib/sysimage/rpm/`)  | [`rpm`]     |
//! | `rpm-bdb`    | `var/lib/rpm/Packages` (Berkeley DB hash)                  | [`rpm`]     |
//! | `rpm-ndb`    | `var/lib/rpm/Packages.db` (also `usr/lib/sysimage/rpm/`)   | [`rpm`]     |
//!
//! [`catalogers`] gives one [`Cataloger`] per row. OS detection ([`detect_distro`]) reads the
//! files of [`RELEASE_FILES`] and names the OSV ecosystem (with release) that the OS packages
//! are matched in; [`os_package_ecosystem`] gives the base ecosystem of one OS package on a
//! detected OS (the catalogers themselves use the package manager's family: `Debian`, `Alpine`,
//! `Red Hat`, `OpenWrt`).
//!
//! Every input is treated as hostile: lengths and offsets are checked against the bytes before
//! use, loops are bounded by the input size, and what cannot be read becomes a
//! [`Diagnostic`](scry_inventory::Diagnostic) while the rest of the file is still read.
#![forbid(unsafe_code)]

pub mod apk;
pub mod distro;
pub mod dpkg;
pub mod rpm;

pub use distro::{detect_distro, os_package_ecosystem, RELEASE_FILES};

use scry_inventory::{Cataloger, Diagnostic};

/// One cataloger per supported package database format.
pub fn catalogers() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(dpkg::DpkgCataloger),
        Box::new(dpkg::OpkgCataloger),
        Box::new(apk::ApkCataloger),
        Box::new(rpm::RpmCataloger::new(rpm::Format::Sqlite)),
        Box::new(rpm::RpmCataloger::new(rpm::Format::Bdb)),
        Box::new(rpm::RpmCataloger::new(rpm::Format::Ndb)),
    ]
}

pub(crate) fn diag(location: &str, reason: impl Into<String>) -> Diagnostic {
    Diagnostic {
        location: location.to_string(),
        reason: reason.into(),
    }
}
