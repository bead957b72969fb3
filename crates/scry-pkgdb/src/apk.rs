//! Alpine's apk database, `lib/apk/db/installed`.
//!
//! Rules used:
//! - Records are separated by blank lines; each line is `X:value` with a one-character key.
//!   Only the package keys are read: `P` name, `V` version, `A` architecture, `o` origin (the
//!   source package), `L` license (kept as one string: apk writes a free-form expression),
//!   `m` maintainer (not kept in the model). File lists (`F`, `R`, `Z`, `a`, ...) are skipped.
//!   CRLF line ends are accepted; bytes that are not UTF-8 are replaced.
//! - A record needs `P` and `V`; one missing either is reported and skipped. A line that is not
//!   `X:value` is counted and reported once per file.
//! - `source_name` is the origin (the package itself when absent); `source_version` is the
//!   package version (apk builds all subpackages of an origin at one version).
//! - purl: `pkg:apk/alpine/<name>@<version>?arch=<arch>&upstream=<origin>` (upstream only when
//!   it differs from the name). Ecosystem `Alpine` (the collector corrects Wolfi/Chainguard).

use scry_inventory::purl::Purl;
use scry_inventory::{Cataloger, FileInfo, Package, Parsed};

use crate::diag;
use crate::dpkg::excerpt;

/// Reads `lib/apk/db/installed`.
pub struct ApkCataloger;

impl Cataloger for ApkCataloger {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        file.path == "lib/apk/db/installed"
    }

    fn parse(&self, file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
        parse_installed(file.path, bytes)
    }
}

#[derive(Default)]
struct Record<'a> {
    line: usize,
    name: Option<&'a str>,
    version: Option<&'a str>,
    arch: Option<&'a str>,
    origin: Option<&'a str>,
    license: Option<&'a str>,
}

fn parse_installed(path: &str, bytes: &[u8]) -> Parsed {
    let text = String::from_utf8_lossy(bytes);
    let mut parsed = Parsed::default();
    let mut records = Vec::new();
    let mut cur: Option<Record<'_>> = None;
    let mut bad = 0usize;
    let mut first_bad = None;
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            if let Some(r) = cur.take() {
                records.push(r);
            }
            continue;
        }
        let b = line.as_bytes();
        if b.len() < 2 || b[1] != b':' || !b[0].is_ascii_graphic() {
            bad += 1;
            first_bad.get_or_insert((i + 1, excerpt(line)));
            continue;
        }
        let value = line[2..].trim();
        let r = cur.get_or_insert_with(|| Record {
            line: i + 1,
            ..Record::default()
        });
        let slot = match b[0] {
            b'P' => &mut r.name,
            b'V' => &mut r.version,
            b'A' => &mut r.arch,
            b'o' => &mut r.origin,
            b'L' => &mut r.license,
            _ => continue,
        };
        if !value.is_empty() {
            *slot = Some(value);
        }
    }
    if let Some(r) = cur.take() {
        records.push(r);
    }
    if let Some((n, l)) = first_bad {
        parsed.diagnostics.push(diag(
            path,
            format!("{bad} line(s) are not \"X:value\" (first: line {n}: {l:?}); ignored"),
        ));
    }
    for r in records {
        let (name, version) = match (r.name, r.version) {
            (Some(n), Some(v)) => (n, v),
            (None, _) => {
                parsed.diagnostics.push(diag(
                    path,
                    format!("record at line {}: no package name (P:); skipped", r.line),
                ));
                continue;
            }
            (Some(n), None) => {
                parsed.diagnostics.push(diag(
                    path,
                    format!(
                        "record at line {}: package {n:?} has no version (V:); skipped",
                        r.line
                    ),
                ));
                continue;
            }
        };
        let origin = r.origin.unwrap_or(name);
        let mut purl = Purl::new("apk", Some("alpine"), name, Some(version))
            .with("arch", r.arch.unwrap_or(""));
        if origin != name {
            purl = purl.with("upstream", origin);
        }
        parsed.packages.push(Package {
            name: name.to_string(),
            version: version.to_string(),
            ecosystem: "Alpine".to_string(),
            purl: purl.to_string(),
            found_by: "apk".to_string(),
            source_name: Some(origin.to_string()),
            source_version: Some(version.to_string()),
            arch: r.arch.map(str::to_string),
            licenses: r.license.map(|l| vec![l.to_string()]).unwrap_or_default(),
            location: path.to_string(),
            layer: None,
        });
    }
    parsed
}
