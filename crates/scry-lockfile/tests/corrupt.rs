//! Truncated, garbage and mistyped input: diagnostics naming the file and the reason, never a
//! panic.

use scry_inventory::{Cataloger, FileInfo, Parsed};
use scry_lockfile::*;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/fixtures"
);

fn run(c: &dyn Cataloger, path: &str, bytes: &[u8]) -> Parsed {
    let f = FileInfo {
        path,
        size: bytes.len() as u64,
        executable: false,
    };
    assert!(c.wants(&f), "{} should want {path}", c.name());
    c.parse(&f, bytes)
}

/// (cataloger, fixture, path, what the reason must mention for garbage input)
fn structured() -> Vec<(Box<dyn Cataloger>, &'static str, &'static str, &'static str)> {
    vec![
        (
            Box::new(NpmPackageLock),
            "npm/package-lock_v2.json",
            "a/package-lock.json",
            "invalid JSON",
        ),
        (
            Box::new(NpmPackageLock),
            "npm/package-lock_v1.json",
            "a/package-lock.json",
            "invalid JSON",
        ),
        (
            Box::new(PnpmLock),
            "npm/pnpm-lock_many.yaml",
            "a/pnpm-lock.yaml",
            "invalid YAML",
        ),
        (
            Box::new(PnpmLock),
            "npm/pnpm-lock_v9.yaml",
            "a/pnpm-lock.yaml",
            "invalid YAML",
        ),
        (
            Box::new(YarnLock),
            "npm/yarn_v2.lock",
            "a/yarn.lock",
            "invalid YAML",
        ),
        (
            Box::new(ComposerLock),
            "php/composer.lock",
            "a/composer.lock",
            "invalid JSON",
        ),
        (
            Box::new(ComposerInstalled),
            "php/installed.json",
            "a/vendor/composer/installed.json",
            "invalid JSON",
        ),
        (
            Box::new(UvLock),
            "python/uv.lock",
            "a/uv.lock",
            "invalid TOML",
        ),
        (
            Box::new(PoetryLock),
            "python/poetry.lock",
            "a/poetry.lock",
            "invalid TOML",
        ),
        (
            Box::new(PipfileLock),
            "python/Pipfile.lock",
            "a/Pipfile.lock",
            "invalid JSON",
        ),
        (
            Box::new(PdmLock),
            "python/pdm.lock",
            "a/pdm.lock",
            "invalid TOML",
        ),
        (
            Box::new(NugetPackagesLock),
            "dotnet/packages.lock.json",
            "a/packages.lock.json",
            "invalid JSON",
        ),
        (
            Box::new(DotnetDepsJson),
            "dotnet/app.deps.json",
            "a/x.deps.json",
            "invalid JSON",
        ),
        (
            Box::new(ConanLock),
            "cpp/conan.lock",
            "a/conan.lock",
            "invalid JSON",
        ),
        (
            Box::new(CargoLock),
            "rust/Cargo.lock",
            "a/Cargo.lock",
            "invalid TOML",
        ),
    ]
}

#[test]
fn truncated_structured_files_give_a_diagnostic() {
    for (c, rel, path, reason) in structured() {
        let bytes = std::fs::read(format!("{FIXTURES}/{rel}")).unwrap();
        // Cut inside a quoted string, so that the rest cannot be a complete document.
        let cut = &bytes[..bytes.len() * 2 / 3];
        let Some(i) = cut.iter().rposition(|&b| b == b'"') else {
            // Unquoted YAML: cut inside a `{...}` flow mapping instead.
            let j = cut.iter().rposition(|&b| b == b'{').unwrap();
            check_truncated(c.as_ref(), rel, path, reason, &cut[..=j]);
            continue;
        };
        let line_start = cut[..i]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |j| j + 1);
        let quotes_before = cut[line_start..i].iter().filter(|&&b| b == b'"').count();
        // An opening quote is kept, a closing one dropped: either way the string is open.
        let cut = if quotes_before % 2 == 0 {
            &cut[..=i]
        } else {
            &cut[..i]
        };
        check_truncated(c.as_ref(), rel, path, reason, cut);
    }
}

fn check_truncated(c: &dyn Cataloger, rel: &str, path: &str, reason: &str, cut: &[u8]) {
    {
        let p = run(c, path, cut);
        assert!(
            !p.diagnostics.is_empty(),
            "{}: truncated {rel} gave no diagnostic",
            c.name()
        );
        let d = &p.diagnostics[0];
        assert_eq!(d.location, path);
        assert!(
            d.reason.contains(reason),
            "{}: {:?} should mention {reason}",
            c.name(),
            d.reason
        );
    }
}

