//! Shared plumbing: collecting packages with per-file deduplication, diagnostics, path tests
//! and tolerant readers of parsed JSON/YAML/TOML values.

use std::collections::HashSet;

use scry_inventory::{Diagnostic, FileInfo, Package, Parsed};

/// At most this many diagnostics per file; one more says that the rest were left out.
const MAX_DIAGNOSTICS: usize = 50;

/// Collects the packages and diagnostics of one file.
pub(crate) struct Collector<'a> {
    location: &'a str,
    format: &'static str,
    found_by: &'static str,
    ecosystem: &'static str,
    seen: HashSet<(String, String)>,
    out: Parsed,
    dropped_diagnostics: usize,
}

impl<'a> Collector<'a> {
    /// `format` is a short human name of the file format used to prefix diagnostic reasons.
    pub fn new(
        file: &FileInfo<'a>,
        format: &'static str,
        found_by: &'static str,
        ecosystem: &'static str,
    ) -> Self {
        Collector {
            location: file.path,
            format,
            found_by,
            ecosystem,
            seen: HashSet::new(),
            out: Parsed::default(),
            dropped_diagnostics: 0,
        }
    }

    /// Adds a package unless the same (name, version) was already added from this file, or the
    /// name or version is empty. Returns the new package so callers can add licenses.
    pub fn add(&mut self, name: &str, version: &str, purl: String) -> Option<&mut Package> {
        let (name, version) = (name.trim(), version.trim());
        if name.is_empty() || version.is_empty() {
            return None;
        }
        if !self.seen.insert((name.to_string(), version.to_string())) {
            return None;
        }
        self.out.packages.push(Package {
            name: name.to_string(),
            version: version.to_string(),
            ecosystem: self.ecosystem.to_string(),
            purl,
            found_by: self.found_by.to_string(),
            source_name: None,
            source_version: None,
            arch: None,
            licenses: Vec::new(),
            location: self.location.to_string(),
            layer: None,
        });
        self.out.packages.last_mut()
    }

    /// Records something that could not be read.
    pub fn diag(&mut self, reason: impl std::fmt::Display) {
        if self.out.diagnostics.len() >= MAX_DIAGNOSTICS {
            self.dropped_diagnostics += 1;
            return;
        }
        self.out.diagnostics.push(Diagnostic {
            location: self.location.to_string(),
            reason: format!("{}: {}", self.format, reason),
        });
    }

    pub fn finish(mut self) -> Parsed {
        if self.dropped_diagnostics > 0 {
            self.out.diagnostics.push(Diagnostic {
                location: self.location.to_string(),
                reason: format!(
                    "{}: {} further problems not reported",
                    self.format, self.dropped_diagnostics
                ),
            });
        }
        self.out
    }
}

/// The last component of a `/`-separated path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The component before the last one (`""` when there is none).
pub(crate) fn parent_name(path: &str) -> &str {
    let mut it = path.rsplit('/');
    it.next();
    it.next().unwrap_or("")
}

/// Decodes UTF-8, reporting invalid input; used by formats whose parsers need `&str`.
pub(crate) fn utf8<'b>(c: &mut Collector<'_>, bytes: &'b [u8]) -> Option<&'b str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s.strip_prefix('\u{feff}').unwrap_or(s)),
        Err(e) => {
            c.diag(format_args!("not valid UTF-8 text: {e}"));
            None
        }
    }
}

/// Decodes text leniently (invalid sequences become U+FFFD), for line-oriented formats where the
/// rest of the file stays readable.
pub(crate) fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    String::from_utf8_lossy(bytes)
}

/// Parses JSON, reporting why it could not be. serde_json bounds nesting depth itself.
pub(crate) fn json(c: &mut Collector<'_>, bytes: &[u8]) -> Option<serde_json::Value> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match serde_json::from_slice(bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            c.diag(format_args!("invalid JSON: {e}"));
            None
        }
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.as_bytes().get(..offset).unwrap_or_default();
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line, col)
}

