//! The downloader behind `scry db update`: OSV per-ecosystem zips, the CISA KEV catalog, EPSS
//! daily scores and NVD CVE API pages, fetched into a cache directory.
//!
//! Downloads are resumable (a `.part` file continued with an HTTP `Range` request),
//! conditional (ETag / Last-Modified kept beside the file; a 304 reuses it), retried with
//! backoff on connection errors, 429 and 5xx, capped in size, and shown as progress bars when
//! the caller asks. One failing source never stops the others.
//!
//! Architecture invariant: the only crate that talks to the internet; it never parses feed
//! content, except NVD's paging counters.

mod fetch;
mod nvd;

use std::path::PathBuf;
use std::time::Duration;

pub use fetch::DownloadError;

/// What to download and how.
#[derive(Debug, Clone)]
pub struct Config {
    pub cache_dir: PathBuf,
    /// Base URL serving `<ecosystem>/all.zip`.
    pub osv_base: String,
    pub osv_ecosystems: Vec<String>,
    pub kev_url: String,
    pub epss_url: String,
    pub nvd_url: String,
    pub nvd_api_key: Option<String>,
    /// Pause between NVD pages, as NVD asks (6 s without a key, 0.6 s with one).
    pub nvd_page_delay: Duration,
    pub include_nvd: bool,
    pub timeout: Duration,
    /// Largest response accepted.
    pub max_bytes: u64,
    /// Attempts per request (connection errors, 429, 5xx).
    pub attempts: u32,
    /// First backoff delay; doubles each attempt.
    pub backoff: Duration,
    /// Progress bars on stderr.
    pub progress: bool,
}

impl Config {
    pub fn with_defaults(cache_dir: PathBuf) -> Config {
        Config {
            cache_dir,
            osv_base: "https://osv-vulnerabilities.storage.googleapis.com".into(),
            osv_ecosystems: [
                "PyPI", "npm", "Go", "crates.io", "Maven", "RubyGems", "NuGet", "Packagist", "Hex", "Pub", "Debian",
                "Ubuntu", "Alpine", "Wolfi", "Chainguard", "AlmaLinux", "Rocky Linux", "Red Hat", "SUSE", "openSUSE",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            kev_url: "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json".into(),
            epss_url: "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz".into(),
            nvd_url: "https://services.nvd.nist.gov/rest/json/cves/2.0".into(),
            nvd_api_key: None,
            nvd_page_delay: Duration::from_secs(6),
            include_nvd: true,
            timeout: Duration::from_secs(300),
            max_bytes: 4 << 30,
            attempts: 4,
            backoff: Duration::from_millis(500),
            progress: false,
        }
    }
}

/// One file fetched (or reused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// `osv:PyPI`, `kev`, `epss`, `nvd`.
    pub source: String,
    pub path: PathBuf,
    /// False when the server answered 304 Not Modified and the cached file was reused.
    pub changed: bool,
}

/// Download every configured source. Failures are per source.
pub fn update(config: &Config) -> (Vec<Downloaded>, Vec<(String, DownloadError)>) {
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    let client = match fetch::Client::new(config) {
        Ok(c) => c,
        Err(e) => return (ok, vec![("all".into(), e)]),
    };
    let mut jobs: Vec<(String, String, PathBuf, String)> = Vec::new();
    for eco in &config.osv_ecosystems {
        let url = format!(
            "{}/{}/all.zip",
            config.osv_base.trim_end_matches('/'),
            eco.replace(' ', "%20")
        );
        let file = config
            .cache_dir
            .join("osv")
            .join(format!("{}.zip", eco.replace([' ', '/'], "_")));
        jobs.push((
            format!("osv:{eco}"),
            url,
            file,
            format!("the OSV {eco} feed"),
        ));
    }
    jobs.push((
        "kev".into(),
        config.kev_url.clone(),
        config.cache_dir.join("kev.json"),
        "the CISA KEV catalog".into(),
    ));
    let epss_name = if config.epss_url.ends_with(".gz") {
        "epss.csv.gz"
    } else {
        "epss.csv"
    };
    jobs.push((
        "epss".into(),
        config.epss_url.clone(),
        config.cache_dir.join(epss_name),
        "the EPSS scores".into(),
    ));
    for (source, url, path, what) in jobs {
        match client.fetch(&url, &path, &what) {
            Ok(changed) => ok.push(Downloaded {
                source,
                path,
                changed,
            }),
            Err(e) => failed.push((source, e)),
        }
    }
    if config.include_nvd {
        match nvd::update(&client, config) {
            Ok(pages) => ok.extend(pages),
            Err(e) => failed.push(("nvd".into(), e)),
        }
    }
    (ok, failed)
}
