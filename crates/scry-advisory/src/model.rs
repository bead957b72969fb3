//! The OSV-shaped advisory record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One advisory, as the OSV schema defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    /// Last modification time. Import is incremental by this field.
    pub modified: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// Set when the advisory was withdrawn; withdrawn advisories never match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upstream: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Severity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<Affected>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credits: Vec<Credit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
}

/// A severity score attached to an advisory or to one affected package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Severity {
    #[serde(rename = "type")]
    pub kind: SeverityKind,
    /// A CVSS vector string for the CVSS kinds; a word such as "high" for `Ubuntu`.
    pub score: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SeverityKind {
    CvssV2,
    CvssV3,
    CvssV4,
    Ubuntu,
    /// Any kind a newer schema adds; kept so the record still imports.
    #[serde(other)]
    Other,
}

/// One affected package with the versions of it that are affected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    pub package: Package,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Severity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    /// Explicitly enumerated affected versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// The OSV ecosystem, possibly with a release suffix: `PyPI`, `Debian:12`, `Alpine:v3.19`.
    pub ecosystem: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    pub events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangeKind {
    Ecosystem,
    Semver,
    Git,
}

/// An OSV range event. On the wire each is an object with exactly one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl Event {
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact: Vec<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl Advisory {
    /// Every identifier this advisory is known by: its own id first, then its aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// The CVE ids among the advisory's identifiers.
    pub fn cves(&self) -> impl Iterator<Item = &str> {
        self.ids().filter(|id| id.starts_with("CVE-"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_json_round_trips() {
        let json = r#"{
          "id": "GO-2020-0001", "modified": "2023-01-02T03:04:05Z",
          "aliases": ["CVE-2020-36567"],
          "affected": [{"package": {"name": "github.com/gin-gonic/gin", "ecosystem": "Go"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.6.0"}]}]}],
          "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]
        }"#;
        let adv: Advisory = serde_json::from_str(json).unwrap();
        assert_eq!(
            adv.affected[0].ranges[0].events[1],
            Event::Fixed("1.6.0".into())
        );
        assert_eq!(adv.severity[0].kind, SeverityKind::CvssV3);
        let back: Advisory = serde_json::from_str(&serde_json::to_string(&adv).unwrap()).unwrap();
        assert_eq!(adv, back);
        assert_eq!(adv.cves().collect::<Vec<_>>(), ["CVE-2020-36567"]);
    }

    #[test]
    fn unknown_severity_kind_is_kept_as_other() {
        let s: Severity = serde_json::from_str(r#"{"type":"CVSS_V5","score":"x"}"#).unwrap();
        assert_eq!(s.kind, SeverityKind::Other);
    }
}
