//! Image references (`[registry/]repository[:tag][@digest]`).
//!
//! Rules, following Docker's reference grammar:
//! - The first `/`-separated segment is a registry when it contains `.` or `:`,
//!   is `localhost`, or has an upper-case letter; otherwise the registry is Docker
//!   Hub. `docker.io`, `index.docker.io` and `registry-1.docker.io` all mean Docker
//!   Hub, which is stored as `registry-1.docker.io` (the API host) and displayed as
//!   `docker.io`. Hub repositories with a single path segment get `library/`.
//! - A registry is `host[:port]`: host labels `[A-Za-z0-9]` with inner `-`, joined by
//!   `.`, or a bracketed IPv6 address; port digits only.
//! - Repository path segments are `[a-z0-9]+` joined by `.`, `_`, `__` or runs of
//!   `-`; the whole name (registry included) is at most 255 characters.
//! - A tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}` after the last `:` that follows
//!   the last `/`; a digest follows `@` and must be `sha256:` with 64 or `sha512:`
//!   with 128 lower-case hex digits (the only algorithms this client can verify).
//! - Without tag or digest the tag is `latest`. With a digest the digest is what is
//!   pulled; a tag given alongside it is kept for display only.

use std::fmt;

use crate::RegistryError;

/// The registry host used for Docker Hub's API.
pub const DOCKER_HUB_REGISTRY: &str = "registry-1.docker.io";
/// The name Docker Hub is shown under.
pub const DOCKER_HUB_DISPLAY: &str = "docker.io";

const MAX_NAME_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Registry host (`host[:port]`); `registry-1.docker.io` for Docker Hub.
    pub registry: String,
    /// Repository path, e.g. `library/alpine`.
    pub repository: String,
    /// Tag; `latest` when neither tag nor digest was given.
    pub tag: Option<String>,
    /// Digest (`sha256:<hex>`), when given.
    pub digest: Option<String>,
}

fn invalid(input: &str, reason: impl Into<String>) -> RegistryError {
    RegistryError::InvalidReference {
        input: input.to_string(),
        reason: reason.into(),
    }
}

impl Reference {
    /// Parses a reference such as `alpine`, `ghcr.io/o/r:v1`, `localhost:5000/x:y`
    /// or `repo@sha256:...`.
    pub fn parse(input: &str) -> Result<Reference, RegistryError> {
        if input.is_empty() {
            return Err(invalid(input, "it is empty"));
        }
        if input.len() > MAX_NAME_LEN + 1 + MAX_TAG_LEN + 1 + 7 + 128 {
            return Err(invalid(input, "it is too long"));
        }
        if let Some(c) = input
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
        {
            return Err(invalid(
                input,
                format!("it contains the character {c:?}, which is not allowed"),
            ));
        }
        let (name_tag, digest) = match input.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (input, None),
        };
        if let Some(d) = digest {
            check_digest(d).map_err(|r| invalid(input, r))?;
        }
        let last_slash = name_tag.rfind('/');
        let (name, tag) = match name_tag.rfind(':') {
            Some(c) if last_slash.is_none_or(|s| c > s) => {
                (&name_tag[..c], Some(&name_tag[c + 1..]))
            }
            _ => (name_tag, None),
        };
        if let Some(t) = tag {
            check_tag(t).map_err(|r| invalid(input, r))?;
        }
        if name.is_empty() {
            return Err(invalid(input, "the repository name is empty"));
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.')
                    || first.contains(':')
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                check_registry(first).map_err(|r| invalid(input, r))?;
                (first.to_string(), rest)
            }
            _ => (DOCKER_HUB_DISPLAY.to_string(), name),
        };
        check_path(path).map_err(|r| invalid(input, r))?;
        if registry.len() + 1 + path.len() > MAX_NAME_LEN {
            return Err(invalid(
                input,
                format!("the name is longer than {MAX_NAME_LEN} characters"),
            ));
        }
        let hub = is_docker_hub(&registry);
        let repository = if hub && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_string()
        };
        let registry = if hub {
            DOCKER_HUB_REGISTRY.to_string()
        } else {
            registry
        };
        let tag = match (tag, digest) {
            (Some(t), _) => Some(t.to_string()),
            (None, None) => Some("latest".to_string()),
            (None, Some(_)) => None,
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest: digest.map(str::to_string),
        })
    }

    /// The registry as users write it: `docker.io` for Docker Hub.
    pub fn display_registry(&self) -> &str {
        if is_docker_hub(&self.registry) {
            DOCKER_HUB_DISPLAY
        } else {
            &self.registry
        }
    }

    /// What the manifest is fetched by: the digest when there is one, else the tag.
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// The token scope for pulling from this repository.
    pub fn pull_scope(&self) -> String {
        format!("repository:{}:pull", self.repository)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.display_registry(), self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Reference {
    type Err = RegistryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse(s)
    }
}

