//! Server side: verify the SigV4 signature of an incoming request.

use chrono::{DateTime, Duration, Utc};
use subtle::ConstantTimeEq;

use crate::auth::{
    has_query_auth, parse_authorization, parse_query_auth, AuthHeader, CredentialScope,
};
use crate::canonical::{
    sha256_hex, signature_bytes, signing_key, CanonicalRequest, UNSIGNED_PAYLOAD,
};
use crate::encode::UriEncoding;
use crate::error::Error;
use crate::time::{format_amz_date, parse_amz_date, parse_http_date};

/// The request body, as far as the caller has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// The whole body.
    Bytes(&'a [u8]),
    /// Lowercase hex SHA-256 of the whole body, computed by the caller.
    Sha256Hex(&'a str),
    /// The body has not been read (streaming). Verification then relies on the signed
    /// `x-amz-content-sha256` header and returns [`PayloadStatus::MustMatch`]; without
    /// that header it fails with [`Error::PayloadRequired`].
    Deferred,
}

/// An incoming request, in the raw form it had on the wire. No HTTP-framework types:
/// with the `http` crate, `headers` is
/// `parts.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect::<Vec<_>>()`.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `GET`, `POST`, ... (compared as given).
    pub method: &'a str,
    /// The path exactly as received, still percent-encoded (`/tags/arn%3Aaws%3A...`).
    pub path: &'a str,
    /// The query string exactly as received, without `?` (empty if none).
    pub query: &'a str,
    /// All headers, names in any case, repeated names as separate entries, in order.
    /// Must include `host` (for HTTP/2, add `("host", authority)` from `:authority`).
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The body.
    pub payload: Payload<'a>,
}

impl<'a> Request<'a> {
    /// Builds a request from a request target `path[?query]`.
    pub fn new(
        method: &'a str,
        target: &'a str,
        headers: &'a [(&'a str, &'a [u8])],
        payload: Payload<'a>,
    ) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Request {
            method,
            path,
            query,
            headers,
            payload,
        }
    }

    fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a [u8]> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The value of a header that must appear at most once, as UTF-8.
    fn single_header(&self, name: &str) -> Result<Option<&'a str>, Error> {
        let mut it = self.header_values(name);
        let Some(first) = it.next() else {
            return Ok(None);
        };
        if it.next().is_some() {
            return Err(Error::Incomplete(format!(
                "The request has more than one '{name}' header."
            )));
        }
        match std::str::from_utf8(first) {
            Ok(s) => Ok(Some(s.trim_matches(|c| c == ' ' || c == '\t'))),
            Err(_) => Err(Error::Incomplete(format!(
                "The '{name}' header is not valid UTF-8."
            ))),
        }
    }
}

/// What the verifier checks and allows.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Services a credential may be scoped to (e.g. `inspector2`, `inspector-scan`).
    pub services: Vec<String>,
    /// Regions a credential may be scoped to; `None` accepts any region.
    pub regions: Option<Vec<String>>,
    /// Allowed difference between the request time and `now` (AWS: 15 minutes).
    pub max_skew: Duration,
    /// Accept `x-amz-content-sha256: UNSIGNED-PAYLOAD` (body not covered by the
    /// signature). AWS accepts it; default `true`.
    pub allow_unsigned_payload: bool,
    /// Every `x-amz-*` header in the request must be signed. Default `true`.
    pub require_signed_amz_headers: bool,
    /// Accept query-string authentication (presigned URLs). Default `false`.
    pub allow_presigned: bool,
}

impl VerifyOptions {
    /// Options accepting the given services, any region, 15 minutes of skew.
    pub fn new(services: &[&str]) -> Self {
        VerifyOptions {
            services: services.iter().map(|s| (*s).to_owned()).collect(),
            regions: None,
            max_skew: Duration::minutes(15),
            allow_unsigned_payload: true,
            require_signed_amz_headers: true,
            allow_presigned: false,
        }
    }
}

/// How the body relates to the signature after a successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadStatus {
    /// The body's hash was checked and is covered by the signature.
    Verified,
    /// The client sent `UNSIGNED-PAYLOAD`: the body is not authenticated.
    Unsigned,
    /// [`Payload::Deferred`]: the signature covers this hex SHA-256 of the body; the
    /// caller must hash the body as it streams and refuse it if it differs
    /// (with [`Error::ContentSha256Mismatch`]).
    MustMatch(String),
}

