//! Rust: `Cargo.lock` (`cargo-lock`), lockfile versions 1 to 4 (all list `[[package]]` tables
//! with `name`, `version` and, for anything not in the workspace, `source`). Ecosystem
//! `crates.io`; purl `pkg:cargo/<name>@<version>`.
//!
//! Only packages from a registry (`source` starting with `registry+` or `sparse+`) are
//! reported: packages without `source` are the workspace's own members or path dependencies,
//! and `git+` sources are not crates.io releases, so crates.io advisories do not apply to
//! them as such.

use scry_inventory::purl::Purl;
use scry_inventory::{FileInfo, Parsed};

use crate::common::{cataloger, file_name, toml_table, tstr, Collector};

fn wants(path: &str) -> bool {
    file_name(path) == "Cargo.lock"
}

fn parse(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "Cargo.lock", "cargo-lock", "crates.io");
    let Some(doc) = toml_table(&mut c, bytes) else {
        return c.finish();
    };
    match doc.get("package") {
        None => {}
        Some(toml::Value::Array(pkgs)) => {
            for (i, p) in pkgs.iter().enumerate() {
                let (Some(name), Some(version)) = (tstr(p, "name"), tstr(p, "version")) else {
                    c.diag(format_args!("package #{} has no name or no version", i + 1));
                    continue;
                };
                let from_registry = tstr(p, "source")
                    .is_some_and(|s| s.starts_with("registry+") || s.starts_with("sparse+"));
                if from_registry {
                    let purl = Purl::new("cargo", None, name, Some(version)).to_string();
                    c.add(name, version, purl);
                }
            }
        }
        Some(_) => c.diag("`package` is not an array of tables"),
    }
    c.finish()
}

cataloger!(
    /// `cargo-lock`: registry packages of `Cargo.lock`.
    CargoLock,
    "cargo-lock",
    wants,
    parse
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::testutil::{pairs, run};

    #[test]
    fn v4_sparse_git_and_path() {
        let text = r#"
version = 4
[[package]]
name = "mine"
version = "0.1.0"
[[package]]
name = "serde"
version = "1.0.200"
source = "sparse+https://index.crates.io/"
[[package]]
name = "forked"
version = "0.2.0"
source = "git+https://github.com/a/forked#0123"
[[package]]
name = "broken"
"#;
        let p = run(&CargoLock, "Cargo.lock", text);
        assert_eq!(pairs(&p), [("serde".into(), "1.0.200".into())]);
        assert_eq!(p.packages[0].purl, "pkg:cargo/serde@1.0.200");
        assert_eq!(p.diagnostics.len(), 1);
        assert!(p.diagnostics[0].reason.contains("package #4"));
    }
}
