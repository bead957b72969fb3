//! `scry server`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use crate::args::ServerArgs;

/// The configuration file: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    db: Option<PathBuf>,
    listen: Option<std::net::SocketAddr>,
    region: Option<String>,
    poll_seconds: Option<u64>,
    max_body_mib: Option<usize>,
    max_upload_mib: Option<u64>,
    agent_missed_intervals: Option<u32>,
}

pub fn run(a: ServerArgs) -> anyhow::Result<ExitCode> {
    let file: FileConfig = match &a.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading the configuration file {}", p.display()))?;
            toml::from_str(&text).with_context(|| {
                format!("{} is not a valid scry server configuration", p.display())
            })?
        }
        None => FileConfig::default(),
    };
    let db = match (&a.db.db, file.db) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) => d,
        (None, None) => super::db_path(&a.db)?,
    };
    let cfg = scry_server::Config {
        data_dir: a
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| "scry-data".into()),
        db,
        listen: a
            .listen
            .or(file.listen)
            .unwrap_or_else(|| ([127, 0, 0, 1], 8080).into()),
        region: a
            .region
            .or(file.region)
            .unwrap_or_else(|| scry_server::DEFAULT_REGION.into()),
        poll: Duration::from_secs(a.poll_seconds.or(file.poll_seconds).unwrap_or(2).max(1)),
        max_body: a.max_body_mib.or(file.max_body_mib).unwrap_or(64) << 20,
        max_upload: a
            .max_upload_mib
            .or(file.max_upload_mib)
            .map_or(scry_server::upload::DEFAULT_MAX_UPLOAD, |m| m << 20),
        master_key: std::env::var("SCRY_MASTER_KEY").ok(),
        agent_missed_intervals: a
            .agent_missed_intervals
            .or(file.agent_missed_intervals)
            .unwrap_or(3)
            .max(1),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(scry_server::serve(cfg, |addr| {
        eprintln!("scry server listening on http://{addr}");
    }))?;
    Ok(ExitCode::SUCCESS)
}
