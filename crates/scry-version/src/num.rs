//! Byte-level helpers shared by the schemes: numbers are compared as digit strings, never
//! parsed, so components of any length are ordered correctly and nothing overflows.

use std::cmp::Ordering;

/// Compare two ASCII digit strings by numeric value (leading zeros ignored; empty is zero).
pub(crate) fn cmp_digits(a: &[u8], b: &[u8]) -> Ordering {
    let a = strip_zeros(a);
    let b = strip_zeros(b);
    // Equal lengths: the first differing digit decides. A loop, not `a.cmp(b)`: numbers are a
    // few digits long, shorter than a call to `memcmp`.
    a.len().cmp(&b.len()).then_with(|| short_cmp(a, b))
}

/// `a.cmp(b)` for the short byte strings versions are made of, without a call to `memcmp`.
pub(crate) fn short_cmp(a: &[u8], b: &[u8]) -> Ordering {
    a.iter()
        .zip(b)
        .find(|(x, y)| x != y)
        .map_or_else(|| a.len().cmp(&b.len()), |(x, y)| x.cmp(y))
}

/// The digit string without its leading zeros (`"007"` → `"7"`, `"000"` → `""`).
pub(crate) fn strip_zeros(d: &[u8]) -> &[u8] {
    let n = d.iter().take_while(|&&c| c == b'0').count();
    &d[n..]
}

/// Whether a digit string is numerically zero (also true for the empty string).
pub(crate) fn is_zero(d: &[u8]) -> bool {
    d.iter().all(|&c| c == b'0')
}

/// Whether `s` is a non-empty run of ASCII digits.
pub(crate) fn all_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

/// Split `s` after its leading run of ASCII digits: (digits, rest).
pub(crate) fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    s.split_at(n)
}

/// Compare two byte strings ignoring ASCII case (by lower-case value).
pub(crate) fn cmp_ignore_case(a: &[u8], b: &[u8]) -> Ordering {
    let a = a.iter().map(u8::to_ascii_lowercase);
    let b = b.iter().map(u8::to_ascii_lowercase);
    a.cmp(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_strings() {
        assert_eq!(cmp_digits(b"10", b"9"), Ordering::Greater);
        assert_eq!(cmp_digits(b"007", b"7"), Ordering::Equal);
        assert_eq!(cmp_digits(b"", b"0"), Ordering::Equal);
        assert_eq!(
            cmp_digits(
                b"999999999999999999999999999991",
                b"999999999999999999999999999999"
            ),
            Ordering::Less
        );
        assert!(is_zero(b"000"));
        assert!(!is_zero(b"010"));
    }
}
