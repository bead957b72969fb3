//! Maven versions, ordered by the POM reference's "Version Order Specification" (what
//! `ComparableVersion` implements).
//!
//! A version splits into tokens at `.`, at `-`, and at every transition between digits and
//! non-digits (a transition counts as `-`). Tokens are numbers or qualifiers (lower-cased);
//! empty tokens are `0`. `a`, `b`, `m` directly followed by a digit mean `alpha`, `beta`,
//! `milestone`; `cr` means `rc`; `ga`, `final` and `release` mean the empty qualifier.
//! "Null" tokens (`0` and the empty qualifier) at the end of each hyphen-separated group
//! are dropped, so `1.0 = 1 = 1-0 = 1.ga` and `1-ga-1 = 1-1`.
//!
//! Tokens compare: qualifiers `alpha < beta < milestone < rc < snapshot < "" < sp <`
//! unknown qualifiers (lexically, ignoring ASCII case) `<` numbers after `-` `<` numbers
//! after `.`; a version that ran out counts as the empty qualifier there, so `1-rc < 1 <
//! 1-sp < 1-1 < 1.1`.
//!
//! A qualifier always counts as hyphen-separated, whichever separator precedes it. The
//! specification's own example (`1.foo = 1-foo`) and Maven 4 agree; Maven 3's
//! `ComparableVersion` keeps `.foo` apart and, as a result, is not transitive
//! (`1.sp < 1-alpha < 1 < 1.sp`). With this rule the order is total.
//!
//! Comparison walks both strings with a lexer and never allocates.

use std::cmp::Ordering;

use crate::num::{cmp_digits, cmp_ignore_case, strip_zeros};
use crate::{Scheme, VersionError};

/// Qualifier ranks; unknown qualifiers rank after all of these.
const RANK_ALPHA: u8 = 0;
const RANK_BETA: u8 = 1;
const RANK_MILESTONE: u8 = 2;
const RANK_RC: u8 = 3;
const RANK_SNAPSHOT: u8 = 4;
const RANK_RELEASE: u8 = 5;
const RANK_SP: u8 = 6;
const RANK_UNKNOWN: u8 = 7;

#[derive(Clone, Copy, Debug)]
enum Tok<'a> {
    /// A qualifier: its rank, and its text (used for unknown qualifiers only).
    Qual(u8, &'a [u8]),
    /// A number (digits, leading zeros stripped) after a hyphen or transition.
    HyphenNum(&'a [u8]),
    /// A number after a dot, or at the start.
    DotNum(&'a [u8]),
}

impl Tok<'_> {
    fn is_null(&self) -> bool {
        match *self {
            Tok::Qual(rank, _) => rank == RANK_RELEASE,
            Tok::HyphenNum(d) | Tok::DotNum(d) => d.is_empty(),
        }
    }

    /// Whether this token starts a hyphen group.
    fn starts_group(&self) -> bool {
        !matches!(self, Tok::DotNum(_))
    }

    fn cmp(&self, other: &Self) -> Ordering {
        let class = |t: &Tok<'_>| match t {
            Tok::Qual(..) => 0,
            Tok::HyphenNum(_) => 1,
            Tok::DotNum(_) => 2,
        };
        match (self, other) {
            (Tok::Qual(r1, q1), Tok::Qual(r2, q2)) => r1.cmp(r2).then_with(|| {
                if *r1 == RANK_UNKNOWN {
                    cmp_ignore_case(q1, q2)
                } else {
                    Ordering::Equal
                }
            }),
            (Tok::HyphenNum(a), Tok::HyphenNum(b)) | (Tok::DotNum(a), Tok::DotNum(b)) => {
                cmp_digits(a, b)
            }
            _ => class(self).cmp(&class(other)),
        }
    }
}

/// What a version that ran out compares as.
const PAD: Tok<'static> = Tok::Qual(RANK_RELEASE, b"");

fn qualifier(word: &[u8], followed_by_digit: bool) -> Tok<'_> {
    let is = |s: &str| word.eq_ignore_ascii_case(s.as_bytes());
    let rank = if followed_by_digit && word.len() == 1 && (is("a") || is("b") || is("m")) {
        match word[0].to_ascii_lowercase() {
            b'a' => RANK_ALPHA,
            b'b' => RANK_BETA,
            _ => RANK_MILESTONE,
        }
    } else if is("alpha") {
        RANK_ALPHA
    } else if is("beta") {
        RANK_BETA
    } else if is("milestone") {
        RANK_MILESTONE
    } else if is("rc") || is("cr") {
        RANK_RC
    } else if is("snapshot") {
        RANK_SNAPSHOT
    } else if is("ga") || is("final") || is("release") {
        RANK_RELEASE
    } else if is("sp") {
        RANK_SP
    } else {
        RANK_UNKNOWN
    };
    Tok::Qual(rank, word)
}

/// Raw tokens, before null trimming.
struct Raw<'a> {
    s: &'a [u8],
    pos: usize,
    /// Separator before the next token: `b'.'` (also at the start), `b'-'`, or `0` for a
    /// digit/non-digit transition, which counts as a hyphen.
    sep: u8,
    done: bool,
}

