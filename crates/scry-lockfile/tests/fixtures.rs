//! Every real fixture of /work/shared/testdata/fixtures read by this crate, with exact package
//! counts and name/version/purl values checked against the files by hand (python3/jq).

use scry_inventory::{Cataloger, FileInfo, Parsed};
use scry_lockfile::*;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/fixtures"
);

/// Parses fixture `rel` as if it were found at `path` in a scanned file system.
fn parse(c: &dyn Cataloger, rel: &str, path: &str) -> Parsed {
    let bytes = std::fs::read(format!("{FIXTURES}/{rel}")).expect("fixture");
    let f = FileInfo {
        path,
        size: bytes.len() as u64,
        executable: false,
    };
    assert!(c.wants(&f), "{} should want {path}", c.name());
    let p = c.parse(&f, &bytes);
    for pkg in &p.packages {
        assert_eq!(pkg.location, path);
        assert_eq!(pkg.found_by, c.name());
        assert!(pkg.layer.is_none());
    }
    p
}

#[track_caller]
fn has<'a>(p: &'a Parsed, name: &str, version: &str) -> &'a scry_inventory::Package {
    p.packages
        .iter()
        .find(|x| x.name == name && x.version == version)
        .unwrap_or_else(|| panic!("{name} {version} not found"))
}

#[track_caller]
fn lacks(p: &Parsed, name: &str) {
    assert!(
        !p.packages.iter().any(|x| x.name == name),
        "{name} should not be reported"
    );
}

