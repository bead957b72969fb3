//! Round trips and hostile input: never panic, always a clear error.

mod common;

use chrono::Duration;
use scry_sigv4::{
    sign, Credentials, Error, Payload, PayloadStatus, Request, SignPayload, SignRequest,
    SigningParams, VerifyOptions,
};

fn t0() -> chrono::DateTime<chrono::Utc> {
    scry_sigv4::parse_amz_date("20240102T030405Z").unwrap()
}

/// Tiny deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn signed(
    service: &str,
    path: &str,
    query: &str,
    extra: &[(&str, &str)],
    payload: SignPayload<'_>,
) -> SignRequest {
    let creds = Credentials {
        access_key_id: "SCRYAAAAAAAAAAAAAAAA".into(),
        secret_access_key: "s3cr3t/+xyz".into(),
        session_token: Some("tok".into()),
    };
    let mut req = SignRequest {
        method: "POST".into(),
        path: path.into(),
        query: query.into(),
        headers: vec![("Host".into(), "scry.local:8080".into())],
    };
    for (n, v) in extra {
        req.headers.push(((*n).into(), (*v).into()));
    }
    sign(
        &mut req,
        payload,
        &SigningParams {
            credentials: &creds,
            region: "us-east-1",
            service,
            time: t0(),
            content_sha256_header: service == "s3",
        },
    )
    .unwrap();
    req
}

fn check(
    req: &SignRequest,
    body: &[u8],
    opts: &VerifyOptions,
) -> Result<scry_sigv4::Verified, Error> {
    let hs = common::header_refs(&req.headers);
    let r = Request {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &hs,
        payload: Payload::Bytes(body),
    };
    scry_sigv4::verify(
        &r,
        |k| (k == "SCRYAAAAAAAAAAAAAAAA").then_some("s3cr3t/+xyz"),
        t0(),
        opts,
    )
}

#[test]
fn sign_then_verify_round_trips() {
    let opts = VerifyOptions::new(&["inspector2", "s3"]);
    for (service, path, query) in [
        (
            "inspector2",
            "/tags/arn%3Aaws%3Ax%2Fy",
            "tagKeys=a%2Bb&tagKeys=%E2%9C%93",
        ),
        ("inspector2", "/%E1%88%B4/./x/../y//", "z&a=&a=1"),
        ("s3", "/bucket/k%20e%20y~(1).json", "x-id=PutObject"),
        ("s3", "/bucket/a/./b//c", ""),
    ] {
        let body = "{\"é\": \"\u{1F512}\"}".as_bytes();
        let req = signed(
            service,
            path,
            query,
            &[
                ("Content-Type", "application/json"),
                ("X-Amz-Meta-Note", "  a   b "),
            ],
            SignPayload::Bytes(body),
        );
        let ok = check(&req, body, &opts).unwrap_or_else(|e| panic!("{path}: {e:?}"));
        assert_eq!(ok.security_token.as_deref(), Some("tok"));
        assert_eq!(ok.payload, PayloadStatus::Verified);
        assert!(ok.signed_headers.contains(&"x-amz-meta-note".to_owned()));
    }
}

#[test]
fn unsigned_payload() {
    let req = signed("s3", "/b/k", "", &[], SignPayload::Unsigned);
    let mut opts = VerifyOptions::new(&["s3"]);
    let ok = check(&req, b"anything at all", &opts).unwrap();
    assert_eq!(ok.payload, PayloadStatus::Unsigned);
    opts.allow_unsigned_payload = false;
    let e = check(&req, b"", &opts).unwrap_err();
    assert_eq!((e.code(), e.status()), ("InvalidArgument", 400));
}

#[test]
fn resigning_replaces_old_auth_headers() {
    let mut req = signed("inspector2", "/", "", &[], SignPayload::Bytes(b""));
    let creds = Credentials::new("SCRYAAAAAAAAAAAAAAAA", "s3cr3t/+xyz");
    sign(
        &mut req,
        SignPayload::Bytes(b""),
        &SigningParams {
            credentials: &creds,
            region: "us-east-1",
            service: "inspector2",
            time: t0() + Duration::minutes(1),
            content_sha256_header: false,
        },
    )
    .unwrap();
    let count = |name: &str| {
        req.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    };
    assert_eq!(count("authorization"), 1);
    assert_eq!(count("x-amz-date"), 1);
    // the old token header stays (these creds have none) and is signed
    assert_eq!(count("x-amz-security-token"), 1);
    assert!(check(&req, b"", &VerifyOptions::new(&["inspector2"])).is_ok());
}

