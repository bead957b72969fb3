//! Scan on push, end to end with real parts: Debian's `docker-registry` (CNCF Distribution)
//! on loopback posting its notifications to a real `scry server`; a real image (an
//! `mmdebstrap` root file system plus a Python package at a version the shared OSV PyPI feed
//! marks affected) built with `umoci` and pushed with `skopeo`. Findings must appear with no
//! other action; a fixed build pushed under the same tag must be a new, clean resource while
//! the old digest keeps its findings (with the tag moved off it). Prints the push-to-findings
//! latency.
//!
//! Needs: docker-registry, mmdebstrap (+ uidmap when not root), umoci, skopeo — `.ci/run`
//! installs them; when one is missing the test says so and skips.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{have, server_command, sh, shared, start_server, Killed};
use serde_json::{json, Value};

const ACCOUNT: &str = "111122223333";
/// PyPI package and versions checked against `../shared/vulndata/osv-pypi/pyyaml`:
/// PYSEC-2021-142 (CVE-2020-14343) affects PyYAML < 5.4; nothing there affects 6.0.1.
const VULNERABLE: (&str, &str) = ("PyYAML", "5.3.1");
const FIXED: (&str, &str) = ("PyYAML", "6.0.1");

fn scry(args: &[&str]) -> Vec<u8> {
    common::scry(args, &[]).stdout
}

