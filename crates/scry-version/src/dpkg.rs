//! dpkg versions: `[epoch:]upstream[-revision]`, ordered by dpkg's `verrevcmp`.
//!
//! Parsing follows dpkg's `parseversion`: surrounding white space is trimmed; the epoch is
//! the decimal number before the first `:`; the revision is what follows the *last* `-`. A
//! missing revision compares like an empty one, so `1.0 = 1.0-0`. In `verrevcmp`, non-digit
//! runs compare character by character with letters before other characters and `~` before
//! everything (even the end of the string); digit runs compare numerically.

use std::cmp::Ordering;

use crate::num::cmp_digits;
use crate::{Scheme, VersionError};

/// The largest epoch dpkg accepts (`INT_MAX`).
const MAX_EPOCH: &[u8] = b"2147483647";

struct Version<'a> {
    epoch: &'a [u8],
    upstream: &'a [u8],
    revision: &'a [u8],
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let a = parse(a)?;
    let b = parse(b)?;
    Ok(cmp_digits(a.epoch, b.epoch)
        .then_with(|| verrevcmp(a.upstream, b.upstream))
        .then_with(|| verrevcmp(a.revision, b.revision)))
}

/// Strict: also rejects what dpkg only warns about ("bad syntax"), which
/// `dpkg --compare-versions` and [`compare`] tolerate.
pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    let Version {
        upstream, revision, ..
    } = parse(v)?;
    let warning = if !upstream[0].is_ascii_digit() {
        Some("version number does not start with digit")
    } else if !upstream
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || b".-+~:".contains(&c))
    {
        Some("invalid character in version number")
    } else if !revision
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || b".+~".contains(&c))
    {
        Some("invalid character in revision number")
    } else {
        None
    };
    match warning {
        None => Ok(()),
        Some(w) => Err(VersionError::new(Scheme::Dpkg, v, w)),
    }
}

/// dpkg's `parseversion`, without its warnings; errors are the hard ones.
fn parse(original: &str) -> Result<Version<'_>, VersionError> {
    let err = |reason: &str| VersionError::new(Scheme::Dpkg, original, reason);
    let s = original.as_bytes().trim_ascii();
    if s.is_empty() {
        return Err(err("version string is empty"));
    }
    if s.iter().any(u8::is_ascii_whitespace) {
        return Err(err("version string has embedded spaces"));
    }
    let (epoch, rest): (&[u8], &[u8]) = match s.iter().position(|&c| c == b':') {
        Some(colon) => {
            let epoch = &s[..colon];
            if epoch.is_empty() {
                return Err(err("epoch in version is empty"));
            }
            if !epoch.iter().all(u8::is_ascii_digit) {
                return Err(err("epoch in version is not number"));
            }
            if cmp_digits(epoch, MAX_EPOCH) == Ordering::Greater {
                return Err(err("epoch in version is too big"));
            }
            if colon + 1 == s.len() {
                return Err(err("nothing after colon in version number"));
            }
            (epoch, &s[colon + 1..])
        }
        None => (b"0", s),
    };
    let (upstream, revision): (&[u8], &[u8]) = match rest.iter().rposition(|&c| c == b'-') {
        Some(hyphen) => {
            if hyphen + 1 == rest.len() {
                return Err(err("revision number is empty"));
            }
            (&rest[..hyphen], &rest[hyphen + 1..])
        }
        None => (rest, b""),
    };
    if upstream.is_empty() {
        return Err(err("version number is empty"));
    }
    Ok(Version {
        epoch,
        upstream,
        revision,
    })
}

/// dpkg's character weight: digits and the end weigh 0, letters their code, `~` sorts first,
/// anything else after all letters.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

fn is_digit(c: Option<&u8>) -> bool {
    c.is_some_and(u8::is_ascii_digit)
}

fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        let da = a.get(i..).unwrap_or_default();
        let db = b.get(j..).unwrap_or_default();
        let na = da.iter().take_while(|c| c.is_ascii_digit()).count();
        let nb = db.iter().take_while(|c| c.is_ascii_digit()).count();
        match cmp_digits(&da[..na], &db[..nb]) {
            Ordering::Equal => {}
            other => return other,
        }
        i += na;
        j += nb;
        debug_assert!(!is_digit(a.get(i)) && !is_digit(b.get(j)));
    }
    Ordering::Equal
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
    fn tilde_sorts_before_everything_even_the_end() {
        check("1.0~rc1", Lt, "1.0");
        check("1.0~~", Lt, "1.0~");
        check("1.0~", Lt, "1.0");
        check("1.0~rc1", Lt, "1.0~rc2");
        check("1.2.3-1~deb12u1", Lt, "1.2.3-1");
        check("1.0", Lt, "1.0+b1");
        check("1.0a", Lt, "1.0+");
    }

    #[test]
    fn epochs_and_revisions() {
        check("1:0.1", Gt, "9.9");
        check("00:1.0", Eq, "1.0");
        check("1.0", Eq, "1.0-0");
        check("1.0-1-2", Gt, "1.0-1-1");
        check("1.0-1", Lt, "1.0-1.1");
        check(" 1.0 ", Eq, "1.0");
        check(
            "1.2.99999999999999999999999",
            Gt,
            "1.2.99999999999999999999998",
        );
    }

    #[test]
    fn hard_errors() {
        for bad in [
            "",
            " ",
            "1.0 1",
            "a:1.0",
            ":1.0",
            "1:",
            "1.0-",
            "1:-1",
            "99999999999:1",
        ] {
            assert!(compare(bad, "1.0").is_err(), "{bad:?}");
            assert!(validate(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn warnings_compare_but_do_not_validate() {
        check("abc", Gt, "1.0");
        assert!(validate("abc").is_err());
        assert!(validate("1.0_1").is_err());
        assert!(validate("1.0-a_b").is_err());
        assert!(validate("2:1.0~rc1+dfsg-3ubuntu0.1").is_ok());
    }
}
