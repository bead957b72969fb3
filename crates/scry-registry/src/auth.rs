//! Credentials, `WWW-Authenticate` challenges and the Docker client config.
//!
//! Docker config rules (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`):
//! - A missing file means anonymous access; an unreadable or malformed one is an error.
//! - `auths` keys are matched after dropping an `http://`/`https://` prefix and any
//!   path, case-insensitively: `https://index.docker.io/v1/`, `index.docker.io`,
//!   `docker.io` and `registry-1.docker.io` all mean Docker Hub; others are
//!   `host[:port]`. An exact key wins over a normalised match.
//! - In an entry, `identitytoken` (an OAuth refresh token) wins, then
//!   `registrytoken` (sent as a Bearer token), then `auth` (base64 `user:pass`),
//!   then `username` + `password`.
//! - `credHelpers.<host>`, or `credsStore` with an `auths` entry that holds no
//!   credentials (what `docker login` writes when a store is set), mean the secret
//!   lives in a helper program, which this crate does not run: an error tells the
//!   user to pass `--username/--password-stdin` instead. `credsStore` without any
//!   entry for the registry means anonymous access.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;

use crate::reference::is_docker_hub;
use crate::RegistryError;

/// How to authenticate to a registry.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Credentials {
    /// No credentials; anonymous tokens are still fetched when a registry asks.
    #[default]
    Anonymous,
    /// User name and password (or personal access token): sent to token services
    /// and to registries that ask for Basic authentication.
    Basic { user: String, pass: String },
    /// A registry token sent as `Authorization: Bearer` on every request.
    Bearer(String),
    /// An OAuth2 refresh token (Docker's `identitytoken`), exchanged at the token
    /// service for an access token.
    IdentityToken(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::Basic { user, .. } => {
                write!(f, "Basic {{ user: {user:?}, pass: <redacted> }}")
            }
            Credentials::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Credentials::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

/// One authentication challenge from a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme, lower-cased (`bearer`, `basic`, ...).
    pub scheme: String,
    /// Parameters in order; names lower-cased, values unquoted.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// The value of parameter `name` (lower-case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

const MAX_CHALLENGE_LEN: usize = 16 * 1024;

/// Parses a `WWW-Authenticate` value (RFC 7235): one or more challenges, each a
/// scheme followed by comma-separated `name=value` or `name="quoted, \"value\""`
/// parameters. Token68 credentials are skipped. Input beyond 16 KiB is ignored.
pub fn parse_www_authenticate(header: &str) -> Vec<Challenge> {
    let s = if header.len() > MAX_CHALLENGE_LEN {
        let mut end = MAX_CHALLENGE_LEN;
        while !header.is_char_boundary(end) {
            end -= 1;
        }
        &header[..end]
    } else {
        header
    };
    let b = s.as_bytes();
    let mut i = 0;
    let mut out: Vec<Challenge> = Vec::new();
    let is_delim = |c: u8| c == b',' || c == b'=' || c == b'"' || c.is_ascii_whitespace();
    while i < b.len() {
        // Skip separators.
        while i < b.len() && (b[i] == b',' || b[i].is_ascii_whitespace()) {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        while i < b.len() && !is_delim(b[i]) {
            i += 1;
        }
        let token = &s[start..i];
        if token.is_empty() {
            // A stray '=' or '"': skip one byte so the loop always advances.
            i += 1;
            continue;
        }
        let mut j = i;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if j < b.len() && b[j] == b'=' {
            // Either `name=value` or a token68 ending in '='.
            let mut k = j;
            while k < b.len() && b[k] == b'=' {
                k += 1;
            }
            let mut v = k;
            while v < b.len() && b[v].is_ascii_whitespace() {
                v += 1;
            }
            if k - j > 1 || v >= b.len() || b[v] == b',' {
                // token68 (e.g. `Negotiate abc==`) or empty value.
                if k - j == 1 && out.last().is_some() {
                    if let Some(c) = out.last_mut() {
                        c.params.push((token.to_ascii_lowercase(), String::new()));
                    }
                }
                i = k;
                continue;
            }
            let (value, next) = if b[v] == b'"' {
                let mut val = String::new();
                let mut p = v + 1;
                let mut chars = s[p..].char_indices();
                let mut end = s.len();
                while let Some((off, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, n)) = chars.next() {
                                val.push(n);
                            }
                        }
                        '"' => {
                            end = p + off + 1;
                            break;
                        }
                        _ => val.push(c),
                    }
                }
                p = end;
                (val, p)
            } else {
                let mut p = v;
                while p < b.len() && b[p] != b',' && !b[p].is_ascii_whitespace() {
                    p += 1;
                }
                (s[v..p].to_string(), p)
            };
            if let Some(c) = out.last_mut() {
                c.params.push((token.to_ascii_lowercase(), value));
            }
            i = next;
        } else {
            out.push(Challenge {
                scheme: token.to_ascii_lowercase(),
                params: Vec::new(),
            });
            i = j;
        }
    }
    out
}

