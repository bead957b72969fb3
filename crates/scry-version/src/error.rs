//! [`VersionError`]: which scheme rejected which text, and why.

use std::fmt;

use crate::Scheme;

/// The longest version text kept in an error; longer text is cut at a char boundary.
const MAX_KEPT: usize = 200;

/// A version string that its scheme cannot parse.
///
/// Displays as e.g. `invalid PEP 440 version "1.0.0.x": unexpected ".x"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionError {
    scheme: Scheme,
    version: String,
    reason: String,
}

impl VersionError {
    pub(crate) fn new(scheme: Scheme, version: &str, reason: impl Into<String>) -> Self {
        Self {
            scheme,
            version: clip(version).to_owned(),
            reason: reason.into(),
        }
    }

    /// An "unexpected ..." error quoting the unparsed remainder `rest` of `version`.
    pub(crate) fn unexpected(scheme: Scheme, version: &str, rest: &[u8]) -> Self {
        let rest = String::from_utf8_lossy(rest);
        let reason = if rest.is_empty() {
            "unexpected end".to_owned()
        } else {
            format!("unexpected \"{}\"", clip(&rest))
        };
        Self::new(scheme, version, reason)
    }

    /// The scheme that rejected the version.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The rejected version text (cut to 200 bytes).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Why it was rejected, e.g. `unexpected ".x"`.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} version {:?}: {}",
            self.scheme, self.version, self.reason
        )
    }
}

impl std::error::Error for VersionError {}

fn clip(s: &str) -> &str {
    if s.len() <= MAX_KEPT {
        return s;
    }
    let mut end = MAX_KEPT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let e = VersionError::unexpected(Scheme::Pep440, "1.0.0.x", b".x");
        assert_eq!(
            e.to_string(),
            r#"invalid PEP 440 version "1.0.0.x": unexpected ".x""#
        );
        assert_eq!(e.scheme(), Scheme::Pep440);
        assert_eq!(e.reason(), r#"unexpected ".x""#);
    }

    #[test]
    fn long_text_is_clipped_on_a_char_boundary() {
        let long = "é".repeat(300);
        let e = VersionError::new(Scheme::Maven, &long, "too long");
        assert!(e.version().len() <= MAX_KEPT);
        assert!(e.version().chars().all(|c| c == 'é'));
    }
}
