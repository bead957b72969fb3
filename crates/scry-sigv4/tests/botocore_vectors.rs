//! Requests signed by the real botocore (tests/fixtures/make_vectors.py).

mod common;

use common::*;
use scry_sigv4::{
    sign, CanonicalRequest, Credentials, Payload, PayloadStatus, SignPayload, SignRequest,
    SigningParams, UriEncoding, UNSIGNED_HEADERS,
};

#[test]
fn fixture_is_complete() {
    let f = botocore();
    assert!(f.botocore_version.starts_with("1."));
    assert_eq!(f.vectors.len(), 12);
    assert_eq!(f.presigned.len(), 1);
}

#[test]
fn verify_accepts_every_botocore_vector() {
    for v in botocore().vectors {
        let ok = verify_vector(&v).unwrap_or_else(|e| panic!("{}: {e:?}", v.name));
        assert_eq!(ok.access_key_id, v.access_key_id, "{}", v.name);
        assert_eq!(ok.scope.service, v.service, "{}", v.name);
        assert_eq!(ok.scope.region, v.region, "{}", v.name);
        assert_eq!(ok.request_time, boto_time(), "{}", v.name);
        assert_eq!(ok.payload, PayloadStatus::Verified, "{}", v.name);
        assert_eq!(ok.security_token, v.session_token, "{}", v.name);
        assert!(!ok.presigned);
    }
}

#[test]
fn canonical_request_matches_botocore_byte_for_byte() {
    for v in botocore().vectors {
        let signed = v.signed_headers();
        let signed: Vec<&str> = signed.iter().map(String::as_str).collect();
        let hash = v
            .header("x-amz-content-sha256")
            .map(str::to_owned)
            .unwrap_or_else(|| scry_sigv4::sha256_hex(&v.body()));
        let hs = header_refs(&v.headers);
        let creq = CanonicalRequest::build(
            &v.method,
            &v.path,
            &v.query,
            &hs,
            &signed,
            &hash,
            UriEncoding::for_service(&v.service),
            None,
        )
        .unwrap();
        assert_eq!(creq.to_text(), v.canonical_request, "{}", v.name);
    }
}

/// The double encoding the brief asks about, pinned on botocore's own output.
#[test]
fn tag_arn_path_is_double_encoded() {
    let v = vector("tag-resource");
    assert!(v.path.starts_with("/tags/arn%3Aaws%3Ainspector2%3A"));
    let uri = v.canonical_request.lines().nth(1).unwrap();
    assert!(
        uri.starts_with("/tags/arn%253Aaws%253Ainspector2%253A"),
        "{uri}"
    );
    assert!(uri.ends_with("%253Afinding%252F0123456789abcdef"), "{uri}");
    assert_eq!(scry_sigv4::canonical_uri(&v.path, UriEncoding::Double), uri);
}

#[test]
fn sign_reproduces_botocore_authorization() {
    let mut checked = 0;
    for v in botocore().vectors {
        if v.header("date").is_some() {
            continue; // we always sign with X-Amz-Date
        }
        let signed = v.signed_headers();
        // The headers botocore had when it signed: the signed ones and the ones it
        // never signs, minus those the signer itself adds.
        let headers: Vec<(String, String)> = v
            .headers
            .iter()
            .filter(|(n, _)| {
                let n = n.to_ascii_lowercase();
                (signed.contains(&n) || UNSIGNED_HEADERS.contains(&n.as_str()))
                    && !matches!(
                        n.as_str(),
                        "x-amz-date" | "x-amz-security-token" | "x-amz-content-sha256"
                    )
            })
            .cloned()
            .collect();
        let mut req = SignRequest {
            method: v.method.clone(),
            path: v.path.clone(),
            query: v.query.clone(),
            headers,
        };
        let creds = Credentials {
            access_key_id: v.access_key_id.clone(),
            secret_access_key: v.secret_access_key.clone(),
            session_token: v.session_token.clone(),
        };
        let body = v.body();
        let out = sign(
            &mut req,
            SignPayload::Bytes(&body),
            &SigningParams {
                credentials: &creds,
                region: &v.region,
                service: &v.service,
                time: boto_time(),
                content_sha256_header: v.service == "s3",
            },
        )
        .unwrap();
        assert_eq!(out.authorization, v.authorization, "{}", v.name);
        assert_eq!(out.canonical_request, v.canonical_request, "{}", v.name);
        // and the signed request verifies
        let ok = verify_parts(
            &v,
            &req.method,
            &req.path,
            &req.query,
            &req.headers,
            &body,
            &v.secret_access_key,
            boto_now(),
        );
        assert!(ok.is_ok(), "{}: {ok:?}", v.name);
        checked += 1;
    }
    assert_eq!(checked, 11);
}

#[test]
fn presigned_s3_url_verifies_until_it_expires() {
    let p = botocore().presigned.remove(0);
    let hs = header_refs(&p.headers);
    let req = scry_sigv4::Request {
        method: &p.method,
        path: &p.path,
        query: &p.query,
        headers: &hs,
        payload: Payload::Deferred,
    };
    let mut opts = scry_sigv4::VerifyOptions::new(&["s3"]);
    let lookup = |k: &str| (k == p.access_key_id).then_some(p.secret_access_key.as_str());
    // refused unless enabled
    let e = scry_sigv4::verify(&req, lookup, boto_now(), &opts).unwrap_err();
    assert_eq!(e.code(), "IncompleteSignatureException");
    opts.allow_presigned = true;
    let ok = scry_sigv4::verify(&req, lookup, boto_now(), &opts).unwrap();
    assert!(ok.presigned);
    assert_eq!(ok.payload, PayloadStatus::Unsigned);
    assert_eq!(p.service, ok.scope.service);
    let last = boto_time() + chrono::Duration::seconds(p.expires);
    assert!(scry_sigv4::verify(&req, lookup, last, &opts).is_ok());
    let e =
        scry_sigv4::verify(&req, lookup, last + chrono::Duration::seconds(1), &opts).unwrap_err();
    assert_eq!(
        (e.code(), e.status(), e.message().as_str()),
        ("AccessDeniedException", 403, "Request has expired")
    );
    // tampered key name
    let other = p.path.replace("inv~1", "inv~2");
    let req2 = scry_sigv4::Request {
        path: &other,
        ..req
    };
    let e = scry_sigv4::verify(&req2, lookup, boto_now(), &opts).unwrap_err();
    assert!(
        matches!(e, scry_sigv4::Error::SignatureMismatch { .. }),
        "{e:?}"
    );
}
