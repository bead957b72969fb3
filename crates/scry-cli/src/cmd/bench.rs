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
                    "match, all queries name known packages".into(),
                    format!(
                        "{:.0} queries/s on one core ({} of {} matched)",
                        r.hit_queries_per_second, r.hit_queries_matched, r.queries
                    ),
                    ">= 1,000,000/s".into(),
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
    }
}
