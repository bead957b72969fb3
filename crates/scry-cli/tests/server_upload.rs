//! Artifacts uploaded to a real `scry server` on loopback and collected there: function
//! packages with layers made by real `pip install --target` of known-vulnerable PyPI releases
//! (`scry function push`), images built by umoci and written by skopeo as a docker archive
//! and an OCI archive (`scry scan ... --upload`), and hostile uploads (zip bomb, path
//! traversal, truncated tar, over the size cap, wrong body hash) that are refused while the
//! server keeps answering. Findings are read back with the real AWS CLI.
//!
//! Needs: pip with PyPI (the function packages), the AWS CLI (`pip install awscli`); umoci and
//! skopeo for the image part (skipped with a message when they are missing). `.ci/run`
//! installs them all.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use common::{have, key, scry, scry_raw, server_command, sh, shared, start_server_quietly, Killed};
use serde_json::Value;

/// Starts `scry server` with an 8 MiB upload cap.
fn start(data: &Path, db: &Path) -> (Killed, String) {
    start_server_quietly(&mut server_command(data, db, &["--max-upload-mib", "8"]))
}

fn env(k: &(String, String)) -> [(&'static str, String); 2] {
    [
        ("SCRY_ACCESS_KEY_ID", k.0.clone()),
        ("SCRY_SECRET_ACCESS_KEY", k.1.clone()),
    ]
}

fn with_key<'a>(k: &'a [(&'static str, String); 2]) -> Vec<(&'a str, &'a str)> {
    k.iter().map(|(a, b)| (*a, b.as_str())).collect()
}

/// `aws inspector2 list-findings` with a filter, all pages.
fn list_findings(url: &str, k: &(String, String), filter: &str) -> Vec<Value> {
    let out = Command::new("aws")
        .args(["inspector2", "list-findings", "--filter-criteria", filter])
        .args([
            "--endpoint-url",
            url,
            "--region",
            "us-east-1",
            "--output",
            "json",
        ])
        .env("AWS_ACCESS_KEY_ID", &k.0)
        .env("AWS_SECRET_ACCESS_KEY", &k.1)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("the AWS CLI is installed (pip install awscli)");
    assert!(
        out.status.success(),
        "aws failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["findings"].as_array().cloned().unwrap_or_default()
}

/// (vulnerability id, package name, package path) of findings.
fn vulns(fs: &[Value]) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = fs
        .iter()
        .flat_map(|f| {
            let id = f["packageVulnerabilityDetails"]["vulnerabilityId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            f["packageVulnerabilityDetails"]["vulnerablePackages"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |p| {
                    (
                        id.clone(),
                        p["name"].as_str().unwrap_or_default().to_lowercase(),
                        p["filePath"].as_str().unwrap_or_default().to_string(),
                    )
                })
        })
        .collect();
    out.sort();
    out
}

fn pip_target(dir: &Path, spec: &str) {
    sh(&format!(
        "python3 -m pip install -q --no-deps --disable-pip-version-check --no-compile --target {} {spec}",
        dir.display()
    ));
}

/// Zips a directory's contents (as `zip -r` from inside it would).
fn zip_dir(dir: &Path, zip: &Path) {
    sh(&format!(
        "python3 -c 'import shutil,sys; shutil.make_archive(sys.argv[1], \"zip\", sys.argv[2])' {} {}",
        zip.with_extension("").display(),
        dir.display()
    ));
    assert!(zip.is_file());
}

/// A signed request made by hand (for what the CLI never sends).
fn signed(
    url: &str,
    k: &(String, String),
    method: &str,
    path: &str,
    query: &str,
    body: Vec<u8>,
    content_sha256: Option<&str>,
) -> (u16, String, String) {
    let u = reqwest::Url::parse(&format!("{url}{path}")).unwrap();
    let host = format!("{}:{}", u.host_str().unwrap(), u.port().unwrap());
    let mut headers = vec![("host".to_string(), host)];
    if let Some(h) = content_sha256 {
        headers.push(("x-amz-content-sha256".into(), h.to_string()));
    }
    let mut sreq = scry_sigv4::SignRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers,
    };
    let creds = scry_sigv4::Credentials::new(k.0.clone(), k.1.clone());
    scry_sigv4::sign(
        &mut sreq,
        scry_sigv4::SignPayload::Bytes(&body),
        &scry_sigv4::SigningParams {
            credentials: &creds,
            region: "us-east-1",
            service: "scry",
            time: chrono::Utc::now(),
            content_sha256_header: false,
        },
    )
    .unwrap();
    let full = if query.is_empty() {
        format!("{url}{path}")
    } else {
        format!("{url}{path}?{query}")
    };
    let client = reqwest::blocking::Client::new();
    let mut rb = client
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            full,
        )
        .body(body);
    for (k, v) in &sreq.headers {
        if k != "host" {
            rb = rb.header(k.as_str(), v.as_str());
        }
    }
    let r = rb.send().unwrap();
    let status = r.status().as_u16();
    let ty = r
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ty, r.text().unwrap())
}

