//! `scry server` as a user runs it, driven by the real AWS CLI and boto3 (from PyPI; CI
//! installs them): real advisories, real inventories pushed with `scry scan --server`, SigV4
//! keys made with `scry keys create`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{key, scry, server_command, shared, start_server_quietly, Killed};
use serde_json::Value;

/// Starts `scry server` on a free port and returns it with its URL.
fn start(data: &Path, db: &Path) -> (Killed, String) {
    start_server_quietly(&mut server_command(data, db, &[]))
}

/// The AWS CLI exactly as a user types it (plus endpoint and credentials).
fn aws(url: &str, k: &(String, String), cmd: &str) -> (i32, String, String) {
    let mut args: Vec<String> = cmd.split(' ').map(str::to_string).collect();
    // Re-join the single-quoted JSON argument the way a shell would.
    if let Some(i) = args.iter().position(|a| a.starts_with('\'')) {
        let j = args.iter().rposition(|a| a.ends_with('\'')).unwrap();
        let joined = args[i..=j].join(" ");
        args.splice(i..=j, [joined.trim_matches('\'').to_string()]);
    }
    assert_eq!(args[0], "aws");
    let out = Command::new("aws")
        .args(&args[1..])
        .args([
            "--endpoint-url",
            url,
            "--region",
            "us-east-1",
            "--output",
            "json",
        ])
        .env("AWS_ACCESS_KEY_ID", &k.0)
        .env("AWS_SECRET_ACCESS_KEY", &k.1)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("the AWS CLI is installed (pip install awscli)");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn ok_json(r: (i32, String, String)) -> Value {
    assert_eq!(r.0, 0, "aws failed: {}", r.2);
    serde_json::from_str(&r.1).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.1))
}

