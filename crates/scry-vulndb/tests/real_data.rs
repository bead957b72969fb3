//! The advisory database on the real feeds in ../shared/vulndata.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use scry_match::{FixState, Query};
use scry_vulndb::{Loaded, ScoreContext, VulnDb};

fn vulndata() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata");
    assert!(
        p.is_dir(),
        "{} is missing: ../shared must be beside the repository",
        p.display()
    );
    p
}

fn feeds() -> Vec<PathBuf> {
    ["osv-go", "osv-pypi", "rustsec", "alpine-secdb", "kev"]
        .iter()
        .map(|f| vulndata().join(f))
        .collect()
}

struct Shared {
    _dir: tempfile::TempDir,
    path: PathBuf,
    report: scry_vulndb::ImportReport,
}

/// One database with every shared feed, built once for all tests in this file.
fn shared() -> &'static Shared {
    static DB: OnceLock<Shared> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("advisories.db");
        let report = VulnDb::create(&path)
            .unwrap()
            .import(&feeds(), chrono::Utc::now(), &mut |_| {})
            .unwrap();
        Shared {
            _dir: dir,
            path,
            report,
        }
    })
}

fn loaded() -> &'static (VulnDb, Loaded) {
    static L: OnceLock<(VulnDb, Loaded)> = OnceLock::new();
    L.get_or_init(|| {
        let db = VulnDb::open(&shared().path).unwrap();
        let loaded = db.load().unwrap();
        (db, loaded)
    })
}

fn assess(ecosystem: &str, name: &str, version: &str) -> Vec<std::sync::Arc<scry_vulndb::Finding>> {
    let (db, loaded) = loaded();
    let q = Query {
        ecosystem,
        name,
        version,
        ..Query::default()
    };
    let a = db.assess(loaded, &q, &ScoreContext::default()).unwrap();
    assert_eq!(a.version_error, None, "{ecosystem} {name} {version}");
    a.findings
}

#[test]
fn every_shared_record_imports() {
    let r = &shared().report;
    let read = |s: &str| r.sources.get(s).map(|c| c.read).unwrap_or(0);
    assert_eq!(read("osv:Go"), 4291);
    assert_eq!(read("osv:PyPI"), 2661); // 2,661 files; .id-allocator is not a record
    assert_eq!(read("rustsec"), 1225);
    assert_eq!(read("kev"), 1404);
    assert!(read("alpine-secdb") > 1000, "{:?}", r.sources);
    assert!(
        r.diagnostics.is_empty(),
        "{:?}",
        &r.diagnostics[..r.diagnostics.len().min(5)]
    );
    let t = r.total();
    assert_eq!(
        t.inserted, t.read,
        "a fresh database stores every record once: {:?}",
        r.sources
    );

    let status = VulnDb::open(&shared().path).unwrap().status().unwrap();
    let go = status.sources.iter().find(|s| s.name == "osv:Go").unwrap();
    assert_eq!(go.records, 4291);
    assert!(go.newest_modified.is_some());
    assert!(status.built_at.is_some());
    assert_eq!(status.generation, 1);
}

