//! The writers' output checked by the official validators, and read back.
//!
//! Needs `pip install 'cyclonedx-python-lib[json-validation]' spdx-tools` (CI installs them):
//! the tests fail, saying so, when they are missing.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use scry_inventory::{Distro, Inventory, Package};
use scry_sbom::{read_sbom, to_cyclonedx, to_native_json, to_spdx, Subject, SubjectKind};
use serde_json::Value;

const NOW: &str = "2024-05-01T12:34:56Z";
const LAYER: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

#[allow(clippy::too_many_arguments)]
fn pkg(
    eco: &str,
    name: &str,
    version: &str,
    purl: &str,
    found_by: &str,
    location: &str,
    source: Option<(&str, Option<&str>)>,
    licenses: &[&str],
) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        ecosystem: eco.into(),
        purl: purl.into(),
        found_by: found_by.into(),
        source_name: source.map(|s| s.0.to_string()),
        source_version: source.and_then(|s| s.1.map(str::to_string)),
        arch: None,
        licenses: licenses.iter().map(|s| s.to_string()).collect(),
        location: location.into(),
        layer: None,
    }
}

fn sample() -> Inventory {
    let mut libc = pkg(
        "Debian",
        "libc6",
        "2.36-9+deb12u4",
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
        "dpkg",
        "var/lib/dpkg/status",
        Some(("glibc", None)),
        &[
            "LGPL-2.1-or-later",
            "GPL-2.0-or-later WITH GCC-exception-3.1",
        ],
    );
    libc.arch = Some("amd64".into());
    libc.layer = Some(LAYER.into());
    let libssl = pkg(
        "Debian",
        "libssl3",
        "3.0.11-1~deb12u2",
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl%403.0.11-1~deb12u2",
        "dpkg",
        "var/lib/dpkg/status",
        Some(("openssl", Some("3.0.11-1~deb12u2"))),
        &["Apache-2.0"],
    );
    let rpm = pkg(
        "Red Hat",
        "openssl-libs",
        "1:1.1.1k-7.el8_6",
        "pkg:rpm/redhat/openssl-libs@1:1.1.1k-7.el8_6?arch=x86_64&upstream=openssl-1.1.1k-7.el8_6.src.rpm",
        "rpm",
        "var/lib/rpm/rpmdb.sqlite",
        Some(("openssl", Some("1.1.1k-7.el8_6"))),
        &["OpenSSL and ASL 2.0"],
    );
    let npm = pkg(
        "npm",
        "@babel/core",
        "7.22.5",
        "pkg:npm/%40babel/core@7.22.5",
        "npm-package-lock",
        "app/package-lock.json",
        None,
        &["MIT"],
    );
    let npm_dup = pkg(
        "npm",
        "@babel/core",
        "7.22.5",
        "pkg:npm/%40babel/core@7.22.5",
        "npm-package-lock",
        "other/package-lock.json",
        None,
        &[],
    );
    let maven = pkg(
        "Maven",
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        "java-archive",
        "app/app.war!WEB-INF/lib/log4j-core-2.14.1.jar",
        None,
        &["Apache License, Version 2.0"],
    );
    let pypi = pkg(
        "PyPI",
        "requests",
        "2.31.0",
        "pkg:pypi/requests@2.31.0",
        "python-dist-info",
        "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
        None,
        &["MIT OR Apache-2.0"],
    );
    let go = pkg(
        "Go",
        "github.com/gorilla/mux",
        "v1.8.0",
        "pkg:golang/github.com/gorilla/mux@v1.8.0",
        "go-binary",
        "usr/local/bin/app",
        None,
        &[],
    );
    let composer = pkg(
        "Packagist",
        "laravel/framework",
        "v10.0.0",
        "pkg:composer/laravel/framework@v10.0.0",
        "php-composer-lock",
        "srv/app/composer.lock",
        None,
        &[],
    );
    let weird = pkg(
        "PyPI",
        "zope.interface_x y",
        "6.0",
        "pkg:pypi/zope.interface_x%20y@6.0",
        "python-dist-info",
        "weird dir/ü/METADATA",
        None,
        &[],
    );
    Inventory {
        distro: Some(Distro {
            id: "debian".into(),
            version_id: "12".into(),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            ecosystem: Some("Debian:12".into()),
        }),
        packages: vec![
            libc, libssl, rpm, npm, npm_dup, maven, pypi, go, composer, weird,
        ],
        diagnostics: vec![],
    }
}