/// Where the Docker client config is: `$DOCKER_CONFIG/config.json`, else
/// `$HOME/.docker/config.json`.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

const MAX_CONFIG_LEN: u64 = 4 * 1024 * 1024;

/// The credentials the Docker client config holds for `registry` (`host[:port]`,
/// Docker Hub under any of its names). No config file means anonymous access.
pub fn docker_config_credentials(registry: &str) -> Result<Credentials, RegistryError> {
    let Some(path) = docker_config_path() else {
        return Ok(Credentials::Anonymous);
    };
    let shown = path.display().to_string();
    let err = |reason: String| RegistryError::DockerConfig {
        path: shown.clone(),
        reason,
    };
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Credentials::Anonymous),
        Err(e) => return Err(err(e.to_string())),
    };
    if meta.len() > MAX_CONFIG_LEN {
        return Err(err(format!("it is larger than {MAX_CONFIG_LEN} bytes")));
    }
    let bytes = std::fs::read(&path).map_err(|e| err(e.to_string()))?;
    credentials_from_docker_config(&bytes, &path, registry)
}

/// Like [`docker_config_credentials`] for config bytes already read from `path`
/// (the path is only used in messages).
pub fn credentials_from_docker_config(
    bytes: &[u8],
    path: &Path,
    registry: &str,
) -> Result<Credentials, RegistryError> {
    let shown = path.display().to_string();
    let err = |reason: String| RegistryError::DockerConfig {
        path: shown.clone(),
        reason,
    };
    let doc: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| err(format!("not valid JSON: {e}")))?;
    let Some(doc) = doc.as_object() else {
        return Err(err("the top level is not a JSON object".into()));
    };
    let wanted = normalize_host(registry);
    let hub = is_docker_hub(&wanted);
    let key_matches = |key: &str| {
        let k = normalize_host(key);
        k == wanted || (hub && is_docker_hub(&k))
    };
    let exact_key = if hub {
        "https://index.docker.io/v1/".to_string()
    } else {
        registry.to_string()
    };
    // Entries of an object, the exact key first, then normalised matches in order.
    let find =
        |obj: &serde_json::Map<String, serde_json::Value>| -> Option<(String, serde_json::Value)> {
            if let Some(v) = obj.get(&exact_key) {
                return Some((exact_key.clone(), v.clone()));
            }
            obj.iter()
                .find(|(k, _)| key_matches(k))
                .map(|(k, v)| (k.clone(), v.clone()))
        };

    if let Some(helpers) = doc.get("credHelpers") {
        let helpers = helpers
            .as_object()
            .ok_or_else(|| err("\"credHelpers\" is not an object".into()))?;
        if let Some((_, helper)) = find(helpers) {
            return Err(RegistryError::CredentialHelper {
                path: shown.clone(),
                registry: registry.to_string(),
                helper: helper.as_str().unwrap_or("?").to_string(),
            });
        }
    }
    let store = doc
        .get("credsStore")
        .and_then(|s| s.as_str())
        .filter(|s| !s.is_empty());
    let Some(auths) = doc.get("auths") else {
        return Ok(Credentials::Anonymous);
    };
    let auths = auths
        .as_object()
        .ok_or_else(|| err("\"auths\" is not an object".into()))?;
    let Some((key, entry)) = find(auths) else {
        return Ok(Credentials::Anonymous);
    };
    let entry = entry
        .as_object()
        .ok_or_else(|| err(format!("auths entry {key:?} is not an object")))?;
    let field = |name: &str| -> Result<Option<String>, RegistryError> {
        match entry.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(err(format!(
                "auths entry {key:?} field {name:?} is not a string"
            ))),
        }
    };
    if let Some(t) = field("identitytoken")? {
        return Ok(Credentials::IdentityToken(t));
    }
    if let Some(t) = field("registrytoken")? {
        return Ok(Credentials::Bearer(t));
    }
    if let Some(a) = field("auth")? {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(a.trim())
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(a.trim()))
            .map_err(|e| err(format!("auths entry {key:?}: \"auth\" is not base64: {e}")))?;
        let text = String::from_utf8(decoded)
            .map_err(|_| err(format!("auths entry {key:?}: \"auth\" is not UTF-8 text")))?;
        let Some((user, pass)) = text.split_once(':') else {
            return Err(err(format!(
                "auths entry {key:?}: \"auth\" does not decode to user:password"
            )));
        };
        return Ok(Credentials::Basic {
            user: user.to_string(),
            pass: pass.trim_end_matches(['\n', '\r']).to_string(),
        });
    }
    if let (Some(user), Some(pass)) = (field("username")?, field("password")?) {
        return Ok(Credentials::Basic { user, pass });
    }
    if let Some(helper) = store {
        return Err(RegistryError::CredentialHelper {
            path: shown.clone(),
            registry: registry.to_string(),
            helper: helper.to_string(),
        });
    }
    Ok(Credentials::Anonymous)
}

