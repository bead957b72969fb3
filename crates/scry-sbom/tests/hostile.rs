//! Hostile and broken input: errors that name the problem, diagnostics, never a panic.

use scry_sbom::{read_sbom, SbomError, MAX_DEPTH, MAX_INPUT};
use serde_json::{json, Value};

fn read_json(v: &Value) -> Result<scry_inventory::Inventory, SbomError> {
    read_sbom(&serde_json::to_vec(v).unwrap(), "bad.json")
}

fn cdx(components: Value) -> Value {
    json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": components})
}

fn reasons(inv: &scry_inventory::Inventory) -> Vec<&str> {
    inv.diagnostics.iter().map(|d| d.reason.as_str()).collect()
}

#[test]
fn not_json_or_not_an_sbom_is_an_error() {
    let e = read_sbom(b"not json at all", "x").unwrap_err();
    assert!(matches!(e, SbomError::NotJson(_)), "{e}");
    assert!(e.to_string().starts_with("SBOM is not JSON"), "{e}");
    assert!(matches!(read_sbom(b"", "x"), Err(SbomError::NotJson(_))));
    assert!(matches!(
        read_sbom(b"\xff\xfe\x00garbage", "x"),
        Err(SbomError::NotJson(_))
    ));
    let e = read_sbom(b"[1,2,3]", "x").unwrap_err();
    assert_eq!(e.to_string(), "SBOM is not a JSON object but an array");
    let e = read_sbom(br#"{"hello": "world"}"#, "x").unwrap_err();
    assert!(matches!(e, SbomError::UnknownFormat(_)));
    assert!(e.to_string().contains("bomFormat"), "{e}");
    let e = read_json(&json!({"bomFormat": "SWID"})).unwrap_err();
    assert!(e.to_string().contains("\"SWID\""), "{e}");
    let e = read_json(&json!({"bomFormat": 5})).unwrap_err();
    assert_eq!(
        e.to_string(),
        "CycloneDX field \"bomFormat\" is a number, expected a string"
    );
    let e = read_json(&json!({"schema": "other/2", "packages": []})).unwrap_err();
    assert!(e.to_string().contains("scry-inventory/1"), "{e}");
}

#[test]
fn versions_and_top_level_types_are_checked() {
    let e = read_json(&json!({"bomFormat": "CycloneDX"})).unwrap_err();
    assert_eq!(
        e.to_string(),
        "CycloneDX document has no \"specVersion\" field"
    );
    let e = read_json(&json!({"bomFormat": "CycloneDX", "specVersion": "2.0"})).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("unsupported CycloneDX version \"2.0\""),
        "{e}"
    );
    let e = read_json(&json!({"bomFormat": "CycloneDX", "specVersion": 1.5})).unwrap_err();
    assert!(matches!(e, SbomError::UnsupportedVersion { .. }), "{e}");
    let e = read_json(&cdx(json!("lots"))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "CycloneDX field \"components\" is a string, expected an array"
    );
    let e = read_json(&json!({"spdxVersion": "SPDX-3.0"})).unwrap_err();
    assert!(e.to_string().contains("SPDX-3.0"), "{e}");
    let e = read_json(&json!({"spdxVersion": "SPDX-2.3", "packages": {}})).unwrap_err();
    assert_eq!(
        e.to_string(),
        "SPDX field \"packages\" is an object, expected an array"
    );
    let e = read_json(&json!({"schema": "scry-inventory/1"})).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Scry native document has no \"packages\" field"
    );
    // An SBOM with nothing in it is fine.
    let inv = read_json(&json!({"bomFormat": "CycloneDX", "specVersion": "1.4"})).unwrap();
    assert!(inv.packages.is_empty() && inv.diagnostics.is_empty());
}

#[test]
fn too_large_is_refused_before_parsing() {
    let big = vec![0u8; MAX_INPUT + 1];
    let e = read_sbom(&big, "x").unwrap_err();
    assert!(matches!(e, SbomError::TooLarge { .. }), "{e}");
}

#[test]
fn deep_json_nesting_is_an_error_not_a_stack_overflow() {
    let mut s = String::new();
    for _ in 0..200_000 {
        s.push('[');
    }
    assert!(matches!(
        read_sbom(s.as_bytes(), "x"),
        Err(SbomError::NotJson(_))
    ));
    let mut s = String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":"#);
    for _ in 0..10_000 {
        s.push_str(r#"[{"components":"#);
    }
    assert!(matches!(
        read_sbom(s.as_bytes(), "x"),
        Err(SbomError::NotJson(_))
    ));
}

#[test]
fn nested_components_are_read_to_a_bounded_depth() {
    // 40 levels, each component with a purl; serde_json's own limit (128) is not reached.
    let mut c = json!({"type": "library", "name": "leaf", "purl": "pkg:npm/leaf@40.0.0"});
    for i in (1..40).rev() {
        c = json!({
            "type": "library",
            "name": format!("n{i}"),
            "purl": format!("pkg:npm/n{i}@{i}.0.0"),
            "components": [c],
        });
    }
    let inv = read_json(&cdx(json!([c]))).unwrap();
    assert_eq!(inv.packages.len(), MAX_DEPTH);
    assert_eq!(inv.packages[0].name, "n1");
    assert_eq!(inv.packages[31].name, "n32");
    assert_eq!(
        reasons(&inv),
        ["1 components nested deeper than 32 levels not read"]
    );

    // Siblings after a nested branch keep document order.
    let inv = read_json(&cdx(json!([
        {"type": "application", "name": "app", "purl": "pkg:npm/app@1.0.0",
         "components": [{"type": "library", "name": "dep", "purl": "pkg:npm/dep@2.0.0"}]},
        {"type": "library", "name": "next", "purl": "pkg:npm/next@3.0.0"}
    ])))
    .unwrap();
    let names: Vec<_> = inv.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["app", "dep", "next"]);
}

