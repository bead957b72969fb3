//! A deliberately small check of SPDX license expressions.
//!
//! Writers only emit a license as an SPDX identifier or expression when every identifier in
//! it is on the short list below (current, non-deprecated SPDX license list ids, checked by
//! hand against the SPDX license list); anything else is written as a free-text name
//! (CycloneDX) or `NOASSERTION` (SPDX). A false "not valid" costs only precision; a false
//! "valid" would make the document invalid, so the list stays conservative.

const IDS: &[&str] = &[
    "0BSD",
    "AFL-2.1",
    "AFL-3.0",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.1",
    "Apache-2.0",
    "Artistic-1.0",
    "Artistic-1.0-Perl",
    "Artistic-2.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-4-Clause",
    "BSL-1.0",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "CDDL-1.1",
    "EPL-1.0",
    "EPL-2.0",
    "EUPL-1.2",
    "FTL",
    "GFDL-1.3-only",
    "GFDL-1.3-or-later",
    "GPL-1.0-only",
    "GPL-1.0-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "HPND",
    "ISC",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "OpenSSL",
    "PHP-3.01",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Unlicense",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "ZPL-2.1",
    "curl",
];

const EXCEPTIONS: &[&str] = &[
    "Autoconf-exception-3.0",
    "Bison-exception-2.2",
    "Classpath-exception-2.0",
    "GCC-exception-3.1",
    "LLVM-exception",
    "OpenSSL-exception",
];

/// The canonical spelling of a known SPDX license id (ids match case-insensitively).
pub(crate) fn known_id(s: &str) -> Option<&'static str> {
    IDS.iter().copied().find(|id| id.eq_ignore_ascii_case(s))
}

fn known_exception(s: &str) -> Option<&'static str> {
    EXCEPTIONS
        .iter()
        .copied()
        .find(|id| id.eq_ignore_ascii_case(s))
}

/// The expression with canonical id spellings when it is a valid SPDX license expression made
/// only of known ids (`MIT`, `MIT OR Apache-2.0`, `(GPL-2.0-or-later WITH
/// Classpath-exception-2.0) AND BSD-3-Clause`), else None.
pub(crate) fn canonical_expression(s: &str) -> Option<String> {
    let tokens = tokenize(s)?;
    if tokens.is_empty() || tokens.len() > 256 {
        return None;
    }
    let mut p = Parser {
        t: &tokens,
        i: 0,
        out: String::new(),
    };
    p.or_expr(0)?;
    (p.i == tokens.len()).then_some(p.out)
}

fn tokenize(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' | ')' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(c.to_string());
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+') => cur.push(c),
            _ => return None,
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Some(out)
}

struct Parser<'a> {
    t: &'a [String],
    i: usize,
    out: String,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.t.get(self.i).map(String::as_str)
    }

    fn or_expr(&mut self, depth: usize) -> Option<()> {
        self.and_expr(depth)?;
        while self.peek() == Some("OR") {
            self.i += 1;
            self.out.push_str(" OR ");
            self.and_expr(depth)?;
        }
        Some(())
    }

    fn and_expr(&mut self, depth: usize) -> Option<()> {
        self.primary(depth)?;
        while self.peek() == Some("AND") {
            self.i += 1;
            self.out.push_str(" AND ");
            self.primary(depth)?;
        }
        Some(())
    }

    fn primary(&mut self, depth: usize) -> Option<()> {
        if depth > 16 {
            return None;
        }
        let tok = self.peek()?;
        if tok == "(" {
            self.i += 1;
            self.out.push('(');
            self.or_expr(depth + 1)?;
            if self.peek() != Some(")") {
                return None;
            }
            self.i += 1;
            self.out.push(')');
            return Some(());
        }
        let (id, plus) = match tok.strip_suffix('+') {
            Some(base) => (base, true),
            None => (tok, false),
        };
        let id = known_id(id)?;
        self.i += 1;
        self.out.push_str(id);
        if plus {
            self.out.push('+');
        }
        if self.peek() == Some("WITH") {
            self.i += 1;
            let exc = known_exception(self.peek()?)?;
            self.i += 1;
            self.out.push_str(" WITH ");
            self.out.push_str(exc);
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        assert_eq!(canonical_expression("mit").as_deref(), Some("MIT"));
        assert_eq!(
            canonical_expression("MIT OR Apache-2.0").as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(
            canonical_expression(
                "(GPL-2.0-or-later WITH Classpath-exception-2.0) AND BSD-3-Clause"
            )
            .as_deref(),
            Some("(GPL-2.0-or-later WITH Classpath-exception-2.0) AND BSD-3-Clause")
        );
        assert_eq!(
            canonical_expression("Apache-2.0+").as_deref(),
            Some("Apache-2.0+")
        );
        for bad in [
            "",
            "GPL",
            "GPLv2+",
            "MIT OR",
            "(MIT",
            "MIT)",
            "MIT AND AND BSD-3-Clause",
            "Apache License 2.0",
            "MIT WITH Nonsense",
            "LicenseRef-foo",
            "BSD; MIT",
        ] {
            assert_eq!(canonical_expression(bad), None, "{bad:?}");
        }
        let deep = format!("{}MIT{}", "(".repeat(40), ")".repeat(40));
        assert_eq!(canonical_expression(&deep), None);
    }
}
