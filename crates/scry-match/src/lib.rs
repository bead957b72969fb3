//! The matching core: given an installed package, which advisories affect that exact version,
//! what fixes it, and which advisories describe the same vulnerability.
//!
//! An [`Index`] is compiled once from advisories (withdrawn ones are left out, GIT ranges are
//! dropped because an installed package has no commit) and then answers [`Query`]s with no
//! allocation beyond the result (and the text of a version error) when the ecosystem is spelled
//! as OSV spells it and the package name is already in its ecosystem's normal form, which is what
//! inventories produce; otherwise one normalised copy of the ecosystem or name is made. The rules follow the OSV schema's evaluation algorithm
//! (<https://ossf.github.io/osv-schema/#evaluation>): events are sorted by version, a version is
//! affected when it is at or above an `introduced` and below the next `fixed`/`limit` (or at or
//! below a `last_affected`), or when it is listed in `versions`.
//!
//! Distribution packages are looked up by their source package (Debian/Ubuntu `Source:`, Alpine
//! origin, RPM source rpm) and compared with the source version, in the distribution release the
//! query names.
//!
//! Speed: each package's bounds (introduced, fixed, last-affected, limit versions) are sorted
//! once under the package's scheme when the index is finished (a "ladder"); a query places its
//! version on the ladder with one binary search of `scry_version::compare` calls, and every
//! interval test after that compares integers. Explicitly listed versions are one hash lookup
//! per package. Merging by alias works on interned identifier numbers.
//!
//! Architecture invariant: pure. No I/O, no clock, no SQL. The version order comes from
//! `scry-version`; everything else is here.

mod answers;
mod compile;
mod index;
mod ladder;
mod merge;
mod names;
mod state;

pub use compile::{release_key, Bound, CompiledAffected, FixedVersion, Interval, Upper};
pub use index::{AdvisoryMeta, Index, IndexBuilder};
pub use merge::{merge, merge_by_alias, Iter, MatchRef, Merged};
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit<'i> {
    /// Position of the advisory in the index (see [`Index::advisory`]).
    pub advisory: u32,
    /// The fix for this advisory on this package.
    pub fix: Fix<'i>,
    /// No other advisory the query could hit shares an identifier with this one, transitively
    /// (so merging leaves it alone).
    pub(crate) solo: bool,
}

/// [`FixState`], borrowing the fixed version from the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix<'i> {
    WontFix,
    NotFixed,
    Fixed(&'i FixedVersion),
}

impl<'i> Fix<'i> {
    pub fn fixed_version(self) -> Option<&'i str> {
        match self {
            Fix::Fixed(v) => Some(&v.version),
            _ => None,
        }
    }

    /// The owned form.
    pub fn to_state(self) -> FixState {
        match self {
            Fix::WontFix => FixState::WontFix,
            Fix::NotFixed => FixState::NotFixed,
            Fix::Fixed(v) => FixState::Fixed(v.version.to_string()),
        }
    }
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

/// The vulnerabilities of one query (see [`Index::vulnerabilities`]).
#[derive(Debug, Clone)]
pub struct Vulnerabilities<'i> {
    pub merged: Merged<'i>,
    /// As [`Matches::version_error`].
    pub version_error: Option<String>,
}

/// What the index answered for one query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matches<'i> {
    pub hits: Vec<Hit<'i>>,
    /// Set when the installed version is not valid under the ecosystem's version rules: ranges
    /// could not be evaluated and only explicit version lists were consulted.
    pub version_error: Option<String>,
}
