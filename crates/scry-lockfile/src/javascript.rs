//! JavaScript: installed `package.json` files and npm, Yarn and pnpm lockfiles. Ecosystem
//! `npm`; purl `pkg:npm/<%40scope>/<name>@<version>`.
//!
//! A version is only reported when it looks like a registry version (it starts with a digit
//! and holds no `:` or `/`); dependencies resolved from git, tarball URLs, local directories
//! or links have no such version and are left out silently.
//!
//! - `npm-package-json`: `…/node_modules/<name>/package.json` and
//!   `…/node_modules/@scope/<name>/package.json` only (a package's own manifest, not
//!   `package.json` files deeper inside it, not the project's own). `private: true` packages
//!   and workspace roots (`workspaces` present) are skipped. Licenses from `license`
//!   (string or `{type}`) or the legacy `licenses` array.
//! - `npm-package-lock`: `package-lock.json`, `npm-shrinkwrap.json` and the hidden
//!   `node_modules/.package-lock.json`. Lockfile v2/v3: the `packages` map, keyed by install
//!   path; the name is the entry's `name` or the part after the last `node_modules/`; the root
//!   `""` entry, `link: true` entries and paths outside `node_modules/` (workspace member
//!   sources) are skipped. v1: the nested `dependencies` tree (depth bounded); `npm:` aliases
//!   (`"version": "npm:real@1.2.3"`) give the real name.
//! - `yarn-lock`: `yarn.lock`. Classic v1 (its own indented format): each entry's first
//!   descriptor gives the name (the part before the `@` that follows the first character;
//!   `alias@npm:real@range` gives `real`), and the indented `version` line the version.
//!   Berry (v2+, YAML, recognised by `__metadata`): the name from `resolution` (else the
//!   entry key) and the version from `version:`; `workspace:`, `link:` and `portal:`
//!   resolutions are skipped.
//! - `pnpm-lock`: `pnpm-lock.yaml`. Keys of `packages` in every lockfile generation:
//!   v5 `/name/1.0.0` and `/@scope/name/1.0.0_peer@2.0.0`, v6 `/name@1.0.0(peer@2.0.0)`,
//!   v9 `name@1.0.0`; peer suffixes (`_…`, `(…)`) are stripped. An entry's own `name` and
//!   `version` fields win over the key (tarball and git dependencies). v9 `snapshots` entries
//!   not already under `packages` are read too.

use scry_inventory::purl::Purl;
use scry_inventory::{FileInfo, Parsed};
use serde_json::Value;

use crate::common::{
    cataloger, clip, file_name, jkind, json, jstr, lossy, yaml, yscalar, Collector,
};

const ECO: &str = "npm";

/// Deepest `dependencies` nesting read from a v1 lockfile.
const MAX_V1_DEPTH: usize = 32;

/// The npm purl: a scoped name's scope is the namespace.
pub fn purl(name: &str, version: &str) -> String {
    let (ns, n) = match name.strip_prefix('@').and_then(|_| name.split_once('/')) {
        Some((scope, n)) => (Some(scope), n),
        None => (None, name),
    };
    Purl::new("npm", ns, n, Some(version)).to_string()
}

/// Whether a version is a plain registry version rather than a URL, path or protocol.
fn is_registry_version(v: &str) -> bool {
    v.starts_with(|ch: char| ch.is_ascii_digit()) && !v.contains([':', '/', ' '])
}

fn add(c: &mut Collector<'_>, name: &str, version: &str) -> bool {
    let version = version.trim();
    let version = version.strip_prefix('v').unwrap_or(version);
    if name.trim().is_empty() || !is_registry_version(version) {
        return false;
    }
    c.add(name, version, purl(name, version));
    true
}

// ---------------------------------------------------------------------------------------------
// node_modules/**/package.json

