//! Parsing the `Authorization` header and presigned-URL query parameters.

use crate::canonical::ALGORITHM;
use crate::encode::{is_token, percent_decode};
use crate::error::Error;
use crate::time::parse_scope_date;

/// Longest `Authorization` header or credential accepted (bytes).
pub const MAX_AUTHORIZATION_LEN: usize = 8 * 1024;
/// Most signed headers accepted.
pub const MAX_SIGNED_HEADERS: usize = 64;
const MAX_ACCESS_KEY_LEN: usize = 128;
const MAX_SCOPE_PART_LEN: usize = 64;

/// `YYYYMMDD/region/service/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// `YYYYMMDD`.
    pub date: String,
    /// e.g. `us-east-1`.
    pub region: String,
    /// e.g. `inspector2`.
    pub service: String,
}

impl std::fmt::Display for CredentialScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// A parsed `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeader {
    /// Access key id from `Credential=`.
    pub access_key_id: String,
    /// The rest of `Credential=`.
    pub scope: CredentialScope,
    /// `SignedHeaders=`, lowercase, in the order given.
    pub signed_headers: Vec<String>,
    /// `Signature=`, 32 bytes decoded from 64 hex digits.
    pub signature: [u8; 32],
}

fn incomplete(msg: impl Into<String>) -> Error {
    Error::Incomplete(msg.into())
}

/// Shows at most 64 characters of client input in an error message.
fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if out.len() < s.len() {
        out.push_str("...");
    }
    out.escape_debug().to_string()
}

fn scope_part_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SCOPE_PART_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Parses `AKID/YYYYMMDD/region/service/aws4_request`.
pub fn parse_credential(value: &str) -> Result<(String, CredentialScope), Error> {
    let parts: Vec<&str> = value.splitn(6, '/').collect();
    let [akid, date, region, service, terminator] = parts.as_slice() else {
        return Err(incomplete(format!(
            "Credential must have the form <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request, got '{}'.",
            excerpt(value)
        )));
    };
    if akid.is_empty()
        || akid.len() > MAX_ACCESS_KEY_LEN
        || !akid.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(incomplete(format!(
            "Credential has an invalid access key id '{}'.",
            excerpt(akid)
        )));
    }
    if parse_scope_date(date).is_none() {
        return Err(incomplete(format!(
            "Credential has an invalid date '{}': expected YYYYMMDD.",
            excerpt(date)
        )));
    }
    if !scope_part_ok(region) {
        return Err(incomplete(format!(
            "Credential has an invalid region '{}'.",
            excerpt(region)
        )));
    }
    if !scope_part_ok(service) {
        return Err(incomplete(format!(
            "Credential has an invalid service '{}'.",
            excerpt(service)
        )));
    }
    if *terminator != "aws4_request" {
        return Err(incomplete(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
            excerpt(terminator)
        )));
    }
    Ok((
        (*akid).to_owned(),
        CredentialScope {
            date: (*date).to_owned(),
            region: (*region).to_owned(),
            service: (*service).to_owned(),
        },
    ))
}

/// Parses `host;x-amz-date;...`: lowercase HTTP tokens, no duplicates.
pub fn parse_signed_headers(value: &str) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for name in value.split(';') {
        if name.is_empty() {
            return Err(incomplete(format!(
                "SignedHeaders has an empty header name: '{}'.",
                excerpt(value)
            )));
        }
        if !is_token(name) || name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(incomplete(format!(
                "SignedHeaders must list lowercase header names, got '{}'.",
                excerpt(name)
            )));
        }
        if out.iter().any(|n| n == name) {
            return Err(incomplete(format!(
                "SignedHeaders lists '{}' twice.",
                excerpt(name)
            )));
        }
        if out.len() == MAX_SIGNED_HEADERS {
            return Err(incomplete(format!(
                "SignedHeaders lists more than {MAX_SIGNED_HEADERS} headers."
            )));
        }
        out.push(name.to_owned());
    }
    Ok(out)
}

/// Parses a 64-hex-digit signature.
pub fn parse_signature(value: &str) -> Result<[u8; 32], Error> {
    let mut sig = [0u8; 32];
    if value.len() != 64 || hex::decode_to_slice(value, &mut sig).is_err() {
        return Err(incomplete(format!(
            "Signature must be 64 hexadecimal digits, got '{}'.",
            excerpt(value)
        )));
    }
    Ok(sig)
}

