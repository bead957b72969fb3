//! Python: installed distributions and lockfiles. Ecosystem `PyPI`; purl
//! `pkg:pypi/<PEP 503 normalized name>@<version>`; [`Package::name`] keeps the spelling of the
//! file (the matcher normalizes).
//!
//! - `python-dist-info`: `<anything>.dist-info/METADATA` (core metadata, RFC 822 style headers
//!   up to the first blank line): `Name`, `Version`, and the license from
//!   `License-Expression`, else a one-line `License` (multi-line `License` fields hold the
//!   whole license text and are not used).
//! - `python-egg-info`: `<anything>.egg-info/PKG-INFO` and single-file `<anything>.egg-info`;
//!   same format and rules.
//! - `python-requirements`: `requirements*.txt`. Only exact pins (`name==version` or
//!   `name===version`) are packages; ranges, URLs, VCS and local references are not. Comments
//!   (`#` at the start or after whitespace), line continuations (`\`), extras (`name[x]`),
//!   environment markers (`; python_version < "3"`) and per-requirement options
//!   (`--hash=...`) are removed. Option lines (`-r other.txt`, `-c`, `-e`, `--index-url`) are
//!   ignored without a diagnostic (the included file is read when the walker reaches it).
//! - `poetry-lock` (`poetry.lock`), `pdm-lock` (`pdm.lock`): every `[[package]]` with `name`
//!   and `version`.
//! - `pipfile-lock` (`Pipfile.lock`): the `default` and `develop` sections; `version` is
//!   `==x.y`; entries without a version (VCS, editable paths) are left out silently.
//! - `uv-lock` (`uv.lock`): every `[[package]]` except those whose `source` is `editable` or
//!   `virtual` (the project itself and local workspace members).
//!
//! [`Package::name`]: scry_inventory::Package::name

use scry_inventory::purl::Purl;
use scry_inventory::{FileInfo, Parsed};

use crate::common::{
    cataloger, clip, file_name, jkind, json, lossy, parent_name, toml_table, tstr, Collector,
};

const ECO: &str = "PyPI";

/// PEP 503 name normalization: lowercase, runs of `-`, `_` and `.` become one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for ch in name.trim().chars() {
        if matches!(ch, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(ch.to_lowercase());
            in_sep = false;
        }
    }
    out
}

fn purl(name: &str, version: &str) -> String {
    Purl::new("pypi", None, &normalize(name), Some(version)).to_string()
}

fn add(c: &mut Collector<'_>, name: &str, version: &str) {
    c.add(name, version, purl(name, version.trim()));
}

// ---------------------------------------------------------------------------------------------
// Core metadata (METADATA / PKG-INFO)

fn wants_dist_info(path: &str) -> bool {
    file_name(path) == "METADATA" && parent_name(path).ends_with(".dist-info")
}

fn wants_egg_info(path: &str) -> bool {
    (file_name(path) == "PKG-INFO" && parent_name(path).ends_with(".egg-info"))
        || file_name(path).ends_with(".egg-info")
}

fn parse_dist_info(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "dist-info METADATA", "python-dist-info", ECO);
    parse_metadata(&mut c, bytes);
    c.finish()
}

fn parse_egg_info(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "egg-info PKG-INFO", "python-egg-info", ECO);
    parse_metadata(&mut c, bytes);
    c.finish()
}

fn parse_metadata(c: &mut Collector<'_>, bytes: &[u8]) {
    let text = lossy(bytes);
    // (header, first line, has continuation lines)
    let mut headers: Vec<(&str, &str, bool)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break; // the body (long description) follows
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.2 = true;
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) => headers.push((k.trim(), v.trim(), false)),
            None => c.diag(format_args!("header line without ':': {:?}", clip(line))),
        }
    }
    let get = |key: &str| {
        headers
            .iter()
            .find(|(k, v, _)| k.eq_ignore_ascii_case(key) && !v.is_empty())
            .map(|(_, v, multi)| (*v, *multi))
    };
    let (Some((name, _)), Some((version, _))) = (get("Name"), get("Version")) else {
        c.diag("no Name or no Version header");
        return;
    };
    let license = match get("License-Expression") {
        Some((l, _)) => Some(l),
        None => get("License")
            .filter(|(l, multi)| !multi && !l.eq_ignore_ascii_case("UNKNOWN") && l.len() <= 200)
            .map(|(l, _)| l),
    };
    if let Some(p) = c.add(name, version, purl(name, version)) {
        if let Some(l) = license {
            p.licenses.push(l.to_string());
        }
    }
}

cataloger!(
    /// `python-dist-info`: `*.dist-info/METADATA` of installed wheels.
    PythonDistInfo,
    "python-dist-info",
    wants_dist_info,
    parse_dist_info
);

cataloger!(
    /// `python-egg-info`: `*.egg-info/PKG-INFO` and single-file `*.egg-info`.
    PythonEggInfo,
    "python-egg-info",
    wants_egg_info,
    parse_egg_info
);

