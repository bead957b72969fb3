//! Catalogers for packages recorded *inside* binaries and archives, as opposed to package
//! databases and lockfiles:
//!
//! - [`GoBinaryCataloger`] (`go-binary`, ecosystem `Go`): the build information the Go
//!   linker embeds in ELF, Mach-O (thin and fat) and PE executables: the toolchain version
//!   (reported as the package `stdlib`), the main module and every dependency module.
//! - [`RustAuditCataloger`] (`rust-audit`, ecosystem `crates.io`): the zlib-compressed JSON
//!   dependency list that `cargo auditable` stores in the `.dep-v0` section.
//! - [`JavaArchiveCataloger`] (`java-archive`, ecosystem `Maven`): Maven coordinates of Java
//!   archives (`.jar`, `.war`, `.ear`, ...) and of the archives nested inside them, from
//!   `pom.properties`, else `MANIFEST.MF`, else the file name.
//!
//! Every input is treated as hostile: lengths read from a file are checked against the bytes
//! actually there before anything is allocated or sliced, decompression is capped in size and
//! ratio, nesting is bounded, and what cannot be read becomes a [`Diagnostic`] while the rest
//! of the file still yields what it can. The per-format rules are documented on each module.
//!
//! [`Diagnostic`]: scry_inventory::Diagnostic

#![forbid(unsafe_code)]

mod exe;
pub mod golang;
pub mod java;
pub mod rust_audit;

pub use golang::GoBinaryCataloger;
pub use java::{is_archive_name, JavaArchiveCataloger};
pub use rust_audit::RustAuditCataloger;

/// Every cataloger of this crate, in a fixed order.
pub fn catalogers() -> Vec<Box<dyn scry_inventory::Cataloger>> {
    vec![
        Box::new(GoBinaryCataloger),
        Box::new(RustAuditCataloger),
        Box::new(JavaArchiveCataloger),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogers_have_distinct_names() {
        let names: Vec<_> = catalogers().iter().map(|c| c.name()).collect();
        assert_eq!(names, ["go-binary", "rust-audit", "java-archive"]);
    }
}
