//! PHP: Composer. Ecosystem `Packagist`; purl `pkg:composer/<vendor>/<name>@<version>`; the
//! version as Composer writes it (`v1.27.0` keeps its `v`). Licenses from `license`.
//!
//! - `composer-lock`: `composer.lock`, the `packages` and `packages-dev` arrays.
//! - `composer-installed`: `vendor/composer/installed.json`, Composer 1 (a top-level array)
//!   and Composer 2 (`{"packages": [...]}`), development packages included.

use scry_inventory::purl::Purl;
use scry_inventory::{FileInfo, Parsed};
use serde_json::Value;

use crate::common::{cataloger, file_name, jkind, json, jstr, Collector};

const ECO: &str = "Packagist";

/// The composer purl: `vendor/name` splits into namespace and name.
pub fn purl(name: &str, version: &str) -> String {
    let (ns, n) = match name.split_once('/') {
        Some((ns, n)) => (Some(ns), n),
        None => (None, name),
    };
    Purl::new("composer", ns, n, Some(version)).to_string()
}

fn packages(c: &mut Collector<'_>, section: &str, list: &Value) {
    let Some(list) = list.as_array() else {
        c.diag(format_args!("`{section}` is {}, not an array", jkind(list)));
        return;
    };
    for (i, p) in list.iter().enumerate() {
        let (Some(name), Some(version)) = (jstr(p, "name"), jstr(p, "version")) else {
            c.diag(format_args!(
                "`{section}[{i}]` has no string name or version"
            ));
            continue;
        };
        let licenses: Vec<String> = match p.get("license") {
            Some(Value::Array(ls)) => ls
                .iter()
                .filter_map(Value::as_str)
                .filter(|l| !l.trim().is_empty())
                .take(16)
                .map(str::to_string)
                .collect(),
            Some(Value::String(l)) if !l.trim().is_empty() => vec![l.clone()],
            _ => Vec::new(),
        };
        if let Some(pkg) = c.add(name, version, purl(name.trim(), version.trim())) {
            pkg.licenses = licenses;
        }
    }
}

fn wants_lock(path: &str) -> bool {
    file_name(path) == "composer.lock"
}

fn parse_lock(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "composer.lock", "composer-lock", ECO);
    let Some(doc) = json(&mut c, bytes) else {
        return c.finish();
    };
    if !doc.is_object() {
        c.diag(format_args!("top level is {}, not an object", jkind(&doc)));
        return c.finish();
    }
    for section in ["packages", "packages-dev"] {
        match doc.get(section) {
            None | Some(Value::Null) => {}
            Some(list) => packages(&mut c, section, list),
        }
    }
    c.finish()
}

cataloger!(
    /// `composer-lock`: `composer.lock`.
    ComposerLock,
    "composer-lock",
    wants_lock,
    parse_lock
);

fn wants_installed(path: &str) -> bool {
    path == "vendor/composer/installed.json" || path.ends_with("/vendor/composer/installed.json")
}

fn parse_installed(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "installed.json", "composer-installed", ECO);
    let Some(doc) = json(&mut c, bytes) else {
        return c.finish();
    };
    match &doc {
        Value::Array(_) => packages(&mut c, "(top level)", &doc),
        Value::Object(o) => match o.get("packages") {
            Some(list) => packages(&mut c, "packages", list),
            None => c.diag("no `packages` array"),
        },
        other => c.diag(format_args!(
            "top level is {}, not an object or array",
            jkind(other)
        )),
    }
    c.finish()
}

cataloger!(
    /// `composer-installed`: `vendor/composer/installed.json` (Composer 1 and 2).
    ComposerInstalled,
    "composer-installed",
    wants_installed,
    parse_installed
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::testutil::{pairs, run};

    #[test]
    fn installed_v1_array() {
        let text =
            r#"[{"name":"monolog/monolog","version":"1.25.1","license":["MIT"]},{"name":42}]"#;
        let p = run(
            &ComposerInstalled,
            "app/vendor/composer/installed.json",
            text,
        );
        assert_eq!(pairs(&p), [("monolog/monolog".into(), "1.25.1".into())]);
        assert_eq!(p.packages[0].purl, "pkg:composer/monolog/monolog@1.25.1");
        assert_eq!(p.packages[0].licenses, ["MIT"]);
        assert_eq!(p.diagnostics.len(), 1);
        assert!(p.diagnostics[0].reason.contains("[1]"));
    }
}
