//! Shared setup of the reports tests: a real store, a real advisory database built from the
//! shared OSV PyPI and KEV feeds, and two resources ingested with vulnerable PyPI packages.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use scry_inventory::{Inventory, Package};
use scry_server::api::Caller;
use scry_server::service::resource_arn;
use scry_server::Service;
use scry_store::{MasterKey, ResourceInfo, Store};
use scry_wire::shapes::*;

pub const ACCOUNT: &str = "111122223333";
pub const EC2_ID: &str = "i-0123456789abcdef0";
pub const ECR_ID: &str =
    "repo/app@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1";

pub fn vulndata(feed: &str) -> PathBuf {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vulndata"
    ))
    .join(feed);
    assert!(
        p.exists(),
        "{} is missing: ../shared must be beside the repository",
        p.display()
    );
    p
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub svc: Service,
    pub caller: Caller,
}

impl Env {
    pub fn reports_dir(&self) -> PathBuf {
        self.dir.path().join("reports")
    }
}

pub fn pypi(name: &str, version: &str, location: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        ecosystem: "PyPI".into(),
        purl: format!("pkg:pypi/{name}@{version}"),
        found_by: "python-poetry-lock".into(),
        source_name: None,
        source_version: None,
        arch: None,
        licenses: vec!["BSD-3-Clause".into()],
        location: location.into(),
        layer: None,
    }
}

/// flask 1.0.3 (PYSEC-2023-62) and py 1.11.0 (PYSEC-2022-42969), versions
/// of the shared poetry.lock fixture, plus jinja2 3.1.5 (not affected by the feed's advisories).
pub fn app_inventory() -> Inventory {
    Inventory {
        distro: None,
        packages: vec![
            pypi("flask", "1.0.3", "app/poetry.lock"),
            pypi("py", "1.11.0", "app/poetry.lock"),
            pypi("jinja2", "3.1.5", "app/poetry.lock"),
        ],
        diagnostics: Vec::new(),
    }
}

pub fn setup() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("advisories.db");
    let feeds: Vec<PathBuf> = ["osv-pypi/flask", "osv-pypi/py", "osv-pypi/jinja2", "kev"]
        .iter()
        .map(|f| vulndata(f))
        .collect();
    scry_vulndb::VulnDb::create(&db_path)
        .unwrap()
        .import(&feeds, chrono::Utc::now(), &mut |_| {})
        .unwrap();
    let store = Store::open(&dir.path().join("scry.db")).unwrap();
    let svc = Service::new(
        store,
        MasterKey::from_hex(&"ab".repeat(32), "t").unwrap(),
        db_path,
        "sc-local-1".into(),
    );
    svc.refresh_intel().unwrap();
    assert!(svc.intel().is_some());
    svc.set_scan_types(ACCOUNT, &["EC2", "ECR", "LAMBDA"], true)
        .unwrap();

    let ec2 = ResourceInfo {
        account_id: ACCOUNT.into(),
        resource_type: "AWS_EC2_INSTANCE".into(),
        resource_id: EC2_ID.into(),
        arn: resource_arn("sc-local-1", ACCOUNT, "AWS_EC2_INSTANCE", EC2_ID),
        details: Some(
            serde_json::json!({"awsEc2Instance": {
                "imageId": "ami-0abcdef1234567890",
                "platform": "AMAZON_LINUX_2",
                "ipV4Addresses": ["10.0.0.12"],
                "vpcId": "vpc-0123"
            }})
            .to_string(),
        ),
        ec2_image_id: Some("ami-0abcdef1234567890".into()),
        platform: Some("AMAZON_LINUX_2".into()),
        tags: Some(BTreeMap::from([("env".to_string(), "prod".to_string())])),
        ..Default::default()
    };
    let s = svc.ingest(ec2, &app_inventory(), "push").unwrap();
    assert!(s.opened >= 2, "{s:?}");

    let ecr = ResourceInfo {
        account_id: ACCOUNT.into(),
        resource_type: "AWS_ECR_CONTAINER_IMAGE".into(),
        resource_id: ECR_ID.into(),
        arn: resource_arn("sc-local-1", ACCOUNT, "AWS_ECR_CONTAINER_IMAGE", ECR_ID),
        ecr_repository: Some("repo/app".into()),
        ecr_image_hash: Some(
            "sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1".into(),
        ),
        ecr_image_tags: vec!["v1".into()],
        ecr_architecture: Some("amd64".into()),
        ..Default::default()
    };
    let inv = Inventory {
        distro: None,
        packages: vec![pypi(
            "py",
            "1.11.0",
            "usr/lib/python3/site-packages/py-1.11.0.dist-info/METADATA",
        )],
        diagnostics: Vec::new(),
    };
    svc.ingest(ecr, &inv, "push").unwrap();

    Env {
        dir,
        svc,
        caller: Caller {
            account_id: ACCOUNT.into(),
            role: "admin".into(),
            access_key_id: "SCRYTESTKEY".into(),
        },
    }
}

pub fn destination(bucket: &str, prefix: Option<&str>) -> Destination {
    Destination {
        bucket_name: bucket.into(),
        key_prefix: prefix.map(str::to_string),
        kms_key_arn: "arn:aws:kms:sc-local-1:111122223333:key/00000000-0000-0000-0000-000000000000"
            .into(),
        expected_bucket_owner: None,
    }
}

/// Polls until the findings report is no longer IN_PROGRESS.
pub fn wait_report(env: &Env, id: &str) -> GetFindingsReportStatusResponse {
    let t = Instant::now();
    loop {
        let s = scry_server::reports::get_findings_report_status(
            &env.svc,
            &env.caller,
            GetFindingsReportStatusRequest {
                report_id: Some(id.into()),
            },
        )
        .unwrap();
        if s.status.as_deref() != Some("IN_PROGRESS") {
            return s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "report {id} still running"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Polls until the SBOM export is no longer IN_PROGRESS.
pub fn wait_export(env: &Env, id: &str) -> GetSbomExportResponse {
    let t = Instant::now();
    loop {
        let s = scry_server::reports::get_sbom_export(
            &env.svc,
            &env.caller,
            GetSbomExportRequest {
                report_id: id.into(),
            },
        )
        .unwrap();
        if s.status.as_deref() != Some("IN_PROGRESS") {
            return s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "export {id} still running"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Every file under `dir`, relative, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}
