//! The in-memory index: (ecosystem, package name) to compiled affected entries.

use rustc_hash::FxHashMap;
use scry_advisory::{normalize_name, Advisory, Ecosystem};
use scry_version::Scheme;

use crate::answers::AnswerSlots;
use crate::compile::{release_key, CompiledAffected, Flat, Placed, NO_RELEASE};
use crate::ladder::{Ladder, QueryPos};
use crate::merge::{merge, Merged};
use crate::names::{normalized, ReleaseKey};
use crate::{Fix, Hit, Matches, Query, Vulnerabilities};

/// What the index keeps of each advisory: enough to merge by alias and to find the full record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryMeta {
    pub id: Box<str>,
    pub aliases: Vec<Box<str>>,
    /// The id and aliases interned as numbers (same string, same number, index-wide), sorted
    /// and without duplicates, so merging by alias compares integers. Numbers follow the byte
    /// order of the strings (see [`Index::identifier`]).
    pub keys: Vec<u32>,
    /// The interned number of `id`.
    pub id_key: u32,
    /// The advisory's alias component, index-wide: advisories that share an identifier,
    /// transitively, have the same number. Hits can only merge within one component.
    pub(crate) component: u32,
    /// Whether the component is this advisory alone (its hits never merge with another).
    pub(crate) alone: bool,
    /// The key shown for this advisory alone: its first CVE id, else its id.
    pub(crate) shown: u32,
}

/// Everything the index knows about one (ecosystem, normalized name).
#[derive(Debug, Default)]
pub(crate) struct Package {
    pub(crate) entries: Vec<CompiledAffected>,
    /// One ladder per scheme the entries' ranges use (nearly always one).
    ladders: Vec<Ladder>,
    /// Index-wide number of `ladders[0]`.
    ladder_base: u32,
    /// Explicitly listed affected version → (first, last) node of its list in `listed_nodes`,
    /// and the version's number (in order of first listing).
    pub(crate) listed: FxHashMap<Box<str>, (u32, u32, u32)>,
    /// (entry position, next node or [`NONE`]); each list ascends by entry position.
    pub(crate) listed_nodes: Vec<(u32, u32)>,
    /// Entry positions grouped by release (ascending within a release), so a query visits only
    /// the entries of its release and those without one.
    by_release: Vec<u32>,
    /// (release id, start, end) into `by_release`, sorted; entries without a release last.
    release_spans: Vec<(u32, u32, u32)>,
    /// Per entry: whether no other advisory among the entries a query can see with it (its
    /// release's and those without a release) is in its alias component.
    pub(crate) solo: Vec<bool>,
    /// Per entry, its integer form (see [`Flat`]) when it has one.
    pub(crate) flat: Vec<Option<Flat>>,
    pub(crate) flat_spans: Vec<(u32, u32)>,
    pub(crate) flat_fixes: Vec<(u32, u32)>,
    /// Stored answers per release view: one per `release_spans` entry, then the view of a
    /// query whose release has no entries of its own (see [`crate::answers`]).
    pub(crate) answer_slots: AnswerSlots,
}

/// One ecosystem base (OSV spelling) and its packages.
#[derive(Debug)]
struct EcosystemIndex {
    base: Box<str>,
    scheme: Option<Scheme>,
    by_source: bool,
    /// Release keys (see [`release_key`]) interned.
    releases: FxHashMap<Box<str>, u32>,
    packages: FxHashMap<Box<str>, Package>,
}

