//! Dependency lists embedded by `cargo auditable` (`rust-audit`, ecosystem `crates.io`).
//!
//! Rules:
//! - Only files starting with ELF, Mach-O (thin or fat) or PE magic are opened; executables
//!   without the section give nothing and no diagnostic; those whose headers cannot be
//!   parsed (truncated) give a diagnostic.
//! - The section is `.dep-v0` (ELF, PE) or `__dep_v0` (Mach-O). It holds zlib-compressed JSON
//!   `{"packages":[{"name","version","source","kind","dependencies","root"}]}`; at most
//!   8 MiB are decompressed.
//! - Packages with source `crates.io` are reported (`pkg:cargo/<name>@<version>`). Source
//!   `local` (the workspace's own crates, the root among them) is skipped. Other sources
//!   (`git`, `registry`, ...) are reported as well, since their names and versions usually
//!   follow the crates.io crate they come from, each with a diagnostic noting that the match
//!   against crates.io advisories is approximate.
//! - Dependencies of kind `build` (build scripts and their dependencies, which are not
//!   linked into the binary) are skipped; a missing kind means `runtime`.
//! - A crates.io root package (a binary installed from crates.io) is reported like the rest.

use std::io::Read;

use object::{Object, ObjectSection};
use scry_inventory::purl::Purl;
use scry_inventory::{Cataloger, Diagnostic, FileInfo, Package, Parsed};
use serde::Deserialize;

use crate::exe::{has_executable_magic, images, wants_executable, MAX_EXECUTABLE};

/// Largest decompressed dependency list.
const MAX_JSON: u64 = 8 << 20;

/// Reads `cargo auditable` dependency lists from executables; `found_by` `rust-audit`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RustAuditCataloger;

#[derive(Deserialize)]
struct DepInfo {
    packages: Vec<DepPackage>,
}

#[derive(Deserialize)]
struct DepPackage {
    name: String,
    version: String,
    source: String,
    #[serde(default)]
    kind: Option<String>,
}

impl Cataloger for RustAuditCataloger {
    fn name(&self) -> &'static str {
        "rust-audit"
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        wants_executable(file)
    }

    fn max_size(&self) -> u64 {
        MAX_EXECUTABLE
    }

    fn parse(&self, file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
        let mut parsed = Parsed::default();
        if !has_executable_magic(bytes) {
            return parsed;
        }
        let mut reasons = Vec::new();
        match images(bytes) {
            Ok(imgs) => {
                for img in imgs {
                    if let Err(e) = read_image(img, file.path, &mut parsed.packages, &mut reasons) {
                        reasons.push(e);
                    }
                }
            }
            Err(e) => reasons.push(e),
        }
        for reason in reasons {
            let d = Diagnostic {
                location: file.path.to_string(),
                reason,
            };
            if !parsed.diagnostics.contains(&d) {
                parsed.diagnostics.push(d);
            }
        }
        parsed
    }
}

/// Reads the section of one executable image, if it has one.
fn read_image(
    img: &[u8],
    location: &str,
    out: &mut Vec<Package>,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    let file = object::File::parse(img).map_err(|e| {
        format!("executable headers cannot be read ({e}); cargo-auditable data not looked for")
    })?;
    let Some(section) = file
        .section_by_name(".dep-v0")
        .or_else(|| file.section_by_name("__dep_v0"))
    else {
        return Ok(());
    };
    let data = section
        .data()
        .map_err(|e| format!(".dep-v0 section lies outside the file: {e}"))?;
    let json = inflate(data)?;
    let info: DepInfo = serde_json::from_slice(&json)
        .map_err(|e| format!(".dep-v0 section is not the expected JSON: {e}"))?;
    for p in info.packages {
        if p.source == "local" || p.kind.as_deref() == Some("build") {
            continue;
        }
        if p.name.is_empty() || p.version.is_empty() {
            notes.push(format!(
                ".dep-v0 lists a package without name or version ({:?} {:?})",
                p.name, p.version
            ));
            continue;
        }
        if p.source != "crates.io" {
            notes.push(format!(
                "{} {} comes from source {:?}, not crates.io; reported under its crates.io name",
                p.name, p.version, p.source
            ));
        }
        let pkg = Package {
            purl: Purl::new("cargo", None, &p.name, Some(&p.version)).to_string(),
            name: p.name,
            version: p.version,
            ecosystem: "crates.io".to_string(),
            found_by: "rust-audit".to_string(),
            source_name: None,
            source_version: None,
            arch: None,
            licenses: Vec::new(),
            location: location.to_string(),
            layer: None,
        };
        if !out.contains(&pkg) {
            out.push(pkg);
        }
    }
    Ok(())
}

/// Decompresses zlib data, at most [`MAX_JSON`] bytes.
fn inflate(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(data)
        .take(MAX_JSON + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot decompress the .dep-v0 section: {e}"))?;
    if out.len() as u64 > MAX_JSON {
        return Err(format!(
            ".dep-v0 section decompresses to more than {MAX_JSON} bytes"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn inflate_caps_output() {
        let bomb = zlib(&vec![b' '; (MAX_JSON + 10) as usize]);
        assert!(bomb.len() < 100_000);
        assert!(inflate(&bomb)
            .unwrap_err()
            .contains("more than 8388608 bytes"));
        assert!(inflate(b"not zlib")
            .unwrap_err()
            .contains("cannot decompress"));
        assert_eq!(inflate(&zlib(b"{}")).unwrap(), b"{}");
    }
}
