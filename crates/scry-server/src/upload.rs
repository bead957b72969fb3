//! Uploaded artifacts, collected by the server itself: container images (docker-archive or
//! OCI archive) and function packages (zip, with layers).
//!
//! - `POST /scry/v1/artifacts?resourceType=image|function&...`: the raw body is the artifact.
//! - `POST /scry/v1/layers`: the raw body is a function layer zip; its inventory is kept by
//!   the SHA-256 of the zip (table `function_layers`), so a layer shared between functions is
//!   collected once.
//! - `GET /scry/v1/layers/sha256:HEX`: whether the server has that layer (404 if not).
//!
//! Signed with SigV4 like every other call (service `scry`; roles agent and admin). The
//! signature is checked *before* the body is read, with the body hash taken from the signed
//! `x-amz-content-sha256` header, which is required: either the hex SHA-256 of the body — the
//! server hashes the body as it streams and refuses it if it differs
//! (`BadRequestException` naming both hashes) — or `UNSIGNED-PAYLOAD`, which leaves the body
//! unauthenticated (as S3 allows; use it only over TLS). `scry` always sends the real hash.
//!
//! The body streams to a temporary file under `DATA_DIR/uploads` (never whole in memory), up
//! to the upload cap (`--max-upload-mib`); the file is removed when the request ends, however
//! it ends, and leftovers of a crash are removed at start. Before collecting, the archive's
//! own structure is checked (members that climb out of the root, truncation, expansion ratio,
//! entry counts) and a hostile upload is refused with a `ValidationException` naming what is
//! wrong; collection itself (`scry_collect::collect`, with its limits on layer size,
//! decompression ratio, nesting, entries and symlinks) runs in `spawn_blocking`, at most
//! [`MAX_IN_FLIGHT`] uploads at once (more get `ThrottlingException`).

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use http_body_util::BodyExt;
use scry_collect::{Limits, Options, Target};
use scry_inventory::{Diagnostic, Inventory};
use scry_store::{CachedLayer, FunctionVersion, ResourceInfo, VersionRefusal};
use scry_wire::artifact::{ArtifactResult, LayerResult, UploadedFunction, UploadedImage};
use scry_wire::native::PushResult;
use scry_wire::ApiError;
use sha2::{Digest, Sha256};

use crate::api::Caller;
use crate::http::{self, App};
use crate::service::{now_ms, resource_arn, Service};

/// Default cap on one upload.
pub const DEFAULT_MAX_UPLOAD: u64 = 2 << 30;
/// Uploads received or collected at the same time; more are answered with 429.
pub const MAX_IN_FLIGHT: usize = 4;
/// A client that sends nothing for this long loses its upload.
const IDLE: Duration = Duration::from_secs(120);
/// Most layers a function may list (Lambda's limit).
const MAX_LAYERS: usize = 5;
/// Largest total size a zip's entries may declare.
const MAX_UNZIPPED: u64 = 16 << 30;
/// Diagnostics returned in an answer (all are counted).
const MAX_DIAGNOSTICS: usize = 100;

/// Upload settings, the in-flight count and the upload counters.
pub struct Uploads {
    dir: PathBuf,
    max_bytes: u64,
    in_flight: AtomicUsize,
    received: AtomicU64,
    received_bytes: AtomicU64,
    refused: AtomicU64,
    layers_collected: AtomicU64,
    layers_cached: AtomicU64,
}

impl Uploads {
    /// Uploads go to `dir` (created; files left there by a crash are removed).
    pub fn new(dir: PathBuf, max_bytes: u64) -> std::io::Result<Uploads> {
        std::fs::create_dir_all(&dir)?;
        for e in std::fs::read_dir(&dir)?.flatten() {
            if e.file_name().to_string_lossy().starts_with("upload-") {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(Uploads {
            dir,
            max_bytes,
            in_flight: AtomicUsize::new(0),
            received: AtomicU64::new(0),
            received_bytes: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            layers_collected: AtomicU64::new(0),
            layers_cached: AtomicU64::new(0),
        })
    }

    /// Prometheus series for uploads.
    pub fn render(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "# HELP scry_uploads_total Artifact and layer uploads collected.\n# TYPE scry_uploads_total counter\nscry_uploads_total {}\n\
             # HELP scry_upload_bytes_total Bytes of uploads received.\n# TYPE scry_upload_bytes_total counter\nscry_upload_bytes_total {}\n\
             # HELP scry_uploads_refused_total Uploads refused (too large, hostile, unreadable, hash mismatch).\n# TYPE scry_uploads_refused_total counter\nscry_uploads_refused_total {}\n\
             # HELP scry_function_layers_collected_total Function layers collected from their zip.\n# TYPE scry_function_layers_collected_total counter\nscry_function_layers_collected_total {}\n\
             # HELP scry_function_layers_cached_total Function layers answered from the layer cache without collecting.\n# TYPE scry_function_layers_cached_total counter\nscry_function_layers_cached_total {}\n\
             # HELP scry_uploads_in_flight Uploads being received or collected.\n# TYPE scry_uploads_in_flight gauge\nscry_uploads_in_flight {}\n",
            g(&self.received),
            g(&self.received_bytes),
            g(&self.refused),
            g(&self.layers_collected),
            g(&self.layers_cached),
            self.in_flight.load(Ordering::Relaxed),
        )
    }
}

/// One of the [`MAX_IN_FLIGHT`] upload slots, released on drop.
struct Slot(Arc<Uploads>);

impl Slot {
    /// A slot, or ThrottlingException when [`MAX_IN_FLIGHT`] uploads are already in hand.
    fn take(u: &Arc<Uploads>) -> Result<Slot, ApiError> {
        u.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_IN_FLIGHT).then_some(n + 1)
            })
            .map(|_| Slot(u.clone()))
            .map_err(|_| {
                ApiError::throttling(
                    format!(
                        "{MAX_IN_FLIGHT} uploads are already being received or collected; retry shortly"
                    ),
                    Some(2),
                )
            })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An error answer; `413` for uploads over the cap.