// ---------------------------------------------------------------------------------------------
// requirements.txt

fn wants_requirements(path: &str) -> bool {
    let n = file_name(path);
    n.starts_with("requirements") && n.ends_with(".txt")
}

fn parse_requirements(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "requirements file", "python-requirements", ECO);
    let text = lossy(bytes);
    let mut logical = String::new();
    for raw in text.lines() {
        let line = strip_comment(raw);
        if let Some(head) = line.trim_end().strip_suffix('\\') {
            logical.push_str(head);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        requirement_line(&mut c, &logical);
        logical.clear();
    }
    if !logical.is_empty() {
        requirement_line(&mut c, &logical);
    }
    c.finish()
}

/// Removes a `#` comment: at the start of the line or preceded by whitespace.
fn strip_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for (i, &ch) in b.iter().enumerate() {
        if ch == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

fn requirement_line(c: &mut Collector<'_>, line: &str) {
    let line = line.trim();
    if line.is_empty() || line.starts_with('-') {
        return; // options: -r, -c, -e, --index-url, ...
    }
    // Per-requirement options (`--hash=...`) and markers.
    let line = match line.find(" -") {
        Some(i) => &line[..i],
        None => line,
    };
    let line = match line.find(';') {
        Some(i) => &line[..i],
        None => line,
    };
    if let Some((name, version)) = exact_pin(line) {
        add(c, name, version);
    }
}

/// `name[extras] == version` → (name, version), only for exact pins without wildcards.
fn exact_pin(req: &str) -> Option<(&str, &str)> {
    let req = req.trim();
    let name_end = req
        .find(|ch: char| !(ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.')))
        .unwrap_or(req.len());
    let name = &req[..name_end];
    if name.is_empty() || !name.starts_with(|ch: char| ch.is_ascii_alphanumeric()) {
        return None;
    }
    let mut rest = req[name_end..].trim_start();
    if let Some(after) = rest.strip_prefix('[') {
        rest = after.split_once(']')?.1.trim_start();
    }
    let version = rest
        .strip_prefix("===")
        .or_else(|| rest.strip_prefix("=="))?
        .trim();
    let valid = !version.is_empty()
        && version
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_' | '+' | '!'));
    valid.then_some((name, version))
}

cataloger!(
    /// `python-requirements`: exact pins of `requirements*.txt`.
    PythonRequirements,
    "python-requirements",
    wants_requirements,
    parse_requirements
);

// ---------------------------------------------------------------------------------------------
// TOML lockfiles: poetry.lock, pdm.lock, uv.lock

fn wants_poetry(path: &str) -> bool {
    file_name(path) == "poetry.lock"
}
fn wants_pdm(path: &str) -> bool {
    file_name(path) == "pdm.lock"
}
fn wants_uv(path: &str) -> bool {
    file_name(path) == "uv.lock"
}

fn parse_poetry(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    toml_packages(file, bytes, "poetry.lock", "poetry-lock", |_| false)
}
fn parse_pdm(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    toml_packages(file, bytes, "pdm.lock", "pdm-lock", |_| false)
}
fn parse_uv(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    toml_packages(file, bytes, "uv.lock", "uv-lock", |p| {
        p.get("source")
            .and_then(toml::Value::as_table)
            .is_some_and(|s| s.contains_key("editable") || s.contains_key("virtual"))
    })
}

/// Reads `[[package]]` tables with `name` and `version`, leaving out those `skip` says.
fn toml_packages(
    file: &FileInfo<'_>,
    bytes: &[u8],
    format: &'static str,
    found_by: &'static str,
    skip: impl Fn(&toml::Value) -> bool,
) -> Parsed {
    let mut c = Collector::new(file, format, found_by, ECO);
    let Some(doc) = toml_table(&mut c, bytes) else {
        return c.finish();
    };
    match doc.get("package") {
        None => {}
        Some(toml::Value::Array(pkgs)) => {
            for (i, p) in pkgs.iter().enumerate() {
                if skip(p) {
                    continue;
                }
                match (tstr(p, "name"), tstr(p, "version")) {
                    (Some(n), Some(v)) => add(&mut c, n, v),
                    _ => c.diag(format_args!("package #{} has no name or no version", i + 1)),
                }
            }
        }
        Some(_) => c.diag("`package` is not an array of tables"),
    }
    c.finish()
}

cataloger!(
    /// `poetry-lock`: `poetry.lock`.
    PoetryLock,
    "poetry-lock",
    wants_poetry,
    parse_poetry
);
cataloger!(
    /// `pdm-lock`: `pdm.lock`.
    PdmLock,
    "pdm-lock",
    wants_pdm,
    parse_pdm
);
cataloger!(
    /// `uv-lock`: `uv.lock`, without the editable/virtual project itself.
    UvLock,
    "uv-lock",
    wants_uv,
    parse_uv
);

// ---------------------------------------------------------------------------------------------
// Pipfile.lock

fn wants_pipfile(path: &str) -> bool {
    file_name(path) == "Pipfile.lock"
}

fn parse_pipfile(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "Pipfile.lock", "pipfile-lock", ECO);
    let Some(doc) = json(&mut c, bytes) else {
        return c.finish();
    };
    if !doc.is_object() {
        c.diag(format_args!("top level is {}, not an object", jkind(&doc)));
        return c.finish();
    }
    for section in ["default", "develop"] {
        let Some(v) = doc.get(section) else { continue };
        let Some(entries) = v.as_object() else {
            c.diag(format_args!("`{section}` is {}, not an object", jkind(v)));
            continue;
        };
        for (name, entry) in entries {
            let Some(version) = entry.get("version") else {
                continue; // VCS or path requirement
            };
            match version.as_str() {
                Some(v) => {
                    let v = v.trim();
                    let v = v
                        .strip_prefix("===")
                        .or_else(|| v.strip_prefix("=="))
                        .unwrap_or(v);
                    add(&mut c, name, v);
                }
                None => c.diag(format_args!(
                    "`{section}.{}`: version is {}, not a string",
                    clip(name),
                    jkind(version)
                )),
            }
        }
    }
    c.finish()
}

cataloger!(
    /// `pipfile-lock`: `Pipfile.lock` (`default` and `develop`).
    PipfileLock,
    "pipfile-lock",
    wants_pipfile,
    parse_pipfile
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::testutil::{has, pairs, run};

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize("Foo.Bar__baz-Qux"), "foo-bar-baz-qux");
        assert_eq!(purl("Django_REST", "1.0"), "pkg:pypi/django-rest@1.0");
    }

    #[test]
    fn requirements_rules() {
        let text = "\
# comment
-r base.txt
--index-url https://example.org/simple
-e git+https://github.com/x/y.git#egg=y
requests==2.31.0  # trailing comment
Flask[async,dotenv] == 2.3.2 ; python_version >= \"3.8\"
urllib3==1.26.5 \\
    --hash=sha256:aaaa \\
    --hash=sha256:bbbb
django>=3.2
numpy==1.*
pandas==2.0.0,<3
pkg @ https://example.org/pkg-1.0.tar.gz
Zope.Interface===5.4.0
requests==2.31.0
attrs==23.1.0 \\
";
        let p = run(&PythonRequirements, "app/requirements-dev.txt", text);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(
            pairs(&p),
            [
                ("requests", "2.31.0"),
                ("Flask", "2.3.2"),
                ("urllib3", "1.26.5"),
                ("Zope.Interface", "5.4.0"),
                ("attrs", "23.1.0"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert_eq!(p.packages[1].purl, "pkg:pypi/flask@2.3.2");
        assert_eq!(p.packages[3].purl, "pkg:pypi/zope-interface@5.4.0");
        assert_eq!(p.packages[0].location, "app/requirements-dev.txt");
    }

    #[test]
    fn requirements_wants() {
        let f = |path| FileInfo {
            path,
            size: 1,
            executable: false,
        };
        use scry_inventory::Cataloger;
        assert!(PythonRequirements.wants(&f("requirements.txt")));
        assert!(PythonRequirements.wants(&f("src/requirements-test.txt")));
        assert!(!PythonRequirements.wants(&f("src/requirements.in")));
        assert!(!PythonRequirements.wants(&f("src/dev-requirements.txt")));
    }

    #[test]
    fn egg_info_file_and_dir() {
        let text = "Metadata-Version: 1.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n\nbody";
        for path in [
            "usr/lib/python3/dist-packages/six-1.16.0.egg-info",
            "usr/lib/python3/site-packages/six-1.16.0-py3.9.egg-info/PKG-INFO",
        ] {
            let p = run(&PythonEggInfo, path, text);
            assert_eq!(pairs(&p), [("six".to_string(), "1.16.0".to_string())]);
            assert_eq!(p.packages[0].licenses, ["MIT"]);
            assert_eq!(p.packages[0].found_by, "python-egg-info");
        }
    }

    #[test]
    fn metadata_multiline_license_and_missing_version() {
        let text = "Name: x\nVersion: 1\nLicense: Copyright 2020\n        Permission is...\n\n";
        let p = run(&PythonDistInfo, "x-1.dist-info/METADATA", text);
        assert!(has(&p, "x", "1"));
        assert!(p.packages[0].licenses.is_empty());
        let p = run(&PythonDistInfo, "x-1.dist-info/METADATA", "Name: x\n");
        assert!(p.packages.is_empty());
        assert!(p.diagnostics[0].reason.contains("no Name or no Version"));
        assert_eq!(p.diagnostics[0].location, "x-1.dist-info/METADATA");
    }
}
