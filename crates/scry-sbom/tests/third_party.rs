//! Reading real SBOMs written by other tools (testdata/PROVENANCE.md says how each was made).

use std::collections::BTreeSet;

use scry_inventory::{Inventory, Package};
use scry_sbom::read_sbom;

fn read(name: &str) -> Inventory {
    let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    read_sbom(&bytes, &format!("sboms/{name}")).unwrap()
}

fn find<'a>(inv: &'a Inventory, eco: &str, name: &str) -> &'a Package {
    let found: Vec<_> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == eco && p.name == name)
        .collect();
    assert_eq!(found.len(), 1, "{eco} {name}: {found:?}");
    found[0]
}

fn count(inv: &Inventory, eco: &str) -> usize {
    inv.packages.iter().filter(|p| p.ecosystem == eco).count()
}

#[test]
fn syft_cyclonedx_1_4_alpine() {
    let inv = read("alpine.cdx14.json");
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert_eq!(inv.packages.len(), 55);
    assert_eq!(count(&inv, "Alpine"), 16);
    assert_eq!(count(&inv, "npm"), 30);
    assert_eq!(count(&inv, "crates.io"), 9);
    let d = inv.distro.as_ref().unwrap();
    assert_eq!(d.id, "alpine");
    assert_eq!(d.version_id, "3.4.6");
    assert_eq!(d.pretty_name.as_deref(), Some("Alpine Linux v3.4"));
    assert_eq!(d.ecosystem.as_deref(), Some("Alpine:v3.4"));

    let mu = find(&inv, "Alpine", "musl-utils");
    assert_eq!(mu.version, "1.1.14-r10");
    assert_eq!(
        mu.purl,
        "pkg:apk/alpine/musl-utils@1.1.14-r10?arch=x86_64&distro=alpine-3.4.6&upstream=musl"
    );
    assert_eq!(mu.source_name.as_deref(), Some("musl"));
    assert_eq!(mu.source_version, None);
    assert_eq!(mu.arch.as_deref(), Some("x86_64"));
    assert_eq!(mu.licenses, ["GPL-2.0-or-later", "MIT", "BSD"]);
    assert_eq!(mu.found_by, "sbom-cyclonedx");
    assert_eq!(mu.location, "sboms/alpine.cdx14.json");
    assert_eq!(mu.layer, None);
    let ada = find(&inv, "Alpine", "ada-libs");
    assert_eq!(ada.licenses, ["( Apache-2.0 OR MIT ) AND MPL-2.0"]);
    assert_eq!(ada.source_name.as_deref(), Some("ada"));
    assert_eq!(
        find(&inv, "Alpine", "libcrypto1.0").source_name.as_deref(),
        Some("openssl")
    );
    // syft writes a purl without version and the component version "UNKNOWN" for an apk
    // entry without V:; the component's version is what there is.
    assert_eq!(
        find(&inv, "Alpine", "invalidPackageWithoutAVersion").version,
        "UNKNOWN"
    );
    let b = find(&inv, "npm", "@babel/helper-string-parser");
    assert_eq!(b.version, "7.19.4");
    assert_eq!(b.purl, "pkg:npm/%40babel/helper-string-parser@7.19.4");
    assert_eq!(find(&inv, "crates.io", "regex").version, "1.7.3");
    let memchr: BTreeSet<&str> = inv
        .packages
        .iter()
        .filter(|p| p.name == "memchr")
        .map(|p| p.version.as_str())
        .collect();
    assert_eq!(memchr, BTreeSet::from(["1.0.2", "2.5.0"]));
}

#[test]
fn syft_spdx_2_3_alpine_matches_its_cyclonedx() {
    let spdx = read("alpine.spdx.json");
    assert!(spdx.diagnostics.is_empty(), "{:?}", spdx.diagnostics);
    assert_eq!(
        spdx.packages.len(),
        55,
        "56 packages less the described root"
    );
    // No OS package in syft's SPDX: the distro comes from the purls' distro qualifier.
    let d = spdx.distro.as_ref().unwrap();
    assert_eq!((d.id.as_str(), d.version_id.as_str()), ("alpine", "3.4.6"));
    assert_eq!(d.ecosystem.as_deref(), Some("Alpine:v3.4"));
    let mu = find(&spdx, "Alpine", "musl-utils");
    assert_eq!(mu.found_by, "sbom-spdx");
    assert_eq!(mu.source_name.as_deref(), Some("musl"));
    assert_eq!(mu.licenses, ["LicenseRef-BSD AND GPL-2.0-or-later AND MIT"]);
    assert!(find(&spdx, "crates.io", "regex").licenses.is_empty());

    let cdx = read("alpine.cdx14.json");
    let key = |inv: &Inventory| -> BTreeSet<(String, String, String, String)> {
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
    };
    assert_eq!(key(&spdx), key(&cdx));
}

