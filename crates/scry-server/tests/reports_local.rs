//! Findings reports, SBOM exports and ScanSbom against a real store and a real advisory
//! database (shared OSV PyPI and KEV feeds), written to the local reports directory.

mod reports_common;

use reports_common::*;
use scry_server::reports::{self, CSV_COLUMNS};
use scry_wire::shapes::*;
use scry_wire::ErrorCode;
use serde_json::{json, Value};

fn filter(v: Value) -> FilterCriteria {
    serde_json::from_value(v).unwrap()
}

fn report(env: &Env, format: &str, prefix: Option<&str>, f: Option<FilterCriteria>) -> String {
    reports::create_findings_report(
        &env.svc,
        &env.caller,
        CreateFindingsReportRequest {
            filter_criteria: f,
            report_format: format.into(),
            s3_destination: destination("scry-reports", prefix),
        },
    )
    .unwrap()
    .report_id
    .unwrap()
}

#[test]
fn findings_reports_json_and_csv_locally() {
    let env = setup();

    // JSON, every ACTIVE finding.
    let id = report(&env, "JSON", Some("inspector/daily/"), None);
    assert_eq!(id.len(), 36, "{id}");
    let st = wait_report(&env, &id);
    assert_eq!(st.status.as_deref(), Some("SUCCEEDED"), "{st:?}");
    assert_eq!(st.report_id.as_deref(), Some(id.as_str()));
    assert_eq!(st.destination.as_ref().unwrap().bucket_name, "scry-reports");
    assert_eq!(
        st.destination.as_ref().unwrap().key_prefix.as_deref(),
        Some("inspector/daily/")
    );
    assert!(st.error_code.is_none());
    let path = env
        .reports_dir()
        .join("scry-reports/inspector/daily")
        .join(format!("{id}.json"));
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    // flask and py on the instance, py on the image.
    assert!(findings.len() >= 3, "{}", findings.len());
    for f in findings {
        assert_eq!(f["status"], "ACTIVE");
        assert_eq!(f["awsAccountId"], ACCOUNT);
        assert!(f["findingArn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:inspector2:sc-local-1:111122223333:finding/"));
    }
    let flask: Vec<&Value> = findings
        .iter()
        .filter(|f| f["packageVulnerabilityDetails"]["vulnerablePackages"][0]["name"] == "flask")
        .collect();
    assert!(!flask.is_empty(), "{findings:?}");
    assert_eq!(flask[0]["resources"][0]["id"], EC2_ID);
    assert_eq!(flask[0]["resources"][0]["tags"]["env"], "prod");
    // No leftovers from staging.
    assert_eq!(
        files_under(&env.reports_dir()),
        [format!("scry-reports/inspector/daily/{id}.json")]
    );

    // Without a reportId: the latest report.
    let latest = reports::get_findings_report_status(
        &env.svc,
        &env.caller,
        GetFindingsReportStatusRequest { report_id: None },
    )
    .unwrap();
    assert_eq!(latest.report_id.as_deref(), Some(id.as_str()));

    // CSV of the flask findings only.
    let crit = filter(
        json!({"vulnerablePackages": [{"name": {"comparison": "EQUALS", "value": "flask"}}]}),
    );
    let csv_id = report(&env, "CSV", None, Some(crit.clone()));
    let st = wait_report(&env, &csv_id);
    assert_eq!(st.status.as_deref(), Some("SUCCEEDED"), "{st:?}");
    assert_eq!(st.filter_criteria.as_ref(), Some(&crit));
    let text = std::fs::read_to_string(
        env.reports_dir()
            .join("scry-reports")
            .join(format!("{csv_id}.csv")),
    )
    .unwrap();
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header, CSV_COLUMNS);
    assert_eq!(header.len(), 52);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), flask.len());
    let mut ids = Vec::new();
    for r in &rows {
        assert_eq!(r.len(), 52);
        assert_eq!(&r[col("AWS Account Id")], ACCOUNT);
        assert_eq!(&r[col("Affected Packages")], "flask");
        assert_eq!(&r[col("Package Installed Version")], "1.0.3");
        assert_eq!(&r[col("Resource ID")], EC2_ID);
        assert_eq!(&r[col("Resource Type")], "AWS_EC2_INSTANCE");
        assert_eq!(&r[col("Ami")], "ami-0abcdef1234567890");
        assert_eq!(&r[col("Platform")], "AMAZON_LINUX_2");
        assert_eq!(&r[col("Resource Tags")], "env=prod");
        assert_eq!(&r[col("Status")], "ACTIVE");
        assert_eq!(&r[col("Finding Type")], "PACKAGE_VULNERABILITY");
        assert_eq!(&r[col("Age (Days)")], "0");
        assert!(
            r[col("First Seen")].ends_with('Z'),
            "{}",
            &r[col("First Seen")]
        );
        assert!(["YES", "NO"].contains(&&r[col("Fix Available")]));
        assert!(r[col("Finding ARN")].starts_with("arn:aws:inspector2:"));
        ids.push(r[col("Vulnerability Id")].to_string());
    }
    // The session-cookie advisory of flask (PYSEC-2023-62 = CVE-2023-30861), fixed in 2.2.5.
    let i = ids
        .iter()
        .position(|v| v == "CVE-2023-30861" || v == "PYSEC-2023-62")
        .unwrap_or_else(|| panic!("{ids:?}"));
    assert_eq!(&rows[i][col("Fix Available")], "YES");
    assert!(
        rows[i][col("Fixed in Version")].starts_with("2."),
        "{}",
        &rows[i][col("Fixed in Version")]
    );
}

