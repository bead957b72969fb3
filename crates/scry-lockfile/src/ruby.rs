//! Ruby: `Gemfile.lock` and installed gem specifications. Ecosystem `RubyGems`; purl
//! `pkg:gem/<name>@<version>`.
//!
//! - `gemfile-lock`: `Gemfile.lock` (also `gems.locked`). Only the `specs:` of `GEM` sections
//!   (gems from a gem server; `PATH` and `GIT` sections are local or git checkouts). A spec is
//!   a line indented by exactly four spaces, `name (version)`; a platform suffix
//!   (`1.13.6-x86_64-linux`, `-java`) is kept out of the version (RubyGems versions have no
//!   `-`). Six-space lines are the specs' own dependencies and are skipped.
//! - `gemspec`: installed specifications, `…/specifications/*.gemspec`. The block variable of
//!   `Gem::Specification.new do |s|` (any name; `s` and `spec` otherwise) gives the
//!   assignments read: `s.name = "..."`, `s.version = "..."` (also `Gem::Version.new("...")`),
//!   `s.license(s) = ...` (every quoted string); `.freeze` is ignored. When name or version is
//!   missing, the `# stub: <name> <version> ...` comment RubyGems writes first is used.

use scry_inventory::purl::Purl;
use scry_inventory::{FileInfo, Parsed};

use crate::common::{cataloger, clip, file_name, lossy, parent_name, Collector};

const ECO: &str = "RubyGems";

/// The gem purl.
pub fn purl(name: &str, version: &str) -> String {
    Purl::new("gem", None, name, Some(version)).to_string()
}

// ---------------------------------------------------------------------------------------------
// Gemfile.lock

fn wants_gemfile_lock(path: &str) -> bool {
    matches!(file_name(path), "Gemfile.lock" | "gems.locked")
}

fn parse_gemfile_lock(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "Gemfile.lock", "gemfile-lock", ECO);
    let text = lossy(bytes);
    let mut in_gem = false;
    let mut in_specs = false;
    for (no, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            in_gem = line == "GEM";
            in_specs = false;
            continue;
        }
        if !in_gem {
            continue;
        }
        let body = line.trim_start();
        let indent = line.len() - body.len();
        match indent {
            2 => in_specs = body == "specs:",
            4 if in_specs => match spec_line(body) {
                Some((name, version)) => {
                    c.add(name, version, purl(name, version));
                }
                None => c.diag(format_args!(
                    "line {}: spec is not `name (version)`: {:?}",
                    no + 1,
                    clip(body)
                )),
            },
            _ => {}
        }
    }
    c.finish()
}

/// `name (version[-platform])`.
fn spec_line(s: &str) -> Option<(&str, &str)> {
    let (name, rest) = s.split_once(" (")?;
    let version = rest.strip_suffix(')')?;
    let version = version.split('-').next().unwrap_or(version).trim();
    let name = name.trim();
    let ok = !name.is_empty() && !name.contains(' ') && !version.is_empty();
    ok.then_some((name, version))
}

cataloger!(
    /// `gemfile-lock`: the `GEM` specs of `Gemfile.lock`.
    GemfileLock,
    "gemfile-lock",
    wants_gemfile_lock,
    parse_gemfile_lock
);

// ---------------------------------------------------------------------------------------------
// Installed .gemspec

fn wants_gemspec(path: &str) -> bool {
    file_name(path).ends_with(".gemspec") && parent_name(path) == "specifications"
}

/// The quoted strings of a Ruby expression (`"..."` and `'...'`, simple escapes).
fn quoted_strings(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(ch) = chars.next() {
        if ch == '#' {
            break; // comment
        }
        if ch != '"' && ch != '\'' {
            continue;
        }
        let mut cur = String::new();
        let mut closed = false;
        while let Some(c2) = chars.next() {
            if c2 == ch {
                closed = true;
                break;
            }
            if c2 == '\\' {
                if let Some(e) = chars.next() {
                    cur.push(e);
                }
                continue;
            }
            cur.push(c2);
        }
        if closed {
            out.push(cur);
        }
    }
    out
}

