//! Deferred checkpoints: while a re-evaluation holds [`Store::defer_checkpoints`], what it
//! writes stays in the write-ahead log; once the guard drops, the checkpointer copies it into
//! the database file.

use std::sync::Arc;
use std::time::{Duration, Instant};

use scry_store::{FindingFacts, NewFinding, ResourceInfo, ScanWrite, Scope, Store};

fn size(p: &std::path::Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

fn scan(n: usize) -> ScanWrite {
    let facts = Arc::new(FindingFacts {
        vulnerability_id: "CVE-2024-1".into(),
        severity: "HIGH".into(),
        severity_rank: 3,
        ..Default::default()
    });
    // Bytes from xorshift, so that nothing compresses away.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut noise = move |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    };
    let findings = (0..n)
        .map(|i| NewFinding {
            key: format!("{i:032x}"),
            arn: format!("arn:aws:inspector2:r:111122223333:finding/{i:032x}"),
            facts: facts.clone(),
            pkg_path: format!("/usr/lib/p{i}"),
            component_key: format!("Debian\tp{i}"),
            body: noise(1200),
            ..Default::default()
        })
        .collect();
    ScanWrite {
        resource: ResourceInfo {
            account_id: "111122223333".into(),
            resource_type: "AWS_EC2_INSTANCE".into(),
            resource_id: "i-1".into(),
            arn: "arn:aws:ec2:r:111122223333:instance/i-1".into(),
            ..Default::default()
        },
        inventory: None,
        findings,
        scope: Scope::All,
        trigger: "push".into(),
        status: ("ACTIVE".into(), "SUCCESSFUL".into()),
    }
}

#[test]
fn deferred_checkpoints_leave_the_log_alone_until_released() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("scry.db");
    let store = Store::open(&db).unwrap();
    // The checkpointer copies the new schema within a few of its 250 ms rounds.
    std::thread::sleep(Duration::from_millis(1000));
    let before = size(&db);

    let deferred = store.defer_checkpoints();
    let mut write = scan(3000);
    write.seal();
    store.write_scans(&[write], 1).unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(size(&db), before, "a checkpoint ran while deferred");
    assert!(size(&db.with_extension("db-wal")) > 3_000_000);

    drop(deferred);
    let t = Instant::now();
    while size(&db) <= before + 3_000_000 {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "no checkpoint after the guard dropped ({} -> {} bytes)",
            before,
            size(&db)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