/// Answers "which advisories affect this exact package version".
#[derive(Debug, Default)]
pub struct Index {
    advisories: Vec<AdvisoryMeta>,
    /// Every id and alias, sorted; an identifier's key is its position.
    identifiers: Vec<Box<str>>,
    /// The keys of the identifiers starting with `CVE-` (contiguous, since sorted).
    cves: std::ops::Range<u32>,
    /// A handful of ecosystems: a linear search on exact names beats hashing.
    ecosystems: Vec<EcosystemIndex>,
    entries: usize,
    /// Identifier interning table (arrival order), used while building.
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
        let index = &mut self.index;
        let pos = u32::try_from(index.advisories.len()).ok()?;
        let mut intern = |s: &str| {
            let next = u32::try_from(index.interned.len()).unwrap_or(u32::MAX);
            *index.interned.entry(s.into()).or_insert(next)
        };
        let id_key = intern(&advisory.id);
        let mut keys: Vec<u32> = std::iter::once(id_key)
            .chain(advisory.aliases.iter().map(|a| intern(a)))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        index.advisories.push(AdvisoryMeta {
            id: advisory.id.as_str().into(),
            aliases: advisory.aliases.iter().map(|a| a.as_str().into()).collect(),
            keys,
            id_key,
            component: pos,
            alone: true,
            shown: id_key,
        });
        for affected in &advisory.affected {
            let eco = Ecosystem::parse(&affected.package.ecosystem);
            let at = match index.ecosystems.iter().position(|e| *e.base == eco.base) {
                Some(i) => i,
                None => {
                    index.ecosystems.push(EcosystemIndex {
                        base: eco.base.as_str().into(),
                        scheme: Scheme::for_ecosystem(&eco.base),
                        by_source: keyed_by_source(&eco.base),
                        releases: FxHashMap::default(),
                        packages: FxHashMap::default(),
                    });
                    index.ecosystems.len() - 1
                }
            };
            let e = &mut index.ecosystems[at];
            let release = eco.release.as_deref().map(|r| release_key(&eco.base, r));
            let mut entry = CompiledAffected::compile(pos, affected, e.scheme, release);
            if let Some(r) = &entry.release {
                let next = u32::try_from(e.releases.len()).unwrap_or(NO_RELEASE - 1);
                entry.release_id = *e.releases.entry(r.clone()).or_insert(next);
            }
            let name = normalize_name(&eco.base, &affected.package.name);
            // An advisory's entries for one package are pushed together, one after another:
            // the query's de-duplication relies on it.
            e.packages
                .entry(name.into())
                .or_default()
                .entries
                .push(entry);
            index.entries += 1;
        }
        Some(pos)
    }

    /// Finish the index: number identifiers in byte order and sort every package's bounds.
    pub fn finish(mut self) -> Index {
        let index = &mut self.index;
        // Byte order, compared mostly as integers: the first 16 bytes (zero-padded) decide
        // unless equal.
        let prefix = |s: &str| {
            let mut b = [0u8; 16];
            let n = s.len().min(16);
            b[..n].copy_from_slice(&s.as_bytes()[..n]);
            u128::from_be_bytes(b)
        };
        let mut ids: Vec<(u128, Box<str>, u32)> = std::mem::take(&mut index.interned)
            .into_iter()
            .map(|(s, k)| (prefix(&s), s, k))
            .collect();
        ids.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let mut renumber = vec![0u32; ids.len()];
        for (new, (_, _, old)) in ids.iter().enumerate() {
            renumber[*old as usize] = new as u32;
        }
        index.identifiers = ids.into_iter().map(|(_, s, _)| s).collect();
        let first = index.identifiers.partition_point(|s| &**s < "CVE-");
        let end = first + index.identifiers[first..].partition_point(|s| s.starts_with("CVE-"));
        index.cves = first as u32..end as u32;
        for a in &mut index.advisories {
            a.id_key = renumber[a.id_key as usize];
            for k in &mut a.keys {
                *k = renumber[*k as usize];
            }
            a.keys.sort_unstable();
            let cves = &index.cves;
            a.shown = a
                .keys
                .iter()
                .copied()
                .find(|k| cves.contains(k))
                .unwrap_or(a.id_key);
        }
        index.link_components();
        let mut ladders = 0u32;
        let advisories = &index.advisories;
        for e in &mut index.ecosystems {
            for p in e.packages.values_mut() {
                p.ladder_base = ladders;
                p.prepare();
                p.mark_solo(advisories);
                ladders += p.ladders.len() as u32;
            }
        }
        self.index
    }
}

impl Index {
    /// Number the alias components (union-find over advisories sharing an identifier).
    fn link_components(&mut self) {
        let n = self.advisories.len();
        let mut parent: Vec<u32> = (0..n as u32).collect();
        fn find(parent: &mut [u32], mut i: u32) -> u32 {
            while parent[i as usize] != i {
                parent[i as usize] = parent[parent[i as usize] as usize];
                i = parent[i as usize];
            }
            i
        }
        let mut first_with: Vec<u32> = vec![u32::MAX; self.identifiers.len()];
        for (i, a) in self.advisories.iter().enumerate() {
            for &k in &a.keys {
                let j = first_with[k as usize];
                if j == u32::MAX {
                    first_with[k as usize] = i as u32;
                } else {
                    let (x, y) = (find(&mut parent, j), find(&mut parent, i as u32));
                    parent[x.max(y) as usize] = x.min(y);
                }
            }
        }
        let roots: Vec<u32> = (0..n as u32).map(|i| find(&mut parent, i)).collect();
        let mut size: Vec<u32> = vec![0; n];
        for &r in &roots {
            size[r as usize] += 1;
        }
        for (a, &r) in self.advisories.iter_mut().zip(&roots) {
            a.component = r;
            a.alone = size[r as usize] == 1;
        }
    }
}

