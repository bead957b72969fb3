//! `rust-audit` on the real cargo-auditable fixtures (section contents verified by
//! decompressing them with Python's zlib), and on altered copies of them.

use std::io::Write;

use object::{Object, ObjectSection};
use scry_binary::RustAuditCataloger;
use scry_inventory::{Cataloger, FileInfo, Parsed};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/fixtures"
);

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{rel}")).unwrap()
}

fn parse(path: &str, bytes: &[u8]) -> Parsed {
    let info = FileInfo {
        path,
        size: bytes.len() as u64,
        executable: true,
    };
    assert!(RustAuditCataloger.wants(&info));
    RustAuditCataloger.parse(&info, bytes)
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The serde_json fixture with its .dep-v0 section (0xed bytes) overwritten by `content`
/// (zero-padded).
fn with_section(content: &[u8]) -> Vec<u8> {
    let mut bytes = fixture("rust/cargo-auditable-uses_serde_json");
    let (off, size) = {
        let f = object::File::parse(&*bytes).unwrap();
        let s = f.section_by_name(".dep-v0").unwrap();
        s.file_range().unwrap()
    };
    let (off, size) = (off as usize, size as usize);
    assert!(content.len() <= size, "{} > {size}", content.len());
    bytes[off..off + size].fill(0);
    bytes[off..off + content.len()].copy_from_slice(content);
    bytes
}

#[test]
fn uses_serde_json() {
    // 11 packages: 10 from crates.io, the root `uses_json` 0.1.0 is local.
    let p = parse(
        "usr/bin/uses_json",
        &fixture("rust/cargo-auditable-uses_serde_json"),
    );
    assert_eq!(p.diagnostics, []);
    let got: Vec<_> = p
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("itoa", "1.0.14"),
            ("memchr", "2.7.4"),
            ("proc-macro2", "1.0.92"),
            ("quote", "1.0.38"),
            ("ryu", "1.0.18"),
            ("serde", "1.0.217"),
            ("serde_derive", "1.0.217"),
            ("serde_json", "1.0.135"),
            ("syn", "2.0.95"),
            ("unicode-ident", "1.0.14"),
        ]
    );
    let serde_json = &p.packages[7];
    assert_eq!(serde_json.purl, "pkg:cargo/serde_json@1.0.135");
    assert_eq!(serde_json.ecosystem, "crates.io");
    assert_eq!(serde_json.found_by, "rust-audit");
    assert_eq!(serde_json.location, "usr/bin/uses_json");
}

#[test]
fn only_local_crates() {
    // crate_with_features (root) and library_crate, both local: nothing to report.
    let p = parse("app/test", &fixture("rust/trivy-auditable.elf"));
    assert_eq!(p, Parsed::default());
}

#[test]
fn sources_and_kinds() {
    let json = br#"{"packages":[
        {"name":"app","version":"1.0.0","source":"crates.io","root":true},
        {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"},
        {"name":"forked","version":"0.3.1","source":"git","kind":"runtime"},
        {"name":"","version":"1.0.0","source":"crates.io"},
        {"name":"mine","version":"0.1.0","source":"local"}]}"#;
    let p = parse("bin/app", &with_section(&zlib(json)));
    let got: Vec<_> = p
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.purl.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("app", "1.0.0", "pkg:cargo/app@1.0.0"),
            ("forked", "0.3.1", "pkg:cargo/forked@0.3.1"),
        ]
    );
    let reasons: Vec<_> = p.diagnostics.iter().map(|d| d.reason.as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].contains("forked 0.3.1 comes from source \"git\""));
    assert!(reasons[1].contains("without name or version"));
}

#[test]
fn corrupt_sections() {
    let p = parse("bin/a", &with_section(b"garbage, not zlib"));
    assert_eq!(p.packages, []);
    assert_eq!(p.diagnostics.len(), 1);
    assert!(p.diagnostics[0]
        .reason
        .contains("cannot decompress the .dep-v0 section"));

    let p = parse("bin/a", &with_section(&zlib(b"{\"packages\": 7}")));
    assert_eq!(p.packages, []);
    assert!(p.diagnostics[0].reason.contains("not the expected JSON"));

    // A zlib bomb: 16 MiB of spaces compresses to ~16 KiB, far more than the section holds,
    // so the stream is cut: still a clean diagnostic.
    let bomb = zlib(&vec![b' '; 16 << 20]);
    let p = parse("bin/a", &with_section(&bomb[..0xed]));
    assert_eq!(p.packages, []);
    assert_eq!(p.diagnostics.len(), 1);
}

#[test]
fn truncated_and_foreign_files() {
    let bytes = fixture("rust/cargo-auditable-uses_serde_json");
    let p = parse("bin/cut", &bytes[..4096]);
    assert_eq!(p.packages, []);
    assert_eq!(p.diagnostics.len(), 1);
    assert!(p.diagnostics[0]
        .reason
        .contains("executable headers cannot be read"));
    // A Go binary: no section, nothing said. A script: not even opened.
    assert_eq!(
        parse("bin/go", &fixture("go/trivy-test.elf")),
        Parsed::default()
    );
    assert_eq!(parse("bin/sh", b"#!/bin/sh\necho\n"), Parsed::default());
}
