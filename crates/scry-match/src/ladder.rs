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
    /// One representative per class of equal versions, ascending.
    classes: Vec<Box<str>>,
}

/// Whether the scheme's order may be used transitively on `v`.
fn rankable(scheme: Scheme, v: &str) -> bool {
    !(scheme == Scheme::Packagist && v.contains('#'))
}

impl Ladder {
    /// Build the ladder of `texts` (any order, duplicates allowed) and return each text's
    /// position, in the order given.
    pub(crate) fn build(scheme: Scheme, texts: &[&str]) -> (Ladder, Vec<Pos>) {
        let mut valid: Vec<&str> = texts
            .iter()
            .copied()
            .filter(|t| rankable(scheme, t) && compare(scheme, t, t).is_ok())
            .collect();
        valid.sort_unstable();
        valid.dedup();
        // Byte-sorted distinct texts, then ordered by the scheme (stable on ties).
        let mut ordered = valid.clone();
        ordered.sort_by(|a, b| compare(scheme, a, b).unwrap_or(Ordering::Equal));
        let mut classes: Vec<Box<str>> = Vec::new();
        let mut pos_of: Vec<(&str, Pos)> = Vec::with_capacity(ordered.len());
        for t in &ordered {
            let same = classes
                .last()
                .is_some_and(|c| compare(scheme, c, t) == Ok(Ordering::Equal));
            if !same {
                classes.push((*t).into());
            }
            let k = u32::try_from(classes.len() - 1).unwrap_or(INVALID / 2 - 1);
            pos_of.push((t, 2 * k + 1));
        }
        pos_of.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let positions = texts
            .iter()
            .map(|t| {
                if !rankable(scheme, t) {
                    return UNRANKED;
                }
                match pos_of.binary_search_by(|(x, _)| x.cmp(t)) {
                    Ok(i) => pos_of[i].1,
                    Err(_) => INVALID,
                }
            })
            .collect();
        (Ladder { scheme, classes }, positions)
    }

    /// Place `version` on the ladder: `log2(classes)` comparisons under the scheme.
    pub(crate) fn place(&self, version: &str) -> QueryPos {
        if !rankable(self.scheme, version) {
            return QueryPos::Unranked;
        }
        if self.classes.is_empty() {
            return match compare(self.scheme, version, version) {
                Ok(_) => QueryPos::At(0),
                Err(_) => QueryPos::Invalid,
            };
        }
        let (mut lo, mut hi) = (0usize, self.classes.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match compare(self.scheme, version, &self.classes[mid]) {
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
}
