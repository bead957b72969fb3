//! Version ladders: every bound one package's entries name under one scheme, sorted once under
//! that scheme's order, so that a query version is placed among them with one binary search and
//! every bound comparison after that is an integer comparison.
//!
//! Positions: the `k`-th class of equal bounds (in ascending order) is at `2k + 1`; a version
//! strictly between classes `k - 1` and `k` is at `2k`. So for a ranked bound `b` and a ranked
//! query `v`, `compare(scheme, v, b) == pos(v).cmp(&pos(b))`, by construction, as long as the
//! scheme's order is a total preorder on the ranked versions (which is why Packagist versions
//! with `#` are not ranked: see `scry_version::Scheme::Packagist`).

use std::cmp::Ordering;

use rustc_hash::FxHashMap;
use scry_version::{compare, Scheme};

/// Where a bound stands on its ladder.
pub(crate) type Pos = u32;

/// The bound does not parse under its scheme: comparing with it is an error.
pub(crate) const INVALID: Pos = u32::MAX;
/// The bound is not on the ladder (its scheme's order is not transitive for it): compare text.
pub(crate) const UNRANKED: Pos = u32::MAX - 1;

/// Where the query version stands on a ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryPos {
    At(Pos),
    /// The version does not parse under the scheme.
    Invalid,
    /// Not placed (see [`UNRANKED`]): compare text.
    Unranked,
}

/// The sorted classes of one (package, scheme).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ladder {
    pub(crate) scheme: Scheme,
    /// One representative per class of equal versions, ascending, one after the other (so
    /// placing a version reads one small block of memory, not a string per step).
    text: Box<str>,
    /// Where each class ends in `text`.
    ends: Box<[u32]>,
}

/// Whether the scheme's order may be used transitively on `v`.
fn rankable(scheme: Scheme, v: &str) -> bool {
    !(scheme == Scheme::Packagist && v.contains('#'))
}