/// Parses an `Authorization` header value:
/// `AWS4-HMAC-SHA256 Credential=AKID/20240309/us-east-1/inspector2/aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>`.
///
/// The three parameters may come in any order, separated by `,` and optional
/// spaces; each must appear exactly once and nothing else is allowed.
pub fn parse_authorization(header: &str) -> Result<AuthHeader, Error> {
    if header.len() > MAX_AUTHORIZATION_LEN {
        return Err(incomplete(format!(
            "Authorization header is longer than {MAX_AUTHORIZATION_LEN} bytes."
        )));
    }
    let header = header.trim_matches(|c| c == ' ' || c == '\t');
    if header.is_empty() {
        return Err(incomplete("Authorization header is empty."));
    }
    let (algorithm, rest) = header.split_once([' ', '\t']).unwrap_or((header, ""));
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported Authorization algorithm '{}': only {ALGORITHM} is supported.",
            excerpt(algorithm)
        )));
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim_matches(|c| c == ' ' || c == '\t');
        if part.is_empty() {
            if rest.trim().is_empty() {
                break;
            }
            return Err(incomplete(
                "Authorization header has an empty parameter (stray ',').",
            ));
        }
        let Some((key, value)) = part.split_once('=') else {
            return Err(incomplete(format!(
                "Invalid key=value pair (missing equal-sign) in Authorization header: '{}'.",
                excerpt(part)
            )));
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => {
                return Err(incomplete(format!(
                    "Authorization header has an unknown parameter '{}'.",
                    excerpt(key)
                )))
            }
        };
        if slot.replace(value).is_some() {
            return Err(incomplete(format!(
                "Authorization header has '{key}' more than once."
            )));
        }
    }
    let mut missing = String::new();
    for (name, v) in [
        ("Credential", &credential),
        ("Signature", &signature),
        ("SignedHeaders", &signed_headers),
    ] {
        if v.is_none() {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(incomplete(missing.trim_end()));
    };
    let (access_key_id, scope) = parse_credential(credential)?;
    Ok(AuthHeader {
        access_key_id,
        scope,
        signed_headers: parse_signed_headers(signed_headers)?,
        signature: parse_signature(signature)?,
    })
}

/// Authentication carried in the query string (a presigned URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryAuth {
    /// `Credential` parts, signed headers and signature, as in a header.
    pub auth: AuthHeader,
    /// `X-Amz-Date`.
    pub amz_date: String,
    /// `X-Amz-Expires`, seconds.
    pub expires: u64,
    /// `X-Amz-Security-Token`, if any.
    pub security_token: Option<String>,
}

/// Longest validity of a presigned URL AWS allows (7 days).
pub const MAX_PRESIGN_EXPIRES: u64 = 604_800;

/// True when the raw query string carries `X-Amz-Algorithm` (query authentication).
pub fn has_query_auth(raw_query: &str) -> bool {
    raw_query.split('&').any(|p| {
        let k = p.split_once('=').map_or(p, |(k, _)| k);
        percent_decode(k.as_bytes()) == b"X-Amz-Algorithm"
    })
}