impl<'a> Raw<'a> {
    fn new(s: &'a [u8]) -> Self {
        Raw {
            s,
            pos: 0,
            sep: b'.',
            done: false,
        }
    }
}

impl<'a> Iterator for Raw<'a> {
    type Item = Tok<'a>;

    fn next(&mut self) -> Option<Tok<'a>> {
        if self.done {
            return None;
        }
        let rest = &self.s[self.pos..];
        let digit = rest.first().is_some_and(u8::is_ascii_digit);
        let n = rest
            .iter()
            .take_while(|&&c| c != b'.' && c != b'-' && c.is_ascii_digit() == digit)
            .count();
        let word = &rest[..n];
        let sep = self.sep;
        self.pos += n;
        let mut followed_by_digit = false;
        match self.s.get(self.pos) {
            None => self.done = true,
            Some(&c @ (b'.' | b'-')) => {
                self.sep = c;
                self.pos += 1;
                // A trailing separator would only add a null token.
                self.done = self.pos == self.s.len();
            }
            Some(c) => {
                followed_by_digit = c.is_ascii_digit();
                self.sep = 0;
            }
        }
        Some(if digit || word.is_empty() {
            // An empty token is 0.
            let d = strip_zeros(word);
            if sep == b'.' {
                Tok::DotNum(d)
            } else {
                Tok::HyphenNum(d)
            }
        } else {
            qualifier(word, followed_by_digit)
        })
    }
}

/// Tokens with the null tokens at the end of each hyphen group dropped.
struct Tokens<'a> {
    raw: Raw<'a>,
    /// The first null token not yet known to be followed by a non-null one in its group.
    pending_first: Option<Tok<'a>>,
    /// How many more pending nulls follow it (all `.0`: anything else starts a new group).
    pending_more: usize,
    /// The non-null token that showed the pending nulls are not trailing.
    held: Option<Tok<'a>>,
}

impl<'a> Tokens<'a> {
    fn new(s: &'a str) -> Self {
        Tokens {
            raw: Raw::new(s.as_bytes()),
            pending_first: None,
            pending_more: 0,
            held: None,
        }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Tok<'a>;

    fn next(&mut self) -> Option<Tok<'a>> {
        loop {
            if self.held.is_some() {
                if let Some(t) = self.pending_first.take() {
                    return Some(t);
                }
                if self.pending_more > 0 {
                    self.pending_more -= 1;
                    return Some(Tok::DotNum(b""));
                }
                return self.held.take();
            }
            // At the end, pending nulls were trailing: drop them.
            let t = self.raw.next()?;
            if t.starts_group() {
                // So were the nulls pending from the previous group.
                self.pending_first = None;
                self.pending_more = 0;
            }
            if t.is_null() {
                if self.pending_first.is_none() {
                    self.pending_first = Some(t);
                } else {
                    self.pending_more += 1;
                }
            } else if self.pending_first.is_some() {
                self.held = Some(t);
            } else {
                return Some(t);
            }
        }
    }
}

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let (mut xs, mut ys) = (Tokens::new(a), Tokens::new(b));
    loop {
        let ord = match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (Some(x), None) => x.cmp(&PAD),
            (None, Some(y)) => PAD.cmp(&y),
            (Some(x), Some(y)) => x.cmp(&y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

/// Maven accepts any string; reject only what cannot be a version in a POM: empty text,
/// white space and control characters.
pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    if v.is_empty() {
        return Err(VersionError::new(Scheme::Maven, v, "empty version"));
    }
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(VersionError::new(
            Scheme::Maven,
            v,
            "contains white space or control characters",
        ));
    }
    Ok(())
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
    fn specification_examples() {
        check("1", Lt, "1.1");
        check("1-snapshot", Lt, "1");
        check("1", Lt, "1-sp");
        check("1-foo2", Lt, "1-foo10");
        check("1.foo", Eq, "1-foo");
        check("1-foo", Lt, "1-1");
        check("1-1", Lt, "1.1");
        for v in ["1.ga", "1-ga", "1-0", "1.0", "1"] {
            check(v, Eq, "1");
        }
        check("1-sp", Gt, "1-ga");
        check("1-sp.1", Gt, "1-ga.1");
        check("1-sp-1", Lt, "1-ga-1");
        check("1-ga-1", Eq, "1-1");
        check("1-a1", Eq, "1-alpha-1");
    }

    #[test]
    fn qualifiers() {
        let order = [
            "1-alpha",
            "1-beta",
            "1-milestone",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1-xyz",
            "1-0.1",
            "1-1",
            "1.0.1",
            "1.1",
        ];
        for w in order.windows(2) {
            check(w[0], Lt, w[1]);
        }
        check("1-CR1", Eq, "1-rc-1");
        check("1.0.0.RELEASE", Eq, "1");
        check("1.0-SNAPSHOT", Lt, "1.0");
        check("1.0.0.RC1", Lt, "1.0.0");
        check("1.0.0.RC1", Lt, "1-1");
        check("1a", Eq, "1-a");
        check("1A1", Eq, "1-alpha-1");
        check("1x1", Gt, "1x");
    }
}
