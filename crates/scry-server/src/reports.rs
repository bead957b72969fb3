//! Exports and SBOM scanning: findings reports (CreateFindingsReport, GetFindingsReportStatus,
//! CancelFindingsReport), SBOM exports (CreateSbomExport, GetSbomExport, CancelSbomExport) and
//! inspector-scan's ScanSbom.
//!
//! # Destinations
//!
//! Inspector writes reports to `s3Destination {bucketName, keyPrefix, kmsKeyArn}`. Scry:
//!
//! - with `SCRY_S3_ENDPOINT` set (e.g. `http://127.0.0.1:9000`), uploads each object with one
//!   SigV4-signed path-style `PUT <endpoint>/<bucket>/<key>` (credentials
//!   `SCRY_S3_ACCESS_KEY_ID`/`SCRY_S3_SECRET_ACCESS_KEY`, optional `SCRY_S3_SESSION_TOKEN`,
//!   region `SCRY_S3_REGION`, default `us-east-1`) to any S3-compatible server;
//! - otherwise writes `<reports dir>/<bucketName>/<keyPrefix>/<key>`, where the reports
//!   directory is `SCRY_REPORTS_DIR`, else `reports/` beside the store file. Files appear
//!   atomically (written beside, then renamed). `bucketName` must be a valid S3 bucket name and
//!   `keyPrefix` a relative key without `.`/`..` segments, so nothing is written outside the
//!   bucket's directory.
//!
//! `kmsKeyArn` is accepted and ignored: Scry does not encrypt exported objects (use the
//! bucket's default encryption, or an encrypted file system). `expectedBucketOwner` is ignored
//! too.
//!
//! Object keys (Inspector does not document its own): a findings report is
//! `<keyPrefix>/<reportId>.csv|.json`; an SBOM export writes one document per resource,
//! `<keyPrefix>/<reportId>/<accountId>/<resourceType>/<resourceId>.cyclonedx.json|.spdx.json`
//! (the resource id with characters other than `A-Za-z0-9._-` replaced by `_`, plus a short hash
//! when that changed it).
//!
//! # Jobs
//!
//! Reports and exports run in a background thread and are recorded in the store's jobs table:
//! `IN_PROGRESS` → `SUCCEEDED`, `FAILED` (with `errorCode`/`errorMessage`) or `CANCELLED`.
//! A job checks for cancellation between pages of findings and between resources; what a
//! cancelled or failed job already published is removed. A job that finds nothing fails with
//! `NO_FINDINGS_FOUND`. Like Inspector, an account runs one findings report at a time, and a
//! findings report without a `findingStatus` filter covers ACTIVE findings only.
//!
//! # Formats
//!
//! - Findings report JSON: `{"findings": [Finding, ...]}`, each finding as ListFindings returns it.
//! - Findings report CSV: one row per finding with the 52 columns of Inspector's CSV export,
//!   in its order ([`CSV_COLUMNS`]); times are RFC 3339 UTC, lists are joined with `, `.
//! - SBOM export: CycloneDX 1.6 JSON (for `CYCLONEDX_1_4`: scry-sbom writes 1.6, a superset) or
//!   SPDX 2.3 JSON, one document per resource with a stored inventory, with Inspector's
//!   `metadata.properties` (`accountId`, `resourceType`, `resourceId`, `imageId`,
//!   `architecture`) in CycloneDX.
//! - ScanSbom: see [`scan_sbom`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use scry_cvss::{CvssVersion, Severity};
use scry_inventory::Inventory;
use scry_store::{FindingQuery, Job, SortField, Store};
use scry_wire::shapes::*;
use scry_wire::ApiError;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::api::Caller;
use crate::convert::criteria;
use crate::service::{now_ms, Service};

/// The jobs-table kind of findings reports.
pub const FINDINGS_REPORT: &str = "findings-report";
/// The jobs-table kind of SBOM exports.
pub const SBOM_EXPORT: &str = "sbom-export";

/// The columns of a CSV findings report, in Inspector's order (Inspector user guide,
/// "Exporting findings reports", sample header).
pub const CSV_COLUMNS: [&str; 52] = [
    "AWS Account Id",
    "Severity",
    "Fix Available",
    "Finding Type",
    "Title",
    "Description",
    "Finding ARN",
    "First Seen",
    "Last Seen",
    "Last Updated",
    "Resource ID",
    "Container Image Tags",
    "Region",
    "Platform",
    "Resource Tags",
    "Affected Packages",
    "Package Installed Version",
    "Fixed in Version",
    "Package Remediation",
    "File Path",
    "Network Paths",
    "Age (Days)",
    "Remediation",
    "Inspector Score",
    "Inspector Score Vector",
    "Status",
    "Vulnerability Id",
    "Vendor",
    "Vendor Severity",
    "Vendor Advisory",
    "Vendor Advisory Published",
    "NVD CVSS3 Score",
    "NVD CVSS3 Vector",
    "NVD CVSS2 Score",
    "NVD CVSS2 Vector",
    "Vendor CVSS3 Score",
    "Vendor CVSS3 Vector",
    "Vendor CVSS2 Score",
    "Vendor CVSS2 Vector",
    "Resource Type",
    "Ami",
    "Resource Public Ipv4",
    "Resource Private Ipv4",
    "Resource Ipv6",
    "Resource Vpc",
    "Port Range",
    "Exploit Available",
    "Last Exploited At",
    "Lambda Layers",
    "Lambda Package Type",
    "Lambda Last Updated At",
    "Reference Urls",
];

/// Most components ScanSbom accepts (Inspector's documented limit).
pub const SCAN_SBOM_MAX_COMPONENTS: usize = 5000;
/// Deepest CycloneDX component nesting ScanSbom walks.
const MAX_DEPTH: usize = 32;
/// Findings read per page while writing a report (and between cancellation checks).
const PAGE: usize = 500;

/// `ReportingErrorCode` values.
mod code {
    pub const INTERNAL_ERROR: &str = "INTERNAL_ERROR";
    pub const INVALID_PERMISSIONS: &str = "INVALID_PERMISSIONS";
    pub const NO_FINDINGS_FOUND: &str = "NO_FINDINGS_FOUND";
    pub const BUCKET_NOT_FOUND: &str = "BUCKET_NOT_FOUND";
    pub const INCOMPATIBLE_BUCKET_REGION: &str = "INCOMPATIBLE_BUCKET_REGION";
    pub const MALFORMED_KMS_KEY: &str = "MALFORMED_KMS_KEY";
}

fn internal<E: std::fmt::Display>(e: E) -> ApiError {
    tracing::error!(error = %e, "internal error");
    ApiError::internal("Scry failed to answer; the server log has the cause")
}

fn rfc3339_ms(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default()
}

fn rfc3339_s(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn epoch_s_to_rfc3339(s: f64) -> String {
    rfc3339_ms((s * 1000.0).round() as i64)
}

/// A random (version 4) UUID, the shape Inspector's report ids have.
fn new_report_id() -> Result<String, ApiError> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).map_err(internal)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

// ---------------------------------------------------------------------------------------------
// Destinations
// ---------------------------------------------------------------------------------------------

/// An S3-compatible endpoint from the environment.
#[derive(Clone)]
struct S3Config {
    /// `http` or `https`.
    scheme: String,
    /// `host[:port]`, as sent in the `Host` header.
    host: String,
    /// The endpoint's path, without a trailing `/` (usually empty).
    base_path: String,
    credentials: scry_sigv4::Credentials,
    region: String,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field(
                "endpoint",
                &format!("{}://{}{}", self.scheme, self.host, self.base_path),
            )
            .field("region", &self.region)
            .finish()
    }
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Reads `SCRY_S3_*`; `None` without `SCRY_S3_ENDPOINT`.
fn s3_from_env() -> Result<Option<S3Config>, ApiError> {
    let Some(endpoint) = env_nonempty("SCRY_S3_ENDPOINT") else {
        return Ok(None);
    };
    let misconfigured = |what: String| {
        tracing::error!(endpoint, "{what}");
        ApiError::internal(format!(
            "the server's S3 destination is misconfigured: {what}"
        ))
    };
    let url = reqwest::Url::parse(endpoint.trim())
        .map_err(|e| misconfigured(format!("SCRY_S3_ENDPOINT {endpoint:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(misconfigured(format!(
            "SCRY_S3_ENDPOINT {endpoint:?} is not an http(s) URL"
        )));
    }
    let Some(host) = url.host_str() else {
        return Err(misconfigured(format!(
            "SCRY_S3_ENDPOINT {endpoint:?} has no host"
        )));
    };
    let host = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let (Some(key), Some(secret)) = (
        env_nonempty("SCRY_S3_ACCESS_KEY_ID"),
        env_nonempty("SCRY_S3_SECRET_ACCESS_KEY"),
    ) else {
        return Err(misconfigured(
            "SCRY_S3_ENDPOINT is set but SCRY_S3_ACCESS_KEY_ID or SCRY_S3_SECRET_ACCESS_KEY is not"
                .into(),
        ));
    };
    let mut credentials = scry_sigv4::Credentials::new(key, secret);
    credentials.session_token = env_nonempty("SCRY_S3_SESSION_TOKEN");
    Ok(Some(S3Config {
        scheme: url.scheme().to_string(),
        host,
        base_path: url.path().trim_end_matches('/').to_string(),
        credentials,
        region: env_nonempty("SCRY_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
    }))
}