fn subject() -> Subject {
    Subject {
        name: "registry.example/app:1.0".into(),
        kind: SubjectKind::Image,
        digest: Some(
            "sha256:2222222222222222222222222222222222222222222222222222222222222222".into(),
        ),
    }
}

fn write_tmp(dir: &Path, name: &str, v: &Value) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p
}

const CDX_VALIDATE: &str = r#"
import sys
try:
    from cyclonedx.validation.json import JsonStrictValidator
    from cyclonedx.schema import SchemaVersion
except ImportError as e:
    print("MISSING: " + str(e))
    sys.exit(3)
err = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())
if err is not None:
    print("INVALID: " + str(err))
    sys.exit(1)
print("VALID")
"#;

/// Ok(()) when valid, Err(message) when the validator rejects it; panics when the validator
/// is not installed.
fn cyclonedx_validate(path: &Path) -> Result<(), String> {
    const HINT: &str = "install the validator: pip install 'cyclonedx-python-lib[json-validation]'";
    let out = Command::new("python3")
        .arg("-c")
        .arg(CDX_VALIDATE)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}); {HINT}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) if stdout.contains("VALID") => Ok(()),
        Some(1) if stdout.contains("INVALID") => Err(stdout.into_owned()),
        _ => panic!("CycloneDX validator did not run: {stdout}{stderr}\n{HINT}"),
    }
}

fn spdx_validate(path: &Path) -> Result<(), String> {
    const HINT: &str = "install the validator: pip install spdx-tools";
    let out = Command::new("pyspdxtools")
        .arg("-i")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run pyspdxtools ({e}); {HINT}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => Ok(()),
        Some(1) if text.contains("invalid") || text.contains("Error") => Err(text),
        _ => panic!("pyspdxtools did not run: {text}\n{HINT}"),
    }
}

fn components(doc: &Value) -> &Vec<Value> {
    doc["components"].as_array().unwrap()
}

fn prop<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)?["value"]
        .as_str()
}

#[test]
fn cyclonedx_passes_the_official_1_6_schema_validator() {
    let dir = tempfile::tempdir().unwrap();
    let doc = to_cyclonedx(&sample(), &subject(), "0.1.0", NOW);
    let p = write_tmp(dir.path(), "bom.json", &doc);
    cyclonedx_validate(&p).unwrap_or_else(|e| panic!("scry's CycloneDX is invalid: {e}"));

    // The validator is not a rubber stamp: a broken copy is rejected.
    let mut bad = doc.clone();
    bad["components"][1]["type"] = Value::String("nonsense".into());
    let p = write_tmp(dir.path(), "bad.json", &bad);
    let e = cyclonedx_validate(&p).unwrap_err();
    assert!(e.contains("nonsense"), "{e}");
    let mut bad = doc.clone();
    bad["serialNumber"] = Value::String("urn:uuid:not-a-uuid".into());
    let p = write_tmp(dir.path(), "bad2.json", &bad);
    assert!(cyclonedx_validate(&p).is_err());
}

