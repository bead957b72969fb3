//! Helpers shared by the readers and writers.

use scry_inventory::purl::Purl;
use scry_inventory::{Diagnostic, Distro, Package};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::ecosystem::{distro_from_qualifier, ecosystem_for_purl, package_name_from_purl};

/// Per-document diagnostics, capped: after [`Diags::CAP`] reasons the rest are counted and
/// reported in one closing diagnostic.
pub(crate) struct Diags {
    location: String,
    out: Vec<Diagnostic>,
    dropped: usize,
}

impl Diags {
    const CAP: usize = 100;

    pub(crate) fn new(location: &str) -> Diags {
        Diags {
            location: location.to_string(),
            out: Vec::new(),
            dropped: 0,
        }
    }

    pub(crate) fn push(&mut self, reason: String) {
        if self.out.len() < Self::CAP {
            self.out.push(Diagnostic {
                location: self.location.clone(),
                reason,
            });
        } else {
            self.dropped += 1;
        }
    }

    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        if self.dropped > 0 {
            self.out.push(Diagnostic {
                location: self.location,
                reason: format!("{} more problems not listed", self.dropped),
            });
        }
        self.out
    }
}

/// A JSON value's type, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value for a message: strings quoted and cut to 80 characters, others by type.
pub(crate) fn short(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{:?}", cut(s, 80)),
        other => type_name(other).to_string(),
    }
}

pub(crate) fn cut(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A string field, when present and a string.
pub(crate) fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// What a reader learned of one component besides its purl.
#[derive(Default)]
pub(crate) struct Extra {
    pub(crate) version: Option<String>,
    pub(crate) licenses: Vec<String>,
    pub(crate) source_name: Option<String>,
    pub(crate) source_version: Option<String>,
    pub(crate) layer: Option<String>,
}

/// A package from a purl string and what else the document says. Err names why not.
pub(crate) fn package_from_purl(
    purl_str: &str,
    extra: Extra,
    found_by: &str,
    location: &str,
) -> Result<(Package, Option<Distro>), String> {
    let purl = Purl::parse(purl_str)?;
    let ecosystem = ecosystem_for_purl(&purl).ok_or_else(|| {
        format!(
            "package URL type {:?} has no advisory ecosystem ({})",
            purl.ty,
            cut(purl_str, 200)
        )
    })?;
    let name = package_name_from_purl(&purl);
    let mut version = purl
        .version
        .clone()
        .filter(|v| !v.is_empty())
        .or(extra.version)
        .ok_or_else(|| format!("package {name:?} has no version ({})", cut(purl_str, 200)))?;
    let qual = |k: &str| {
        purl.qualifiers
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    // RPM purls carry the epoch as a qualifier; the model writes it in the version.
    if purl.ty == "rpm" && !version.contains(':') {
        if let Some(e) = qual("epoch").filter(|e| e != "0" && e.bytes().all(|b| b.is_ascii_digit()))
        {
            version = format!("{e}:{version}");
        }
    }
    let (mut source_name, mut source_version) = (extra.source_name, extra.source_version);
    if source_name.is_none() {
        if let Some(up) = qual("upstream") {
            let (n, v) = parse_upstream(&up);
            source_name = Some(n);
            // An RPM source file name has no epoch: compared with the binary's version
            // without one.
            let epochless = version.split_once(':').map_or(version.as_str(), |(_, v)| v);
            source_version = v.filter(|v| v != epochless);
        }
    }
    // Same as the binary's: not recorded.
    if source_version.as_deref() == Some(version.as_str()) {
        source_version = None;
    }
    let is_os = matches!(purl.ty.as_str(), "deb" | "rpm" | "apk");
    let distro = if is_os {
        distro_from_qualifier(&purl)
    } else {
        None
    };
    let pkg = Package {
        name,
        version,
        ecosystem,
        purl: purl_str.to_string(),
        found_by: found_by.to_string(),
        source_name,
        source_version,
        arch: qual("arch"),
        licenses: extra.licenses,
        location: location.to_string(),
        layer: extra.layer,
    };
    Ok((pkg, distro))
}

/// The purl `upstream` qualifier: `name`, `name@version`, or an RPM source file name
/// `name-version-release.src.rpm` (version then includes the release).
pub(crate) fn parse_upstream(up: &str) -> (String, Option<String>) {
    if let Some(stem) = up.strip_suffix(".src.rpm") {
        if let Some((rest, release)) = stem.rsplit_once('-') {
            if let Some((name, version)) = rest.rsplit_once('-') {
                if !name.is_empty() && !version.is_empty() && !release.is_empty() {
                    return (name.to_string(), Some(format!("{version}-{release}")));
                }
            }
        }
        return (stem.to_string(), None);
    }
    match up.split_once('@') {
        Some((n, v)) if !n.is_empty() && !v.is_empty() => (n.to_string(), Some(v.to_string())),
        _ => (up.to_string(), None),
    }
}

/// A version-4-shaped UUID from a SHA-256 of the given parts.
pub(crate) fn uuid_from(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let mut b: [u8; 16] = h.finalize()[..16].try_into().unwrap_or([0; 16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// The hex of a `sha256:<64 hex>` digest.
pub(crate) fn sha256_hex(digest: &str) -> Option<String> {
    let h = digest.strip_prefix("sha256:")?;
    (h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())).then(|| h.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_forms() {
        assert_eq!(parse_upstream("glibc"), ("glibc".into(), None));
        assert_eq!(
            parse_upstream("shadow@1:4.8.1-1"),
            ("shadow".into(), Some("1:4.8.1-1".into()))
        );
        assert_eq!(
            parse_upstream("util-linux-2.32.1-28.el8.src.rpm"),
            ("util-linux".into(), Some("2.32.1-28.el8".into()))
        );
        assert_eq!(parse_upstream("odd.src.rpm"), ("odd".into(), None));
    }

    #[test]
    fn uuids_are_v4_shaped() {
        let u = uuid_from(&[b"a", b"b"]);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(u, uuid_from(&[b"ab"]));
        assert_eq!(u, uuid_from(&[b"a", b"b"]));
    }

    #[test]
    fn diags_are_capped() {
        let mut d = Diags::new("x");
        for i in 0..150 {
            d.push(format!("p{i}"));
        }
        let out = d.finish();
        assert_eq!(out.len(), 101);
        assert_eq!(out[100].reason, "50 more problems not listed");
    }
}
