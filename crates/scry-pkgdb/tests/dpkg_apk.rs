//! dpkg, opkg and apk against the real fixtures (values checked by reading the files).

use scry_inventory::{Cataloger, FileInfo, Package, Parsed};
use scry_pkgdb::apk::ApkCataloger;
use scry_pkgdb::dpkg::{DpkgCataloger, OpkgCataloger};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/fixtures"
);

fn run(c: &dyn Cataloger, path: &str, data: &[u8]) -> Parsed {
    let info = FileInfo {
        path,
        size: data.len() as u64,
        executable: false,
    };
    assert!(c.wants(&info), "{} does not want {path}", c.name());
    c.parse(&info, data)
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{rel}")).unwrap()
}

fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
    p.packages
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not found"))
}

#[test]
fn dpkg_ubuntu_bionic() {
    let p = run(
        &DpkgCataloger,
        "var/lib/dpkg/status",
        &fixture("dpkg/ubuntu-bionic.status"),
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    // 91 paragraphs, git is "deinstall ok config-files".
    assert_eq!(p.packages.len(), 90);
    assert!(p.packages.iter().all(|p| p.name != "git"));
    let bsd = find(&p, "bsdutils");
    assert_eq!(bsd.version, "1:2.31.1-0.4ubuntu3.1");
    assert_eq!(bsd.source_name.as_deref(), Some("util-linux"));
    assert_eq!(bsd.source_version.as_deref(), Some("2.31.1-0.4ubuntu3.1"));
    assert_eq!(
        bsd.purl,
        "pkg:deb/debian/bsdutils@1:2.31.1-0.4ubuntu3.1?arch=amd64&upstream=util-linux%402.31.1-0.4ubuntu3.1"
    );
    let mount = find(&p, "mount");
    assert_eq!(mount.source_name.as_deref(), Some("util-linux"));
    assert_eq!(mount.source_version.as_deref(), Some("2.31.1-0.4ubuntu3.1"));
    assert_eq!(
        mount.purl,
        "pkg:deb/debian/mount@2.31.1-0.4ubuntu3.1?arch=amd64&upstream=util-linux"
    );
    let base = find(&p, "base-files");
    assert_eq!(base.source_name.as_deref(), Some("base-files"));
    assert_eq!(base.source_version.as_deref(), Some("10.1ubuntu2.2"));
    assert_eq!(
        base.purl,
        "pkg:deb/debian/base-files@10.1ubuntu2.2?arch=amd64"
    );
    assert_eq!(base.ecosystem, "Debian");
    assert_eq!(base.found_by, "dpkg");
    assert_eq!(base.arch.as_deref(), Some("amd64"));
    assert_eq!(base.location, "var/lib/dpkg/status");
    let lzma = find(&p, "liblzma5");
    assert_eq!(lzma.source_name.as_deref(), Some("xz-utils"));
    assert_eq!(
        lzma.source_version.as_deref(),
        Some("5.1.1alpha+20120614-2")
    );
}

#[test]
fn dpkg_other_status_files() {
    let p = run(
        &DpkgCataloger,
        "var/lib/dpkg/status",
        &fixture("dpkg/texlive.status"),
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.packages.len(), 357);
    let gcc = find(&p, "libgcc1");
    assert_eq!(gcc.version, "1:8.4.0-1ubuntu1~18.04");
    assert_eq!(gcc.source_name.as_deref(), Some("gcc-8"));
    assert_eq!(gcc.source_version.as_deref(), Some("8.4.0-1ubuntu1~18.04"));

    let p = run(
        &DpkgCataloger,
        "var/lib/dpkg/status",
        &fixture("dpkg/postgresql.status"),
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let names: Vec<_> = p.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "postgresql-client",
            "postgresql-client-11",
            "postgresql-client-common"
        ]
    );
    let c = find(&p, "postgresql-client");
    assert_eq!(c.version, "11+200+deb10u5");
    assert_eq!(c.arch.as_deref(), Some("all"));
    assert_eq!(c.source_name.as_deref(), Some("postgresql-common"));
    assert_eq!(c.source_version.as_deref(), Some("200+deb10u5"));
    let c11 = find(&p, "postgresql-client-11");
    assert_eq!(c11.source_name.as_deref(), Some("postgresql-11"));
    assert_eq!(c11.source_version.as_deref(), Some("11.22-0+deb10u2"));
}

#[test]
fn dpkg_status_d() {
    let path = "var/lib/dpkg/status.d/multiple";
    let p = run(&DpkgCataloger, path, &fixture("dpkg/status.d/multiple"));
    let names: Vec<_> = p.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["tzdata", "util-linux"]);
    let tz = find(&p, "tzdata");
    assert_eq!(tz.version, "2020a-0+deb10u1");
    assert_eq!(tz.source_name.as_deref(), Some("tzdata-dev"));
    assert_eq!(
        tz.purl,
        "pkg:deb/debian/tzdata@2020a-0%2Bdeb10u1?arch=all&upstream=tzdata-dev"
    );
    assert_eq!(tz.location, path);
    // "Package:" with no name, and "Package: no-version".
    let reasons: Vec<_> = p.diagnostics.iter().map(|d| d.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "paragraph at line 1: no Package name; skipped",
            "paragraph at line 3: package \"no-version\" has no Version; skipped"
        ]
    );
    assert!(p.diagnostics.iter().all(|d| d.location == path));
}