impl Package {
    /// Build the ladders and the listed-version table.
    fn prepare(&mut self) {
        // Take every bound's text out, rank the texts per scheme, put them back with positions.
        let mut texts: Vec<(crate::ladder::Pos, Scheme, Box<str>)> = Vec::new();
        for entry in &mut self.entries {
            entry.bounds_mut(|s, t, _| texts.push((0, s, std::mem::take(t))));
        }
        let mut schemes: Vec<Scheme> = texts.iter().map(|t| t.1).collect();
        schemes.sort_unstable();
        schemes.dedup();
        for &scheme in &schemes {
            let mine: Vec<usize> = (0..texts.len()).filter(|&i| texts[i].1 == scheme).collect();
            let strs: Vec<&str> = mine.iter().map(|&i| &*texts[i].2).collect();
            let (ladder, positions) = Ladder::build(scheme, &strs);
            for (&i, p) in mine.iter().zip(positions) {
                texts[i].0 = p;
            }
            self.ladders.push(ladder);
        }
        let mut it = texts.into_iter();
        for entry in &mut self.entries {
            entry.bounds_mut(|_, t, p| {
                if let Some((pos, _, text)) = it.next() {
                    *t = text;
                    *p = pos;
                }
            });
            for fx in &mut entry.fixes {
                fx.ladder = schemes
                    .iter()
                    .position(|s| *s == fx.scheme)
                    .map_or(u32::MAX, |n| self.ladder_base + n as u32);
            }
        }
        if let Some(first) = self.ladders.first() {
            let scheme = first.scheme;
            self.flat = self
                .entries
                .iter()
                .map(|e| e.flatten(scheme, &mut self.flat_spans, &mut self.flat_fixes))
                .collect();
        } else {
            self.flat = vec![None; self.entries.len()];
        }
        let mut order: Vec<(u32, u32)> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.release_id, i as u32))
            .collect();
        order.sort_unstable();
        for run in order.chunk_by(|a, b| a.0 == b.0) {
            let from = self.by_release.len() as u32;
            self.by_release.extend(run.iter().map(|&(_, i)| i));
            self.release_spans
                .push((run[0].0, from, self.by_release.len() as u32));
        }
        self.answer_slots = (0..=self.release_spans.len())
            .map(|_| Default::default())
            .collect();
        // Listed versions: a hash map to a list of entries (ascending, linked through
        // `listed_nodes`), built without sorting any text.
        self.solo = vec![false; self.entries.len()];
        let mut listed_count = 0u32;
        for (i, entry) in self.entries.iter_mut().enumerate() {
            let i = i as u32;
            for v in std::mem::take(&mut entry.versions) {
                let node = self.listed_nodes.len() as u32;
                match self.listed.entry(v) {
                    std::collections::hash_map::Entry::Occupied(mut o) => {
                        let (_, tail, _) = *o.get();
                        if self.listed_nodes[tail as usize].0 != i {
                            self.listed_nodes[tail as usize].1 = node;
                            self.listed_nodes.push((i, NONE));
                            o.get_mut().1 = node;
                        }
                    }
                    std::collections::hash_map::Entry::Vacant(v) => {
                        self.listed_nodes.push((i, NONE));
                        v.insert((node, node, listed_count));
                        listed_count += 1;
                    }
                }
            }
        }
    }

    /// Fill `solo` (after `prepare`).
    fn mark_solo(&mut self, advisories: &[AdvisoryMeta]) {
        // (component, advisory) of the entries of one release span, distinct advisories.
        let components = |span: &[u32]| -> Vec<(u32, u32)> {
            let mut c: Vec<(u32, u32)> = span
                .iter()
                .map(|&i| {
                    let a = self.entries[i as usize].advisory;
                    (advisories[a as usize].component, a)
                })
                .collect();
            c.sort_unstable();
            c.dedup();
            c
        };
        let lonely = |c: &[(u32, u32)], comp: u32| {
            let from = c.partition_point(|x| x.0 < comp);
            c[from..].iter().take_while(|x| x.0 == comp).count() == 1
        };
        let everything = components(&(0..self.entries.len() as u32).collect::<Vec<_>>());
        let (_, common) = self.candidates(None);
        let common = common.to_vec();
        let mut solo = vec![false; self.entries.len()];
        for &(r, a, b) in &self.release_spans {
            let span = &self.by_release[a as usize..b as usize];
            let seen = if r == NO_RELEASE {
                everything.clone()
            } else {
                components(&[span, &common].concat())
            };
            for &i in span {
                let adv = self.entries[i as usize].advisory;
                solo[i as usize] = lonely(&seen, advisories[adv as usize].component);
            }
        }
        self.solo = solo;
    }

    pub(crate) fn ladder_count(&self) -> usize {
        self.ladders.len()
    }

    pub(crate) fn ladder(&self, n: usize) -> Option<&Ladder> {
        self.ladders.get(n)
    }

    /// The release view of a query of `release` (see `answer_slots`).
    fn view_of(&self, release: Option<u32>) -> usize {
        match release {
            Some(r) if r != NO_RELEASE => self
                .release_spans
                .binary_search_by_key(&r, |s| s.0)
                .unwrap_or(self.release_spans.len()),
            _ => self.release_spans.len(),
        }
    }

    /// The entries of release view `view`, as [`Package::candidates`] gives them.
    pub(crate) fn view(&self, view: usize) -> (&[u32], &[u32]) {
        match self.release_spans.get(view) {
            Some(&(r, _, _)) => self.candidates(Some(r)),
            None => self.candidates(None),
        }
    }

    /// The positions of the entries that apply to a query of `release` (None: no release), as
    /// two ascending lists: the release's own and those without a release.
    fn candidates(&self, release: Option<u32>) -> (&[u32], &[u32]) {
        let span = |id: u32| {
            self.release_spans
                .binary_search_by_key(&id, |s| s.0)
                .map_or(&[][..], |i| {
                    let (_, a, b) = self.release_spans[i];
                    &self.by_release[a as usize..b as usize]
                })
        };
        let own = match release {
            Some(r) if r != NO_RELEASE => span(r),
            _ => &[],
        };
        (own, span(NO_RELEASE))
    }

    /// Place `version` on this package's ladders.
    fn place<'q>(&'q self, version: &'q str) -> Placed<'q> {
        let mut at = [(Scheme::SemVer, QueryPos::Unranked, u32::MAX); 2];
        let len = self.ladders.len().min(2);
        for (i, l) in self.ladders.iter().take(2).enumerate() {
            at[i] = (l.scheme, l.place(version), self.ladder_base + i as u32);
        }
        Placed {
            version,
            at,
            len,
            more: self.ladders.get(2..).unwrap_or(&[]),
            more_base: self.ladder_base + 2,
        }
    }
}

