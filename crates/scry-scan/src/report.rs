//! Findings in Amazon Inspector's shape (as ListFindings returns them), for `--format json`
//! and for the server.

use chrono::{DateTime, Utc};
use scry_cvss::Severity;
use scry_match::FixState;
use scry_wire as wire;
use sha2::{Digest, Sha256};

use crate::PackageFinding;

/// The resource a finding is on.
#[derive(Debug, Clone)]
pub struct ResourceRef {
    /// `AWS_EC2_INSTANCE`, `AWS_ECR_CONTAINER_IMAGE`, `AWS_LAMBDA_FUNCTION`, `CODE_REPOSITORY`.
    pub ty: String,
    pub id: String,
    pub account: String,
    pub region: String,
    pub details: Option<serde_json::Value>,
}

impl ResourceRef {
    /// The finding's `resources` entry for this resource.
    pub fn to_wire(&self) -> wire::Resource {
        wire::Resource {
            ty: self.ty.clone(),
            id: self.id.clone(),
            partition: Some("aws".into()),
            region: Some(self.region.clone()),
            tags: Default::default(),
            details: self.details.clone(),
        }
    }
}

/// The account and region of local scans: valid under Inspector's patterns, and obviously
/// not AWS's.
pub const LOCAL_ACCOUNT: &str = "000000000000";
pub const LOCAL_REGION: &str = "sc-local-1";

/// A finding's identity: (account, resource, vulnerability, package, path), hashed to the
/// 32 hex digits an Inspector finding ARN ends with.
pub fn finding_id(
    account: &str,
    resource: &str,
    vulnerability: &str,
    package: &str,
    path: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [account, resource, vulnerability, package, path] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..16])
}

fn epoch(t: DateTime<Utc>) -> f64 {
    t.timestamp() as f64 + f64::from(t.timestamp_subsec_millis()) / 1000.0
}

/// An advisory's date as Inspector shows it, or none when the feed does not know it: the Go
/// vulnerability database writes `0001-01-01T00:00:00Z` for unknown dates, which is no
/// vendor's creation time.
fn vendor_date(t: DateTime<Utc>) -> Option<f64> {
    (t.timestamp() > 0).then(|| epoch(t))
}

/// Splits an RPM `[epoch:]version-release` for VulnerablePackage's epoch/version/release.
fn split_rpm(v: &str) -> (Option<i64>, String, Option<String>) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) if e.chars().all(|c| c.is_ascii_digit()) => (e.parse().ok(), r),
        _ => (None, v),
    };
    match rest.rsplit_once('-') {
        Some((ver, rel)) => (epoch.or(Some(0)), ver.to_string(), Some(rel.to_string())),
        None => (epoch, rest.to_string(), None),
    }
}

