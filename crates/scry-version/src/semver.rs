//! SemVer 2.0.0 and its relatives: npm/crates.io/Bitnami and Hex ([`Flavor::SemVer`]), Pub
//! (build metadata ordered after the plain version) and Go modules (`x/mod/semver`).
//!
//! Precedence: major, minor, patch numerically; a prerelease sorts before the release;
//! prerelease identifiers compare numerically when all digits, else by ASCII, numeric before
//! alphanumeric, and more identifiers win when the shared ones are equal. Go pseudo-versions
//! (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.2019…`) are ordinary prereleases under
//! these rules, and `+incompatible` is build metadata.

use std::cmp::Ordering;

use crate::num::{all_digits, cmp_digits};
use crate::{Scheme, VersionError};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    SemVer,
    Pub,
    Go,
}

/// How strictly to read the text.
#[derive(Clone, Copy)]
struct Rules {
    /// Accept one leading `v`/`V`.
    v_prefix: bool,
    /// Trim surrounding white space.
    trim: bool,
    core: Core,
    /// Reject leading zeros in numbers and numeric prerelease identifiers.
    no_leading_zeros: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Core {
    /// Exactly `MAJOR.MINOR.PATCH`.
    Exact,
    /// One or more numbers; missing ones are 0, those after the third are ignored.
    Lenient,
    /// Go: `vMAJOR`, `vMAJOR.MINOR` (shorthands, no prerelease or build) or the full form.
    GoShorthand,
}

impl Rules {
    /// What [`compare`] accepts.
    fn compare(flavor: Flavor) -> Rules {
        match flavor {
            Flavor::SemVer | Flavor::Pub => Rules {
                v_prefix: true,
                trim: true,
                core: Core::Lenient,
                no_leading_zeros: false,
            },
            Flavor::Go => Rules::strict(Scheme::Go),
        }
    }

    /// What [`validate`] accepts.
    fn strict(scheme: Scheme) -> Rules {
        match scheme {
            Scheme::Go => Rules {
                v_prefix: true,
                trim: false,
                core: Core::GoShorthand,
                no_leading_zeros: true,
            },
            // pub_semver reads numbers with `int.parse`, so leading zeros are fine.
            Scheme::Pub => Rules {
                v_prefix: false,
                trim: false,
                core: Core::Exact,
                no_leading_zeros: false,
            },
            Scheme::Hex => Rules {
                v_prefix: false,
                trim: false,
                core: Core::Exact,
                no_leading_zeros: true,
            },
            // npm accepts (and strips) a leading `v`.
            _ => Rules {
                v_prefix: true,
                trim: false,
                core: Core::Exact,
                no_leading_zeros: true,
            },
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Version<'a> {
    major: &'a [u8],
    minor: &'a [u8],
    patch: &'a [u8],
    pre: Option<&'a [u8]>,
    build: Option<&'a [u8]>,
}

/// Parse under `rules`, or return the offending remainder and a reason.
fn parse(text: &str, rules: Rules) -> Result<Version<'_>, (&[u8], &'static str)> {
    let s = if rules.trim { text.trim() } else { text }.as_bytes();
    let mut rest = match s.first() {
        Some(b'v' | b'V') if rules.v_prefix => &s[1..],
        _ => s,
    };
    let mut nums: [&[u8]; 3] = [b"0"; 3];
    let mut count = 0;
    loop {
        let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return Err((rest, "expected a number"));
        }
        let num = &rest[..n];
        if rules.no_leading_zeros && n > 1 && num[0] == b'0' {
            return Err((rest, "a number has a leading zero"));
        }
        if count < 3 {
            nums[count] = num;
        }
        count += 1;
        rest = &rest[n..];
        let more = match rules.core {
            Core::Exact | Core::GoShorthand => count < 3,
            Core::Lenient => true,
        };
        if more && rest.first() == Some(&b'.') {
            rest = &rest[1..];
        } else {
            break;
        }
    }
    let short = count < 3;
    if short && rules.core == Core::Exact {
        return Err((rest, "expected MAJOR.MINOR.PATCH"));
    }
    let mut v = Version {
        major: nums[0],
        minor: nums[1],
        patch: nums[2],
        pre: None,
        build: None,
    };
    if rest.first() == Some(&b'-') {
        let end = rest.iter().position(|&c| c == b'+').unwrap_or(rest.len());
        let pre = &rest[1..end];
        check_identifiers(pre, rules.no_leading_zeros).map_err(|why| (rest, why))?;
        v.pre = Some(pre);
        rest = &rest[end..];
    }
    if rest.first() == Some(&b'+') {
        let build = &rest[1..];
        check_identifiers(build, false).map_err(|why| (rest, why))?;
        v.build = Some(build);
        rest = b"";
    }
    if !rest.is_empty() {
        return Err((rest, "unexpected text"));
    }
    if short && rules.core == Core::GoShorthand && (v.pre.is_some() || v.build.is_some()) {
        return Err((s, "a shorthand version cannot have a prerelease or build"));
    }
    Ok(v)
}

fn check_identifiers(s: &[u8], no_leading_zeros: bool) -> Result<(), &'static str> {
    for id in s.split(|&c| c == b'.') {
        if id.is_empty() {
            return Err("empty identifier");
        }
        if !id.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-') {
            return Err("identifiers may only hold ASCII letters, digits and hyphens");
        }
        if no_leading_zeros && id.len() > 1 && id[0] == b'0' && all_digits(id) {
            return Err("a numeric identifier has a leading zero");
        }
    }
    Ok(())
}

/// Dot-separated identifiers: numeric ones numerically and before alphanumeric ones, which
/// compare by ASCII; with equal shared identifiers, more identifiers win.
pub(crate) fn cmp_identifiers(a: &[u8], b: &[u8]) -> Ordering {
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
                (false, false) => x.cmp(y),
            },
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

