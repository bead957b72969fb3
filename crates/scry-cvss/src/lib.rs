//! CVSS vectors and scores, and Amazon Inspector's view of them.
//!
//! Parsing and base scores of CVSS v2, v3.0, v3.1 and v4.0 come from RustSec's `cvss` crate
//! (FIRST's equations, and for v4.0 its macrovector table and interpolation); this crate adds
//! what Inspector defines on top: severity bands ([`Severity`]), distribution severity words
//! ([`Severity::from_vendor`]), and the Inspector-style score ([`inspector`]): the CVSS 3.1
//! base re-scored with environmental metrics derived from the resource's context.
//!
//! Architecture invariant: pure — no I/O, no clock.

pub mod inspector;
mod severity;

use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use severity::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CvssVersion {
    V2,
    V3_0,
    V3_1,
    V4_0,
}

impl CvssVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }
}

/// A vector that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CVSS vector {vector:?}: {reason}")]
pub struct CvssError {
    pub vector: String,
    pub reason: String,
}

/// A parsed CVSS vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Cvss {
    inner: cvss::Cvss,
    vector: String,
    version: CvssVersion,
    score: f64,
}

impl Cvss {
    /// Parse `CVSS:4.0/...`, `CVSS:3.1/...`, `CVSS:3.0/...` or a v2 vector (bare, in
    /// parentheses, or prefixed `CVSS:2.0/`).
    pub fn parse(vector: &str) -> Result<Cvss, CvssError> {
        let err = |reason: String| CvssError {
            vector: vector.to_string(),
            reason,
        };
        let t = vector.trim();
        let t = t
            .strip_prefix('(')
            .and_then(|x| x.strip_suffix(')'))
            .unwrap_or(t);
        let t = t.strip_prefix("CVSS:2.0/").unwrap_or(t);
        if t.len() > 512 {
            return Err(err("longer than 512 bytes".into()));
        }
        let inner = cvss::Cvss::from_str(t).map_err(|e| err(e.to_string()))?;
        let version = match &inner {
            cvss::Cvss::CvssV20(_) => CvssVersion::V2,
            cvss::Cvss::CvssV30(_) => CvssVersion::V3_0,
            cvss::Cvss::CvssV31(_) => CvssVersion::V3_1,
            cvss::Cvss::CvssV40(_) => CvssVersion::V4_0,
            _ => return Err(err("unsupported CVSS version".into())),
        };
        // Every base metric is mandatory, and none may repeat.
        let required: &[&str] = match version {
            CvssVersion::V2 => &["AV", "AC", "Au", "C", "I", "A"],
            CvssVersion::V3_0 | CvssVersion::V3_1 => &["AV", "AC", "PR", "UI", "S", "C", "I", "A"],
            CvssVersion::V4_0 => &[
                "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
            ],
        };
        let names: Vec<&str> = t
            .split('/')
            .filter_map(|m| m.split_once(':').map(|(k, _)| k))
            .filter(|k| *k != "CVSS")
            .collect();
        if let Some(missing) = required.iter().find(|r| !names.contains(r)) {
            return Err(err(format!("missing base metric {missing}")));
        }
        if let Some(dup) = names
            .iter()
            .enumerate()
            .find(|(i, n)| names[..*i].contains(n))
            .map(|(_, n)| n)
        {
            return Err(err(format!("metric {dup} given twice")));
        }
        let score = round1(inner.score());
        Ok(Cvss {
            inner,
            vector: t.to_string(),
            version,
            score,
        })
    }

    pub fn version(&self) -> CvssVersion {
        self.version
    }

    /// The base score (for v4.0: CVSS-B, or the score the vector's threat/environmental
    /// metrics give when present).
    pub fn base_score(&self) -> f64 {
        self.score
    }

    /// The vector as given (without parentheses or a `CVSS:2.0/` prefix).
    pub fn vector(&self) -> &str {
        &self.vector
    }

    /// Inspector's band of the base score.
    pub fn severity(&self) -> Severity {
        Severity::from_score(self.score)
    }

    pub(crate) fn v3(&self) -> Option<&cvss::v3::Vector> {
        match &self.inner {
            cvss::Cvss::CvssV30(v) | cvss::Cvss::CvssV31(v) => Some(v),
            _ => None,
        }
    }
}

/// Scores are published with one decimal; floating error must not leak into bands.
pub(crate) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
