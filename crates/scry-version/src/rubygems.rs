//! RubyGems versions, ordered like `Gem::Version#<=>`.
//!
//! A version is read as segments: runs of digits (numbers) and runs of letters (strings);
//! dots only separate, and `-` reads as `.pre.`. Canonically, the zeros that end the leading
//! numeric part are dropped (`1.0.a = 1.a`), and segments then compare pairwise, the shorter
//! version padded with `0`: numbers numerically, strings by bytes, and any string before any
//! number, so `1.0.a < 1.0 < 1.0.1` and `1.0.b1 > 1.0.a.2`.
//!
//! `Gem::Version` rejects letters glued to the first number (`1beta`); [`compare`] accepts
//! them (fallback), [`validate`] does not.

use std::cmp::Ordering;

use crate::num::{cmp_digits, is_zero};
use crate::{Scheme, VersionError};

#[derive(Clone, Copy, Debug)]
enum Seg<'a> {
    Num(&'a [u8]),
    Str(&'a [u8]),
}

/// Raw segments of a (trimmed) version.
#[derive(Clone)]
struct Segments<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Segments<'a> {
    type Item = Seg<'a>;

    fn next(&mut self) -> Option<Seg<'a>> {
        loop {
            let &c = self.rest.first()?;
            if c == b'-' {
                self.rest = &self.rest[1..];
                return Some(Seg::Str(b"pre"));
            }
            let n = if c.is_ascii_digit() {
                self.rest.iter().take_while(|c| c.is_ascii_digit()).count()
            } else if c.is_ascii_alphabetic() {
                self.rest
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count()
            } else {
                self.rest = &self.rest[1..];
                continue;
            };
            let (seg, rest) = self.rest.split_at(n);
            self.rest = rest;
            return Some(if c.is_ascii_digit() {
                Seg::Num(seg)
            } else {
                Seg::Str(seg)
            });
        }
    }
}

/// Canonical segments: the trailing zeros of the leading numeric part are skipped.
struct Canonical<'a> {
    segs: Segments<'a>,
    index: usize,
    /// Segment indexes `skip.0..skip.1` are dropped zeros.
    skip: (usize, usize),
}

impl<'a> Canonical<'a> {
    fn new(s: &'a [u8]) -> Self {
        let segs = Segments { rest: s };
        let mut kept = 0;
        let mut skip = (0, 0);
        for (i, seg) in segs.clone().enumerate() {
            match seg {
                Seg::Num(d) if !is_zero(d) => kept = i + 1,
                Seg::Num(_) => {}
                Seg::Str(_) => {
                    skip = (kept, i);
                    break;
                }
            }
        }
        Canonical {
            segs,
            index: 0,
            skip,
        }
    }
}

impl<'a> Iterator for Canonical<'a> {
    type Item = Seg<'a>;

    fn next(&mut self) -> Option<Seg<'a>> {
        loop {
            let seg = self.segs.next()?;
            let i = self.index;
            self.index += 1;
            if !(self.skip.0..self.skip.1).contains(&i) {
                return Some(seg);
            }
        }
    }
}

fn cmp_seg(a: Seg<'_>, b: Seg<'_>) -> Ordering {
    match (a, b) {
        (Seg::Num(x), Seg::Num(y)) => cmp_digits(x, y),
        (Seg::Str(x), Seg::Str(y)) => x.cmp(y),
        (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
        (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
    }
}

/// The lenient grammar: digits first, then ASCII letters, digits, `.` and `-`; empty is `0`.
fn lenient(v: &str) -> Result<&[u8], VersionError> {
    let s = v.trim().as_bytes();
    if s.is_empty() {
        return Ok(b"0");
    }
    if !s[0].is_ascii_digit() {
        return Err(VersionError::new(
            Scheme::RubyGems,
            v,
            "must start with a number",
        ));
    }
    match s
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'.' || c == b'-'))
    {
        Some(p) => Err(VersionError::unexpected(Scheme::RubyGems, v, &s[p..])),
        None => Ok(s),
    }
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (mut xs, mut ys) = (Canonical::new(lenient(a)?), Canonical::new(lenient(b)?));
    loop {
        let ord = match (xs.next(), ys.next()) {
            (None, None) => return Ok(Ordering::Equal),
            (x, y) => cmp_seg(x.unwrap_or(Seg::Num(b"0")), y.unwrap_or(Seg::Num(b"0"))),
        };
        if ord != Ordering::Equal {
            return Ok(ord);
        }
    }
}

/// `Gem::Version::ANCHORED_VERSION_PATTERN`:
/// `\s*([0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?\s*`.
pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    let s = lenient(v)?;
    if v.trim().is_empty() {
        return Ok(());
    }
    let (release, pre) = match s.iter().position(|&c| c == b'-') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let mut parts = release.split(|&c| c == b'.');
    let first_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit));
    let rest_ok = parts.all(|p| !p.is_empty());
    let pre_ok = pre.is_none_or(|p| p.split(|&c| c == b'.').all(|p| !p.is_empty()));
    if first_ok && rest_ok && pre_ok {
        Ok(())
    } else {
        Err(VersionError::new(
            Scheme::RubyGems,
            v,
            "malformed version number string",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal as Eq, Greater as Gt, Less as Lt};

    #[track_caller]
    fn check(a: &str, op: Ordering, b: &str) {
        assert_eq!(compare(a, b), Ok(op), "{a} vs {b}");
        assert_eq!(compare(b, a), Ok(op.reverse()), "{b} vs {a}");
    }

    #[test]
    fn prereleases_sort_between_releases() {
        let order = [
            "0.9", "1.0.a.2", "1.0.a10", "1.0.b1", "1.0.b.2", "1.0.b10", "1.0", "1.0.1",
        ];
        for w in order.windows(2) {
            check(w[0], Lt, w[1]);
        }
        check("1.0.a", Eq, "1.a");
        check("1.0-beta", Eq, "1.0.pre.beta");
        check("1.0.0", Eq, "1");
        check("", Eq, "0");
        check("1.10", Gt, "1.9");
        check(
            "1.2.3.99999999999999999999",
            Gt,
            "1.2.3.99999999999999999998",
        );
    }

    #[test]
    fn validity() {
        for ok in ["1", "1.0.a", "1.0-beta.1", " 1.2.3 ", "", "1.x"] {
            assert!(validate(ok).is_ok(), "{ok:?}");
        }
        for bad in ["1beta", "x", "1..2", "1.0-", "1.0 1", "1.0_1", "-1"] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
        assert!(compare("1beta", "1").is_ok());
        assert!(compare("1_0", "1").is_err());
    }
}