#[test]
fn reimport_is_idempotent_and_updates_are_incremental() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let go = vulndata().join("osv-go");
    let now = chrono::Utc::now();
    let first = VulnDb::create(&path)
        .unwrap()
        .import(std::slice::from_ref(&go), now, &mut |_| {})
        .unwrap();
    assert_eq!(first.total().inserted, 4291);
    let again = VulnDb::create(&path)
        .unwrap()
        .import(std::slice::from_ref(&go), now, &mut |_| {})
        .unwrap();
    assert_eq!(again.total().unchanged, 4291, "{:?}", again.sources);
    assert_eq!(again.changed_packages, 0);
    let db = VulnDb::open(&path).unwrap();
    assert_eq!(
        db.generation().unwrap(),
        1,
        "nothing changed, the generation stays"
    );
    let (_, seq) = db.changes_since(0).unwrap();

    // A newer version of GO-2021-0238 that moves the fix: one update, one changed package.
    let mut rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(go.join("GO-2021-0238.json")).unwrap()).unwrap();
    rec["modified"] = "2030-01-01T00:00:00Z".into();
    rec["affected"][0]["ranges"][0]["events"][1]["fixed"] = "0.99.0".into();
    let upd = tempfile::tempdir().unwrap();
    std::fs::write(
        upd.path().join("GO-2021-0238.json"),
        serde_json::to_vec(&rec).unwrap(),
    )
    .unwrap();
    let r = VulnDb::create(&path)
        .unwrap()
        .import(&[upd.path().to_path_buf()], now, &mut |_| {})
        .unwrap();
    assert_eq!(r.total().updated, 1);
    let db = VulnDb::open(&path).unwrap();
    assert_eq!(db.generation().unwrap(), 2);
    let (changed, _) = db.changes_since(seq).unwrap();
    assert_eq!(
        changed,
        [("Go".to_string(), "golang.org/x/net".to_string())]
    );
    let loaded = db.load().unwrap();
    let q = Query {
        ecosystem: "Go",
        name: "golang.org/x/net",
        version: "v0.50.0",
        ..Query::default()
    };
    let f = db
        .assess(&loaded, &q, &ScoreContext::default())
        .unwrap()
        .findings;
    let hit = f
        .iter()
        .find(|f| f.vulnerability_id == "CVE-2021-33194")
        .expect("the new range applies");
    assert_eq!(hit.fix, FixState::Fixed("0.99.0".into()));

    // The original, older record is now stale and does not roll the update back.
    let r = VulnDb::create(&path)
        .unwrap()
        .import(&[go.join("GO-2021-0238.json")], now, &mut |_| {})
        .unwrap();
    assert_eq!(r.total().stale, 1);
}

#[test]
fn a_bad_record_is_reported_and_the_rest_import() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed");
    std::fs::create_dir(&feed).unwrap();
    std::fs::copy(
        vulndata().join("osv-go/GO-2020-0001.json"),
        feed.join("GO-2020-0001.json"),
    )
    .unwrap();
    std::fs::write(
        feed.join("GO-BROKEN.json"),
        br#"{"id": "GO-BROKEN", "modified": "yesterday", "affected": 7}"#,
    )
    .unwrap();
    let path = dir.path().join("db.sqlite");
    let r = VulnDb::create(&path)
        .unwrap()
        .import(&[feed], chrono::Utc::now(), &mut |_| {})
        .unwrap();
    assert_eq!(r.total().inserted, 1);
    assert_eq!(r.diagnostics.len(), 1, "{:?}", r.diagnostics);
    assert!(
        r.diagnostics[0].location.contains("GO-BROKEN.json"),
        "{:?}",
        r.diagnostics[0]
    );
}

#[test]
fn missing_database_says_how_to_make_one() {
    let err = VulnDb::open(Path::new("/nonexistent/scry/advisories.db")).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("scry db update") && msg.contains("scry db import"),
        "{msg}"
    );
}

/// golang.org/x/net at an old pseudo-version, from the Go vulnerability database.
#[test]
fn go_x_net_old_version() {
    let f = assess(
        "Go",
        "golang.org/x/net",
        "v0.0.0-20210226172049-e18ecbb05110",
    );
    let ids: Vec<&str> = f.iter().map(|f| f.vulnerability_id.as_str()).collect();
    assert!(ids.contains(&"CVE-2021-33194"), "{ids:?}");
    assert!(ids.contains(&"CVE-2023-39325"), "{ids:?}");
    let h2 = f
        .iter()
        .find(|f| f.vulnerability_id == "CVE-2023-39325")
        .unwrap();
    assert_eq!(h2.fix, FixState::Fixed("0.17.0".into()));
    assert!(
        h2.aliases.contains(&"GO-2023-2102".to_string()),
        "{:?}",
        h2.aliases
    );
    assert!(
        h2.aliases.contains(&"GHSA-4374-p667-p6c8".to_string()),
        "{:?}",
        h2.aliases
    );
    assert!(f.iter().all(|f| f.title.is_some()));
    // Fixed in the newest release the feed knows of for these two.
    let later: Vec<String> = assess("Go", "golang.org/x/net", "v0.17.0")
        .into_iter()
        .map(|f| f.vulnerability_id.clone())
        .collect();
    assert!(
        !later.contains(&"CVE-2021-33194".to_string())
            && !later.contains(&"CVE-2023-39325".to_string())
    );
}