/// Whether `registry` names Docker Hub.
pub(crate) fn is_docker_hub(registry: &str) -> bool {
    matches!(
        registry,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    )
}

/// Checks a digest string `algorithm:hex`; only sha256 and sha512 are accepted.
pub(crate) fn check_digest(d: &str) -> Result<(), String> {
    let Some((alg, hex)) = d.split_once(':') else {
        return Err(format!(
            "digest {d:?} has no algorithm (expected sha256:<64 hex digits>)"
        ));
    };
    let want = match alg {
        "sha256" => 64,
        "sha512" => 128,
        _ => {
            return Err(format!(
                "digest algorithm {alg:?} is not supported (only sha256 and sha512)"
            ))
        }
    };
    if hex.len() != want || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(format!(
            "digest {d:?} must be {alg}: followed by {want} lower-case hex digits"
        ));
    }
    Ok(())
}

fn check_tag(t: &str) -> Result<(), String> {
    if t.is_empty() {
        return Err("the tag after ':' is empty".into());
    }
    if t.len() > MAX_TAG_LEN {
        return Err(format!("the tag is longer than {MAX_TAG_LEN} characters"));
    }
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = t.as_bytes();
    if !word(bytes[0]) {
        return Err(format!("tag {t:?} must start with a letter, digit or '_'"));
    }
    if let Some(&b) = bytes
        .iter()
        .find(|&&b| !(word(b) || b == b'.' || b == b'-'))
    {
        return Err(format!(
            "tag {t:?} contains {:?}; tags may only contain letters, digits, '_', '.' and '-'",
            b as char
        ));
    }
    Ok(())
}

fn check_registry(r: &str) -> Result<(), String> {
    let (host, port) = if let Some(rest) = r.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return Err(format!("registry {r:?} has an unclosed '['"));
        };
        if v6.is_empty() || !v6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err(format!("registry {r:?} has an invalid IPv6 address"));
        }
        match after {
            "" => (None, None),
            p if p.starts_with(':') => (None, Some(&p[1..])),
            _ => return Err(format!("registry {r:?} has text after the IPv6 address")),
        }
    } else {
        match r.split_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(r), None),
        }
    };
    if let Some(host) = host {
        if host.is_empty() {
            return Err(format!("registry {r:?} has an empty host name"));
        }
        for label in host.split('.') {
            let b = label.as_bytes();
            let ok = !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-');
            if !ok {
                return Err(format!("registry host {host:?} is not a valid host name"));
            }
        }
    }
    if let Some(p) = port {
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("registry {r:?} has an invalid port {p:?}"));
        }
    }
    Ok(())
}

