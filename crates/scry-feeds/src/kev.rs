//! The CISA Known Exploited Vulnerabilities catalog.

use scry_advisory::KevEntry;
use serde_json::Value;

use crate::{Ctx, Record};

pub fn read(location: &str, doc: &Value, ctx: &mut Ctx<'_, '_>) {
    let Some(items) = doc.get("vulnerabilities").and_then(Value::as_array) else {
        return;
    };
    for (i, v) in items.iter().enumerate() {
        let s = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let cve = s("cveID");
        let loc = format!("{location}[{i}]");
        if !cve.starts_with("CVE-") {
            ctx.diag(&loc, Some(&cve), "KEV entry without a CVE id");
            continue;
        }
        let date_added = match s("dateAdded").parse() {
            Ok(d) => d,
            Err(_) => {
                ctx.diag(
                    &loc,
                    Some(&cve),
                    format!("dateAdded {:?} is not a date", s("dateAdded")),
                );
                continue;
            }
        };
        let entry = KevEntry {
            cve: cve.clone(),
            vendor: s("vendorProject"),
            product: s("product"),
            name: s("vulnerabilityName"),
            date_added,
            due_date: s("dueDate").parse().ok(),
            required_action: s("requiredAction"),
            known_ransomware_campaign_use: s("knownRansomwareCampaignUse"),
            cwes: v
                .get("cwes")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        };
        ctx.emit("kev", Record::Kev(entry));
    }
}