#[test]
fn cyclonedx_content() {
    let doc = to_cyclonedx(&sample(), &subject(), "0.1.0", NOW);
    assert_eq!(doc["bomFormat"], "CycloneDX");
    assert_eq!(doc["specVersion"], "1.6");
    assert_eq!(doc["metadata"]["timestamp"], NOW);
    assert_eq!(doc["metadata"]["tools"]["components"][0]["name"], "scry");
    assert_eq!(
        doc["metadata"]["tools"]["components"][0]["version"],
        "0.1.0"
    );
    let subj = &doc["metadata"]["component"];
    assert_eq!(subj["type"], "container");
    assert_eq!(subj["name"], "registry.example/app:1.0");
    assert_eq!(subj["hashes"][0]["alg"], "SHA-256");
    assert_eq!(subj["hashes"][0]["content"], "2".repeat(64));

    // Deterministic, and the serial number depends on the content.
    let again = to_cyclonedx(&sample(), &subject(), "0.1.0", NOW);
    assert_eq!(doc, again);
    let other = to_cyclonedx(&sample(), &subject(), "0.1.1", NOW);
    assert_ne!(doc["serialNumber"], other["serialNumber"]);

    let cs = components(&doc);
    assert_eq!(cs.len(), 11, "the OS and ten packages");
    assert_eq!(cs[0]["type"], "operating-system");
    assert_eq!(cs[0]["name"], "debian");
    assert_eq!(cs[0]["version"], "12");
    assert_eq!(prop(&cs[0], "scry:distro_ecosystem"), Some("Debian:12"));

    let refs: BTreeSet<&str> = cs.iter().map(|c| c["bom-ref"].as_str().unwrap()).collect();
    assert_eq!(refs.len(), cs.len(), "bom-refs are unique");

    let libc = &cs[1];
    assert_eq!(libc["type"], "library");
    assert_eq!(libc["name"], "libc6");
    assert_eq!(libc["version"], "2.36-9+deb12u4");
    assert_eq!(prop(libc, "scry:source_name"), Some("glibc"));
    assert_eq!(prop(libc, "scry:layer"), Some(LAYER));
    assert_eq!(prop(libc, "scry:found_by"), Some("dpkg"));
    assert_eq!(prop(libc, "scry:location"), Some("var/lib/dpkg/status"));
    assert_eq!(prop(libc, "scry:ecosystem"), Some("Debian"));
    assert_eq!(prop(libc, "scry:arch"), Some("amd64"));
    assert_eq!(libc["licenses"][0]["license"]["id"], "LGPL-2.1-or-later");
    // An expression among several licenses cannot be an `expression` entry: a name.
    assert_eq!(
        libc["licenses"][1]["license"]["name"],
        "GPL-2.0-or-later WITH GCC-exception-3.1"
    );
    assert_eq!(
        prop(&cs[2], "scry:source_version"),
        Some("3.0.11-1~deb12u2")
    );
    assert_eq!(cs[3]["version"], "1:1.1.1k-7.el8_6");
    assert_eq!(
        cs[3]["licenses"][0]["license"]["name"],
        "OpenSSL and ASL 2.0"
    );
    assert_eq!(cs[4]["group"], "@babel");
    assert_eq!(cs[4]["name"], "core");
    assert_eq!(cs[4]["purl"], "pkg:npm/%40babel/core@7.22.5");
    assert_ne!(cs[4]["bom-ref"], cs[5]["bom-ref"]);
    assert_eq!(cs[6]["group"], "org.apache.logging.log4j");
    assert_eq!(cs[6]["name"], "log4j-core");
    assert_eq!(cs[7]["licenses"][0]["expression"], "MIT OR Apache-2.0");
    assert_eq!(cs[8]["name"], "github.com/gorilla/mux");
    assert!(cs[8].get("group").is_none());
    assert_eq!(cs[9]["group"], "laravel");
    assert_eq!(cs[9]["name"], "framework");
}

#[test]
fn spdx_passes_pyspdxtools_validation() {
    let dir = tempfile::tempdir().unwrap();
    let doc = to_spdx(&sample(), &subject(), "0.1.0", NOW, "seed-1");
    let p = write_tmp(dir.path(), "doc.spdx.json", &doc);
    spdx_validate(&p).unwrap_or_else(|e| panic!("scry's SPDX is invalid: {e}"));

    // Negative controls: the validator catches what the writer must avoid.
    let mut bad = doc.clone();
    bad["packages"][3]["SPDXID"] = Value::String("SPDXRef-has_underscore".into());
    let p = write_tmp(dir.path(), "bad.spdx.json", &bad);
    assert!(spdx_validate(&p).is_err());
    let mut bad = doc.clone();
    bad["packages"][3]["licenseDeclared"] = Value::String("OpenSSL and ASL 2.0".into());
    let p = write_tmp(dir.path(), "bad2.spdx.json", &bad);
    assert!(spdx_validate(&p).is_err());
}

