//! End to end on real parts: a Debian root file system built by mmdebstrap, the same tree as an
//! OCI image pushed to a real registry (Debian's docker-registry), packages installed by real
//! pip and npm, and the real Go binaries and Java archives of the shared fixtures, matched
//! against the advisory database built from `../shared/vulndata`.
//!
//! Needs: mmdebstrap, umoci, skopeo, docker-registry (Debian), pip and npm with their public
//! registries. `.ci/run` installs them; a missing tool fails the test with what to install.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use scry_collect::{collect, Collected, Options, Target};
use scry_vulndb::{ScoreContext, VulnDb};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn work() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scry-real-world");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn need(tool: &str, install: &str) {
    let ok = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "{tool} is missing: {install} (.ci/run installs it)");
}

fn sh(cmd: &str) {
    let out = Command::new("sh").args(["-c", cmd]).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The advisory database of all shared feeds, built once.
fn db() -> &'static (VulnDb, scry_vulndb::Loaded) {
    static DB: OnceLock<(VulnDb, scry_vulndb::Loaded)> = OnceLock::new();
    DB.get_or_init(|| {
        let path = work().join("advisories.db");
        let _ = std::fs::remove_file(&path);
        let mut db = VulnDb::create(&path).unwrap();
        db.import(
            &[shared().join("vulndata")],
            chrono::Utc::now(),
            &mut |_| {},
        )
        .unwrap();
        let loaded = db.load().unwrap();
        (db, loaded)
    })
}

fn scan(target: Target) -> (Collected, scry_scan::Assessment) {
    let catalog = scry_scan::standard_catalog();
    let c = collect(&target, &catalog, &Options::default(), &|_| {}).unwrap();
    let (db, loaded) = db();
    let a = scry_scan::assess(db, loaded, &c.inventory, &ScoreContext::default()).unwrap();
    (c, a)
}

/// A Debian bookworm root file system (minbase + python3, openssl, curl), built once.
fn rootfs() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = work().join("rootfs");
        if !root.join("var/lib/dpkg/status").exists() {
            need("mmdebstrap", "apt-get install mmdebstrap uidmap");
            let tarball = work().join("rootfs.tar");
            sh(&format!(
                "mmdebstrap --quiet --variant=minbase --include=python3,openssl,curl bookworm {} http://deb.debian.org/debian",
                tarball.display()
            ));
            std::fs::create_dir_all(&root).unwrap();
            sh(&format!("tar -xf {} -C {} --exclude='./dev/*'", tarball.display(), root.display()));
        }
        root
    })
    .clone()
}