#[test]
fn bad_components_become_diagnostics_and_the_rest_is_read() {
    let inv = read_json(&cdx(json!([
        5,
        {"type": "library", "name": "nopurl", "version": "1.0"},
        {"type": "library", "name": "numpurl", "purl": 7},
        {"type": "library", "name": "badpurl", "purl": "npm/foo@1"},
        {"type": "library", "name": "generic", "purl": "pkg:generic/openssl@3.0.0"},
        {"type": "library", "name": "noversion", "purl": "pkg:npm/noversion"},
        {"type": "library", "name": "kids", "purl": "pkg:npm/kids@1.0.0", "components": "x",
         "licenses": "MIT", "properties": 3},
        {"type": "file", "name": "/etc/passwd"},
        {"type": "operating-system"},
        {"type": "library", "name": "good", "version": "2.0.0", "purl": "pkg:pypi/good@2.0.0",
         "licenses": [{"license": {"id": "MIT"}}, {"license": 4}, {"expression": "MIT OR ISC"}],
         "properties": [{"name": "scry:layer", "value": "sha256:ab"}, {"name": 1}, "x"]}
    ])))
    .unwrap();
    let names: Vec<_> = inv.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["kids", "good"]);
    let good = &inv.packages[1];
    assert_eq!(good.ecosystem, "PyPI");
    assert_eq!(good.licenses, ["MIT", "MIT OR ISC"]);
    assert_eq!(good.layer.as_deref(), Some("sha256:ab"));
    assert!(inv.packages[0].licenses.is_empty());
    assert_eq!(
        reasons(&inv),
        [
            "component is a number, not an object",
            "component \"nopurl\" \"1.0\" of type \"library\" has no purl; not matched",
            "component \"numpurl\": purl is a number, not a string",
            "component \"badpurl\": package URL \"npm/foo@1\" does not start with \"pkg:\"",
            "component \"generic\": package URL type \"generic\" has no advisory ecosystem (pkg:generic/openssl@3.0.0)",
            "component \"noversion\": package \"noversion\" has no version (pkg:npm/noversion)",
            "component \"kids\": nested \"components\" is a string, not an array",
            "operating-system component has no name",
        ]
    );
    assert!(inv.diagnostics.iter().all(|d| d.location == "bad.json"));
}

#[test]
fn diagnostics_are_capped() {
    let many: Vec<Value> = (0..5000)
        .map(|i| json!({"type": "library", "name": format!("x{i}")}))
        .collect();
    let inv = read_json(&cdx(Value::Array(many))).unwrap();
    assert!(inv.packages.is_empty());
    assert_eq!(inv.diagnostics.len(), 101);
    assert_eq!(inv.diagnostics[100].reason, "4900 more problems not listed");
}

#[test]
fn trivy_style_properties_give_the_source_package() {
    // Hand-written in the shape Trivy uses (properties, no upstream qualifier).
    let inv = read_json(&cdx(json!([
        {"type": "operating-system", "name": "ubuntu", "version": "22.04"},
        {"type": "library", "name": "libssl3", "version": "3.0.2-0ubuntu1.15",
         "purl": "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=amd64&distro=ubuntu-22.04",
         "properties": [
            {"name": "aquasecurity:trivy:SrcName", "value": "openssl"},
            {"name": "aquasecurity:trivy:SrcVersion", "value": "3.0.2"},
            {"name": "aquasecurity:trivy:SrcRelease", "value": "0ubuntu1.14"}
         ]},
        {"type": "library", "name": "bash", "version": "1:5.1-6",
         "purl": "pkg:rpm/almalinux/bash@5.1-6?epoch=1",
         "properties": [
            {"name": "aquasecurity:trivy:SrcName", "value": "bash"},
            {"name": "aquasecurity:trivy:SrcEpoch", "value": "1"},
            {"name": "aquasecurity:trivy:SrcVersion", "value": "5.1"},
            {"name": "aquasecurity:trivy:SrcRelease", "value": "5"}
         ]}
    ])))
    .unwrap();
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    let d = inv.distro.unwrap();
    assert_eq!(d.ecosystem.as_deref(), Some("Ubuntu:22.04:LTS"));
    let ssl = &inv.packages[0];
    assert_eq!(ssl.ecosystem, "Ubuntu");
    assert_eq!(ssl.source_name.as_deref(), Some("openssl"));
    assert_eq!(ssl.source_version.as_deref(), Some("3.0.2-0ubuntu1.14"));
    let bash = &inv.packages[1];
    assert_eq!(bash.ecosystem, "AlmaLinux");
    assert_eq!(bash.version, "1:5.1-6", "the purl's epoch qualifier");
    assert_eq!(bash.source_version.as_deref(), Some("1:5.1-5"));
}