/// Where local reports go: `SCRY_REPORTS_DIR`, else `reports/` beside the store file.
pub fn reports_dir(svc: &Service) -> PathBuf {
    if let Some(d) = env_nonempty("SCRY_REPORTS_DIR") {
        return PathBuf::from(d);
    }
    svc.store
        .path()
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("reports"), |p| p.join("reports"))
}

/// S3's bucket naming rules (3 to 63 of `a-z 0-9 . -`, starting and ending with a letter or
/// digit, no `..`, not an IP address).
fn check_bucket(name: &str) -> Result<(), ApiError> {
    let bad = |why: &str| {
        ApiError::invalid(format!(
            "s3Destination.bucketName {name:?} is not a valid bucket name: {why}"
        ))
    };
    if !(3..=63).contains(&name.len()) {
        return Err(bad("it must be 3 to 63 characters long"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return Err(bad(
            "only lowercase letters, digits, dots and hyphens are allowed",
        ));
    }
    let first_last_ok =
        |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !first_last_ok(name.bytes().next()) || !first_last_ok(name.bytes().last()) {
        return Err(bad("it must start and end with a letter or digit"));
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return Err(bad("dots may not be adjacent to dots or hyphens"));
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(bad("it may not be an IP address"));
    }
    Ok(())
}

/// Checks a key prefix and returns it without leading/trailing `/` (empty when none). Refused:
/// absolute prefixes, `.`/`..` or empty segments, backslashes and control characters.
fn check_prefix(prefix: Option<&str>) -> Result<String, ApiError> {
    let Some(p) = prefix else {
        return Ok(String::new());
    };
    let bad = |why: &str| {
        ApiError::invalid(format!(
            "s3Destination.keyPrefix {:?} is not accepted: {why}",
            p.chars().take(200).collect::<String>()
        ))
    };
    if p.len() > 512 {
        return Err(bad("it is longer than 512 bytes"));
    }
    if p.starts_with('/') {
        return Err(bad("it must be relative (no leading '/')"));
    }
    if p.chars().any(|c| c.is_control() || c == '\\') {
        return Err(bad("control characters and backslashes are not allowed"));
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    for seg in trimmed.split('/') {
        if seg.is_empty() {
            return Err(bad("it has an empty segment ('//')"));
        }
        if seg == "." || seg == ".." {
            return Err(bad("'.' and '..' segments are not allowed"));
        }
        let mut comps = Path::new(seg).components();
        if !matches!(
            (comps.next(), comps.next()),
            (Some(Component::Normal(_)), None)
        ) {
            return Err(bad("a segment is not a plain name"));
        }
    }
    Ok(trimmed.to_string())
}

fn join_key(prefix: &str, rest: &str) -> String {
    if prefix.is_empty() {
        rest.to_string()
    } else {
        format!("{prefix}/{rest}")
    }
}

/// Where a job's objects go.
#[derive(Debug, Clone)]
enum Target {
    Local(PathBuf),
    S3(S3Config),
}

/// A report's destination, checked.
#[derive(Debug, Clone)]
struct Destination {
    target: Target,
    bucket: String,
    prefix: String,
}

impl Destination {
    fn new(svc: &Service, d: &scry_wire::shapes::Destination) -> Result<Destination, ApiError> {
        check_bucket(&d.bucket_name)?;
        let prefix = check_prefix(d.key_prefix.as_deref())?;
        let target = match s3_from_env()? {
            Some(s3) => Target::S3(s3),
            None => Target::Local(reports_dir(svc)),
        };
        Ok(Destination {
            target,
            bucket: d.bucket_name.clone(),
            prefix,
        })
    }
}

/// Why a job stopped early.
#[derive(Debug)]
enum Stop {
    Cancelled,
    Failed(&'static str, String),
}

fn failed(code: &'static str, message: impl Into<String>) -> Stop {
    Stop::Failed(code, message.into())
}

fn io_stop(what: &str, e: &std::io::Error) -> Stop {
    let code = if e.kind() == std::io::ErrorKind::PermissionDenied {
        code::INVALID_PERMISSIONS
    } else {
        code::INTERNAL_ERROR
    };
    failed(code, format!("{what}: {e}"))
}

/// Writes objects to a destination and remembers them (to remove them if the job does not
/// succeed).
struct Sink {
    dest: Destination,
    http: Option<reqwest::blocking::Client>,
    published: Vec<String>,
}

/// A file being written, with the SHA-256 of what went in.
struct Staged {
    file: tempfile::NamedTempFile,
    hash: Sha256,
    len: u64,
}

impl Write for Staged {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Sink {
    fn open(dest: Destination) -> Result<Sink, Stop> {
        let http = match &dest.target {
            Target::Local(_) => None,
            Target::S3(_) => Some(
                reqwest::blocking::Client::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .timeout(Duration::from_secs(3600))
                    .build()
                    .map_err(|e| {
                        failed(code::INTERNAL_ERROR, format!("starting the S3 client: {e}"))
                    })?,
            ),
        };
        Ok(Sink {
            dest,
            http,
            published: Vec::new(),
        })
    }

    /// The local path of `key`, its directory created; refuses anything that would leave the
    /// bucket's directory (also through symbolic links).
    fn local_path(root: &Path, bucket: &str, key: &str) -> Result<PathBuf, Stop> {
        let bucket_dir = root.join(bucket);
        let mut path = bucket_dir.clone();
        for seg in key.split('/') {
            let mut comps = Path::new(seg).components();
            if seg.is_empty()
                || !matches!(
                    (comps.next(), comps.next()),
                    (Some(Component::Normal(_)), None)
                )
            {
                return Err(failed(
                    code::INTERNAL_ERROR,
                    format!("object key {key:?} is not a plain relative path"),
                ));
            }
            path.push(seg);
        }
        let dir = path.parent().unwrap_or(&bucket_dir).to_path_buf();
        std::fs::create_dir_all(&dir)
            .map_err(|e| io_stop(&format!("creating {}", dir.display()), &e))?;
        let real_bucket = bucket_dir
            .canonicalize()
            .map_err(|e| io_stop(&format!("resolving {}", bucket_dir.display()), &e))?;
        let real_dir = dir
            .canonicalize()
            .map_err(|e| io_stop(&format!("resolving {}", dir.display()), &e))?;
        if !real_dir.starts_with(&real_bucket) {
            return Err(failed(
                code::INVALID_PERMISSIONS,
                format!("{} leads outside the bucket directory", dir.display()),
            ));
        }
        Ok(path)
    }

    /// A staging file for an object (beside its final path for local destinations, so the
    /// publication is a rename).
    fn stage(&self, key: &str) -> Result<Staged, Stop> {
        let dir = match &self.dest.target {
            Target::Local(root) => {
                let p = Self::local_path(root, &self.dest.bucket, key)?;
                p.parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.clone())
            }
            Target::S3(_) => std::env::temp_dir(),
        };
        let file = tempfile::Builder::new()
            .prefix(".scry-")
            .suffix(".partial")
            .tempfile_in(&dir)
            .map_err(|e| io_stop(&format!("creating a file in {}", dir.display()), &e))?;
        Ok(Staged {
            file,
            hash: Sha256::new(),
            len: 0,
        })
    }

    /// Publishes a staged object under `key`.
    fn publish(&mut self, key: &str, staged: Staged, content_type: &str) -> Result<(), Stop> {
        let Staged { file, hash, len } = staged;
        match &self.dest.target {
            Target::Local(root) => {
                let path = Self::local_path(root, &self.dest.bucket, key)?;
                file.persist(&path)
                    .map_err(|e| io_stop(&format!("writing {}", path.display()), &e.error))?;
            }
            Target::S3(cfg) => {
                let sha = hex::encode(hash.finalize());
                let f = file
                    .reopen()
                    .map_err(|e| io_stop("reading the staged report", &e))?;
                let body = reqwest::blocking::Body::sized(f, len);
                self.s3_request(cfg, "PUT", key, Some((body, &sha, content_type)))?;
            }
        }
        self.published.push(key.to_string());
        Ok(())
    }

    /// Publishes a small object from memory.
    fn put_bytes(&mut self, key: &str, bytes: &[u8], content_type: &str) -> Result<(), Stop> {
        let mut staged = self.stage(key)?;
        staged
            .write_all(bytes)
            .and_then(|_| staged.flush())
            .map_err(|e| io_stop("writing the staged object", &e))?;
        self.publish(key, staged, content_type)
    }

    /// Removes what this job published (after a cancellation or failure); best effort.
    fn remove_published(&mut self) {
        for key in std::mem::take(&mut self.published) {
            let r = match &self.dest.target {
                Target::Local(root) => {
                    let path = root.join(&self.dest.bucket).join(&key);
                    std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))
                }
                Target::S3(cfg) => {
                    let cfg = cfg.clone();
                    self.s3_request(&cfg, "DELETE", &key, None)
                        .map_err(|e| format!("{e:?}"))
                }
            };
            if let Err(e) = r {
                tracing::warn!(key, error = %e, "removing an object of a stopped job");
            }
        }
    }

    fn s3_request(
        &self,
        cfg: &S3Config,
        method: &str,
        key: &str,
        body: Option<(reqwest::blocking::Body, &str, &str)>,
    ) -> Result<(), Stop> {
        let Some(http) = &self.http else {
            return Err(failed(code::INTERNAL_ERROR, "the S3 client is not started"));
        };
        let path = format!(
            "{}/{}/{}",
            cfg.base_path,
            scry_sigv4::uri_encode(self.dest.bucket.as_bytes(), false),
            scry_sigv4::uri_encode(key.as_bytes(), true)
        );
        let mut headers = vec![("host".to_string(), cfg.host.clone())];
        let empty_sha = hex::encode(Sha256::digest(b""));
        let sha = match &body {
            Some((_, sha, ct)) => {
                headers.push(("content-type".into(), ct.to_string()));
                sha.to_string()
            }
            None => empty_sha,
        };
        let mut sreq = scry_sigv4::SignRequest {
            method: method.into(),
            path: path.clone(),
            query: String::new(),
            headers,
        };
        scry_sigv4::sign(
            &mut sreq,
            scry_sigv4::SignPayload::Sha256Hex(&sha),
            &scry_sigv4::SigningParams {
                credentials: &cfg.credentials,
                region: &cfg.region,
                service: "s3",
                time: Utc::now(),
                content_sha256_header: true,
            },
        )
        .map_err(|e| failed(code::INTERNAL_ERROR, format!("signing the S3 request: {e}")))?;
        let url = format!("{}://{}{}", cfg.scheme, cfg.host, path);
        let m = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| failed(code::INTERNAL_ERROR, e.to_string()))?;
        let mut rb = http.request(m, &url);
        for (k, v) in &sreq.headers {
            if !k.eq_ignore_ascii_case("host") {
                rb = rb.header(k.as_str(), v.as_str());
            }
        }
        if let Some((b, _, _)) = body {
            rb = rb.body(b);
        }
        let resp = rb
            .send()
            .map_err(|e| failed(code::INTERNAL_ERROR, format!("{method} {url}: {e}")))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let text: String = resp.text().unwrap_or_default().chars().take(2000).collect();
        let s3_code = between(&text, "<Code>", "</Code>").unwrap_or_default();
        let message = between(&text, "<Message>", "</Message>").unwrap_or_default();
        let code = match (s3_code.as_str(), status.as_u16()) {
            ("NoSuchBucket", _) => code::BUCKET_NOT_FOUND,
            (
                "AuthorizationHeaderMalformed"
                | "PermanentRedirect"
                | "IllegalLocationConstraintException",
                _,
            )
            | (_, 301) => code::INCOMPATIBLE_BUCKET_REGION,
            (c, _) if c.starts_with("KMS.") || c == "KMSKeyNotFound" => code::MALFORMED_KMS_KEY,
            ("AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch", _)
            | (_, 401 | 403) => code::INVALID_PERMISSIONS,
            _ => code::INTERNAL_ERROR,
        };
        Err(failed(
            code,
            format!(
                "{method} s3://{}/{key} at {}://{}: HTTP {} {s3_code} {message}",
                self.dest.bucket,
                cfg.scheme,
                cfg.host,
                status.as_u16()
            )
            .trim_end()
            .to_string(),
        ))
    }
}

fn between(text: &str, open: &str, close: &str) -> Option<String> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(text[start..end].to_string())
}

