//! The hand-written finding shapes (`Finding` and its parts) the scanner produces and
//! `ListFindings` returns, plus small helpers for Inspector identifiers. Kept by hand (not
//! generated) because other crates build them directly; `shapes::ListFindingsResponse` uses them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub finding_arn: String,
    pub aws_account_id: String,
    /// `PACKAGE_VULNERABILITY`, `NETWORK_REACHABILITY`, `CODE_VULNERABILITY`.
    #[serde(rename = "type")]
    pub ty: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub remediation: Remediation,
    /// `INFORMATIONAL`, `LOW`, `MEDIUM`, `HIGH`, `CRITICAL`, `UNTRIAGED`.
    pub severity: String,
    pub first_observed_at: Timestamp,
    pub last_observed_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// `ACTIVE`, `SUPPRESSED`, `CLOSED`.
    pub status: String,
    pub resources: Vec<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspector_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspector_score_details: Option<InspectorScoreDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_reachability_details: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_vulnerability_details: Option<PackageVulnerabilityDetails>,
    /// `YES`, `NO`, `PARTIAL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_available: Option<String>,
    /// `YES`, `NO`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploit_available: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploitability_details: Option<ExploitabilityDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<EpssDetails>,
}

/// What of a finding is its own when stored split (see [`Finding::split`]).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OwnPart {
    finding_arn: String,
    aws_account_id: String,
    resources: Vec<Resource>,
    #[serde(default)]
    vulnerable_packages: Vec<VulnerablePackage>,
    #[serde(default)]
    network_reachability_details: Option<serde_json::Value>,
}

/// [`OwnPart`] as written, from borrowed parts.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OwnPartRef<'a> {
    finding_arn: &'a str,
    aws_account_id: &'a str,
    resources: &'a [Resource],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    vulnerable_packages: &'a [VulnerablePackage],
    #[serde(skip_serializing_if = "Option::is_none")]
    network_reachability_details: Option<&'a serde_json::Value>,
}

/// The JSON of a finding's own part (see [`Finding::split`]) from its members, for callers
/// that keep the shared part of many findings once and make only this per finding.
pub fn own_part_json(
    finding_arn: &str,
    aws_account_id: &str,
    resources: &[Resource],
    vulnerable_packages: &[VulnerablePackage],
    network_reachability_details: Option<&serde_json::Value>,
) -> Vec<u8> {
    // Serializing these plain shapes cannot fail (string keys, finite numbers).
    serde_json::to_vec(&OwnPartRef {
        finding_arn,
        aws_account_id,
        resources,
        vulnerable_packages,
        network_reachability_details,
    })
    .unwrap_or_default()
}

impl Finding {
    /// Splits the finding into the JSON of what is its own (ARN, account, resource, the
    /// package and path found, network details) and the JSON of the rest, which every
    /// finding of the same advisory on the same package version carries alike and a store
    /// can keep once. [`Finding::join`] puts them back together.
    pub fn split(mut self) -> (Vec<u8>, Vec<u8>) {
        let vulnerable = self
            .package_vulnerability_details
            .as_mut()
            .map(|d| std::mem::take(&mut d.vulnerable_packages))
            .unwrap_or_default();
        let own = own_part_json(
            &self.finding_arn,
            &self.aws_account_id,
            &self.resources,
            &vulnerable,
            self.network_reachability_details.as_ref(),
        );
        self.finding_arn.clear();
        self.aws_account_id.clear();
        self.resources.clear();
        self.network_reachability_details = None;
        // Serializing these plain shapes cannot fail (string keys, finite numbers).
        (own, serde_json::to_vec(&self).unwrap_or_default())
    }

