//! The vulnerability core benchmark: import all shared feeds, load the database, match queries.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use scry_match::{merge, Index, Query, Upper};
use scry_version::Scheme;
use scry_vulndb::VulnDb;
use serde::Serialize;

use crate::mem::status_bytes;

#[derive(Debug, Serialize)]
pub struct CoreReport {
    pub records: u64,
    pub import_seconds: f64,
    pub records_per_second: f64,
    pub reimport_seconds: f64,
    pub db_size_bytes: u64,
    pub advisories_indexed: usize,
    pub index_entries: usize,
    pub load_ms_median: f64,
    pub load_ms_max: f64,
    pub load_rss_growth_bytes: u64,
    pub queries: usize,
    /// Every package the database names in turn, each at the next version taken from its ranges
    /// (an inventory made only of packages with advisories): stored answers, median of three
    /// passes, after a first pass that stores them.
    pub uniform_queries_per_second: f64,
    pub uniform_first_pass_per_second: f64,
    pub uniform_vulnerabilities_per_query: f64,
    /// One query per bound of every range of every package the database names (so a package
    /// with many advisories is asked about far more often, and each answer is long): the first
    /// pass, which builds each package's stored answers on first use.
    pub hit_first_pass_per_second: f64,
    /// The same queries again (median of three passes), answered from stored answers.
    pub hit_queries_per_second: f64,
    pub hit_queries_matched: usize,
    pub hit_vulnerabilities_per_query: f64,
    /// The same queries through the direct path (`Index::query` then `merge`), for comparison.
    pub hit_direct_per_second: f64,
    /// Heap bytes of the stored answers the first pass built.
    pub stored_answers_bytes: u64,
    /// A mix in which one query in ten names a package the database knows (a typical inventory).
    pub mixed_queries_per_second: f64,
}

