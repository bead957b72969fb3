//! Amazon Inspector's severity values.

use serde::{Deserialize, Serialize};

/// Inspector's severities, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    Untriaged,
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Inspector's bands: CRITICAL ≥ 9.0, HIGH ≥ 7.0, MEDIUM ≥ 4.0, LOW > 0, else UNTRIAGED.
    pub fn from_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Untriaged
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Untriaged => "UNTRIAGED",
            Severity::Informational => "INFORMATIONAL",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Case-insensitive, for `--fail-on high`.
    pub fn parse(s: &str) -> Option<Severity> {
        [
            Severity::Untriaged,
            Severity::Informational,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|x| x.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// A distribution's or maintainer's own severity word, in Inspector's terms:
    /// - Debian urgency: `unimportant` → LOW, `low`/`low**` → LOW, `medium` → MEDIUM,
    ///   `high` → HIGH; `not yet assigned` and `end-of-life` say nothing of severity → None.
    /// - Ubuntu priority: `negligible` → LOW, `low`, `medium`, `high`, `critical`.
    /// - Red Hat and SUSE: `Low`, `Moderate` → MEDIUM, `Important` → HIGH, `Critical`.
    /// - GitHub's reviewed severity: `LOW`, `MODERATE`, `HIGH`, `CRITICAL`.
    pub fn from_vendor(word: &str) -> Option<Severity> {
        let w = word.trim().trim_end_matches('*').to_ascii_lowercase();
        Some(match w.as_str() {
            "unimportant" | "negligible" | "low" => Severity::Low,
            "medium" | "moderate" => Severity::Medium,
            "high" | "important" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}
