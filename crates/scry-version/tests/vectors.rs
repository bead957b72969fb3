//! Every line of every file in `shared/testdata/versions/` must hold, in both directions.

use std::path::PathBuf;

use scry_version::{vectors, Scheme};

fn vector_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/versions")
}

/// File name prefix (before `-versions`) → scheme.
fn scheme_for(file_name: &str) -> Option<Scheme> {
    let prefix = file_name.split('-').next()?;
    Some(match prefix {
        "alpine" => Scheme::Apk,
        "cran" => Scheme::Cran,
        "debian" => Scheme::Dpkg,
        "hackage" => Scheme::Hackage,
        "maven" => Scheme::Maven,
        "nuget" => Scheme::NuGet,
        "packagist" => Scheme::Packagist,
        "pub" => Scheme::Pub,
        "pypi" => Scheme::Pep440,
        "redhat" => Scheme::Rpm,
        "rubygems" => Scheme::RubyGems,
        "semver" => Scheme::SemVer,
        _ => return None,
    })
}

#[test]
fn every_vector_file_holds() {
    let dir = vector_dir();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("vector directory {} is missing: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vector files in {}", dir.display());

    let mut report = Vec::new();
    let mut total = 0;
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 file name");
        let scheme =
            scheme_for(name).unwrap_or_else(|| panic!("no scheme mapped for vector file {name}"));
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
        let checked = vectors::count(&text);
        assert!(
            checked > 0,
            "{name} has no vector lines: the test would pass vacuously"
        );
        total += checked;
        for f in vectors::check(scheme, &text) {
            report.push(format!("{name} ({}): {f}", scheme.name()));
        }
    }
    assert!(
        report.is_empty(),
        "{} of {total} vector lines failed:\n{}",
        report.len(),
        report.join("\n")
    );
    eprintln!("{total} vector lines checked in {} files", files.len());
}