#[test]
fn reports_without_findings_fail_with_no_findings_found() {
    let env = setup();
    let crit =
        filter(json!({"vulnerabilityId": [{"comparison": "EQUALS", "value": "CVE-1999-0001"}]}));
    let id = report(&env, "CSV", Some("none"), Some(crit));
    let st = wait_report(&env, &id);
    assert_eq!(st.status.as_deref(), Some("FAILED"));
    assert_eq!(st.error_code.as_deref(), Some("NO_FINDINGS_FOUND"));
    assert!(st.error_message.unwrap().contains("no findings"));
    assert!(files_under(&env.reports_dir()).is_empty());

    // Closed findings are left out unless asked for: there are none, so CLOSED alone is empty.
    let crit = filter(json!({"findingStatus": [{"comparison": "EQUALS", "value": "CLOSED"}]}));
    let id = report(&env, "JSON", None, Some(crit));
    assert_eq!(
        wait_report(&env, &id).error_code.as_deref(),
        Some("NO_FINDINGS_FOUND")
    );
}

#[test]
fn path_traversal_is_refused() {
    let env = setup();
    let attempt = |bucket: &str, prefix: Option<&str>| {
        reports::create_findings_report(
            &env.svc,
            &env.caller,
            CreateFindingsReportRequest {
                filter_criteria: None,
                report_format: "JSON".into(),
                s3_destination: destination(bucket, prefix),
            },
        )
    };
    for (bucket, prefix) in [
        ("..", None),
        ("../escape", None),
        ("a/b", None),
        ("/tmp", None),
        ("ok-bucket", Some("../../outside")),
        ("ok-bucket", Some("a/../../b")),
        ("ok-bucket", Some("/etc/cron.d")),
        ("ok-bucket", Some("a//b")),
        ("ok-bucket", Some("a\\..\\..\\b")),
        ("ok-bucket", Some("./x")),
    ] {
        let e = attempt(bucket, prefix).unwrap_err();
        assert_eq!(e.code, ErrorCode::Validation, "{bucket} {prefix:?}");
        assert!(
            e.message.contains("bucketName") || e.message.contains("keyPrefix"),
            "{}",
            e.message
        );
    }
    // Nothing was started.
    assert!(reports::get_findings_report_status(
        &env.svc,
        &env.caller,
        GetFindingsReportStatusRequest { report_id: None }
    )
    .unwrap()
    .report_id
    .is_none());

    // A symbolic link planted inside the bucket directory does not lead out of it.
    #[cfg(unix)]
    {
        let outside = env.dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        let bucket = env.reports_dir().join("ok-bucket");
        std::fs::create_dir_all(&bucket).unwrap();
        std::os::unix::fs::symlink(&outside, bucket.join("link")).unwrap();
        let id = attempt("ok-bucket", Some("link"))
            .unwrap()
            .report_id
            .unwrap();
        let st = wait_report(&env, &id);
        assert_eq!(st.status.as_deref(), Some("FAILED"), "{st:?}");
        assert_eq!(st.error_code.as_deref(), Some("INVALID_PERMISSIONS"));
        assert!(files_under(&outside).is_empty());
    }

    // SBOM exports check the same way.
    let e = reports::create_sbom_export(
        &env.svc,
        &env.caller,
        CreateSbomExportRequest {
            resource_filter_criteria: None,
            report_format: "SPDX_2_3".into(),
            s3_destination: destination("ok-bucket", Some("../x")),
        },
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation);
}