/// A request whose signature is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Who signed.
    pub access_key_id: String,
    /// Date, region and service the credential was scoped to.
    pub scope: CredentialScope,
    /// The signing time (`X-Amz-Date` or `Date`).
    pub request_time: DateTime<Utc>,
    /// Headers covered by the signature (lowercase).
    pub signed_headers: Vec<String>,
    /// `X-Amz-Security-Token`, if sent (signed). Checking it is the caller's job.
    pub security_token: Option<String>,
    /// Whether the body is authenticated.
    pub payload: PayloadStatus,
    /// True for query-string (presigned URL) authentication.
    pub presigned: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Header,
    Query { expires: u64 },
}

/// A request whose authentication information is well formed and correctly scoped,
/// waiting for the secret of [`PendingVerification::access_key_id`].
#[derive(Debug, Clone)]
pub struct PendingVerification<'r> {
    req: &'r Request<'r>,
    opts: &'r VerifyOptions,
    auth: AuthHeader,
    kind: Kind,
    amz_date: String,
    time: DateTime<Utc>,
    security_token: Option<String>,
    content_sha256: Option<String>,
}

/// Step 1: parses and checks everything that needs no secret (format, scope, dates,
/// signed headers). Look up the secret for [`PendingVerification::access_key_id`],
/// then call [`PendingVerification::verify_with_secret`].
pub fn parse_request<'r>(
    req: &'r Request<'r>,
    opts: &'r VerifyOptions,
) -> Result<PendingVerification<'r>, Error> {
    let mut auth_headers = req.header_values("authorization");
    let header = auth_headers.next();
    if auth_headers.next().is_some() {
        return Err(Error::Incomplete(
            "The request has more than one 'authorization' header.".into(),
        ));
    }
    let query_auth = has_query_auth(req.query);
    let (auth, kind, amz_date, time, date_header, security_token) = match (header, query_auth) {
        (Some(_), true) => {
            return Err(Error::Incomplete(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.".into(),
            ))
        }
        (None, false) => return Err(Error::MissingAuthentication),
        (None, true) if !opts.allow_presigned => {
            return Err(Error::Incomplete(
                "Query-string (presigned URL) authentication is not accepted here; send an Authorization header.".into(),
            ))
        }
        (None, true) => {
            let q = parse_query_auth(req.query)?;
            let Some(time) = parse_amz_date(&q.amz_date) else {
                return Err(Error::Incomplete(format!(
                    "X-Amz-Date '{}' is not in the form YYYYMMDDTHHMMSSZ.",
                    q.amz_date.escape_debug()
                )));
            };
            let kind = Kind::Query { expires: q.expires };
            (q.auth, kind, q.amz_date, time, None, q.security_token)
        }
        (Some(value), false) => {
            let Ok(value) = std::str::from_utf8(value) else {
                return Err(Error::Incomplete("Authorization header is not valid UTF-8.".into()));
            };
            let auth = parse_authorization(value)?;
            let (amz_date, time, date_header) = if let Some(d) = req.single_header("x-amz-date")? {
                let Some(t) = parse_amz_date(d) else {
                    return Err(Error::Incomplete(format!(
                        "X-Amz-Date header '{}' is not in the form YYYYMMDDTHHMMSSZ.",
                        d.escape_debug()
                    )));
                };
                (d.to_owned(), t, "x-amz-date")
            } else if let Some(d) = req.single_header("date")? {
                let Some(t) = parse_http_date(d) else {
                    return Err(Error::Incomplete(format!(
                        "Date header '{}' is not an HTTP date.",
                        d.escape_debug()
                    )));
                };
                (format_amz_date(t), t, "date")
            } else {
                return Err(Error::Incomplete(
                    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into(),
                ));
            };
            let token = req.single_header("x-amz-security-token")?.map(str::to_owned);
            (auth, Kind::Header, amz_date, time, Some(date_header), token)
        }
    };

    let scope = &auth.scope;
    if !opts.services.contains(&scope.service) {
        let expected = opts
            .services
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(" or ");
        return Err(Error::InvalidScope(format!(
            "Credential should be scoped to correct service: {expected}. "
        )));
    }
    if let Some(regions) = &opts.regions {
        if !regions.contains(&scope.region) {
            return Err(Error::InvalidScope(
                "Credential should be scoped to a valid region. ".into(),
            ));
        }
    }
    if amz_date.get(..8) != Some(scope.date.as_str()) {
        return Err(Error::InvalidScope(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
            scope.date,
            amz_date.get(..8).unwrap_or_default(),
            amz_date
        )));
    }

    let signed = |name: &str| auth.signed_headers.iter().any(|h| h == name);
    if !signed("host") {
        return Err(Error::Incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    if let Some(name) = date_header {
        if !signed(name) {
            return Err(Error::Incomplete(format!(
                "Header '{name}' carries the request date and must be a 'SignedHeader' in the AWS Authorization."
            )));
        }
    }
    for name in &auth.signed_headers {
        if req.header_values(name).next().is_none() {
            return Err(Error::Incomplete(format!(
                "Header '{name}' is listed in SignedHeaders but is not in the request."
            )));
        }
    }
    if opts.require_signed_amz_headers {
        for (name, _) in req.headers {
            if name.len() > 6
                && name.as_bytes()[..6].eq_ignore_ascii_case(b"x-amz-")
                && !name.eq_ignore_ascii_case("authorization")
                && !auth
                    .signed_headers
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(name))
            {
                return Err(Error::Incomplete(format!(
                    "Header '{}' must be a 'SignedHeader' in the AWS Authorization.",
                    name.to_ascii_lowercase().escape_debug()
                )));
            }
        }
    }
    let content_sha256 = req
        .single_header("x-amz-content-sha256")?
        .map(str::to_owned);

    Ok(PendingVerification {
        req,
        opts,
        auth,
        kind,
        amz_date,
        time,
        security_token,
        content_sha256,
    })
}