struct Refusal {
    error: ApiError,
    too_large: bool,
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Refusal {
        Refusal {
            error,
            too_large: false,
        }
    }
}

fn invalid(msg: impl Into<String>) -> Refusal {
    ApiError::invalid(msg).into()
}

/// `POST /scry/v1/artifacts`.
pub async fn artifacts(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    mut body: Body,
) -> Response<Body> {
    let started = Instant::now();
    let rid = http::request_id();
    let r = if method == Method::POST {
        artifact(&app, &uri, &headers, &mut body).await
    } else {
        Err(ApiError::unknown_operation(method.as_str(), uri.path()).into())
    };
    if r.is_err() {
        tokio::spawn(drain(body, app.uploads.max_bytes));
    }
    answer(&app, "/scry/v1/artifacts", true, started, &rid, r)
}

/// `POST /scry/v1/layers` and `GET /scry/v1/layers/sha256:HEX`.
pub async fn layers(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    mut body: Body,
) -> Response<Body> {
    let started = Instant::now();
    let rid = http::request_id();
    let path = uri.path().to_string();
    let r = match (&method, path.strip_prefix("/scry/v1/layers")) {
        (&Method::POST, Some("" | "/")) => layer_upload(&app, &uri, &headers, &mut body).await,
        (&Method::GET, Some(rest)) if rest.starts_with('/') => {
            layer_lookup(&app, &uri, &headers, &rest[1..]).await
        }
        _ => Err(ApiError::unknown_operation(method.as_str(), &path).into()),
    };
    if r.is_err() {
        tokio::spawn(drain(body, app.uploads.max_bytes));
    }
    answer(
        &app,
        "/scry/v1/layers",
        method == Method::POST,
        started,
        &rid,
        r,
    )
}

/// Reads and discards what is left of a refused upload's body (at most twice the cap, for at
/// most [`IDLE`]), so that the client, still sending, reads the refusal rather than a reset
/// connection.
async fn drain(mut body: Body, cap: u64) {
    let limit = cap.saturating_mul(2).max(64 << 20);
    let deadline = tokio::time::Instant::now() + IDLE;
    let mut n: u64 = 0;
    while n <= limit {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(f))) => n += f.data_ref().map_or(0, |d| d.len() as u64),
            _ => break,
        }
    }
}

fn answer(
    app: &App,
    label: &str,
    upload: bool,
    started: Instant,
    rid: &str,
    r: Result<Vec<u8>, Refusal>,
) -> Response<Body> {
    match r {
        Ok(body) => {
            app.metrics.observe(label, 200, started);
            http::json_response(body, rid)
        }
        Err(Refusal { error, too_large }) => {
            if upload {
                app.uploads.refused.fetch_add(1, Ordering::Relaxed);
            }
            let mut resp = http::error_response(&error, rid);
            if too_large {
                *resp.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            }
            app.metrics.observe(label, resp.status().as_u16(), started);
            if error.status() >= 500 {
                tracing::warn!(op = label, code = error.error_type(), "upload failed");
            }
            resp
        }
    }
}

/// Checks the signature without the body, and the caller's role.
async fn caller(
    app: &App,
    uri: &Uri,
    headers: &HeaderMap,
    method: &'static str,
    needs_push: bool,
) -> Result<(Caller, scry_sigv4::PayloadStatus), Refusal> {
    let app2 = app.clone();
    let uri = uri.clone();
    let headers = headers.clone();
    let (c, status) = tokio::task::spawn_blocking(move || {
        // A GET has no body; a POST's body is checked as it streams.
        let payload = if method == "GET" {
            scry_sigv4::Payload::Bytes(b"")
        } else {
            scry_sigv4::Payload::Deferred
        };
        http::authenticate_payload(&app2, method, &uri, &headers, payload)
    })
    .await
    .map_err(|_| ApiError::internal("Scry failed to check the signature"))??;
    if needs_push && c.role == "reader" {
        return Err(ApiError::access_denied(format!(
            "access key {} has role reader; uploading artifacts needs an agent or admin key",
            c.access_key_id
        ))
        .into());
    }
    Ok((c, status))
}

fn require_content_sha256(headers: &HeaderMap) -> Result<(), Refusal> {
    if headers.contains_key("x-amz-content-sha256") {
        return Ok(());
    }
    Err(ApiError::bad_request(
        "uploads must carry a signed x-amz-content-sha256 header: the hex SHA-256 of the body (checked while it streams), or UNSIGNED-PAYLOAD",
    )
    .into())
}

/// The body, received into a temporary file: its size and `sha256:HEX`.
struct Received {
    file: tempfile::NamedTempFile,
    bytes: u64,
    sha256: String,
}

impl Received {
    /// Replaces the temporary file's name in a message with "the upload".
    fn scrub(&self, msg: &str) -> String {
        msg.replace(&self.file.path().display().to_string(), "the upload")
    }
}

