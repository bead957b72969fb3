//! Plain lists of numbers: Hackage (`Data.Version`, dot-separated) and CRAN
//! (`package_version`, `.` or `-` separated). Lists compare element-wise and a longer list
//! with an equal prefix is greater, so `1.0.0 > 1.0` in both.

use std::cmp::Ordering;

use crate::num::cmp_digits;
use crate::{Scheme, VersionError};

#[derive(Clone, Copy)]
pub(crate) enum Flavor {
    Hackage,
    Cran,
}

impl Flavor {
    fn scheme(self) -> Scheme {
        match self {
            Flavor::Hackage => Scheme::Hackage,
            Flavor::Cran => Scheme::Cran,
        }
    }

    fn is_sep(self, c: u8) -> bool {
        match self {
            Flavor::Hackage => c == b'.',
            Flavor::Cran => c == b'.' || c == b'-',
        }
    }

    fn text(self, v: &str) -> &[u8] {
        match self {
            Flavor::Hackage => v.as_bytes(),
            // R trims surrounding white space before parsing a version.
            Flavor::Cran => v.trim().as_bytes(),
        }
    }
}

pub(crate) fn compare(flavor: Flavor, a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (ta, tb) = (flavor.text(a), flavor.text(b));
    check(flavor, a, ta)?;
    check(flavor, b, tb)?;
    let mut xs = ta.split(|&c| flavor.is_sep(c));
    let mut ys = tb.split(|&c| flavor.is_sep(c));
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ok(Ordering::Equal),
            (None, Some(_)) => return Ok(Ordering::Less),
            (Some(_), None) => return Ok(Ordering::Greater),
            (Some(x), Some(y)) => match cmp_digits(x, y) {
                Ordering::Equal => {}
                other => return Ok(other),
            },
        }
    }
}

/// Strict rules: Cabal rejects leading zeros; CRAN requires at least two numbers.
pub(crate) fn validate(flavor: Flavor, v: &str) -> Result<(), VersionError> {
    let text = flavor.text(v);
    check(flavor, v, text)?;
    let scheme = flavor.scheme();
    match flavor {
        Flavor::Hackage => {
            if text
                .split(|&c| c == b'.')
                .any(|p| p.len() > 1 && p[0] == b'0')
            {
                return Err(VersionError::new(scheme, v, "a number has a leading zero"));
            }
        }
        Flavor::Cran => {
            if !text.iter().any(|&c| flavor.is_sep(c)) {
                return Err(VersionError::new(scheme, v, "need at least two numbers"));
            }
        }
    }
    Ok(())
}

/// The lenient grammar [`compare`] accepts: numbers separated by single separators.
fn check(flavor: Flavor, original: &str, text: &[u8]) -> Result<(), VersionError> {
    let scheme = flavor.scheme();
    if text.is_empty() {
        return Err(VersionError::new(scheme, original, "empty version"));
    }
    let mut rest = text;
    loop {
        let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return Err(VersionError::unexpected(scheme, original, rest));
        }
        rest = &rest[n..];
        match rest.first() {
            None => return Ok(()),
            Some(&c) if flavor.is_sep(c) => rest = &rest[1..],
            Some(_) => return Err(VersionError::unexpected(scheme, original, rest)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal as Eq, Greater as Gt, Less as Lt};

    #[track_caller]
    fn check(flavor: Flavor, a: &str, op: Ordering, b: &str) {
        assert_eq!(compare(flavor, a, b), Ok(op), "{a} vs {b}");
        assert_eq!(compare(flavor, b, a), Ok(op.reverse()), "{b} vs {a}");
    }

    #[test]
    fn hackage() {
        check(Flavor::Hackage, "1.0.0", Gt, "1.0");
        check(Flavor::Hackage, "0.10", Gt, "0.9");
        check(Flavor::Hackage, "1.2.3", Eq, "1.2.3");
        check(Flavor::Hackage, "1.02", Eq, "1.2");
        assert!(compare(Flavor::Hackage, "1-2", "1").is_err());
        assert!(compare(Flavor::Hackage, "1..2", "1").is_err());
        assert!(compare(Flavor::Hackage, "1.", "1").is_err());
        assert!(validate(Flavor::Hackage, "1.02").is_err());
        assert!(validate(Flavor::Hackage, "0.1.0.2").is_ok());
    }

    #[test]
    fn cran() {
        check(Flavor::Cran, "1.0-10", Gt, "1.0-9");
        check(Flavor::Cran, "0.01.0", Eq, "0.1-0");
        check(Flavor::Cran, "0.1.0", Lt, "0.1.0.0");
        check(Flavor::Cran, " 1.2-3 ", Eq, "1.2.3");
        assert!(validate(Flavor::Cran, "1").is_err());
        assert!(validate(Flavor::Cran, "1-2").is_ok());
        assert!(compare(Flavor::Cran, "1.2a", "1").is_err());
    }
}
