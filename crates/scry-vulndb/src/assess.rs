//! From matches to findings: severity, scores, fix, exploit and EPSS for each vulnerability
//! affecting a package.

use chrono::{DateTime, Utc};
use scry_advisory::{Advisory, EpssScore, KevEntry, SeverityKind};
use scry_cvss::inspector::{inspector_score, InspectorScore};
use scry_cvss::{Cvss, CvssVersion, Severity};
use scry_match::{FixState, Query};
use serde::Serialize;

use crate::{DbError, Loaded, VulnDb};

pub use scry_cvss::inspector::Context as ScoreContext;

/// One CVSS score known for a vulnerability, and who gave it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvssSource {
    pub version: CvssVersion,
    pub vector: String,
    pub base_score: f64,
    /// The advisory id that carried it (a vendor score), or `NVD`.
    pub source: String,
}

/// One vulnerability affecting one package, with everything Scry knows about it.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The id shown to people: a CVE id when one is known.
    pub vulnerability_id: String,
    /// The other identifiers of the same vulnerability (GHSA, PYSEC, GO, RUSTSEC, ...).
    pub aliases: Vec<String>,
    /// The advisories that matched (their own ids).
    pub advisories: Vec<String>,
    pub fix: FixState,
    pub severity: Severity,
    /// Where the severity came from: `cvss` (vendor/advisory), `vendor` (a distribution's own
    /// word), `nvd`, or `none`.
    pub severity_source: &'static str,
    /// The distribution's or maintainer's own severity word, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_severity: Option<String>,
    pub cvss: Vec<CvssSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspector_score: Option<InspectorScore>,
    /// Listed in CISA's Known Exploited Vulnerabilities catalog.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exploit: Option<KevEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epss: Option<EpssScore>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub references: Vec<String>,
    pub cwes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    pub modified: DateTime<Utc>,
}

/// What assessing one package gave.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Assessment {
    /// Shared, so that the many resources holding one package version take them without a
    /// copy (see `scry_scan::AssessCache`).
    pub findings: Vec<std::sync::Arc<Finding>>,
    /// Set when the installed version is not valid under the ecosystem's rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_error: Option<String>,
}

impl VulnDb {
    /// Match one package and build a finding for each vulnerability affecting it.
    pub fn assess(
        &self,
        loaded: &Loaded,
        q: &Query<'_>,
        ctx: &ScoreContext,
    ) -> Result<Assessment, DbError> {
        let v = loaded.index.vulnerabilities(q);
        let mut out = Assessment {
            findings: Vec::new(),
            version_error: v.version_error,
        };
        for vuln in v.merged.iter().map(|m| m.to_match()) {
            let mut advisories = Vec::new();
            for pos in &vuln.advisories {
                let id = &loaded.index.advisory(*pos).id;
                if let Some(a) = self.advisory(id)? {
                    advisories.push(a);
                }
            }
            out.findings.push(std::sync::Arc::new(self.finding(
                loaded,
                q,
                vuln,
                &advisories,
                ctx,
            )?));
        }
        Ok(out)
    }