#[test]
fn garbage_gives_a_diagnostic() {
    for (c, rel, path, reason) in structured() {
        for garbage in [
            &b"{{{ not [[ valid :: \x00\xff"[..],
            b"\"unterminated",
            b"[[[[[[[[",
        ] {
            let p = run(c.as_ref(), path, garbage);
            assert!(p.packages.is_empty(), "{} {rel}", c.name());
            assert_eq!(p.diagnostics.len(), 1, "{}: {:?}", c.name(), p.diagnostics);
            assert_eq!(p.diagnostics[0].location, path);
            let r = &p.diagnostics[0].reason;
            // Either a syntax error, or (garbage that happens to parse) a shape complaint;
            // invalid UTF-8 is reported as such by the TOML/YAML readers.
            assert!(
                r.contains(reason)
                    || r.contains("not valid UTF-8")
                    || r.contains("expected")
                    || r.contains("not")
                    || r.contains("no "),
                "{}: {r:?}",
                c.name()
            );
        }
    }
}

#[test]
fn wrong_shapes_are_reported_not_panicked_on() {
    let cases: Vec<(Box<dyn Cataloger>, &str, &str, &str)> = vec![
        (
            Box::new(NpmPackageLock),
            "package-lock.json",
            r#"{"packages":[1,2]}"#,
            "`packages` is an array",
        ),
        (
            Box::new(NpmPackageLock),
            "package-lock.json",
            "[]",
            "top level is an array",
        ),
        (
            Box::new(NpmPackageLock),
            "package-lock.json",
            r#"{"dependencies":{"a":{"version":7}}}"#,
            "no version",
        ),
        (
            Box::new(PipfileLock),
            "Pipfile.lock",
            r#"{"default":{"a":{"version":1}}}"#,
            "not a string",
        ),
        (
            Box::new(ComposerLock),
            "composer.lock",
            r#"{"packages":{"a":1}}"#,
            "not an array",
        ),
        (
            Box::new(ComposerInstalled),
            "vendor/composer/installed.json",
            "42",
            "top level is a number",
        ),
        (
            Box::new(NugetPackagesLock),
            "packages.lock.json",
            r#"{"version":1}"#,
            "no `dependencies`",
        ),
        (
            Box::new(DotnetDepsJson),
            "a.deps.json",
            r#"{"libraries":[]}"#,
            "no `libraries`",
        ),
        (
            Box::new(ConanLock),
            "conan.lock",
            r#"{"graph_lock":{"nodes":[]}}"#,
            "no `nodes`",
        ),
        (
            Box::new(ConanLock),
            "conan.lock",
            r#"{"requires":"zlib/1.0"}"#,
            "not an array",
        ),
        (
            Box::new(CargoLock),
            "Cargo.lock",
            "package = 3",
            "not an array",
        ),
        (
            Box::new(UvLock),
            "uv.lock",
            "[[package]]\nname = 1\n",
            "no name",
        ),
        (
            Box::new(PnpmLock),
            "pnpm-lock.yaml",
            "- a\n- b\n",
            "not a mapping",
        ),
        (
            Box::new(PnpmLock),
            "pnpm-lock.yaml",
            "packages:\n  /x:\n    dev: true\n",
            "not name@version",
        ),
        (
            Box::new(YarnLock),
            "yarn.lock",
            "__metadata:\n  version: 6\n\"a@npm:1\":\n  resolution: \"a@npm:1.0.0\"\n",
            "has no version",
        ),
        (
            Box::new(NpmPackageJson),
            "node_modules/a/package.json",
            r#"{"name":"a","version":{}}"#,
            "no string",
        ),
        (
            Box::new(PythonDistInfo),
            "a.dist-info/METADATA",
            "\u{0}\u{1}garbage",
            "header line",
        ),
    ];
    for (c, path, text, reason) in cases {
        let p = run(c.as_ref(), path, text.as_bytes());
        assert!(p.packages.is_empty(), "{}: {:?}", c.name(), p.packages);
        assert!(
            p.diagnostics.iter().any(|d| d.reason.contains(reason)),
            "{} on {text:?}: {:?} should mention {reason:?}",
            c.name(),
            p.diagnostics
        );
        assert!(p.diagnostics.iter().all(|d| d.location == path));
    }
}