fn wants_package_json(path: &str) -> bool {
    let Some(i) = path.rfind("node_modules/") else {
        return false;
    };
    if i > 0 && !path[..i].ends_with('/') {
        return false;
    }
    let rest = &path[i + "node_modules/".len()..];
    let Some(dir) = rest.strip_suffix("/package.json") else {
        return false;
    };
    let segs: Vec<&str> = dir.split('/').collect();
    match segs.as_slice() {
        [name] => !name.is_empty() && !name.starts_with(['@', '.']),
        [scope, name] => scope.len() > 1 && scope.starts_with('@') && !name.is_empty(),
        _ => false,
    }
}

fn parse_package_json(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "package.json", "npm-package-json", ECO);
    let Some(doc) = json(&mut c, bytes) else {
        return c.finish();
    };
    if !doc.is_object() {
        c.diag(format_args!("top level is {}, not an object", jkind(&doc)));
        return c.finish();
    }
    if doc.get("private").and_then(Value::as_bool) == Some(true) || doc.get("workspaces").is_some()
    {
        return c.finish();
    }
    let (Some(name), Some(version)) = (jstr(&doc, "name"), jstr(&doc, "version")) else {
        c.diag("no string `name` or `version`");
        return c.finish();
    };
    let mut licenses = Vec::new();
    match doc.get("license") {
        Some(Value::String(s)) => licenses.push(s.clone()),
        Some(Value::Object(o)) => {
            if let Some(Value::String(s)) = o.get("type") {
                licenses.push(s.clone());
            }
        }
        _ => {}
    }
    if let Some(Value::Array(ls)) = doc.get("licenses") {
        for l in ls.iter().take(16) {
            match l {
                Value::String(s) => licenses.push(s.clone()),
                Value::Object(o) => {
                    if let Some(Value::String(s)) = o.get("type") {
                        licenses.push(s.clone());
                    }
                }
                _ => {}
            }
        }
    }
    let v = version.trim();
    if !is_registry_version(v.strip_prefix('v').unwrap_or(v)) {
        c.diag(format_args!(
            "version {:?} is not a release version",
            clip(v)
        ));
        return c.finish();
    }
    let v = v.strip_prefix('v').unwrap_or(v);
    if let Some(p) = c.add(name, v, purl(name.trim(), v)) {
        licenses.retain(|l| !l.trim().is_empty());
        p.licenses = licenses;
    }
    c.finish()
}

cataloger!(
    /// `npm-package-json`: the manifests of installed packages under `node_modules/`.
    NpmPackageJson,
    "npm-package-json",
    wants_package_json,
    parse_package_json
);

// ---------------------------------------------------------------------------------------------
// package-lock.json / npm-shrinkwrap.json

fn wants_package_lock(path: &str) -> bool {
    match file_name(path) {
        "package-lock.json" | "npm-shrinkwrap.json" => true,
        ".package-lock.json" => {
            path == "node_modules/.package-lock.json"
                || path.ends_with("/node_modules/.package-lock.json")
        }
        _ => false,
    }
}

fn parse_package_lock(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "npm lockfile", "npm-package-lock", ECO);
    let Some(doc) = json(&mut c, bytes) else {
        return c.finish();
    };
    if !doc.is_object() {
        c.diag(format_args!("top level is {}, not an object", jkind(&doc)));
        return c.finish();
    }
    if let Some(pkgs) = doc.get("packages") {
        lock_packages(&mut c, pkgs);
    } else if let Some(deps) = doc.get("dependencies") {
        lock_v1(&mut c, deps);
    }
    c.finish()
}

/// v2/v3 `packages`, keyed by install path.
fn lock_packages(c: &mut Collector<'_>, pkgs: &Value) {
    let Some(pkgs) = pkgs.as_object() else {
        c.diag(format_args!("`packages` is {}, not an object", jkind(pkgs)));
        return;
    };
    for (path, entry) in pkgs {
        let Some(i) = path.rfind("node_modules/") else {
            continue; // "" (the project) or a workspace member's source directory
        };
        if !entry.is_object() {
            c.diag(format_args!(
                "`packages[{:?}]` is {}, not an object",
                clip(path),
                jkind(entry)
            ));
            continue;
        }
        if entry.get("link").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let name = jstr(entry, "name").unwrap_or(&path[i + "node_modules/".len()..]);
        match jstr(entry, "version") {
            Some(v) => {
                add(c, name, v);
            }
            None => c.diag(format_args!("`packages[{:?}]` has no version", clip(path))),
        }
    }
}