    fn finding(
        &self,
        loaded: &Loaded,
        q: &Query<'_>,
        vuln: scry_match::Match,
        advisories: &[Advisory],
        ctx: &ScoreContext,
    ) -> Result<Finding, DbError> {
        let cves: Vec<&str> = std::iter::once(vuln.id.as_str())
            .chain(vuln.aliases.iter().map(String::as_str))
            .filter(|i| i.starts_with("CVE-"))
            .collect();
        // Vendor scores: the advisories' own vectors, package-level first.
        let mut cvss: Vec<CvssSource> = Vec::new();
        let mut vendor_word: Option<String> = None;
        for a in advisories {
            let pkg_sev = a
                .affected
                .iter()
                .filter(|af| package_matches(af, q))
                .flat_map(|af| af.severity.iter());
            for s in pkg_sev.chain(a.severity.iter()) {
                match s.kind {
                    SeverityKind::CvssV2 | SeverityKind::CvssV3 | SeverityKind::CvssV4 => {
                        if let Ok(c) = Cvss::parse(&s.score) {
                            push_cvss(&mut cvss, &c, &a.id);
                        }
                    }
                    SeverityKind::Ubuntu => {
                        vendor_word.get_or_insert_with(|| s.score.clone());
                    }
                    SeverityKind::Other => {}
                }
            }
            if vendor_word.is_none() {
                vendor_word = a
                    .affected
                    .iter()
                    .filter(|af| package_matches(af, q))
                    .find_map(|af| {
                        word_in(af.ecosystem_specific.as_ref())
                            .or(word_in(af.database_specific.as_ref()))
                    })
                    .or_else(|| word_in(a.database_specific.as_ref()));
            }
        }
        let vendor_count = cvss.len();
        let mut cwes: Vec<String> = Vec::new();
        let mut nvd_description = None;
        let mut references: Vec<String> = advisories
            .iter()
            .flat_map(|a| a.references.iter().map(|r| r.url.clone()))
            .collect();
        for cve in &cves {
            if let Some(n) = self.nvd(cve)? {
                for m in &n.metrics {
                    if let Ok(c) = Cvss::parse(&m.vector) {
                        push_cvss(&mut cvss, &c, "NVD");
                    }
                }
                cwes.extend(n.cwes.iter().cloned());
                references.extend(n.references.iter().cloned());
                nvd_description = nvd_description.or(n.description.clone());
            }
        }
        for a in advisories {
            cwes.extend(advisory_cwes(a));
        }
        cwes.sort();
        cwes.dedup();
        references.dedup();
        let v3 = |from: &[CvssSource]| {
            from.iter()
                .find(|c| matches!(c.version, CvssVersion::V3_1 | CvssVersion::V3_0))
                .cloned()
        };
        let vendor_v3 = v3(&cvss[..vendor_count]);
        let nvd_v3 = v3(&cvss[vendor_count..]);
        let vendor_sev = vendor_word.as_deref().and_then(Severity::from_vendor);
        let (severity, severity_source) = if let Some(c) = &vendor_v3 {
            (Severity::from_score(c.base_score), "cvss")
        } else if let Some(s) = vendor_sev {
            (s, "vendor")
        } else if let Some(c) = &nvd_v3 {
            (Severity::from_score(c.base_score), "nvd")
        } else if let Some(c) = cvss.iter().find(|c| c.version == CvssVersion::V4_0) {
            (
                Severity::from_score(c.base_score),
                if c.source == "NVD" { "nvd" } else { "cvss" },
            )
        } else if let Some(c) = cvss.first() {
            (
                Severity::from_score(c.base_score),
                if c.source == "NVD" { "nvd" } else { "cvss" },
            )
        } else {
            (Severity::Untriaged, "none")
        };
        let inspector = vendor_v3
            .as_ref()
            .or(nvd_v3.as_ref())
            .and_then(|c| Cvss::parse(&c.vector).ok())
            .and_then(|c| inspector_score(&c, ctx).ok());
        let exploit = cves.iter().find_map(|c| loaded.kev.get(*c)).cloned();
        let mut epss = None;
        for cve in &cves {
            if let Some(e) = self.epss(cve)? {
                epss = Some(e);
                break;
            }
        }
        let first = advisories.first();
        Ok(Finding {
            vulnerability_id: vuln.id,
            aliases: vuln.aliases,
            advisories: advisories.iter().map(|a| a.id.clone()).collect(),
            fix: vuln.fix,
            severity,
            severity_source,
            vendor_severity: vendor_word,
            cvss,
            inspector_score: inspector,
            exploit,
            epss,
            title: advisories.iter().find_map(|a| a.summary.clone()),
            description: advisories
                .iter()
                .find_map(|a| a.details.clone())
                .or(nvd_description),
            references,
            cwes,
            published: advisories.iter().filter_map(|a| a.published).min(),
            modified: advisories
                .iter()
                .map(|a| a.modified)
                .max()
                .unwrap_or_else(|| {
                    first
                        .map(|a| a.modified)
                        .unwrap_or(DateTime::<Utc>::MIN_UTC)
                }),
        })
    }
}