/// Salt 3000.1 from PyPI: CVE-2020-11651 (PYSEC-2020-102), which CISA lists as exploited.
#[test]
fn salt_with_a_kev_listed_cve() {
    let f = assess("PyPI", "salt", "3000.1");
    let auth = f
        .iter()
        .find(|f| f.vulnerability_id == "CVE-2020-11651")
        .expect("PYSEC-2020-102 matches");
    assert!(auth.advisories.contains(&"PYSEC-2020-102".to_string()));
    assert_eq!(auth.fix, FixState::Fixed("3000.2".into()));
    let kev = auth
        .exploit
        .as_ref()
        .expect("CVE-2020-11651 is in the KEV catalog");
    assert_eq!(kev.date_added.to_string(), "2021-11-03");
    assert_eq!(
        kev.due_date.map(|d| d.to_string()).as_deref(),
        Some("2022-05-03")
    );
    assert!(assess("PyPI", "salt", "3000.2")
        .iter()
        .all(|f| f.vulnerability_id != "CVE-2020-11651"));
    // Pillow 9.5.0's libwebp advisory names CVE-2023-4863 as related, not as an alias: it is
    // its own vulnerability (PYSEC-2023-175), and KEV's listing of the CVE is not claimed for it.
    let p = assess("PyPI", "Pillow", "9.5.0");
    let webp = p
        .iter()
        .find(|f| f.vulnerability_id == "PYSEC-2023-175")
        .expect("PYSEC-2023-175 matches");
    assert_eq!(webp.fix, FixState::Fixed("10.0.1".into()));
    assert!(webp.exploit.is_none());
}

/// Real PyPI releases against the PyPA feed.
#[test]
fn real_pypi_releases() {
    let ids = |name: &str, v: &str| -> Vec<String> {
        assess("PyPI", name, v)
            .into_iter()
            .map(|f| f.vulnerability_id.clone())
            .collect()
    };
    // Jinja2 2.10 has the sandbox escape CVE-2019-10906 (fixed in 2.10.1).
    assert!(ids("Jinja2", "2.10").contains(&"CVE-2019-10906".to_string()));
    assert!(!ids("jinja2", "2.10.1").contains(&"CVE-2019-10906".to_string()));
    // PyYAML 5.3.1 has CVE-2020-14343 (full_load arbitrary code execution, fixed in 5.4).
    let y = assess("PyPI", "PyYAML", "5.3.1");
    let hit = y
        .iter()
        .find(|f| f.vulnerability_id == "CVE-2020-14343")
        .expect("CVE-2020-14343");
    assert_eq!(hit.fix, FixState::Fixed("5.4".into()));
    assert!(ids("pyyaml", "6.0.1").is_empty());
}

