//! Enrichment keyed by CVE id rather than by package: CISA KEV, EPSS, NVD.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One entry of the CISA Known Exploited Vulnerabilities catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    pub cve: String,
    pub vendor: String,
    pub product: String,
    pub name: String,
    pub date_added: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    #[serde(default)]
    pub required_action: String,
    /// `Known` or `Unknown`, as CISA publishes it.
    #[serde(default)]
    pub known_ransomware_campaign_use: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<String>,
}

/// One CVE's EPSS score from the daily EPSS file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    pub cve: String,
    /// Probability of exploitation activity in the next 30 days, 0..=1.
    pub epss: f64,
    /// Percentile of this score among all scored CVEs, 0..=1.
    pub percentile: f64,
    /// The `score_date` of the file the score came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
}

/// What Scry keeps of one NVD CVE API 2.0 record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NvdCve {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    pub modified: DateTime<Utc>,
    /// The English description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<NvdMetric>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

/// One CVSS metric of an NVD record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NvdMetric {
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub version: String,
    pub vector: String,
    pub base_score: f64,
    /// Who scored it (`nvd@nist.gov`, a CNA's address).
    pub source: String,
    /// `Primary` or `Secondary`.
    #[serde(default)]
    pub kind: String,
}
