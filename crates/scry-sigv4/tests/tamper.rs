//! Altered botocore requests must be refused with the error AWS would answer.

mod common;

use chrono::Duration;
use common::*;
use scry_sigv4::{Error, Payload, PayloadStatus, Request, VerifyOptions};

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

fn set_header(headers: &mut [(String, String)], name: &str, value: &str) {
    for (n, v) in headers.iter_mut() {
        if n.eq_ignore_ascii_case(name) {
            *v = value.to_owned();
        }
    }
}

#[track_caller]
fn assert_mismatch(r: Result<scry_sigv4::Verified, Error>) -> String {
    match r {
        Err(e @ Error::SignatureMismatch { .. }) => {
            assert_eq!(e.code(), "InvalidSignatureException");
            assert_eq!(e.status(), 403);
            assert_eq!(e.message(), MISMATCH);
            match e {
                Error::SignatureMismatch {
                    canonical_request, ..
                } => canonical_request,
                _ => unreachable!(),
            }
        }
        other => panic!("expected a signature mismatch, got {other:?}"),
    }
}

#[track_caller]
fn assert_err(r: Result<scry_sigv4::Verified, Error>, code: &str, status: u16, message: &str) {
    match r {
        Err(e) => {
            assert_eq!(e.code(), code, "{e:?}");
            assert_eq!(e.status(), status, "{e:?}");
            assert!(
                e.message().contains(message),
                "{:?} does not contain {message:?}",
                e.message()
            );
        }
        Ok(v) => panic!("expected {code}, got {v:?}"),
    }
}