impl Ladder {
    /// Build the ladder of `texts` (any order, duplicates allowed) and return each text's
    /// position, in the order given.
    pub(crate) fn build(scheme: Scheme, texts: &[&str]) -> (Ladder, Vec<Pos>) {
        // Distinct texts (first occurrence order), then the valid ones ordered by the scheme.
        let mut slot: FxHashMap<&str, u32> = FxHashMap::default();
        let mut distinct: Vec<&str> = Vec::new();
        let at: Vec<u32> = texts
            .iter()
            .map(|t| {
                *slot.entry(t).or_insert_with(|| {
                    distinct.push(t);
                    distinct.len() as u32 - 1
                })
            })
            .collect();
        let mut ordered: Vec<u32> = (0..distinct.len() as u32)
            .filter(|&i| {
                let t = distinct[i as usize];
                rankable(scheme, t) && compare(scheme, t, t).is_ok()
            })
            .collect();
        // Byte order first, so that ties under the scheme are ordered deterministically.
        ordered.sort_unstable_by(|&a, &b| distinct[a as usize].cmp(distinct[b as usize]));
        ordered.sort_by(|&a, &b| {
            compare(scheme, distinct[a as usize], distinct[b as usize]).unwrap_or(Ordering::Equal)
        });
        let mut pos_of: Vec<Pos> = vec![INVALID; distinct.len()];
        let mut classes: Vec<&str> = Vec::new();
        for &i in &ordered {
            let t = distinct[i as usize];
            let same = classes
                .last()
                .is_some_and(|c| compare(scheme, c, t) == Ok(Ordering::Equal));
            if !same {
                classes.push(t);
            }
            let k = u32::try_from(classes.len() - 1).unwrap_or(INVALID / 2 - 1);
            pos_of[i as usize] = 2 * k + 1;
        }
        let mut ends = Vec::with_capacity(classes.len());
        let mut text = String::with_capacity(classes.iter().map(|c| c.len()).sum());
        for c in &classes {
            text.push_str(c);
            ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        let positions = texts
            .iter()
            .zip(at)
            .map(|(t, i)| {
                if rankable(scheme, t) {
                    pos_of[i as usize]
                } else {
                    UNRANKED
                }
            })
            .collect();
        let ladder = Ladder {
            scheme,
            text: text.into(),
            ends: ends.into(),
        };
        (ladder, positions)
    }

    /// The `k`-th class's representative.
    #[inline]
    fn class(&self, k: usize) -> &str {
        let start = if k == 0 { 0 } else { self.ends[k - 1] as usize };
        &self.text[start..self.ends[k] as usize]
    }

    /// Place `version` on the ladder: `log2(classes)` comparisons under the scheme.
    pub(crate) fn place(&self, version: &str) -> QueryPos {
        if !rankable(self.scheme, version) {
            return QueryPos::Unranked;
        }
        if self.ends.is_empty() {
            return match compare(self.scheme, version, version) {
                Ok(_) => QueryPos::At(0),
                Err(_) => QueryPos::Invalid,
            };
        }
        let (mut lo, mut hi) = (0usize, self.ends.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match compare(self.scheme, version, self.class(mid)) {
                Ok(Ordering::Greater) => lo = mid + 1,
                Ok(Ordering::Less) => hi = mid,
                Ok(Ordering::Equal) => return QueryPos::At(2 * mid as u32 + 1),
                Err(_) => return QueryPos::Invalid,
            }
        }
        QueryPos::At(2 * lo as u32)
    }
}

/// `compare(scheme, version, bound)` where `bound` is at `bound_pos` and `version` at `q` on the
/// same ladder: integers when both are ranked, the scheme's comparison otherwise.
#[inline]
pub(crate) fn cmp_at(
    scheme: Scheme,
    version: &str,
    q: QueryPos,
    bound: &str,
    bound_pos: Pos,
) -> Result<Ordering, ()> {
    match q {
        QueryPos::At(p) if bound_pos < UNRANKED => Ok(p.cmp(&bound_pos)),
        QueryPos::Invalid => Err(()),
        QueryPos::At(_) if bound_pos == INVALID => Err(()),
        _ => compare(scheme, version, bound).map_err(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_the_scheme() {
        let texts = ["1.0", "1.0.0", "2.0", "0.9", "x y", "1.0"];
        let (ladder, pos) = Ladder::build(Scheme::Pep440, &texts);
        // "x y" is a PEP 440 legacy version: valid, sorts first.
        assert_eq!(pos, vec![5, 5, 7, 3, 1, 5]);
        assert_eq!(ladder.place("1.0.0.0"), QueryPos::At(5));
        assert_eq!(ladder.place("1.5"), QueryPos::At(6));
        assert_eq!(ladder.place("3"), QueryPos::At(8));
        assert_eq!(ladder.place(""), QueryPos::Invalid);
        let (ladder, pos) = Ladder::build(Scheme::Go, &["1.2.3", "1.x"]);
        assert_eq!(pos, vec![1, INVALID]);
        assert_eq!(ladder.place("1.x"), QueryPos::Invalid);
        let (ladder, pos) = Ladder::build(Scheme::Packagist, &["1.2.#", "1.2"]);
        assert_eq!(pos, vec![UNRANKED, 1]);
        assert_eq!(ladder.place("1.#"), QueryPos::Unranked);
    }

    /// Ladder positions order exactly as `compare` does, on every pair of versions in every
    /// shared vector file (each file's versions, plus nudged variants, form one ladder), both for
    /// versions on the ladder and for versions placed on it by `place`.
    #[test]
    fn positions_agree_with_compare_on_the_shared_vectors() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata/versions"
        );
        let files = [
            ("alpine", Scheme::Apk),
            ("cran", Scheme::Cran),
            ("debian", Scheme::Dpkg),
            ("hackage", Scheme::Hackage),
            ("maven", Scheme::Maven),
            ("nuget", Scheme::NuGet),
            ("packagist", Scheme::Packagist),
            ("pub", Scheme::Pub),
            ("pypi", Scheme::Pep440),
            ("redhat", Scheme::Rpm),
            ("rubygems", Scheme::RubyGems),
            ("semver", Scheme::SemVer),
        ];
        let mut pairs = 0usize;
        for (prefix, scheme) in files {
            let path = format!("{dir}/{prefix}-versions.txt");
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let mut versions: Vec<String> = Vec::new();
            for line in text.lines() {
                if let Some(Ok(v)) = scry_version::vectors::parse_line(line) {
                    versions.push(v.left.to_string());
                    versions.push(v.right.to_string());
                }
            }
            assert!(versions.len() > 10, "{path}");
            // Half the versions build the ladder; all of them, nudged too, are placed on it.
            let built: Vec<&str> = versions.iter().step_by(2).map(String::as_str).collect();
            let (ladder, pos) = Ladder::build(scheme, &built);
            let mut probes: Vec<String> = versions.clone();
            for v in versions.iter().take(100) {
                probes.push(format!("{v}.1"));
                probes.push(format!("{v}-1"));
                probes.push(format!("{v}a"));
            }
            let placed: Vec<QueryPos> = probes.iter().map(|a| ladder.place(a)).collect();
            for (b, &bp) in built.iter().zip(&pos) {
                for (a, &at) in probes.iter().zip(&placed) {
                    let expected = compare(scheme, a, b);
                    let got = cmp_at(scheme, a, at, b, bp);
                    assert_eq!(expected.ok(), got.ok(), "{scheme:?}: {a:?} vs {b:?}");
                    pairs += 1;
                }
            }
            // Bounds among themselves: the position order is the scheme's order.
            for (a, &ap) in built.iter().zip(&pos) {
                for (b, &bp) in built.iter().zip(&pos) {
                    if ap < UNRANKED && bp < UNRANKED {
                        assert_eq!(compare(scheme, a, b), Ok(ap.cmp(&bp)), "{a:?} vs {b:?}");
                    }
                }
            }
        }
        assert!(pairs > 1_000_000, "{pairs}");
    }
}
