//! `scry server`: the continuous findings service. One process runs the Inspector-compatible
//! API, the native push API and the workers (advisory database follower, stale-inventory
//! sweep) over the findings store.
//!
//! - [`service`]: domain operations below HTTP (ingest, re-evaluation, scan types).
//! - [`api`]: the Inspector operations, wire shapes in and out.
//! - [`http`]: routing, SigV4, errors as the AWS SDKs expect them, health and metrics.
//!
//! Architecture invariant: SQL lives in `scry-store`, wire JSON in `scry-wire`, matching in
//! `scry-vulndb`/`scry-match`; this crate wires them together.

#![forbid(unsafe_code)]

pub mod agent;
pub mod api;
pub mod convert;
pub mod http;
pub mod metrics;
pub mod push;
pub mod registry;
pub mod reports;
pub mod service;
pub mod upload;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use scry_store::{MasterKey, Store};

pub use service::{Service, DEFAULT_REGION};

/// Everything `scry server` needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// The advisory database file (`scry db` maintains it).
    pub db: PathBuf,
    pub listen: SocketAddr,
    pub region: String,
    /// How often the advisory database is checked for changes.
    pub poll: Duration,
    pub max_body: usize,
    /// Largest artifact upload (`POST /scry/v1/artifacts`, `/scry/v1/layers`), in bytes.
    pub max_upload: u64,
    /// Master key (64 hex digits) instead of `DATA_DIR/master.key`.
    pub master_key: Option<String>,
    /// A host whose agent misses this many reporting intervals becomes INACTIVE.
    pub agent_missed_intervals: u32,
}

/// Opens the data directory: the store and the master key.
pub fn open_data_dir(
    data_dir: &std::path::Path,
    master_key: Option<&str>,
) -> anyhow::Result<(Store, MasterKey)> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let store = Store::open(&data_dir.join("scry.db"))?;
    let master = match master_key {
        Some(k) => MasterKey::from_hex(k, "SCRY_MASTER_KEY")?,
        None => MasterKey::load_or_create(&data_dir.join("master.key"))?,
    };
    Ok((store, master))
}

/// Runs the server until SIGINT/SIGTERM. `ready` is called with the bound address.
pub async fn serve(cfg: Config, ready: impl FnOnce(SocketAddr)) -> anyhow::Result<()> {
    let (store, master) = open_data_dir(&cfg.data_dir, cfg.master_key.as_deref())?;
    let failed = store.fail_interrupted_jobs(service::now_ms())?;
    if failed > 0 {
        tracing::warn!(
            failed,
            "jobs interrupted by the last stop were marked FAILED"
        );
    }
    let svc = Arc::new(Service::new(
        store,
        master,
        cfg.db.clone(),
        cfg.region.clone(),
    ));
    {
        let svc = svc.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = svc.refresh_intel() {
                tracing::error!(error = %e, "loading the advisory database");
            }
        })
        .await?;
    }
    if svc.intel().is_none() {
        tracing::warn!(
            db = %cfg.db.display(),
            "no advisory database yet: inventories are stored and matched once `scry db import` or `scry db update` builds it"
        );
    }
    let state = Arc::new(http::AppState {
        svc: svc.clone(),
        metrics: metrics::Metrics::default(),
        sigv4: scry_sigv4::VerifyOptions::new(&["inspector2", "inspector-scan", "scry"]),
        max_body: cfg.max_body,
        uploads: Arc::new(
            upload::Uploads::new(cfg.data_dir.join("uploads"), cfg.max_upload)
                .with_context(|| format!("preparing {}", cfg.data_dir.join("uploads").display()))?,
        ),
    });
    // Watched registries: notifications, the scan worker, polling and the rescan window.
    let watcher = registry::Watcher::new(svc.clone(), cfg.data_dir.join("layer-cache"));
    watcher.start()?;
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| {
            format!(
                "listening on {} (is another server running? pass --listen)",
                cfg.listen
            )
        })?;
    let addr = listener.local_addr()?;
    // Follow the advisory database.
    let follower = {
        let svc = svc.clone();
        let poll = cfg.poll;
        let missed = cfg.agent_missed_intervals;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(poll).await;
                let svc = svc.clone();
                match tokio::task::spawn_blocking(move || {
                    // Hosts that stopped reporting: no inventory for 7 days (Inspector's
                    // STALE_INVENTORY).
                    let week_ago = service::now_ms() - 7 * 24 * 3600 * 1000;
                    if let Err(e) =
                        svc.store
                            .mark_stale("AWS_EC2_INSTANCE", week_ago, "STALE_INVENTORY")
                    {
                        tracing::error!(error = %e, "marking stale inventories");
                    }
                    // Hosts whose agent missed its reports (its own interval).
                    if let Err(e) = svc.sweep_missed_agents(missed) {
                        tracing::error!(error = %e, "marking hosts that missed their reports");
                    }
                    svc.refresh_intel()
                })
                .await
                {
                    Ok(Err(e)) => tracing::error!(error = %e, "following the advisory database"),
                    Err(e) => tracing::error!(error = %e, "advisory follower panicked"),
                    Ok(Ok(_)) => {}
                }
            }
        })
    };
    ready(addr);
    tracing::info!(%addr, data_dir = %cfg.data_dir.display(), db = %cfg.db.display(), "scry server listening");
    let app = http::router(state).merge(registry::routes(watcher.clone()));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    follower.abort();
    watcher.stop();
    tracing::info!("scry server stopped");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