fn run(
    v: &Vector,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<scry_sigv4::Verified, Error> {
    verify_parts(
        v,
        &v.method,
        &v.path,
        &v.query,
        headers,
        body,
        &v.secret_access_key,
        boto_now(),
    )
}

#[test]
fn tampered_body_is_refused() {
    let v = vector("tag-resource");
    let mut body = v.body();
    body[10] ^= 1;
    assert_mismatch(run(&v, &v.headers, &body));
    assert_mismatch(run(&v, &v.headers, b""));
}

#[test]
fn tampered_signed_header_is_refused_unsigned_one_is_not() {
    let v = vector("list-findings");
    let mut h = v.headers.clone();
    set_header(&mut h, "content-type", "application/x-amz-json-1.1");
    let creq = assert_mismatch(run(&v, &h, &v.body()));
    assert!(
        creq.contains("content-type:application/x-amz-json-1.1\n"),
        "{creq}"
    );
    let mut h = v.headers.clone();
    set_header(&mut h, "host", "127.0.0.1:8081");
    assert_mismatch(run(&v, &h, &v.body()));
    // whitespace changes in a signed header value do not matter (Trimall)
    let mut h = v.headers.clone();
    set_header(&mut h, "content-type", "  application/json ");
    assert!(run(&v, &h, &v.body()).is_ok());
    // headers outside SignedHeaders are not covered
    let mut h = v.headers.clone();
    set_header(&mut h, "user-agent", "evil/1.0");
    set_header(&mut h, "amz-sdk-request", "attempt=2");
    assert!(run(&v, &h, &v.body()).is_ok());
}

#[test]
fn tampered_path_is_refused() {
    let v = vector("tag-resource");
    for path in [
        v.path.replace("0123456789abcdef", "0123456789abcdee"),
        v.path.replace("%3A", ":"), // decoded on the wire ≠ what was signed
        format!("{}/", v.path),
        "/findings/list".to_owned(),
    ] {
        let r = verify_parts(
            &v,
            &v.method,
            &path,
            &v.query,
            &v.headers,
            &v.body(),
            &v.secret_access_key,
            boto_now(),
        );
        assert_mismatch(r);
    }
    // ...but an equivalent path (dot segment) is the same canonical URI, as in botocore
    let path = v.path.replace("/tags/", "/tags/./");
    let r = verify_parts(
        &v,
        &v.method,
        &path,
        &v.query,
        &v.headers,
        &v.body(),
        &v.secret_access_key,
        boto_now(),
    );
    assert!(r.is_ok(), "{r:?}");
    // and the method is covered
    let r = verify_parts(
        &v,
        "PUT",
        &v.path,
        &v.query,
        &v.headers,
        &v.body(),
        &v.secret_access_key,
        boto_now(),
    );
    assert_mismatch(r);
}

#[test]
fn tampered_query_is_refused() {
    let v = vector("untag-resource");
    assert_eq!(v.query, "tagKeys=b%20key&tagKeys=a");
    for query in [
        "tagKeys=a",
        "tagKeys=b%20key&tagKeys=a&tagKeys=c",
        "tagKeys=b+key&tagKeys=a",
        "",
    ] {
        let r = verify_parts(
            &v,
            &v.method,
            &v.path,
            query,
            &v.headers,
            &v.body(),
            &v.secret_access_key,
            boto_now(),
        );
        assert_mismatch(r);
    }
    // order and equivalent encodings do not matter
    for query in [
        "tagKeys=a&tagKeys=b%20key",
        "tagKeys=a&tagKeys=b%20k%65y",
        "tagKeys=a&&tagKeys=b%20key",
    ] {
        let r = verify_parts(
            &v,
            &v.method,
            &v.path,
            query,
            &v.headers,
            &v.body(),
            &v.secret_access_key,
            boto_now(),
        );
        assert!(r.is_ok(), "{query}: {r:?}");
    }
}

#[test]
fn tampered_date_is_refused() {
    let v = vector("list-findings");
    let mut h = v.headers.clone();
    set_header(&mut h, "x-amz-date", "20240309T150406Z");
    assert_mismatch(run(&v, &h, &v.body()));
    set_header(&mut h, "x-amz-date", "20240310T000000Z");
    assert_err(
        run(&v, &h, &v.body()),
        "InvalidSignatureException",
        403,
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240309' != '20240310', from '20240310T000000Z'.",
    );
    set_header(&mut h, "x-amz-date", "2024-03-09T15:04:05Z");
    assert_err(
        run(&v, &h, &v.body()),
        "IncompleteSignatureException",
        403,
        "not in the form YYYYMMDDTHHMMSSZ",
    );
    // the Date-header vector: changing Date changes the signing time
    let v = vector("raw-date-header");
    let mut h = v.headers.clone();
    set_header(&mut h, "date", "Sat, 09 Mar 2024 15:04:06 GMT");
    assert_mismatch(run(&v, &h, &v.body()));
    set_header(&mut h, "date", "Sat, 09 Mar 2024 15:04:05 GMT"); // same instant, other spelling
    assert_mismatch(run(&v, &h, &v.body()));
}

#[test]
fn wrong_secret_and_unknown_key() {
    let v = vector("list-findings");
    let r = verify_parts(
        &v,
        &v.method,
        &v.path,
        &v.query,
        &v.headers,
        &v.body(),
        "wrong",
        boto_now(),
    );
    assert_mismatch(r);
    let hs = header_refs(&v.headers);
    let body = v.body();
    let req = Request {
        method: &v.method,
        path: &v.path,
        query: &v.query,
        headers: &hs,
        payload: Payload::Bytes(&body),
    };
    let r = scry_sigv4::verify(&req, |_| None::<&str>, boto_now(), &options());
    assert_err(
        r.clone(),
        "UnrecognizedClientException",
        403,
        "The security token included in the request is invalid.",
    );
    assert_eq!(
        r.unwrap_err(),
        Error::UnrecognizedClient {
            access_key_id: v.access_key_id.clone()
        }
    );
}

#[test]
fn clock_skew_messages() {
    let v = vector("list-findings");
    let signed = boto_time(); // 20240309T150405Z
    let ok = |now| {
        verify_parts(
            &v,
            &v.method,
            &v.path,
            &v.query,
            &v.headers,
            &v.body(),
            &v.secret_access_key,
            now,
        )
    };
    assert!(ok(signed + Duration::minutes(15)).is_ok());
    assert!(ok(signed - Duration::minutes(15)).is_ok());
    let r = ok(signed + Duration::minutes(15) + Duration::seconds(1));
    assert_eq!(
        r.clone().unwrap_err().message(),
        "Signature expired: 20240309T150405Z is now earlier than 20240309T150406Z (20240309T151906Z - 15 min.)"
    );
    assert_err(r, "InvalidSignatureException", 403, "Signature expired");
    let r = ok(signed - Duration::hours(1));
    assert_eq!(
        r.clone().unwrap_err().message(),
        "Signature not yet current: 20240309T150405Z is still later than 20240309T141905Z (20240309T140405Z + 15 min.)"
    );
    assert_err(r, "InvalidSignatureException", 403, "not yet current");
}

#[test]
fn missing_and_malformed_authentication() {
    let v = vector("list-findings");
    let body = v.body();
    let without: Vec<_> = v
        .headers
        .iter()
        .filter(|(n, _)| n != "Authorization")
        .cloned()
        .collect();
    assert_err(
        run(&v, &without, &body),
        "MissingAuthenticationTokenException",
        403,
        "Missing Authentication Token",
    );

    let mut twice = v.headers.clone();
    twice.push(("authorization".into(), v.authorization.clone()));
    assert_err(
        run(&v, &twice, &body),
        "IncompleteSignatureException",
        403,
        "more than one 'authorization'",
    );

    let mut h = v.headers.clone();
    set_header(
        &mut h,
        "authorization",
        &v.authorization.replace(
            "SignedHeaders=content-type;host;x-amz-date",
            "SignedHeaders=content-type;x-amz-date",
        ),
    );
    assert_err(
        run(&v, &h, &body),
        "IncompleteSignatureException",
        403,
        "'Host' or ':authority' must be a 'SignedHeader'",
    );

    let mut h = v.headers.clone();
    set_header(
        &mut h,
        "authorization",
        &v.authorization.replace(
            "SignedHeaders=content-type;host;x-amz-date",
            "SignedHeaders=content-type;host",
        ),
    );
    assert_err(
        run(&v, &h, &body),
        "IncompleteSignatureException",
        403,
        "Header 'x-amz-date' carries the request date",
    );

    let mut h = v.headers.clone();
    set_header(
        &mut h,
        "authorization",
        &v.authorization.replace(
            "SignedHeaders=content-type;",
            "SignedHeaders=accept;content-type;",
        ),
    );
    assert_err(
        run(&v, &h, &body),
        "IncompleteSignatureException",
        403,
        "Header 'accept' is listed in SignedHeaders but is not in the request.",
    );

    let mut h = v.headers.clone();
    h.push(("X-Amz-Target".into(), "Inspector2.ListFindings".into()));
    assert_err(
        run(&v, &h, &body),
        "IncompleteSignatureException",
        403,
        "Header 'x-amz-target' must be a 'SignedHeader'",
    );

    let no_date: Vec<_> = v
        .headers
        .iter()
        .filter(|(n, _)| n != "X-Amz-Date")
        .cloned()
        .collect();
    assert_err(
        run(&v, &no_date, &body),
        "IncompleteSignatureException",
        403,
        "requires existence of either a 'X-Amz-Date' or a 'Date' header",
    );

    let mut h = v.headers.clone();
    set_header(&mut h, "authorization", "AWS4-HMAC-SHA256 Credential=SCRYTESTKEY000000001/20240309/us-east-1/inspector2/aws4_request");
    assert_err(run(&v, &h, &body), "IncompleteSignatureException", 403, "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.");
}

#[test]
fn scope_is_checked() {
    let v = vector("list-findings");
    let hs = header_refs(&v.headers);
    let body = v.body();
    let req = Request {
        method: &v.method,
        path: &v.path,
        query: &v.query,
        headers: &hs,
        payload: Payload::Bytes(&body),
    };
    let lookup = |_: &str| Some(v.secret_access_key.as_str());
    let r = scry_sigv4::verify(
        &req,
        lookup,
        boto_now(),
        &VerifyOptions::new(&["inspector-scan"]),
    );
    assert_err(
        r,
        "InvalidSignatureException",
        403,
        "Credential should be scoped to correct service: 'inspector-scan'. ",
    );
    let mut opts = VerifyOptions::new(&["inspector2"]);
    opts.regions = Some(vec!["eu-west-1".into()]);
    let r = scry_sigv4::verify(&req, lookup, boto_now(), &opts);
    assert_err(
        r,
        "InvalidSignatureException",
        403,
        "Credential should be scoped to a valid region.",
    );
    opts.regions = Some(vec!["us-east-1".into()]);
    assert!(scry_sigv4::verify(&req, lookup, boto_now(), &opts).is_ok());
}

#[test]
fn session_token_must_be_signed_and_is_covered() {
    let v = vector("list-tags-session-token");
    let mut h = v.headers.clone();
    set_header(&mut h, "x-amz-security-token", "other");
    assert_mismatch(run(&v, &h, b""));
    let mut h = v.headers.clone();
    set_header(
        &mut h,
        "authorization",
        &v.authorization.replace(";x-amz-security-token", ""),
    );
    assert_err(
        run(&v, &h, b""),
        "IncompleteSignatureException",
        403,
        "Header 'x-amz-security-token' must be a 'SignedHeader'",
    );
}

#[test]
fn s3_content_sha256_is_checked_against_the_body() {
    let v = vector("s3-put-object");
    let body = v.body();
    let mut bad = body.clone();
    bad.push(b' ');
    // The signature covers the header, so a changed body is caught by the hash check.
    let r = run(&v, &v.headers, &bad);
    assert_err(
        r.clone(),
        "XAmzContentSHA256Mismatch",
        400,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
    match r.unwrap_err() {
        Error::ContentSha256Mismatch { declared, computed } => {
            assert_eq!(declared, v.header("x-amz-content-sha256").unwrap());
            assert_eq!(computed, scry_sigv4::sha256_hex(&bad));
        }
        e => panic!("{e:?}"),
    }
    // Streaming: the caller is told which hash to enforce.
    let hs = header_refs(&v.headers);
    let req = Request {
        method: &v.method,
        path: &v.path,
        query: &v.query,
        headers: &hs,
        payload: Payload::Deferred,
    };
    let ok =
        scry_sigv4::verify(&req, |_| Some(&v.secret_access_key), boto_now(), &options()).unwrap();
    assert_eq!(
        ok.payload,
        PayloadStatus::MustMatch(v.header("x-amz-content-sha256").unwrap().to_owned())
    );
    let sha = scry_sigv4::sha256_hex(&body);
    let req = Request {
        payload: Payload::Sha256Hex(&sha),
        ..req
    };
    let ok =
        scry_sigv4::verify(&req, |_| Some(&v.secret_access_key), boto_now(), &options()).unwrap();
    assert_eq!(ok.payload, PayloadStatus::Verified);
    // Path is NOT double-encoded for S3: the raw path is what was signed.
    let path = v.path.replace("%20", "+");
    let r = verify_parts(
        &v,
        &v.method,
        &path,
        &v.query,
        &v.headers,
        &body,
        &v.secret_access_key,
        boto_now(),
    );
    assert_mismatch(r);
}

#[test]
fn deferred_body_without_content_sha256_cannot_be_verified() {
    let v = vector("list-findings");
    let hs = header_refs(&v.headers);
    let req = Request {
        method: &v.method,
        path: &v.path,
        query: &v.query,
        headers: &hs,
        payload: Payload::Deferred,
    };
    let r = scry_sigv4::verify(&req, |_| Some(&v.secret_access_key), boto_now(), &options());
    assert_err(r, "InternalFailure", 500, "must be read");
}

#[test]
fn content_sha256_values() {
    let v = vector("list-findings");
    let body = v.body();
    let mut h = v.headers.clone();
    h.push((
        "x-amz-content-sha256".into(),
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD".into(),
    ));
    let auth = v
        .authorization
        .replace("host;x-amz-date", "host;x-amz-content-sha256;x-amz-date");
    set_header(&mut h, "authorization", &auth);
    assert_err(run(&v, &h, &body), "InvalidArgument", 400, "not supported");
    set_header(&mut h, "x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    // well-formed, the (unchanged) signature does not cover the new header: mismatch
    assert_mismatch(run(&v, &h, &body));
    set_header(&mut h, "x-amz-content-sha256", "abc");
    assert_err(
        run(&v, &h, &body),
        "InvalidArgument",
        400,
        "must be UNSIGNED-PAYLOAD or a lowercase hex SHA-256",
    );
}
