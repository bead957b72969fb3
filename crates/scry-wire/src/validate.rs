//! Server-side validation: what botocore does not check client-side (max lengths, list sizes,
//! number ranges, patterns, enums) and, via [`crate::parse_request`], required members. Each
//! violation is a [`FieldError`] naming the member path (`filterCriteria.severity[0].value`);
//! together they make a `ValidationException` with reason `FIELD_VALIDATION_FAILED`.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ValidationReason};

/// A member path, built on the stack while validating and rendered only for errors.
#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    /// The request itself.
    Root,
    /// A structure member.
    Field(&'a Path<'a>, &'a str),
    /// A list element.
    Index(&'a Path<'a>, usize),
    /// A map entry.
    Key(&'a Path<'a>, &'a str),
}

impl<'a> Path<'a> {
    /// The path of member `name` below this one.
    pub fn field(&'a self, name: &'a str) -> Path<'a> {
        Path::Field(self, name)
    }
    /// The path of list element `i` below this one.
    pub fn index(&'a self, i: usize) -> Path<'a> {
        Path::Index(self, i)
    }
    /// The path of map entry `key` below this one.
    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(Path::Root, n) | Path::Key(Path::Root, n) => f.write_str(n),
            Path::Field(p, n) | Path::Key(p, n) => write!(f, "{p}.{n}"),
            Path::Index(p, i) => write!(f, "{p}[{i}]"),
        }
    }
}

/// One violation: the wire's `ValidationExceptionField`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The member path, e.g. `filterCriteria.severity[0].value`.
    pub name: String,
    /// What is wrong, in the service's words
    /// (`Value 'X' at 'path' failed to satisfy constraint: Member must ...`).
    pub message: String,
}

impl FieldError {
    /// A violation of `constraint` (`Member must ...`) by `value` (if shown) at `path`.
    pub fn new(path: &Path<'_>, value: Option<&str>, constraint: &str) -> Self {
        let name = path.to_string();
        let message = match value {
            Some(v) => format!(
                "Value '{}' at '{name}' failed to satisfy constraint: {constraint}",
                shorten(v)
            ),
            None => format!("Value at '{name}' failed to satisfy constraint: {constraint}"),
        };
        FieldError { name, message }
    }
    /// A required member that is absent.
    pub fn missing(path: &Path<'_>) -> Self {
        Self::missing_named(path.to_string())
    }
    pub(crate) fn missing_named(name: String) -> Self {
        let message =
            format!("Value null at '{name}' failed to satisfy constraint: Member must not be null");
        FieldError { name, message }
    }
}

fn shorten(v: &str) -> String {
    if v.chars().count() > 64 {
        let mut s: String = v.chars().take(61).collect();
        s.push_str("...");
        s
    } else {
        v.to_string()
    }
}

/// Server-side validation of a request shape.
pub trait Validate {
    /// Appends every violation below `path` to `errs`.
    fn validate_at(&self, path: &Path<'_>, errs: &mut Vec<FieldError>);

    /// All violations, as a `ValidationException` (`FIELD_VALIDATION_FAILED`) if there are any.
    fn validate(&self) -> Result<(), ApiError> {
        let mut errs = Vec::new();
        self.validate_at(&Path::Root, &mut errs);
        if errs.is_empty() {
            Ok(())
        } else {
            Err(ApiError::field_validation(errs))
        }
    }
}

impl<T: Validate> Validate for Vec<T> {
    fn validate_at(&self, path: &Path<'_>, errs: &mut Vec<FieldError>) {
        for (i, e) in self.iter().enumerate() {
            e.validate_at(&path.index(i), errs);
        }
    }
}

/// Builds the `ValidationException` for a list of violations.
pub(crate) fn summary(errs: &[FieldError]) -> String {
    let n = errs.len();
    let msgs: Vec<&str> = errs.iter().map(|e| e.message.as_str()).collect();
    format!(
        "{n} validation error{} detected: {}",
        if n == 1 { "" } else { "s" },
        msgs.join("; ")
    )
}

impl ApiError {
    /// A `ValidationException` (`FIELD_VALIDATION_FAILED`) for these violations.
    pub fn field_validation(errs: Vec<FieldError>) -> Self {
        let message = summary(&errs);
        ApiError::validation(ValidationReason::FieldValidationFailed, message, errs)
    }
}

/// A compiled model pattern: anchored (the service matches the whole value) and with the one
/// look-ahead the model uses (`(?!aws:)`) turned into a prefix test, which `regex` lacks.
pub(crate) struct Pattern {
    pub(crate) source: &'static str,
    forbidden_prefix: Option<&'static str>,
    re: Regex,
}

impl Pattern {
    fn compile(source: &'static str) -> Pattern {
        let (forbidden_prefix, rest) = match source.strip_prefix("(?!aws:)") {
            Some(rest) => (Some("aws:"), rest),
            None => (None, source),
        };
        let re = Regex::new(&format!("^(?:{rest})$"))
            .unwrap_or_else(|e| panic!("model pattern {source:?} does not compile: {e}"));
        Pattern {
            source,
            forbidden_prefix,
            re,
        }
    }
    pub(crate) fn is_match(&self, v: &str) -> bool {
        !self.forbidden_prefix.is_some_and(|p| v.starts_with(p)) && self.re.is_match(v)
    }
}

pub(crate) static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    crate::shapes::PATTERNS
        .iter()
        .map(|p| Pattern::compile(p))
        .collect()
});

