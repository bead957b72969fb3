//! Packagist (Composer) versions, ordered like PHP's `version_compare`.
//!
//! Canonical parts: one leading `v`/`V` is dropped (Composer strips it), `-`, `_` and `+` act
//! as `.`, and every transition between a digit and a non-digit starts a new part. Parts
//! compare pairwise: numbers numerically; words by PHP's special forms, matched by prefix and
//! case-sensitively — anything else < `dev` < `alpha` = `a` < `beta` = `b` < `RC` = `rc` <
//! `#` < `pl` = `p` — and a number against a word as if the number were `#`. When one version
//! runs out, the longer one wins if its next part is a number, and otherwise that part is
//! compared with `#` (so `1.0 < 1.0.0`, `1.0 > 1.0-beta`, `1.0 < 1.0-pl1`).
//!
//! PHP's rule that a number equals `#` makes the order non-transitive when `#` parts occur
//! (`1.2.3.# = 1.2.3 < 1.2.3.1 = 1.2.3.#`); without them it is a total order.

use std::cmp::Ordering;

use crate::num::{all_digits, cmp_digits, split_digits};
use crate::{Scheme, VersionError};

/// The weight of `#`, which numbers also take when compared with words.
const NUMBER_WEIGHT: i8 = 4;

fn weight(word: &[u8]) -> i8 {
    const FORMS: [(&[u8], i8); 10] = [
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"#", 4),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(form, _)| word.starts_with(form))
        .map_or(-1, |&(_, w)| w)
}

fn is_sep(c: u8) -> bool {
    matches!(c, b'.' | b'-' | b'_' | b'+')
}

/// Digit and non-digit runs of a separator-free piece; an empty piece is one empty part.
fn runs(piece: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = piece;
    let mut first = true;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            let empty_piece = std::mem::take(&mut first);
            return empty_piece.then_some(rest);
        }
        first = false;
        let digit = rest[0].is_ascii_digit();
        let n = rest
            .iter()
            .take_while(|c| c.is_ascii_digit() == digit)
            .count();
        let (run, tail) = rest.split_at(n);
        rest = tail;
        Some(run)
    })
}

fn parts(v: &str) -> impl Iterator<Item = &[u8]> {
    let s = v.as_bytes();
    let s = match s.first() {
        Some(b'v' | b'V') => &s[1..],
        _ => s,
    };
    s.split(|&c| is_sep(c)).flat_map(runs)
}

fn part_weight(part: &[u8]) -> i8 {
    if all_digits(part) {
        NUMBER_WEIGHT
    } else {
        weight(part)
    }
}

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let (mut xs, mut ys) = (parts(a), parts(b));
    loop {
        let ord = match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (Some(x), Some(y)) if all_digits(x) && all_digits(y) => cmp_digits(x, y),
            (Some(x), Some(y)) => part_weight(x).cmp(&part_weight(y)),
            // The longer version wins on a number, else its part is weighed against `#`.
            (Some(x), None) if all_digits(x) => Ordering::Greater,
            (None, Some(y)) if all_digits(y) => Ordering::Less,
            (Some(x), None) => weight(x).cmp(&NUMBER_WEIGHT),
            (None, Some(y)) => NUMBER_WEIGHT.cmp(&weight(y)),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

/// Approximates Composer's `VersionParser::normalize`: branch names (`dev-*`, `*-dev`,
/// `master`), classical versions (`v?N(.N){0,3}`, first number at most five digits),
/// date versions (`YYYY…`), each with an optional stability modifier and `+build`.
pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    let err = |why: &str| Err(VersionError::new(Scheme::Packagist, v, why));
    let s = v.trim().as_bytes();
    if s.is_empty() {
        return err("empty version");
    }
    if starts_with_ci(s, b"dev-") && s.len() > 4
        || [b"master".as_slice(), b"trunk", b"default"].contains(&s)
    {
        return Ok(());
    }
    let s = match s.iter().position(|&c| c == b'+') {
        Some(p) if p + 1 < s.len() && !s[p + 1..].iter().any(u8::is_ascii_whitespace) => &s[..p],
        Some(_) => return err("empty or malformed build metadata"),
        None => s,
    };
    if classical(s) || date(s) || dev_branch(s) {
        Ok(())
    } else {
        err("not a Composer version")
    }
}

