//! Ecosystem names as the OSV schema spells them, and each ecosystem's package-name rules.

use std::fmt;

/// An OSV ecosystem: a base name (`Debian`) and, for distributions, a release (`12`).
///
/// `Ubuntu:22.04:LTS` has base `Ubuntu` and release `22.04:LTS`; the release is everything after
/// the first colon, as OSV defines it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ecosystem {
    pub base: String,
    pub release: Option<String>,
}

/// OSV's spelling of every ecosystem base Scry knows; user input is matched case-insensitively
/// against it.
const KNOWN: &[&str] = &[
    "AlmaLinux",
    "Alpine",
    "Android",
    "Azure Linux",
    "Bitnami",
    "Chainguard",
    "CRAN",
    "crates.io",
    "Debian",
    "GHC",
    "GitHub Actions",
    "Go",
    "Hackage",
    "Hex",
    "Linux",
    "Mageia",
    "Maven",
    "MinimOS",
    "npm",
    "NuGet",
    "openEuler",
    "openSUSE",
    "OSS-Fuzz",
    "Packagist",
    "Photon OS",
    "Pub",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "RubyGems",
    "SUSE",
    "SwiftURL",
    "Ubuntu",
    "Wolfi",
    "Echo",
];

impl Ecosystem {
    /// Parse an OSV ecosystem string. The base is put in OSV's spelling when it is a known one
    /// (`pypi` becomes `PyPI`); an unknown base is kept as given.
    pub fn parse(s: &str) -> Ecosystem {
        let s = s.trim();
        let (base, release) = match s.split_once(':') {
            Some((b, r)) if !r.is_empty() => (b, Some(r.to_string())),
            Some((b, _)) => (b, None),
            None => (s, None),
        };
        let base = KNOWN
            .iter()
            .find(|k| k.eq_ignore_ascii_case(base))
            .map_or_else(|| base.to_string(), |k| (*k).to_string());
        Ecosystem { base, release }
    }

    /// True for ecosystems of operating-system distributions, whose advisories are keyed by
    /// source package and carry a release.
    pub fn is_distro(&self) -> bool {
        matches!(
            self.base.as_str(),
            "AlmaLinux"
                | "Alpine"
                | "Azure Linux"
                | "Chainguard"
                | "Debian"
                | "Mageia"
                | "MinimOS"
                | "openEuler"
                | "openSUSE"
                | "Photon OS"
                | "Red Hat"
                | "Rocky Linux"
                | "SUSE"
                | "Ubuntu"
                | "Wolfi"
                | "Echo"
        )
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.release {
            Some(r) => write!(f, "{}:{}", self.base, r),
            None => f.write_str(&self.base),
        }
    }
}

/// The name under which a package is looked up in `ecosystem` (the base name, without release).
///
/// - PyPI: PEP 503 (lowercase, runs of `-`, `_`, `.` become one `-`).
/// - crates.io: case-insensitive and `-`/`_` are the same crate, so lowercase with `_` as `-`.
/// - NuGet, Packagist, Hex, Pub: case-insensitive, so lowercase.
/// - Maven: `group:artifact`, case-sensitive; whitespace around the parts is dropped.
/// - Go, npm, RubyGems, distributions and the rest: case-sensitive, kept as given.
pub fn normalize_name(ecosystem_base: &str, name: &str) -> String {
    let name = name.trim();
    match ecosystem_base {
        "PyPI" => {
            let mut out = String::with_capacity(name.len());
            let mut in_sep = false;
            for c in name.chars() {
                if matches!(c, '-' | '_' | '.') {
                    if !in_sep {
                        out.push('-');
                    }
                    in_sep = true;
                } else {
                    out.extend(c.to_lowercase());
                    in_sep = false;
                }
            }
            out
        }
        "crates.io" => name.to_ascii_lowercase().replace('_', "-"),
        "NuGet" | "Packagist" | "Hex" | "Pub" => name.to_lowercase(),
        "Maven" => match name.split_once(':') {
            Some((g, a)) => format!("{}:{}", g.trim(), a.trim()),
            None => name.to_string(),
        },
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_eco(input: &str, base: &str, release: Option<&str>) {
        let e = Ecosystem::parse(input);
        assert_eq!((e.base.as_str(), e.release.as_deref()), (base, release));
    }

    #[test]
    fn ecosystems_parse() {
        check_eco("PyPI", "PyPI", None);
        check_eco("pypi", "PyPI", None);
        check_eco("Debian:12", "Debian", Some("12"));
        check_eco("Ubuntu:22.04:LTS", "Ubuntu", Some("22.04:LTS"));
        check_eco("Alpine:v3.19", "Alpine", Some("v3.19"));
        check_eco(
            "Red Hat:enterprise_linux:9::appstream",
            "Red Hat",
            Some("enterprise_linux:9::appstream"),
        );
        check_eco("CRATES.IO", "crates.io", None);
        check_eco("Something New", "Something New", None);
        assert_eq!(
            Ecosystem::parse("Ubuntu:22.04:LTS").to_string(),
            "Ubuntu:22.04:LTS"
        );
        assert!(Ecosystem::parse("Alpine:v3.19").is_distro());
        assert!(!Ecosystem::parse("npm").is_distro());
    }

    #[track_caller]
    fn check_name(eco: &str, input: &str, expected: &str) {
        assert_eq!(normalize_name(eco, input), expected);
    }

    #[test]
    fn names_normalize() {
        check_name("PyPI", "Django", "django");
        check_name("PyPI", "zope.interface", "zope-interface");
        check_name("PyPI", "Foo__Bar-.baz", "foo-bar-baz");
        check_name("crates.io", "Serde_JSON", "serde-json");
        check_name("NuGet", "Newtonsoft.Json", "newtonsoft.json");
        check_name("Packagist", "Symfony/HTTP-Kernel", "symfony/http-kernel");
        check_name(
            "Maven",
            "org.apache.logging.log4j : log4j-core",
            "org.apache.logging.log4j:log4j-core",
        );
        check_name(
            "Go",
            "github.com/BurntSushi/toml",
            "github.com/BurntSushi/toml",
        );
        check_name("npm", "@Babel/core", "@Babel/core");
    }
}
