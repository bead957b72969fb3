//! Language package manifests, lockfiles and installed-package metadata (text formats).
//!
//! Each supported format has one [`Cataloger`] (a unit struct), and [`catalogers`] returns
//! them all. A cataloger decides from the file's path alone whether it reads a file
//! ([`Cataloger::wants`]); [`Cataloger::parse`] turns the bytes into [`Package`]s, and
//! whatever cannot be read into [`scry_inventory::Diagnostic`]s naming the file and the
//! reason. Parsing never panics: input is treated as hostile (truncated, corrupt, huge or
//! deeply nested), recursion is bounded and nothing is allocated from an unchecked length.
//!
//! Formats, by ecosystem (the `found_by` name in backticks):
//!
//! - Python ([`python`], ecosystem `PyPI`): `python-dist-info`, `python-egg-info`,
//!   `python-requirements`, `poetry-lock`, `pipfile-lock`, `pdm-lock`, `uv-lock`.
//! - JavaScript ([`javascript`], `npm`): `npm-package-json`, `npm-package-lock`, `yarn-lock`,
//!   `pnpm-lock`.
//! - Rust ([`rust`], `crates.io`): `cargo-lock`.
//! - Go ([`golang`], `Go`): `go-mod`.
//! - Java ([`java`], `Maven`): `gradle-lockfile`, `maven-pom`.
//! - Ruby ([`ruby`], `RubyGems`): `gemfile-lock`, `gemspec`.
//! - PHP ([`php`], `Packagist`): `composer-lock`, `composer-installed`.
//! - .NET ([`dotnet`], `NuGet`): `nuget-packages-lock`, `dotnet-deps-json`.
//! - C/C++ ([`conan`], `ConanCenter`): `conan-lock`.
//!
//! Within one file, a (name, version) pair is reported once. Per-format rules are documented
//! on each module and cataloger.
//!
//! [`Package`]: scry_inventory::Package

#![forbid(unsafe_code)]

mod common;
pub mod conan;
pub mod dotnet;
pub mod golang;
pub mod java;
pub mod javascript;
pub mod php;
pub mod python;
pub mod ruby;
pub mod rust;

use scry_inventory::Cataloger;

pub use conan::ConanLock;
pub use dotnet::{DotnetDepsJson, NugetPackagesLock};
pub use golang::GoMod;
pub use java::{GradleLockfile, MavenPom};
pub use javascript::{NpmPackageJson, NpmPackageLock, PnpmLock, YarnLock};
pub use php::{ComposerInstalled, ComposerLock};
pub use python::{
    PdmLock, PipfileLock, PoetryLock, PythonDistInfo, PythonEggInfo, PythonRequirements, UvLock,
};
pub use ruby::{GemfileLock, Gemspec};
pub use rust::CargoLock;

/// Every cataloger of this crate, one per format.
pub fn catalogers() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(PythonDistInfo),
        Box::new(PythonEggInfo),
        Box::new(PythonRequirements),
        Box::new(PoetryLock),
        Box::new(PipfileLock),
        Box::new(PdmLock),
        Box::new(UvLock),
        Box::new(NpmPackageJson),
        Box::new(NpmPackageLock),
        Box::new(YarnLock),
        Box::new(PnpmLock),
        Box::new(CargoLock),
        Box::new(GoMod),
        Box::new(GradleLockfile),
        Box::new(MavenPom),
        Box::new(GemfileLock),
        Box::new(Gemspec),
        Box::new(ComposerLock),
        Box::new(ComposerInstalled),
        Box::new(NugetPackagesLock),
        Box::new(DotnetDepsJson),
        Box::new(ConanLock),
    ]
}
