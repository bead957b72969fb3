//! The matching core: given an installed package, which advisories affect that exact version,
//! what fixes it, and which advisories describe the same vulnerability.
//!
//! An [`Index`] is compiled once from advisories (withdrawn ones are left out, GIT ranges are
//! dropped because an installed package has no commit) and then answers [`Query`]s with no
//! allocation beyond the result. The rules follow the OSV schema's evaluation algorithm
//! (<https://ossf.github.io/osv-schema/#evaluation>): events are sorted by version, a version is
//! affected when it is at or above an `introduced` and below the next `fixed`/`limit` (or at or
//! below a `last_affected`), or when it is listed in `versions`.
//!
//! Distribution packages are looked up by their source package (Debian/Ubuntu `Source:`, Alpine
//! origin, RPM source rpm) and compared with the source version, in the distribution release the
//! query names.
//!
//! Architecture invariant: pure. No I/O, no clock, no SQL. The version order comes from
//! `scry-version`; everything else is here.

mod compile;
mod index;
mod merge;
mod state;

pub use compile::{release_key, CompiledAffected, Interval, Upper};
pub use index::{AdvisoryMeta, Index, IndexBuilder};
pub use merge::merge_by_alias;
pub use state::FixState;

/// An installed package to match.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<'a> {
    /// The OSV ecosystem, with the distribution release for OS packages: `PyPI`, `Debian:12`,
    /// `Alpine:v3.19`, `Ubuntu:22.04:LTS`.
    pub ecosystem: &'a str,
    pub name: &'a str,
    pub version: &'a str,
    /// For OS packages: the source package the binary was built from, when it differs.
    pub source_name: Option<&'a str>,
    /// For OS packages: the source package's version, when it differs from the binary's.
    pub source_version: Option<&'a str>,
}

/// One advisory that affects the queried version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Position of the advisory in the index (see [`Index::advisory`]).
    pub advisory: u32,
    /// The fix for this advisory on this package.
    pub fix: FixState,
}

/// One vulnerability affecting the package: the advisories that describe it, merged by alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The identifier shown to people: a CVE id when one is known, otherwise the first
    /// advisory's id.
    pub id: String,
    /// Every identifier of the merged advisories (ids and aliases), sorted, without `id`.
    pub aliases: Vec<String>,
    /// The advisories, by position in the index.
    pub advisories: Vec<u32>,
    /// The smallest fixed version above the installed one across the merged advisories, or why
    /// there is none.
    pub fix: FixState,
}

/// What the index answered for one query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matches {
    pub hits: Vec<Hit>,
    /// Set when the installed version is not valid under the ecosystem's version rules: ranges
    /// could not be evaluated and only explicit version lists were consulted.
    pub version_error: Option<String>,
}
