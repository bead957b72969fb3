//! PEP 440 versions (PyPI): `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`.
//!
//! Parsing accepts the spellings PEP 440 normalises: any case, a leading `v`, surrounding
//! white space, `alpha`/`beta`/`c`/`pre`/`preview` for pre-releases, `rev`/`r`/`-N` for
//! post-releases, optional `-`, `_`, `.` separators and implicit zero numbers. Ordering is
//! `packaging`'s: epoch, release (trailing zeros ignored), then `.devN` < `aN` < `bN` < `rcN` <
//! release < `.postN`, dev releases sorting first within each, and a local label sorting after
//! the same public version (numeric label parts after alphabetic ones).
//!
//! Fallback: any other non-empty string is a *legacy* version, ordered as `packaging` did
//! before 22.0 (`LegacyVersion`): before every valid version, and among legacy versions by
//! the legacy key (see [`legacy`]).

use std::cmp::Ordering;

use crate::num::{all_digits, cmp_digits, cmp_ignore_case, split_digits};
use crate::{Scheme, VersionError};

mod legacy;

#[derive(Clone, Copy, Debug)]
struct Version<'a> {
    epoch: &'a [u8],
    /// The release numbers as written, dot-separated.
    release: &'a [u8],
    /// Pre-release: 0 for a, 1 for b, 2 for rc; and its number.
    pre: Option<(u8, &'a [u8])>,
    post: Option<&'a [u8]>,
    dev: Option<&'a [u8]>,
    local: Option<&'a [u8]>,
}

fn is_sep(c: u8) -> bool {
    c == b'-' || c == b'_' || c == b'.'
}

/// `s` without a leading separator, if it has one.
fn skip_sep(s: &[u8]) -> &[u8] {
    match s.first() {
        Some(&c) if is_sep(c) => &s[1..],
        _ => s,
    }
}

/// Case-insensitive `starts_with`.
fn starts_with(s: &[u8], word: &str) -> bool {
    s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word.as_bytes())
}

/// `[-_.]? WORD [-_.]? DIGITS?` for the first matching word; the value and the rest.
fn labelled<'a>(s: &'a [u8], words: &[(&str, u8)]) -> Option<(u8, &'a [u8], &'a [u8])> {
    let t = skip_sep(s);
    let &(word, value) = words.iter().find(|(w, _)| starts_with(t, w))?;
    let t = &t[word.len()..];
    let (n, rest) = split_digits(skip_sep(t));
    // A separator followed by no number is still part of the label (`1.0a.` is `1.0a0`).
    Some((value, n, rest))
}

const PRE: [(&str, u8); 8] = [
    ("alpha", 0),
    ("a", 0),
    ("beta", 1),
    ("b", 1),
    ("preview", 2),
    ("pre", 2),
    ("rc", 2),
    ("c", 2),
];
const POST: [(&str, u8); 3] = [("post", 0), ("rev", 0), ("r", 0)];
const DEV: [(&str, u8); 1] = [("dev", 0)];

/// Parse a valid PEP 440 version, or return the unparsed remainder.
fn parse(text: &str) -> Result<Version<'_>, &[u8]> {
    let s = text.trim().as_bytes();
    let s = if starts_with(s, "v") { &s[1..] } else { s };
    let (mut first, mut rest) = split_digits(s);
    let mut epoch: &[u8] = b"0";
    if !first.is_empty() && rest.first() == Some(&b'!') {
        epoch = first;
        (first, rest) = split_digits(&rest[1..]);
    }
    if first.is_empty() {
        return Err(rest);
    }
    // Release: digits (. digits)*
    let start = s.len() - rest.len() - first.len();
    while rest.first() == Some(&b'.') && rest.get(1).is_some_and(u8::is_ascii_digit) {
        rest = split_digits(&rest[1..]).1;
    }
    let release = &s[start..s.len() - rest.len()];
    let mut v = Version {
        epoch,
        release,
        pre: None,
        post: None,
        dev: None,
        local: None,
    };
    if let Some((kind, n, r)) = labelled(rest, &PRE) {
        v.pre = Some((kind, n));
        rest = r;
    }
    if rest.first() == Some(&b'-') && rest.get(1).is_some_and(u8::is_ascii_digit) {
        let (n, r) = split_digits(&rest[1..]);
        v.post = Some(n);
        rest = r;
    } else if let Some((_, n, r)) = labelled(rest, &POST) {
        v.post = Some(n);
        rest = r;
    }
    if let Some((_, n, r)) = labelled(rest, &DEV) {
        v.dev = Some(n);
        rest = r;
    }
    if rest.first() == Some(&b'+') {
        let local = &rest[1..];
        let ok = !local.is_empty()
            && local
                .split(|&c| is_sep(c))
                .all(|part| !part.is_empty() && part.iter().all(u8::is_ascii_alphanumeric));
        if !ok {
            return Err(rest);
        }
        v.local = Some(local);
        rest = b"";
    }
    if rest.is_empty() {
        Ok(v)
    } else {
        Err(rest)
    }
}

/// A value with infinities, for `packaging`'s comparison key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Bound<T> {
    NegInf,
    Val(T),
    PosInf,
}

/// Digits ordered numerically.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Num<'a>(&'a [u8]);

impl PartialOrd for Num<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Num<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(self.0, other.0)
    }
}