#[test]
fn unknown_reports_are_not_found() {
    let env = setup();
    let id = "0f5a4b1e-1111-4222-8333-444455556666";
    let e = reports::get_findings_report_status(
        &env.svc,
        &env.caller,
        GetFindingsReportStatusRequest {
            report_id: Some(id.into()),
        },
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::ResourceNotFound);
    let e = reports::cancel_sbom_export(
        &env.svc,
        &env.caller,
        CancelSbomExportRequest {
            report_id: id.into(),
        },
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::ResourceNotFound);
    // A findings report is not an SBOM export.
    let rid = report(&env, "JSON", None, None);
    wait_report(&env, &rid);
    let e = reports::get_sbom_export(
        &env.svc,
        &env.caller,
        GetSbomExportRequest { report_id: rid },
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::ResourceNotFound);
}

fn export(env: &Env, format: &str, crit: Option<Value>) -> (String, GetSbomExportResponse) {
    let id = reports::create_sbom_export(
        &env.svc,
        &env.caller,
        CreateSbomExportRequest {
            resource_filter_criteria: crit.map(|c| serde_json::from_value(c).unwrap()),
            report_format: format.into(),
            s3_destination: destination("sboms", Some("exports")),
        },
    )
    .unwrap()
    .report_id
    .unwrap();
    let st = wait_export(env, &id);
    (id, st)
}

#[test]
fn sbom_exports_one_document_per_resource() {
    let env = setup();

    // CycloneDX, every resource.
    let (id, st) = export(&env, "CYCLONEDX_1_4", None);
    assert_eq!(st.status.as_deref(), Some("SUCCEEDED"), "{st:?}");
    assert_eq!(st.format.as_deref(), Some("CYCLONEDX_1_4"));
    assert_eq!(st.s3_destination.as_ref().unwrap().bucket_name, "sboms");
    let files = files_under(&env.reports_dir().join("sboms/exports").join(&id));
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files
            .iter()
            .all(|f| f.ends_with(".cyclonedx.json") && f.starts_with(ACCOUNT)),
        "{files:?}"
    );
    let ec2 = files.iter().find(|f| f.contains(EC2_ID)).unwrap();
    assert_eq!(
        ec2,
        &format!("{ACCOUNT}/AWS_EC2_INSTANCE/{EC2_ID}.cyclonedx.json")
    );
    let doc: Value = serde_json::from_slice(
        &std::fs::read(env.reports_dir().join("sboms/exports").join(&id).join(ec2)).unwrap(),
    )
    .unwrap();
    assert_eq!(doc["bomFormat"], "CycloneDX");
    let purls: Vec<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    assert_eq!(
        purls,
        [
            "pkg:pypi/flask@1.0.3",
            "pkg:pypi/py@1.11.0",
            "pkg:pypi/jinja2@3.1.5"
        ]
    );
    let props = doc["metadata"]["properties"].as_array().unwrap();
    let prop = |n: &str| {
        props
            .iter()
            .find(|p| p["name"] == n)
            .map(|p| p["value"].clone())
    };
    assert_eq!(prop("accountId"), Some(json!(ACCOUNT)));
    assert_eq!(prop("resourceType"), Some(json!("AWS_EC2_INSTANCE")));
    assert_eq!(prop("imageId"), Some(json!("ami-0abcdef1234567890")));
    // The image's file name is flattened and made unique.
    let ecr = files
        .iter()
        .find(|f| f.contains("AWS_ECR_CONTAINER_IMAGE"))
        .unwrap();
    assert!(!ecr.contains('@') && !ecr.contains(':'), "{ecr}");
    assert_eq!(ecr.matches('/').count(), 2, "{ecr}");
    // Read back by Scry's own SBOM reader: the same packages.
    let bytes = std::fs::read(env.reports_dir().join("sboms/exports").join(&id).join(ecr)).unwrap();
    let inv = scry_sbom::read_sbom(&bytes, "x").unwrap();
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(inv.packages[0].name, "py");

    // SPDX, the instance only.
    let (id, st) = export(
        &env,
        "SPDX_2_3",
        Some(json!({"resourceType": [{"comparison": "EQUALS", "value": "AWS_EC2_INSTANCE"}]})),
    );
    assert_eq!(st.status.as_deref(), Some("SUCCEEDED"), "{st:?}");
    assert!(st.filter_criteria.is_some());
    let files = files_under(&env.reports_dir().join("sboms/exports").join(&id));
    assert_eq!(
        files,
        [format!("{ACCOUNT}/AWS_EC2_INSTANCE/{EC2_ID}.spdx.json")]
    );
    let doc: Value = serde_json::from_slice(
        &std::fs::read(
            env.reports_dir()
                .join("sboms/exports")
                .join(&id)
                .join(&files[0]),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    let names: Vec<&str> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        names.contains(&"flask") && names.contains(&"py"),
        "{names:?}"
    );

    // Nothing matches: FAILED, NO_FINDINGS_FOUND.
    let (_, st) = export(
        &env,
        "SPDX_2_3",
        Some(json!({"resourceId": [{"comparison": "EQUALS", "value": "i-nothere"}]})),
    );
    assert_eq!(st.status.as_deref(), Some("FAILED"));
    assert_eq!(st.error_code.as_deref(), Some("NO_FINDINGS_FOUND"));
}

