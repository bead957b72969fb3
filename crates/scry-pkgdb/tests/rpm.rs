//! RPM databases: the three formats against the real fixtures.

use scry_inventory::{Cataloger, FileInfo, Parsed};
use scry_pkgdb::rpm::{read_headers, Format, RpmCataloger};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata");

fn bytes(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{TESTDATA}/{rel}")).unwrap()
}

fn parse(format: Format, path: &str, data: &[u8]) -> Parsed {
    let c = RpmCataloger::new(format);
    let info = FileInfo {
        path,
        size: data.len() as u64,
        executable: false,
    };
    assert!(c.wants(&info), "{path}");
    c.parse(&info, data)
}

/// Every row of expected.tsv (name, epoch, version, release, arch, sourcerpm, vendor)
/// against the headers read from the database. The TSV says `0` for an absent epoch.
fn check_expected(dir: &str, file: &str, format: Format) {
    let expected = String::from_utf8(bytes(&format!("rpmdb/{dir}/expected.tsv"))).unwrap();
    let expected: Vec<Vec<String>> = expected
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    let read = read_headers(format, &bytes(&format!("rpmdb/{dir}/{file}")));
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let mut got: Vec<Vec<String>> = read
        .headers
        .iter()
        .map(|h| {
            vec![
                h.name.clone(),
                h.epoch.unwrap_or(0).to_string(),
                h.version.clone(),
                h.release.clone(),
                h.arch.clone().unwrap_or_default(),
                h.sourcerpm.clone().unwrap_or_default(),
                h.vendor.clone().unwrap_or_default(),
            ]
        })
        .collect();
    // expected.tsv is sorted by name; the databases are in install order.
    got.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(got.len(), expected.len(), "{dir}: row count");
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e, "{dir}");
    }
}

#[test]
fn sqlite_cbl_mariner_matches_expected_tsv() {
    check_expected("cbl-mariner-2.0", "rpmdb.sqlite", Format::Sqlite);
}

#[test]
fn bdb_libuuid_matches_expected_tsv() {
    check_expected("libuuid-bdb", "Packages", Format::Bdb);
}

#[test]
fn ndb_sle15_matches_expected_tsv() {
    check_expected("sle15-bci-ndb", "Packages.db", Format::Ndb);
}

fn find<'a>(p: &'a Parsed, name: &str) -> &'a scry_inventory::Package {
    p.packages
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not found"))
}

#[test]
fn sqlite_cataloger_packages() {
    let data = bytes("rpmdb/cbl-mariner-2.0/rpmdb.sqlite");
    let p = parse(Format::Sqlite, "var/lib/rpm/rpmdb.sqlite", &data);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.packages.len(), 129);
    let ca = find(&p, "ca-certificates-base");
    assert_eq!(ca.version, "1:2.0.0-1.cm2");
    assert_eq!(
        ca.purl,
        "pkg:rpm/redhat/ca-certificates-base@2.0.0-1.cm2?arch=noarch&epoch=1"
    );
    assert_eq!(ca.source_name.as_deref(), Some("ca-certificates"));
    assert_eq!(ca.source_version.as_deref(), Some("1:2.0.0-1.cm2"));
    assert_eq!(ca.licenses, vec!["MPLv2.0".to_string()]);
    assert_eq!(ca.found_by, "rpm-sqlite");
    assert_eq!(ca.ecosystem, "Red Hat");
    assert_eq!(ca.location, "var/lib/rpm/rpmdb.sqlite");
    let bash = find(&p, "bash");
    assert_eq!(bash.version, "5.1.8-1.cm2");
    assert_eq!(bash.purl, "pkg:rpm/redhat/bash@5.1.8-1.cm2?arch=x86_64");
    assert_eq!(bash.arch.as_deref(), Some("x86_64"));
    assert_eq!(bash.licenses, vec!["GPLv3".to_string()]);
    assert_eq!(bash.source_version.as_deref(), Some("5.1.8-1.cm2"));
}

#[test]
fn ndb_cataloger_packages() {
    let data = bytes("rpmdb/sle15-bci-ndb/Packages.db");
    let p = parse(Format::Ndb, "usr/lib/sysimage/rpm/Packages.db", &data);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.packages.len(), 35);
    let fm = find(&p, "file-magic");
    assert_eq!(fm.version, "5.32-7.14.1");
    assert_eq!(fm.source_name.as_deref(), Some("file"));
    assert_eq!(fm.found_by, "rpm-ndb");
    let c = RpmCataloger::new(Format::Ndb).with_namespace("suse");
    let info = FileInfo {
        path: "var/lib/rpm/Packages.db",
        size: data.len() as u64,
        executable: false,
    };
    let p = c.parse(&info, &data);
    assert_eq!(
        find(&p, "bash").purl,
        "pkg:rpm/suse/bash@4.4-19.6.1?arch=x86_64"
    );
}

