//! Matching tests: OSV evaluation rules on small records, and real Go vulndb records.

use scry_advisory::Advisory;
use scry_match::{merge_by_alias, FixState, Index, IndexBuilder, Match, Query};
use scry_version::Scheme;

fn index(records: &[&str]) -> Index {
    let mut b = IndexBuilder::new();
    for r in records {
        let adv: Advisory = serde_json::from_str(r).expect("test record parses");
        b.add(&adv);
    }
    b.finish()
}

fn query(idx: &Index, ecosystem: &str, name: &str, version: &str) -> Vec<Match> {
    let q = Query {
        ecosystem,
        name,
        version,
        ..Query::default()
    };
    let m = idx.query(&q);
    let direct = merge_by_alias(idx, &m.hits, Scheme::for_ecosystem(ecosystem));
    // The stored answers (where the query can use them) agree with the direct path.
    let v = idx.vulnerabilities(&q);
    let stored: Vec<Match> = v.merged.iter().map(|m| m.to_match()).collect();
    assert_eq!(stored, direct, "{ecosystem} {name} {version}");
    assert_eq!(v.version_error, m.version_error);
    direct
}

#[track_caller]
fn check(idx: &Index, ecosystem: &str, name: &str, version: &str, expected: &[(&str, FixState)]) {
    let got: Vec<(String, FixState)> = query(idx, ecosystem, name, version)
        .into_iter()
        .map(|m| (m.id, m.fix))
        .collect();
    let expected: Vec<(String, FixState)> = expected
        .iter()
        .map(|(i, f)| (i.to_string(), f.clone()))
        .collect();
    assert_eq!(got, expected, "{ecosystem} {name} {version}");
}

fn fixed(v: &str) -> FixState {
    FixState::Fixed(v.to_string())
}

const TWO_BRANCHES: &str = r#"{"id":"PYSEC-2021-335","modified":"2021-01-01T00:00:00Z",
  "aliases":["CVE-2021-32811"],
  "affected":[{"package":{"ecosystem":"PyPI","name":"AccessControl"},
    "ranges":[{"type":"GIT","repo":"x","events":[{"introduced":"0"},{"fixed":"b42dd4b"}]},
              {"type":"ECOSYSTEM","events":[{"introduced":"5.0"},{"fixed":"5.2"},{"introduced":"4.0"},{"fixed":"4.3"}]}],
    "versions":["4.0","4.1","4.2"]}]}"#;

#[test]
fn ranges_with_two_branches_and_unsorted_events() {
    let idx = index(&[TWO_BRANCHES]);
    check(&idx, "PyPI", "accesscontrol", "3.9", &[]);
    check(
        &idx,
        "PyPI",
        "accesscontrol",
        "4.0",
        &[("CVE-2021-32811", fixed("4.3"))],
    );
    check(
        &idx,
        "PyPI",
        "AccessControl",
        "4.2.1",
        &[("CVE-2021-32811", fixed("4.3"))],
    );
    check(&idx, "PyPI", "access_control", "4.2.1", &[]); // a different PEP 503 name
    check(&idx, "PyPI", "accesscontrol", "4.3", &[]);
    check(&idx, "PyPI", "accesscontrol", "4.5", &[]);
    check(
        &idx,
        "PyPI",
        "accesscontrol",
        "5.1",
        &[("CVE-2021-32811", fixed("5.2"))],
    );
    check(&idx, "PyPI", "accesscontrol", "5.2", &[]);
    check(
        &idx,
        "PyPI",
        "accesscontrol",
        "5.2rc1",
        &[("CVE-2021-32811", fixed("5.2"))],
    );
}

#[test]
fn last_affected_limit_and_explicit_versions() {
    let idx = index(&[
        r#"{"id":"GHSA-aaaa","modified":"2021-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"left-pad"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"last_affected":"1.2.0"}]}]}]}"#,
        r#"{"id":"GHSA-bbbb","modified":"2021-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"left-pad"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"limit":"0.5.0"}]}], "versions":["9.9.9"]}]}"#,
    ]);
    check(
        &idx,
        "npm",
        "left-pad",
        "1.2.0",
        &[("GHSA-aaaa", FixState::NotFixed)],
    );
    check(&idx, "npm", "left-pad", "1.2.1", &[]);
    check(
        &idx,
        "npm",
        "left-pad",
        "0.4.9",
        &[("GHSA-bbbb", FixState::NotFixed)],
    );
    check(&idx, "npm", "left-pad", "0.5.0", &[]);
    check(
        &idx,
        "npm",
        "left-pad",
        "9.9.9",
        &[("GHSA-bbbb", FixState::NotFixed)],
    );
}

