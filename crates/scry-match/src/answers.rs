//! Stored answers: for one package and one release view (the entries a query of that release
//! can see), the merged vulnerabilities for every stretch of the package's version ladder.
//!
//! A query's answer depends only on where its version falls on the ladder when every entry it
//! can see is in integer form ([`crate::compile::Flat`]) and the package has one ladder: each
//! entry's spans and fixes are ladder positions, so the answer changes only at those positions
//! ("breaks"). Between two breaks it is one merged list, computed once, the first time any
//! query needs that view, by the same hit loop and [`crate::merge`] that answer a query
//! directly. A version some entry lists explicitly gets an answer of its own (the same loop
//! with those entries counted in). Afterwards a query is one binary search on the ladder (the
//! version comparisons) and one on the breaks.
//!
//! Invariant: an answer read from here equals `merge(query(q))` for every query it serves;
//! `tests/matching.rs` and scry-vulndb's `real_data` test check that on the shared feeds.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;
use scry_version::Scheme;

use crate::index::Package;
use crate::ladder::QueryPos;
use crate::merge::{merge, Keys, MatchRef};
use crate::{Fix, FixedVersion, Hit, Index};

/// A stored group: [`crate::merge`]'s group with everything it names in the [`Answers`], so
/// reading one touches nothing else. Its identifier keys and advisories start where it says
/// and end where the next group's start (every answer is followed by a group: the next
/// answer's first, or the final sentinel).
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredGroup {
    id: u32,
    keys: u32,
    advisories: u32,
    /// [`NOT_FIXED`], [`WONT_FIX`], or `FIXED + k` for `Answers::fixes[k]`.
    fix: u32,
}

const NOT_FIXED: u32 = 0;
const WONT_FIX: u32 = 1;
const FIXED: u32 = 2;

/// The answers of one (package, release view).
#[derive(Debug, Default)]
pub(crate) struct Answers {
    /// Ladder positions where the answer changes, ascending: stretch `k` is
    /// `[breaks[k - 1], breaks[k])` (from 0, to the end of the ladder).
    breaks: Vec<u32>,
    /// Stretch `k`'s groups are `groups[starts[k]..starts[k + 1]]`.
    starts: Vec<u32>,
    groups: Vec<StoredGroup>,
    keys: Vec<u32>,
    advisories: Vec<u32>,
    /// The fixed versions the groups name (copies of the entries' own).
    fixes: Vec<FixedVersion>,
    /// Per listed version (by its number, see `Package::listed`), its groups; `u32::MAX` when
    /// the version is not on the ladder (such a query is answered directly).
    listed: Vec<(u32, u32)>,
}

/// Per release view, its answers once built (None: the view cannot be stored, see the module
/// documentation).
pub(crate) type AnswerSlots = Box<[OnceLock<Option<Answers>>]>;

/// A view is not stored when its answers would hold more groups than this (a memory bound; such
/// a view is answered directly, as before).
const MAX_GROUPS: usize = 1 << 20;

impl Answers {
    /// Heap bytes held.
    pub(crate) fn bytes(&self) -> usize {
        use std::mem::size_of;
        self.breaks.capacity() * 4
            + self.starts.capacity() * 4
            + self.groups.capacity() * size_of::<StoredGroup>()
            + self.keys.capacity() * 4
            + self.advisories.capacity() * 4
            + self.listed.capacity() * 8
            + self
                .fixes
                .iter()
                .map(|f| size_of::<FixedVersion>() + f.version.len())
                .sum::<usize>()
    }

    /// The groups of the stretch holding ladder position `p`, and the group after them.
    pub(crate) fn at(&self, p: u32) -> &[StoredGroup] {
        let k = self.breaks.partition_point(|&b| b <= p);
        self.slice(self.starts[k], self.starts[k + 1])
    }

    /// The groups of the listed version numbered `n`, when stored, and the group after them.
    pub(crate) fn listed(&self, n: u32) -> Option<&[StoredGroup]> {
        let &(from, to) = self.listed.get(n as usize)?;
        (from != u32::MAX).then(|| self.slice(from, to))
    }

    /// `groups[from..to]` and its follower.
    fn slice(&self, from: u32, to: u32) -> &[StoredGroup] {
        &self.groups[from as usize..=to as usize]
    }

    /// Group `g` (followed by `next`) as a [`MatchRef`].
    #[inline]
    pub(crate) fn read<'i>(
        &'i self,
        index: &'i Index,
        g: &StoredGroup,
        next: &StoredGroup,
    ) -> MatchRef<'i, 'i> {
        let fix = match g.fix {
            NOT_FIXED => Fix::NotFixed,
            WONT_FIX => Fix::WontFix,
            k => Fix::Fixed(&self.fixes[(k - FIXED) as usize]),
        };
        MatchRef::new(
            index,
            g.id,
            &self.keys[g.keys as usize..next.keys as usize],
            &self.advisories[g.advisories as usize..next.advisories as usize],
            fix,
        )
    }
}

impl Package {
    /// The answers of release view `view` (see [`Package::view_of`]), built on first use; None
    /// when that view cannot be stored.
    pub(crate) fn answers(
        &self,
        index: &Index,
        view: usize,
        scheme: Option<Scheme>,
    ) -> Option<&Answers> {
        self.answer_slots
            .get(view)?
            .get_or_init(|| self.build_answers(index, view, scheme))
            .as_ref()
    }

