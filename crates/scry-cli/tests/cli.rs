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
