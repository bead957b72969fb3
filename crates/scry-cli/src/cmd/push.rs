//! `scry scan TARGET --server URL`: collect here, send the inventory to a `scry server`.

use std::process::ExitCode;

use anyhow::{bail, Context};
use scry_collect::Collected;
use scry_wire::native::{PushInventory, PushResult, ResourceMetadata};

use crate::args::{PushArgs, ResourceKind, ScanArgs, ScanFormat};

fn credential(flag: &Option<String>, scry: &str, aws: &str) -> Option<String> {
    flag.clone()
        .or_else(|| std::env::var(scry).ok())
        .or_else(|| std::env::var(aws).ok())
        .filter(|v| !v.is_empty())
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The push request for a collected target.
pub fn request(c: &Collected, p: &PushArgs) -> anyhow::Result<PushInventory> {
    let kind = p.resource_type.unwrap_or(match (&c.image, c.kind) {
        (Some(_), _) => ResourceKind::Image,
        (None, "zip") => ResourceKind::Function,
        (None, "dir") => ResourceKind::Host,
        _ => ResourceKind::Repository,
    });
    let mut meta = ResourceMetadata::default();
    let (ty, default_id) = match kind {
        ResourceKind::Host => {
            meta.platform = c
                .inventory
                .distro
                .as_ref()
                .and_then(|d| d.pretty_name.clone());
            (
                "AWS_EC2_INSTANCE",
                if c.target == "/" {
                    host_name()
                } else {
                    c.target.clone()
                },
            )
        }
        ResourceKind::Image => {
            if let Some(img) = &c.image {
                let repo = c
                    .target
                    .rsplit_once('@')
                    .map_or(c.target.as_str(), |(r, _)| r);
                let repo = match repo.rsplit_once(':') {
                    Some((r, tag)) if !tag.contains('/') => r,
                    _ => repo,
                };
                meta.ecr_repository = Some(repo.to_string());
                meta.ecr_image_hash = Some(
                    img.manifest_digest
                        .clone()
                        .unwrap_or_else(|| img.config_digest.clone()),
                );
                meta.ecr_image_tags = img.repo_tags.clone();
                meta.architecture = Some(img.architecture.clone());
                meta.platform = c
                    .inventory
                    .distro
                    .as_ref()
                    .and_then(|d| d.pretty_name.clone());
            }
            ("AWS_ECR_CONTAINER_IMAGE", c.target.clone())
        }
        ResourceKind::Function => {
            let name = std::path::Path::new(&c.target)
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_else(|| c.target.clone());
            meta.lambda_function_name = Some(name.clone());
            ("AWS_LAMBDA_FUNCTION", name)
        }
        ResourceKind::Repository => ("CODE_REPOSITORY", c.target.clone()),
    };
    let tags = if p.tags.is_empty() {
        None
    } else {
        Some(scry_server::service::parse_tags(&p.tags).map_err(anyhow::Error::msg)?)
    };
    Ok(PushInventory {
        resource_type: ty.into(),
        resource_id: p.resource_id.clone().unwrap_or(default_id),
        details: None,
        tags,
        metadata: Some(meta),
        inventory: c.inventory.clone(),
        host: None,
        sequence: None,
        collected_at: None,
    })
}

/// The access key and secret: flags, else `SCRY_*`, else `AWS_*` variables.
pub(super) fn credentials(
    access_key_id: &Option<String>,
    secret_access_key: &Option<String>,
) -> anyhow::Result<(String, String)> {
    let Some(akid) = credential(access_key_id, "SCRY_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID") else {
        bail!("no access key: pass --access-key-id/--secret-access-key or set SCRY_ACCESS_KEY_ID/SCRY_SECRET_ACCESS_KEY (create one with `scry keys create --account ID --role agent`)");
    };
    let Some(secret) = credential(
        secret_access_key,
        "SCRY_SECRET_ACCESS_KEY",
        "AWS_SECRET_ACCESS_KEY",
    ) else {
        bail!("access key {akid} has no secret: pass --secret-access-key or set SCRY_SECRET_ACCESS_KEY");
    };
    Ok((akid, secret))
}

/// Sends a push request, signed with SigV4 (service `scry`).
pub fn send(server: &str, p: &PushArgs, req: &PushInventory) -> anyhow::Result<PushResult> {
    let (akid, secret) = credentials(&p.access_key_id, &p.secret_access_key)?;
    let base = server.trim_end_matches('/');
    let url = reqwest::Url::parse(&format!("{base}/scry/v1/inventories"))
        .with_context(|| format!("--server {server:?} is not a URL like http://127.0.0.1:8080"))?;
    let body = serde_json::to_vec(req)?;
    let creds = scry_sigv4::Credentials::new(akid, secret);
    let headers = scry_sigv4::sign_scry_request(
        "POST",
        scry_sigv4::host_header(url.host_str().unwrap_or(""), url.port()),
        url.path(),
        "",
        &[("content-type", "application/json")],
        scry_sigv4::SignPayload::Bytes(&body),
        &creds,
    )
    .map_err(|e| anyhow::anyhow!("signing the request: {e}"))?;
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(300))
        .build()?;
    let mut rb = client.post(url.clone()).body(body);
    for (k, v) in &headers {
        rb = rb.header(k.as_str(), v.as_str());
    }
    let resp = rb.send().with_context(|| {
        format!("sending the inventory to {base} (is `scry server` running there?)")
    })?;
    let status = resp.status();
    let text = resp.text().unwrap_or_default();
    if !status.is_success() {
        let msg = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or(text);
        bail!("the server refused the inventory ({status}): {msg}");
    }
    serde_json::from_str(&text)
        .with_context(|| format!("the server's answer is not a push result: {text}"))
}

pub fn run(a: &ScanArgs, c: &Collected, server: &str) -> anyhow::Result<ExitCode> {
    let req = request(c, &a.push)?;
    let res = send(server, &a.push, &req)?;
    match a.format {
        ScanFormat::Json => println!("{}", serde_json::to_string_pretty(&res)?),
        _ => eprintln!(
            "sent {} packages of {} as {} {}: {} new findings, {} reopened, {} closed, {} updated, {} unchanged",
            res.packages, c.target, req.resource_type, res.resource_arn, res.opened, res.reopened, res.closed, res.updated, res.unchanged
        ),
    }
    Ok(ExitCode::SUCCESS)
}
