//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`): verify incoming requests (server
//! side) and sign outgoing ones (client side), with no HTTP-framework types.
//!
//! Scry's server answers the Inspector2 API for the unmodified AWS CLI and boto3, so
//! it must accept exactly what botocore signs; Scry's own CLI signs inventory uploads
//! to the server and to S3-compatible buckets. The rules follow the AWS
//! documentation, and where it is vague, botocore (`botocore/auth.py`, `SigV4Auth`),
//! whose real output is this crate's test suite:
//!
//! * <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>
//! * <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>
//! * <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>
//!
//! # Rules implemented
//!
//! Canonical request = `method \n uri \n query \n headers \n signed-headers \n payload-hash`:
//!
//! * **URI** ([`UriEncoding`]): for every service but S3 the raw path as received
//!   (already percent-encoded once) is normalized (RFC 3986 dot segments removed,
//!   empty segments `//` dropped, leading and trailing `/` kept) and URI-encoded
//!   *again*: botocore sends `POST /tags/arn%3Aaws%3A...` and signs
//!   `/tags/arn%253Aaws%253A...`. For `s3` the raw path is used as sent.
//!   Encoding keeps `A-Z a-z 0-9 - _ . ~` (and `/` in paths), everything else
//!   becomes `%XY` with uppercase hex.
//! * **Query**: each parameter is split at the first `=`, percent-decoded and
//!   re-encoded, a missing value becomes `name=`, parameters are sorted by encoded
//!   name then encoded value. A literal `+` is a plus (`%2B`), not a space.
//! * **Headers**: only the signed ones, in the `SignedHeaders` order, lowercase
//!   `name:value` with values trimmed and inner whitespace runs collapsed to one
//!   space; repeated headers are joined with `,` in the order received.
//! * **Payload hash**: the `x-amz-content-sha256` header value when present (then the
//!   body must hash to it, unless it is `UNSIGNED-PAYLOAD`), otherwise the SHA-256 of
//!   the body. `STREAMING-*` (aws-chunked) is refused.
//! * **String to sign** = `AWS4-HMAC-SHA256 \n <X-Amz-Date> \n <date/region/service/aws4_request> \n hex(sha256(canonical request))`,
//!   signed with the key derived from `"AWS4" + secret`, date, region, service and
//!   `aws4_request`.
//!
//! Verification ([`verify`], or [`parse_request`] then
//! [`PendingVerification::verify_with_secret`]) also requires: one well-formed
//! `Authorization` header (or, if enabled, presigned `X-Amz-*` query parameters, not
//! both); the credential scoped to an allowed service (and region, if restricted) and
//! to the date of `X-Amz-Date` (or of `Date` when there is no `X-Amz-Date`);
//! `host` and that date header signed; every `x-amz-*` header present signed; every
//! signed header present; the request time within 15 minutes of `now`. Signatures
//! are compared in constant time. Errors carry the code, message and HTTP status AWS
//! uses ([`Error`]); a mismatch carries the server's canonical request for debug logs.
//!
//! Time is always passed in (`now`); nothing here reads the clock or does I/O except
//! key generation, which reads the OS random source.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
mod canonical;
mod encode;
mod error;
mod keys;
mod sign;
mod time;
mod verify;

pub use auth::{
    parse_authorization, parse_query_auth, AuthHeader, CredentialScope, QueryAuth,
    MAX_AUTHORIZATION_LEN, MAX_PRESIGN_EXPIRES, MAX_SIGNED_HEADERS,
};
pub use canonical::{
    sha256_hex, signature, signing_key, CanonicalRequest, ALGORITHM, EMPTY_SHA256, UNSIGNED_PAYLOAD,
};
pub use encode::{canonical_query, canonical_uri, uri_encode, UriEncoding};
pub use error::{Error, SignError};
pub use keys::{generate_access_key_id, generate_secret, ACCESS_KEY_PREFIX};
pub use sign::{
    host_header, sign, sign_scry_request, Credentials, SignPayload, SignRequest, Signed,
    SigningParams, UNSIGNED_HEADERS,
};
pub use time::{format_amz_date, parse_amz_date, parse_http_date, AMZ_DATE_FORMAT};
pub use verify::{
    parse_request, verify, Payload, PayloadStatus, PendingVerification, Request, Verified,
    VerifyOptions,
};