/// v1 nested `dependencies`, walked with an explicit stack.
fn lock_v1(c: &mut Collector<'_>, deps: &Value) {
    let mut stack: Vec<(&Value, usize)> = vec![(deps, 0)];
    let mut too_deep = false;
    while let Some((deps, depth)) = stack.pop() {
        let Some(deps) = deps.as_object() else {
            c.diag(format_args!(
                "`dependencies` is {}, not an object",
                jkind(deps)
            ));
            continue;
        };
        // Push in reverse so that the output follows the file's (sorted) order.
        let mut nested = Vec::new();
        for (name, entry) in deps {
            match jstr(entry, "version") {
                Some(v) => match v.strip_prefix("npm:") {
                    Some(alias) => {
                        if let Some((real, ver)) = split_descriptor(alias) {
                            add(c, real, ver);
                        }
                    }
                    None => {
                        add(c, name, v);
                    }
                },
                None => c.diag(format_args!("dependency {:?} has no version", clip(name))),
            }
            if let Some(sub) = entry.get("dependencies") {
                if depth + 1 >= MAX_V1_DEPTH {
                    too_deep = true;
                } else {
                    nested.push((sub, depth + 1));
                }
            }
        }
        stack.extend(nested.into_iter().rev());
    }
    if too_deep {
        c.diag(format_args!(
            "`dependencies` nested deeper than {MAX_V1_DEPTH} levels; the deeper ones were not read"
        ));
    }
}

/// `name@rest` (the name may be scoped: the separating `@` is not the first character).
fn split_descriptor(s: &str) -> Option<(&str, &str)> {
    let i = s.get(1..)?.find('@')? + 1;
    Some((&s[..i], &s[i + 1..]))
}

cataloger!(
    /// `npm-package-lock`: `package-lock.json`, `npm-shrinkwrap.json`,
    /// `node_modules/.package-lock.json` (v1 to v3).
    NpmPackageLock,
    "npm-package-lock",
    wants_package_lock,
    parse_package_lock
);

// ---------------------------------------------------------------------------------------------
// yarn.lock

fn wants_yarn(path: &str) -> bool {
    file_name(path) == "yarn.lock"
}

fn parse_yarn(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "yarn.lock", "yarn-lock", ECO);
    let text = lossy(bytes);
    let berry = text
        .lines()
        .any(|l| l.starts_with("__metadata:") || l.starts_with("\"__metadata\":"));
    if berry {
        yarn_berry(&mut c, bytes);
    } else {
        yarn_classic(&mut c, &text);
    }
    c.finish()
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// The package name and range of one descriptor (`name@range`, `alias@npm:real@range`).
fn yarn_descriptor(desc: &str) -> Option<(&str, &str)> {
    let (name, range) = split_descriptor(unquote(desc))?;
    match range.strip_prefix("npm:") {
        Some(alias) if alias.get(1..).is_some_and(|a| a.contains('@')) => split_descriptor(alias),
        _ => Some((name, range)),
    }
}

fn yarn_classic(c: &mut Collector<'_>, text: &str) {
    // The entry being read: (line number, name, range, version found).
    let mut current: Option<(usize, String, bool)> = None;
    let finish = |c: &mut Collector<'_>, cur: Option<(usize, String, bool)>| {
        if let Some((line, name, false)) = cur {
            c.diag(format_args!(
                "entry {:?} at line {line} has no version",
                clip(&name)
            ));
        }
    };
    for (no, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            finish(c, current.take());
            let Some(key) = line.trim_end().strip_suffix(':') else {
                c.diag(format_args!(
                    "line {}: expected an entry header ending in ':': {:?}",
                    no + 1,
                    clip(line)
                ));
                continue;
            };
            let first = key.split(", ").next().unwrap_or(key);
            match yarn_descriptor(first) {
                Some((name, range)) => {
                    // Local and linked packages have no registry version.
                    let local = ["file:", "link:", "portal:", "workspace:"]
                        .iter()
                        .any(|p| range.starts_with(p));
                    current = Some((no + 1, name.to_string(), local));
                }
                None => c.diag(format_args!(
                    "line {}: entry {:?} is not name@range",
                    no + 1,
                    clip(first)
                )),
            }
            continue;
        }
        let Some((_, name, done)) = current.as_mut() else {
            continue;
        };
        let field = line.trim_start();
        let indent = line.len() - field.len();
        if indent != 2 || *done {
            continue;
        }
        if let Some(v) = field.strip_prefix("version ") {
            *done = true;
            let name = name.clone();
            add(c, &name, unquote(v));
        }
    }
    finish(c, current.take());
}

