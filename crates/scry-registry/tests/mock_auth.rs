//! Token auth, retries and odd answers against a tiny in-process HTTP server
//! (the real registry in `registry.rs` only does Basic auth).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scry_registry::{Client, ClientOptions, Credentials, Platform, Reference, RegistryError};
use serde_json::json;
use sha2::{Digest, Sha256};

fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

#[derive(Debug, Clone)]
struct Req {
    method: String,
    target: String,
    auth: Option<String>,
    body: String,
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn resp(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    Resp {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.to_vec(),
    }
}

type Handler = dyn Fn(&Req) -> Resp + Send + Sync;

/// A one-request-per-connection HTTP/1.1 server on 127.0.0.1, stopped on drop.
struct Mock {
    port: u16,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Req>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve_one(mut s: TcpStream, handler: &Handler, log: &Mutex<Vec<Req>>) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    if r.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return;
    };
    let (mut auth, mut len) = (None, 0usize);
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "authorization" => auth = Some(v.trim().to_string()),
                "content-length" => len = v.trim().parse().unwrap_or(0).min(1 << 20),
                _ => {}
            }
        }
    }
    let mut body = vec![0u8; len];
    let _ = r.read_exact(&mut body);
    let req = Req {
        method: method.into(),
        target: target.into(),
        auth,
        body: String::from_utf8_lossy(&body).into(),
    };
    log.lock().unwrap().push(req.clone());
    let out = handler(&req);
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        out.status,
        out.body.len()
    );
    for (k, v) in &out.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(&out.body);
}

impl Mock {
    fn start(handler: impl Fn(&Req, u16) -> Resp + Send + Sync + 'static) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stop2, log2) = (stop.clone(), log.clone());
        let thread = std::thread::spawn(move || {
            let h = move |r: &Req| handler(r, port);
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((s, _)) => {
                        let _ = s.set_nonblocking(false);
                        serve_one(s, &h, &log2);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Mock {
            port,
            stop,
            log,
            thread: Some(thread),
        }
    }

    fn reference(&self, rest: &str) -> Reference {
        Reference::parse(&format!("127.0.0.1:{}/{rest}", self.port)).unwrap()
    }

    fn requests(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }
}

fn client(mock: &Mock, credentials: Credentials) -> Client {
    Client::new(ClientOptions {
        credentials,
        insecure_http_hosts: vec![format!("127.0.0.1:{}", mock.port)],
        timeout: Duration::from_secs(10),
        ..ClientOptions::default()
    })
    .unwrap()
}

/// A Docker v2 image: (manifest, config, layer).
fn image() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec();
    let layer = b"not really a tarball".to_vec();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": sha256(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": sha256(&layer), "size": layer.len()}],
    }))
    .unwrap();
    (manifest, config, layer)
}