/// Absent sorts `absent` relative to present; present values compare as identifiers.
fn cmp_optional(a: Option<&[u8]>, b: Option<&[u8]>, absent: Ordering) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => absent,
        (Some(_), None) => absent.reverse(),
        (Some(x), Some(y)) => cmp_identifiers(x, y),
    }
}

fn precedence(flavor: Flavor, a: &Version<'_>, b: &Version<'_>) -> Ordering {
    let ord = cmp_digits(a.major, b.major)
        .then_with(|| cmp_digits(a.minor, b.minor))
        .then_with(|| cmp_digits(a.patch, b.patch))
        .then_with(|| cmp_optional(a.pre, b.pre, Ordering::Greater));
    match flavor {
        // pub_semver: a build sorts after no build, builds compare like prereleases.
        Flavor::Pub => ord.then_with(|| cmp_optional(a.build, b.build, Ordering::Less)),
        Flavor::SemVer | Flavor::Go => ord,
    }
}

pub(crate) fn compare(
    flavor: Flavor,
    scheme: Scheme,
    a: &str,
    b: &str,
) -> Result<Ordering, VersionError> {
    let rules = Rules::compare(flavor);
    let err = |v: &str, (rest, why): (&[u8], &str)| {
        let rest = String::from_utf8_lossy(rest);
        VersionError::new(scheme, v, format!("{why} at \"{rest}\""))
    };
    let x = parse(a, rules).map_err(|e| err(a, e))?;
    let y = parse(b, rules).map_err(|e| err(b, e))?;
    Ok(precedence(flavor, &x, &y))
}

pub(crate) fn validate(scheme: Scheme, v: &str) -> Result<(), VersionError> {
    match parse(v, Rules::strict(scheme)) {
        Ok(_) => Ok(()),
        Err((rest, why)) => {
            let rest = String::from_utf8_lossy(rest);
            Err(VersionError::new(scheme, v, format!("{why} at \"{rest}\"")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal as Eq, Greater as Gt, Less as Lt};

    #[track_caller]
    fn check(scheme: Scheme, a: &str, op: Ordering, b: &str) {
        assert_eq!(crate::compare(scheme, a, b), Ok(op), "{a} vs {b}");
        assert_eq!(crate::compare(scheme, b, a), Ok(op.reverse()), "{b} vs {a}");
    }

    #[test]
    fn npm_prereleases() {
        use Scheme::SemVer as S;
        let order = [
            "1.0.0-0",
            "1.0.0-1",
            "1.0.0-10",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
        ];
        for w in order.windows(2) {
            check(S, w[0], Lt, w[1]);
        }
        check(S, "1.0.0+build.1", Eq, "1.0.0+build.2");
        check(S, "v1.2.3", Eq, "1.2.3");
        check(S, "1.2", Eq, "1.2.0");
        check(S, "1.2.3-Alpha", Lt, "1.2.3-alpha");
        assert!(crate::validate(S, "1.2").is_err());
        assert!(crate::validate(S, "01.2.3").is_err());
        assert!(crate::validate(S, "1.2.3-01").is_err());
        assert!(crate::validate(S, "v1.2.3-rc.1+sha.5114f85").is_ok());
        for bad in [
            "",
            "x",
            "1.x",
            "1.2.3-",
            "1.2.3-a..b",
            "1.2.3+",
            "1.2.3 4",
            "1.2.3-ü",
        ] {
            assert!(crate::compare(S, bad, "1.0.0").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn go_modules() {
        use Scheme::Go as G;
        check(G, "v1.2.3", Eq, "1.2.3");
        check(G, "v1", Eq, "v1.0.0");
        check(G, "v1.2", Eq, "v1.2.0");
        check(G, "v2.0.0+incompatible", Eq, "v2.0.0");
        check(G, "v2.0.0+incompatible", Gt, "v1.9.9");
        // Pseudo-versions sort as prereleases of the next version.
        check(G, "v0.0.0-20191109021931-daa7c04131f5", Lt, "v0.0.1");
        check(
            G,
            "v0.0.0-20191109021931-daa7c04131f5",
            Lt,
            "v0.0.0-20200101000000-aaaaaaaaaaaa",
        );
        check(G, "v1.2.4-0.20191109021931-daa7c04131f5", Gt, "v1.2.3");
        check(G, "v1.2.4-0.20191109021931-daa7c04131f5", Lt, "v1.2.4-rc.1");
        check(
            G,
            "v1.2.4-pre.0.20191109021931-daa7c04131f5",
            Gt,
            "v1.2.4-pre",
        );
        for bad in ["v1.2-pre", "v01.2.3", "v1.2.3.4", "1.2.3-01", "v", ""] {
            assert!(crate::compare(G, bad, "v1.0.0").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn pub_builds_sort_after() {
        use Scheme::Pub as P;
        check(P, "1.0.0", Lt, "1.0.0+1");
        check(P, "1.0.0+1", Lt, "1.0.0+a");
        check(P, "1.0.0-pre+1", Lt, "1.0.0");
        assert!(crate::validate(P, "01.2.3").is_ok());
        assert!(crate::validate(P, "v1.2.3").is_err());
    }

    #[test]
    fn hex_is_strict_semver() {
        check(Scheme::Hex, "1.0.0-rc.1", Lt, "1.0.0");
        check(Scheme::Hex, "1.0.0+b", Eq, "1.0.0+a");
        assert!(crate::validate(Scheme::Hex, "v1.0.0").is_err());
        assert!(crate::validate(Scheme::Hex, "1.0.0").is_ok());
    }
}
