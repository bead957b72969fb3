//! Maven coordinates of Java archives (`java-archive`, ecosystem `Maven`).
//!
//! Rules:
//! - Archives are recognised by name: `.jar .war .ear .jpi .hpi .par .sar .nar`
//!   (case-insensitive, see [`is_archive_name`]); they are read as zip files.
//! - Members with such names (`WEB-INF/lib/x.jar`, `BOOT-INF/lib/x.jar`, `lib/x.jar`, or
//!   anywhere else) are opened as nested archives, at most [`MAX_DEPTH`] levels below the
//!   scanned file; their packages are located at `outer!member` (`app.war!WEB-INF/lib/x.jar`).
//! - Per archive, each `META-INF/maven/**/pom.properties` with `groupId`, `artifactId` and
//!   `version` gives a package named `groupId:artifactId` (several in shaded jars).
//! - When no `pom.properties` gives one, the main section of `META-INF/MANIFEST.MF` (with its
//!   72-byte continuation lines joined) and the file name are combined, less reliably:
//!   version from `Implementation-Version`, else `Bundle-Version`, else
//!   `Specification-Version`, else the file name; artifactId from the file name
//!   (`name-1.2.3.jar`: split before the first `-` followed by a digit), else
//!   `Implementation-Title` or `Specification-Title` when it is a single word, else the last
//!   dot-separated part of `Bundle-SymbolicName`; groupId from `Implementation-Vendor-Id`,
//!   else `Bundle-SymbolicName` when it ends with `.<artifactId>` (the part before), else
//!   none: the package is then named by its artifactId alone, which advisories (keyed by
//!   `groupId:artifactId`) will not match, but it is listed. An archive yielding no version
//!   gives no package and no diagnostic (plain application jars are common).
//! - Hostile archives: at most [`MAX_TOTAL_BYTES`] uncompressed bytes are read over a whole
//!   file (all nesting levels), no member expands more than [`MAX_RATIO`] times its
//!   compressed size (past the first MiB), `pom.properties` and `MANIFEST.MF` members are
//!   read up to 1 MiB, and at most [`MAX_ENTRIES`] entries of one archive are looked at.
//!   What is cut off, and archives that are not readable zips, give diagnostics.

use std::io::{Cursor, Read};

use scry_inventory::purl::Purl;
use scry_inventory::{Cataloger, Diagnostic, FileInfo, Package, Parsed};
use zip::ZipArchive;

/// Extensions of Java archives, lowercase, with the dot.
const EXTENSIONS: [&str; 8] = [
    ".jar", ".war", ".ear", ".jpi", ".hpi", ".par", ".sar", ".nar",
];
/// Largest archive file read.
const MAX_FILE: u64 = 256 << 20;
/// Deepest nesting of archives opened below the scanned file.
pub const MAX_DEPTH: usize = 4;
/// Uncompressed bytes read from one file, over all nested archives.
pub const MAX_TOTAL_BYTES: u64 = 512 << 20;
/// Largest expansion of one member, once past its first MiB.
pub const MAX_RATIO: u64 = 100;
const RATIO_GRACE: u64 = 1 << 20;
/// Largest metadata member (`pom.properties`, `MANIFEST.MF`) read.
const MAX_METADATA: u64 = 1 << 20;
/// Most entries looked at in one archive.
pub const MAX_ENTRIES: usize = 100_000;

/// Whether a path names a Java archive by its extension (`.jar`, `.war`, `.ear`, `.jpi`,
/// `.hpi`, `.par`, `.sar`, `.nar`, any case).
pub fn is_archive_name(path: &str) -> bool {
    let b = path.as_bytes();
    b.len() > 4
        && b[b.len() - 5] != b'/'
        && EXTENSIONS
            .iter()
            .any(|e| b[b.len() - 4..].eq_ignore_ascii_case(e.as_bytes()))
}

/// Reads Maven coordinates from Java archives; `found_by` `java-archive`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JavaArchiveCataloger;

impl Cataloger for JavaArchiveCataloger {
    fn name(&self) -> &'static str {
        "java-archive"
    }

    /// By name only: a larger archive than [`Cataloger::max_size`] is then reported as
    /// skipped by the collector rather than silently ignored.
    fn wants(&self, file: &FileInfo<'_>) -> bool {
        is_archive_name(file.path)
    }

    fn max_size(&self) -> u64 {
        MAX_FILE
    }

    fn parse(&self, file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
        let mut walk = Walk::new(MAX_TOTAL_BYTES);
        walk.archive(bytes, file.path, 0);
        walk.parsed
    }
}

struct Walk {
    /// Uncompressed bytes allowed in all.
    limit: u64,
    /// Uncompressed bytes still allowed.
    budget: u64,
    budget_reported: bool,
    parsed: Parsed,
}