/// The real Cargo.lock fixture against RustSec: its regex 1.7.3 is past RUSTSEC-2022-0013's fix.
#[test]
fn real_cargo_lock_against_rustsec() {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/fixtures/rust/Cargo.lock");
    let lock: toml::Value = toml::from_str(&std::fs::read_to_string(lock).unwrap()).unwrap();
    let packages = lock["package"].as_array().unwrap();
    assert_eq!(packages.len(), 9);
    for p in packages {
        let (name, version) = (p["name"].as_str().unwrap(), p["version"].as_str().unwrap());
        assert!(
            assess("crates.io", name, version).is_empty(),
            "{name} {version}"
        );
    }
    let old = assess("crates.io", "regex", "1.5.4");
    let hit = old
        .iter()
        .find(|f| f.vulnerability_id == "CVE-2022-24713")
        .expect("RUSTSEC-2022-0013");
    assert!(hit.aliases.contains(&"RUSTSEC-2022-0013".to_string()));
    assert_eq!(hit.fix, FixState::Fixed("1.5.5".into()));
    assert_eq!(
        hit.severity,
        scry_cvss::Severity::High,
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H = 7.5"
    );
    let score = hit.inspector_score.as_ref().unwrap();
    assert_eq!(score.score, 7.5);
    // Nothing reachable from the network: the AV:N vulnerability is scored lower, and says why.
    let (db, loaded) = loaded();
    let q = Query {
        ecosystem: "crates.io",
        name: "regex",
        version: "1.5.4",
        ..Query::default()
    };
    let ctx = ScoreContext {
        network_reachable: Some(false),
        ..ScoreContext::default()
    };
    let f = db.assess(loaded, &q, &ctx).unwrap().findings;
    let adj = f
        .iter()
        .find(|f| f.vulnerability_id == "CVE-2022-24713")
        .unwrap()
        .inspector_score
        .clone()
        .unwrap();
    assert!(adj.score < 7.5, "{adj:?}");
    assert_eq!(adj.adjustments.len(), 1);
    assert_eq!(adj.adjustments[0].metric, "MAV");
}

#[test]
fn search_by_alias_and_by_package() {
    let db = VulnDb::open(&shared().path).unwrap();
    let by_alias = db.search("CVE-2022-24713", None).unwrap();
    assert_eq!(
        by_alias.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["RUSTSEC-2022-0013"]
    );
    let by_pkg = db.search("Jinja2", Some("PyPI")).unwrap();
    assert!(by_pkg.len() >= 3, "{by_pkg:?}");
    assert!(by_pkg
        .iter()
        .all(|a| a.packages.iter().any(|(e, n)| e == "PyPI" && n == "jinja2")));
    assert!(db
        .search("no-such-thing-anywhere", None)
        .unwrap()
        .is_empty());
}

mod reference;

/// Versions to query for one package of the reference index: every bound, fix and listed
/// version (sampled down to at most `cap`), each as is and nudged up and down a little.
fn probe_versions(entries: &[reference::compile::CompiledAffected], cap: usize) -> Vec<String> {
    use reference::compile::Upper;
    let mut named: Vec<&str> = Vec::new();
    for e in entries {
        for iv in &e.intervals {
            named.extend(iv.lower.as_deref());
            if let Upper::Fixed(v) | Upper::LastAffected(v) | Upper::Limit(v) = &iv.upper {
                named.push(v);
            }
        }
        named.extend(e.fixes.iter().map(|(_, v)| &**v));
        named.extend(e.versions.iter().map(|v| &**v));
    }
    named.sort_unstable();
    named.dedup();
    let step = named.len().div_ceil(cap).max(1);
    let mut out: Vec<String> = Vec::new();
    for v in named.iter().step_by(step) {
        out.push(v.to_string());
        out.push(format!("{v}.1"));
        out.push(format!("{v}-1"));
        out.push(format!("{v}~rc1"));
    }
    out.extend(["0", "0.0.0", "99999", "", "not a version", "v1.2.3"].map(String::from));
    out
}

