//! apk-tools versions: `number{.number}...{letter}{_suffix{number}}...{~hash}{-rN}`.
//!
//! Versions are read as a stream of tokens, as apk-tools' `version.c` does: the first
//! number, further `.number`s, one letter, `_suffix` words (`alpha`, `beta`, `pre`, `rc`
//! sort before the release; `cvs`, `svn`, `git`, `hg`, `p` after) each with an optional
//! number, a `~commit` hash, and the `-rN` package revision (`-r0` when absent, and `-r`
//! alone is `-r0`). Two versions compare token by token while the token kinds agree. Where
//! they stop agreeing, a version that continues with a pre-release suffix is older, otherwise
//! the one whose next token comes earlier in that sequence is newer (so
//! `1.2 < 1.2-r1 < 1.2_p1 < 1.2a < 1.2.1`). A later number with a leading zero (`1.05`)
//! compares as a string, as in Gentoo; other numbers compare as digit strings.
//!
//! Invalid versions are ordered too, as `apk version -t` does: from the first token that does
//! not fit, the rest is an invalid *tail*, which sorts before any valid continuation. Tails
//! compare as strings, except that tails of the revision (starting with `-`, or following
//! `-rN`) are all equal and sort after other tails. Unlike apk-tools, which calls any two
//! tails equal, this keeps the order a total one and matches the reference vectors
//! (`0..1..0 < 0..1..1`, `1-r0-1 = 1-r-2`).

use std::cmp::Ordering;

use crate::num::{cmp_digits, short_cmp, split_digits};
use crate::{Scheme, VersionError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    /// An invalid tail: the rest of the string from the first token that does not fit.
    Tail,
}

/// Suffix ranks; `SUFFIX_NONE` (no suffix) is the pivot between pre- and post-release ones.
const SUFFIXES: [&[u8]; 9] = [
    b"alpha", b"beta", b"pre", b"rc", b"cvs", b"svn", b"git", b"hg", b"p",
];
const SUFFIX_NONE: u8 = 4;

fn suffix_rank(word: &[u8]) -> Option<u8> {
    let i = SUFFIXES.iter().position(|&s| s == word)?;
    let i = u8::try_from(i).ok()?;
    Some(if i < SUFFIX_NONE { i } else { i + 1 })
}

#[derive(Clone, Copy, Debug)]
struct Token<'a> {
    kind: Kind,
    value: &'a [u8],
    /// Suffix rank, for `Suffix` tokens.
    suffix: u8,
    /// For `Tail` tokens: whether the tail belongs to the revision (starts with `-`, or
    /// follows `-rN`). Such tails all compare equal, and after other tails.
    revision_tail: bool,
}

impl<'a> Token<'a> {
    fn new(kind: Kind, value: &'a [u8]) -> Self {
        Token {
            kind,
            value,
            suffix: 0,
            revision_tail: false,
        }
    }

    fn is_pre_release_suffix(&self) -> bool {
        self.kind == Kind::Suffix && self.suffix < SUFFIX_NONE
    }
}

struct Lexer<'a> {
    rest: &'a [u8],
    /// Kind of the last token read from the text.
    cur: Kind,
    started: bool,
    /// A terminal token held back while an implicit `-r0` is handed out.
    queued: Option<Token<'a>>,
}

impl<'a> Lexer<'a> {
    fn new(s: &'a [u8]) -> Self {
        Lexer {
            rest: s,
            cur: Kind::InitialDigit,
            started: false,
            queued: None,
        }
    }

