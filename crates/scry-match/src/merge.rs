//! Merging advisories that describe the same vulnerability.

use std::cmp::Ordering;

use scry_version::{compare, Scheme};

use crate::{FixState, Hit, Index, Match};

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
fn merged_fix<'a>(fixes: impl Iterator<Item = &'a FixState>, scheme: Option<Scheme>) -> FixState {
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
