//! `scry agent` against a real `scry server`, both as processes: enrollment with tokens,
//! the real host's inventory, listening sockets becoming NETWORK_REACHABILITY findings, the
//! host's network context in the Inspector-style score, sequence numbers, the package
//! database watch, the spool across a server restart, missed-interval coverage, and (as root)
//! a real Debian package installed on this host with `dpkg -i` and purged again.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};

use common::{have, shared, start_server_quietly, Killed as Proc};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ACCOUNT: &str = "111122223333";

/// Tests that read or change the real host's dpkg database hold this, so that an install by
/// one never lands in the middle of another's comparison with `dpkg-query`. (Every such test
/// is in this file: other tests read dpkg databases of roots they build.)
static HOST_DPKG: Mutex<()> = Mutex::new(());

fn host_dpkg() -> MutexGuard<'static, ()> {
    HOST_DPKG.lock().unwrap_or_else(|e| e.into_inner())
}

fn scry_raw(args: &[&str]) -> Output {
    common::scry_raw(args, &[])
}

fn scry(args: &[&str]) -> Output {
    common::scry(args, &[])
}

/// Starts `scry server` on `listen` and returns it with its URL.
fn server(data: &Path, db: &Path, listen: &str) -> (Proc, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scry"));
    cmd.args([
        "server",
        "--poll-seconds",
        "1",
        "--agent-missed-intervals",
        "2",
    ])
    .args(["--listen", listen])
    .arg("--data-dir")
    .arg(data)
    .arg("--db")
    .arg(db)
    .env("SCRY_LOG", "warn");
    start_server_quietly(&mut cmd)
}

fn admin_key(data: &Path) -> (String, String) {
    common::key(data, ACCOUNT, "admin")
}