    fn build_answers(&self, index: &Index, view: usize, scheme: Option<Scheme>) -> Option<Answers> {
        if self.ladder_count() != 1 {
            return None;
        }
        let (own, common) = self.view(view);
        // The entries in ascending order, as a query visits them.
        let mut seen: Vec<u32> = own.iter().chain(common).copied().collect();
        seen.sort_unstable();
        let flat: Vec<_> = seen
            .iter()
            .map(|&i| self.flat[i as usize])
            .collect::<Option<_>>()?;
        let mut breaks: Vec<u32> = Vec::new();
        for f in &flat {
            for &(lo, hi) in &self.flat_spans[f.spans.0 as usize..f.spans.1 as usize] {
                breaks.extend([lo, hi].into_iter().filter(|&b| b != 0 && b != u32::MAX));
            }
            for &(p, _) in &self.flat_fixes[f.fixes.0 as usize..f.fixes.1 as usize] {
                breaks.push(p);
            }
        }
        breaks.sort_unstable();
        breaks.dedup();
        let mut out = Answers {
            starts: Vec::with_capacity(breaks.len() + 2),
            ..Answers::default()
        };
        let mut hits: Vec<Hit<'_>> = Vec::new();
        let mut origins: Vec<u32> = Vec::new();
        // (entry, fix) → its number in `out.fixes`.
        let mut fix_numbers: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        // The answer at ladder position `q` for a version listed by the entries `listed`
        // (ascending), appended to `out.groups`: the query's hit loop, then `merge`.
        let mut answer = |out: &mut Answers, q: u32, listed: &[u32]| -> Option<()> {
            hits.clear();
            origins.clear();
            for (&i, f) in seen.iter().zip(&flat) {
                let entry = &self.entries[i as usize];
                if hits.last().is_some_and(|h| h.advisory == entry.advisory) {
                    continue;
                }
                let spans = &self.flat_spans[f.spans.0 as usize..f.spans.1 as usize];
                if !(listed.binary_search(&i).is_ok()
                    || spans.iter().any(|&(lo, hi)| lo <= q && q < hi))
                {
                    continue;
                }
                let mut best: Option<(u32, u32)> = None;
                for &(p, k) in &self.flat_fixes[f.fixes.0 as usize..f.fixes.1 as usize] {
                    if p > q && best.is_none_or(|(b, _)| b > p) {
                        best = Some((p, k));
                    }
                }
                let (fix, origin) = match best {
                    Some((_, k)) => {
                        let fixed = &entry.fixes[k as usize];
                        let n = *fix_numbers.entry((i, k)).or_insert_with(|| {
                            out.fixes.push(fixed.clone());
                            out.fixes.len() as u32 - 1
                        });
                        (Fix::Fixed(fixed), FIXED + n)
                    }
                    None if entry.wont_fix => (Fix::WontFix, WONT_FIX),
                    None => (Fix::NotFixed, NOT_FIXED),
                };
                hits.push(Hit {
                    advisory: entry.advisory,
                    fix,
                    solo: self.solo[i as usize],
                });
                origins.push(origin);
            }
            let merged = merge(index, &hits, scheme);
            let (groups, keys, advisories) = merged.built()?;
            for g in groups {
                let stored_keys = out.keys.len() as u32;
                out.keys.extend_from_slice(match g.keys {
                    Keys::Advisory(a) => &index.advisory(a).keys,
                    Keys::Own(from, to) => &keys[from as usize..to as usize],
                });
                let stored_advisories = out.advisories.len() as u32;
                out.advisories.extend_from_slice(
                    &advisories[g.advisories.0 as usize..g.advisories.1 as usize],
                );
                let fix = match g.fix {
                    Fix::WontFix => WONT_FIX,
                    Fix::NotFixed => NOT_FIXED,
                    // The merged fix is one of the hits' fixes: find which.
                    Fix::Fixed(v) => *hits.iter().zip(&origins).find_map(|(h, o)| {
                        matches!(h.fix, Fix::Fixed(w) if std::ptr::eq(v, w)).then_some(o)
                    })?,
                };
                out.groups.push(StoredGroup {
                    id: g.id,
                    keys: stored_keys,
                    advisories: stored_advisories,
                    fix,
                });
            }
            (out.groups.len() <= MAX_GROUPS).then_some(())
        };
        out.starts.push(0);
        for q in std::iter::once(0).chain(breaks.iter().copied()) {
            answer(&mut out, q, &[])?;
            out.starts.push(out.groups.len() as u32);
        }
        // Listed versions: their own answers, where the version is on the ladder.
        out.listed = vec![(u32::MAX, u32::MAX); self.listed.len()];
        let ladder = self.ladder(0)?;
        let mut entries: Vec<u32> = Vec::new();
        for (text, &(head, _, n)) in &self.listed {
            let QueryPos::At(q) = ladder.place(text) else {
                continue;
            };
            entries.clear();
            let mut node = head;
            while let Some(&(entry, next)) = self.listed_nodes.get(node as usize) {
                entries.push(entry);
                node = next;
            }
            let from = out.groups.len() as u32;
            answer(&mut out, q, &entries)?;
            out.listed[n as usize] = (from, out.groups.len() as u32);
        }
        // The final follower.
        out.groups.push(StoredGroup {
            id: u32::MAX,
            keys: out.keys.len() as u32,
            advisories: out.advisories.len() as u32,
            fix: NOT_FIXED,
        });
        out.breaks = breaks;
        out.starts.shrink_to_fit();
        out.groups.shrink_to_fit();
        out.keys.shrink_to_fit();
        out.advisories.shrink_to_fit();
        out.fixes.shrink_to_fit();
        Some(out)
    }
}
