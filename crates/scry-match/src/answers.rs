//! Stored answers: for one package and one release view (the entries a query of that release
//! can see), the merged vulnerabilities for every stretch of the package's version ladder.
//!
//! A query's answer depends only on where its version falls on the ladder when every entry it
//! can see is in integer form ([`crate::compile::Flat`]), the package has one ladder, and the
//! version is not listed explicitly: each entry's spans and fixes are ladder positions, so the
//! answer changes only at those positions ("breaks"). Between two breaks it is one merged list,
//! computed once, the first time any query needs that view, by the same hit loop and
//! [`crate::merge`] that answer a query directly. Afterwards a query is one binary search on
//! the ladder (the version comparisons) and one on the breaks.
//!
//! Invariant: an answer read from here equals `merge(query(q))` for every query it serves;
//! `tests/matching.rs` and scry-vulndb's `real_data` test check that on the shared feeds.

use std::sync::OnceLock;

use scry_version::Scheme;

use crate::index::Package;
use crate::merge::{merge, Keys};
use crate::{Fix, Hit, Index};

/// A stored group: [`crate::merge`]'s group with its fix as a place in the package.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredGroup {
    pub(crate) id: u32,
    pub(crate) keys: Keys,
    pub(crate) advisories: (u32, u32),
    pub(crate) fix: StoredFix,
}

/// [`Fix`] as positions: the entry, and the fix among its `fixes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoredFix {
    WontFix,
    NotFixed,
    Fixed { entry: u32, k: u32 },
}

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
}

/// Per release view, its answers once built (None: the view cannot be stored, see the module
/// documentation).
pub(crate) type AnswerSlots = Box<[OnceLock<Option<Answers>>]>;

/// A view is not stored when its answers would hold more groups than this (a memory bound; such
/// a view is answered directly, as before).
const MAX_GROUPS: usize = 1 << 20;

impl Answers {
    /// The groups of the stretch holding ladder position `p`.
    pub(crate) fn at(&self, p: u32) -> &[StoredGroup] {
        let k = self.breaks.partition_point(|&b| b <= p);
        &self.groups[self.starts[k] as usize..self.starts[k + 1] as usize]
    }

    pub(crate) fn keys(&self, from: u32, to: u32) -> &[u32] {
        &self.keys[from as usize..to as usize]
    }

    pub(crate) fn advisories(&self, (from, to): (u32, u32)) -> &[u32] {
        &self.advisories[from as usize..to as usize]
    }
}

impl Package {
    /// [`StoredFix`] back to a [`Fix`] borrowing the index.
    pub(crate) fn fix(&self, f: StoredFix) -> Fix<'_> {
        match f {
            StoredFix::WontFix => Fix::WontFix,
            StoredFix::NotFixed => Fix::NotFixed,
            StoredFix::Fixed { entry, k } => {
                Fix::Fixed(&self.entries[entry as usize].fixes[k as usize])
            }
        }
    }

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
        out.starts.push(0);
        let mut hits: Vec<Hit<'_>> = Vec::new();
        let mut origins: Vec<StoredFix> = Vec::new();
        for q in std::iter::once(0).chain(breaks.iter().copied()) {
            hits.clear();
            origins.clear();
            for (&i, f) in seen.iter().zip(&flat) {
                let entry = &self.entries[i as usize];
                if hits.last().is_some_and(|h| h.advisory == entry.advisory) {
                    continue;
                }
                let spans = &self.flat_spans[f.spans.0 as usize..f.spans.1 as usize];
                if !spans.iter().any(|&(lo, hi)| lo <= q && q < hi) {
                    continue;
                }
                let mut best: Option<(u32, u32)> = None;
                for &(p, k) in &self.flat_fixes[f.fixes.0 as usize..f.fixes.1 as usize] {
                    if p > q && best.is_none_or(|(b, _)| b > p) {
                        best = Some((p, k));
                    }
                }
                let (fix, origin) = match best {
                    Some((_, k)) => (
                        Fix::Fixed(&entry.fixes[k as usize]),
                        StoredFix::Fixed { entry: i, k },
                    ),
                    None if entry.wont_fix => (Fix::WontFix, StoredFix::WontFix),
                    None => (Fix::NotFixed, StoredFix::NotFixed),
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
                let keys = match g.keys {
                    Keys::Advisory(a) => Keys::Advisory(a),
                    Keys::Own(from, to) => {
                        let at = out.keys.len() as u32;
                        out.keys
                            .extend_from_slice(&keys[from as usize..to as usize]);
                        Keys::Own(at, out.keys.len() as u32)
                    }
                };
                let at = out.advisories.len() as u32;
                out.advisories.extend_from_slice(
                    &advisories[g.advisories.0 as usize..g.advisories.1 as usize],
                );
                let fix = match g.fix {
                    Fix::WontFix => StoredFix::WontFix,
                    Fix::NotFixed => StoredFix::NotFixed,
                    // The merged fix is one of the hits' fixes: find which.
                    Fix::Fixed(v) => *hits.iter().zip(&origins).find_map(|(h, o)| {
                        matches!(h.fix, Fix::Fixed(w) if std::ptr::eq(v, w)).then_some(o)
                    })?,
                };
                out.groups.push(StoredGroup {
                    id: g.id,
                    keys,
                    advisories: (at, out.advisories.len() as u32),
                    fix,
                });
            }
            if out.groups.len() > MAX_GROUPS {
                return None;
            }
            out.starts.push(out.groups.len() as u32);
        }
        out.breaks = breaks;
        out.groups.shrink_to_fit();
        out.keys.shrink_to_fit();
        out.advisories.shrink_to_fit();
        Some(out)
    }
}