/// The ladder matcher (ranks computed once per package, integer comparisons per query) must give
/// exactly what the string-comparing matcher it replaced gave: the same hits in the same order,
/// the same fixes, the same version errors and the same merged vulnerabilities, on every shared
/// feed, for versions at, between and around every bound, with and without releases.
#[test]
fn ladder_matcher_agrees_with_the_reference_on_real_feeds() {
    let (_, loaded) = loaded();
    let conn = rusqlite::Connection::open(&shared().path).unwrap();
    // The same statement as `VulnDb::load`, so advisories get the same positions.
    let mut st = conn
        .prepare("SELECT id, match_json FROM advisory WHERE withdrawn IS NULL")
        .unwrap();
    let mut b = reference::IndexBuilder::new();
    for json in st.query_map([], |r| r.get::<_, String>(1)).unwrap() {
        let adv: scry_advisory::Advisory = serde_json::from_str(&json.unwrap()).unwrap();
        b.add(&adv);
    }
    let old = b.finish();
    let new = &loaded.index;
    assert_eq!(old.advisory_count(), new.advisory_count());
    assert_eq!(old.entry_count(), new.entry_count());
    assert_eq!(old.package_count(), new.package_count());

    let mut packages: Vec<(&str, &str)> = old.packages().collect();
    packages.sort_unstable();
    let (mut queries, mut hits, mut errors, mut merged, mut stored) = (0usize, 0, 0, 0, 0);
    for (i, (eco, name)) in packages.iter().enumerate() {
        let entries = old.entries(eco, name);
        let mut releases: Vec<Option<&str>> =
            entries.iter().map(|e| e.release.as_deref()).collect();
        releases.sort_unstable();
        releases.dedup();
        // At most three releases per package (rotating), and always "no release".
        let keep: Vec<Option<&str>> = std::iter::once(None)
            .chain(
                releases
                    .iter()
                    .copied()
                    .flatten()
                    .cycle()
                    .skip(i)
                    .take(releases.len().min(3))
                    .map(Some),
            )
            .collect();
        let upper_name = name.to_uppercase();
        for version in probe_versions(entries, 24) {
            for release in &keep {
                let ecosystem = match release {
                    Some(r) if i % 2 == 0 => format!("{eco}:{r}"),
                    Some(r) => format!("{}:V{r}", eco.to_lowercase()),
                    None => eco.to_string(),
                };
                let mut q = Query {
                    ecosystem: &ecosystem,
                    name,
                    version: &version,
                    ..Query::default()
                };
                match queries % 7 {
                    3 => q.name = &upper_name,
                    5 => {
                        q.source_name = Some(name);
                        q.name = "some-binary";
                    }
                    _ => {}
                }
                queries += 1;
                let a = old.query(&q);
                let b = new.query(&q);
                let b_hits: Vec<(u32, FixState)> = b
                    .hits
                    .iter()
                    .map(|h| (h.advisory, h.fix.to_state()))
                    .collect();
                let a_hits: Vec<(u32, FixState)> =
                    a.hits.iter().map(|h| (h.advisory, h.fix.clone())).collect();
                assert_eq!(a_hits, b_hits, "{q:?}");
                assert_eq!(a.version_error, b.version_error, "{q:?}");
                hits += a.hits.len();
                errors += usize::from(a.version_error.is_some());
                let scheme = scry_version::Scheme::for_ecosystem(&ecosystem);
                let ma = reference::merge_by_alias(&old, &a.hits, scheme);
                let mb = scry_match::merge_by_alias(new, &b.hits, scheme);
                assert_eq!(ma.len(), mb.len(), "{q:?}");
                for (x, y) in ma.iter().zip(&mb) {
                    assert_eq!(
                        (&x.id, &x.aliases, &x.advisories, &x.fix),
                        (&y.id, &y.aliases, &y.advisories, &y.fix),
                        "{q:?}"
                    );
                }
                // The stored answers (or the direct path where a query cannot use them).
                let v = new.vulnerabilities(&q);
                assert_eq!(v.version_error, a.version_error, "{q:?}");
                let mv: Vec<_> = v.merged.iter().map(|m| m.to_match()).collect();
                assert_eq!(ma.len(), mv.len(), "{q:?}");
                for (x, y) in ma.iter().zip(&mv) {
                    assert_eq!(
                        (&x.id, &x.aliases, &x.advisories, &x.fix),
                        (&y.id, &y.aliases, &y.advisories, &y.fix),
                        "{q:?}"
                    );
                }
                stored += usize::from(v.merged.is_stored());
                merged += ma.len();
            }
        }
    }
    // The probe reaches every kind of answer.
    assert!(queries > 100_000, "{queries} queries");
    assert!(
        hits > 50_000 && errors > 1_000 && merged > 20_000,
        "{hits} {errors} {merged}"
    );
    // Most queries are answered from stored answers; the rest took the direct path.
    assert!(
        stored > queries / 2,
        "{stored} of {queries} from stored answers"
    );
    eprintln!(
        "{queries} queries ({stored} from stored answers), {hits} hits, {errors} version errors, {merged} merged agree"
    );
}
