//! `go-binary` on the real fixtures (verified with `go version -m`), on Go 1.19 PE and
//! Mach-O builds made for these tests (tests/data/README.md), and on broken input.

use std::io::Read;

use scry_binary::GoBinaryCataloger;
use scry_inventory::{Cataloger, FileInfo, Parsed};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/fixtures"
);

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{rel}")).unwrap()
}

fn gunzip(rel: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{rel}", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn parse(path: &str, bytes: &[u8]) -> Parsed {
    let info = FileInfo {
        path,
        size: bytes.len() as u64,
        executable: true,
    };
    assert!(GoBinaryCataloger.wants(&info));
    GoBinaryCataloger.parse(&info, bytes)
}

fn triples(p: &Parsed) -> Vec<(&str, &str, &str)> {
    p.packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.purl.as_str()))
        .collect()
}

#[test]
fn old_pointer_format_go_1_15() {
    // go1.15.2; main module (devel) skipped; three deps.
    let p = parse("usr/bin/test", &fixture("go/trivy-test.elf"));
    assert_eq!(p.diagnostics, []);
    assert_eq!(
        triples(&p),
        [
            ("stdlib", "1.15.2", "pkg:golang/stdlib@1.15.2"),
            (
                "github.com/aquasecurity/go-pep440-version",
                "v0.0.0-20210121094942-22b2f8951d46",
                "pkg:golang/github.com/aquasecurity/go-pep440-version@v0.0.0-20210121094942-22b2f8951d46"
            ),
            (
                "github.com/aquasecurity/go-version",
                "v0.0.0-20210121072130-637058cfe492",
                "pkg:golang/github.com/aquasecurity/go-version@v0.0.0-20210121072130-637058cfe492"
            ),
            (
                "golang.org/x/xerrors",
                "v0.0.0-20200804184101-5ec99f83aff1",
                "pkg:golang/golang.org/x/xerrors@v0.0.0-20200804184101-5ec99f83aff1"
            ),
        ]
    );
    for pkg in &p.packages {
        assert_eq!(pkg.ecosystem, "Go");
        assert_eq!(pkg.found_by, "go-binary");
        assert_eq!(pkg.location, "usr/bin/test");
        assert_eq!(pkg.layer, None);
    }
}

#[test]
fn inline_format_with_replacement_go_1_22() {
    // dep golang.org/x/xerrors => github.com/golang/xerrors: the replacement wins.
    let p = parse("app/bin", &fixture("go/module-replacement-linux-amd64"));
    assert_eq!(p.diagnostics, []);
    assert_eq!(
        triples(&p),
        [
            ("stdlib", "1.22.0", "pkg:golang/stdlib@1.22.0"),
            (
                "github.com/golang/xerrors",
                "v0.0.0-20220907171357-04be3eba64a2",
                "pkg:golang/github.com/golang/xerrors@v0.0.0-20220907171357-04be3eba64a2"
            ),
        ]
    );
}

#[test]
fn pe_and_macho_builds() {
    // main module (devel) and the dep replaced by ./dep are not reported: stdlib only.
    for (name, path) in [
        ("hello-windows-amd64.gz", "app/hello.exe"),
        ("hello-darwin-arm64.gz", "usr/local/bin/hello"),
    ] {
        let bytes = gunzip(name);
        let p = parse(path, &bytes);
        assert_eq!(p.diagnostics, [], "{name}");
        assert_eq!(
            triples(&p),
            [("stdlib", "1.19.8", "pkg:golang/stdlib@1.19.8")],
            "{name}"
        );
    }
}

#[test]
fn fat_macho() {
    let thin = gunzip("hello-darwin-arm64.gz");
    // fat_header + two fat_arch entries pointing to the same 16 KiB-aligned slice.
    let offset: u32 = 0x4000;
    let mut fat = vec![0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2];
    for cpu in [0x0100_000c_u32, 0x0100_0007] {
        fat.extend_from_slice(&cpu.to_be_bytes());
        fat.extend_from_slice(&0u32.to_be_bytes());
        fat.extend_from_slice(&offset.to_be_bytes());
        fat.extend_from_slice(&(thin.len() as u32).to_be_bytes());
        fat.extend_from_slice(&14u32.to_be_bytes());
    }
    fat.resize(offset as usize, 0);
    fat.extend_from_slice(&thin);
    let p = parse("usr/local/bin/hello", &fat);
    assert_eq!(p.diagnostics, []);
    assert_eq!(
        triples(&p),
        [("stdlib", "1.19.8", "pkg:golang/stdlib@1.19.8")]
    );
}

#[test]
fn non_go_files_give_nothing() {
    for rel in [
        "rust/cargo-auditable-uses_serde_json",
        "rust/trivy-auditable.elf",
        "java/guava-31.1-jre.jar",
        "rust/Cargo.lock",
    ] {
        let p = parse("usr/bin/x", &fixture(rel));
        assert_eq!(p, Parsed::default(), "{rel}");
    }
    assert_eq!(parse("usr/bin/x", b""), Parsed::default());
    assert_eq!(parse("usr/bin/x", b"\x7fELF"), Parsed::default());
}