impl<'a> Version<'a> {
    fn pre_key(&self) -> Bound<(u8, Num<'a>)> {
        match (self.pre, self.post, self.dev) {
            (None, None, Some(_)) => Bound::NegInf,
            (None, ..) => Bound::PosInf,
            (Some((kind, n)), ..) => Bound::Val((kind, Num(n))),
        }
    }

    fn post_key(&self) -> Bound<Num<'a>> {
        self.post.map_or(Bound::NegInf, |n| Bound::Val(Num(n)))
    }

    fn dev_key(&self) -> Bound<Num<'a>> {
        self.dev.map_or(Bound::PosInf, |n| Bound::Val(Num(n)))
    }

    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(self.epoch, other.epoch)
            .then_with(|| cmp_release(self.release, other.release))
            .then_with(|| self.pre_key().cmp(&other.pre_key()))
            .then_with(|| self.post_key().cmp(&other.post_key()))
            .then_with(|| self.dev_key().cmp(&other.dev_key()))
            .then_with(|| cmp_local(self.local, other.local))
    }
}

/// Release numbers compare as if padded with zeros.
fn cmp_release(a: &[u8], b: &[u8]) -> Ordering {
    let (mut xs, mut ys) = (a.split(|&c| c == b'.'), b.split(|&c| c == b'.'));
    loop {
        let (x, y) = match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (x, y) => (x.unwrap_or(b"0"), y.unwrap_or(b"0")),
        };
        match cmp_digits(x, y) {
            Ordering::Equal => {}
            other => return other,
        }
    }
}

/// No local label sorts first; label parts compare numerically when all digits (and then
/// after alphabetic parts), else case-insensitively; a longer label with an equal prefix wins.
fn cmp_local(a: Option<&[u8]>, b: Option<&[u8]>) -> Ordering {
    let (a, b) = match (a, b) {
        (None, None) => return Ordering::Equal,
        (None, Some(_)) => return Ordering::Less,
        (Some(_), None) => return Ordering::Greater,
        (Some(a), Some(b)) => (a, b),
    };
    let (mut xs, mut ys) = (a.split(|&c| is_sep(c)), b.split(|&c| is_sep(c)));
    loop {
        let ord = match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => match (all_digits(x), all_digits(y)) {
                (true, true) => cmp_digits(x, y),
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => cmp_ignore_case(x, y),
            },
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

/// A valid version, or a legacy one.
enum Parsed<'a> {
    Valid(Version<'a>),
    Legacy(&'a str),
}

fn parse_any(v: &str) -> Result<Parsed<'_>, VersionError> {
    match parse(v) {
        Ok(p) => Ok(Parsed::Valid(p)),
        Err(_) if v.trim().is_empty() => Err(VersionError::new(Scheme::Pep440, v, "empty version")),
        Err(_) => Ok(Parsed::Legacy(v)),
    }
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(match (parse_any(a)?, parse_any(b)?) {
        (Parsed::Valid(x), Parsed::Valid(y)) => x.cmp(&y),
        (Parsed::Legacy(_), Parsed::Valid(_)) => Ordering::Less,
        (Parsed::Valid(_), Parsed::Legacy(_)) => Ordering::Greater,
        (Parsed::Legacy(x), Parsed::Legacy(y)) => legacy::key(x).cmp(&legacy::key(y)),
    })
}

pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    match parse(v) {
        Ok(_) => Ok(()),
        Err(_) if v.trim().is_empty() => Err(VersionError::new(Scheme::Pep440, v, "empty version")),
        Err(rest) => Err(VersionError::unexpected(Scheme::Pep440, v, rest)),
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
    fn normalisation() {
        check("1.0a1", Eq, "1.0.a1");
        check("1.0a1", Eq, "1.0-alpha1");
        check("1.0a1", Eq, "1.0ALPHA.1");
        check("1.0a", Eq, "1.0a0");
        check("v1.0", Eq, "1.0");
        check(" 1.0\n", Eq, "1.0.0");
        check("1.0c1", Eq, "1.0rc1");
        check("1.0pre1", Eq, "1.0rc1");
        check("1.0-1", Eq, "1.0.post1");
        check("1.0rev", Eq, "1.0.post0");
        check("1.0-dev", Eq, "1.0.dev0");
        check("1.0+ubuntu-1", Eq, "1.0+ubuntu.1");
        check("1.0+ABC", Eq, "1.0+abc");
        check("0!1.0", Eq, "1.0");
    }

    #[test]
    fn ordering_of_dev_pre_post_local() {
        let order = [
            "1.0.dev1",
            "1.0a1.dev1",
            "1.0a1",
            "1.0a1.post1.dev1",
            "1.0a1.post1",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0+abc",
            "1.0+abc.5",
            "1.0+5",
            "1.0.post1.dev1",
            "1.0.post1",
            "1.1.dev1",
            "1.1",
            "1!0.1",
        ];
        for w in order.windows(2) {
            check(w[0], Lt, w[1]);
        }
        check("1.0.99999999999999999999", Gt, "1.0.99999999999999999998");
    }

    #[test]
    fn legacy_fallback() {
        check("1.0-foo", Lt, "0.1");
        check("0.1-bulbasaur", Lt, "0.1-charmander");
        check("1.0.x", Lt, "0");
        assert!(compare("", "1.0").is_err());
        assert_eq!(
            validate("1.0.0.x").unwrap_err().to_string(),
            r#"invalid PEP 440 version "1.0.0.x": unexpected ".x""#
        );
        assert!(validate("1.0+").is_err());
        assert!(validate("1.0+a..b").is_err());
        assert!(validate("1.0a.").is_ok());
    }
}