#[track_caller]
fn clean(p: &Parsed) {
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

// ------------------------------------------------------------------------------------------
// Python

#[test]
fn dist_info_metadata() {
    let path = "usr/lib/python3/site-packages/Pygments-2.6.1.dist-info/METADATA";
    let p = parse(&PythonDistInfo, "python/dist-info-METADATA", path);
    clean(&p);
    assert_eq!(p.packages.len(), 1);
    let pkg = has(&p, "Pygments", "2.6.1");
    assert_eq!(pkg.purl, "pkg:pypi/pygments@2.6.1");
    assert_eq!(pkg.ecosystem, "PyPI");
    assert_eq!(pkg.licenses, ["BSD License"]);
}

#[test]
fn poetry_lock() {
    let p = parse(&PoetryLock, "python/poetry.lock", "app/poetry.lock");
    clean(&p);
    assert_eq!(p.packages.len(), 15);
    assert_eq!(has(&p, "flask", "1.0.3").purl, "pkg:pypi/flask@1.0.3");
    has(&p, "jinja2", "3.1.5");
    has(&p, "more-itertools", "10.6.0");
    has(&p, "wcwidth", "0.2.13");
}

#[test]
fn uv_lock_skips_virtual_root() {
    let p = parse(&UvLock, "python/uv.lock", "uv.lock");
    clean(&p);
    assert_eq!(p.packages.len(), 20);
    lacks(&p, "normal");
    has(&p, "anyio", "4.7.0");
    has(&p, "certifi", "2024.12.14");
    assert_eq!(
        has(&p, "typing-extensions", "4.12.2").purl,
        "pkg:pypi/typing-extensions@4.12.2"
    );
    has(&p, "urllib3", "2.2.3");
}

#[test]
fn pipfile_lock() {
    let p = parse(&PipfileLock, "python/Pipfile.lock", "srv/Pipfile.lock");
    clean(&p);
    assert_eq!(p.packages.len(), 24);
    assert_eq!(has(&p, "django", "2.2").purl, "pkg:pypi/django@2.2");
    has(&p, "pyyaml", "3.13");
    has(&p, "urllib3", "1.24.2");
    has(&p, "awscli", "1.16.147");
}

#[test]
fn pdm_lock_dedupes_extras() {
    // 58 [[package]] tables; rfc3986 1.5.0 appears twice (plain and with extras).
    let p = parse(&PdmLock, "python/pdm.lock", "pdm.lock");
    clean(&p);
    assert_eq!(p.packages.len(), 57);
    assert_eq!(p.packages.iter().filter(|x| x.name == "rfc3986").count(), 1);
    has(&p, "rfc3986", "1.5.0");
    has(&p, "pywin32", "304");
    assert_eq!(
        has(&p, "prompt-toolkit", "3.0.30").purl,
        "pkg:pypi/prompt-toolkit@3.0.30"
    );
}

// ------------------------------------------------------------------------------------------
// JavaScript

#[test]
fn package_lock_v1_v2_v3() {
    for (rel, name) in [
        ("npm/package-lock_v1.json", "package-lock.json"),
        ("npm/package-lock_v2.json", "package-lock.json"),
        ("npm/package-lock_v3.json", "npm-shrinkwrap.json"),
    ] {
        let p = parse(&NpmPackageLock, rel, &format!("web/{name}"));
        clean(&p);
        assert_eq!(p.packages.len(), 31, "{rel}");
        let b = has(&p, "@babel/helper-string-parser", "7.19.4");
        assert_eq!(b.purl, "pkg:npm/%40babel/helper-string-parser@7.19.4");
        assert_eq!(b.ecosystem, "npm");
        has(&p, "debug", "2.5.2");
        has(&p, "debug", "2.6.9");
        has(&p, "ms", "0.7.2");
        has(&p, "ms", "1.0.0");
        has(&p, "ms", "2.0.0");
        has(&p, "type-is", "1.6.18");
        lacks(&p, "node_v1");
    }
}

#[test]
fn pnpm_v5() {
    let p = parse(&PnpmLock, "npm/pnpm-lock_many.yaml", "pnpm-lock.yaml");
    clean(&p);
    assert_eq!(p.packages.len(), 134);
    // Key `/debug/4.3.4_supports-color@8.1.1`.
    assert_eq!(has(&p, "debug", "4.3.4").purl, "pkg:npm/debug@4.3.4");
    assert_eq!(
        has(&p, "@babel/runtime", "7.18.3").purl,
        "pkg:npm/%40babel/runtime@7.18.3"
    );
    has(&p, "ms", "2.1.2");
    has(&p, "ms", "2.1.3");
    has(&p, "yocto-queue", "0.1.0");
}

#[test]
fn pnpm_v9() {
    let p = parse(&PnpmLock, "npm/pnpm-lock_v9.yaml", "app/pnpm-lock.yaml");
    clean(&p);
    // 22 `packages` entries; `package1@file:package1` is a local directory without a version.
    assert_eq!(p.packages.len(), 21);
    lacks(&p, "package1");
    has(&p, "@babel/helper-string-parser", "7.24.1");
    // Tarball/URL keys take the entry's `version:`.
    has(&p, "asynckit", "0.4.0");
    has(&p, "debug", "4.3.5");
    has(&p, "is-negative", "2.0.1");
    has(&p, "lodash", "4.17.21");
    // `debug@4.3.4(supports-color@8.1.1)` in snapshots is the same as `debug@4.3.4`.
    has(&p, "debug", "4.3.4");
    assert_eq!(p.packages.iter().filter(|x| x.name == "debug").count(), 2);
    has(&p, "sleep-utils", "1.0.3");
}

#[test]
fn yarn_classic() {
    let p = parse(&YarnLock, "npm/yarn_v1.lock", "yarn.lock");
    clean(&p);
    // 11 entries, @types/qs and atob twice.
    assert_eq!(p.packages.len(), 9);
    assert_eq!(
        has(&p, "@babel/code-frame", "7.10.4").purl,
        "pkg:npm/%40babel/code-frame@7.10.4"
    );
    has(&p, "@types/minimatch", "3.0.3");
    has(&p, "@types/qs", "6.9.4");
    has(&p, "asn1.js", "4.10.1");
    has(&p, "c0n-fab_u.laTION", "7.7.7");
    has(&p, "aws-sdk", "2.706.0");
}

#[test]
fn yarn_berry() {
    let p = parse(&YarnLock, "npm/yarn_v2.lock", "frontend/yarn.lock");
    clean(&p);
    // 18 entries but `code@workspace:.` is the project.
    assert_eq!(p.packages.len(), 17);
    lacks(&p, "code");
    has(&p, "@types/color-name", "1.1.1");
    has(&p, "ansi-styles", "3.2.1");
    has(&p, "ansi-styles", "4.2.1");
    // A patched package is still that package.
    assert_eq!(has(&p, "fsevents", "2.1.3").purl, "pkg:npm/fsevents@2.1.3");
    has(&p, "node-gyp", "7.1.0");
    has(&p, "wrappy", "1.0.2");
}

// ------------------------------------------------------------------------------------------
// Rust, PHP, .NET, C/C++

#[test]
fn cargo_lock_v3() {
    let p = parse(&CargoLock, "rust/Cargo.lock", "Cargo.lock");
    clean(&p);
    // 9 packages; `app` has no source (the workspace member).
    assert_eq!(p.packages.len(), 8);
    lacks(&p, "app");
    let m = has(&p, "memchr", "1.0.2");
    assert_eq!(m.purl, "pkg:cargo/memchr@1.0.2");
    assert_eq!(m.ecosystem, "crates.io");
    has(&p, "memchr", "2.5.0");
    has(&p, "regex-syntax", "0.5.6");
    has(&p, "regex-syntax", "0.6.29");
    has(&p, "ucd-util", "0.1.10");
}

#[test]
fn composer_lock() {
    let p = parse(&ComposerLock, "php/composer.lock", "composer.lock");
    clean(&p);
    // 8 packages + 2 packages-dev.
    assert_eq!(p.packages.len(), 10);
    let g = has(&p, "guzzlehttp/guzzle", "6.5.8");
    assert_eq!(g.purl, "pkg:composer/guzzlehttp/guzzle@6.5.8");
    assert_eq!(g.ecosystem, "Packagist");
    assert_eq!(g.licenses, ["MIT"]);
    has(&p, "symfony/polyfill-php72", "v1.27.0");
    has(&p, "pear/log", "1.13.3");
    has(&p, "pear/pear_exception", "v1.0.2");
}

#[test]
fn composer_installed_v2() {
    let p = parse(
        &ComposerInstalled,
        "php/installed.json",
        "var/www/vendor/composer/installed.json",
    );
    clean(&p);
    assert_eq!(p.packages.len(), 2);
    assert_eq!(
        has(&p, "asm89/stack-cors", "1.3.0").purl,
        "pkg:composer/asm89/stack-cors@1.3.0"
    );
    has(&p, "behat/mink", "v1.8.1");
}

#[test]
fn nuget_packages_lock() {
    let p = parse(
        &NugetPackagesLock,
        "dotnet/packages.lock.json",
        "src/App/packages.lock.json",
    );
    clean(&p);
    // 72 entries over 5 frameworks, 40 distinct (name, resolved).
    assert_eq!(p.packages.len(), 40);
    has(&p, "NETStandard.Library", "1.6.1");
    has(&p, "NETStandard.Library", "2.0.3");
    let n = has(&p, "Newtonsoft.Json", "12.0.3");
    assert_eq!(n.purl, "pkg:nuget/Newtonsoft.Json@12.0.3");
    assert_eq!(n.ecosystem, "NuGet");
    has(&p, "AWSSDK.Core", "3.5.1.30");
    has(&p, "System.Runtime.CompilerServices.Unsafe", "4.5.2");
}

#[test]
fn deps_json() {
    let p = parse(
        &DotnetDepsJson,
        "dotnet/app.deps.json",
        "app/dotnetapp.deps.json",
    );
    clean(&p);
    // 53 libraries: 51 packages, 1 project, 1 runtimepack.
    assert_eq!(p.packages.len(), 51);
    lacks(&p, "dotnetapp");
    lacks(&p, "runtimepack.Microsoft.NETCore.App.Runtime.win-x64");
    has(&p, "Humanizer", "2.14.1");
    has(&p, "Humanizer.Core.zh-Hant", "2.14.1");
    assert_eq!(
        has(&p, "Newtonsoft.Json", "13.0.3").purl,
        "pkg:nuget/Newtonsoft.Json@13.0.3"
    );
}

#[test]
fn conan_lock_v1() {
    let p = parse(&ConanLock, "cpp/conan.lock", "conan.lock");
    clean(&p);
    assert_eq!(p.packages.len(), 2);
    let o = has(&p, "openssl", "3.0.3");
    assert_eq!(o.purl, "pkg:conan/openssl@3.0.3");
    assert_eq!(o.ecosystem, "ConanCenter");
    assert_eq!(has(&p, "zlib", "1.2.12").purl, "pkg:conan/zlib@1.2.12");
}

// ------------------------------------------------------------------------------------------
// Ruby

#[test]
fn gemfile_lock() {
    let p = parse(&GemfileLock, "ruby/Gemfile.lock", "app/Gemfile.lock");
    clean(&p);
    assert_eq!(p.packages.len(), 50);
    let a = has(&p, "actionmailer", "4.1.1");
    assert_eq!(a.purl, "pkg:gem/actionmailer@4.1.1");
    assert_eq!(a.ecosystem, "RubyGems");
    has(&p, "arel", "5.0.1.20140414130214");
    has(&p, "libv8", "3.16.14.3");
    has(&p, "unicorn", "4.8.3");
    // PATH, GIT and the unknown section are not GEM specs.
    lacks(&p, "google-cloud-errors");
    lacks(&p, "turbolinks");
    lacks(&p, "bad-entry");
    // Dependency lines (six spaces) are not specs.
    lacks(&p, "bundler");
}

#[test]
fn installed_gemspec() {
    let path = "usr/lib/ruby/gems/2.7.0/specifications/bundler-2.1.4.gemspec";
    let p = parse(&Gemspec, "ruby/bundler.gemspec", path);
    clean(&p);
    assert_eq!(p.packages.len(), 1);
    let b = has(&p, "bundler", "2.1.4");
    assert_eq!(b.purl, "pkg:gem/bundler@2.1.4");
    assert_eq!(b.licenses, ["MIT"]);
}

// ------------------------------------------------------------------------------------------
// Selection by path

#[test]
fn each_path_is_wanted_by_exactly_the_right_cataloger() {
    let cases = [
        ("x/Foo-1.0.dist-info/METADATA", Some("python-dist-info")),
        ("x/Foo-1.0.egg-info/PKG-INFO", Some("python-egg-info")),
        ("x/Foo-1.0.egg-info", Some("python-egg-info")),
        ("requirements.txt", Some("python-requirements")),
        ("poetry.lock", Some("poetry-lock")),
        ("Pipfile.lock", Some("pipfile-lock")),
        ("pdm.lock", Some("pdm-lock")),
        ("uv.lock", Some("uv-lock")),
        ("node_modules/a/package.json", Some("npm-package-json")),
        ("package-lock.json", Some("npm-package-lock")),
        ("node_modules/.package-lock.json", Some("npm-package-lock")),
        ("yarn.lock", Some("yarn-lock")),
        ("pnpm-lock.yaml", Some("pnpm-lock")),
        ("Cargo.lock", Some("cargo-lock")),
        ("go.mod", Some("go-mod")),
        ("gradle.lockfile", Some("gradle-lockfile")),
        ("pom.xml", Some("maven-pom")),
        ("Gemfile.lock", Some("gemfile-lock")),
        ("gems/specifications/a-1.gemspec", Some("gemspec")),
        ("composer.lock", Some("composer-lock")),
        ("vendor/composer/installed.json", Some("composer-installed")),
        ("packages.lock.json", Some("nuget-packages-lock")),
        ("bin/app.deps.json", Some("dotnet-deps-json")),
        ("conan.lock", Some("conan-lock")),
        ("package.json", None),
        ("src/METADATA", None),
        ("go.sum", None),
        ("a.gemspec", None),
        ("installed.json", None),
    ];
    let all = catalogers();
    assert_eq!(all.len(), 22);
    for (path, want) in cases {
        let f = FileInfo {
            path,
            size: 10,
            executable: false,
        };
        let got: Vec<&str> = all
            .iter()
            .filter(|c| c.wants(&f))
            .map(|c| c.name())
            .collect();
        assert_eq!(got, want.into_iter().collect::<Vec<_>>(), "{path}");
    }
}

#[test]
fn crlf_line_endings_read_the_same() {
    for (c, rel, path, count) in [
        (
            &YarnLock as &dyn Cataloger,
            "npm/yarn_v1.lock",
            "yarn.lock",
            9,
        ),
        (&GemfileLock, "ruby/Gemfile.lock", "Gemfile.lock", 50),
        (
            &Gemspec,
            "ruby/bundler.gemspec",
            "specifications/bundler-2.1.4.gemspec",
            1,
        ),
        (
            &PythonDistInfo,
            "python/dist-info-METADATA",
            "a.dist-info/METADATA",
            1,
        ),
        (&PnpmLock, "npm/pnpm-lock_many.yaml", "pnpm-lock.yaml", 134),
    ] {
        let text = std::fs::read_to_string(format!("{FIXTURES}/{rel}")).unwrap();
        let crlf = text.replace('\n', "\r\n");
        let f = FileInfo {
            path,
            size: crlf.len() as u64,
            executable: false,
        };
        let p = c.parse(&f, crlf.as_bytes());
        clean(&p);
        assert_eq!(p.packages.len(), count, "{rel}");
        assert!(
            p.packages
                .iter()
                .all(|x| !x.version.contains('\r') && !x.name.contains('\r')),
            "{rel}"
        );
    }
}