#[test]
fn sign_refuses_bad_requests() {
    let creds = Credentials::new("SCRYAAAAAAAAAAAAAAAA", "s");
    let params = SigningParams {
        credentials: &creds,
        region: "r",
        service: "inspector2",
        time: t0(),
        content_sha256_header: false,
    };
    let mut req = SignRequest {
        method: "GET".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![],
    };
    assert_eq!(
        sign(&mut req, SignPayload::Bytes(b""), &params),
        Err(scry_sigv4::SignError::MissingHost)
    );
    req.headers.push(("Host".into(), "h".into()));
    req.headers
        .push(("X-Evil".into(), "a\r\nInjected: 1".into()));
    assert!(matches!(
        sign(&mut req, SignPayload::Bytes(b""), &params),
        Err(scry_sigv4::SignError::InvalidHeaderValue(_))
    ));
    req.headers.pop();
    req.headers.push(("Bad Name".into(), "x".into()));
    assert!(matches!(
        sign(&mut req, SignPayload::Bytes(b""), &params),
        Err(scry_sigv4::SignError::InvalidHeaderName(_))
    ));
    req.headers.pop();
    assert_eq!(
        sign(&mut req, SignPayload::Sha256Hex("zz"), &params),
        Err(scry_sigv4::SignError::InvalidPayloadHash)
    );
}

#[test]
fn secrets_are_not_in_debug_output() {
    let creds = Credentials {
        access_key_id: "SCRYAAAAAAAAAAAAAAAA".into(),
        secret_access_key: "TOPSECRET".into(),
        session_token: Some("TOKENSECRET".into()),
    };
    let s = format!("{creds:?}");
    assert!(
        s.contains("SCRYAAAAAAAAAAAAAAAA")
            && !s.contains("TOPSECRET")
            && !s.contains("TOKENSECRET"),
        "{s}"
    );
}