/// Streams the body to a temporary file, hashing it; refuses it past the cap, when the
/// client stalls, or when it does not hash to the signed value.
async fn receive(
    app: &App,
    headers: &HeaderMap,
    payload: &scry_sigv4::PayloadStatus,
    body: &mut Body,
) -> Result<Received, Refusal> {
    let cap = app.uploads.max_bytes;
    let too_large = |n: u64| {
        Refusal {
        error: ApiError::invalid(format!(
            "the upload is {n} bytes, more than the {cap} bytes ({} MiB) this server accepts; start it with a larger --max-upload-mib (or SCRY_MAX_UPLOAD_MIB)",
            cap >> 20
        )),
        too_large: true,
    }
    };
    if let Some(n) = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if n > cap {
            return Err(too_large(n));
        }
    }
    let mut file = tempfile::Builder::new()
        .prefix("upload-")
        .tempfile_in(&app.uploads.dir)
        .map_err(|e| {
            tracing::error!(error = %e, dir = %app.uploads.dir.display(), "creating an upload file");
            ApiError::internal("Scry could not store the upload; the server log has the cause")
        })?;
    let mut hasher = Sha256::new();
    let mut bytes: u64 = 0;
    loop {
        let frame = match tokio::time::timeout(IDLE, body.frame()).await {
            Err(_) => {
                return Err(invalid(format!(
                    "the upload stalled: nothing arrived for {} seconds after {bytes} bytes",
                    IDLE.as_secs()
                )))
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(invalid(format!(
                    "the upload was cut off after {bytes} bytes: {e}"
                )))
            }
            Ok(Some(Ok(f))) => f,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        bytes += data.len() as u64;
        if bytes > cap {
            return Err(too_large(bytes));
        }
        hasher.update(&data);
        file.write_all(&data).map_err(|e| {
            tracing::error!(error = %e, "writing an upload file");
            ApiError::internal("Scry could not store the upload (is the data directory's disk full?); the server log has the cause")
        })?;
    }
    file.flush()
        .map_err(|_| ApiError::internal("Scry could not store the upload"))?;
    let hex = hex::encode(hasher.finalize());
    if let scry_sigv4::PayloadStatus::MustMatch(declared) = payload {
        if !declared.eq_ignore_ascii_case(&hex) {
            return Err(ApiError::bad_request(format!(
                "the body does not match the signed x-amz-content-sha256: it hashes to {hex}, the header says {declared}; the upload was changed or cut on the way"
            ))
            .into());
        }
    }
    if bytes == 0 {
        return Err(invalid("the upload is empty"));
    }
    app.uploads
        .received_bytes
        .fetch_add(bytes, Ordering::Relaxed);
    Ok(Received {
        file,
        bytes,
        sha256: format!("sha256:{hex}"),
    })
}

/// Query parameters, repeated keys kept.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(uri: &Uri, known: &[&str]) -> Result<Query, Refusal> {
        let q = scry_wire::parse_query(uri.query().unwrap_or(""));
        if let Some((k, _)) = q.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            return Err(invalid(format!(
                "unknown query parameter {k:?}; known: {}",
                known.join(", ")
            )));
        }
        for (k, v) in &q {
            if v.len() > 1024 || v.chars().any(char::is_control) {
                return Err(invalid(format!(
                    "query parameter {k} must be at most 1024 printable characters"
                )));
            }
        }
        Ok(Query(q))
    }
    fn one(&self, k: &str) -> Result<Option<&str>, Refusal> {
        let mut it = self.0.iter().filter(|(n, _)| n == k);
        let first = it.next().map(|(_, v)| v.as_str());
        if it.next().is_some() {
            return Err(invalid(format!("query parameter {k} is given twice")));
        }
        Ok(first.filter(|v| !v.is_empty()))
    }
    fn all(&self, k: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

const ARTIFACT_PARAMS: &[&str] = &[
    "resourceType",
    "resourceId",
    "tag",
    "repository",
    "imageTag",
    "name",
    "runtime",
    "version",
    "layer",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Image,
    Function,
}

/// What a function push names.
struct FunctionSpec {
    name: String,
    runtime: Option<String>,
    version: Option<String>,
    layers: Vec<CachedLayer>,
}

fn valid_name(what: &str, v: &str, max: usize, extra: &[char]) -> Result<(), Refusal> {
    if v.is_empty()
        || v.len() > max
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
    {
        let extra: String = extra.iter().collect();
        return Err(invalid(format!(
            "{what} {v:?} must be 1 to {max} characters of letters, digits and {extra:?}"
        )));
    }
    Ok(())
}

/// `sha256:` and 64 lowercase hex digits.
fn valid_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Lambda's runtime identifiers (`python3.12`, `nodejs18.x`, `java8.al2`) in Inspector's
/// spelling (`PYTHON_3_12`, `NODEJS_18_X`, `JAVA_8_AL2`); Inspector's spelling is kept.
pub fn inspector_runtime(r: &str) -> String {
    let mut out = String::new();
    let mut prev: Option<char> = None;
    let mut first_segment = true;
    for c in r.chars() {
        if matches!(c, '.' | '-' | '_') {
            first_segment = false;
            if !out.ends_with('_') {
                out.push('_');
            }
        } else {
            // `python3` -> `PYTHON_3`, but `al2` stays `AL2` (`JAVA_8_AL2`).
            if first_segment && prev.is_some_and(|p| p.is_ascii_alphabetic()) && c.is_ascii_digit()
            {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        }
        prev = Some(c);
    }
    out
}

async fn artifact(
    app: &App,
    uri: &Uri,
    headers: &HeaderMap,
    body: &mut Body,
) -> Result<Vec<u8>, Refusal> {
    require_content_sha256(headers)?;
    let (caller, payload) = caller(app, uri, headers, "POST", true).await?;
    let q = Query::parse(uri, ARTIFACT_PARAMS)?;
    let kind = match q.one("resourceType")? {
        Some("image" | "AWS_ECR_CONTAINER_IMAGE") => Kind::Image,
        Some("function" | "AWS_LAMBDA_FUNCTION") => Kind::Function,
        other => {
            return Err(invalid(format!(
                "resourceType must be image (AWS_ECR_CONTAINER_IMAGE) or function (AWS_LAMBDA_FUNCTION), not {:?}",
                other.unwrap_or("")
            )))
        }
    };
    if let Some(id) = q.one("resourceId")? {
        crate::push::check_id("resourceId", id)?;
    }
    let tags = {
        let t: Vec<String> = q.all("tag").into_iter().map(str::to_string).collect();
        if t.is_empty() {
            None
        } else {
            Some(crate::service::parse_tags(&t).map_err(invalid)?)
        }
    };
    let function = match kind {
        Kind::Image => {
            for k in ["name", "runtime", "version", "layer"] {
                if !q.all(k).is_empty() {
                    return Err(invalid(format!(
                        "{k} is for functions; images take repository and imageTag"
                    )));
                }
            }
            None
        }
        Kind::Function => Some(function_spec(app, &caller, &q).await?),
    };
    let slot = Slot::take(&app.uploads)?;
    let received = receive(app, headers, &payload, body).await?;
    let svc = app.svc.clone();
    let uploads = app.uploads.clone();
    let repository = q.one("repository")?.map(str::to_string);
    let image_tags: Vec<String> = q.all("imageTag").into_iter().map(str::to_string).collect();
    let resource_id = q.one("resourceId")?.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let out = match function {
            None => collect_image(
                &svc,
                &caller,
                received,
                repository,
                image_tags,
                resource_id,
                tags,
            ),
            Some(spec) => collect_function(&svc, &caller, received, spec, resource_id, tags),
        };
        if out.is_ok() {
            uploads.received.fetch_add(1, Ordering::Relaxed);
        }
        out
    })
    .await
    .unwrap_or_else(|e| {
        tracing::error!(error = %e, "collecting an upload panicked");
        Err(
            ApiError::internal("Scry failed to collect the upload; the server log has the cause")
                .into(),
        )
    })
}