fn work() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scry-registry-e2e");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The log line without terminal colour codes.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\x1b' {
            for d in it.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The base root file system: `mmdebstrap --variant=essential` (the smallest Debian that has
/// a dpkg database), built once per target directory; the build time is printed.
fn rootfs_tar() -> PathBuf {
    let tarball = work().join("essential.tar");
    if !tarball.exists() {
        let t = Instant::now();
        let tmp = work().join("essential.tar.part");
        sh(&format!(
            "mmdebstrap --quiet --variant=essential --format=tar bookworm {} http://deb.debian.org/debian",
            tmp.display()
        ));
        std::fs::rename(&tmp, &tarball).unwrap();
        eprintln!(
            "built the base root file system (mmdebstrap --variant=essential bookworm) in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    tarball
}

/// An OCI layout with `base` (the root file system, one layer) and `vuln` / `fixed` (base plus
/// one layer holding a Python package's dist-info at the vulnerable / fixed version). Both
/// share the base layer blob.
fn build_images(dir: &Path) -> PathBuf {
    let oci = dir.join("oci");
    let root = dir.join("rootfs");
    std::fs::create_dir_all(&root).unwrap();
    sh(&format!(
        "tar -xf {} -C {} --exclude='./dev/*' 2>/dev/null || tar -xf {} -C {} --exclude='./dev/*' --no-same-owner",
        rootfs_tar().display(),
        root.display(),
        rootfs_tar().display(),
        root.display()
    ));
    sh(&format!(
        "umoci init --layout {o} && umoci new --image {o}:empty && umoci insert --rootless --image {o}:empty --tag base {r} /",
        o = oci.display(),
        r = root.display()
    ));
    for (tag, (name, version)) in [("vuln", VULNERABLE), ("fixed", FIXED)] {
        let site = dir.join(format!("site-{tag}"));
        let info = site.join(format!("{name}-{version}.dist-info"));
        std::fs::create_dir_all(&info).unwrap();
        std::fs::write(
            info.join("METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: YAML parser and emitter for Python\n"),
        )
        .unwrap();
        sh(&format!(
            "umoci insert --rootless --image {o}:base --tag {tag} {s} /usr/local/lib/python3.11/dist-packages",
            o = oci.display(),
            s = site.display()
        ));
    }
    oci
}

/// `skopeo copy` of one tag of the layout into the registry; returns the pushed digest.
fn push(oci: &Path, tag: &str, dest: &str, dir: &Path) -> String {
    let digestfile = dir.join(format!("digest-{tag}"));
    sh(&format!(
        "skopeo copy -q --dest-tls-verify=false --digestfile {} oci:{}:{tag} docker://{dest}",
        digestfile.display(),
        oci.display()
    ));
    std::fs::read_to_string(digestfile)
        .unwrap()
        .trim()
        .to_string()
}

/// The Inspector API, signed with SigV4 as the AWS SDKs sign it.
struct Api {
    url: String,
    key: (String, String),
    http: reqwest::blocking::Client,
}

impl Api {
    fn call(&self, path: &str, body: &Value) -> Value {
        let url = reqwest::Url::parse(&format!("{}{path}", self.url)).unwrap();
        let body = serde_json::to_vec(body).unwrap();
        let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
        let mut req = scry_sigv4::SignRequest {
            method: "POST".into(),
            path: path.into(),
            query: String::new(),
            headers: vec![
                ("host".into(), host),
                ("content-type".into(), "application/json".into()),
            ],
        };
        let creds = scry_sigv4::Credentials::new(&self.key.0, &self.key.1);
        scry_sigv4::sign(
            &mut req,
            scry_sigv4::SignPayload::Bytes(&body),
            &scry_sigv4::SigningParams {
                credentials: &creds,
                region: "us-east-1",
                service: "inspector2",
                time: chrono::Utc::now(),
                content_sha256_header: false,
            },
        )
        .unwrap();
        let mut rb = self.http.post(url).body(body);
        for (k, v) in &req.headers {
            if k != "host" {
                rb = rb.header(k.as_str(), v.as_str());
            }
        }
        let resp = rb.send().unwrap();
        let status = resp.status();
        let text = resp.text().unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    fn findings_of(&self, digest: &str) -> Vec<Value> {
        let v = self.call(
            "/findings/list",
            &json!({"filterCriteria": {"ecrImageHash": [{"comparison": "EQUALS", "value": digest}]}, "maxResults": 100}),
        );
        v["findings"].as_array().cloned().unwrap_or_default()
    }

    fn coverage_of(&self, resource_id: &str) -> Option<Value> {
        let v = self.call(
            "/coverage/list",
            &json!({"filterCriteria": {"resourceId": [{"comparison": "EQUALS", "value": resource_id}]}}),
        );
        v["coveredResources"].as_array()?.first().cloned()
    }
}

fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> (T, Duration) {
    let t = Instant::now();
    loop {
        if let Some(v) = f() {
            return (v, t.elapsed());
        }
        assert!(t.elapsed() < limit, "{what}: nothing after {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn images_pushed_to_a_real_registry_are_scanned_from_its_notifications_or_by_polling() {
    for tool in ["docker-registry", "mmdebstrap", "umoci", "skopeo"] {
        if !have(tool) {
            eprintln!("SKIPPED: {tool} is missing — apt-get install docker-registry mmdebstrap uidmap umoci skopeo (.ci/run installs them)");
            return;
        }
    }
    let dir = work().join(format!("run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let t = Instant::now();
    let oci = build_images(&dir);
    eprintln!(
        "built the images (umoci) in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // The advisory database: the real OSV PyPI feed.
    let db = dir.join("advisories.db");
    let data = dir.join("data");
    scry(&[
        "db",
        "import",
        shared("vulndata/osv-pypi").to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    let key: Value = serde_json::from_slice(&scry(&[
        "keys",
        "create",
        "--account",
        ACCOUNT,
        "--format",
        "json",
        "--data-dir",
        data.to_str().unwrap(),
    ]))
    .unwrap();

    // scry server, with its log kept for the layer-cache check.
    let (_server, url, lines) =
        start_server(server_command(&data, &db, &[]).env("SCRY_LOG", "info"));
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    {
        let log = log.clone();
        std::thread::spawn(move || {
            for l in lines.map_while(Result::ok) {
                log.lock().unwrap().push(strip_ansi(&l));
            }
        });
    }

    // `scry registry add`, then the registry configured with the snippet it printed.
    let port = free_port();
    let added: Value = serde_json::from_slice(&scry(&[
        "registry",
        "add",
        &format!("http://127.0.0.1:{port}"),
        "--data-dir",
        data.to_str().unwrap(),
        "--repositories",
        "team/*",
        "--poll-interval",
        "0",
        "--server-url",
        &url,
        "--format",
        "json",
    ]))
    .unwrap();
    let token = added["token"].as_str().unwrap().to_string();
    let config = dir.join("registry.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n{}",
            dir.join("storage").display(),
            added["notificationsConfig"].as_str().unwrap()
        ),
    )
    .unwrap();
    let _registry = Killed(
        Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for("docker-registry listening", Duration::from_secs(30), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });

    let api = Api {
        url: url.clone(),
        key: (
            key["accessKeyId"].as_str().unwrap().into(),
            key["secretAccessKey"].as_str().unwrap().into(),
        ),
        http: reqwest::blocking::Client::new(),
    };
    let host = format!("127.0.0.1:{port}");

    // 1. Push the vulnerable build; findings appear with no other action.
    let pushed = Instant::now();
    let old = push(&oci, "vuln", &format!("{host}/team/app:1.0"), &dir);
    let push_secs = pushed.elapsed();
    let (findings, after_push) = wait_for(
        "findings of the pushed image",
        Duration::from_secs(60),
        || {
            let f = api.findings_of(&old);
            (!f.is_empty()).then_some(f)
        },
    );
    let total = pushed.elapsed();
    eprintln!(
        "push-to-findings latency: {:.0} ms after skopeo copy returned ({:.0} ms from the start of the push, which took {:.0} ms)",
        after_push.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
        push_secs.as_secs_f64() * 1e3
    );
    let ids: Vec<&str> = findings
        .iter()
        .map(|f| {
            f["packageVulnerabilityDetails"]["vulnerabilityId"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(ids.contains(&"CVE-2020-14343"), "{ids:?}");
    for f in &findings {
        let p = &f["packageVulnerabilityDetails"]["vulnerablePackages"][0];
        assert!(
            p["name"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case(VULNERABLE.0),
            "{f}"
        );
        assert_eq!(p["version"], VULNERABLE.1);
        assert_eq!(f["status"], "ACTIVE");
        let r = &f["resources"][0];
        assert_eq!(r["type"], "AWS_ECR_CONTAINER_IMAGE");
        assert_eq!(r["id"], format!("{host}/team/app@{old}"));
        let d = &r["details"]["awsEcrContainerImage"];
        assert_eq!(d["repositoryName"], "team/app");
        assert_eq!(d["imageHash"], old.as_str());
        assert_eq!(d["imageTags"], json!(["1.0"]));
        assert_eq!(d["registry"], host.as_str());
    }
    let cov = api.coverage_of(&format!("{host}/team/app@{old}")).unwrap();
    assert_eq!(cov["scanStatus"]["statusCode"], "ACTIVE", "{cov}");

    // 2. A fixed build under the same tag: a new digest, a new resource, clean. The old digest
    // keeps its findings; the tag moved off it.
    let new = push(&oci, "fixed", &format!("{host}/team/app:1.0"), &dir);
    assert_ne!(new, old);
    let new_id = format!("{host}/team/app@{new}");
    let (cov, _) = wait_for("the fixed build scanned", Duration::from_secs(60), || {
        api.coverage_of(&new_id)
            .filter(|c| c["lastScannedAt"].is_number())
    });
    assert_eq!(cov["scanStatus"]["statusCode"], "ACTIVE", "{cov}");
    assert_eq!(
        cov["resourceMetadata"]["ecrImage"]["tags"],
        json!(["1.0"]),
        "{cov}"
    );
    assert!(
        api.findings_of(&new).is_empty(),
        "the fixed build has no findings"
    );
    let still = api.findings_of(&old);
    assert_eq!(still.len(), findings.len());
    assert!(still.iter().all(|f| f["status"] == "ACTIVE"));
    assert!(
        still.iter().all(
            |f| f["resources"][0]["details"]["awsEcrContainerImage"]["imageTags"] == json!([])
        ),
        "the tag moved off the old digest: {}",
        still[0]["resources"][0]
    );
    let old_cov = api.coverage_of(&format!("{host}/team/app@{old}")).unwrap();
    assert_eq!(old_cov["resourceMetadata"]["ecrImage"]["tags"], json!([]));

    // The shared base layer was read once: the second image took it from the layer cache.
    let scanned: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("registry image scanned"))
        .cloned()
        .collect();
    assert_eq!(scanned.len(), 2, "each digest collected once: {scanned:#?}");
    assert!(scanned[0].contains("layers_cached=0"), "{}", scanned[0]);
    assert!(
        scanned[1].contains("layers=2") && scanned[1].contains("layers_cached=1"),
        "{}",
        scanned[1]
    );

    // 3. A repository outside --repositories is not scanned.
    push(&oci, "vuln", &format!("{host}/other/app:1.0"), &dir);

    // 4. The endpoint refuses what it should, and the server keeps running.
    let http = reqwest::blocking::Client::new();
    let ep = format!("{url}/scry/v1/registry-events");
    let post = |auth: Option<&str>, body: Vec<u8>| {
        let mut rb = http
            .post(&ep)
            .header(
                "content-type",
                "application/vnd.docker.distribution.events.v1+json",
            )
            .body(body);
        if let Some(a) = auth {
            rb = rb.header("authorization", a);
        }
        let r = rb.send().unwrap();
        (r.status().as_u16(), r.text().unwrap())
    };
    let bearer = format!("Bearer {token}");
    assert_eq!(post(None, b"{\"events\":[]}".to_vec()).0, 401);
    assert_eq!(
        post(Some("Bearer scryreg_wrong"), b"{\"events\":[]}".to_vec()).0,
        401
    );
    let (s, body) = post(Some(&bearer), b"{not json".to_vec());
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("not a registry notification"), "{body}");
    let (s, body) = post(Some(&bearer), vec![b' '; (1 << 20) + 1]);
    assert_eq!(s, 413, "{body}");
    assert!(body.contains("at most 1048576"), "{body}");
    let (s, body) = post(
        Some(&bearer),
        serde_json::to_vec(&json!({"events": [
            {"action": "push", "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "repository": "team/../../etc", "digest": old}},
            {"action": "push", "target": {"mediaType": "application/octet-stream", "repository": "team/app", "digest": old}},
        ]}))
        .unwrap(),
    );
    assert_eq!(s, 200, "{body}");
    let ack: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (
            ack["invalid"].as_u64(),
            ack["ignored"].as_u64(),
            ack["queued"].as_u64()
        ),
        (Some(1), Some(1), Some(0)),
        "{ack}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(api
        .coverage_of(&format!("{host}/other/app@{old}"))
        .is_none());
    let listed: Value = serde_json::from_slice(&scry(&[
        "registry",
        "list",
        "--format",
        "json",
        "--data-dir",
        data.to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(listed[0]["images"], json!({"SCANNED": 2}), "{listed}");

    // 5. A registry that sends no notifications is found by polling its catalog and tags.
    let port2 = free_port();
    let added2: Value = serde_json::from_slice(&scry(&[
        "registry",
        "add",
        &format!("http://127.0.0.1:{port2}"),
        "--data-dir",
        data.to_str().unwrap(),
        "--repositories",
        "team/*",
        "--poll-interval",
        "2",
        "--server-url",
        &url,
        "--format",
        "json",
    ]))
    .unwrap();
    assert!(added2["token"].is_string(), "{added2}");
    let config2 = dir.join("registry-quiet.yml");
    std::fs::write(
        &config2,
        format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port2}\n",
            dir.join("storage-quiet").display(),
        ),
    )
    .unwrap();
    let _quiet = Killed(
        Command::new("docker-registry")
            .arg("serve")
            .arg(&config2)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(
        "the quiet registry listening",
        Duration::from_secs(30),
        || std::net::TcpStream::connect(("127.0.0.1", port2)).ok(),
    );
    let host2 = format!("127.0.0.1:{port2}");
    let polled = push(&oci, "vuln", &format!("{host2}/team/app:2.0"), &dir);
    let (found, after) = wait_for(
        "findings of the image found by polling",
        Duration::from_secs(60),
        || {
            let f: Vec<Value> = api
                .findings_of(&polled)
                .into_iter()
                .filter(|f| f["resources"][0]["id"] == format!("{host2}/team/app@{polled}"))
                .collect();
            (!f.is_empty()).then_some(f)
        },
    );
    eprintln!(
        "poll-to-findings latency: {:.0} ms after skopeo copy returned (poll interval 2 s)",
        after.as_secs_f64() * 1e3
    );
    assert!(
        found
            .iter()
            .any(|f| f["packageVulnerabilityDetails"]["vulnerabilityId"] == "CVE-2020-14343"),
        "{found:?}"
    );
    assert_eq!(
        found[0]["resources"][0]["details"]["awsEcrContainerImage"]["imageTags"],
        json!(["2.0"])
    );
    assert!(
        log.lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("image found by polling") && l.contains(&host2)),
        "the poller, not a notification, found it"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
