//! SPDX JSON: writing 2.3, reading 2.2 and 2.3. Rules are documented on [`crate::to_spdx`]
//! and [`crate::read_sbom`].

use std::collections::HashSet;

use scry_inventory::{Distro, Inventory, Package};
use serde_json::{json, Map, Value};

use crate::ecosystem::distro_ecosystem;
use crate::license::canonical_expression;
use crate::read::{
    cut, package_from_purl, sha256_hex, str_field, type_name, uuid_from, Diags, Extra,
};
use crate::{SbomError, Subject, SubjectKind, MAX_COMPONENTS};

const FORMAT: &str = "SPDX";
const FOUND_BY: &str = "sbom-spdx";
const NOASSERTION: &str = "NOASSERTION";
const SUBJECT_ID: &str = "SPDXRef-Subject";
const OS_ID: &str = "SPDXRef-OperatingSystem";

/// Characters allowed in an SPDX identifier after `SPDXRef-`; others become `-`.
fn id_part(s: &str, max: usize) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(max)
        .collect();
    s
}

/// SPDX wants `YYYY-MM-DDThh:mm:ssZ`: drop fractional seconds from an RFC 3339 UTC time.
fn spdx_time(now: &str) -> String {
    let b = now.as_bytes();
    if b.len() > 20 && b.get(19) == Some(&b'.') && now.ends_with('Z') && now.is_char_boundary(19) {
        format!("{}Z", &now[..19])
    } else {
        now.to_string()
    }
}

fn declared_license(ls: &[String]) -> String {
    if ls.is_empty() {
        return NOASSERTION.into();
    }
    let mut parts = Vec::with_capacity(ls.len());
    for l in ls {
        match canonical_expression(l) {
            Some(e) if ls.len() > 1 && (e.contains(" OR ") || e.contains(" AND ")) => {
                parts.push(format!("({e})"))
            }
            Some(e) => parts.push(e),
            None => return NOASSERTION.into(),
        }
    }
    parts.join(" AND ")
}

fn base_package(id: &str, name: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("SPDXID".into(), json!(id));
    m.insert(
        "name".into(),
        json!(if name.is_empty() { "(unnamed)" } else { name }),
    );
    m.insert("downloadLocation".into(), json!(NOASSERTION));
    m.insert("filesAnalyzed".into(), json!(false));
    m.insert("licenseConcluded".into(), json!(NOASSERTION));
    m.insert("licenseDeclared".into(), json!(NOASSERTION));
    m.insert("copyrightText".into(), json!(NOASSERTION));
    m
}

fn relationship(from: &str, ty: &str, to: &str) -> Value {
    json!({ "spdxElementId": from, "relationshipType": ty, "relatedSpdxElement": to })
}