/// Checks a function push's parameters and finds its layers in the cache, before the body is
/// read.
async fn function_spec(app: &App, caller: &Caller, q: &Query) -> Result<FunctionSpec, Refusal> {
    if q.one("repository")?.is_some() || !q.all("imageTag").is_empty() {
        return Err(invalid(
            "repository and imageTag are for images; functions take name, runtime, version and layer",
        ));
    }
    let name = q
        .one("name")?
        .ok_or_else(|| invalid("a function upload needs name (the function's name)"))?;
    valid_name("name", name, 64, &['-', '_'])?;
    // The runtime (python3.12, nodejs20.x, java21, ...); unknown when not given.
    let runtime = q.one("runtime")?;
    if let Some(r) = runtime {
        valid_name("runtime", r, 40, &['.', '_', '-'])?;
    }
    let version = q.one("version")?;
    if let Some(v) = version {
        valid_name("version", v, 64, &['.', '_', '-'])?;
    }
    let digests = q.all("layer");
    if digests.len() > MAX_LAYERS {
        return Err(invalid(format!(
            "a function has at most {MAX_LAYERS} layers; {} were given",
            digests.len()
        )));
    }
    let mut layers = Vec::new();
    for d in digests {
        if !valid_digest(d) {
            return Err(invalid(format!(
                "layer {d:?} is not a digest like sha256:<64 hex digits>"
            )));
        }
        let found = cached_layer(app, &caller.account_id, d).await?;
        let Some(l) = found else {
            return Err(ApiError::not_found(format!(
                "layer {d} is not on this server: upload it first with POST /scry/v1/layers (`scry function push --layer FILE` does)"
            ))
            .into());
        };
        app.uploads.layers_cached.fetch_add(1, Ordering::Relaxed);
        layers.push(l);
    }
    Ok(FunctionSpec {
        name: name.to_string(),
        runtime: runtime.map(inspector_runtime),
        version: version.map(str::to_string),
        layers,
    })
}

/// Server-side limits: the collector's, with a tighter size per layer.
fn limits() -> Limits {
    Limits {
        max_layer_bytes: 16 << 30,
        ..Limits::default()
    }
}

/// Refuses a zip whose structure is hostile: members that climb out of the root, entries
/// that expand past the ratio limit, too many entries or too many bytes.
fn check_zip(path: &Path, limits: &Limits) -> Result<(), String> {
    // The central directory is read whole by the zip reader: bound it first.
    let (entries, cd_bytes) = central_directory(path)?;
    if entries > MAX_ZIP_ENTRIES || cd_bytes > MAX_CENTRAL_DIRECTORY {
        return Err(format!(
            "the zip's directory lists {entries} entries in {cd_bytes} bytes, more than the {MAX_ZIP_ENTRIES} entries or {MAX_CENTRAL_DIRECTORY} bytes accepted"
        ));
    }
    let f = std::fs::File::open(path).map_err(|e| format!("cannot reopen: {e}"))?;
    let mut z = zip::ZipArchive::new(BufReader::new(f))
        .map_err(|e| format!("the upload is not a readable zip: {e}"))?;
    if z.len() as u64 > limits.max_entries {
        return Err(format!(
            "the zip has {} entries, more than the {} accepted",
            z.len(),
            limits.max_entries
        ));
    }
    let mut total: u64 = 0;
    for i in 0..z.len() {
        let e = z
            .by_index_raw(i)
            .map_err(|e| format!("zip entry #{i} cannot be read: {e}"))?;
        let name = e.name().to_string();
        scry_collect::path::normalize(&name)
            .map_err(|r| format!("zip entry {name:?} is refused: {r} (path traversal)"))?;
        let declared = e.size();
        let packed = e.compressed_size().max(1);
        if declared > limits.ratio_grace && declared / packed > limits.max_ratio {
            return Err(format!(
                "zip entry {name:?} expands {}x ({packed} -> {declared} bytes), more than the {}x accepted: refused as a decompression bomb",
                declared / packed,
                limits.max_ratio
            ));
        }
        total = total.saturating_add(declared);
    }
    if total > MAX_UNZIPPED {
        return Err(format!(
            "the zip's entries add up to {total} bytes, more than the {MAX_UNZIPPED} accepted"
        ));
    }
    Ok(())
}

