//! Fixture loading shared by the integration tests.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

#[derive(Debug, Clone, Deserialize)]
pub struct BotocoreFile {
    pub botocore_version: String,
    pub timestamp: String,
    pub vectors: Vec<Vector>,
    pub presigned: Vec<Presigned>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Vector {
    pub name: String,
    pub service: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body_hex: String,
    pub authorization: String,
    pub canonical_request: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Presigned {
    pub name: String,
    pub service: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub expires: i64,
}

impl Vector {
    pub fn body(&self) -> Vec<u8> {
        hex::decode(&self.body_hex).unwrap()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn signed_headers(&self) -> Vec<String> {
        scry_sigv4::parse_authorization(&self.authorization)
            .unwrap()
            .signed_headers
    }
}

pub fn botocore() -> BotocoreFile {
    let text = std::fs::read_to_string(format!("{FIXTURES}/botocore_vectors.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn vector(name: &str) -> Vector {
    botocore()
        .vectors
        .into_iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
}

/// The time botocore signed at.
pub fn boto_time() -> DateTime<Utc> {
    scry_sigv4::parse_amz_date(&botocore().timestamp).unwrap()
}

/// A little after signing: verification must still pass.
pub fn boto_now() -> DateTime<Utc> {
    boto_time() + Duration::seconds(42)
}

pub fn header_refs(headers: &[(String, String)]) -> Vec<(&str, &[u8])> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect()
}

pub fn options() -> scry_sigv4::VerifyOptions {
    scry_sigv4::VerifyOptions::new(&["inspector2", "inspector-scan", "s3"])
}

/// Verifies `headers`/`body` as the request of `v` (path/query may be overridden).
#[allow(clippy::too_many_arguments)]
pub fn verify_parts(
    v: &Vector,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
    secret: &str,
    now: DateTime<Utc>,
) -> Result<scry_sigv4::Verified, scry_sigv4::Error> {
    let hs = header_refs(headers);
    let req = scry_sigv4::Request {
        method,
        path,
        query,
        headers: &hs,
        payload: scry_sigv4::Payload::Bytes(body),
    };
    let akid = v.access_key_id.clone();
    scry_sigv4::verify(&req, |k| (k == akid).then_some(secret), now, &options())
}

pub fn verify_vector(v: &Vector) -> Result<scry_sigv4::Verified, scry_sigv4::Error> {
    verify_parts(
        v,
        &v.method,
        &v.path,
        &v.query,
        &v.headers,
        &v.body(),
        &v.secret_access_key,
        boto_now(),
    )
}

/// A raw HTTP/1.1 request as captured on the wire.
pub struct RawRequest {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub fn read_raw(name: &str) -> RawRequest {
    let raw = std::fs::read(format!("{FIXTURES}/{name}")).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap().split(' ');
    let method = request_line.next().unwrap().to_owned();
    let target = request_line.next().unwrap().to_owned();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.to_owned(), v.trim().to_owned())
        })
        .collect();
    RawRequest {
        method,
        target,
        headers,
        body,
    }
}