    /// The finding from what [`Finding::split`] made, or from a whole finding's JSON when
    /// there is no shared part.
    pub fn join(own: &[u8], shared: Option<&[u8]>) -> Result<Finding, serde_json::Error> {
        let Some(shared) = shared else {
            return serde_json::from_slice(own);
        };
        let mut f: Finding = serde_json::from_slice(shared)?;
        let own: OwnPart = serde_json::from_slice(own)?;
        f.finding_arn = own.finding_arn;
        f.aws_account_id = own.aws_account_id;
        f.resources = own.resources;
        f.network_reachability_details = own.network_reachability_details;
        if let Some(d) = f.package_vulnerability_details.as_mut() {
            d.vulnerable_packages = own.vulnerable_packages;
        }
        Ok(f)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Remediation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<Recommendation>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(rename = "Url", default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// `AWS_EC2_INSTANCE`, `AWS_ECR_CONTAINER_IMAGE`, `AWS_LAMBDA_FUNCTION`, `CODE_REPOSITORY`.
    #[serde(rename = "type")]
    pub ty: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InspectorScoreDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjusted_cvss: Option<CvssScoreDetails>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssScoreDetails {
    pub score_source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_source: Option<String>,
    pub version: String,
    pub score: f64,
    pub scoring_vector: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adjustments: Vec<CvssScoreAdjustment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssScoreAdjustment {
    pub metric: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageVulnerabilityDetails {
    pub vulnerability_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerable_packages: Vec<VulnerablePackage>,
    pub source: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cvss: Vec<CvssScore>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_vulnerabilities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_created_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_updated_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_urls: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VulnerablePackage {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_layer_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_manager: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_in_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssScore {
    pub base_score: f64,
    pub scoring_vector: String,
    pub version: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExploitabilityDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_known_exploit_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssDetails {
    pub score: f64,
}

/// Inspector's `packageManager` enum for a cataloger (`found_by`), where one applies.
pub fn package_manager(found_by: &str) -> Option<&'static str> {
    Some(match found_by {
        "dpkg" | "apk" | "opkg" => "OS",
        f if f.starts_with("rpm") => "OS",
        "python-dist-info" | "python-egg-info" => "PYTHONPKG",
        "python-requirements" => "PIP",
        "poetry-lock" => "POETRY",
        "pipfile-lock" => "PIPENV",
        "npm-package-json" => "NODEPKG",
        "npm-package-lock" | "pnpm-lock" => "NPM",
        "yarn-lock" => "YARN",
        "cargo-lock" | "rust-audit" => "CARGO",
        "go-binary" => "GOBINARY",
        "go-mod" => "GOMOD",
        "java-archive" => "JAR",
        "maven-pom" | "gradle-lockfile" => "POM",
        "gemfile-lock" => "BUNDLER",
        "gemspec" => "GEMSPEC",
        "composer-lock" | "composer-installed" => "COMPOSER",
        "nuget-packages-lock" => "NUGET",
        "dotnet-deps-json" => "DOTNET_CORE",
        _ => return None,
    })
}

/// Scry's finding ARN: Inspector's shape (`arn:aws:inspector2:<region>:<account>:finding/<32 hex>`),
/// so tools that validate the pattern accept it.
pub fn finding_arn(region: &str, account: &str, id_hex32: &str) -> String {
    format!("arn:aws:inspector2:{region}:{account}:finding/{id_hex32}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recommendation_url_keeps_its_odd_casing_and_timestamps_are_numbers() {
        let r = Recommendation {
            text: Some("upgrade".into()),
            url: Some("https://x".into()),
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"text": "upgrade", "Url": "https://x"})
        );
        let e = ExploitabilityDetails {
            last_known_exploit_at: Some(1_700_000_000.0),
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"lastKnownExploitAt":1700000000.0}"#
        );
    }

    #[test]
    fn a_split_finding_joins_back_whole_and_its_shared_part_names_no_resource() {
        // Every member filled: the model-shaped ListFindings answer of the fixtures.
        let all: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/responses.scry.json")).unwrap();
        let mut whole: Finding =
            serde_json::from_value(all["ListFindings"]["findings"][0].clone()).unwrap();
        // Values the fixture's placeholders ("s") cannot be confused with.
        whole.resources[0].id = "i-0d1e2f3a4b5c6d7e8".into();
        assert!(!whole.resources.is_empty());
        let pvd = whole.package_vulnerability_details.as_ref().unwrap();
        assert!(!pvd.vulnerable_packages.is_empty());
        let (own, shared) = whole.clone().split();
        assert_eq!(Finding::join(&own, Some(&shared)).unwrap(), whole);
        // Whole bodies (stored unsplit) still read.
        assert_eq!(
            Finding::join(&serde_json::to_vec(&whole).unwrap(), None).unwrap(),
            whole
        );
        let shared = String::from_utf8(shared).unwrap();
        for own_value in [
            whole.finding_arn.as_str(),
            whole.aws_account_id.as_str(),
            whole.resources[0].id.as_str(),
        ] {
            assert!(!shared.contains(own_value), "{own_value} in {shared}");
        }
        assert!(!shared.contains("vulnerablePackages"));
    }
}