fn starts_with_ci(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn strip_v(s: &[u8]) -> &[u8] {
    match s.first() {
        Some(b'v' | b'V') => &s[1..],
        _ => s,
    }
}

/// `v?\d{1,5}(\.\d+){0,3}` + modifier.
fn classical(s: &[u8]) -> bool {
    let (major, mut rest) = split_digits(strip_v(s));
    if major.is_empty() || major.len() > 5 {
        return false;
    }
    for _ in 0..3 {
        match rest.strip_prefix(b".") {
            Some(r) if r.first().is_some_and(u8::is_ascii_digit) => rest = split_digits(r).1,
            _ => break,
        }
    }
    modifier(rest)
}

/// `v?\d{4}` then digit groups optionally separated by `.`, `:` or `-`, + modifier.
fn date(s: &[u8]) -> bool {
    let (year, mut rest) = split_digits(strip_v(s));
    if year.len() < 4 {
        return false;
    }
    let mut groups = usize::from(year.len() > 4);
    loop {
        let r = match rest.first() {
            Some(b'.' | b':' | b'-') => &rest[1..],
            _ => rest,
        };
        let (d, tail) = split_digits(r);
        if d.is_empty() {
            break;
        }
        groups += 1;
        rest = tail;
    }
    groups >= 1 && modifier(rest)
}

/// `[._-]?((stable|beta|b|RC|alpha|a|patch|pl|p)([.-]?\d+)*)?([.-]?dev)?` to the end.
fn modifier(s: &[u8]) -> bool {
    let mut rest = match s.first() {
        Some(b'.' | b'_' | b'-') => &s[1..],
        _ => s,
    };
    const STABILITIES: [&[u8]; 9] = [
        b"stable", b"beta", b"b", b"rc", b"alpha", b"a", b"patch", b"pl", b"p",
    ];
    let dev_only = starts_with_ci(rest, b"dev")
        || starts_with_ci(rest, b".dev")
        || starts_with_ci(rest, b"-dev");
    if !dev_only {
        if let Some(word) = STABILITIES.iter().find(|w| starts_with_ci(rest, w)) {
            rest = &rest[word.len()..];
            loop {
                let r = match rest.first() {
                    Some(b'.' | b'-') => &rest[1..],
                    _ => rest,
                };
                let (d, tail) = split_digits(r);
                if d.is_empty() {
                    break;
                }
                rest = tail;
            }
        }
    }
    let rest = match rest.first() {
        Some(b'.' | b'-') if starts_with_ci(&rest[1..], b"dev") => &rest[1..],
        _ => rest,
    };
    rest.is_empty() || rest.eq_ignore_ascii_case(b"dev")
}

/// `name[.-]dev` where name is `v?N(.(N|x|*)){0,3}`.
fn dev_branch(s: &[u8]) -> bool {
    if s.len() < 3 || !s[s.len() - 3..].eq_ignore_ascii_case(b"dev") {
        return false;
    }
    let name = &s[..s.len() - 3];
    let name = name
        .strip_suffix(b".")
        .or_else(|| name.strip_suffix(b"-"))
        .unwrap_or(name);
    let mut parts = strip_v(name).split(|&c| c == b'.');
    let first_ok = parts.next().is_some_and(all_digits);
    let mut n = 1;
    let rest_ok = parts.all(|p| {
        n += 1;
        all_digits(p) || p == b"x" || p == b"X" || p == b"*"
    });
    first_ok && rest_ok && n <= 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal as Eq, Less as Lt};

    #[track_caller]
    fn check(a: &str, op: Ordering, b: &str) {
        assert_eq!(compare(a, b), op, "{a} vs {b}");
        assert_eq!(compare(b, a), op.reverse(), "{b} vs {a}");
    }

    #[test]
    fn version_compare() {
        let order = [
            "1.0-dev", "1.0a1", "1.0b1", "1.0RC1", "1.0", "1.0.0", "1.0pl1", "1.1",
        ];
        for w in order.windows(2) {
            check(w[0], Lt, w[1]);
        }
        check("1.0rc1", Eq, "1.0RC1");
        check("v1.0", Eq, "1.0");
        check("1.0-beta.2", Eq, "1.0.b2");
        check("1.0-foo", Lt, "1.0-dev");
        check("1.0-Beta", Lt, "1.0-dev");
        check("", Lt, "0");
        check("", Eq, "");
    }

    #[test]
    fn composer_validity() {
        for ok in [
            "1.0.0",
            "v2.3",
            "1.0.0-beta2",
            "1.0.0-RC1",
            "1.0.x-dev",
            "dev-main",
            "2.1.0-dev",
            "1.0.0+build",
            "20230101",
            "2023.01.01",
            "1.0.0.0",
            "1.0-patch1",
            "master",
        ] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for bad in ["", "foo", "1.0.0.0.0", "1.0-whatever", "dev-", "1.0+"] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }
}
