//! dpkg and opkg status files.
//!
//! Rules used:
//! - The file is a sequence of paragraphs separated by blank lines (lines holding only spaces
//!   or tabs count as blank). A field is `Name: value`; a line starting with a space or a tab
//!   continues the previous field. Field names are matched case-insensitively. CRLF line ends
//!   are accepted; bytes that are not UTF-8 are replaced.
//! - A paragraph is an installed package when its `Status` (`want error status`) has the status
//!   word `installed`, `triggers-awaited` or `triggers-pending` (the package's files are on
//!   disk; the want flag is ignored, so `hold ok installed` counts). `config-files`,
//!   `not-installed`, `half-installed` and the rest are skipped silently. Paragraphs without a
//!   `Status` field (distroless `status.d/` files) are kept.
//! - `Package` and `Version` are required; a kept paragraph missing either is reported.
//! - dpkg `Source` is `name` or `name (version)`. Without it the source is the binary package
//!   itself. `source_version` is the version in parentheses, else the binary version.
//! - purl: `pkg:deb/debian/<name>@<version>?arch=<arch>`, with `upstream=<source>` when the
//!   source name differs, or `upstream=<source>@<source version>` when the source version
//!   differs from the binary's. opkg: `pkg:opkg/openwrt/<name>@<version>?arch=<arch>`.
//! - dpkg packages get ecosystem `Debian` (the collector corrects it from the detected OS),
//!   opkg ones `OpenWrt`. The `License` field (opkg) fills `licenses`.

use scry_inventory::purl::Purl;
use scry_inventory::{Cataloger, FileInfo, Package, Parsed};

use crate::diag;

/// Reads `var/lib/dpkg/status` and the files of `var/lib/dpkg/status.d/`.
pub struct DpkgCataloger;

/// Reads opkg's `usr/lib/opkg/status` (OpenWrt) and `var/lib/opkg/status`.
pub struct OpkgCataloger;

const STATUS_D: &str = "var/lib/dpkg/status.d/";

impl Cataloger for DpkgCataloger {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        if file.path == "var/lib/dpkg/status" {
            return true;
        }
        match file.path.strip_prefix(STATUS_D) {
            Some(rest) => !rest.is_empty() && !rest.contains('/') && !rest.ends_with(".md5sums"),
            None => false,
        }
    }

    fn parse(&self, file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
        parse_status(file.path, bytes, Flavor::Dpkg)
    }
}

impl Cataloger for OpkgCataloger {
    fn name(&self) -> &'static str {
        "opkg"
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        matches!(file.path, "usr/lib/opkg/status" | "var/lib/opkg/status")
    }

    fn parse(&self, file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
        parse_status(file.path, bytes, Flavor::Opkg)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Dpkg,
    Opkg,
}

/// One paragraph: its first line number (1-based) and its fields in order.
pub(crate) struct Paragraph {
    pub line: usize,
    pub fields: Vec<(String, String)>,
}