#[test]
fn dpkg_wants() {
    let info = |path| FileInfo {
        path,
        size: 1,
        executable: false,
    };
    assert!(DpkgCataloger.wants(&info("var/lib/dpkg/status")));
    assert!(DpkgCataloger.wants(&info("var/lib/dpkg/status.d/libc6")));
    assert!(!DpkgCataloger.wants(&info("var/lib/dpkg/status.d/libc6.md5sums")));
    assert!(!DpkgCataloger.wants(&info("var/lib/dpkg/status.d/")));
    assert!(!DpkgCataloger.wants(&info("var/lib/dpkg/status-old")));
    assert!(!DpkgCataloger.wants(&info("var/lib/dpkg/status.d/x/y")));
}

#[test]
fn dpkg_status_without_status_field_and_status_words() {
    let text = "Package: a\nVersion: 1\n\nPackage: b\nStatus: hold ok installed\nVersion: 2\r\n\r\nPackage: c\nStatus: purge ok not-installed\nVersion: 3\n";
    let p = run(&DpkgCataloger, "var/lib/dpkg/status", text.as_bytes());
    let names: Vec<_> = p.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(p.packages[1].version, "2");
}

#[test]
fn dpkg_garbage_never_panics() {
    let data = fixture("dpkg/ubuntu-bionic.status");
    // Truncated mid-paragraph: the last paragraph may lose its Version, nothing panics.
    for n in (0..data.len()).step_by(997) {
        let _ = run(&DpkgCataloger, "var/lib/dpkg/status", &data[..n]);
    }
    let p = run(
        &DpkgCataloger,
        "var/lib/dpkg/status",
        b" orphan continuation\nnot a field\n\xff\xfe:\nPackage: ok\nVersion: 1\n",
    );
    assert_eq!(p.packages.len(), 1);
    assert_eq!(p.diagnostics.len(), 1);
    assert!(
        p.diagnostics[0]
            .reason
            .starts_with("2 line(s) are neither a field nor a continuation (first: line 1"),
        "{:?}",
        p.diagnostics
    );
}

#[test]
fn opkg_status() {
    let p = run(
        &OpkgCataloger,
        "usr/lib/opkg/status",
        &fixture("opkg/status"),
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let names: Vec<_> = p.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ubus", "libuci20130104", "busybox"]);
    let ubus = find(&p, "ubus");
    assert_eq!(ubus.version, "2024.10.20~252a9b0c-r1");
    assert_eq!(ubus.ecosystem, "OpenWrt");
    assert_eq!(ubus.found_by, "opkg");
    assert_eq!(
        ubus.purl,
        "pkg:opkg/openwrt/ubus@2024.10.20~252a9b0c-r1?arch=x86_64"
    );
    assert_eq!(find(&p, "busybox").version, "1.36.1-r2");
}

#[test]
fn apk_trivy() {
    let path = "lib/apk/db/installed";
    let p = run(&ApkCataloger, path, &fixture("apk/trivy-installed"));
    assert_eq!(p.packages.len(), 15);
    assert_eq!(p.diagnostics.len(), 1);
    assert!(p.diagnostics[0]
        .reason
        .contains("package \"invalidPackageWithoutAVersion\" has no version (V:); skipped"));
    let musl = find(&p, "musl");
    assert_eq!(musl.version, "1.1.14-r10");
    assert_eq!(musl.purl, "pkg:apk/alpine/musl@1.1.14-r10?arch=x86_64");
    assert_eq!(musl.licenses, vec!["MIT".to_string()]);
    assert_eq!(musl.ecosystem, "Alpine");
    assert_eq!(musl.found_by, "apk");
    let test = find(&p, "test");
    assert_eq!(test.version, "2.9.11_pre20061021-r2");
    assert_eq!(test.source_name.as_deref(), Some("test-parent"));
    assert_eq!(
        test.purl,
        "pkg:apk/alpine/test@2.9.11_pre20061021-r2?arch=x86_64&upstream=test-parent"
    );
    let ada = find(&p, "ada-libs");
    assert_eq!(
        ada.licenses,
        vec!["( Apache-2.0 OR MIT ) AND MPL-2.0".to_string()]
    );
}

#[test]
fn apk_others() {
    let p = run(
        &ApkCataloger,
        "lib/apk/db/installed",
        &fixture("apk/scalibr-installed"),
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.packages.len(), 15);
    let ssl = find(&p, "libssl3");
    assert_eq!(ssl.version, "3.1.0-r4");
    assert_eq!(ssl.source_name.as_deref(), Some("openssl"));
    assert_eq!(ssl.source_version.as_deref(), Some("3.1.0-r4"));
    assert_eq!(ssl.arch.as_deref(), Some("x86_64"));

    let p = run(
        &ApkCataloger,
        "lib/apk/db/installed",
        &fixture("apk/syft-multiple-installed"),
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.packages.len(), 14);
    assert_eq!(find(&p, "libcrypto1.1").version, "1.1.1q-r0");
    assert_eq!(
        find(&p, "scanelf").source_name.as_deref(),
        Some("pax-utils")
    );
}

#[test]
fn apk_garbage() {
    let data = fixture("apk/scalibr-installed");
    for n in (0..data.len()).step_by(331) {
        let _ = run(&ApkCataloger, "lib/apk/db/installed", &data[..n]);
    }
    let p = run(
        &ApkCataloger,
        "lib/apk/db/installed",
        "V:1.0\nA:x86_64\n\nno colon here\n\u{e9}:x\nP:ok\nV:2\n".as_bytes(),
    );
    assert_eq!(p.packages.len(), 1);
    let reasons: Vec<_> = p.diagnostics.iter().map(|d| d.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "2 line(s) are not \"X:value\" (first: line 4: \"no colon here\"); ignored",
            "record at line 1: no package name (P:); skipped"
        ]
    );
}
