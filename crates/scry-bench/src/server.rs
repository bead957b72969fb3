//! The findings-service benchmark: many resources with generated inventories of real
//! vulnerable packages, ingested through the service, then ListFindings and aggregations
//! through the API layer, then re-evaluation after 1,000 advisories change.
//!
//! Inventories are generated from the advisory database itself: each package is a real
//! (ecosystem, name, version) the index answers for — vulnerable ones at versions inside
//! affected ranges, safe ones at fixed versions — plus unknown names, so matching does real
//! work and findings carry real advisory data.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use scry_inventory::{Inventory, Package};
use scry_match::{Index, Query, Upper};
use scry_server::api::{self, Caller};
use scry_server::Service;
use scry_store::{MasterKey, ResourceInfo, Store};
use scry_vulndb::VulnDb;
use scry_wire::Operation;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct ServerReport {
    pub resources: usize,
    pub packages_per_inventory: usize,
    pub findings: i64,
    pub ingest_seconds: f64,
    pub inventories_per_second: f64,
    pub ingest_threads: usize,
    /// Process CPU time (all threads) per inventory ingested: what the ingest costs whatever
    /// else runs on the machine. Cores / this = the rate a quiet machine can reach.
    pub ingest_cpu_ms_per_inventory: f64,
    /// Default order (severity), paging 100 pages deep with nextToken.
    pub list_findings_calls: usize,
    pub list_findings_p50_ms: f64,
    pub list_findings_p99_ms: f64,
    pub list_findings_max_ms: f64,
    /// First pages sorted by fields without an index (inspector score, last observed, ...).
    pub list_sorted_calls: usize,
    pub list_sorted_p50_ms: f64,
    pub list_sorted_p99_ms: f64,
    pub aggregation_account_ms: f64,
    pub aggregation_instances_ms: f64,
    pub reevaluation_advisories: usize,
    pub reevaluation_import_seconds: f64,
    pub reevaluation_seconds: f64,
    /// Process CPU time (all threads) the re-evaluation took.
    pub reevaluation_cpu_seconds: f64,
    pub reevaluation_resources: usize,
    pub reevaluation_changed_packages: usize,
    /// Resources whose re-evaluation made only the findings that changed (see
    /// `scry_server::service::Reevaluation::narrowed`).
    pub reevaluation_narrowed: usize,
    pub store_bytes: u64,
}

struct Pkg {
    ecosystem: String,
    name: String,
    version: String,
}

/// Language-ecosystem packages the index answers for: (vulnerable, safe).
fn pools(index: &Index) -> (Vec<Pkg>, Vec<Pkg>) {
    let mut vulnerable = Vec::new();
    let mut safe = Vec::new();
    let mut packages: Vec<(&str, &str)> = index.packages().collect();
    packages.sort();
    for (eco, name) in packages {
        if !matches!(eco, "PyPI" | "Go" | "crates.io") {
            continue;
        }
        let mut tried = 0;
        for entry in index.entries(eco, name) {
            for iv in &entry.intervals {
                let mut candidates = Vec::new();
                if let Some(l) = &iv.lower {
                    candidates.push(l.text.to_string());
                }
                if let Upper::Fixed(v) = &iv.upper {
                    candidates.push(v.text.to_string());
                }
                for v in candidates {
                    if tried > 3 {
                        break;
                    }
                    tried += 1;
                    let hits = index
                        .query(&Query {
                            ecosystem: eco,
                            name,
                            version: &v,
                            ..Query::default()
                        })
                        .hits
                        .len();
                    let p = Pkg {
                        ecosystem: eco.to_string(),
                        name: name.to_string(),
                        version: v,
                    };
                    if hits > 0 {
                        vulnerable.push(p);
                    } else {
                        safe.push(p);
                    }
                }
            }
        }
    }
    (vulnerable, safe)
}

fn package(p: &Pkg, i: usize) -> Package {
    let (ty, found_by) = match p.ecosystem.as_str() {
        "PyPI" => ("pypi", "python-dist-info"),
        "Go" => ("golang", "go-module"),
        _ => ("cargo", "cargo-lock"),
    };
    Package {
        name: p.name.clone(),
        version: p.version.clone(),
        ecosystem: p.ecosystem.clone(),
        purl: format!("pkg:{ty}/{}@{}", p.name, p.version),
        found_by: found_by.into(),
        source_name: None,
        source_version: None,
        arch: None,
        licenses: Vec::new(),
        location: format!("app/{}/lock-{i}", p.ecosystem),
        layer: None,
    }
}