fn get(url: &str, path: &str) -> String {
    reqwest::blocking::get(format!("{url}{path}"))
        .unwrap()
        .text()
        .unwrap()
}

fn metric(url: &str, name: &str) -> u64 {
    let text = get(url, "/metrics");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} not in /metrics:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

fn fails_with(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains(needle),
        "expected a failure naming {needle:?}, got {:?}: {err}",
        out.status.code()
    );
}

#[test]
fn uploaded_functions_and_images_are_collected_by_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("advisories.db");
    let data = dir.path().join("data");
    scry(
        &[
            "db",
            "import",
            shared("vulndata/osv-pypi").to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ],
        &[],
    );
    let admin = key(&data, "111122223333", "admin");
    let agent = key(&data, "111122223333", "agent");
    let reader = key(&data, "111122223333", "reader");
    let (server, url) = start(&data, &db);
    let agent_env = env(&agent);
    let ak = with_key(&agent_env);

    // Function packages as Lambda builds them: `pip install --target` then zip; the shared
    // layer keeps its packages under python/.
    let w = dir.path().join("work");
    let layer_dir = w.join("layer/python");
    pip_target(&layer_dir, "urllib3==1.26.4");
    let layer_zip = w.join("deps.zip");
    zip_dir(&w.join("layer"), &layer_zip);
    let code = |name: &str, spec: &str| {
        let d = w.join(name);
        pip_target(&d, spec);
        std::fs::write(
            d.join("handler.py"),
            "def handler(event, context):\n    return 1\n",
        )
        .unwrap();
        let z = w.join(format!("{name}.zip"));
        zip_dir(&d, &z);
        z
    };
    let api_v1 = code("api-v1", "requests==2.25.1");
    let api_v2 = code("api-v2", "requests==2.31.0");
    let worker = code("worker", "Jinja2==2.10");

    let push = |name: &str, zip: &Path, extra: &[&str]| -> Value {
        let mut args = vec![
            "function",
            "push",
            "--server",
            &url,
            "--name",
            name,
            "--runtime",
            "python3.12",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        args.push(zip.to_str().unwrap());
        serde_json::from_slice(&scry(&args, &ak).stdout).unwrap()
    };
    let layer_arg = layer_zip.to_str().unwrap();
    let v1 = push("api", &api_v1, &["--layer", layer_arg, "--tag", "team=web"]);
    assert_eq!(v1["resourceType"], "AWS_LAMBDA_FUNCTION", "{v1}");
    assert_eq!(v1["resourceId"], "api:1");
    assert_eq!(
        v1["resourceArn"],
        "arn:aws:lambda:sc-local-1:111122223333:function/api:1"
    );
    assert_eq!(v1["function"]["version"], "1");
    assert_eq!(v1["function"]["runtime"], "PYTHON_3_12");
    assert_eq!(v1["function"]["layers"][0]["cached"], false, "{v1}");
    let layer_digest = v1["function"]["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(v1["opened"].as_u64().unwrap() >= 2, "{v1}");
    assert_eq!(metric(&url, "scry_function_layers_collected_total"), 1);

    // A new version of the same function, with the fixed requests; the layer is not
    // collected again.
    let v2 = push("api", &api_v2, &["--layer", layer_arg]);
    assert_eq!(v2["resourceId"], "api:2", "{v2}");
    assert_eq!(v2["function"]["layers"][0]["cached"], true, "{v2}");
    // Another function sharing the layer, referred to by digest alone.
    let wk = push("worker", &worker, &["--layer", &layer_digest]);
    assert_eq!(wk["resourceId"], "worker:1", "{wk}");
    assert_eq!(wk["function"]["layers"][0]["cached"], true);
    assert_eq!(metric(&url, "scry_function_layers_collected_total"), 1);

    // Findings per function version, through the Inspector API.
    let by_id = |id: &str| {
        vulns(&list_findings(
            &url,
            &admin,
            &format!(r#"{{"resourceId":[{{"comparison":"EQUALS","value":"{id}"}}]}}"#),
        ))
    };
    let f1 = by_id("api:1");
    let f2 = by_id("api:2");
    let fw = by_id("worker:1");
    let has = |fs: &[(String, String, String)], id: &str, pkg: &str| {
        fs.iter().any(|(v, p, _)| v == id && p == pkg)
    };
    assert!(has(&f1, "CVE-2023-32681", "requests"), "{f1:?}");
    assert!(has(&f1, "CVE-2021-33503", "urllib3"), "{f1:?}");
    assert!(
        !has(&f2, "CVE-2023-32681", "requests"),
        "fixed in 2.31.0: {f2:?}"
    );
    assert!(has(&f2, "CVE-2021-33503", "urllib3"), "{f2:?}");
    assert!(has(&fw, "CVE-2019-10906", "jinja2"), "{fw:?}");
    assert!(has(&fw, "CVE-2021-33503", "urllib3"), "{fw:?}");
    // Layer packages sit where Lambda mounts layers.
    assert!(
        f1.iter().any(|(_, p, path)| p == "urllib3"
            && path.starts_with("opt/python/urllib3-1.26.4.dist-info/")),
        "{f1:?}"
    );
    let lambda = list_findings(
        &url,
        &admin,
        r#"{"lambdaFunctionName":[{"comparison":"EQUALS","value":"api"}]}"#,
    );
    assert_eq!(vulns(&lambda).len(), f1.len() + f2.len());

    // Versions are immutable: version 1 with other code is refused; the same push again is
    // accepted as the same version.
    let again = push("api", &api_v1, &["--layer", layer_arg, "--version", "1"]);
    assert_eq!(again["function"]["newVersion"], false, "{again}");
    assert_eq!(again["opened"], 0);
    let taken = scry_raw(
        &[
            "function",
            "push",
            "--server",
            &url,
            "--name",
            "api",
            "--runtime",
            "python3.12",
            "--version",
            "1",
            api_v2.to_str().unwrap(),
        ],
        &ak,
    );
    fails_with(&taken, "versions are immutable");

    // Images: a root file system with a pip-installed app, made an OCI image by umoci and
    // written as a docker archive and an OCI archive by skopeo.
    if have("umoci") && have("skopeo") {
        let img = w.join("image");
        pip_target(&img.join("app-site"), "urllib3==1.26.4");
        let oci = img.join("oci");
        let bundle = img.join("bundle");
        sh(&format!(
            "umoci init --layout {o} && umoci new --image {o}:app && umoci unpack --rootless --image {o}:app {b} >/dev/null && mkdir -p {b}/rootfs/app && cp -a {s}/. {b}/rootfs/app/ && umoci repack --image {o}:app {b}",
            o = oci.display(),
            b = bundle.display(),
            s = img.join("app-site").display(),
        ));
        let docker = img.join("app-docker.tar");
        let ociar = img.join("app-oci.tar");
        sh(&format!(
            "skopeo copy -q oci:{o}:app docker-archive:{d}:scry/app:1.0 && skopeo copy -q oci:{o}:app oci-archive:{a}:1.0",
            o = oci.display(),
            d = docker.display(),
            a = ociar.display()
        ));
        let up = |target: String| -> Value {
            serde_json::from_slice(
                &scry(
                    &[
                        "scan", &target, "--server", &url, "--upload", "--format", "json",
                    ],
                    &ak,
                )
                .stdout,
            )
            .unwrap()
        };
        let d = up(format!("docker-archive:{}", docker.display()));
        assert_eq!(d["resourceType"], "AWS_ECR_CONTAINER_IMAGE", "{d}");
        assert_eq!(d["format"], "docker-archive");
        assert_eq!(d["image"]["repository"], "scry/app", "{d}");
        assert_eq!(d["image"]["tags"], serde_json::json!(["1.0"]));
        assert!(d["opened"].as_u64().unwrap() >= 1, "{d}");
        let o = up(format!("oci-archive:{}", ociar.display()));
        assert_eq!(o["format"], "oci-archive", "{o}");
        assert!(o["image"]["digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"));
        let repo = list_findings(
            &url,
            &admin,
            r#"{"ecrImageRepositoryName":[{"comparison":"EQUALS","value":"scry/app"}]}"#,
        );
        assert!(
            vulns(&repo).iter().any(|(v, p, path)| v == "CVE-2021-33503"
                && p == "urllib3"
                && path.starts_with("app/")),
            "{:?}",
            vulns(&repo)
        );
    } else {
        eprintln!("umoci or skopeo is missing (apt-get install umoci skopeo): the image upload part is skipped");
    }

    // Hostile uploads: each refused with what was wrong, and the server keeps answering.
    let bad = w.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    let py = |script: &str| sh(&format!("cd {} && python3 -c '{script}'", bad.display()));
    // 200 MiB of zeros in one entry (a ~200 KiB zip).
    py("import zipfile\nwith zipfile.ZipFile(\"bomb.zip\",\"w\",zipfile.ZIP_DEFLATED) as z:\n with z.open(\"requirements.txt\",\"w\",force_zip64=True) as f:\n  b=bytes(1<<20)\n  [f.write(b) for _ in range(200)]");
    py("import zipfile\nwith zipfile.ZipFile(\"traversal.zip\",\"w\") as z:\n z.writestr(\"../../etc/cron.d/evil\",\"x\")\n z.writestr(\"handler.py\",\"x\")");
    // A docker archive cut in the middle of its layer.
    py("import io,tarfile,os\nlayer=os.urandom(200000)\nwith tarfile.open(\"full.tar\",\"w\") as t:\n for n,d in [(\"manifest.json\",b\"[{\\\"Config\\\":\\\"c.json\\\",\\\"Layers\\\":[\\\"l.tar\\\"]}]\"),(\"c.json\",b\"{}\"),(\"l.tar\",layer)]:\n  i=tarfile.TarInfo(n); i.size=len(d); t.addfile(i,io.BytesIO(d))\nb=open(\"full.tar\",\"rb\").read()\nopen(\"truncated.tar\",\"wb\").write(b[:len(b)//2])");
    let mut big = std::fs::File::create(bad.join("big.zip")).unwrap();
    big.write_all(&vec![7u8; 9 << 20]).unwrap();
    drop(big);
    let fpush = |zip: &str| {
        scry_raw(
            &[
                "function",
                "push",
                "--server",
                &url,
                "--name",
                "evil",
                "--runtime",
                "python3.12",
                bad.join(zip).to_str().unwrap(),
            ],
            &ak,
        )
    };
    fails_with(&fpush("bomb.zip"), "decompression bomb");
    fails_with(&fpush("traversal.zip"), "path traversal");
    let over = fpush("big.zip");
    fails_with(&over, "413");
    fails_with(&over, "--max-upload-mib");
    let tr = scry_raw(
        &[
            "scan",
            &format!("docker-archive:{}", bad.join("truncated.tar").display()),
            "--server",
            &url,
            "--upload",
        ],
        &ak,
    );
    fails_with(&tr, "truncated");
    // A target --upload cannot send.
    fails_with(
        &scry_raw(
            &[
                "scan",
                &format!("dir:{}", w.display()),
                "--server",
                &url,
                "--upload",
            ],
            &ak,
        ),
        "--upload sends docker-archive:, oci-archive: and zip:",
    );
    // A body that is not what was signed; no body hash at all; a reader key.
    let q = "resourceType=function&name=evil";
    let zip = std::fs::read(&api_v1).unwrap();
    let other = scry_sigv4::sha256_hex(b"something else");
    let r = signed(
        &url,
        &agent,
        "POST",
        "/scry/v1/artifacts",
        q,
        zip.clone(),
        Some(&other),
    );
    assert_eq!((r.0, r.1.as_str()), (400, "BadRequestException"), "{r:?}");
    assert!(
        r.2.contains("does not match the signed x-amz-content-sha256"),
        "{r:?}"
    );
    let r = signed(
        &url,
        &agent,
        "POST",
        "/scry/v1/artifacts",
        q,
        zip.clone(),
        None,
    );
    assert_eq!(r.0, 400, "{r:?}");
    assert!(r.2.contains("x-amz-content-sha256"), "{r:?}");
    let sum = scry_sigv4::sha256_hex(&zip);
    let r = signed(
        &url,
        &reader,
        "POST",
        "/scry/v1/artifacts",
        q,
        zip.clone(),
        Some(&sum),
    );
    assert_eq!(r.0, 403, "{r:?}");
    // UNSIGNED-PAYLOAD is accepted (documented: only over TLS).
    let r = signed(
        &url,
        &agent,
        "POST",
        "/scry/v1/artifacts",
        q,
        zip,
        Some("UNSIGNED-PAYLOAD"),
    );
    assert_eq!(r.0, 200, "{r:?}");
    let unknown = format!("/scry/v1/layers/sha256:{}", "0".repeat(64));
    let r = signed(&url, &agent, "GET", &unknown, "", Vec::new(), None);
    assert_eq!(
        (r.0, r.1.as_str()),
        (404, "ResourceNotFoundException"),
        "{r:?}"
    );

    // Still answering, nothing left in the upload directory, refusals counted.
    assert_eq!(get(&url, "/healthz"), "ok\n");
    assert!(metric(&url, "scry_uploads_refused_total") >= 7);
    let left: Vec<_> = std::fs::read_dir(data.join("uploads"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "upload files left behind: {left:?}");
    assert!(!list_findings(
        &url,
        &admin,
        r#"{"resourceId":[{"comparison":"EQUALS","value":"api:1"}]}"#
    )
    .is_empty());
    drop(server);
}

/// Regression: the inventory push read its body through axum's `Bytes` extractor, whose own
/// 2 MiB limit refused inventories far below `--max-body-mib` (64 by default).
#[test]
fn inventories_over_two_mebibytes_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agent = key(&data, "111122223333", "agent");
    let (_server, url) = start(&data, &dir.path().join("none.db"));
    let packages: Vec<Value> = (0..20_000)
        .map(|i| {
            serde_json::json!({
                "name": format!("package-number-{i}"),
                "version": "1.0.0",
                "ecosystem": "PyPI",
                "purl": format!("pkg:pypi/package-number-{i}@1.0.0"),
                "found_by": "python-dist-info",
                "location": format!("site-packages/package_number_{i}-1.0.0.dist-info/METADATA"),
            })
        })
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({
        "resourceType": "AWS_EC2_INSTANCE",
        "resourceId": "i-big",
        "inventory": {"packages": packages},
    }))
    .unwrap();
    assert!(body.len() > 3 << 20, "{}", body.len());
    let r = signed(&url, &agent, "POST", "/scry/v1/inventories", "", body, None);
    assert_eq!(r.0, 200, "{r:?}");
    let v: Value = serde_json::from_str(&r.2).unwrap();
    assert_eq!(v["packages"], 20_000);
}