#[test]
fn bad_spdx_packages_become_diagnostics() {
    let inv = read_json(&json!({
        "spdxVersion": "SPDX-2.3",
        "documentDescribes": ["SPDXRef-root"],
        "packages": [
            "x",
            {"SPDXID": "SPDXRef-root", "name": "root"},
            {"SPDXID": "SPDXRef-a", "name": "a"},
            {"SPDXID": "SPDXRef-b", "name": "b", "externalRefs": "x"},
            {"SPDXID": "SPDXRef-c", "name": "c", "externalRefs": [
                {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": 5}]},
            {"SPDXID": "SPDXRef-d", "name": "d", "externalRefs": [
                {"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:d:d:1:*:*:*:*:*:*:*"}]},
            {"SPDXID": "SPDXRef-e", "name": "e", "versionInfo": "1.0", "licenseConcluded": "MIT",
             "licenseDeclared": "NOASSERTION", "externalRefs": [
                {"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:cargo/e@1.0.0"}]}
        ]
    }))
    .unwrap();
    assert_eq!(inv.packages.len(), 1);
    let e = &inv.packages[0];
    assert_eq!(
        (e.ecosystem.as_str(), e.name.as_str(), e.version.as_str()),
        ("crates.io", "e", "1.0.0")
    );
    assert_eq!(e.licenses, ["MIT"]);
    assert_eq!(
        reasons(&inv),
        [
            "packages[0] is a string, not an object",
            "package \"a\" (SPDXRef-a) has no purl external reference; not matched",
            "package \"b\" (SPDXRef-b): externalRefs is a string, not an array",
            "package \"c\" (SPDXRef-c): purl referenceLocator is a number, not a non-empty string",
            "package \"d\" (SPDXRef-d) has no purl external reference; not matched",
        ]
    );
}

#[test]
fn bad_native_packages_become_diagnostics() {
    let inv = read_json(&json!({
        "schema": "scry-inventory/1",
        "distro": "debian",
        "packages": [
            {"name": "a", "version": "1", "ecosystem": "npm", "purl": "pkg:npm/a@1",
             "found_by": "npm-package-lock", "location": "package-lock.json"},
            {"name": "b"},
            7
        ]
    }))
    .unwrap();
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(inv.packages[0].found_by, "npm-package-lock");
    let r = reasons(&inv);
    assert_eq!(r.len(), 3, "{r:?}");
    assert!(r[0].starts_with("distro is not readable"), "{r:?}");
    assert!(
        r[1].starts_with("packages[1] is not readable: missing field `version`"),
        "{r:?}"
    );
    assert!(r[2].starts_with("packages[2] is not readable"), "{r:?}");
}

/// Cheap deterministic mutations of the real SBOMs: truncations and byte changes never panic,
/// and a valid document survives single-value corruption with errors or diagnostics only.
#[test]
fn mutated_real_sboms_never_panic() {
    let dir = format!("{}/testdata", env!("CARGO_MANIFEST_DIR"));
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for name in [
        "alpine.cdx14.json",
        "alpine.spdx.json",
        "debian.cdx15.json",
        "venv.cdx16.json",
    ] {
        let orig = std::fs::read(format!("{dir}/{name}")).unwrap();
        for cut in (0..orig.len()).step_by(orig.len() / 97 + 1) {
            let _ = read_sbom(&orig[..cut], name);
        }
        for _ in 0..300 {
            let mut b = orig.clone();
            for _ in 0..(next() % 4 + 1) {
                let i = (next() as usize) % b.len();
                const BYTES: &[u8] = b"{}[]\",:0a\\ \x00\xff";
                b[i] = BYTES[(next() % BYTES.len() as u64) as usize];
            }
            let _ = read_sbom(&b, name);
        }
        // Type confusion at every key of every component.
        let v: Value = serde_json::from_slice(&orig).unwrap();
        let list = if v.get("components").is_some() {
            "components"
        } else {
            "packages"
        };
        let n = v[list].as_array().unwrap().len();
        for i in 0..n.min(6) {
            let keys: Vec<String> = v[list][i].as_object().unwrap().keys().cloned().collect();
            for k in keys {
                for bad in [
                    json!(null),
                    json!(3),
                    json!([1]),
                    json!({"a": {}}),
                    json!(""),
                ] {
                    let mut m = v.clone();
                    m[list][i][&k] = bad;
                    let inv = read_json(&m).unwrap();
                    assert!(inv.packages.len() + inv.diagnostics.len() >= n - 1);
                }
            }
        }
    }
}