/// Most entries a zip may list (function packages hold thousands, not millions).
const MAX_ZIP_ENTRIES: u64 = 500_000;
/// Largest central directory a zip may have.
const MAX_CENTRAL_DIRECTORY: u64 = 128 << 20;

/// The entry count and central directory size a zip's end record declares (zip64 included).
fn central_directory(path: &Path) -> Result<(u64, u64), String> {
    use std::io::{Read, Seek, SeekFrom};
    let not_zip = || "the upload is not a zip (no end of central directory record)".to_string();
    let mut f = std::fs::File::open(path).map_err(|e| format!("cannot reopen: {e}"))?;
    let len = f
        .metadata()
        .map_err(|e| format!("cannot reopen: {e}"))?
        .len();
    // The end record (22 bytes) is followed by a comment of at most 65535 bytes.
    let tail_len = len.min(22 + 65_535 + 20);
    f.seek(SeekFrom::Start(len - tail_len))
        .map_err(|e| format!("cannot read: {e}"))?;
    let mut tail = vec![0u8; tail_len as usize];
    f.read_exact(&mut tail)
        .map_err(|e| format!("cannot read: {e}"))?;
    let at = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .ok_or_else(not_zip)?;
    let u16_at = |i: usize| u16::from_le_bytes([tail[i], tail[i + 1]]) as u64;
    let u32_at =
        |i: usize| u32::from_le_bytes([tail[i], tail[i + 1], tail[i + 2], tail[i + 3]]) as u64;
    let (entries, size) = (u16_at(at + 10), u32_at(at + 12));
    if entries != 0xffff && size != 0xffff_ffff {
        return Ok((entries, size));
    }
    // zip64: the locator (20 bytes) just before the end record points at the zip64 end record.
    if at < 20 || tail[at - 20..at - 16] != [0x50, 0x4b, 0x06, 0x07] {
        return Err(not_zip());
    }
    let off = u64::from_le_bytes(tail[at - 12..at - 4].try_into().map_err(|_| not_zip())?);
    let mut rec = [0u8; 56];
    f.seek(SeekFrom::Start(off))
        .and_then(|_| f.read_exact(&mut rec))
        .map_err(|_| "the zip's zip64 end record is missing or cut".to_string())?;
    if rec[..4] != [0x50, 0x4b, 0x06, 0x06] {
        return Err("the zip's zip64 end record is damaged".into());
    }
    let u64_at = |i: usize| u64::from_le_bytes(rec[i..i + 8].try_into().unwrap_or([0xff; 8]));
    Ok((u64_at(32), u64_at(40)))
}

/// Refuses a tar that is not an image archive or is hostile (members outside the root,
/// members that run past the end); returns the target to collect it as.
fn check_tar(path: &Path, limits: &Limits) -> Result<Target, String> {
    let len = std::fs::metadata(path)
        .map_err(|e| format!("cannot reopen: {e}"))?
        .len();
    let f = std::fs::File::open(path).map_err(|e| format!("cannot reopen: {e}"))?;
    let mut a = tar::Archive::new(f);
    let entries = a
        .entries_with_seek()
        .map_err(|e| format!("the upload is not a readable tar: {e}"))?;
    let (mut n, mut docker, mut oci) = (0u64, false, false);
    for e in entries {
        let e =
            e.map_err(|e| format!("the upload is not a readable tar after {n} members: {e}"))?;
        n += 1;
        if n > limits.max_entries {
            return Err(format!(
                "the archive has more than {} members",
                limits.max_entries
            ));
        }
        let raw = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let p = scry_collect::path::normalize(&raw)
            .map_err(|r| format!("archive member {raw:?} is refused: {r} (path traversal)"))?;
        let end = e.raw_file_position().saturating_add(e.size());
        if end > len {
            return Err(format!(
                "the archive is truncated: member {p} needs {end} bytes and the upload has {len}"
            ));
        }
        match p.as_str() {
            "manifest.json" => docker = true,
            "index.json" => oci = true,
            _ => {}
        }
    }
    let p = path.to_path_buf();
    match (docker, oci) {
        (_, true) => Ok(Target::OciArchive(p)),
        (true, false) => Ok(Target::DockerArchive(p)),
        _ if n == 0 => Err("the upload is not a tar (no members)".into()),
        _ => Err("the archive is not an image: it has neither manifest.json (docker save) nor index.json (OCI layout)".into()),
    }
}

/// Collects a checked zip into an inventory.
fn collect_zip(r: &Received, limits: &Limits) -> Result<Inventory, Refusal> {
    check_zip(r.file.path(), limits).map_err(|m| invalid(r.scrub(&m)))?;
    let c = collect(r, &Target::Zip(r.file.path().to_path_buf()), limits)?;
    Ok(c.inventory)
}

