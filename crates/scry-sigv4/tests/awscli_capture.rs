//! Raw requests captured from the real AWS CLI v1 (tests/fixtures/capture_awscli.py).

mod common;

use common::read_raw;
use scry_sigv4::{Error, Payload, PayloadStatus, Request, VerifyOptions};

const AKID: &str = "SCRYCLIKEY0000000001";
const SECRET: &str = "cLiSeCrEt/0123456789+abcdefghijKLMNOPQRS";

fn check(file: &str, method: &str, path_prefix: &str) {
    let raw = read_raw(file);
    assert_eq!(raw.method, method);
    assert!(raw.target.starts_with(path_prefix), "{}", raw.target);
    let hs = common::header_refs(&raw.headers);
    let req = Request::new(&raw.method, &raw.target, &hs, Payload::Bytes(&raw.body));
    let date = raw
        .headers
        .iter()
        .find(|(n, _)| n == "X-Amz-Date")
        .map(|(_, v)| v.as_str())
        .unwrap();
    let now = scry_sigv4::parse_amz_date(date).unwrap() + chrono::Duration::seconds(1);
    let opts = VerifyOptions::new(&["inspector2"]);
    let ok = scry_sigv4::verify(&req, |k| (k == AKID).then_some(SECRET), now, &opts).unwrap();
    assert_eq!(ok.access_key_id, AKID);
    assert_eq!(ok.scope.region, "us-east-1");
    assert_eq!(ok.scope.service, "inspector2");
    assert_eq!(ok.payload, PayloadStatus::Verified);

    // The same request with a different secret, or 16 minutes later, is refused.
    let e = scry_sigv4::verify(&req, |_| Some("x"), now, &opts).unwrap_err();
    assert!(matches!(e, Error::SignatureMismatch { .. }), "{e:?}");
    let later = now + chrono::Duration::minutes(16);
    let e = scry_sigv4::verify(&req, |_| Some(SECRET), later, &opts).unwrap_err();
    assert!(matches!(e, Error::SignatureExpired { .. }), "{e:?}");
}

#[test]
fn aws_cli_list_findings() {
    check("awscli_list_findings.http", "POST", "/findings/list");
}

#[test]
fn aws_cli_untag_resource_with_encoded_arn_and_repeated_query_keys() {
    check(
        "awscli_untag_resource.http",
        "DELETE",
        "/tags/arn%3Aaws%3Ainspector2%3Aus-east-1%3A123456789012%3Afinding%2Fabc?tagKeys=owner&tagKeys=cost%20center",
    );
}