    fn tail(&self) -> Token<'a> {
        let mut t = Token::new(Kind::Tail, self.rest);
        t.revision_tail = self.cur == Kind::RevisionNo || self.rest.first() == Some(&b'-');
        t
    }

    /// The next token; after `End` or `Tail` the same terminal repeats. A version without
    /// `-rN` gets an implicit `-r0` before its terminal token, so `1.2 = 1.2-r0`.
    fn next_token(&mut self) -> Token<'a> {
        if let Some(t) = self.queued {
            return t;
        }
        let t = self.read();
        if matches!(t.kind, Kind::End | Kind::Tail) {
            self.queued = Some(t);
            if self.cur < Kind::RevisionNo {
                self.cur = Kind::RevisionNo;
                return Token::new(Kind::RevisionNo, b"");
            }
            return t;
        }
        self.cur = t.kind;
        t
    }

    /// One token from the text, by apk-tools' grammar.
    fn read(&mut self) -> Token<'a> {
        if !self.started {
            self.started = true;
            let (d, rest) = split_digits(self.rest);
            if d.is_empty() {
                return self.tail();
            }
            self.rest = rest;
            return Token::new(Kind::InitialDigit, d);
        }
        let Some(&c) = self.rest.first() else {
            return Token::new(Kind::End, b"");
        };
        let cur = self.cur;
        match c {
            b'a'..=b'z' if cur <= Kind::Digit => {
                let (letter, rest) = self.rest.split_at(1);
                self.rest = rest;
                Token::new(Kind::Letter, letter)
            }
            b'.' if cur <= Kind::Digit => {
                let (d, rest) = split_digits(&self.rest[1..]);
                if d.is_empty() {
                    return self.tail();
                }
                self.rest = rest;
                Token::new(Kind::Digit, d)
            }
            b'0'..=b'9' if cur == Kind::Suffix => {
                let (d, rest) = split_digits(self.rest);
                self.rest = rest;
                Token::new(Kind::SuffixNo, d)
            }
            b'_' if cur <= Kind::SuffixNo => {
                let n = 1 + self.rest[1..]
                    .iter()
                    .take_while(|c| c.is_ascii_lowercase())
                    .count();
                let word = &self.rest[1..n];
                let Some(rank) = suffix_rank(word) else {
                    return self.tail();
                };
                self.rest = &self.rest[n..];
                let mut t = Token::new(Kind::Suffix, word);
                t.suffix = rank;
                t
            }
            b'~' if cur < Kind::CommitHash => {
                let n = 1 + self.rest[1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
                    .count();
                if n == 1 {
                    return self.tail();
                }
                let hash = &self.rest[1..n];
                self.rest = &self.rest[n..];
                Token::new(Kind::CommitHash, hash)
            }
            b'-' if cur < Kind::RevisionNo && self.rest.starts_with(b"-r") => {
                let (d, rest) = split_digits(&self.rest[2..]);
                // `-r` alone is revision 0; `-r` followed by anything else is a bad tail.
                if d.is_empty() && !rest.is_empty() {
                    return self.tail();
                }
                self.rest = rest;
                Token::new(Kind::RevisionNo, d)
            }
            _ => self.tail(),
        }
    }
}

fn token_cmp(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.kind {
        // As in Gentoo, a later number with a leading zero compares as a string.
        Kind::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            short_cmp(a.value, b.value)
        }
        Kind::InitialDigit | Kind::Digit | Kind::SuffixNo | Kind::RevisionNo => {
            cmp_digits(a.value, b.value)
        }
        Kind::Suffix => a.suffix.cmp(&b.suffix),
        Kind::Tail => match (a.revision_tail, b.revision_tail) {
            (true, true) => Ordering::Equal,
            (false, true) => Ordering::Less,
            (true, false) => Ordering::Greater,
            (false, false) => short_cmp(a.value, b.value),
        },
        Kind::Letter | Kind::CommitHash | Kind::End => short_cmp(a.value, b.value),
    }
}

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let mut la = Lexer::new(a.as_bytes());
    let mut lb = Lexer::new(b.as_bytes());
    loop {
        let (ta, tb) = (la.next_token(), lb.next_token());
        if ta.kind == tb.kind {
            match token_cmp(&ta, &tb) {
                Ordering::Equal if matches!(ta.kind, Kind::End | Kind::Tail) => {
                    return Ordering::Equal
                }
                Ordering::Equal => continue,
                other => return other,
            }
        }
        // The version continuing with a pre-release suffix is older.
        if ta.is_pre_release_suffix() {
            return Ordering::Less;
        }
        if tb.is_pre_release_suffix() {
            return Ordering::Greater;
        }
        // Otherwise the one whose token comes earlier in the grammar is newer; an invalid
        // tail comes last of all.
        return tb.kind.cmp(&ta.kind);
    }
}

pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    let mut lx = Lexer::new(v.as_bytes());
    loop {
        let t = lx.next_token();
        match t.kind {
            Kind::End => return Ok(()),
            Kind::Tail => return Err(VersionError::unexpected(Scheme::Apk, v, t.value)),
            _ => {}
        }
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
    fn suffixes_and_revisions() {
        check("1.2_rc1", Lt, "1.2");
        check("1.2_alpha", Lt, "1.2_beta");
        check("1.2_p1", Gt, "1.2_git9");
        check("1.2-r1", Gt, "1.2");
        check("1.2-r10", Gt, "1.2-r9");
        check("1.2a", Lt, "1.2.1");
        check("1.2_p1", Lt, "1.2a");
        check("1.2-r1", Lt, "1.2_p1");
        check("1.2~abc-r1", Eq, "1.2~abc-r1");
        check("1.99999999999999999999999", Gt, "1.99999999999999999999998");
    }

    #[test]
    fn validity() {
        for ok in ["1.2.3", "1.2.3a_rc1_p2~0abc-r4", "0", "1_pre20230101"] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "a", "1.2-3", "1.2_blah", "1.2ab", "1-rx", "1.", "1~", "1~xyz", "1-r1-r2",
        ] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }
}