fn check_path(path: &str) -> Result<(), String> {
    for seg in path.split('/') {
        if seg.is_empty() {
            return Err(format!("repository {path:?} has an empty path segment"));
        }
        if seg.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!("repository name {path:?} must be lower-case"));
        }
        let b = seg.as_bytes();
        let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
            return Err(format!(
                "repository segment {seg:?} must start and end with a lower-case letter or digit"
            ));
        }
        // Separators between alphanumeric runs: ".", "_", "__" or one or more "-".
        let mut i = 0;
        while i < b.len() {
            if alnum(b[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && !alnum(b[i]) {
                i += 1;
            }
            let sep = &seg[start..i];
            let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|c| c == b'-');
            if !ok {
                return Err(format!(
                    "repository segment {seg:?} contains the separator {sep:?}; \
                     only '.', '_', '__' and '-' may join letters and digits"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4";

    fn ok(s: &str) -> (String, String, Option<String>, Option<String>, String) {
        let r = Reference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        let shown = r.to_string();
        (r.registry, r.repository, r.tag, r.digest, shown)
    }

    #[test]
    fn valid_references() {
        let s = |x: &str| Some(x.to_string());
        type Row<'a> = (
            &'a str,
            &'a str,
            &'a str,
            Option<String>,
            Option<String>,
            String,
        );
        let table: Vec<Row> = vec![
            (
                "alpine",
                "registry-1.docker.io",
                "library/alpine",
                s("latest"),
                None,
                "docker.io/library/alpine:latest".into(),
            ),
            (
                "alpine:3.19",
                "registry-1.docker.io",
                "library/alpine",
                s("3.19"),
                None,
                "docker.io/library/alpine:3.19".into(),
            ),
            (
                "library/alpine",
                "registry-1.docker.io",
                "library/alpine",
                s("latest"),
                None,
                "docker.io/library/alpine:latest".into(),
            ),
            (
                "bitnami/redis:7",
                "registry-1.docker.io",
                "bitnami/redis",
                s("7"),
                None,
                "docker.io/bitnami/redis:7".into(),
            ),
            (
                "docker.io/alpine",
                "registry-1.docker.io",
                "library/alpine",
                s("latest"),
                None,
                "docker.io/library/alpine:latest".into(),
            ),
            (
                "index.docker.io/user/app:v2",
                "registry-1.docker.io",
                "user/app",
                s("v2"),
                None,
                "docker.io/user/app:v2".into(),
            ),
            (
                "localhost:5000/x:y",
                "localhost:5000",
                "x",
                s("y"),
                None,
                "localhost:5000/x:y".into(),
            ),
            (
                "localhost/x",
                "localhost",
                "x",
                s("latest"),
                None,
                "localhost/x:latest".into(),
            ),
            (
                "ghcr.io/owner/repo/sub:1.0-rc_1",
                "ghcr.io",
                "owner/repo/sub",
                s("1.0-rc_1"),
                None,
                "ghcr.io/owner/repo/sub:1.0-rc_1".into(),
            ),
            (
                "127.0.0.1:5000/test/img:v1",
                "127.0.0.1:5000",
                "test/img",
                s("v1"),
                None,
                "127.0.0.1:5000/test/img:v1".into(),
            ),
            (
                "[::1]:5000/x",
                "[::1]:5000",
                "x",
                s("latest"),
                None,
                "[::1]:5000/x:latest".into(),
            ),
            (
                "Registry/x",
                "Registry",
                "x",
                s("latest"),
                None,
                "Registry/x:latest".into(),
            ),
            (
                "a__b/c--d.e_f",
                "registry-1.docker.io",
                "a__b/c--d.e_f",
                s("latest"),
                None,
                "docker.io/a__b/c--d.e_f:latest".into(),
            ),
            // "localhost:5000" alone is repository "localhost", tag "5000" (as in Docker).
            (
                "localhost:5000",
                "registry-1.docker.io",
                "library/localhost",
                s("5000"),
                None,
                "docker.io/library/localhost:5000".into(),
            ),
        ];
        for (input, reg, repo, tag, digest, shown) in table {
            assert_eq!(
                ok(input),
                (reg.into(), repo.into(), tag, digest, shown),
                "{input}"
            );
        }
        let with_digest = format!("alpine@{D}");
        assert_eq!(
            ok(&with_digest),
            (
                "registry-1.docker.io".into(),
                "library/alpine".into(),
                None,
                Some(D.into()),
                format!("docker.io/library/alpine@{D}")
            )
        );
        let both = format!("localhost:5000/a/b:v1@{D}");
        let r = Reference::parse(&both).unwrap();
        assert_eq!(r.tag.as_deref(), Some("v1"));
        assert_eq!(r.digest.as_deref(), Some(D));
        assert_eq!(r.manifest_ref(), D);
        assert_eq!(r.pull_scope(), "repository:a/b:pull");
        assert_eq!(Reference::parse("x:y").unwrap().manifest_ref(), "y");
    }

    #[test]
    fn invalid_references() {
        let table: &[(&str, &str)] = &[
            ("", "empty"),
            ("Alpine", "lower-case"),
            ("library/Alpine", "lower-case"),
            ("alpine:", "tag after ':' is empty"),
            ("alpine:-x", "must start with"),
            ("alpine:a/b", "invalid port"),
            ("alpine:a+b", "tags may only contain"),
            ("alpine@sha256:abc", "64 lower-case hex"),
            (
                "alpine@md5:d41d8cd98f00b204e9800998ecf8427e",
                "not supported",
            ),
            ("alpine@sha256", "no algorithm"),
            ("ghcr.io//x", "empty path segment"),
            ("ghcr.io/", "empty path segment"),
            ("a/b/", "empty path segment"),
            ("-a", "must start and end"),
            ("a-", "must start and end"),
            ("a..b", "separator \"..\""),
            ("a___b", "separator \"___\""),
            ("a b", "not allowed"),
            ("ex ample.com/x", "not allowed"),
            ("exa_mple.com/x", "not a valid host name"),
            ("host:port/x", "invalid port"),
            ("host:/x", "invalid port"),
            ("[::1/x", "unclosed"),
            (":tag", "repository name is empty"),
        ];
        for (input, want) in table {
            let e = Reference::parse(input).expect_err(input).to_string();
            assert!(e.contains(want), "{input:?}: {e}");
            assert!(e.starts_with("invalid image reference"), "{e}");
        }
        let long_tag = format!("a:{}", "t".repeat(129));
        assert!(Reference::parse(&long_tag)
            .unwrap_err()
            .to_string()
            .contains("longer than 128"));
        let long_name = format!("a/{}", "b".repeat(260));
        assert!(Reference::parse(&long_name)
            .unwrap_err()
            .to_string()
            .contains("255"));
        let upper_digest = format!("a@{}", D.to_uppercase().replace("SHA256", "sha256"));
        assert!(Reference::parse(&upper_digest).is_err());
    }
}
