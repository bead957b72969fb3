//! A fast path for the most common shape of version, plain dotted numbers (`1.2.3`, Go's
//! `v1.2.3`), compared without parsing into allocations. It answers only when both versions
//! have that shape and the scheme's rules for it are plain numeric comparison; otherwise the
//! full parser decides. The vector tests run through it, so it cannot drift from the rules.

use std::cmp::Ordering;

use crate::num::cmp_digits;
use crate::Scheme;

/// Dotted numeric segments, without leading zeros (so SemVer's validity holds too).
fn segments(v: &[u8]) -> Option<impl Iterator<Item = &[u8]> + Clone> {
    if v.is_empty() || v.len() > 64 {
        return None;
    }
    let ok = v.split(|&c| c == b'.').all(|s| {
        !s.is_empty() && s.iter().all(u8::is_ascii_digit) && (s.len() == 1 || s[0] != b'0')
    });
    ok.then(|| v.split(|&c| c == b'.'))
}

/// Compare segment by segment; with `pad`, missing segments count as zero (`1.0 == 1.0.0`),
/// else a longer version with an equal prefix is greater (dpkg, RPM, APK).
fn numeric(a: &[u8], b: &[u8], pad: bool) -> Option<Ordering> {
    let (mut x, mut y) = (segments(a)?, segments(b)?);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Some(Ordering::Equal),
            (Some(p), Some(q)) => match cmp_digits(p, q) {
                Ordering::Equal => {}
                o => return Some(o),
            },
            (Some(p), None) if pad => {
                if p != b"0" || x.clone().any(|s| s != b"0") {
                    return Some(Ordering::Greater);
                }
                return Some(Ordering::Equal);
            }
            (None, Some(q)) if pad => {
                if q != b"0" || y.clone().any(|s| s != b"0") {
                    return Some(Ordering::Less);
                }
                return Some(Ordering::Equal);
            }
            (Some(_), None) => return Some(Ordering::Greater),
            (None, Some(_)) => return Some(Ordering::Less),
        }
    }
}

/// `v` as the fast path reads it under `scheme` (Go's optional `v` removed), and whether
/// missing segments count as zero; None when the scheme has no fast path or `v` has not the
/// number of segments the scheme's rules give plain numeric comparison to.
fn shaped(scheme: Scheme, v: &[u8]) -> Option<(&[u8], bool)> {
    let dots = |v: &[u8]| v.iter().filter(|&&c| c == b'.').count();
    match scheme {
        // Zero-padding schemes: 1.0 == 1.0.0.
        Scheme::Pep440 | Scheme::Maven | Scheme::RubyGems => Some((v, true)),
        // NuGet reads at most four numbers; longer versions are the parser's to reject.
        Scheme::NuGet => (dots(v) < 4).then_some((v, true)),
        // SemVer (and flavours): exactly three numeric parts.
        Scheme::SemVer | Scheme::Hex | Scheme::Pub => (dots(v) == 2).then_some((v, false)),
        // The `v` is optional (OSV omits it): `1.2.3` and `v1.2.3` are the same version.
        Scheme::Go => {
            let v = v.strip_prefix(b"v").unwrap_or(v);
            (dots(v) == 2).then_some((v, false))
        }
        // Segment-wise without padding: 1.0 < 1.0.0.
        Scheme::Dpkg | Scheme::Rpm | Scheme::Apk => Some((v, false)),
        _ => None,
    }
}

pub(crate) fn compare(scheme: Scheme, a: &str, b: &str) -> Option<Ordering> {
    let (a, pad) = shaped(scheme, a.as_bytes())?;
    let (b, _) = shaped(scheme, b.as_bytes())?;
    numeric(a, b, pad)
}

/// Whether `v` has the fast path's shape under `scheme` (then it is valid under the scheme's
/// rules; numbers of more than 18 digits are left to the parser, which may bound them).
pub(crate) fn valid(scheme: Scheme, v: &str) -> bool {
    shaped(scheme, v.as_bytes()).is_some_and(|(v, _)| {
        segments(v).is_some() && v.split(|&c| c == b'.').all(|s| s.len() <= 18)
    })
}

#[cfg(test)]
mod tests {
    use crate::{compare, Scheme};

    /// Every version the fast path calls valid, the scheme's parser accepts: on every line of
    /// the shared vector files and on numbers at the edge of each parser's bounds.
    #[test]
    fn fast_shape_implies_valid() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata/versions"
        );
        let mut versions: Vec<String> = [
            "0",
            "1",
            "1.2",
            "1.2.3",
            "1.2.3.4",
            "1.2.3.4.5",
            "v1.2.3",
            "18446744073709551615.0.0",
            "999999999999999999.1.1",
            "4294967296.0.0",
            "1.0.0.0.1",
        ]
        .map(String::from)
        .to_vec();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                if let Some(Ok(v)) = crate::vectors::parse_line(line) {
                    versions.push(v.left.to_string());
                    versions.push(v.right.to_string());
                }
            }
        }
        let mut fast = 0;
        for scheme in Scheme::ALL {
            for v in &versions {
                if super::valid(scheme, v) {
                    fast += 1;
                    let full = crate::validate_parsed(scheme, v);
                    assert!(full.is_ok(), "{scheme:?} {v}: {full:?}");
                }
            }
        }
        assert!(fast > 1000, "{fast}");
    }

    /// Regression: the fast path ordered five-number NuGet versions that the NuGet parser
    /// rejects, so whether `1.0.0.0.1` was a version depended on what it was compared with.
    #[test]
    fn nuget_five_numbers_are_rejected_whatever_the_other_side() {
        assert!(compare(Scheme::NuGet, "1.0.0.0.1", "1.0.0").is_err());
        assert!(compare(Scheme::NuGet, "1.0.0.0.1", "1.0.0-beta").is_err());
        assert!(compare(Scheme::NuGet, "1.0.0.1", "1.0.0").is_ok());
    }

    /// Go's `v` is optional; the fast path must agree with the parser on that.
    #[test]
    fn go_without_v_takes_the_fast_path_consistently() {
        for (a, b) in [
            ("1.2.3", "v1.2.3"),
            ("1.2.3", "1.10.0"),
            ("v2.0.0", "1.9.9"),
        ] {
            let parsed = crate::semver::compare(crate::semver::Flavor::Go, Scheme::Go, a, b);
            assert_eq!(compare(Scheme::Go, a, b), parsed, "{a} {b}");
        }
    }
}
