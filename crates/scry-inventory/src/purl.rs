//! Package URLs (<https://github.com/package-url/purl-spec>): building and parsing.
//!
//! Every [`crate::Package`] carries one. Building percent-encodes each component as the spec
//! asks (the namespace segment by segment, `@` in the name, qualifiers sorted by key), so the
//! same package always gets the same string.

use std::fmt::Write;

/// A parsed or to-be-built package URL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Purl {
    /// `deb`, `rpm`, `apk`, `pypi`, `npm`, `cargo`, `golang`, `maven`, `gem`, `composer`,
    /// `nuget`, `conan`, `generic`, ...
    pub ty: String,
    /// `/`-separated, unencoded (`debian`, `org.apache.logging.log4j`, `@babel` for npm scopes).
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    /// Key/value pairs, unencoded; written sorted by key, empty values omitted.
    pub qualifiers: Vec<(String, String)>,
    pub subpath: Option<String>,
}

impl Purl {
    pub fn new(ty: &str, namespace: Option<&str>, name: &str, version: Option<&str>) -> Purl {
        Purl {
            ty: ty.to_ascii_lowercase(),
            namespace: namespace.filter(|n| !n.is_empty()).map(str::to_string),
            name: name.to_string(),
            version: version.filter(|v| !v.is_empty()).map(str::to_string),
            qualifiers: Vec::new(),
            subpath: None,
        }
    }

    /// Adds a qualifier (ignored when the value is empty).
    pub fn with(mut self, key: &str, value: &str) -> Purl {
        if !value.is_empty() {
            self.qualifiers
                .push((key.to_ascii_lowercase(), value.to_string()));
        }
        self
    }

    /// Parses a purl string. Errors name what is wrong.
    pub fn parse(s: &str) -> Result<Purl, String> {
        let rest = s
            .strip_prefix("pkg:")
            .ok_or_else(|| format!("package URL {s:?} does not start with \"pkg:\""))?;
        let rest = rest.trim_start_matches('/');
        let (rest, subpath) = match rest.split_once('#') {
            Some((r, sp)) => (r, Some(decode(sp.trim_matches('/')))),
            None => (rest, None),
        };
        let (rest, qualifiers) = match rest.split_once('?') {
            Some((r, q)) => {
                let mut qs = Vec::new();
                for pair in q.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').ok_or_else(|| {
                        format!("package URL {s:?}: qualifier {pair:?} has no '='")
                    })?;
                    qs.push((k.to_ascii_lowercase(), decode(v)));
                }
                (r, qs)
            }
            None => (rest, Vec::new()),
        };
        let (ty, path) = rest
            .split_once('/')
            .ok_or_else(|| format!("package URL {s:?} has no type/name"))?;
        if ty.is_empty() {
            return Err(format!("package URL {s:?} has an empty type"));
        }
        let path = path.trim_end_matches('/');
        let (path, version) = match path.rfind('@') {
            Some(i) if i > 0 && !path[..i].ends_with('/') => {
                (&path[..i], Some(decode(&path[i + 1..])))
            }
            _ => (path, None),
        };
        let (namespace, name) = match path.rfind('/') {
            Some(i) => (
                Some(
                    path[..i]
                        .split('/')
                        .map(decode)
                        .collect::<Vec<_>>()
                        .join("/"),
                ),
                decode(&path[i + 1..]),
            ),
            None => (None, decode(path)),
        };
        if name.is_empty() {
            return Err(format!("package URL {s:?} has an empty name"));
        }
        Ok(Purl {
            ty: ty.to_ascii_lowercase(),
            namespace,
            name,
            version,
            qualifiers,
            subpath,
        })
    }
}

impl std::fmt::Display for Purl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = &self.namespace {
            for seg in ns.split('/').filter(|s| !s.is_empty()) {
                write!(f, "{}/", encode(seg))?;
            }
        }
        f.write_str(&encode(&self.name))?;
        if let Some(v) = &self.version {
            write!(f, "@{}", encode(v))?;
        }
        let mut qs: Vec<_> = self
            .qualifiers
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        qs.sort();
        for (i, (k, v)) in qs.iter().enumerate() {
            write!(f, "{}{}={}", if i == 0 { '?' } else { '&' }, k, encode(v))?;
        }
        if let Some(sp) = &self.subpath {
            write!(
                f,
                "#{}",
                sp.split('/').map(encode).collect::<Vec<_>>().join("/")
            )?;
        }
        Ok(())
    }
}

/// Percent-encodes everything but unreserved characters (and `:`, which the spec leaves as is).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hexval(b[i + 1]), hexval(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hexval(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_spec_examples() {
        let p = Purl::new("deb", Some("debian"), "curl", Some("7.50.3-1"))
            .with("distro", "debian-12")
            .with("arch", "amd64");
        assert_eq!(
            p.to_string(),
            "pkg:deb/debian/curl@7.50.3-1?arch=amd64&distro=debian-12"
        );
        let p = Purl::new("npm", Some("@babel"), "core", Some("7.0.0"));
        assert_eq!(p.to_string(), "pkg:npm/%40babel/core@7.0.0");
        let p = Purl::new("rpm", Some("redhat"), "openssl", Some("1:1.1.1k-7.el8"));
        assert_eq!(p.to_string(), "pkg:rpm/redhat/openssl@1:1.1.1k-7.el8");
        let p = Purl::new("golang", Some("github.com/gorilla"), "mux", Some("v1.8.0"));
        assert_eq!(p.to_string(), "pkg:golang/github.com/gorilla/mux@v1.8.0");
    }

    #[test]
    fn parses_what_it_builds() {
        for s in [
            "pkg:deb/debian/curl@7.50.3-1?arch=amd64&distro=debian-12",
            "pkg:npm/%40babel/core@7.0.0",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "pkg:golang/github.com/gorilla/mux@v1.8.0#sub/dir",
            "pkg:pypi/django@1.11.1",
        ] {
            let p = Purl::parse(s).unwrap();
            assert_eq!(p.to_string(), s);
        }
        let p = Purl::parse("pkg:npm/%40babel/core@7.0.0").unwrap();
        assert_eq!(p.namespace.as_deref(), Some("@babel"));
        assert_eq!(p.name, "core");
        assert!(Purl::parse("npm/foo@1").unwrap_err().contains("pkg:"));
        assert!(Purl::parse("pkg:npm").is_err());
    }
}