type Zip<'a> = ZipArchive<Cursor<&'a [u8]>>;

impl Walk {
    fn new(limit: u64) -> Walk {
        Walk {
            limit,
            budget: limit,
            budget_reported: false,
            parsed: Parsed::default(),
        }
    }

    fn budget_exhausted(&mut self, location: &str) {
        if !self.budget_reported {
            self.budget_reported = true;
            let reason = format!(
                "read {} uncompressed bytes from this file; the rest of it is not read",
                self.limit
            );
            self.diag(location, reason);
        }
    }

    fn diag(&mut self, location: &str, reason: String) {
        self.parsed.diagnostics.push(Diagnostic {
            location: location.to_string(),
            reason,
        });
    }

    /// Reads one archive (the scanned file at depth 0, or a nested one).
    fn archive(&mut self, data: &[u8], location: &str, depth: usize) {
        let mut zip = match ZipArchive::new(Cursor::new(data)) {
            Ok(z) => z,
            Err(e) => {
                self.diag(location, format!("not a readable zip archive: {e}"));
                return;
            }
        };
        if zip.len() > MAX_ENTRIES {
            self.diag(
                location,
                format!(
                    "archive has {} entries; only the first {MAX_ENTRIES} are looked at",
                    zip.len()
                ),
            );
        }
        let mut poms = Vec::new();
        let mut manifest = None;
        let mut nested = Vec::new();
        for i in 0..zip.len().min(MAX_ENTRIES) {
            let Some(name) = zip.name_for_index(i) else {
                continue;
            };
            if name.ends_with('/') {
                continue;
            }
            if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
                poms.push((i, name.to_string()));
            } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
                manifest = Some(i);
            } else if is_archive_name(name) {
                nested.push((i, name.to_string()));
            }
        }

        let mut found = Vec::new();
        for (i, name) in poms {
            let member = format!("{location}!{name}");
            let Some(bytes) = self.member(&mut zip, i, MAX_METADATA, &member) else {
                continue;
            };
            let props = properties(&String::from_utf8_lossy(&bytes));
            let get = |k: &str| {
                props
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("")
            };
            let (g, a, v) = (get("groupId"), get("artifactId"), get("version"));
            if g.is_empty() || a.is_empty() || v.is_empty() {
                self.diag(
                    &member,
                    "pom.properties lacks groupId, artifactId or version".to_string(),
                );
            } else if v.contains("${") {
                self.diag(
                    &member,
                    format!("pom.properties version {v:?} is an unresolved property"),
                );
            } else {
                found.push(package(Some(g), a, v, location));
            }
        }
        if found.is_empty() {
            let attrs = match manifest {
                Some(i) => {
                    let member = format!("{location}!META-INF/MANIFEST.MF");
                    self.member(&mut zip, i, MAX_METADATA, &member)
                        .map(|b| manifest_main(&String::from_utf8_lossy(&b)))
                        .unwrap_or_default()
                }
                None => Vec::new(),
            };
            let file_name = location.rsplit(['/', '!']).next().unwrap_or(location);
            if let Some(p) = fallback(&attrs, file_name, location) {
                found.push(p);
            }
        }
        for p in found {
            if !self.parsed.packages.contains(&p) {
                self.parsed.packages.push(p);
            }
        }

        for (i, name) in nested {
            let member = format!("{location}!{name}");
            if depth + 1 > MAX_DEPTH {
                self.diag(
                    &member,
                    format!("archive nested more than {MAX_DEPTH} levels deep; not opened"),
                );
                continue;
            }
            if let Some(bytes) = self.member(&mut zip, i, MAX_FILE, &member) {
                self.archive(&bytes, &member, depth + 1);
            }
        }
    }

    /// Decompresses one member, at most `max` bytes and within the budget and ratio limits.
    fn member(&mut self, zip: &mut Zip<'_>, i: usize, max: u64, location: &str) -> Option<Vec<u8>> {
        if self.budget == 0 {
            self.budget_exhausted(location);
            return None;
        }
        let mut f = match zip.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                self.diag(location, format!("cannot open archive member: {e}"));
                return None;
            }
        };
        let declared = f.size();
        if declared > max {
            drop(f);
            self.diag(
                location,
                format!("member is {declared} bytes uncompressed, more than the {max} read"),
            );
            return None;
        }
        let ratio_cap = f
            .compressed_size()
            .saturating_mul(MAX_RATIO)
            .max(RATIO_GRACE);
        let cap = max.min(ratio_cap).min(self.budget);
        let mut out = Vec::with_capacity(declared.min(cap).min(RATIO_GRACE) as usize);
        let res = (&mut f).take(cap + 1).read_to_end(&mut out);
        drop(f);
        self.budget = self.budget.saturating_sub(out.len() as u64);
        if let Err(e) = res {
            self.diag(location, format!("cannot decompress archive member: {e}"));
            return None;
        }
        let got = out.len() as u64;
        if got > cap {
            if got > ratio_cap {
                self.diag(
                    location,
                    format!(
                        "member expands more than {MAX_RATIO} times its compressed size \
                         (zip bomb?); not read"
                    ),
                );
            } else if got > max {
                self.diag(
                    location,
                    format!("member is more than the {max} bytes read"),
                );
            } else {
                self.budget = 0;
                self.budget_exhausted(location);
            }
            return None;
        }
        Some(out)
    }
}