impl Paragraph {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// Splits a control file into paragraphs. Lines that are neither fields nor continuations are
/// reported through `bad` (line number, line) and otherwise ignored.
pub(crate) fn paragraphs(text: &str, mut bad: impl FnMut(usize, &str)) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let mut cur: Option<Paragraph> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let lineno = i + 1;
        if line.trim().is_empty() {
            if let Some(p) = cur.take() {
                out.push(p);
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            match cur.as_mut().and_then(|p| p.fields.last_mut()) {
                Some((_, v)) => {
                    v.push('\n');
                    v.push_str(line.trim());
                }
                None => bad(lineno, line),
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() && !k.contains(' ') => {
                let p = cur.get_or_insert_with(|| Paragraph {
                    line: lineno,
                    fields: Vec::new(),
                });
                p.fields.push((k.to_string(), v.trim().to_string()));
            }
            _ => bad(lineno, line),
        }
    }
    if let Some(p) = cur.take() {
        out.push(p);
    }
    out
}

/// Whether a `Status` value says the package's files are installed.
fn installed(status: &str) -> bool {
    matches!(
        status.split_whitespace().nth(2),
        Some("installed" | "triggers-awaited" | "triggers-pending")
    )
}

/// Splits dpkg's `Source` field: `name` or `name (version)`.
pub(crate) fn split_source(s: &str) -> (String, Option<String>) {
    match s.split_once('(') {
        Some((name, rest)) => {
            let v = rest.split(')').next().unwrap_or("").trim();
            (
                name.trim().to_string(),
                (!v.is_empty()).then(|| v.to_string()),
            )
        }
        None => (s.trim().to_string(), None),
    }
}

/// Shortens a line for a diagnostic.
pub(crate) fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

fn parse_status(path: &str, bytes: &[u8], flavor: Flavor) -> Parsed {
    let text = String::from_utf8_lossy(bytes);
    let mut parsed = Parsed::default();
    let mut bad_lines = 0usize;
    let mut first_bad = None;
    let paras = paragraphs(&text, |n, l| {
        bad_lines += 1;
        first_bad.get_or_insert((n, excerpt(l)));
    });
    if let Some((n, l)) = first_bad {
        parsed.diagnostics.push(diag(
            path,
            format!(
                "{bad_lines} line(s) are neither a field nor a continuation (first: line {n}: {l:?}); ignored"
            ),
        ));
    }
    for p in &paras {
        if let Some(status) = p.get("Status") {
            if !installed(status) {
                continue;
            }
        }
        let name = p.get("Package").unwrap_or("");
        let version = p.get("Version").unwrap_or("");
        if name.is_empty() || version.is_empty() {
            let what = if name.is_empty() {
                "no Package name".to_string()
            } else {
                format!("package {name:?} has no Version")
            };
            parsed.diagnostics.push(diag(
                path,
                format!("paragraph at line {}: {what}; skipped", p.line),
            ));
            continue;
        }
        let arch = p.get("Architecture").filter(|a| !a.is_empty());
        let (source_name, source_version) = match p.get("Source").filter(|s| !s.is_empty()) {
            Some(s) => {
                let (n, v) = split_source(s);
                (n, v.unwrap_or_else(|| version.to_string()))
            }
            None => (name.to_string(), version.to_string()),
        };
        let (ty, ns, ecosystem) = match flavor {
            Flavor::Dpkg => ("deb", "debian", "Debian"),
            Flavor::Opkg => ("opkg", "openwrt", "OpenWrt"),
        };
        let mut purl =
            Purl::new(ty, Some(ns), name, Some(version)).with("arch", arch.unwrap_or(""));
        if source_version != version {
            purl = purl.with("upstream", &format!("{source_name}@{source_version}"));
        } else if source_name != name {
            purl = purl.with("upstream", &source_name);
        }
        let licenses = p
            .get("License")
            .filter(|l| !l.is_empty())
            .map(|l| vec![l.to_string()])
            .unwrap_or_default();
        parsed.packages.push(Package {
            name: name.to_string(),
            version: version.to_string(),
            ecosystem: ecosystem.to_string(),
            purl: purl.to_string(),
            found_by: match flavor {
                Flavor::Dpkg => "dpkg",
                Flavor::Opkg => "opkg",
            }
            .to_string(),
            source_name: Some(source_name),
            source_version: Some(source_version),
            arch: arch.map(str::to_string),
            licenses,
            location: path.to_string(),
            layer: None,
        });
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_field_forms() {
        assert_eq!(split_source("gcc-8"), ("gcc-8".into(), None));
        assert_eq!(
            split_source("util-linux (2.31.1-0.4ubuntu3.6)"),
            ("util-linux".into(), Some("2.31.1-0.4ubuntu3.6".into()))
        );
        assert_eq!(
            split_source("x (unclosed"),
            ("x".into(), Some("unclosed".into()))
        );
        assert_eq!(split_source("x ()"), ("x".into(), None));
    }

    #[test]
    fn status_words() {
        assert!(installed("install ok installed"));
        assert!(installed("hold ok installed"));
        assert!(installed("install ok triggers-pending"));
        assert!(!installed("deinstall ok config-files"));
        assert!(!installed("install ok half-installed"));
        assert!(!installed("purge ok not-installed"));
        assert!(!installed(""));
    }
}