#[test]
fn yaml_alias_bomb_is_refused() {
    let mut s = String::from("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
    for i in 1..12 {
        let prev = (b'a' + (i - 1) as u8) as char;
        let cur = (b'a' + i as u8) as char;
        s.push_str(&format!(
            "{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
    }
    let p = run(&PnpmLock, "pnpm-lock.yaml", s.as_bytes());
    assert!(p.packages.is_empty());
    assert!(
        p.diagnostics[0].reason.contains("invalid YAML"),
        "{:?}",
        p.diagnostics
    );
    let berry = format!("__metadata:\n  version: 6\n{s}");
    let p = run(&YarnLock, "yarn.lock", berry.as_bytes());
    assert!(
        p.diagnostics[0].reason.contains("invalid YAML"),
        "{:?}",
        p.diagnostics
    );
}

#[test]
fn many_bad_entries_give_bounded_diagnostics() {
    let mut text = String::from("GEM\n  specs:\n");
    for _ in 0..10_000 {
        text.push_str("    broken\n");
    }
    let p = run(&GemfileLock, "Gemfile.lock", text.as_bytes());
    assert_eq!(p.diagnostics.len(), 51);
    assert!(p.diagnostics[50].reason.contains("9950 further problems"));
}

/// Every fixture, cut at many points and with bytes flipped, through every cataloger of this
/// crate: nothing may panic.
#[test]
fn no_panics_on_mangled_fixtures() {
    let fixtures = [
        ("npm/package-lock_v1.json", "package-lock.json"),
        ("npm/package-lock_v3.json", "package-lock.json"),
        ("npm/pnpm-lock_many.yaml", "pnpm-lock.yaml"),
        ("npm/pnpm-lock_v9.yaml", "pnpm-lock.yaml"),
        ("npm/yarn_v1.lock", "yarn.lock"),
        ("npm/yarn_v2.lock", "yarn.lock"),
        ("php/composer.lock", "composer.lock"),
        ("php/installed.json", "vendor/composer/installed.json"),
        ("python/uv.lock", "uv.lock"),
        ("python/poetry.lock", "poetry.lock"),
        ("python/Pipfile.lock", "Pipfile.lock"),
        ("python/dist-info-METADATA", "a.dist-info/METADATA"),
        ("dotnet/packages.lock.json", "packages.lock.json"),
        ("dotnet/app.deps.json", "a.deps.json"),
        ("cpp/conan.lock", "conan.lock"),
        ("rust/Cargo.lock", "Cargo.lock"),
        ("ruby/Gemfile.lock", "Gemfile.lock"),
        ("ruby/bundler.gemspec", "specifications/b.gemspec"),
    ];
    let all = catalogers();
    let mut seed: u32 = 12345;
    for (rel, path) in fixtures {
        let bytes = std::fs::read(format!("{FIXTURES}/{rel}")).unwrap();
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for k in 1..24 {
            variants.push(bytes[..bytes.len() * k / 24].to_vec());
        }
        for _ in 0..8 {
            let mut v = bytes.clone();
            for _ in 0..16 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let i = (seed as usize >> 4) % v.len();
                v[i] = (seed >> 20) as u8;
            }
            variants.push(v);
        }
        for v in &variants {
            // The matching cataloger, and all the others too (wants is not consulted here).
            for c in &all {
                let f = FileInfo {
                    path,
                    size: v.len() as u64,
                    executable: false,
                };
                let _ = c.parse(&f, v);
            }
        }
    }
}

/// A truncated TOML or YAML lockfile still yields its complete entries before the cut.
#[test]
fn truncated_lockfiles_keep_complete_entries() {
    let uv = std::fs::read_to_string(format!("{FIXTURES}/python/uv.lock")).unwrap();
    let cut = uv.find("[[package]]\nname = \"idna\"").unwrap() + 17;
    let p = run(&UvLock, "uv.lock", &uv.as_bytes()[..cut]);
    // anyio, certifi, charset-normalizer, colorama, exceptiongroup, h11, httpcore, httpx
    assert_eq!(p.packages.len(), 8, "{:?}", p.diagnostics);
    assert!(p
        .packages
        .iter()
        .any(|x| x.name == "httpx" && x.version == "0.28.1"));
    assert_eq!(p.diagnostics.len(), 1);
    assert!(p.diagnostics[0].reason.contains("invalid TOML at line"));

    let pnpm = std::fs::read_to_string(format!("{FIXTURES}/npm/pnpm-lock_v9.yaml")).unwrap();
    let cut = pnpm.find("resolution: {integrity: sha512-JVz").unwrap() + 30;
    let p = run(&PnpmLock, "pnpm-lock.yaml", &pnpm.as_bytes()[..cut]);
    // The 11 `packages` entries before `jquery@3.6.0`.
    assert_eq!(p.packages.len(), 11, "{:?}", p.diagnostics);
    assert!(p
        .packages
        .iter()
        .any(|x| x.name == "is-negative" && x.version == "2.0.1"));
    assert!(!p.packages.iter().any(|x| x.name == "jquery"));
    assert_eq!(p.diagnostics.len(), 1);
    assert!(p.diagnostics[0].reason.contains("invalid YAML"));
}