fn package(group: Option<&str>, artifact: &str, version: &str, location: &str) -> Package {
    let group = group.filter(|g| !g.is_empty());
    Package {
        name: match group {
            Some(g) => format!("{g}:{artifact}"),
            None => artifact.to_string(),
        },
        version: version.to_string(),
        ecosystem: "Maven".to_string(),
        purl: Purl::new("maven", group, artifact, Some(version)).to_string(),
        found_by: "java-archive".to_string(),
        source_name: None,
        source_version: None,
        arch: None,
        licenses: Vec::new(),
        location: location.to_string(),
        layer: None,
    }
}

/// Java `.properties`: `key=value`, `key:value` or `key value`; `#`/`!` comments; a
/// trailing backslash continues the line. Escapes other than continuation are kept as is
/// (coordinates do not use them).
fn properties(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut logical = String::new();
    for raw in text.lines() {
        let line = raw.trim_start();
        if logical.is_empty() && (line.is_empty() || line.starts_with(['#', '!'])) {
            continue;
        }
        let trailing = line.len() - line.trim_end_matches('\\').len();
        if trailing % 2 == 1 {
            logical.push_str(&line[..line.len() - 1]);
            continue;
        }
        logical.push_str(line);
        let entry = std::mem::take(&mut logical);
        let cut = entry.find(['=', ':', ' ', '\t']).unwrap_or(entry.len());
        let key = entry[..cut].trim();
        let rest = entry[cut..].trim_start();
        let value = rest.strip_prefix(['=', ':']).unwrap_or(rest).trim();
        out.push((key.to_string(), value.to_string()));
    }
    out
}

/// The attributes of a manifest's main section (up to the first blank line), continuation
/// lines (starting with one space) joined, keys as written.
fn manifest_main(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)) {
        if line.is_empty() {
            break;
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some((_, v)) = out.last_mut() {
                v.push_str(cont);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim_start().to_string()));
        }
    }
    for (_, v) in &mut out {
        *v = v.trim().to_string();
    }
    out
}

/// `name-1.2.3.jar` → (`name`, `1.2.3`): split before the first `-` followed by a digit.
fn split_file_name(file_name: &str) -> Option<(&str, &str)> {
    let stem = &file_name[..file_name.rfind('.').unwrap_or(file_name.len())];
    let b = stem.as_bytes();
    let at = (2..b.len()).find(|&i| b[i - 1] == b'-' && b[i].is_ascii_digit())?;
    Some((&stem[..at - 1], &stem[at..]))
}