/// Parses the `X-Amz-*` authentication parameters of a presigned URL.
pub fn parse_query_auth(raw_query: &str) -> Result<QueryAuth, Error> {
    const NAMES: [&str; 7] = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
        "X-Amz-Security-Token",
    ];
    let mut values: [Option<String>; 7] = Default::default();
    for p in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        let k = percent_decode(k.as_bytes());
        let Some(i) = NAMES.iter().position(|n| n.as_bytes() == k.as_slice()) else {
            continue;
        };
        if v.len() > MAX_AUTHORIZATION_LEN {
            return Err(incomplete(format!(
                "Query parameter {} is too long.",
                NAMES[i]
            )));
        }
        let Ok(v) = String::from_utf8(percent_decode(v.as_bytes())) else {
            return Err(incomplete(format!(
                "Query parameter {} is not UTF-8.",
                NAMES[i]
            )));
        };
        if values[i].replace(v).is_some() {
            return Err(incomplete(format!(
                "Query parameter {} appears more than once.",
                NAMES[i]
            )));
        }
    }
    let [alg, cred, date, expires, signed, sig, token] = values;
    let mut missing = Vec::new();
    for (name, v) in NAMES
        .iter()
        .zip([&alg, &cred, &date, &expires, &signed, &sig])
    {
        if v.is_none() {
            missing.push(*name);
        }
    }
    let (Some(alg), Some(cred), Some(date), Some(expires), Some(signed), Some(sig)) =
        (alg, cred, date, expires, signed, sig)
    else {
        return Err(incomplete(format!(
            "Presigned URL is missing query parameter(s): {}.",
            missing.join(", ")
        )));
    };
    if alg != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported X-Amz-Algorithm '{}': only {ALGORITHM} is supported.",
            excerpt(&alg)
        )));
    }
    let expires = match expires.parse::<u64>() {
        Ok(n)
            if (1..=MAX_PRESIGN_EXPIRES).contains(&n)
                && expires.bytes().all(|b| b.is_ascii_digit()) =>
        {
            n
        }
        _ => {
            return Err(incomplete(format!(
            "X-Amz-Expires must be a number of seconds from 1 to {MAX_PRESIGN_EXPIRES}, got '{}'.",
            excerpt(&expires)
        )))
        }
    };
    let (access_key_id, scope) = parse_credential(&cred)?;
    Ok(QueryAuth {
        auth: AuthHeader {
            access_key_id,
            scope,
            signed_headers: parse_signed_headers(&signed)?,
            signature: parse_signature(&sig)?,
        },
        amz_date: date,
        expires,
        security_token: token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    #[test]
    fn parses_botocore_header() {
        let a = parse_authorization(GOOD).unwrap();
        assert_eq!(a.access_key_id, "AKIDEXAMPLE");
        assert_eq!(
            a.scope.to_string(),
            "20150830/us-east-1/service/aws4_request"
        );
        assert_eq!(a.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(
            hex::encode(a.signature),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        // no spaces after commas, other order
        let b = parse_authorization(
            "AWS4-HMAC-SHA256 Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31,SignedHeaders=host;x-amz-date,Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
        )
        .unwrap();
        assert_eq!(a, b);
    }

    #[track_caller]
    fn refused(header: &str, needle: &str) {
        match parse_authorization(header) {
            Err(e @ Error::Incomplete(_)) => {
                assert!(
                    e.message().contains(needle),
                    "{:?} lacks {needle:?}",
                    e.message()
                );
                assert_eq!(e.code(), "IncompleteSignatureException");
            }
            other => panic!("{header:?}: {other:?}"),
        }
    }

    #[test]
    fn refuses_malformed_headers() {
        refused("", "empty");
        refused("AWS4-HMAC-SHA256", "requires 'Credential'");
        refused("AWS AKID:sig", "Unsupported Authorization algorithm 'AWS'");
        refused(
            "AWS4-ECDSA-P256-SHA256 Credential=x",
            "only AWS4-HMAC-SHA256",
        );
        refused(
            &GOOD.replace("Signature=", "Signature"),
            "missing equal-sign",
        );
        refused(
            &GOOD.replace(", Signature=5fa0", ", Signature=5fa"),
            "64 hexadecimal",
        );
        refused(
            &GOOD.replace("Signature=5f", "Signature=zz"),
            "64 hexadecimal",
        );
        refused(&format!("{GOOD}, Signature=00"), "more than once");
        refused(&format!("{GOOD}, Foo=bar"), "unknown parameter 'Foo'");
        refused(&format!("{GOOD},"), "stray ','");
        refused(
            &GOOD.replace("aws4_request", "aws5_request"),
            "valid terminator: 'aws4_request', not 'aws5_request'",
        );
        refused(
            &GOOD.replace("/20150830/", "/2015083/"),
            "invalid date '2015083'",
        );
        refused(&GOOD.replace("/20150830/", "/20150230/"), "invalid date");
        refused(&GOOD.replace("us-east-1/", ""), "must have the form");
        refused(&GOOD.replace("us-east-1", "US EAST"), "invalid region");
        refused(&GOOD.replace("AKIDEXAMPLE", ""), "invalid access key id");
        refused(&GOOD.replace("AKIDEXAMPLE", "AK/ID"), "must have the form");
        refused(
            &GOOD.replace("host;x-amz-date", "Host;x-amz-date"),
            "lowercase",
        );
        refused(
            &GOOD.replace("host;x-amz-date", "host;;x-amz-date"),
            "empty header name",
        );
        refused(&GOOD.replace("host;x-amz-date", "host;host"), "twice");
        let many = (0..100)
            .map(|i| format!("h{i}"))
            .collect::<Vec<_>>()
            .join(";");
        refused(&GOOD.replace("host;x-amz-date", &many), "more than 64");
        refused(&"A".repeat(MAX_AUTHORIZATION_LEN + 1), "longer than");
        refused(
            &GOOD.replace(
                "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ",
                "",
            ),
            "requires 'Credential' parameter",
        );
    }

    #[test]
    fn query_auth() {
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240309%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240309T150405Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
        assert!(has_query_auth(q));
        assert!(!has_query_auth("a=b"));
        let a = parse_query_auth(q).unwrap();
        assert_eq!(a.expires, 300);
        assert_eq!(a.auth.scope.service, "s3");
        let e = parse_query_auth(&q.replace("300", "604801")).unwrap_err();
        assert!(e.message().contains("X-Amz-Expires"));
        let e = parse_query_auth(&q.replace("&X-Amz-Date=20240309T150405Z", "")).unwrap_err();
        assert!(
            e.message()
                .contains("missing query parameter(s): X-Amz-Date"),
            "{e}"
        );
    }
}
