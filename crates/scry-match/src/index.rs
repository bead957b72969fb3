//! The in-memory index: (ecosystem, package name) to compiled affected entries.

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use scry_advisory::{normalize_name, Advisory, Ecosystem};
use scry_version::Scheme;

use crate::compile::{release_key, CompiledAffected};
use crate::state::FixState;
use crate::{Hit, Matches, Query};

/// What the index keeps of each advisory: enough to merge by alias and to find the full record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryMeta {
    pub id: Box<str>,
    pub aliases: Vec<Box<str>>,
    /// The id and aliases interned as numbers (same string, same number, index-wide), so
    /// merging by alias compares integers.
    pub keys: Vec<u32>,
}

/// Answers "which advisories affect this exact package version".
#[derive(Debug, Default)]
pub struct Index {
    advisories: Vec<AdvisoryMeta>,
    /// ecosystem base (OSV spelling) -> normalized package name -> entries.
    packages: FxHashMap<Box<str>, FxHashMap<Box<str>, Vec<CompiledAffected>>>,
    entries: usize,
    /// Identifier interning table, used while building.
    interned: FxHashMap<Box<str>, u32>,
}

/// Builds an [`Index`] one advisory at a time.
#[derive(Debug, Default)]
pub struct IndexBuilder {
    index: Index,
}

impl IndexBuilder {
    pub fn new() -> IndexBuilder {
        IndexBuilder::default()
    }

    /// Add an advisory. Withdrawn advisories are skipped (they never match) and `None` is
    /// returned; otherwise its position in the index.
    pub fn add(&mut self, advisory: &Advisory) -> Option<u32> {
        if advisory.withdrawn.is_some() {
            return None;
        }
        let pos = u32::try_from(self.index.advisories.len()).ok()?;
        let mut keys: Vec<u32> = std::iter::once(&advisory.id)
            .chain(&advisory.aliases)
            .map(|s| {
                let next = u32::try_from(self.index.interned.len()).unwrap_or(u32::MAX);
                *self.index.interned.entry(s.as_str().into()).or_insert(next)
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        self.index.advisories.push(AdvisoryMeta {
            id: advisory.id.as_str().into(),
            aliases: advisory.aliases.iter().map(|a| a.as_str().into()).collect(),
            keys,
        });
        for affected in &advisory.affected {
            let eco = Ecosystem::parse(&affected.package.ecosystem);
            let scheme = Scheme::for_ecosystem(&eco.base);
            let release = eco.release.as_deref().map(|r| release_key(&eco.base, r));
            let entry = CompiledAffected::compile(pos, affected, scheme, release);
            let name = normalize_name(&eco.base, &affected.package.name);
            self.index
                .packages
                .entry(eco.base.into())
                .or_default()
                .entry(name.into())
                .or_default()
                .push(entry);
            self.index.entries += 1;
        }
        Some(pos)
    }

    pub fn finish(mut self) -> Index {
        self.index.interned = FxHashMap::default();
        self.index
    }
}

/// Distributions whose advisories are keyed by source package (Debian/Ubuntu `Source:`, Alpine
/// origin). The others (RPM distributions) are keyed by binary package name, with the source rpm
/// name consulted too.
fn keyed_by_source(base: &str) -> bool {
    matches!(
        base,
        "Debian" | "Ubuntu" | "Alpine" | "Wolfi" | "Chainguard" | "MinimOS"
    )
}

impl Index {
    /// Number of advisories indexed (withdrawn ones are not).
    pub fn advisory_count(&self) -> usize {
        self.advisories.len()
    }

    /// Number of (advisory, package) entries.
    pub fn entry_count(&self) -> usize {
        self.entries
    }

    /// Number of distinct (ecosystem, package) keys.
    pub fn package_count(&self) -> usize {
        self.packages.values().map(|m| m.len()).sum()
    }

    pub fn advisory(&self, pos: u32) -> &AdvisoryMeta {
        &self.advisories[pos as usize]
    }

    /// Iterate over every (ecosystem base, normalized name) in the index.
    pub fn packages(&self) -> impl Iterator<Item = (&str, &str)> {
        self.packages
            .iter()
            .flat_map(|(eco, names)| names.keys().map(move |n| (&**eco, &**n)))
    }

    /// The compiled entries for one package (ecosystem base in any case, name as installed).
    pub fn entries(&self, ecosystem_base: &str, name: &str) -> &[CompiledAffected] {
        let by_name = match self.packages.get(ecosystem_base) {
            Some(m) => m,
            None => match self
                .packages
                .get(Ecosystem::parse(ecosystem_base).base.as_str())
            {
                Some(m) => m,
                None => return &[],
            },
        };
        if let Some(v) = by_name.get(name) {
            return v;
        }
        let normalized = normalize_name(ecosystem_base, name);
        if normalized != name {
            if let Some(v) = by_name.get(normalized.as_str()) {
                return v;
            }
        }
        &[]
    }

    /// The advisories affecting the queried version, one [`Hit`] per advisory (use
    /// [`crate::merge_by_alias`] to merge them into vulnerabilities).
    pub fn query(&self, q: &Query<'_>) -> Matches {
        let (base, release) = match q.ecosystem.split_once(':') {
            Some((b, r)) => (b, Some(r)),
            None => (q.ecosystem, None),
        };
        let base: Cow<'_, str> = if self.packages.contains_key(base) {
            Cow::Borrowed(base)
        } else {
            Cow::Owned(Ecosystem::parse(base).base)
        };
        let mut out = Matches::default();
        let release = release.map(|r| release_key(&base, r));
        let mut lookups: [Option<(&str, &str)>; 2] = [None, None];
        if keyed_by_source(&base) {
            lookups[0] = Some((
                q.source_name.unwrap_or(q.name),
                q.source_version.unwrap_or(q.version),
            ));
        } else {
            lookups[0] = Some((q.name, q.version));
            if let Some(src) = q.source_name.filter(|s| *s != q.name) {
                lookups[1] = Some((src, q.source_version.unwrap_or(q.version)));
            }
        }
        let scheme = Scheme::for_ecosystem(&base);
        for (name, version) in lookups.into_iter().flatten() {
            let entries = self.entries(&base, name);
            if entries.is_empty() {
                continue;
            }
            // A version the ecosystem's rules do not read is reported; schemes with a documented
            // fallback (PEP 440's legacy versions) still order it.
            if let Some(s) = scheme {
                if let Err(e) = scry_version::validate(s, version) {
                    out.version_error.get_or_insert_with(|| e.to_string());
                }
            }
            for entry in entries {
                if let Some(r) = &entry.release {
                    if release.as_deref() != Some(&**r) {
                        continue;
                    }
                }
                if out.hits.iter().any(|h| h.advisory == entry.advisory) {
                    continue;
                }
                if entry.affects(version, &mut out.version_error) {
                    let fix = match entry.fix_above(version) {
                        Some(v) => FixState::Fixed(v.to_string()),
                        None if entry.wont_fix => FixState::WontFix,
                        None => FixState::NotFixed,
                    };
                    out.hits.push(Hit {
                        advisory: entry.advisory,
                        fix,
                    });
                }
            }
        }
        out
    }
}
