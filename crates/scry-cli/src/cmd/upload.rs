//! Sending artifacts for the server to collect: `scry scan TARGET --server URL --upload`
//! (images and function zips), and the signed, streamed upload that `scry function push`
//! uses too.
//!
//! The file is hashed first, then streamed with a progress bar; the request is signed with
//! SigV4 (service `scry`) over that hash, sent as `x-amz-content-sha256`, which the server
//! checks as the body arrives.

use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use scry_collect::Target;
use scry_wire::artifact::ArtifactResult;
use sha2::{Digest, Sha256};

use crate::args::{ResourceKind, ScanArgs, ScanFormat};

/// A server and the credentials to sign with.
pub struct Client {
    base: String,
    akid: String,
    secret: String,
    http: reqwest::blocking::Client,
}

/// What the server answered with an error status.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl Client {
    pub fn new(
        server: &str,
        access_key_id: &Option<String>,
        secret_access_key: &Option<String>,
    ) -> anyhow::Result<Client> {
        let (akid, secret) = super::push::credentials(access_key_id, secret_access_key)?;
        let base = server.trim_end_matches('/').to_string();
        reqwest::Url::parse(&base).with_context(|| {
            format!("--server {server:?} is not a URL like http://127.0.0.1:8080")
        })?;
        let http = reqwest::blocking::Client::builder()
            // Large uploads take long, and so does collecting them on the server.
            .timeout(None)
            .connect_timeout(std::time::Duration::from_secs(30))
            .build()?;
        Ok(Client {
            base,
            akid,
            secret,
            http,
        })
    }

    /// Sends a signed request; `body` is a file streamed with a progress bar, whose SHA-256
    /// (hex) is `sha256`. Returns the answer body, or what the server refused.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<(&Path, &str)>,
        what: &str,
    ) -> anyhow::Result<Result<String, Refused>> {
        let query: String = query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{query}", self.base)
        };
        let url = reqwest::Url::parse(&url).with_context(|| format!("{url} is not a URL"))?;
        let creds = scry_sigv4::Credentials::new(self.akid.clone(), self.secret.clone());
        let (payload, content_type): (_, &[(&str, &str)]) = match body {
            Some((_, sha)) => (
                scry_sigv4::SignPayload::Sha256Hex(sha),
                &[("content-type", "application/octet-stream")],
            ),
            None => (scry_sigv4::SignPayload::Bytes(b""), &[]),
        };
        let headers = scry_sigv4::sign_scry_request(
            method,
            scry_sigv4::host_header(url.host_str().unwrap_or(""), url.port()),
            url.path(),
            &query,
            content_type,
            payload,
            &creds,
        )
        .map_err(|e| anyhow::anyhow!("signing the request: {e}"))?;
        let mut rb = self
            .http
            .request(reqwest::Method::from_bytes(method.as_bytes())?, url.clone());
        for (k, v) in &headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        let pb = if let Some((file, _)) = body {
            let len = std::fs::metadata(file)
                .with_context(|| format!("reading {}", file.display()))?
                .len();
            let pb = bytes_bar(len, &format!("uploading {what}"));
            let f = File::open(file).with_context(|| format!("opening {}", file.display()))?;
            rb = rb.body(reqwest::blocking::Body::sized(
                Progress {
                    inner: f,
                    pb: pb.clone(),
                },
                len,
            ));
            Some(pb)
        } else {
            None
        };
        let resp = rb.send().with_context(|| {
            let hint = if body.is_some() {
                "; a server also closes the connection on an upload far above its cap, --max-upload-mib"
            } else {
                ""
            };
            format!(
                "sending {what} to {} (is `scry server` running there?{hint})",
                self.base
            )
        });
        if let Some(pb) = &pb {
            pb.finish_and_clear();
        }
        let resp = resp?;
        let status = resp.status();
        let code = resp
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(':').next().unwrap_or(s).to_string())
            .unwrap_or_default();
        let text = resp.text().unwrap_or_default();
        if status.is_success() {
            return Ok(Ok(text));
        }
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or(text);
        Ok(Err(Refused {
            status: status.as_u16(),
            code,
            message,
        }))
    }
}

/// Percent-encodes everything but SigV4's unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A byte progress bar on a terminal; hidden otherwise.
fn bytes_bar(len: u64, msg: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message(msg.to_string());
    pb
}