#[test]
fn aliases_merge_transitively_and_fix_is_the_smallest_above_installed() {
    let idx = index(&[
        r#"{"id":"GO-2022-0001","modified":"2022-01-01T00:00:00Z","aliases":["GHSA-xxxx"],
            "affected":[{"package":{"ecosystem":"Go","name":"golang.org/x/net"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.7.0"}]}]}]}"#,
        r#"{"id":"GHSA-xxxx","modified":"2022-01-01T00:00:00Z","aliases":["CVE-2022-41723"],
            "affected":[{"package":{"ecosystem":"Go","name":"golang.org/x/net"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.8.0"}]}]}]}"#,
        r#"{"id":"GO-2099-0002","modified":"2022-01-01T00:00:00Z","withdrawn":"2022-02-01T00:00:00Z",
            "affected":[{"package":{"ecosystem":"Go","name":"golang.org/x/net"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#,
    ]);
    let got = query(&idx, "Go", "golang.org/x/net", "v0.6.0");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].id, "CVE-2022-41723");
    assert_eq!(got[0].aliases, ["GHSA-xxxx", "GO-2022-0001"]);
    assert_eq!(got[0].fix, fixed("0.7.0"));
    // Withdrawn advisories are not indexed at all.
    assert_eq!(idx.advisory_count(), 2);
}

const DEBIAN: &str = r#"{"id":"DEBIAN-CVE-2023-0001","modified":"2023-01-01T00:00:00Z","aliases":["CVE-2023-0001"],
  "affected":[
   {"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u1"}]}]},
   {"package":{"ecosystem":"Debian:11","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}],
    "ecosystem_specific":{"status":"no-dsa"}},
   {"package":{"ecosystem":"Debian:13","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#;

#[test]
fn distro_entries_match_by_source_package_and_release() {
    let idx = index(&[DEBIAN]);
    // libssl3 is built from the openssl source package.
    let q = |eco: &'static str, version: &'static str| Query {
        ecosystem: eco,
        name: "libssl3",
        version: "9:9",
        source_name: Some("openssl"),
        source_version: Some(version),
    };
    let ids = |q: Query<'_>| {
        let m = idx.query(&q);
        merge_by_alias(&idx, &m.hits, Scheme::for_ecosystem(q.ecosystem))
            .into_iter()
            .map(|m| (m.id, m.fix))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(q("Debian:12", "3.0.9-1")),
        [("CVE-2023-0001".into(), fixed("3.0.11-1~deb12u1"))]
    );
    assert_eq!(ids(q("Debian:12", "3.0.11-1~deb12u1")), []);
    assert_eq!(
        ids(q("Debian:11", "1.1.1n-0+deb11u5")),
        [("CVE-2023-0001".into(), FixState::WontFix)]
    );
    assert_eq!(
        ids(q("Debian:13", "3.0.11-1")),
        [("CVE-2023-0001".into(), FixState::NotFixed)]
    );
    // Another release, or a package matched by its binary name only, does not match.
    assert_eq!(ids(q("Debian:10", "1.1.0")), []);
    check(&idx, "Debian:12", "libssl3", "3.0.9-1", &[]);
}

#[test]
fn alpine_release_of_a_host_matches_the_branch() {
    let idx = index(&[
        r#"{"id":"ALPINE-v3.19-CVE-2024-1","modified":"1970-01-01T00:00:00Z","aliases":["CVE-2024-1"],
        "affected":[{"package":{"ecosystem":"Alpine:v3.19","name":"busybox"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.36.1-r16"}]}]}]}"#,
    ]);
    check(
        &idx,
        "Alpine:3.19.1",
        "busybox",
        "1.36.1-r15",
        &[("CVE-2024-1", fixed("1.36.1-r16"))],
    );
    check(&idx, "Alpine:v3.19", "busybox", "1.36.1-r16", &[]);
    check(&idx, "Alpine:v3.18", "busybox", "1.36.1-r15", &[]);
}

#[test]
fn invalid_installed_version_is_reported_not_panicked() {
    let idx = index(&[TWO_BRANCHES]);
    let m = idx.query(&Query {
        ecosystem: "PyPI",
        name: "accesscontrol",
        version: "not a version!",
        ..Query::default()
    });
    assert!(m.hits.is_empty());
    assert!(m.version_error.is_some());
    // An explicitly listed version still matches by string even when ranges are skipped.
    let m = idx.query(&Query {
        ecosystem: "PyPI",
        name: "accesscontrol",
        version: "4.1",
        ..Query::default()
    });
    assert_eq!(m.hits.len(), 1);
}

/// Real records: every Go vulndb report for golang.org/x/net, queried at an old version.
#[test]
fn real_go_vulndb_golang_org_x_net() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vulndata/osv-go"
    );
    let mut b = IndexBuilder::new();
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("shared/vulndata/osv-go is beside the repository") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json")
            && path.file_name().unwrap() != "PROVENANCE.tsv"
        {
            let adv: Advisory = serde_json::from_slice(&std::fs::read(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            b.add(&adv);
            n += 1;
        }
    }
    assert!(n > 4000);
    let idx = b.finish();
    let got = query(
        &idx,
        "Go",
        "golang.org/x/net",
        "v0.0.0-20210226172049-e18ecbb05110",
    );
    let ids: Vec<&str> = got.iter().map(|m| m.id.as_str()).collect();
    // GO-2021-0238 (CVE-2021-33194, x/net/html infinite loop) is fixed in v0.0.0-20210520170846-37e1c6afe023.
    assert!(ids.contains(&"CVE-2021-33194"), "{ids:?}");
    let m = got.iter().find(|m| m.id == "CVE-2021-33194").unwrap();
    assert!(m.aliases.iter().any(|a| a.starts_with("GO-")), "{m:?}");
    // HTTP/2 rapid reset (CVE-2023-44487 / CVE-2023-39325) affects it too, fixed in 0.17.0.
    assert!(
        ids.contains(&"CVE-2023-39325") || ids.contains(&"CVE-2023-44487"),
        "{ids:?}"
    );
    // The newest version in the feed's ranges is clean of those.
    let later = query(&idx, "Go", "golang.org/x/net", "v0.17.0");
    assert!(!later.iter().any(|m| m.id == "CVE-2021-33194"));
    assert!(got.len() > later.len());
}
