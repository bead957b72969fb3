//! Comparison vectors: text files of `a OP b` lines (OP one of `<`, `=`, `>`), the format of
//! the OSV/osv-scalibr fixtures. Used by this crate's tests and by `scry debug compare-versions`.

use std::cmp::Ordering;
use std::fmt;

use crate::{compare, Scheme};

/// One parsed vector line: `left op right`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VectorLine<'a> {
    pub left: &'a str,
    pub op: Ordering,
    pub right: &'a str,
}

/// A vector line that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// 1-based line number in the text.
    pub line_no: usize,
    /// The line as written (without its line ending).
    pub line: String,
    /// What [`compare`] returned for `left, right`, or the error text (also used when the line
    /// cannot be parsed, or when the reversed comparison disagrees).
    pub got: Result<Ordering, String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.got {
            Ok(o) => write!(
                f,
                "line {}: {}  (got {})",
                self.line_no,
                self.line,
                op_str(*o)
            ),
            Err(e) => write!(f, "line {}: {}  (error: {e})", self.line_no, self.line),
        }
    }
}

/// Parse a vector line `a OP b` (OP one of `<`, `=`, `>`, surrounded by whitespace).
///
/// Returns `None` for blank lines and lines starting with `#` or `//`.
pub fn parse_line(line: &str) -> Option<Result<VectorLine<'_>, String>> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
        return None;
    }
    let mut words = trimmed.split_whitespace();
    let (Some(left), Some(op), Some(right), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Some(Err(format!("expected `a OP b`, got {trimmed:?}")));
    };
    let op = match op {
        "<" => Ordering::Less,
        "=" => Ordering::Equal,
        ">" => Ordering::Greater,
        other => {
            return Some(Err(format!(
                "unknown operator {other:?} (expected <, = or >)"
            )))
        }
    };
    Some(Ok(VectorLine { left, op, right }))
}

/// Check every line of a vector text under `scheme`, in both directions (`a OP b` and
/// `b reversed-OP a`); return the failures.
pub fn check(scheme: Scheme, text: &str) -> Vec<Failure> {
    let mut failures = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let got = match parse_line(line) {
            None => continue,
            Some(Err(e)) => Err(Err(e)),
            Some(Ok(v)) => check_one(scheme, &v),
        };
        if let Some(got) = got.err() {
            failures.push(Failure {
                line_no: i + 1,
                line: line.to_owned(),
                got,
            });
        }
    }
    failures
}

/// Count the vector lines (not blanks or comments) in `text`.
pub fn count(text: &str) -> usize {
    text.lines().filter(|l| parse_line(l).is_some()).count()
}

/// `Ok(())` when the line holds both ways, else what to report as `got`.
fn check_one(scheme: Scheme, v: &VectorLine<'_>) -> Result<(), Result<Ordering, String>> {
    let forward = compare(scheme, v.left, v.right).map_err(|e| Err(e.to_string()))?;
    if forward != v.op {
        return Err(Ok(forward));
    }
    let backward = compare(scheme, v.right, v.left).map_err(|e| Err(e.to_string()))?;
    if backward != v.op.reverse() {
        return Err(Err(format!(
            "not antisymmetric: the reversed comparison gave {}",
            op_str(backward)
        )));
    }
    Ok(())
}

fn op_str(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines() {
        assert_eq!(parse_line(""), None);
        assert_eq!(parse_line("   "), None);
        assert_eq!(parse_line("# comment"), None);
        assert_eq!(parse_line("// comment"), None);
        assert_eq!(
            parse_line(" 1.0  <\t2.0 "),
            Some(Ok(VectorLine {
                left: "1.0",
                op: Ordering::Less,
                right: "2.0"
            }))
        );
        assert!(matches!(parse_line("1.0 <= 2.0"), Some(Err(_))));
        assert!(matches!(parse_line("1.0 <"), Some(Err(_))));
        assert!(matches!(parse_line("1 < 2 < 3"), Some(Err(_))));
    }

    #[test]
    fn reports_failures_with_line_numbers() {
        let text = "# header\n1 < 2\n2 < 1\nbad line here too\n";
        let failures = check(Scheme::Hackage, text);
        assert_eq!(failures.len(), 2);
        assert_eq!(failures[0].line_no, 3);
        assert_eq!(failures[0].got, Ok(Ordering::Greater));
        assert_eq!(failures[1].line_no, 4);
        assert!(failures[1].got.is_err());
        assert_eq!(count(text), 3);
    }

    #[test]
    fn reports_compare_errors() {
        let failures = check(Scheme::Hackage, "1 < x\n");
        assert_eq!(failures.len(), 1);
        assert!(failures[0]
            .got
            .as_ref()
            .unwrap_err()
            .contains("invalid Hackage version"));
    }
}
