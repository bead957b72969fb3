//! The matcher as it was before ladders (commit 96f7de9, string comparisons everywhere), kept
//! verbatim as the reference the optimised matcher must agree with. Test-only.
#![allow(dead_code)]

pub mod compile {

    use std::cmp::Ordering;

    use scry_advisory::{Affected, Event, RangeKind};
    use scry_version::{compare, Scheme};

    use super::state::says_wont_fix;

    /// The upper end of an affected interval.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Upper {
        /// Affected from the lower end on, with no end.
        Open,
        /// Affected below this version; this version fixes it.
        Fixed(Box<str>),
        /// Affected up to and including this version.
        LastAffected(Box<str>),
        /// Not evaluated at or above this version (OSV `limit`).
        Limit(Box<str>),
    }

    /// One affected interval `[lower, upper)` (or `[lower, upper]` for `last_affected`).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Interval {
        pub scheme: Scheme,
        /// None when the interval starts at the first version (`introduced: "0"`).
        pub lower: Option<Box<str>>,
        pub upper: Upper,
    }

    /// One affected entry of one advisory, ready to be tested against installed versions.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CompiledAffected {
        pub advisory: u32,
        /// The distribution release this entry is for, in the form [`release_key`] gives; None for
        /// ecosystems without releases (and distribution entries that name none).
        pub release: Option<Box<str>>,
        pub intervals: Vec<Interval>,
        /// Explicitly listed affected versions.
        pub versions: Vec<Box<str>>,
        /// Every fixed version named by the entry's ranges, with the scheme to order them.
        pub fixes: Vec<(Scheme, Box<str>)>,
        pub wont_fix: bool,
    }

    impl CompiledAffected {
        /// Compile `affected` (of the advisory at position `advisory`) for the ecosystem whose
        /// version scheme is `scheme` (None when Scry has no ordering for that ecosystem: then only
        /// SEMVER ranges and explicit versions can match).
        pub fn compile(
            advisory: u32,
            affected: &Affected,
            scheme: Option<Scheme>,
            release: Option<Box<str>>,
        ) -> CompiledAffected {
            let mut intervals = Vec::new();
            let mut fixes = Vec::new();
            for range in &affected.ranges {
                let range_scheme = match range.kind {
                    RangeKind::Git => continue,
                    RangeKind::Semver if scheme == Some(Scheme::Go) => Scheme::Go,
                    RangeKind::Semver => Scheme::SemVer,
                    RangeKind::Ecosystem => match scheme {
                        Some(s) => s,
                        None => continue,
                    },
                };
                let events = sorted_events(range_scheme, &range.events);
                intervals_of(range_scheme, &events, &mut intervals);
                for e in &range.events {
                    if let Event::Fixed(v) = e {
                        fixes.push((range_scheme, v.as_str().into()));
                    }
                }
            }
            CompiledAffected {
                advisory,
                release,
                intervals,
                versions: affected
                    .versions
                    .iter()
                    .map(|v| v.as_str().into())
                    .collect(),
                fixes,
                wont_fix: says_wont_fix(affected.ecosystem_specific.as_ref())
                    || says_wont_fix(affected.database_specific.as_ref()),
            }
        }

        /// Whether `version` is affected. Comparison errors (a version the scheme cannot read) are
        /// reported through `error` and that interval is skipped.
        pub fn affects(&self, version: &str, error: &mut Option<String>) -> bool {
            if self.versions.iter().any(|v| &**v == version) {
                return true;
            }
            self.intervals.iter().any(|iv| match iv.contains(version) {
                Ok(hit) => hit,
                Err(e) => {
                    error.get_or_insert(e);
                    false
                }
            })
        }

        /// The smallest fixed version above `version`, if the entry names one.
        pub fn fix_above(&self, version: &str) -> Option<&str> {
            let mut best: Option<(Scheme, &str)> = None;
            for (scheme, fixed) in &self.fixes {
                if compare(*scheme, fixed, version) != Ok(Ordering::Greater) {
                    continue;
                }
                best = match best {
                    Some((s, b)) if compare(s, b, fixed) != Ok(Ordering::Greater) => Some((s, b)),
                    _ => Some((*scheme, &**fixed)),
                };
            }
            best.map(|(_, v)| v)
        }
    }

    impl Interval {
        fn contains(&self, version: &str) -> Result<bool, String> {
            let cmp = |other: &str| compare(self.scheme, version, other).map_err(|e| e.to_string());
            if let Some(lower) = &self.lower {
                if cmp(lower)? == Ordering::Less {
                    return Ok(false);
                }
            }
            Ok(match &self.upper {
                Upper::Open => true,
                Upper::Fixed(v) | Upper::Limit(v) => cmp(v)? == Ordering::Less,
                Upper::LastAffected(v) => cmp(v)? != Ordering::Greater,
            })
        }
    }

    fn is_zero(v: &str) -> bool {
        v == "0"
    }

    /// Events in version order, as the OSV evaluation requires; `introduced: "0"` first. When a
    /// version cannot be ordered the feed's own order is kept (feeds list events in order).
    fn sorted_events(scheme: Scheme, events: &[Event]) -> Vec<&Event> {
        let mut out: Vec<&Event> = events.iter().collect();
        let orderable = events
            .iter()
            .all(|e| is_zero(e.version()) || scry_version::validate(scheme, e.version()).is_ok());
        if orderable {
            out.sort_by(|a, b| match (is_zero(a.version()), is_zero(b.version())) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => {
                    compare(scheme, a.version(), b.version()).unwrap_or(Ordering::Equal)
                }
            });
        }
        out
    }

    /// Walk sorted events into intervals, per the OSV evaluation algorithm.
    fn intervals_of(scheme: Scheme, events: &[&Event], out: &mut Vec<Interval>) {
        let mut open: Option<Option<Box<str>>> = None;
        for e in events {
            match e {
                Event::Introduced(v) => {
                    if open.is_none() {
                        open = Some((!is_zero(v)).then(|| v.as_str().into()));
                    }
                }
                Event::Fixed(v) | Event::Limit(v) | Event::LastAffected(v) => {
                    if let Some(lower) = open.take() {
                        let v: Box<str> = v.as_str().into();
                        let upper = match e {
                            Event::Fixed(_) => Upper::Fixed(v),
                            Event::Limit(_) => Upper::Limit(v),
                            _ => Upper::LastAffected(v),
                        };
                        out.push(Interval {
                            scheme,
                            lower,
                            upper,
                        });
                    }
                }
            }
        }
        if let Some(lower) = open {
            out.push(Interval {
                scheme,
                lower,
                upper: Upper::Open,
            });
        }
    }

    /// The form in which releases are compared: case-insensitive, Alpine's leading `v` dropped,
    /// Ubuntu's `:LTS` suffix dropped (`Ubuntu:22.04:LTS` and a host's `22.04` are the same release).
    pub fn release_key(base: &str, release: &str) -> Box<str> {
        let mut r = release.trim().to_ascii_lowercase();
        if base == "Alpine" || base == "Wolfi" || base == "Chainguard" {
            if let Some(rest) = r.strip_prefix('v') {
                r = rest.to_string();
            }
            // A host reports `3.19.1`; advisories name the branch `v3.19`.
            if let Some((major, rest)) = r.split_once('.') {
                let minor = rest.split('.').next().unwrap_or(rest);
                r = format!("{major}.{minor}");
            }
        }
        if base == "Ubuntu" {
            if let Some(rest) = r.strip_suffix(":lts") {
                r = rest.to_string();
            }
        }
        r.into()
    }
}
pub mod index {