fn collect(r: &Received, t: &Target, limits: &Limits) -> Result<scry_collect::Collected, Refusal> {
    let opts = Options {
        limits: limits.clone(),
        ..Options::default()
    };
    let catalog = scry_scan::standard_catalog();
    let mut c = scry_collect::collect(t, &catalog, &opts, &|_| {}).map_err(|e| {
        invalid(format!(
            "the upload cannot be collected: {}",
            r.scrub(&e.to_string())
        ))
    })?;
    for d in &mut c.inventory.diagnostics {
        d.location = r.scrub(&d.location);
        d.reason = r.scrub(&d.reason);
    }
    Ok(c)
}

fn ingest_error(e: crate::service::ServiceError) -> Refusal {
    tracing::error!(error = %e, "ingest of an upload failed");
    ApiError::internal("Scry could not store the inventory; the server log has the cause").into()
}

fn push_result(arn: String, inv: &Inventory, s: &scry_store::ScanSummary) -> PushResult {
    PushResult {
        resource_arn: arn,
        packages: inv.packages.len(),
        opened: s.opened,
        reopened: s.reopened,
        closed: s.closed,
        updated: s.updated,
        unchanged: s.unchanged,
        suppressed: s.suppressed,
        ignored: None,
    }
}

fn capped(d: &[Diagnostic]) -> Vec<Diagnostic> {
    d.iter().take(MAX_DIAGNOSTICS).cloned().collect()
}

fn collect_image(
    svc: &Service,
    caller: &Caller,
    r: Received,
    repository: Option<String>,
    image_tags: Vec<String>,
    resource_id: Option<String>,
    tags: Option<std::collections::BTreeMap<String, String>>,
) -> Result<Vec<u8>, Refusal> {
    let limits = limits();
    let target = check_tar(r.file.path(), &limits).map_err(|m| invalid(r.scrub(&m)))?;
    let format = target.kind().to_string();
    let c = collect(&r, &target, &limits)?;
    let img = c
        .image
        .clone()
        .ok_or_else(|| invalid("the archive holds no image"))?;
    // The repository and tags: as given, else from the archive's RepoTags (docker save).
    let (repo_of_tags, tags_of_archive) = {
        let mut repo = None;
        let mut ts = Vec::new();
        for rt in &img.repo_tags {
            match rt.rsplit_once(':') {
                Some((r, t)) if !t.contains('/') => {
                    repo.get_or_insert_with(|| r.to_string());
                    ts.push(t.to_string());
                }
                _ => {
                    repo.get_or_insert_with(|| rt.clone());
                }
            }
        }
        (repo, ts)
    };
    // `docker.io/scry/app` -> `scry/app`: repository names do not carry the registry.
    let repo_of_tags = repo_of_tags.map(|r| match r.split_once('/') {
        Some((host, rest)) if host.contains('.') || host.contains(':') || host == "localhost" => {
            rest.to_string()
        }
        _ => r,
    });
    let repository = repository
        .or(repo_of_tags)
        .unwrap_or_else(|| "upload".into());
    valid_name("repository", &repository, 256, &['.', '_', '-', '/', ':'])?;
    let image_tags = if image_tags.is_empty() {
        tags_of_archive
    } else {
        image_tags
    };
    let digest = img
        .manifest_digest
        .clone()
        .unwrap_or_else(|| img.config_digest.clone());
    let id = resource_id.unwrap_or_else(|| format!("{repository}@{digest}"));
    let ty = "AWS_ECR_CONTAINER_IMAGE";
    let inv = c.inventory;
    let platform = inv.distro.as_ref().map(|d| {
        d.pretty_name
            .clone()
            .unwrap_or_else(|| format!("{} {}", d.id, d.version_id))
    });
    let now = now_ms();
    let details = serde_json::json!({"awsEcrContainerImage": {
        "repositoryName": repository,
        "imageTags": image_tags,
        "imageHash": digest,
        "registry": caller.account_id,
        "architecture": img.architecture,
        "platform": platform.clone().unwrap_or_else(|| img.os.clone()),
        "pushedAt": now as f64 / 1000.0,
    }});
    let info = ResourceInfo {
        account_id: caller.account_id.clone(),
        arn: resource_arn(&svc.region, &caller.account_id, ty, &id),
        resource_type: ty.into(),
        resource_id: id.clone(),
        details: Some(details.to_string()),
        ec2_image_id: None,
        platform: platform.clone(),
        ecr_registry: Some(caller.account_id.clone()),
        ecr_repository: Some(repository.clone()),
        ecr_image_hash: Some(digest.clone()),
        ecr_image_tags: image_tags.clone(),
        ecr_architecture: Some(img.architecture.clone()),
        ecr_pushed_at: Some(now),
        lambda_name: None,
        lambda_runtime: None,
        lambda_layers: Vec::new(),
        lambda_modified_at: None,
        tags,
    };
    let arn = info.arn.clone();
    let summary = svc.ingest(info, &inv, "upload").map_err(ingest_error)?;
    let out = ArtifactResult {
        push: push_result(arn, &inv, &summary),
        resource_type: ty.into(),
        resource_id: id,
        format,
        bytes: r.bytes,
        sha256: r.sha256.clone(),
        image: Some(UploadedImage {
            repository,
            digest,
            tags: image_tags,
            os: img.os,
            architecture: img.architecture,
            layers: img.layers,
            platform,
        }),
        function: None,
        diagnostics: capped(&inv.diagnostics),
        diagnostics_total: inv.diagnostics.len(),
    };
    serde_json::to_vec(&out).map_err(|e| ApiError::internal(e.to_string()).into())
}

