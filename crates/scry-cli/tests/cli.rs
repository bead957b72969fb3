//! The `scry` binary as a user runs it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn scry(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scry"))
        .args(args)
        .env_remove("SCRY_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("scry runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel);
    assert!(p.exists(), "{} is missing", p.display());
    p
}

#[test]
fn compare_versions_reports_failing_lines_and_exit_code() {
    let ok = scry(
        &["debug", "compare-versions", "--ecosystem", "Debian"],
        "# comment\n\n1.0~rc1 < 1.0\n1:0.1 > 2.0\n// also a comment\n",
    );
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(ok.stdout.is_empty());

    let bad = scry(
        &["debug", "compare-versions", "--ecosystem", "PyPI"],
        "1.0 < 2.0\n2.0 < 1.0\n1.0 = 1.0.0\n",
    );
    assert_eq!(bad.status.code(), Some(1));
    let out = String::from_utf8(bad.stdout).unwrap();
    assert!(out.contains("line 2: 2.0 < 1.0"), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");

    let unknown = scry(
        &["debug", "compare-versions", "--ecosystem", "Nonsense"],
        "",
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("Debian"));
}

#[test]
fn every_shared_vector_file_passes_through_the_cli() {
    for (file, eco) in [
        ("alpine-versions.txt", "Alpine"),
        ("debian-versions.txt", "Debian"),
        ("redhat-versions.txt", "Red Hat"),
        ("pypi-versions.txt", "PyPI"),
        ("maven-versions.txt", "Maven"),
        ("semver-versions.txt", "npm"),
        ("nuget-versions.txt", "NuGet"),
        ("rubygems-versions.txt", "RubyGems"),
        ("packagist-versions.txt", "Packagist"),
        ("pub-versions.txt", "Pub"),
        ("hackage-versions.txt", "Hackage"),
        ("cran-versions.txt", "CRAN"),
    ] {
        let text = std::fs::read_to_string(shared("testdata/versions").join(file)).unwrap();
        let out = scry(&["debug", "compare-versions", "--ecosystem", eco], &text);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn import_status_search_match() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let db = db.to_str().unwrap();
    let kev = shared("vulndata/kev/known_exploited_vulnerabilities.json");
    let salt = shared("vulndata/osv-pypi/salt");
    let out = scry(
        &[
            "db",
            "import",
            "--db",
            db,
            "--format",
            "json",
            kev.to_str().unwrap(),
            salt.to_str().unwrap(),
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sources"]["kev"]["inserted"], 1404);
    assert!(report["sources"]["osv:PyPI"]["inserted"].as_u64().unwrap() > 10);

    let out = scry(&["db", "status", "--db", db, "--format", "json"], "");
    assert!(out.status.success());
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = status["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["osv:PyPI", "kev"]);

    let out = scry(&["db", "search", "--db", db, "CVE-2020-11651"], "");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("PYSEC-2020-102"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let out = scry(
        &[
            "db",
            "match",
            "--db",
            db,
            "--ecosystem",
            "PyPI",
            "--format",
            "json",
            "salt",
            "3000.1",
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let auth = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["vulnerability_id"] == "CVE-2020-11651")
        .unwrap();
    assert_eq!(auth["exploit"]["date_added"], "2021-11-03");
    assert_eq!(auth["fix"]["version"], "3000.2");
}

#[test]
fn missing_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.db");
    let out = scry(&["db", "status", "--db", db.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("scry db update") && err.contains("scry db import"),
        "{err}"
    );
}

#[test]
fn update_offline_names_db_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("u.db");
    // A closed loopback port stands in for an unreachable feed host.
    let out = scry(
        &[
            "db",
            "update",
            "--db",
            db.to_str().unwrap(),
            "--no-nvd",
            "--ecosystem",
            "PyPI",
            "--osv-mirror",
            "http://127.0.0.1:9",
            "--kev-url",
            "http://127.0.0.1:9/kev.json",
            "--epss-url",
            "http://127.0.0.1:9/epss.csv.gz",
        ],
        "",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("scry db import"), "{err}");
}

#[test]
fn scan_a_lockfile_table_json_sarif_fail_on_and_ignore_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let db = db.to_str().unwrap();
    let pypi = shared("vulndata/osv-pypi");
    let out = scry(&["db", "import", "--db", db, pypi.to_str().unwrap()], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lock = shared("testdata/fixtures/python/Pipfile.lock");
    let lock = lock.to_str().unwrap();

    // The table: urllib3 1.24.2 from the lockfile, with its fix.
    let out = scry(&["scan", "--db", db, lock], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.starts_with("SEVERITY"), "{table}");
    let line = table
        .lines()
        .find(|l| l.contains("CVE-2023-43804"))
        .expect("urllib3 finding");
    assert!(
        line.contains("urllib3")
            && line.contains("1.24.2")
            && line.contains("1.26.17")
            && line.starts_with("HIGH"),
        "{line}"
    );

    // JSON: Inspector's Finding shape.
    let out = scry(&["scan", "--db", db, lock, "--format", "json"], "");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let f = findings
        .iter()
        .find(|f| f["packageVulnerabilityDetails"]["vulnerabilityId"] == "CVE-2023-43804")
        .unwrap();
    assert_eq!(f["type"], "PACKAGE_VULNERABILITY");
    assert_eq!(f["severity"], "HIGH");
    assert_eq!(f["status"], "ACTIVE");
    assert_eq!(f["fixAvailable"], "YES");
    assert!(f["firstObservedAt"].is_number());
    let arn = f["findingArn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:inspector2:sc-local-1:000000000000:finding/") && arn.len() == 83,
        "{arn}"
    );
    let vp = &f["packageVulnerabilityDetails"]["vulnerablePackages"][0];
    assert_eq!(vp["name"], "urllib3");
    assert_eq!(vp["fixedInVersion"], "1.26.17");
    assert_eq!(vp["packageManager"], "PIPENV");
    assert!(vp["filePath"].as_str().unwrap().ends_with("Pipfile.lock"));
    assert_eq!(f["resources"][0]["type"], "CODE_REPOSITORY");

    // SARIF 2.1.0.
    let out = scry(&["scan", "--db", db, lock, "--format", "sarif"], "");
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["version"], "2.1.0");
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    assert!(results
        .iter()
        .any(|r| r["ruleId"] == "CVE-2023-43804" && r["level"] == "error"));

    // --fail-on: exit 1 at HIGH; ignoring the HIGH ones (until a future date) lets it pass.
    let out = scry(&["scan", "--db", db, lock, "--fail-on", "high"], "");
    assert_eq!(out.status.code(), Some(1));
    let highs: Vec<&str> = findings
        .iter()
        .filter(|f| matches!(f["severity"].as_str(), Some("HIGH" | "CRITICAL")))
        .map(|f| {
            f["packageVulnerabilityDetails"]["vulnerabilityId"]
                .as_str()
                .unwrap()
        })
        .collect();
    let mut ignore = String::from("ignore:\n");
    for id in &highs {
        ignore.push_str(&format!(
            "  - id: {id}\n    reason: accepted in test\n    expires: 2999-01-01\n"
        ));
    }
    let ig = dir.path().join("ignore.yaml");
    std::fs::write(&ig, &ignore).unwrap();
    let out = scry(
        &[
            "scan",
            "--db",
            db,
            lock,
            "--fail-on",
            "high",
            "--ignore-file",
            ig.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An expired rule no longer applies, and says so.
    std::fs::write(&ig, ignore.replace("2999-01-01", "2001-01-01")).unwrap();
    let out = scry(
        &[
            "scan",
            "--db",
            db,
            lock,
            "--fail-on",
            "high",
            "--ignore-file",
            ig.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expired"));
    // --only-fixed keeps only findings with a fix.
    let out = scry(
        &["scan", "--db", db, lock, "--format", "json", "--only-fixed"],
        "",
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["fixAvailable"] == "YES"));
}

#[test]
fn scan_errors_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.db");
    let lock = shared("testdata/fixtures/python/Pipfile.lock");
    let out = scry(
        &["scan", "--db", db.to_str().unwrap(), lock.to_str().unwrap()],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("scry db import"));
    let out = scry(
        &["scan", "--db", db.to_str().unwrap(), "./no/such/thing"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let out = scry(&["sbom", "./no/such/thing"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("prefix it"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sbom_of_a_lockfile_is_cyclonedx_by_default() {
    let lock = shared("testdata/fixtures/rust/Cargo.lock");
    let out = scry(&["sbom", lock.to_str().unwrap()], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["bomFormat"], "CycloneDX");
    assert_eq!(v["specVersion"], "1.6");
    let purls: Vec<&str> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    assert!(purls.contains(&"pkg:cargo/regex@1.7.3"), "{purls:?}");
    let out = scry(
        &["sbom", lock.to_str().unwrap(), "--format", "spdx-json"],
        "",
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["spdxVersion"], "SPDX-2.3");
}
