//! Client side: sign an outgoing request the way botocore does.

use chrono::{DateTime, Utc};

use crate::auth::CredentialScope;
use crate::canonical::{
    sha256_hex, signature, signing_key, CanonicalRequest, ALGORITHM, UNSIGNED_PAYLOAD,
};
use crate::encode::{is_token, UriEncoding};
use crate::error::SignError;
use crate::time::format_amz_date;

/// Headers never signed (botocore's `SIGNED_HEADERS_BLACKLIST`): hop-by-hop headers and
/// ones proxies or HTTP clients rewrite.
pub const UNSIGNED_HEADERS: &[&str] = &[
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// Access key, secret and optional session token. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token, sent as `x-amz-security-token`.
    pub session_token: Option<String>,
}

impl Credentials {
    /// Long-term credentials (no session token).
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// An outgoing request to sign. `path` and `query` are exactly what will be sent
/// (already percent-encoded); `headers` must include `host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignRequest {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// Raw, percent-encoded path.
    pub path: String,
    /// Raw query string without `?`.
    pub query: String,
    /// Headers; [`sign`] replaces `authorization`, `x-amz-date` and the others it sets.
    pub headers: Vec<(String, String)>,
}

/// The body to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignPayload<'a> {
    /// The whole body.
    Bytes(&'a [u8]),
    /// Hex SHA-256 of the body (e.g. computed while writing it to a temp file).
    Sha256Hex(&'a str),
    /// Do not sign the body: `x-amz-content-sha256: UNSIGNED-PAYLOAD` (S3 over TLS).
    Unsigned,
}

/// Who signs, for what, when.
#[derive(Debug, Clone)]
pub struct SigningParams<'a> {
    /// Credentials.
    pub credentials: &'a Credentials,
    /// Region, e.g. `us-east-1`.
    pub region: &'a str,
    /// Service, e.g. `inspector2` or `s3` (selects the path encoding, see [`UriEncoding`]).
    pub service: &'a str,
    /// Signing time.
    pub time: DateTime<Utc>,
    /// Also send `x-amz-content-sha256` (S3 requires it). Always sent for `Unsigned`.
    pub content_sha256_header: bool,
}

/// The `host` header of a URL's host and port (the port only when the URL names one).
pub fn host_header(host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// Signs a request to one of Scry's own endpoints (`/scry/v1/...`) the way `scry server`
/// checks it: service `scry`, region `us-east-1`, now; `x-amz-content-sha256` is sent when the
/// payload is given by its hash (a streamed body). `host` is the `host` header as sent
/// ([`host_header`]), `headers` the others to sign. Returns the headers to send besides
/// `host`, which HTTP clients set from the URL.
pub fn sign_scry_request(
    method: &str,
    host: String,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
    payload: SignPayload<'_>,
    credentials: &Credentials,
) -> Result<Vec<(String, String)>, SignError> {
    let mut req = SignRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: std::iter::once(("host".to_string(), host))
            .chain(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .collect(),
    };
    sign(
        &mut req,
        payload,
        &SigningParams {
            credentials,
            region: "us-east-1",
            service: "scry",
            time: Utc::now(),
            content_sha256_header: matches!(payload, SignPayload::Sha256Hex(_)),
        },
    )?;
    req.headers.retain(|(k, _)| k != "host");
    Ok(req.headers)
}

/// The result of signing, including the intermediate texts for debugging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The `Authorization` header value that was added.
    pub authorization: String,
    /// Canonical request (lossy UTF-8).
    pub canonical_request: String,
    /// String to sign.
    pub string_to_sign: String,
    /// Hex signature.
    pub signature: String,
}

/// Signs `req` in place: removes any previous `authorization`, `x-amz-date` (and
/// `x-amz-security-token` / `x-amz-content-sha256` when it sets them), appends
/// `x-amz-date`, `x-amz-security-token` (if the credentials have a token),
/// `x-amz-content-sha256` (if asked or unsigned) and `authorization`.
///
/// Signs every header present except [`UNSIGNED_HEADERS`], like botocore, so headers
/// added after signing are not covered.
pub fn sign(
    req: &mut SignRequest,
    payload: SignPayload<'_>,
    params: &SigningParams<'_>,
) -> Result<Signed, SignError> {
    for (name, value) in &req.headers {
        if !is_token(name) {
            return Err(SignError::InvalidHeaderName(name.clone()));
        }
        if value.bytes().any(|b| b == b'\r' || b == b'\n') {
            return Err(SignError::InvalidHeaderValue(name.clone()));
        }
    }
    if !req
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("host"))
    {
        return Err(SignError::MissingHost);
    }
    let payload_hash = match payload {
        SignPayload::Bytes(b) => sha256_hex(b),
        SignPayload::Sha256Hex(h) => {
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(SignError::InvalidPayloadHash);
            }
            h.to_ascii_lowercase()
        }
        SignPayload::Unsigned => UNSIGNED_PAYLOAD.to_owned(),
    };
    let creds = params.credentials;
    if let Some(token) = &creds.session_token {
        if token.bytes().any(|b| b == b'\r' || b == b'\n') {
            return Err(SignError::InvalidHeaderValue("x-amz-security-token".into()));
        }
    }
    let send_hash = params.content_sha256_header || payload == SignPayload::Unsigned;
    req.headers.retain(|(n, _)| {
        let n = n.to_ascii_lowercase();
        !(n == "authorization"
            || n == "x-amz-date"
            || (n == "x-amz-security-token" && creds.session_token.is_some())
            || (n == "x-amz-content-sha256" && send_hash))
    });
    // Like botocore: a caller-set x-amz-content-sha256 is what the signature covers.
    let payload_hash = match req
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
    {
        Some((_, v)) => v.trim().to_owned(),
        None => payload_hash,
    };
    let amz_date = format_amz_date(params.time);
    req.headers.push(("X-Amz-Date".into(), amz_date.clone()));
    if let Some(token) = &creds.session_token {
        req.headers
            .push(("X-Amz-Security-Token".into(), token.clone()));
    }
    if send_hash {
        req.headers
            .push(("X-Amz-Content-SHA256".into(), payload_hash.clone()));
    }

    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| !UNSIGNED_HEADERS.contains(&n.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    let signed: Vec<&str> = names.iter().map(String::as_str).collect();
    let headers: Vec<(&str, &[u8])> = req
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    let scope = CredentialScope {
        date: amz_date[..8].to_owned(),
        region: params.region.to_owned(),
        service: params.service.to_owned(),
    };
    let creq = CanonicalRequest::build(
        &req.method,
        &req.path,
        &req.query,
        &headers,
        &signed,
        &payload_hash,
        UriEncoding::for_service(params.service),
        None,
    )
    .map_err(|_| SignError::MissingHost)?;
    let scope_text = scope.to_string();
    let sts = creq.string_to_sign(&amz_date, &scope_text);
    let key = signing_key(
        &creds.secret_access_key,
        &scope.date,
        &scope.region,
        &scope.service,
    );
    let sig = signature(&key, &sts);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope_text}, SignedHeaders={}, Signature={sig}",
        creds.access_key_id,
        signed.join(";")
    );
    req.headers
        .push(("Authorization".into(), authorization.clone()));
    Ok(Signed {
        authorization,
        canonical_request: creq.to_text(),
        string_to_sign: sts,
        signature: sig,
    })
}