/// The MANIFEST.MF and file-name heuristic (see the module documentation).
fn fallback(attrs: &[(String, String)], file_name: &str, location: &str) -> Option<Package> {
    let attr = |k: &str| {
        attrs
            .iter()
            .find(|(key, v)| key.eq_ignore_ascii_case(k) && !v.is_empty())
            .map(|(_, v)| v.as_str())
    };
    let word = |v: &str| !v.contains(char::is_whitespace);
    let from_name = split_file_name(file_name);
    // Bundle-SymbolicName may carry directives: `org.foo.bar;singleton:=true`.
    let symbolic = attr("Bundle-SymbolicName").map(|s| s.split(';').next().unwrap_or(s).trim());
    let version = attr("Implementation-Version")
        .or_else(|| attr("Bundle-Version"))
        .or_else(|| attr("Specification-Version"))
        .or(from_name.map(|(_, v)| v))
        .filter(|v| word(v))?;
    let artifact = from_name
        .map(|(a, _)| a)
        .or_else(|| attr("Implementation-Title").filter(|t| word(t)))
        .or_else(|| attr("Specification-Title").filter(|t| word(t)))
        .or_else(|| symbolic.and_then(|s| s.rsplit('.').next()))
        .filter(|a| !a.is_empty())?;
    let group = attr("Implementation-Vendor-Id")
        .filter(|g| word(g))
        .or_else(|| {
            symbolic.and_then(|s| {
                s.strip_suffix(artifact)
                    .and_then(|g| g.strip_suffix('.'))
                    .filter(|g| !g.is_empty())
            })
        });
    Some(package(group, artifact, version, location))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_names() {
        for yes in [
            "a.jar",
            "x/y/app.WAR",
            "b.ear",
            "p.jpi",
            "p.hpi",
            "a.par",
            "s.sar",
            "n.nar",
        ] {
            assert!(is_archive_name(yes), "{yes}");
        }
        for no in ["a.zip", "jar", ".jar", "x/.jar", "a.jar/", "a.jarx", ""] {
            assert!(!is_archive_name(no), "{no}");
        }
    }

    #[test]
    fn properties_format() {
        let p = properties(
            "#c\n! c\n  groupId = org.x\nartifactId:lib\\\n   -core\nversion 1.0\n\nempty=\n",
        );
        assert_eq!(
            p,
            [
                ("groupId".into(), "org.x".into()),
                ("artifactId".into(), "lib-core".into()),
                ("version".into(), "1.0".into()),
                ("empty".into(), String::new()),
            ]
        );
    }

    #[test]
    fn manifest_continuations() {
        let m = manifest_main(
            "Manifest-Version: 1.0\r\nBundle-SymbolicName: org.example.very.long.na\r\n me.lib\r\n\
             Implementation-Version: 2.0\r\n\r\nName: x\r\nImplementation-Version: 9\r\n",
        );
        assert_eq!(
            m,
            [
                ("Manifest-Version".into(), "1.0".into()),
                (
                    "Bundle-SymbolicName".into(),
                    "org.example.very.long.name.lib".into()
                ),
                ("Implementation-Version".into(), "2.0".into()),
            ]
        );
    }

    #[test]
    fn file_names() {
        assert_eq!(
            split_file_name("commons-lang3-3.11.jar"),
            Some(("commons-lang3", "3.11"))
        );
        assert_eq!(
            split_file_name("guava-31.1-jre.jar"),
            Some(("guava", "31.1-jre"))
        );
        assert_eq!(split_file_name("app.jar"), None);
        assert_eq!(split_file_name("-1.jar"), None);
    }

    fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, content) in members {
            w.start_file(*name, opts).unwrap();
            w.write_all(content).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn total_budget() {
        let pom = b"groupId=g\nartifactId=a\nversion=1\n";
        let inner = zip(&[(
            "META-INF/maven/g/b/pom.properties",
            b"groupId=g\nartifactId=b\nversion=2\n",
        )]);
        let outer = zip(&[
            ("META-INF/maven/g/a/pom.properties", pom),
            ("lib/b-2.jar", &inner),
            ("lib/c-3.jar", &inner),
        ]);
        // Enough for the pom and one nested jar, not for the second.
        let mut walk = Walk::new((pom.len() + inner.len() + 50) as u64);
        walk.archive(&outer, "x.jar", 0);
        let names: Vec<_> = walk
            .parsed
            .packages
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["g:a", "g:b"]);
        assert_eq!(
            walk.parsed.diagnostics.len(),
            1,
            "{:?}",
            walk.parsed.diagnostics
        );
        assert_eq!(walk.parsed.diagnostics[0].location, "x.jar!lib/c-3.jar");
        assert!(walk.parsed.diagnostics[0]
            .reason
            .contains("the rest of it is not read"));

        let mut walk = Walk::new(MAX_TOTAL_BYTES);
        walk.archive(&outer, "x.jar", 0);
        assert_eq!(walk.parsed.packages.len(), 3);
        assert_eq!(walk.parsed.diagnostics, []);
    }

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn fallback_rules() {
        let p = fallback(
            &attrs(&[
                ("Bundle-SymbolicName", "com.example.widget;singleton:=true"),
                ("Bundle-Version", "1.2.0.v2020"),
                ("Implementation-Version", "1.2.0"),
            ]),
            "widget-1.2.jar",
            "lib/widget-1.2.jar",
        )
        .unwrap();
        assert_eq!(p.name, "com.example:widget");
        assert_eq!(p.version, "1.2.0");
        assert_eq!(p.purl, "pkg:maven/com.example/widget@1.2.0");
        let p = fallback(
            &attrs(&[
                ("Implementation-Title", "tool"),
                ("Implementation-Vendor-Id", "org.acme"),
                ("Specification-Version", "3"),
            ]),
            "tool.jar",
            "tool.jar",
        )
        .unwrap();
        assert_eq!((&*p.name, &*p.version), ("org.acme:tool", "3"));
        let p = fallback(&[], "plain-0.9.jar", "x/plain-0.9.jar").unwrap();
        assert_eq!(
            (&*p.name, &*p.version, &*p.purl),
            ("plain", "0.9", "pkg:maven/plain@0.9")
        );
        assert_eq!(
            fallback(
                &attrs(&[("Implementation-Title", "My App")]),
                "app.jar",
                "app.jar"
            ),
            None
        );
    }
}