/// Fixtures checked with `rpm --dbpath <copy> --define '_db_backend bdb_ro' -qa`.
#[test]
fn bdb_fixtures() {
    let p = parse(
        Format::Bdb,
        "var/lib/rpm/Packages",
        &bytes("fixtures/rpm/Packages_epoch-bdb"),
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.packages.len(), 1);
    let h = &p.packages[0];
    assert_eq!(
        (h.name.as_str(), h.version.as_str()),
        ("hello", "1:0.0.1-rls")
    );
    assert_eq!(h.purl, "pkg:rpm/redhat/hello@0.0.1-rls?arch=x86_64&epoch=1");
    assert_eq!(h.source_name.as_deref(), Some("hello"));
    assert_eq!(h.licenses, vec!["GPL".to_string()]);

    let p = parse(
        Format::Bdb,
        "var/lib/rpm/Packages",
        &bytes("fixtures/rpm/syft-Packages-bdb"),
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.packages.len(), 1);
    let d = &p.packages[0];
    assert_eq!((d.name.as_str(), d.version.as_str()), ("dive", "0.9.2-1"));
    assert_eq!(d.purl, "pkg:rpm/redhat/dive@0.9.2-1?arch=x86_64");
    assert_eq!(d.licenses, vec!["MIT".to_string()]);

    let p = parse(
        Format::Bdb,
        "var/lib/rpm/Packages",
        &bytes("rpmdb/libuuid-bdb/Packages"),
    );
    assert_eq!(p.packages.len(), 1);
    let u = &p.packages[0];
    assert_eq!(u.version, "2.32.1-42.el8_8");
    assert_eq!(u.source_name.as_deref(), Some("util-linux"));
    assert_eq!(u.source_version.as_deref(), Some("2.32.1-42.el8_8"));
    assert_eq!(u.licenses, vec!["BSD".to_string()]);
}

/// Truncations and byte flips of the real databases: never a panic, and a damaged file says
/// why.
#[test]
fn damaged_real_databases() {
    for (format, rel, path) in [
        (
            Format::Bdb,
            "rpmdb/libuuid-bdb/Packages",
            "var/lib/rpm/Packages",
        ),
        (
            Format::Ndb,
            "rpmdb/sle15-bci-ndb/Packages.db",
            "var/lib/rpm/Packages.db",
        ),
    ] {
        let data = bytes(rel);
        let step = (data.len() / 97).max(1);
        for n in (0..data.len()).step_by(step) {
            let p = parse(format, path, &data[..n]);
            assert!(!p.diagnostics.is_empty(), "{rel} cut at {n}: no diagnostic");
        }
        let mut seed = 0x2545_f491_u32;
        for _ in 0..300 {
            let mut d = data.clone();
            for _ in 0..8 {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let i = seed as usize % d.len();
                d[i] = (seed >> 8) as u8;
            }
            let _ = parse(format, path, &d);
        }
    }
    // libuuid's header spans 20 overflow pages: cutting the file inside them loses it.
    // Cut after page 21 of 23: the chain runs off the end.
    let data = bytes("rpmdb/libuuid-bdb/Packages");
    let p = parse(Format::Bdb, "var/lib/rpm/Packages", &data[..4096 * 10]);
    assert!(p.packages.is_empty());
    assert!(p
        .diagnostics
        .iter()
        .any(|d| d.reason.contains("value length") && d.reason.contains("larger than the file")));
    assert!(p.diagnostics.iter().any(|d| d.reason.contains("truncated")));
    let p = parse(Format::Bdb, "var/lib/rpm/Packages", &data[..4096 * 21]);
    assert!(p.packages.is_empty());
    assert!(
        p.diagnostics
            .iter()
            .any(|d| d.reason.contains("overflow page 21 is past the end")),
        "{:?}",
        p.diagnostics
    );
}

#[test]
fn damaged_sqlite() {
    let data = bytes("rpmdb/cbl-mariner-2.0/rpmdb.sqlite");
    let p = parse(Format::Sqlite, "var/lib/rpm/rpmdb.sqlite", &data[..10]);
    assert!(p.diagnostics[0].reason.contains("not an SQLite database"));
    // Cut to its first pages: SQLite reports the damage, nothing panics.
    for n in [100, 4096, 65536, data.len() / 2] {
        let p = parse(Format::Sqlite, "var/lib/rpm/rpmdb.sqlite", &data[..n]);
        assert!(!p.diagnostics.is_empty(), "cut at {n}");
    }
    // A database without the Packages table.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE Other(x); INSERT INTO Other VALUES (1);")
        .unwrap();
    drop(conn);
    let other = std::fs::read(&path).unwrap();
    let p = parse(Format::Sqlite, "var/lib/rpm/rpmdb.sqlite", &other);
    assert!(
        p.diagnostics[0].reason.contains("Packages"),
        "{:?}",
        p.diagnostics
    );
    // A Packages row whose blob is text, next to a bad header.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL);
         INSERT INTO Packages VALUES (1, 'text'), (2, x'0000000100000000');",
    )
    .unwrap();
    drop(conn);
    let rows = std::fs::read(&path).unwrap();
    let p = parse(Format::Sqlite, "var/lib/rpm/rpmdb.sqlite", &rows);
    assert!(p.packages.is_empty());
    let reasons: Vec<&str> = p.diagnostics.iter().map(|d| d.reason.as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].contains("hnum=1") && reasons[0].contains("not a blob"));
    assert!(reasons[1].contains("hnum=2") && reasons[1].contains("declares 1 entries"));
}

/// Databases that would make SQLite compute endless rows or huge values are refused.
#[test]
fn hostile_sqlite_schemas() {
    for (schema, reason) in [
        (
            "CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
             SELECT x AS hnum, zeroblob(16) AS blob FROM c;",
            "Packages is a view, not an ordinary table",
        ),
        (
            "CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, n INT, \
             blob BLOB AS (zeroblob(n)) VIRTUAL); INSERT INTO Packages(hnum, n) VALUES (1, 900000000);",
            "Packages column blob is computed, not stored",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sqlite");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(schema).unwrap();
        drop(conn);
        let data = std::fs::read(&path).unwrap();
        let p = parse(Format::Sqlite, "var/lib/rpm/rpmdb.sqlite", &data);
        assert!(p.packages.is_empty());
        assert_eq!(p.diagnostics.len(), 1);
        assert!(p.diagnostics[0].reason.contains(reason), "{:?}", p.diagnostics);
    }
}
