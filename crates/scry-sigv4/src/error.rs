//! The error type, with the AWS error code, message and HTTP status for each case.

use std::fmt;

/// Why a request was refused (verification) or could not be handled.
///
/// Every variant maps to the error AWS services answer in the same situation, so a
/// server can forward [`Error::code`], [`Error::message`] and [`Error::status`] as is
/// (for a REST-JSON service: status line, `x-amzn-ErrorType: <code>` and a body of
/// `{"message": "<message>"}`).
///
/// `Display` prints the client-facing message. Nothing here ever contains a secret;
/// [`Error::SignatureMismatch`] carries the canonical request and string to sign that
/// the server computed so they can be logged at debug level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Neither an `Authorization` header nor `X-Amz-Algorithm` query authentication.
    #[error("Missing Authentication Token")]
    MissingAuthentication,

    /// The authentication information is malformed or incomplete; the text names what.
    #[error("{0}")]
    Incomplete(String),

    /// Well-formed, but scoped wrongly (service, region, date) or missing a required
    /// signed header; answered as `InvalidSignatureException` with this text.
    #[error("{0}")]
    InvalidScope(String),

    /// The access key id is unknown (or its session token is not valid).
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient {
        /// The access key id the client sent.
        access_key_id: String,
    },

    /// The signature does not match what the server computed.
    #[error(
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method. \
         Consult the service documentation for details."
    )]
    SignatureMismatch {
        /// The canonical request the server computed (lossy UTF-8), for debug logs.
        canonical_request: String,
        /// The string to sign the server computed, for debug logs.
        string_to_sign: String,
    },

    /// The request time is older than `now - max_skew`.
    #[error(
        "Signature expired: {} is now earlier than {} ({} - {} min.)",
        amz(request_time), amz(&(*now - *max_skew)), amz(now), max_skew.num_minutes()
    )]
    SignatureExpired {
        /// Time the client signed at.
        request_time: chrono::DateTime<chrono::Utc>,
        /// Server time.
        now: chrono::DateTime<chrono::Utc>,
        /// Allowed clock difference.
        max_skew: chrono::Duration,
    },

    /// The request time is later than `now + max_skew`.
    #[error(
        "Signature not yet current: {} is still later than {} ({} + {} min.)",
        amz(request_time), amz(&(*now + *max_skew)), amz(now), max_skew.num_minutes()
    )]
    SignatureNotYetCurrent {
        /// Time the client signed at.
        request_time: chrono::DateTime<chrono::Utc>,
        /// Server time.
        now: chrono::DateTime<chrono::Utc>,
        /// Allowed clock difference.
        max_skew: chrono::Duration,
    },

    /// A presigned URL used after `X-Amz-Date + X-Amz-Expires`.
    #[error("Request has expired")]
    PresignedExpired,

    /// `x-amz-content-sha256` has a value this crate does not accept.
    #[error("{0}")]
    InvalidContentSha256(String),

    /// The body does not hash to the signed `x-amz-content-sha256` value.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    ContentSha256Mismatch {
        /// Value of the header.
        declared: String,
        /// SHA-256 of the body, hex.
        computed: String,
    },

    /// The caller passed [`crate::Payload::Deferred`] for a request whose signature
    /// covers the body hash without an `x-amz-content-sha256` header: the body must be
    /// read before the signature can be checked. A server integration bug.
    #[error("the request body must be read to verify this signature")]
    PayloadRequired,
}

fn amz(t: &chrono::DateTime<chrono::Utc>) -> impl fmt::Display + '_ {
    t.format(crate::time::AMZ_DATE_FORMAT)
}

impl Error {
    /// The AWS error code (`x-amzn-ErrorType` / `__type`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::MissingAuthentication => "MissingAuthenticationTokenException",
            Error::Incomplete(_) => "IncompleteSignatureException",
            Error::InvalidScope(_)
            | Error::SignatureMismatch { .. }
            | Error::SignatureExpired { .. }
            | Error::SignatureNotYetCurrent { .. } => "InvalidSignatureException",
            Error::UnrecognizedClient { .. } => "UnrecognizedClientException",
            Error::PresignedExpired => "AccessDeniedException",
            Error::InvalidContentSha256(_) => "InvalidArgument",
            Error::ContentSha256Mismatch { .. } => "XAmzContentSHA256Mismatch",
            Error::PayloadRequired => "InternalFailure",
        }
    }

    /// The client-facing message (same as `Display`).
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The HTTP status AWS answers with.
    pub fn status(&self) -> u16 {
        match self {
            Error::InvalidContentSha256(_) | Error::ContentSha256Mismatch { .. } => 400,
            Error::PayloadRequired => 500,
            _ => 403,
        }
    }

    /// Convenience for a secret lookup that does not know the key.
    pub fn unrecognized_client(access_key_id: &str) -> Self {
        Error::UnrecognizedClient {
            access_key_id: access_key_id.to_owned(),
        }
    }
}

/// Why [`crate::sign`] could not sign a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// SigV4 signs the `host` header; the request has none.
    #[error("cannot sign a request without a Host header")]
    MissingHost,
    /// A header value contains CR or LF, which cannot be sent or signed.
    #[error("header '{0}' has a value containing CR or LF")]
    InvalidHeaderValue(String),
    /// A header name is empty or not an HTTP token.
    #[error("invalid header name '{0}'")]
    InvalidHeaderName(String),
    /// `SignPayload::Sha256Hex` was not 64 hex digits.
    #[error("payload hash must be 64 hex digits")]
    InvalidPayloadHash,
}