#[test]
fn truncated_inline_build_info() {
    // Cut inside the module information (which starts at 0x13a035): the ELF section table
    // is gone with the tail, so the whole file is scanned; the version still reads.
    let bytes = fixture("go/module-replacement-linux-amd64");
    let p = parse("bin/cut", &bytes[..0x13a080]);
    assert_eq!(
        triples(&p),
        [("stdlib", "1.22.0", "pkg:golang/stdlib@1.22.0")]
    );
    assert_eq!(p.diagnostics.len(), 1);
    assert_eq!(p.diagnostics[0].location, "bin/cut");
    assert!(
        p.diagnostics[0]
            .reason
            .contains("module information: 586 bytes announced, 85 left"),
        "{:?}",
        p.diagnostics
    );
}

#[test]
fn truncated_pointer_build_info() {
    // Old format, but the file ends right after the header: addresses cannot be resolved.
    let bytes = fixture("go/trivy-test.elf");
    let p = parse("bin/cut", &bytes[..0x19e020]);
    assert_eq!(p.packages, []);
    assert_eq!(p.diagnostics.len(), 1);
    assert!(
        p.diagnostics[0].reason.contains("pointer-based"),
        "{:?}",
        p.diagnostics
    );
}

#[test]
fn dangling_pointer_keeps_the_rest() {
    // The toolchain version pointer points nowhere; the modules still read.
    let mut bytes = fixture("go/trivy-test.elf");
    bytes[0x19e010..0x19e018].copy_from_slice(&0xdead_beef_u64.to_le_bytes());
    let p = parse("bin/x", &bytes);
    assert_eq!(p.packages.len(), 3);
    assert!(p.packages.iter().all(|p| p.name != "stdlib"));
    assert_eq!(p.diagnostics.len(), 1);
    assert!(
        p.diagnostics[0]
            .reason
            .contains("toolchain version: string header address 0xdeadbeef is not in the file"),
        "{:?}",
        p.diagnostics
    );
}

/// A hand-made big-endian 32-bit ELF with one writable PT_LOAD segment (no section table)
/// holding an old-format build information block: 4-byte big-endian pointers.
#[test]
fn old_format_big_endian_32_bit() {
    const BASE: u32 = 0x1_0000;
    let version = b"go1.16.5";
    let modinfo = b"0123456789abcdefpath\tx\nmod\tx\tv1.0.0\th1:a\ndep\tgopkg.in/yaml.v2\tv2.4.0\th1:b\n\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";
    let mut f = Vec::new();
    f.extend_from_slice(b"\x7fELF\x01\x02\x01");
    f.resize(16, 0);
    for half in [2u16, 8] {
        f.extend_from_slice(&half.to_be_bytes()); // e_type EXEC, e_machine MIPS
    }
    for word in [1u32, 0, 52, 0, 0] {
        f.extend_from_slice(&word.to_be_bytes()); // version, entry, phoff, shoff, flags
    }
    for half in [52u16, 32, 1, 40, 0, 0] {
        f.extend_from_slice(&half.to_be_bytes()); // ehsize, phentsize, phnum, shentsize...
    }
    let phdr_at = f.len();
    f.resize(phdr_at + 32, 0);
    f.resize(96, 0);
    // Header at 96: magic, pointer size 4, flags big-endian, then two pointers.
    f.extend_from_slice(b"\xff Go buildinf:\x04\x01");
    f.extend_from_slice(&(BASE + 128).to_be_bytes());
    f.extend_from_slice(&(BASE + 136).to_be_bytes());
    f.resize(128, 0);
    let strings_at = 144u32;
    f.extend_from_slice(&(BASE + strings_at).to_be_bytes());
    f.extend_from_slice(&(version.len() as u32).to_be_bytes());
    f.extend_from_slice(&(BASE + strings_at + version.len() as u32).to_be_bytes());
    f.extend_from_slice(&(modinfo.len() as u32).to_be_bytes());
    f.extend_from_slice(version);
    f.extend_from_slice(modinfo);
    let len = f.len() as u32;
    let mut phdr = Vec::new();
    for word in [1u32, 0, BASE, BASE, len, len, 6, 0x1000] {
        phdr.extend_from_slice(&word.to_be_bytes());
    }
    f[phdr_at..phdr_at + 32].copy_from_slice(&phdr);

    let p = parse("usr/sbin/tool", &f);
    assert_eq!(p.diagnostics, []);
    assert_eq!(
        triples(&p),
        [
            ("stdlib", "1.16.5", "pkg:golang/stdlib@1.16.5"),
            ("x", "v1.0.0", "pkg:golang/x@v1.0.0"),
            (
                "gopkg.in/yaml.v2",
                "v2.4.0",
                "pkg:golang/gopkg.in/yaml.v2@v2.4.0"
            ),
        ]
    );
}

#[test]
fn wants() {
    let c = GoBinaryCataloger;
    let f = |path, executable, size| FileInfo {
        path,
        size,
        executable,
    };
    assert!(c.wants(&f("app/server", true, 10)));
    assert!(c.wants(&f("usr/local/bin/helm", false, 10)));
    assert!(!c.wants(&f("usr/share/doc/README", false, 10)));
    assert!(!c.wants(&f("app/server", true, 257 << 20)));
    assert_eq!(c.max_size(), 256 << 20);
}