fn collect_function(
    svc: &Service,
    caller: &Caller,
    r: Received,
    spec: FunctionSpec,
    resource_id: Option<String>,
    tags: Option<std::collections::BTreeMap<String, String>>,
) -> Result<Vec<u8>, Refusal> {
    let limits = limits();
    let code = collect_zip(&r, &limits)?;
    // The function's file system as Lambda lays it out: the code, then each layer under
    // /opt; layer packages carry their layer's digest.
    let mut inv = code;
    let mut layer_results = Vec::new();
    for l in &spec.layers {
        let li: Inventory = serde_json::from_slice(&l.inventory).map_err(|e| {
            tracing::error!(error = %e, digest = %l.digest, "a cached layer inventory is unreadable");
            ApiError::internal("Scry could not read a cached layer inventory; the server log has the cause")
        })?;
        for mut p in li.packages {
            p.location = format!("opt/{}", p.location);
            p.layer = Some(l.digest.clone());
            inv.packages.push(p);
        }
        inv.diagnostics
            .extend(li.diagnostics.iter().map(|d| Diagnostic {
                location: format!("layer {}: {}", l.digest, d.location),
                reason: d.reason.clone(),
            }));
        layer_results.push(LayerResult {
            digest: l.digest.clone(),
            bytes: l.bytes,
            packages: l.packages,
            cached: true,
            diagnostics: Vec::new(),
        });
    }
    let layer_digests: Vec<String> = spec.layers.iter().map(|l| l.digest.clone()).collect();
    let now = now_ms();
    let (version, new_version) = match svc.store.record_function_version(
        &caller.account_id,
        &FunctionVersion {
            name: spec.name.clone(),
            version: spec.version.clone().unwrap_or_default(),
            code_sha256: r.sha256.clone(),
            runtime: spec.runtime.clone().unwrap_or_default(),
            layers: layer_digests.clone(),
            created_at: now,
        },
        spec.version.is_some(),
    ) {
        Ok(Ok(v)) => v,
        Ok(Err(VersionRefusal::Taken(t))) => {
            return Err(ApiError::conflict(
                format!(
                    "function {} version {} already exists with other code, runtime or layers (code {}); versions are immutable: push without a version to get the next one",
                    spec.name, t.version, t.code_sha256
                ),
                format!("{}:{}", spec.name, t.version),
                "AWS_LAMBDA_FUNCTION",
            )
            .into())
        }
        Err(e) => {
            tracing::error!(error = %e, "recording a function version");
            return Err(ApiError::internal("Scry could not record the function version; the server log has the cause").into());
        }
    };
    let ty = "AWS_LAMBDA_FUNCTION";
    let id = resource_id.unwrap_or_else(|| format!("{}:{version}", spec.name));
    let details = serde_json::json!({"awsLambdaFunction": {
        "functionName": spec.name,
        "runtime": spec.runtime,
        "version": version,
        "codeSha256": r.sha256,
        "layers": layer_digests,
        "packageType": "ZIP",
        "lastModifiedAt": now as f64 / 1000.0,
    }});
    let info = ResourceInfo {
        account_id: caller.account_id.clone(),
        arn: resource_arn(&svc.region, &caller.account_id, ty, &id),
        resource_type: ty.into(),
        resource_id: id.clone(),
        details: Some(details.to_string()),
        ec2_image_id: None,
        platform: None,
        ecr_registry: None,
        ecr_repository: None,
        ecr_image_hash: None,
        ecr_image_tags: Vec::new(),
        ecr_architecture: None,
        ecr_pushed_at: None,
        lambda_name: Some(spec.name.clone()),
        lambda_runtime: spec.runtime.clone(),
        lambda_layers: layer_digests,
        lambda_modified_at: Some(now),
        tags,
    };
    let arn = info.arn.clone();
    let summary = match svc.ingest(info, &inv, "upload") {
        Ok(s) => s,
        Err(e) => {
            if new_version {
                let _ = svc
                    .store
                    .forget_function_version(&caller.account_id, &spec.name, &version);
            }
            return Err(ingest_error(e));
        }
    };
    let out = ArtifactResult {
        push: push_result(arn, &inv, &summary),
        resource_type: ty.into(),
        resource_id: id,
        format: "zip".into(),
        bytes: r.bytes,
        sha256: r.sha256.clone(),
        image: None,
        function: Some(UploadedFunction {
            name: spec.name,
            version,
            runtime: spec.runtime.unwrap_or_default(),
            new_version,
            code_sha256: r.sha256.clone(),
            layers: layer_results,
        }),
        diagnostics: capped(&inv.diagnostics),
        diagnostics_total: inv.diagnostics.len(),
    };
    serde_json::to_vec(&out).map_err(|e| ApiError::internal(e.to_string()).into())
}

