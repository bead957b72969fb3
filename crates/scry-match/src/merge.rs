//! Merging advisories that describe the same vulnerability.

use std::cmp::Ordering;

use scry_version::{compare, Scheme};

use crate::answers::{Answers, StoredGroup};
use crate::compile::FixedVersion;
use crate::ladder::UNRANKED;
use crate::{Fix, Hit, Index, Match};

/// The vulnerabilities of one package: hits merged by alias (see [`merge`]), or a package's
/// stored answer (see [`Index::vulnerabilities`]). Borrows every string from the index;
/// [`MatchRef::to_match`] makes an owned [`Match`].
#[derive(Debug, Clone)]
pub struct Merged<'i> {
    index: &'i Index,
    body: Body<'i>,
}

#[derive(Debug, Clone)]
enum Body<'i> {
    Built {
        groups: Vec<Group<'i>>,
        /// Identifier keys of all groups, each group's sorted and without duplicates.
        keys: Vec<u32>,
        /// Advisory positions of all groups, each group's in hit order.
        advisories: Vec<u32>,
    },
    Stored {
        answers: &'i Answers,
        groups: &'i [StoredGroup],
    },
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Group<'i> {
    pub(crate) id: u32,
    pub(crate) keys: Keys,
    pub(crate) advisories: (u32, u32),
    pub(crate) fix: Fix<'i>,
}

impl<'i> Group<'i> {
    /// The group as a [`MatchRef`], its keys and advisories in `keys` and `advisories`.
    #[inline]
    fn read<'m>(&self, index: &'i Index, keys: &'m [u32], advisories: &'m [u32]) -> MatchRef<'m, 'i>
    where
        'i: 'm,
    {
        MatchRef {
            index,
            id: self.id,
            keys: match self.keys {
                Keys::Advisory(a) => &index.advisory(a).keys,
                Keys::Own(from, to) => &keys[from as usize..to as usize],
            },
            advisories: &advisories[self.advisories.0 as usize..self.advisories.1 as usize],
            fix: self.fix,
        }
    }
}

/// Where a group's identifier keys are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keys {
    /// The keys of this one advisory, in the index.
    Advisory(u32),
    /// `keys[start..end]` of the group's owner.
    Own(u32, u32),
}

/// One vulnerability of a [`Merged`].
#[derive(Debug, Clone, Copy)]
pub struct MatchRef<'m, 'i> {
    index: &'i Index,
    id: u32,
    keys: &'m [u32],
    advisories: &'m [u32],
    fix: Fix<'i>,
}

impl<'m, 'i: 'm> MatchRef<'m, 'i> {
    #[inline]
    pub(crate) fn new(
        index: &'i Index,
        id: u32,
        keys: &'m [u32],
        advisories: &'m [u32],
        fix: Fix<'i>,
    ) -> MatchRef<'m, 'i> {
        MatchRef {
            index,
            id,
            keys,
            advisories,
            fix,
        }
    }

    /// The identifier shown to people: a CVE id when one is known, otherwise the first
    /// advisory's id.
    #[inline]
    pub fn id(&self) -> &'i str {
        self.index.identifier(self.id)
    }

    /// Every identifier of the merged advisories (ids and aliases), sorted, without `id`.
    #[inline]
    pub fn aliases(&self) -> impl Iterator<Item = &'i str> + 'm {
        let (index, id) = (self.index, self.id);
        self.keys
            .iter()
            .filter(move |&&k| k != id)
            .map(move |&k| index.identifier(k))
    }

    /// The advisories, by position in the index, in hit order.
    #[inline]
    pub fn advisories(&self) -> &'m [u32] {
        self.advisories
    }

    /// The smallest fixed version above the installed one across the merged advisories, or why
    /// there is none.
    #[inline]
    pub fn fix(&self) -> Fix<'i> {
        self.fix
    }

    /// The owned form.
    pub fn to_match(&self) -> Match {
        Match {
            id: self.id().to_string(),
            aliases: self.aliases().map(str::to_string).collect(),
            advisories: self.advisories.to_vec(),
            fix: self.fix.to_state(),
        }
    }
}