#[test]
fn spdx_content() {
    let now = "2024-05-01T12:34:56.789Z";
    let doc = to_spdx(&sample(), &subject(), "0.1.0", now, "seed-1");
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
    assert_eq!(doc["name"], "registry.example/app:1.0");
    assert_eq!(doc["creationInfo"]["created"], "2024-05-01T12:34:56Z");
    assert_eq!(doc["creationInfo"]["creators"][0], "Tool: scry-0.1.0");
    let ns = doc["documentNamespace"].as_str().unwrap();
    assert!(
        ns.starts_with("https://spdx.org/spdxdocs/scry-registry.example-app-1.0-"),
        "{ns}"
    );
    let other = to_spdx(&sample(), &subject(), "0.1.0", now, "seed-2");
    assert_ne!(other["documentNamespace"], doc["documentNamespace"]);
    assert_eq!(
        to_spdx(&sample(), &subject(), "0.1.0", now, "seed-1"),
        doc,
        "deterministic"
    );

    let ps = doc["packages"].as_array().unwrap();
    assert_eq!(ps.len(), 12, "subject, OS and ten packages");
    assert_eq!(ps[0]["SPDXID"], "SPDXRef-Subject");
    assert_eq!(ps[0]["primaryPackagePurpose"], "CONTAINER");
    assert_eq!(ps[0]["checksums"][0]["checksumValue"], "2".repeat(64));
    assert_eq!(ps[1]["primaryPackagePurpose"], "OPERATING-SYSTEM");
    let ids: BTreeSet<&str> = ps.iter().map(|p| p["SPDXID"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), ps.len(), "SPDXIDs are unique");
    for id in &ids {
        let rest = id.strip_prefix("SPDXRef-").unwrap();
        assert!(
            rest.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
            "{id}"
        );
    }
    let libc = &ps[2];
    assert_eq!(libc["name"], "libc6");
    assert_eq!(libc["versionInfo"], "2.36-9+deb12u4");
    assert_eq!(
        libc["licenseDeclared"],
        "LGPL-2.1-or-later AND GPL-2.0-or-later WITH GCC-exception-3.1"
    );
    assert_eq!(
        libc["externalRefs"][0]["referenceCategory"],
        "PACKAGE-MANAGER"
    );
    assert_eq!(libc["externalRefs"][0]["referenceType"], "purl");
    assert!(libc["sourceInfo"]
        .as_str()
        .unwrap()
        .contains("var/lib/dpkg/status"));
    assert_eq!(ps[4]["licenseDeclared"], "NOASSERTION", "free-text license");
    assert_eq!(ps[8]["licenseDeclared"], "MIT OR Apache-2.0");
    assert_eq!(ps[11]["SPDXID"], "SPDXRef-Package-9-zope.interface-x-y");
    let rels = doc["relationships"].as_array().unwrap();
    assert_eq!(rels.len(), 12);
    assert_eq!(rels[0]["spdxElementId"], "SPDXRef-DOCUMENT");
    assert_eq!(rels[0]["relationshipType"], "DESCRIBES");
    assert_eq!(rels[0]["relatedSpdxElement"], "SPDXRef-Subject");
    assert!(rels[1..]
        .iter()
        .all(|r| r["spdxElementId"] == "SPDXRef-Subject" && r["relationshipType"] == "CONTAINS"));
}

type Key = (String, String, String, String);

fn keys(inv: &Inventory) -> BTreeSet<Key> {
    inv.packages
        .iter()
        .map(|p| {
            (
                p.ecosystem.clone(),
                p.name.clone(),
                p.version.clone(),
                p.purl.clone(),
            )
        })
        .collect()
}

