//! One HTTP download: resumable, conditional, retried, capped, with progress.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use reqwest::blocking::Response;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RANGE, RETRY_AFTER};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use crate::Config;

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("could not download {what} from {url}: {reason} — offline? Import feeds from files with `scry db import PATH`")]
    Offline {
        what: String,
        url: String,
        reason: String,
    },
    #[error("could not download {what} from {url}: HTTP {status}")]
    Status {
        what: String,
        url: String,
        status: u16,
    },
    #[error("{what} from {url} is larger than the {limit}-byte limit")]
    TooLarge {
        what: String,
        url: String,
        limit: u64,
    },
    #[error("could not write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("NVD answered with an unexpected page: {0}")]
    Nvd(String),
}

/// Validators kept beside a downloaded file.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Meta {
    etag: Option<String>,
    last_modified: Option<String>,
    url: String,
}

pub struct Client {
    http: reqwest::blocking::Client,
    pub(crate) config: Config,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> DownloadError + '_ {
    move |source| DownloadError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl Client {
    pub fn new(config: &Config) -> Result<Client, DownloadError> {
        let http = reqwest::blocking::Client::builder()
            .user_agent(concat!(
                "scry/",
                env!("CARGO_PKG_VERSION"),
                " (+vulnerability feeds)"
            ))
            .connect_timeout(Duration::from_secs(20))
            .timeout(config.timeout)
            .build()
            .map_err(|e| DownloadError::Offline {
                what: "feeds".into(),
                url: "-".into(),
                reason: e.to_string(),
            })?;
        Ok(Client {
            http,
            config: config.clone(),
        })
    }

    /// GET with retries; `headers` applied to every attempt.
    pub(crate) fn get(
        &self,
        url: &str,
        what: &str,
        headers: &[(reqwest::header::HeaderName, String)],
    ) -> Result<Response, DownloadError> {
        let mut delay = self.config.backoff;
        let mut last: Option<DownloadError> = None;
        for attempt in 0..self.config.attempts.max(1) {
            if attempt > 0 {
                std::thread::sleep(delay);
                delay *= 2;
            }
            let mut req = self.http.get(url);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            if let Some(key) = &self.config.nvd_api_key {
                if url.starts_with(&self.config.nvd_url) {
                    req = req.header("apiKey", key);
                }
            }
            match req.send() {
                Ok(resp) => {
                    let s = resp.status();
                    if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() {
                        if let Some(secs) = resp
                            .headers()
                            .get(RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.parse::<u64>().ok())
                        {
                            delay = Duration::from_secs(secs.min(60));
                        }
                        last = Some(DownloadError::Status {
                            what: what.into(),
                            url: url.into(),
                            status: s.as_u16(),
                        });
                        continue;
                    }
                    return Ok(resp);
                }
                Err(e) => {
                    let mut reason = e.to_string();
                    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
                    while let Some(s) = src {
                        reason = format!("{reason}: {s}");
                        src = s.source();
                    }
                    last = Some(DownloadError::Offline {
                        what: what.into(),
                        url: url.into(),
                        reason,
                    });
                }
            }
        }
        Err(last.unwrap_or_else(|| DownloadError::Offline {
            what: what.into(),
            url: url.into(),
            reason: "no attempt made".into(),
        }))
    }

    /// Download `url` to `path`. Returns whether the file changed (false on 304).
    pub fn fetch(&self, url: &str, path: &Path, what: &str) -> Result<bool, DownloadError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let part = path.with_extension(format!(
            "{}.part",
            path.extension().and_then(|e| e.to_str()).unwrap_or("")
        ));
        let meta_path = path.with_extension(format!(
            "{}.meta.json",
            path.extension().and_then(|e| e.to_str()).unwrap_or("")
        ));
        let meta: Meta = std::fs::read(&meta_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let mut headers = Vec::new();
        let resume_from = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        if resume_from > 0 {
            headers.push((RANGE, format!("bytes={resume_from}-")));
        } else if path.exists() && meta.url == url {
            if let Some(e) = &meta.etag {
                headers.push((IF_NONE_MATCH, e.clone()));
            }
            if let Some(l) = &meta.last_modified {
                headers.push((IF_MODIFIED_SINCE, l.clone()));
            }
        }
        let mut resp = self.get(url, what, &headers)?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(false);
        }
        if !status.is_success() {
            return Err(DownloadError::Status {
                what: what.into(),
                url: url.into(),
                status: status.as_u16(),
            });
        }
        let append = status == StatusCode::PARTIAL_CONTENT && resume_from > 0;
        let new_meta = Meta {
            etag: resp
                .headers()
                .get(ETAG)
                .and_then(|v| v.to_str().ok())
                .map(String::from),
            last_modified: resp
                .headers()
                .get(LAST_MODIFIED)
                .and_then(|v| v.to_str().ok())
                .map(String::from),
            url: url.into(),
        };
        let already = if append { resume_from } else { 0 };
        let total = resp.content_length().map(|l| l + already);
        if total.is_some_and(|t| t > self.config.max_bytes) {
            return Err(DownloadError::TooLarge {
                what: what.into(),
                url: url.into(),
                limit: self.config.max_bytes,
            });
        }
        let mut file: File = if append {
            OpenOptions::new()
                .append(true)
                .open(&part)
                .map_err(io(&part))?
        } else {
            File::create(&part).map_err(io(&part))?
        };
        let pb = if self.config.progress {
            let pb = match total {
                Some(t) => ProgressBar::new(t),
                None => ProgressBar::new_spinner(),
            };
            pb.set_style(
                ProgressStyle::with_template(
                    "{msg:30} {bytes:>10}/{total_bytes:10} {bytes_per_sec:>12} {eta:>5}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            pb.set_message(what.to_string());
            pb.set_position(already);
            pb
        } else {
            ProgressBar::hidden()
        };
        let mut written = already;
        let mut buf = vec![0u8; 256 << 10];
        loop {
            let n = match resp.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                // The .part file stays: the next run resumes it.
                Err(e) => {
                    return Err(DownloadError::Offline {
                        what: what.into(),
                        url: url.into(),
                        reason: format!("connection lost after {written} bytes: {e}"),
                    })
                }
            };
            written += n as u64;
            if written > self.config.max_bytes {
                drop(file);
                let _ = std::fs::remove_file(&part);
                return Err(DownloadError::TooLarge {
                    what: what.into(),
                    url: url.into(),
                    limit: self.config.max_bytes,
                });
            }
            file.write_all(&buf[..n]).map_err(io(&part))?;
            pb.inc(n as u64);
        }
        file.sync_all().map_err(io(&part))?;
        drop(file);
        pb.finish_and_clear();
        std::fs::rename(&part, path).map_err(io(path))?;
        let json = serde_json::to_vec(&new_meta).unwrap_or_default();
        std::fs::write(&meta_path, json).map_err(io(&meta_path))?;
        tracing::debug!(url, bytes = written, "downloaded");
        Ok(true)
    }
}
