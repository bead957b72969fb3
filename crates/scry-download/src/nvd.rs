//! NVD CVE API 2.0 paging: everything the first time, then what changed since the last
//! successful run (in windows of at most 120 days, as the API requires).

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::fetch::{Client, DownloadError};
use crate::{Config, Downloaded};

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    last_success: Option<DateTime<Utc>>,
}

const PAGE: u64 = 2000;

pub fn update(client: &Client, config: &Config) -> Result<Vec<Downloaded>, DownloadError> {
    let dir = config.cache_dir.join("nvd");
    std::fs::create_dir_all(&dir).map_err(|source| DownloadError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let state_path = dir.join("state.json");
    let state: State = std::fs::read(&state_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let started = Utc::now();
    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    // Windows of changes to ask for; one unbounded window on the first run.
    let windows: Vec<Option<(DateTime<Utc>, DateTime<Utc>)>> = match state.last_success {
        None => vec![None],
        Some(since) => {
            let mut w = Vec::new();
            let mut from = since;
            while from < started {
                let to = (from + Duration::days(120)).min(started);
                w.push(Some((from, to)));
                from = to;
            }
            w
        }
    };
    let mut out = Vec::new();
    for (wi, window) in windows.iter().enumerate() {
        let mut start = 0u64;
        loop {
            let mut url = format!(
                "{}?resultsPerPage={PAGE}&startIndex={start}",
                config.nvd_url
            );
            if let Some((from, to)) = window {
                url.push_str(&format!(
                    "&lastModStartDate={}&lastModEndDate={}",
                    fmt(*from),
                    fmt(*to)
                ));
            }
            let path: PathBuf = dir.join(format!("page-{wi}-{start}.json"));
            client.fetch(&url, &path, "the NVD CVE API")?;
            let bytes = std::fs::read(&path).map_err(|source| DownloadError::Io {
                path: path.display().to_string(),
                source,
            })?;
            let page: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| DownloadError::Nvd(e.to_string()))?;
            let total = page["totalResults"]
                .as_u64()
                .ok_or_else(|| DownloadError::Nvd("no totalResults".into()))?;
            let per_page = page["resultsPerPage"].as_u64().unwrap_or(PAGE).max(1);
            out.push(Downloaded {
                source: "nvd".into(),
                path,
                changed: true,
            });
            start += per_page;
            if start >= total {
                break;
            }
            std::thread::sleep(config.nvd_page_delay);
        }
    }
    let json = serde_json::to_vec(&State {
        last_success: Some(started),
    })
    .unwrap_or_default();
    std::fs::write(&state_path, json).map_err(|source| DownloadError::Io {
        path: state_path.display().to_string(),
        source,
    })?;
    Ok(out)
}