/// One finding in Inspector's wire shape. `first`/`last` are when it was first and last seen.
pub fn to_wire(
    pf: &PackageFinding,
    res: &ResourceRef,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
) -> wire::Finding {
    let f = &pf.finding;
    let p = &pf.package;
    let id = finding_id(
        &res.account,
        &res.id,
        &f.vulnerability_id,
        &p.name,
        &p.location,
    );
    let fixed = f.fix.fixed_version().map(str::to_string);
    let (epoch_n, version, release) = if p.found_by.starts_with("rpm") {
        split_rpm(&p.version)
    } else {
        (None, p.version.clone(), None)
    };
    let remediation_text = match &f.fix {
        FixState::Fixed(v) => format!("Upgrade {} to {v} or later.", p.name),
        FixState::NotFixed => format!("No fixed version of {} is available yet.", p.name),
        FixState::WontFix => format!(
            "The maintainers of {} will not fix this vulnerability.",
            p.name
        ),
    };
    let title = match &f.title {
        Some(t) => format!("{} - {}", f.vulnerability_id, t),
        None => format!("{} - {}", f.vulnerability_id, p.name),
    };
    let description = f
        .description
        .clone()
        .or_else(|| f.title.clone())
        .unwrap_or_else(|| format!("{} affects {} {}.", f.vulnerability_id, p.name, p.version));
    let source = f
        .advisories
        .first()
        .map_or("OSV", |a| source_of(a))
        .to_string();
    let score = f.inspector_score.as_ref();
    wire::Finding {
        finding_arn: wire::finding_arn(&res.region, &res.account, &id),
        aws_account_id: res.account.clone(),
        ty: "PACKAGE_VULNERABILITY".into(),
        description: truncate(&description, 1024),
        title: Some(truncate(&title, 1024)),
        remediation: wire::Remediation {
            recommendation: Some(wire::Recommendation {
                text: Some(remediation_text.clone()),
                url: f.references.first().cloned(),
            }),
        },
        severity: f.severity.as_str().into(),
        first_observed_at: epoch(first),
        last_observed_at: epoch(last),
        updated_at: Some(epoch(last)),
        status: if pf.ignored.is_some() {
            "SUPPRESSED"
        } else {
            "ACTIVE"
        }
        .into(),
        resources: vec![res.to_wire()],
        inspector_score: score.map(|s| s.score),
        inspector_score_details: score.map(|s| wire::InspectorScoreDetails {
            adjusted_cvss: Some(wire::CvssScoreDetails {
                score_source: f.cvss.first().map_or("NVD".into(), |c| c.source.clone()),
                cvss_source: f.cvss.first().map(|c| c.source.clone()),
                version: "3.1".into(),
                score: s.score,
                scoring_vector: s.vector.clone(),
                adjustments: s
                    .adjustments
                    .iter()
                    .map(|a| wire::CvssScoreAdjustment {
                        metric: a.metric.clone(),
                        reason: a.reason.clone(),
                    })
                    .collect(),
            }),
        }),
        network_reachability_details: None,
        package_vulnerability_details: Some(wire::PackageVulnerabilityDetails {
            vulnerability_id: f.vulnerability_id.clone(),
            vulnerable_packages: vec![wire::VulnerablePackage {
                name: p.name.clone(),
                version,
                source_layer_hash: source_layer_hash(p),
                epoch: epoch_n,
                release,
                arch: p.arch.clone(),
                package_manager: wire::package_manager(&p.found_by).map(str::to_string),
                file_path: Some(p.location.clone()),
                fixed_in_version: Some(fixed.clone().unwrap_or_else(|| "NotAvailable".into())),
                remediation: Some(remediation_text),
            }],
            source,
            cvss: f
                .cvss
                .iter()
                .map(|c| wire::CvssScore {
                    base_score: c.base_score,
                    scoring_vector: c.vector.clone(),
                    version: c.version.as_str().trim_start_matches("CVSS:").to_string(),
                    source: c.source.clone(),
                })
                .collect(),
            related_vulnerabilities: f.aliases.clone(),
            source_url: f.references.first().cloned(),
            vendor_severity: f.vendor_severity.clone(),
            vendor_created_at: f.published.and_then(vendor_date),
            vendor_updated_at: vendor_date(f.modified),
            reference_urls: f.references.clone(),
        }),
        fix_available: Some(if fixed.is_some() { "YES" } else { "NO" }.into()),
        exploit_available: Some(if f.exploit.is_some() { "YES" } else { "NO" }.into()),
        exploitability_details: f.exploit.as_ref().map(|k| wire::ExploitabilityDetails {
            last_known_exploit_at: k
                .date_added
                .and_hms_opt(0, 0, 0)
                .map(|d| epoch(d.and_utc())),
        }),
        epss: f.epss.as_ref().map(|e| wire::EpssDetails { score: e.epss }),
    }
}

/// The layer digest a package came from, when it is one (`sha256:` and 64 hex digits).
pub fn source_layer_hash(p: &scry_inventory::Package) -> Option<String> {
    p.layer
        .clone()
        .filter(|l| l.len() == 71 && l.starts_with("sha256:"))
}

/// The feed an advisory id comes from, named as Inspector names sources.
fn source_of(id: &str) -> &'static str {
    let prefix = id.split('-').next().unwrap_or("");
    match prefix {
        "CVE" => "NVD",
        "GHSA" => "GITHUB",
        "PYSEC" => "PYSEC",
        "GO" => "GO",
        "RUSTSEC" => "RUSTSEC",
        "ALPINE" => "ALPINE_SECDB",
        "DSA" | "DLA" | "DEBIAN" => "DEBIAN_CVE",
        "USN" | "UBUNTU" => "UBUNTU_CVE",
        "RHSA" => "REDHAT_CVE",
        _ => "OSV",
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Whether a finding is at or above a severity (for `--fail-on`).
pub fn at_least(pf: &PackageFinding, min: Severity) -> bool {
    pf.ignored.is_none() && pf.finding.severity >= min
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpm_versions_split_like_inspector() {
        assert_eq!(
            split_rpm("1:1.1.1k-7.el8"),
            (Some(1), "1.1.1k".into(), Some("7.el8".into()))
        );
        assert_eq!(
            split_rpm("2.32.1-42.el8_8"),
            (Some(0), "2.32.1".into(), Some("42.el8_8".into()))
        );
    }

    #[test]
    fn unknown_feed_dates_are_left_out() {
        let year_one = "0001-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(vendor_date(year_one), None);
        let known = "2021-04-14T20:04:52Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(vendor_date(known), Some(1_618_430_692.0));
    }

    #[test]
    fn finding_ids_are_stable_and_distinct() {
        let a = finding_id("0", "r", "CVE-1", "p", "x");
        assert_eq!(a.len(), 32);
        assert_eq!(a, finding_id("0", "r", "CVE-1", "p", "x"));
        assert_ne!(a, finding_id("0", "r", "CVE-1", "p", "y"));
        // Parts cannot run into each other.
        assert_ne!(
            finding_id("0", "ab", "c", "p", "x"),
            finding_id("0", "a", "bc", "p", "x")
        );
    }
}