fn parse_gemspec(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "gemspec", "gemspec", ECO);
    let text = lossy(bytes);
    let mut var: Option<String> = None;
    let mut name: Option<String> = None;
    let mut version: Option<String> = None;
    let mut licenses: Vec<String> = Vec::new();
    let mut stub: Option<(String, String)> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("# stub:") {
            let mut it = rest.split_whitespace();
            if let (Some(n), Some(v)) = (it.next(), it.next()) {
                stub = Some((n.to_string(), v.to_string()));
            }
            continue;
        }
        if line.contains("Gem::Specification.new") {
            if let Some(v) = line.split('|').nth(1) {
                let v = v.trim();
                if !v.is_empty() && v.chars().all(|ch| ch.is_alphanumeric() || ch == '_') {
                    var = Some(v.to_string());
                }
            }
            continue;
        }
        let Some((lhs, rhs)) = line.split_once('=') else {
            continue;
        };
        let Some((obj, attr)) = lhs.trim().split_once('.') else {
            continue;
        };
        let is_var = match &var {
            Some(v) => obj == v,
            None => obj == "s" || obj == "spec",
        };
        if !is_var {
            continue;
        }
        let first = || quoted_strings(rhs).into_iter().next();
        match attr.trim() {
            "name" if name.is_none() => name = first(),
            "version" if version.is_none() => version = first(),
            "license" | "licenses" => licenses.extend(quoted_strings(rhs).into_iter().take(16)),
            _ => {}
        }
    }
    if let Some((n, v)) = stub {
        name.get_or_insert(n);
        version.get_or_insert(v);
    }
    match (name, version) {
        (Some(n), Some(v)) => {
            if let Some(p) = c.add(&n, &v, purl(n.trim(), v.trim())) {
                licenses.retain(|l| !l.trim().is_empty());
                p.licenses = licenses;
            }
        }
        _ => c.diag("no name or no version assignment"),
    }
    c.finish()
}

cataloger!(
    /// `gemspec`: installed `specifications/*.gemspec`.
    Gemspec,
    "gemspec",
    wants_gemspec,
    parse_gemspec
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::testutil::{pairs, run};

    #[test]
    fn platform_suffix_and_sections() {
        let text = "GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.13.6-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.6.0)\n    broken\n\nGIT\n  remote: x\n  specs:\n    fromgit (1.0.0)\n\nGEM\n  remote: https://other.example/\n  specs:\n    other (2.0.0-java)\n    racc (1.6.0)\n";
        let p = run(&GemfileLock, "Gemfile.lock", text);
        assert_eq!(
            pairs(&p),
            [
                ("nokogiri", "1.13.6"),
                ("racc", "1.6.0"),
                ("other", "2.0.0")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert_eq!(p.packages[0].purl, "pkg:gem/nokogiri@1.13.6");
        assert_eq!(p.diagnostics.len(), 1);
        assert!(p.diagnostics[0].reason.contains("line 7"));
    }

    #[test]
    fn gemspec_forms() {
        let text = "Gem::Specification.new do |spec|\n  spec.name    = 'rack'\n  spec.version = Gem::Version.new(\"2.2.4\")\n  spec.license = 'MIT'\n  s.name = \"ignored\"\nend\n";
        let p = run(&Gemspec, "gems/specifications/rack-2.2.4.gemspec", text);
        assert_eq!(pairs(&p), [("rack".into(), "2.2.4".into())]);
        assert_eq!(p.packages[0].licenses, ["MIT"]);
        let p = run(
            &Gemspec,
            "specifications/x.gemspec",
            "# stub: x 1.0 ruby lib\n",
        );
        assert_eq!(pairs(&p), [("x".into(), "1.0".into())]);
        let p = run(
            &Gemspec,
            "specifications/x.gemspec",
            "garbage \"unterminated",
        );
        assert!(p.packages.is_empty());
        assert!(p.diagnostics[0].reason.contains("no name"));
        assert!(!wants_gemspec("src/x.gemspec"));
    }
}
