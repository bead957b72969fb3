//! The [`Scheme`] enum and the ecosystem-name table.

use std::fmt;

/// A version-ordering scheme. Several ecosystems can share one (Debian and Ubuntu both use
/// [`Scheme::Dpkg`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// dpkg (`[epoch:]upstream[-revision]`). Hard syntax errors (empty, embedded spaces, bad
    /// epoch, empty revision) are errors; dpkg's *warnings* (upstream not starting with a digit,
    /// odd characters) are accepted by [`crate::compare`], as `dpkg --compare-versions` does,
    /// and rejected by [`crate::validate`].
    Dpkg,
    /// RPM (`[epoch:]version[-release]`, `rpmvercmp`). rpm orders any string, so
    /// [`crate::compare`] never fails. A missing release sorts before any present release
    /// (rpm itself would ignore it), which keeps the order total.
    Rpm,
    /// apk-tools. [`crate::compare`] follows `apk version -t`, which also orders invalid
    /// versions (an invalid tail sorts before a valid continuation); never fails.
    Apk,
    /// PEP 440. Fallback: a non-empty string that is not valid PEP 440 is a *legacy* version
    /// (the pre-22 `packaging.version.LegacyVersion` rules): it sorts before every valid
    /// version, and legacy versions are ordered among themselves by the legacy key.
    Pep440,
    /// SemVer 2.0.0 (npm, crates.io, Bitnami). A leading `v` is accepted. Fallback in
    /// [`crate::compare`]: missing minor/patch count as 0, numeric parts beyond the third are
    /// ignored, and leading zeros are compared numerically.
    SemVer,
    /// NuGet: one to four numeric parts, case-insensitive release labels, metadata ignored.
    NuGet,
    /// Go modules (`golang.org/x/mod/semver`): the `v` is optional (OSV omits it), `vMAJOR`
    /// and `vMAJOR.MINOR` are shorthands, `+incompatible` is build metadata, pseudo-versions
    /// order as prereleases. No fallback: invalid versions are errors.
    Go,
    /// Maven's Version Order Specification. Any string is a Maven version. Where Maven's own
    /// `ComparableVersion` is not transitive (a `.qualifier` vs a `-qualifier`), a qualifier
    /// always counts as hyphen-separated, as the specification's `1.foo = 1-foo` example and
    /// Maven 4 do.
    Maven,
    /// RubyGems. Fallback: [`crate::compare`] also accepts letters glued to a number
    /// (`1beta`), which `Gem::Version` rejects but segments the same way.
    RubyGems,
    /// Packagist: PHP `version_compare` semantics over Composer-style canonical parts
    /// (`v` stripped; `-`, `_`, `+` are dots; digit/letter transitions split). Never fails.
    ///
    /// **Not transitive for `#`:** PHP ranks a `#` part equal to *any* number, so
    /// `1.2.3.# = 1.2.3` and `1.2.3.# = 1.2.3.1` although `1.2.3 < 1.2.3.1`. Versions without
    /// `#` are totally ordered.
    Packagist,
    /// Hex (Elixir `Version`): SemVer 2.0.0, same rules and fallback as [`Scheme::SemVer`].
    Hex,
    /// Pub (`pub_semver`): SemVer, except that build metadata is ordered and sorts after the
    /// plain version. Same fallback as [`Scheme::SemVer`].
    Pub,
    /// Hackage (`Data.Version`): dot-separated numbers compared as lists, so `1.0.0 > 1.0`.
    /// [`crate::compare`] accepts leading zeros, which Cabal rejects.
    Hackage,
    /// CRAN (`package_version`): numbers separated by `.` or `-`, compared as lists.
    /// [`crate::compare`] accepts a single number, which CRAN rejects.
    Cran,
}

impl Scheme {
    /// Every scheme, in declaration order.
    pub const ALL: [Scheme; 14] = [
        Scheme::Dpkg,
        Scheme::Rpm,
        Scheme::Apk,
        Scheme::Pep440,
        Scheme::SemVer,
        Scheme::NuGet,
        Scheme::Go,
        Scheme::Maven,
        Scheme::RubyGems,
        Scheme::Packagist,
        Scheme::Hex,
        Scheme::Pub,
        Scheme::Hackage,
        Scheme::Cran,
    ];

