//! OSV records in JSON or YAML.

use scry_advisory::{Advisory, Ecosystem};

use crate::{Ctx, Record};

/// The source label of an OSV record: `osv:<ecosystem of its first affected package>`.
pub fn source_of(a: &Advisory) -> String {
    match a.affected.first() {
        Some(af) => format!("osv:{}", Ecosystem::parse(&af.package.ecosystem).base),
        None => "osv".to_string(),
    }
}

fn one(location: &str, value: serde_json::Value, ctx: &mut Ctx<'_, '_>) {
    let id = value.get("id").and_then(|v| v.as_str()).map(String::from);
    if id.is_none() || value.get("modified").is_none() {
        return ctx.diag(
            location,
            id.as_deref(),
            "not an OSV record (it needs an \"id\" and a \"modified\")",
        );
    }
    match serde_json::from_value::<Advisory>(value) {
        Ok(a) => {
            let source = source_of(&a);
            ctx.emit(&source, Record::Advisory(Box::new(a)));
        }
        Err(e) => ctx.diag(location, id.as_deref(), format!("invalid OSV record: {e}")),
    }
}

pub fn read_json_value(location: &str, value: serde_json::Value, ctx: &mut Ctx<'_, '_>) {
    match value {
        serde_json::Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                one(&format!("{location}[{i}]"), item, ctx);
            }
        }
        other => one(location, other, ctx),
    }
}

pub fn read_yaml(location: &str, bytes: &[u8], ctx: &mut Ctx<'_, '_>) {
    // YAML is read into JSON values first, so timestamps stay strings and the OSV model's
    // serde rules apply exactly as for JSON.
    match serde_yaml::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => read_json_value(location, v, ctx),
        Err(e) => ctx.diag(location, None, format!("not valid YAML: {e}")),
    }
}