/// A reader that moves a progress bar; at the end the bar says the server is working.
struct Progress<R> {
    inner: R,
    pb: ProgressBar,
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pb.inc(n as u64);
        if n == 0 && !self.pb.is_hidden() {
            self.pb.set_message("sent; the server is collecting");
            self.pb
                .enable_steady_tick(std::time::Duration::from_millis(120));
        }
        Ok(n)
    }
}

/// The hex SHA-256 of a file (with a progress bar for large ones).
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let pb = if len > 64 << 20 {
        bytes_bar(len, &format!("hashing {}", path.display()))
    } else {
        ProgressBar::hidden()
    };
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        pb.inc(n as u64);
    }
    pb.finish_and_clear();
    Ok(hex::encode(h.finalize()))
}

/// Turns a refusal into an error that says what to do.
pub fn refused(what: &str, r: Refused) -> anyhow::Error {
    let code = if r.code.is_empty() {
        String::new()
    } else {
        format!(" {}", r.code)
    };
    anyhow::anyhow!(
        "the server refused {what} ({}{code}): {}",
        r.status,
        r.message
    )
}

/// `scry scan TARGET --server URL --upload`: the artifact itself goes to the server.
pub fn scan_upload(a: &ScanArgs, server: &str) -> anyhow::Result<ExitCode> {
    let target = Target::parse(&a.target.target)?;
    let (path, kind) = match &target {
        Target::DockerArchive(p) | Target::OciArchive(p) => (p.clone(), ResourceKind::Image),
        Target::Zip(p) => (p.clone(), ResourceKind::Function),
        other => bail!(
            "--upload sends docker-archive:, oci-archive: and zip: targets for the server to collect; {} is a {} target — drop --upload to collect it here and send the inventory",
            a.target.target,
            other.kind()
        ),
    };
    let p = &a.push;
    if let Some(k) = p.resource_type {
        if k != kind {
            bail!(
                "--upload of {} sends it as {kind:?}; --resource-type {k:?} does not fit it",
                a.target.target
            );
        }
    }
    let client = Client::new(server, &p.access_key_id, &p.secret_access_key)?;
    let sha = sha256_file(&path)?;
    let mut query: Vec<(&str, &str)> = Vec::new();
    let name;
    match kind {
        ResourceKind::Image => query.push(("resourceType", "image")),
        _ => {
            // A function zip uploaded by `scry scan`: named after the file, runtime unknown
            // (`scry function push` names both, and layers).
            name = path
                .file_stem()
                .map(|s| {
                    s.to_string_lossy()
                        .chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() || c == '_' {
                                c
                            } else {
                                '-'
                            }
                        })
                        .take(64)
                        .collect::<String>()
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "function".into());
            query.push(("resourceType", "function"));
            query.push(("name", &name));
        }
    }
    if let Some(id) = &p.resource_id {
        query.push(("resourceId", id));
    }
    for t in &p.tags {
        query.push(("tag", t));
    }
    let what = path.display().to_string();
    let text = client
        .send(
            "POST",
            "/scry/v1/artifacts",
            &query,
            Some((&path, &sha)),
            &what,
        )?
        .map_err(|r| refused(&what, r))?;
    let res: ArtifactResult = serde_json::from_str(&text)
        .with_context(|| format!("the server's answer is not an upload result: {text}"))?;
    match a.format {
        ScanFormat::Json => println!("{}", serde_json::to_string_pretty(&res)?),
        _ => print_result(&res),
    }
    Ok(ExitCode::SUCCESS)
}

/// The human summary of an upload, on stderr (data on stdout is for `--format json`).
pub fn print_result(res: &ArtifactResult) {
    let r = &res.push;
    eprintln!(
        "uploaded {} bytes ({}, {}); the server collected {} packages as {} {}: {} new findings, {} reopened, {} closed, {} updated, {} unchanged",
        res.bytes,
        res.format,
        res.sha256,
        r.packages,
        res.resource_type,
        r.resource_arn,
        r.opened,
        r.reopened,
        r.closed,
        r.updated,
        r.unchanged
    );
    for d in &res.diagnostics {
        eprintln!("  note: {}: {}", d.location, d.reason);
    }
    if res.diagnostics_total > res.diagnostics.len() {
        eprintln!(
            "  ... and {} more notes",
            res.diagnostics_total - res.diagnostics.len()
        );
    }
}
