//! CycloneDX JSON: writing 1.6, reading 1.2 to 1.6. Rules are documented on
//! [`crate::to_cyclonedx`] and [`crate::read_sbom`].

use std::collections::HashSet;

use scry_inventory::{Distro, Inventory, Package};
use serde_json::{json, Map, Value};

use crate::ecosystem::distro_ecosystem;
use crate::license::{canonical_expression, known_id};
use crate::read::{
    package_from_purl, sha256_hex, short, str_field, type_name, uuid_from, Diags, Extra,
};
use crate::{SbomError, Subject, SubjectKind, MAX_COMPONENTS, MAX_DEPTH};

const FORMAT: &str = "CycloneDX";
const FOUND_BY: &str = "sbom-cyclonedx";
const SUBJECT_REF: &str = "scry-subject";
const OS_REF: &str = "scry-os";

pub(crate) fn write(inv: &Inventory, subject: &Subject, tool_version: &str, now: &str) -> Value {
    let mut used: HashSet<String> = [SUBJECT_REF.to_string(), OS_REF.to_string()].into();
    let mut components = Vec::with_capacity(inv.packages.len() + 1);
    if let Some(d) = &inv.distro {
        components.push(os_component(d));
    }
    for (i, p) in inv.packages.iter().enumerate() {
        let mut r = if p.purl.is_empty() || used.contains(&p.purl) {
            format!("scry-package-{i}")
        } else {
            p.purl.clone()
        };
        let mut n = 0u64;
        while used.contains(&r) {
            n += 1;
            r = format!("scry-package-{i}-{n}");
        }
        used.insert(r.clone());
        components.push(package_component(p, &r));
    }

    let mut meta_component = Map::new();
    meta_component.insert(
        "type".into(),
        json!(match subject.kind {
            SubjectKind::Image => "container",
            SubjectKind::Directory | SubjectKind::File | SubjectKind::Archive => "file",
        }),
    );
    meta_component.insert("bom-ref".into(), json!(SUBJECT_REF));
    meta_component.insert("name".into(), json!(subject.name));
    let mut subject_props = vec![prop("scry:subject_kind", kind_name(subject.kind))];
    if let Some(d) = &subject.digest {
        match sha256_hex(d) {
            Some(h) => {
                meta_component.insert("hashes".into(), json!([{ "alg": "SHA-256", "content": h }]));
            }
            None => subject_props.push(prop("scry:digest", d)),
        }
    }
    meta_component.insert("properties".into(), Value::Array(subject_props));

    let mut doc = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "timestamp": now,
            "tools": {
                "components": [
                    { "type": "application", "name": "scry", "version": tool_version }
                ]
            },
            "component": Value::Object(meta_component),
        },
        "components": components,
    });
    let body = serde_json::to_vec(&doc).unwrap_or_default();
    let serial = format!("urn:uuid:{}", uuid_from(&[b"cyclonedx", &body]));
    if let Value::Object(m) = &mut doc {
        m.insert("serialNumber".into(), Value::String(serial));
    }
    doc
}

fn kind_name(k: SubjectKind) -> &'static str {
    match k {
        SubjectKind::Directory => "directory",
        SubjectKind::Image => "image",
        SubjectKind::File => "file",
        SubjectKind::Archive => "archive",
    }
}

fn prop(name: &str, value: &str) -> Value {
    json!({ "name": name, "value": value })
}

fn os_component(d: &Distro) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!("operating-system"));
    m.insert("bom-ref".into(), json!(OS_REF));
    m.insert("name".into(), json!(d.id));
    if !d.version_id.is_empty() {
        m.insert("version".into(), json!(d.version_id));
    }
    if let Some(p) = &d.pretty_name {
        m.insert("description".into(), json!(p));
    }
    if let Some(e) = &d.ecosystem {
        m.insert(
            "properties".into(),
            json!([prop("scry:distro_ecosystem", e)]),
        );
    }
    Value::Object(m)
}

/// `group` and `name` as CycloneDX splits them.
fn group_and_name(p: &Package) -> (Option<&str>, &str) {
    match p.ecosystem.as_str() {
        "Maven" => match p.name.split_once(':') {
            Some((g, n)) if !g.is_empty() && !n.is_empty() => (Some(g), n),
            _ => (None, &p.name),
        },
        "npm" if p.name.starts_with('@') => match p.name.split_once('/') {
            Some((g, n)) if !n.is_empty() => (Some(g), n),
            _ => (None, &p.name),
        },
        "Packagist" => match p.name.split_once('/') {
            Some((g, n)) if !g.is_empty() && !n.is_empty() => (Some(g), n),
            _ => (None, &p.name),
        },
        _ => (None, &p.name),
    }
}