pub(crate) fn write(
    inv: &Inventory,
    subject: &Subject,
    tool_version: &str,
    now: &str,
    namespace_seed: &str,
) -> Value {
    let mut packages = Vec::with_capacity(inv.packages.len() + 2);
    let mut relationships = Vec::with_capacity(inv.packages.len() + 2);

    let mut s = base_package(SUBJECT_ID, &subject.name);
    s.insert(
        "primaryPackagePurpose".into(),
        json!(match subject.kind {
            SubjectKind::Image => "CONTAINER",
            SubjectKind::Archive => "ARCHIVE",
            SubjectKind::Directory | SubjectKind::File => "FILE",
        }),
    );
    if let Some(d) = &subject.digest {
        match sha256_hex(d) {
            Some(h) => {
                s.insert(
                    "checksums".into(),
                    json!([{ "algorithm": "SHA256", "checksumValue": h }]),
                );
            }
            None => {
                s.insert("comment".into(), json!(format!("digest {d}")));
            }
        }
    }
    packages.push(Value::Object(s));
    relationships.push(relationship("SPDXRef-DOCUMENT", "DESCRIBES", SUBJECT_ID));

    if let Some(d) = &inv.distro {
        let mut m = base_package(OS_ID, &d.id);
        if !d.version_id.is_empty() {
            m.insert("versionInfo".into(), json!(d.version_id));
        }
        if let Some(p) = &d.pretty_name {
            m.insert("description".into(), json!(p));
        }
        m.insert("primaryPackagePurpose".into(), json!("OPERATING-SYSTEM"));
        packages.push(Value::Object(m));
        relationships.push(relationship(SUBJECT_ID, "CONTAINS", OS_ID));
    }

    let mut used: HashSet<String> = HashSet::new();
    for (i, p) in inv.packages.iter().enumerate() {
        let mut id = format!("SPDXRef-Package-{i}-{}", id_part(&p.name, 64));
        let mut n = 0u64;
        while !used.insert(id.clone()) {
            n += 1;
            id = format!("SPDXRef-Package-{i}-{n}");
        }
        packages.push(Value::Object(package(p, &id)));
        relationships.push(relationship(SUBJECT_ID, "CONTAINS", &id));
    }

    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": if subject.name.is_empty() { "(unnamed)" } else { subject.name.as_str() },
        "creationInfo": {
            "created": spdx_time(now),
            "creators": [format!("Tool: scry-{tool_version}")],
        },
        "packages": packages,
        "relationships": relationships,
    });
    let body = serde_json::to_vec(&doc).unwrap_or_default();
    let uuid = uuid_from(&[b"spdx", namespace_seed.as_bytes(), &body]);
    let name: String = subject
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    if let Value::Object(m) = &mut doc {
        m.insert(
            "documentNamespace".into(),
            json!(format!("https://spdx.org/spdxdocs/scry-{name}-{uuid}")),
        );
    }
    doc
}

fn package(p: &Package, id: &str) -> Map<String, Value> {
    let mut m = base_package(id, &p.name);
    if !p.version.is_empty() {
        m.insert("versionInfo".into(), json!(p.version));
    }
    m.insert(
        "licenseDeclared".into(),
        json!(declared_license(&p.licenses)),
    );
    m.insert("primaryPackagePurpose".into(), json!("LIBRARY"));
    if !p.purl.is_empty() {
        m.insert(
            "externalRefs".into(),
            json!([{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": p.purl,
            }]),
        );
    }
    let mut info = format!(
        "{} package found by scry ({}) in {}",
        p.ecosystem, p.found_by, p.location
    );
    if let Some(l) = &p.layer {
        info.push_str(&format!(" (layer {l})"));
    }
    if let Some(sn) = &p.source_name {
        info.push_str(&format!("; source package {sn}"));
        if let Some(sv) = &p.source_version {
            info.push_str(&format!(" {sv}"));
        }
    }
    m.insert("sourceInfo".into(), json!(info));
    m
}

// ---------------------------------------------------------------------------------------
// Reading