fn dpkg_query(root: &Path) -> BTreeSet<String> {
    let out = Command::new("dpkg-query")
        .args([
            "--admindir",
            &root.join("var/lib/dpkg").to_string_lossy(),
            "-W",
            "-f",
            "${Package} ${Version}\\n",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn dpkg_of(c: &Collected) -> BTreeSet<String> {
    c.inventory
        .packages
        .iter()
        .filter(|p| p.found_by == "dpkg")
        .map(|p| format!("{} {}", p.name, p.version))
        .collect()
}

struct Registry(Child);
impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_registry(dir: &Path) -> (Registry, u16) {
    need("docker-registry", "apt-get install docker-registry");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.join("registry.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("storage").display()
        ),
    )
    .unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reg = Registry(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (reg, port);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("docker-registry did not start on port {port}");
}

#[test]
fn debian_rootfs_dir_and_registry_image_list_what_dpkg_lists() {
    let root = rootfs();
    let expected = dpkg_query(&root);
    assert!(expected.len() > 80, "{}", expected.len());

    let (c, a) = scan(Target::Dir(root.clone()));
    assert_eq!(
        dpkg_of(&c),
        expected,
        "dir: Scry's dpkg packages equal dpkg-query -W"
    );
    let d = c.inventory.distro.as_ref().unwrap();
    assert_eq!(d.ecosystem.as_deref(), Some("Debian:12"));
    // python3's own dist-info packages are Python packages too, located in the tree.
    assert!(a.packages_matched >= expected.len());

    // The same tree as an OCI image, pushed to a real registry, scanned by reference.
    need("umoci", "apt-get install umoci");
    need("skopeo", "apt-get install skopeo");
    let dir = work().join("image");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let oci = dir.join("oci");
    let bundle = dir.join("bundle");
    sh(&format!(
        "umoci init --layout {o} && umoci new --image {o}:deb && umoci unpack --rootless --image {o}:deb {b} >/dev/null && cp -a {r}/. {b}/rootfs/ && umoci repack --image {o}:deb {b}",
        o = oci.display(),
        b = bundle.display(),
        r = root.display()
    ));
    let (_registry, port) = start_registry(&dir);
    sh(&format!(
        "skopeo copy -q --dest-tls-verify=false oci:{}:deb docker://127.0.0.1:{port}/scry/deb:12",
        oci.display()
    ));
    let (img, _) = scan(Target::Registry(format!("127.0.0.1:{port}/scry/deb:12")));
    assert_eq!(dpkg_of(&img), expected, "registry image: the same packages");
    let info = img.image.as_ref().unwrap();
    assert!(info
        .manifest_digest
        .as_deref()
        .is_some_and(|d| d.starts_with("sha256:")));
    let layer = &info.layers[0];
    assert!(img
        .inventory
        .packages
        .iter()
        .filter(|p| p.found_by == "dpkg")
        .all(|p| p.layer.as_ref() == Some(layer)));

    // And from the OCI layout directory and archives of the same image.
    let (oci_c, _) = scan(Target::OciDir(oci.clone()));
    assert_eq!(dpkg_of(&oci_c), expected);
    let archive = dir.join("deb-docker.tar");
    sh(&format!(
        "skopeo copy -q oci:{}:deb docker-archive:{}:deb:12",
        oci.display(),
        archive.display()
    ));
    let (docker_c, _) = scan(Target::parse(archive.to_str().unwrap()).unwrap());
    assert_eq!(docker_c.kind, "docker-archive");
    assert_eq!(dpkg_of(&docker_c), expected);
}

#[test]
fn pip_installed_old_releases_are_found_and_matched() {
    let dir = work().join("site-packages");
    if !dir.join("urllib3").exists() {
        sh(&format!(
            "python3 -m pip install -q --no-deps --disable-pip-version-check --target {} Django==3.2.0 PyYAML==5.3.1 urllib3==1.26.4 requests==2.25.1 Jinja2==2.10",
            dir.display()
        ));
    }
    let (c, a) = scan(Target::Dir(dir.clone()));
    let found: BTreeSet<String> = c
        .inventory
        .packages
        .iter()
        .filter(|p| p.ecosystem == "PyPI")
        .map(|p| format!("{} {}", p.name, p.version))
        .collect();
    for want in [
        // Django==3.2.0 is published as "3.2" (equal under PEP 440); its METADATA says 3.2.
        "Django 3.2",
        "PyYAML 5.3.1",
        "urllib3 1.26.4",
        "requests 2.25.1",
        "Jinja2 2.10",
    ] {
        assert!(found.contains(want), "{want} not in {found:?}");
    }
    let ids = |pkg: &str| -> BTreeSet<String> {
        a.findings
            .iter()
            .filter(|f| f.package.name == pkg)
            .flat_map(|f| {
                std::iter::once(f.finding.vulnerability_id.clone()).chain(f.finding.aliases.clone())
            })
            .collect()
    };
    // PyYAML < 5.4: arbitrary code execution in full_load (PYSEC-2021-142).
    assert!(
        ids("PyYAML").contains("CVE-2020-14343"),
        "{:?}",
        ids("PyYAML")
    );
    // Django 3.2.0 has many; one well known: CVE-2021-33203 (fixed 3.2.4).
    assert!(
        ids("Django").contains("CVE-2021-33203"),
        "{:?}",
        ids("Django")
    );
    let f = a
        .findings
        .iter()
        .find(|f| f.package.name == "Django" && f.finding.vulnerability_id == "CVE-2021-33203")
        .unwrap();
    assert_eq!(f.finding.fix.fixed_version(), Some("3.2.4"));
    assert!(
        f.package.location.ends_with(".dist-info/METADATA"),
        "{}",
        f.package.location
    );
}

#[test]
fn npm_install_tree_is_found_with_exact_versions() {
    need("npm", "apt-get install npm");
    let dir = work().join("node");
    if !dir.join("node_modules/lodash").exists() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("package.json"),
            r#"{"name":"bench","version":"1.0.0","private":true}"#,
        )
        .unwrap();
        sh(&format!("cd {} && npm install --silent --no-audit --no-fund lodash@4.17.15 minimist@1.2.5 axios@0.21.1", dir.display()));
    }
    let (c, _) = scan(Target::Dir(dir.clone()));
    let installed: BTreeSet<String> = c
        .inventory
        .packages
        .iter()
        .filter(|p| p.found_by == "npm-package-json")
        .map(|p| format!("{} {}", p.name, p.version))
        .collect();
    let locked: BTreeSet<String> = c
        .inventory
        .packages
        .iter()
        .filter(|p| p.found_by == "npm-package-lock")
        .map(|p| format!("{} {}", p.name, p.version))
        .collect();
    for want in ["lodash 4.17.15", "minimist 1.2.5", "axios 0.21.1"] {
        assert!(
            installed.contains(want) && locked.contains(want),
            "{want}: {installed:?} / {locked:?}"
        );
    }
    // Every package in the lockfile is installed under node_modules, and vice versa.
    assert_eq!(installed, locked);
}

#[test]
fn go_binary_and_java_archive_from_the_fixtures() {
    let fx = shared().join("testdata/fixtures");
    let (c, a) = scan(Target::File(fx.join("go/trivy-test.elf")));
    assert!(
        c.inventory
            .packages
            .iter()
            .any(|p| p.ecosystem == "Go" && p.name == "stdlib"),
        "{:?}",
        c.inventory.packages
    );
    assert!(c
        .inventory
        .packages
        .iter()
        .all(|p| p.found_by == "go-binary"));
    // The toolchain it was built with is old: the Go feed has stdlib advisories for it.
    assert!(a.findings.iter().any(|f| f.package.name == "stdlib"
        && f.finding.advisories.iter().any(|id| id.starts_with("GO-"))));

    let (c, _) = scan(Target::File(fx.join("java/guava-31.1-jre.jar")));
    let g = c
        .inventory
        .packages
        .iter()
        .find(|p| p.name == "com.google.guava:guava")
        .expect("guava found");
    assert_eq!(g.version, "31.1-jre");
    assert_eq!(g.purl, "pkg:maven/com.google.guava/guava@31.1-jre");
}