/// The checks the generated `Validate` impls call.
pub(crate) mod check {
    use super::*;

    pub(crate) fn string(
        p: &Path<'_>,
        v: &str,
        min: Option<usize>,
        max: Option<usize>,
        pattern: Option<usize>,
        allowed: Option<&[&str]>,
        errs: &mut Vec<FieldError>,
    ) {
        if let Some(allowed) = allowed {
            if !allowed.contains(&v) {
                errs.push(FieldError::new(
                    p,
                    Some(v),
                    &format!(
                        "Member must satisfy enum value set: [{}]",
                        allowed.join(", ")
                    ),
                ));
                return;
            }
        }
        let len = if min.is_some() || max.is_some() {
            v.chars().count()
        } else {
            0
        };
        if let Some(min) = min.filter(|&m| len < m) {
            errs.push(FieldError::new(
                p,
                Some(v),
                &format!("Member must have length greater than or equal to {min}"),
            ));
            return;
        }
        if let Some(max) = max.filter(|&m| len > m) {
            errs.push(FieldError::new(
                p,
                Some(v),
                &format!("Member must have length less than or equal to {max}"),
            ));
            return;
        }
        if let Some(i) = pattern {
            let pat = &PATTERNS[i];
            if !pat.is_match(v) {
                errs.push(FieldError::new(
                    p,
                    Some(v),
                    &format!(
                        "Member must satisfy regular expression pattern: {}",
                        pat.source
                    ),
                ));
            }
        }
    }

    pub(crate) fn number(
        p: &Path<'_>,
        v: f64,
        min: Option<f64>,
        max: Option<f64>,
        errs: &mut Vec<FieldError>,
    ) {
        if let Some(min) = min.filter(|&m| v < m) {
            errs.push(FieldError::new(
                p,
                Some(&v.to_string()),
                &format!("Member must have value greater than or equal to {min}"),
            ));
        } else if let Some(max) = max.filter(|&m| v > m) {
            errs.push(FieldError::new(
                p,
                Some(&v.to_string()),
                &format!("Member must have value less than or equal to {max}"),
            ));
        }
    }

    pub(crate) fn size(
        p: &Path<'_>,
        n: usize,
        min: Option<usize>,
        max: Option<usize>,
        errs: &mut Vec<FieldError>,
    ) {
        if let Some(min) = min.filter(|&m| n < m) {
            errs.push(FieldError::new(
                p,
                None,
                &format!("Member must have length greater than or equal to {min}"),
            ));
        } else if let Some(max) = max.filter(|&m| n > m) {
            errs.push(FieldError::new(
                p,
                None,
                &format!("Member must have length less than or equal to {max}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_pattern_compiles() {
        assert!(!PATTERNS.is_empty());
        let tag = PATTERNS
            .iter()
            .find(|p| p.source.starts_with("(?!aws:)"))
            .unwrap();
        assert!(tag.is_match("team"));
        assert!(!tag.is_match("aws:team"));
    }

    #[test]
    fn paths_render_like_the_service() {
        let r = Path::Root;
        let a = r.field("filterCriteria");
        let b = a.field("severity");
        let c = b.index(0);
        let d = c.field("value");
        assert_eq!(d.to_string(), "filterCriteria.severity[0].value");
        assert_eq!(r.field("tags").key("k").to_string(), "tags.k");
    }
}
