//! `scry db ...`: import, update, status, search, match.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use scry_match::{FixState, Query};
use scry_vulndb::{ImportReport, ScoreContext, VulnDb};

use crate::args::{DbCommand, Format, MatchArgs};
use crate::cmd::db_path;
use crate::output;

pub fn run(cmd: DbCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DbCommand::Import { paths, db, format } => {
            let path = db_path(&db)?;
            for p in &paths {
                anyhow::ensure!(
                    p.exists(),
                    "{} does not exist — pass a feed file, directory or zip",
                    p.display()
                );
            }
            let started = std::time::Instant::now();
            let report = import(&path, &paths)?;
            print_import(&path, &report, started.elapsed(), format)?;
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Update {
            db,
            cache_dir,
            ecosystems,
            no_nvd,
            nvd_api_key,
            osv_mirror,
            kev_url,
            epss_url,
            nvd_url,
            format,
        } => {
            let path = db_path(&db)?;
            let cache = match cache_dir {
                Some(c) => c,
                None => path
                    .parent()
                    .map(|p| p.join("feeds"))
                    .unwrap_or_else(|| PathBuf::from("feeds")),
            };
            let mut config = scry_download::Config::with_defaults(cache);
            if !ecosystems.is_empty() {
                config.osv_ecosystems = ecosystems;
            }
            if let Some(m) = osv_mirror {
                config.osv_base = m;
            }
            if let Some(u) = kev_url {
                config.kev_url = u;
            }
            if let Some(u) = epss_url {
                config.epss_url = u;
            }
            if let Some(u) = nvd_url {
                config.nvd_url = u;
            }
            config.include_nvd = !no_nvd;
            config.nvd_api_key = nvd_api_key;
            config.progress = output::stderr_is_terminal();
            let started = std::time::Instant::now();
            let (downloaded, failures) = scry_download::update(&config);
            for (source, err) in &failures {
                eprintln!("warning: {source}: {err}");
            }
            if downloaded.is_empty() {
                anyhow::bail!(
                    "no feed could be downloaded ({} failed) — offline? Import feeds from files with `scry db import PATH`",
                    failures.len()
                );
            }
            let paths: Vec<PathBuf> = downloaded.iter().map(|d| d.path.clone()).collect();
            let report = import(&path, &paths)?;
            print_import(&path, &report, started.elapsed(), format)?;
            Ok(if failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        DbCommand::Status { db, format } => {
            let db = VulnDb::open(&db_path(&db)?)?;
            let s = db.status()?;
            if format == Format::Json {
                output::json(&s)?;
            } else {
                println!("database:      {}", s.path);
                println!("schema:        {}", s.schema_version);
                println!(
                    "built at:      {}",
                    s.built_at.as_deref().unwrap_or("never")
                );
                println!("size:          {:.1} MB", s.size_bytes as f64 / 1e6);
                println!(
                    "advisories:    {} ({} withdrawn)",
                    s.advisories, s.withdrawn
                );
                println!();
                let rows: Vec<Vec<String>> = s
                    .sources
                    .iter()
                    .map(|src| {
                        vec![
                            src.name.clone(),
                            src.records.to_string(),
                            src.newest_modified.clone().unwrap_or_else(|| "-".into()),
                            src.imported_at.clone().unwrap_or_else(|| "-".into()),
                        ]
                    })
                    .collect();
                output::table(
                    &["SOURCE", "RECORDS", "NEWEST MODIFIED", "IMPORTED AT"],
                    &rows,
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Search {
            term,
            ecosystem,
            db,
            format,
        } => {
            let db = VulnDb::open(&db_path(&db)?)?;
            let found = db.search(&term, ecosystem.as_deref())?;
            if format == Format::Json {
                output::json(&found)?;
            } else if found.is_empty() {
                eprintln!(
                    "no advisory has the id or alias {term:?}, and none names a package {term:?}"
                );
            } else {
                let rows: Vec<Vec<String>> = found
                    .iter()
                    .map(|a| {
                        let pkgs: Vec<String> =
                            a.packages.iter().map(|(e, n)| format!("{e}/{n}")).collect();
                        vec![
                            a.id.clone(),
                            a.aliases.join(","),
                            if a.withdrawn.is_some() {
                                "withdrawn".into()
                            } else {
                                a.source.clone()
                            },
                            pkgs.join(","),
                            a.summary.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                output::table(&["ID", "ALIASES", "SOURCE", "PACKAGES", "SUMMARY"], &rows);
            }
            Ok(if found.is_empty() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        DbCommand::Match(args) => match_one(args),
    }
}

fn import(path: &std::path::Path, paths: &[PathBuf]) -> anyhow::Result<ImportReport> {
    let mut db = VulnDb::create(path)?;
    let pb = output::counter("importing");
    let report = db
        .import(paths, chrono::Utc::now(), &mut |_| pb.inc(1))
        .with_context(|| {
            format!(
                "import into {} failed; the database is unchanged",
                path.display()
            )
        })?;
    pb.finish_and_clear();
    Ok(report)
}

fn print_import(
    path: &std::path::Path,
    report: &ImportReport,
    took: std::time::Duration,
    format: Format,
) -> anyhow::Result<()> {
    if format == Format::Json {
        let mut v = serde_json::to_value(report)?;
        v["database"] = path.display().to_string().into();
        v["seconds"] = took.as_secs_f64().into();
        return output::json(&v);
    }
    let rows: Vec<Vec<String>> = report
        .sources
        .iter()
        .map(|(name, c)| {
            vec![
                name.clone(),
                c.read.to_string(),
                c.inserted.to_string(),
                c.updated.to_string(),
                c.unchanged.to_string(),
                c.stale.to_string(),
            ]
        })
        .collect();
    output::table(
        &["SOURCE", "READ", "NEW", "UPDATED", "UNCHANGED", "STALE"],
        &rows,
    );
    let t = report.total();
    println!(
        "\n{} records in {:.2}s into {}; {} packages affected by changes",
        t.read,
        took.as_secs_f64(),
        path.display(),
        report.changed_packages
    );
    if !report.diagnostics.is_empty() {
        eprintln!(
            "\n{} records could not be read and were skipped:",
            report.diagnostics.len()
        );
        for d in report.diagnostics.iter().take(50) {
            eprintln!(
                "  {} {}: {}",
                d.location,
                d.id.as_deref().unwrap_or("-"),
                d.reason
            );
        }
        if report.diagnostics.len() > 50 {
            eprintln!(
                "  ... and {} more (use --format json for all)",
                report.diagnostics.len() - 50
            );
        }
    }
    Ok(())
}

fn match_one(a: MatchArgs) -> anyhow::Result<ExitCode> {
    let db = VulnDb::open(&db_path(&a.db)?)?;
    let loaded = db.load()?;
    let q = Query {
        ecosystem: &a.ecosystem,
        name: &a.name,
        version: &a.version,
        source_name: a.source_name.as_deref(),
        source_version: a.source_version.as_deref(),
    };
    let ctx = ScoreContext {
        network_reachable: a.network_reachable,
        ..ScoreContext::default()
    };
    let assessment = db.assess(&loaded, &q, &ctx)?;
    if let Some(e) = &assessment.version_error {
        eprintln!("warning: {e} — version ranges were not evaluated, only listed versions");
    }
    if a.format == Format::Json {
        output::json(&assessment)?;
    } else if assessment.findings.is_empty() {
        println!(
            "no known vulnerability affects {} {} {}",
            a.ecosystem, a.name, a.version
        );
    } else {
        let rows: Vec<Vec<String>> = assessment
            .findings
            .iter()
            .map(|f| {
                vec![
                    f.severity.as_str().to_string(),
                    f.vulnerability_id.clone(),
                    match &f.fix {
                        FixState::Fixed(v) => v.clone(),
                        FixState::NotFixed => "not fixed yet".into(),
                        FixState::WontFix => "will not fix".into(),
                    },
                    f.inspector_score
                        .as_ref()
                        .map(|s| format!("{:.1}", s.score))
                        .unwrap_or_else(|| "-".into()),
                    if f.exploit.is_some() {
                        "yes".into()
                    } else {
                        "-".into()
                    },
                    f.epss
                        .as_ref()
                        .map(|e| format!("{:.5}", e.epss))
                        .unwrap_or_else(|| "-".into()),
                    f.aliases.join(","),
                ]
            })
            .collect();
        output::table(
            &[
                "SEVERITY",
                "VULNERABILITY",
                "FIXED IN",
                "SCORE",
                "KEV",
                "EPSS",
                "ALIASES",
            ],
            &rows,
        );
    }
    Ok(ExitCode::SUCCESS)
}
