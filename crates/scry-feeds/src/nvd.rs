//! NVD CVE API 2.0 JSON: API pages and the yearly feed files share the shape.

use chrono::{DateTime, NaiveDateTime, Utc};
use scry_advisory::{NvdCve, NvdMetric};
use serde_json::Value;

use crate::{Ctx, Record};

/// NVD writes `2021-12-10T10:15:09.143` (no zone: UTC).
fn time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let s = v?.as_str()?;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

pub fn read(location: &str, doc: &Value, ctx: &mut Ctx<'_, '_>) {
    let Some(items) = doc.get("vulnerabilities").and_then(Value::as_array) else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let loc = format!("{location}[{i}]");
        let Some(cve) = item.get("cve") else {
            ctx.diag(&loc, None, "NVD item without a \"cve\" object");
            continue;
        };
        let id = cve
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let Some(modified) = time(cve.get("lastModified")) else {
            ctx.diag(
                &loc,
                Some(&id),
                "NVD record without a readable lastModified",
            );
            continue;
        };
        if !id.starts_with("CVE-") {
            ctx.diag(&loc, Some(&id), "NVD record without a CVE id");
            continue;
        }
        let description = cve
            .get("descriptions")
            .and_then(Value::as_array)
            .and_then(|d| {
                d.iter()
                    .find(|x| x.get("lang").and_then(Value::as_str) == Some("en"))
            })
            .and_then(|x| x.get("value").and_then(Value::as_str))
            .map(String::from);
        let mut metrics = Vec::new();
        if let Some(m) = cve.get("metrics").and_then(Value::as_object) {
            for key in [
                "cvssMetricV40",
                "cvssMetricV31",
                "cvssMetricV30",
                "cvssMetricV2",
            ] {
                for entry in m.get(key).and_then(Value::as_array).into_iter().flatten() {
                    let data = &entry["cvssData"];
                    let (Some(vector), Some(score)) =
                        (data["vectorString"].as_str(), data["baseScore"].as_f64())
                    else {
                        continue;
                    };
                    metrics.push(NvdMetric {
                        version: data["version"].as_str().unwrap_or_default().to_string(),
                        vector: vector.to_string(),
                        base_score: score,
                        source: entry["source"].as_str().unwrap_or_default().to_string(),
                        kind: entry["type"].as_str().unwrap_or_default().to_string(),
                    });
                }
            }
        }
        let cwes = cve
            .get("weaknesses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|w| w["description"].as_array().into_iter().flatten())
            .filter_map(|d| d["value"].as_str())
            .filter(|v| v.starts_with("CWE-"))
            .map(String::from)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let references = cve
            .get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r["url"].as_str().map(String::from))
            .collect();
        let record = NvdCve {
            id,
            published: time(cve.get("published")),
            modified,
            description,
            metrics,
            cwes,
            references,
        };
        ctx.emit("nvd", Record::Nvd(Box::new(record)));
    }
}
