//! The blocking distribution-API client.
//!
//! Rules:
//! - Registries are spoken to over HTTPS, except hosts listed in
//!   `insecure_http_hosts` (plain HTTP) and loopback hosts (`localhost`,
//!   `127.*`, `[::1]`), which are tried over HTTPS first and over HTTP when that
//!   fails; the scheme that worked is remembered per registry.
//! - Manifests are requested with `Accept` for the OCI image manifest and index and
//!   Docker's v2 manifest and manifest list, capped at 4 MiB. Docker schema 1 is
//!   refused. An index is resolved to the manifest of the wanted platform (see
//!   [`crate::platform`]); a nested index is refused.
//! - Every manifest fetched by digest, the config blob (capped at 16 MiB) and every
//!   layer (through [`BlobReader`]) is checked against its digest and size.
//! - Auth: requests go out without credentials (or with the cached token); on
//!   401 the `WWW-Authenticate` challenge decides. Bearer: a token for
//!   `repository:<repo>:pull` is fetched from the realm (GET with Basic credentials
//!   if given, or an OAuth2 refresh-token POST for an identity token), cached per
//!   (registry, scope) until it expires, and the request is retried once. Basic:
//!   the Basic credentials are sent from then on. Credentials are never sent to a
//!   plain-HTTP token realm that is not loopback or listed as insecure.
//! - Connection errors and HTTP 429/500/502/503/504 are retried twice, after 250
//!   and 500 ms.
//! - Redirects (blob storage on a CDN) are followed; the `Authorization` header
//!   is dropped when a redirect leaves the registry's host and port.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use reqwest::blocking::{RequestBuilder, Response};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{StatusCode, Url};
use serde::Deserialize;

use crate::auth::parse_www_authenticate;
use crate::blob::{digest_like, BlobReader};
use crate::platform::select_platform;
use crate::reference::check_digest;
use crate::{Credentials, Platform, Reference, RegistryError};

/// OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI image config media type.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Docker image config media type.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

const SCHEMA1_PREFIX: &str = "application/vnd.docker.distribution.manifest.v1";

/// Largest manifest or index accepted.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// Largest image config accepted.
pub const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;
const MAX_TOKEN_BYTES: u64 = 1024 * 1024;
const MAX_ERROR_BODY: u64 = 64 * 1024;
const RETRIES: u32 = 2;

/// How a [`Client`] behaves.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub credentials: Credentials,
    /// Registries (`host:port`, or `host` for any port) spoken to over plain HTTP.
    /// Loopback hosts fall back to HTTP on their own when HTTPS fails.
    pub insecure_http_hosts: Vec<String>,
    pub user_agent: String,
    /// Timeout for connecting and for each read (not for a whole layer download).
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            credentials: Credentials::Anonymous,
            insecure_http_hosts: Vec::new(),
            user_agent: concat!("scry-registry/", env!("CARGO_PKG_VERSION")).to_string(),
            timeout: Duration::from_secs(60),
        }
    }
}

/// A layer (or config) descriptor from an image manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerDesc {
    /// `sha256:<hex>` (or `sha512:`), checked when the layer is read.
    pub digest: String,
    /// e.g. `application/vnd.oci.image.layer.v1.tar+gzip`.
    pub media_type: String,
    /// Size in bytes as the manifest says.
    pub size: u64,
}

/// An image manifest resolved for one platform, with its config.
#[derive(Debug, Clone)]
pub struct ResolvedImage {
    pub reference: Reference,
    /// Digest of the platform's image manifest.
    pub manifest_digest: String,
    /// Media type of that manifest.
    pub manifest_media_type: String,
    /// Digest of the index or manifest list the reference pointed at, if it was one.
    pub index_digest: Option<String>,
    /// The platform the index entry declared, if resolved through an index.
    pub platform: Option<Platform>,
    pub config_digest: String,
    /// The image config blob, digest-verified.
    pub config: serde_json::Value,
    /// The layers, base first.
    pub layers: Vec<LayerDesc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    #[serde(default)]
    schema_version: Option<serde_json::Value>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<RawDescriptor>,
    #[serde(default)]
    layers: Option<Vec<RawDescriptor>>,
    #[serde(default)]
    manifests: Option<Vec<RawDescriptor>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    #[serde(default)]
    media_type: String,
    digest: String,
    size: u64,
    #[serde(default)]
    platform: Option<RawPlatform>,
}