/// A CycloneDX 1.5 document in the shape of the Amazon Inspector SBOM Generator's output and
/// of the Scan API's documented example: a nested component, one without a purl, an OS
/// component, one bom-ref given.
fn sample_sbom() -> Value {
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {"component": {"type": "application", "name": "app"}},
        "components": [
            {"type": "operating-system", "name": "alpine", "version": "3.19.1"},
            {
                "type": "library", "name": "flask", "version": "1.0.3", "purl": "pkg:pypi/flask@1.0.3",
                "properties": [{"name": "amazon:inspector:sbom_scanner:path", "value": "app/poetry.lock"}],
                "components": [
                    {"bom-ref": "py-ref", "type": "library", "name": "py", "version": "1.11.0", "purl": "pkg:pypi/py@1.11.0"}
                ]
            },
            {"type": "library", "name": "jinja2", "version": "3.1.5", "purl": "pkg:pypi/jinja2@3.1.5"},
            {"type": "library", "name": "vendored-thing", "version": "1.0"}
        ]
    })
}

fn scan(env: &Env, sbom: Value, format: Option<&str>) -> Result<Value, scry_wire::ApiError> {
    reports::scan_sbom(
        &env.svc,
        &env.caller,
        ScanSbomRequest {
            sbom,
            output_format: format.map(str::to_string),
        },
    )
    .map(|r| r.sbom.unwrap())
}

fn all_components(list: &Value, out: &mut Vec<Value>) {
    for c in list.as_array().into_iter().flatten() {
        out.push(c.clone());
        all_components(&c["components"], out);
    }
}