fn yarn_berry(c: &mut Collector<'_>, bytes: &[u8]) {
    let Some(doc) = yaml(c, bytes) else { return };
    let Some(map) = doc.as_mapping() else {
        c.diag("top level is not a mapping");
        return;
    };
    for (key, entry) in map {
        let Some(key) = key.as_str() else { continue };
        if key == "__metadata" {
            continue;
        }
        let resolution = entry.get("resolution").and_then(|v| v.as_str());
        let desc = resolution.unwrap_or_else(|| key.split(", ").next().unwrap_or(key));
        let Some((name, range)) = split_descriptor(unquote(desc)) else {
            c.diag(format_args!("entry {:?} is not name@range", clip(key)));
            continue;
        };
        if ["workspace:", "link:", "portal:"]
            .iter()
            .any(|p| range.starts_with(p))
        {
            continue;
        }
        match entry.get("version").and_then(yscalar) {
            Some(v) => {
                add(c, name, &v);
            }
            None => c.diag(format_args!("entry {:?} has no version", clip(key))),
        }
    }
}

cataloger!(
    /// `yarn-lock`: `yarn.lock`, classic v1 and berry.
    YarnLock,
    "yarn-lock",
    wants_yarn,
    parse_yarn
);

// ---------------------------------------------------------------------------------------------
// pnpm-lock.yaml

fn wants_pnpm(path: &str) -> bool {
    file_name(path) == "pnpm-lock.yaml"
}

/// Name and version of a `packages`/`snapshots` key, peer suffixes stripped.
fn pnpm_key(key: &str) -> Option<(&str, &str)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    // The name ends at the first '/' or '@' after the scope (if any).
    let start = if key.starts_with('@') {
        key.find('/')? + 1
    } else {
        0
    };
    let end = start + key[start..].find(['/', '@'])?;
    let (name, version) = (&key[..end], &key[end + 1..]);
    let version = if key.as_bytes()[end] == b'/' {
        // v5: the version is the next segment; peers follow an '_'.
        let v = version.split('/').next().unwrap_or(version);
        v.split('_').next().unwrap_or(v)
    } else {
        version
    };
    let version = version.split('(').next().unwrap_or(version);
    (!name.is_empty() && !version.is_empty()).then_some((name, version))
}

fn parse_pnpm(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "pnpm-lock.yaml", "pnpm-lock", ECO);
    let Some(doc) = yaml(&mut c, bytes) else {
        return c.finish();
    };
    if !doc.is_mapping() {
        c.diag("top level is not a mapping");
        return c.finish();
    }
    let packages = doc.get("packages").and_then(|p| p.as_mapping());
    if let Some(pkgs) = packages {
        for (key, entry) in pkgs {
            pnpm_entry(&mut c, key, entry);
        }
    } else if doc.get("packages").is_some_and(|p| !p.is_null()) {
        c.diag("`packages` is not a mapping");
    }
    if let Some(snaps) = doc.get("snapshots").and_then(|p| p.as_mapping()) {
        for (key, entry) in snaps {
            let in_packages = key.as_str().zip(packages).is_some_and(|(k, pkgs)| {
                let base = k.split('(').next().unwrap_or(k);
                pkgs.contains_key(base)
            });
            if !in_packages {
                pnpm_entry(&mut c, key, entry);
            }
        }
    }
    c.finish()
}