/// Serves the image at `test/img:v1` behind a Bearer token service that wants
/// Basic `user:pass` (or a refresh token) and answers `tok-N`.
fn token_registry(flaky_config: bool) -> Mock {
    let (manifest, config, layer) = image();
    let tokens = AtomicUsize::new(0);
    let config_hits = AtomicUsize::new(0);
    Mock::start(move |req, port| {
        let path = req.target.split('?').next().unwrap_or("");
        if path == "/token" {
            let basic_ok = req.auth.as_deref() == Some("Basic dXNlcjpwYXNz");
            let refresh_ok = req.method == "POST"
                && req.body.contains("grant_type=refresh_token")
                && req.body.contains("refresh_token=r3fresh");
            if !(basic_ok || refresh_ok) {
                return resp(401, &[], br#"{"details":"bad credentials"}"#);
            }
            let n = tokens.fetch_add(1, Ordering::SeqCst) + 1;
            let key = if matches!(n % 2, 0) {
                "access_token"
            } else {
                "token"
            };
            return resp(
                200,
                &[("Content-Type", "application/json")],
                format!(r#"{{"{key}":"tok-{n}","expires_in":300}}"#).as_bytes(),
            );
        }
        if !req
            .auth
            .as_deref()
            .is_some_and(|a| a.starts_with("Bearer tok-"))
        {
            let challenge = format!(
                r#"Bearer realm="http://127.0.0.1:{port}/token",service="mock registry, v2",scope="repository:test/img:pull""#
            );
            return resp(
                401,
                &[("WWW-Authenticate", challenge.as_str())],
                br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            );
        }
        match path {
            "/v2/test/img/manifests/v1" => resp(
                200,
                &[(
                    "Content-Type",
                    "application/vnd.docker.distribution.manifest.v2+json",
                )],
                &manifest,
            ),
            p if p == format!("/v2/test/img/blobs/{}", sha256(&config)) => {
                if flaky_config && config_hits.fetch_add(1, Ordering::SeqCst) == 0 {
                    return resp(503, &[], b"try again");
                }
                resp(200, &[], &config)
            }
            p if p == format!("/v2/test/img/blobs/{}", sha256(&layer)) => resp(200, &[], &layer),
            _ => resp(
                404,
                &[],
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
            ),
        }
    })
}

fn amd64() -> Platform {
    Platform::parse("linux/amd64").unwrap()
}

#[test]
fn bearer_token_with_basic_credentials_is_fetched_once_and_cached() {
    let mock = token_registry(true);
    let c = client(
        &mock,
        Credentials::Basic {
            user: "user".into(),
            pass: "pass".into(),
        },
    );
    let r = mock.reference("test/img:v1");
    let (manifest, config, layer) = image();
    let got = c.resolve(&r, &amd64()).unwrap();
    assert_eq!(got.manifest_digest, sha256(&manifest));
    assert_eq!(
        got.manifest_media_type,
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(got.config_digest, sha256(&config));
    let mut body = Vec::new();
    c.open_blob(&r, &got.layers[0])
        .unwrap()
        .read_to_end(&mut body)
        .unwrap();
    assert_eq!(body, layer);

    let reqs = mock.requests();
    let token_reqs: Vec<&Req> = reqs
        .iter()
        .filter(|q| q.target.starts_with("/token"))
        .collect();
    assert_eq!(token_reqs.len(), 1, "token cached: {reqs:#?}");
    assert_eq!(
        token_reqs[0].target,
        "/token?service=mock+registry%2C+v2&scope=repository%3Atest%2Fimg%3Apull"
    );
    // manifest (401, then with token), config (503, retried), layer.
    let lines: Vec<(String, Option<String>)> = reqs
        .iter()
        .map(|q| (q.target.clone(), q.auth.clone()))
        .collect();
    assert_eq!(lines.len(), 6, "{lines:#?}");
    assert_eq!(lines[0], ("/v2/test/img/manifests/v1".to_string(), None));
    assert_eq!(lines[2].1.as_deref(), Some("Bearer tok-1"));
    assert_eq!(lines[3].0, lines[4].0, "the 503 was retried");
}

#[test]
fn identity_token_is_exchanged_by_post() {
    let mock = token_registry(false);
    let c = client(&mock, Credentials::IdentityToken("r3fresh".into()));
    let got = c.resolve(&mock.reference("test/img:v1"), &amd64()).unwrap();
    assert_eq!(got.layers.len(), 1);
    let post = mock
        .requests()
        .into_iter()
        .find(|q| q.method == "POST")
        .expect("a POST to /token");
    assert!(
        post.body.contains("scope=repository%3Atest%2Fimg%3Apull")
            && post.body.contains("service=mock+registry%2C+v2"),
        "{}",
        post.body
    );
}

#[test]
fn bad_credentials_and_missing_things() {
    let mock = token_registry(false);
    let r = mock.reference("test/img:v1");
    // The token service refuses: Unauthorized naming the registry.
    let bad = client(
        &mock,
        Credentials::Basic {
            user: "user".into(),
            pass: "wrong".into(),
        },
    );
    match bad.resolve(&r, &amd64()) {
        Err(e @ RegistryError::Unauthorized { .. }) => {
            let s = e.to_string();
            assert!(
                s.contains(&format!("127.0.0.1:{}", mock.port)) && s.contains("--password-stdin"),
                "{s}"
            );
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    // A static Bearer token the registry does not accept.
    let stat = client(&mock, Credentials::Bearer("static".into()));
    assert!(matches!(
        stat.resolve(&r, &amd64()),
        Err(RegistryError::Unauthorized { status: 401, .. })
    ));
    // Anonymous tokens are refused by this token service.
    let anon = client(&mock, Credentials::Anonymous);
    assert!(matches!(
        anon.resolve(&r, &amd64()),
        Err(RegistryError::Unauthorized { .. })
    ));
    // Missing tag after auth.
    let good = client(
        &mock,
        Credentials::Basic {
            user: "user".into(),
            pass: "pass".into(),
        },
    );
    match good.resolve(&mock.reference("test/img:v2"), &amd64()) {
        Err(e @ RegistryError::NotFound { .. }) => {
            assert!(e.to_string().contains("test/img:v2"), "{e}")
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn odd_answers() {
    let (manifest, _, _) = image();
    let digest = sha256(&manifest);
    let big = vec![b' '; 5 * 1024 * 1024];
    let mock = Mock::start(move |req, _| match req.target.as_str() {
        "/v2/s1/manifests/v1" => resp(
            200,
            &[(
                "Content-Type",
                "application/vnd.docker.distribution.manifest.v1+prettyjws",
            )],
            b"{}",
        ),
        "/v2/s1b/manifests/v1" => resp(
            200,
            &[("Content-Type", "application/json")],
            br#"{"schemaVersion":1,"fsLayers":[]}"#,
        ),
        "/v2/down/manifests/v1" => resp(500, &[], b"boom"),
        "/v2/big/manifests/v1" => resp(
            200,
            &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
            &big,
        ),
        "/v2/garbage/manifests/v1" => resp(
            200,
            &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
            b"\x00\xff{",
        ),
        t if t.starts_with("/v2/tampered/manifests/") => resp(
            200,
            &[(
                "Content-Type",
                "application/vnd.docker.distribution.manifest.v2+json",
            )],
            &manifest,
        ),
        "/v2/notoken/manifests/v1" => {
            resp(401, &[("WWW-Authenticate", "Bearer service=\"x\"")], b"")
        }
        "/v2/basiconly/manifests/v1" => {
            resp(401, &[("WWW-Authenticate", "Basic realm=\"r\"")], b"")
        }
        _ => resp(404, &[], b""),
    });
    let c = client(&mock, Credentials::Anonymous);
    let err = |rest: &str| c.resolve(&mock.reference(rest), &amd64()).unwrap_err();
    for s1 in ["s1:v1", "s1b:v1"] {
        let e = err(s1);
        assert!(
            matches!(e, RegistryError::UnsupportedManifest { .. })
                && e.to_string().contains("schema 1"),
            "{e}"
        );
    }
    let e = err("down:v1");
    assert!(
        matches!(e, RegistryError::Http { status: 500, .. }) && e.to_string().contains("boom"),
        "{e}"
    );
    let attempts = mock
        .requests()
        .iter()
        .filter(|q| q.target == "/v2/down/manifests/v1")
        .count();
    assert_eq!(attempts, 3, "two retries after the first try");
    assert!(matches!(err("big:v1"), RegistryError::TooLarge { .. }));
    assert!(matches!(
        err("garbage:v1"),
        RegistryError::InvalidManifest { .. }
    ));
    // Fetched by a digest the bytes do not have.
    let wrong = format!("sha256:{}", "0".repeat(64));
    match err(&format!("tampered@{wrong}")) {
        RegistryError::DigestMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, wrong);
            assert_eq!(actual, digest);
        }
        other => panic!("expected DigestMismatch, got {other:?}"),
    }
    assert!(matches!(err("notoken:v1"), RegistryError::Token { .. }));
    assert!(matches!(
        err("basiconly:v1"),
        RegistryError::Unauthorized { .. }
    ));
    assert!(matches!(err("nothing:v1"), RegistryError::NotFound { .. }));
}
