//! Integration tests against a real registry (Debian's `docker-registry`, i.e.
//! CNCF distribution 2.8) fed with images pushed by `skopeo` from OCI layouts
//! built here by hand.
//!
//! Needs: `apt-get install -y docker-registry skopeo apache2-utils`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use scry_registry::{
    Client, ClientOptions, Credentials, LayerDesc, Platform, Reference, RegistryError,
};
use serde_json::json;
use sha2::{Digest, Sha256};

const APT_HINT: &str = "apt-get update && apt-get install -y docker-registry skopeo apache2-utils";
const LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

fn require(bin: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/local/bin", "/usr/sbin"] {
        let p = Path::new(dir).join(bin);
        if p.is_file() {
            return p;
        }
    }
    panic!("`{bin}` is not installed; these tests need a real registry: run `{APT_HINT}`");
}

fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

/// A running `docker-registry serve`, killed on drop.
struct Registry {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    fn start(htpasswd: Option<(&str, &str)>) -> Registry {
        let bin = require("docker-registry");
        let dir = tempfile::tempdir().unwrap();
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let storage = dir.path().join("storage");
        std::fs::create_dir_all(&storage).unwrap();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: 127.0.0.1:{port}\n",
            storage.display()
        );
        if let Some((user, pass)) = htpasswd {
            let out = Command::new(require("htpasswd"))
                .args(["-Bbn", user, pass])
                .output()
                .expect("run htpasswd");
            assert!(out.status.success(), "htpasswd failed: {out:?}");
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, &out.stdout).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: scry-test\n    path: {}\n",
                file.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let mut reg = Registry { child, port, dir };
        reg.wait_ready();
        reg
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "docker-registry exited with {status}: {}",
                    std::fs::read_to_string(self.dir.path().join("registry.log"))
                        .unwrap_or_default()
                );
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = s.write_all(b"GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
                let mut buf = [0u8; 12];
                if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.") {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not answer /v2/ within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn reference(&self, repo_and_tag: &str) -> Reference {
        Reference::parse(&format!("{}/{repo_and_tag}", self.host())).unwrap()
    }

    /// `skopeo copy` from an OCI layout into this registry.
    fn push(&self, layout: &Path, tag: &str, dest: &str, all: bool, creds: Option<&str>) {
        let mut cmd = Command::new(require("skopeo"));
        cmd.args([
            "--insecure-policy",
            "copy",
            "--dest-tls-verify=false",
            "--preserve-digests",
        ]);
        if all {
            cmd.arg("--all");
        }
        if let Some(c) = creds {
            cmd.args(["--dest-creds", c]);
        }
        cmd.arg(format!("oci:{}:{tag}", layout.display()))
            .arg(format!("docker://{}/{dest}", self.host()));
        let out = cmd.output().expect("run skopeo");
        assert!(
            out.status.success(),
            "skopeo copy failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Path of a blob's data file in the registry storage.
    fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.dir
            .path()
            .join("storage/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

/// An OCI image layout under construction.
struct Layout {
    dir: tempfile::TempDir,
    refs: Vec<serde_json::Value>,
}

/// What was written for one image.
struct BuiltImage {
    manifest_digest: String,
    manifest_size: usize,
    config_digest: String,
    layer: Vec<u8>,
    layer_digest: String,
}

impl Layout {
    fn new() -> Layout {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
        std::fs::write(
            dir.path().join("oci-layout"),
            r#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .unwrap();
        Layout {
            dir,
            refs: Vec::new(),
        }
    }

    fn blob(&self, bytes: &[u8]) -> String {
        let d = sha256(bytes);
        let path = self
            .dir
            .path()
            .join("blobs/sha256")
            .join(d.strip_prefix("sha256:").unwrap());
        std::fs::write(path, bytes).unwrap();
        d
    }

    fn image(&self, arch: &str, variant: Option<&str>, files: &[(&str, &str)]) -> BuiltImage {
        let mut tar = tar::Builder::new(Vec::new());
        for (name, body) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(1_700_000_000);
            h.set_cksum();
            tar.append_data(&mut h, name, body.as_bytes()).unwrap();
        }
        let tar = tar.into_inner().unwrap();
        let diff_id = sha256(&tar);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        let layer = gz.finish().unwrap();
        let layer_digest = self.blob(&layer);
        let mut config = json!({
            "architecture": arch,
            "os": "linux",
            "config": {"Env": ["PATH=/usr/bin"], "Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        });
        if let Some(v) = variant {
            config["variant"] = json!(v);
        }
        let config = serde_json::to_vec(&config).unwrap();
        let config_digest = self.blob(&config);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": LAYER_GZIP, "digest": layer_digest, "size": layer.len()}],
        }))
        .unwrap();
        let manifest_digest = self.blob(&manifest);
        BuiltImage {
            manifest_digest,
            manifest_size: manifest.len(),
            config_digest,
            layer,
            layer_digest,
        }
    }

    fn tag(&mut self, tag: &str, media_type: &str, digest: &str, size: usize) {
        self.refs.push(json!({
            "mediaType": media_type,
            "digest": digest,
            "size": size,
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }));
        let index = json!({"schemaVersion": 2, "manifests": self.refs});
        std::fs::write(
            self.dir.path().join("index.json"),
            serde_json::to_vec(&index).unwrap(),
        )
        .unwrap();
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn client(credentials: Credentials) -> Client {
    Client::new(ClientOptions {
        credentials,
        timeout: Duration::from_secs(30),
        ..ClientOptions::default()
    })
    .unwrap()
}

fn read_all(c: &Client, r: &Reference, l: &LayerDesc) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    c.open_blob(r, l).unwrap().read_to_end(&mut out)?;
    Ok(out)
}

fn amd64() -> Platform {
    Platform::parse("linux/amd64").unwrap()
}

#[test]
fn pull_single_image_over_plain_http() {
    let reg = Registry::start(None);
    let mut layout = Layout::new();
    let img = layout.image(
        "amd64",
        None,
        &[
            ("etc/os-release", "ID=test\n"),
            ("usr/bin/hello", "#!/bin/sh\necho hi\n"),
        ],
    );
    layout.tag(
        "v1",
        "application/vnd.oci.image.manifest.v1+json",
        &img.manifest_digest,
        img.manifest_size,
    );
    reg.push(layout.path(), "v1", "test/img:v1", false, None);

    // No insecure list: 127.0.0.1 falls back from HTTPS to HTTP by itself.
    let c = client(Credentials::Anonymous);
    let r = reg.reference("test/img:v1");
    let got = c.resolve(&r, &amd64()).unwrap();
    assert_eq!(got.manifest_digest, img.manifest_digest);
    assert_eq!(
        got.manifest_media_type,
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(got.index_digest, None);
    assert_eq!(got.platform, None);
    assert_eq!(got.config_digest, img.config_digest);
    assert_eq!(got.config["architecture"], "amd64");
    assert_eq!(got.config["config"]["Cmd"][0], "/bin/sh");
    assert_eq!(
        got.layers,
        vec![LayerDesc {
            digest: img.layer_digest.clone(),
            media_type: LAYER_GZIP.into(),
            size: img.layer.len() as u64
        }]
    );
    assert_eq!(read_all(&c, &r, &got.layers[0]).unwrap(), img.layer);
    assert_eq!(
        c.open_blob(&r, &got.layers[0]).unwrap().finish().unwrap(),
        img.layer.len() as u64
    );

    // The same image by digest.
    let by_digest = reg.reference(&format!("test/img@{}", img.manifest_digest));
    let again = c.resolve(&by_digest, &amd64()).unwrap();
    assert_eq!(again.manifest_digest, img.manifest_digest);
    assert_eq!(again.layers, got.layers);

    // Listed as insecure: plain HTTP straight away.
    let insecure = Client::new(ClientOptions {
        insecure_http_hosts: vec![reg.host()],
        ..ClientOptions::default()
    })
    .unwrap();
    assert_eq!(
        insecure.resolve(&r, &amd64()).unwrap().manifest_digest,
        img.manifest_digest
    );

    // Unknown tag, repository and blob.
    for missing in ["test/img:nope", "test/other:v1"] {
        let m = reg.reference(missing);
        match c.resolve(&m, &amd64()) {
            Err(e @ RegistryError::NotFound { .. }) => {
                let s = e.to_string();
                assert!(s.contains(&m.to_string()) && s.contains("404"), "{s}");
            }
            other => panic!("{missing}: expected NotFound, got {other:?}"),
        }
    }
    let ghost = LayerDesc {
        digest: sha256(b"ghost"),
        media_type: LAYER_GZIP.into(),
        size: 5,
    };
    assert!(matches!(
        c.open_blob(&r, &ghost),
        Err(RegistryError::NotFound { .. })
    ));

    // Nothing listening: a network error naming the URL.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dead = Reference::parse(&format!("127.0.0.1:{closed}/test/img:v1")).unwrap();
    match c.resolve(&dead, &amd64()) {
        Err(e @ RegistryError::Network { .. }) => {
            assert!(
                e.to_string()
                    .contains(&format!("127.0.0.1:{closed}/v2/test/img/manifests/v1")),
                "{e}"
            )
        }
        other => panic!("expected a network error, got {other:?}"),
    }
}

#[test]
fn htpasswd_registry_needs_basic_credentials() {
    let reg = Registry::start(Some(("user", "pass")));
    let mut layout = Layout::new();
    let img = layout.image("amd64", None, &[("secret.txt", "classified\n")]);
    layout.tag(
        "v1",
        "application/vnd.oci.image.manifest.v1+json",
        &img.manifest_digest,
        img.manifest_size,
    );
    reg.push(
        layout.path(),
        "v1",
        "test/private:v1",
        false,
        Some("user:pass"),
    );
    let r = reg.reference("test/private:v1");

    match client(Credentials::Anonymous).resolve(&r, &amd64()) {
        Err(e @ RegistryError::Unauthorized { .. }) => {
            let s = e.to_string();
            assert!(
                s.contains(&reg.host()) && s.contains("--username") && s.contains("401"),
                "{s}"
            );
        }
        other => panic!("anonymous pull: expected Unauthorized, got {other:?}"),
    }
    let wrong = client(Credentials::Basic {
        user: "user".into(),
        pass: "nope".into(),
    });
    assert!(matches!(
        wrong.resolve(&r, &amd64()),
        Err(RegistryError::Unauthorized { .. })
    ));

    let good = client(Credentials::Basic {
        user: "user".into(),
        pass: "pass".into(),
    });
    let got = good.resolve(&r, &amd64()).unwrap();
    assert_eq!(got.manifest_digest, img.manifest_digest);
    assert_eq!(got.config_digest, img.config_digest);
    assert_eq!(read_all(&good, &r, &got.layers[0]).unwrap(), img.layer);
}

#[test]
fn multi_arch_index_selects_platform() {
    let reg = Registry::start(None);
    let mut layout = Layout::new();
    let amd = layout.image("amd64", None, &[("arch", "amd64\n")]);
    let arm = layout.image("arm64", Some("v8"), &[("arch", "arm64\n")]);
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": amd.manifest_digest, "size": amd.manifest_size,
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": arm.manifest_digest, "size": arm.manifest_size,
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    }))
    .unwrap();
    let index_digest = layout.blob(&index);
    layout.tag(
        "multi",
        "application/vnd.oci.image.index.v1+json",
        &index_digest,
        index.len(),
    );
    reg.push(layout.path(), "multi", "test/multi:v1", true, None);

    let c = client(Credentials::Anonymous);
    let r = reg.reference("test/multi:v1");
    for (platform, img, arch) in [
        ("linux/amd64", &amd, "amd64"),
        ("linux/arm64", &arm, "arm64"),
        ("linux/arm64/v8", &arm, "arm64"),
    ] {
        let got = c.resolve(&r, &Platform::parse(platform).unwrap()).unwrap();
        assert_eq!(got.manifest_digest, img.manifest_digest, "{platform}");
        assert_eq!(
            got.index_digest.as_deref(),
            Some(index_digest.as_str()),
            "{platform}"
        );
        assert_eq!(got.config_digest, img.config_digest, "{platform}");
        assert_eq!(got.config["architecture"], arch);
        assert_eq!(got.platform.as_ref().unwrap().architecture, arch);
        assert_eq!(
            read_all(&c, &r, &got.layers[0]).unwrap(),
            img.layer,
            "{platform}"
        );
    }
    // By the index digest.
    let by_digest = reg.reference(&format!("test/multi@{index_digest}"));
    assert_eq!(
        c.resolve(&by_digest, &amd64()).unwrap().manifest_digest,
        amd.manifest_digest
    );

    match c.resolve(&r, &Platform::parse("linux/s390x").unwrap()) {
        Err(e @ RegistryError::NoMatchingPlatform { .. }) => {
            let s = e.to_string();
            assert!(
                s.contains("linux/s390x") && s.contains("available: linux/amd64, linux/arm64/v8"),
                "{s}"
            );
        }
        other => panic!("expected NoMatchingPlatform, got {other:?}"),
    }
}

#[test]
fn corrupted_content_is_detected() {
    let reg = Registry::start(None);
    let mut layout = Layout::new();
    let img = layout.image("amd64", None, &[("a.txt", "aaaa\n"), ("b.txt", "bbbb\n")]);
    layout.tag(
        "v1",
        "application/vnd.oci.image.manifest.v1+json",
        &img.manifest_digest,
        img.manifest_size,
    );
    reg.push(layout.path(), "v1", "test/img:v1", false, None);
    let c = client(Credentials::Anonymous);
    let r = reg.reference("test/img:v1");
    let got = c.resolve(&r, &amd64()).unwrap();
    let layer = &got.layers[0];

    // Same size, one byte flipped.
    let path = reg.blob_path(&img.layer_digest);
    let mut bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes, img.layer, "blob stored as pushed");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let e = read_all(&c, &r, layer).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    let s = e.to_string();
    assert!(
        s.contains(&format!("expected {}", img.layer_digest))
            && s.contains(&format!("actual {}", sha256(&bytes))),
        "{s}"
    );

    // Longer than the descriptor says.
    let mut longer = img.layer.clone();
    longer.extend_from_slice(b"trailing garbage");
    std::fs::write(&path, &longer).unwrap();
    let e = read_all(&c, &r, layer).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert!(
        e.to_string().contains("more bytes arrived") && e.to_string().contains(&img.layer_digest),
        "{e}"
    );

    // A tampered config blob fails resolve.
    let config_path = reg.blob_path(&img.config_digest);
    let mut config = std::fs::read(&config_path).unwrap();
    config[0] = b' ';
    std::fs::write(&config_path, &config).unwrap();
    match c.resolve(&r, &amd64()) {
        Err(e @ RegistryError::DigestMismatch { .. }) => {
            assert!(e.to_string().contains(&img.config_digest), "{e}")
        }
        other => panic!("expected DigestMismatch for the config, got {other:?}"),
    }
}