pub fn core(vulndata: &Path, queries: usize) -> anyhow::Result<CoreReport> {
    anyhow::ensure!(
        vulndata.is_dir(),
        "{} is not a directory — pass --vulndata ../shared/vulndata",
        vulndata.display()
    );
    let mut feeds: Vec<PathBuf> = std::fs::read_dir(vulndata)
        .with_context(|| format!("failed to list {}", vulndata.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    feeds.sort();
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.db");

    let now = chrono::Utc::now();
    let t = Instant::now();
    let report = VulnDb::create(&path)?.import(&feeds, now, &mut |_| {})?;
    let import_seconds = t.elapsed().as_secs_f64();
    let records = report.total().read;
    let t = Instant::now();
    VulnDb::create(&path)?.import(&feeds, now, &mut |_| {})?;
    let reimport_seconds = t.elapsed().as_secs_f64();

    let rss_before = status_bytes("VmRSS");
    let mut loads = Vec::new();
    let mut kept = None;
    for _ in 0..5 {
        let t = Instant::now();
        let db = VulnDb::open(&path)?;
        let loaded = db.load()?;
        loads.push(t.elapsed().as_secs_f64() * 1e3);
        if kept.is_none() {
            kept = Some(loaded);
        }
    }
    let rss_growth = status_bytes("VmRSS").saturating_sub(rss_before);
    let loaded = kept.expect("five loads ran");
    loads.sort_by(f64::total_cmp);

    let owned = hit_queries(&loaded.index, queries);
    let direct_qps = run_direct(&loaded.index, &owned);
    let first = run_queries(&loaded.index, &owned);
    let stored_bytes = loaded.index.stored_answers_bytes() as u64;
    let heavy = median_of_three(&loaded.index, &owned);

    // The uniform mix, on an index of its own (no answers stored yet).
    let fresh = VulnDb::open(&path)?.load()?;
    let uniform_queries = uniform_queries(&fresh.index, queries);
    let uniform_first = run_queries(&fresh.index, &uniform_queries);
    let uniform = median_of_three(&fresh.index, &uniform_queries);
    drop(fresh);
    let mixed: Vec<OwnedQuery> = owned
        .iter()
        .enumerate()
        .map(|(i, q)| {
            if i % 10 == 0 {
                q.clone()
            } else {
                OwnedQuery {
                    name: format!("{}-not-vulnerable-{i}", q.name),
                    ..q.clone()
                }
            }
        })
        .collect();
    let mixed_qps = run_queries(&loaded.index, &mixed).per_second;

    Ok(CoreReport {
        records,
        import_seconds,
        records_per_second: records as f64 / import_seconds,
        reimport_seconds,
        db_size_bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
        advisories_indexed: loaded.index.advisory_count(),
        index_entries: loaded.index.entry_count(),
        load_ms_median: loads[loads.len() / 2],
        load_ms_max: loads[loads.len() - 1],
        load_rss_growth_bytes: rss_growth,
        queries: owned.len(),
        uniform_queries_per_second: uniform.per_second,
        uniform_first_pass_per_second: uniform_first.per_second,
        uniform_vulnerabilities_per_query: uniform.vulnerabilities as f64 / queries.max(1) as f64,
        hit_first_pass_per_second: first.per_second,
        hit_queries_per_second: heavy.per_second,
        hit_queries_matched: heavy.matched,
        hit_vulnerabilities_per_query: heavy.vulnerabilities as f64 / queries.max(1) as f64,
        hit_direct_per_second: direct_qps,
        stored_answers_bytes: stored_bytes,
        mixed_queries_per_second: mixed_qps,
    })
}

#[derive(Debug, Clone)]
struct OwnedQuery {
    ecosystem: String,
    name: String,
    version: String,
}

/// Queries cycling over [`pool`], so that about half match.
fn hit_queries(index: &Index, n: usize) -> Vec<OwnedQuery> {
    pool(index).iter().cycle().take(n).cloned().collect()
}

/// Every package's versions taken from its ranges, package by package.
fn pool(index: &Index) -> Vec<OwnedQuery> {
    let mut pool = Vec::new();
    let mut packages: Vec<(&str, &str)> = index.packages().collect();
    packages.sort();
    for (eco, name) in packages {
        for entry in index.entries(eco, name) {
            let ecosystem = match &entry.release {
                Some(r) => format!("{eco}:{r}"),
                None => eco.to_string(),
            };
            for iv in &entry.intervals {
                let mut push = |v: &str| {
                    pool.push(OwnedQuery {
                        ecosystem: ecosystem.clone(),
                        name: name.to_string(),
                        version: v.to_string(),
                    })
                };
                if let Some(l) = &iv.lower {
                    push(&l.text);
                }
                if let Upper::Fixed(v) | Upper::LastAffected(v) = &iv.upper {
                    push(&v.text);
                }
            }
        }
    }
    pool
}

/// `n` queries going round every package of the index (sorted), each time at the package's next
/// version from [`pool`] (none when the index names no package).
fn uniform_queries(index: &Index, n: usize) -> Vec<OwnedQuery> {
    let pool = pool(index);
    let mut grouped: std::collections::BTreeMap<(&str, &str), Vec<&OwnedQuery>> =
        Default::default();
    for q in &pool {
        grouped.entry((&q.ecosystem, &q.name)).or_default().push(q);
    }
    let by_package: Vec<Vec<&OwnedQuery>> = grouped.into_values().collect();
    if by_package.is_empty() {
        return Vec::new();
    }
    (0..n)
        .map(|i| {
            let versions = &by_package[i % by_package.len()];
            versions[(i / by_package.len()) % versions.len()].clone()
        })
        .collect()
}

/// What one pass of queries gave.
struct Pass {
    per_second: f64,
    /// Queries with at least one vulnerability.
    matched: usize,
    vulnerabilities: usize,
}

/// What a scan does per package before reading prose from the database: the vulnerabilities
/// of the package (hits merged by alias: id, aliases, advisories, fix), each of which is read.
fn run_queries(index: &Index, qs: &[OwnedQuery]) -> Pass {
    let (mut matched, mut vulnerabilities) = (0, 0);
    let t = Instant::now();
    for q in qs {
        let v = index.vulnerabilities(&Query {
            ecosystem: &q.ecosystem,
            name: &q.name,
            version: &q.version,
            ..Query::default()
        });
        for m in v.merged.iter() {
            black_box((m.id(), m.aliases().count(), m.advisories(), m.fix()));
        }
        matched += usize::from(!v.merged.is_empty());
        vulnerabilities += v.merged.len();
        black_box(&v.version_error);
    }
    Pass {
        per_second: qs.len() as f64 / t.elapsed().as_secs_f64(),
        matched,
        vulnerabilities,
    }
}

/// The median pass of three (this VM's speed varies from second to second).
fn median_of_three(index: &Index, qs: &[OwnedQuery]) -> Pass {
    let mut passes: Vec<Pass> = (0..3).map(|_| run_queries(index, qs)).collect();
    passes.sort_by(|a, b| a.per_second.total_cmp(&b.per_second));
    passes.swap_remove(1)
}

/// [`run_queries`] without stored answers: every query's hits found and merged anew.
fn run_direct(index: &Index, qs: &[OwnedQuery]) -> f64 {
    let t = Instant::now();
    for q in qs {
        let m = index.query(&Query {
            ecosystem: &q.ecosystem,
            name: &q.name,
            version: &q.version,
            ..Query::default()
        });
        let merged = merge(index, &m.hits, Scheme::for_ecosystem(&q.ecosystem));
        for v in merged.iter() {
            black_box((v.id(), v.aliases().count(), v.advisories(), v.fix()));
        }
        black_box(&m.version_error);
    }
    qs.len() as f64 / t.elapsed().as_secs_f64()
}
