//! A store written by the first schema (version 1, kept as it was in
//! `fixtures/schema_v1.sql`) opens with this one: its findings keep their content, get ARNs
//! that carry their id, and are found by ARN; new scans write beside them.

use scry_store::criteria::Criteria;
use scry_store::{
    FindingFacts, FindingQuery, NewFinding, ResourceInfo, ScanWrite, Scope, SharedPart, SortField,
    Store,
};

const V1: &str = include_str!("fixtures/schema_v1.sql");

fn v1_store(path: &std::path::Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
    c.execute_batch(V1).unwrap();
    c.execute_batch("PRAGMA user_version = 1;").unwrap();
    c.execute_batch(
        "INSERT INTO accounts (account_id, created_at) VALUES ('111122223333', 1);
         INSERT INTO resources (pk, account_id, resource_type, resource_id, arn, first_seen_at, scan_status, scan_reason)
           VALUES (7, '111122223333', 'AWS_EC2_INSTANCE', 'i-1', 'arn:aws:ec2:r:111122223333:instance/i-1', 1, 'ACTIVE', 'SUCCESSFUL');",
    )
    .unwrap();
    let body = br#"{"findingArn":"arn:aws:inspector2:r:111122223333:finding/00112233445566778899aabbccddeeff","awsAccountId":"111122223333","type":"PACKAGE_VULNERABILITY","description":"d","remediation":{},"severity":"HIGH","firstObservedAt":0.0,"lastObservedAt":0.0,"status":"ACTIVE","resources":[]}"#;
    let compressed = zstd::bulk::compress(body, 1).unwrap();
    c.execute(
        "INSERT INTO findings (id, account_id, resource_pk, finding_key, arn, resource_type, resource_id, finding_type,
            vulnerability_id, related, vulnerability_source, severity, severity_rank, inspector_score, epss,
            fix_available, exploit_available, title, pkg_name, pkg_version, pkg_path, component_key, status,
            first_observed_at, last_observed_at, updated_at, content_hash, body)
         VALUES (42, '111122223333', 7, '00112233445566778899aabbccddeeff',
            'arn:aws:inspector2:r:111122223333:finding/00112233445566778899aabbccddeeff', 'AWS_EC2_INSTANCE', 'i-1',
            'PACKAGE_VULNERABILITY', 'CVE-2020-1', '', 'NVD', 'HIGH', 4, 7.5, -1, 'YES', 'NO', 't', 'p', '1.0',
            'x', 'PyPI\tp', 'ACTIVE', 1, 1, 1, 'h', ?1)",
        [compressed],
    )
    .unwrap();
}

#[test]
fn a_version_1_store_is_migrated_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scry.db");
    v1_store(&path);
    let store = Store::open(&path).unwrap();

    let c = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, scry_store::SCHEMA_VERSION);
    let old_index: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'findings_by_key'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(old_index, 0, "the index of random keys is dropped");

    // The ARN now carries the id (42 = 0x2a) and the key's first half.
    let arn = "arn:aws:inspector2:r:111122223333:finding/000000000000002a0011223344556677";
    let rows = store
        .findings_by_arn("111122223333", &[arn.to_string()])
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, 42);
    assert_eq!(rows[0].shared, None, "a version 1 body is whole");
    let body: serde_json::Value = serde_json::from_slice(&rows[0].body).unwrap();
    assert_eq!(body["severity"], "HIGH");
    // The old ARN no longer names it.
    let old = "arn:aws:inspector2:r:111122223333:finding/00112233445566778899aabbccddeeff";
    assert!(store
        .findings_by_arn("111122223333", &[old.to_string()])
        .unwrap()
        .is_empty());

    // A new scan of the same resource opens a split finding beside it, numbered after it,
    // and closes the old one (it is not in the new scan).
    let f = NewFinding {
        key: "ffeeddccbbaa99887766554433221100".into(),
        arn: "arn:aws:inspector2:r:111122223333:finding/ffeeddccbbaa99887766554433221100".into(),
        facts: std::sync::Arc::new(FindingFacts {
            vulnerability_id: "CVE-2021-2".into(),
            severity: "LOW".into(),
            severity_rank: 1,
            ..Default::default()
        }),
        body: br#"{"findingArn":"x","awsAccountId":"111122223333","resources":[]}"#.to_vec(),
        shared: Some(SharedPart::new(
            br#"{"severity":"LOW","description":"shared text"}"#.to_vec(),
        )),
        ..Default::default()
    };
    let mut write = ScanWrite {
        resource: ResourceInfo {
            account_id: "111122223333".into(),
            resource_type: "AWS_EC2_INSTANCE".into(),
            resource_id: "i-1".into(),
            arn: "arn:aws:ec2:r:111122223333:instance/i-1".into(),
            ..Default::default()
        },
        inventory: None,
        findings: vec![f],
        scope: Scope::All,
        trigger: "push".into(),
        status: ("ACTIVE".into(), "SUCCESSFUL".into()),
    };
    write.seal();
    let s = store.write_scans(&[write], 2).unwrap();
    assert_eq!((s[0].opened, s[0].closed), (1, 1));
    let page = store
        .list_findings(&FindingQuery {
            account_id: "111122223333",
            criteria: &Criteria::default(),
            sort: SortField::Severity,
            descending: true,
            after: None,
            limit: 10,
        })
        .unwrap();
    let new = page
        .findings
        .iter()
        .find(|r| r.id == 43)
        .expect("numbered after 42");
    assert_eq!(
        new.arn,
        "arn:aws:inspector2:r:111122223333:finding/000000000000002bffeeddccbbaa9988"
    );
    assert_eq!(
        new.shared.as_deref(),
        Some(&br#"{"severity":"LOW","description":"shared text"}"#[..])
    );
}