fn pnpm_entry(c: &mut Collector<'_>, key: &serde_yaml::Value, entry: &serde_yaml::Value) {
    let Some(key) = key.as_str() else {
        c.diag("a package key is not a string");
        return;
    };
    let from_key = pnpm_key(key);
    let name = entry
        .get("name")
        .and_then(yscalar)
        .or_else(|| from_key.map(|(n, _)| n.to_string()));
    let version = entry
        .get("version")
        .and_then(yscalar)
        .or_else(|| from_key.map(|(_, v)| v.to_string()));
    match (name, version) {
        (Some(n), Some(v)) => {
            add(c, &n, &v); // non-registry versions (file:, URLs) are left out
        }
        _ => c.diag(format_args!(
            "package key {:?} is not name@version",
            clip(key)
        )),
    }
}

cataloger!(
    /// `pnpm-lock`: `pnpm-lock.yaml` (v5, v6, v9).
    PnpmLock,
    "pnpm-lock",
    wants_pnpm,
    parse_pnpm
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::testutil::{has, pairs, run};

    #[test]
    fn pnpm_keys() {
        assert_eq!(pnpm_key("/ajv/6.12.6"), Some(("ajv", "6.12.6")));
        assert_eq!(
            pnpm_key("/@babel/runtime/7.18.3"),
            Some(("@babel/runtime", "7.18.3"))
        );
        assert_eq!(
            pnpm_key("/debug/4.3.4_supports-color@8.1.1"),
            Some(("debug", "4.3.4"))
        );
        assert_eq!(
            pnpm_key("/@a/b/1.0.0_@types+node@18.0.0"),
            Some(("@a/b", "1.0.0"))
        );
        assert_eq!(
            pnpm_key("/@a/b@1.0.0(react@18.2.0)(x@1)"),
            Some(("@a/b", "1.0.0"))
        );
        assert_eq!(pnpm_key("ms@2.1.2"), Some(("ms", "2.1.2")));
        assert_eq!(pnpm_key("@x"), None);
        assert_eq!(pnpm_key("/"), None);
        assert_eq!(pnpm_key("ab"), None);
    }

    #[test]
    fn pnpm_v6() {
        let text = "lockfileVersion: '6.0'\npackages:\n  /react-dom@18.2.0(react@18.2.0):\n    resolution: {integrity: x}\n  /react@18.2.0:\n    resolution: {integrity: y}\n  /@types/node@20.1.0:\n    dev: true\n";
        let p = run(&PnpmLock, "pnpm-lock.yaml", text);
        assert_eq!(pairs(&p).len(), 3);
        assert!(has(&p, "react-dom", "18.2.0"));
        assert_eq!(p.packages[2].purl, "pkg:npm/%40types/node@20.1.0");
    }

    #[test]
    fn package_json_paths() {
        assert!(wants_package_json("app/node_modules/lodash/package.json"));
        assert!(wants_package_json("node_modules/@babel/core/package.json"));
        assert!(wants_package_json(
            "a/node_modules/x/node_modules/@s/y/package.json"
        ));
        assert!(!wants_package_json("app/package.json"));
        assert!(!wants_package_json("node_modules/lodash/fp/package.json"));
        assert!(!wants_package_json("node_modules/@babel/package.json"));
        assert!(!wants_package_json("my_node_modules/x/package.json"));
        assert!(!wants_package_json("node_modules/.bin/package.json"));
    }

    #[test]
    fn package_json_rules() {
        let p = run(
            &NpmPackageJson,
            "node_modules/@babel/core/package.json",
            r#"{"name":"@babel/core","version":"7.22.5","license":"MIT"}"#,
        );
        assert_eq!(pairs(&p), [("@babel/core".into(), "7.22.5".into())]);
        assert_eq!(p.packages[0].purl, "pkg:npm/%40babel/core@7.22.5");
        assert_eq!(p.packages[0].licenses, ["MIT"]);
        let p = run(
            &NpmPackageJson,
            "node_modules/x/package.json",
            r#"{"name":"x","version":"1.0.0","private":true}"#,
        );
        assert!(p.packages.is_empty() && p.diagnostics.is_empty());
        let p = run(
            &NpmPackageJson,
            "node_modules/x/package.json",
            r#"{"name":"x","version":"1.0.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}"#,
        );
        assert_eq!(p.packages[0].licenses, ["MIT", "Apache-2.0"]);
        let p = run(
            &NpmPackageJson,
            "node_modules/x/package.json",
            r#"{"name":"x"}"#,
        );
        assert!(p.packages.is_empty());
        assert!(p.diagnostics[0].reason.contains("version"));
    }

    #[test]
    fn lock_v1_alias_and_non_registry() {
        let text = r#"{"lockfileVersion":1,"dependencies":{
            "str":{"version":"npm:string-width@4.2.3"},
            "gitdep":{"version":"git+https://github.com/a/b.git#abc"},
            "local":{"version":"file:../local"},
            "ok":{"version":"1.0.0","dependencies":{"ok":{"version":"1.0.0"}}}}}"#;
        let p = run(&NpmPackageLock, "package-lock.json", text);
        assert_eq!(
            pairs(&p),
            [
                ("ok".to_string(), "1.0.0".to_string()),
                ("string-width".to_string(), "4.2.3".to_string())
            ]
        );
        assert!(p.diagnostics.is_empty());
    }

    #[test]
    fn lock_v1_deep_nesting_is_bounded() {
        // 40 levels: within serde_json's limit of 128 nested containers, beyond the walker's.
        let mut s = String::from(r#"{"dependencies":"#);
        for i in 0..40 {
            s.push_str(&format!(
                r#"{{"p{i}":{{"version":"1.0.{i}","dependencies":"#
            ));
        }
        s.push_str("{}");
        s.push_str(&"}}".repeat(40));
        s.push('}');
        let p = run(&NpmPackageLock, "package-lock.json", &s);
        assert_eq!(p.packages.len(), MAX_V1_DEPTH);
        assert!(p.diagnostics[0].reason.contains("nested deeper than 32"));
        // 200 levels: serde_json refuses the document.
        let mut deep = String::from(r#"{"dependencies":"#);
        for _ in 0..200 {
            deep.push_str(r#"{"a":{"version":"1.0.0","dependencies":"#);
        }
        let p = run(&NpmPackageLock, "package-lock.json", &deep);
        assert!(p.packages.is_empty());
        assert!(p.diagnostics[0].reason.contains("invalid JSON"));
    }

    #[test]
    fn lock_v2_skips_links_and_workspaces() {
        let text = r#"{"lockfileVersion":3,"packages":{
            "":{"name":"root","version":"1.0.0"},
            "packages/a":{"name":"a","version":"0.1.0"},
            "node_modules/a":{"resolved":"packages/a","link":true},
            "node_modules/alias":{"name":"real","version":"2.0.0"},
            "node_modules/x/node_modules/@s/y":{"version":"3.0.0"},
            "node_modules/broken":{}}}"#;
        let p = run(&NpmPackageLock, "web/package-lock.json", text);
        assert_eq!(
            pairs(&p),
            [
                ("real".to_string(), "2.0.0".to_string()),
                ("@s/y".to_string(), "3.0.0".to_string())
            ]
        );
        assert_eq!(p.diagnostics.len(), 1);
        assert!(p.diagnostics[0].reason.contains("node_modules/broken"));
    }

    #[test]
    fn yarn_classic_aliases_and_garbage() {
        let text = "\
\"str@npm:string-width@^4\":
  version \"4.2.3\"

local@file:../local:
  version \"1.0.0\"

noversion@^1:
  resolved \"x\"

junk line
";
        let p = run(&YarnLock, "yarn.lock", text);
        assert_eq!(pairs(&p), [("string-width".into(), "4.2.3".into())]);
        assert_eq!(p.diagnostics.len(), 2, "{:?}", p.diagnostics);
    }
}