impl EcosystemIndex {
    /// The interned number of a query's release ([`UNKNOWN_RELEASE`] when no entry names it).
    fn release_id(&self, release: &str) -> u32 {
        let key = ReleaseKey::new(&self.base, release);
        self.releases
            .get(key.as_str())
            .copied()
            .unwrap_or(UNKNOWN_RELEASE)
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

/// The end of a list.
const NONE: u32 = u32::MAX;

/// A query release no entry names.
const UNKNOWN_RELEASE: u32 = NO_RELEASE - 1;

impl Index {
    /// Number of advisories indexed (withdrawn ones are not).
    pub fn advisory_count(&self) -> usize {
        self.advisories.len()
    }

    /// Number of (advisory, package) entries.
    pub fn entry_count(&self) -> usize {
        self.entries
    }

    /// Heap bytes held by the stored answers built so far (see [`Index::vulnerabilities`]).
    pub fn stored_answers_bytes(&self) -> usize {
        self.ecosystems
            .iter()
            .flat_map(|e| e.packages.values())
            .flat_map(|p| p.answer_slots.iter())
            .filter_map(|slot| slot.get()?.as_ref())
            .map(|a| a.bytes())
            .sum()
    }

    /// Number of distinct (ecosystem, package) keys.
    pub fn package_count(&self) -> usize {
        self.ecosystems.iter().map(|e| e.packages.len()).sum()
    }

    #[inline]
    pub fn advisory(&self, pos: u32) -> &AdvisoryMeta {
        &self.advisories[pos as usize]
    }

    /// The identifier (advisory id or alias) interned as `key` (see [`AdvisoryMeta::keys`]).
    #[inline]
    pub fn identifier(&self, key: u32) -> &str {
        &self.identifiers[key as usize]
    }

    /// Whether the identifier `key` is a CVE id.
    pub(crate) fn is_cve(&self, key: u32) -> bool {
        self.cves.contains(&key)
    }

    /// Iterate over every (ecosystem base, normalized name) in the index.
    pub fn packages(&self) -> impl Iterator<Item = (&str, &str)> {
        self.ecosystems
            .iter()
            .flat_map(|e| e.packages.keys().map(move |n| (&*e.base, &**n)))
    }

    fn ecosystem(&self, base: &str) -> Option<&EcosystemIndex> {
        if let Some(e) = self.ecosystems.iter().find(|e| *e.base == *base) {
            return Some(e);
        }
        let canonical = Ecosystem::parse(base).base;
        self.ecosystems.iter().find(|e| *e.base == *canonical)
    }

    fn package<'a>(&'a self, eco: &'a EcosystemIndex, name: &str) -> Option<&'a Package> {
        if let Some(p) = eco.packages.get(name) {
            return Some(p);
        }
        match normalized(&eco.base, name) {
            std::borrow::Cow::Owned(n) if n != name => eco.packages.get(n.as_str()),
            _ => None,
        }
    }

    /// The compiled entries for one package (ecosystem base in any case, name as installed).
    pub fn entries(&self, ecosystem_base: &str, name: &str) -> &[CompiledAffected] {
        self.ecosystem(ecosystem_base)
            .and_then(|e| self.package(e, name))
            .map_or(&[], |p| &p.entries)
    }

    /// The vulnerabilities affecting the queried version: [`Index::query`] merged by alias
    /// ([`merge`]), read from the package's stored answers when it has them (see
    /// [`crate::answers`]), which is much faster for packages with many advisories.
    pub fn vulnerabilities(&self, q: &Query<'_>) -> Vulnerabilities<'_> {
        if let Some(v) = self.stored(q) {
            return v;
        }
        let m = self.query(q);
        Vulnerabilities {
            merged: merge(self, &m.hits, Scheme::for_ecosystem(q.ecosystem)),
            version_error: m.version_error,
        }
    }

    /// [`Index::vulnerabilities`] from stored answers, when the query can be answered that way;
    /// also the empty answer for a package the index does not name (the common case in an
    /// inventory), so that [`Index::query`] does not look it up a second time.
    fn stored(&self, q: &Query<'_>) -> Option<Vulnerabilities<'_>> {
        let none = || Vulnerabilities {
            merged: Merged::empty(self),
            version_error: None,
        };
        let (base, release) = match q.ecosystem.split_once(':') {
            Some((b, r)) => (b, Some(r)),
            None => (q.ecosystem, None),
        };
        let Some(eco) = self.ecosystem(base) else {
            return Some(none());
        };
        let (name, version) = if eco.by_source {
            (
                q.source_name.unwrap_or(q.name),
                q.source_version.unwrap_or(q.version),
            )
        } else if q.source_name.is_some_and(|s| s != q.name) {
            return None; // two lookups
        } else {
            (q.name, q.version)
        };
        let package = match self.package(eco, name) {
            Some(p) if !p.entries.is_empty() => p,
            _ => return Some(none()),
        };
        // The scheme `merge` is given for this spelling of the ecosystem: the index's own when
        // spelled as OSV spells it (the common case, no lookup).
        let scheme = if *eco.base == *base {
            eco.scheme
        } else {
            Scheme::for_ecosystem(q.ecosystem)
        };
        if scheme != eco.scheme || package.ladders.len() != 1 {
            return None;
        }
        let QueryPos::At(p) = package.ladders[0].place(version) else {
            return None;
        };
        let release = release.map(|r| eco.release_id(r));
        let answers = package.answers(self, package.view_of(release), scheme)?;
        let groups = match package.listed.get(version) {
            Some(&(_, _, n)) => answers.listed(n)?,
            None => answers.at(p),
        };
        let version_error = eco
            .scheme
            .and_then(|s| scry_version::validate(s, version).err())
            .map(|e| e.to_string());
        Some(Vulnerabilities {
            merged: Merged::stored(self, answers, groups),
            version_error,
        })
    }

    /// The advisories affecting the queried version, one [`Hit`] per advisory (use
    /// [`crate::merge`] to merge them into vulnerabilities). Allocates only the result (and
    /// text for a version error), except for a name not in normal form, an ecosystem not in
    /// OSV's spelling or a release longer than 64 bytes (one normalised copy).
    pub fn query(&self, q: &Query<'_>) -> Matches<'_> {
        let mut out = Matches::default();
        let (base, release) = match q.ecosystem.split_once(':') {
            Some((b, r)) => (b, Some(r)),
            None => (q.ecosystem, None),
        };
        let Some(eco) = self.ecosystem(base) else {
            return out;
        };
        let release = release.map(|r| eco.release_id(r));
        let mut lookups: [Option<(&str, &str)>; 2] = [None, None];
        if eco.by_source {
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
        for (n, (name, version)) in lookups.into_iter().flatten().enumerate() {
            let Some(package) = self.package(eco, name) else {
                continue;
            };
            if package.entries.is_empty() {
                continue;
            }
            // A version the ecosystem's rules do not read is reported; schemes with a documented
            // fallback (PEP 440's legacy versions) still order it.
            if let Some(s) = eco.scheme {
                if let Err(e) = scry_version::validate(s, version) {
                    out.version_error.get_or_insert_with(|| e.to_string());
                }
            }
            let placed = package.place(version);
            let before = out.hits.len();
            let mut node = package
                .listed
                .get(version)
                .map_or(NONE, |&(head, _, _)| head);
            let mut listed = std::iter::from_fn(|| {
                let &(entry, next) = package.listed_nodes.get(node as usize)?;
                node = next;
                Some(entry)
            })
            .peekable();
            // Hits of the first lookup, which a second lookup must not repeat.
            let earlier = out.hits.len() * usize::from(n > 0);
            let (own, common) = package.candidates(release);
            if out.hits.capacity() == 0 {
                out.hits.reserve((own.len() + common.len()).min(256));
            }
            let (mut x, mut y) = (0, 0);
            loop {
                // The two lists merged, in entry order.
                let i = match (own.get(x), common.get(y)) {
                    (Some(&a), Some(&b)) if a < b => {
                        x += 1;
                        a
                    }
                    (_, Some(&b)) => {
                        y += 1;
                        b
                    }
                    (Some(&a), None) => {
                        x += 1;
                        a
                    }
                    (None, None) => break,
                };
                let entry = &package.entries[i as usize];
                while listed.next_if(|&l| l < i).is_some() {}
                let is_listed = listed.next_if(|&l| l == i).is_some();
                // An advisory's entries for one package are adjacent, so a hit from it in this
                // lookup is the last hit.
                if out
                    .hits
                    .last()
                    .is_some_and(|h| h.advisory == entry.advisory)
                    || out.hits[..earlier]
                        .iter()
                        .any(|h| h.advisory == entry.advisory)
                {
                    continue;
                }
                if let (Some(f), (_, QueryPos::At(q), _)) = (package.flat[i as usize], placed.at[0])
                {
                    // Integer form: no comparison can fail.
                    let spans = &package.flat_spans[f.spans.0 as usize..f.spans.1 as usize];
                    if is_listed || spans.iter().any(|&(lo, hi)| lo <= q && q < hi) {
                        let mut best: Option<(u32, u32)> = None;
                        for &(p, k) in &package.flat_fixes[f.fixes.0 as usize..f.fixes.1 as usize] {
                            if p > q && best.is_none_or(|(b, _)| b > p) {
                                best = Some((p, k));
                            }
                        }
                        let fix = match best {
                            Some((_, k)) => Fix::Fixed(&entry.fixes[k as usize]),
                            None if entry.wont_fix => Fix::WontFix,
                            None => Fix::NotFixed,
                        };
                        out.hits.push(Hit {
                            advisory: entry.advisory,
                            fix,
                            solo: package.solo[i as usize] && n == 0,
                        });
                    }
                    continue;
                }
                if is_listed || entry.in_ranges(&placed, &mut out.version_error) {
                    let fix = match entry.fix_above(&placed) {
                        Some(v) => Fix::Fixed(v),
                        None if entry.wont_fix => Fix::WontFix,
                        None => Fix::NotFixed,
                    };
                    out.hits.push(Hit {
                        advisory: entry.advisory,
                        fix,
                        solo: package.solo[i as usize] && n == 0,
                    });
                }
            }
            if n > 0 && out.hits.len() > before {
                // Two packages answered: lone within one is not lone within both.
                out.hits.iter_mut().for_each(|h| h.solo = false);
            }
        }
        out
    }
}
