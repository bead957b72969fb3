//! Version ordering for every ecosystem Scry matches against.
//!
//! One entry point, [`compare`], orders two version strings under a [`Scheme`]; [`validate`]
//! says whether a string is a well-formed version of that scheme. [`Scheme::for_ecosystem`]
//! maps an OSV ecosystem name (with or without its release suffix, e.g. `Debian:12`) to the
//! scheme that orders its versions.
//!
//! ```
//! use std::cmp::Ordering;
//! use scry_version::{compare, Scheme};
//!
//! let debian = Scheme::for_ecosystem("Debian:12").unwrap();
//! assert_eq!(compare(debian, "1.2.3-1~deb12u1", "1.2.3-1")?, Ordering::Less);
//! assert_eq!(compare(Scheme::Maven, "1.0-RC1", "1.0.Final")?, Ordering::Less);
//! assert!(compare(Scheme::Go, "v1.x", "v1.0.0").is_err());
//! # Ok::<(), scry_version::VersionError>(())
//! ```
//!
//! | Scheme | Ecosystems | Rules followed |
//! |---|---|---|
//! | [`Scheme::Dpkg`] | Debian, Ubuntu | dpkg `verrevcmp`: epoch, upstream, revision; `~` sorts before everything |
//! | [`Scheme::Rpm`] | Red Hat, SUSE, Fedora, Alma, Rocky, … | `rpmvercmp` with `~` and `^`; epoch:version-release |
//! | [`Scheme::Apk`] | Alpine, Wolfi, Chainguard, MinimOS | apk-tools `version.c` tokens: digits, letter, `_suffix`, `~hash`, `-rN` |
//! | [`Scheme::Pep440`] | PyPI | PEP 440 (epoch, pre/post/dev, local) with normalisation |
//! | [`Scheme::SemVer`] | npm, crates.io, Bitnami | SemVer 2.0.0 precedence, build metadata ignored |
//! | [`Scheme::Hex`] | Hex | SemVer 2.0.0 (Elixir `Version`) |
//! | [`Scheme::Pub`] | Pub | `pub_semver`: like SemVer, but build metadata sorts after |
//! | [`Scheme::NuGet`] | NuGet | NuGet SemVer 2: four numeric parts, case-insensitive labels, metadata ignored |
//! | [`Scheme::Go`] | Go | `golang.org/x/mod/semver`: `v` prefix, shorthands, pseudo-versions, `+incompatible` |
//! | [`Scheme::Maven`] | Maven | the POM "Version Order Specification" (`ComparableVersion`) |
//! | [`Scheme::RubyGems`] | RubyGems | `Gem::Version#<=>` with canonical segments |
//! | [`Scheme::Packagist`] | Packagist | PHP `version_compare` after Composer-style canonicalisation |
//! | [`Scheme::Hackage`] | Hackage, GHC | `Data.Version`: dotted numbers, a longer version is greater |
//! | [`Scheme::Cran`] | CRAN | R `package_version`: numbers split on `.` and `-` |
//!
//! **Architecture Invariant:** this crate is pure. No I/O, no clock, no global state, no
//! dependencies. Comparing never panics and never allocates on the common path (numbers are
//! compared as digit strings, so components beyond `u64` are fine); the few exceptions (PyPI
//! legacy versions, error values) are off the hot path.
//!
//! **Ordering guarantee:** every scheme is a total preorder — antisymmetric and transitive,
//! `Equal` meaning "same version" (tested on the shared vectors and on randomised variants of
//! them). One exception is inherited from the ecosystem and documented on
//! [`Scheme::Packagist`]: PHP's `version_compare` ranks a `#` part equal to every number, so
//! versions containing `#` are compared antisymmetrically but not transitively. Where an
//! ecosystem's reference implementation is itself not transitive but a documented rule fixes
//! it (Maven's `.qualifier`, apk's invalid tails), the fix is taken and documented.
//!
//! **Fallbacks:** a few schemes accept, in [`compare`], versions their ecosystem calls invalid,
//! because real advisories and packages contain them. Each is documented on its [`Scheme`]
//! variant; [`validate`] stays strict.

mod apk;
mod dotted;
mod dpkg;
mod error;
mod fast;
mod maven;
mod nuget;
mod num;
mod packagist;
mod pep440;
mod rpm;
mod rubygems;
mod scheme;
mod semver;
pub mod vectors;

use std::cmp::Ordering;

pub use error::VersionError;
pub use scheme::Scheme;

/// Total order of two versions under `scheme`.
///
/// Errs when either side cannot be parsed under that scheme's rules and the scheme has no
/// documented fallback (see the [`Scheme`] variants). Never panics, whatever the input.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    if let Some(o) = fast::compare(scheme, a, b) {
        return Ok(o);
    }
    match scheme {
        Scheme::Dpkg => dpkg::compare(a, b),
        Scheme::Rpm => Ok(rpm::compare(a, b)),
        Scheme::Apk => Ok(apk::compare(a, b)),
        Scheme::Pep440 => pep440::compare(a, b),
        Scheme::SemVer | Scheme::Hex => semver::compare(semver::Flavor::SemVer, scheme, a, b),
        Scheme::Pub => semver::compare(semver::Flavor::Pub, scheme, a, b),
        Scheme::Go => semver::compare(semver::Flavor::Go, scheme, a, b),
        Scheme::NuGet => nuget::compare(a, b),
        Scheme::Maven => Ok(maven::compare(a, b)),
        Scheme::RubyGems => rubygems::compare(a, b),
        Scheme::Packagist => Ok(packagist::compare(a, b)),
        Scheme::Hackage => dotted::compare(dotted::Flavor::Hackage, a, b),
        Scheme::Cran => dotted::compare(dotted::Flavor::Cran, a, b),
    }
}

/// Whether `v` is a valid version under `scheme`, by the ecosystem's own (strict) rules.
pub fn validate(scheme: Scheme, v: &str) -> Result<(), VersionError> {
    if fast::valid(scheme, v) {
        return Ok(());
    }
    validate_parsed(scheme, v)
}

/// [`validate`] by the scheme's parser alone.
fn validate_parsed(scheme: Scheme, v: &str) -> Result<(), VersionError> {
    match scheme {
        Scheme::Dpkg => dpkg::validate(v),
        Scheme::Rpm => rpm::validate(v),
        Scheme::Apk => apk::validate(v),
        Scheme::Pep440 => pep440::validate(v),
        Scheme::SemVer | Scheme::Hex | Scheme::Pub | Scheme::Go => semver::validate(scheme, v),
        Scheme::NuGet => nuget::validate(v),
        Scheme::Maven => maven::validate(v),
        Scheme::RubyGems => rubygems::validate(v),
        Scheme::Packagist => packagist::validate(v),
        Scheme::Hackage => dotted::validate(dotted::Flavor::Hackage, v),
        Scheme::Cran => dotted::validate(dotted::Flavor::Cran, v),
    }
}