    use std::borrow::Cow;

    use rustc_hash::FxHashMap;
    use scry_advisory::{normalize_name, Advisory, Ecosystem};
    use scry_version::Scheme;

    use super::compile::{release_key, CompiledAffected};
    use super::{Hit, Matches};
    use scry_match::FixState;
    use scry_match::Query;

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
}
pub mod merge {

    use std::cmp::Ordering;

    use scry_version::{compare, Scheme};

    use super::{index::Index, FixState, Hit, Match};

    /// Merge hits on one package into vulnerabilities: two advisories are the same vulnerability
    /// when they share an identifier (one's id is the other's alias, or they share an alias),
    /// transitively. `scheme` orders fixed versions so the merged fix is the smallest one.
    ///
    /// The result is sorted by id, so it is deterministic.
    pub fn merge_by_alias(index: &Index, hits: &[Hit], scheme: Option<Scheme>) -> Vec<Match> {
        // Union-find over hit positions; two hits join when their identifier sets intersect.
        let n = hits.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let ids = |h: &Hit| {
            let meta = index.advisory(h.advisory);
            std::iter::once(&meta.id).chain(meta.aliases.iter())
        };
        // Linear: each interned identifier remembers the first hit that carried it.
        let mut seen: rustc_hash::FxHashMap<u32, usize> = rustc_hash::FxHashMap::default();
        for (i, h) in hits.iter().enumerate() {
            for &k in &index.advisory(h.advisory).keys {
                match seen.get(&k) {
                    Some(&j) => {
                        let (ri, rj) = (find(&mut parent, j), find(&mut parent, i));
                        if ri != rj {
                            parent[rj] = ri;
                        }
                    }
                    None => {
                        seen.insert(k, i);
                    }
                }
            }
        }
        let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut group_of: rustc_hash::FxHashMap<usize, usize> = rustc_hash::FxHashMap::default();
        for i in 0..n {
            let root = find(&mut parent, i);
            match group_of.get(&root) {
                Some(&g) => groups[g].1.push(i),
                None => {
                    group_of.insert(root, groups.len());
                    groups.push((root, vec![i]));
                }
            }
        }
        let mut out: Vec<Match> = groups
            .into_iter()
            .map(|(_, members)| {
                let mut all: Vec<&str> = members
                    .iter()
                    .flat_map(|&m| ids(&hits[m]).map(|s| &**s))
                    .collect();
                all.sort_unstable();
                all.dedup();
                let id: &str = all
                    .iter()
                    .find(|s| s.starts_with("CVE-"))
                    .copied()
                    .unwrap_or(&index.advisory(hits[members[0]].advisory).id);
                let id = id.to_string();
                let all: Vec<String> = all
                    .into_iter()
                    .filter(|s| *s != id)
                    .map(str::to_string)
                    .collect();
                let fix = merged_fix(members.iter().map(|&m| &hits[m].fix), scheme);
                Match {
                    id,
                    aliases: all,
                    advisories: members.iter().map(|&m| hits[m].advisory).collect(),
                    fix,
                }
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// The smallest concrete fix; else "not fixed" if any advisory says so; else "will not fix".
    fn merged_fix<'a>(
        fixes: impl Iterator<Item = &'a FixState>,
        scheme: Option<Scheme>,
    ) -> FixState {
        let mut best: Option<&FixState> = None;
        for f in fixes {
            best = Some(match (best, f) {
                (None, f) => f,
                (Some(FixState::Fixed(a)), FixState::Fixed(b)) => {
                    let b_smaller = scheme
                        .map(|s| compare(s, b, a) == Ok(Ordering::Less))
                        .unwrap_or(false);
                    if b_smaller {
                        f
                    } else {
                        best.unwrap_or(f)
                    }
                }
                (Some(FixState::Fixed(_)), _) => best.unwrap_or(f),
                (Some(_), FixState::Fixed(_)) => f,
                (Some(FixState::WontFix), FixState::NotFixed) => f,
                (Some(b), _) => b,
            });
        }
        best.cloned().unwrap_or(FixState::NotFixed)
    }
}
pub mod state {

    /// Words that distributions use in their advisory data for "will not be fixed".
    const WONT_FIX: &[&str] = &[
        "will not fix",
        "wont-fix",
        "wontfix",
        "won't fix",
        "ignored",
        "no-dsa",
        "end-of-life",
        "out of support scope",
        "deferred",
    ];

    /// True when an affected entry's `ecosystem_specific` / `database_specific` data says the
    /// vulnerability will not be fixed. Distributions spell this differently; the keys consulted are
    /// the status-like ones (`status`, `fix_status`, `fix_state`, `state`, `resolution`).
    pub fn says_wont_fix(data: Option<&serde_json::Value>) -> bool {
        let Some(serde_json::Value::Object(map)) = data else {
            return false;
        };
        ["status", "fix_status", "fix_state", "state", "resolution"]
            .iter()
            .filter_map(|k| map.get(*k).and_then(|v| v.as_str()))
            .any(|v| {
                let v = v.to_ascii_lowercase();
                WONT_FIX.iter().any(|w| v == *w)
            })
    }
}

pub use index::IndexBuilder;
pub use merge::merge_by_alias;
pub use scry_match::FixState;
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
