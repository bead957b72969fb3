//! SARIF 2.1.0 output (`--format sarif`), for code-scanning dashboards: one rule per
//! vulnerability, one result per affected package location.

use std::collections::BTreeMap;

use scry_cvss::Severity;
use serde_json::{json, Value};

use crate::PackageFinding;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        _ => "note",
    }
}

/// GitHub's `security-severity` property: a CVSS-like number.
fn security_severity(pf: &PackageFinding) -> String {
    let score = pf
        .finding
        .inspector_score
        .as_ref()
        .map(|s| s.score)
        .or_else(|| pf.finding.cvss.first().map(|c| c.base_score))
        .unwrap_or(match pf.finding.severity {
            Severity::Critical => 9.5,
            Severity::High => 7.5,
            Severity::Medium => 5.5,
            Severity::Low => 2.0,
            _ => 0.0,
        });
    format!("{score:.1}")
}

/// The SARIF log for a scan of `target`.
pub fn to_sarif(findings: &[PackageFinding], target: &str, tool_version: &str) -> Value {
    let mut rules: BTreeMap<&str, Value> = BTreeMap::new();
    let mut results = Vec::new();
    for pf in findings.iter().filter(|f| f.ignored.is_none()) {
        let f = &pf.finding;
        let p = &pf.package;
        rules.entry(&f.vulnerability_id).or_insert_with(|| {
            let short = f
                .title
                .clone()
                .unwrap_or_else(|| f.vulnerability_id.clone());
            let mut rule = json!({
                "id": f.vulnerability_id,
                "name": "PackageVulnerability",
                "shortDescription": {"text": short},
                "fullDescription": {"text": f.description.clone().unwrap_or_else(|| short.clone())},
                "defaultConfiguration": {"level": level(f.severity)},
                "properties": {
                    "security-severity": security_severity(pf),
                    "tags": ["vulnerability", "security", f.severity.as_str()],
                    "aliases": f.aliases,
                },
            });
            if let Some(u) = f.references.first() {
                rule["helpUri"] = json!(u);
            }
            rule
        });
        let fixed = f
            .fix
            .fixed_version()
            .map_or("no fix available".to_string(), |v| format!("fixed in {v}"));
        results.push(json!({
            "ruleId": f.vulnerability_id,
            "level": level(f.severity),
            "message": {"text": format!(
                "{} {} {} is affected by {} ({}); {}",
                p.ecosystem, p.name, p.version, f.vulnerability_id, f.severity.as_str(), fixed
            )},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": artifact_uri(&p.location)}},
                "logicalLocations": [{"name": p.purl, "kind": "package"}],
            }],
            "partialFingerprints": {"scry/v1": crate::report::finding_id("", target, &f.vulnerability_id, &p.name, &p.location)},
        }));
    }
    let rule_list: Vec<Value> = rules.into_values().collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "scry",
                "version": tool_version,
                "informationUri": "https://github.com/scry-project/scry",
                "rules": rule_list,
            }},
            "originalUriBaseIds": {"ROOT": {"description": {"text": target}}},
            "results": results,
        }],
    })
}

/// SARIF artifact URIs are URI references: nested archive members (`a.war!lib/x.jar`) keep
/// the outer file as the artifact.
fn artifact_uri(location: &str) -> String {
    let outer = location.split('!').next().unwrap_or(location);
    outer.replace(' ', "%20")
}