fn licenses(ls: &[String]) -> Option<Value> {
    if ls.is_empty() {
        return None;
    }
    if let [only] = ls {
        if known_id(only.trim()).is_none() {
            if let Some(e) = canonical_expression(only) {
                return Some(json!([{ "expression": e }]));
            }
        }
    }
    Some(Value::Array(
        ls.iter()
            .map(|l| match known_id(l.trim()) {
                Some(id) => json!({ "license": { "id": id } }),
                None => json!({ "license": { "name": l } }),
            })
            .collect(),
    ))
}

fn package_component(p: &Package, bom_ref: &str) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!("library"));
    m.insert("bom-ref".into(), json!(bom_ref));
    let (group, name) = group_and_name(p);
    if let Some(g) = group {
        m.insert("group".into(), json!(g));
    }
    m.insert("name".into(), json!(name));
    if !p.version.is_empty() {
        m.insert("version".into(), json!(p.version));
    }
    if !p.purl.is_empty() {
        m.insert("purl".into(), json!(p.purl));
    }
    if let Some(l) = licenses(&p.licenses) {
        m.insert("licenses".into(), l);
    }
    let mut props = vec![
        prop("scry:ecosystem", &p.ecosystem),
        prop("scry:found_by", &p.found_by),
        prop("scry:location", &p.location),
    ];
    let optional = [
        ("scry:layer", &p.layer),
        ("scry:source_name", &p.source_name),
        ("scry:source_version", &p.source_version),
        ("scry:arch", &p.arch),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            props.push(prop(k, v));
        }
    }
    m.insert("properties".into(), Value::Array(props));
    Value::Object(m)
}

// ---------------------------------------------------------------------------------------
// Reading

const VERSIONS: &[&str] = &["1.2", "1.3", "1.4", "1.5", "1.6"];

pub(crate) fn read(obj: &Map<String, Value>, location: &str) -> Result<Inventory, SbomError> {
    match obj.get("specVersion") {
        None => {
            return Err(SbomError::MissingField {
                format: FORMAT,
                field: "specVersion",
            })
        }
        Some(Value::String(v)) if VERSIONS.contains(&v.as_str()) => {}
        Some(v) => {
            return Err(SbomError::UnsupportedVersion {
                format: FORMAT,
                version: match v {
                    Value::String(s) => crate::read::cut(s, 40).to_string(),
                    other => other.to_string().chars().take(40).collect(),
                },
                supported: "1.2, 1.3, 1.4, 1.5, 1.6",
            })
        }
    }
    let top = match obj.get("components") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(other) => {
            return Err(SbomError::WrongType {
                format: FORMAT,
                field: "components",
                expected: "an array",
                found: type_name(other),
            })
        }
    };

    let mut inv = Inventory::default();
    let mut diags = Diags::new(location);
    let mut os: Option<Distro> = None;
    let mut qualifier_distro: Option<Distro> = None;
    let mut seen = 0usize;
    let mut too_deep = 0usize;
    // Depth-first, in document order: a stack of (components slice, next index, depth).
    let mut stack: Vec<(&[Value], usize, usize)> = vec![(top, 0, 1)];
    while let Some(frame) = stack.last_mut() {
        let (list, idx, depth) = *frame;
        let Some(c) = list.get(idx) else {
            stack.pop();
            continue;
        };
        frame.1 += 1;
        seen += 1;
        if seen > MAX_COMPONENTS {
            diags.push(format!(
                "more than {MAX_COMPONENTS} components; the rest are not read"
            ));
            break;
        }
        if !c.is_object() {
            diags.push(format!("component is {}, not an object", type_name(c)));
            continue;
        }
        match c.get("components") {
            None | Some(Value::Null) => {}
            Some(Value::Array(children)) if !children.is_empty() => {
                if depth >= MAX_DEPTH {
                    too_deep += children.len();
                } else {
                    stack.push((children.as_slice(), 0, depth + 1));
                }
            }
            Some(Value::Array(_)) => {}
            Some(other) => diags.push(format!(
                "component {}: nested \"components\" is {}, not an array",
                describe(c),
                type_name(other)
            )),
        }
        read_component(
            c,
            location,
            &mut inv,
            &mut diags,
            &mut os,
            &mut qualifier_distro,
        );
    }
    if too_deep > 0 {
        diags.push(format!(
            "{too_deep} components nested deeper than {MAX_DEPTH} levels not read"
        ));
    }
    inv.distro = os.or(qualifier_distro);
    inv.diagnostics = diags.finish();
    Ok(inv)
}