#[derive(Deserialize)]
struct RawPlatform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

enum Manifest {
    Index(Vec<RawDescriptor>),
    Image {
        media_type: String,
        config: RawDescriptor,
        layers: Vec<RawDescriptor>,
    },
}

struct CachedToken {
    token: String,
    expires: Instant,
}

/// A blocking registry client. It caches tokens and the scheme per registry, so
/// keep one for a whole pull. It is `Sync`.
pub struct Client {
    http: reqwest::blocking::Client,
    credentials: Credentials,
    insecure: Vec<String>,
    schemes: Mutex<HashMap<String, &'static str>>,
    tokens: Mutex<HashMap<(String, String), CachedToken>>,
    basic: Mutex<HashSet<String>>,
    backoff: Duration,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// An error and its sources on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    let mut depth = 0;
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s = format!("{s}: {t}");
        }
        src = inner.source();
        depth += 1;
        if depth > 8 {
            break;
        }
    }
    s
}

fn host_of(registry: &str) -> &str {
    if registry.starts_with('[') {
        return registry.split(']').next().map_or(registry, |h| &h[1..]);
    }
    registry.split(':').next().unwrap_or(registry)
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| a.is_loopback())
}

fn is_transient(s: StatusCode) -> bool {
    matches!(s.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// Reads at most `limit` bytes; more is [`RegistryError::TooLarge`].
pub(crate) fn read_capped(
    resp: Response,
    limit: u64,
    what: &str,
    url: &str,
) -> Result<Vec<u8>, RegistryError> {
    let too_large = || RegistryError::TooLarge {
        what: what.to_string(),
        url: url.to_string(),
        limit,
    };
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut buf = Vec::new();
    resp.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| RegistryError::Network {
            url: url.to_string(),
            reason: format!("reading {what}: {}", error_chain(&e)),
        })?;
    if buf.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(buf)
}

/// `": CODE message"` from a registry error body, or the start of a text body.
fn error_detail(resp: Response) -> String {
    let mut buf = Vec::new();
    if resp.take(MAX_ERROR_BODY).read_to_end(&mut buf).is_err() {
        return String::new();
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&buf) {
        if let Some(e) = v.get("errors").and_then(|e| e.get(0)) {
            let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("");
            let msg = e.get("message").and_then(|c| c.as_str()).unwrap_or("");
            let s = format!("{code} {msg}");
            let s = s.trim();
            if !s.is_empty() {
                return format!(": {}", clip(s));
            }
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let text = text.trim();
    if text.is_empty() {
        String::new()
    } else {
        format!(": {}", clip(text))
    }
}

fn clip(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    one_line
}

impl Client {
    /// Builds a client.
    pub fn new(options: ClientOptions) -> Result<Client, RegistryError> {
        let http = reqwest::blocking::Client::builder()
            .user_agent(options.user_agent.clone())
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(30)))
            .build()
            .map_err(|e| RegistryError::Setup(error_chain(&e)))?;
        Ok(Client {
            http,
            credentials: options.credentials,
            insecure: options.insecure_http_hosts,
            schemes: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            basic: Mutex::new(HashSet::new()),
            backoff: Duration::from_millis(250),
        })
    }

    fn is_insecure(&self, registry: &str) -> bool {
        let host = host_of(registry);
        self.insecure.iter().any(|h| {
            h.eq_ignore_ascii_case(registry) || (!h.contains(':') && h.eq_ignore_ascii_case(host))
        })
    }

    fn schemes_for(&self, registry: &str) -> Vec<&'static str> {
        if self.is_insecure(registry) {
            return vec!["http"];
        }
        if let Some(s) = lock(&self.schemes).get(registry) {
            return vec![*s];
        }
        if is_loopback(host_of(registry)) {
            vec!["https", "http"]
        } else {
            vec!["https"]
        }
    }

    /// Sends a request built by `build` for each candidate URL in turn until one
    /// answers, retrying connection errors and transient statuses. Returns the
    /// response, its URL and the index of the candidate that answered.
    fn send_retrying(
        &self,
        candidates: &[String],
        build: &dyn Fn(&str) -> RequestBuilder,
    ) -> Result<(Response, String, usize), RegistryError> {
        let mut delay = self.backoff;
        let mut last: Option<RegistryError> = None;
        for attempt in 0..=RETRIES {
            if attempt > 0 {
                std::thread::sleep(delay);
                delay *= 2;
            }
            let mut errors = Vec::new();
            for (i, url) in candidates.iter().enumerate() {
                match build(url).send() {
                    Ok(resp) => {
                        if is_transient(resp.status()) && attempt < RETRIES {
                            last = Some(RegistryError::Http {
                                url: url.clone(),
                                status: resp.status().as_u16(),
                                detail: String::new(),
                            });
                            errors.clear();
                            break;
                        }
                        return Ok((resp, url.clone(), i));
                    }
                    Err(e) => errors.push(format!("{url}: {}", error_chain(&e))),
                }
            }
            if !errors.is_empty() {
                last = Some(RegistryError::Network {
                    url: candidates.first().cloned().unwrap_or_default(),
                    reason: errors.join("; then "),
                });
            }
        }
        Err(last.unwrap_or_else(|| RegistryError::Network {
            url: candidates.first().cloned().unwrap_or_default(),
            reason: "no request was made".into(),
        }))
    }

    /// One request to `registry` for `path` (starting with `/v2/`).
    fn send_registry(
        &self,
        registry: &str,
        path: &str,
        accept: Option<&str>,
        auth: Option<&str>,
    ) -> Result<(Response, String), RegistryError> {
        let schemes = self.schemes_for(registry);
        let urls: Vec<String> = schemes
            .iter()
            .map(|s| format!("{s}://{registry}{path}"))
            .collect();
        for u in &urls {
            Url::parse(u).map_err(|e| RegistryError::InvalidReference {
                input: format!("{registry}{path}"),
                reason: format!("it does not make a valid URL: {e}"),
            })?;
        }
        let build = |url: &str| {
            let mut req = self.http.get(url);
            if let Some(a) = accept {
                req = req.header(ACCEPT, a);
            }
            if let Some(a) = auth {
                req = req.header(AUTHORIZATION, a);
            }
            req
        };
        let (resp, url, i) = self.send_retrying(&urls, &build)?;
        if schemes.len() > 1 {
            lock(&self.schemes).insert(registry.to_string(), schemes[i]);
        }
        Ok((resp, url))
    }

    fn auth_header(&self, registry: &str, scope: &str) -> Option<String> {
        if let Credentials::Bearer(t) = &self.credentials {
            return Some(format!("Bearer {t}"));
        }
        {
            let mut tokens = lock(&self.tokens);
            let key = (registry.to_string(), scope.to_string());
            if let Some(t) = tokens.get(&key) {
                if t.expires > Instant::now() {
                    return Some(format!("Bearer {}", t.token));
                }
                tokens.remove(&key);
            }
        }
        if let Credentials::Basic { user, pass } = &self.credentials {
            if lock(&self.basic).contains(registry) {
                use base64::Engine;
                let b = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
                return Some(format!("Basic {b}"));
            }
        }
        None
    }

    /// GET `path` on the reference's registry with authentication; non-success
    /// statuses become errors about `what`.
    fn get_authed(
        &self,
        r: &Reference,
        path: &str,
        accept: Option<&str>,
        what: &str,
    ) -> Result<(Response, String), RegistryError> {
        self.get_authed_scoped(r, &r.pull_scope(), path, accept, what)
    }

    /// [`Client::get_authed`] with an explicit token scope (`registry:catalog:*` for the
    /// catalog).
    pub(crate) fn get_authed_scoped(
        &self,
        r: &Reference,
        scope: &str,
        path: &str,
        accept: Option<&str>,
        what: &str,
    ) -> Result<(Response, String), RegistryError> {
        let scope = scope.to_string();
        let mut challenged = false;
        loop {
            let auth = self.auth_header(&r.registry, &scope);
            let (resp, url) = self.send_registry(&r.registry, path, accept, auth.as_deref())?;
            let status = resp.status();
            if status.is_success() {
                return Ok((resp, url));
            }
            if status == StatusCode::UNAUTHORIZED && !challenged {
                let header = resp
                    .headers()
                    .get_all(WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect::<Vec<_>>()
                    .join(", ");
                if self.authenticate(r, &scope, &header)? {
                    challenged = true;
                    continue;
                }
            }
            return Err(match status {
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => RegistryError::Unauthorized {
                    registry: r.display_registry().to_string(),
                    what: what.to_string(),
                    status: status.as_u16(),
                    detail: error_detail(resp),
                },
                StatusCode::NOT_FOUND => RegistryError::NotFound {
                    registry: r.display_registry().to_string(),
                    what: what.to_string(),
                },
                _ => RegistryError::Http {
                    url,
                    status: status.as_u16(),
                    detail: error_detail(resp),
                },
            });
        }
    }

    /// Answers a challenge; `Ok(true)` when the request is worth retrying.
    fn authenticate(
        &self,
        r: &Reference,
        scope: &str,
        header: &str,
    ) -> Result<bool, RegistryError> {
        let challenges = parse_www_authenticate(header);
        if let Some(b) = challenges.iter().find(|c| c.scheme == "bearer") {
            if matches!(self.credentials, Credentials::Bearer(_)) {
                return Ok(false);
            }
            let Some(realm) = b.param("realm").filter(|s| !s.is_empty()) else {
                return Err(RegistryError::Token {
                    registry: r.display_registry().to_string(),
                    url: "-".into(),
                    reason: "the Bearer challenge names no realm".into(),
                });
            };
            let (token, ttl) = self.fetch_token(r, realm, b.param("service"), scope)?;
            let margin = (ttl / 10).min(Duration::from_secs(30));
            lock(&self.tokens).insert(
                (r.registry.clone(), scope.to_string()),
                CachedToken {
                    token,
                    expires: Instant::now() + ttl - margin,
                },
            );
            return Ok(true);
        }
        if challenges.iter().any(|c| c.scheme == "basic") {
            if let Credentials::Basic { .. } = self.credentials {
                lock(&self.basic).insert(r.registry.clone());
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn fetch_token(
        &self,
        r: &Reference,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<(String, Duration), RegistryError> {
        let token_err = |reason: String| RegistryError::Token {
            registry: r.display_registry().to_string(),
            url: realm.to_string(),
            reason,
        };
        let mut url =
            Url::parse(realm).map_err(|e| token_err(format!("the realm is not a URL: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" => {
                let host = url.host_str().unwrap_or("");
                let host = host.trim_start_matches('[').trim_end_matches(']');
                let with_port = match url.port() {
                    Some(p) => format!("{host}:{p}"),
                    None => host.to_string(),
                };
                if !matches!(self.credentials, Credentials::Anonymous)
                    && !is_loopback(host)
                    && !self.is_insecure(&with_port)
                {
                    return Err(token_err(
                        "refusing to send credentials to a token service over plain HTTP".into(),
                    ));
                }
            }
            other => return Err(token_err(format!("unsupported realm scheme {other:?}"))),
        }
        let form: Vec<(&str, &str)>;
        let build: Box<dyn Fn(&str) -> RequestBuilder + '_> = match &self.credentials {
            Credentials::IdentityToken(t) => {
                let mut f = vec![
                    ("grant_type", "refresh_token"),
                    ("refresh_token", t.as_str()),
                    ("client_id", "scry"),
                    ("scope", scope),
                ];
                if let Some(s) = service {
                    f.push(("service", s));
                }
                form = f;
                Box::new(|u: &str| self.http.post(u).form(&form))
            }
            creds => {
                {
                    let mut q = url.query_pairs_mut();
                    if let Some(s) = service {
                        q.append_pair("service", s);
                    }
                    q.append_pair("scope", scope);
                }
                match creds {
                    Credentials::Basic { user, pass } => {
                        Box::new(move |u: &str| self.http.get(u).basic_auth(user, Some(pass)))
                    }
                    _ => Box::new(|u: &str| self.http.get(u)),
                }
            }
        };
        let (resp, url, _) = self.send_retrying(&[url.to_string()], &*build)?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(RegistryError::Unauthorized {
                registry: r.display_registry().to_string(),
                what: format!("{r} (token service {realm})"),
                status: status.as_u16(),
                detail: error_detail(resp),
            });
        }
        if !status.is_success() {
            return Err(token_err(format!(
                "HTTP {}{}",
                status.as_u16(),
                error_detail(resp)
            )));
        }
        let body = read_capped(resp, MAX_TOKEN_BYTES, "token", &url)?;
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| token_err(format!("the answer is not JSON: {e}")))?;
        let token = ["token", "access_token"]
            .iter()
            .find_map(|k| v.get(*k).and_then(|t| t.as_str()).filter(|t| !t.is_empty()))
            .ok_or_else(|| token_err("the answer has no \"token\" or \"access_token\"".into()))?;
        if token.bytes().any(|b| b.is_ascii_control()) {
            return Err(token_err("the token contains control characters".into()));
        }
        let ttl = v
            .get("expires_in")
            .and_then(|e| e.as_u64())
            .unwrap_or(60)
            .clamp(10, 24 * 3600);
        Ok((token.to_string(), Duration::from_secs(ttl)))
    }

    /// Fetches a manifest by tag or digest: its bytes and media type.
    pub(crate) fn fetch_manifest(
        &self,
        r: &Reference,
        reference: &str,
    ) -> Result<(Vec<u8>, String), RegistryError> {
        let path = format!("/v2/{}/manifests/{reference}", r.repository);
        let accept = [
            OCI_INDEX,
            OCI_MANIFEST,
            DOCKER_MANIFEST_LIST,
            DOCKER_MANIFEST,
        ]
        .join(", ");
        let what = if reference.contains(':') {
            format!("manifest {reference} of {r}")
        } else {
            format!("manifest of {r}")
        };
        let (resp, url) = self.get_authed(r, &path, Some(&accept), &what)?;
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        if content_type.starts_with(SCHEMA1_PREFIX) {
            return Err(schema1(r));
        }
        let bytes = read_capped(resp, MAX_MANIFEST_BYTES, "manifest", &url)?;
        Ok((bytes, content_type))
    }

    /// Resolves `r` to the image manifest for `platform`, with its config and layers.
    pub fn resolve(
        &self,
        r: &Reference,
        platform: &Platform,
    ) -> Result<ResolvedImage, RegistryError> {
        let (bytes, content_type) = self.fetch_manifest(r, r.manifest_ref())?;
        let top_digest = match &r.digest {
            Some(d) => {
                let actual = digest_like(d, &bytes);
                if &actual != d {
                    return Err(RegistryError::DigestMismatch {
                        what: format!("manifest of {r}"),
                        expected: d.clone(),
                        actual,
                    });
                }
                d.clone()
            }
            None => digest_like("sha256:", &bytes),
        };
        let (manifest, manifest_digest, index_digest, chosen) = match parse_manifest(
            r,
            &bytes,
            &content_type,
        )? {
            Manifest::Index(entries) => {
                let platforms: Vec<Platform> = entries
                    .iter()
                    .map(|e| match &e.platform {
                        Some(p) => {
                            Platform::normalized(&p.os, &p.architecture, p.variant.as_deref())
                        }
                        None => Platform::normalized("", "", None),
                    })
                    .collect();
                let Some(i) = select_platform(platform, &platforms) else {
                    let mut available: Vec<String> = platforms
                        .iter()
                        .filter(|p| {
                            !p.os.is_empty() && p.os != "unknown" && p.architecture != "unknown"
                        })
                        .map(|p| p.to_string())
                        .collect();
                    let mut seen = HashSet::new();
                    available.retain(|p| seen.insert(p.clone()));
                    return Err(RegistryError::NoMatchingPlatform {
                        reference: r.to_string(),
                        wanted: platform.to_string(),
                        available,
                    });
                };
                let entry = &entries[i];
                let invalid = |reason: String| RegistryError::InvalidManifest {
                    reference: r.to_string(),
                    what: "index".into(),
                    reason,
                };
                check_digest(&entry.digest)
                    .map_err(|e| invalid(format!("entry for {}: {e}", platforms[i])))?;
                if entry.size > MAX_MANIFEST_BYTES {
                    return Err(invalid(format!(
                        "entry for {} claims {} bytes, more than the {MAX_MANIFEST_BYTES}-byte manifest limit",
                        platforms[i], entry.size
                    )));
                }
                let (child, child_type) = self.fetch_manifest(r, &entry.digest)?;
                let actual = digest_like(&entry.digest, &child);
                if actual != entry.digest || child.len() as u64 != entry.size {
                    return Err(RegistryError::DigestMismatch {
                        what: format!(
                            "manifest for {} of {r} ({} bytes, index says {})",
                            platforms[i],
                            child.len(),
                            entry.size
                        ),
                        expected: entry.digest.clone(),
                        actual,
                    });
                }
                let m = parse_manifest(r, &child, &child_type)?;
                if let Manifest::Index(_) = m {
                    return Err(RegistryError::UnsupportedManifest {
                        reference: r.to_string(),
                        reason: format!(
                            "the entry for {} is itself an index; nested indexes are not supported",
                            platforms[i]
                        ),
                    });
                }
                (
                    m,
                    entry.digest.clone(),
                    Some(top_digest),
                    Some(platforms[i].clone()),
                )
            }
            m => (m, top_digest, None, None),
        };
        let Manifest::Image {
            media_type,
            config,
            layers,
        } = manifest
        else {
            return Err(RegistryError::UnsupportedManifest {
                reference: r.to_string(),
                reason: "not an image manifest".into(),
            });
        };
        let invalid = |reason: String| RegistryError::InvalidManifest {
            reference: r.to_string(),
            what: "image manifest".into(),
            reason,
        };
        if !matches!(config.media_type.as_str(), OCI_CONFIG | DOCKER_CONFIG | "") {
            return Err(RegistryError::UnsupportedManifest {
                reference: r.to_string(),
                reason: format!(
                    "it is not a container image (config media type {:?})",
                    config.media_type
                ),
            });
        }
        check_digest(&config.digest).map_err(|e| invalid(format!("config: {e}")))?;
        let config_value = self.fetch_config(r, &config)?;
        let mut out_layers = Vec::with_capacity(layers.len().min(1024));
        for (n, l) in layers.into_iter().enumerate() {
            check_digest(&l.digest).map_err(|e| invalid(format!("layer {n}: {e}")))?;
            out_layers.push(LayerDesc {
                digest: l.digest,
                media_type: l.media_type,
                size: l.size,
            });
        }
        Ok(ResolvedImage {
            reference: r.clone(),
            manifest_digest,
            manifest_media_type: media_type,
            index_digest,
            platform: chosen,
            config_digest: config.digest,
            config: config_value,
            layers: out_layers,
        })
    }

    fn fetch_config(
        &self,
        r: &Reference,
        desc: &RawDescriptor,
    ) -> Result<serde_json::Value, RegistryError> {
        let what = format!("config blob {} of {r}", desc.digest);
        if desc.size > MAX_CONFIG_BYTES {
            return Err(RegistryError::TooLarge {
                what,
                url: format!("{}/{}", r.display_registry(), r.repository),
                limit: MAX_CONFIG_BYTES,
            });
        }
        let path = format!("/v2/{}/blobs/{}", r.repository, desc.digest);
        let (resp, url) = self.get_authed(r, &path, None, &what)?;
        let bytes = read_capped(resp, desc.size, &what, &url)?;
        let actual = digest_like(&desc.digest, &bytes);
        if actual != desc.digest || bytes.len() as u64 != desc.size {
            return Err(RegistryError::DigestMismatch {
                what: format!(
                    "{what} ({} bytes, manifest says {})",
                    bytes.len(),
                    desc.size
                ),
                expected: desc.digest.clone(),
                actual,
            });
        }
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| RegistryError::InvalidManifest {
                reference: r.to_string(),
                what: "image config".into(),
                reason: format!("not JSON: {e}"),
            })?;
        if !v.is_object() {
            return Err(RegistryError::InvalidManifest {
                reference: r.to_string(),
                what: "image config".into(),
                reason: "not a JSON object".into(),
            });
        }
        Ok(v)
    }

    /// Opens a layer for streaming. The reader fails with
    /// [`std::io::ErrorKind::InvalidData`] when the bytes do not match the
    /// descriptor's digest or size; see [`BlobReader`].
    pub fn open_blob(&self, r: &Reference, layer: &LayerDesc) -> Result<BlobReader, RegistryError> {
        check_digest(&layer.digest).map_err(|e| RegistryError::InvalidManifest {
            reference: r.to_string(),
            what: "layer descriptor".into(),
            reason: e,
        })?;
        let path = format!("/v2/{}/blobs/{}", r.repository, layer.digest);
        let what = format!("blob {} of {r}", layer.digest);
        let (resp, url) = self.get_authed(r, &path, None, &what)?;
        BlobReader::new(Box::new(resp), &layer.digest, layer.size, url).ok_or_else(|| {
            RegistryError::InvalidManifest {
                reference: r.to_string(),
                what: "layer descriptor".into(),
                reason: format!("unsupported digest {}", layer.digest),
            }
        })
    }
}

fn schema1(r: &Reference) -> RegistryError {
    RegistryError::UnsupportedManifest {
        reference: r.to_string(),
        reason: "it is a Docker schema 1 manifest, which is deprecated and not supported; \
                 re-push the image with a current Docker, Podman or skopeo"
            .into(),
    }
}

fn parse_manifest(
    r: &Reference,
    bytes: &[u8],
    content_type: &str,
) -> Result<Manifest, RegistryError> {
    let invalid = |reason: String| RegistryError::InvalidManifest {
        reference: r.to_string(),
        what: "manifest".into(),
        reason,
    };
    let raw: RawManifest =
        serde_json::from_slice(bytes).map_err(|e| invalid(format!("not a JSON manifest: {e}")))?;
    if raw.schema_version.as_ref().and_then(|v| v.as_i64()) == Some(1) {
        return Err(schema1(r));
    }
    let media_type = raw
        .media_type
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| content_type.to_string());
    if media_type.starts_with(SCHEMA1_PREFIX) {
        return Err(schema1(r));
    }
    let is_index = match media_type.as_str() {
        OCI_INDEX | DOCKER_MANIFEST_LIST => true,
        OCI_MANIFEST | DOCKER_MANIFEST => false,
        _ if raw.manifests.is_some() && raw.config.is_none() => true,
        _ if raw.config.is_some() && raw.manifests.is_none() => false,
        other => {
            return Err(RegistryError::UnsupportedManifest {
                reference: r.to_string(),
                reason: format!("unknown manifest media type {other:?}"),
            })
        }
    };
    if is_index {
        let entries = raw
            .manifests
            .ok_or_else(|| invalid("the index has no \"manifests\"".into()))?;
        Ok(Manifest::Index(entries))
    } else {
        let config = raw
            .config
            .ok_or_else(|| invalid("the image manifest has no \"config\"".into()))?;
        Ok(Manifest::Image {
            media_type,
            config,
            layers: raw.layers.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r() -> Reference {
        Reference::parse("localhost:5000/a/b:v1").unwrap()
    }

    #[test]
    fn manifest_kinds() {
        let s1 = br#"{"schemaVersion":1,"name":"a/b","tag":"v1","fsLayers":[]}"#;
        let e = parse_manifest(&r(), s1, "application/json")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("schema 1"), "{e}");
        let e = parse_manifest(
            &r(),
            b"{}",
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("schema 1"), "{e}");
        let idx = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:00","size":3,"platform":{"os":"linux","architecture":"amd64"}}]}"#;
        assert!(
            matches!(parse_manifest(&r(), idx, OCI_INDEX), Ok(Manifest::Index(v)) if v.len() == 1)
        );
        assert!(matches!(
            parse_manifest(&r(), idx, ""),
            Ok(Manifest::Index(_))
        ));
        let img = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"x","digest":"sha256:00","size":1},"layers":[{"mediaType":"l","digest":"sha256:11","size":2}]}"#;
        match parse_manifest(&r(), img, "text/plain") {
            Ok(Manifest::Image {
                media_type, layers, ..
            }) => {
                assert_eq!(media_type, DOCKER_MANIFEST);
                assert_eq!(layers[0].size, 2);
            }
            _ => panic!("not an image"),
        }
        for (bad, want) in [
            (&b"not json"[..], "not a JSON manifest"),
            (
                br#"{"mediaType":"application/vnd.oci.image.index.v1+json"}"#,
                "no \"manifests\"",
            ),
            (
                br#"{"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#,
                "no \"config\"",
            ),
            (
                br#"{"mediaType":"application/vnd.oci.artifact.manifest.v1+json"}"#,
                "unknown manifest media type",
            ),
            (
                br#"{"config":{"digest":"sha256:00","size":-1}}"#,
                "not a JSON manifest",
            ),
        ] {
            let e = parse_manifest(&r(), bad, "").err().unwrap().to_string();
            assert!(
                e.contains(want) && e.contains("localhost:5000/a/b:v1"),
                "{e}"
            );
        }
    }

    #[test]
    fn client_is_shareable() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Client>();
        fn sendable<T: Send>() {}
        sendable::<crate::BlobReader>();
    }

    #[test]
    fn hosts() {
        assert!(is_loopback(host_of("localhost:5000")));
        assert!(is_loopback(host_of("127.0.0.1:5000")));
        assert!(is_loopback(host_of("[::1]:5000")));
        assert!(!is_loopback(host_of("ghcr.io")));
        let c = Client::new(ClientOptions {
            insecure_http_hosts: vec!["reg.lan:5000".into(), "other.lan".into()],
            ..ClientOptions::default()
        })
        .unwrap();
        assert_eq!(c.schemes_for("reg.lan:5000"), vec!["http"]);
        assert_eq!(c.schemes_for("reg.lan:5001"), vec!["https"]);
        assert_eq!(c.schemes_for("other.lan:1234"), vec!["http"]);
        assert_eq!(c.schemes_for("localhost:5000"), vec!["https", "http"]);
        assert_eq!(c.schemes_for("ghcr.io"), vec!["https"]);
    }
}