    /// The ordering used by an OSV ecosystem string, with or without its release suffix
    /// (`Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.19`); the base name is matched
    /// case-insensitively. Unknown ecosystems give `None`.
    pub fn for_ecosystem(ecosystem: &str) -> Option<Scheme> {
        let base = ecosystem.split(':').next().unwrap_or("").trim();
        ECOSYSTEMS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(base))
            .map(|&(_, scheme)| scheme)
    }

    /// Short machine name: `dpkg`, `rpm`, `apk`, `pep440`, `semver`, ….
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Rpm => "rpm",
            Scheme::Apk => "apk",
            Scheme::Pep440 => "pep440",
            Scheme::SemVer => "semver",
            Scheme::NuGet => "nuget",
            Scheme::Go => "go",
            Scheme::Maven => "maven",
            Scheme::RubyGems => "rubygems",
            Scheme::Packagist => "packagist",
            Scheme::Hex => "hex",
            Scheme::Pub => "pub",
            Scheme::Hackage => "hackage",
            Scheme::Cran => "cran",
        }
    }

    /// Human name used in messages: `PEP 440`, `dpkg`, `RPM`, ….
    pub fn label(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Rpm => "RPM",
            Scheme::Apk => "APK",
            Scheme::Pep440 => "PEP 440",
            Scheme::SemVer => "SemVer",
            Scheme::NuGet => "NuGet",
            Scheme::Go => "Go module",
            Scheme::Maven => "Maven",
            Scheme::RubyGems => "RubyGems",
            Scheme::Packagist => "Packagist",
            Scheme::Hex => "Hex",
            Scheme::Pub => "Pub",
            Scheme::Hackage => "Hackage",
            Scheme::Cran => "CRAN",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// OSV ecosystem base names (the part before the first `:`), matched case-insensitively.
const ECOSYSTEMS: &[(&str, Scheme)] = &[
    ("Debian", Scheme::Dpkg),
    ("Ubuntu", Scheme::Dpkg),
    ("Alpine", Scheme::Apk),
    ("Wolfi", Scheme::Apk),
    ("Chainguard", Scheme::Apk),
    ("MinimOS", Scheme::Apk),
    ("Red Hat", Scheme::Rpm),
    ("AlmaLinux", Scheme::Rpm),
    ("Rocky Linux", Scheme::Rpm),
    ("SUSE", Scheme::Rpm),
    ("openSUSE", Scheme::Rpm),
    ("Mageia", Scheme::Rpm),
    ("openEuler", Scheme::Rpm),
    ("Azure Linux", Scheme::Rpm),
    ("Photon OS", Scheme::Rpm),
    ("CentOS", Scheme::Rpm),
    ("Fedora", Scheme::Rpm),
    ("Amazon Linux", Scheme::Rpm),
    ("PyPI", Scheme::Pep440),
    ("npm", Scheme::SemVer),
    ("crates.io", Scheme::SemVer),
    ("Bitnami", Scheme::SemVer),
    ("NuGet", Scheme::NuGet),
    ("Go", Scheme::Go),
    ("Maven", Scheme::Maven),
    ("RubyGems", Scheme::RubyGems),
    ("Packagist", Scheme::Packagist),
    ("Hex", Scheme::Hex),
    ("Pub", Scheme::Pub),
    ("Hackage", Scheme::Hackage),
    ("GHC", Scheme::Hackage),
    ("CRAN", Scheme::Cran),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(ecosystem: &str, expected: Option<Scheme>) {
        assert_eq!(Scheme::for_ecosystem(ecosystem), expected, "{ecosystem:?}");
    }

    #[test]
    fn ecosystem_names() {
        check("Debian", Some(Scheme::Dpkg));
        check("Debian:12", Some(Scheme::Dpkg));
        check("Ubuntu:22.04:LTS", Some(Scheme::Dpkg));
        check("ubuntu:Pro:18.04:LTS", Some(Scheme::Dpkg));
        check("Alpine:v3.19", Some(Scheme::Apk));
        check("Wolfi", Some(Scheme::Apk));
        check("Chainguard", Some(Scheme::Apk));
        check("MinimOS", Some(Scheme::Apk));
        check("Red Hat:enterprise_linux:9::appstream", Some(Scheme::Rpm));
        check("AlmaLinux:9", Some(Scheme::Rpm));
        check("Rocky Linux:9", Some(Scheme::Rpm));
        check("SUSE:Linux Enterprise Server 15 SP5", Some(Scheme::Rpm));
        check("openSUSE:Tumbleweed", Some(Scheme::Rpm));
        check("Mageia:9", Some(Scheme::Rpm));
        check("openEuler:22.03-LTS", Some(Scheme::Rpm));
        check("Azure Linux:3", Some(Scheme::Rpm));
        check("Photon OS:5.0", Some(Scheme::Rpm));
        check("CentOS", Some(Scheme::Rpm));
        check("Fedora", Some(Scheme::Rpm));
        check("Amazon Linux", Some(Scheme::Rpm));
        check("PyPI", Some(Scheme::Pep440));
        check("pypi", Some(Scheme::Pep440));
        check("npm", Some(Scheme::SemVer));
        check("crates.io", Some(Scheme::SemVer));
        check("Bitnami", Some(Scheme::SemVer));
        check("NuGet", Some(Scheme::NuGet));
        check("Go", Some(Scheme::Go));
        check("Maven", Some(Scheme::Maven));
        check(
            "Maven:https://repo.maven.apache.org/maven2/",
            Some(Scheme::Maven),
        );
        check("RubyGems", Some(Scheme::RubyGems));
        check("Packagist", Some(Scheme::Packagist));
        check("Hex", Some(Scheme::Hex));
        check("Pub", Some(Scheme::Pub));
        check("Hackage", Some(Scheme::Hackage));
        check("GHC", Some(Scheme::Hackage));
        check("CRAN", Some(Scheme::Cran));
        check("SwiftURL", None);
        check("", None);
        check(":", None);
        check("Debianish", None);
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = Scheme::ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Scheme::ALL.len());
        assert_eq!(Scheme::Pep440.name(), "pep440");
        assert_eq!(Scheme::Pep440.to_string(), "PEP 440");
    }
}