#[test]
fn scan_sbom_cyclonedx_output() {
    let env = setup();
    let out = scan(&env, sample_sbom(), None).unwrap();
    assert_eq!(out["bomFormat"], "CycloneDX");
    assert_eq!(out["specVersion"], "1.5");
    assert!(out["serialNumber"]
        .as_str()
        .unwrap()
        .starts_with("urn:uuid:"));
    let mut comps = Vec::new();
    all_components(&out["components"], &mut comps);
    assert_eq!(comps.len(), 5);
    let refs: Vec<&str> = comps
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    assert!(refs.contains(&"py-ref"), "{refs:?}");
    let flask_ref = comps.iter().find(|c| c["name"] == "flask").unwrap()["bom-ref"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(flask_ref.starts_with("comp-"));
    let info = |name: &str| {
        comps.iter().find(|c| c["name"] == name).unwrap()["properties"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|p| p["name"] == "amazon:inspector:sbom_scanner:info")
            })
            .map(|p| p["value"].as_str().unwrap().to_string())
    };
    assert_eq!(
        info("jinja2").as_deref(),
        Some("Component scanned: no vulnerabilities found.")
    );
    assert_eq!(
        info("vendored-thing").as_deref(),
        Some("Component skipped: no rules found.")
    );
    assert_eq!(info("flask"), None);

    let vulns = out["vulnerabilities"].as_array().unwrap();
    assert!(vulns.len() >= 2, "{vulns:?}");
    for v in vulns {
        assert!(v["bom-ref"].as_str().unwrap().starts_with("vuln-"));
        assert!(!v["id"].as_str().unwrap().is_empty());
        assert!(v["source"]["name"].is_string() && v["source"]["url"].is_string());
        let ratings = v["ratings"].as_array().unwrap();
        assert!(!ratings.is_empty());
        for r in ratings {
            assert!(
                ["critical", "high", "medium", "low", "info", "none", "unknown"]
                    .contains(&r["severity"].as_str().unwrap())
            );
            assert!(r["method"].is_string());
        }
        for a in v["affects"].as_array().unwrap() {
            assert!(refs.contains(&a["ref"].as_str().unwrap()), "{a}");
        }
        assert!(v["updated"].as_str().unwrap().ends_with('Z'));
    }
    // flask's session-cookie advisory names the fixed version for flask's bom-ref.
    let cookie = vulns
        .iter()
        .find(|v| {
            v["id"] == "CVE-2023-30861"
                || v["references"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["id"] == "PYSEC-2023-62")
        })
        .unwrap_or_else(|| panic!("{vulns:?}"));
    assert_eq!(cookie["affects"], json!([{"ref": flask_ref}]));
    let fixed = cookie["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == format!("amazon:inspector:sbom_scanner:fixed_version:{flask_ref}"))
        .unwrap();
    assert!(fixed["value"].as_str().unwrap().starts_with("2."));
    assert!(!cookie["advisories"].as_array().unwrap().is_empty());
    // py's advisory affects the nested component by its own bom-ref.
    assert!(vulns
        .iter()
        .any(|v| v["affects"] == json!([{"ref": "py-ref"}])));
    // The counts in metadata add up.
    let props = out["metadata"]["properties"].as_array().unwrap();
    let total: u64 = props
        .iter()
        .filter(|p| p["name"].as_str().unwrap().ends_with("_vulnerabilities"))
        .map(|p| p["value"].as_str().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(
        props[0]["name"],
        "amazon:inspector:sbom_scanner:critical_vulnerabilities"
    );
    // PYSEC advisories carry no CVSS score here: UNTRIAGED, outside the four counts.
    assert!(total as usize <= vulns.len(), "{props:?}");
    assert_eq!(out["metadata"]["component"]["name"], "app");
}

#[test]
fn scan_sbom_inspector_output_and_scry_written_sboms() {
    let env = setup();
    let out = scan(&env, sample_sbom(), Some("INSPECTOR")).unwrap();
    assert!(out["status"]
        .as_str()
        .unwrap()
        .starts_with("SBOM parsed successfully"));
    let vulns = out["vulnerabilities"].as_array().unwrap();
    assert!(!vulns.is_empty());
    let flask = vulns
        .iter()
        .find(|v| {
            v["affects"][0]["installed_version"] == "pkg:pypi/flask@1.0.3"
                && v["affects"][0]["fixed_version"].is_string()
        })
        .unwrap_or_else(|| panic!("{vulns:?}"));
    assert_eq!(flask["affects"][0]["path"], "app/poetry.lock");
    assert!(["critical", "high", "medium", "low", "info", "unknown"]
        .contains(&flask["severity"].as_str().unwrap()));
    assert!(flask["properties"]["cvss"].is_array());
    assert!(flask["properties"]["exploit_available"].is_boolean());
    let count = &out["vulnerability_count"];
    let sum: u64 = ["critical", "high", "medium", "low"]
        .iter()
        .map(|s| count[*s].as_u64().unwrap())
        .sum();
    assert!(sum as usize <= vulns.len());
    assert!(out["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["name"] == "vendored-thing"));

    // An SBOM Scry itself wrote (CycloneDX 1.6 from scry-sbom) is scanned too.
    let subject = scry_sbom::Subject {
        name: "app".into(),
        kind: scry_sbom::SubjectKind::Directory,
        digest: None,
    };
    let doc = scry_sbom::to_cyclonedx(&app_inventory(), &subject, "0.1.0", "2024-05-01T00:00:00Z");
    assert_eq!(doc["specVersion"], "1.6");
    let out = scan(&env, doc, Some("CYCLONE_DX_1_5")).unwrap();
    let ids: Vec<&str> = out["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert!(ids.len() >= 2, "{ids:?}");
}

#[test]
fn scan_sbom_refuses_what_is_not_cyclonedx() {
    let env = setup();
    let spdx = json!({"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": []});
    let e = scan(&env, spdx, None).unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation);
    assert!(
        e.message.contains("SPDX") && e.message.contains("CycloneDX"),
        "{}",
        e.message
    );

    let mut old = sample_sbom();
    old["specVersion"] = json!("1.2");
    let e = scan(&env, old, None).unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation);
    assert!(e.message.contains("1.2"), "{}", e.message);

    for bad in [
        json!("a string"),
        json!([1, 2]),
        json!({"bomFormat": "SWID"}),
        json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": {}}),
    ] {
        let e = scan(&env, bad.clone(), None).unwrap_err();
        assert_eq!(e.code, ErrorCode::Validation, "{bad}");
    }

    // More components than the Scan API takes.
    let many: Vec<Value> = (0..5001)
        .map(|i| json!({"type": "library", "name": format!("p{i}"), "purl": format!("pkg:pypi/p{i}@1.0")}))
        .collect();
    let e = scan(
        &env,
        json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": many}),
        None,
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation);
    assert!(e.message.contains("5000"), "{}", e.message);

    // An empty SBOM is fine: no vulnerabilities.
    let out = scan(
        &env,
        json!({"bomFormat": "CycloneDX", "specVersion": "1.5"}),
        None,
    )
    .unwrap();
    assert_eq!(out["vulnerabilities"], json!([]));
}
