//! Canonical request, string to sign and signing key (SigV4 tasks 1 to 3).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::encode::{canonical_query, canonical_uri, trim_all_into, UriEncoding};

/// The only algorithm implemented.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Hex SHA-256 of the empty string.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Payload hash meaning "body not signed".
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A canonical request, as bytes (header values may not be UTF-8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRequest(Vec<u8>);

impl CanonicalRequest {
    /// Builds the canonical request.
    ///
    /// * `path`, `query`: raw, as on the wire (`query` without `?`);
    /// * `headers`: all request headers; only those named in `signed_headers` are used,
    ///   matched case-insensitively, values of repeated headers joined by `,` in order;
    /// * `signed_headers`: lowercase names, in the order they are listed;
    /// * `exclude_query`: a query parameter left out (`X-Amz-Signature` when presigned).
    ///
    /// Returns the first signed header that the request does not have, as `Err`.
    #[allow(clippy::too_many_arguments)]
    pub fn build<'h>(
        method: &str,
        path: &str,
        query: &str,
        headers: &[(&str, &[u8])],
        signed_headers: &[&'h str],
        payload_hash: &str,
        encoding: UriEncoding,
        exclude_query: Option<&str>,
    ) -> Result<Self, &'h str> {
        let mut out = Vec::with_capacity(256 + path.len() + query.len());
        out.extend_from_slice(method.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(canonical_uri(path, encoding).as_bytes());
        out.push(b'\n');
        out.extend_from_slice(canonical_query(query, exclude_query).as_bytes());
        out.push(b'\n');
        for &name in signed_headers {
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            let mut found = false;
            for (_, value) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
                if found {
                    out.push(b',');
                }
                trim_all_into(value, &mut out);
                found = true;
            }
            if !found {
                return Err(name);
            }
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(signed_headers.join(";").as_bytes());
        out.push(b'\n');
        out.extend_from_slice(payload_hash.as_bytes());
        Ok(CanonicalRequest(out))
    }

    /// The bytes that are hashed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Lossy UTF-8 text, for logs.
    pub fn to_text(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }

    /// The string to sign for this request.
    pub fn string_to_sign(&self, amz_date: &str, scope: &str) -> String {
        format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", sha256_hex(&self.0))
    }
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut k = Vec::with_capacity(4 + secret.len());
    k.extend_from_slice(b"AWS4");
    k.extend_from_slice(secret.as_bytes());
    let k_date = hmac(&k, date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// The raw signature bytes of a string to sign.
pub fn signature_bytes(key: &[u8; 32], string_to_sign: &str) -> [u8; 32] {
    hmac(key, string_to_sign.as_bytes())
}

/// The hex signature of a string to sign (what goes in `Signature=`).
pub fn signature(key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(signature_bytes(key, string_to_sign))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Signing-key example from the AWS SigV4 documentation ("Examples of how to derive
    // a signing key"): secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215,
    // us-east-1, iam.
    #[test]
    fn documented_signing_key() {
        let k = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(k),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn missing_signed_header_is_reported() {
        let headers: [(&str, &[u8]); 1] = [("Host", b"h")];
        let err = CanonicalRequest::build(
            "GET",
            "/",
            "",
            &headers,
            &["host", "x-amz-date"],
            EMPTY_SHA256,
            UriEncoding::Double,
            None,
        )
        .unwrap_err();
        assert_eq!(err, "x-amz-date");
    }
}