/// `https://Host:5000/v1/` → `host:5000`.
fn normalize_host(key: &str) -> String {
    let k = key.trim();
    let k = k
        .strip_prefix("https://")
        .or_else(|| k.strip_prefix("http://"))
        .unwrap_or(k);
    let k = k.split('/').next().unwrap_or("");
    k.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(s: &str) -> Vec<(String, Vec<(String, String)>)> {
        parse_www_authenticate(s)
            .into_iter()
            .map(|c| (c.scheme, c.params))
            .collect()
    }
    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn www_authenticate() {
        assert_eq!(
            ch(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
            ),
            vec![(
                "bearer".into(),
                kv(&[
                    ("realm", "https://auth.docker.io/token"),
                    ("service", "registry.docker.io"),
                    ("scope", "repository:library/alpine:pull"),
                ])
            )]
        );
        // Quoted commas, escapes, spaces around '=', unquoted values, two challenges.
        assert_eq!(
            ch(
                r#"Bearer realm = "https://r/t?a=1,b=2", scope="repository:a:pull,push", error=insufficient_scope, Basic realm="say \"hi\"""#
            ),
            vec![
                (
                    "bearer".into(),
                    kv(&[
                        ("realm", "https://r/t?a=1,b=2"),
                        ("scope", "repository:a:pull,push"),
                        ("error", "insufficient_scope"),
                    ])
                ),
                ("basic".into(), kv(&[("realm", "say \"hi\"")])),
            ]
        );
        assert_eq!(
            ch(r#"Basic realm="Registry Realm""#),
            vec![("basic".into(), kv(&[("realm", "Registry Realm")]))]
        );
        assert_eq!(ch("Basic"), vec![("basic".into(), vec![])]);
        assert_eq!(
            ch("Negotiate abc==, Basic realm=x"),
            vec![
                ("negotiate".into(), vec![]),
                ("basic".into(), kv(&[("realm", "x")])),
            ]
        );
        let c = &parse_www_authenticate(r#"BEARER Realm="x""#)[0];
        assert_eq!(c.param("realm"), Some("x"));
        assert_eq!(c.param("service"), None);
        // Hostile input: unterminated quotes, stray symbols, no panic, always ends.
        for s in [
            "",
            ",,,",
            "=",
            "\"",
            "Bearer realm=\"abc",
            "Bearer ===",
            "Bearer realm=",
            "a=b=c",
            "\u{e9}=\"\u{e9}\\",
            "Bearer realm=\"x\\",
        ] {
            let _ = parse_www_authenticate(s);
        }
        assert_eq!(
            ch("Bearer realm=\"abc"),
            vec![("bearer".into(), kv(&[("realm", "abc")]))]
        );
        let huge = format!("Bearer realm=\"{}\"", "x".repeat(100_000));
        assert!(
            parse_www_authenticate(&huge)[0]
                .param("realm")
                .unwrap()
                .len()
                < 17_000
        );
    }

    fn creds(json: &str, registry: &str) -> Result<Credentials, RegistryError> {
        credentials_from_docker_config(json.as_bytes(), Path::new("/cfg/config.json"), registry)
    }

    #[test]
    fn docker_config_entries() {
        // "user:pa:ss" base64.
        let hub = r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYTpzcw=="}}}"#;
        let basic = Credentials::Basic {
            user: "user".into(),
            pass: "pa:ss".into(),
        };
        assert_eq!(creds(hub, "registry-1.docker.io").unwrap(), basic);
        assert_eq!(creds(hub, "docker.io").unwrap(), basic);
        assert_eq!(creds(hub, "ghcr.io").unwrap(), Credentials::Anonymous);

        let cfg = r#"{"auths":{
            "localhost:5000":{"username":"u","password":"p"},
            "https://ghcr.io":{"identitytoken":"refresh"},
            "http://reg.example.com:8443/v2/":{"registrytoken":"tok"},
            "nopad.example":{"auth":"dTpw"},
            "empty.example":{}
        }}"#;
        assert_eq!(
            creds(cfg, "localhost:5000").unwrap(),
            Credentials::Basic {
                user: "u".into(),
                pass: "p".into()
            }
        );
        assert_eq!(
            creds(cfg, "localhost:5001").unwrap(),
            Credentials::Anonymous
        );
        assert_eq!(
            creds(cfg, "ghcr.io").unwrap(),
            Credentials::IdentityToken("refresh".into())
        );
        assert_eq!(
            creds(cfg, "reg.example.com:8443").unwrap(),
            Credentials::Bearer("tok".into())
        );
        assert_eq!(
            creds(cfg, "nopad.example").unwrap(),
            Credentials::Basic {
                user: "u".into(),
                pass: "p".into()
            }
        );
        assert_eq!(creds(cfg, "empty.example").unwrap(), Credentials::Anonymous);
        assert_eq!(creds("{}", "x.io").unwrap(), Credentials::Anonymous);

        // Exact key wins over a normalised one.
        let two = r#"{"auths":{"docker.io":{"auth":"YTpi"},"https://index.docker.io/v1/":{"auth":"Yzpk"}}}"#;
        assert_eq!(
            creds(two, "registry-1.docker.io").unwrap(),
            Credentials::Basic {
                user: "c".into(),
                pass: "d".into()
            }
        );
    }

    #[test]
    fn docker_config_helpers_and_errors() {
        let helpers =
            r#"{"credHelpers":{"123.dkr.ecr.us-east-1.amazonaws.com":"ecr-login"},"auths":{}}"#;
        let e = creds(helpers, "123.dkr.ecr.us-east-1.amazonaws.com")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("docker-credential-ecr-login")
                && e.contains("--password-stdin")
                && e.contains("/cfg/config.json"),
            "{e}"
        );
        assert_eq!(creds(helpers, "ghcr.io").unwrap(), Credentials::Anonymous);

        let store = r#"{"credsStore":"desktop","auths":{"https://index.docker.io/v1/":{}}}"#;
        let e = creds(store, "registry-1.docker.io")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("docker-credential-desktop") && e.contains("--username"),
            "{e}"
        );
        assert_eq!(creds(store, "quay.io").unwrap(), Credentials::Anonymous);

        for (bad, want) in [
            ("not json", "not valid JSON"),
            ("[]", "not a JSON object"),
            (r#"{"auths":[]}"#, "\"auths\" is not an object"),
            (r#"{"auths":{"x.io":{"auth":"!!!"}}}"#, "not base64"),
            (
                r#"{"auths":{"x.io":{"auth":"bm9jb2xvbg=="}}}"#,
                "user:password",
            ),
            (r#"{"auths":{"x.io":{"auth":5}}}"#, "not a string"),
            (r#"{"auths":{"x.io":"str"}}"#, "not an object"),
        ] {
            let e = creds(bad, "x.io").unwrap_err().to_string();
            assert!(
                e.contains(want) && e.contains("/cfg/config.json"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn docker_config_from_env() {
        // The only test that touches DOCKER_CONFIG.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"auths":{"localhost:5000":{"auth":"YWxpY2U6czNjcmV0"}}}"#,
        )
        .unwrap();
        std::env::set_var("DOCKER_CONFIG", dir.path());
        let got = docker_config_credentials("localhost:5000");
        let empty = tempfile::tempdir().unwrap();
        std::env::set_var("DOCKER_CONFIG", empty.path());
        let missing = docker_config_credentials("localhost:5000");
        std::fs::write(empty.path().join("config.json"), "{").unwrap();
        let broken = docker_config_credentials("localhost:5000");
        std::env::remove_var("DOCKER_CONFIG");
        assert_eq!(
            got.unwrap(),
            Credentials::Basic {
                user: "alice".into(),
                pass: "s3cret".into()
            }
        );
        assert_eq!(missing.unwrap(), Credentials::Anonymous);
        assert!(broken.unwrap_err().to_string().contains("not valid JSON"));
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = Credentials::Basic {
            user: "u".into(),
            pass: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{:?}", Credentials::Bearer("tok123".into())).contains("tok123"));
    }
}
