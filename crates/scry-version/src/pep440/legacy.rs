//! The pre-22 `packaging.version.LegacyVersion` key, for strings that are not PEP 440.
//!
//! The lower-cased string splits into runs of digits, runs of ASCII letters, `.`, `-`, and
//! whatever lies between. `pre`, `preview` and `rc` become `c`, `dev` becomes `@`, `-` becomes
//! `final-`, and `.` is dropped. Before each alphabetic part, trailing zero numbers are
//! removed, and (for parts sorting before `final`) trailing `final-` markers; a closing
//! `final` is appended. Keys compare part by part: numbers above words, numbers numerically
//! (Python compared them zero-padded to eight digits, which agrees up to eight digits), words
//! by bytes, and a key that is a prefix of another is smaller.
//!
//! This allocates; it only runs for invalid versions.

use std::cmp::Ordering;

use crate::num::{cmp_digits, is_zero, strip_zeros};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    /// An alphabetic (or other non-numeric) part, without Python's `*` marker.
    Word(Vec<u8>),
    /// A number, leading zeros stripped.
    Num(Vec<u8>),
}

impl PartialOrd for Part {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Part {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Part::Word(a), Part::Word(b)) => a.cmp(b),
            (Part::Num(a), Part::Num(b)) => cmp_digits(a, b),
            (Part::Word(_), Part::Num(_)) => Ordering::Less,
            (Part::Num(_), Part::Word(_)) => Ordering::Greater,
        }
    }
}

/// The raw parts of a lower-cased legacy version, after the replacements.
fn raw_parts(s: &[u8]) -> impl Iterator<Item = Part> + '_ {
    let mut rest = s;
    std::iter::from_fn(move || loop {
        let &c = rest.first()?;
        let n = if c.is_ascii_digit() {
            rest.iter().take_while(|c| c.is_ascii_digit()).count()
        } else if c.is_ascii_lowercase() {
            rest.iter().take_while(|c| c.is_ascii_lowercase()).count()
        } else if c == b'.' || c == b'-' {
            1
        } else {
            rest.iter()
                .take_while(|&&c| {
                    !(c.is_ascii_digit() || c.is_ascii_lowercase() || c == b'.' || c == b'-')
                })
                .count()
        };
        let (part, tail) = rest.split_at(n);
        rest = tail;
        let word: &[u8] = match part {
            b"." => continue,
            _ if c.is_ascii_digit() => return Some(Part::Num(strip_zeros(part).to_vec())),
            b"pre" | b"preview" | b"rc" => b"c",
            b"-" => b"final-",
            b"dev" => b"@",
            other => other,
        };
        return Some(Part::Word(word.to_vec()));
    })
}

/// The comparison key of a legacy version.
pub(super) fn key(v: &str) -> Vec<Part> {
    let lower = v.to_ascii_lowercase();
    let mut parts: Vec<Part> = Vec::new();
    let end = Part::Word(b"final".to_vec());
    for part in raw_parts(lower.as_bytes()).chain(std::iter::once(end.clone())) {
        if let Part::Word(w) = &part {
            if w.as_slice() < b"final".as_slice() {
                while parts
                    .last()
                    .is_some_and(|p| matches!(p, Part::Word(w) if w == b"final-"))
                {
                    parts.pop();
                }
            }
            while parts
                .last()
                .is_some_and(|p| matches!(p, Part::Num(d) if is_zero(d)))
            {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(v: &str) -> Vec<String> {
        key(v)
            .into_iter()
            .map(|p| match p {
                Part::Word(w) => format!("*{}", String::from_utf8_lossy(&w)),
                Part::Num(d) => format!("{:0>8}", String::from_utf8_lossy(&d)),
            })
            .collect()
    }

    #[test]
    fn keys_match_packaging() {
        assert_eq!(
            words("0.1-bulbasaur"),
            ["00000000", "00000001", "*bulbasaur", "*final"]
        );
        assert_eq!(words("1.0-RC1"), ["00000001", "*c", "00000001", "*final"]);
        assert_eq!(words("1.0.0"), ["00000001", "*final"]);
        assert_eq!(words("1_x"), ["00000001", "*_", "*x", "*final"]);
        assert!(key("1.0-dev") < key("1.0"));
    }
}