/// A component for messages: its name, version and bom-ref as far as present.
fn describe(c: &Value) -> String {
    let mut s = match c.get("name") {
        Some(n) => short(n),
        None => "(unnamed)".to_string(),
    };
    if let Some(v) = str_field(c, "version") {
        s.push_str(&format!(" {:?}", crate::read::cut(v, 80)));
    }
    if let Some(r) = str_field(c, "bom-ref") {
        s.push_str(&format!(" (bom-ref {:?})", crate::read::cut(r, 120)));
    }
    s
}

fn properties(c: &Value) -> Vec<(&str, &str)> {
    match c.get("properties") {
        Some(Value::Array(ps)) => ps
            .iter()
            .filter_map(|p| Some((p.get("name")?.as_str()?, p.get("value")?.as_str()?)))
            .collect(),
        _ => Vec::new(),
    }
}

fn read_component(
    c: &Value,
    location: &str,
    inv: &mut Inventory,
    diags: &mut Diags,
    os: &mut Option<Distro>,
    qualifier_distro: &mut Option<Distro>,
) {
    let ty = c.get("type").and_then(Value::as_str).unwrap_or("");
    let props = properties(c);
    let prop = |k: &str| {
        props
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    if ty == "operating-system" {
        if os.is_none() {
            match str_field(c, "name") {
                Some(name) => {
                    let id = name.to_ascii_lowercase();
                    let version_id = str_field(c, "version").unwrap_or("").to_string();
                    let ecosystem = prop("scry:distro_ecosystem")
                        .or_else(|| distro_ecosystem(&id, &version_id));
                    *os = Some(Distro {
                        id,
                        version_id,
                        pretty_name: str_field(c, "description").map(str::to_string),
                        ecosystem,
                    });
                }
                None => diags.push("operating-system component has no name".into()),
            }
        }
        return;
    }
    if ty == "file" {
        return;
    }
    let purl = match c.get("purl") {
        Some(Value::String(p)) if !p.trim().is_empty() => p.trim(),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            diags.push(format!(
                "component {} of type {:?} has no purl; not matched",
                describe(c),
                crate::read::cut(ty, 40)
            ));
            return;
        }
        Some(other) => {
            diags.push(format!(
                "component {}: purl is {}, not a string",
                describe(c),
                type_name(other)
            ));
            return;
        }
    };
    let mut source_name = prop("scry:source_name");
    let mut source_version = prop("scry:source_version");
    if source_name.is_none() {
        if let Some(n) = prop("aquasecurity:trivy:SrcName") {
            source_name = Some(n);
            source_version = trivy_source_version(&prop);
        }
    }
    let extra = Extra {
        version: str_field(c, "version").map(str::to_string),
        licenses: licenses_of(c),
        source_name,
        source_version,
        layer: prop("scry:layer").or_else(|| prop("syft:location:0:layerID")),
    };
    match package_from_purl(purl, extra, FOUND_BY, location) {
        Ok((p, d)) => {
            if qualifier_distro.is_none() {
                *qualifier_distro = d;
            }
            inv.packages.push(p);
        }
        Err(e) => diags.push(format!("component {}: {e}", describe(c))),
    }
}

/// Trivy's source version properties: `[SrcEpoch:]SrcVersion[-SrcRelease]`.
fn trivy_source_version(prop: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let v = prop("aquasecurity:trivy:SrcVersion")?;
    let mut s = String::new();
    if let Some(e) = prop("aquasecurity:trivy:SrcEpoch").filter(|e| e != "0") {
        s.push_str(&e);
        s.push(':');
    }
    s.push_str(&v);
    if let Some(r) = prop("aquasecurity:trivy:SrcRelease") {
        s.push('-');
        s.push_str(&r);
    }
    Some(s)
}

fn licenses_of(c: &Value) -> Vec<String> {
    let Some(Value::Array(ls)) = c.get("licenses") else {
        return Vec::new();
    };
    ls.iter()
        .filter_map(|l| {
            if let Some(e) = str_field(l, "expression") {
                return Some(e.to_string());
            }
            let lic = l.get("license")?;
            str_field(lic, "id")
                .or_else(|| str_field(lic, "name"))
                .map(str::to_string)
        })
        .take(64)
        .collect()
}