fn is_lower_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What the canonical request uses as payload hash, and what remains to check.
enum PayloadPlan {
    /// Compare this declared hash with the body after the signature is checked.
    Declared(String),
    Unsigned,
    /// Hash computed from the body itself.
    Computed(String),
}

impl PendingVerification<'_> {
    /// The access key id whose secret is needed.
    pub fn access_key_id(&self) -> &str {
        &self.auth.access_key_id
    }

    /// The credential scope (date, region, service).
    pub fn scope(&self) -> &CredentialScope {
        &self.auth.scope
    }

    /// The session token sent with the request, if any.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// The signing time claimed by the request.
    pub fn request_time(&self) -> DateTime<Utc> {
        self.time
    }

    fn check_time(&self, now: DateTime<Utc>) -> Result<(), Error> {
        let skew = self.opts.max_skew;
        if self.time > now + skew {
            return Err(Error::SignatureNotYetCurrent {
                request_time: self.time,
                now,
                max_skew: skew,
            });
        }
        match self.kind {
            Kind::Header if self.time < now - skew => Err(Error::SignatureExpired {
                request_time: self.time,
                now,
                max_skew: skew,
            }),
            Kind::Query { expires } => {
                let secs = i64::try_from(expires).unwrap_or(i64::MAX);
                match Duration::try_seconds(secs) {
                    Some(d) if now <= self.time + d => Ok(()),
                    _ => Err(Error::PresignedExpired),
                }
            }
            Kind::Header => Ok(()),
        }
    }

    fn payload_plan(&self) -> Result<PayloadPlan, Error> {
        let encoding = UriEncoding::for_service(&self.auth.scope.service);
        if let Some(v) = &self.content_sha256 {
            if is_lower_hex64(v) {
                return Ok(PayloadPlan::Declared(v.clone()));
            }
            if v == UNSIGNED_PAYLOAD {
                if self.opts.allow_unsigned_payload {
                    return Ok(PayloadPlan::Unsigned);
                }
                return Err(Error::InvalidContentSha256(
                    "x-amz-content-sha256 UNSIGNED-PAYLOAD is not accepted here: sign the body."
                        .into(),
                ));
            }
            if v.starts_with("STREAMING-") {
                return Err(Error::InvalidContentSha256(format!(
                    "x-amz-content-sha256 '{}' (aws-chunked streaming signatures) is not supported.",
                    v.escape_debug()
                )));
            }
            return Err(Error::InvalidContentSha256(
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a lowercase hex SHA-256 value."
                    .into(),
            ));
        }
        if matches!(self.kind, Kind::Query { .. }) && encoding == UriEncoding::Single {
            return Ok(PayloadPlan::Unsigned);
        }
        match self.req.payload {
            Payload::Bytes(b) => Ok(PayloadPlan::Computed(sha256_hex(b))),
            Payload::Sha256Hex(h) => Ok(PayloadPlan::Computed(h.to_ascii_lowercase())),
            Payload::Deferred => Err(Error::PayloadRequired),
        }
    }

    /// Step 2: checks the clock, then the signature with the secret of
    /// [`Self::access_key_id`], then the body hash.
    pub fn verify_with_secret(&self, secret: &str, now: DateTime<Utc>) -> Result<Verified, Error> {
        self.check_time(now)?;
        let plan = self.payload_plan()?;
        let payload_hash = match &plan {
            PayloadPlan::Declared(h) | PayloadPlan::Computed(h) => h.as_str(),
            PayloadPlan::Unsigned => UNSIGNED_PAYLOAD,
        };
        let scope = &self.auth.scope;
        let encoding = UriEncoding::for_service(&scope.service);
        let signed: Vec<&str> = self
            .auth
            .signed_headers
            .iter()
            .map(String::as_str)
            .collect();
        let exclude = match self.kind {
            Kind::Query { .. } => Some("X-Amz-Signature"),
            Kind::Header => None,
        };
        let creq = CanonicalRequest::build(
            self.req.method,
            self.req.path,
            self.req.query,
            self.req.headers,
            &signed,
            payload_hash,
            encoding,
            exclude,
        )
        .map_err(|name| {
            Error::Incomplete(format!(
                "Header '{name}' is listed in SignedHeaders but is not in the request."
            ))
        })?;
        let sts = creq.string_to_sign(&self.amz_date, &scope.to_string());
        let key = signing_key(secret, &scope.date, &scope.region, &scope.service);
        let expected = signature_bytes(&key, &sts);
        if !bool::from(expected.ct_eq(&self.auth.signature)) {
            return Err(Error::SignatureMismatch {
                canonical_request: creq.to_text(),
                string_to_sign: sts,
            });
        }
        let payload = match plan {
            PayloadPlan::Unsigned => PayloadStatus::Unsigned,
            PayloadPlan::Computed(_) => PayloadStatus::Verified,
            PayloadPlan::Declared(declared) => {
                let computed = match self.req.payload {
                    Payload::Bytes(b) => Some(sha256_hex(b)),
                    Payload::Sha256Hex(h) => Some(h.to_ascii_lowercase()),
                    Payload::Deferred => None,
                };
                match computed {
                    None => PayloadStatus::MustMatch(declared),
                    Some(c) if bool::from(c.as_bytes().ct_eq(declared.as_bytes())) => {
                        PayloadStatus::Verified
                    }
                    Some(c) => {
                        return Err(Error::ContentSha256Mismatch {
                            declared,
                            computed: c,
                        })
                    }
                }
            }
        };
        Ok(Verified {
            access_key_id: self.auth.access_key_id.clone(),
            scope: scope.clone(),
            request_time: self.time,
            signed_headers: self.auth.signed_headers.clone(),
            security_token: self.security_token.clone(),
            payload,
            presigned: matches!(self.kind, Kind::Query { .. }),
        })
    }
}

/// One-call verification: parses, looks the secret up with `lookup(access_key_id)`
/// (`None` means unknown key → [`Error::UnrecognizedClient`]), checks the clock, the
/// signature and the body hash.
pub fn verify<F, S>(
    req: &Request<'_>,
    lookup: F,
    now: DateTime<Utc>,
    opts: &VerifyOptions,
) -> Result<Verified, Error>
where
    F: FnOnce(&str) -> Option<S>,
    S: AsRef<str>,
{
    let pending = parse_request(req, opts)?;
    let Some(secret) = lookup(pending.access_key_id()) else {
        return Err(Error::unrecognized_client(pending.access_key_id()));
    };
    pending.verify_with_secret(secret.as_ref(), now)
}
