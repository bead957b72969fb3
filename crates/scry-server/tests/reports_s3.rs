//! Findings reports and SBOM exports uploaded to a real S3-compatible server: moto's
//! (`pip install "moto[server]"`, then `moto_server` on PATH). Skipped, with a message, when
//! `moto_server` is not installed. The `SCRY_S3_*` variables are process-wide, hence a test
//! binary of its own.

mod reports_common;

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reports_common::*;
use scry_server::reports;
use scry_wire::shapes::*;

struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn start_moto() -> Option<Moto> {
    let Some(bin) = find_on_path("moto_server") else {
        eprintln!("SKIPPED: moto_server is not on PATH (pip install \"moto[server]\") — the S3 upload test needs a real S3-compatible server");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting moto_server");
    let moto = Moto { child, port };
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "moto_server did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(moto)
}

/// A signed request to moto (S3 checks nothing of the credentials there, but the request is
/// signed the way real S3 wants it).
fn s3(port: u16, method: &str, path_and_query: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let host = format!("127.0.0.1:{port}");
    let mut req = scry_sigv4::SignRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: vec![("host".into(), host.clone())],
    };
    let creds = scry_sigv4::Credentials::new("testing", "testing");
    scry_sigv4::sign(
        &mut req,
        scry_sigv4::SignPayload::Bytes(body),
        &scry_sigv4::SigningParams {
            credentials: &creds,
            region: "us-east-1",
            service: "s3",
            time: chrono::Utc::now(),
            content_sha256_header: true,
        },
    )
    .unwrap();
    let client = reqwest::blocking::Client::new();
    let mut rb = client.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        format!("http://{host}{path_and_query}"),
    );
    for (k, v) in &req.headers {
        if k != "host" {
            rb = rb.header(k.as_str(), v.as_str());
        }
    }
    let resp = rb.body(body.to_vec()).send().unwrap();
    (resp.status().as_u16(), resp.bytes().unwrap().to_vec())
}

#[test]
fn reports_and_exports_upload_to_s3() {
    let Some(moto) = start_moto() else { return };
    let (status, _) = s3(moto.port, "PUT", "/scry-reports", b"");
    assert_eq!(status, 200, "creating the bucket");
    std::env::set_var(
        "SCRY_S3_ENDPOINT",
        format!("http://127.0.0.1:{}", moto.port),
    );
    std::env::set_var("SCRY_S3_ACCESS_KEY_ID", "testing");
    std::env::set_var("SCRY_S3_SECRET_ACCESS_KEY", "testing");
    std::env::set_var("SCRY_S3_REGION", "us-east-1");
    let env = setup();

    // A JSON findings report.
    let id = reports::create_findings_report(
        &env.svc,
        &env.caller,
        CreateFindingsReportRequest {
            filter_criteria: None,
            report_format: "JSON".into(),
            s3_destination: destination("scry-reports", Some("inspector/2024 reports/")),
        },
    )
    .unwrap()
    .report_id
    .unwrap();
    let st = wait_report(&env, &id);
    assert_eq!(st.status.as_deref(), Some("SUCCEEDED"), "{st:?}");
    let (status, body) = s3(
        moto.port,
        "GET",
        &format!("/scry-reports/inspector/2024%20reports/{id}.json"),
        b"",
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(doc["findings"].as_array().unwrap().len() >= 3);
    // Nothing local.
    assert!(files_under(&env.reports_dir()).is_empty());

    // An SBOM export: one object per resource.
    let sid = reports::create_sbom_export(
        &env.svc,
        &env.caller,
        CreateSbomExportRequest {
            resource_filter_criteria: None,
            report_format: "SPDX_2_3".into(),
            s3_destination: destination("scry-reports", Some("sbom")),
        },
    )
    .unwrap()
    .report_id
    .unwrap();
    let st = wait_export(&env, &sid);
    assert_eq!(st.status.as_deref(), Some("SUCCEEDED"), "{st:?}");
    let (status, body) = s3(
        moto.port,
        "GET",
        &format!("/scry-reports?list-type=2&prefix=sbom%2F{sid}%2F"),
        b"",
    );
    assert_eq!(status, 200);
    let listing = String::from_utf8_lossy(&body);
    assert_eq!(listing.matches("<Key>").count(), 2, "{listing}");
    assert!(
        listing.contains(&format!(
            "<Key>sbom/{sid}/{ACCOUNT}/AWS_EC2_INSTANCE/{EC2_ID}.spdx.json</Key>"
        )),
        "{listing}"
    );

    // A bucket that does not exist.
    let id = reports::create_findings_report(
        &env.svc,
        &env.caller,
        CreateFindingsReportRequest {
            filter_criteria: None,
            report_format: "CSV".into(),
            s3_destination: destination("no-such-bucket", None),
        },
    )
    .unwrap()
    .report_id
    .unwrap();
    let st = wait_report(&env, &id);
    assert_eq!(st.status.as_deref(), Some("FAILED"));
    assert_eq!(st.error_code.as_deref(), Some("BUCKET_NOT_FOUND"), "{st:?}");
}
