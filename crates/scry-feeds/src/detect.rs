//! Recognising a feed file by its name and content.

use crate::{alpine, archive, epss, kev, nvd, osv, rustsec, Ctx};

/// Files in feed trees that are not records.
pub fn skipped(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("license")
        || lower.starts_with("readme")
        || lower.starts_with("provenance")
        || lower.starts_with("contributing")
        || lower == "schema.json"
        || lower.ends_with(".schema.json")
}

/// Read one file's content, whatever feed format it is.
pub fn dispatch(location: &str, bytes: &[u8], ctx: &mut Ctx<'_, '_>) {
    let lower = location.to_ascii_lowercase();
    if lower.ends_with(".gz") {
        match archive::gunzip(bytes, location) {
            Ok(inner) => dispatch(&location[..location.len() - 3], &inner, ctx),
            Err(reason) => ctx.diag(location, None, reason),
        }
        return;
    }
    if lower.ends_with(".csv") {
        return epss::read(location, bytes, ctx);
    }
    if lower.ends_with(".md") {
        if bytes.starts_with(b"```toml") {
            return rustsec::read(location, bytes, ctx);
        }
        return ctx.diag(
            location,
            None,
            "Markdown file without a ```toml front matter block (not a RustSec advisory)",
        );
    }
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
        if head.contains("distroversion:") && head.contains("packages:") {
            return alpine::read_yaml(location, bytes, ctx);
        }
        return osv::read_yaml(location, bytes, ctx);
    }
    if lower.ends_with(".json") {
        let value: serde_json::Value = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => return ctx.diag(location, None, format!("not valid JSON: {e}")),
        };
        if value.get("vulnerabilities").is_some_and(|v| v.is_array())
            && value.get("catalogVersion").is_some()
        {
            return kev::read(location, &value, ctx);
        }
        if value.get("vulnerabilities").is_some_and(|v| v.is_array())
            && (value.get("format").is_some() || value.get("resultsPerPage").is_some())
        {
            return nvd::read(location, &value, ctx);
        }
        if value.get("distroversion").is_some() && value.get("packages").is_some() {
            return alpine::read_json(location, value, ctx);
        }
        return osv::read_json_value(location, value, ctx);
    }
    ctx.diag(
        location,
        None,
        "unknown feed file type (expected .json, .yaml, .md, .csv, .zip or .gz)",
    );
}