#[test]
fn syft_cyclonedx_1_5_debian() {
    let inv = read("debian.cdx15.json");
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert_eq!(inv.packages.len(), 55);
    assert_eq!(count(&inv, "Debian"), 3);
    assert_eq!(count(&inv, "RubyGems"), 52);
    let d = inv.distro.as_ref().unwrap();
    assert_eq!(d.id, "debian");
    assert_eq!(d.version_id, "10");
    assert_eq!(
        d.pretty_name.as_deref(),
        Some("Debian GNU/Linux 10 (buster)")
    );
    assert_eq!(d.ecosystem.as_deref(), Some("Debian:10"));

    let pc = find(&inv, "Debian", "postgresql-client");
    assert_eq!(pc.version, "11+200+deb10u5");
    assert_eq!(pc.source_name.as_deref(), Some("postgresql-common"));
    assert_eq!(pc.source_version.as_deref(), Some("200+deb10u5"));
    assert_eq!(pc.arch.as_deref(), Some("all"));
    let pc11 = find(&inv, "Debian", "postgresql-client-11");
    assert_eq!(pc11.version, "11.22-0+deb10u2");
    assert_eq!(pc11.source_name.as_deref(), Some("postgresql-11"));
    let common = find(&inv, "Debian", "postgresql-client-common");
    assert_eq!(common.source_name.as_deref(), Some("postgresql-common"));
    assert_eq!(common.source_version, None);
    let rails = find(&inv, "RubyGems", "rails");
    assert_eq!(rails.version, "4.1.1");
    assert_eq!(rails.purl, "pkg:gem/rails@4.1.1");
    assert_eq!(find(&inv, "RubyGems", "rack").version, "1.5.2");
}

#[test]
fn cyclonedx_py_1_6_environment() {
    let inv = read("venv.cdx16.json");
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert_eq!(inv.distro, None);
    let got: BTreeSet<(&str, &str, &str)> = inv
        .packages
        .iter()
        .map(|p| (p.ecosystem.as_str(), p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        got,
        BTreeSet::from([
            ("PyPI", "attrs", "23.2.0"),
            ("PyPI", "idna", "3.7"),
            ("PyPI", "pip", "23.2.1"),
            ("PyPI", "setuptools", "65.5.0"),
            ("PyPI", "six", "1.16.0"),
        ])
    );
    assert_eq!(inv.packages.len(), 5);
    assert_eq!(find(&inv, "PyPI", "attrs").licenses, ["MIT"]);
    assert_eq!(
        find(&inv, "PyPI", "idna").licenses,
        ["License :: OSI Approved :: BSD License"]
    );
    assert_eq!(find(&inv, "PyPI", "six").purl, "pkg:pypi/six@1.16.0");
}

#[test]
fn syft_rpm_epochs_spdx_and_cyclonedx_1_6() {
    for (name, found_by, pretty) in [
        ("rocky.spdx.json", "sbom-spdx", None),
        (
            "rocky.cdx.json",
            "sbom-cyclonedx",
            Some("Rocky Linux 9.3 (Blue Onyx)"),
        ),
    ] {
        let inv = read(name);
        assert!(inv.diagnostics.is_empty(), "{name}: {:?}", inv.diagnostics);
        assert_eq!(inv.packages.len(), 2, "{name}");
        let d = inv.distro.as_ref().unwrap();
        assert_eq!((d.id.as_str(), d.version_id.as_str()), ("rocky", "9.3"));
        assert_eq!(d.ecosystem.as_deref(), Some("Rocky Linux:9"));
        assert_eq!(d.pretty_name.as_deref(), pretty, "{name}");
        let hello = find(&inv, "Rocky Linux", "hello");
        // The purl has the epoch as a qualifier; the model has it in the version.
        assert_eq!(hello.version, "1:0.0.1-rls", "{name}");
        assert_eq!(
            hello.purl,
            "pkg:rpm/rocky/hello@0.0.1-rls?arch=x86_64&distro=rocky-9.3&epoch=1&upstream=hello-0.0.1-rls.src.rpm"
        );
        assert_eq!(hello.source_name.as_deref(), Some("hello"));
        assert_eq!(hello.source_version, None, "same as the binary's");
        assert_eq!(hello.found_by, found_by);
        let dive = find(&inv, "Rocky Linux", "dive");
        assert_eq!(dive.version, "0.9.2-1");
        assert_eq!(dive.arch.as_deref(), Some("x86_64"));
        assert_eq!(dive.licenses, ["MIT"]);
    }
}