// ---------------------------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------------------------

/// What a running job knows.
struct JobCtx {
    store: Store,
    id: String,
    account: String,
}

impl JobCtx {
    /// `Err(Cancelled)` once the job is no longer IN_PROGRESS.
    fn check(&self) -> Result<(), Stop> {
        match self.store.job(&self.account, &self.id) {
            Ok(Some(j)) if j.status == "IN_PROGRESS" => Ok(()),
            Ok(_) => Err(Stop::Cancelled),
            Err(e) => Err(failed(
                code::INTERNAL_ERROR,
                format!("reading the job: {e}"),
            )),
        }
    }
}

/// Delay before a job starts working (tests use it to observe IN_PROGRESS jobs).
static START_DELAY_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Makes every job of this process wait `ms` milliseconds before starting (for tests that
/// cancel a job or start a second one while the first runs). Zero by default.
#[doc(hidden)]
pub fn set_job_start_delay_ms(ms: u64) {
    START_DELAY_MS.store(ms, std::sync::atomic::Ordering::Relaxed);
}

/// Records a new IN_PROGRESS job and runs `work` in a background thread; the job ends
/// SUCCEEDED, FAILED or (already) CANCELLED. What `work` published is removed unless the job
/// succeeds.
fn start_job<F>(
    svc: &Service,
    caller: &Caller,
    kind: &str,
    request: String,
    dest: Destination,
    work: F,
) -> Result<String, ApiError>
where
    F: FnOnce(&JobCtx, &mut Sink) -> Result<(), Stop> + Send + 'static,
{
    let id = new_report_id()?;
    // The job's own handle on the store (the thread outlives this request).
    let job_store = Store::open(svc.store.path()).map_err(internal)?;
    let now = now_ms();
    svc.store
        .ensure_account(&caller.account_id, now)
        .map_err(internal)?;
    svc.store
        .create_job(&Job {
            id: id.clone(),
            account_id: caller.account_id.clone(),
            kind: kind.into(),
            status: "IN_PROGRESS".into(),
            request,
            error_code: None,
            error: None,
            created_at: now,
            updated_at: now,
        })
        .map_err(internal)?;
    let (job_id, account, kind_s) = (id.clone(), caller.account_id.clone(), kind.to_string());
    let spawned = std::thread::Builder::new()
        .name(format!("scry-{kind}"))
        .spawn(move || run_job(job_store, job_id, account, kind_s, dest, work));
    if let Err(e) = spawned {
        let _ = svc.store.finish_job(
            &id,
            "FAILED",
            Some((
                code::INTERNAL_ERROR,
                &format!("could not start the job: {e}"),
            )),
            now_ms(),
        );
        return Err(internal(e));
    }
    tracing::info!(
        report_id = id,
        kind,
        account = caller.account_id,
        "job started"
    );
    Ok(id)
}

fn run_job<F>(store: Store, id: String, account: String, kind: String, dest: Destination, work: F)
where
    F: FnOnce(&JobCtx, &mut Sink) -> Result<(), Stop>,
{
    let delay = START_DELAY_MS.load(std::sync::atomic::Ordering::Relaxed);
    if delay > 0 {
        std::thread::sleep(Duration::from_millis(delay));
    }
    let ctx = JobCtx { store, id, account };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || -> (Option<Sink>, Result<(), Stop>) {
            let mut sink = match Sink::open(dest) {
                Ok(s) => s,
                Err(e) => return (None, Err(e)),
            };
            if let Err(e) = ctx.check() {
                return (None, Err(e));
            }
            let r = work(&ctx, &mut sink);
            (Some(sink), r)
        },
    ));
    let finish = |status: &str, err: Option<(&str, &str)>| {
        ctx.store
            .finish_job(&ctx.id, status, err, now_ms())
            .unwrap_or_else(|e| {
                tracing::error!(report_id = ctx.id, error = %e, "recording the end of a job");
                false
            })
    };
    match result {
        Ok((mut sink, Ok(()))) => {
            if finish("SUCCEEDED", None) {
                let objects = sink.as_ref().map_or(0, |s| s.published.len());
                tracing::info!(report_id = ctx.id, kind, objects, "job succeeded");
            } else {
                // Cancelled between the last check and now.
                if let Some(s) = &mut sink {
                    s.remove_published();
                }
                tracing::info!(report_id = ctx.id, kind, "job cancelled");
            }
        }
        Ok((sink, Err(stop))) => {
            if let Some(mut s) = sink {
                s.remove_published();
            }
            match stop {
                Stop::Cancelled => tracing::info!(report_id = ctx.id, kind, "job cancelled"),
                Stop::Failed(code, msg) => {
                    tracing::warn!(report_id = ctx.id, kind, code, error = msg, "job failed");
                    finish("FAILED", Some((code, &msg)));
                }
            }
        }
        Err(_) => {
            tracing::error!(report_id = ctx.id, kind, "job panicked");
            finish(
                "FAILED",
                Some((
                    code::INTERNAL_ERROR,
                    "the job stopped on an internal error; the server log has the cause",
                )),
            );
        }
    }
}

