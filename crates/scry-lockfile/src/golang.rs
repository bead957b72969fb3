//! Go: `go.mod` (`go-mod`). Ecosystem `Go`; purl `pkg:golang/<module path>@<version>`.
//!
//! Every `require` (single-line and block form) is a package, `// indirect` ones included;
//! the main module itself is not. `replace` directives are applied afterwards: a replacement
//! by another module (`old [v] => new v2`) reports the new module and version instead
//! (a versioned left side only replaces that version); a replacement by a local directory
//! (`=> ./fork`, `../x`, `/abs`) drops the module, since its code is no longer the published
//! module's. `exclude`, `retract`, `tool`, `godebug` and other directives are ignored.
//! Quoted paths (`"..."`, `` `...` ``) are unquoted.

use scry_inventory::purl::Purl;
use scry_inventory::{FileInfo, Parsed};

use crate::common::{cataloger, clip, file_name, lossy, Collector};

fn wants(path: &str) -> bool {
    file_name(path) == "go.mod"
}

/// The golang purl: the module path's last element is the name, the rest the namespace.
pub fn purl(module: &str, version: &str) -> String {
    let (ns, name) = match module.rsplit_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, module),
    };
    Purl::new("golang", ns, name, Some(version)).to_string()
}

struct Replace {
    old: String,
    old_version: Option<String>,
    /// None: replaced by a local directory.
    new: Option<(String, String)>,
}

/// Splits a line into tokens, honouring `"..."` and `` `...` `` quoting; stops at `//`.
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&ch) = chars.peek() {
        if ch.is_whitespace() {
            chars.next();
        } else if ch == '/' && line_rest_is_comment(&mut chars.clone()) {
            break;
        } else if ch == '"' || ch == '`' {
            chars.next();
            let mut tok = String::new();
            while let Some(c2) = chars.next() {
                if c2 == ch {
                    break;
                }
                if c2 == '\\' && ch == '"' {
                    if let Some(esc) = chars.next() {
                        tok.push(esc);
                    }
                    continue;
                }
                tok.push(c2);
            }
            out.push(tok);
        } else {
            let mut tok = String::new();
            while let Some(&c2) = chars.peek() {
                if c2.is_whitespace() || c2 == '"' || c2 == '`' {
                    break;
                }
                tok.push(c2);
                chars.next();
            }
            out.push(tok);
        }
    }
    out
}

fn line_rest_is_comment(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    it.next() == Some('/') && it.next() == Some('/')
}

fn is_local_path(p: &str) -> bool {
    p.starts_with("./") || p.starts_with("../") || p.starts_with('/') || p == "." || p == ".."
}

fn parse(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "go.mod", "go-mod", "Go");
    let text = lossy(bytes);
    let mut requires: Vec<(String, String)> = Vec::new();
    let mut replaces: Vec<Replace> = Vec::new();
    let mut block: Option<String> = None;
    for (no, line) in text.lines().enumerate() {
        let toks = tokens(line);
        let Some(first) = toks.first() else { continue };
        let (verb, args): (String, &[String]) = match &block {
            Some(b) => {
                if first == ")" {
                    block = None;
                    continue;
                }
                (b.clone(), &toks[..])
            }
            None => {
                if toks.len() == 2 && toks[1] == "(" {
                    block = Some(first.clone());
                    continue;
                }
                (first.clone(), &toks[1..])
            }
        };
        match verb.as_str() {
            "require" => match args {
                [path, version, ..] => requires.push((path.clone(), version.clone())),
                _ => c.diag(format_args!(
                    "line {}: require without module and version: {:?}",
                    no + 1,
                    clip(line.trim())
                )),
            },
            "replace" => match parse_replace(args) {
                Some(r) => replaces.push(r),
                None => c.diag(format_args!(
                    "line {}: malformed replace: {:?}",
                    no + 1,
                    clip(line.trim())
                )),
            },
            _ => {}
        }
    }
    if block.is_some() {
        c.diag("a ( block is not closed (truncated file?)");
    }
    for (path, version) in requires {
        let rep = replaces
            .iter()
            .rev()
            .find(|r| r.old == path && r.old_version.as_ref().is_none_or(|v| *v == version));
        let (path, version) = match rep {
            Some(Replace { new: None, .. }) => continue,
            Some(Replace {
                new: Some((p, v)), ..
            }) => (p.clone(), v.clone()),
            None => (path, version),
        };
        let p = purl(&path, &version);
        c.add(&path, &version, p);
    }
    c.finish()
}

/// `old [version] => new [version]`.
fn parse_replace(args: &[String]) -> Option<Replace> {
    let arrow = args.iter().position(|t| t == "=>")?;
    let (left, right) = (&args[..arrow], &args[arrow + 1..]);
    let (old, old_version) = match left {
        [old] => (old.clone(), None),
        [old, v] => (old.clone(), Some(v.clone())),
        _ => return None,
    };
    let new = match right {
        [p] if is_local_path(p) => None,
        [p, v] => Some((p.clone(), v.clone())),
        _ => return None,
    };
    Some(Replace {
        old,
        old_version,
        new,
    })
}

cataloger!(
    /// `go-mod`: the requirements of `go.mod`, with `replace` applied.
    GoMod,
    "go-mod",
    wants,
    parse
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::testutil::{pairs, run};

    const GO_MOD: &str = r#"module example.com/app // the app

go 1.21

require github.com/gorilla/mux v1.8.0

require (
	golang.org/x/net v0.17.0 // indirect
	"github.com/quoted/mod" v1.0.0
	github.com/old/thing v1.2.3
	github.com/local/fork v0.1.0
	github.com/pinned/one v1.0.0
	github.com/pinned/two v1.1.0 // indirect
)

exclude golang.org/x/net v0.1.0

replace github.com/old/thing => github.com/new/thing v1.3.0
replace github.com/local/fork => ../fork
replace (
	github.com/pinned/one v1.0.0 => github.com/pinned/one v1.0.1
	github.com/pinned/two v9.9.9 => github.com/pinned/two v9.9.10
)
"#;

    #[test]
    fn requires_and_replaces() {
        let p = run(&GoMod, "src/go.mod", GO_MOD);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let want = [
            ("github.com/gorilla/mux", "v1.8.0"),
            ("golang.org/x/net", "v0.17.0"),
            ("github.com/quoted/mod", "v1.0.0"),
            ("github.com/new/thing", "v1.3.0"),
            ("github.com/pinned/one", "v1.0.1"),
            ("github.com/pinned/two", "v1.1.0"),
        ];
        assert_eq!(pairs(&p), want.map(|(a, b)| (a.to_string(), b.to_string())));
        assert_eq!(
            p.packages[0].purl,
            "pkg:golang/github.com/gorilla/mux@v1.8.0"
        );
        assert_eq!(p.packages[0].ecosystem, "Go");
    }

    #[test]
    fn truncated_block_and_garbage() {
        let p = run(
            &GoMod,
            "go.mod",
            "require (\n\tgithub.com/a/b v1.0.0\n\tjunk\n",
        );
        assert_eq!(pairs(&p), [("github.com/a/b".into(), "v1.0.0".into())]);
        assert_eq!(p.diagnostics.len(), 2, "{:?}", p.diagnostics);
        assert!(p.diagnostics[0].reason.contains("line 3"));
        assert!(p.diagnostics[1].reason.contains("not closed"));
        let p = run(&GoMod, "go.mod", "replace a =>\n\"unterminated");
        assert!(p.packages.is_empty());
        assert!(p.diagnostics[0].reason.contains("malformed replace"));
    }
}