impl<'i> Merged<'i> {
    /// A stored answer (see [`crate::answers`]).
    pub(crate) fn stored(
        index: &'i Index,
        answers: &'i Answers,
        groups: &'i [StoredGroup],
    ) -> Merged<'i> {
        Merged {
            index,
            body: Body::Stored { answers, groups },
        }
    }

    /// No vulnerability.
    pub(crate) fn empty(index: &'i Index) -> Merged<'i> {
        Merged {
            index,
            body: Body::Built {
                groups: Vec::new(),
                keys: Vec::new(),
                advisories: Vec::new(),
            },
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        match &self.body {
            Body::Built { groups, .. } => groups.len(),
            // The last group is the follower of the answer's last (see `Answers::slice`).
            Body::Stored { groups, .. } => groups.len() - 1,
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether this answer was read from the package's stored answers (see
    /// [`Index::vulnerabilities`]) rather than merged for this query.
    pub fn is_stored(&self) -> bool {
        matches!(self.body, Body::Stored { .. })
    }

    /// The `i`-th vulnerability (sorted by id).
    #[inline]
    pub fn get(&self, i: usize) -> MatchRef<'_, 'i> {
        let index = self.index;
        match &self.body {
            Body::Built {
                groups,
                keys,
                advisories,
            } => groups[i].read(index, keys, advisories),
            Body::Stored { answers, groups } => answers.read(index, &groups[i], &groups[i + 1]),
        }
    }

    /// The vulnerabilities, sorted by id.
    #[inline]
    pub fn iter(&self) -> Iter<'_, 'i> {
        Iter {
            index: self.index,
            inner: match &self.body {
                Body::Built {
                    groups,
                    keys,
                    advisories,
                } => Inner::Built {
                    groups: groups.iter(),
                    keys,
                    advisories,
                },
                Body::Stored { answers, groups } => Inner::Stored {
                    answers,
                    groups: groups.windows(2),
                },
            },
        }
    }

    /// The groups of a built answer, with its keys and advisories (for storing).
    pub(crate) fn built(&self) -> Option<(&[Group<'i>], &[u32], &[u32])> {
        match &self.body {
            Body::Built {
                groups,
                keys,
                advisories,
            } => Some((groups, keys, advisories)),
            Body::Stored { .. } => None,
        }
    }
}

/// The vulnerabilities of a [`Merged`], sorted by id.
#[derive(Debug, Clone)]
pub struct Iter<'m, 'i> {
    index: &'i Index,
    inner: Inner<'m, 'i>,
}

#[derive(Debug, Clone)]
enum Inner<'m, 'i> {
    Built {
        groups: std::slice::Iter<'m, Group<'i>>,
        keys: &'m [u32],
        advisories: &'m [u32],
    },
    Stored {
        answers: &'i Answers,
        groups: std::slice::Windows<'i, StoredGroup>,
    },
}

impl<'m, 'i: 'm> Iterator for Iter<'m, 'i> {
    type Item = MatchRef<'m, 'i>;

    #[inline]
    fn next(&mut self) -> Option<MatchRef<'m, 'i>> {
        let index = self.index;
        match &mut self.inner {
            Inner::Built {
                groups,
                keys,
                advisories,
            } => Some(groups.next()?.read(index, keys, advisories)),
            Inner::Stored { answers, groups } => {
                let w = groups.next()?;
                Some(answers.read(index, &w[0], &w[1]))
            }
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            Inner::Built { groups, .. } => groups.size_hint(),
            Inner::Stored { groups, .. } => groups.size_hint(),
        }
    }
}

/// Merge hits on one package (the hits of one [`Index::query`]) into vulnerabilities: two
/// advisories are the same vulnerability when they share an identifier (one's id is the other's
/// alias, or they share an alias), transitively. `scheme` orders fixed versions so the merged
/// fix is the smallest one.
///
/// The result is sorted by id, so it is deterministic. Identifiers are compared as interned
/// integers, and a hit whose advisory shares no identifier with any other advisory in the index
/// (the common case) is a vulnerability by itself without any comparison; nothing but the
/// result's own buffers is allocated.
pub fn merge<'i>(index: &'i Index, hits: &[Hit<'i>], scheme: Option<Scheme>) -> Merged<'i> {
    let mut out = Building {
        index,
        groups: Vec::with_capacity(hits.len()),
        keys: Vec::new(),
        advisories: Vec::with_capacity(hits.len()),
    };
    let single = |out: &mut Building<'i>, h: &Hit<'i>| {
        let at = out.advisories.len() as u32;
        out.advisories.push(h.advisory);
        out.groups.push(Group {
            id: index.advisory(h.advisory).shown,
            keys: Keys::Advisory(h.advisory),
            advisories: (at, at + 1),
            fix: h.fix,
        });
    };
    let mut shared: Vec<(u32, u32)> = Vec::new(); // (component, hit)
    for (i, h) in hits.iter().enumerate() {
        let meta = index.advisory(h.advisory);
        if meta.alone || h.solo {
            single(&mut out, h);
        } else {
            shared.push((meta.component, i as u32));
        }
    }
    shared.sort_unstable();
    for bucket in shared.chunk_by(|a, b| a.0 == b.0) {
        if let [(_, h)] = bucket {
            // The only hit of its component: nothing to merge it with.
            single(&mut out, &hits[*h as usize]);
        } else {
            let members: Vec<u32> = bucket.iter().map(|&(_, h)| h).collect();
            merge_bucket(&mut out, hits, &members, scheme);
        }
    }
    // Sort by id through packed (id, position) integers: cheaper than moving groups around.
    let mut order: Vec<u64> = out
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| (u64::from(g.id) << 32) | i as u64)
        .collect();
    order.sort_unstable();
    out.groups = order
        .iter()
        .map(|&o| out.groups[o as u32 as usize])
        .collect();
    // Ids are distinct unless one advisory was hit twice (never from `Index::query`): then
    // merge everything the general way.
    if out.groups.windows(2).any(|w| w[0].id == w[1].id) {
        let all: Vec<u32> = (0..hits.len() as u32).collect();
        out.groups.clear();
        out.keys.clear();
        out.advisories.clear();
        merge_bucket(&mut out, hits, &all, scheme);
        out.groups.sort_by_key(|g| g.id);
    }
    Merged {
        index,
        body: Body::Built {
            groups: out.groups,
            keys: out.keys,
            advisories: out.advisories,
        },
    }
}

/// A [`Merged`] under construction.
struct Building<'i> {
    index: &'i Index,
    groups: Vec<Group<'i>>,
    keys: Vec<u32>,
    advisories: Vec<u32>,
}

/// Merge the hits at positions `members` (ascending) into groups of `out` (unsorted).
fn merge_bucket<'i>(
    out: &mut Building<'i>,
    hits: &[Hit<'i>],
    members: &[u32],
    scheme: Option<Scheme>,
) {
    let index = out.index;
    let n = members.len();
    // Union-find over member positions; two hits join when their identifier sets intersect.
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(parent: &mut [u32], mut i: u32) -> u32 {
        while parent[i as usize] != i {
            parent[i as usize] = parent[parent[i as usize] as usize];
            i = parent[i as usize];
        }
        i
    }
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for (i, &h) in members.iter().enumerate() {
        let keys = &index.advisory(hits[h as usize].advisory).keys;
        pairs.extend(keys.iter().map(|&k| (k, i as u32)));
    }
    pairs.sort_unstable();
    for w in pairs.windows(2) {
        if w[0].0 == w[1].0 {
            let (a, b) = (find(&mut parent, w[0].1), find(&mut parent, w[1].1));
            if a != b {
                parent[b.max(a) as usize] = a.min(b);
            }
        }
    }
    // Groups in order of their first hit, members in hit order.
    let mut group_of_root: Vec<u32> = vec![u32::MAX; n];
    let mut grouped: Vec<(u32, u32)> = Vec::with_capacity(n); // (group, hit)
    let mut count = 0u32;
    for i in 0..n as u32 {
        let root = find(&mut parent, i) as usize;
        if group_of_root[root] == u32::MAX {
            group_of_root[root] = count;
            count += 1;
        }
        grouped.push((group_of_root[root], members[i as usize]));
    }
    grouped.sort_unstable();
    for group in grouped.chunk_by(|a, b| a.0 == b.0) {
        let from = out.keys.len();
        for &(_, h) in group {
            out.keys
                .extend_from_slice(&index.advisory(hits[h as usize].advisory).keys);
        }
        out.keys[from..].sort_unstable();
        let mut w = from;
        for r in from..out.keys.len() {
            if w == from || out.keys[r] != out.keys[w - 1] {
                out.keys[w] = out.keys[r];
                w += 1;
            }
        }
        out.keys.truncate(w);
        let first = hits[group[0].1 as usize].advisory;
        let id = out.keys[from..]
            .iter()
            .copied()
            .find(|&k| index.is_cve(k))
            .unwrap_or(index.advisory(first).id_key);
        let adv_from = out.advisories.len();
        out.advisories
            .extend(group.iter().map(|&(_, h)| hits[h as usize].advisory));
        out.groups.push(Group {
            id,
            keys: Keys::Own(from as u32, out.keys.len() as u32),
            advisories: (adv_from as u32, out.advisories.len() as u32),
            fix: merged_fix(group.iter().map(|&(_, h)| hits[h as usize].fix), scheme),
        });
    }
}

/// [`merge`], as owned [`Match`]es.
pub fn merge_by_alias(index: &Index, hits: &[Hit<'_>], scheme: Option<Scheme>) -> Vec<Match> {
    merge(index, hits, scheme)
        .iter()
        .map(|m| m.to_match())
        .collect()
}

/// `compare(scheme, b, a) == Ok(Less)`, by ladder positions when both are on one ladder of
/// `scheme`.
fn smaller(scheme: Scheme, b: &FixedVersion, a: &FixedVersion) -> bool {
    let same_ladder = a.ladder == b.ladder && a.scheme == scheme && b.scheme == scheme;
    if same_ladder && a.pos < UNRANKED && b.pos < UNRANKED {
        return b.pos < a.pos;
    }
    compare(scheme, &b.version, &a.version) == Ok(Ordering::Less)
}

/// The smallest concrete fix; else "not fixed" if any advisory says so; else "will not fix".
fn merged_fix<'i>(fixes: impl Iterator<Item = Fix<'i>>, scheme: Option<Scheme>) -> Fix<'i> {
    let mut best: Option<Fix<'i>> = None;
    for f in fixes {
        best = Some(match (best, f) {
            (None, f) => f,
            (Some(Fix::Fixed(a)), Fix::Fixed(b)) => {
                if scheme.is_some_and(|s| smaller(s, b, a)) {
                    f
                } else {
                    Fix::Fixed(a)
                }
            }
            (Some(b @ Fix::Fixed(_)), _) => b,
            (Some(_), Fix::Fixed(_)) => f,
            (Some(Fix::WontFix), Fix::NotFixed) => f,
            (Some(b), _) => b,
        });
    }
    best.unwrap_or(Fix::NotFixed)
}