#[test]
fn aws_cli_and_boto3_against_scry_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("advisories.db");
    let data = dir.path().join("data");
    scry(
        &[
            "db",
            "import",
            shared("vulndata").to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ],
        &[],
    );
    let k1 = key(&data, "111122223333", "admin");
    let k2 = key(&data, "444455556666", "admin");
    let agent = key(&data, "111122223333", "agent");
    let reader = key(&data, "111122223333", "reader");
    let (_server, url) = start(&data, &db);

    // Inventories pushed by the CLI with an agent key: a host, and an image.
    let push = |target: &str, extra: &[&str]| {
        let mut args = vec!["scan", target, "--server", &url, "--format", "json"];
        args.extend_from_slice(extra);
        let out = scry(
            &args,
            &[
                ("SCRY_ACCESS_KEY_ID", &agent.0),
                ("SCRY_SECRET_ACCESS_KEY", &agent.1),
            ],
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let host = push(
        shared("testdata/fixtures").to_str().unwrap(),
        &["--resource-id", "i-0123456789abcdef0", "--tag", "env=prod"],
    );
    assert_eq!(
        host["resourceArn"],
        "arn:aws:ec2:sc-local-1:111122223333:instance/i-0123456789abcdef0"
    );
    let opened = host["opened"].as_u64().unwrap();
    assert!(opened > 20, "{host}");
    // The same inventory again changes nothing.
    let again = push(
        shared("testdata/fixtures").to_str().unwrap(),
        &["--resource-id", "i-0123456789abcdef0"],
    );
    assert_eq!(
        (
            again["opened"].as_u64(),
            again["closed"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(opened))
    );

    // The commands of the issue, as typed.
    let en = ok_json(aws(
        &url,
        &k1,
        "aws inspector2 enable --resource-types EC2 ECR",
    ));
    assert_eq!(en["accounts"][0]["accountId"], "111122223333");
    assert_eq!(en["accounts"][0]["resourceStatus"]["ec2"], "ENABLED");
    assert_eq!(en["accounts"][0]["resourceStatus"]["ecr"], "ENABLED");

    let lf = ok_json(aws(
        &url,
        &k1,
        r#"aws inspector2 list-findings --filter-criteria '{"resourceType":[{"comparison":"EQUALS","value":"AWS_EC2_INSTANCE"}]}' --max-results 25"#,
    ));
    let findings = lf["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["resources"][0]["type"], "AWS_EC2_INSTANCE");
        assert_eq!(f["resources"][0]["id"], "i-0123456789abcdef0");
        assert_eq!(f["resources"][0]["tags"]["env"], "prod");
        assert_eq!(f["awsAccountId"], "111122223333");
        assert!(f["findingArn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:inspector2:sc-local-1:111122223333:finding/"));
    }

    let cov = ok_json(aws(
        &url,
        &k1,
        "aws inspector2 list-coverage --max-results 10",
    ));
    let res = &cov["coveredResources"][0];
    assert_eq!(res["resourceId"], "i-0123456789abcdef0");
    assert_eq!(res["scanStatus"]["statusCode"], "ACTIVE");
    assert_eq!(res["scanStatus"]["reason"], "SUCCESSFUL");

    let cfg = ok_json(aws(&url, &k1, "aws inspector2 get-configuration"));
    assert_eq!(
        cfg["ec2Configuration"]["scanModeState"]["scanModeStatus"],
        "SUCCESS"
    );

    let perms = ok_json(aws(
        &url,
        &k1,
        "aws inspector2 list-account-permissions --max-results 10",
    ));
    assert_eq!(perms["permissions"].as_array().unwrap().len(), 8, "{perms}");

    // boto3.
    let py = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws/boto3_check.py"))
        .env("SCRY_URL", &url)
        .env("KEY1_ID", &k1.0)
        .env("KEY1_SECRET", &k1.1)
        .env("KEY2_ID", &k2.0)
        .env("KEY2_SECRET", &k2.1)
        .env("READER_ID", &reader.0)
        .env("READER_SECRET", &reader.1)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .output()
        .expect("python3 with boto3 (pip install boto3)");
    assert!(
        py.status.success(),
        "boto3 check failed: {}",
        String::from_utf8_lossy(&py.stderr)
    );
    let b: Value = serde_json::from_slice(&py.stdout).unwrap();
    let total = b["paginated_findings"].as_u64().unwrap();
    assert_eq!(total, opened, "{b}");
    assert_eq!(b["paginated_unique"], total);
    assert_eq!(b["first_page_size"], 7);
    assert_eq!(b["paginated_pages"].as_u64().unwrap(), total.div_ceil(7));
    assert_eq!(b["statuses_before"], serde_json::json!(["ACTIVE"]));
    assert!(b["high_or_critical"].as_u64().unwrap() > 0, "{b}");
    assert_eq!(b["scores_sorted_desc"], true);
    assert_eq!(b["details_found"], 1);
    assert!(b["suppress_expected"].as_u64().unwrap() >= 1);
    assert_eq!(b["suppressed_after_rule"], b["suppress_expected"]);
    assert_eq!(b["duplicate_filter_name"], "BadRequestException");
    assert_eq!(b["filter_tags"], serde_json::json!({"team": "security"}));
    assert_eq!(b["filter_tags_after_untag"], serde_json::json!({}));
    assert_eq!(b["suppressed_after_delete"], 0);
    assert_eq!(b["account2_findings"], 0);
    assert_eq!(b["account2_coverage"], 0);
    assert_eq!(
        b["account2_details_errors"],
        serde_json::json!(["FINDING_DETAILS_NOT_FOUND"])
    );
    assert_eq!(b["account_aggregation_all"], b["active_findings"]);
    assert_eq!(b["coverage_total"], 1);
    assert_eq!(b["validation"], "ValidationException");
    assert_eq!(b["validation_reason"], "FIELD_VALIDATION_FAILED");
    assert_eq!(b["bad_enum"], "ValidationException");
    assert_eq!(b["bad_token"], "ValidationException");
    assert_eq!(b["wrong_secret"], "InvalidSignatureException");
    assert_eq!(b["unknown_key"], "UnrecognizedClientException");
    assert_eq!(b["reader_list"], 5);
    assert_eq!(b["reader_create_filter"], "AccessDeniedException");
    assert_eq!(b["not_implemented"], "NotImplementedException");

    // The AWS CLI with a wrong secret is refused (exit 255, the modeled error).
    let bad = aws(
        &url,
        &(k1.0.clone(), "wrong".repeat(8)),
        "aws inspector2 list-findings",
    );
    assert_eq!(bad.0, 255);
    assert!(bad.2.contains("InvalidSignatureException"), "{}", bad.2);

    // Patch verification: the host without its Python lockfiles closes those findings.
    let trimmed = dir.path().join("host");
    std::fs::create_dir_all(trimmed.join("var/lib/dpkg")).unwrap();
    std::fs::copy(
        shared("testdata/fixtures/dpkg/postgresql.status"),
        trimmed.join("var/lib/dpkg/status"),
    )
    .unwrap();
    let after = push(
        trimmed.to_str().unwrap(),
        &["--resource-id", "i-0123456789abcdef0"],
    );
    assert!(after["closed"].as_u64().unwrap() > 0, "{after}");
    let closed = ok_json(aws(
        &url,
        &k1,
        r#"aws inspector2 list-findings --filter-criteria '{"findingStatus":[{"comparison":"EQUALS","value":"CLOSED"}]}' --max-results 100"#,
    ));
    assert_eq!(
        closed["findings"].as_array().unwrap().len() as u64,
        after["closed"].as_u64().unwrap().min(100)
    );

    let dis = ok_json(aws(
        &url,
        &k1,
        "aws inspector2 disable --resource-types EC2 ECR",
    ));
    assert_eq!(dis["accounts"][0]["resourceStatus"]["ec2"], "DISABLED");
    let none = ok_json(aws(&url, &k1, "aws inspector2 list-findings"));
    assert_eq!(
        none["findings"].as_array().unwrap().len(),
        0,
        "disabling EC2 removes its findings"
    );
}