/// The start of the last line before `offset` that `is_boundary` accepts (a place where the
/// document can be cut and still be complete), if any.
fn last_boundary(text: &str, offset: usize, is_boundary: impl Fn(&str) -> bool) -> Option<usize> {
    let offset = offset.min(text.len());
    let mut best = None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        if start >= offset {
            break;
        }
        if start > 0 && is_boundary(line) {
            best = Some(start);
        }
        start += line.len();
    }
    best
}

/// Parses TOML, reporting why it could not be. After a syntax error, the tables before the
/// last table header preceding the error are still returned (a truncated lockfile keeps its
/// complete `[[package]]` entries).
pub(crate) fn toml_table(c: &mut Collector<'_>, bytes: &[u8]) -> Option<toml::Table> {
    let text = utf8(c, bytes)?;
    match text.parse::<toml::Table>() {
        Ok(t) => Some(t),
        Err(e) => {
            let at = e.span().map_or(text.len(), |s| s.start);
            let (line, col) = line_col(text, at);
            c.diag(format_args!(
                "invalid TOML at line {line} column {col}: {}; entries from there on were not read",
                clip(e.message().trim())
            ));
            let cut = last_boundary(text, at, |l| l.starts_with('['))?;
            text.get(..cut)?.parse::<toml::Table>().ok()
        }
    }
}

/// Parses YAML, reporting why it could not be. serde_yaml bounds nesting depth and alias
/// expansion itself. After a syntax error, the document up to the last entry (a line indented
/// by at most two spaces) before the error is still returned.
pub(crate) fn yaml(c: &mut Collector<'_>, bytes: &[u8]) -> Option<serde_yaml::Value> {
    let text = utf8(c, bytes)?;
    match serde_yaml::from_str::<serde_yaml::Value>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            c.diag(format_args!(
                "invalid YAML: {e}; entries from there on were not read"
            ));
            let at = e.location()?.index();
            let cut = last_boundary(text, at, |l| {
                let body = l.trim_start_matches(' ');
                let indent = l.len() - body.len();
                indent <= 2 && !body.trim().is_empty() && !body.starts_with(['#', '-'])
            })?;
            serde_yaml::from_str(text.get(..cut)?).ok()
        }
    }
}

/// A JSON string member of an object.
pub(crate) fn jstr<'v>(v: &'v serde_json::Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(serde_json::Value::as_str)
}

/// A TOML string member of a table.
pub(crate) fn tstr<'v>(v: &'v toml::Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(toml::Value::as_str)
}

/// A YAML scalar as text (strings as they are, numbers and booleans printed).
pub(crate) fn yscalar(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        serde_yaml::Value::Tagged(t) => yscalar(&t.value),
        _ => None,
    }
}

/// A short description of a JSON value's kind, for diagnostics.
pub(crate) fn jkind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Shortens text quoted in a diagnostic.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

/// Cataloger boilerplate: a unit struct whose `wants` and `parse` are plain functions.
macro_rules! cataloger {
    ($(#[$meta:meta])* $ty:ident, $name:literal, $wants:path, $parse:path) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $ty;

        impl scry_inventory::Cataloger for $ty {
            fn name(&self) -> &'static str {
                $name
            }
            fn wants(&self, file: &scry_inventory::FileInfo<'_>) -> bool {
                $wants(file.path)
            }
            fn parse(
                &self,
                file: &scry_inventory::FileInfo<'_>,
                bytes: &[u8],
            ) -> scry_inventory::Parsed {
                $parse(file, bytes)
            }
        }
    };
}
pub(crate) use cataloger;

#[cfg(test)]
pub(crate) mod testutil {
    use scry_inventory::{Cataloger, FileInfo, Parsed};

    pub fn run(c: &dyn Cataloger, path: &str, text: &str) -> Parsed {
        let f = FileInfo {
            path,
            size: text.len() as u64,
            executable: false,
        };
        assert!(c.wants(&f), "{} should want {path}", c.name());
        c.parse(&f, text.as_bytes())
    }

    pub fn pairs(p: &Parsed) -> Vec<(String, String)> {
        p.packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect()
    }

    pub fn has(p: &Parsed, name: &str, version: &str) -> bool {
        p.packages
            .iter()
            .any(|p| p.name == name && p.version == version)
    }
}
