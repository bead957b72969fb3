//! .NET: NuGet lockfiles and `.deps.json`. Ecosystem `NuGet`; purl `pkg:nuget/<Name>@<version>`
//! (the name as written; NuGet names are case-insensitive and the matcher lowercases).
//!
//! - `nuget-packages-lock`: `packages.lock.json`. Every target framework under `dependencies`;
//!   each entry's `resolved` version; `Project` entries (project references) are skipped. The
//!   same package in several frameworks is reported once.
//! - `dotnet-deps-json`: `*.deps.json`. `libraries` entries of `type: package`, keyed
//!   `Name/Version`; `project` and `runtimepack` (and other types) are skipped.

use scry_inventory::purl::Purl;
use scry_inventory::{FileInfo, Parsed};
use serde_json::Value;

use crate::common::{cataloger, clip, file_name, jkind, json, jstr, Collector};

const ECO: &str = "NuGet";

/// The NuGet purl.
pub fn purl(name: &str, version: &str) -> String {
    Purl::new("nuget", None, name, Some(version)).to_string()
}

fn wants_lock(path: &str) -> bool {
    file_name(path) == "packages.lock.json"
}

fn parse_lock(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "packages.lock.json", "nuget-packages-lock", ECO);
    let Some(doc) = json(&mut c, bytes) else {
        return c.finish();
    };
    let Some(frameworks) = doc.get("dependencies").and_then(Value::as_object) else {
        c.diag("no `dependencies` object");
        return c.finish();
    };
    for (fw, deps) in frameworks {
        let Some(deps) = deps.as_object() else {
            c.diag(format_args!(
                "`dependencies[{:?}]` is {}, not an object",
                clip(fw),
                jkind(deps)
            ));
            continue;
        };
        for (name, entry) in deps {
            if jstr(entry, "type").is_some_and(|t| t.eq_ignore_ascii_case("project")) {
                continue;
            }
            match jstr(entry, "resolved") {
                Some(v) => {
                    c.add(name, v, purl(name.trim(), v.trim()));
                }
                None => c.diag(format_args!(
                    "{:?} ({}) has no resolved version",
                    clip(name),
                    clip(fw)
                )),
            }
        }
    }
    c.finish()
}

cataloger!(
    /// `nuget-packages-lock`: `packages.lock.json`.
    NugetPackagesLock,
    "nuget-packages-lock",
    wants_lock,
    parse_lock
);

fn wants_deps(path: &str) -> bool {
    let n = file_name(path);
    n.len() > ".deps.json".len() && n.ends_with(".deps.json")
}

fn parse_deps(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "deps.json", "dotnet-deps-json", ECO);
    let Some(doc) = json(&mut c, bytes) else {
        return c.finish();
    };
    let Some(libs) = doc.get("libraries").and_then(Value::as_object) else {
        c.diag("no `libraries` object");
        return c.finish();
    };
    for (key, lib) in libs {
        if jstr(lib, "type") != Some("package") {
            continue;
        }
        match key.rsplit_once('/') {
            Some((name, version)) if !name.is_empty() && !version.is_empty() => {
                c.add(name, version, purl(name.trim(), version.trim()));
            }
            _ => c.diag(format_args!(
                "library key {:?} is not Name/Version",
                clip(key)
            )),
        }
    }
    c.finish()
}

cataloger!(
    /// `dotnet-deps-json`: the package libraries of `*.deps.json`.
    DotnetDepsJson,
    "dotnet-deps-json",
    wants_deps,
    parse_deps
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::testutil::{pairs, run};

    #[test]
    fn lock_skips_projects() {
        let text = r#"{"version":1,"dependencies":{"net8.0":{
            "Lib":{"type":"Project"},
            "Serilog":{"type":"Direct","requested":"[3.0.0, )","resolved":"3.0.1"},
            "Odd":{"type":"Transitive"}},
            "net6.0":{"Serilog":{"type":"Direct","resolved":"3.0.1"}}}}"#;
        let p = run(&NugetPackagesLock, "src/packages.lock.json", text);
        assert_eq!(pairs(&p), [("Serilog".into(), "3.0.1".into())]);
        assert_eq!(p.packages[0].purl, "pkg:nuget/Serilog@3.0.1");
        assert_eq!(p.diagnostics.len(), 1);
        assert!(p.diagnostics[0].reason.contains("Odd"));
    }

    #[test]
    fn deps_key_without_version() {
        let text = r#"{"libraries":{"NoVersion":{"type":"package"},"A/1.0":{"type":"package"}}}"#;
        let p = run(&DotnetDepsJson, "app/app.deps.json", text);
        assert_eq!(pairs(&p), [("A".into(), "1.0".into())]);
        assert!(p.diagnostics[0].reason.contains("NoVersion"));
        assert!(!wants_deps(".deps.json"));
    }
}