#[test]
fn round_trips() {
    let inv = sample();
    let want = keys(&inv);

    let cdx = serde_json::to_vec(&to_cyclonedx(&inv, &subject(), "0.1.0", NOW)).unwrap();
    let back = read_sbom(&cdx, "out/bom.cdx.json").unwrap();
    assert_eq!(keys(&back), want);
    assert_eq!(back.packages.len(), inv.packages.len());
    assert_eq!(back.distro, inv.distro);
    assert!(back.diagnostics.is_empty(), "{:?}", back.diagnostics);
    assert!(back
        .packages
        .iter()
        .all(|p| p.found_by == "sbom-cyclonedx" && p.location == "out/bom.cdx.json"));
    let libc = &back.packages[0];
    assert_eq!(libc.source_name.as_deref(), Some("glibc"));
    assert_eq!(libc.layer.as_deref(), Some(LAYER));
    assert_eq!(libc.arch.as_deref(), Some("amd64"));
    assert_eq!(
        libc.licenses,
        [
            "LGPL-2.1-or-later",
            "GPL-2.0-or-later WITH GCC-exception-3.1"
        ]
    );
    let rpm = &back.packages[2];
    assert_eq!(rpm.source_name.as_deref(), Some("openssl"));
    assert_eq!(rpm.source_version.as_deref(), Some("1.1.1k-7.el8_6"));

    let spdx = serde_json::to_vec(&to_spdx(&inv, &subject(), "0.1.0", NOW, "s")).unwrap();
    let back = read_sbom(&spdx, "out/bom.spdx.json").unwrap();
    assert_eq!(keys(&back), want);
    assert_eq!(back.packages.len(), inv.packages.len());
    assert_eq!(back.distro.as_ref().map(|d| d.id.as_str()), Some("debian"));
    assert_eq!(
        back.distro.as_ref().and_then(|d| d.ecosystem.as_deref()),
        Some("Debian:12")
    );
    assert!(back.diagnostics.is_empty(), "{:?}", back.diagnostics);
    assert!(back.packages.iter().all(|p| p.found_by == "sbom-spdx"));
    // Source packages come back from the purl `upstream` qualifier.
    assert_eq!(back.packages[0].source_name.as_deref(), Some("glibc"));
    assert_eq!(back.packages[1].source_name.as_deref(), Some("openssl"));
    assert_eq!(
        back.packages[1].source_version, None,
        "same as the binary's"
    );
    assert_eq!(back.packages[2].source_name.as_deref(), Some("openssl"));
    assert_eq!(
        back.packages[2].source_version, None,
        "openssl-1.1.1k-7.el8_6.src.rpm is the binary's version less its epoch"
    );
    assert_eq!(back.packages[6].licenses, ["MIT OR Apache-2.0"]);

    let native = serde_json::to_vec(&to_native_json(&inv)).unwrap();
    let back = read_sbom(&native, "out/inv.json").unwrap();
    assert_eq!(back, inv, "native JSON is lossless");
}

#[test]
fn native_json_has_its_schema() {
    let v = to_native_json(&sample());
    assert_eq!(v["schema"], "scry-inventory/1");
    assert_eq!(v["packages"].as_array().unwrap().len(), 10);
    assert_eq!(v["distro"]["ecosystem"], "Debian:12");
}

#[test]
fn empty_inventory_and_plain_subject_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    let inv = Inventory::default();
    let s = Subject {
        name: "src".into(),
        kind: SubjectKind::Directory,
        digest: Some("md5:abc".into()),
    };
    let cdx = to_cyclonedx(&inv, &s, "0.1.0", NOW);
    assert_eq!(cdx["metadata"]["component"]["type"], "file");
    assert_eq!(
        prop(&cdx["metadata"]["component"], "scry:digest"),
        Some("md5:abc")
    );
    cyclonedx_validate(&write_tmp(dir.path(), "e.json", &cdx)).unwrap();
    let spdx = to_spdx(&inv, &s, "0.1.0", NOW, "x");
    spdx_validate(&write_tmp(dir.path(), "e.spdx.json", &spdx)).unwrap();
    assert_eq!(
        read_sbom(&serde_json::to_vec(&cdx).unwrap(), "e").unwrap(),
        inv
    );
    assert_eq!(
        read_sbom(&serde_json::to_vec(&spdx).unwrap(), "e").unwrap(),
        inv
    );

    // A package with no purl and no version, a distro with no ecosystem: still valid
    // documents; reading them back reports the package that cannot be matched.
    let inv = Inventory {
        distro: Some(Distro {
            id: "rhel".into(),
            version_id: "9.3".into(),
            pretty_name: None,
            ecosystem: None,
        }),
        packages: vec![pkg("Go", "", "", "", "go-binary", "bin/x", None, &[])],
        diagnostics: vec![],
    };
    let s = Subject {
        name: "x.tar".into(),
        kind: SubjectKind::Archive,
        digest: None,
    };
    let cdx = to_cyclonedx(&inv, &s, "0.1.0", NOW);
    cyclonedx_validate(&write_tmp(dir.path(), "p.json", &cdx)).unwrap();
    let spdx = to_spdx(&inv, &s, "0.1.0", NOW, "x");
    assert_eq!(spdx["packages"][0]["primaryPackagePurpose"], "ARCHIVE");
    spdx_validate(&write_tmp(dir.path(), "p.spdx.json", &spdx)).unwrap();
    for doc in [cdx, spdx] {
        let back = read_sbom(&serde_json::to_vec(&doc).unwrap(), "p").unwrap();
        assert!(back.packages.is_empty());
        assert_eq!(back.distro, inv.distro);
        assert_eq!(back.diagnostics.len(), 1, "{:?}", back.diagnostics);
        assert!(back.diagnostics[0].reason.contains("no purl"));
    }
}
