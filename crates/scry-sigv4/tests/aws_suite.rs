//! Vectors of the official AWS SigV4 test suite (tests/fixtures/aws_sigv4_suite.json).

mod common;

use common::header_refs;
use scry_sigv4::{
    sign, Credentials, Payload, SignPayload, SignRequest, SigningParams, VerifyOptions,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Suite {
    access_key_id: String,
    secret_access_key: String,
    region: String,
    service: String,
    timestamp: String,
    vectors: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: String,
    authorization: String,
}

fn suite() -> Suite {
    let text =
        std::fs::read_to_string(format!("{}/aws_sigv4_suite.json", common::FIXTURES)).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn verify_accepts_the_suite() {
    let s = suite();
    assert_eq!(s.vectors.len(), 18);
    let now = scry_sigv4::parse_amz_date(&s.timestamp).unwrap();
    let opts = VerifyOptions::new(&[&s.service]);
    for c in &s.vectors {
        let mut headers = c.headers.clone();
        headers.push(("Authorization".into(), c.authorization.clone()));
        let hs = header_refs(&headers);
        let req = scry_sigv4::Request {
            method: &c.method,
            path: &c.path,
            query: &c.query,
            headers: &hs,
            payload: Payload::Bytes(c.body.as_bytes()),
        };
        let r = scry_sigv4::verify(
            &req,
            |k| (k == s.access_key_id).then_some(&s.secret_access_key),
            now,
            &opts,
        );
        assert!(r.is_ok(), "{}: {r:?}", c.name);
    }
}

#[test]
fn sign_reproduces_the_suite() {
    let s = suite();
    let time = scry_sigv4::parse_amz_date(&s.timestamp).unwrap();
    for c in &s.vectors {
        let token = c
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-security-token"))
            .map(|(_, v)| v.clone());
        let mut req = SignRequest {
            method: c.method.clone(),
            path: c.path.clone(),
            query: c.query.clone(),
            headers: c
                .headers
                .iter()
                .filter(|(n, _)| !n.to_ascii_lowercase().starts_with("x-amz-"))
                .cloned()
                .collect(),
        };
        let creds = Credentials {
            access_key_id: s.access_key_id.clone(),
            secret_access_key: s.secret_access_key.clone(),
            session_token: token,
        };
        let out = sign(
            &mut req,
            SignPayload::Bytes(c.body.as_bytes()),
            &SigningParams {
                credentials: &creds,
                region: &s.region,
                service: &s.service,
                time,
                content_sha256_header: false,
            },
        )
        .unwrap();
        assert_eq!(out.authorization, c.authorization, "{}", c.name);
    }
}

/// get-vanilla's canonical request and string to sign, as printed in the suite
/// (get-vanilla.creq / get-vanilla.sts).
#[test]
fn get_vanilla_intermediates() {
    let s = suite();
    let creds = Credentials::new(&s.access_key_id, &s.secret_access_key);
    let mut req = SignRequest {
        method: "GET".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![("Host".into(), "example.amazonaws.com".into())],
    };
    let out = sign(
        &mut req,
        SignPayload::Bytes(b""),
        &SigningParams {
            credentials: &creds,
            region: "us-east-1",
            service: "service",
            time: scry_sigv4::parse_amz_date("20150830T123600Z").unwrap(),
            content_sha256_header: false,
        },
    )
    .unwrap();
    assert_eq!(
        out.canonical_request,
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        out.string_to_sign,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    );
    assert_eq!(
        out.signature,
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}
