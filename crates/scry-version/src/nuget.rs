//! NuGet versions: `N[.N[.N[.N]]][-label(.label)*][+metadata]` (`NuGetVersion`).
//!
//! The up to four numbers compare numerically (missing ones are 0, leading zeros allowed, so
//! `1.0.01 = 1.0.1.0`); a prerelease sorts before the release; release labels compare
//! numerically when all digits (before alphabetic labels), otherwise case-insensitively, and
//! more labels win when the shared ones are equal; metadata is ignored.

use std::cmp::Ordering;

use crate::num::{all_digits, cmp_digits};
use crate::{Scheme, VersionError};

struct Version<'a> {
    nums: [&'a [u8]; 4],
    release: Option<&'a [u8]>,
}

fn labels_ok(s: &[u8]) -> bool {
    s.split(|&c| c == b'.')
        .all(|l| !l.is_empty() && l.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-'))
}

fn parse(text: &str) -> Result<Version<'_>, VersionError> {
    let err = |why: &str| VersionError::new(Scheme::NuGet, text, why);
    let s = text.trim().as_bytes();
    if s.is_empty() {
        return Err(err("empty version"));
    }
    let (s, metadata) = match s.iter().position(|&c| c == b'+') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    if metadata.is_some_and(|m| !labels_ok(m)) {
        return Err(err("invalid metadata"));
    }
    let (core, release) = match s.iter().position(|&c| c == b'-') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    if release.is_some_and(|r| !labels_ok(r)) {
        return Err(err("invalid release label"));
    }
    let mut nums: [&[u8]; 4] = [b"0"; 4];
    for (i, part) in core.split(|&c| c == b'.').enumerate() {
        if i >= 4 {
            return Err(err("more than four version numbers"));
        }
        if !all_digits(part) {
            return Err(VersionError::unexpected(Scheme::NuGet, text, part));
        }
        nums[i] = part;
    }
    Ok(Version { nums, release })
}

fn cmp_labels(a: &[u8], b: &[u8]) -> Ordering {
    let (mut xs, mut ys) = (a.split(|&c| c == b'.'), b.split(|&c| c == b'.'));
    loop {
        let ord = match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => match (all_digits(x), all_digits(y)) {
                (true, true) => cmp_digits(x, y),
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                // .NET's OrdinalIgnoreCase compares upper-cased characters.
                (false, false) => x
                    .iter()
                    .map(u8::to_ascii_uppercase)
                    .cmp(y.iter().map(u8::to_ascii_uppercase)),
            },
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (parse(a)?, parse(b)?);
    let nums = a.nums.iter().zip(&b.nums).map(|(x, y)| cmp_digits(x, y));
    let ord = nums.fold(Ordering::Equal, Ordering::then);
    Ok(ord.then_with(|| match (a.release, b.release) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => cmp_labels(x, y),
    }))
}

pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    if v.trim() != v {
        return Err(VersionError::new(
            Scheme::NuGet,
            v,
            "surrounding white space",
        ));
    }
    parse(v).map(|_| ())
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
    fn four_parts_and_labels() {
        check("1.0.0.1", Gt, "1.0.0");
        check("1", Eq, "1.0.0.0");
        check("1.0.0-RC.1", Eq, "1.0.0-rc.1");
        check("1.0.0-rc.2", Lt, "1.0.0-RC.10");
        check("1.0.0-1", Lt, "1.0.0-a");
        check("1.0.0+abc", Eq, "1.0.0+def");
        for bad in [
            "",
            "v1.0",
            "1.0.0.0.0",
            "1..0",
            "1.0-",
            "1.0+",
            "1.0-a..b",
            "1.x",
        ] {
            assert!(compare(bad, "1.0").is_err(), "{bad:?}");
        }
    }
}