fn push_cvss(out: &mut Vec<CvssSource>, c: &Cvss, source: &str) {
    if out.iter().any(|x| x.vector == c.vector()) {
        return;
    }
    out.push(CvssSource {
        version: c.version(),
        vector: c.vector().to_string(),
        base_score: c.base_score(),
        source: source.to_string(),
    });
}

fn package_matches(af: &scry_advisory::Affected, q: &Query<'_>) -> bool {
    let base = scry_advisory::Ecosystem::parse(&af.package.ecosystem).base;
    let qbase = q.ecosystem.split(':').next().unwrap_or_default();
    base.eq_ignore_ascii_case(qbase)
}

/// A distribution's or maintainer's severity word in ecosystem/database-specific data:
/// Debian `urgency`, Ubuntu `priority`, GitHub's reviewed `severity`.
fn word_in(v: Option<&serde_json::Value>) -> Option<String> {
    let m = v?.as_object()?;
    ["severity", "urgency", "priority", "ubuntu_priority"]
        .iter()
        .find_map(|k| m.get(*k).and_then(|v| v.as_str()))
        .map(String::from)
}

/// The CWE ids an OSV record names in `database_specific.cwe_ids` (GitHub's advisories do).
fn advisory_cwes(a: &Advisory) -> impl Iterator<Item = String> + '_ {
    a.database_specific
        .as_ref()
        .and_then(|d| d.get("cwe_ids"))
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(String::from))
}

impl VulnDb {
    /// The CWE ids known for one vulnerability id: NVD's (for a CVE) and the advisory's own,
    /// sorted, without duplicates, as findings carry them.
    pub fn cwes(&self, id: &str) -> Result<Vec<String>, DbError> {
        let mut out: Vec<String> = self.nvd(id)?.map(|n| n.cwes).unwrap_or_default();
        if let Some(a) = self.advisory(id)? {
            out.extend(advisory_cwes(&a));
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GitHub's OSV records name their CWEs in `database_specific.cwe_ids`; findings and the
    /// API's vulnerability search take them from there (and from NVD, absent here).
    #[test]
    fn cwes_come_from_the_advisory_sorted_and_once() {
        let dir = tempfile::tempdir().unwrap();
        let feed = dir.path().join("ghsa");
        std::fs::create_dir_all(&feed).unwrap();
        std::fs::write(
            feed.join("GHSA-h4gh-qq45-vh27.json"),
            r#"{"schema_version":"1.4.0","id":"GHSA-h4gh-qq45-vh27","modified":"2024-03-01T00:00:00Z",
               "published":"2023-12-12T00:00:00Z","aliases":["CVE-2023-49083"],
               "summary":"cryptography vulnerable to NULL-dereference when loading PKCS7 certificates",
               "affected":[{"package":{"ecosystem":"PyPI","name":"cryptography"},
                 "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"3.1"},{"fixed":"41.0.6"}]}]}],
               "database_specific":{"cwe_ids":["CWE-476","CWE-20","CWE-476"],"severity":"MODERATE","github_reviewed":true}}"#,
        )
        .unwrap();
        let path = dir.path().join("db");
        let mut db = VulnDb::create(&path).unwrap();
        db.import(&[feed], Utc::now(), &mut |_| {}).unwrap();
        assert_eq!(
            db.cwes("GHSA-h4gh-qq45-vh27").unwrap(),
            ["CWE-20", "CWE-476"]
        );
        assert!(db.cwes("GHSA-none").unwrap().is_empty());
        let loaded = db.load().unwrap();
        let a = db
            .assess(
                &loaded,
                &Query {
                    ecosystem: "PyPI",
                    name: "cryptography",
                    version: "41.0.5",
                    ..Query::default()
                },
                &ScoreContext::default(),
            )
            .unwrap();
        assert_eq!(a.findings.len(), 1);
        assert_eq!(a.findings[0].cwes, ["CWE-20", "CWE-476"]);
    }
}