fn load_job(svc: &Service, caller: &Caller, kind: &str, id: &str) -> Result<Job, ApiError> {
    match svc.store.job(&caller.account_id, id).map_err(internal)? {
        Some(j) if j.kind == kind => Ok(j),
        _ => Err(ApiError::not_found(format!(
            "no {} {id} in this account",
            if kind == FINDINGS_REPORT {
                "findings report"
            } else {
                "SBOM export"
            }
        ))),
    }
}

fn cancel_job(svc: &Service, caller: &Caller, kind: &str, id: &str) -> Result<(), ApiError> {
    let job = load_job(svc, caller, kind, id)?;
    match job.status.as_str() {
        "IN_PROGRESS" => {
            if !svc
                .store
                .finish_job(id, "CANCELLED", None, now_ms())
                .map_err(internal)?
            {
                // It ended meanwhile: answer from its final status.
                let job = load_job(svc, caller, kind, id)?;
                if job.status != "CANCELLED" {
                    return Err(ApiError::invalid(format!(
                        "report {id} already ended with status {}; only IN_PROGRESS reports can be cancelled",
                        job.status
                    )));
                }
            }
            tracing::info!(report_id = id, "job cancel requested");
            Ok(())
        }
        "CANCELLED" => Ok(()),
        other => Err(ApiError::invalid(format!(
            "report {id} already ended with status {other}; only IN_PROGRESS reports can be cancelled"
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// Findings reports
// ---------------------------------------------------------------------------------------------

/// CreateFindingsReport: starts a CSV or JSON report of the caller's findings matching
/// `filterCriteria` (ACTIVE findings only unless it filters on `findingStatus`). Refused while
/// another findings report of the account is in progress.
pub fn create_findings_report(
    svc: &Service,
    caller: &Caller,
    req: CreateFindingsReportRequest,
) -> Result<CreateFindingsReportResponse, ApiError> {
    let format = req.report_format.clone();
    if format != "CSV" && format != "JSON" {
        return Err(ApiError::invalid(format!(
            "reportFormat {format:?} is not CSV or JSON"
        )));
    }
    let dest = Destination::new(svc, &req.s3_destination)?;
    // Default scope: ACTIVE findings.
    let mut wire = match &req.filter_criteria {
        Some(f) => serde_json::to_value(f).map_err(internal)?,
        None => Value::Object(Map::new()),
    };
    if let Some(o) = wire.as_object_mut() {
        let has_status = o
            .get("findingStatus")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        if !has_status {
            o.insert(
                "findingStatus".into(),
                json!([{"comparison": "EQUALS", "value": "ACTIVE"}]),
            );
        }
    }
    let crit = criteria(Some(&wire))?;
    if let Some(j) = svc
        .store
        .latest_job(&caller.account_id, FINDINGS_REPORT)
        .map_err(internal)?
    {
        if j.status == "IN_PROGRESS" {
            return Err(ApiError::invalid(format!(
                "Cannot have multiple reports in-progress: report {} is still running; wait for it or cancel it",
                j.id
            )));
        }
    }
    let request = serde_json::to_string(&req).map_err(internal)?;
    let csv_format = format == "CSV";
    let prefix = dest.prefix.clone();
    let id = start_job(
        svc,
        caller,
        FINDINGS_REPORT,
        request,
        dest,
        move |ctx, sink| {
            let ext = if csv_format { "csv" } else { "json" };
            let key = join_key(&prefix, &format!("{}.{ext}", ctx.id));
            write_findings_report(ctx, sink, &crit, &key, csv_format)
        },
    )?;
    Ok(CreateFindingsReportResponse {
        report_id: Some(id),
    })
}

/// GetFindingsReportStatus: a report's status, or the account's latest report's without a
/// `reportId` (an empty answer when there is none).
pub fn get_findings_report_status(
    svc: &Service,
    caller: &Caller,
    req: GetFindingsReportStatusRequest,
) -> Result<GetFindingsReportStatusResponse, ApiError> {
    let job = match req.report_id.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => load_job(svc, caller, FINDINGS_REPORT, id)?,
        None => match svc
            .store
            .latest_job(&caller.account_id, FINDINGS_REPORT)
            .map_err(internal)?
        {
            Some(j) => j,
            None => return Ok(GetFindingsReportStatusResponse::default()),
        },
    };
    let original: Option<CreateFindingsReportRequest> = serde_json::from_str(&job.request).ok();
    Ok(GetFindingsReportStatusResponse {
        report_id: Some(job.id.clone()),
        status: Some(job.status.clone()),
        error_code: job.error_code.clone(),
        error_message: job.error.clone(),
        destination: original.as_ref().map(|r| r.s3_destination.clone()),
        filter_criteria: original.and_then(|r| r.filter_criteria),
    })
}

/// CancelFindingsReport: cancels an IN_PROGRESS report (what it wrote is removed). Cancelling
/// a cancelled report succeeds; a finished one is refused.
pub fn cancel_findings_report(
    svc: &Service,
    caller: &Caller,
    req: CancelFindingsReportRequest,
) -> Result<CancelFindingsReportResponse, ApiError> {
    cancel_job(svc, caller, FINDINGS_REPORT, &req.report_id)?;
    Ok(CancelFindingsReportResponse {
        report_id: req.report_id,
    })
}

/// The report being written.
enum ReportWriter<'a> {
    Csv(Box<csv::Writer<&'a mut Staged>>),
    Json(&'a mut Staged),
}

fn write_findings_report(
    ctx: &JobCtx,
    sink: &mut Sink,
    crit: &scry_store::criteria::Criteria,
    key: &str,
    csv_format: bool,
) -> Result<(), Stop> {
    let mut staged = sink.stage(key)?;
    let now = now_ms();
    let mut tags: BTreeMap<i64, BTreeMap<String, String>> = BTreeMap::new();
    let mut count = 0usize;
    let store_err =
        |e: scry_store::StoreError| failed(code::INTERNAL_ERROR, format!("reading findings: {e}"));
    let csv_err = |e: csv::Error| failed(code::INTERNAL_ERROR, format!("writing the report: {e}"));
    let io_err = |e: std::io::Error| io_stop("writing the report", &e);
    {
        let mut w = if csv_format {
            let mut w = csv::Writer::from_writer(&mut staged);
            w.write_record(CSV_COLUMNS).map_err(csv_err)?;
            ReportWriter::Csv(Box::new(w))
        } else {
            staged.write_all(b"{\"findings\":[").map_err(io_err)?;
            ReportWriter::Json(&mut staged)
        };
        let mut after = None;
        loop {
            ctx.check()?;
            let page = ctx
                .store
                .list_findings(&FindingQuery {
                    account_id: &ctx.account,
                    criteria: crit,
                    sort: SortField::FirstObservedAt,
                    descending: false,
                    after,
                    limit: PAGE,
                })
                .map_err(store_err)?;
            for row in &page.findings {
                let f = finding_out(&ctx.store, row, &mut tags).map_err(store_err)?;
                match &mut w {
                    ReportWriter::Csv(c) => c.write_record(csv_row(&f, now)).map_err(csv_err)?,
                    ReportWriter::Json(j) => {
                        if count > 0 {
                            j.write_all(b",").map_err(io_err)?;
                        }
                        serde_json::to_writer(&mut **j, &f).map_err(|e| {
                            failed(code::INTERNAL_ERROR, format!("writing the report: {e}"))
                        })?;
                    }
                }
                count += 1;
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        match w {
            ReportWriter::Csv(c) => {
                let inner = (*c).into_inner().map_err(|e| {
                    failed(code::INTERNAL_ERROR, format!("writing the report: {e}"))
                })?;
                inner.flush().map_err(io_err)?;
            }
            ReportWriter::Json(j) => {
                j.write_all(b"]}").map_err(io_err)?;
                j.flush().map_err(io_err)?;
            }
        }
    }
    if count == 0 {
        return Err(failed(
            code::NO_FINDINGS_FOUND,
            "no findings match the report's filter criteria",
        ));
    }
    ctx.check()?;
    let content_type = if csv_format {
        "text/csv"
    } else {
        "application/json"
    };
    sink.publish(key, staged, content_type)
}

/// A stored finding as ListFindings returns it (the lifecycle fields and the resource's tags
/// from the store); the same as `api::finding_out`, on a job's own store handle.
fn finding_out(
    store: &Store,
    row: &scry_store::FindingRow,
    tags: &mut BTreeMap<i64, BTreeMap<String, String>>,
) -> Result<scry_wire::Finding, scry_store::StoreError> {
    let mut f = scry_wire::Finding::join(&row.body, row.shared.as_deref()).map_err(|e| {
        scry_store::StoreError::Corrupt {
            what: "finding",
            reason: e.to_string(),
        }
    })?;
    f.finding_arn = row.arn.clone();
    f.status = row.status.clone();
    f.first_observed_at = row.first_observed_at as f64 / 1000.0;
    f.last_observed_at = row.last_observed_at as f64 / 1000.0;
    f.updated_at = Some(row.updated_at as f64 / 1000.0);
    if let std::collections::btree_map::Entry::Vacant(e) = tags.entry(row.resource_pk) {
        e.insert(
            store
                .resource_by_pk(row.resource_pk)?
                .map(|r| r.tags)
                .unwrap_or_default(),
        );
    }
    if let (Some(r), Some(t)) = (f.resources.first_mut(), tags.get(&row.resource_pk)) {
        r.tags = t.clone();
    }
    Ok(f)
}

fn join<I: IntoIterator<Item = String>>(items: I) -> String {
    items
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

fn num(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

/// A string, or the strings of an array, at a JSON pointer.
fn text_at(v: Option<&Value>, pointer: &str) -> String {
    match v.and_then(|v| v.pointer(pointer)) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => join(a.iter().map(|x| match x {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// One CSV row, in [`CSV_COLUMNS`] order.
fn csv_row(f: &scry_wire::Finding, now_ms: i64) -> Vec<String> {
    let res = f.resources.first();
    let details = res.and_then(|r| r.details.as_ref());
    let pvd = f.package_vulnerability_details.as_ref();
    let pkgs = pvd.map(|p| p.vulnerable_packages.as_slice()).unwrap_or(&[]);
    let cvss = |nvd: bool, major: &str| {
        pvd.and_then(|p| {
            p.cvss.iter().find(|c| {
                (c.source == "NVD") == nvd
                    && c.version.trim_start_matches("CVSS:").starts_with(major)
            })
        })
    };
    let installed = |p: &scry_wire::VulnerablePackage| {
        let mut v = String::new();
        if let Some(e) = p.epoch.filter(|e| *e != 0) {
            v.push_str(&format!("{e}:"));
        }
        v.push_str(&p.version);
        if let Some(r) = &p.release {
            v.push('-');
            v.push_str(r);
        }
        v
    };
    let age_days = ((now_ms as f64 / 1000.0 - f.first_observed_at) / 86_400.0)
        .floor()
        .max(0.0);
    let (nvd3, nvd2, ven3, ven2) = (
        cvss(true, "3"),
        cvss(true, "2"),
        cvss(false, "3"),
        cvss(false, "2"),
    );
    vec![
        f.aws_account_id.clone(),
        f.severity.clone(),
        f.fix_available.clone().unwrap_or_default(),
        f.ty.clone(),
        f.title.clone().unwrap_or_default(),
        f.description.clone(),
        f.finding_arn.clone(),
        epoch_s_to_rfc3339(f.first_observed_at),
        epoch_s_to_rfc3339(f.last_observed_at),
        f.updated_at.map(epoch_s_to_rfc3339).unwrap_or_default(),
        res.map(|r| r.id.clone()).unwrap_or_default(),
        text_at(details, "/awsEcrContainerImage/imageTags"),
        res.and_then(|r| r.region.clone()).unwrap_or_default(),
        {
            let p = text_at(details, "/awsEc2Instance/platform");
            if p.is_empty() {
                text_at(details, "/awsEcrContainerImage/platform")
            } else {
                p
            }
        },
        join(
            res.map(|r| {
                r.tags
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
        ),
        join(pkgs.iter().map(|p| p.name.clone())),
        join(pkgs.iter().map(installed)),
        join(
            pkgs.iter()
                .map(|p| p.fixed_in_version.clone().unwrap_or_default()),
        ),
        join(
            pkgs.iter()
                .map(|p| p.remediation.clone().unwrap_or_default()),
        ),
        join(pkgs.iter().map(|p| p.file_path.clone().unwrap_or_default())),
        String::new(),
        age_days.to_string(),
        f.remediation
            .recommendation
            .as_ref()
            .and_then(|r| r.text.clone())
            .unwrap_or_default(),
        num(f.inspector_score),
        f.inspector_score_details
            .as_ref()
            .and_then(|d| d.adjusted_cvss.as_ref())
            .map(|c| c.scoring_vector.clone())
            .unwrap_or_default(),
        f.status.clone(),
        pvd.map(|p| p.vulnerability_id.clone()).unwrap_or_default(),
        pvd.map(|p| p.source.clone()).unwrap_or_default(),
        pvd.and_then(|p| p.vendor_severity.clone())
            .unwrap_or_default(),
        pvd.and_then(|p| p.source_url.clone()).unwrap_or_default(),
        pvd.and_then(|p| p.vendor_created_at)
            .map(epoch_s_to_rfc3339)
            .unwrap_or_default(),
        num(nvd3.map(|c| c.base_score)),
        nvd3.map(|c| c.scoring_vector.clone()).unwrap_or_default(),
        num(nvd2.map(|c| c.base_score)),
        nvd2.map(|c| c.scoring_vector.clone()).unwrap_or_default(),
        num(ven3.map(|c| c.base_score)),
        ven3.map(|c| c.scoring_vector.clone()).unwrap_or_default(),
        num(ven2.map(|c| c.base_score)),
        ven2.map(|c| c.scoring_vector.clone()).unwrap_or_default(),
        res.map(|r| r.ty.clone()).unwrap_or_default(),
        text_at(details, "/awsEc2Instance/imageId"),
        String::new(),
        text_at(details, "/awsEc2Instance/ipV4Addresses"),
        text_at(details, "/awsEc2Instance/ipV6Addresses"),
        text_at(details, "/awsEc2Instance/vpcId"),
        String::new(),
        f.exploit_available.clone().unwrap_or_default(),
        f.exploitability_details
            .as_ref()
            .and_then(|e| e.last_known_exploit_at)
            .map(epoch_s_to_rfc3339)
            .unwrap_or_default(),
        text_at(details, "/awsLambdaFunction/layers"),
        text_at(details, "/awsLambdaFunction/packageType"),
        text_at(details, "/awsLambdaFunction/lastModifiedAt"),
        join(pvd.map(|p| p.reference_urls.clone()).unwrap_or_default()),
    ]
}

// ---------------------------------------------------------------------------------------------
// SBOM exports
// ---------------------------------------------------------------------------------------------

/// CreateSbomExport: starts an export of one CycloneDX (`CYCLONEDX_1_4`, written as 1.6) or
/// SPDX 2.3 JSON document per resource of the caller that matches `resourceFilterCriteria` and
/// has a stored inventory.
pub fn create_sbom_export(
    svc: &Service,
    caller: &Caller,
    req: CreateSbomExportRequest,
) -> Result<CreateSbomExportResponse, ApiError> {
    let spdx = match req.report_format.as_str() {
        "CYCLONEDX_1_4" => false,
        "SPDX_2_3" => true,
        other => {
            return Err(ApiError::invalid(format!(
                "reportFormat {other:?} is not CYCLONEDX_1_4 or SPDX_2_3"
            )))
        }
    };
    let dest = Destination::new(svc, &req.s3_destination)?;
    let crit = criteria(req.resource_filter_criteria.as_ref())?;
    let request = serde_json::to_string(&req).map_err(internal)?;
    let prefix = dest.prefix.clone();
    let id = start_job(svc, caller, SBOM_EXPORT, request, dest, move |ctx, sink| {
        write_sbom_export(ctx, sink, &crit, &prefix, spdx)
    })?;
    Ok(CreateSbomExportResponse {
        report_id: Some(id),
    })
}

/// GetSbomExport: an SBOM export's status, format, destination and criteria.
pub fn get_sbom_export(
    svc: &Service,
    caller: &Caller,
    req: GetSbomExportRequest,
) -> Result<GetSbomExportResponse, ApiError> {
    let job = load_job(svc, caller, SBOM_EXPORT, &req.report_id)?;
    let original: Option<CreateSbomExportRequest> = serde_json::from_str(&job.request).ok();
    Ok(GetSbomExportResponse {
        report_id: Some(job.id.clone()),
        format: original.as_ref().map(|r| r.report_format.clone()),
        status: Some(job.status.clone()),
        error_code: job.error_code.clone(),
        error_message: job.error.clone().filter(|m| !m.is_empty()),
        s3_destination: original.as_ref().map(|r| r.s3_destination.clone()),
        filter_criteria: original.and_then(|r| r.resource_filter_criteria),
    })
}

/// CancelSbomExport: cancels an IN_PROGRESS export (the documents it wrote are removed).
pub fn cancel_sbom_export(
    svc: &Service,
    caller: &Caller,
    req: CancelSbomExportRequest,
) -> Result<CancelSbomExportResponse, ApiError> {
    cancel_job(svc, caller, SBOM_EXPORT, &req.report_id)?;
    Ok(CancelSbomExportResponse {
        report_id: Some(req.report_id),
    })
}

/// A resource id as one safe file name.
fn file_name_of(id: &str) -> String {
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(150)
        .collect();
    let clean = clean.trim_start_matches('.').to_string();
    if clean == id && !clean.is_empty() {
        clean
    } else {
        let h = hex::encode(&Sha256::digest(id.as_bytes())[..4]);
        format!("{}{}{h}", clean, if clean.is_empty() { "" } else { "-" })
    }
}

fn write_sbom_export(
    ctx: &JobCtx,
    sink: &mut Sink,
    crit: &scry_store::criteria::Criteria,
    prefix: &str,
    spdx: bool,
) -> Result<(), Stop> {
    let store_err = |e: scry_store::StoreError| {
        failed(code::INTERNAL_ERROR, format!("reading inventories: {e}"))
    };
    let now = rfc3339_s(&Utc::now());
    let tool = env!("CARGO_PKG_VERSION");
    let mut after = 0i64;
    let mut written = 0usize;
    loop {
        ctx.check()?;
        let mut rows = ctx
            .store
            .list_coverage(&ctx.account, crit, after, 200)
            .map_err(store_err)?;
        let more = rows.len() > 200;
        rows.truncate(200);
        for r in &rows {
            after = r.pk;
            let Some((res, body)) = ctx.store.inventory(r.pk).map_err(store_err)? else {
                continue;
            };
            ctx.check()?;
            let inv: Inventory = match serde_json::from_slice(&body) {
                Ok(i) => i,
                Err(e) => {
                    tracing::warn!(resource = res.info.resource_id, error = %e, "stored inventory unreadable; left out of the SBOM export");
                    continue;
                }
            };
            let info = &res.info;
            let kind = match info.resource_type.as_str() {
                "AWS_ECR_CONTAINER_IMAGE" => scry_sbom::SubjectKind::Image,
                "AWS_LAMBDA_FUNCTION" => scry_sbom::SubjectKind::Archive,
                _ => scry_sbom::SubjectKind::Directory,
            };
            let subject = scry_sbom::Subject {
                name: if info.arn.is_empty() {
                    info.resource_id.clone()
                } else {
                    info.arn.clone()
                },
                kind,
                digest: info
                    .ecr_image_hash
                    .clone()
                    .filter(|h| h.starts_with("sha256:")),
            };
            let doc = if spdx {
                scry_sbom::to_spdx(
                    &inv,
                    &subject,
                    tool,
                    &now,
                    &format!("{}/{}", ctx.id, info.arn),
                )
            } else {
                let mut d = scry_sbom::to_cyclonedx(&inv, &subject, tool, &now);
                add_export_properties(&mut d, info);
                d
            };
            let key = join_key(
                prefix,
                &format!(
                    "{}/{}/{}/{}.{}.json",
                    ctx.id,
                    file_name_of(&info.account_id),
                    file_name_of(&info.resource_type),
                    file_name_of(&info.resource_id),
                    if spdx { "spdx" } else { "cyclonedx" }
                ),
            );
            let bytes = serde_json::to_vec_pretty(&doc)
                .map_err(|e| failed(code::INTERNAL_ERROR, format!("writing an SBOM: {e}")))?;
            sink.put_bytes(&key, &bytes, "application/json")?;
            written += 1;
        }
        if !more {
            break;
        }
    }
    if written == 0 {
        return Err(failed(
            code::NO_FINDINGS_FOUND,
            "no resource matching the resource filter criteria has a stored inventory",
        ));
    }
    Ok(())
}

/// Inspector's CycloneDX export carries the resource in `metadata.properties`.
fn add_export_properties(doc: &mut Value, info: &scry_store::ResourceInfo) {
    let mut props = vec![
        json!({"name": "accountId", "value": info.account_id}),
        json!({"name": "resourceType", "value": info.resource_type}),
        json!({"name": "resourceId", "value": info.resource_id}),
    ];
    let image = info
        .ecr_image_hash
        .clone()
        .or_else(|| info.ec2_image_id.clone());
    if let Some(i) = image {
        props.push(json!({"name": "imageId", "value": i}));
    }
    if let Some(a) = &info.ecr_architecture {
        props.push(json!({"name": "architecture", "value": a}));
    }
    let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    match meta.get_mut("properties").and_then(Value::as_array_mut) {
        Some(existing) => existing.extend(props),
        None => {
            meta.insert("properties".into(), Value::Array(props));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ScanSbom
// ---------------------------------------------------------------------------------------------

/// A component of the scanned SBOM.
#[derive(Debug, Clone)]
struct Comp {
    bom_ref: String,
    name: String,
    purl: Option<String>,
    ty: String,
    /// `amazon:inspector:sbom_scanner:path` or `scry:location`, when the component has one.
    path: Option<String>,
}

fn prop_of(c: &Value, name: &str) -> Option<String> {
    c.get("properties")?.as_array()?.iter().find_map(|p| {
        (p.get("name")?.as_str()? == name).then(|| p.get("value")?.as_str().map(str::to_string))?
    })
}

/// Counts components (nested too), up to `limit + 1`.
fn count_components(list: &[Value], depth: usize, n: &mut usize, limit: usize) {
    for c in list {
        *n += 1;
        if *n > limit || depth >= MAX_DEPTH {
            return;
        }
        if let Some(children) = c.get("components").and_then(Value::as_array) {
            count_components(children, depth + 1, n, limit);
        }
    }
}

fn collect_refs(list: &[Value], depth: usize, used: &mut HashSet<String>) {
    for c in list {
        if let Some(r) = c.get("bom-ref").and_then(Value::as_str) {
            used.insert(r.to_string());
        }
        if depth + 1 < MAX_DEPTH {
            if let Some(children) = c.get("components").and_then(Value::as_array) {
                collect_refs(children, depth + 1, used);
            }
        }
    }
}

/// Gives every component a `bom-ref` (keeping those it has; new ones are `comp-<n>`) and lists
/// them.
fn assign_refs(
    list: &mut [Value],
    depth: usize,
    used: &mut HashSet<String>,
    next: &mut usize,
    out: &mut Vec<Comp>,
) {
    for c in list.iter_mut() {
        let Some(obj) = c.as_object_mut() else {
            continue;
        };
        let bom_ref = match obj.get("bom-ref").and_then(Value::as_str) {
            Some(r) => r.to_string(),
            None => loop {
                *next += 1;
                let r = format!("comp-{next}");
                if used.insert(r.clone()) {
                    obj.insert("bom-ref".into(), Value::String(r.clone()));
                    break r;
                }
            },
        };
        let s = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
        let path = {
            let v = Value::Object(obj.clone());
            prop_of(&v, "amazon:inspector:sbom_scanner:path")
                .or_else(|| prop_of(&v, "scry:location"))
        };
        out.push(Comp {
            bom_ref,
            name: s("name").unwrap_or_default(),
            purl: s("purl"),
            ty: s("type").unwrap_or_default(),
            path,
        });
        if depth + 1 < MAX_DEPTH {
            if let Some(children) = obj.get_mut("components").and_then(Value::as_array_mut) {
                assign_refs(children, depth + 1, used, next, out);
            }
        }
    }
}

/// Adds `amazon:inspector:sbom_scanner:info` to the components in `info` (by bom-ref).
fn add_info(list: &mut [Value], depth: usize, info: &HashMap<String, &'static str>) {
    for c in list.iter_mut() {
        let Some(obj) = c.as_object_mut() else {
            continue;
        };
        if let Some(text) = obj
            .get("bom-ref")
            .and_then(Value::as_str)
            .and_then(|r| info.get(r))
        {
            let prop = json!({"name": "amazon:inspector:sbom_scanner:info", "value": text});
            match obj.get_mut("properties") {
                Some(Value::Array(a)) => a.push(prop),
                Some(_) => {}
                None => {
                    obj.insert("properties".into(), json!([prop]));
                }
            }
        }
        if depth + 1 < MAX_DEPTH {
            if let Some(children) = obj.get_mut("components").and_then(Value::as_array_mut) {
                add_info(children, depth + 1, info);
            }
        }
    }
}

/// The feed an advisory id comes from, named as Inspector names sources.
fn source_name(id: &str) -> &'static str {
    match id.split('-').next().unwrap_or("") {
        "CVE" => "NVD",
        "GHSA" => "GITHUB",
        "PYSEC" => "PYSEC",
        "GO" => "GO",
        "RUSTSEC" => "RUSTSEC",
        "ALPINE" => "ALPINE_SECDB",
        "DSA" | "DLA" | "DEBIAN" => "DEBIAN_CVE",
        "USN" | "UBUNTU" => "UBUNTU_CVE",
        "RHSA" => "REDHAT_CVE",
        _ => "OSV",
    }
}

fn source_url(id: &str) -> String {
    match source_name(id) {
        "NVD" => format!("https://nvd.nist.gov/vuln/detail/{id}"),
        "GITHUB" => format!("https://github.com/advisories/{id}"),
        _ => format!("https://osv.dev/vulnerability/{id}"),
    }
}

/// CycloneDX severity words.
fn cdx_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Informational => "info",
        Severity::Untriaged => "unknown",
    }
}

fn cdx_method(v: CvssVersion) -> &'static str {
    match v {
        CvssVersion::V2 => "CVSSv2",
        CvssVersion::V3_0 => "CVSSv3",
        CvssVersion::V3_1 => "CVSSv31",
        CvssVersion::V4_0 => "CVSSv4",
    }
}

fn kev_time(d: chrono::NaiveDate) -> Option<String> {
    d.and_hms_opt(0, 0, 0).map(|t| rfc3339_s(&t.and_utc()))
}

/// One vulnerability of a scanned SBOM, on the components it affects.
struct VulnGroup<'a> {
    finding: &'a scry_vulndb::Finding,
    severity: Severity,
    /// (component, fixed version) per affected component.
    affects: Vec<(&'a Comp, Option<String>)>,
}

/// ScanSbom (inspector-scan): matches a CycloneDX 1.5/1.6 JSON SBOM (at most
/// [`SCAN_SBOM_MAX_COMPONENTS`] components) against the loaded advisory database.
///
/// - `CYCLONE_DX_1_5` (default): the SBOM as given, every component with a `bom-ref`
///   (`comp-<n>` when it had none) and an `amazon:inspector:sbom_scanner:info` property when it
///   was skipped or had no vulnerability, `metadata.properties` with the
///   `amazon:inspector:sbom_scanner:{critical,high,medium,low}_vulnerabilities` counts, and a
///   `vulnerabilities` array: one entry per vulnerability (`bom-ref` `vuln-<n>`, `id`, `source`,
///   `references` to its aliases, `ratings` per CVSS score and EPSS, `cwes`, `description`,
///   `advisories`, `created`/`updated`, `affects[].ref` to the components, and properties
///   `exploit_available`, `exploit_last_seen_in_public`, `cisa_kev_date_added`/`_due` and
///   `fixed_version:<bom-ref>`), as Inspector's Scan API answers.
/// - `INSPECTOR` (and `INSPECTOR_ALT`): `{"status", "messages", "vulnerability_count",
///   "vulnerabilities"}` with Inspector's finding JSON (`affects[]` with `installed_version`
///   purl, `fixed_version`, `path`).
///
/// Not CycloneDX, another version, or too many components: ValidationException.
pub fn scan_sbom(
    svc: &Service,
    _caller: &Caller,
    req: ScanSbomRequest,
) -> Result<ScanSbomResponse, ApiError> {
    let mut doc = req.sbom;
    let Some(obj) = doc.as_object() else {
        return Err(ApiError::invalid(
            "sbom must be a CycloneDX 1.5 JSON document (an object); ScanSbom reads CycloneDX 1.5 and 1.6 JSON",
        ));
    };
    match obj.get("bomFormat").and_then(Value::as_str) {
        Some("CycloneDX") => {}
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "sbom.bomFormat is {other:?}: ScanSbom reads CycloneDX 1.5 and 1.6 JSON"
            )))
        }
        None if obj.contains_key("spdxVersion") => {
            return Err(ApiError::invalid(
                "sbom is an SPDX document: ScanSbom reads CycloneDX 1.5 and 1.6 JSON only",
            ))
        }
        None => {
            return Err(ApiError::invalid(
                "sbom has no bomFormat \"CycloneDX\": ScanSbom reads CycloneDX 1.5 and 1.6 JSON",
            ))
        }
    }
    match obj.get("specVersion").and_then(Value::as_str) {
        Some("1.5" | "1.6") => {}
        Some(v) => {
            return Err(ApiError::invalid(format!(
                "sbom.specVersion is {v:?}: ScanSbom reads CycloneDX 1.5 and 1.6"
            )))
        }
        None => {
            return Err(ApiError::invalid(
                "sbom.specVersion is missing: ScanSbom reads CycloneDX 1.5 and 1.6",
            ))
        }
    }
    let components = match obj.get("components") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(ApiError::invalid("sbom.components must be an array")),
    };
    let mut n = 0;
    count_components(&components, 0, &mut n, SCAN_SBOM_MAX_COMPONENTS);
    if n > SCAN_SBOM_MAX_COMPONENTS {
        return Err(ApiError::invalid(format!(
            "sbom has more than {SCAN_SBOM_MAX_COMPONENTS} components, the most ScanSbom scans at once; split it"
        )));
    }
    let Some(intel) = svc.intel() else {
        return Err(ApiError::internal(
            "the advisory database is not loaded yet; import one with `scry db import`",
        ));
    };
    let bytes = serde_json::to_vec(&doc).map_err(internal)?;
    let inv = scry_sbom::read_sbom(&bytes, "sbom").map_err(|e| {
        ApiError::invalid(format!("sbom is not a readable CycloneDX document: {e}"))
    })?;
    let assessment =
        scry_scan::assess(&intel.db, &intel.loaded, &inv, &Default::default()).map_err(internal)?;

    // Components and their bom-refs.
    let mut comps = Vec::new();
    if let Some(list) = doc.get_mut("components").and_then(Value::as_array_mut) {
        let mut used = HashSet::new();
        collect_refs(list, 0, &mut used);
        let mut next = 0;
        assign_refs(list, 0, &mut used, &mut next, &mut comps);
    }
    let mut by_purl: HashMap<&str, Vec<&Comp>> = HashMap::new();
    for c in &comps {
        if let Some(p) = &c.purl {
            by_purl.entry(p.as_str()).or_default().push(c);
        }
    }
    let scanned: HashSet<&str> = inv
        .packages
        .iter()
        .filter(|p| scry_scan::query_ecosystem(&inv, p).is_some())
        .map(|p| p.purl.as_str())
        .collect();

    // Vulnerabilities, grouped by id in the assessment's order (most severe first).
    let mut groups: Vec<VulnGroup<'_>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut vulnerable: HashSet<&str> = HashSet::new();
    for pf in &assessment.findings {
        let f = &pf.finding;
        let i = *index.entry(f.vulnerability_id.as_str()).or_insert_with(|| {
            groups.push(VulnGroup {
                finding: f,
                severity: f.severity,
                affects: Vec::new(),
            });
            groups.len() - 1
        });
        let g = &mut groups[i];
        g.severity = g.severity.max(f.severity);
        for c in by_purl.get(pf.package.purl.as_str()).into_iter().flatten() {
            if !g.affects.iter().any(|(a, _)| a.bom_ref == c.bom_ref) {
                g.affects
                    .push((c, f.fix.fixed_version().map(str::to_string)));
                vulnerable.insert(c.bom_ref.as_str());
            }
        }
    }
    groups.retain(|g| !g.affects.is_empty());
    let mut counts = BTreeMap::from([("critical", 0u64), ("high", 0), ("medium", 0), ("low", 0)]);
    for g in &groups {
        if let Some(n) = counts.get_mut(cdx_severity(g.severity)) {
            *n += 1;
        }
    }
    let mut info: HashMap<String, &'static str> = HashMap::new();
    let mut messages = Vec::new();
    for c in &comps {
        if matches!(c.ty.as_str(), "operating-system" | "file")
            || vulnerable.contains(c.bom_ref.as_str())
        {
            continue;
        }
        let text = if c.purl.as_deref().is_some_and(|p| scanned.contains(p)) {
            "Component scanned: no vulnerabilities found."
        } else {
            "Component skipped: no rules found."
        };
        info.insert(c.bom_ref.clone(), text);
        let mut m = json!({"name": c.name, "info": text});
        if let Some(p) = &c.purl {
            m["purl"] = json!(p);
        }
        messages.push(m);
    }
    let status = format!(
        "SBOM parsed successfully, {} {} found",
        groups.len(),
        if groups.len() == 1 {
            "vulnerability"
        } else {
            "vulnerabilities"
        }
    );

    let inspector = matches!(
        req.output_format.as_deref(),
        Some("INSPECTOR" | "INSPECTOR_ALT")
    );
    if inspector {
        let vulns: Vec<Value> = groups.iter().map(inspector_vuln).collect();
        return Ok(ScanSbomResponse {
            sbom: Some(json!({
                "status": status,
                "messages": messages,
                "vulnerability_count": counts,
                "vulnerabilities": vulns,
            })),
        });
    }

    if let Some(list) = doc.get_mut("components").and_then(Value::as_array_mut) {
        add_info(list, 0, &info);
    }
    let vulns: Vec<Value> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| cyclonedx_vuln(i + 1, g))
        .collect();
    let Some(out) = doc.as_object_mut() else {
        return Err(ApiError::internal("the SBOM changed shape while scanning"));
    };
    if !out.contains_key("serialNumber") {
        let h = hex::encode(&Sha256::digest(&bytes)[..16]);
        out.insert(
            "serialNumber".into(),
            json!(format!(
                "urn:uuid:{}-{}-4{}-8{}-{}",
                &h[0..8],
                &h[8..12],
                &h[13..16],
                &h[17..20],
                &h[20..32]
            )),
        );
    }
    let meta = out
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    if let Some(m) = meta.as_object_mut() {
        let mut props: Vec<Value> = counts
            .iter()
            .map(|(sev, n)| {
                json!({"name": format!("amazon:inspector:sbom_scanner:{sev}_vulnerabilities"), "value": n.to_string()})
            })
            .collect();
        // Critical first, as Inspector lists them.
        props.sort_by_key(|p| {
            ["critical", "high", "medium", "low"].iter().position(|s| {
                p["name"]
                    .as_str()
                    .is_some_and(|n| n.contains(&format!(":{s}_")))
            })
        });
        match m.get_mut("properties") {
            Some(Value::Array(a)) => {
                a.retain(|p| {
                    !p.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.starts_with("amazon:inspector:sbom_scanner:"))
                });
                a.extend(props);
            }
            _ => {
                m.insert("properties".into(), Value::Array(props));
            }
        }
        m.insert(
            "timestamp".into(),
            json!(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)),
        );
    }
    out.insert("vulnerabilities".into(), Value::Array(vulns));
    Ok(ScanSbomResponse { sbom: Some(doc) })
}

fn cwe_numbers(f: &scry_vulndb::Finding) -> Vec<u64> {
    let mut v: Vec<u64> = f
        .cwes
        .iter()
        .filter_map(|c| c.trim_start_matches("CWE-").parse().ok())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn cyclonedx_vuln(n: usize, g: &VulnGroup<'_>) -> Value {
    let f = g.finding;
    let mut ratings: Vec<Value> = f
        .cvss
        .iter()
        .map(|c| {
            let name = if c.source == "NVD" { "NVD" } else { source_name(&c.source) };
            json!({
                "source": {"name": name, "url": source_url(if c.source == "NVD" { &f.vulnerability_id } else { &c.source })},
                "score": c.base_score,
                "severity": cdx_severity(Severity::from_score(c.base_score)),
                "method": cdx_method(c.version),
                "vector": c.vector,
            })
        })
        .collect();
    if ratings.is_empty() {
        ratings.push(json!({
            "source": {"name": source_name(&f.vulnerability_id), "url": source_url(&f.vulnerability_id)},
            "severity": cdx_severity(g.severity),
            "method": "other",
        }));
    }
    if let Some(e) = &f.epss {
        let mut r = json!({
            "source": {"name": "EPSS", "url": "https://www.first.org/epss/"},
            "score": e.epss,
            "severity": "none",
            "method": "other",
        });
        if let Some(d) = e.date {
            r["vector"] = json!(format!("date:{d}T00:00:00+0000"));
        }
        ratings.push(r);
    }
    let mut props = Vec::new();
    if let Some(k) = &f.exploit {
        props.push(
            json!({"name": "amazon:inspector:sbom_scanner:exploit_available", "value": "true"}),
        );
        if let Some(t) = kev_time(k.date_added) {
            props.push(json!({"name": "amazon:inspector:sbom_scanner:exploit_last_seen_in_public", "value": t}));
            props.push(
                json!({"name": "amazon:inspector:sbom_scanner:cisa_kev_date_added", "value": t}),
            );
        }
        if let Some(t) = k.due_date.and_then(kev_time) {
            props.push(
                json!({"name": "amazon:inspector:sbom_scanner:cisa_kev_date_due", "value": t}),
            );
        }
    } else {
        props.push(
            json!({"name": "amazon:inspector:sbom_scanner:exploit_available", "value": "false"}),
        );
    }
    for (c, fixed) in &g.affects {
        if let Some(v) = fixed {
            props.push(json!({"name": format!("amazon:inspector:sbom_scanner:fixed_version:{}", c.bom_ref), "value": v}));
        }
    }
    let mut v = json!({
        "bom-ref": format!("vuln-{n}"),
        "id": f.vulnerability_id,
        "source": {"name": source_name(&f.vulnerability_id), "url": source_url(&f.vulnerability_id)},
        "references": f.aliases.iter().filter(|a| **a != f.vulnerability_id).map(|a| json!({
            "id": a,
            "source": {"name": source_name(a), "url": source_url(a)},
        })).collect::<Vec<_>>(),
        "ratings": ratings,
        "cwes": cwe_numbers(f),
        "advisories": f.references.iter().map(|u| json!({"url": u})).collect::<Vec<_>>(),
        "updated": rfc3339_s(&f.modified),
        "affects": g.affects.iter().map(|(c, _)| json!({"ref": c.bom_ref})).collect::<Vec<_>>(),
        "properties": props,
    });
    if let Some(d) = f.description.as_ref().or(f.title.as_ref()) {
        v["description"] = json!(d);
    }
    if let Some(p) = &f.published {
        v["created"] = json!(rfc3339_s(p));
    }
    v
}

fn inspector_vuln(g: &VulnGroup<'_>) -> Value {
    let f = g.finding;
    // CVSS scores per source: v3 and v2 side by side.
    let mut cvss: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for c in &f.cvss {
        let name = if c.source == "NVD" {
            "NVD".to_string()
        } else {
            source_name(&c.source).to_string()
        };
        let e = cvss.entry(name.clone()).or_default();
        e.insert("source".into(), json!(name));
        let (score_key, vector_key) = match c.version {
            CvssVersion::V2 => ("cvss2_base_score", "cvss2_base_vector"),
            CvssVersion::V4_0 => ("cvss4_base_score", "cvss4_base_vector"),
            _ => ("cvss3_base_score", "cvss3_base_vector"),
        };
        if !e.contains_key(score_key) {
            e.insert(score_key.into(), json!(c.base_score));
            e.insert(vector_key.into(), json!(c.vector));
        }
        if !matches!(c.version, CvssVersion::V2) || !e.contains_key("severity") {
            e.insert(
                "severity".into(),
                json!(cdx_severity(Severity::from_score(c.base_score))),
            );
        }
    }
    let mut props = Map::new();
    if let Some(k) = &f.exploit {
        if let Some(t) = kev_time(k.date_added) {
            props.insert("cisa_kev_date_added".into(), json!(t));
            props.insert("exploit_last_seen_in_public".into(), json!(t));
        }
        if let Some(t) = k.due_date.and_then(kev_time) {
            props.insert("cisa_kev_date_due".into(), json!(t));
        }
    }
    props.insert("cwes".into(), json!(cwe_numbers(f)));
    props.insert("cvss".into(), json!(cvss.into_values().collect::<Vec<_>>()));
    if let Some(e) = &f.epss {
        props.insert("epss".into(), json!(e.epss));
    }
    props.insert("exploit_available".into(), json!(f.exploit.is_some()));
    let mut v = json!({
        "id": f.vulnerability_id,
        "severity": cdx_severity(g.severity),
        "source": source_url(&f.vulnerability_id),
        "related": f.aliases.iter().filter(|a| **a != f.vulnerability_id).collect::<Vec<_>>(),
        "references": f.references,
        "updated": rfc3339_s(&f.modified),
        "properties": props,
        "affects": g.affects.iter().map(|(c, fixed)| {
            let mut a = json!({"installed_version": c.purl.clone().unwrap_or_default()});
            if let Some(v) = fixed {
                a["fixed_version"] = json!(v);
            }
            if let Some(p) = &c.path {
                a["path"] = json!(p);
            }
            a
        }).collect::<Vec<_>>(),
    });
    if let Some(d) = f.description.as_ref().or(f.title.as_ref()) {
        v["description"] = json!(d);
    }
    if let Some(p) = &f.published {
        v["created"] = json!(rfc3339_s(p));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["reports", "my.bucket-1", "abc"] {
            assert!(check_bucket(ok).is_ok(), "{ok}");
        }
        for bad in [
            "..",
            "a",
            "UPPER",
            "a..b",
            "-ab",
            "ab-",
            "a/b",
            "192.168.1.1",
            "a_b",
            "../etc",
        ] {
            assert!(check_bucket(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_prefixes() {
        assert_eq!(check_prefix(None).unwrap(), "");
        assert_eq!(check_prefix(Some("")).unwrap(), "");
        assert_eq!(check_prefix(Some("a/b/")).unwrap(), "a/b");
        assert_eq!(
            check_prefix(Some("2024 reports/x")).unwrap(),
            "2024 reports/x"
        );
        for bad in [
            "/etc", "..", "a/../b", "a/./b", "a//b", "a\\..\\b", "a\u{0}b", "./a",
        ] {
            assert!(check_prefix(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn file_names_are_plain_and_distinct() {
        assert_eq!(file_name_of("i-0123"), "i-0123");
        let a = file_name_of("repo/app@sha256:ab");
        let b = file_name_of("repo_app_sha256_ab");
        assert!(!a.contains('/') && !a.contains(':'), "{a}");
        assert_ne!(a, b);
        assert!(!file_name_of("..").starts_with('.'));
        assert!(!file_name_of("").is_empty());
    }

    #[test]
    fn report_ids_are_uuids() {
        let id = new_report_id().unwrap();
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
    }
}
