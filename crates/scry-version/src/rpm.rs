//! RPM versions: `[epoch:]version[-release]`, ordered by `rpmvercmp`.
//!
//! As in rpm's `parseEVR`, the epoch is a run of leading digits followed by `:` (otherwise the
//! colon belongs to the version), and the release follows the last `-`. Epochs, versions and
//! releases each compare with `rpmvercmp`: separators (anything but ASCII letters, digits, `~`
//! and `^`) only delimit segments; numeric segments compare numerically and beat alphabetic
//! ones; `~` sorts before everything, `^` after the base version but before anything else.
//!
//! One deliberate difference from rpm, which skips the release when either side lacks one: a
//! missing release sorts before any release (`1.0 < 1.0-1`), so the order stays total.

use std::cmp::Ordering;

use crate::num::cmp_digits;
use crate::{Scheme, VersionError};

struct Evr<'a> {
    epoch: &'a [u8],
    version: &'a [u8],
    release: Option<&'a [u8]>,
}

fn parse(s: &str) -> Evr<'_> {
    let s = s.as_bytes();
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let (epoch, rest): (&[u8], &[u8]) = if s.get(digits) == Some(&b':') {
        (&s[..digits], &s[digits + 1..])
    } else {
        (b"", s)
    };
    match rest.iter().rposition(|&c| c == b'-') {
        Some(h) => Evr {
            epoch,
            version: &rest[..h],
            release: Some(&rest[h + 1..]),
        },
        None => Evr {
            epoch,
            version: rest,
            release: None,
        },
    }
}

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (parse(a), parse(b));
    // A missing or empty epoch is 0.
    let ea: &[u8] = if a.epoch.is_empty() { b"0" } else { a.epoch };
    let eb: &[u8] = if b.epoch.is_empty() { b"0" } else { b.epoch };
    rpmvercmp(ea, eb)
        .then_with(|| rpmvercmp(a.version, b.version))
        .then_with(|| match (a.release, b.release) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => rpmvercmp(x, y),
        })
}

/// rpm accepts nearly anything; reject what no package could carry: an empty version and
/// white space or control characters.
pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    if v.bytes()
        .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
    {
        return Err(VersionError::new(
            Scheme::Rpm,
            v,
            "contains white space or control characters",
        ));
    }
    if parse(v).version.is_empty() {
        return Err(VersionError::new(Scheme::Rpm, v, "version part is empty"));
    }
    Ok(())
}

fn is_sep(c: u8) -> bool {
    !c.is_ascii_alphanumeric() && c != b'~' && c != b'^'
}

/// rpm's `rpmvercmp`.
pub(crate) fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut one, mut two) = (a, b);
    while !one.is_empty() || !two.is_empty() {
        one = &one[one.iter().take_while(|&&c| is_sep(c)).count()..];
        two = &two[two.iter().take_while(|&&c| is_sep(c)).count()..];

        // `~` sorts before everything else, even the end.
        let (t1, t2) = (one.first() == Some(&b'~'), two.first() == Some(&b'~'));
        if t1 || t2 {
            if !t1 {
                return Ordering::Greater;
            }
            if !t2 {
                return Ordering::Less;
            }
            one = &one[1..];
            two = &two[1..];
            continue;
        }
        // `^` sorts after the end of the other string, before anything else.
        let (c1, c2) = (one.first() == Some(&b'^'), two.first() == Some(&b'^'));
        if c1 || c2 {
            if one.is_empty() {
                return Ordering::Less;
            }
            if two.is_empty() {
                return Ordering::Greater;
            }
            if !c1 {
                return Ordering::Greater;
            }
            if !c2 {
                return Ordering::Less;
            }
            one = &one[1..];
            two = &two[1..];
            continue;
        }
        if one.is_empty() || two.is_empty() {
            break;
        }
        let numeric = one[0].is_ascii_digit();
        let kind = |c: &u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let n1 = one.iter().take_while(|c| kind(c)).count();
        let n2 = two.iter().take_while(|c| kind(c)).count();
        let (seg1, seg2) = (&one[..n1], &two[..n2]);
        if seg2.is_empty() {
            // Different segment types: numeric is newer than alphabetic.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let ord = if numeric {
            cmp_digits(seg1, seg2)
        } else {
            seg1.cmp(seg2)
        };
        if ord != Ordering::Equal {
            return ord;
        }
        one = &one[n1..];
        two = &two[n2..];
    }
    // Whichever version still has characters left over wins.
    match (one.is_empty(), two.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal as Eq, Greater as Gt, Less as Lt};

    #[track_caller]
    fn check(a: &str, op: Ordering, b: &str) {
        assert_eq!(compare(a, b), op, "{a} vs {b}");
        assert_eq!(compare(b, a), op.reverse(), "{b} vs {a}");
    }

    #[test]
    fn caret_and_tilde() {
        check("1.0^git1", Gt, "1.0");
        check("1.0^git1", Lt, "1.0.1");
        check("1.0^git1", Lt, "1.0a");
        check("1.0~rc1", Lt, "1.0");
        check("1.0~rc1^git1", Gt, "1.0~rc1");
        check("1.0^", Gt, "1.0");
        check("1.0^~", Lt, "1.0^");
    }

    #[test]
    fn segments() {
        check("1.0a", Gt, "1.0");
        check("1.a", Lt, "1.1");
        check("1_0", Eq, "1.0");
        check("1.00010", Eq, "1.10");
        check("2.0.99999999999999999999999", Gt, "2.0.1");
        check("1.1.α", Eq, "1.1");
    }

    #[test]
    fn epoch_version_release() {
        check("1:1.0", Gt, "2.0");
        check(":1.0", Eq, "0:1.0");
        check("1.0-1.el9", Lt, "1.0-2.el9");
        check("1.0", Lt, "1.0-0");
        check("a:1", Lt, "b:1");
        check("1.0-1-2", Gt, "1.0-1-1");
        assert!(validate("1.0-1.el9").is_ok());
        assert!(validate("").is_err());
        assert!(validate("1:-1").is_err());
        assert!(validate("1.0 1").is_err());
    }
}