#[test]
fn non_utf8_header_values() {
    let opts = VerifyOptions::new(&["inspector2"]);
    let req = signed("inspector2", "/", "", &[], SignPayload::Bytes(b""));
    let mut hs = common::header_refs(&req.headers);
    // non-UTF-8 Authorization header
    for (n, v) in hs.iter_mut() {
        if *n == "Authorization" {
            *v = b"AWS4-HMAC-SHA256 Credential=\xff\xfe";
        }
    }
    let r = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &hs,
        payload: Payload::Bytes(b""),
    };
    let e = scry_sigv4::verify(&r, |_| Some("s3cr3t/+xyz"), t0(), &opts).unwrap_err();
    assert_eq!(e.code(), "IncompleteSignatureException");
    assert!(e.message().contains("not valid UTF-8"));
    // a signed header carrying latin-1 bytes: hashed as bytes, mismatch not panic
    let mut hs = common::header_refs(&req.headers);
    hs.push(("X-Amz-Meta-Bin", b"caf\xe9"));
    let auth = req
        .headers
        .iter()
        .find(|(n, _)| n == "Authorization")
        .unwrap()
        .1
        .replace("SignedHeaders=host;", "SignedHeaders=host;x-amz-meta-bin;");
    for (n, v) in hs.iter_mut() {
        if *n == "Authorization" {
            *v = auth.as_bytes();
        }
    }
    let r = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &hs,
        payload: Payload::Bytes(b""),
    };
    let e = scry_sigv4::verify(&r, |_| Some("s3cr3t/+xyz"), t0(), &opts).unwrap_err();
    match e {
        Error::SignatureMismatch {
            canonical_request, ..
        } => {
            assert!(
                canonical_request.contains("x-amz-meta-bin:caf\u{FFFD}\n"),
                "{canonical_request}"
            )
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn huge_inputs_are_bounded() {
    let opts = VerifyOptions::new(&["inspector2"]);
    let req = signed("inspector2", "/", "", &[], SignPayload::Bytes(b""));
    let huge = format!("AWS4-HMAC-SHA256 Credential={}", "A".repeat(1 << 20));
    let mut hs = common::header_refs(&req.headers);
    for (n, v) in hs.iter_mut() {
        if *n == "Authorization" {
            *v = huge.as_bytes();
        }
    }
    let r = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &hs,
        payload: Payload::Bytes(b""),
    };
    let e = scry_sigv4::verify(&r, |_| Some("x"), t0(), &opts).unwrap_err();
    assert!(e.message().contains("longer than 8192 bytes"), "{e}");
    // many headers, a long path and query: still just a mismatch
    let path = "/a".repeat(50_000);
    let query = "k=v&".repeat(50_000);
    let mut hs = common::header_refs(&req.headers);
    let filler: Vec<String> = (0..5_000).map(|i| format!("x-filler-{i}")).collect();
    for f in &filler {
        hs.push((f.as_str(), b"v"));
    }
    let r = Request {
        method: "POST",
        path: &path,
        query: &query,
        headers: &hs,
        payload: Payload::Bytes(b""),
    };
    let e = scry_sigv4::verify(&r, |_| Some("s3cr3t/+xyz"), t0(), &opts).unwrap_err();
    assert!(matches!(e, Error::SignatureMismatch { .. }), "{e:?}");
}

/// Thousands of byte-level mutations of a valid Authorization header, query and
/// X-Amz-Date: each is either accepted (only if unchanged) or refused with an
/// AWS error code; nothing panics.
#[test]
fn mutations_never_panic() {
    let opts = {
        let mut o = VerifyOptions::new(&["inspector2"]);
        o.allow_presigned = true;
        o
    };
    let req = signed(
        "inspector2",
        "/findings/list",
        "a=1",
        &[],
        SignPayload::Bytes(b"{}"),
    );
    let auth = req
        .headers
        .iter()
        .find(|(n, _)| n == "Authorization")
        .unwrap()
        .1
        .clone();
    let date = req
        .headers
        .iter()
        .find(|(n, _)| n == "X-Amz-Date")
        .unwrap()
        .1
        .clone();
    let alphabet: &[u8] = b"=,;/ %&?AZaz09-_.~\t\xff\x00X";
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let codes = [
        "IncompleteSignatureException",
        "InvalidSignatureException",
        "MissingAuthenticationTokenException",
        "UnrecognizedClientException",
        "AccessDeniedException",
    ];
    for round in 0..6_000 {
        let target = round % 3;
        let mut bytes = match target {
            0 => auth.clone().into_bytes(),
            1 => format!("{}&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=SCRYAAAAAAAAAAAAAAAA%2F20240102%2Fus-east-1%2Finspector2%2Faws4_request&X-Amz-Date=20240102T030405Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature={}", req.query, "0".repeat(64)).into_bytes(),
            _ => date.clone().into_bytes(),
        };
        for _ in 0..1 + rng.below(4) {
            if bytes.is_empty() {
                break;
            }
            let i = rng.below(bytes.len());
            match rng.below(3) {
                0 => bytes[i] = alphabet[rng.below(alphabet.len())],
                1 => {
                    bytes.remove(i);
                }
                _ => bytes.insert(i, alphabet[rng.below(alphabet.len())]),
            }
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut hs = common::header_refs(&req.headers);
        let query = if target == 1 {
            text.as_str()
        } else {
            req.query.as_str()
        };
        if target == 1 {
            hs.retain(|(n, _)| *n != "Authorization");
        }
        for (n, v) in hs.iter_mut() {
            if (target == 0 && *n == "Authorization") || (target == 2 && *n == "X-Amz-Date") {
                *v = &bytes;
            }
        }
        let r = Request {
            method: "POST",
            path: "/findings/list",
            query,
            headers: &hs,
            payload: Payload::Bytes(b"{}"),
        };
        match scry_sigv4::verify(
            &r,
            |k| (k == "SCRYAAAAAAAAAAAAAAAA").then_some("s3cr3t/+xyz"),
            t0(),
            &opts,
        ) {
            // Only an equivalent spelling may pass: the same parsed header (spaces
            // after commas are optional) or the same date once trimmed.
            Ok(_) => assert!(
                target == 0
                    && scry_sigv4::parse_authorization(&text).ok()
                        == scry_sigv4::parse_authorization(&auth).ok()
                    || target == 2 && text.trim_matches([' ', '\t']) == date,
                "accepted a mutation: {text:?}"
            ),
            Err(e) => {
                assert!(codes.contains(&e.code()), "{e:?}");
                assert!(!e.message().is_empty());
            }
        }
    }
}