/// A small real advisory database: RustSec (CVSS vectors) and Alpine's secdb.
fn advisory_db(dir: &Path) -> PathBuf {
    let db = dir.join("advisories.db");
    scry(&[
        "db",
        "import",
        shared("vulndata/rustsec").to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    db
}

fn token(data: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "agent-token",
        "create",
        "--account",
        ACCOUNT,
        "--format",
        "json",
        "--data-dir",
        data.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let v: Value = serde_json::from_slice(&scry(&args).stdout).unwrap();
    v["token"].as_str().unwrap().into()
}

/// A SigV4-signed request, as the AWS SDKs send it.
fn call(
    url: &str,
    key: &(String, String),
    service: &str,
    method: &str,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let u = reqwest::Url::parse(&format!("{url}{path}")).unwrap();
    let body = if method == "GET" {
        Vec::new()
    } else {
        serde_json::to_vec(body).unwrap()
    };
    let host = format!("{}:{}", u.host_str().unwrap(), u.port().unwrap());
    let mut req = scry_sigv4::SignRequest {
        method: method.into(),
        path: u.path().into(),
        query: String::new(),
        headers: vec![
            ("host".into(), host),
            ("content-type".into(), "application/json".into()),
        ],
    };
    let creds = scry_sigv4::Credentials::new(&key.0, &key.1);
    scry_sigv4::sign(
        &mut req,
        scry_sigv4::SignPayload::Bytes(&body),
        &scry_sigv4::SigningParams {
            credentials: &creds,
            region: "us-east-1",
            service,
            time: chrono::Utc::now(),
            content_sha256_header: false,
        },
    )
    .unwrap();
    let client = reqwest::blocking::Client::new();
    let mut rb = client.request(method.parse().unwrap(), u).body(body);
    for (k, v) in &req.headers {
        if k != "host" {
            rb = rb.header(k.as_str(), v.as_str());
        }
    }
    let resp = rb.send().expect("the server answers");
    let status = resp.status().as_u16();
    let text = resp.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn inspector(url: &str, key: &(String, String), path: &str, body: Value) -> Value {
    let (status, v) = call(url, key, "inspector2", "POST", path, &body);
    assert_eq!(status, 200, "{path}: {v}");
    v
}

fn findings(url: &str, key: &(String, String), criteria: Value) -> Vec<Value> {
    let v = inspector(
        url,
        key,
        "/findings/list",
        json!({"filterCriteria": criteria, "maxResults": 100}),
    );
    v["findings"].as_array().cloned().unwrap_or_default()
}

fn hosts(url: &str, key: &(String, String)) -> Vec<Value> {
    let (status, v) = call(url, key, "scry", "GET", "/scry/v1/agents", &Value::Null);
    assert_eq!(status, 200, "{v}");
    v["hosts"].as_array().cloned().unwrap_or_default()
}

/// Polls `f` until it gives a value, or fails after `secs`.
#[track_caller]
fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < end,
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Starts a long-running agent.
fn agent(url: &str, state: &Path, extra: &[&str]) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scry"));
    cmd.args([
        "agent",
        "--server",
        url,
        "--debounce",
        "0.3",
        "--retry-max",
        "1",
    ])
    .arg("--state-dir")
    .arg(state)
    .args(extra)
    .env("SCRY_LOG", "scry_agent=info")
    .env_remove("SCRY_AGENT_TOKEN")
    .stdout(Stdio::null())
    .stderr(Stdio::inherit());
    Proc(cmd.spawn().expect("scry agent starts"))
}

/// A test root: a Debian-like file system with its own machine id, the real host's dpkg
/// status (or a real fixture when this host has none), and a Rust project with a
/// vulnerable dependency under srv/.
fn test_root(dir: &Path, machine_id: &str) -> PathBuf {
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(root.join("srv/app")).unwrap();
    std::fs::write(root.join("etc/machine-id"), format!("{machine_id}\n")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n",
    )
    .unwrap();
    let status = if Path::new("/var/lib/dpkg/status").exists() {
        PathBuf::from("/var/lib/dpkg/status")
    } else {
        shared("testdata/fixtures/dpkg").join("status")
    };
    std::fs::copy(&status, root.join("var/lib/dpkg/status")).unwrap();
    std::fs::write(
        root.join("srv/app/Cargo.lock"),
        "version = 3\n\n[[package]]\nname = \"tokio-rustls\"\nversion = \"0.13.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
    root
}

/// Installs a package the way dpkg does: a new status file renamed over the old one.
fn dpkg_install(root: &Path, name: &str) {
    let status = root.join("var/lib/dpkg/status");
    let mut text = std::fs::read_to_string(&status).unwrap();
    text.push_str(&format!(
        "\nPackage: {name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\nDescription: test package\n"
    ));
    std::fs::write(root.join("var/lib/dpkg/status-new"), text).unwrap();
    std::fs::rename(root.join("var/lib/dpkg/status-new"), status).unwrap();
}

/// The dpkg packages of an agent's push, as sorted `name version` lines.
fn dpkg_packages(push: &Value) -> Vec<String> {
    let mut ours: Vec<String> = push["inventory"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["found_by"] == "dpkg")
        .map(|p| {
            format!(
                "{} {}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    ours.sort();
    ours.dedup();
    ours
}

/// What `dpkg-query -W -f '${Package} ${Version}\n'` says of this host, installed packages
/// only (not those removed with their configuration files left), as sorted lines.
fn dpkg_query_installed() -> Vec<String> {
    let dq = Command::new("dpkg-query")
        .args(["-W", "-f", "${Package} ${Version}\t${db:Status-Status}\n"])
        .output()
        .unwrap();
    assert!(
        dq.status.success(),
        "dpkg-query: {}",
        String::from_utf8_lossy(&dq.stderr)
    );
    let mut theirs: Vec<String> = String::from_utf8_lossy(&dq.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix("\tinstalled").map(str::to_string))
        .collect();
    theirs.sort();
    theirs.dedup();
    theirs
}

#[test]
fn enrollment_tokens_are_single_use_expire_and_bind_the_key_to_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_srv, url) = server(&data, &dir.path().join("none.db"), "127.0.0.1:0");
    let root = test_root(dir.path(), "0123456789abcdef0123456789abcdef");
    let once = |state: &str, tok: &str| {
        scry_raw(&[
            "agent",
            "--once",
            "--server",
            &url,
            "--token",
            tok,
            "--root",
            root.to_str().unwrap(),
            "--state-dir",
            dir.path().join(state).to_str().unwrap(),
        ])
    };
    let t1 = token(&data, &["--uses", "1"]);
    let ok = once("a", &t1);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let st: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("a/state.json")).unwrap()).unwrap();
    assert!(st["resourceId"].as_str().unwrap().starts_with("i-"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("a/state.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Enrolled: a second run needs no token.
    let again = once("a", "");
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // The same token again (another state directory, as a second host would have): refused.
    let reused = once("b", &t1);
    assert!(!reused.status.success());
    assert!(
        String::from_utf8_lossy(&reused.stderr).contains("used up"),
        "{}",
        String::from_utf8_lossy(&reused.stderr)
    );
    // Expired.
    let t2 = token(&data, &["--expires-in", "1s"]);
    std::thread::sleep(Duration::from_millis(1500));
    let expired = once("c", &t2);
    assert!(!expired.status.success());
    assert!(
        String::from_utf8_lossy(&expired.stderr).contains("expired"),
        "{}",
        String::from_utf8_lossy(&expired.stderr)
    );
    // Revoked, and malformed.
    let t3 = token(&data, &[]);
    let id = t3.split('-').nth(1).unwrap();
    scry(&[
        "agent-token",
        "revoke",
        id,
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    let revoked = once("d", &t3);
    assert!(
        String::from_utf8_lossy(&revoked.stderr).contains("revoked"),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    let bad = once("e", "not-a-token");
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("malformed"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    // Nothing was enrolled by the refused tokens: still one host.
    let admin = admin_key(&data);
    assert_eq!(hosts(&url, &admin).len(), 1);

    // The host lost its state and enrolls again with a new token: its old key stops working.
    let t4 = token(&data, &[]);
    let re = once("f", &t4);
    assert!(
        re.status.success(),
        "{}",
        String::from_utf8_lossy(&re.stderr)
    );
    let old = once("a", "");
    assert!(!old.status.success());
    assert!(
        String::from_utf8_lossy(&old.stderr).contains("403"),
        "{}",
        String::from_utf8_lossy(&old.stderr)
    );

    // An enrolled key may push only its own host.
    let st: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("f/state.json")).unwrap()).unwrap();
    let k = (
        st["accessKeyId"].as_str().unwrap().to_string(),
        st["secretAccessKey"].as_str().unwrap().to_string(),
    );
    let (status, v) = call(
        &url,
        &k,
        "scry",
        "POST",
        "/scry/v1/inventories",
        &json!({
            "resourceType": "AWS_EC2_INSTANCE", "resourceId": "i-00000000000000001", "inventory": {"packages": []}
        }),
    );
    assert_eq!(status, 403, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("may push only"),
        "{v}"
    );
}

#[test]
fn agent_on_this_host_reports_packages_and_open_ports_then_goes_stale() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = advisory_db(dir.path());

    // The inventory the agent makes of the real host is what dpkg itself says.
    if Command::new("dpkg-query").arg("--version").output().is_ok() {
        let _host = host_dpkg();
        let out = scry(&[
            "agent",
            "--once",
            "--print",
            "--state-dir",
            dir.path().join("p").to_str().unwrap(),
        ]);
        let push: Value = serde_json::from_slice(&out.stdout).unwrap();
        let theirs = dpkg_query_installed();
        assert!(!theirs.is_empty());
        assert_eq!(
            dpkg_packages(&push),
            theirs,
            "the agent's dpkg packages differ from dpkg-query -W"
        );
        assert!(push["host"]["kernel"]
            .as_str()
            .is_some_and(|k| !k.is_empty()));
        assert_eq!(push["host"]["machineId"].as_str().unwrap().len(), 32);
    } else {
        eprintln!("dpkg-query is not installed: skipping the comparison with dpkg's own list");
    }

    let (_srv, url) = server(&data, &db, "127.0.0.1:0");
    let admin = admin_key(&data);
    let tok = token(&data, &[]);
    // A listener on all interfaces, owned by this test process.
    let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let me = format!("(pid {})", std::process::id());
    let state = dir.path().join("state");
    let mut agent_proc = agent(&url, &state, &["--token", &tok, "--interval", "1"]);

    let nr = json!({"findingType": [{"comparison": "EQUALS", "value": "NETWORK_REACHABILITY"}]});
    let f = wait_for(
        "a NETWORK_REACHABILITY finding for the test's port",
        60,
        || {
            findings(&url, &admin, nr.clone()).into_iter().find(|f| {
                f["networkReachabilityDetails"]["openPortRange"]["begin"] == port
                    && f["status"] == "ACTIVE"
            })
        },
    );
    let d = &f["networkReachabilityDetails"];
    assert_eq!(d["openPortRange"]["end"], port);
    assert_eq!(d["protocol"], "TCP");
    assert_eq!(
        f["title"],
        format!("Port {port} is open on all interfaces - TCP")
    );
    assert_eq!(f["severity"], "MEDIUM");
    let steps = d["networkPath"]["steps"].as_array().unwrap();
    assert_eq!(steps[0]["componentType"], "AWS::EC2::Instance");
    assert!(
        steps
            .iter()
            .any(|s| s["componentId"].as_str().unwrap().ends_with(&me)),
        "the process holding the port is named: {steps:?}"
    );
    assert!(f["description"].as_str().unwrap().contains(&me));
    let rid = f["resources"][0]["id"].as_str().unwrap().to_string();

    // The agent's host listing and coverage.
    let h = hosts(&url, &admin);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["resourceId"], rid);
    assert!(h[0]["packages"].as_i64().unwrap() > 0 || !Path::new("/var/lib/dpkg/status").exists());
    assert_eq!(h[0]["scanStatus"]["statusCode"], "ACTIVE");

    // The port closes: its finding closes at the next inventory.
    drop(listener);
    wait_for("the closed port's finding to close", 30, || {
        findings(&url, &admin, nr.clone()).into_iter().find(|f| {
            f["networkReachabilityDetails"]["openPortRange"]["begin"] == port
                && f["status"] == "CLOSED"
        })
    });

    // The agent stops: after two missed one-second intervals the host is INACTIVE.
    let _ = agent_proc.0.kill();
    let _ = agent_proc.0.wait();
    let cov = wait_for(
        "the stopped host to become INACTIVE in ListCoverage",
        30,
        || {
            let v = inspector(&url, &admin, "/coverage/list", json!({}));
            v["coveredResources"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["resourceId"] == rid && r["scanStatus"]["statusCode"] == "INACTIVE")
                .cloned()
        },
    );
    assert_eq!(cov["scanStatus"]["reason"], "STALE_INVENTORY");
    assert_eq!(cov["resourceType"], "AWS_EC2_INSTANCE");
    let stats = inspector(
        &url,
        &admin,
        "/coverage/statistics/list",
        json!({"groupBy": "SCAN_STATUS_REASON"}),
    );
    assert!(stats.to_string().contains("STALE_INVENTORY"), "{stats}");
}

#[test]
fn dpkg_watch_and_spool_survive_a_server_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = advisory_db(dir.path());
    let root = test_root(dir.path(), "fedcba9876543210fedcba9876543210");
    let (srv, url) = server(&data, &db, "127.0.0.1:0");
    let listen = url.trim_start_matches("http://").to_string();
    let admin = admin_key(&data);
    let tok = token(&data, &[]);
    let state = dir.path().join("state");
    // A long interval: every inventory after the first comes from the watch.
    let _agent = agent(
        &url,
        &state,
        &[
            "--token",
            &tok,
            "--interval",
            "3600",
            "--root",
            root.to_str().unwrap(),
            "--paths",
            "srv",
        ],
    );
    let first = wait_for("the first inventory", 60, || {
        hosts(&url, &admin)
            .into_iter()
            .find(|h| h["sequence"].as_i64() > Some(0))
    });
    let packages = first["packages"].as_i64().unwrap();
    // The vulnerable crate under --paths is found.
    let rf = wait_for("the Rust finding", 30, || {
        findings(
            &url,
            &admin,
            json!({"vulnerabilityId": [{"comparison": "EQUALS", "value": "CVE-2020-35875"}]}),
        )
        .into_iter()
        .next()
    });
    assert_eq!(
        rf["packageVulnerabilityDetails"]["vulnerablePackages"][0]["filePath"],
        "srv/app/Cargo.lock"
    );

    // A package is installed: the watch reports it without any other action.
    dpkg_install(&root, "scry-watch-one");
    let second = wait_for("the inventory after the dpkg change", 30, || {
        hosts(&url, &admin)
            .into_iter()
            .find(|h| h["packages"].as_i64() == Some(packages + 1))
    });
    assert!(second["sequence"].as_i64() > first["sequence"].as_i64());

    // The server stops; another package is installed; the agent spools that inventory.
    drop(srv);
    dpkg_install(&root, "scry-watch-two");
    let spooled = wait_for("the spooled inventory", 30, || {
        let b = std::fs::read(state.join("spool.json")).ok()?;
        let v: Value = serde_json::from_slice(&b).ok()?;
        let names: Vec<&str> = v["push"]["inventory"]["packages"]
            .as_array()?
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        names
            .contains(&"scry-watch-two")
            .then(|| v["sequence"].as_i64().unwrap())
    });
    // Retries keep failing while the server is down, and the spool stays.
    std::thread::sleep(Duration::from_secs(2));
    assert!(state.join("spool.json").exists());

    // The server comes back on the same data directory: the spooled inventory arrives.
    let (_srv2, url2) = server(&data, &db, &listen);
    assert_eq!(url2, url);
    let third = wait_for("the spooled inventory to arrive", 60, || {
        hosts(&url, &admin)
            .into_iter()
            .find(|h| h["sequence"].as_i64() == Some(spooled))
    });
    assert_eq!(third["packages"].as_i64(), Some(packages + 2));
    wait_for("the delivered spool to be removed", 10, || {
        (!state.join("spool.json").exists()).then_some(())
    });

    // The same sequence again (a re-send) is ignored and changes nothing.
    let st: Value =
        serde_json::from_slice(&std::fs::read(state.join("state.json")).unwrap()).unwrap();
    let k = (
        st["accessKeyId"].as_str().unwrap().to_string(),
        st["secretAccessKey"].as_str().unwrap().to_string(),
    );
    let (status, v) = call(
        &url,
        &k,
        "scry",
        "POST",
        "/scry/v1/inventories",
        &json!({
            "resourceType": "AWS_EC2_INSTANCE", "resourceId": st["resourceId"], "sequence": spooled - 1,
            "host": {"listening": []}, "inventory": {"packages": []}
        }),
    );
    assert_eq!(status, 200, "{v}");
    assert!(v["ignored"].as_str().unwrap().contains("not above"), "{v}");
    let after = hosts(&url, &admin);
    assert_eq!(after[0]["packages"].as_i64(), Some(packages + 2));
    assert_eq!(after[0]["sequence"].as_i64(), Some(spooled));
}

#[test]
fn open_ports_feed_the_inspector_score() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = advisory_db(dir.path());
    let root = test_root(dir.path(), "00112233445566778899aabbccddeeff");
    // The agent's own collection of the test root (with the vulnerable crate).
    let out = scry(&[
        "agent",
        "--once",
        "--print",
        "--root",
        root.to_str().unwrap(),
        "--paths",
        "srv",
    ]);
    let push: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (_srv, url) = server(&data, &db, "127.0.0.1:0");
    let admin = admin_key(&data);
    let send = |id: &str, listening: Value| {
        let mut p = push.clone();
        p["resourceId"] = json!(id);
        p["host"]["listening"] = listening;
        p["sequence"] = json!(1);
        let (status, v) = call(&url, &admin, "scry", "POST", "/scry/v1/inventories", &p);
        assert_eq!(status, 200, "{v}");
    };
    send("i-0000000000000000a", json!([]));
    send(
        "i-0000000000000000b",
        json!([{"protocol": "TCP", "address": "127.0.0.1", "port": 5432}]),
    );
    send(
        "i-0000000000000000c",
        json!([{"protocol": "TCP", "address": "10.0.0.5", "port": 443}]),
    );
    let score = |id: &str| {
        let f = wait_for("the Rust finding", 30, || {
            findings(
                &url,
                &admin,
                json!({
                    "resourceId": [{"comparison": "EQUALS", "value": id}],
                    "vulnerabilityId": [{"comparison": "EQUALS", "value": "CVE-2020-35875"}]
                }),
            )
            .into_iter()
            .next()
        });
        let adj = f["inspectorScoreDetails"]["adjustedCvss"]["adjustments"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        (f["inspectorScore"].as_f64().unwrap(), adj)
    };
    let (exposed, none) = score("i-0000000000000000c");
    assert!(none.is_empty(), "{none:?}");
    assert_eq!(exposed, 7.5);
    for id in ["i-0000000000000000a", "i-0000000000000000b"] {
        let (s, adj) = score(id);
        assert!(s < exposed, "{id}: {s} is not below {exposed}");
        assert!(
            adj.iter()
                .any(|a| a["metric"].as_str().unwrap().contains("AV")),
            "{id}: the adjustment is shown: {adj:?}"
        );
    }
    // Only ports on all interfaces are NETWORK_REACHABILITY findings: none here.
    let nr = findings(
        &url,
        &admin,
        json!({"findingType": [{"comparison": "EQUALS", "value": "NETWORK_REACHABILITY"}]}),
    );
    assert!(nr.is_empty(), "{nr:?}");
}

/// Whether this process runs as root (`id -u`): installing a package on the real host needs it.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The test package: a real Debian package whose only content is the metadata of an
/// installed Python distribution, PyYAML 5.1.2 (which PYSEC-2020-176 / CVE-2019-20477
/// affects), under a directory the agent is told to search.
const E2E_PACKAGE: &str = "scry-e2e-pyyaml";
const E2E_VERSION: &str = "5.1.2-1";
const E2E_DIR: &str = "usr/lib/scry-e2e";
const E2E_METADATA: &str = "usr/lib/scry-e2e/python/PyYAML-5.1.2.dist-info/METADATA";

/// Builds the test package with `dpkg-deb --build`.
fn build_e2e_deb(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let tree = dir.join("pkg");
    let meta = tree.join(E2E_METADATA);
    std::fs::create_dir_all(meta.parent().unwrap()).unwrap();
    std::fs::create_dir_all(tree.join("DEBIAN")).unwrap();
    std::fs::write(
        &meta,
        "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.1.2\nSummary: YAML parser and emitter for Python\n",
    )
    .unwrap();
    std::fs::write(
        tree.join("DEBIAN/control"),
        format!(
            "Package: {E2E_PACKAGE}\nVersion: {E2E_VERSION}\nArchitecture: all\nMaintainer: Scry tests <scry-tests@example.invalid>\nSection: python\nPriority: optional\nDescription: Scry end-to-end test package\n the metadata of PyYAML 5.1.2, installed by the agent test and purged after it\n"
        ),
    )
    .unwrap();
    // dpkg-deb wants the control directory 0755 (tempdir makes 0700 directories).
    for d in walkdirs(&tree) {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let deb = dir.join(format!("{E2E_PACKAGE}_{E2E_VERSION}_all.deb"));
    let out = Command::new("dpkg-deb")
        .args(["--root-owner-group", "--build"])
        .arg(&tree)
        .arg(&deb)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dpkg-deb --build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    deb
}

fn walkdirs(d: &Path) -> Vec<PathBuf> {
    let mut out = vec![d.to_path_buf()];
    for e in std::fs::read_dir(d).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            out.extend(walkdirs(&e.path()));
        }
    }
    out
}

/// Purges the test package from the host when dropped, so a failed test leaves the host as
/// it found it.
struct Purge;

impl Purge {
    /// Purges a leftover of an earlier, interrupted run first.
    fn new() -> Purge {
        Purge.purge();
        Purge
    }

    fn purge(&self) -> Output {
        Command::new("dpkg")
            .args(["--purge", E2E_PACKAGE])
            .output()
            .expect("dpkg runs")
    }
}

impl Drop for Purge {
    fn drop(&mut self) {
        let out = self.purge();
        if !out.status.success() {
            eprintln!(
                "dpkg --purge {E2E_PACKAGE} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn a_package_installed_on_this_host_with_dpkg_is_reported_by_the_watch() {
    if !is_root() {
        eprintln!(
            "skipping: installing a real package on this host with dpkg -i needs root (CI runs as root)"
        );
        return;
    }
    for tool in ["dpkg", "dpkg-deb", "dpkg-query"] {
        if !have(tool) {
            eprintln!("skipping: {tool} is not installed (this test needs a Debian-based host)");
            return;
        }
    }
    let _host = host_dpkg();
    let dir = tempfile::tempdir().unwrap();
    let deb = build_e2e_deb(dir.path());
    let purge = Purge::new();

    let data = dir.path().join("data");
    let db = dir.path().join("advisories.db");
    scry(&[
        "db",
        "import",
        shared("vulndata/rustsec").to_str().unwrap(),
        shared("vulndata/osv-pypi/pyyaml").to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    let (_srv, url) = server(&data, &db, "127.0.0.1:0");
    let admin = admin_key(&data);
    let tok = token(&data, &[]);
    let state = dir.path().join("state");
    // The real root, and a schedule that never comes during the test: every inventory after
    // the first is the dpkg database watch's doing.
    let _agent = agent(
        &url,
        &state,
        &["--token", &tok, "--interval", "3600", "--paths", E2E_DIR],
    );
    let first = wait_for("the first inventory", 60, || {
        hosts(&url, &admin)
            .into_iter()
            .find(|h| h["sequence"].as_i64() > Some(0))
    });
    let rid = first["resourceId"].as_str().unwrap().to_string();
    let before = first["packages"].as_i64().unwrap();
    let pyyaml = |status: &str| {
        findings(
            &url,
            &admin,
            json!({
                "resourceId": [{"comparison": "EQUALS", "value": rid}],
                "vulnerabilityId": [{"comparison": "EQUALS", "value": "CVE-2019-20477"}],
                "findingStatus": [{"comparison": "EQUALS", "value": status}],
            }),
        )
        .into_iter()
        .next()
    };
    assert!(pyyaml("ACTIVE").is_none(), "not installed yet");

    // The real install.
    let out = Command::new("dpkg").arg("-i").arg(&deb).output().unwrap();
    assert!(
        out.status.success(),
        "dpkg -i {}: {}",
        deb.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let f = wait_for(
        "the installed package's finding (no manual step; the dpkg watch)",
        60,
        || pyyaml("ACTIVE"),
    );
    let vp = &f["packageVulnerabilityDetails"]["vulnerablePackages"][0];
    assert_eq!(vp["filePath"], E2E_METADATA, "{f}");
    assert_eq!(vp["version"], "5.1.2", "{f}");
    assert_eq!(vp["packageManager"], "PYTHONPKG", "{f}");
    assert_eq!(f["resources"][0]["id"], rid);
    // The inventory that brought it holds the Debian package and the Python one.
    let second = wait_for("the inventory with the installed package", 30, || {
        hosts(&url, &admin)
            .into_iter()
            .find(|h| h["packages"].as_i64() == Some(before + 2))
    });
    assert!(second["sequence"].as_i64() > first["sequence"].as_i64());

    // The agent's inventory of the real host is what dpkg itself says, the new package
    // included; and it is the inventory the server holds (same count).
    let out = scry(&[
        "agent",
        "--once",
        "--print",
        "--paths",
        E2E_DIR,
        "--state-dir",
        dir.path().join("print").to_str().unwrap(),
    ]);
    let push: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours = dpkg_packages(&push);
    assert_eq!(
        ours,
        dpkg_query_installed(),
        "the agent's dpkg packages differ from dpkg-query -W"
    );
    assert!(
        ours.contains(&format!("{E2E_PACKAGE} {E2E_VERSION}")),
        "the installed package is in the inventory"
    );
    assert_eq!(
        push["inventory"]["packages"].as_array().unwrap().len() as i64,
        before + 2
    );

    // The real removal: the finding closes at the next inventory, again from the watch.
    let out = purge.purge();
    assert!(
        out.status.success(),
        "dpkg --purge: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!Path::new("/").join(E2E_METADATA).exists());
    let closed = wait_for("the removed package's finding to close", 60, || {
        pyyaml("CLOSED")
    });
    assert_eq!(closed["findingArn"], f["findingArn"]);
    assert!(pyyaml("ACTIVE").is_none());
    let third = wait_for("the inventory without the package", 30, || {
        hosts(&url, &admin)
            .into_iter()
            .find(|h| h["packages"].as_i64() == Some(before))
    });
    assert!(third["sequence"].as_i64() > second["sequence"].as_i64());
}

#[test]
fn an_unreadable_package_database_or_an_unknown_os_is_a_coverage_reason_and_keeps_findings() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = advisory_db(dir.path());
    let (_srv, url) = server(&data, &db, "127.0.0.1:0");
    let admin = admin_key(&data);
    let tok = token(&data, &["--uses", "3"]);
    // One real agent run (`--once`: collect, push, exit) of a root.
    let once = |root: &Path, state: &str| {
        let out = scry_raw(&[
            "agent",
            "--once",
            "--server",
            &url,
            "--token",
            &tok,
            "--root",
            root.to_str().unwrap(),
            "--paths",
            "srv",
            "--state-dir",
            dir.path().join(state).to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        err
    };
    let coverage = |rid: &str| -> Value {
        let v = inspector(
            &url,
            &admin,
            "/coverage/list",
            json!({"filterCriteria": {"resourceId": [{"comparison": "EQUALS", "value": rid}]}}),
        );
        let r = v["coveredResources"].as_array().unwrap();
        assert_eq!(r.len(), 1, "{v}");
        r[0].clone()
    };
    let rust_finding = |rid: &str| {
        findings(
            &url,
            &admin,
            json!({
                "resourceId": [{"comparison": "EQUALS", "value": rid}],
                "vulnerabilityId": [{"comparison": "EQUALS", "value": "CVE-2020-35875"}]
            }),
        )
    };
    let host = |rid: &str| {
        hosts(&url, &admin)
            .into_iter()
            .find(|h| h["resourceId"] == rid)
            .unwrap()
    };

    // Host A reads well: a Debian root with a vulnerable crate under srv/.
    let a = test_root(&dir.path().join("a"), "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0");
    once(&a, "state-a");
    let rid_a = hosts(&url, &admin)[0]["resourceId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(coverage(&rid_a)["scanStatus"]["statusCode"], "ACTIVE");
    let f = rust_finding(&rid_a);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["status"], "ACTIVE");
    let packages = host(&rid_a)["packages"].as_i64().unwrap();
    assert!(packages > 1);

    // Its dpkg status file is cut short and ends in garbage (a full disk, a bad write); in the
    // same cycle the crate is removed. The inventory is incomplete: nothing of it is applied.
    let status = a.join("var/lib/dpkg/status");
    let text = std::fs::read_to_string(&status).unwrap();
    std::fs::write(
        &status,
        format!(
            "{}\n\u{0}\u{0}\u{7f}ELF garbage that is not a field\n",
            &text[..text.len() / 2]
        ),
    )
    .unwrap();
    let lock = a.join("srv/app/Cargo.lock");
    let lock_text = std::fs::read(&lock).unwrap();
    std::fs::remove_file(&lock).unwrap();
    let log = once(&a, "state-a");
    assert!(
        log.contains("var/lib/dpkg/status") && log.contains("neither a field nor a continuation"),
        "the agent says what it could not read: {log}"
    );
    let cov = coverage(&rid_a);
    assert_eq!(cov["scanStatus"]["statusCode"], "INACTIVE", "{cov}");
    assert_eq!(cov["scanStatus"]["reason"], "NO_INVENTORY", "{cov}");
    let f = rust_finding(&rid_a);
    assert_eq!(f[0]["status"], "ACTIVE", "no finding closes: {f:?}");
    let h = host(&rid_a);
    assert_eq!(
        h["packages"].as_i64(),
        Some(packages),
        "the stored inventory stays"
    );
    let p = &h["host"]["problems"][0];
    assert_eq!(p["kind"], "UNREADABLE_PACKAGE_DATABASE");
    assert_eq!(p["location"], "var/lib/dpkg/status");
    assert!(p["message"]
        .as_str()
        .unwrap()
        .contains("neither a field nor a continuation"));

    // Host B names an operating system Scry has no advisories for.
    let b = test_root(&dir.path().join("b"), "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0");
    std::fs::write(
        b.join("etc/os-release"),
        "NAME=\"Plan 9\"\nID=plan9\nVERSION_ID=4\n",
    )
    .unwrap();
    once(&b, "state-b");
    // Host C's status file cannot be read at all (a symbolic link to itself: readable by
    // nobody, root included).
    let c = test_root(&dir.path().join("c"), "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0");
    let c_status = c.join("var/lib/dpkg/status");
    std::fs::remove_file(&c_status).unwrap();
    std::os::unix::fs::symlink("status", &c_status).unwrap();
    once(&c, "state-c");
    let all = hosts(&url, &admin);
    assert_eq!(all.len(), 3);
    let rid_of = |machine: &str| {
        all.iter()
            .find(|h| h["machineId"] == machine)
            .unwrap_or_else(|| panic!("{machine} in {all:?}"))["resourceId"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (rid_b, rid_c) = (
        rid_of("b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"),
        rid_of("c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0"),
    );
    let cov = coverage(&rid_b);
    assert_eq!(cov["scanStatus"]["statusCode"], "INACTIVE", "{cov}");
    assert_eq!(cov["scanStatus"]["reason"], "UNSUPPORTED_OS", "{cov}");
    assert!(rust_finding(&rid_b).is_empty(), "nothing of B was applied");
    assert!(host(&rid_b)["host"]["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("plan9"));
    let cov = coverage(&rid_c);
    assert_eq!(cov["scanStatus"]["reason"], "NO_INVENTORY", "{cov}");
    assert!(
        host(&rid_c)["host"]["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("symbolic links"),
        "{}",
        host(&rid_c)
    );

    // ListCoverage filters by the reason, ListCoverageStatistics counts it.
    let v = inspector(
        &url,
        &admin,
        "/coverage/list",
        json!({"filterCriteria": {"scanStatusReason": [{"comparison": "EQUALS", "value": "NO_INVENTORY"}]}}),
    );
    let mut ids: Vec<&str> = v["coveredResources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resourceId"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut want = vec![rid_a.as_str(), rid_c.as_str()];
    want.sort();
    assert_eq!(ids, want);
    let stats = inspector(
        &url,
        &admin,
        "/coverage/statistics/list",
        json!({"groupBy": "SCAN_STATUS_REASON"}),
    );
    let count = |reason: &str| {
        stats["countsByGroup"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["groupKey"] == reason)
            .and_then(|g| g["count"].as_i64())
    };
    assert_eq!(count("NO_INVENTORY"), Some(2), "{stats}");
    assert_eq!(count("UNSUPPORTED_OS"), Some(1), "{stats}");
    assert_eq!(stats["totalCounts"], 3, "{stats}");

    // What an agent reports is bounded like the rest of a push.
    let many: Vec<Value> = (0..65)
        .map(|i| json!({"kind": "UNREADABLE_PACKAGE_DATABASE", "location": format!("var/lib/dpkg/status.d/{i}"), "message": "x"}))
        .collect();
    let (status_code, v) = call(
        &url,
        &admin,
        "scry",
        "POST",
        "/scry/v1/inventories",
        &json!({
            "resourceType": "AWS_EC2_INSTANCE", "resourceId": rid_a, "sequence": 1u64 << 62,
            "host": {"problems": many}, "inventory": {"packages": []}
        }),
    );
    assert_eq!(status_code, 400, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("host.problems"),
        "{v}"
    );

    // A is repaired: the complete inventory is applied, so A is ACTIVE again and the crate
    // removed meanwhile closes its finding now.
    std::fs::write(&status, &text).unwrap();
    once(&a, "state-a");
    let cov = coverage(&rid_a);
    assert_eq!(cov["scanStatus"]["statusCode"], "ACTIVE", "{cov}");
    assert_eq!(cov["scanStatus"]["reason"], "SUCCESSFUL", "{cov}");
    assert_eq!(rust_finding(&rid_a)[0]["status"], "CLOSED");
    assert_eq!(host(&rid_a)["packages"].as_i64(), Some(packages - 1));
    drop(lock_text);
}

/// A network namespace joined to this one by a veth pair: `10.250.N.1/30` on this side,
/// `10.250.N.2/30` inside. Deleted (with the pair) when dropped.
struct Netns {
    name: String,
    outer: String,
    host_addr: String,
    ns_addr: String,
}

impl Netns {
    /// None when this root may not create namespaces (a container without CAP_NET_ADMIN).
    fn create() -> Option<Netns> {
        let id = std::process::id() % 10_000;
        let n = std::process::id() % 200 + 20;
        let ns = Netns {
            name: format!("scry-e2e-{id}"),
            outer: format!("vscry{id}a"),
            host_addr: format!("10.250.{n}.1"),
            ns_addr: format!("10.250.{n}.2"),
        };
        let inner = format!("vscry{id}b");
        // A leftover of an interrupted run goes first.
        let _ = Command::new("ip").args(["netns", "del", &ns.name]).output();
        let _ = Command::new("ip").args(["link", "del", &ns.outer]).output();
        for args in [
            vec!["netns", "add", &ns.name],
            vec![
                "link", "add", &ns.outer, "type", "veth", "peer", "name", &inner, "netns", &ns.name,
            ],
            vec![
                "addr",
                "add",
                &format!("{}/30", ns.host_addr),
                "dev",
                &ns.outer,
            ],
            vec!["link", "set", &ns.outer, "up"],
            vec![
                "-n",
                &ns.name,
                "addr",
                "add",
                &format!("{}/30", ns.ns_addr),
                "dev",
                &inner,
            ],
            vec!["-n", &ns.name, "link", "set", &inner, "up"],
            vec!["-n", &ns.name, "link", "set", "lo", "up"],
        ] {
            let out = Command::new("ip").args(&args).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            if args[0] == "netns" && !out.status.success() && err.contains("not permitted") {
                eprintln!(
                    "skipping: ip netns add was refused ({err}); the sandbox lacks CAP_NET_ADMIN"
                );
                return None;
            }
            assert!(out.status.success(), "ip {}: {err}", args.join(" "));
        }
        Some(ns)
    }

    /// `cmd` to run inside the namespace.
    fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting the namespace destroys its end of the pair, and with it this end.
        let out = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
        if !out.is_ok_and(|o| o.status.success()) {
            eprintln!("ip netns del {} failed", self.name);
        }
        let _ = Command::new("ip")
            .args(["link", "del", &self.outer])
            .output();
    }
}

#[test]
fn a_second_host_in_a_network_namespace_reports_its_own_address_and_open_port() {
    if !is_root() {
        eprintln!(
            "skipping: creating a network namespace and a veth pair needs root (CI runs as root)"
        );
        return;
    }
    if !have("ip") || !have("python3") {
        eprintln!("skipping: needs ip (apt-get install iproute2) and python3");
        return;
    }
    let Some(ns) = Netns::create() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = advisory_db(dir.path());
    // The server listens on this side of the pair, where both hosts reach it.
    let (_srv, url) = server(&data, &db, &format!("{}:0", ns.host_addr));
    let admin = admin_key(&data);
    let tok = token(&data, &["--uses", "2"]);

    // A port open on all interfaces inside the namespace only.
    let mut listener = ns.command("python3");
    listener
        .args([
            "-c",
            "import socket, time\ns = socket.socket()\ns.bind(('0.0.0.0', 0))\ns.listen()\nprint(s.getsockname()[1], flush=True)\ntime.sleep(600)\n",
        ])
        .stdout(Stdio::piped());
    let mut listener = Proc(listener.spawn().unwrap());
    let port: u16 = {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(listener.0.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        line.trim().parse().expect("the listener prints its port")
    };

    let root_a = test_root(&dir.path().join("a"), "aaaa0000aaaa0000aaaa0000aaaa0000");
    let root_b = test_root(&dir.path().join("b"), "bbbb0000bbbb0000bbbb0000bbbb0000");
    let _host_a = agent(
        &url,
        &dir.path().join("state-a"),
        &["--token", &tok, "--root", root_a.to_str().unwrap()],
    );
    let mut b = ns.command(env!("CARGO_BIN_EXE_scry"));
    b.args(["agent", "--server", &url, "--token", &tok, "--root"])
        .arg(&root_b)
        .arg("--state-dir")
        .arg(dir.path().join("state-b"))
        .env("SCRY_LOG", "scry_agent=info")
        .env_remove("SCRY_AGENT_TOKEN")
        .stdout(Stdio::null());
    let _host_b = Proc(b.spawn().unwrap());

    let all = wait_for("both hosts to report", 60, || {
        let h = hosts(&url, &admin);
        (h.len() == 2 && h.iter().all(|h| h["sequence"].as_i64() > Some(0))).then_some(h)
    });
    let of = |machine: &str| {
        all.iter()
            .find(|h| h["machineId"] == machine)
            .unwrap_or_else(|| panic!("{machine} in {all:?}"))
            .clone()
    };
    let (a, b) = (
        of("aaaa0000aaaa0000aaaa0000aaaa0000"),
        of("bbbb0000bbbb0000bbbb0000bbbb0000"),
    );
    let addrs = |h: &Value| -> Vec<String> {
        h["host"]["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    };
    // The namespace's host has the namespace's address and nothing of this side's.
    assert_eq!(addrs(&b), vec![ns.ns_addr.clone()], "{b}");
    assert!(addrs(&a).contains(&ns.host_addr), "{a}");
    assert!(!addrs(&a).contains(&ns.ns_addr), "{a}");
    let (rid_a, rid_b) = (
        a["resourceId"].as_str().unwrap(),
        b["resourceId"].as_str().unwrap(),
    );
    assert_ne!(rid_a, rid_b);

    // Both are covered.
    let cov = inspector(&url, &admin, "/coverage/list", json!({}));
    for rid in [rid_a, rid_b] {
        let r = cov["coveredResources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resourceId"] == rid)
            .unwrap_or_else(|| panic!("{rid} in ListCoverage: {cov}"));
        assert_eq!(r["resourceType"], "AWS_EC2_INSTANCE");
        assert_eq!(r["scanStatus"]["statusCode"], "ACTIVE", "{r}");
    }

    // The namespace's open port is the second host's NETWORK_REACHABILITY finding, naming it.
    let nr = |rid: &str| {
        findings(
            &url,
            &admin,
            json!({
                "resourceId": [{"comparison": "EQUALS", "value": rid}],
                "findingType": [{"comparison": "EQUALS", "value": "NETWORK_REACHABILITY"}]
            }),
        )
        .into_iter()
        .filter(|f| f["networkReachabilityDetails"]["openPortRange"]["begin"] == port)
        .collect::<Vec<_>>()
    };
    let f = wait_for("the namespace's port finding", 30, || {
        nr(rid_b).into_iter().next()
    });
    assert_eq!(f["networkReachabilityDetails"]["protocol"], "TCP");
    assert_eq!(
        f["title"],
        format!("Port {port} is open on all interfaces - TCP")
    );
    let who = format!("python3 (pid {})", listener.0.id());
    assert!(
        f["description"].as_str().unwrap().contains(&who),
        "the process is named ({who}): {f}"
    );
    assert_eq!(
        f["resources"][0]["details"]["awsEc2Instance"]["ipV4Addresses"],
        json!([ns.ns_addr])
    );
    // This side does not see the namespace's port.
    assert!(nr(rid_a).is_empty());
    let _ = listener.0.kill();
}