/// A deterministic generator (no dependency, reproducible runs).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn inventory(
    rng: &mut Lcg,
    vuln: &[Pkg],
    safe: &[Pkg],
    packages: usize,
    vulnerable: usize,
) -> Inventory {
    let mut pk = Vec::with_capacity(packages);
    for i in 0..vulnerable.min(packages) {
        pk.push(package(&vuln[rng.next(vuln.len())], i));
    }
    let unknown = (packages - pk.len()) / 2;
    while pk.len() < packages - unknown {
        let i = pk.len();
        pk.push(package(&safe[rng.next(safe.len())], i));
    }
    while pk.len() < packages {
        let i = pk.len();
        pk.push(package(
            &Pkg {
                ecosystem: "PyPI".into(),
                name: format!("internal-lib-{}", rng.next(100_000)),
                version: "1.0.0".into(),
            },
            i,
        ));
    }
    Inventory {
        distro: None,
        packages: pk,
        diagnostics: Vec::new(),
    }
}

fn resource(i: usize, account: &str) -> ResourceInfo {
    let (ty, id) = match i % 10 {
        0..=6 => ("AWS_EC2_INSTANCE", format!("i-{i:017x}")),
        7 | 8 => (
            "AWS_ECR_CONTAINER_IMAGE",
            format!("repo-{}/app:sha256-{i:064x}", i % 50),
        ),
        _ => ("AWS_LAMBDA_FUNCTION", format!("function-{i}")),
    };
    ResourceInfo {
        account_id: account.into(),
        arn: scry_server::service::resource_arn("sc-local-1", account, ty, &id),
        resource_type: ty.into(),
        resource_id: id,
        ecr_repository: (ty == "AWS_ECR_CONTAINER_IMAGE").then(|| format!("repo-{}", i % 50)),
        lambda_name: (ty == "AWS_LAMBDA_FUNCTION").then(|| format!("function-{i}")),
        ..ResourceInfo::default()
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Copies `n` OSV records of `feed` with a new `modified` time and a changed field, so that
/// importing them is a real change of `n` advisories.
fn changed_advisories(feed: &Path, out: &Path, n: usize) -> anyhow::Result<usize> {
    std::fs::create_dir_all(out)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(feed)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut written = 0;
    for f in files.iter().take(n) {
        let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(f)?)
            .with_context(|| format!("reading {}", f.display()))?;
        v["modified"] = now.clone().into();
        v["database_specific"] = serde_json::json!({"scry_bench": "changed"});
        std::fs::write(
            out.join(f.file_name().unwrap_or_default()),
            serde_json::to_vec(&v)?,
        )?;
        written += 1;
    }
    Ok(written)
}

pub fn server(
    vulndata: &Path,
    resources: usize,
    packages: usize,
    threads: usize,
) -> anyhow::Result<ServerReport> {
    let dir = tempfile::tempdir()?;
    let db_path = dir.path().join("advisories.db");
    let feeds: Vec<PathBuf> = ["alpine-secdb", "kev", "osv-go", "osv-pypi", "rustsec"]
        .iter()
        .map(|f| vulndata.join(f))
        .filter(|p| p.is_dir())
        .collect();
    anyhow::ensure!(
        !feeds.is_empty(),
        "no feeds under {} — pass --vulndata ../shared/vulndata",
        vulndata.display()
    );
    VulnDb::create(&db_path)?.import(&feeds, chrono::Utc::now(), &mut |_| {})?;
    let store = Store::open(&dir.path().join("data/scry.db"))?;
    let master = MasterKey::from_hex(&"5c".repeat(32), "bench")?;
    let svc = Arc::new(Service::new(
        store,
        master,
        db_path.clone(),
        "sc-local-1".into(),
    ));
    svc.refresh_intel()?;
    let intel = svc.intel().context("advisory database loaded")?;
    let (vuln, safe) = pools(&intel.loaded.index);
    anyhow::ensure!(
        !vuln.is_empty() && !safe.is_empty(),
        "no packages to generate inventories from"
    );
    let account = "111122223333";
    svc.store
        .ensure_account(account, scry_server::service::now_ms())?;

    // Calibrate: about 100 findings per inventory.
    let mut rng = Lcg(42);
    let probe = inventory(&mut rng, &vuln, &safe, 200, 200);
    let per_pkg = svc
        .findings_for(&intel, &resource(0, account), &probe)?
        .len() as f64
        / 200.0;
    let vulnerable = ((100.0 / per_pkg.max(0.01)).round() as usize).clamp(1, packages);
    drop(intel);

    let next = AtomicUsize::new(0);
    let t = Instant::now();
    let cpu = crate::mem::cpu_seconds();
    std::thread::scope(|s| -> anyhow::Result<()> {
        let mut handles = Vec::new();
        for w in 0..threads.max(1) {
            let svc = svc.clone();
            let (vuln, safe, next) = (&vuln, &safe, &next);
            handles.push(s.spawn(move || -> anyhow::Result<()> {
                let mut rng = Lcg(1000 + w as u64);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= resources {
                        return Ok(());
                    }
                    let inv = inventory(&mut rng, vuln, safe, packages, vulnerable);
                    svc.ingest(resource(i, account), &inv, "push")?;
                }
            }));
        }
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("an ingest thread panicked"))??;
        }
        Ok(())
    })?;
    let ingest_seconds = t.elapsed().as_secs_f64();
    let ingest_cpu = crate::mem::cpu_seconds() - cpu;
    let findings = svc.store.count_findings(account, &Default::default())?;

    let caller = Caller {
        account_id: account.into(),
        role: "admin".into(),
        access_key_id: "bench".into(),
    };
    let call =
        |op: Operation, body: &serde_json::Value| -> anyhow::Result<(f64, serde_json::Value)> {
            let t = Instant::now();
            let out = api::dispatch(
                &svc,
                &caller,
                op,
                body.to_string().as_bytes(),
                &Default::default(),
                "",
            )
            .map_err(|e| anyhow::anyhow!("{}: {}", e.error_type(), e.to_body()))?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            Ok((ms, serde_json::from_slice(&out)?))
        };
    let filter = serde_json::json!({
        "severity": [{"comparison": "EQUALS", "value": "HIGH"}, {"comparison": "EQUALS", "value": "CRITICAL"}],
        "resourceType": [{"comparison": "EQUALS", "value": "AWS_EC2_INSTANCE"}]
    });
    let mut lat = Vec::new();
    // Walk 100 pages deep, three times, then single first pages sorted other ways.
    for _ in 0..3 {
        let mut token: Option<String> = None;
        for _ in 0..100 {
            let mut body = serde_json::json!({"filterCriteria": filter, "maxResults": 100});
            if let Some(t) = &token {
                body["nextToken"] = t.clone().into();
            }
            let (ms, out) = call(Operation::ListFindings, &body)?;
            lat.push(ms);
            token = out["nextToken"].as_str().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    let mut sorted = Vec::new();
    for field in [
        "INSPECTOR_SCORE",
        "LAST_OBSERVED_AT",
        "VULNERABILITY_ID",
        "EPSS_SCORE",
    ] {
        for _ in 0..10 {
            let body = serde_json::json!({"filterCriteria": filter, "maxResults": 100, "sortCriteria": {"field": field, "sortOrder": "DESC"}});
            sorted.push(call(Operation::ListFindings, &body)?.0);
        }
    }
    lat.sort_by(f64::total_cmp);
    sorted.sort_by(f64::total_cmp);
    let (agg_account, _) = call(
        Operation::ListFindingAggregations,
        &serde_json::json!({"aggregationType": "ACCOUNT"}),
    )?;
    let (agg_inst, _) = call(
        Operation::ListFindingAggregations,
        &serde_json::json!({"aggregationType": "AWS_EC2_INSTANCE", "maxResults": 100}),
    )?;

    // Re-evaluation: 1,000 changed advisories.
    let changed_dir = dir.path().join("changed/osv-go");
    let n = changed_advisories(&vulndata.join("osv-go"), &changed_dir, 1000)?;
    let t = Instant::now();
    VulnDb::create(&db_path)?.import(&[changed_dir], chrono::Utc::now(), &mut |_| {})?;
    let import_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let cpu = crate::mem::cpu_seconds();
    let re = svc.refresh_intel()?.context("the change was noticed")?;
    let re_s = t.elapsed().as_secs_f64();
    let re_cpu = crate::mem::cpu_seconds() - cpu;
    let store_bytes = ["scry.db", "scry.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.path().join("data").join(f)).ok())
        .map(|m| m.len())
        .sum();
    Ok(ServerReport {
        resources,
        packages_per_inventory: packages,
        findings,
        ingest_seconds,
        inventories_per_second: resources as f64 / ingest_seconds,
        ingest_threads: threads,
        ingest_cpu_ms_per_inventory: ingest_cpu * 1e3 / resources.max(1) as f64,
        list_findings_calls: lat.len(),
        list_findings_p50_ms: pct(&lat, 0.5),
        list_findings_p99_ms: pct(&lat, 0.99),
        list_findings_max_ms: lat.last().copied().unwrap_or(0.0),
        list_sorted_calls: sorted.len(),
        list_sorted_p50_ms: pct(&sorted, 0.5),
        list_sorted_p99_ms: pct(&sorted, 0.99),
        aggregation_account_ms: agg_account,
        aggregation_instances_ms: agg_inst,
        reevaluation_advisories: n,
        reevaluation_import_seconds: import_s,
        reevaluation_seconds: re_s,
        reevaluation_cpu_seconds: re_cpu,
        reevaluation_resources: re.resources,
        reevaluation_changed_packages: re.changed_packages,
        reevaluation_narrowed: re.narrowed,
        store_bytes,
    })
}