/// `POST /scry/v1/layers`: collect a layer zip once per account.
async fn layer_upload(
    app: &App,
    uri: &Uri,
    headers: &HeaderMap,
    body: &mut Body,
) -> Result<Vec<u8>, Refusal> {
    require_content_sha256(headers)?;
    let (caller, payload) = caller(app, uri, headers, "POST", true).await?;
    Query::parse(uri, &[])?;
    let slot = Slot::take(&app.uploads)?;
    let received = receive(app, headers, &payload, body).await?;
    let svc = app.svc.clone();
    let uploads = app.uploads.clone();
    tokio::task::spawn_blocking(move || -> Result<Vec<u8>, Refusal> {
        let _slot = slot;
        let store_err = |e: scry_store::StoreError| -> Refusal {
            tracing::error!(error = %e, "the layer cache");
            ApiError::internal("Scry could not use its layer cache; the server log has the cause")
                .into()
        };
        let out = match svc
            .store
            .function_layer(&caller.account_id, &received.sha256)
            .map_err(store_err)?
        {
            Some(l) => {
                uploads.layers_cached.fetch_add(1, Ordering::Relaxed);
                LayerResult {
                    digest: l.digest,
                    bytes: l.bytes,
                    packages: l.packages,
                    cached: true,
                    diagnostics: Vec::new(),
                }
            }
            None => {
                let inv = collect_zip(&received, &limits())?;
                uploads.layers_collected.fetch_add(1, Ordering::Relaxed);
                let layer = CachedLayer {
                    digest: received.sha256.clone(),
                    bytes: received.bytes,
                    packages: inv.packages.len(),
                    inventory: serde_json::to_vec(&inv)
                        .map_err(|e| ApiError::internal(e.to_string()))?,
                    created_at: now_ms(),
                };
                svc.store
                    .put_function_layer(&caller.account_id, &layer)
                    .map_err(store_err)?;
                LayerResult {
                    digest: layer.digest,
                    bytes: layer.bytes,
                    packages: layer.packages,
                    cached: false,
                    diagnostics: capped(&inv.diagnostics),
                }
            }
        };
        uploads.received.fetch_add(1, Ordering::Relaxed);
        serde_json::to_vec(&out).map_err(|e| ApiError::internal(e.to_string()).into())
    })
    .await
    .unwrap_or_else(|e| {
        tracing::error!(error = %e, "collecting a layer panicked");
        Err(
            ApiError::internal("Scry failed to collect the layer; the server log has the cause")
                .into(),
        )
    })
}

/// `GET /scry/v1/layers/sha256:HEX`.
/// A layer's cached inventory in the account, read off the async runtime.
async fn cached_layer(
    app: &App,
    account: &str,
    digest: &str,
) -> Result<Option<scry_store::CachedLayer>, ApiError> {
    let svc = app.svc.clone();
    let (account, digest) = (account.to_string(), digest.to_string());
    tokio::task::spawn_blocking(move || svc.store.function_layer(&account, &digest))
        .await
        .map_err(|_| ApiError::internal("Scry failed to read its layer cache"))?
        .map_err(|e| {
            tracing::error!(error = %e, "reading the layer cache");
            ApiError::internal("Scry could not read its layer cache; the server log has the cause")
        })
}

async fn layer_lookup(
    app: &App,
    uri: &Uri,
    headers: &HeaderMap,
    digest: &str,
) -> Result<Vec<u8>, Refusal> {
    let (caller, _) = caller(app, uri, headers, "GET", false).await?;
    if !valid_digest(digest) {
        return Err(invalid(format!(
            "{digest:?} is not a digest like sha256:<64 hex digits>"
        )));
    }
    let found = cached_layer(app, &caller.account_id, digest).await?;
    let Some(l) = found else {
        return Err(ApiError::not_found(format!("layer {digest} is not on this server")).into());
    };
    let out = LayerResult {
        digest: l.digest,
        bytes: l.bytes,
        packages: l.packages,
        cached: true,
        diagnostics: Vec::new(),
    };
    serde_json::to_vec(&out).map_err(|e| ApiError::internal(e.to_string()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(lambda: &str, inspector: &str) {
        assert_eq!(inspector_runtime(lambda), inspector);
    }

    #[test]
    fn runtimes_in_inspector_spelling() {
        check("python3.12", "PYTHON_3_12");
        check("nodejs18.x", "NODEJS_18_X");
        check("java8.al2", "JAVA_8_AL2");
        check("go1.x", "GO_1_X");
        check("dotnet6", "DOTNET_6");
        check("ruby3.2", "RUBY_3_2");
        check("provided.al2023", "PROVIDED_AL2023");
        check("PYTHON_3_9", "PYTHON_3_9");
    }

    #[test]
    fn zip_directories_are_measured_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.zip");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
        for n in ["a.txt", "b/requirements.txt", "c/package-lock.json"] {
            w.start_file(n, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(b"x").unwrap();
        }
        w.set_comment("a comment after the directory");
        w.finish().unwrap();
        let (entries, cd) = central_directory(&p).unwrap();
        assert_eq!(entries, 3);
        assert!(cd > 3 * 46, "{cd}");
        assert!(check_zip(&p, &limits()).is_ok());
        std::fs::write(&p, b"not a zip at all").unwrap();
        assert!(central_directory(&p).unwrap_err().contains("not a zip"));
        // A tar is not an image without its manifest.
        let t = dir.path().join("t.tar");
        let mut b = tar::Builder::new(std::fs::File::create(&t).unwrap());
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_cksum();
        b.append_data(&mut h, "layer.tar", &b"x"[..]).unwrap();
        b.finish().unwrap();
        drop(b);
        assert!(check_tar(&t, &limits())
            .unwrap_err()
            .contains("neither manifest.json"));
    }

    #[test]
    fn digests() {
        assert!(valid_digest(&format!("sha256:{}", "a".repeat(64))));
        assert!(!valid_digest(&format!("sha256:{}", "A".repeat(64))));
        assert!(!valid_digest("sha256:abc"));
        assert!(!valid_digest(&format!("sha512:{}", "a".repeat(64))));
    }
}
