//! `scry bench ...`

use std::process::ExitCode;

use crate::args::{BenchCommand, Format};
use crate::output;

pub fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Core {
            vulndata,
            queries,
            format,
        } => {
            eprintln!(
                "importing {} twice, loading five times, matching {queries} queries...",
                vulndata.display()
            );
            let r = scry_bench::core(&vulndata, queries)?;
            if format == Format::Json {
                output::json(&r)?;
                return Ok(ExitCode::SUCCESS);
            }
            let mb = |b: u64| format!("{:.1} MB", b as f64 / 1e6);
            let rows = vec![
                vec![
                    "import (all shared feeds)".into(),
                    format!(
                        "{} records in {:.2} s = {:.0} records/s",
                        r.records, r.import_seconds, r.records_per_second
                    ),
                    "< 5 s".into(),
                ],
                vec![
                    "re-import (nothing changed)".into(),
                    format!("{:.2} s", r.reimport_seconds),
                    "".into(),
                ],
                vec!["database file".into(), mb(r.db_size_bytes), "".into()],
                vec![
                    "load (median of 5)".into(),
                    format!(
                        "{:.1} ms (max {:.1} ms), {} advisories, {} entries",
                        r.load_ms_median, r.load_ms_max, r.advisories_indexed, r.index_entries
                    ),
                    "< 200 ms".into(),
                ],
                vec![
                    "load memory (RSS growth)".into(),
                    mb(r.load_rss_growth_bytes),
                    "".into(),
                ],
                vec![
                    "match, every known package in turn".into(),
                    format!(
                        "{:.0} queries/s on one core ({:.1} vulnerabilities per answer)",
                        r.uniform_queries_per_second, r.uniform_vulnerabilities_per_query
                    ),
                    ">= 1,000,000/s".into(),
                ],
                vec![
                    "  same, first pass (storing answers)".into(),
                    format!("{:.0} queries/s", r.uniform_first_pass_per_second),
                    "".into(),
                ],
                vec![
                    "match, a query per advisory bound".into(),
                    format!(
                        "{:.0} queries/s on one core ({:.1} vulnerabilities per answer, {} of {} matched)",
                        r.hit_queries_per_second,
                        r.hit_vulnerabilities_per_query,
                        r.hit_queries_matched,
                        r.queries
                    ),
                    "".into(),
                ],
                vec![
                    "  same, first pass (storing answers)".into(),
                    format!(
                        "{:.0} queries/s (stored answers: {})",
                        r.hit_first_pass_per_second,
                        mb(r.stored_answers_bytes)
                    ),
                    "".into(),
                ],
                vec![
                    "  same, every query merged anew".into(),
                    format!("{:.0} queries/s", r.hit_direct_per_second),
                    "".into(),
                ],
                vec![
                    "match, 1 in 10 names a known package".into(),
                    format!("{:.0} queries/s on one core", r.mixed_queries_per_second),
                    ">= 1,000,000/s".into(),
                ],
            ];
            output::table(&["MEASURE", "RESULT", "TARGET"], &rows);
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Server {
            vulndata,
            resources,
            packages,
            threads,
            format,
        } => {
            let threads = threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
            eprintln!(
                "ingesting {resources} inventories of {packages} packages on {threads} threads, then timing queries and re-evaluation..."
            );
            let r = scry_bench::server(&vulndata, resources, packages, threads)?;
            if format == Format::Json {
                output::json(&r)?;
                return Ok(ExitCode::SUCCESS);
            }
            let rows = vec![
                vec![
                    "ingest".into(),
                    format!(
                        "{} inventories x {} packages in {:.1} s = {:.0} inventories/s ({} findings); {:.1} ms CPU each",
                        r.resources, r.packages_per_inventory, r.ingest_seconds, r.inventories_per_second, r.findings, r.ingest_cpu_ms_per_inventory
                    ),
                    ">= 200/s".into(),
                ],
                vec![
                    "ListFindings, 100/page, severity + resource type".into(),
                    format!(
                        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} calls",
                        r.list_findings_p50_ms, r.list_findings_p99_ms, r.list_findings_max_ms, r.list_findings_calls
                    ),
                    "p99 < 50 ms".into(),
                ],
                vec![
                    "ListFindings, same filter, sorted by score/date/id/EPSS".into(),
                    format!(
                        "p50 {:.1} ms, p99 {:.1} ms over {} calls",
                        r.list_sorted_p50_ms, r.list_sorted_p99_ms, r.list_sorted_calls
                    ),
                    "".into(),
                ],
                vec![
                    "ListFindingAggregations".into(),
                    format!(
                        "ACCOUNT {:.0} ms, AWS_EC2_INSTANCE top 100 {:.0} ms",
                        r.aggregation_account_ms, r.aggregation_instances_ms
                    ),
                    "".into(),
                ],
                vec![
                    "re-evaluation".into(),
                    format!(
                        "{} changed advisories ({} packages, {} resources, {} narrowed to changed findings): {:.2} s ({:.1} s CPU) after an import of {:.2} s",
                        r.reevaluation_advisories, r.reevaluation_changed_packages, r.reevaluation_resources, r.reevaluation_narrowed, r.reevaluation_seconds, r.reevaluation_cpu_seconds, r.reevaluation_import_seconds
                    ),
                    "< 5 s".into(),
                ],
                vec![
                    "store size".into(),
                    format!("{:.0} MB", r.store_bytes as f64 / 1e6),
                    "".into(),
                ],
            ];
            output::table(&["MEASURE", "RESULT", "TARGET"], &rows);
            Ok(ExitCode::SUCCESS)
        }
    }
}