pub(crate) fn read(obj: &Map<String, Value>, location: &str) -> Result<Inventory, SbomError> {
    match obj.get("spdxVersion") {
        Some(Value::String(v)) if v == "SPDX-2.3" || v == "SPDX-2.2" => {}
        Some(v) => {
            return Err(SbomError::UnsupportedVersion {
                format: FORMAT,
                version: match v {
                    Value::String(s) => cut(s, 40).to_string(),
                    other => other.to_string().chars().take(40).collect(),
                },
                supported: "SPDX-2.2, SPDX-2.3",
            })
        }
        None => {
            return Err(SbomError::MissingField {
                format: FORMAT,
                field: "spdxVersion",
            })
        }
    }
    let packages = match obj.get("packages") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(other) => {
            return Err(SbomError::WrongType {
                format: FORMAT,
                field: "packages",
                expected: "an array",
                found: type_name(other),
            })
        }
    };
    let mut described: HashSet<&str> = HashSet::new();
    if let Some(Value::Array(ds)) = obj.get("documentDescribes") {
        described.extend(ds.iter().filter_map(Value::as_str));
    }
    if let Some(Value::Array(rs)) = obj.get("relationships") {
        for r in rs {
            let (Some(a), Some(t), Some(b)) = (
                str_field(r, "spdxElementId"),
                str_field(r, "relationshipType"),
                str_field(r, "relatedSpdxElement"),
            ) else {
                continue;
            };
            match t {
                "DESCRIBES" if a == "SPDXRef-DOCUMENT" => {
                    described.insert(b);
                }
                "DESCRIBED_BY" if b == "SPDXRef-DOCUMENT" => {
                    described.insert(a);
                }
                _ => {}
            }
        }
    }

    let mut inv = Inventory::default();
    let mut diags = Diags::new(location);
    let mut os: Option<Distro> = None;
    let mut qualifier_distro: Option<Distro> = None;
    for (i, p) in packages.iter().enumerate() {
        if i >= MAX_COMPONENTS {
            diags.push(format!(
                "{} more packages not read (limit {MAX_COMPONENTS})",
                packages.len() - i
            ));
            break;
        }
        if !p.is_object() {
            diags.push(format!("packages[{i}] is {}, not an object", type_name(p)));
            continue;
        }
        let spdx_id = str_field(p, "SPDXID").unwrap_or("");
        let what = format!(
            "package {:?} ({})",
            cut(str_field(p, "name").unwrap_or("(unnamed)"), 80),
            if spdx_id.is_empty() {
                format!("packages[{i}]")
            } else {
                cut(spdx_id, 120).to_string()
            }
        );
        if str_field(p, "primaryPackagePurpose") == Some("OPERATING-SYSTEM") {
            if os.is_none() {
                if let Some(name) = str_field(p, "name") {
                    let id = name.to_ascii_lowercase();
                    let version_id = str_field(p, "versionInfo").unwrap_or("").to_string();
                    let ecosystem = distro_ecosystem(&id, &version_id);
                    os = Some(Distro {
                        id,
                        version_id,
                        pretty_name: str_field(p, "description").map(str::to_string),
                        ecosystem,
                    });
                }
            }
            continue;
        }
        let purl = match purl_of(p) {
            Ok(Some(u)) => u,
            Ok(None) if described.contains(spdx_id) => continue,
            Ok(None) => {
                diags.push(format!(
                    "{what} has no purl external reference; not matched"
                ));
                continue;
            }
            Err(e) => {
                diags.push(format!("{what}: {e}"));
                continue;
            }
        };
        let license = ["licenseDeclared", "licenseConcluded"]
            .iter()
            .filter_map(|k| str_field(p, k))
            .find(|l| !matches!(*l, "NOASSERTION" | "NONE"));
        let extra = Extra {
            version: str_field(p, "versionInfo").map(str::to_string),
            licenses: license.map(|l| vec![l.to_string()]).unwrap_or_default(),
            ..Extra::default()
        };
        match package_from_purl(purl, extra, FOUND_BY, location) {
            Ok((pkg, d)) => {
                if qualifier_distro.is_none() {
                    qualifier_distro = d;
                }
                inv.packages.push(pkg);
            }
            Err(e) => diags.push(format!("{what}: {e}")),
        }
    }
    inv.distro = os.or(qualifier_distro);
    inv.diagnostics = diags.finish();
    Ok(inv)
}

/// The first `PACKAGE-MANAGER` `purl` external reference.
fn purl_of(p: &Value) -> Result<Option<&str>, String> {
    let refs = match p.get("externalRefs") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(format!(
                "externalRefs is {}, not an array",
                type_name(other)
            ))
        }
    };
    for r in refs {
        let cat = str_field(r, "referenceCategory").unwrap_or("");
        if !matches!(cat, "PACKAGE-MANAGER" | "PACKAGE_MANAGER")
            || str_field(r, "referenceType") != Some("purl")
        {
            continue;
        }
        return match r.get("referenceLocator") {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim())),
            Some(other) => Err(format!(
                "purl referenceLocator is {}, not a non-empty string",
                type_name(other)
            )),
            None => Err("purl external reference has no referenceLocator".into()),
        };
    }
    Ok(None)
}
